//! The operator's configuration: `/etc/ds01-build/config.toml`, trusted only when root alone can
//! change it.
//!
//! Which file: with privileges ([`crate::identity::Privilege::elevated`]) always [`CONFIG_PATH`];
//! without, `DS01_BUILD_CONFIG` if set (so policies can be tried without root), else the same path.
//! A missing file is no configuration. A file that exists must pass [`check_trusted`] (it and every
//! directory above it, before and after resolving symlinks, root-owned and writable by root only;
//! sticky directories such as `/tmp` allowed) and parse; anything else is exit 2 naming the file,
//! the line or the ancestor at fault. The engine program named here passes the same check.

use std::path::{Component, Path, PathBuf};

use serde::Deserialize;
use thiserror::Error;

use crate::engine::{Engine, EngineKind};
use crate::identity::Privilege;
use crate::policy::{CgroupParentConfig, MountsConfig, OptionsConfig};

/// Where the operator's configuration lives.
pub const CONFIG_PATH: &str = "/etc/ds01-build/config.toml";

/// Environment variable naming another configuration file; ignored with privileges.
pub const CONFIG_ENV: &str = "DS01_BUILD_CONFIG";

/// The file's contents.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub engine: EngineConfig,
    #[serde(default)]
    pub admins: Admins,
    /// The passthrough policy ([`crate::policy`]): options allowed, allowed with some values, denied.
    pub options: Option<OptionsConfig>,
    /// Which host paths `-v`/`--mount` may bind.
    pub mounts: Option<MountsConfig>,
    /// Which `--cgroup-parent` values are the owner's.
    #[serde(rename = "cgroup-parent")]
    pub cgroup_parent: Option<CgroupParentConfig>,
}

/// `[engine]`: the engine program and the environment it runs in when elevated.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct EngineConfig {
    /// An absolute path to the engine CLI (checked like the file itself; run by its canonical path).
    pub program: Option<PathBuf>,
    /// `docker` or `podman`; else from the program's file name.
    pub kind: Option<KindName>,
    /// `DOCKER_HOST` for the engine when elevated (else unset).
    pub host: Option<String>,
    /// `DOCKER_CONFIG` for the engine when elevated (default [`DEFAULT_DOCKER_CONFIG`]).
    pub docker_config: Option<PathBuf>,
}

/// The engine kinds a configuration names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KindName {
    Docker,
    Podman,
}

impl From<KindName> for EngineKind {
    fn from(kind: KindName) -> Self {
        match kind {
            KindName::Docker => EngineKind::Docker,
            KindName::Podman => EngineKind::Podman,
        }
    }
}

/// The engine's `DOCKER_CONFIG` when elevated, unless `engine.docker-config` says otherwise: a
/// root-owned place, so no caller's credential helper or CLI plugin runs with the engine's rights.
pub const DEFAULT_DOCKER_CONFIG: &str = "/etc/ds01-build/docker";

/// `[admins]`: who may use `--owner` besides root itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Admins {
    #[serde(default)]
    pub users: Vec<String>,
    /// Group names; membership is read from the group database (primary group included).
    #[serde(default)]
    pub groups: Vec<String>,
}

/// A configuration read from `path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    pub path: PathBuf,
    pub config: Config,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("configuration {file}: {why}")]
    Untrusted { file: String, why: String },
    #[error("{file}: {error}")]
    Read { file: String, error: String },
    #[error("{file}:{line}: {message}")]
    Parse {
        file: String,
        line: usize,
        message: String,
    },
}

/// What a checked path must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trust {
    /// A regular file root alone can change.
    File,
    /// The same, executable.
    Program,
}

/// What [`check_trusted`] needs to know of a path (from `lstat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    pub uid: u32,
    pub gid: u32,
    /// `st_mode` (type and permission bits).
    pub mode: u32,
}

const S_IFMT: u32 = 0o170_000;
const S_IFDIR: u32 = 0o040_000;
const S_IFREG: u32 = 0o100_000;
const S_IFLNK: u32 = 0o120_000;

impl Meta {
    fn kind(self) -> u32 {
        self.mode & S_IFMT
    }
}

