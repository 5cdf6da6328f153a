//! Reads through the engine's HTTP API (bollard) instead of a CLI process per query.
//!
//! [`route`] decides, without I/O of its own, whether the engine the CLI would talk to is reachable
//! as an API endpoint: docker's own precedence (`--context`, then `DOCKER_HOST`, then
//! `DOCKER_CONTEXT`, then the config's `currentContext`, then the default socket), a context's
//! `meta.json` read from the docker config directory, podman's `CONTAINER_HOST` or its service socket.
//! Anything it cannot follow exactly (ssh, TLS, a podman connection, a program that is not docker or
//! podman) stays on the CLI. With privileges only the operator's fixed environment is looked at.
//!
//! [`Client`] answers only what it can answer exactly like the CLI would; every `None` means "ask the
//! CLI", which then also gives the engine's own error wording and exit code (a missing object, an
//! unreachable daemon). Requests run on a tokio current-thread runtime: no thread pool is started.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bollard::query_parameters::ListContainersOptionsBuilder;
use bollard::Docker;

use crate::engine::{Engine, EngineKind};
use crate::inspect::Inspected;

/// Set to `off` to keep every read on the CLI path.
pub const API_ENV: &str = "DS01_BUILD_API";

/// docker's default socket.
pub const DOCKER_SOCKET: &str = "/var/run/docker.sock";

/// Where the engine's API answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Unix(PathBuf),
    /// `host:port`, plain HTTP.
    Tcp(String),
}

impl Endpoint {
    fn url(&self) -> String {
        match self {
            Endpoint::Unix(path) => format!("unix://{}", path.display()),
            Endpoint::Tcp(addr) => format!("tcp://{addr}"),
        }
    }
}

/// Which path reads take, and why (for `-v`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Api { endpoint: Endpoint, why: String },
    Cli { why: String },
}

/// What [`route`] may look at: environment variables and small files.
pub struct Surroundings<'a> {
    pub var: &'a dyn Fn(&str) -> Option<String>,
    pub read: &'a dyn Fn(&Path) -> Option<String>,
    pub list_dir: &'a dyn Fn(&Path) -> Vec<PathBuf>,
    pub exists: &'a dyn Fn(&Path) -> bool,
    /// The process's effective uid (podman's socket differs for root).
    pub uid: u32,
}

fn cli(why: impl Into<String>) -> Route {
    Route::Cli { why: why.into() }
}

/// The route for `kind`'s CLI `program`, with `context` from `--context`. The caller's program must
/// be the bare name `docker`/`podman` (a path the caller names may be a wrapper or a stand-in);
/// the operator's (`operators`) is a checked path, judged by its file name.
pub fn route(
    kind: EngineKind,
    program: &str,
    operators: bool,
    context: Option<&str>,
    s: &Surroundings,
) -> Route {
    let var = |k: &str| (s.var)(k).filter(|v| !v.is_empty());
    if var(API_ENV).as_deref() == Some("off") {
        return cli(format!("{API_ENV}=off"));
    }
    let base = if operators {
        Path::new(program)
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default()
    } else {
        program.to_string()
    };
    match (kind, base.as_str()) {
        (EngineKind::Docker, "docker") => docker_route(context, s),
        (EngineKind::Podman, "podman") => podman_route(context, s),
        _ => cli(format!("{program} is not docker or podman itself")),
    }
}

fn parse_host(host: &str, source: &str) -> Route {
    if let Some(path) = host.strip_prefix("unix://") {
        return Route::Api {
            endpoint: Endpoint::Unix(PathBuf::from(path)),
            why: source.to_string(),
        };
    }
    if let Some(addr) = host
        .strip_prefix("tcp://")
        .or_else(|| host.strip_prefix("http://"))
    {
        let addr = addr.trim_end_matches('/');
        if !addr.is_empty() && !addr.contains('/') {
            return Route::Api {
                endpoint: Endpoint::Tcp(addr.to_string()),
                why: source.to_string(),
            };
        }
    }
    cli(format!(
        "{source} is {host:?}, not a unix socket or plain tcp"
    ))
}

