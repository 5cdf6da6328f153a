//! The `ds01.*` container label schema: one table, everything else derived from it.
//!
//! Each [`KeySpec`] names a key, its value type, who sets it, the legacy keys it replaces (read-only,
//! from the `aime.mlc.*` namespace or older `ds01.*` spellings) and, for deprecated keys, the key that
//! replaces them. Validation on `create`, the legacy mapping the readers use, `lint`'s typed checks
//! and `docs/LABEL_SCHEMA.md` all come from [`KEYS`].

use serde::Serialize;

/// The DS01 namespace prefix.
pub const NAMESPACE: &str = "ds01.";
/// The legacy AIME namespace: the bare key (`aime.mlc` = user) and its children.
pub const LEGACY_NAMESPACE: &str = "aime.mlc";
/// Separator between NAME and the owner's uid in AIME container names (`NAME._.UID`): `create`
/// writes it, the ownership chain reads it.
pub const UID_SEPARATOR: &str = "._.";

/// What a label value must look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "values", rename_all = "snake_case")]
pub enum ValueType {
    /// Any string.
    String,
    /// `true` or `false`.
    Boolean,
    /// One of a fixed set of values.
    Enum(&'static [&'static str]),
    /// RFC 3339 timestamp with `Z` or an offset, e.g. `2026-11-23T17:16:57+01:00`.
    Timestamp,
    /// RFC 3339 UTC timestamp ending in `Z`, e.g. `2026-11-23T17:16:57Z`.
    UtcTimestamp,
    /// Comma-separated list of non-empty items without spaces.
    CommaList,
    /// One GPU or MIG id (`GPU-...`, `MIG-...`, or a slot id when nvidia-smi failed): no comma, no space.
    GpuId,
    /// Comma-separated DS01 slot ids: whole GPU `N`, MIG `N.M`, e.g. `1.0,1.1`.
    SlotList,
    /// A GPU request as `--gpus` takes it: `all`, a count `N`, or `device=ID[,ID...]`.
    GpuRequest,
    /// An absolute host path.
    Path,
    /// An absolute host path, or `-` for none.
    PathOrDash,
    /// A non-negative whole number, as a string.
    Number,
    /// A whole number of at least 1.
    Count,
}

/// Who is expected to write a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Writer {
    /// `ds01-build create`.
    Create,
    /// The GPU allocator.
    GpuAllocator,
    /// The resource enforcer (systemd slices).
    Enforcer,
    /// An administrator or user action after create (docker create only: labels are immutable).
    Admin,
    /// DS01's own scripts (the docker wrapper, the container-create wrapper, image-create, the
    /// monitoring stack), not `ds01-build`.
    Ds01Scripts,
    /// No longer written by anyone.
    Nobody,
}

impl Writer {
    pub fn as_str(self) -> &'static str {
        match self {
            Writer::Create => "ds01-build create",
            Writer::GpuAllocator => "GPU allocator",
            Writer::Enforcer => "resource enforcer",
            Writer::Admin => "admin",
            Writer::Ds01Scripts => "DS01 scripts",
            Writer::Nobody => "nobody (deprecated)",
        }
    }
}

/// Where a key belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// A container's runtime state: an image carrying it would hand it to every container made
    /// from the image (`lint` L010; `create` neutralises it).
    Container,
    /// An image label (DS01's image-create writes it); containers inherit it.
    Image,
    /// Written on both.
    Both,
}

/// One `ds01.*` key.
#[derive(Debug, Clone, Serialize)]
pub struct KeySpec {
    pub key: &'static str,
    #[serde(flatten)]
    pub value_type: ValueType,
    pub description: &'static str,
    pub set_by: Writer,
    /// Required on every container `create` makes.
    pub required: bool,
    /// Older keys this one replaces; readers fall back to them in this order.
    pub legacy: &'static [&'static str],
    /// For a deprecated key: the key to use instead.
    pub replaced_by: Option<&'static str>,
    /// A compatibility copy `create` writes from this other key for readers that do not read it
    /// yet (see [`compat_value`]); `--no-compat-keys` stops writing it.
    pub compat_of: Option<&'static str>,
    /// A DS01 reader takes the container's owner from this key (never settable with `--set`).
    pub owner_bearing: bool,
    pub scope: Scope,
}

impl KeySpec {
    pub fn deprecated(&self) -> bool {
        self.replaced_by.is_some()
    }
}

/// `ds01.interface` values. The first six are written today; older writers also used the rest.
pub const INTERFACE_VALUES: &[&str] = &[
    "orchestration",
    "atomic",
    "api",
    "docker",
    "vscode",
    "unknown",
    "devcontainer",
    "compose",
    "custom",
];

/// `ds01.container_type` values as DS01's code writes them (the docker wrapper copies
/// `ds01.interface`, or detects devcontainer/compose/atomic/docker; from-image writes `custom`, the
/// monitoring stack `infrastructure`); readers also know `unknown`.
pub const CONTAINER_TYPE_VALUES: &[&str] = &[
    "atomic",
    "orchestration",
    "api",
    "devcontainer",
    "compose",
    "docker",
    "custom",
    "infrastructure",
    "unknown",
];

const fn key(
    key: &'static str,
    value_type: ValueType,
    set_by: Writer,
    description: &'static str,
) -> KeySpec {
    KeySpec {
        key,
        value_type,
        description,
        set_by,
        required: false,
        legacy: &[],
        replaced_by: None,
        compat_of: None,
        owner_bearing: false,
        scope: Scope::Container,
    }
}

const fn required(mut spec: KeySpec) -> KeySpec {
    spec.required = true;
    spec
}

const fn replaces(mut spec: KeySpec, legacy: &'static [&'static str]) -> KeySpec {
    spec.legacy = legacy;
    spec
}

const fn deprecated(mut spec: KeySpec, replaced_by: &'static str) -> KeySpec {
    spec.replaced_by = Some(replaced_by);
    spec.set_by = Writer::Nobody;
    spec
}

