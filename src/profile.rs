//! Build profiles: TOML files holding one image's label inputs and build inputs.
//!
//! [`load`] finds a profile by name or path, follows its `extends` chain (child wins key by key),
//! checks every placeholder and value it can check without other inputs, resolves paths against the
//! directory of the profile that declared them and fills defaults. The result is plain data
//! ([`Profile`]); computing labels, tags and argv from it is the build plan's job. Every error is
//! one line, located as `path:line:col` where the file has a place to point at.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;
use thiserror::Error;
use toml::Spanned;

use crate::image_schema;
use crate::template::{check_template, TemplateError};

/// `label-schema-version` when a profile sets none.
pub const DEFAULT_SCHEMA_VERSION: &str = "0.0.1";
/// Directory (under the working directory) where a profile NAME is looked up as `NAME.toml`.
pub const PROFILES_DIR: &str = "profiles";

/// Profile keys that are label leaves, and the leaf each one writes (same name except the two
/// `*Url` leaves, spelled as the seed's script writes them).
pub const LEAF_KEYS: [(&str, &str); 19] = [
    ("name", "name"),
    ("home", "home"),
    ("maintainer", "maintainer"),
    ("source-home", "source-home"),
    ("source-maintainer", "source-maintainer"),
    ("license-spdx", "license-spdx"),
    ("license-file", "license-file"),
    ("vendor", "vendor"),
    ("vendor-url", "vendorUrl"),
    ("title", "title"),
    ("description", "description"),
    ("content-home", "content-home"),
    ("content-source", "content-source"),
    ("content-license-spdx", "content-license-spdx"),
    ("content-license-file", "content-license-file"),
    ("content-vendor", "content-vendor"),
    ("content-vendor-url", "content-vendorUrl"),
    ("content-title", "content-title"),
    ("content-description", "content-description"),
];

/// A loaded profile with its `extends` chain merged, paths resolved and defaults filled.
///
/// Relative paths are relative to the `cwd` given to [`load`], and are cleaned lexically
/// (`profiles/../examples/hello` → `examples/hello`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// The profile file that was loaded (as found).
    pub path: PathBuf,
    /// `owner/name` or a full reference such as `ghcr.io/org/app`.
    pub image: String,
    pub schema: String,
    pub schema_version: String,
    /// `None` when neither `base-prefix` nor `base-profile` is set anywhere in the chain.
    pub base: Option<Base>,
    /// Label leaf name → raw template value, only the leaves the profile (chain) sets.
    pub leaves: BTreeMap<String, String>,
    /// `[extra-labels]` leaf → raw template value.
    pub extra_labels: BTreeMap<String, String>,
    /// `[annotations]` full key → raw template value (manifest annotations, where the engine has them).
    pub annotations: BTreeMap<String, String>,
    pub dockerfile: PathBuf,
    pub context: PathBuf,
    pub tag_file: PathBuf,
    /// `build-args`, split into words the way a POSIX shell would (no expansion).
    pub build_args: Vec<String>,
    pub oci: bool,
    /// Raw `created` value (`auto`, `now`, `commit` or RFC 3339); the build plan validates it.
    pub created: Option<String>,
}

/// Where the image's base comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Base {
    /// `base-prefix`: `"scratch"`, `""` (non-conforming base) or the parent's image prefix.
    Prefix(String),
    /// `base-profile`: the parent profile that was loaded and its `image`.
    ProfileImage { profile: PathBuf, image: String },
}

/// A place in a profile file; `line`/`col` are 1-based (col counts characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub path: PathBuf,
    pub line_col: Option<(usize, usize)>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line_col {
            Some((line, col)) => write!(f, "{}:{line}:{col}", self.path.display()),
            None => write!(f, "{}", self.path.display()),
        }
    }
}

#[derive(Debug, Error)]
pub enum ProfileError {
    #[error("{}", not_found(.referrer, .what, .tried, .available))]
    NotFound {
        /// The `extends`/`base-profile` value that named the profile, if it was not given directly.
        referrer: Option<Location>,
        what: String,
        tried: PathBuf,
        available: Vec<String>,
    },
    // The OS error is part of the message (not a `#[source]`), so that it is printed once.
    #[error("{path}: cannot read profile: {error}", path = .path.display())]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    /// TOML syntax, an unknown key or a wrong type.
    #[error("{at}: {message}")]
    Toml { at: Location, message: String },
    #[error("{at}: {key} = {}: {problem}", crate::messages::quoted(.value))]
    Placeholder {
        at: Location,
        key: String,
        value: String,
        problem: TemplateError,
    },
    #[error("{at}: base-prefix and base-profile are both set: keep one (base-prefix = \"scratch\", \"\" or the parent's prefix; or base-profile = \"NAME\")")]
    BaseConflict { at: Location },
    #[error("{at}: extra-labels leaf {} {}: leaves are like com.example.rating (not empty; no whitespace, '=' or control characters, which `--label KEY=VALUE` and a Dockerfile LABEL cannot carry)", crate::messages::quoted(.leaf), .fault.describe())]
    ExtraLabelLeaf {
        at: Location,
        leaf: String,
        fault: crate::labels::KeyFault,
    },
    #[error("{at}: annotation key {} {}: keys are like org.opencontainers.image.title (not empty; no whitespace, '=' or control characters)", crate::messages::quoted(.key), .fault.describe())]
    AnnotationKey {
        at: Location,
        key: String,
        fault: crate::labels::KeyFault,
    },
    #[error("{at}: build-args = {} cannot be split into words: {message}", crate::messages::quoted(.value))]
    BuildArgs {
        at: Location,
        value: String,
        message: String,
    },
    #[error("{at}: {key} = {} is invalid: expected {expected}", crate::messages::quoted(.value))]
    BadValue {
        at: Location,
        key: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error("{at}: extends cycle: {}", join_paths(.chain))]
    Cycle { at: Location, chain: Vec<PathBuf> },
    #[error("{at}: extends chain of more than {MAX_EXTENDS} profiles (from {}): shorten it", .first.display())]
    TooDeep { at: Location, first: PathBuf },
    #[error("{}: no image set (in it or the profiles it extends: {}): add image = \"owner/name\"", .path.display(), join_paths(.chain))]
    MissingImage { path: PathBuf, chain: Vec<PathBuf> },
    #[error("{at}: base-profile {} is this profile itself: name the parent image's profile", crate::messages::quoted(.name))]
    SelfBase { at: Location, name: String },
}