/// The docker CLI's config directory: `DOCKER_CONFIG`, else `~/.docker`.
fn docker_config_dir(s: &Surroundings) -> Option<PathBuf> {
    let var = |k: &str| (s.var)(k).filter(|v| !v.is_empty());
    match var("DOCKER_CONFIG") {
        Some(dir) => Some(PathBuf::from(dir)),
        None => var("HOME").map(|home| Path::new(&home).join(".docker")),
    }
}

/// Why the docker CLI's surroundings would make its `create` differ from the API request
/// [`crate::create_api`] builds: `DOCKER_CONTENT_TRUST` (the CLI resolves the image through
/// Notary), the config's `proxies` (the CLI adds their `*_PROXY` variables to the container's
/// environment), or a config it cannot be sure of. `None`: no such reason.
pub fn cli_changes_create(s: &Surroundings) -> Option<String> {
    // The CLI trusts on any non-empty value but a false one (a value ParseBool refuses too).
    let trust = (s.var)("DOCKER_CONTENT_TRUST").filter(|v| !v.is_empty());
    if trust.is_some_and(|v| crate::engine::parse_go_bool(&v) != Some(false)) {
        return Some("DOCKER_CONTENT_TRUST (the CLI resolves the image through Notary)".into());
    }
    let dir = docker_config_dir(s)?;
    let path = dir.join("config.json");
    let text = (s.read)(&path)?;
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(json) => json
            .get("proxies")
            .filter(|p| p.as_object().is_none_or(|p| !p.is_empty()))
            .map(|_| {
                format!(
                    "{} sets proxies (the CLI adds them to the environment)",
                    path.display()
                )
            }),
        Err(_) => Some(format!("{} is not JSON", path.display())),
    }
}

fn docker_route(context: Option<&str>, s: &Surroundings) -> Route {
    let var = |k: &str| (s.var)(k).filter(|v| !v.is_empty());
    let Some(dir) = docker_config_dir(s) else {
        return cli("no HOME to find the docker config");
    };
    let tls_env = var("DOCKER_TLS_VERIFY").is_some() || var("DOCKER_CERT_PATH").is_some();
    let (name, source) = match (context, var("DOCKER_HOST"), var("DOCKER_CONTEXT")) {
        (Some(c), _, _) => (c.to_string(), format!("--context {c}")),
        (None, Some(host), _) => {
            if tls_env {
                return cli("DOCKER_TLS_VERIFY/DOCKER_CERT_PATH: TLS");
            }
            return parse_host(&host, "DOCKER_HOST");
        }
        (None, None, Some(c)) => (c.clone(), format!("DOCKER_CONTEXT={c}")),
        (None, None, None) => {
            let config = (s.read)(&dir.join("config.json"));
            let current = match config
                .as_deref()
                .map(serde_json::from_str::<serde_json::Value>)
            {
                None => None,
                Some(Ok(json)) => json
                    .get("currentContext")
                    .and_then(|c| c.as_str())
                    .filter(|c| !c.is_empty())
                    .map(str::to_string),
                Some(Err(_)) => return cli("the docker config.json is not JSON"),
            };
            match current {
                Some(c) => (c.clone(), format!("currentContext {c}")),
                None => ("default".to_string(), "the default socket".to_string()),
            }
        }
    };
    if name == "default" {
        if tls_env {
            return cli("DOCKER_TLS_VERIFY/DOCKER_CERT_PATH: TLS");
        }
        return Route::Api {
            endpoint: Endpoint::Unix(PathBuf::from(DOCKER_SOCKET)),
            why: source,
        };
    }
    // The store names each context's folder by a hash of its name; the name is inside.
    let meta = (s.list_dir)(&dir.join("contexts").join("meta"))
        .into_iter()
        .filter_map(|folder| {
            let text = (s.read)(&folder.join("meta.json"))?;
            let json: serde_json::Value = serde_json::from_str(&text).ok()?;
            (json["Name"].as_str() == Some(name.as_str())).then_some((folder, json))
        })
        .next();
    let Some((folder, json)) = meta else {
        return cli(format!(
            "context {} not found in {}",
            crate::messages::quoted(&name),
            dir.display()
        ));
    };
    let tls = dir
        .join("contexts")
        .join("tls")
        .join(folder.file_name().unwrap_or_default());
    if (s.exists)(&tls) || json["Endpoints"]["docker"]["SkipTLSVerify"] == true {
        return cli(format!(
            "context {} uses TLS",
            crate::messages::quoted(&name)
        ));
    }
    match json["Endpoints"]["docker"]["Host"].as_str() {
        Some(host) => parse_host(host, &source),
        None => cli(format!("context {name:?} names no docker host")),
    }
}