const fn compat(mut spec: KeySpec, of: &'static str) -> KeySpec {
    spec.compat_of = Some(of);
    spec
}

const fn owner(mut spec: KeySpec) -> KeySpec {
    spec.owner_bearing = true;
    spec
}

const fn scope(mut spec: KeySpec, scope: Scope) -> KeySpec {
    spec.scope = scope;
    spec
}

use ValueType as T;
use Writer as W;

/// Every `ds01.*` key, in documentation order.
pub static KEYS: &[KeySpec] = &[
    owner(replaces(
        required(key(
            "ds01.user",
            T::String,
            W::Create,
            "Container owner (username): the invoking user (`SUDO_USER` under sudo), or `--owner` from root",
        )),
        &["aime.mlc.USER", "aime.mlc"],
    )),
    scope(
        replaces(
            required(key(
                "ds01.managed",
                T::Boolean,
                W::Create,
                "DS01 management flag, always `true`",
            )),
            &["aime.mlc.DS01_MANAGED"],
        ),
        Scope::Both,
    ),
    required(key(
        "ds01.interface",
        T::Enum(INTERFACE_VALUES),
        W::Create,
        "How the container was created; default `DS01_CONTEXT`, else `atomic` (devcontainer, compose, custom: older writers only)",
    )),
    replaces(
        key(
            "ds01.container_type",
            T::Enum(CONTAINER_TYPE_VALUES),
            W::Ds01Scripts,
            "What kind of container it is (the docker wrapper); `devcontainer` has no idle timeout",
        ),
        &["aime.mlc.DS01_TYPE"],
    ),
    replaces(
        required(key(
            "ds01.created_at",
            T::Timestamp,
            W::Create,
            "Creation time, RFC 3339 with `Z` or an offset (`create` writes UTC `...Z`; the docker wrapper `date -Iseconds`)",
        )),
        &["aime.mlc.DS01_CREATED"],
    ),
    replaces(
        required(key(
            "ds01.name",
            T::String,
            W::Create,
            "DS01 container name, without the `._.UID` suffix",
        )),
        &["aime.mlc.NAME"],
    ),
    replaces(
        required(key(
            "ds01.container_name",
            T::String,
            W::Create,
            "The container's full engine name",
        )),
        &["aime.mlc.DS01_CONTAINER"],
    ),
    replaces(
        required(key(
            "ds01.image",
            T::String,
            W::Create,
            "Image the container was created from",
        )),
        &["aime.mlc.DS01_IMAGE"],
    ),
    scope(
        owner(replaces(
            required(key(
                "ds01.user_id",
                T::Number,
                W::Create,
                "Owner's numeric uid (audit scripts compare it with the container's uid)",
            )),
            &["aime.mlc.DS01_USER_ID"],
        )),
        Scope::Both,
    ),
    scope(
        replaces(
            required(key(
                "ds01.group_id",
                T::Number,
                W::Create,
                "Owner's numeric primary gid",
            )),
            &["aime.mlc.DS01_GROUP_ID"],
        ),
        Scope::Both,
    ),
    replaces(
        required(key(
            "ds01.custom_image",
            T::String,
            W::Create,
            "The image when it is not an AIME catalog image (`aimehub/...`), else empty",
        )),
        &["aime.mlc.CUSTOM_IMAGE"],
    ),
    scope(
        replaces(
            key(
                "ds01.username",
                T::String,
                W::Ds01Scripts,
                "Sanitised username of the image's owner (image-create)",
            ),
            &["aime.mlc.DS01_USERNAME"],
        ),
        Scope::Image,
    ),
    key(
        "ds01.user.sanitized",
        T::String,
        W::Create,
        "The owner's username sanitised for systemd slice names (DS01's rule, e.g. `h_baker`)",
    ),
    replaces(
        key(
            "ds01.arch",
            T::String,
            W::Create,
            "GPU architecture: `CUDA_AMPERE`, `CUDA_ADA`, `CUDA_BLACKWELL` or `ROCM<n>`",
        ),
        &["aime.mlc.ARCH"],
    ),
    scope(
        replaces(
            key(
                "ds01.framework",
                T::String,
                W::Create,
                "ML framework and version, `Framework-version` (e.g. `Pytorch-2.5.1`)",
            ),
            &["aime.mlc.FRAMEWORK", "aime.mlc.DS01_FRAMEWORK"],
        ),
        Scope::Both,
    ),
    replaces(
        key(
            "ds01.mlc_version",
            T::String,
            W::Create,
            "AIME MLC container version that made the container (DS01: `4`)",
        ),
        &["aime.mlc.MLC_VERSION"],
    ),
    replaces(
        key(
            "ds01.work_mount",
            T::Path,
            W::Create,
            "Host path mounted as the workspace",
        ),
        &["aime.mlc.WORK_MOUNT"],
    ),
    replaces(
        key(
            "ds01.data_mount",
            T::PathOrDash,
            W::Create,
            "Host path mounted as data, `-` for none",
        ),
        &["aime.mlc.DATA_MOUNT"],
    ),
    replaces(
        key(
            "ds01.models_mount",
            T::PathOrDash,
            W::Create,
            "Host path mounted as models, `-` for none",
        ),
        &["aime.mlc.MODELS_MOUNT"],
    ),
    replaces(
        key(
            "ds01.workspace",
            T::String,
            W::Create,
            "Workspace (from-image writes the host path)",
        ),
        &["aime.mlc.DS01_WORKSPACE"],
    ),
    scope(
        replaces(
            key("ds01.project", T::String, W::Create, "Project name"),
            &["aime.mlc.DS01_PROJECT"],
        ),
        Scope::Both,
    ),
    replaces(
        key(
            "ds01.gpus",
            T::GpuRequest,
            W::Create,
            "The GPU request as given to `--gpus`: `all`, `N`, `device=U1[,U2]`",
        ),
        &["aime.mlc.GPUS"],
    ),
    replaces(
        key(
            "ds01.gpu.uuids",
            T::CommaList,
            W::Create,
            "Allocated GPU/MIG UUIDs, comma list",
        ),
        &["ds01.gpu.uuid", "ds01.gpu_slot"],
    ),
    compat(
        key(
            "ds01.gpu.uuid",
            T::GpuId,
            W::Create,
            "The one allocated GPU/MIG UUID: the idle check and the stale-GPU guard read only this key",
        ),
        "ds01.gpu.uuids",
    ),
    key(
        "ds01.gpu.slots",
        T::SlotList,
        W::Create,
        "Allocated DS01 slot ids, comma list: whole GPU `N`, MIG `N.M`, e.g. `1.0,1.1`",
    ),
    compat(
        key(
            "ds01.gpu.allocated",
            T::SlotList,
            W::Create,
            "The allocated slot ids again (readers take the slot from it; the idle check counts containers carrying it)",
        ),
        "ds01.gpu.slots",
    ),
    key(
        "ds01.gpu.slot_count",
        T::Count,
        W::Create,
        "Number of allocated slots",
    ),
    key(
        "ds01.gpu.allocated_at",
        T::UtcTimestamp,
        W::Create,
        "When the GPUs were allocated, UTC",
    ),
    key(
        "ds01.gpu.priority",
        T::Number,
        W::Create,
        "Allocation priority (DS01 default `10`)",
    ),
    key(
        "ds01.gpu_ephemeral",
        T::Boolean,
        W::Ds01Scripts,
        "GPUs the docker wrapper allocated, released when the container stops",
    ),
    key(
        "ds01.slice",
        T::String,
        W::Create,
        "systemd slice the container runs in (no DS01 code reads it: the slice is `--cgroup-parent`)",
    ),
    key(
        "ds01.protected",
        T::Boolean,
        W::Create,
        "Protected: non-admins cannot stop or remove it, cleanup skips it",
    ),
    key(
        "ds01.monitoring",
        T::Boolean,
        W::Ds01Scripts,
        "Part of the monitoring stack: idle check, max runtime and cleanup skip it",
    ),
    key(
        "ds01.component",
        T::String,
        W::Ds01Scripts,
        "Monitoring stack component",
    ),
    key(
        "ds01.owner",
        T::String,
        W::Ds01Scripts,
        "Owning party of an infrastructure container (`system`)",
    ),
    key(
        "ds01.managed_by",
        T::String,
        W::Ds01Scripts,
        "What manages an infrastructure container",
    ),
    key(
        "ds01.description",
        T::String,
        W::Ds01Scripts,
        "Free-text description",
    ),
    scope(
        replaces(
            key(
                "ds01.has_user_setup",
                T::Boolean,
                W::Ds01Scripts,
                "The image already has the user set up (image-create; mlc reads it from the image)",
            ),
            &["aime.mlc.DS01_HAS_USER_SETUP"],
        ),
        Scope::Image,
    ),
    scope(
        key(
            "ds01.created",
            T::Timestamp,
            W::Ds01Scripts,
            "When image-create built the image",
        ),
        Scope::Image,
    ),
    deprecated(
        key(
            "ds01.gpu_slot",
            T::CommaList,
            W::Nobody,
            "GPU UUID(s) the docker wrapper allocated (old spelling)",
        ),
        "ds01.gpu.uuids",
    ),
];

