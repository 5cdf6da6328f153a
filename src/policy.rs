//! The passthrough policy: which `docker create` options, values and mount sources a caller may
//! hand the engine through `create -- ...`.
//!
//! Configured in the operator's file ([`crate::config`]: `[options]`, `[mounts]`,
//! `[cgroup-parent]`); a section the file leaves out is the built-in default's. Which policy applies
//! ([`Policy::applying`]): with privileges always (the file's, else [`Policy::built_in`]); without,
//! only when the file has a policy section (then it is a convenience, not a boundary: the user could
//! run the engine directly). [`check`] is pure: it gets the options as the scanner read them, the
//! owner, and a function resolving host paths as the invoker.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;
use thiserror::Error;

/// `[options]`: long option names (without `--`; short forms and aliases are normalised).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionsConfig {
    /// Allowed with any value (`volume`, `mount`: subject to `[mounts]`).
    #[serde(default)]
    pub allow: Vec<String>,
    /// Refused.
    #[serde(default)]
    pub deny: Vec<String>,
    /// Allowed with these exact values only (templates `{uid}`, `{gid}`, `{user}`: the owner's).
    #[serde(default)]
    pub values: BTreeMap<String, Vec<String>>,
}

/// `[mounts]`: what `-v`/`--mount` may bind.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct MountsConfig {
    /// Host paths a bind may name, at or below (templates `{home}`, `{user}`, `{uid}`).
    #[serde(default)]
    pub sources: Vec<String>,
    /// Whether named volumes may be mounted.
    #[serde(default)]
    pub named_volumes: bool,
    /// Allowed bind propagation modes.
    #[serde(default = "default_propagation")]
    pub propagation: Vec<String>,
}

/// `[cgroup-parent]`: the slices that are the owner's.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CgroupParentConfig {
    /// Allowed values (templates `{user}`, `{uid}`, `{slice_user}`, `{group}`).
    #[serde(default)]
    pub allow: Vec<String>,
    /// Directory of `{group}.members` files (one name per line, `#` comments) giving `{group}`.
    pub groups_dir: Option<PathBuf>,
    /// `{group}` for a user in no members file.
    #[serde(default = "default_group")]
    pub default_group: String,
    /// Refuse a create without `--cgroup-parent`.
    #[serde(default)]
    pub required: bool,
}

fn default_propagation() -> Vec<String> {
    strings(&["private", "rprivate", "slave", "rslave"])
}

fn default_group() -> String {
    "student".into()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// The policy in force, and where it comes from (for messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub options: OptionsConfig,
    pub mounts: MountsConfig,
    pub cgroup_parent: CgroupParentConfig,
    /// Where each section comes from: `built-in default` or the file.
    sources: [String; 3],
}

const BUILT_IN: &str = "built-in default";

/// The engine sockets: a container holding one can create containers labelled as anyone.
const ENGINE_SOCKETS: [&str; 5] = [
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/run/podman",
    "/var/run/podman",
    "/run/containerd",
];