fn podman_route(context: Option<&str>, s: &Surroundings) -> Route {
    let var = |k: &str| (s.var)(k).filter(|v| !v.is_empty());
    if let Some(c) = context
        .map(str::to_string)
        .or_else(|| var("CONTAINER_CONNECTION"))
    {
        return cli(format!("podman connection {}", crate::messages::quoted(&c)));
    }
    if let Some(host) = var("CONTAINER_HOST") {
        return parse_host(&host, "CONTAINER_HOST");
    }
    let socket = if s.uid == 0 {
        PathBuf::from("/run/podman/podman.sock")
    } else {
        match var("XDG_RUNTIME_DIR") {
            Some(dir) => Path::new(&dir).join("podman/podman.sock"),
            None => return cli("no XDG_RUNTIME_DIR for podman's socket"),
        }
    };
    if (s.exists)(&socket) {
        Route::Api {
            endpoint: Endpoint::Unix(socket),
            why: "podman's service socket".to_string(),
        }
    } else {
        cli(format!(
            "podman's service socket {} is absent",
            socket.display()
        ))
    }
}

/// The route for `engine` from the process's surroundings (the operator's fixed environment under
/// privilege, else the caller's).
pub fn route_for(engine: &Engine) -> Route {
    // DS01_BUILD_API=off is honoured from the caller too: it can only keep reads on the CLI.
    if std::env::var(API_ENV).ok().as_deref() == Some("off") {
        return cli(format!("{API_ENV}=off"));
    }
    with_surroundings(engine, |s| {
        route(
            engine.kind(),
            engine.program(),
            engine.is_operators(),
            engine.context(),
            s,
        )
    })
}

/// `ask` with `engine`'s surroundings: the operator's fixed environment under privilege, else the
/// caller's.
pub fn with_surroundings<T>(engine: &Engine, ask: impl FnOnce(&Surroundings) -> T) -> T {
    let operator_env = engine.operator_env();
    let var = |k: &str| match operator_env {
        Some(env) => env.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone()),
        None => std::env::var(k).ok(),
    };
    let read = |p: &Path| crate::caller_file::read_own_to_string(p).ok();
    let list_dir = |p: &Path| {
        std::fs::read_dir(p)
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default()
    };
    let exists = |p: &Path| p.exists();
    let s = Surroundings {
        var: &var,
        read: &read,
        list_dir: &list_dir,
        exists: &exists,
        uid: nix::unistd::geteuid().as_raw(),
    };
    ask(&s)
}

/// One container as the list call gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub object: Inspected,
    /// Whether the list shows the image's ID where inspect's `Config.Image` would show the name
    /// the container was created from (docker does so when that name no longer names the image).
    pub image_is_id: bool,
}

/// An API client for one engine; `None` from any call means "ask the CLI".
pub struct Client {
    docker: Docker,
    runtime: tokio::runtime::Runtime,
    endpoint: Endpoint,
    verbose: bool,
}