/// Keys DS01 readers filter on by presence (`docker ps --filter label=KEY`) and count: an empty
/// value is not absent to them (`check-idle-containers.sh` counts `ds01.gpu.allocated` carriers).
pub const PRESENCE_READ_KEYS: &[&str] = &["ds01.gpu.allocated"];

/// Label keys outside `ds01.*` that DS01 readers take the owner from: the legacy user keys and
/// paths under `/home/USER` (see [`home_owner`]).
pub const FOREIGN_OWNER_KEYS: &[&str] = &[
    "aime.mlc.USER",
    "aime.mlc.username",
    "devcontainer.local_folder",
    "com.docker.compose.project.working_dir",
];

/// Keys whose value readers turn into an owner as the user `X` of `/home/X/...` (the third
/// `/`-separated field, as `cut -d/ -f3` does).
pub const HOME_PATH_OWNER_KEYS: &[&str] = &[
    "devcontainer.local_folder",
    "com.docker.compose.project.working_dir",
];

/// The user a `/home/X/...` value names, as DS01's readers read it (`Some("")` for `/home//x`).
pub fn home_owner(value: &str) -> Option<&str> {
    let rest = value.trim().strip_prefix("/home/")?;
    Some(rest.split('/').next().unwrap_or(""))
}

/// The value `create` writes for compat key `spec` given its source value, if any: the singular
/// `ds01.gpu.uuid` only for exactly one UUID; other copies verbatim.
pub fn compat_value(spec: &KeySpec, source: &str) -> Option<String> {
    match spec.key {
        "ds01.gpu.uuid" if source.contains(',') => None,
        _ => Some(source.to_string()),
    }
}

/// The keys `create` computes itself (never `--set`).
pub fn computed_by_create(key: &str) -> bool {
    lookup(key).is_some_and(|s| s.required) || key == "ds01.protected"
}

/// The `ds01.interface` values a creator may write: the first six of [`INTERFACE_VALUES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interface {
    Orchestration,
    Atomic,
    Api,
    Docker,
    Vscode,
    Unknown,
}

impl Interface {
    /// Every value, in [`INTERFACE_VALUES`] order.
    pub const ALL: [Interface; 6] = [
        Interface::Orchestration,
        Interface::Atomic,
        Interface::Api,
        Interface::Docker,
        Interface::Vscode,
        Interface::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Interface::Orchestration => "orchestration",
            Interface::Atomic => "atomic",
            Interface::Api => "api",
            Interface::Docker => "docker",
            Interface::Vscode => "vscode",
            Interface::Unknown => "unknown",
        }
    }
}

/// A value that is not one of [`Interface::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} is not a ds01.interface value a creator may write", crate::messages::quoted(.0))]
pub struct UnknownInterface(pub String);

