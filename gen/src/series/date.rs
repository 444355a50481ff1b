//! Mail dates: parsing `--date` and writing the RFC 2822 form that
//! `git format-patch` puts in its `Date:` header.
//!
//! Only what a patch series needs: a point in time with the writer's UTC
//! offset. No time zone database: an offset is given, never looked up.

use std::time::{SystemTime, UNIX_EPOCH};

/// A point in time and the UTC offset it is shown in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MailDate {
    /// Seconds since 1970-01-01 00:00:00 UTC.
    pub unix: i64,
    /// Minutes east of UTC.
    pub offset_minutes: i32,
}

const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

impl MailDate {
    /// A file time (for example a tree's Makefile mtime), shown in UTC.
    pub fn from_system_time(t: SystemTime) -> MailDate {
        let unix = match t.duration_since(UNIX_EPOCH) {
            Ok(d) => d.as_secs() as i64,
            Err(e) => -(e.duration().as_secs() as i64),
        };
        MailDate { unix, offset_minutes: 0 }
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
            let offset_minutes = parts.next().map(parse_offset).transpose()?.unwrap_or(0);
            return if parts.next().is_some() { Err(bad()) } else { Ok(MailDate { unix, offset_minutes }) };
        }
        if s.as_bytes().first().is_some_and(u8::is_ascii_digit) && s.get(4..5) == Some("-") {
            parse_iso(s).ok_or_else(bad)?
        } else {
            parse_rfc2822(s).ok_or_else(bad)?
        }
    }

    /// `Tue, 3 Nov 2020 10:27:00 +0100`, as git writes it.
    pub fn rfc2822(&self) -> String {
        let local = self.unix + i64::from(self.offset_minutes) * 60;
        let days = local.div_euclid(86_400);
        let secs = local.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        let weekday = DAYS[(days + 4).rem_euclid(7) as usize];
        let sign = if self.offset_minutes < 0 { '-' } else { '+' };
        let off = self.offset_minutes.abs();
        format!(
            "{weekday}, {d} {} {y} {:02}:{:02}:{:02} {sign}{:02}{:02}",
            MONTHS[m as usize - 1],
            secs / 3600,
            secs / 60 % 60,
            secs % 60,
            off / 60,
            off % 60
        )
    }
}

/// `+0100`, `-05:30`, `Z`.
fn parse_offset(s: &str) -> Result<i32, String> {
    let bad = || format!("cannot read the UTC offset `{s}` (expected +HHMM, +HH:MM or Z)");
    if s == "Z" {
        return Ok(0);
    }
    let sign = match s.as_bytes().first() {
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return Err(bad()),
    };
    let digits: String = s[1..].chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let (h, m): (i32, i32) = (digits[..2].parse().unwrap(), digits[2..].parse().unwrap());
    if h > 14 || m > 59 {
        return Err(bad());
    }
    Ok(sign * (h * 60 + m))
}

fn at(y: i64, mo: u32, d: u32, hms: (u32, u32, u32), offset: &str) -> Option<Result<MailDate, String>> {
    let (h, mi, s) = hms;
    let month_days = [31, if is_leap(y) { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&mo) || d == 0 || d > month_days[mo as usize - 1] || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let offset_minutes = match parse_offset(offset) {
        Ok(o) => o,
        Err(e) => return Some(Err(e)),
    };
    let local = days_from_civil(y, mo, d) * 86_400 + i64::from(h * 3600 + mi * 60 + s);
    Some(Ok(MailDate { unix: local - i64::from(offset_minutes) * 60, offset_minutes }))
}

fn parse_hms(s: &str) -> Option<(u32, u32, u32)> {
    let mut it = s.split(':').map(|p| p.parse::<u32>().ok());
    let h = it.next()??;
    let m = it.next()??;
    let sec = it.next().unwrap_or(Some(0))?;
    it.next().is_none().then_some((h, m, sec))
}

fn parse_iso(s: &str) -> Option<Result<MailDate, String>> {
    let date = s.get(..10)?;
    let (y, mo, d) = (date.get(..4)?.parse().ok()?, date.get(5..7)?.parse().ok()?, date.get(8..10)?.parse().ok()?);
    if date.as_bytes()[7] != b'-' {
        return None;
    }
    let rest = &s[10..];
    if rest.is_empty() {
        return at(y, mo, d, (0, 0, 0), "Z");
    }
    let rest = rest.strip_prefix('T').or_else(|| rest.strip_prefix(' '))?;
    let split = rest.find(['Z', '+', '-', ' ']).unwrap_or(rest.len());
    let hms = parse_hms(&rest[..split])?;
    let offset = rest[split..].trim();
    at(y, mo, d, hms, if offset.is_empty() { "Z" } else { offset })
}

fn parse_rfc2822(s: &str) -> Option<Result<MailDate, String>> {
    let s = match s.split_once(',') {
        Some((day, rest)) if DAYS.contains(&day.trim()) => rest,
        Some(_) => return None,
        None => s,
    };
    let parts: Vec<&str> = s.split_whitespace().collect();
    let [d, mon, y, hms, offset] = parts.as_slice() else { return None };
    let mo = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(mon))? as u32 + 1;
    at(y.parse().ok()?, mo, d.parse().ok()?, parse_hms(hms)?, offset)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// `days_from_civil`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
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
        for bad in
            ["yesterday", "2021-02-29", "2020-13-01", "Tue, 3 Nov 2020 25:00:00 +0000", "@x", "2020-11-03T10:27+2500"]
        {
            assert!(MailDate::parse(bad).is_err(), "{bad}");
        }
        assert!(MailDate::parse("soon").unwrap_err().contains("RFC 2822"));
    }

    #[test]
    fn calendar_round_trips() {
        for days in [-800_000, -1, 0, 59, 10_957, 20_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