const TIMEOUT_SECS: u64 = 120;

impl Client {
    /// A client for `engine` when its route is the API (`-v` says which path and why).
    pub fn for_engine(engine: &Engine) -> Option<Client> {
        let verbose = engine.verbose();
        match route_for(engine) {
            Route::Cli { why } => {
                if verbose {
                    crate::say!("# reads via the CLI: {why}");
                }
                None
            }
            Route::Api { endpoint, why } => {
                let client = Client::connect(endpoint.clone(), verbose);
                if verbose {
                    match &client {
                        Some(_) => {
                            crate::say!("# reads via the Engine API at {} ({why})", endpoint.url())
                        }
                        None => {
                            crate::say!("# reads via the CLI: no API client for {}", endpoint.url())
                        }
                    }
                }
                client
            }
        }
    }

    fn connect(endpoint: Endpoint, verbose: bool) -> Option<Client> {
        let version = bollard::ClientVersion {
            major_version: 1,
            minor_version: 41,
        };
        let docker = match &endpoint {
            Endpoint::Unix(path) => {
                Docker::connect_with_unix(&path.to_string_lossy(), TIMEOUT_SECS, &version)
            }
            Endpoint::Tcp(addr) => {
                Docker::connect_with_http(&format!("tcp://{addr}"), TIMEOUT_SECS, &version)
            }
        }
        .ok()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .ok()?;
        // API 1.41 (docker 20.10 to 28, podman's compatible API) needs no round trip (`/version`
        // costs ≈ 10 ms on docker 20.10); a daemon that refuses it is asked for its version once
        // and the request repeated ([`Client::retry`]).
        Some(Client {
            docker,
            runtime,
            endpoint,
            verbose,
        })
    }

    /// `+ GET PATH (ENDPOINT)` for `-v`: one line per request, like a CLI call's `+ docker ...`.
    fn trace(&self, path: &str) {
        self.trace_request("GET", path);
    }

    /// `+ METHOD PATH (ENDPOINT)` for `-v`.
    fn trace_request(&self, method: &str, path: &str) {
        if self.verbose {
            crate::say!("+ {method} {path} ({})", self.endpoint.url());
        }
    }

    /// Inspect each name as a container (`containers`) or image, or as a container then an image
    /// (`both`); `None` unless every name is found.
    pub fn inspect(
        &self,
        names: &[String],
        container: bool,
        image: bool,
    ) -> Option<Vec<Inspected>> {
        self.retry(|docker| self.inspect_with(docker, names, container, image))
    }

    /// `ask` with the pinned API version; when it gets no answer, once more with the version the
    /// daemon offers (a daemon outside 1.41's range refuses every request; for a real miss this
    /// costs one `/version` before the CLI is asked).
    fn retry<T>(&self, ask: impl Fn(&Docker) -> Option<T>) -> Option<T> {
        if let Some(answer) = ask(&self.docker) {
            return Some(answer);
        }
        let negotiated = self
            .runtime
            .block_on(self.docker.clone().negotiate_version())
            .ok()?;
        if negotiated.client_version() == self.docker.client_version() {
            return None;
        }
        ask(&negotiated)
    }

    fn inspect_with(
        &self,
        docker: &Docker,
        names: &[String],
        container: bool,
        image: bool,
    ) -> Option<Vec<Inspected>> {
        if names.iter().any(|n| !plain_name(n)) {
            return None;
        }
        let one = |name: String| async move {
            let name = name.as_str();
            if container {
                self.trace(&format!("/containers/{name}/json"));
                if let Ok(c) = docker.inspect_container(name, None).await {
                    return Some(from_container(c));
                }
            }
            if image {
                self.trace(&format!("/images/{name}/json"));
                if let Ok(i) = docker.inspect_image(name).await {
                    return Some(from_image(i));
                }
            }
            None
        };
        let found = self.runtime.block_on(futures_util::future::join_all(
            names.iter().cloned().map(one),
        ));
        found.into_iter().collect()
    }