fn join_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(" -> ")
}

fn not_found(
    referrer: &Option<Location>,
    what: &str,
    tried: &Path,
    available: &[String],
) -> String {
    let head = match referrer {
        Some(at) => format!("{at}: profile {} not found", crate::messages::quoted(what)),
        None => format!("profile {} not found", crate::messages::quoted(what)),
    };
    let dir = tried
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let avail = if available.is_empty() {
        format!("no profiles in {}", dir.display())
    } else {
        format!("available in {}: {}", dir.display(), available.join(", "))
    };
    format!("{head}: tried {} ({avail})", tried.display())
}

type S = Option<Spanned<String>>;

/// One profile file as written. Field order is the order serde lists in "expected one of".
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawProfile {
    image: S,
    extends: S,
    schema: S,
    schema_version: S,
    base_prefix: S,
    base_profile: S,
    created: S,
    name: S,
    home: S,
    maintainer: S,
    source_home: S,
    source_maintainer: S,
    license_spdx: S,
    license_file: S,
    vendor: S,
    vendor_url: S,
    title: S,
    description: S,
    content_home: S,
    content_source: S,
    content_license_spdx: S,
    content_license_file: S,
    content_vendor: S,
    content_vendor_url: S,
    content_title: S,
    content_description: S,
    extra_labels: Option<BTreeMap<Spanned<String>, Spanned<String>>>,
    annotations: Option<BTreeMap<Spanned<String>, Spanned<String>>>,
    dockerfile: S,
    context: S,
    tag_file: S,
    build_args: S,
    oci: Option<bool>,
}

impl RawProfile {
    /// The leaf fields in [`LEAF_KEYS`] order.
    fn leaf_fields(&self) -> [&S; 19] {
        [
            &self.name,
            &self.home,
            &self.maintainer,
            &self.source_home,
            &self.source_maintainer,
            &self.license_spdx,
            &self.license_file,
            &self.vendor,
            &self.vendor_url,
            &self.title,
            &self.description,
            &self.content_home,
            &self.content_source,
            &self.content_license_spdx,
            &self.content_license_file,
            &self.content_vendor,
            &self.content_vendor_url,
            &self.content_title,
            &self.content_description,
        ]
    }
}

/// A profile file's text, for turning byte offsets into locations.
struct Source {
    path: PathBuf,
    text: String,
}

impl Source {
    fn at(&self, offset: usize) -> Location {
        Location {
            path: self.path.clone(),
            line_col: Some(line_col(&self.text, offset)),
        }
    }

    fn at_value(&self, value: &Spanned<String>) -> Location {
        self.at(value.span().start)
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// Byte offset in the file of byte `index` of a string value, when the value is written plainly
/// between quotes (no escapes); else the offset of the value's opening quote.
fn offset_in_value(src: &Source, value: &Spanned<String>, index: usize) -> usize {
    let span = value.span();
    if let Some(raw) = src.text.get(span.clone()) {
        for quote in ["\"\"\"", "'''", "\"", "'"] {
            let q = quote.len();
            if raw.len() >= 2 * q
                && raw.starts_with(quote)
                && raw.ends_with(quote)
                && raw[q..raw.len() - q] == **value.get_ref()
            {
                return span.start + q + index;
            }
        }
    }
    span.start
}

/// Lexically clean a path: drop `.`, fold `dir/..`; an empty result is `.`.
fn clean(path: &Path) -> PathBuf {
    let mut out: Vec<Component> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(c),
            },
            _ => out.push(c),
        }
    }
    if out.is_empty() {
        PathBuf::from(".")
    } else {
        out.iter().collect()
    }
}

fn parent_dir(path: &Path) -> PathBuf {
    clean(path.parent().unwrap_or(Path::new("")))
}

/// Whether a profile reference is a path (it contains `/` or ends in `.toml`) rather than a NAME.
pub fn is_path_like(value: &str) -> bool {
    value.contains('/') || value.ends_with(".toml")
}

