//! Image references (`owner/name`, `ghcr.io/org/app`) and the label-key prefix derived from them.
//!
//! Parsing (docker's grammar, without tag or digest):
//! - The first `/`-separated component is a registry when it contains `.` or `:` or is `localhost`;
//!   otherwise the whole input is a path on Docker Hub. Registry = `host[:port]`, host labels of
//!   `A-Z a-z 0-9 -`.
//! - Path components follow docker's rule: lowercase letters and digits, separated by single `.`, `_`,
//!   `__` or runs of `-`; no uppercase, no empty component. The whole name is at most 255 characters.
//! - A tag (`:1.0`) or digest (`@sha256:...`) is refused: the tag comes from TAG. URLs are refused.
//!
//! Docker Hub = no registry, or `docker.io`, `index.docker.io`, `registry-1.docker.io`,
//! `hub.docker.com` (any case). [`ImageRef::repository`] (the pull path) then drops the registry.
//!
//! Prefix ([`ImageRef::prefix`]):
//! - Docker Hub: the path with `/` → `.` (`jefferys/ubu-lts` → `jefferys.ubu-lts`,
//!   `index.docker.io/owner/name` → `owner.name`, `hello` → `hello`; written as given, so
//!   `library/hello` → `library.hello`).
//! - Other registries: the host's reverse domain, lowercased, then the path (`ghcr.io/org/app` →
//!   `io.ghcr.org.app`). A numeric IPv4 host is kept in order (`10.0.0.5/x` → `10.0.0.5.x`).
//! - A registry PORT is never part of the prefix (`localhost:5000/team/app` → `localhost.team.app`):
//!   the port is how this machine reaches the registry, not the image's identity, and `:` is not a
//!   key character. The pull path ([`ImageRef::repository`]) keeps it.
//!
//! Owner = the path component before the name (`""` for a single-component path like `hello`);
//! name = the last component. Home: `https://hub.docker.com/r/OWNER/NAME` on Docker Hub
//! (`https://hub.docker.com/_/NAME` for an official image: `hello` or `library/hello`), else
//! `https://HOST[:PORT]/PATH`.

use thiserror::Error;

/// Registries that are Docker Hub.
pub const DOCKER_HUB_HOSTS: [&str; 4] = [
    "docker.io",
    "index.docker.io",
    "registry-1.docker.io",
    "hub.docker.com",
];

/// Docker's limit on the length of a repository name.
pub const MAX_NAME_LEN: usize = 255;

/// A parsed image reference without tag or digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// `host[:port]` as written; `None` when the input has no registry component.
    registry: Option<String>,
    /// Path components, at least one.
    path: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RefError {
    #[error("image reference is empty: expected owner/name or REGISTRY/PATH, e.g. jefferys/ubu-lts or ghcr.io/org/app")]
    Empty,
    #[error("image reference {} contains whitespace: expected owner/name or REGISTRY/PATH, e.g. jefferys/ubu-lts", crate::messages::quoted(.0))]
    Whitespace(String),
    #[error("image reference {} includes the tag {}: give it without a tag (the tag comes from TAG), e.g. {}", crate::messages::quoted(.value), crate::messages::quoted(.tag), crate::messages::quoted(.without))]
    HasTag {
        value: String,
        tag: String,
        without: String,
    },
    #[error("image reference {} includes a digest: give it without @DIGEST (the tag comes from TAG), e.g. {}", crate::messages::quoted(.value), crate::messages::quoted(.without))]
    HasDigest { value: String, without: String },
    #[error(
        "image reference {} is a URL: give REGISTRY/PATH without a scheme, e.g. ghcr.io/org/app",
        crate::messages::quoted(.0)
    )]
    Url(String),
    #[error("image reference {} has an empty path component: expected owner/name or REGISTRY/PATH with no leading, trailing or double /, e.g. jefferys/ubu-lts", crate::messages::quoted(.0))]
    EmptyComponent(String),
    #[error("image reference {} has an invalid path component {}: use lowercase letters and digits, separated by single . _ __ or -", crate::messages::quoted(.value), crate::messages::quoted(.component))]
    BadComponent { value: String, component: String },
    #[error("image reference {} has an invalid registry {}: expected HOST or HOST:PORT, e.g. ghcr.io or localhost:5000", crate::messages::quoted(.value), crate::messages::quoted(.registry))]
    BadRegistry { value: String, registry: String },
    #[error("image reference {} is longer than 255 characters: use a shorter REGISTRY/PATH, e.g. owner/name", crate::messages::quoted(.0))]
    TooLong(String),
}