impl std::str::FromStr for Interface {
    type Err = UnknownInterface;

    /// The exact value (`atomic`, not `Atomic`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Interface::ALL
            .into_iter()
            .find(|i| i.as_str() == s)
            .ok_or_else(|| UnknownInterface(s.to_string()))
    }
}

/// How a `create` flag appears on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagForm {
    /// The `IMAGE` argument.
    Argument,
    /// A flag `create` handles itself (`--name`, `--interface`, `--protected`).
    Own,
    /// `--flag VALUE`, written as the key's value after a check against its type: the optional keys.
    Value {
        value_name: &'static str,
        help: Option<&'static str>,
    },
}

/// One `ds01-build create` flag (or the `IMAGE` argument) and the key it gives a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreateFlag {
    pub key: &'static str,
    /// `--flag`, or `IMAGE`.
    pub flag: &'static str,
    pub form: FlagForm,
}

const fn value(
    key: &'static str,
    flag: &'static str,
    value_name: &'static str,
    help: Option<&'static str>,
) -> CreateFlag {
    CreateFlag {
        key,
        flag,
        form: FlagForm::Value { value_name, help },
    }
}

/// Every `create` flag that sets a key (the core keys without one are always computed). The
/// [`FlagForm::Value`] rows are the optional keys: the command line is generated from them in this
/// order, and `create` writes each one given.
pub const CREATE_FLAGS: &[CreateFlag] = &[
    CreateFlag {
        key: "ds01.image",
        flag: "IMAGE",
        form: FlagForm::Argument,
    },
    CreateFlag {
        key: "ds01.name",
        flag: "--name",
        form: FlagForm::Own,
    },
    CreateFlag {
        key: "ds01.interface",
        flag: "--interface",
        form: FlagForm::Own,
    },
    value(
        "ds01.framework",
        "--framework",
        "FRAMEWORK",
        Some("ML framework and version, e.g. pytorch-2.3"),
    ),
    value(
        "ds01.arch",
        "--arch",
        "ARCH",
        Some("GPU architecture, e.g. CUDA or ROCM"),
    ),
    value(
        "ds01.gpus",
        "--gpus",
        "REQUEST",
        Some("GPU request as given to docker --gpus: all, N, device=U1[,U2]"),
    ),
    value(
        "ds01.gpu.uuids",
        "--gpu-uuids",
        "U1,U2",
        Some("Comma list of GPU/MIG UUIDs (one UUID is also written as ds01.gpu.uuid)"),
    ),
    value(
        "ds01.gpu.slots",
        "--gpu-slots",
        "SLOTS",
        Some("Comma list of DS01 slot ids, e.g. 1.0,1.1 or 0 (also written as ds01.gpu.allocated)"),
    ),
    value(
        "ds01.work_mount",
        "--work-mount",
        "PATH",
        Some("Host path mounted as the workspace (absolute)"),
    ),
    value(
        "ds01.data_mount",
        "--data-mount",
        "PATH",
        Some("Host path mounted as data (absolute)"),
    ),
    value(
        "ds01.models_mount",
        "--models-mount",
        "PATH",
        Some("Host path mounted as models (absolute)"),
    ),
    value(
        "ds01.workspace",
        "--workspace",
        "NAME",
        Some("DS01 workspace name"),
    ),
    value(
        "ds01.project",
        "--project",
        "NAME",
        Some("DS01 project name"),
    ),
    value("ds01.slice", "--slice", "S", Some("systemd slice path")),
    CreateFlag {
        key: "ds01.protected",
        flag: "--protected",
        form: FlagForm::Own,
    },
];

/// The optional keys' flags: the [`FlagForm::Value`] rows of [`CREATE_FLAGS`], in order.
pub fn optional_create_flags() -> impl Iterator<Item = &'static CreateFlag> {
    CREATE_FLAGS
        .iter()
        .filter(|f| matches!(f.form, FlagForm::Value { .. }))
}

/// The `create` flag (or `IMAGE` argument) that gives `key` its value, if any.
pub fn create_flag(key: &str) -> Option<&'static str> {
    CREATE_FLAGS.iter().find(|f| f.key == key).map(|f| f.flag)
}

/// Why `--set KEY=VALUE` does not take a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetRefusal {
    #[error("is not a key of the ds01.* schema; --set takes one of: {}", settable_keys().collect::<Vec<_>>().join(", "))]
    Unknown,
    #[error("is owner-bearing (DS01 readers take the owner from it): create writes it from the invoking user (root: --owner)")]
    OwnerBearing,
    #[error("is computed by create itself")]
    Computed,
    #[error("has its own flag: use {0}")]
    HasFlag(&'static str),
    #[error(
        "is a compatibility copy of {0}: set {0} and create writes it (unless --no-compat-keys)"
    )]
    Compat(&'static str),
    #[error("is deprecated: set {0} instead")]
    Deprecated(&'static str),
}

/// The spec `--set KEY=VALUE` writes for `key`, or why it does not.
pub fn settable(key: &str) -> Result<&'static KeySpec, SetRefusal> {
    let spec = lookup(key).ok_or(SetRefusal::Unknown)?;
    if let Some(new) = spec.replaced_by {
        return Err(SetRefusal::Deprecated(new));
    }
    if spec.owner_bearing {
        return Err(SetRefusal::OwnerBearing);
    }
    if let Some(of) = spec.compat_of {
        return Err(SetRefusal::Compat(of));
    }
    if let Some(flag) = create_flag(key) {
        return Err(SetRefusal::HasFlag(flag));
    }
    if computed_by_create(key) {
        return Err(SetRefusal::Computed);
    }
    Ok(spec)
}

/// Every key `--set` takes, in table order.
pub fn settable_keys() -> impl Iterator<Item = &'static str> {
    KEYS.iter().map(|s| s.key).filter(|k| settable(k).is_ok())
}

