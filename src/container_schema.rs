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
    /// ISO 8601 / RFC 3339 timestamp.
    Timestamp,
    /// ISO 8601 UTC timestamp ending in `Z`, e.g. `2026-11-23T17:16:57Z`.
    UtcTimestamp,
    /// Comma-separated list of non-empty items.
    CommaList,
    /// Comma-separated list of `gpu:mig` slots, e.g. `0:0,0:1`.
    SlotList,
    /// An absolute host path.
    Path,
    /// A non-negative whole number, as a string.
    Number,
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
    /// DS01's own scripts (the container-create wrapper), not `ds01-build`.
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

/// `ds01.container_type` values.
pub const CONTAINER_TYPE_VALUES: &[&str] = &["devcontainer", "compose", "docker", "unknown"];

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

use ValueType as T;
use Writer as W;

/// Every `ds01.*` key, in documentation order.
pub static KEYS: &[KeySpec] = &[
    replaces(
        required(key(
            "ds01.user",
            T::String,
            W::Create,
            "Container owner (username): the invoking user (`SUDO_USER` under sudo), or `--owner` from root",
        )),
        &["aime.mlc.USER", "aime.mlc"],
    ),
    replaces(
        required(key(
            "ds01.managed",
            T::Boolean,
            W::Create,
            "DS01 management flag, always `true`",
        )),
        &["aime.mlc.DS01_MANAGED"],
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
            W::Admin,
            "What kind of container it is",
        ),
        &["aime.mlc.DS01_TYPE"],
    ),
    replaces(
        required(key(
            "ds01.created_at",
            T::UtcTimestamp,
            W::Create,
            "Creation time, UTC (`...Z`)",
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
    replaces(
        required(key(
            "ds01.user_id",
            T::Number,
            W::Create,
            "Owner's numeric uid",
        )),
        &["aime.mlc.DS01_USER_ID"],
    ),
    replaces(
        required(key(
            "ds01.group_id",
            T::Number,
            W::Create,
            "Owner's numeric primary gid",
        )),
        &["aime.mlc.DS01_GROUP_ID"],
    ),
    replaces(
        key(
            "ds01.username",
            T::String,
            W::Ds01Scripts,
            "Sanitised username",
        ),
        &["aime.mlc.DS01_USERNAME"],
    ),
    replaces(
        key(
            "ds01.arch",
            T::String,
            W::Create,
            "GPU architecture, e.g. CUDA or ROCM",
        ),
        &["aime.mlc.ARCH"],
    ),
    replaces(
        key(
            "ds01.framework",
            T::String,
            W::Create,
            "ML framework and version, `fw-version`",
        ),
        &["aime.mlc.FRAMEWORK", "aime.mlc.DS01_FRAMEWORK"],
    ),
    replaces(
        key(
            "ds01.mlc_version",
            T::String,
            W::Ds01Scripts,
            "AIME MLC version that made the container",
        ),
        &["aime.mlc.MLC_VERSION"],
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
            T::Path,
            W::Create,
            "Host path mounted as data",
        ),
        &["aime.mlc.DATA_MOUNT"],
    ),
    replaces(
        key(
            "ds01.models_mount",
            T::Path,
            W::Create,
            "Host path mounted as models",
        ),
        &["aime.mlc.MODELS_MOUNT"],
    ),
    replaces(
        key("ds01.workspace", T::String, W::Create, "Workspace name"),
        &["aime.mlc.DS01_WORKSPACE"],
    ),
    replaces(
        key("ds01.project", T::String, W::Create, "Project name"),
        &["aime.mlc.DS01_PROJECT"],
    ),
    replaces(
        key("ds01.gpus", T::Number, W::Create, "Number of GPUs"),
        &["aime.mlc.GPUS"],
    ),
    replaces(
        key(
            "ds01.gpu.uuids",
            T::CommaList,
            W::Create,
            "Allocated GPU/MIG UUIDs, comma list",
        ),
        &["ds01.gpu.uuid"],
    ),
    replaces(
        key(
            "ds01.gpu.slots",
            T::SlotList,
            W::Create,
            "Allocated `gpu:mig` slots, comma list, e.g. `0:0,0:1`",
        ),
        &["ds01.gpu_slot"],
    ),
    key(
        "ds01.gpu.allocated",
        T::Timestamp,
        W::GpuAllocator,
        "When the GPUs were allocated",
    ),
    key(
        "ds01.gpu_ephemeral",
        T::Boolean,
        W::GpuAllocator,
        "GPUs are released when the container stops",
    ),
    key(
        "ds01.slice",
        T::String,
        W::Create,
        "systemd slice the container runs in",
    ),
    key(
        "ds01.protected",
        T::Boolean,
        W::Create,
        "Protected from automatic cleanup",
    ),
    replaces(
        key(
            "ds01.has_user_setup",
            T::Boolean,
            W::Admin,
            "User setup has run inside the container",
        ),
        &["aime.mlc.DS01_HAS_USER_SETUP"],
    ),
    deprecated(
        key(
            "ds01.gpu.uuid",
            T::String,
            W::Nobody,
            "Single GPU UUID (singular form)",
        ),
        "ds01.gpu.uuids",
    ),
    deprecated(
        key(
            "ds01.gpu_slot",
            T::String,
            W::Nobody,
            "Single GPU slot (old spelling)",
        ),
        "ds01.gpu.slots",
    ),
];

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
#[error("{0:?} is not a ds01.interface value a creator may write")]
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
    value("ds01.gpus", "--gpus", "N", Some("Number of GPUs")),
    value(
        "ds01.gpu.uuids",
        "--gpu-uuids",
        "U1,U2",
        Some("Comma list of GPU UUIDs"),
    ),
    value(
        "ds01.gpu.slots",
        "--gpu-slots",
        "0:0,0:1",
        Some("Comma list of GPU:MIG slots, e.g. 0:0,0:1"),
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
    value("ds01.workspace", "--workspace", "P", None),
    value("ds01.project", "--project", "P", None),
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
    "Booleans are the strings `true` and `false`; timestamps are ISO 8601, `ds01.created_at` in UTC with `Z`.",
    "Labels are immutable after `docker create`: containers are never relabelled; readers fall back to the legacy keys until legacy containers age out.",
    "External namespaces (`devcontainer.*`, `com.docker.compose.*`) are left alone.",
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
            .filter(move |k| !k.deprecated() && k.required == required)
    };
    md.push_str("\n## Core keys\n\nWritten on every container `ds01-build create` makes.\n\n");
    key_table(&mut md, current(true));
    md.push_str(
        "\n## Optional keys\n\nWritten when known: by `ds01-build create` when its flag is given, \
         or by the component named.\n\n",
    );
    key_table(&mut md, current(false));

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
    md.push_str("| Key | Type | Description | Set by | Replaces |\n|---|---|---|---|---|\n");
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
            "| `{}` | {} | {} | {} | {} |\n",
            spec.key,
            ty,
            cell(spec.description),
            match (spec.set_by, create_flag(spec.key)) {
                (W::Create, Some(flag)) => format!("{} (`{flag}`)", spec.set_by.as_str()),
                (other, _) => other.as_str().to_string(),
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
            T::CommaList => value.split(',').all(|item| !item.trim().is_empty()),
            T::SlotList => value.split(',').all(is_slot),
            T::Path => value.starts_with('/'),
            T::Number => !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()),
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
            T::Timestamp => "an RFC 3339 timestamp, e.g. 2026-11-23T17:16:57Z".into(),
            T::UtcTimestamp => "a UTC timestamp like 2026-11-23T17:16:57Z".into(),
            T::CommaList => "a comma list of non-empty items, e.g. GPU-1,GPU-2".into(),
            T::SlotList => "a comma list of GPU:MIG slots, e.g. 0:0,0:1".into(),
            T::Path => "an absolute path, e.g. /home/alice/workspace".into(),
            T::Number => "a whole number, e.g. 2".into(),
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
            T::SlotList => "slot list",
            T::Path => "path",
            T::Number => "number",
        }
    }
}

