//! The create plan: a [`CreateRequest`] (the flags as plain data), the invoking identity, the time and
//! `DS01_CONTEXT` → the container's name, its `ds01.*` labels and the exact `docker create` argv.
//!
//! All validation happens here, before any engine call: the name (AIME's and Docker's rules), `--owner`
//! (root and configured admins only), `DS01_CONTEXT`, every label value against [`container_schema`], and the passthrough
//! arguments ([`crate::create_options`]), which must not set `ds01.*`/`aime.mlc*` labels (in any
//! spelling, including `--label-file`) or the container name. Pure: the `--label-file`s are read
//! before planning and passed in, and so is the passwd lookup for `--owner`.

use thiserror::Error;
use time::OffsetDateTime;

use crate::container_schema::{self, Interface, UID_SEPARATOR};
use crate::create_options::{self, PassthroughError};
use crate::engine::{Engine, EngineCommand};
use crate::identity::{Identity, IdentityError};
use crate::labels::Labels;
use crate::operand::{check_operand, Operand, OperandError};
use crate::passthrough_files::{self, FileError, PassthroughFiles};
use crate::policy::{self, Lookups, Policy, PolicyError};
use crate::timestamp;

/// What `create` was asked for: the command line as plain data (see [`crate::cli::CreateArgs`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateRequest {
    /// The `IMAGE` argument of the older form (`create IMAGE [FLAGS] [-- OPTIONS...]`).
    pub image: Option<String>,
    /// The DS01 name (`--name`).
    pub name: String,
    /// Use the name as given, without the `._.UID` suffix.
    pub exact_name: bool,
    pub interface: Option<Interface>,
    /// The optional keys given ([`container_schema::optional_create_flags`]), with their values.
    pub optional: Vec<(&'static str, String)>,
    pub protected: bool,
    /// `--owner`.
    pub owner: Option<String>,
    /// `--set KEY=VALUE`, as given.
    pub set: Vec<String>,
    /// Write the compatibility keys (not `--no-compat-keys`).
    pub compat_keys: bool,
    /// What follows `docker create` (after `--`): `[OPTIONS...] [IMAGE [COMMAND] [ARG...]]`.
    pub passthrough: Vec<String>,
}

/// Everything `create` needs besides the request.
pub struct Inputs<'a> {
    /// The invoking user (see [`crate::identity::invoking`]).
    pub invoker: &'a Identity,
    /// Why `--owner` is refused to this invoker (`None`: root itself, or an admin named in the
    /// configuration; see [`crate::commands`]), e.g. `you are alice (through sudo)`.
    pub owner_refusal: Option<String>,
    pub now: OffsetDateTime,
    /// The value of `DS01_CONTEXT`, if set.
    pub ds01_context: Option<&'a str>,
    /// passwd lookup for `--owner`.
    pub lookup_user: &'a dyn Fn(&str) -> Result<Identity, IdentityError>,
    /// The passthrough's `--label-file`s and `--env-file`s, read before planning
    /// ([`PassthroughFiles::read`]).
    pub files: &'a PassthroughFiles,
    /// With privileges, how (e.g. `sudo`): then what would act with the engine's rights
    /// (`--cidfile`, bare variables) is refused.
    pub elevated: Option<String>,
    /// The passthrough policy in force ([`Policy::applying`]), with the lookups it needs.
    pub policy: Option<(&'a Policy, &'a Lookups<'a>)>,
}

/// A validated create: what would be run and what it writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatePlan {
    /// The container's full engine name.
    pub name: String,
    pub image: String,
    /// The container's command (`Config.Cmd`), empty for the image's own.
    pub cmd: Vec<String>,
    /// The `ds01.*` labels written with `--label`, sorted (the neutralised ones empty).
    pub labels: Labels,
    /// Image labels of container scope that `create` overrode with an empty value
    /// ([`CreatePlan::neutralise`]).
    pub neutralised: Vec<String>,
    /// The passthrough options (before the image).
    options: Vec<String>,
    pub command: EngineCommand,
}

impl CreatePlan {
    /// `{"argv": [...], "labels": {...}, "name": "..."}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "argv": self.command.argv,
            "labels": self.labels,
            "name": self.name,
            "neutralised": self.neutralised,
        })
    }

    /// The Engine API request that makes the same container as [`CreatePlan::command`] (see
    /// [`crate::create_api`]), or why there is none.
    pub fn api_body(&self) -> Result<serde_json::Value, crate::create_api::Untranslated> {
        crate::create_api::body(&self.options, &self.labels, &self.image, &self.cmd)
    }

    /// Keep the image's `ds01.*` runtime labels (container scope, see
    /// [`container_schema::Scope`]) from reaching the container: every one this plan does not set
    /// is written empty, which every DS01 reader takes as absent (docker has no label removal). A
    /// key that readers filter on by presence (`ds01.gpu.allocated`: the idle check counts the
    /// containers carrying it) cannot be neutralised that way: refused unless the plan sets it.
    pub fn neutralise(
        mut self,
        image_labels: &Labels,
        engine: &Engine,
    ) -> Result<CreatePlan, CreateError> {
        for (key, value) in image_labels {
            let Some(spec) = container_schema::lookup(key) else {
                continue;
            };
            if spec.scope != container_schema::Scope::Container || self.labels.contains_key(key) {
                continue;
            }
            if value.trim().is_empty() {
                continue; // already reads as absent
            }
            if container_schema::PRESENCE_READ_KEYS.contains(&spec.key) {
                return Err(CreateError::InheritedPresenceKey {
                    image: self.image.clone(),
                    key: spec.key,
                    value: value.clone(),
                });
            }
            self.labels.insert(key.clone(), String::new());
            self.neutralised.push(key.clone());
        }
        self.command = command(engine, &self);
        Ok(self)
    }
}