/// The spec for a `ds01.*` key, if it is in the schema.
pub fn lookup(key: &str) -> Option<&'static KeySpec> {
    KEYS.iter().find(|spec| spec.key == key)
}

/// Whether `key` is in the legacy AIME namespace (`aime.mlc` itself or `aime.mlc.*`).
///
/// For readers: exact, because engines store keys as written and the legacy keys are read by their
/// exact spelling. Writers use the stricter [`is_reserved_key`], which also refuses look-alikes.
pub fn is_legacy_key(key: &str) -> bool {
    key == LEGACY_NAMESPACE
        || key
            .strip_prefix(LEGACY_NAMESPACE)
            .is_some_and(|rest| rest.starts_with('.'))
}

/// The current key a legacy or deprecated key maps to, if any.
pub fn replacement_for(old: &str) -> Option<&'static str> {
    KEYS.iter()
        .find(|spec| spec.legacy.contains(&old))
        .map(|spec| spec.key)
        .or_else(|| lookup(old).and_then(|spec| spec.replaced_by))
}

/// Check `value` against the type of `key`. `Ok(())` for keys outside the schema.
pub fn check_value(key: &str, value: &str) -> Result<(), String> {
    match lookup(key) {
        Some(spec) => spec.value_type.check(value),
        None => Ok(()),
    }
}

/// Keys that are in a namespace only DS01 may write: `ds01` / `ds01.*` and `aime.mlc` / `aime.mlc*`,
/// compared case-insensitively (a look-alike such as `DS01.user` is refused too).
///
/// For writers: case-insensitive and wider than [`is_legacy_key`] (any `aime.mlc*`), because a
/// forged look-alike must be refused even though no reader would take it for the real key.
pub fn is_reserved_key(key: &str) -> bool {
    let key = key.trim().to_ascii_lowercase();
    key == "ds01" || key.starts_with(NAMESPACE) || key.starts_with(LEGACY_NAMESPACE)
}

/// The naming convention, one rule per line (used in the docs and `schema --format json`).
pub const NAMING_RULES: &[&str] = &[
    "Every key is in the `ds01.` namespace and lowercase.",
    "`.` separates levels of hierarchy (`ds01.gpu.uuids`); `_` joins words inside a leaf (`ds01.created_at`).",
    "Lists are comma-separated in one value (`ds01.gpu.uuids=GPU-a,GPU-b`); list keys are plural.",
    "Booleans are the strings `true` and `false`; timestamps are RFC 3339 with `Z` or an offset (`create` writes UTC `Z`).",
    "Labels are immutable after `docker create`: containers are never relabelled; readers fall back to the legacy keys until legacy containers age out.",
    "External namespaces (`devcontainer.*`, `com.docker.compose.*`) are passed through, except ownership evidence: a non-root caller's `devcontainer.local_folder`/`com.docker.compose.project.working_dir` under `/home/X` must name their own home.",
];

/// The schema as JSON: namespaces, naming rules and every key.
pub fn to_json() -> serde_json::Value {
    serde_json::json!({
        "namespace": NAMESPACE,
        "legacy_namespace": LEGACY_NAMESPACE,
        "naming": NAMING_RULES,
        "keys": KEYS,
    })
}

/// The schema as Markdown: `docs/LABEL_SCHEMA.md` is exactly this text.
pub fn markdown() -> String {
    let mut md = String::new();
    md.push_str("# DS01 container label schema\n\n");
    md.push_str(
        "<!-- Generated by `ds01-build schema` from the table in src/container_schema.rs; do not edit by hand.\n     \
         Regenerate: cargo run --quiet -- schema > docs/LABEL_SCHEMA.md -->\n\n",
    );
    md.push_str(
        "Every DS01-managed container carries labels in the `ds01.*` namespace. `ds01-build create` is \
         the one writer of the core keys; readers (`owner`, `ps`, `audit`) also understand the legacy \
         `aime.mlc.*` keys listed below, which are read-only: nothing writes them any more.\n\n",
    );

    md.push_str("## Naming convention\n\n");
    for rule in NAMING_RULES {
        md.push_str(&format!("- {rule}\n"));
    }

    let current = |required: bool| {
        KEYS.iter()
            .filter(move |k| !k.deprecated() && k.compat_of.is_none() && k.required == required)
    };
    md.push_str("\n## Core keys\n\nWritten on every container `ds01-build create` makes.\n\n");
    key_table(&mut md, current(true));
    md.push_str(
        "\n## Optional keys\n\nWritten when known: by `ds01-build create` when its flag (or \
         `--set KEY=VALUE`) is given, or by the component named. Scope `image`: an image label \
         (containers inherit it); every other key is a container's runtime state, which `create` \
         never lets a container inherit from its image (it writes the key empty) and `lint IMAGE` \
         reports on images (L017).\n\n",
    );
    key_table(&mut md, current(false));

    md.push_str(
        "\n## Compatibility keys\n\nCopies `create` writes for DS01 readers that do not read \
         the source key yet; `audit` counts the containers carrying them. `--no-compat-keys` (or \
         `DS01_BUILD_NO_COMPAT_KEYS=true`) stops writing them.\n\n",
    );
    md.push_str("| Key | Copy of | Type | Description |\n|---|---|---|---|\n");
    for spec in KEYS.iter().filter(|k| k.compat_of.is_some()) {
        md.push_str(&format!(
            "| `{}` | `{}` | {} | {} |\n",
            spec.key,
            spec.compat_of.unwrap_or_default(),
            spec.value_type.name(),
            cell(spec.description),
        ));
    }

    md.push_str(&format!(
        "\n## Owner-bearing keys\n\nDS01 readers take a container's owner from these; \
         `--set` never writes them and passthrough labels may not set them (a non-root caller's \
         `/home/X` paths must name their own home): {}.\n",
        KEYS.iter()
            .filter(|k| k.owner_bearing)
            .map(|k| k.key)
            .chain(FOREIGN_OWNER_KEYS.iter().copied())
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ")
    ));

    md.push_str(
        "\n## Deprecated keys\n\nRead for old containers, never written. Use the replacement.\n\n",
    );
    md.push_str("| Key | Replacement | Was |\n|---|---|---|\n");
    for spec in KEYS.iter().filter(|k| k.deprecated()) {
        md.push_str(&format!(
            "| `{}` | `{}` | {} |\n",
            spec.key,
            spec.replaced_by.unwrap_or_default(),
            cell(spec.description),
        ));
    }

    md.push_str(&format!(
        "\n## Legacy `{LEGACY_NAMESPACE}.*` mapping\n\n\
         Containers created before the migration carry AIME MLC keys. Readers look up the `ds01.*` key \
         first and fall back to its legacy keys in the order given (ownership: `ds01.user`, then \
         `aime.mlc.USER`, then `aime.mlc`; managed: `ds01.managed` or `aime.mlc.DS01_MANAGED` equal to \
         `true`). `docker ps -a --filter label=aime.mlc.USER` lists legacy containers.\n\n"
    ));
    md.push_str("| Legacy key | Read as |\n|---|---|\n");
    for spec in KEYS {
        for old in spec.legacy.iter().filter(|old| is_legacy_key(old)) {
            md.push_str(&format!("| `{old}` | `{}` |\n", spec.key));
        }
    }
    md
}

