//! Who is running ds01-build, and with which privileges: the invoking user from the passwd database
//! (NSS), never `$USER`.
//!
//! [`decide`] is a pure function over the process's real/effective/saved ids, its effective
//! capabilities, sudo's `SUDO_UID`/`SUDO_USER` and a passwd lookup, so every case (plain user, root,
//! sudo, a setgid or setuid copy) is unit-tested without changing identity. [`privilege`] wires it
//! to the real process. The environment counts only where it cannot be the caller's: a process whose
//! real and effective uid are both 0 was started by root or by a set-id-root program that resets the
//! environment (sudo); in a set-id copy (real uid not 0) everything in the environment is the
//! caller's, `SUDO_*` included.

use nix::unistd::{Gid, Group, Uid, User};
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
    #[error("no passwd entry for user {}: expected an existing login name", crate::messages::quoted(.name))]
    UnknownUser { name: String },
    #[error("passwd lookup for {what} failed: {reason}")]
    Lookup { what: String, reason: String },
    #[error("SUDO_UID={sudo_uid:?} and SUDO_USER={sudo_user:?} disagree: cannot tell who ran sudo ({why})")]
    SudoMismatch {
        sudo_uid: Option<String>,
        sudo_user: Option<String>,
        why: String,
    },
    #[error("ds01-build runs with file capabilities (CapEff {cap_eff:#x}) and no set-id bit: not a supported setup (use a sudo rule or a setgid copy; see README \"Deploying on a shared server\")")]
    Capabilities { cap_eff: u64 },
    #[error("cannot read this process's ids: {reason}")]
    Ids { reason: String },
}

/// The ids of a process as the kernel reports them (`getresuid`, `getresgid`, `CapEff`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessIds {
    pub ruid: u32,
    pub euid: u32,
    pub suid: u32,
    pub rgid: u32,
    pub egid: u32,
    pub sgid: u32,
    /// The effective capability set (`CapEff` in `/proc/self/status`).
    pub cap_eff: u64,
}

/// How ds01-build came to run with the ids it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// A user running it as themselves: nothing here is a boundary.
    Plain,
    /// Root itself (real and effective uid 0, not through sudo, or `sudo` run by root).
    Root,
    /// Root reached through sudo by the invoker (`SUDO_UID`, cross-checked with `SUDO_USER`).
    Sudo,
    /// A copy installed setgid to `group` (e.g. the engine socket's group).
    Setgid { group: String },
    /// A copy installed setuid to `user`.
    Setuid { user: String },
}

/// Who invokes ds01-build and how: what every privileged decision reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Privilege {
    pub mode: Mode,
    /// The person behind the call: the real uid's passwd entry, or sudo's `SUDO_UID`.
    pub invoker: Identity,
    /// The ids the process had when [`privilege`] looked.
    pub ids: ProcessIds,
}

impl Privilege {
    /// Whether the process can do more than its invoker could alone: then the caller's environment
    /// is ignored, the engine is the operator's, and the policy applies.
    pub fn elevated(&self) -> bool {
        !matches!(self.mode, Mode::Plain | Mode::Root)
    }

    /// Whether the invoker is root itself (the only one who may always use `--owner`).
    pub fn really_root(&self) -> bool {
        self.mode == Mode::Root
    }

    /// A short description for messages: `sudo`, `setgid docker`, `setuid root`, `root`, `plain`.
    pub fn describe(&self) -> String {
        match &self.mode {
            Mode::Plain => "plain".into(),
            Mode::Root => "root".into(),
            Mode::Sudo => "sudo".into(),
            Mode::Setgid { group } => format!("setgid {group}"),
            Mode::Setuid { user } => format!("setuid {user}"),
        }
    }

