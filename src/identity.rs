//! Who is running ds01-build: the invoking user from the passwd database (NSS), never `$USER`.
//!
//! Resolution is [`resolve`], a pure function over the effective uid, the `SUDO_USER` value and a
//! lookup function, so root, sudo and plain-user cases are unit-tested without changing identity.
//! [`invoking`] wires it to the real process and passwd database.

use nix::unistd::{geteuid, Uid, User};
use thiserror::Error;

/// A user as the passwd database knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// Login name.
    pub user: String,
    pub uid: u32,
    /// Primary gid.
    pub gid: u32,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum IdentityError {
    #[error("no passwd entry for uid {uid}: cannot tell who is invoking ds01-build")]
    UnknownUid { uid: u32 },
    #[error("no passwd entry for user {name:?}: expected an existing login name")]
    UnknownUser { name: String },
    #[error("passwd lookup for {what} failed: {reason}")]
    Lookup { what: String, reason: String },
}

/// A passwd query: by uid or by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Query<'a> {
    Uid(u32),
    Name(&'a str),
}

/// The invoking user, given the effective uid, the value of `SUDO_USER` (if set) and a passwd lookup.
///
/// - euid 0 with a non-empty `SUDO_USER` (other than `root`): that user, looked up by name — the
///   person who ran `sudo`.
/// - otherwise: the passwd entry of the effective uid (root itself when run as root without sudo).
///
/// `SUDO_USER` is ignored for non-root processes: anyone can set it.
pub fn resolve<F>(euid: u32, sudo_user: Option<&str>, lookup: F) -> Result<Identity, IdentityError>
where
    F: Fn(Query<'_>) -> Result<Option<Identity>, IdentityError>,
{
    if euid == 0 {
        if let Some(name) = sudo_user.filter(|n| !n.is_empty() && *n != "root") {
            return lookup(Query::Name(name))?.ok_or_else(|| IdentityError::UnknownUser {
                name: name.to_string(),
            });
        }
    }
    lookup(Query::Uid(euid))?.ok_or(IdentityError::UnknownUid { uid: euid })
}

/// The real passwd lookup through NSS.
pub fn passwd_lookup(query: Query<'_>) -> Result<Option<Identity>, IdentityError> {
    let found = match query {
        Query::Uid(uid) => User::from_uid(Uid::from_raw(uid)),
        Query::Name(name) => User::from_name(name),
    };
    let found = found.map_err(|errno| IdentityError::Lookup {
        what: match query {
            Query::Uid(uid) => format!("uid {uid}"),
            Query::Name(name) => format!("user {name:?}"),
        },
        reason: errno.desc().to_string(),
    })?;
    Ok(found.map(|user| Identity {
        user: user.name,
        uid: user.uid.as_raw(),
        gid: user.gid.as_raw(),
    }))
}

/// The invoking user of this process: `SUDO_USER` when running as root through sudo, else the passwd
/// entry of the effective uid.
pub fn invoking() -> Result<Identity, IdentityError> {
    let sudo_user = std::env::var("SUDO_USER").ok();
    resolve(geteuid().as_raw(), sudo_user.as_deref(), passwd_lookup)
}

/// The login name of `uid`, if passwd knows it (for `NAME._.UID` container names).
pub fn user_by_uid(uid: u32) -> Option<String> {
    passwd_lookup(Query::Uid(uid))
        .ok()
        .flatten()
        .map(|id| id.user)
}

/// The passwd entry of a login name.
pub fn lookup_user(name: &str) -> Result<Identity, IdentityError> {
    passwd_lookup(Query::Name(name))?.ok_or_else(|| IdentityError::UnknownUser {
        name: name.to_string(),
    })
}

/// Whether the effective uid is 0.
pub fn is_root() -> bool {
    geteuid().is_root()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake(query: Query<'_>) -> Result<Option<Identity>, IdentityError> {
        let id = |user: &str, uid, gid| Identity {
            user: user.into(),
            uid,
            gid,
        };
        Ok(match query {
            Query::Uid(0) | Query::Name("root") => Some(id("root", 0, 0)),
            Query::Uid(1000) | Query::Name("alice") => Some(id("alice", 1000, 1000)),
            Query::Uid(1001) | Query::Name("bob") => Some(id("bob", 1001, 100)),
            _ => None,
        })
    }

    #[test]
    fn plain_user_is_the_effective_uid() {
        assert_eq!(resolve(1001, None, fake).unwrap().user, "bob");
        // SUDO_USER from a non-root process is not trusted.
        assert_eq!(resolve(1001, Some("alice"), fake).unwrap().user, "bob");
    }

    #[test]
    fn root_without_sudo_is_root() {
        assert_eq!(resolve(0, None, fake).unwrap().uid, 0);
        assert_eq!(resolve(0, Some(""), fake).unwrap().user, "root");
        assert_eq!(resolve(0, Some("root"), fake).unwrap().user, "root");
    }

    #[test]
    fn sudo_is_the_sudo_user() {
        let id = resolve(0, Some("bob"), fake).unwrap();
        assert_eq!(
            id,
            Identity {
                user: "bob".into(),
                uid: 1001,
                gid: 100
            }
        );
    }

    #[test]
    fn unknown_users_are_errors() {
        assert_eq!(
            resolve(0, Some("mallory"), fake),
            Err(IdentityError::UnknownUser {
                name: "mallory".into()
            })
        );
        assert_eq!(
            resolve(4242, None, fake),
            Err(IdentityError::UnknownUid { uid: 4242 })
        );
    }

    #[test]
    fn real_passwd_has_root() {
        assert_eq!(user_by_uid(0).as_deref(), Some("root"));
        assert_eq!(lookup_user("root").unwrap().uid, 0);
        assert!(matches!(
            lookup_user("ds01-no-such-user-x"),
            Err(IdentityError::UnknownUser { .. })
        ));
        if std::env::var_os("SUDO_USER").is_none() {
            assert_eq!(invoking().unwrap().uid, geteuid().as_raw());
        }
    }
}