fn is_slot(item: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match item.split_once(':') {
        Some((gpu, mig)) => digits(gpu) && digits(mig),
        None => false,
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
        assert_eq!(replacement_for("ds01.gpu.uuid"), Some("ds01.gpu.uuids"));
        assert_eq!(replacement_for("ds01.gpu_slot"), Some("ds01.gpu.slots"));
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
        let legacy = section("## Legacy `aime.mlc.*` mapping");
        for spec in KEYS {
            let row = format!("\n| `{}` |", spec.key);
            let (home, others) = if spec.deprecated() {
                (&deprecated, [&core, &optional])
            } else if spec.required {
                (&core, [&optional, &deprecated])
            } else {
                (&optional, [&core, &deprecated])
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
        assert!(md.contains("| `ds01.gpu.uuid` | `ds01.gpu.uuids` |"));
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
        assert!(check_value("ds01.managed", "true").is_ok());
        assert!(check_value("ds01.managed", "yes").is_err());
        assert!(check_value("ds01.interface", "atomic").is_ok());
        assert!(check_value("ds01.interface", "ATOMIC")
            .unwrap_err()
            .contains("orchestration"));
        assert!(check_value("ds01.created_at", "2026-11-23T17:16:57Z").is_ok());
        assert!(check_value("ds01.created_at", "2026-11-23T17:16:57+01:00").is_err());
        assert!(check_value("ds01.gpu.allocated", "2026-11-23T17:16:57+01:00").is_ok());
        assert!(check_value("ds01.gpu.slots", "0:0,0:1").is_ok());
        assert!(check_value("ds01.gpu.slots", "0:0,,0:1").is_err());
        assert!(check_value("ds01.gpu.slots", "0").is_err());
        assert!(check_value("ds01.gpu.uuids", "GPU-a,GPU-b").is_ok());
        assert!(check_value("ds01.gpu.uuids", "GPU-a,").is_err());
        assert!(check_value("ds01.work_mount", "/home/a").is_ok());
        assert!(check_value("ds01.work_mount", "home/a").is_err());
        assert!(check_value("ds01.gpus", "2").is_ok());
        assert!(check_value("ds01.gpus", "two").is_err());
        assert!(check_value("ds01.gpus", "").is_err());
        assert!(check_value("com.example.x", "anything").is_ok());
    }
}