    /// Inspect containers by ID, keeping those still there (one removed meanwhile is skipped).
    pub fn inspect_present(&self, ids: &[String]) -> Vec<Inspected> {
        let docker = &self.docker;
        let one = |id: String| async move {
            self.trace(&format!("/containers/{id}/json"));
            docker.inspect_container(&id, None).await.ok()
        };
        self.runtime
            .block_on(futures_util::future::join_all(ids.iter().cloned().map(one)))
            .into_iter()
            .flatten()
            .map(from_container)
            .collect()
    }

    /// `GET /_ping`: whether the daemon answers at all (any version answers it).
    pub fn answers(&self) -> bool {
        self.trace("/_ping");
        self.runtime.block_on(self.docker.ping()).is_ok()
    }

    /// `GET /containers/json?all=1`: every container with its labels.
    pub fn list(&self) -> Option<Vec<Listed>> {
        self.retry(|docker| self.list_with(docker))
    }

    fn list_with(&self, docker: &Docker) -> Option<Vec<Listed>> {
        self.trace("/containers/json?all=1");
        let options = ListContainersOptionsBuilder::default().all(true).build();
        let summaries = self
            .runtime
            .block_on(docker.list_containers(Some(options)))
            .ok()?;
        summaries.into_iter().map(from_summary).collect()
    }

    /// An image's inspect and history, requested together.
    pub fn image_and_history(&self, image: &str) -> Option<(Inspected, Vec<String>)> {
        if !plain_name(image) {
            return None;
        }
        self.retry(|docker| self.image_and_history_with(docker, image))
    }

    fn image_and_history_with(
        &self,
        docker: &Docker,
        image: &str,
    ) -> Option<(Inspected, Vec<String>)> {
        self.trace(&format!("/images/{image}/json"));
        self.trace(&format!("/images/{image}/history"));
        let (inspected, history) = self.runtime.block_on(async {
            futures_util::future::join(docker.inspect_image(image), docker.image_history(image))
                .await
        });
        let history = history.ok()?.into_iter().map(|r| r.created_by).collect();
        Some((from_image(inspected.ok()?), history))
    }
}

/// What `POST /containers/create` gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created {
    /// Created: its ID and the daemon's warnings.
    Id { id: String, warnings: Vec<String> },
    /// No container: the daemon refused (`status`), or no answer came (`status` `None`: the
    /// connection failed before or during the request).
    Failed {
        status: Option<u16>,
        message: String,
    },
}

impl Client {
    /// `POST /containers/create?name=NAME` with `body` (built by [`crate::create_api::body`]).
    pub fn create(&self, name: &str, body: serde_json::Value) -> Created {
        self.trace_request("POST", &format!("/containers/create?name={name}"));
        let body: bollard::models::ContainerCreateBody = match serde_json::from_value(body) {
            Ok(body) => body,
            Err(e) => {
                return Created::Failed {
                    status: None,
                    message: format!("the request body does not fit the API model: {e}"),
                }
            }
        };
        let options = bollard::query_parameters::CreateContainerOptionsBuilder::new()
            .name(name)
            .build();
        match self
            .runtime
            .block_on(self.docker.create_container(Some(options), body))
        {
            Ok(response) => Created::Id {
                id: response.id,
                warnings: response.warnings,
            },
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code,
                message,
            }) => Created::Failed {
                status: Some(status_code),
                message,
            },
            Err(e) => Created::Failed {
                status: None,
                message: e.to_string(),
            },
        }
    }

    /// `DELETE /containers/ID` (a container this run created and must not leave behind).
    pub fn remove(&self, id: &str) -> Result<(), String> {
        self.trace_request("DELETE", &format!("/containers/{id}"));
        self.runtime
            .block_on(self.docker.remove_container(id, None))
            .map_err(|e| e.to_string())
    }
}

