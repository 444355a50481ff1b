//! Who one mail goes to (`To:`, `Cc:`) and the SCM tree its patch
//! belongs to: the answer both recipient sources give, and what the
//! series joins for a cover letter. A leaf: the MAINTAINERS reader and
//! the finder both build these.

use serde::Serialize;

/// The addresses of one mail.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Recipients {
    pub to: Vec<String>,
    pub cc: Vec<String>,
}

/// What get_maintainer.pl (or the MAINTAINERS reader) says about one patch.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Maintainers {
    pub recipients: Recipients,
    /// The first SCM tree named (`git git://...`): the most specific one.
    pub tree: Option<String>,
}

impl Recipients {
    /// `To:` and `Cc:` from addresses in order, each marked whether it
    /// goes to `To:`; with no `To:` at all, the first `Cc:` moves there.
    pub fn from_roles(people: impl IntoIterator<Item = (String, bool)>) -> Recipients {
        let mut r = Recipients::default();
        for (address, to) in people {
            if to {
                r.to.push(address);
            } else {
                r.cc.push(address);
            }
        }
        if r.to.is_empty() && !r.cc.is_empty() {
            r.to.push(r.cc.remove(0));
        }
        r
    }
}

/// The recipients of a cover letter: everyone any patch goes to, in
/// first-seen order; an address in some patch's `To:` stays in `To:`.
pub fn union<'a>(all: impl IntoIterator<Item = &'a Recipients> + Clone) -> Recipients {
    let mut u = Recipients::default();
    for r in all.clone() {
        for a in &r.to {
            if !u.to.contains(a) {
                u.to.push(a.clone());
            }
        }
    }
    for r in all {
        for a in &r.cc {
            if !u.to.contains(a) && !u.cc.contains(a) {
                u.cc.push(a.clone());
            }
        }
    }
    u
}