/// `create --name NAME OPTIONS... --label ds01.K=V... -- IMAGE [COMMAND...]`.
fn command(engine: &Engine, plan: &CreatePlan) -> EngineCommand {
    let mut argv: Vec<String> = vec!["create".into(), "--name".into(), plan.name.clone()];
    argv.extend(plan.options.iter().cloned());
    for (key, value) in &plan.labels {
        argv.push("--label".into());
        argv.push(format!("{key}={value}"));
    }
    // `--` so that an image spelled like an option can never be read as one.
    argv.push("--".into());
    argv.push(plan.image.clone());
    argv.extend(plan.cmd.iter().cloned());
    engine.command(argv)
}

#[derive(Debug, Error)]
pub enum CreateError {
    #[error("--name is empty: expected letters, digits, '_' or '-', e.g. --name my-project")]
    EmptyName,
    #[error("--name {} breaks the AIME name rule ^[a-zA-Z0-9_\\-#]+$: use letters, digits, '_', '-'", crate::messages::quoted(.name))]
    AimeName { name: String },
    #[error("container name {} breaks Docker's name rule ^[a-zA-Z0-9][a-zA-Z0-9_.-]+$: start with a letter or digit, use letters, digits, '_', '.', '-' (no '#'), at least 2 characters", crate::messages::quoted(.full))]
    DockerName { full: String },
    #[error(transparent)]
    BadImage(OperandError),
    #[error("--owner {}: only root and the admins named in {} (admins.users, admins.groups) create for another user; {refusal}", crate::messages::quoted(.owner), crate::config::CONFIG_PATH)]
    OwnerNotAllowed { owner: String, refusal: String },
    // The cause is in the message (not a `#[source]`) so it is printed once.
    #[error("--owner {}: {error}", crate::messages::quoted(.owner))]
    Owner { owner: String, error: IdentityError },
    #[error(
        "DS01_CONTEXT={} is not a ds01.interface value: expected one of {}",
        crate::messages::quoted(.value),
        interface_values()
    )]
    BadContext { value: String },
    #[error("{flag} {} is not valid for {key}: expected {expected}", crate::messages::quoted(.value))]
    BadValue {
        flag: &'static str,
        key: &'static str,
        value: String,
        expected: String,
    },
    #[error(
        "--set {} has no '=': write --set KEY=VALUE, e.g. --set ds01.container_type=atomic",
        crate::messages::quoted(.arg)
    )]
    SetSyntax { arg: String },
    #[error("--set {key}: {refusal}")]
    SetRefused {
        key: String,
        refusal: container_schema::SetRefusal,
    },
    #[error("--set {key} given twice ({} and {}): give it once", crate::messages::quoted(.first), crate::messages::quoted(.second))]
    SetTwice {
        key: String,
        first: String,
        second: String,
    },
    #[error("image {} carries {key}={} (e.g. from docker commit), which no value can neutralise (DS01 readers count containers carrying the key): give the container its own (--gpu-slots, with compat keys on) or rebuild the image without it", crate::messages::quoted(.image), crate::messages::quoted(.value))]
    InheritedPresenceKey {
        image: String,
        key: &'static str,
        value: String,
    },
    #[error(transparent)]
    Passthrough(#[from] PassthroughError),
    #[error(transparent)]
    Files(#[from] FileError),
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error("the owner {user} has no passwd home directory: the policy's mount sources need one")]
    NoHome { user: String },
}

