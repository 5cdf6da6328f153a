//! The heritable image-label schema's vocabulary: the schema namespace, the required leaves, the
//! `base-prefix` value of a root image, the OCI annotation prefix the same facts are copied to, and
//! the key syntax — splitting `<image-prefix>.<namespace>.<leaf>` keys ([`split_schema_key`]) and
//! grouping a label set per image prefix ([`group`]).
//!
//! The namespace (`io.github.jefferysdockers`, written `io.github.JefferysDockers` by the original
//! scripts) is matched case-insensitively. Writers (the build plan, profiles) and readers (lineage,
//! lint) take these names from here.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::labels::Labels;

/// The schema namespace, as the seed's prose spells it (readers match it case-insensitively; the
/// seed's scripts write `io.github.JefferysDockers`). Also a profile's default `schema`.
pub const SCHEMA_NAMESPACE: &str = "io.github.jefferysdockers";
/// Required leaf: the parent image's prefix (or [`SCRATCH`], or `""` for a non-conforming parent).
pub const BASE_PREFIX: &str = "base-prefix";
/// Required leaf: the schema version; must be set by the image's final LABEL rows.
pub const LABEL_SCHEMA_VERSION: &str = "label-schema-version";
/// `base-prefix` of an image built FROM scratch.
pub const SCRATCH: &str = "scratch";
/// The OCI annotation namespace (`org.opencontainers.image.<name>`).
pub const OCI_PREFIX: &str = "org.opencontainers.image";

/// The `org.opencontainers.image.*` names a build writes from a schema leaf of the image itself:
/// (OCI name, leaf). A build writes every one of them (empty when the leaf is unknown), so a child
/// never shows a parent's value; `lint` flags one that contradicts the image's own leaf.
pub const OCI_FROM_LEAVES: [(&str, &str); 10] = [
    ("created", "created"),
    ("version", "version"),
    ("revision", "source-revision"),
    ("source", "source-home"),
    ("url", "home"),
    ("title", "title"),
    ("description", "description"),
    ("vendor", "vendor"),
    ("licenses", "license-spdx"),
    ("authors", "maintainer"),
];
/// OCI name of the parent image's reference (`<repository>:latest` of the base profile's image).
pub const OCI_BASE_NAME: &str = "base.name";
/// OCI name of the parent image's digest (its manifest digest, else its image ID).
pub const OCI_BASE_DIGEST: &str = "base.digest";

/// The OCI annotation name of `key` (`org.opencontainers.image.created` → `created`), if it is one.
pub fn oci_name(key: &str) -> Option<&str> {
    key.strip_prefix(OCI_PREFIX)?.strip_prefix('.')
}

/// A key of the heritable schema split into its parts (slices of the key as written).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaKey<'a> {
    pub prefix: &'a str,
    pub namespace: &'a str,
    pub leaf: &'a str,
}

/// Split `<prefix>.<namespace>.<leaf>`, the namespace matched case-insensitively. `None` for keys
/// outside the schema, and for schema keys with an empty prefix or leaf.
pub fn split_schema_key(key: &str) -> Option<SchemaKey<'_>> {
    let needle = schema_needle();
    // ASCII lower-casing keeps byte offsets.
    let at = key.to_ascii_lowercase().find(&needle)?;
    let prefix = &key[..at];
    let namespace = &key[at + 1..at + needle.len() - 1];
    let leaf = &key[at + needle.len()..];
    (!prefix.is_empty() && !leaf.is_empty()).then_some(SchemaKey {
        prefix,
        namespace,
        leaf,
    })
}

impl SchemaKey<'_> {
    /// Whether the leaf is `leaf`, compared case-insensitively (the seed writes `vendorUrl`).
    pub fn has_leaf(&self, leaf: &str) -> bool {
        self.leaf.eq_ignore_ascii_case(leaf)
    }
}

/// Whether `key` is image `prefix`'s schema key for `leaf` (namespace and leaf compared
/// case-insensitively).
pub fn is_schema_key(key: &str, prefix: &str, leaf: &str) -> bool {
    split_schema_key(key).is_some_and(|sk| sk.prefix == prefix && sk.has_leaf(leaf))
}

fn schema_needle() -> String {
    format!(".{SCHEMA_NAMESPACE}.")
}