impl ImageRef {
    /// Parse `owner/name`, `name`, or `REGISTRY/PATH` (see the module header for the rules).
    pub fn parse(s: &str) -> Result<ImageRef, RefError> {
        let value = s.trim();
        if value.is_empty() {
            return Err(RefError::Empty);
        }
        if value.chars().any(char::is_whitespace) {
            return Err(RefError::Whitespace(value.to_string()));
        }
        if value.contains("://") {
            return Err(RefError::Url(value.to_string()));
        }
        if let Some((without, _)) = value.split_once('@') {
            return Err(RefError::HasDigest {
                value: value.to_string(),
                without: without.to_string(),
            });
        }
        // A ':' after the last '/' is a tag; one before it can only be a registry port.
        let last_slash = value.rfind('/').map_or(0, |i| i + 1);
        if let Some(colon) = value[last_slash..].find(':') {
            let at = last_slash + colon;
            return Err(RefError::HasTag {
                value: value.to_string(),
                tag: value[at..].to_string(),
                without: value[..at].to_string(),
            });
        }

        let mut parts: Vec<&str> = value.split('/').collect();
        let registry = if parts.len() > 1 && looks_like_registry(parts[0]) {
            let r = parts.remove(0);
            if !valid_registry(r) {
                return Err(RefError::BadRegistry {
                    value: value.to_string(),
                    registry: r.to_string(),
                });
            }
            Some(r.to_string())
        } else {
            None
        };
        for part in &parts {
            if part.is_empty() {
                return Err(RefError::EmptyComponent(value.to_string()));
            }
            if !valid_component(part) {
                return Err(RefError::BadComponent {
                    value: value.to_string(),
                    component: part.to_string(),
                });
            }
        }
        if value.len() > MAX_NAME_LEN {
            return Err(RefError::TooLong(value.to_string()));
        }
        Ok(ImageRef {
            registry,
            path: parts.into_iter().map(str::to_string).collect(),
        })
    }

    /// The registry as written (`ghcr.io`, `localhost:5000`), `None` when the input had none.
    pub fn registry(&self) -> Option<&str> {
        self.registry.as_deref()
    }

    /// The registry host without port, as written.
    fn host(&self) -> Option<&str> {
        self.registry
            .as_deref()
            .map(|r| r.split_once(':').map_or(r, |(h, _)| h))
    }

    /// True for Docker Hub (no registry, or one of [`DOCKER_HUB_HOSTS`]).
    pub fn is_docker_hub(&self) -> bool {
        match self.host() {
            None => true,
            Some(h) => DOCKER_HUB_HOSTS
                .iter()
                .any(|hub| h.eq_ignore_ascii_case(hub)),
        }
    }

    /// The path without registry: `jefferys/ubu-lts`, `org/app`, `hello`.
    pub fn path(&self) -> String {
        self.path.join("/")
    }

    /// The last path component.
    pub fn name(&self) -> &str {
        self.path.last().map(String::as_str).unwrap_or_default()
    }

    /// The path component before the name; `""` for a single-component path.
    pub fn owner(&self) -> &str {
        match self.path.len() {
            0 | 1 => "",
            n => &self.path[n - 2],
        }
    }

    /// The pull path without tag: `jefferys/ubu-lts` (Docker Hub drops its registry),
    /// `ghcr.io/org/app`, `localhost:5000/team/app`.
    pub fn repository(&self) -> String {
        match &self.registry {
            Some(r) if !self.is_docker_hub() => format!("{r}/{}", self.path()),
            _ => self.path(),
        }
    }

    /// The label-key prefix: `jefferys.ubu-lts`, `io.ghcr.org.app`, `localhost.team.app`.
    pub fn prefix(&self) -> String {
        let path = self.path.join(".");
        match self.host() {
            Some(host) if !self.is_docker_hub() => {
                let host = host.to_ascii_lowercase();
                let is_ipv4 = host
                    .split('.')
                    .all(|l| l.bytes().all(|b| b.is_ascii_digit()));
                let domain = if is_ipv4 {
                    host
                } else {
                    host.split('.').rev().collect::<Vec<_>>().join(".")
                };
                format!("{domain}.{path}")
            }
            _ => path,
        }
    }