fn interface_values() -> String {
    Interface::ALL
        .iter()
        .map(|i| i.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Compute the create plan. Nothing is run.
pub fn plan(
    args: &CreateRequest,
    inputs: &Inputs<'_>,
    engine: &Engine,
) -> Result<CreatePlan, CreateError> {
    // Passthrough first: cheap, and a forged label must be refused whatever else is wrong.
    let scanned = create_options::scan(&args.passthrough)?;
    create_options::check_label_sources(&scanned.labels, inputs.files)?;
    let (image, cmd) = match (&args.image, scanned.operands.split_first()) {
        (Some(image), None) => (image.clone(), Vec::new()),
        (None, Some((image, cmd))) => (image.clone(), cmd.to_vec()),
        (Some(image), Some((arg, _))) => {
            return Err(PassthroughError::ImageTwice {
                image: image.clone(),
                arg: arg.clone(),
            }
            .into())
        }
        (None, None) => return Err(PassthroughError::NoImage.into()),
    };
    check_operand(Operand::Image, &image).map_err(CreateError::BadImage)?;
    let sets = parse_sets(&args.set)?;

    let owner = match &args.owner {
        None => inputs.invoker.clone(),
        Some(owner) if inputs.owner_refusal.is_some() => {
            return Err(CreateError::OwnerNotAllowed {
                owner: owner.clone(),
                refusal: inputs.owner_refusal.clone().unwrap_or_default(),
            })
        }
        Some(owner) => (inputs.lookup_user)(owner).map_err(|error| CreateError::Owner {
            owner: owner.clone(),
            error,
        })?,
    };

    create_options::check_owner_evidence(
        &scanned.labels,
        inputs.files,
        &owner.user,
        // Whoever may name another owner may name another home.
        inputs.owner_refusal.is_none(),
    )?;
    // What the engine gets: the files' contents as flags, never their paths.
    let options =
        passthrough_files::convert(&scanned.items, inputs.files, inputs.elevated.as_deref())?;
    if let Some((policy, lookups)) = inputs.policy {
        let home = (lookups.home)(&owner.user).ok_or_else(|| CreateError::NoHome {
            user: owner.user.clone(),
        })?;
        let env = policy::Environment {
            owner: policy::Owner {
                user: &owner.user,
                uid: owner.uid,
                gid: owner.gid,
                home: &home,
            },
            resolve: lookups.resolve,
            group: lookups.group,
        };
        let opts: Vec<policy::Opt<'_>> = scanned
            .items
            .iter()
            .map(|i| policy::Opt {
                long: &i.long,
                written: &i.written,
                value: i.value.as_deref(),
            })
            .collect();
        policy::check(policy, &env, &opts)?;
    }
    let name = container_name(&args.name, owner.uid, args.exact_name)?;
    let interface = interface(args.interface, inputs.ds01_context)?;

    let mut labels = Labels::new();
    let mut put = |key: &str, value: String| labels.insert(key.to_string(), value);
    put("ds01.user", owner.user.clone());
    put("ds01.managed", "true".into());
    put("ds01.interface", interface.as_str().into());
    put("ds01.created_at", timestamp::utc_timestamp(inputs.now));
    put("ds01.name", args.name.clone());
    put("ds01.container_name", name.clone());
    put("ds01.image", image.clone());
    put("ds01.user_id", owner.uid.to_string());
    put("ds01.group_id", owner.gid.to_string());
    put("ds01.custom_image", custom_image(&image));

    for (key, value) in &args.optional {
        check_flag_value(key, value, None)?;
        put(key, value.clone());
    }
    for (key, value) in &sets {
        check_flag_value(key, value, Some("--set"))?;
        put(key, value.clone());
    }
    if args.protected {
        put("ds01.protected", "true".into());
    }
    if args.compat_keys {
        for spec in container_schema::KEYS.iter() {
            let Some(of) = spec.compat_of else { continue };
            let copy = labels
                .get(of)
                .and_then(|source| container_schema::compat_value(spec, source));
            if let Some(copy) = copy {
                labels.insert(spec.key.to_string(), copy);
            }
        }
    }
    for (key, value) in &labels {
        check_label(key, value)?;
    }

    let mut plan = CreatePlan {
        name,
        image,
        cmd,
        labels,
        neutralised: Vec::new(),
        options,
        command: engine.command(Vec::<String>::new()),
    };
    plan.command = command(engine, &plan);
    Ok(plan)
}

/// The full container name: `NAME._.UID`, or NAME itself with `exact`. NAME must satisfy AIME's rule
/// and the full name Docker's.
pub fn container_name(name: &str, uid: u32, exact: bool) -> Result<String, CreateError> {
    if name.is_empty() {
        return Err(CreateError::EmptyName);
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'#'))
    {
        return Err(CreateError::AimeName { name: name.into() });
    }
    let full = if exact {
        name.to_string()
    } else {
        format!("{name}{UID_SEPARATOR}{uid}")
    };
    if !is_docker_name(&full) {
        return Err(CreateError::DockerName { full });
    }
    Ok(full)
}

/// Docker's container name rule `^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`.
pub fn is_docker_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    bytes.len() >= 2
        && bytes[0].is_ascii_alphanumeric()
        && bytes[1..]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// `--interface`, else `DS01_CONTEXT` (empty counts as unset), else `atomic`.
pub fn interface(flag: Option<Interface>, context: Option<&str>) -> Result<Interface, CreateError> {
    if let Some(flag) = flag {
        return Ok(flag);
    }
    match context.filter(|v| !v.is_empty()) {
        None => Ok(Interface::Atomic),
        Some(value) => value.parse().map_err(|_| CreateError::BadContext {
            value: value.into(),
        }),
    }
}

/// `ds01.custom_image`: empty for AIME catalog images (`aimehub/...`), else the image.
pub fn custom_image(image: &str) -> String {
    let path = ["docker.io/", "index.docker.io/"]
        .iter()
        .find_map(|registry| image.strip_prefix(registry))
        .unwrap_or(image);
    if path.starts_with("aimehub/") {
        String::new()
    } else {
        image.to_string()
    }
}

/// `--set KEY=VALUE`s as (key, value), each key settable ([`container_schema::settable`]) and given
/// once.
fn parse_sets(sets: &[String]) -> Result<Vec<(&'static str, String)>, CreateError> {
    let mut out: Vec<(&'static str, String)> = Vec::new();
    for arg in sets {
        let (key, value) = arg
            .split_once('=')
            .ok_or_else(|| CreateError::SetSyntax { arg: arg.clone() })?;
        // A known key's value is checked first, so a wrong value is named against its type.
        if let Some(spec) = container_schema::lookup(key) {
            check_flag_value(spec.key, value, Some("--set"))?;
        }
        let spec = container_schema::settable(key).map_err(|refusal| CreateError::SetRefused {
            key: key.into(),
            refusal,
        })?;
        if let Some((_, first)) = out.iter().find(|(k, _)| *k == spec.key) {
            return Err(CreateError::SetTwice {
                key: key.into(),
                first: first.clone(),
                second: value.into(),
            });
        }
        out.push((spec.key, value.to_string()));
    }
    Ok(out)
}

fn check_flag_value(
    key: &'static str,
    value: &str,
    flag: Option<&'static str>,
) -> Result<(), CreateError> {
    let spec = container_schema::lookup(key).expect("create writes schema keys only");
    let bad = |expected: String| CreateError::BadValue {
        flag: flag.or(container_schema::create_flag(key)).unwrap_or(key),
        key: spec.key,
        value: value.into(),
        expected,
    };
    if value.trim().is_empty() {
        return Err(bad(format!(
            "a non-empty value: {}",
            spec.value_type.expected()
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(bad("a value without control characters".into()));
    }
    spec.value_type.check(value).map_err(bad)
}

fn check_label(key: &str, value: &str) -> Result<(), CreateError> {
    let spec = container_schema::lookup(key).expect("create writes schema keys only");
    spec.value_type
        .check(value)
        .map_err(|expected| CreateError::BadValue {
            flag: container_schema::create_flag(key).unwrap_or(spec.key),
            key: spec.key,
            value: value.into(),
            expected,
        })
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    /// The request the command line `create ARGV...` makes.
    fn args(argv: &[&str]) -> CreateRequest {
        let mut full = vec!["ds01-build", "create"];
        full.extend_from_slice(argv);
        match Cli::try_parse_from(full).unwrap().command {
            Command::Create(args) => args.request(),
            _ => unreachable!(),
        }
    }

    fn alice() -> Identity {
        Identity {
            user: "alice".into(),
            uid: 1000,
            gid: 100,
        }
    }

    fn lookup(name: &str) -> Result<Identity, IdentityError> {
        match name {
            "bob" => Ok(Identity {
                user: "bob".into(),
                uid: 1001,
                gid: 1001,
            }),
            _ => Err(IdentityError::UnknownUser { name: name.into() }),
        }
    }

    fn now() -> OffsetDateTime {
        // 2026-02-16T10:20:30+02:00 = 08:20:30Z
        OffsetDateTime::from_unix_timestamp(1_771_230_030)
            .unwrap()
            .to_offset(time::UtcOffset::from_hms(2, 0, 0).unwrap())
    }

    fn plan_with(
        argv: &[&str],
        root: bool,
        context: Option<&str>,
    ) -> Result<CreatePlan, CreateError> {
        let invoker = alice();
        let request = args(argv);
        let label_files = PassthroughFiles::read(&request.passthrough);
        let inputs = Inputs {
            invoker: &invoker,
            owner_refusal: (!root).then(|| "you are alice".to_string()),
            now: now(),
            ds01_context: context,
            lookup_user: &lookup,
            files: &label_files,
            elevated: None,
            policy: None,
        };
        plan(&request, &inputs, &Engine::new("docker", false))
    }

    /// A plan made with privileges (`sudo`) under the built-in policy, with `files` as the
    /// passthrough's file texts.
    fn plan_elevated(argv: &[&str], files: &[(&str, &str)]) -> Result<CreatePlan, CreateError> {
        let invoker = alice();
        let request = args(argv);
        let files = PassthroughFiles(
            files
                .iter()
                .map(|(f, t)| (f.to_string(), Ok(t.to_string())))
                .collect(),
        );
        let policy = Policy::built_in();
        let lookups = Lookups {
            home: &|user| Some(std::path::PathBuf::from(format!("/home/{user}"))),
            resolve: &|p| Ok(p.to_path_buf()),
            group: &|_, _| "student".into(),
        };
        let inputs = Inputs {
            invoker: &invoker,
            owner_refusal: Some("you are alice (through sudo)".into()),
            now: now(),
            ds01_context: None,
            lookup_user: &lookup,
            files: &files,
            elevated: Some("sudo".into()),
            policy: Some((&policy, &lookups)),
        };
        plan(&request, &inputs, &Engine::new("docker", false))
    }

    #[test]
    fn with_privileges_files_become_flags_and_the_policy_applies() {
        let plan = plan_elevated(
            &[
                "--name",
                "p",
                "--",
                "-it",
                "--label",
                "b=2",
                "--label-file",
                "L",
                "--env-file=E",
                "-v",
                "/home/alice/w:/w",
                "img",
            ],
            &[("L", "a=1\nb=1\n"), ("E", "X=1\n")],
        )
        .unwrap();
        let argv = &plan.command.argv;
        let at = |a: &str| argv.iter().position(|x| x == a).unwrap();
        assert_eq!(
            argv[4..14],
            ["--label", "a=1", "--label", "b=1", "--env", "X=1", "-it", "--label", "b=2", "-v"]
        );
        assert!(!argv.iter().any(|a| a.contains("-file")), "{argv:?}");
        assert!(at("img") > at("ds01.user=alice"));
        let e = plan_elevated(&["--name", "p", "--", "--privileged", "img"], &[])
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "passthrough --privileged: refused by policy rule options.deny (built-in default)"
        );
        let e = plan_elevated(&["--name", "p", "--", "-v", "/home/bob:/b", "img"], &[])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("source /home/bob is not under mounts.sources"),
            "{e}"
        );
    }

    fn plan_ok(argv: &[&str]) -> CreatePlan {
        plan_with(argv, false, None).unwrap()
    }

    fn err(argv: &[&str]) -> String {
        plan_with(argv, false, None).unwrap_err().to_string()
    }

    #[test]
    fn minimal_plan_labels_and_argv() {
        let plan = plan_ok(&["aimehub/pytorch-2.3", "--name", "proj"]);
        assert_eq!(plan.name, "proj._.1000");
        let expected = crate::labels::from_pairs(&[
            ("ds01.container_name", "proj._.1000"),
            ("ds01.created_at", "2026-02-16T08:20:30Z"),
            ("ds01.custom_image", ""),
            ("ds01.group_id", "100"),
            ("ds01.image", "aimehub/pytorch-2.3"),
            ("ds01.interface", "atomic"),
            ("ds01.managed", "true"),
            ("ds01.name", "proj"),
            ("ds01.user", "alice"),
            ("ds01.user_id", "1000"),
        ]);
        assert_eq!(plan.labels, expected);
        assert_eq!(
            plan.command.display(),
            "docker create --name proj._.1000 --label 'ds01.container_name=proj._.1000' \
             --label 'ds01.created_at=2026-02-16T08:20:30Z' --label 'ds01.custom_image=' \
             --label 'ds01.group_id=100' --label 'ds01.image=aimehub/pytorch-2.3' \
             --label 'ds01.interface=atomic' --label 'ds01.managed=true' --label 'ds01.name=proj' \
             --label 'ds01.user=alice' --label 'ds01.user_id=1000' -- aimehub/pytorch-2.3"
        );
        // Every required schema key is written; nothing deprecated or legacy.
        for spec in container_schema::KEYS.iter().filter(|s| s.required) {
            assert!(plan.labels.contains_key(spec.key), "{}", spec.key);
        }
        for key in plan.labels.keys() {
            assert!(
                container_schema::lookup(key).is_some_and(|s| !s.deprecated()),
                "{key}"
            );
        }
    }

    #[test]
    fn optional_flags_and_passthrough_order() {
        let plan = plan_ok(&[
            "img:1",
            "--name",
            "p1",
            "--exact-name",
            "--interface",
            "orchestration",
            "--framework",
            "pytorch-2.3",
            "--arch",
            "CUDA",
            "--gpus",
            "2",
            "--gpu-uuids",
            "GPU-a,GPU-b",
            "--gpu-slots",
            "1.0,1.1",
            "--work-mount",
            "/home/alice/w",
            "--data-mount",
            "/data",
            "--models-mount",
            "/models",
            "--workspace",
            "ws",
            "--project",
            "pr",
            "--slice",
            "ds01-student-alice.slice",
            "--protected",
            "--",
            "--network",
            "none",
            "-l",
            "com.example.x=1",
        ]);
        assert_eq!(plan.name, "p1");
        let l = &plan.labels;
        assert_eq!(l["ds01.custom_image"], "img:1");
        assert_eq!(l["ds01.interface"], "orchestration");
        assert_eq!(l["ds01.gpu.uuids"], "GPU-a,GPU-b");
        assert_eq!(l["ds01.gpu.slots"], "1.0,1.1");
        // Compat: the slot list again as ds01.gpu.allocated; no singular uuid for two UUIDs.
        assert_eq!(l["ds01.gpu.allocated"], "1.0,1.1");
        assert!(!l.contains_key("ds01.gpu.uuid"));
        assert_eq!(l["ds01.gpus"], "2");
        assert_eq!(l["ds01.protected"], "true");
        assert_eq!(l["ds01.slice"], "ds01-student-alice.slice");
        assert_eq!(l.len(), 10 + 12 + 1);
        let argv = &plan.command.argv;
        assert_eq!(
            &argv[..8],
            [
                "docker",
                "create",
                "--name",
                "p1",
                "--network",
                "none",
                "-l",
                "com.example.x=1"
            ]
        );
        assert_eq!(argv[argv.len() - 2..], ["--", "img:1"]);
        let keys: Vec<&str> = argv
            .iter()
            .filter_map(|a| a.split_once('='))
            .map(|(k, _)| k)
            .filter(|k| k.starts_with("ds01."))
            .collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
    }

    #[test]
    fn exact_name_and_uid_suffix() {
        assert_eq!(container_name("proj", 1000, false).unwrap(), "proj._.1000");
        assert_eq!(container_name("proj", 1000, true).unwrap(), "proj");
        assert_eq!(container_name("a", 0, false).unwrap(), "a._.0");
        assert_eq!(
            container_name("My_proj-2", 7, false).unwrap(),
            "My_proj-2._.7"
        );
    }

    #[test]
    fn name_rules() {
        assert!(matches!(
            container_name("", 1, false),
            Err(CreateError::EmptyName)
        ));
        for bad in ["a b", "a.b", "a/b", "ä", "a;rm -rf", "$(x)", "a\n"] {
            assert!(
                matches!(
                    container_name(bad, 1, false),
                    Err(CreateError::AimeName { .. })
                ),
                "{bad}"
            );
        }
        // AIME allows '#' and a leading '_'/'-'; Docker does not.
        for bad in ["a#1", "_a", "-a", "#a"] {
            assert!(
                matches!(
                    container_name(bad, 1, false),
                    Err(CreateError::DockerName { .. })
                ),
                "{bad}"
            );
        }
        // Docker needs two characters.
        assert!(matches!(
            container_name("a", 1, true),
            Err(CreateError::DockerName { .. })
        ));
        assert!(is_docker_name("a.b-c_d"));
        assert!(!is_docker_name(".a"));
        assert!(err(&["img", "--name", ""]).contains("--name is empty"));
        assert!(err(&["img", "--name", "a b"]).contains("AIME name rule"));
    }

    #[test]
    fn identity_owner_only_from_root() {
        let e = err(&["img", "--name", "p", "--owner", "bob"]);
        assert!(
            e.contains("--owner \"bob\": only root and the admins named in /etc/ds01-build/config.toml (admins.users, admins.groups) create for another user; you are alice"),
            "{e}"
        );
        let plan = plan_with(&["img", "--name", "p", "--owner", "bob"], true, None).unwrap();
        assert_eq!(plan.name, "p._.1001");
        assert_eq!(plan.labels["ds01.user"], "bob");
        assert_eq!(plan.labels["ds01.user_id"], "1001");
        assert_eq!(plan.labels["ds01.group_id"], "1001");
        let e = plan_with(&["img", "--name", "p", "--owner", "nobody-x"], true, None).unwrap_err();
        assert!(
            e.to_string()
                .contains("no passwd entry for user \"nobody-x\""),
            "{e}"
        );
    }

    #[test]
    fn interface_from_flag_context_or_default() {
        assert_eq!(interface(None, None).unwrap(), Interface::Atomic);
        assert_eq!(interface(None, Some("")).unwrap(), Interface::Atomic);
        assert_eq!(interface(None, Some("vscode")).unwrap(), Interface::Vscode);
        assert_eq!(
            interface(Some(Interface::Api), Some("vscode")).unwrap(),
            Interface::Api
        );
        let e = plan_with(&["img", "--name", "p"], false, Some("devcontainer"))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "DS01_CONTEXT=\"devcontainer\" is not a ds01.interface value: expected one of \
             orchestration, atomic, api, docker, vscode, unknown"
        );
        // Unknown --interface is a clap usage error.
        let mut full = vec![
            "ds01-build",
            "create",
            "img",
            "--name",
            "p",
            "--interface",
            "bogus",
        ];
        assert!(Cli::try_parse_from(full.drain(..)).is_err());
    }

    #[test]
    fn value_validation() {
        let cases: &[(&[&str], &str)] = &[
            (&["--gpus", "two"], "--gpus \"two\" is not valid for ds01.gpus: expected all, a count N, or device=ID"),
            (&["--gpus=-1"], "--gpus"),
            (&["--gpus", ""], "non-empty"),
            (&["--gpu-uuids", "GPU-a,,GPU-b"], "--gpu-uuids"),
            (&["--gpu-uuids", "GPU-a,"], "--gpu-uuids"),
            (&["--gpu-slots", "0:0,1"], "--gpu-slots \"0:0,1\" is not valid for ds01.gpu.slots: expected a comma list of DS01 slot ids N or N.M"),
            (&["--gpu-slots", "1.2.3"], "--gpu-slots"),
            (&["--set", "ds01.gpu.slot_count=0"], "--set \"0\" is not valid for ds01.gpu.slot_count: expected a whole number of at least 1"),
            (&["--set", "ds01.container_type=vm"], "--set \"vm\" is not valid for ds01.container_type: expected one of atomic, orchestration"),
            (&["--set", "ds01.gpu.allocated_at=2026-07-22T12:00:00+01:00"], "expected a UTC timestamp"),
            (&["--work-mount", "home/alice"], "--work-mount \"home/alice\" is not valid for ds01.work_mount: expected an absolute path"),
            (&["--data-mount", "./data"], "--data-mount"),
            (&["--models-mount", "~/m"], "--models-mount"),
            (&["--framework", ""], "--framework"),
            (&["--project", "a\nb"], "control characters"),
        ];
        for (extra, needle) in cases {
            let mut argv = vec!["img", "--name", "p"];
            argv.extend_from_slice(extra);
            let e = err(&argv);
            assert!(e.contains(needle), "{extra:?}: {e}");
        }
        for bad in ["", "-x", "a b"] {
            let mut bad_args = args(&["img", "--name", "p"]);
            bad_args.image = Some(bad.into());
            let inputs = Inputs {
                invoker: &alice(),
                owner_refusal: Some("you are alice".into()),
                now: now(),
                ds01_context: None,
                lookup_user: &lookup,
                files: &PassthroughFiles::default(),
                elevated: None,
                policy: None,
            };
            let result = plan(&bad_args, &inputs, &Engine::new("docker", false));
            assert!(matches!(result, Err(CreateError::BadImage(_))), "{bad:?}");
        }
        assert!(plan_with(
            &["localhost:5000/a/b:1@sha256:00", "--name", "p"],
            false,
            None
        )
        .is_ok());
    }

    #[test]
    fn custom_image_rule() {
        assert_eq!(custom_image("aimehub/pytorch:2"), "");
        assert_eq!(custom_image("docker.io/aimehub/pytorch"), "");
        assert_eq!(custom_image("ghcr.io/aimehub/x"), "ghcr.io/aimehub/x");
        assert_eq!(custom_image("my/img"), "my/img");
    }

    #[test]
    fn forged_labels_refused_in_every_form() {
        for form in [
            &["--label", "ds01.user=mallory"][..],
            &["--label=ds01.user=mallory"],
            &["-l", "ds01.user=mallory"],
            &["-lds01.user=mallory"],
            &["-l=ds01.user=mallory"],
            &["-itl", "ds01.user=mallory"],
            &["--label", "aime.mlc.USER=mallory"],
            &["--label", "aime.mlc=mallory"],
            &["--label", "DS01.managed=true"],
            &["--label", "ds01.protected"],
            &["--network", "none", "--label", " ds01.user=x"],
        ] {
            let mut argv = vec!["img", "--name", "p", "--"];
            argv.extend_from_slice(form);
            let e = err(&argv);
            assert!(
                e.contains("are written only by ds01-build create"),
                "{form:?}: {e}"
            );
        }
        assert!(plan_with(
            &["img", "--name", "p", "--", "--label", "ds01x=1"],
            false,
            None
        )
        .is_ok());
    }

    #[test]
    fn label_files_are_read_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good");
        std::fs::write(&good, "# ds01.user=comment\n\ncom.example.a=1\n").unwrap();
        let bad = dir.path().join("bad");
        std::fs::write(&bad, "com.example.a=1\n   aime.mlc.USER=mallory\n").unwrap();
        let (good, bad) = (good.to_str().unwrap(), bad.to_str().unwrap());
        assert!(plan_with(
            &["img", "--name", "p", "--", "--label-file", good],
            false,
            None
        )
        .is_ok());
        let e = err(&[
            "img",
            "--name",
            "p",
            "--",
            "--label-file",
            good,
            "--label-file",
            bad,
        ]);
        assert_eq!(
            e,
            format!(
                "passthrough --label-file {bad}:2 sets label \"aime.mlc.USER\": ds01.* and aime.mlc* \
                 labels are written only by ds01-build create itself (use its flags)"
            )
        );
        let e = err(&["img", "--name", "p", "--", "--label-file=/nonexistent/x"]);
        assert!(
            e.starts_with("cannot read passthrough --label-file /nonexistent/x: "),
            "{e}"
        );
    }

    #[test]
    fn forged_label_refused_before_owner_and_name_errors() {
        let e = err(&[
            "img",
            "--name",
            "",
            "--owner",
            "bob",
            "--",
            "-l",
            "ds01.user=x",
        ]);
        assert!(e.contains("sets label \"ds01.user\""), "{e}");
    }

    /// The docker command line after `--`: options, IMAGE, COMMAND byte-exact as Config.Cmd; the
    /// older `IMAGE` argument form gives the same argv.
    #[test]
    fn argv_with_image_and_command_after_the_options() {
        let rocm = "sudo chown root:video /dev/kfd; sudo chown -R root:video /dev/dri; bash";
        let plan = plan_ok(&[
            "--name",
            "p",
            "--",
            "-it",
            "--user",
            "1000:100",
            "--shm-size",
            "16g",
            "img:1",
            "bash",
            "-c",
            rocm,
            "--label",
            "ds01.user=x",
        ]);
        assert_eq!(plan.image, "img:1");
        assert_eq!(plan.cmd, ["bash", "-c", rocm, "--label", "ds01.user=x"]);
        assert_eq!(plan.labels["ds01.image"], "img:1");
        let argv = &plan.command.argv;
        assert_eq!(
            argv[..9],
            [
                "docker",
                "create",
                "--name",
                "p._.1000",
                "-it",
                "--user",
                "1000:100",
                "--shm-size",
                "16g"
            ]
        );
        let dashdash = argv.iter().position(|a| a == "--").unwrap();
        assert_eq!(
            argv[dashdash + 1..],
            ["img:1", "bash", "-c", rocm, "--label", "ds01.user=x"]
        );
        assert!(argv[9..dashdash]
            .chunks(2)
            .all(|c| c[0] == "--label" && c[1].starts_with("ds01.")));
        // The older form, same container.
        let old = plan_ok(&[
            "img:1",
            "--name",
            "p",
            "--",
            "-it",
            "--user",
            "1000:100",
            "--shm-size",
            "16g",
        ]);
        assert_eq!(old.command.argv[..dashdash + 2], argv[..dashdash + 2]);
        assert!(old.cmd.is_empty());
    }

    #[test]
    fn image_or_command_given_twice_or_missing() {
        let e = err(&["img", "--name", "p", "--", "-it", "other"]);
        assert_eq!(e, "passthrough \"other\" would be a second IMAGE (IMAGE \"img\" is already given before --): give the image and its command once, after the docker options: ds01-build create [FLAGS] -- [OPTIONS...] IMAGE [COMMAND] [ARG...]");
        // A command after the older form's IMAGE is a second image-and-command.
        assert!(
            err(&["img", "--name", "p", "--", "img", "bash"]).contains("would be a second IMAGE")
        );
        assert!(err(&["--name", "p", "--", "-it"]).starts_with("no IMAGE: write ds01-build create"));
        assert!(err(&["--name", "p"]).starts_with("no IMAGE"));
    }

    #[test]
    fn set_writes_typed_keys_and_refuses_the_rest() {
        let plan = plan_ok(&[
            "img",
            "--name",
            "p",
            "--set",
            "ds01.container_type=atomic",
            "--set",
            "ds01.gpu.priority=10",
            "--set",
            "ds01.user.sanitized=alice",
        ]);
        assert_eq!(plan.labels["ds01.container_type"], "atomic");
        assert_eq!(plan.labels["ds01.gpu.priority"], "10");
        assert_eq!(plan.labels["ds01.user.sanitized"], "alice");
        let set = |kv: &str| err(&["img", "--name", "p", "--set", kv]);
        assert_eq!(set("ds01.user=x"), "--set ds01.user: is owner-bearing (DS01 readers take the owner from it): create writes it from the invoking user (root: --owner)");
        assert!(set("ds01.user_id=0").contains("owner-bearing"));
        assert!(set("ds01.nope=1").starts_with("--set ds01.nope: is not a key of the ds01.* schema; --set takes one of: ds01.container_type,"));
        assert!(set("aime.mlc.USER=x").contains("is not a key of the ds01.* schema"));
        assert!(set("com.example.a=1").contains("is not a key of the ds01.* schema"));
        assert!(set("ds01.gpu.uuid=MIG-a").contains("compatibility copy of ds01.gpu.uuids"));
        assert!(set("ds01.gpus=1").contains("use --gpus"));
        assert!(set("ds01.created_at=2026-01-01T00:00:00Z").contains("computed by create"));
        assert!(set("ds01.container_type").contains("has no '='"));
        assert!(set("ds01.gpu.priority=").contains("non-empty"));
        let e = err(&[
            "img",
            "--name",
            "p",
            "--set",
            "ds01.gpu.priority=1",
            "--set",
            "ds01.gpu.priority=2",
        ]);
        assert_eq!(
            e,
            "--set ds01.gpu.priority given twice (\"1\" and \"2\"): give it once"
        );
    }

    #[test]
    fn compat_keys_for_one_gpu_and_the_switch() {
        let argv = [
            "img",
            "--name",
            "p",
            "--gpu-uuids",
            "MIG-a",
            "--gpu-slots",
            "1.2",
        ];
        let plan = plan_ok(&argv);
        assert_eq!(plan.labels["ds01.gpu.uuid"], "MIG-a");
        assert_eq!(plan.labels["ds01.gpu.uuids"], "MIG-a");
        assert_eq!(plan.labels["ds01.gpu.allocated"], "1.2");
        let mut off = argv.to_vec();
        off.push("--no-compat-keys");
        let plan = plan_ok(&off);
        assert!(!plan.labels.contains_key("ds01.gpu.uuid"));
        assert!(!plan.labels.contains_key("ds01.gpu.allocated"));
        assert_eq!(plan.labels["ds01.gpu.slots"], "1.2");
    }

    #[test]
    fn foreign_home_labels_refused_for_non_root_only() {
        let argv = [
            "img",
            "--name",
            "p",
            "--",
            "-l",
            "devcontainer.local_folder=/home/bob/x",
        ];
        let e = plan_with(&argv, false, None).unwrap_err().to_string();
        assert!(
            e.contains("names \"bob\"'s home as devcontainer.local_folder"),
            "{e}"
        );
        assert!(plan_with(&argv, true, None).is_ok());
        assert!(plan_with(
            &[
                "img",
                "--name",
                "p",
                "--",
                "-l",
                "devcontainer.local_folder=/home/alice/x"
            ],
            false,
            None
        )
        .is_ok());
    }

    #[test]
    fn json_shape() {
        let plan = plan_ok(&["img", "--name", "p"]);
        let json = plan.to_json();
        assert_eq!(json["name"], "p._.1000");
        assert_eq!(json["argv"][0], "docker");
        assert_eq!(json["labels"]["ds01.user"], "alice");
        assert_eq!(json.as_object().unwrap().len(), 4);
        assert_eq!(json["neutralised"], serde_json::json!([]));
    }
}