    /// The mode name for JSON reports: `plain`, `root`, `sudo`, `setgid`, `setuid`.
    pub fn mode_name(&self) -> &'static str {
        match self.mode {
            Mode::Plain => "plain",
            Mode::Root => "root",
            Mode::Sudo => "sudo",
            Mode::Setgid { .. } => "setgid",
            Mode::Setuid { .. } => "setuid",
        }
    }

    /// `{"mode": ..., "invoker": ..., "elevated": ...}` (and `group`/`user` for set-id copies).
    pub fn to_json(&self) -> serde_json::Value {
        let mut json = serde_json::json!({
            "mode": self.mode_name(),
            "invoker": self.invoker.user,
            "elevated": self.elevated(),
        });
        match &self.mode {
            Mode::Setgid { group } => json["group"] = group.clone().into(),
            Mode::Setuid { user } => json["user"] = user.clone().into(),
            _ => {}
        }
        json
    }
}

/// Decide the mode and the invoker from the process ids, sudo's variables and passwd (`lookup`)
/// and the group database (`group_name`, for messages only):
///
/// - real uid not 0: the invoker is the real uid. An effective or saved uid that differs is a
///   setuid copy, an effective or saved gid that differs a setgid copy; capabilities without a
///   set-id bit are refused. `SUDO_*` is ignored (it is the caller's environment).
/// - real, effective and saved uid 0: root, unless `SUDO_UID` names another user; then that user
///   (sudo writes `SUDO_UID` itself), who must exist and agree with `SUDO_USER` when that is set.
/// - real uid 0 with another effective or saved uid: treated as a setuid copy run by root.
pub fn decide<F, G>(
    ids: ProcessIds,
    sudo_uid: Option<&str>,
    sudo_user: Option<&str>,
    lookup: F,
    group_name: G,
) -> Result<Privilege, IdentityError>
where
    F: Fn(Query<'_>) -> Result<Option<Identity>, IdentityError>,
    G: Fn(u32) -> String,
{
    let by_uid = |uid: u32| lookup(Query::Uid(uid))?.ok_or(IdentityError::UnknownUid { uid });
    let user_name = |uid: u32| {
        lookup(Query::Uid(uid))
            .ok()
            .flatten()
            .map_or_else(|| uid.to_string(), |id| id.user)
    };
    let uid_changed = ids.euid != ids.ruid || ids.suid != ids.ruid;
    if ids.ruid != 0 || uid_changed {
        let mode = if uid_changed {
            Mode::Setuid {
                user: user_name(ids.euid),
            }
        } else if ids.egid != ids.rgid || ids.sgid != ids.rgid {
            Mode::Setgid {
                group: group_name(ids.egid),
            }
        } else if ids.cap_eff != 0 {
            return Err(IdentityError::Capabilities {
                cap_eff: ids.cap_eff,
            });
        } else {
            Mode::Plain
        };
        return Ok(Privilege {
            mode,
            invoker: by_uid(ids.ruid)?,
            ids,
        });
    }
    let mismatch = |why: &str| IdentityError::SudoMismatch {
        sudo_uid: sudo_uid.map(str::to_string),
        sudo_user: sudo_user.map(str::to_string),
        why: why.to_string(),
    };
    let (mode, invoker) = match sudo_uid {
        None if sudo_user.is_some() => return Err(mismatch("SUDO_USER without SUDO_UID")),
        None => (Mode::Root, by_uid(0)?),
        Some(text) => {
            let uid: u32 = text
                .parse()
                .map_err(|_| mismatch("SUDO_UID is not a number"))?;
            let invoker =
                lookup(Query::Uid(uid))?.ok_or_else(|| mismatch("no passwd entry for SUDO_UID"))?;
            if let Some(name) = sudo_user {
                let named = lookup(Query::Name(name))?;
                if named.map(|id| id.uid) != Some(uid) {
                    return Err(mismatch("SUDO_USER is not the user of SUDO_UID"));
                }
            }
            let mode = if uid == 0 { Mode::Root } else { Mode::Sudo };
            (mode, invoker)
        }
    };
    Ok(Privilege { mode, invoker, ids })
}

/// This process's ids and effective capabilities.
pub fn process_ids() -> Result<ProcessIds, IdentityError> {
    let err = |e: nix::Error| IdentityError::Ids {
        reason: e.desc().to_string(),
    };
    let u = nix::unistd::getresuid().map_err(err)?;
    let g = nix::unistd::getresgid().map_err(err)?;
    Ok(ProcessIds {
        ruid: u.real.as_raw(),
        euid: u.effective.as_raw(),
        suid: u.saved.as_raw(),
        rgid: g.real.as_raw(),
        egid: g.effective.as_raw(),
        sgid: g.saved.as_raw(),
        cap_eff: effective_capabilities(),
    })
}

/// `CapEff` from `/proc/self/status` (readable in every mode, also in a non-dumpable process);
/// 0 when `/proc` is not there.
fn effective_capabilities() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("CapEff:"))
                .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        })
        .unwrap_or(0)
}