/// Check that root alone can change `path`: the path as given and its canonical form, each with
/// every directory above it, must be root-owned and not writable by group or others (a directory
/// with the sticky bit, such as `/tmp`, may be); the file itself must be regular (and executable
/// for [`Trust::Program`]). Returns the canonical path, the one to open or run, so no symlink can
/// be swapped in between. `lstat` and `canonicalize` are the file system's (see [`trusted`]).
pub fn check_trusted(
    path: &Path,
    trust: Trust,
    lstat: &dyn Fn(&Path) -> std::io::Result<Meta>,
    canonicalize: &dyn Fn(&Path) -> std::io::Result<PathBuf>,
    group_name: &dyn Fn(u32) -> String,
) -> Result<PathBuf, String> {
    if !path.is_absolute() {
        return Err("not an absolute path".into());
    }
    if path
        .components()
        .any(|c| matches!(c, Component::ParentDir | Component::CurDir))
    {
        return Err("has '.' or '..' components: give the plain absolute path".into());
    }
    let canonical = canonicalize(path).map_err(|e| e.to_string())?;
    for checked in [path, canonical.as_path()] {
        for dir in checked.ancestors().skip(1) {
            let meta = lstat(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            check_owner(dir, meta, group_name)?;
        }
    }
    if path != canonical {
        // The link itself: root's, in a directory only root can change (checked above).
        let meta = lstat(path).map_err(|e| e.to_string())?;
        if meta.uid != 0 {
            return Err(format!("is a symlink owned by uid {}, not root", meta.uid));
        }
    }
    let meta = lstat(&canonical).map_err(|e| format!("{}: {e}", canonical.display()))?;
    if meta.kind() != S_IFREG {
        return Err(format!("{} is not a regular file", canonical.display()));
    }
    check_owner(&canonical, meta, group_name)?;
    if trust == Trust::Program && meta.mode & 0o111 == 0 {
        return Err(format!("{} is not executable", canonical.display()));
    }
    Ok(canonical)
}

fn check_owner(path: &Path, meta: Meta, group_name: &dyn Fn(u32) -> String) -> Result<(), String> {
    let shown = path.display();
    if meta.kind() == S_IFLNK {
        // Only on the path as given: a root-owned link in a root-only directory is fine.
        if meta.uid != 0 {
            return Err(format!(
                "{shown} is a symlink owned by uid {}, not root",
                meta.uid
            ));
        }
        return Ok(());
    }
    if meta.uid != 0 {
        return Err(format!(
            "{shown} is owned by uid {}, not root: must be root's and writable by root only",
            meta.uid
        ));
    }
    let sticky_dir = meta.kind() == S_IFDIR && meta.mode & 0o1000 != 0;
    if meta.mode & 0o020 != 0 && !sticky_dir {
        return Err(format!(
            "{shown} is group-writable (mode {:04o}, group {}): must be writable by root only",
            meta.mode & 0o7777,
            group_name(meta.gid)
        ));
    }
    if meta.mode & 0o002 != 0 && !sticky_dir {
        return Err(format!(
            "{shown} is world-writable (mode {:04o}): must be writable by root only",
            meta.mode & 0o7777
        ));
    }
    Ok(())
}

/// [`check_trusted`] against the real file system and group database.
pub fn trusted(path: &Path, trust: Trust) -> Result<PathBuf, String> {
    use std::os::unix::fs::MetadataExt;
    check_trusted(
        path,
        trust,
        &|p| {
            std::fs::symlink_metadata(p).map(|m| Meta {
                uid: m.uid(),
                gid: m.gid(),
                mode: m.mode(),
            })
        },
        &|p| std::fs::canonicalize(p),
        &|gid| {
            nix::unistd::Group::from_gid(nix::unistd::Gid::from_raw(gid))
                .ok()
                .flatten()
                .map_or_else(|| gid.to_string(), |g| g.name)
        },
    )
}

/// The configuration file for a process (`elevated` or not) and the value of [`CONFIG_ENV`].
pub fn config_path(elevated: bool, env_value: Option<&str>) -> PathBuf {
    match env_value.filter(|v| !v.is_empty() && !elevated) {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(CONFIG_PATH),
    }
}

/// Read the configuration at `path`: `None` when there is no file.
pub fn load(path: &Path) -> Result<Option<Loaded>, ConfigError> {
    let file = path.display().to_string();
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(ConfigError::Read {
                file,
                error: e.to_string(),
            })
        }
        Ok(_) => {}
    }
    let canonical = trusted(path, Trust::File).map_err(|why| ConfigError::Untrusted {
        file: file.clone(),
        why,
    })?;
    // A regular file of at most 1 MiB (caller_file::MAX_BYTES), opened without blocking.
    let text =
        crate::caller_file::read_own_to_string(&canonical).map_err(|e| ConfigError::Read {
            file: file.clone(),
            error: e.to_string(),
        })?;
    let config = parse(&text).map_err(|(line, message)| ConfigError::Parse {
        file: file.clone(),
        line,
        message,
    })?;
    Ok(Some(Loaded {
        path: path.to_path_buf(),
        config,
    }))
}