/// The file a profile reference names: a path (relative to `dir`) or `dir/NAME.toml`.
fn locate(value: &str, dir: &Path) -> PathBuf {
    if is_path_like(value) {
        clean(&dir.join(value))
    } else {
        clean(&dir.join(format!("{value}.toml")))
    }
}

/// Where `path` (relative to `cwd` unless absolute) is on disk.
fn on_disk(cwd: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    }
}

/// Profile names (`*.toml` file stems) in `dir`, sorted; empty when the directory cannot be read.
pub fn available_profiles(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let stem = name.strip_suffix(".toml")?;
            (!stem.is_empty() && e.path().is_file()).then(|| stem.to_string())
        })
        .collect();
    names.sort();
    names
}

/// How a layer sets the base.
#[derive(Debug, Clone)]
enum LayerBase {
    Prefix(String),
    Profile {
        name: String,
        at: Location,
        dir: PathBuf,
    },
}

/// One file of an `extends` chain, checked, with its paths resolved.
#[derive(Debug, Default)]
struct Layer {
    path: PathBuf,
    dir: PathBuf,
    extends: Option<(String, Location)>,
    image: Option<String>,
    schema: Option<String>,
    schema_version: Option<String>,
    base: Option<LayerBase>,
    created: Option<String>,
    leaves: BTreeMap<String, String>,
    extra_labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
    dockerfile: Option<PathBuf>,
    context: Option<PathBuf>,
    tag_file: Option<PathBuf>,
    build_args: Option<Vec<String>>,
    oci: Option<bool>,
}

/// Parse and check one profile file's text. `path` is the file as found (for messages and for
/// resolving relative paths).
fn parse_layer(path: &Path, text: String) -> Result<Layer, ProfileError> {
    let src = Source {
        path: path.to_path_buf(),
        text,
    };
    let raw: RawProfile = toml::from_str(&src.text).map_err(|e| ProfileError::Toml {
        at: match e.span() {
            Some(span) => src.at(span.start),
            None => Location {
                path: src.path.clone(),
                line_col: None,
            },
        },
        message: e
            .message()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" "),
    })?;
    let dir = parent_dir(path);
    let mut layer = Layer {
        path: path.to_path_buf(),
        dir: dir.clone(),
        ..Layer::default()
    };

    let non_blank = |key: &'static str, v: &Spanned<String>, expected: &'static str| {
        let s = v.get_ref();
        if s.is_empty() || s.chars().any(char::is_whitespace) {
            Err(ProfileError::BadValue {
                at: src.at_value(v),
                key,
                value: s.clone(),
                expected,
            })
        } else {
            Ok(s.clone())
        }
    };
    if let Some(v) = &raw.image {
        layer.image = Some(non_blank(
            "image",
            v,
            "an image reference like \"owner/name\" or \"ghcr.io/org/app\"",
        )?);
    }
    if let Some(v) = &raw.schema {
        layer.schema = Some(non_blank(
            "schema",
            v,
            "a reverse-domain namespace like \"io.github.jefferysdockers\"",
        )?);
    }
    if let Some(v) = &raw.extends {
        if v.get_ref().is_empty() {
            return Err(ProfileError::BadValue {
                at: src.at_value(v),
                key: "extends",
                value: String::new(),
                expected: "a profile NAME or a path to a .toml file",
            });
        }
        layer.extends = Some((v.get_ref().clone(), src.at_value(v)));
    }
    layer.schema_version = raw.schema_version.as_ref().map(|v| v.get_ref().clone());
    layer.created = raw.created.as_ref().map(|v| v.get_ref().clone());

    layer.base = match (&raw.base_prefix, &raw.base_profile) {
        (Some(_), Some(p)) => return Err(ProfileError::BaseConflict { at: src.at_value(p) }),
        (Some(p), None) => Some(LayerBase::Prefix(p.get_ref().clone())),
        (None, Some(p)) if p.get_ref().is_empty() => {
            return Err(ProfileError::BadValue {
                at: src.at_value(p),
                key: "base-profile",
                value: String::new(),
                expected: "a profile NAME or a path to a .toml file (for a non-conforming base write base-prefix = \"\")",
            })
        }
        (None, Some(p)) => Some(LayerBase::Profile {
            name: p.get_ref().clone(),
            at: src.at_value(p),
            dir: dir.clone(),
        }),
        (None, None) => None,
    };

    let check = |key: &str, v: &Spanned<String>| {
        check_template(v.get_ref()).map_err(|(index, problem)| ProfileError::Placeholder {
            at: src.at(offset_in_value(&src, v, index)),
            key: key.to_string(),
            value: v.get_ref().clone(),
            problem,
        })
    };
    for ((key, leaf), field) in LEAF_KEYS.iter().zip(raw.leaf_fields()) {
        if let Some(v) = field {
            check(key, v)?;
            layer.leaves.insert(leaf.to_string(), v.get_ref().clone());
        }
    }
    for (leaf, v) in raw.extra_labels.iter().flatten() {
        let name = leaf.get_ref();
        if let Some(fault) = crate::labels::key_fault(name) {
            return Err(ProfileError::ExtraLabelLeaf {
                at: src.at(leaf.span().start),
                leaf: name.clone(),
                fault,
            });
        }
        check(&format!("extra-labels.{name}"), v)?;
        layer.extra_labels.insert(name.clone(), v.get_ref().clone());
    }
    for (key, v) in raw.annotations.iter().flatten() {
        let name = key.get_ref();
        if let Some(fault) = crate::labels::key_fault(name) {
            return Err(ProfileError::AnnotationKey {
                at: src.at(key.span().start),
                key: name.clone(),
                fault,
            });
        }
        check(&format!("annotations.{name}"), v)?;
        layer.annotations.insert(name.clone(), v.get_ref().clone());
    }

    let resolve = |v: &S| v.as_ref().map(|v| clean(&dir.join(v.get_ref())));
    layer.dockerfile = resolve(&raw.dockerfile);
    layer.context = resolve(&raw.context);
    layer.tag_file = resolve(&raw.tag_file);
    if let Some(v) = &raw.build_args {
        layer.build_args =
            Some(
                shell_words::split(v.get_ref()).map_err(|e| ProfileError::BuildArgs {
                    at: src.at_value(v),
                    value: v.get_ref().clone(),
                    message: e.to_string(),
                })?,
            );
    }
    layer.oci = raw.oci;
    Ok(layer)
}