/// The privilege of this process ([`decide`] over the real ids, `SUDO_UID`, `SUDO_USER`, passwd).
pub fn privilege() -> Result<Privilege, IdentityError> {
    let sudo_uid = std::env::var("SUDO_UID").ok();
    let sudo_user = std::env::var("SUDO_USER").ok();
    decide(
        process_ids()?,
        sudo_uid.as_deref(),
        sudo_user.as_deref(),
        passwd_lookup,
        |gid| {
            Group::from_gid(Gid::from_raw(gid))
                .ok()
                .flatten()
                .map_or_else(|| gid.to_string(), |g| g.name)
        },
    )
}

/// Whether `user` is named in `users` or belongs (in the group database, primary group included)
/// to one of `groups`.
pub fn is_listed(user: &Identity, users: &[String], groups: &[String]) -> bool {
    if users.contains(&user.user) {
        return true;
    }
    if groups.is_empty() {
        return false;
    }
    let Ok(name) = std::ffi::CString::new(user.user.clone()) else {
        return false;
    };
    let member_of = nix::unistd::getgrouplist(&name, Gid::from_raw(user.gid)).unwrap_or_default();
    groups.iter().any(|g| {
        Group::from_name(g)
            .ok()
            .flatten()
            .is_some_and(|group| member_of.contains(&group.gid))
    })
}

/// A passwd query: by uid or by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Query<'a> {
    Uid(u32),
    Name(&'a str),
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
            Query::Name(name) => format!("user {}", crate::messages::quoted(name)),
        },
        reason: errno.desc().to_string(),
    })?;
    Ok(found.map(|user| Identity {
        user: user.name,
        uid: user.uid.as_raw(),
        gid: user.gid.as_raw(),
    }))
}