/// Parse a configuration's text; an error is (line, one-line message).
pub fn parse(text: &str) -> Result<Config, (usize, String)> {
    let config: Config = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map_or(1, |span| text[..span.start].matches('\n').count() + 1);
        let message = e.message().lines().next().unwrap_or("invalid").to_string();
        (line, message)
    })?;
    Ok(config)
}

/// The engine programs tried, in order, when elevated without `engine.program`.
pub const DEFAULT_ENGINES: [&str; 3] = [
    "/usr/bin/docker",
    "/usr/local/bin/docker",
    "/usr/bin/podman",
];

/// `PATH` for the engine when elevated.
pub const ENGINE_PATH: &str = "/usr/sbin:/usr/bin:/sbin:/bin";

/// What the engine choice depends on.
pub struct EngineRequest<'a> {
    /// The caller's choice, if any: (where it came from, e.g. `--engine`, and the value).
    pub explicit: Option<(&'a str, &'a str)>,
    pub privilege: &'a Privilege,
    pub config: Option<&'a Loaded>,
    pub verbose: bool,
}

/// Choose the engine program and its environment.
///
/// Without privileges: the caller's `--engine`/`DS01_BUILD_ENGINE`, else `engine.program` from the
/// configuration, else `docker` or `podman` on `PATH`; the engine inherits the environment.
/// With privileges: `engine.program`, else the first of [`DEFAULT_ENGINES`] that is trusted; it must
/// pass [`trusted`] and runs by its canonical path with a rebuilt environment (`PATH`
/// [`ENGINE_PATH`], `DOCKER_CONFIG` from `engine.docker-config`, `DOCKER_HOST` only from
/// `engine.host`, `HOME=/root` when the effective uid is 0), from `/`. A caller's choice that names
/// another program is refused: no caller-controlled program or variable reaches the engine.
pub fn choose_engine(request: &EngineRequest<'_>) -> Result<Engine, String> {
    let engine_config = request
        .config
        .map(|l| l.config.engine.clone())
        .unwrap_or_default();
    if !request.privilege.elevated() {
        if let Some((_, value)) = request.explicit.filter(|(_, v)| !v.is_empty()) {
            return Ok(Engine::new(value, request.verbose));
        }
        if let (Some(program), Some(_)) = (&engine_config.program, request.config) {
            let engine = Engine::new(program.display().to_string(), request.verbose);
            return Ok(match engine_config.kind {
                Some(kind) => engine.with_kind(kind.into()),
                None => engine,
            });
        }
        return Ok(Engine::detect(None, request.verbose));
    }
    let (configured, source) = match (&engine_config.program, request.config) {
        (Some(program), Some(loaded)) => (
            program.clone(),
            format!("engine.program in {}", loaded.path.display()),
        ),
        _ => {
            let found = DEFAULT_ENGINES
                .iter()
                .map(PathBuf::from)
                .find(|p| trusted(p, Trust::Program).is_ok())
                .ok_or_else(|| {
                    format!(
                        "no trusted engine program among {} (with privileges ({})): set engine.program in {CONFIG_PATH}",
                        DEFAULT_ENGINES.join(", "),
                        request.privilege.describe()
                    )
                })?;
            (found, "built-in default".to_string())
        }
    };
    let canonical = trusted(&configured, Trust::Program)
        .map_err(|why| format!("engine program {} ({source}): {why}", configured.display()))?;
    if let Some((origin, value)) = request.explicit.filter(|(_, v)| !v.is_empty()) {
        if Path::new(value) != configured && Path::new(value) != canonical {
            let origin = if origin.starts_with("--") {
                format!("{origin} {value}")
            } else {
                format!("{origin}={value}")
            };
            return Err(format!(
                "{origin}: not accepted with privileges ({}): the engine is {} ({source})",
                request.privilege.describe(),
                configured.display()
            ));
        }
    }
    let kind = match engine_config.kind {
        Some(kind) => kind.into(),
        None => Engine::new(configured.display().to_string(), false).kind(),
    };
    let mut env = vec![
        ("PATH".to_string(), ENGINE_PATH.to_string()),
        (
            "DOCKER_CONFIG".to_string(),
            engine_config
                .docker_config
                .unwrap_or_else(|| PathBuf::from(DEFAULT_DOCKER_CONFIG))
                .display()
                .to_string(),
        ),
    ];
    if let Some(host) = engine_config.host {
        env.push(("DOCKER_HOST".to_string(), host));
    }
    if request.privilege.ids.euid == 0 {
        env.push(("HOME".to_string(), "/root".to_string()));
    }
    Ok(Engine::operator(
        canonical.display().to_string(),
        kind,
        env,
        format!("{} ({source})", configured.display()),
        request.verbose,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn meta(uid: u32, mode: u32) -> Meta {
        Meta { uid, gid: 50, mode }
    }

    /// A fake file system: path → metadata, plus symlinks (path → target).
    fn check(
        tree: &[(&str, Meta)],
        links: &[(&str, &str)],
        path: &str,
        trust: Trust,
    ) -> Result<PathBuf, String> {
        let tree: BTreeMap<PathBuf, Meta> =
            tree.iter().map(|(p, m)| (PathBuf::from(p), *m)).collect();
        let links: BTreeMap<PathBuf, PathBuf> = links
            .iter()
            .map(|(p, t)| (PathBuf::from(p), PathBuf::from(t)))
            .collect();
        check_trusted(
            Path::new(path),
            trust,
            &|p| {
                if links.contains_key(p) {
                    return Ok(meta(0, S_IFLNK | 0o777));
                }
                tree.get(p)
                    .copied()
                    .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "not found"))
            },
            &|p| Ok(links.get(p).cloned().unwrap_or_else(|| p.to_path_buf())),
            &|gid| format!("g{gid}"),
        )
    }

    const DIR: u32 = S_IFDIR | 0o755;
    const FILE: u32 = S_IFREG | 0o644;
    const EXE: u32 = S_IFREG | 0o755;

    fn base() -> Vec<(&'static str, Meta)> {
        vec![
            ("/", meta(0, DIR)),
            ("/etc", meta(0, DIR)),
            ("/etc/ds01-build", meta(0, DIR)),
            ("/etc/ds01-build/config.toml", meta(0, FILE)),
            ("/usr", meta(0, DIR)),
            ("/usr/bin", meta(0, DIR)),
            ("/usr/bin/docker", meta(0, EXE)),
            ("/tmp", meta(0, S_IFDIR | 0o1777)),
            ("/tmp/d", meta(0, DIR)),
            ("/tmp/d/docker", meta(0, EXE)),
        ]
    }

    #[test]
    fn root_only_files_are_trusted() {
        let cfg = "/etc/ds01-build/config.toml";
        assert_eq!(
            check(&base(), &[], cfg, Trust::File),
            Ok(PathBuf::from(cfg))
        );
        assert!(check(&base(), &[], "/usr/bin/docker", Trust::Program).is_ok());
        // A root-owned directory in the sticky /tmp is fine.
        assert!(check(&base(), &[], "/tmp/d/docker", Trust::Program).is_ok());
        // A root symlink resolves, and the canonical path is what to run.
        assert_eq!(
            check(
                &base(),
                &[("/usr/bin/eng", "/usr/bin/docker")],
                "/usr/bin/eng",
                Trust::Program
            ),
            Ok(PathBuf::from("/usr/bin/docker"))
        );
    }

    #[test]
    fn anything_another_user_could_change_is_refused() {
        let cfg = "/etc/ds01-build/config.toml";
        let with = |path: &'static str, m: Meta| {
            let mut tree = base();
            tree.retain(|(p, _)| *p != path);
            tree.push((path, m));
            tree
        };
        type Tree = Vec<(&'static str, Meta)>;
        let cases: Vec<(Tree, &str, Trust, &str)> = vec![
            (
                with(cfg, meta(0, S_IFREG | 0o664)),
                cfg,
                Trust::File,
                "config.toml is group-writable (mode 0664, group g50): must be writable by root only",
            ),
            (
                with(cfg, meta(0, S_IFREG | 0o646)),
                cfg,
                Trust::File,
                "world-writable (mode 0646)",
            ),
            (
                with(cfg, meta(1000, FILE)),
                cfg,
                Trust::File,
                "config.toml is owned by uid 1000, not root",
            ),
            (
                with("/etc/ds01-build", meta(1000, DIR)),
                cfg,
                Trust::File,
                "/etc/ds01-build is owned by uid 1000",
            ),
            (
                with("/usr", meta(0, S_IFDIR | 0o2775)),
                "/usr/bin/docker",
                Trust::Program,
                "/usr is group-writable (mode 2775",
            ),
            (
                with("/usr/bin/docker", meta(0, FILE)),
                "/usr/bin/docker",
                Trust::Program,
                "/usr/bin/docker is not executable",
            ),
            (
                with("/usr/bin/docker", meta(0, S_IFDIR | 0o755)),
                "/usr/bin/docker",
                Trust::Program,
                "is not a regular file",
            ),
            // A sticky bit protects directories, not files.
            (
                with("/usr/bin/docker", meta(0, S_IFREG | 0o1777)),
                "/usr/bin/docker",
                Trust::Program,
                "group-writable",
            ),
        ];
        for (tree, path, trust, needle) in cases {
            let e = check(&tree, &[], path, trust).unwrap_err();
            assert!(e.contains(needle), "{path}: {e}");
        }
        // A symlink into a user's directory: the target's directories are checked too.
        let mut tree = base();
        tree.push(("/home", meta(0, DIR)));
        tree.push(("/home/u", meta(1000, DIR)));
        tree.push(("/home/u/docker", meta(1000, EXE)));
        let e = check(
            &tree,
            &[("/usr/bin/eng", "/home/u/docker")],
            "/usr/bin/eng",
            Trust::Program,
        )
        .unwrap_err();
        assert!(e.contains("/home/u is owned by uid 1000"), "{e}");
        assert_eq!(
            check(&base(), &[], "docker", Trust::Program).unwrap_err(),
            "not an absolute path"
        );
        assert!(
            check(&base(), &[], "/usr/bin/../bin/docker", Trust::Program)
                .unwrap_err()
                .contains("'..'")
        );
    }

    #[test]
    fn config_format() {
        let config = parse(
            "[engine]\nprogram = \"/usr/bin/docker\"\nkind = \"docker\"\n\n[admins]\nusers = [\"datasciencelab\"]\ngroups = [\"ds01-admin\"]\n",
        )
        .unwrap();
        assert_eq!(
            config.engine.program.as_deref(),
            Some(Path::new("/usr/bin/docker"))
        );
        assert_eq!(config.engine.kind, Some(KindName::Docker));
        assert_eq!(config.admins.users, ["datasciencelab"]);
        assert_eq!(config.admins.groups, ["ds01-admin"]);
        assert_eq!(parse("").unwrap(), Config::default());
        let (line, message) = parse("[admins]\nusers = [\"a\"]\nuser = [\"b\"]\n").unwrap_err();
        assert_eq!(line, 3, "{message}");
        assert!(message.contains("unknown field `user`"), "{message}");
        let (line, message) = parse("[engine]\nkind = \"lxc\"\n").unwrap_err();
        assert_eq!(line, 2);
        assert!(
            message.contains("docker") && message.contains("podman"),
            "{message}"
        );
    }

    #[test]
    fn the_env_override_is_for_unprivileged_runs_only() {
        assert_eq!(
            config_path(false, Some("/tmp/c.toml")),
            Path::new("/tmp/c.toml")
        );
        assert_eq!(
            config_path(true, Some("/tmp/c.toml")),
            Path::new(CONFIG_PATH)
        );
        assert_eq!(config_path(false, None), Path::new(CONFIG_PATH));
        assert_eq!(config_path(false, Some("")), Path::new(CONFIG_PATH));
    }

    fn privilege(mode: crate::identity::Mode, euid: u32) -> Privilege {
        Privilege {
            mode,
            invoker: crate::identity::Identity {
                user: "alice".into(),
                uid: 1000,
                gid: 1000,
            },
            ids: crate::identity::ProcessIds {
                ruid: if euid == 0 { 0 } else { 1000 },
                euid,
                suid: euid,
                rgid: 1000,
                egid: 106,
                sgid: 106,
                cap_eff: 0,
            },
        }
    }

    fn loaded(text: &str) -> Loaded {
        Loaded {
            path: PathBuf::from("/etc/ds01-build/config.toml"),
            config: parse(text).unwrap(),
        }
    }

    fn choose(
        explicit: Option<(&str, &str)>,
        privilege: &Privilege,
        config: Option<&Loaded>,
    ) -> Result<Engine, String> {
        choose_engine(&EngineRequest {
            explicit,
            privilege,
            config,
            verbose: false,
        })
    }

    #[test]
    fn without_privileges_the_caller_chooses() {
        let plain = privilege(crate::identity::Mode::Plain, 1000);
        let config = loaded("[engine]\nprogram = \"/opt/podman\"\nkind = \"docker\"\n");
        let engine = choose(Some(("--engine", "/tmp/x/docker")), &plain, Some(&config)).unwrap();
        assert_eq!(engine.program(), "/tmp/x/docker");
        assert!(!engine.is_operators());
        let engine = choose(None, &plain, Some(&config)).unwrap();
        assert_eq!(
            (engine.program(), engine.kind()),
            ("/opt/podman", EngineKind::Docker)
        );
    }

    #[test]
    fn with_privileges_the_operator_chooses_and_the_environment_is_rebuilt() {
        let sudo = privilege(crate::identity::Mode::Sudo, 0);
        // /bin/sh is a root-owned symlink on every Debian: the canonical path is what runs.
        let config = loaded(
            "[engine]\nprogram = \"/bin/sh\"\nkind = \"podman\"\nhost = \"unix:///run/x.sock\"\n",
        );
        let canonical = std::fs::canonicalize("/bin/sh").unwrap();
        let engine = choose(None, &sudo, Some(&config)).unwrap();
        assert!(engine.is_operators());
        assert_eq!(engine.program(), canonical.to_str().unwrap());
        assert_eq!(engine.kind(), EngineKind::Podman);
        // Exactly the rebuilt environment: prints it.
        let env = engine.command(["-c", "env | sort"]).output().unwrap();
        assert_eq!(
            env,
            "DOCKER_CONFIG=/etc/ds01-build/docker\nDOCKER_HOST=unix:///run/x.sock\nHOME=/root\nPATH=/usr/sbin:/usr/bin:/sbin:/bin\nPWD=/\n"
        );
        // The configured program itself may be named; anything else is refused.
        assert!(choose(Some(("--engine", "/bin/sh")), &sudo, Some(&config)).is_ok());
        let e = choose(
            Some((crate::engine::ENGINE_ENV, "/tmp/evil")),
            &sudo,
            Some(&config),
        )
        .unwrap_err();
        assert_eq!(
            e,
            "DS01_BUILD_ENGINE=/tmp/evil: not accepted with privileges (sudo): the engine is /bin/sh (engine.program in /etc/ds01-build/config.toml)"
        );
        let setgid = privilege(
            crate::identity::Mode::Setgid {
                group: "docker".into(),
            },
            1000,
        );
        let e = choose(Some(("--engine", "docker")), &setgid, Some(&config)).unwrap_err();
        assert!(e.starts_with("--engine docker: not accepted with privileges (setgid docker)"));
        let untrusted = loaded("[engine]\nprogram = \"relative/docker\"\n");
        let e = choose(None, &setgid, Some(&untrusted)).unwrap_err();
        assert!(e.contains("relative/docker (engine.program in /etc/ds01-build/config.toml): not an absolute path"), "{e}");
    }

    #[test]
    fn the_readmes_configuration_examples_parse() {
        let readme = include_str!("../README.md");
        let section = readme
            .split("\n## Deploying on a shared server\n")
            .nth(1)
            .and_then(|rest| rest.split("\n## ").next())
            .expect("README has a Deploying on a shared server section");
        let blocks: Vec<&str> = section
            .split("```toml\n")
            .skip(1)
            .map(|b| b.split("```").next().unwrap())
            .collect();
        assert_eq!(blocks.len(), 2, "{section}");
        for block in blocks {
            parse(block).unwrap_or_else(|e| panic!("{e:?}\n{block}"));
        }
    }

    #[test]
    fn a_missing_file_is_no_configuration() {
        assert_eq!(
            load(Path::new("/nonexistent/ds01-build/config.toml")),
            Ok(None)
        );
    }
}