/// One conforming image: its prefix, required leaves and every label under its prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Image {
    pub prefix: String,
    /// The `base-prefix` value; `null` when missing, or when two keys give different values.
    pub base_prefix: Option<String>,
    pub label_schema_version: Option<String>,
    /// Every label whose key starts with `<prefix>.`.
    pub labels: Labels,
    #[serde(skip)]
    base_values: Vec<String>,
}

/// Labels grouped per image prefix.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grouping {
    pub images: BTreeMap<String, Image>,
    /// Labels under no prefix of the schema.
    pub unattributed: Labels,
}

/// Group `labels` per image prefix: every schema key belongs to its prefix, and any other key
/// starting with `<prefix>.` to the longest such prefix; the rest are unattributed.
pub fn group(labels: &Labels) -> Grouping {
    let mut images: BTreeMap<String, Image> = BTreeMap::new();
    for key in labels.keys() {
        if let Some(sk) = split_schema_key(key) {
            images
                .entry(sk.prefix.to_string())
                .or_insert_with(|| Image {
                    prefix: sk.prefix.to_string(),
                    base_prefix: None,
                    label_schema_version: None,
                    labels: Labels::new(),
                    base_values: Vec::new(),
                });
        }
    }
    let mut unattributed = Labels::new();
    for (key, value) in labels {
        let owner = match split_schema_key(key) {
            Some(sk) => Some(sk.prefix),
            None => images
                .keys()
                .filter(|p| key.len() > p.len() && key.starts_with(p.as_str()))
                .filter(|p| key.as_bytes()[p.len()] == b'.')
                .max_by_key(|p| p.len())
                .map(String::as_str),
        };
        let Some(owner) = owner.map(str::to_string) else {
            unattributed.insert(key.clone(), value.clone());
            continue;
        };
        let image = images.get_mut(&owner).expect("prefix collected above");
        image.labels.insert(key.clone(), value.clone());
        if let Some(sk) = split_schema_key(key).filter(|sk| sk.prefix == owner) {
            if sk.has_leaf(BASE_PREFIX) {
                if !image.base_values.contains(value) {
                    image.base_values.push(value.clone());
                }
            } else if sk.has_leaf(LABEL_SCHEMA_VERSION) {
                image.label_schema_version = Some(value.clone());
            }
        }
    }
    for image in images.values_mut() {
        if image.base_values.len() == 1 {
            image.base_prefix = Some(image.base_values[0].clone());
        }
    }
    Grouping {
        images,
        unattributed,
    }
}

impl Image {
    /// Every distinct `base-prefix` value its keys give (more than one when the namespace is spelt
    /// two ways with different values).
    pub fn base_values(&self) -> &[String] {
        &self.base_values
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oci_names() {
        assert_eq!(
            oci_name("org.opencontainers.image.created"),
            Some("created")
        );
        assert_eq!(
            oci_name("org.opencontainers.image.base.name"),
            Some("base.name")
        );
        assert_eq!(oci_name("org.opencontainers.imagex.created"), None);
        assert_eq!(oci_name("org.opencontainers.image"), None);
    }

    #[test]
    fn schema_keys_split_case_insensitively() {
        let sk =
            split_schema_key("jefferys.ubu-lts.io.github.JefferysDockers.base-prefix").unwrap();
        assert_eq!(sk.prefix, "jefferys.ubu-lts");
        assert_eq!(sk.namespace, "io.github.JefferysDockers");
        assert_eq!(sk.leaf, "base-prefix");
        assert_eq!(
            split_schema_key("a.IO.GITHUB.JEFFERYSDOCKERS.x")
                .unwrap()
                .prefix,
            "a"
        );
        assert!(split_schema_key("io.github.jefferysdockers.x").is_none());
        assert!(split_schema_key("a.io.github.jefferysdockers.").is_none());
        assert!(split_schema_key("a.io.github.jefferysdockersx.y").is_none());
        assert!(is_schema_key(
            "a.IO.github.jefferysdockers.Base-Prefix",
            "a",
            BASE_PREFIX
        ));
        assert!(!is_schema_key(
            "ab.io.github.jefferysdockers.base-prefix",
            "a",
            BASE_PREFIX
        ));
        assert!(!is_schema_key(
            "a.io.github.jefferysdockers.base-prefixx",
            "a",
            BASE_PREFIX
        ));
        assert!(split_schema_key("ds01.user").is_none());
    }
}