/// The invoking user of this process (see [`privilege`]).
pub fn invoking() -> Result<Identity, IdentityError> {
    privilege().map(|p| p.invoker)
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

    fn ids(ruid: u32, euid: u32, rgid: u32, egid: u32) -> ProcessIds {
        ProcessIds {
            ruid,
            euid,
            suid: euid,
            rgid,
            egid,
            sgid: egid,
            cap_eff: 0,
        }
    }

    fn decide(
        ids: ProcessIds,
        sudo_uid: Option<&str>,
        sudo_user: Option<&str>,
    ) -> Result<Privilege, IdentityError> {
        super::decide(ids, sudo_uid, sudo_user, fake, |gid| match gid {
            106 => "docker".into(),
            other => other.to_string(),
        })
    }

    #[test]
    fn plain_user_is_the_real_uid_and_sudo_vars_are_ignored() {
        for (uid, user) in [
            (None, None),
            (Some("1000"), Some("alice")),
            (Some("0"), None),
        ] {
            let p = decide(ids(1001, 1001, 100, 100), uid, user).unwrap();
            assert_eq!(
                (p.mode.clone(), p.invoker.user.as_str()),
                (Mode::Plain, "bob")
            );
            assert!(!p.elevated() && !p.really_root());
        }
    }

    #[test]
    fn setgid_and_setuid_copies_are_elevated_as_the_real_user() {
        // A setgid-docker copy: SUDO_USER from the caller's environment counts for nothing.
        let p = decide(ids(1001, 1001, 100, 106), Some("1000"), Some("alice")).unwrap();
        assert_eq!(
            p.mode,
            Mode::Setgid {
                group: "docker".into()
            }
        );
        assert_eq!(p.invoker.user, "bob");
        assert!(p.elevated() && !p.really_root());
        assert_eq!(p.describe(), "setgid docker");
        // A setuid-root copy with forged sudo variables: still bob, never root.
        let p = decide(ids(1001, 0, 100, 100), Some("0"), Some("root")).unwrap();
        assert_eq!(
            p.mode,
            Mode::Setuid {
                user: "root".into()
            }
        );
        assert_eq!(p.invoker.user, "bob");
        assert!(p.elevated() && !p.really_root());
        // Only the saved uid differs (a copy that dropped its euid): still setuid.
        let mut dropped = ids(1001, 1001, 100, 100);
        dropped.suid = 0;
        assert!(decide(dropped, None, None).unwrap().elevated());
        // Root that lowered its effective uid: treated as a setuid copy, not as root.
        let p = decide(ids(0, 1000, 0, 0), None, None).unwrap();
        assert!(p.elevated() && !p.really_root());
    }

    #[test]
    fn capabilities_without_set_id_bits_are_refused() {
        let mut caps = ids(1001, 1001, 100, 100);
        caps.cap_eff = 0x2;
        let e = decide(caps, None, None).unwrap_err().to_string();
        assert!(e.contains("file capabilities (CapEff 0x2)"), "{e}");
    }

    #[test]
    fn root_without_sudo_is_root() {
        for (uid, user) in [(None, None), (Some("0"), Some("root")), (Some("0"), None)] {
            let p = decide(ids(0, 0, 0, 0), uid, user).unwrap();
            assert_eq!((p.mode.clone(), p.invoker.uid), (Mode::Root, 0));
            assert!(p.really_root() && !p.elevated());
        }
    }

    #[test]
    fn sudo_is_sudo_uid_cross_checked_with_sudo_user() {
        let p = decide(ids(0, 0, 0, 0), Some("1001"), Some("bob")).unwrap();
        assert_eq!(p.mode, Mode::Sudo);
        assert_eq!(
            p.invoker,
            Identity {
                user: "bob".into(),
                uid: 1001,
                gid: 100
            }
        );
        assert!(p.elevated() && !p.really_root());
        assert_eq!(
            decide(ids(0, 0, 0, 0), Some("1001"), None)
                .unwrap()
                .invoker
                .user,
            "bob"
        );
        for (uid, user, why) in [
            (
                Some("1001"),
                Some("alice"),
                "SUDO_USER is not the user of SUDO_UID",
            ),
            (
                Some("1001"),
                Some("mallory"),
                "SUDO_USER is not the user of SUDO_UID",
            ),
            (Some("4242"), None, "no passwd entry for SUDO_UID"),
            (Some("bob"), None, "SUDO_UID is not a number"),
            (Some(""), None, "SUDO_UID is not a number"),
            (None, Some("bob"), "SUDO_USER without SUDO_UID"),
        ] {
            let e = decide(ids(0, 0, 0, 0), uid, user).unwrap_err().to_string();
            assert!(
                e.contains("cannot tell who ran sudo") && e.contains(why),
                "{e}"
            );
        }
    }

    #[test]
    fn unknown_real_uid_is_an_error() {
        assert_eq!(
            decide(ids(4242, 4242, 4242, 4242), None, None),
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
        if std::env::var_os("SUDO_UID").is_none() {
            let ids = process_ids().unwrap();
            assert_eq!(invoking().unwrap().uid, ids.ruid);
        }
    }

    #[test]
    fn root_is_listed_by_name_and_by_group() {
        let root = lookup_user("root").unwrap();
        assert!(is_listed(&root, &["root".into()], &[]));
        assert!(is_listed(&root, &[], &["root".into()]));
        assert!(!is_listed(
            &root,
            &["alice".into()],
            &["ds01-no-such-group".into()]
        ));
    }
}