impl Policy {
    /// The policy when elevated without a configuration: DS01's own `docker create` argv passes
    /// (`--gpus`, GPU `--device`s, `--shm-size`, `--ipc host`, `--network host`, `--user` of the
    /// owner, `--cap-add SYS_PTRACE/SYS_ADMIN`, `--group-add video/sudo`, mounts under the owner's
    /// home, the owner's DS01 slice); host access, other users' objects and the engine socket do
    /// not.
    pub fn built_in() -> Policy {
        let mut values = BTreeMap::new();
        let mut put = |k: &str, v: &[&str]| values.insert(k.to_string(), strings(v));
        put("cap-add", &["SYS_PTRACE", "SYS_ADMIN"]);
        put(
            "security-opt",
            &[
                "seccomp=unconfined",
                "no-new-privileges",
                "no-new-privileges=true",
            ],
        );
        put("group-add", &["video", "sudo"]);
        put("device", &["/dev/snd", "/dev/kfd", "/dev/dri"]);
        put("network", &["host", "none", "bridge", "default"]);
        put("ipc", &["host", "private", "shareable", "none"]);
        put("pid", &[]);
        put("uts", &[]);
        put("cgroupns", &["private"]);
        put("runtime", &["nvidia", "runc"]);
        put("user", &["{uid}:{gid}", "{uid}"]);
        put("log-driver", &["json-file", "local", "journald", "none"]);
        Policy {
            options: OptionsConfig {
                allow: strings(&[
                    "add-host",
                    "attach",
                    "detach-keys",
                    "dns",
                    "dns-option",
                    "dns-search",
                    "domainname",
                    "entrypoint",
                    "expose",
                    "health-cmd",
                    "health-interval",
                    "health-retries",
                    "health-start-period",
                    "health-start-interval",
                    "health-timeout",
                    "no-healthcheck",
                    "hostname",
                    "init",
                    "interactive",
                    "ip",
                    "ip6",
                    "mac-address",
                    "network-alias",
                    "platform",
                    "pull",
                    "quiet",
                    "read-only",
                    "restart",
                    "rm",
                    "stop-signal",
                    "stop-timeout",
                    "tty",
                    "workdir",
                    "label",
                    "label-file",
                    "env",
                    "env-file",
                    "cpus",
                    "cpu-shares",
                    "cpu-period",
                    "cpu-quota",
                    "cpuset-cpus",
                    "cpuset-mems",
                    "memory",
                    "memory-reservation",
                    "memory-swap",
                    "memory-swappiness",
                    "pids-limit",
                    "shm-size",
                    "ulimit",
                    "blkio-weight",
                    "blkio-weight-device",
                    "device-read-bps",
                    "device-read-iops",
                    "device-write-bps",
                    "device-write-iops",
                    "tmpfs",
                    "gpus",
                    "cap-drop",
                    "volume",
                    "mount",
                    "help",
                    "disable-content-trust",
                ]),
                deny: strings(&[
                    "privileged",
                    "use-api-socket",
                    "volumes-from",
                    "volume-driver",
                    "device-cgroup-rule",
                    "cidfile",
                    "link",
                    "userns",
                    "sysctl",
                    "storage-opt",
                    "oom-kill-disable",
                    "oom-score-adj",
                    "cpu-rt-period",
                    "cpu-rt-runtime",
                    "publish",
                    "publish-all",
                    "annotation",
                    "log-opt",
                    "isolation",
                    "cpu-count",
                    "cpu-percent",
                    "io-maxbandwidth",
                    "io-maxiops",
                    "kernel-memory",
                    "credentialspec",
                    "link-local-ip",
                ]),
                values,
            },
            mounts: MountsConfig {
                sources: strings(&[
                    "{home}",
                    "/tmp/.X11-unix",
                    "/opt/ds01-infra/config/container-aliases.sh",
                    "/opt/ds01-infra/config/ds01-profile.sh",
                ]),
                named_volumes: false,
                propagation: default_propagation(),
            },
            cgroup_parent: CgroupParentConfig {
                allow: strings(&["ds01-{group}-{slice_user}.slice", "ds01-{group}.slice"]),
                groups_dir: Some(PathBuf::from("/opt/ds01-infra/config/runtime/groups")),
                default_group: default_group(),
                required: false,
            },
            sources: [BUILT_IN.into(), BUILT_IN.into(), BUILT_IN.into()],
        }
    }