/// Names the API's path routes take as they are (bollard puts them into the URL unescaped):
/// references and IDs only.
fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-:/@".contains(&b))
        && !name.contains("..")
        && !name.starts_with('/')
}

fn labels(map: Option<std::collections::HashMap<String, String>>) -> BTreeMap<String, String> {
    map.unwrap_or_default().into_iter().collect()
}

fn from_container(c: bollard::models::ContainerInspectResponse) -> Inspected {
    let config = c.config.unwrap_or_default();
    Inspected {
        id: c.id.unwrap_or_default(),
        name: c
            .name
            .unwrap_or_default()
            .trim_start_matches('/')
            .to_string(),
        repo_tags: Vec::new(),
        created: c.created.unwrap_or_default(),
        state: c
            .state
            .and_then(|s| s.status)
            .map(|s| s.to_string())
            .unwrap_or_default(),
        image: config.image.unwrap_or_default(),
        labels: labels(config.labels),
    }
}

fn from_image(i: bollard::models::ImageInspect) -> Inspected {
    Inspected {
        id: i.id.unwrap_or_default(),
        repo_tags: i.repo_tags.unwrap_or_default(),
        created: i.created.unwrap_or_default(),
        labels: labels(i.config.and_then(|c| c.labels)),
        ..Inspected::default()
    }
}

fn from_summary(c: bollard::models::ContainerSummary) -> Option<Listed> {
    let names = c.names.unwrap_or_default();
    // Linked containers carry extra names `/other/alias`; the container's own has one slash.
    let name = names
        .iter()
        .find(|n| n.trim_start_matches('/').find('/').is_none())
        .or(names.first())?
        .trim_start_matches('/')
        .to_string();
    let image = c.image.unwrap_or_default();
    let image_id = c.image_id.unwrap_or_default();
    Some(Listed {
        image_is_id: image.is_empty() || image == image_id || image.starts_with("sha256:"),
        object: Inspected {
            id: c.id?,
            name,
            repo_tags: Vec::new(),
            created: rfc3339_seconds(c.created?)?,
            state: c.state.map(|s| s.to_string()).unwrap_or_default(),
            image,
            labels: labels(c.labels),
        },
    })
}

