//! Finding the Debian mirror the host already uses.
//!
//! archport never names a mirror itself: it reads the host's apt sources
//! (one-line `.list` and deb822 `.sources` files) and reuses the URIs
//! that serve Debian's main and security archives, pointing them at the
//! package's suites (bullseye, bookworm) in a private apt configuration.
//! `ARCHPORT_DEBIAN_MIRROR` and `ARCHPORT_DEBIAN_SECURITY_MIRROR` override
//! the choice.

use std::path::Path;

/// The two archive roots a package's suites are fetched from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mirror {
    pub main: String,
    pub security: String,
}

/// A source entry as apt reads it: a URI and the suites it serves.
#[derive(Debug, PartialEq, Eq)]
struct Source {
    uri: String,
    suites: Vec<String>,
}

/// Reads `/etc/apt` (or `apt_dir`) and the environment.
pub fn find_mirror(apt_dir: &Path) -> Result<Mirror, String> {
    let env_main = std::env::var("ARCHPORT_DEBIAN_MIRROR").ok().filter(|s| !s.is_empty());
    let env_security = std::env::var("ARCHPORT_DEBIAN_SECURITY_MIRROR").ok().filter(|s| !s.is_empty());
    let sources = read_sources(apt_dir);
    let main = env_main.or_else(|| pick(&sources, false)).ok_or_else(|| {
        format!(
            "no Debian archive found in {}/sources.list*; set ARCHPORT_DEBIAN_MIRROR to a Debian mirror URL",
            apt_dir.display()
        )
    })?;
    let security = env_security
        .or_else(|| pick(&sources, true))
        .unwrap_or_else(|| format!("{}-security", main.trim_end_matches('/')));
    Ok(Mirror { main, security })
}

fn read_sources(apt_dir: &Path) -> Vec<Source> {
    let mut files = vec![apt_dir.join("sources.list")];
    if let Ok(entries) = std::fs::read_dir(apt_dir.join("sources.list.d")) {
        let mut more: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        more.sort();
        files.extend(more);
    }
    files
        .iter()
        .filter_map(|f| Some((f, std::fs::read_to_string(f).ok()?)))
        .flat_map(|(f, text)| {
            if f.extension().is_some_and(|e| e == "sources") {
                parse_deb822(&text)
            } else {
                parse_one_line(&text)
            }
        })
        .collect()
}

fn parse_one_line(text: &str) -> Vec<Source> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter_map(|l| {
            let rest = l.strip_prefix("deb ")?.trim();
            // Skip an options block: deb [signed-by=...] URI suite ...
            let rest = match rest.strip_prefix('[') {
                Some(r) => r.split_once(']')?.1.trim(),
                None => rest,
            };
            let mut words = rest.split_whitespace();
            let uri = words.next()?.to_string();
            let suite = words.next()?.to_string();
            Some(Source { uri, suites: vec![suite] })
        })
        .collect()
}

fn parse_deb822(text: &str) -> Vec<Source> {
    text.split("\n\n")
        .filter_map(|stanza| {
            let field = |name: &str| {
                stanza
                    .lines()
                    .filter(|l| !l.trim_start().starts_with('#'))
                    .find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(':')).map(|v| v.trim().to_string()))
            };
            let types = field("Types")?;
            if !types.split_whitespace().any(|t| t == "deb") {
                return None;
            }
            let uri = field("URIs")?.split_whitespace().next()?.to_string();
            let suites = field("Suites")?.split_whitespace().map(String::from).collect();
            Some(Source { uri, suites })
        })
        .collect()
}

/// Debian's archives are the ones serving Debian release suites; the
/// security archive serves `*-security`.
fn pick(sources: &[Source], security: bool) -> Option<String> {
    const RELEASES: [&str; 8] = ["bullseye", "bookworm", "trixie", "forky", "sid", "stable", "testing", "unstable"];
    sources
        .iter()
        .find(|s| {
            s.suites.iter().any(|suite| {
                let base = suite.split('-').next().unwrap_or(suite);
                RELEASES.contains(&base) && suite.ends_with("-security") == security
            })
        })
        .map(|s| s.uri.trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_source_formats() {
        let deb822 = "Types: deb\n# comment\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\n\nTypes: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\n";
        let sources = parse_deb822(deb822);
        assert_eq!(pick(&sources, false).as_deref(), Some("http://mirror.example/debian"));
        assert_eq!(pick(&sources, true).as_deref(), Some("http://mirror.example/debian-security"));

        let list = "deb [arch=amd64] https://vendor.example/apt cloud-sdk main\ndeb http://m.example/debian/ bookworm main # x\n";
        let sources = parse_one_line(list);
        assert_eq!(pick(&sources, false).as_deref(), Some("http://m.example/debian"));
        assert_eq!(pick(&sources, true), None);
    }
}
