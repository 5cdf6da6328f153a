//! Who owns a container: the one documented ownership chain every reader uses.
//!
//! [`resolve_owner`] tries, in order:
//!
//! 1. `ds01.user`
//! 2. `aime.mlc.USER` (legacy AIME label)
//! 3. `aime.mlc` (the bare legacy base label, whose value is the user)
//! 4. the `NAME._.UID` suffix AIME gives container names, with UID resolved through passwd
//!
//! A label value is trimmed (a stray newline or space is not part of a username); a value that is
//! empty after trimming, or the Go-template placeholder `<no value>`, counts as absent and the chain
//! moves on. A UID that passwd does not know gives no owner. Pure: the passwd lookup is a parameter.

use serde::Serialize;

use crate::container_schema::UID_SEPARATOR;
use crate::labels::Labels;

/// Where an owner came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum OwnerSource {
    #[serde(rename = "ds01.user")]
    Ds01User,
    #[serde(rename = "aime.mlc.USER")]
    AimeMlcUser,
    #[serde(rename = "aime.mlc")]
    AimeMlc,
    #[serde(rename = "name-suffix")]
    NameSuffix,
}

impl OwnerSource {
    /// Every source, in chain order.
    pub const ALL: [OwnerSource; 4] = [
        OwnerSource::Ds01User,
        OwnerSource::AimeMlcUser,
        OwnerSource::AimeMlc,
        OwnerSource::NameSuffix,
    ];

    /// The label key, or `name-suffix`.
    pub fn as_str(self) -> &'static str {
        match self {
            OwnerSource::Ds01User => "ds01.user",
            OwnerSource::AimeMlcUser => "aime.mlc.USER",
            OwnerSource::AimeMlc => "aime.mlc",
            OwnerSource::NameSuffix => "name-suffix",
        }
    }

    /// Whether this source is a legacy fallback (anything but `ds01.user`).
    pub fn is_fallback(self) -> bool {
        self != OwnerSource::Ds01User
    }

    /// Whether this source is a legacy label (`aime.mlc.USER`, `aime.mlc`), as opposed to
    /// `ds01.user` or the container name.
    pub fn is_legacy_label(self) -> bool {
        matches!(self, OwnerSource::AimeMlcUser | OwnerSource::AimeMlc)
    }
}

/// How readers name the source when the chain finds no owner.
pub const NO_SOURCE: &str = "none";

/// A resolved owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Owner {
    pub user: String,
    pub source: OwnerSource,
}

/// The placeholder `docker inspect --format '{{index .Config.Labels "k"}}'` prints for a missing key;
/// scripts have been known to store it as a value.
pub const NO_VALUE: &str = "<no value>";

/// A label's value as readers see it: trimmed; `None` when the key is missing, the value is empty
/// after trimming, or it is `<no value>`.
pub fn label_value<'a>(labels: &'a Labels, key: &str) -> Option<&'a str> {
    labels
        .get(key)
        .map(|v| v.trim())
        .filter(|v| !v.is_empty() && *v != NO_VALUE)
}

/// The UID in an AIME container name `NAME._.UID` (`NAME` non-empty, `UID` all digits).
pub fn name_suffix_uid(name: &str) -> Option<u32> {
    let name = name.trim_start_matches('/');
    let (base, uid) = name.rsplit_once(UID_SEPARATOR)?;
    if base.is_empty() || uid.is_empty() || !uid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    uid.parse().ok()
}

