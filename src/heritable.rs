//! The heritable image-label schema's names: the schema namespace, the required leaves, the
//! `base-prefix` value of a root image, and the OCI annotation prefix the same facts are copied to.
//!
//! Every key of the schema is `<image-prefix>.<SCHEMA_NAMESPACE>.<leaf>`. Writers (the build plan,
//! profiles) and readers (lineage, lint) take these names from here.

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

/// The OCI annotation name of `key` (`org.opencontainers.image.created` → `created`), if it is one.
pub fn oci_name(key: &str) -> Option<&str> {
    key.strip_prefix(OCI_PREFIX)?.strip_prefix('.')
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
}