/// Read and check the profile file at `path` (as found, relative to `cwd`).
fn read_layer(
    path: &Path,
    what: &str,
    cwd: &Path,
    referrer: Option<&Location>,
) -> Result<Layer, ProfileError> {
    let disk = on_disk(cwd, path);
    let text = match crate::caller_file::read_to_string(&disk) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ProfileError::NotFound {
                referrer: referrer.cloned(),
                what: what.to_string(),
                tried: path.to_path_buf(),
                available: available_profiles(&parent_dir(&disk)),
            })
        }
        Err(error) => {
            return Err(ProfileError::Read {
                path: path.to_path_buf(),
                error,
            })
        }
    };
    parse_layer(path, text)
}

/// Identity of a file for cycle detection.
fn identity(cwd: &Path, path: &Path) -> PathBuf {
    let disk = on_disk(cwd, path);
    std::fs::canonicalize(&disk).unwrap_or_else(|_| clean(&disk))
}

/// The most profiles an `extends` chain may have (a real one has a handful).
pub const MAX_EXTENDS: usize = 100;

/// Load `path` and every profile it extends, the named file first: each file read once, at most
/// [`MAX_EXTENDS`] of them.
fn load_chain(
    path: PathBuf,
    what: &str,
    cwd: &Path,
    referrer: Option<Location>,
) -> Result<Vec<Layer>, ProfileError> {
    let mut chain: Vec<Layer> = Vec::new();
    let mut seen: std::collections::HashMap<PathBuf, usize> = std::collections::HashMap::new();
    let first = path.clone();
    let mut next = Some((path, what.to_string(), referrer));
    while let Some((path, what, referrer)) = next.take() {
        let id = identity(cwd, &path);
        if let Some(&start) = seen.get(&id) {
            let mut cycle: Vec<PathBuf> = chain[start..].iter().map(|l| l.path.clone()).collect();
            cycle.push(path.clone());
            let at = referrer.unwrap_or_else(|| Location {
                path: path.clone(),
                line_col: None,
            });
            return Err(ProfileError::Cycle { at, chain: cycle });
        }
        if chain.len() == MAX_EXTENDS {
            let at = referrer.unwrap_or_else(|| Location {
                path: path.clone(),
                line_col: None,
            });
            return Err(ProfileError::TooDeep { at, first });
        }
        let layer = read_layer(&path, &what, cwd, referrer.as_ref())?;
        seen.insert(id, chain.len());
        if let Some((name, at)) = &layer.extends {
            next = Some((locate(name, &layer.dir), name.clone(), Some(at.clone())));
        }
        chain.push(layer);
    }
    Ok(chain)
}

/// Merge a chain (named file first): the child wins key by key; leaf and extra-label maps merge
/// per key.
fn merge(chain: Vec<Layer>) -> Layer {
    let mut merged = Layer::default();
    for layer in chain.into_iter().rev() {
        macro_rules! over {
            ($($f:ident),*) => { $( if layer.$f.is_some() { merged.$f = layer.$f; } )* };
        }
        over!(
            image,
            schema,
            schema_version,
            base,
            created,
            dockerfile,
            context,
            tag_file,
            build_args,
            oci
        );
        merged.leaves.extend(layer.leaves);
        merged.extra_labels.extend(layer.extra_labels);
        merged.annotations.extend(layer.annotations);
        merged.path = layer.path;
        merged.dir = layer.dir;
    }
    merged
}

/// Find the profile `name_or_path` names: a path (relative to `cwd`) when it contains `/` or ends
/// in `.toml`, else `profiles/NAME.toml` under `cwd`.
pub fn profile_path(name_or_path: &str) -> PathBuf {
    if is_path_like(name_or_path) {
        clean(Path::new(name_or_path))
    } else {
        clean(&Path::new(PROFILES_DIR).join(format!("{name_or_path}.toml")))
    }
}