fn key_table<'a>(md: &mut String, specs: impl Iterator<Item = &'a KeySpec>) {
    md.push_str(
        "| Key | Type | Description | Set by | Scope | Replaces |\n|---|---|---|---|---|---|\n",
    );
    for spec in specs {
        let ty = match spec.value_type {
            T::Enum(values) => format!(
                "enum: {}",
                values
                    .iter()
                    .map(|v| format!("`{v}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            other => other.name().to_string(),
        };
        let legacy = spec
            .legacy
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ");
        md.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} |\n",
            spec.key,
            ty,
            cell(spec.description),
            match (spec.set_by, create_flag(spec.key)) {
                (W::Create, Some(flag)) => format!("{} (`{flag}`)", spec.set_by.as_str()),
                (_, None) if settable(spec.key).is_ok() => {
                    format!("{} (`--set`)", spec.set_by.as_str())
                }
                (other, _) => other.as_str().to_string(),
            },
            match spec.scope {
                Scope::Container => "container",
                Scope::Image => "image",
                Scope::Both => "both",
            },
            if legacy.is_empty() {
                "—".into()
            } else {
                legacy
            },
        ));
    }
}

/// Escape a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

impl ValueType {
    /// `Ok(())` when `value` has this type, else what was expected.
    pub fn check(self, value: &str) -> Result<(), String> {
        let ok = match self {
            T::String => true,
            T::Boolean => matches!(value, "true" | "false"),
            T::Enum(values) => values.contains(&value),
            T::Timestamp => is_rfc3339(value),
            T::UtcTimestamp => is_rfc3339(value) && value.ends_with('Z'),
            T::CommaList => value.split(',').all(is_list_item),
            T::GpuId => is_list_item(value),
            T::SlotList => value.split(',').all(is_slot),
            T::GpuRequest => is_gpu_request(value),
            T::Path => value.starts_with('/'),
            T::PathOrDash => value == "-" || value.starts_with('/'),
            T::Number => is_number(value),
            T::Count => is_number(value) && value.bytes().any(|b| b != b'0'),
        };
        if ok {
            Ok(())
        } else {
            Err(self.expected())
        }
    }

    /// What a valid value looks like, for error messages and docs.
    pub fn expected(self) -> String {
        match self {
            T::String => "any string".into(),
            T::Boolean => "true or false".into(),
            T::Enum(values) => format!("one of {}", values.join(", ")),
            T::Timestamp => {
                "an RFC 3339 timestamp with Z or an offset, e.g. 2026-11-23T17:16:57+01:00".into()
            }
            T::UtcTimestamp => "a UTC timestamp like 2026-11-23T17:16:57Z".into(),
            T::CommaList => {
                "a comma list of non-empty items without spaces, e.g. GPU-1,GPU-2".into()
            }
            T::GpuId => "one GPU or MIG id without commas or spaces, e.g. MIG-4f5e6d7c".into(),
            T::SlotList => "a comma list of DS01 slot ids N or N.M, e.g. 1.0,1.1 or 0".into(),
            T::GpuRequest => {
                "all, a count N, or device=ID[,ID...], e.g. device=MIG-4f5e6d7c".into()
            }
            T::Path => "an absolute path, e.g. /home/alice/workspace".into(),
            T::PathOrDash => "an absolute path or -, e.g. /home/alice/data".into(),
            T::Number => "a whole number, e.g. 2".into(),
            T::Count => "a whole number of at least 1, e.g. 2".into(),
        }
    }

    /// Short type name for tables.
    pub fn name(self) -> &'static str {
        match self {
            T::String => "string",
            T::Boolean => "boolean",
            T::Enum(_) => "enum",
            T::Timestamp => "timestamp",
            T::UtcTimestamp => "timestamp (UTC)",
            T::CommaList => "comma list",
            T::GpuId => "GPU id",
            T::SlotList => "slot list",
            T::GpuRequest => "GPU request",
            T::Path => "path",
            T::PathOrDash => "path or -",
            T::Number => "number",
            T::Count => "count",
        }
    }
}