    /// The policy for a process (`elevated` or not) with the configuration `config` read from
    /// `path`: see the module documentation.
    pub fn applying(
        elevated: bool,
        config: Option<(&crate::config::Config, &Path)>,
    ) -> Option<Policy> {
        let configured = config.filter(|(c, _)| {
            c.options.is_some() || c.mounts.is_some() || c.cgroup_parent.is_some()
        });
        if !elevated && configured.is_none() {
            return None;
        }
        let mut policy = Policy::built_in();
        if let Some((config, path)) = configured {
            let file = path.display().to_string();
            if let Some(options) = &config.options {
                policy.options = options.clone();
                policy.sources[0] = file.clone();
            }
            if let Some(mounts) = &config.mounts {
                policy.mounts = mounts.clone();
                policy.sources[1] = file.clone();
            }
            if let Some(cgroup) = &config.cgroup_parent {
                policy.cgroup_parent = cgroup.clone();
                policy.sources[2] = file;
            }
        }
        Some(policy)
    }
}

/// A passthrough option as the scanner read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opt<'a> {
    /// The long name (short forms already mapped), without `--`.
    pub long: &'a str,
    /// The argument(s) as written, for messages.
    pub written: &'a str,
    pub value: Option<&'a str>,
}

/// The user the container is for (templates expand to theirs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner<'a> {
    pub user: &'a str,
    pub uid: u32,
    pub gid: u32,
    /// The passwd home directory.
    pub home: &'a Path,
}

/// A refusal: one line naming the argument, the rule and where the rule lives.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("passthrough {written}: {why}")]
pub struct PolicyError {
    pub written: String,
    pub why: String,
}

/// What [`check`] needs besides the options.
pub struct Environment<'a> {
    pub owner: Owner<'a>,
    /// Resolve a host path the way the invoker can (symlinks followed), for bind sources.
    pub resolve: &'a dyn Fn(&Path) -> std::io::Result<PathBuf>,
    /// The owner's DS01 resource group (`{group}`), from `groups-dir`.
    pub group: &'a dyn Fn(&CgroupParentConfig, &str) -> String,
}

/// The host lookups a plan hands [`check`] (the passwd home of the owner, bind sources resolved as
/// the invoker, the DS01 resource group); tests pass fakes.
pub struct Lookups<'a> {
    pub home: &'a dyn Fn(&str) -> Option<PathBuf>,
    pub resolve: &'a dyn Fn(&Path) -> std::io::Result<PathBuf>,
    pub group: &'a dyn Fn(&CgroupParentConfig, &str) -> String,
}

/// Aliases docker accepts for an option: their policy name.
fn canonical(long: &str) -> &str {
    match long {
        "net" => "network",
        "net-alias" => "network-alias",
        "dns-opt" => "dns-option",
        other => other,
    }
}

