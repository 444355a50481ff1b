//! Mail dates: parsing `--date` and writing the RFC 2822 form that
//! `git format-patch` puts in its `Date:` header.
//!
//! A date is a point in time with the writer's UTC offset; no time zone
//! database is consulted (an offset is given, never looked up). The
//! calendar is chrono's.

use std::time::SystemTime;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// A point in time and the UTC offset it is shown in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MailDate {
    /// Seconds since 1970-01-01 00:00:00 UTC.
    pub unix: i64,
    /// Minutes east of UTC.
    pub offset_minutes: i32,
}

impl MailDate {
    /// A file time (for example a tree's Makefile mtime), shown in UTC.
    pub fn from_system_time(t: SystemTime) -> MailDate {
        MailDate { unix: DateTime::<Utc>::from(t).timestamp(), offset_minutes: 0 }
    }

    /// Parses `--date`: `@SECONDS [+HHMM]`, ISO 8601 (`2020-11-03`,
    /// `2020-11-03T10:27:00Z`, `2020-11-03 10:27:00 +0100`) or RFC 2822
    /// (`Tue, 3 Nov 2020 10:27:00 +0100`).
    pub fn parse(s: &str) -> Result<MailDate, String> {
        let s = s.trim();
        let bad = || {
            format!(
                "cannot read the date `{s}`: expected @SECONDS, YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM] \
                 or an RFC 2822 date such as `Tue, 3 Nov 2020 10:27:00 +0100`"
            )
        };
        if let Some(rest) = s.strip_prefix('@') {
            let mut parts = rest.split_whitespace();
            let unix = parts.next().and_then(|n| n.parse().ok()).ok_or_else(bad)?;
            let offset_minutes = match parts.next() {
                Some(o) => offset(o).ok_or_else(bad)?.local_minus_utc() / 60,
                None => 0,
            };
            // Dates chrono cannot show are refused here, not when written.
            let shown = FixedOffset::east_opt(offset_minutes * 60).and_then(|o| o.timestamp_opt(unix, 0).single());
            return if parts.next().is_some() || shown.is_none() {
                Err(bad())
            } else {
                MailDate { unix, offset_minutes }.in_range(s)
            };
        }
        let parsed = DateTime::parse_from_rfc2822(s).ok().or_else(|| iso(s)).ok_or_else(bad)?;
        MailDate { unix: parsed.timestamp(), offset_minutes: parsed.offset().local_minus_utc() / 60 }.in_range(s)
    }

    /// A mail date has a four-digit year (RFC 5322): years past 9999 (or
    /// before 1) cannot be written as one.
    fn in_range(self, given: &str) -> Result<MailDate, String> {
        let offset = FixedOffset::east_opt(self.offset_minutes * 60).ok_or("offset out of range")?;
        match offset.timestamp_opt(self.unix, 0).single() {
            Some(at) if (1..=9999).contains(&at.year()) => Ok(self),
            _ => Err(format!("the date `{given}` is outside the years 1 to 9999 that a mail date can show")),
        }
    }

    /// `Tue, 3 Nov 2020 10:27:00 +0100`, as git writes it.
    pub fn rfc2822(&self) -> String {
        let offset = FixedOffset::east_opt(self.offset_minutes * 60).expect("offsets are parsed within a day");
        let at = offset.timestamp_opt(self.unix, 0).single().expect("a fixed offset maps each instant once");
        at.format("%a, %-d %b %Y %H:%M:%S %z").to_string()
    }
}

/// `+0100`, `-05:30`, `Z`.
fn offset(s: &str) -> Option<FixedOffset> {
    if s == "Z" {
        return FixedOffset::east_opt(0);
    }
    let sign = match s.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: String = s[1..].chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m): (i32, i32) = (digits[..2].parse().ok()?, digits[2..].parse().ok()?);
    if h > 14 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

/// `YYYY-MM-DD`, optionally followed by `T` or a space, a time with or
/// without seconds, and an offset (`Z` when none is given).
fn iso(s: &str) -> Option<DateTime<FixedOffset>> {
    let (date, rest) = (s.get(..10)?, s.get(10..)?);
    let day = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    let (time, zone) = match rest.strip_prefix('T').or_else(|| rest.strip_prefix(' ')) {
        None if rest.is_empty() => ("00:00:00", "Z"),
        None => return None,
        Some(rest) => {
            let split = rest.find(['Z', '+', '-', ' ']).unwrap_or(rest.len());
            let zone = rest[split..].trim();
            (&rest[..split], if zone.is_empty() { "Z" } else { zone })
        }
    };
    let time = ["%H:%M:%S", "%H:%M"].iter().find_map(|f| chrono::NaiveTime::parse_from_str(time, f).ok())?;
    offset(zone)?.from_local_datetime(&NaiveDateTime::new(day, time)).single()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(input: &str, expect: &str) {
        assert_eq!(MailDate::parse(input).map(|d| d.rfc2822()), Ok(expect.to_string()), "{input}");
    }

    #[test]
    fn dates_read_and_write_as_git_does() {
        check("@0", "Thu, 1 Jan 1970 00:00:00 +0000");
        check("@1604395620 +0100", "Tue, 3 Nov 2020 10:27:00 +0100");
        check("2020-11-03", "Tue, 3 Nov 2020 00:00:00 +0000");
        check("2020-11-03T10:27:00Z", "Tue, 3 Nov 2020 10:27:00 +0000");
        check("2020-11-03 10:27 -05:30", "Tue, 3 Nov 2020 10:27:00 -0530");
        check("Tue, 3 Nov 2020 10:27:00 +0100", "Tue, 3 Nov 2020 10:27:00 +0100");
        check("29 Feb 2024 23:59:59 +0000", "Thu, 29 Feb 2024 23:59:59 +0000");
        assert_eq!(MailDate::parse("2020-11-03T10:27:00+0100").unwrap().unix, 1_604_395_620);
    }

    #[test]
    fn bad_dates_are_refused_with_the_accepted_forms() {
        for bad in [
            "yesterday",
            "2021-02-29",
            "2020-13-01",
            "Tue, 3 Nov 2020 25:00:00 +0000",
            "@x",
            "2020-11-03T10:27+2500",
            "@99999999999999999",
            "@-99999999999999",
            "@253402300800",
            "@253402300000 +0100",
            "10000-01-01",
        ] {
            assert!(MailDate::parse(bad).is_err(), "{bad}");
        }
        assert!(MailDate::parse("soon").unwrap_err().contains("RFC 2822"));
        // The last instant a four-digit year can show, and one second past it.
        assert!(MailDate::parse("@253402300799").is_ok());
        assert!(MailDate::parse("@253402300800").unwrap_err().contains("1 to 9999"));
    }

    #[test]
    fn file_times_are_shown_in_utc() {
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_604_395_620);
        assert_eq!(MailDate::from_system_time(t).rfc2822(), "Tue, 3 Nov 2020 09:27:00 +0000");
    }
}
