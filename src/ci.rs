//! CI systems, as `build` sees them: the revision and source URL they announce (used when the
//! checkout has no usable git metadata), and the step outputs GitHub Actions reads from the file
//! named by `GITHUB_OUTPUT`. Everything here is pure: [`CiEnv::from_env`] only copies variables.

use std::collections::BTreeMap;

/// The CI variables `build` reads. Empty values count as unset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CiEnv {
    pub github_sha: Option<String>,
    pub github_server_url: Option<String>,
    pub github_repository: Option<String>,
    pub ci_commit_sha: Option<String>,
    pub ci_project_url: Option<String>,
    pub source_commit: Option<String>,
}

impl CiEnv {
    pub fn from_env() -> CiEnv {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        CiEnv {
            github_sha: var("GITHUB_SHA"),
            github_server_url: var("GITHUB_SERVER_URL"),
            github_repository: var("GITHUB_REPOSITORY"),
            ci_commit_sha: var("CI_COMMIT_SHA"),
            ci_project_url: var("CI_PROJECT_URL"),
            source_commit: var("SOURCE_COMMIT"),
        }
    }

    /// The revision a CI system announces, with the variable it came from: GitHub Actions'
    /// `GITHUB_SHA`, GitLab's `CI_COMMIT_SHA`, DockerHub's `SOURCE_COMMIT`, first set wins.
    pub fn revision(&self) -> Option<(&'static str, String)> {
        [
            ("GITHUB_SHA", &self.github_sha),
            ("CI_COMMIT_SHA", &self.ci_commit_sha),
            ("SOURCE_COMMIT", &self.source_commit),
        ]
        .into_iter()
        .find_map(|(name, v)| v.as_ref().map(|v| (name, v.trim().to_string())))
    }

    /// The repository's web address a CI system announces: `GITHUB_SERVER_URL/GITHUB_REPOSITORY`,
    /// else GitLab's `CI_PROJECT_URL`; only an http(s) address counts.
    pub fn source_url(&self) -> Option<(&'static str, String)> {
        let github = match (&self.github_server_url, &self.github_repository) {
            (Some(server), Some(repo)) => Some((
                "GITHUB_SERVER_URL/GITHUB_REPOSITORY",
                format!("{}/{}", server.trim().trim_end_matches('/'), repo.trim()),
            )),
            _ => None,
        };
        github
            .or_else(|| {
                self.ci_project_url
                    .as_ref()
                    .map(|url| ("CI_PROJECT_URL", url.trim().to_string()))
            })
            .filter(|(_, url)| url.starts_with("https://") || url.starts_with("http://"))
    }
}

/// What a finished build reports to GitHub Actions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildOutputs<'a> {
    pub image_id: &'a str,
    pub tags: &'a [String],
    pub labels: &'a BTreeMap<String, String>,
    pub version: &'a str,
    pub revision: Option<&'a str>,
}

/// The text to append to `$GITHUB_OUTPUT`: `image-id`, `tags` (one per line), `labels` (a JSON
/// object on one line), `version` and `revision` (empty when unknown). Multi-line values use the
/// `NAME<<DELIMITER` form with a delimiter that occurs in no value.
pub fn github_outputs(out: &BuildOutputs) -> String {
    let labels = serde_json::to_string(out.labels).expect("a string map serialises");
    let values = [
        ("image-id", out.image_id.to_string()),
        ("tags", out.tags.join("\n")),
        ("labels", labels),
        ("version", out.version.to_string()),
        ("revision", out.revision.unwrap_or_default().to_string()),
    ];
    let mut delimiter = "ds01_build_EOF".to_string();
    while values.iter().any(|(_, v)| v.contains(&delimiter)) {
        delimiter.push('_');
    }
    let mut text = String::new();
    for (name, value) in values {
        if value.contains('\n') || value.contains('\r') {
            text.push_str(&format!("{name}<<{delimiter}\n{value}\n{delimiter}\n"));
        } else {
            text.push_str(&format!("{name}={value}\n"));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> CiEnv {
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        };
        CiEnv {
            github_sha: get("GITHUB_SHA"),
            github_server_url: get("GITHUB_SERVER_URL"),
            github_repository: get("GITHUB_REPOSITORY"),
            ci_commit_sha: get("CI_COMMIT_SHA"),
            ci_project_url: get("CI_PROJECT_URL"),
            source_commit: get("SOURCE_COMMIT"),
        }
    }

    #[test]
    fn revision_prefers_github_then_gitlab_then_dockerhub() {
        let all = env(&[
            ("GITHUB_SHA", "g"),
            ("CI_COMMIT_SHA", "l"),
            ("SOURCE_COMMIT", "d"),
        ]);
        assert_eq!(all.revision(), Some(("GITHUB_SHA", "g".into())));
        let gitlab = env(&[("CI_COMMIT_SHA", "l"), ("SOURCE_COMMIT", "d")]);
        assert_eq!(gitlab.revision(), Some(("CI_COMMIT_SHA", "l".into())));
        let hub = env(&[("SOURCE_COMMIT", " d\n")]);
        assert_eq!(hub.revision(), Some(("SOURCE_COMMIT", "d".into())));
        assert_eq!(env(&[]).revision(), None);
    }

    #[test]
    fn source_url_joins_github_server_and_repository() {
        let gh = env(&[
            ("GITHUB_SERVER_URL", "https://github.com/"),
            ("GITHUB_REPOSITORY", "o/r"),
            ("CI_PROJECT_URL", "https://gitlab.com/x/y"),
        ]);
        assert_eq!(
            gh.source_url(),
            Some((
                "GITHUB_SERVER_URL/GITHUB_REPOSITORY",
                "https://github.com/o/r".into()
            ))
        );
        let gl = env(&[
            ("GITHUB_REPOSITORY", "o/r"),
            ("CI_PROJECT_URL", "https://gitlab.com/x/y"),
        ]);
        assert_eq!(
            gl.source_url(),
            Some(("CI_PROJECT_URL", "https://gitlab.com/x/y".into()))
        );
        assert_eq!(env(&[("CI_PROJECT_URL", "/srv/repo")]).source_url(), None);
    }

    #[test]
    fn outputs_use_a_delimiter_for_the_tag_list() {
        let labels = BTreeMap::from([("a.b".to_string(), "x \"y\"".to_string())]);
        let tags = vec!["r:latest".to_string(), "r:1-2".to_string()];
        let text = github_outputs(&BuildOutputs {
            image_id: "sha256:abc",
            tags: &tags,
            labels: &labels,
            version: "1-2",
            revision: None,
        });
        assert_eq!(
            text,
            "image-id=sha256:abc\ntags<<ds01_build_EOF\nr:latest\nr:1-2\nds01_build_EOF\n\
             labels={\"a.b\":\"x \\\"y\\\"\"}\nversion=1-2\nrevision=\n"
        );
    }

    #[test]
    fn a_value_holding_the_delimiter_gets_a_longer_one() {
        let labels = BTreeMap::new();
        let tags = vec!["ds01_build_EOF".to_string(), "b".to_string()];
        let text = github_outputs(&BuildOutputs {
            image_id: "i",
            tags: &tags,
            labels: &labels,
            version: "v",
            revision: Some("r"),
        });
        assert!(text.contains("tags<<ds01_build_EOF_\nds01_build_EOF\nb\nds01_build_EOF_\n"));
    }
}