    /// A web page for the image: Docker Hub's page, else `https://HOST[:PORT]/PATH`.
    pub fn home(&self) -> String {
        if self.is_docker_hub() {
            let official =
                self.path.len() == 1 || (self.path.len() == 2 && self.owner() == "library");
            if official {
                format!("https://hub.docker.com/_/{}", self.name())
            } else {
                format!("https://hub.docker.com/r/{}", self.path())
            }
        } else {
            format!("https://{}", self.repository())
        }
    }
}

impl std::fmt::Display for ImageRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.repository())
    }
}

impl std::str::FromStr for ImageRef {
    type Err = RefError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ImageRef::parse(s)
    }
}

/// Docker's test: a first component with `.` or `:`, or `localhost`, names a registry.
fn looks_like_registry(first: &str) -> bool {
    first.contains(['.', ':']) || first == "localhost"
}

/// `host[:port]`: host labels `[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?` joined by `.`; port digits.
fn valid_registry(r: &str) -> bool {
    let (host, port) = match r.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (r, None),
    };
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    host.split('.').all(label_ok) && port_ok
}

/// Docker's path component: `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`.
fn valid_component(c: &str) -> bool {
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let bytes = c.as_bytes();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    if !alnum(first) || !alnum(last) {
        return false;
    }
    // Check each run of separators between alphanumeric runs.
    let mut i = 0;
    while i < bytes.len() {
        if alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|b| b == b'-');
        if !ok {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> ImageRef {
        ImageRef::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn docker_hub_owner_name() {
        let i = r("jefferys/ubu-lts");
        assert!(i.is_docker_hub());
        assert_eq!(i.prefix(), "jefferys.ubu-lts");
        assert_eq!(i.owner(), "jefferys");
        assert_eq!(i.name(), "ubu-lts");
        assert_eq!(i.repository(), "jefferys/ubu-lts");
        assert_eq!(i.home(), "https://hub.docker.com/r/jefferys/ubu-lts");
        assert_eq!(i.registry(), None);
        assert_eq!(i.to_string(), "jefferys/ubu-lts");
    }

    #[test]
    fn docker_hub_registry_names_are_dropped() {
        for host in [
            "docker.io",
            "index.docker.io",
            "registry-1.docker.io",
            "hub.docker.com",
            "Docker.IO",
        ] {
            let i = r(&format!("{host}/owner/name"));
            assert!(i.is_docker_hub(), "{host}");
            assert_eq!(i.prefix(), "owner.name", "{host}");
            assert_eq!(i.repository(), "owner/name", "{host}");
            assert_eq!(i.home(), "https://hub.docker.com/r/owner/name", "{host}");
        }
    }

    #[test]
    fn official_single_component() {
        let i = r("hello");
        assert!(i.is_docker_hub());
        assert_eq!(i.owner(), "");
        assert_eq!(i.name(), "hello");
        assert_eq!(i.prefix(), "hello");
        assert_eq!(i.repository(), "hello");
        assert_eq!(i.home(), "https://hub.docker.com/_/hello");
        let l = r("docker.io/library/hello");
        assert_eq!(l.prefix(), "library.hello");
        assert_eq!(l.repository(), "library/hello");
        assert_eq!(l.home(), "https://hub.docker.com/_/hello");
        assert_eq!(r("docker.io/hello").repository(), "hello");
    }

    #[test]
    fn other_registries_use_reverse_domain() {
        let i = r("ghcr.io/org/app");
        assert!(!i.is_docker_hub());
        assert_eq!(i.prefix(), "io.ghcr.org.app");
        assert_eq!(i.owner(), "org");
        assert_eq!(i.name(), "app");
        assert_eq!(i.repository(), "ghcr.io/org/app");
        assert_eq!(i.home(), "https://ghcr.io/org/app");
        assert_eq!(i.registry(), Some("ghcr.io"));

        let q = r("quay.io/a/b/c");
        assert_eq!(q.prefix(), "io.quay.a.b.c");
        assert_eq!(q.owner(), "b");
        assert_eq!(q.name(), "c");

        assert_eq!(r("GHCR.io/org/app").prefix(), "io.ghcr.org.app");
        assert_eq!(
            r("registry.gitlab.com/g/p").prefix(),
            "com.gitlab.registry.g.p"
        );
        assert_eq!(r("10.0.0.5/x/y").prefix(), "10.0.0.5.x.y");
    }

    #[test]
    fn registry_port_is_not_in_the_prefix() {
        let i = r("localhost:5000/team/app");
        assert!(!i.is_docker_hub());
        assert_eq!(i.prefix(), "localhost.team.app");
        assert_eq!(i.repository(), "localhost:5000/team/app");
        assert_eq!(i.home(), "https://localhost:5000/team/app");
        assert_eq!(r("localhost/app").prefix(), "localhost.app");
        assert_eq!(
            r("myreg.example.com:443/a/b").prefix(),
            "com.example.myreg.a.b"
        );
        assert_eq!(r("docker.io:443/o/n").repository(), "o/n");
    }

    #[test]
    fn tag_and_digest_are_refused() {
        let e = ImageRef::parse("jefferys/ubu-lts:20.04").unwrap_err();
        assert_eq!(
            e,
            RefError::HasTag {
                value: "jefferys/ubu-lts:20.04".into(),
                tag: ":20.04".into(),
                without: "jefferys/ubu-lts".into()
            }
        );
        let msg = e.to_string();
        assert!(msg.contains("\"jefferys/ubu-lts:20.04\""), "{msg}");
        assert!(msg.contains("the tag comes from TAG"), "{msg}");
        assert!(matches!(
            ImageRef::parse("localhost:5000/app:1").unwrap_err(),
            RefError::HasTag { .. }
        ));
        assert!(matches!(
            ImageRef::parse("hello:latest").unwrap_err(),
            RefError::HasTag { .. }
        ));
        let d = ImageRef::parse("o/n@sha256:0123").unwrap_err();
        assert!(matches!(d, RefError::HasDigest { .. }), "{d:?}");
        assert!(d.to_string().contains("\"o/n\""));
    }

    #[test]
    fn bad_components_are_refused() {
        for bad in [
            "Jefferys/ubu",
            "o/UBU",
            "o/-x",
            "o/x-",
            "o/x..y",
            "o/x___y",
            "o/x_.y",
            "o/é",
            "o/x$y",
        ] {
            let e = ImageRef::parse(bad).unwrap_err();
            assert!(matches!(e, RefError::BadComponent { .. }), "{bad}: {e:?}");
            assert!(e.to_string().contains("lowercase"), "{e}");
        }
        for good in ["o/x__y", "o/x---y", "o/x.y_z-w", "o/0"] {
            r(good);
        }
        for bad in ["/o/n", "o/n/", "o//n", "ghcr.io/", "ghcr.io//x"] {
            let e = ImageRef::parse(bad).unwrap_err();
            assert_eq!(e, RefError::EmptyComponent(bad.into()), "{bad}");
        }
    }

    #[test]
    fn other_refusals() {
        assert_eq!(ImageRef::parse("").unwrap_err(), RefError::Empty);
        assert_eq!(ImageRef::parse("  ").unwrap_err(), RefError::Empty);
        assert!(matches!(
            ImageRef::parse("a b/c").unwrap_err(),
            RefError::Whitespace(_)
        ));
        assert!(matches!(
            ImageRef::parse("https://ghcr.io/org/app").unwrap_err(),
            RefError::Url(_)
        ));
        for bad in [
            "bad_host.io/x",
            "-x.io/y",
            "host:port/x",
            "host:/x",
            "a..b/c",
        ] {
            let e = ImageRef::parse(bad).unwrap_err();
            assert!(matches!(e, RefError::BadRegistry { .. }), "{bad}: {e:?}");
        }
        let long = format!("o/{}", "a".repeat(254));
        assert!(matches!(
            ImageRef::parse(&long).unwrap_err(),
            RefError::TooLong(_)
        ));
        assert!(ImageRef::parse(&format!("o/{}", "a".repeat(253))).is_ok());
    }

    #[test]
    fn errors_are_one_line_and_name_the_value() {
        for bad in [
            "",
            "a b",
            "x:1",
            "x@sha256:1",
            "https://x/y",
            "o//n",
            "O/n",
            "-x.io/y",
            &"a".repeat(300),
        ] {
            let msg = ImageRef::parse(bad).unwrap_err().to_string();
            assert!(!msg.contains('\n'), "{msg}");
            if !bad.is_empty() {
                let shown = crate::messages::quoted(bad.trim());
                assert!(msg.contains(&shown), "{msg}");
            }
            assert!(
                msg.contains("e.g.") || msg.contains("use ") || msg.contains("255"),
                "{msg}"
            );
        }
    }
}