/// Load a profile by name or path (see [`profile_path`]), merge its `extends` chain, resolve its
/// base profile and fill defaults.
pub fn load(name_or_path: &str, cwd: &Path) -> Result<Profile, ProfileError> {
    let path = profile_path(name_or_path);
    let chain = load_chain(path.clone(), name_or_path, cwd, None)?;
    let paths: Vec<PathBuf> = chain.iter().map(|l| l.path.clone()).collect();
    let top_dir = chain[0].dir.clone();
    let merged = merge(chain);
    let Some(image) = merged.image else {
        return Err(ProfileError::MissingImage { path, chain: paths });
    };

    let base = match merged.base {
        None => None,
        Some(LayerBase::Prefix(p)) => Some(Base::Prefix(p)),
        Some(LayerBase::Profile { name, at, dir }) => {
            let parent_path = locate(&name, &dir);
            if identity(cwd, &parent_path) == identity(cwd, &path) {
                return Err(ProfileError::SelfBase { at, name });
            }
            let parent_chain = load_chain(parent_path.clone(), &name, cwd, Some(at))?;
            let parent_paths: Vec<PathBuf> = parent_chain.iter().map(|l| l.path.clone()).collect();
            let Some(parent_image) = merge(parent_chain).image else {
                return Err(ProfileError::MissingImage {
                    path: parent_path,
                    chain: parent_paths,
                });
            };
            Some(Base::ProfileImage {
                profile: parent_path,
                image: parent_image,
            })
        }
    };

    let context = merged.context.unwrap_or(top_dir);
    Ok(Profile {
        path,
        image,
        schema: merged
            .schema
            .unwrap_or_else(|| image_schema::SCHEMA_NAMESPACE.to_string()),
        schema_version: merged
            .schema_version
            .unwrap_or_else(|| DEFAULT_SCHEMA_VERSION.to_string()),
        base,
        leaves: merged.leaves,
        extra_labels: merged.extra_labels,
        annotations: merged.annotations,
        dockerfile: merged
            .dockerfile
            .unwrap_or_else(|| context.join("Dockerfile")),
        tag_file: merged.tag_file.unwrap_or_else(|| context.join("TAG")),
        context,
        build_args: merged.build_args.unwrap_or_default(),
        oci: merged.oci.unwrap_or(true),
        created: merged.created,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A temporary working directory holding `files` (path → text).
    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let p = dir.path().join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        dir
    }

    fn load_in(files: &[(&str, &str)], name: &str) -> Result<Profile, ProfileError> {
        let dir = tree(files);
        load(name, dir.path())
    }

    fn err(files: &[(&str, &str)], name: &str) -> String {
        let e = load_in(files, name)
            .expect_err("expected an error")
            .to_string();
        assert!(!e.contains('\n'), "error is not one line: {e}");
        e
    }

    #[test]
    fn line_col_counts_lines_and_characters() {
        let text = "a = 1\nbé = \"x\"\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 4), (1, 5));
        assert_eq!(line_col(text, 6), (2, 1));
        // 'é' is two bytes but one column.
        assert_eq!(line_col(text, 9), (2, 3));
        // Inside a multi-byte character: the character's own column.
        assert_eq!(line_col(text, 8), (2, 2));
        assert_eq!(line_col(text, 999), (3, 1));
    }

    #[test]
    fn paths_are_cleaned_lexically() {
        assert_eq!(
            clean(Path::new("profiles/../examples/hello")),
            Path::new("examples/hello")
        );
        assert_eq!(clean(Path::new("./a/./b/")), Path::new("a/b"));
        assert_eq!(clean(Path::new("")), Path::new("."));
        assert_eq!(clean(Path::new("a/..")), Path::new("."));
        assert_eq!(clean(Path::new("../x")), Path::new("../x"));
        assert_eq!(clean(Path::new("/../x")), Path::new("/x"));
        assert_eq!(profile_path("hello"), Path::new("profiles/hello.toml"));
        assert_eq!(profile_path("hello.toml"), Path::new("hello.toml"));
        assert_eq!(profile_path("./x/y"), Path::new("x/y"));
        assert_eq!(profile_path("/abs/p.toml"), Path::new("/abs/p.toml"));
    }

    #[test]
    fn minimal_profile_gets_defaults() {
        let p = load_in(&[("profiles/a.toml", "image = \"o/a\"\n")], "a").unwrap();
        assert_eq!(
            p,
            Profile {
                path: "profiles/a.toml".into(),
                image: "o/a".into(),
                schema: "io.github.jefferysdockers".into(),
                schema_version: "0.0.1".into(),
                base: None,
                leaves: BTreeMap::new(),
                extra_labels: BTreeMap::new(),
                annotations: BTreeMap::new(),
                dockerfile: "profiles/Dockerfile".into(),
                context: "profiles".into(),
                tag_file: "profiles/TAG".into(),
                build_args: vec![],
                oci: true,
                created: None,
            }
        );
        // A profile file in cwd itself: the context is ".".
        let p = load_in(&[("a.toml", "image = \"o/a\"\n")], "a.toml").unwrap();
        assert_eq!(p.context, Path::new("."));
        assert_eq!(p.dockerfile, Path::new("./Dockerfile"));
        assert_eq!(p.tag_file, Path::new("./TAG"));
    }

    #[test]
    fn every_key_maps_to_its_field_or_leaf() {
        let mut text = String::from(
            "image = \"ghcr.io/org/app\"\nschema = \"com.example\"\nschema-version = \"1.2\"\n\
             base-prefix = \"\"\ncreated = \"now\"\ndockerfile = \"df/Containerfile\"\n\
             context = \"../ctx\"\ntag-file = \"VERSION\"\noci = false\n\
             build-args = \"--network none --build-arg 'A=b c'\"\n",
        );
        for (key, _) in LEAF_KEYS {
            let value = if key == "license-spdx" {
                String::new()
            } else {
                format!("v-{key}")
            };
            text.push_str(&format!("{key} = \"{value}\"\n"));
        }
        text.push_str("[extra-labels]\n\"com.example.rating\" = \"{name}-10\"\n");
        let p = load_in(&[("profiles/app.toml", &text)], "app").unwrap();
        assert_eq!(p.image, "ghcr.io/org/app");
        assert_eq!(p.schema, "com.example");
        assert_eq!(p.schema_version, "1.2");
        assert_eq!(p.base, Some(Base::Prefix(String::new())));
        assert_eq!(p.created.as_deref(), Some("now"));
        assert_eq!(p.context, Path::new("ctx"));
        assert_eq!(p.dockerfile, Path::new("profiles/df/Containerfile"));
        assert_eq!(p.tag_file, Path::new("profiles/VERSION"));
        assert!(!p.oci);
        assert_eq!(p.build_args, ["--network", "none", "--build-arg", "A=b c"]);
        assert_eq!(p.leaves.len(), 19);
        for (key, leaf) in LEAF_KEYS {
            let want = if key == "license-spdx" {
                String::new()
            } else {
                format!("v-{key}")
            };
            assert_eq!(p.leaves[leaf], want, "{key}");
        }
        assert_eq!(p.leaves["vendorUrl"], "v-vendor-url");
        assert_eq!(p.leaves["content-vendorUrl"], "v-content-vendor-url");
        assert!(!p.leaves.contains_key("vendor-url"));
        assert_eq!(p.extra_labels["com.example.rating"], "{name}-10");
    }

    #[test]
    fn unknown_key_is_located_and_lists_valid_keys() {
        let e = err(
            &[("profiles/a.toml", "image = \"o/a\"\n\n  imag = \"x\"\n")],
            "a",
        );
        assert!(
            e.starts_with(
                "profiles/a.toml:3:3: unknown field `imag`, expected one of `image`, `extends`,"
            ),
            "{e}"
        );
        assert!(e.contains("`oci`"), "{e}");
    }

    #[test]
    fn wrong_types_and_syntax_errors_are_located() {
        let e = err(
            &[("profiles/a.toml", "image = \"o/a\"\noci = \"yes\"\n")],
            "a",
        );
        assert!(e.starts_with("profiles/a.toml:2:7: "), "{e}");
        assert!(e.contains("expected a boolean"), "{e}");
        let e = err(
            &[(
                "profiles/a.toml",
                "image = \"o/a\"\n[extra-labels]\nrating = 10\n",
            )],
            "a",
        );
        assert!(e.starts_with("profiles/a.toml:3:10: "), "{e}");
        let e = err(
            &[("profiles/a.toml", "image = \"o/a\"\ntitle = \"x\n")],
            "a",
        );
        assert!(e.starts_with("profiles/a.toml:2:"), "{e}");
        let e = err(
            &[("profiles/a.toml", "image = \"o/a\"\nimage = \"o/b\"\n")],
            "a",
        );
        assert!(e.starts_with("profiles/a.toml:2:1: "), "{e}");
    }

    #[test]
    fn placeholder_errors_point_into_the_value() {
        let e = err(
            &[(
                "profiles/a.toml",
                "image = \"o/a\"\ntitle = \"The {nme}\"\n",
            )],
            "a",
        );
        assert_eq!(
            e,
            "profiles/a.toml:2:14: title = \"The {nme}\": unknown placeholder {nme}: valid are \
             {owner}, {name}, {tag}, {content_version}, {source_version} (write {{ and }} for \
             literal braces)"
        );
        let e = err(
            &[(
                "profiles/a.toml",
                "image = \"o/a\"\n[extra-labels]\n\"x.y\" = 'a {name'\n",
            )],
            "a",
        );
        assert!(
            e.starts_with(
                "profiles/a.toml:3:12: extra-labels.x.y = \"a {name\": '{' is not closed"
            ),
            "{e}"
        );
        // With escapes the column is the value's start.
        let e = err(
            &[("profiles/a.toml", "image = \"o/a\"\nhome = \"\\u0041 }\"\n")],
            "a",
        );
        assert!(
            e.starts_with("profiles/a.toml:2:8: home = \"A }\": '}' has no matching"),
            "{e}"
        );
    }

    #[test]
    fn bad_values_are_refused_at_load() {
        let e = err(&[("profiles/a.toml", "image = \"\"\n")], "a");
        assert!(
            e.starts_with("profiles/a.toml:1:9: image = \"\" is invalid: expected"),
            "{e}"
        );
        let e = err(
            &[("profiles/a.toml", "image = \"o/a\"\nschema = \"a b\"\n")],
            "a",
        );
        assert!(
            e.starts_with("profiles/a.toml:2:10: schema = \"a b\" is invalid"),
            "{e}"
        );
        let e = err(
            &[(
                "profiles/a.toml",
                "image = \"o/a\"\n[extra-labels]\n\"a b\" = \"x\"\n",
            )],
            "a",
        );
        assert!(
            e.starts_with("profiles/a.toml:3:1: extra-labels leaf \"a b\""),
            "{e}"
        );
        let e = err(
            &[(
                "profiles/a.toml",
                "image = \"o/a\"\n[extra-labels]\n\"\" = \"x\"\n",
            )],
            "a",
        );
        assert!(
            e.starts_with("profiles/a.toml:3:1: extra-labels leaf \"\""),
            "{e}"
        );
        let e = err(
            &[(
                "profiles/a.toml",
                "image = \"o/a\"\nbuild-args = \"--x 'open\"\n",
            )],
            "a",
        );
        assert_eq!(
            e,
            "profiles/a.toml:2:14: build-args = \"--x 'open\" cannot be split into words: \
             missing closing quote"
        );
        let e = err(
            &[(
                "profiles/a.toml",
                "image = \"o/a\"\nbase-prefix = \"scratch\"\nbase-profile = \"b\"\n",
            )],
            "a",
        );
        assert!(
            e.starts_with("profiles/a.toml:3:16: base-prefix and base-profile are both set"),
            "{e}"
        );
    }

    #[test]
    fn missing_profiles_name_what_was_tried_and_what_exists() {
        let files = [
            ("profiles/a.toml", "image = \"o/a\"\nextends = \"nope\"\n"),
            ("profiles/b.toml", "image = \"o/b\"\n"),
            ("profiles/notes.txt", ""),
        ];
        assert_eq!(
            err(&files, "zzz"),
            "profile \"zzz\" not found: tried profiles/zzz.toml (available in profiles: a, b)"
        );
        assert_eq!(
            err(&files, "a"),
            "profiles/a.toml:2:11: profile \"nope\" not found: tried profiles/nope.toml \
             (available in profiles: a, b)"
        );
        assert_eq!(
            err(&files, "other/x.toml"),
            "profile \"other/x.toml\" not found: tried other/x.toml (no profiles in other)"
        );
    }

    #[test]
    fn extends_chain_merges_key_by_key_and_resolves_paths_per_file() {
        let files = [
            (
                "shared/base.toml",
                "schema = \"io.example\"\nvendor = \"V\"\nmaintainer = \"M\"\noci = false\n\
                 context = \"ctx\"\nbuild-args = \"--pull=false\"\n[extra-labels]\n\
                 \"a\" = \"base\"\n\"b\" = \"base\"\n",
            ),
            (
                "shared/mid.toml",
                "extends = \"base\"\nvendor = \"V2\"\nbase-prefix = \"scratch\"\n\
                 tag-file = \"../VERSION\"\n[extra-labels]\n\"b\" = \"mid\"\n",
            ),
            (
                "profiles/app.toml",
                "extends = \"../shared/mid.toml\"\nimage = \"o/app\"\nmaintainer = \"\"\n\
                 [extra-labels]\n\"c\" = \"app\"\n",
            ),
        ];
        let p = load_in(&files, "app").unwrap();
        assert_eq!(p.schema, "io.example");
        assert_eq!(p.leaves["vendor"], "V2");
        assert_eq!(p.leaves["maintainer"], "");
        assert!(!p.oci);
        assert_eq!(p.base, Some(Base::Prefix("scratch".into())));
        assert_eq!(p.context, Path::new("shared/ctx"));
        assert_eq!(p.dockerfile, Path::new("shared/ctx/Dockerfile"));
        assert_eq!(p.tag_file, Path::new("VERSION"));
        assert_eq!(p.build_args, ["--pull=false"]);
        let extra: Vec<(&str, &str)> = p
            .extra_labels
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(extra, [("a", "base"), ("b", "mid"), ("c", "app")]);
        // The shared files alone have no image.
        assert_eq!(
            err(&files, "shared/mid.toml"),
            "shared/mid.toml: no image set (in it or the profiles it extends: shared/mid.toml -> \
             shared/base.toml): add image = \"owner/name\""
        );
    }

    #[test]
    fn extends_chains_longer_than_the_limit_are_refused_naming_the_link() {
        let names: Vec<String> = (0..=MAX_EXTENDS)
            .map(|i| format!("profiles/p{i}.toml"))
            .collect();
        let texts: Vec<String> = (0..=MAX_EXTENDS)
            .map(|i| match i {
                0 => "image = \"o/a\"\nbase-prefix = \"scratch\"\n".to_string(),
                _ => format!("extends = \"p{}\"\n", i - 1),
            })
            .collect();
        let files: Vec<(&str, &str)> = names
            .iter()
            .zip(&texts)
            .map(|(n, t)| (n.as_str(), t.as_str()))
            .collect();
        // MAX_EXTENDS profiles load; one more is refused at the link that exceeds the limit.
        let top = format!("p{}", MAX_EXTENDS - 1);
        assert_eq!(load_in(&files, &top).unwrap().image, "o/a");
        assert_eq!(
            err(&files, &format!("p{MAX_EXTENDS}")),
            format!(
                "profiles/p1.toml:1:11: extends chain of more than {MAX_EXTENDS} profiles (from \
                 profiles/p{MAX_EXTENDS}.toml): shorten it"
            )
        );
    }

    #[test]
    fn keys_the_label_forms_cannot_carry_are_refused_naming_the_key() {
        for (key, fault) in [
            ("a=b", "contains '='"),
            ("a\\u0007b", "contains a control character"),
            ("a b", "contains whitespace"),
            ("", "is empty"),
        ] {
            let text =
                format!("image = \"o/a\"\nbase-prefix = \"\"\n[extra-labels]\n\"{key}\" = \"1\"\n");
            let e = err(&[("profiles/a.toml", &text)], "a");
            assert!(
                e.starts_with("profiles/a.toml:4:1: extra-labels leaf "),
                "{e}"
            );
            assert!(e.contains(&format!(" {fault}: leaves are like")), "{e}");
            let text =
                format!("image = \"o/a\"\nbase-prefix = \"\"\n[annotations]\n\"{key}\" = \"1\"\n");
            let e = err(&[("profiles/a.toml", &text)], "a");
            assert!(e.contains(&format!(" {fault}: keys are like")), "{e}");
        }
        let e = err(
            &[(
                "profiles/a.toml",
                "image = \"o/a\"\nbase-prefix = \"\"\n[extra-labels]\n\"x=y\" = \"1\"\n",
            )],
            "a",
        );
        assert!(e.contains("leaf \"x=y\" contains '='"), "{e}");
    }

    #[test]
    fn extends_cycles_are_refused_with_the_cycle_named() {
        let files = [
            ("profiles/a.toml", "image = \"o/a\"\nextends = \"b\"\n"),
            ("profiles/b.toml", "extends = \"./a.toml\"\n"),
            ("profiles/c.toml", "extends = \"a\"\n"),
            ("profiles/self.toml", "extends = \"self\"\n"),
        ];
        assert_eq!(
            err(&files, "a"),
            "profiles/b.toml:1:11: extends cycle: profiles/a.toml -> profiles/b.toml -> profiles/a.toml"
        );
        assert_eq!(
            err(&files, "c"),
            "profiles/b.toml:1:11: extends cycle: profiles/a.toml -> profiles/b.toml -> profiles/a.toml"
        );
        assert_eq!(
            err(&files, "self"),
            "profiles/self.toml:1:11: extends cycle: profiles/self.toml -> profiles/self.toml"
        );
    }

    #[test]
    fn base_profile_takes_the_parent_image() {
        let files = [
            ("profiles/org.toml", "image = \"org/default\"\n"),
            (
                "profiles/os.toml",
                "extends = \"org\"\nimage = \"org/os\"\nbase-prefix = \"scratch\"\n",
            ),
            (
                "profiles/lang.toml",
                "extends = \"org\"\nbase-profile = \"os\"\n",
            ),
            (
                "profiles/app.toml",
                "image = \"o/app\"\nbase-profile = \"lang\"\n",
            ),
            (
                "profiles/me.toml",
                "image = \"o/me\"\nbase-profile = \"me\"\n",
            ),
            (
                "profiles/lost.toml",
                "image = \"o/l\"\nbase-profile = \"gone\"\n",
            ),
        ];
        let p = load_in(&files, "lang").unwrap();
        assert_eq!(
            p.base,
            Some(Base::ProfileImage {
                profile: "profiles/os.toml".into(),
                image: "org/os".into()
            })
        );
        // The parent's own image comes from its extends chain.
        let p = load_in(&files, "app").unwrap();
        assert_eq!(
            p.base,
            Some(Base::ProfileImage {
                profile: "profiles/lang.toml".into(),
                image: "org/default".into()
            })
        );
        assert_eq!(
            err(&files, "me"),
            "profiles/me.toml:2:16: base-profile \"me\" is this profile itself: name the parent \
             image's profile"
        );
        assert!(err(&files, "lost").starts_with(
            "profiles/lost.toml:2:16: profile \"gone\" not found: tried profiles/gone.toml"
        ),);
        // A child's base-prefix replaces an inherited base-profile.
        let files = [
            ("profiles/p.toml", "image = \"o/p\"\n"),
            ("profiles/q.toml", "image = \"o/q\"\nbase-profile = \"p\"\n"),
            (
                "profiles/r.toml",
                "extends = \"q\"\nimage = \"o/r\"\nbase-prefix = \"\"\n",
            ),
        ];
        assert_eq!(
            load_in(&files, "r").unwrap().base,
            Some(Base::Prefix(String::new()))
        );
    }

    #[test]
    fn absolute_profile_paths_stay_absolute() {
        let dir = tree(&[("p/a.toml", "image = \"o/a\"\ncontext = \"../ctx\"\n")]);
        let abs = dir.path().join("p/a.toml");
        let p = load(abs.to_str().unwrap(), Path::new("/nonexistent")).unwrap();
        assert_eq!(p.path, abs);
        assert_eq!(p.context, dir.path().join("ctx"));
    }
}