/// A unix time as RFC 3339 in UTC, to the second (how the list call gives `Created`).
pub fn rfc3339_seconds(secs: i64) -> Option<String> {
    let t = time::OffsetDateTime::from_unix_timestamp(secs).ok()?;
    t.format(&time::format_description::well_known::Rfc3339)
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct World {
        vars: HashMap<&'static str, &'static str>,
        files: HashMap<PathBuf, String>,
        uid: u32,
    }

    impl World {
        fn new(vars: &[(&'static str, &'static str)]) -> World {
            World {
                vars: vars.iter().cloned().collect(),
                files: HashMap::new(),
                uid: 1000,
            }
        }
        fn file(mut self, path: &str, text: &str) -> World {
            self.files.insert(PathBuf::from(path), text.to_string());
            self
        }
        fn route(&self, kind: EngineKind, program: &str, context: Option<&str>) -> Route {
            let operators = program.starts_with('/');
            self.with(|s| route(kind, program, operators, context, s))
        }
        fn with<T>(&self, ask: impl FnOnce(&Surroundings) -> T) -> T {
            let var = |k: &str| self.vars.get(k).map(|v| v.to_string());
            let read = |p: &Path| self.files.get(p).cloned();
            let list_dir = |p: &Path| {
                let mut v: Vec<PathBuf> = self
                    .files
                    .keys()
                    .filter_map(|f| {
                        let parent = f.parent()?;
                        (parent.parent() == Some(p)).then(|| parent.to_path_buf())
                    })
                    .collect();
                v.sort();
                v.dedup();
                v
            };
            let exists = |p: &Path| self.files.keys().any(|f| f.starts_with(p));
            ask(&Surroundings {
                var: &var,
                read: &read,
                list_dir: &list_dir,
                exists: &exists,
                uid: self.uid,
            })
        }
    }

    #[test]
    fn content_trust_or_a_docker_config_with_proxies_keeps_create_on_the_cli() {
        let changes = |w: World| w.with(cli_changes_create);
        let trust = changes(World::new(&[("HOME", "/h"), ("DOCKER_CONTENT_TRUST", "1")]));
        assert!(trust.unwrap().starts_with("DOCKER_CONTENT_TRUST"));
        assert_eq!(changes(World::new(&[("DOCKER_CONTENT_TRUST", "0")])), None);
        let odd = changes(World::new(&[
            ("HOME", "/h"),
            ("DOCKER_CONTENT_TRUST", "yes"),
        ]));
        assert!(odd.unwrap().starts_with("DOCKER_CONTENT_TRUST"));
        assert_eq!(changes(World::new(&[("DOCKER_CONTENT_TRUST", "")])), None);
        assert_eq!(changes(World::new(&[("HOME", "/h")])), None);
        let plain = r#"{"auths": {}, "currentContext": "default"}"#;
        assert_eq!(
            changes(World::new(&[("HOME", "/h")]).file("/h/.docker/config.json", plain)),
            None
        );
        let proxies = r#"{"proxies": {"default": {"httpProxy": "http://p:3128"}}}"#;
        let why = changes(World::new(&[("DOCKER_CONFIG", "/c")]).file("/c/config.json", proxies));
        assert!(why.unwrap().contains("/c/config.json sets proxies"));
        let broken = changes(World::new(&[("HOME", "/h")]).file("/h/.docker/config.json", "{"));
        assert!(broken.unwrap().contains("is not JSON"));
        let empty = r#"{"proxies": {}}"#;
        assert_eq!(
            changes(World::new(&[("HOME", "/h")]).file("/h/.docker/config.json", empty)),
            None
        );
    }

    fn api(endpoint: Endpoint) -> impl Fn(&Route) -> bool {
        move |r| matches!(r, Route::Api { endpoint: e, .. } if *e == endpoint)
    }
    fn unix(p: &str) -> Endpoint {
        Endpoint::Unix(PathBuf::from(p))
    }
    fn tcp(a: &str) -> Endpoint {
        Endpoint::Tcp(a.to_string())
    }
    fn is_cli(r: &Route) -> bool {
        matches!(r, Route::Cli { .. })
    }

    const META: &str = r#"{"Name":"far","Metadata":{},"Endpoints":{"docker":{"Host":"tcp://127.0.0.1:2999","SkipTLSVerify":false}}}"#;

    #[test]
    fn docker_precedence_flag_host_context_config_default() {
        let d = EngineKind::Docker;
        let w = World::new(&[("HOME", "/h")]).file("/h/.docker/contexts/meta/abc/meta.json", META);
        assert!(api(unix(DOCKER_SOCKET))(&w.route(d, "docker", None)));
        assert!(api(tcp("127.0.0.1:2999"))(&w.route(
            d,
            "docker",
            Some("far")
        )));
        assert!(api(unix(DOCKER_SOCKET))(&w.route(
            d,
            "/usr/bin/docker",
            Some("default")
        )));
        let w = World::new(&[
            ("HOME", "/h"),
            ("DOCKER_HOST", "unix:///x.sock"),
            ("DOCKER_CONTEXT", "far"),
        ])
        .file("/h/.docker/contexts/meta/abc/meta.json", META);
        // DOCKER_HOST beats DOCKER_CONTEXT; the flag beats both.
        assert!(api(unix("/x.sock"))(&w.route(d, "docker", None)));
        assert!(api(tcp("127.0.0.1:2999"))(&w.route(
            d,
            "docker",
            Some("far")
        )));
        let w = World::new(&[("HOME", "/h"), ("DOCKER_CONTEXT", "far")])
            .file("/h/.docker/contexts/meta/abc/meta.json", META);
        assert!(api(tcp("127.0.0.1:2999"))(&w.route(d, "docker", None)));
        let w = World::new(&[("DOCKER_CONFIG", "/c")])
            .file("/c/config.json", r#"{"currentContext":"far"}"#)
            .file("/c/contexts/meta/abc/meta.json", META);
        assert!(api(tcp("127.0.0.1:2999"))(&w.route(d, "docker", None)));
    }

    #[test]
    fn what_the_api_cannot_follow_stays_on_the_cli() {
        let d = EngineKind::Docker;
        for vars in [
            vec![("HOME", "/h"), ("DOCKER_HOST", "ssh://me@far")],
            vec![
                ("HOME", "/h"),
                ("DOCKER_HOST", "tcp://far:2376"),
                ("DOCKER_TLS_VERIFY", "1"),
            ],
            vec![("HOME", "/h"), (API_ENV, "off")],
            vec![("HOME", "/h"), ("DOCKER_CONTEXT", "nowhere")],
            vec![],
        ] {
            assert!(
                is_cli(&World::new(&vars).route(d, "docker", None)),
                "{vars:?}"
            );
        }
        let w = World::new(&[("HOME", "/h")])
            .file("/h/.docker/contexts/meta/abc/meta.json", META)
            .file("/h/.docker/contexts/tls/abc/docker/ca.pem", "x");
        assert!(is_cli(&w.route(d, "docker", Some("far"))));
        let w = World::new(&[("HOME", "/h")]).file("/h/.docker/config.json", "{not json");
        assert!(is_cli(&w.route(d, "docker", None)));
        // A wrapper or another program: its behaviour is unknown.
        assert!(is_cli(&World::new(&[("HOME", "/h")]).route(
            d,
            "/opt/docker-wrap",
            None
        )));
        let caller_path = route(
            d,
            "/tmp/fake/docker",
            false,
            None,
            &Surroundings {
                var: &|k| (k == "HOME").then(|| "/h".to_string()),
                read: &|_| None,
                list_dir: &|_| Vec::new(),
                exists: &|_| false,
                uid: 1000,
            },
        );
        assert!(
            is_cli(&caller_path),
            "a path the caller names stays on the CLI"
        );
    }

    #[test]
    fn podman_socket_host_and_connections() {
        let p = EngineKind::Podman;
        let w = World::new(&[("XDG_RUNTIME_DIR", "/run/user/1000")])
            .file("/run/user/1000/podman/podman.sock", "");
        assert!(api(unix("/run/user/1000/podman/podman.sock"))(
            &w.route(p, "podman", None)
        ));
        assert!(is_cli(&w.route(p, "podman", Some("far"))));
        assert!(is_cli(
            &World::new(&[("XDG_RUNTIME_DIR", "/run/user/1000")]).route(p, "podman", None)
        ));
        let mut root = World::new(&[]).file("/run/podman/podman.sock", "");
        root.uid = 0;
        assert!(api(unix("/run/podman/podman.sock"))(
            &root.route(p, "podman", None)
        ));
        let w = World::new(&[("CONTAINER_HOST", "tcp://127.0.0.1:9")]);
        assert!(api(tcp("127.0.0.1:9"))(&w.route(p, "podman", None)));
    }

    #[test]
    fn only_plain_names_reach_a_url() {
        assert!(plain_name("ds01t/hello:1.0"));
        assert!(plain_name("sha256:abc"));
        assert!(plain_name("alice-box._.1000"));
        for bad in ["", "a?b", "a#b", "../x", "/etc", "a b", "a%2f"] {
            assert!(!plain_name(bad), "{bad}");
        }
    }

    #[test]
    fn list_times_are_rfc3339_utc() {
        assert_eq!(rfc3339_seconds(0).unwrap(), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339_seconds(1_795_000_000).unwrap(),
            "2026-11-18T11:06:40Z"
        );
    }
}
