//! Pure parser for `docker inspect` / `podman inspect` JSON (containers and images alike).
//!
//! Both engines print a JSON array of objects. Only the fields the readers use are kept; everything
//! else is ignored, so engine version differences do not matter. Labels come from `Config.Labels`
//! (podman images also carry a top-level `Labels`, used when `Config.Labels` is absent).

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::labels::Labels;

/// One inspected object: a container or an image.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Inspected {
    /// Full ID (`sha256:...` for docker images, hex for containers).
    pub id: String,
    /// Container name without the leading `/`; empty for images.
    pub name: String,
    /// Image tags (images only).
    pub repo_tags: Vec<String>,
    /// The `Created` timestamp as the engine printed it.
    pub created: String,
    /// Container state (`created`, `running`, `exited`, ...); empty for images.
    pub state: String,
    /// The image a container was created from (`Config.Image`); empty for images.
    pub image: String,
    /// Labels (container labels include the ones inherited from its image).
    pub labels: Labels,
}

impl Inspected {
    /// Whether this object is a container (has a name or a state) rather than an image.
    pub fn is_container(&self) -> bool {
        !self.name.is_empty() || !self.state.is_empty()
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawObject {
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    #[serde(default)]
    created: Option<serde_json::Value>,
    #[serde(default)]
    state: Option<RawState>,
    #[serde(default)]
    config: Option<RawConfig>,
    #[serde(default)]
    labels: Option<BTreeMap<String, String>>,
    #[serde(default)]
    image_name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawState {
    /// docker and podman containers: `{"Status": "exited", ...}`.
    Object {
        #[serde(rename = "Status", default)]
        status: String,
    },
    /// Anything else (ignored).
    Other(serde::de::IgnoredAny),
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawConfig {
    #[serde(default)]
    labels: Option<BTreeMap<String, String>>,
    #[serde(default)]
    image: Option<String>,
}

/// Parse the JSON array `inspect` prints. Objects in the output keep the engine's order.
pub fn parse_inspect(json: &str) -> Result<Vec<Inspected>, serde_json::Error> {
    let raw: Vec<RawObject> = serde_json::from_str(json)?;
    Ok(raw.into_iter().map(Inspected::from).collect())
}

impl From<RawObject> for Inspected {
    fn from(raw: RawObject) -> Self {
        let (config_labels, config_image) = match raw.config {
            Some(c) => (c.labels, c.image),
            None => (None, None),
        };
        let state = match raw.state {
            Some(RawState::Object { status }) => status,
            _ => String::new(),
        };
        let created = match raw.created {
            Some(serde_json::Value::String(s)) => s,
            Some(other) if !other.is_null() => other.to_string(),
            _ => String::new(),
        };
        Inspected {
            id: raw.id,
            name: raw
                .name
                .map(|n| n.trim_start_matches('/').to_string())
                .unwrap_or_default(),
            repo_tags: raw.repo_tags.unwrap_or_default(),
            created,
            state,
            image: config_image.or(raw.image_name).unwrap_or_default(),
            labels: config_labels.or(raw.labels).unwrap_or_default(),
        }
    }
}

/// Unit-test helpers shared by the readers.
/// The digest [`crate::queries::image_digest`] reports for one `image inspect` object.
pub fn image_digest(object: &serde_json::Value, reference: &str) -> Option<String> {
    let text = |k: &str| {
        object
            .get(k)
            .and_then(|v| v.as_str())
            .filter(|v| !v.is_empty())
    };
    if let Some(digest) = text("Digest") {
        return Some(digest.to_string());
    }
    let repository = reference
        .rsplit_once(':')
        .filter(|(_, tag)| !tag.contains('/'))
        .map_or(reference, |(repo, _)| repo);
    let repo_digest = object
        .get("RepoDigests")
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str())
        .find_map(|d| d.split_once('@').filter(|(r, _)| *r == repository))
        .map(|(_, digest)| digest.to_string());
    repo_digest.or_else(|| {
        text("Id").map(|id| {
            if id.starts_with("sha256:") {
                id.to_string()
            } else {
                format!("sha256:{id}")
            }
        })
    })
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::Inspected;
    use crate::labels;

    /// A container called `name`, ID `NAME-id`, with these labels.
    pub(crate) fn obj(name: &str, pairs: &[(&str, &str)]) -> Inspected {
        Inspected {
            id: format!("{name}-id"),
            name: name.into(),
            labels: labels::from_pairs(pairs),
            ..Inspected::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_digest_prefers_the_manifest_digest() {
        let podman = serde_json::json!({"Id": "4aff", "Digest": "sha256:2808",
            "RepoDigests": ["localhost/p@sha256:2808"]});
        assert_eq!(
            image_digest(&podman, "p:1.0").as_deref(),
            Some("sha256:2808")
        );
        let pulled = serde_json::json!({"Id": "sha256:3b28",
            "RepoDigests": ["other/x@sha256:aaaa", "o/p@sha256:bbbb"]});
        assert_eq!(
            image_digest(&pulled, "o/p:latest").as_deref(),
            Some("sha256:bbbb")
        );
        let local = serde_json::json!({"Id": "sha256:3b28", "RepoDigests": []});
        assert_eq!(
            image_digest(&local, "o/p:latest").as_deref(),
            Some("sha256:3b28")
        );
        assert_eq!(image_digest(&serde_json::json!({}), "o/p"), None);
    }

    /// Trimmed from `docker inspect` of a container (engine 20.10).
    const DOCKER_CONTAINER: &str = r#"[{
        "Id": "4f1c2d",
        "Created": "2026-11-23T17:40:01.123456789Z",
        "State": {"Status": "created", "Running": false, "ExitCode": 0},
        "Image": "sha256:efc5",
        "Name": "/alice-box._.1000",
        "Config": {"Image": "ds01t/hello:latest", "Labels": {"ds01.user": "alice", "a": "1"}}
    }]"#;

    /// Trimmed from `docker image inspect` (engine 20.10): `null` labels on a bare image.
    const DOCKER_IMAGE: &str = r#"[{
        "Id": "sha256:efc572518123",
        "RepoTags": ["t1:latest"],
        "Created": "2026-11-23T17:30:00Z",
        "Config": {"Labels": null}
    }]"#;

    /// Trimmed from `podman image inspect` (podman 4.3).
    const PODMAN_IMAGE: &str = r#"[{
        "Id": "9a8b7c",
        "RepoTags": ["localhost/t1:latest"],
        "Created": "2026-11-23T17:30:00.5Z",
        "Config": {},
        "Labels": {"io.buildah.version": "1.28.2", "a": "1"}
    }]"#;

    /// Trimmed from `podman container inspect` (podman 4.3).
    const PODMAN_CONTAINER: &str = r#"[{
        "Id": "77aa",
        "Created": "2026-11-23T17:41:00.1Z",
        "State": {"OciVersion": "1.0.2", "Status": "configured"},
        "ImageName": "localhost/t1:latest",
        "Name": "box",
        "Config": {"Labels": {"ds01.user": "bob"}}
    }]"#;

    #[test]
    fn docker_container() {
        let c = &parse_inspect(DOCKER_CONTAINER).unwrap()[0];
        assert!(c.is_container());
        assert_eq!(c.name, "alice-box._.1000");
        assert_eq!(c.state, "created");
        assert_eq!(c.image, "ds01t/hello:latest");
        assert_eq!(c.labels["ds01.user"], "alice");
        assert_eq!(c.labels.len(), 2);
    }

    #[test]
    fn docker_image_with_null_labels() {
        let i = &parse_inspect(DOCKER_IMAGE).unwrap()[0];
        assert!(!i.is_container());
        assert_eq!(i.repo_tags, ["t1:latest"]);
        assert!(i.labels.is_empty());
    }

    #[test]
    fn podman_objects() {
        let i = &parse_inspect(PODMAN_IMAGE).unwrap()[0];
        assert_eq!(i.labels["a"], "1");
        let c = &parse_inspect(PODMAN_CONTAINER).unwrap()[0];
        assert_eq!(c.name, "box");
        assert_eq!(c.state, "configured");
        assert_eq!(c.image, "localhost/t1:latest");
        assert_eq!(c.labels["ds01.user"], "bob");
    }

    #[test]
    fn empty_array_and_garbage() {
        assert!(parse_inspect("[]").unwrap().is_empty());
        assert!(parse_inspect("not json").is_err());
    }
}