/// The owner of a container with these labels and this name, by the chain in the module docs.
/// `user_by_uid` resolves a UID through passwd (e.g. [`crate::identity::user_by_uid`]); it is only
/// called when no label gives an owner.
pub fn resolve_owner<F>(labels: &Labels, name: &str, user_by_uid: F) -> Option<Owner>
where
    F: FnOnce(u32) -> Option<String>,
{
    for source in [
        OwnerSource::Ds01User,
        OwnerSource::AimeMlcUser,
        OwnerSource::AimeMlc,
    ] {
        if let Some(user) = label_value(labels, source.as_str()) {
            return Some(Owner {
                user: user.to_string(),
                source,
            });
        }
    }
    let uid = name_suffix_uid(name)?;
    user_by_uid(uid)
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty())
        .map(|user| Owner {
            user,
            source: OwnerSource::NameSuffix,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labels::from_pairs as labels;

    fn passwd(uid: u32) -> Option<String> {
        match uid {
            0 => Some("root".into()),
            1000 => Some("alice".into()),
            _ => None,
        }
    }

    fn owner(pairs: &[(&str, &str)], name: &str) -> Option<(String, &'static str)> {
        resolve_owner(&labels(pairs), name, passwd).map(|o| (o.user, o.source.as_str()))
    }

    fn some(user: &str, source: &'static str) -> Option<(String, &'static str)> {
        Some((user.to_string(), source))
    }

    #[test]
    fn legacy_label_sources() {
        let legacy: Vec<&str> = OwnerSource::ALL
            .into_iter()
            .filter(|s| s.is_legacy_label())
            .map(OwnerSource::as_str)
            .collect();
        assert_eq!(legacy, ["aime.mlc.USER", "aime.mlc"]);
    }

    #[test]
    fn chain_order() {
        let all = [
            ("ds01.user", "dan"),
            ("aime.mlc.USER", "leg"),
            ("aime.mlc", "base"),
        ];
        assert_eq!(owner(&all, "x._.1000"), some("dan", "ds01.user"));
        assert_eq!(owner(&all[1..], "x._.1000"), some("leg", "aime.mlc.USER"));
        assert_eq!(owner(&all[2..], "x._.1000"), some("base", "aime.mlc"));
        assert_eq!(owner(&[], "x._.1000"), some("alice", "name-suffix"));
        assert_eq!(owner(&[], "x"), None);
    }

    #[test]
    fn values_are_trimmed_and_blank_or_placeholder_is_absent() {
        assert_eq!(
            owner(&[("ds01.user", "bob\n"), ("aime.mlc.USER", "x")], ""),
            some("bob", "ds01.user")
        );
        assert_eq!(
            owner(&[("ds01.user", ""), ("aime.mlc.USER", " leg ")], ""),
            some("leg", "aime.mlc.USER")
        );
        assert_eq!(
            owner(&[("ds01.user", " \n"), ("aime.mlc", "base")], ""),
            some("base", "aime.mlc")
        );
        assert_eq!(
            owner(
                &[
                    ("ds01.user", "<no value>"),
                    ("aime.mlc.USER", "<no value>\n")
                ],
                "c._.0"
            ),
            some("root", "name-suffix")
        );
        assert_eq!(owner(&[("ds01.user", "")], "plain"), None);
    }

    #[test]
    fn name_suffix() {
        assert_eq!(name_suffix_uid("box._.1000"), Some(1000));
        assert_eq!(name_suffix_uid("/box._.0"), Some(0));
        assert_eq!(name_suffix_uid("a._.b._.7"), Some(7));
        assert_eq!(name_suffix_uid("._.1000"), None);
        assert_eq!(name_suffix_uid("box._."), None);
        assert_eq!(name_suffix_uid("box._.10x"), None);
        assert_eq!(name_suffix_uid("box._.-1"), None);
        assert_eq!(name_suffix_uid("box._.99999999999"), None);
        assert_eq!(name_suffix_uid("box.1000"), None);
        // A UID passwd does not know gives no owner.
        assert_eq!(owner(&[], "box._.4242"), None);
    }

    #[test]
    fn passwd_is_only_asked_when_labels_give_nothing() {
        let o = resolve_owner(&labels(&[("aime.mlc", "z")]), "b._.1", |_| {
            panic!("lookup called")
        });
        assert_eq!(o.unwrap().user, "z");
    }

    #[test]
    fn serialises_source_as_its_key() {
        let o = Owner {
            user: "a".into(),
            source: OwnerSource::AimeMlcUser,
        };
        assert_eq!(
            serde_json::to_string(&o).unwrap(),
            r#"{"user":"a","source":"aime.mlc.USER"}"#
        );
    }
}