fn is_number(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// A non-empty list item: no whitespace, no comma, no control character.
fn is_list_item(item: &str) -> bool {
    !item.is_empty()
        && !item
            .chars()
            .any(|c| c == ',' || c.is_whitespace() || c.is_control())
}

/// A DS01 slot id: `N` (whole GPU) or `N.M` (MIG).
pub fn is_slot(item: &str) -> bool {
    match item.split_once('.') {
        Some((gpu, mig)) => is_number(gpu) && is_number(mig),
        None => is_number(item),
    }
}

/// `all`, `N`, or `device=ID[,ID...]`.
fn is_gpu_request(value: &str) -> bool {
    match value.strip_prefix("device=") {
        Some(ids) => ids.split(',').all(is_list_item),
        None => value == "all" || is_number(value),
    }
}

/// Whether `value` is an RFC 3339 date-time (`2020-09-12T00:23:06-04:00`, `...Z`).
pub fn is_rfc3339(value: &str) -> bool {
    time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc3339).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_lowercase_and_in_namespace() {
        let mut seen = std::collections::BTreeSet::new();
        for spec in KEYS {
            assert!(seen.insert(spec.key), "duplicate {}", spec.key);
            assert!(spec.key.starts_with(NAMESPACE), "{}", spec.key);
            assert!(
                crate::labels::key_rule_violations(spec.key).is_empty(),
                "{}",
                spec.key
            );
            if let Some(new) = spec.replaced_by {
                assert!(lookup(new).is_some_and(|s| !s.deprecated()), "{new}");
            }
        }
    }

    #[test]
    fn interfaces_are_the_schemas_current_values() {
        let names: Vec<&str> = Interface::ALL.iter().map(|i| i.as_str()).collect();
        assert_eq!(names, INTERFACE_VALUES[..names.len()]);
        for i in Interface::ALL {
            assert_eq!(i.as_str().parse::<Interface>(), Ok(i));
        }
        assert!("Atomic".parse::<Interface>().is_err());
        assert!("devcontainer".parse::<Interface>().is_err());
    }

    #[test]
    fn create_flags_name_schema_keys_once() {
        let mut seen = std::collections::BTreeSet::new();
        for f in CREATE_FLAGS {
            assert!(seen.insert(f.key), "{}", f.key);
            let spec = lookup(f.key).unwrap_or_else(|| panic!("{} not in KEYS", f.key));
            assert_eq!(spec.set_by, Writer::Create, "{}", f.key);
        }
        assert_eq!(optional_create_flags().count(), 11);
        assert!(optional_create_flags().all(|f| !lookup(f.key).unwrap().required));
    }

    #[test]
    fn legacy_mapping() {
        assert_eq!(replacement_for("aime.mlc.USER"), Some("ds01.user"));
        assert_eq!(replacement_for("aime.mlc"), Some("ds01.user"));
        assert_eq!(
            replacement_for("aime.mlc.DS01_FRAMEWORK"),
            Some("ds01.framework")
        );
        // The singular is read as the plural; the docker wrapper's gpu_slot holds UUIDs.
        assert_eq!(replacement_for("ds01.gpu.uuid"), Some("ds01.gpu.uuids"));
        assert_eq!(replacement_for("ds01.gpu_slot"), Some("ds01.gpu.uuids"));
        assert_eq!(replacement_for("ds01.user"), None);
        assert!(is_legacy_key("aime.mlc"));
        assert!(is_legacy_key("aime.mlc.USER"));
        assert!(!is_legacy_key("aime.mlcx"));
        assert!(!is_legacy_key("ds01.user"));
    }

    #[test]
    fn reserved_keys() {
        for key in [
            "ds01",
            "ds01.user",
            "DS01.User",
            " ds01.x",
            "aime.mlc",
            "aime.mlc.USER",
            "aime.mlcx",
        ] {
            assert!(is_reserved_key(key), "{key}");
        }
        for key in ["ds01x", "ds01-user", "com.example.ds01.user", "aime.ml", ""] {
            assert!(!is_reserved_key(key), "{key}");
        }
    }

    #[test]
    fn markdown_lists_every_key_once_in_its_section() {
        let md = markdown();
        let section = |title: &str| {
            let start = md.find(title).unwrap_or_else(|| panic!("no {title}"));
            let rest = &md[start + title.len()..];
            rest[..rest.find("\n## ").unwrap_or(rest.len())].to_string()
        };
        let core = section("## Core keys");
        let optional = section("## Optional keys");
        let deprecated = section("## Deprecated keys");
        let compat = section("## Compatibility keys");
        let legacy = section("## Legacy `aime.mlc.*` mapping");
        for spec in KEYS {
            let row = format!("\n| `{}` |", spec.key);
            let (home, others) = if spec.deprecated() {
                (&deprecated, [&core, &optional, &compat])
            } else if spec.compat_of.is_some() {
                (&compat, [&core, &optional, &deprecated])
            } else if spec.required {
                (&core, [&optional, &deprecated, &compat])
            } else {
                (&optional, [&core, &deprecated, &compat])
            };
            assert_eq!(home.matches(&row).count(), 1, "{row}");
            assert!(others.iter().all(|o| !o.contains(&row)), "{row}");
            for old in spec.legacy.iter().filter(|k| is_legacy_key(k)) {
                assert!(
                    legacy.contains(&format!("| `{old}` | `{}` |", spec.key)),
                    "{old}"
                );
            }
        }
        assert!(compat.contains("| `ds01.gpu.uuid` | `ds01.gpu.uuids` |"));
        assert!(md.contains("`--no-compat-keys`"));
        assert!(md.contains("`devcontainer.local_folder`"));
        assert!(core.contains("enum: `orchestration`, `atomic`"));
        assert!(md.contains("## Naming convention"));
        assert!(md.ends_with("|\n"));
    }

    #[test]
    fn json_has_types_and_enum_values() {
        let json = to_json();
        let keys = json["keys"].as_array().unwrap();
        assert_eq!(keys.len(), KEYS.len());
        let interface = keys.iter().find(|k| k["key"] == "ds01.interface").unwrap();
        assert_eq!(interface["type"], "enum");
        assert_eq!(interface["values"][0], "orchestration");
        let user = keys.iter().find(|k| k["key"] == "ds01.user").unwrap();
        assert_eq!(user["type"], "string");
        assert_eq!(user["legacy"][0], "aime.mlc.USER");
    }

    #[test]
    fn value_types() {
        let ok = |k: &str, v: &str| assert!(check_value(k, v).is_ok(), "{k}={v:?}");
        let bad = |k: &str, v: &str| assert!(check_value(k, v).is_err(), "{k}={v:?}");
        ok("ds01.managed", "true");
        bad("ds01.managed", "yes");
        ok("ds01.interface", "atomic");
        assert!(check_value("ds01.interface", "ATOMIC")
            .unwrap_err()
            .contains("orchestration"));
        // created_at: Z (create, the wrapper's CW) or an offset (DW's `date -Iseconds`).
        ok("ds01.created_at", "2026-11-23T17:16:57Z");
        ok("ds01.created_at", "2026-11-23T17:16:57+01:00");
        bad("ds01.created_at", "2026-11-23 17:16:57");
        ok("ds01.gpu.allocated_at", "2026-07-22T12:00:00Z");
        bad("ds01.gpu.allocated_at", "2026-07-22T12:00:00+01:00");
        // DS01 slot ids: whole GPU N, MIG N.M; the allocated list is the same.
        for key in ["ds01.gpu.slots", "ds01.gpu.allocated"] {
            for v in ["0", "1.2", "1.0,1.1", "0,3"] {
                ok(key, v);
            }
            for v in [
                "0:0",
                "1.",
                ".1",
                "1.0,,1.1",
                "1.0, 1.1",
                "",
                "2026-11-23T17:16:57Z",
                "a",
            ] {
                bad(key, v);
            }
        }
        ok("ds01.gpu.uuids", "GPU-a,MIG-b");
        bad("ds01.gpu.uuids", "GPU-a,");
        bad("ds01.gpu.uuids", "GPU-a, GPU-b");
        ok("ds01.gpu.uuid", "MIG-4f5e6d7c-8b9a-5c4d-9e8f-0a1b2c3d4e5f");
        bad("ds01.gpu.uuid", "GPU-a,GPU-b");
        ok("ds01.gpu_slot", "GPU-a,GPU-b");
        for v in ["all", "2", "device=MIG-a", "device=GPU-a,GPU-b"] {
            ok("ds01.gpus", v);
        }
        for v in ["two", "", "device=", "device=a,", "ALL", "-1"] {
            bad("ds01.gpus", v);
        }
        ok("ds01.gpu.slot_count", "1");
        bad("ds01.gpu.slot_count", "0");
        ok("ds01.gpu.priority", "10");
        bad("ds01.gpu.priority", "high");
        ok("ds01.work_mount", "/home/a");
        bad("ds01.work_mount", "home/a");
        bad("ds01.work_mount", "-");
        ok("ds01.data_mount", "-");
        ok("ds01.models_mount", "/m");
        bad("ds01.models_mount", "m");
        for v in CONTAINER_TYPE_VALUES {
            ok("ds01.container_type", v);
        }
        for v in ["atomic", "orchestration", "api", "custom", "infrastructure"] {
            ok("ds01.container_type", v);
        }
        bad("ds01.container_type", "vm");
        ok("com.example.x", "anything");
    }

    /// Compatibility keys: named in the table with their source, written from it.
    #[test]
    fn compat_keys() {
        let compat: Vec<(&str, &str)> = KEYS
            .iter()
            .filter_map(|s| s.compat_of.map(|of| (s.key, of)))
            .collect();
        assert_eq!(
            compat,
            [
                ("ds01.gpu.uuid", "ds01.gpu.uuids"),
                ("ds01.gpu.allocated", "ds01.gpu.slots")
            ]
        );
        let uuid = lookup("ds01.gpu.uuid").unwrap();
        assert_eq!(compat_value(uuid, "MIG-a"), Some("MIG-a".into()));
        assert_eq!(compat_value(uuid, "MIG-a,MIG-b"), None);
        let allocated = lookup("ds01.gpu.allocated").unwrap();
        assert_eq!(compat_value(allocated, "1.0,1.1"), Some("1.0,1.1".into()));
        assert!(!uuid.deprecated() && !allocated.deprecated());
    }

    /// What `--set` takes and refuses, and why.
    #[test]
    fn settable_keys_and_refusals() {
        for key in [
            "ds01.container_type",
            "ds01.gpu_ephemeral",
            "ds01.mlc_version",
            "ds01.username",
            "ds01.user.sanitized",
            "ds01.gpu.allocated_at",
            "ds01.gpu.priority",
            "ds01.gpu.slot_count",
            "ds01.monitoring",
        ] {
            assert!(settable(key).is_ok(), "{key}");
        }
        for key in ["ds01.user", "ds01.user_id"] {
            assert_eq!(
                settable(key).unwrap_err(),
                SetRefusal::OwnerBearing,
                "{key}"
            );
        }
        assert_eq!(
            settable("ds01.created_at").unwrap_err(),
            SetRefusal::Computed
        );
        assert_eq!(
            settable("ds01.protected").unwrap_err(),
            SetRefusal::HasFlag("--protected")
        );
        assert_eq!(
            settable("ds01.gpus").unwrap_err(),
            SetRefusal::HasFlag("--gpus")
        );
        assert_eq!(
            settable("ds01.gpu.uuid").unwrap_err(),
            SetRefusal::Compat("ds01.gpu.uuids")
        );
        assert_eq!(
            settable("ds01.gpu_slot").unwrap_err(),
            SetRefusal::Deprecated("ds01.gpu.uuids")
        );
        let unknown = settable("ds01.nope").unwrap_err().to_string();
        assert!(
            unknown.starts_with(
                "is not a key of the ds01.* schema; --set takes one of: ds01.container_type, "
            ),
            "{unknown}"
        );
        assert!(settable("aime.mlc.USER").is_err());
        // Every owner-bearing key is refused; the foreign ones are outside ds01.* anyway.
        for spec in KEYS.iter().filter(|s| s.owner_bearing) {
            assert!(settable(spec.key).is_err(), "{}", spec.key);
        }
        assert_eq!(home_owner("/home/bob/x"), Some("bob"));
        assert_eq!(home_owner("/home/bob"), Some("bob"));
        assert_eq!(home_owner("/srv/bob"), None);
    }
}