/// Check every option against `policy`; the first refusal is returned.
pub fn check(
    policy: &Policy,
    env: &Environment<'_>,
    options: &[Opt<'_>],
) -> Result<(), PolicyError> {
    for opt in options {
        check_one(policy, env, opt)?;
    }
    let cgroup = &policy.cgroup_parent;
    if cgroup.required && !options.iter().any(|o| o.long == "cgroup-parent") {
        return Err(PolicyError {
            written: "(no --cgroup-parent)".into(),
            why: format!(
                "refused by policy rule cgroup-parent.required ({}): give --cgroup-parent {}",
                policy.sources[2],
                allowed_slices(cgroup, env).join(" or ")
            ),
        });
    }
    Ok(())
}

fn check_one(policy: &Policy, env: &Environment<'_>, opt: &Opt<'_>) -> Result<(), PolicyError> {
    let name = canonical(opt.long);
    let value = opt.value.unwrap_or("");
    let refuse = |why: String| PolicyError {
        written: opt.written.to_string(),
        why,
    };
    let options = &policy.options;
    let source = &policy.sources[0];
    if name == "cgroup-parent" {
        return check_cgroup_parent(policy, env, value).map_err(refuse);
    }
    if options.deny.iter().any(|d| d == name) {
        return Err(refuse(format!(
            "refused by policy rule options.deny ({source})"
        )));
    }
    if let Some(allowed) = options.values.get(name) {
        let expanded: Vec<String> = allowed.iter().map(|a| expand(a, &env.owner)).collect();
        if value_allowed(name, value, &expanded) {
            return Ok(());
        }
        let shown = if expanded.is_empty() {
            "(default only)".to_string()
        } else {
            expanded.join(", ")
        };
        return Err(refuse(format!(
            "refused by policy rule options.values.{name} ({source}): allowed {shown}"
        )));
    }
    if options.allow.iter().any(|a| a == name) {
        return match name {
            "volume" => check_volume(policy, env, value).map_err(refuse),
            "mount" => check_mount(policy, env, value).map_err(refuse),
            _ => Ok(()),
        };
    }
    Err(refuse(format!(
        "not in the policy (options.allow/values/deny) ({source})"
    )))
}

/// Expand `{uid}`, `{gid}`, `{user}`, `{home}` for `owner`.
fn expand(template: &str, owner: &Owner<'_>) -> String {
    template
        .replace("{uid}", &owner.uid.to_string())
        .replace("{gid}", &owner.gid.to_string())
        .replace("{user}", owner.user)
        .replace("{home}", &owner.home.display().to_string())
}

/// Whether `value` of option `name` is one of `allowed`, after docker's own normalising.
fn value_allowed(name: &str, value: &str, allowed: &[String]) -> bool {
    match name {
        "cap-add" => {
            let cap = value.to_ascii_uppercase();
            let cap = cap.strip_prefix("CAP_").unwrap_or(&cap);
            allowed.iter().any(|a| a.eq_ignore_ascii_case(cap))
        }
        "security-opt" => {
            // docker accepts `seccomp:unconfined` for `seccomp=unconfined`.
            let normal = value.replacen(':', "=", 1);
            allowed.iter().any(|a| *a == value || *a == normal)
        }
        "device" => {
            let host = value.split(':').next().unwrap_or("");
            clean_absolute(Path::new(host))
                && allowed
                    .iter()
                    .any(|a| Path::new(host).starts_with(Path::new(a)))
        }
        _ => allowed.iter().any(|a| a == value),
    }
}

/// An absolute path without `.`, `..` or empty components (no `//`, no trailing `/`).
fn clean_absolute(path: &Path) -> bool {
    let text = path.to_string_lossy();
    path.is_absolute()
        && !text.contains("//")
        && (text == "/" || !text.ends_with('/'))
        && path
            .components()
            .all(|c| matches!(c, Component::RootDir | Component::Normal(_)))
}

/// The mount sources in force for `env`'s owner, expanded and resolved.
fn sources(policy: &Policy, env: &Environment<'_>) -> Vec<PathBuf> {
    policy
        .mounts
        .sources
        .iter()
        .map(|s| {
            let path = PathBuf::from(expand(s, &env.owner));
            std::fs::canonicalize(&path).unwrap_or(path)
        })
        .collect()
}

fn check_bind_source(policy: &Policy, env: &Environment<'_>, source: &str) -> Result<(), String> {
    let rule = format!("mounts.sources ({})", policy.sources[1]);
    let path = Path::new(source);
    if !clean_absolute(path) {
        return Err(format!(
            "source {source} must be a plain absolute path (no '.', '..' or '//') under {rule}"
        ));
    }
    let resolved = (env.resolve)(path).map_err(|e| format!("source {source}: {e}"))?;
    let how = if resolved == path {
        format!("source {source}")
    } else {
        format!("source {source} resolves to {}, which", resolved.display())
    };
    if ENGINE_SOCKETS
        .iter()
        .any(|s| resolved.starts_with(s) || Path::new(s).starts_with(&resolved))
    {
        return Err(format!(
            "{how} is or holds the engine socket: refused by policy rule mounts (a container holding it can create containers labelled as anyone)"
        ));
    }
    let allowed = sources(policy, env);
    if allowed.iter().any(|a| resolved.starts_with(a)) {
        return Ok(());
    }
    let shown: Vec<String> = allowed.iter().map(|p| p.display().to_string()).collect();
    Err(format!(
        "{how} is not under {rule}: allowed {}",
        shown.join(", ")
    ))
}

fn check_propagation(policy: &Policy, mode: &str) -> Result<(), String> {
    if policy.mounts.propagation.iter().any(|p| p == mode) {
        Ok(())
    } else {
        Err(format!(
            "propagation {mode} refused by policy rule mounts.propagation ({}): allowed {}",
            policy.sources[1],
            policy.mounts.propagation.join(", ")
        ))
    }
}

const PROPAGATIONS: [&str; 6] = [
    "private", "rprivate", "shared", "rshared", "slave", "rslave",
];

/// `-v SPEC`: `DST` (anonymous volume), `NAME:DST[:OPTS]` (named volume), `SRC:DST[:OPTS]` (bind).
fn check_volume(policy: &Policy, env: &Environment<'_>, spec: &str) -> Result<(), String> {
    let parts: Vec<&str> = spec.split(':').collect();
    match parts.as_slice() {
        [dst] if dst.starts_with('/') => Ok(()),
        [src, _dst] | [src, _dst, _] => {
            if let Some(opts) = parts.get(2) {
                for opt in opts.split(',') {
                    if PROPAGATIONS.contains(&opt) {
                        check_propagation(policy, opt)?;
                    }
                }
            }
            if src.starts_with('/') {
                check_bind_source(policy, env, src)
            } else if policy.mounts.named_volumes {
                Ok(())
            } else {
                Err(format!(
                    "named volume {src} refused by policy rule mounts.named-volumes ({})",
                    policy.sources[1]
                ))
            }
        }
        _ => Err(format!(
            "not SRC:DST[:OPTS] with an absolute SRC: refused by policy rule mounts ({})",
            policy.sources[1]
        )),
    }
}

/// `--mount type=...,...` (CSV): binds as `-v`, tmpfs, and anonymous volumes without options.
fn check_mount(policy: &Policy, env: &Environment<'_>, spec: &str) -> Result<(), String> {
    let rule = format!("mounts ({})", policy.sources[1]);
    if spec.contains('"') {
        return Err(format!("quoted fields are refused by policy rule {rule}"));
    }
    let mut kind = "volume";
    let mut source = None;
    for field in spec.split(',') {
        let (key, value) = field.split_once('=').unwrap_or((field, ""));
        match key {
            "type" => kind = value,
            "source" | "src" => source = Some(value),
            "bind-propagation" => check_propagation(policy, value)?,
            "volume-opt" | "volume-driver" | "volume-subpath" => {
                return Err(format!("{key} refused by policy rule {rule}"))
            }
            _ => {}
        }
    }
    match (kind, source) {
        ("bind", Some(src)) => check_bind_source(policy, env, src),
        ("bind", None) => Err(format!(
            "a bind without source: refused by policy rule {rule}"
        )),
        ("tmpfs", _) | ("volume", None) => Ok(()),
        ("volume", Some(src)) if policy.mounts.named_volumes => {
            let _ = src;
            Ok(())
        }
        ("volume", Some(src)) => Err(format!(
            "named volume {src} refused by policy rule mounts.named-volumes ({})",
            policy.sources[1]
        )),
        (other, _) => Err(format!("type={other} refused by policy rule {rule}")),
    }
}

/// DS01's `sanitize_username_for_slice`: cut at `@`, `.` → `_`, anything but `[a-zA-Z0-9_:]` →
/// `_`, runs of `_` collapsed, `_` stripped at both ends. `None` for names whose result is over 32
/// characters (DS01 then appends a hash ds01-build does not reproduce).
pub fn slice_user(user: &str) -> Option<String> {
    let cut = user.split('@').next().unwrap_or("");
    let mut out = String::new();
    for c in cut.chars() {
        let c = if c.is_ascii_alphanumeric() || c == ':' {
            c
        } else {
            '_'
        };
        if !(c == '_' && out.ends_with('_')) {
            out.push(c);
        }
    }
    let out = out.trim_matches('_').to_string();
    (out.len() <= 32).then_some(out)
}

fn allowed_slices(cgroup: &CgroupParentConfig, env: &Environment<'_>) -> Vec<String> {
    let owner = &env.owner;
    let group = (env.group)(cgroup, owner.user);
    let slice = slice_user(owner.user);
    cgroup
        .allow
        .iter()
        .filter(|t| slice.is_some() || !t.contains("{slice_user}"))
        .map(|t| {
            expand(t, owner)
                .replace("{group}", &group)
                .replace("{slice_user}", slice.as_deref().unwrap_or(""))
        })
        .collect()
}

fn check_cgroup_parent(policy: &Policy, env: &Environment<'_>, value: &str) -> Result<(), String> {
    let allowed = allowed_slices(&policy.cgroup_parent, env);
    if allowed.iter().any(|a| a == value) {
        return Ok(());
    }
    Err(format!(
        "refused by policy rule cgroup-parent.allow ({}): allowed {}",
        policy.sources[2],
        if allowed.is_empty() {
            "none".to_string()
        } else {
            allowed.join(", ")
        }
    ))
}

/// The owner's DS01 resource group: the first `{group}.members` file in `groups-dir` (sorted) that
/// lists the name (or its slice form), else `default-group`.
pub fn group_from_members(cgroup: &CgroupParentConfig, user: &str) -> String {
    let Some(dir) = &cgroup.groups_dir else {
        return cgroup.default_group.clone();
    };
    let slice = slice_user(user);
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    for file in files {
        let Some(group) = file
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".members"))
        else {
            continue;
        };
        let Ok(text) = crate::caller_file::read_own_to_string(&file) else {
            continue;
        };
        let listed = text
            .lines()
            .map(|l| l.split('#').next().unwrap_or("").trim())
            .any(|name| name == user || Some(name) == slice.as_deref());
        if listed {
            return group.to_string();
        }
    }
    cgroup.default_group.clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_for<'a>(
        home: &'a Path,
        resolve: &'a dyn Fn(&Path) -> std::io::Result<PathBuf>,
    ) -> Environment<'a> {
        Environment {
            owner: Owner {
                user: "alice",
                uid: 1001,
                gid: 1001,
                home,
            },
            resolve,
            group: &|_, _| "student".to_string(),
        }
    }

    fn identity(p: &Path) -> std::io::Result<PathBuf> {
        // /home/alice/etc is a symlink to /etc in this fake file system.
        if let Ok(rest) = p.strip_prefix("/home/alice/etc") {
            let mut etc = PathBuf::from("/etc");
            etc.extend(rest.components());
            return Ok(etc);
        }
        Ok(p.to_path_buf())
    }

    fn check_args(args: &[(&str, Option<&str>)]) -> Result<(), String> {
        let policy = Policy::built_in();
        let home = Path::new("/home/alice");
        let env = env_for(home, &identity);
        let written: Vec<String> = args
            .iter()
            .map(|(l, v)| match v {
                Some(v) => format!("--{l} {v}"),
                None => format!("--{l}"),
            })
            .collect();
        let opts: Vec<Opt<'_>> = args
            .iter()
            .zip(&written)
            .map(|((long, value), written)| Opt {
                long,
                written,
                value: *value,
            })
            .collect();
        check(&policy, &env, &opts).map_err(|e| e.to_string())
    }

    #[test]
    fn ds01s_own_argv_passes_the_built_in_policy() {
        check_args(&[
            ("gpus", Some("device=0")),
            ("shm-size", Some("16g")),
            ("ipc", Some("host")),
            ("network", Some("host")),
            ("user", Some("1001:1001")),
            ("cap-add", Some("SYS_PTRACE")),
            ("cap-add", Some("cap_sys_admin")),
            ("security-opt", Some("seccomp:unconfined")),
            ("group-add", Some("video")),
            ("device", Some("/dev/dri/renderD128:/dev/dri/renderD128")),
            ("volume", Some("/home/alice/workspace:/workspace:rw")),
            (
                "mount",
                Some("type=bind,source=/home/alice/data,target=/data,bind-propagation=rprivate"),
            ),
            ("mount", Some("type=tmpfs,target=/scratch")),
            ("volume", Some("/anonymous")),
            ("cgroup-parent", Some("ds01-student-alice.slice")),
            ("cgroup-parent", Some("ds01-student.slice")),
            ("interactive", None),
            ("tty", None),
            ("workdir", Some("/workspace")),
            ("env", Some("A=1")),
            ("label", Some("x=y")),
            ("runtime", Some("nvidia")),
            ("device", Some("/dev/kfd")),
        ])
        .unwrap();
    }

    #[test]
    fn host_access_other_users_and_the_socket_are_refused() {
        let cases: &[(&str, &str, &str)] = &[
            ("privileged", "", "passthrough --privileged: refused by policy rule options.deny (built-in default)"),
            ("use-api-socket", "", "options.deny"),
            ("volumes-from", "web", "options.deny"),
            ("cidfile", "/tmp/x", "options.deny"),
            ("link", "web", "options.deny"),
            ("publish", "80:80", "options.deny"),
            ("sysctl", "net.ipv4.ip_forward=1", "options.deny"),
            ("cap-add", "NET_ADMIN", "passthrough --cap-add NET_ADMIN: refused by policy rule options.values.cap-add (built-in default): allowed SYS_PTRACE, SYS_ADMIN"),
            ("cap-add", "ALL", "options.values.cap-add"),
            ("pid", "container:web", "passthrough --pid container:web: refused by policy rule options.values.pid (built-in default): allowed (default only)"),
            ("pid", "host", "options.values.pid"),
            ("network", "container:web", "options.values.network"),
            ("ipc", "container:web", "options.values.ipc"),
            ("user", "0", "passthrough --user 0: refused by policy rule options.values.user (built-in default): allowed 1001:1001, 1001"),
            ("security-opt", "apparmor=unconfined", "options.values.security-opt"),
            ("device", "/dev/sda", "options.values.device"),
            ("device", "/dev/dri/../sda", "options.values.device"),
            ("volume", "/var/run/docker.sock:/var/run/docker.sock", "source /var/run/docker.sock is or holds the engine socket"),
            ("volume", "/run:/r", "is or holds the engine socket"),
            ("volume", "/home/bob:/b", "source /home/bob is not under mounts.sources (built-in default): allowed /home/alice"),
            ("volume", "/home/alice/../bob:/b", "must be a plain absolute path"),
            ("volume", "/home/alice/etc:/x", "source /home/alice/etc resolves to /etc, which is not under mounts.sources"),
            ("volume", "data:/data", "named volume data refused by policy rule mounts.named-volumes"),
            ("volume", "/home/alice/x:/x:rshared", "propagation rshared refused by policy rule mounts.propagation"),
            ("mount", "type=volume,dst=/x,volume-opt=type=none,volume-opt=o=bind,volume-opt=device=/etc", "volume-opt refused by policy rule mounts (built-in default)"),
            ("mount", "type=bind,src=/etc,dst=/x", "source /etc is not under mounts.sources"),
            ("mount", "type=bind,\"src=/etc\",dst=/x", "quoted fields"),
            ("mount", "type=image,src=x,dst=/x", "type=image refused"),
            ("cgroup-parent", "ds01-student-bob.slice", "passthrough --cgroup-parent ds01-student-bob.slice: refused by policy rule cgroup-parent.allow (built-in default): allowed ds01-student-alice.slice, ds01-student.slice"),
            ("cgroup-parent", "/ds01.slice/../..", "cgroup-parent.allow"),
            ("frobnicate", "1", "passthrough --frobnicate 1: not in the policy (options.allow/values/deny) (built-in default)"),
        ];
        for (long, value, needle) in cases {
            let value = (!value.is_empty()).then_some(*value);
            let e = check_args(&[(long, value)]).unwrap_err();
            assert!(e.contains(needle), "{long} {value:?}: {e}");
        }
        // Aliases are the option they stand for.
        assert!(check_args(&[("net", Some("container:web"))])
            .unwrap_err()
            .contains("options.values.network"));
    }

    #[test]
    fn a_configured_section_replaces_the_default_and_names_the_file() {
        let config = crate::config::parse(
            "[options]\nallow = [\"volume\"]\ndeny = [\"gpus\"]\n[mounts]\nsources = [\"/data\"]\n",
        )
        .unwrap();
        let policy = Policy::applying(
            false,
            Some((&config, Path::new("/etc/ds01-build/config.toml"))),
        )
        .unwrap();
        let home = Path::new("/home/alice");
        let env = env_for(home, &identity);
        let opt = |long, written, value| Opt {
            long,
            written,
            value,
        };
        let e = check(&policy, &env, &[opt("gpus", "--gpus all", Some("all"))]).unwrap_err();
        assert_eq!(e.to_string(), "passthrough --gpus all: refused by policy rule options.deny (/etc/ds01-build/config.toml)");
        assert!(check(
            &policy,
            &env,
            &[opt("volume", "-v /data/x:/x", Some("/data/x:/x"))]
        )
        .is_ok());
        let e = check(
            &policy,
            &env,
            &[opt(
                "volume",
                "-v /home/alice/x:/x",
                Some("/home/alice/x:/x"),
            )],
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("mounts.sources (/etc/ds01-build/config.toml): allowed /data"),
            "{e}"
        );
        // The cgroup-parent section was not configured: still the built-in default.
        let e = check(
            &policy,
            &env,
            &[opt("cgroup-parent", "--cgroup-parent x", Some("x"))],
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("cgroup-parent.allow (built-in default)"),
            "{e}"
        );
        // Which policy applies.
        assert!(Policy::applying(false, None).is_none());
        let empty = crate::config::Config::default();
        assert!(Policy::applying(false, Some((&empty, Path::new("/x")))).is_none());
        assert_eq!(Policy::applying(true, None), Some(Policy::built_in()));
    }

    #[test]
    fn required_cgroup_parent() {
        let mut policy = Policy::built_in();
        policy.cgroup_parent.required = true;
        let home = Path::new("/home/alice");
        let env = env_for(home, &identity);
        let e = check(&policy, &env, &[]).unwrap_err().to_string();
        assert!(e.contains("cgroup-parent.required (built-in default): give --cgroup-parent ds01-student-alice.slice or ds01-student.slice"), "{e}");
    }

    #[test]
    fn slice_user_is_ds01s_sanitising() {
        assert_eq!(slice_user("alice").as_deref(), Some("alice"));
        assert_eq!(slice_user("john.doe@uni.de").as_deref(), Some("john_doe"));
        assert_eq!(slice_user("__a--b__").as_deref(), Some("a_b"));
        assert_eq!(slice_user(&"x".repeat(33)), None);
    }

    #[test]
    fn groups_come_from_members_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("researcher.members"),
            "# staff\nalice\njohn_doe # x\n",
        )
        .unwrap();
        let mut cgroup = Policy::built_in().cgroup_parent;
        cgroup.groups_dir = Some(dir.path().to_path_buf());
        assert_eq!(group_from_members(&cgroup, "alice"), "researcher");
        assert_eq!(group_from_members(&cgroup, "john.doe"), "researcher");
        assert_eq!(group_from_members(&cgroup, "bob"), "student");
    }
}
