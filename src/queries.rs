//! Engine queries: the questions readers ask the engine (inspect some names, every container's view,
//! an image's labels and history). Each takes the [`Engine`], runs its commands through it and parses
//! the output with the pure parsers ([`crate::inspect`], [`crate::history`]).
//!
//! Each query first asks the Engine API ([`crate::engine_client`]) when the engine is reachable as
//! one; whatever the API cannot answer exactly as the CLI would (a missing name, an unreachable
//! daemon, a route the client cannot follow) is asked of the CLI, whose answer, error wording and
//! exit code are then what the user gets.

use anyhow::{anyhow, Context as _, Result};

use crate::containers::{self, ContainerView};
use crate::engine::{Engine, EngineError};
use crate::engine_client::Client;
use crate::history::{history_args, parse_history, HistoryRow};
use crate::identity;
use crate::inspect::{parse_inspect, Inspected};

/// What an `inspect` looks up; each kind has its own argv form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `inspect --type container NAME...`.
    Container,
    /// `image inspect NAME...`.
    Image,
    /// `inspect NAME...`: containers first, then images, as the engine resolves names.
    Any,
}

impl Kind {
    fn argv(self) -> &'static [&'static str] {
        match self {
            Kind::Container => &["inspect", "--type", "container"],
            Kind::Image => &["image", "inspect"],
            Kind::Any => &["inspect"],
        }
    }
}

/// What one `inspect` of some names found.
#[derive(Debug)]
pub struct Inspection {
    /// The objects found, in the engine's order.
    pub objects: Vec<Inspected>,
    /// For each name asked, in order: the index of its object in `objects`, `None` when missing.
    pub answers: Vec<Option<usize>>,
    /// The names the engine found nothing for, in order (see [`containers::pair`]).
    pub missing: Vec<String>,
    /// The engine's own failure when some name was missing (its message and exit code).
    failure: Option<EngineError>,
    /// The command, shell-quoted.
    command: String,
}

impl Inspection {
    /// The object that answers the `i`th name asked, as the engine resolved it.
    pub fn answer(&self, i: usize) -> Option<&Inspected> {
        self.answers
            .get(i)
            .copied()
            .flatten()
            .and_then(|n| self.objects.get(n))
    }

    /// The one object asked for, or the engine's own error when it does not exist.
    pub fn into_one(self) -> Result<Inspected> {
        match (self.objects.into_iter().next(), self.failure) {
            (Some(object), _) => Ok(object),
            (None, Some(failure)) => Err(failure.into()),
            (None, None) => Err(anyhow!("`{}` printed no object", self.command)),
        }
    }
}

/// ONE `inspect` of `names` (names or IDs). docker (exit 1, `No such ...`) and podman (exit 125,
/// `no such ...`, `image not known`) print the objects they found and fail for the rest: that failure
/// ([`Engine::is_missing_object_error`]) gives the missing names; any other failure is the engine's
/// error.
pub fn inspect_objects(engine: &Engine, kind: Kind, names: &[String]) -> Result<Inspection> {
    if let Some(client) = Client::for_engine(engine) {
        if let Some(found) = api_inspect(&client, kind, names) {
            return Ok(found);
        }
        trace_fallback(engine);
    }
    cli_inspect(engine, kind, names)
}

fn trace_fallback(engine: &Engine) {
    if engine.verbose() {
        crate::say!("# the Engine API did not answer that: asking the CLI");
    }
}

fn api_inspect(client: &Client, kind: Kind, names: &[String]) -> Option<Inspection> {
    let (container, image) = match kind {
        Kind::Container => (true, false),
        Kind::Image => (false, true),
        Kind::Any => (true, true),
    };
    let objects = client.inspect(names, container, image)?;
    Some(Inspection {
        answers: (0..objects.len()).map(Some).collect(),
        objects,
        missing: Vec::new(),
        failure: None,
        command: format!("the Engine API's inspect of {}", names.join(" ")),
    })
}

fn cli_inspect(engine: &Engine, kind: Kind, names: &[String]) -> Result<Inspection> {
    let mut argv: Vec<String> = kind.argv().iter().map(|a| a.to_string()).collect();
    argv.extend(names.iter().cloned());
    let cmd = engine.command(argv);
    let captured = cmd.capture()?;
    let parsed = parse_inspect(&captured.stdout);
    if captured.code == 0 {
        let objects = parsed
            .map_err(|e| anyhow!("`{}` printed no inspect JSON array: {e}", cmd.display()))?;
        return Ok(Inspection {
            answers: (0..objects.len()).map(Some).collect(),
            objects,
            missing: Vec::new(),
            failure: None,
            command: cmd.display(),
        });
    }
    match parsed {
        Ok(objects) if engine.is_missing_object_error(&captured.stderr) => {
            let Some(answers) = containers::pair(names, &objects) else {
                return one_at_a_time(engine, kind, names);
            };
            let missing: Vec<String> = names
                .iter()
                .zip(&answers)
                .filter(|(_, a)| a.is_none())
                .map(|(n, _)| n.clone())
                .collect();
            if missing.is_empty() {
                Err(cmd.failure(captured).into())
            } else {
                Ok(Inspection {
                    objects,
                    answers,
                    missing,
                    command: cmd.display(),
                    failure: Some(cmd.failure(captured)),
                })
            }
        }
        _ => Err(cmd.failure(captured).into()),
    }
}

/// One `inspect` per name, when one call's answer cannot be paired with the names for sure (see
/// [`containers::pair`]): each name's answer is then the engine's own.
fn one_at_a_time(engine: &Engine, kind: Kind, names: &[String]) -> Result<Inspection> {
    let mut all = Inspection {
        objects: Vec::new(),
        answers: Vec::new(),
        missing: Vec::new(),
        failure: None,
        command: String::new(),
    };
    for name in names {
        let one = cli_inspect(engine, kind, std::slice::from_ref(name))?;
        all.command = one.command;
        match one.objects.into_iter().next() {
            Some(object) => {
                all.answers.push(Some(all.objects.len()));
                all.objects.push(object);
            }
            None => {
                all.answers.push(None);
                all.missing.push(name.clone());
                all.failure = all.failure.or(one.failure);
            }
        }
    }
    Ok(all)
}

/// The one object of an `image inspect` of one image (its JSON array).
pub fn parse_one_image(stdout: &str) -> Result<Inspected> {
    parse_inspect(stdout)
        .map_err(|e| anyhow!("no inspect JSON array: {e}"))?
        .into_iter()
        .next()
        .ok_or_else(|| anyhow!("an empty inspect array"))
}

/// Every container's view. Through the API: one list call, whose labels are used directly; only
/// containers the list shows with an image ID instead of the name they were created from are
/// inspected. Through the CLI: `ps -a -q --no-trunc`, then one `inspect` of all IDs. A container
/// removed between two calls is skipped.
pub fn all_containers(engine: &Engine) -> Result<Vec<ContainerView>> {
    if let Some(client) = Client::for_engine(engine) {
        if let Some(objects) = api_containers(&client) {
            return Ok(objects
                .iter()
                .map(|o| containers::view(o, identity::user_by_uid))
                .collect());
        }
        trace_fallback(engine);
    }
    let ids = parse_ids(&engine.command(["ps", "-a", "-q", "--no-trunc"]).output()?);
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // A container removed between the two calls is missing: skipped.
    let found = inspect_objects(engine, Kind::Container, &ids)?;
    Ok(found
        .objects
        .iter()
        .map(|o| containers::view(o, identity::user_by_uid))
        .collect())
}

fn api_containers(client: &Client) -> Option<Vec<Inspected>> {
    let listed = client.list()?;
    let lacking: Vec<String> = listed
        .iter()
        .filter(|l| l.image_is_id)
        .map(|l| l.object.id.clone())
        .collect();
    let inspected = if lacking.is_empty() {
        Vec::new()
    } else {
        client.inspect_present(&lacking)
    };
    Some(
        listed
            .into_iter()
            .map(|l| {
                let mut object = l.object;
                if let Some(full) = inspected.iter().find(|i| i.id == object.id) {
                    object.image = full.image.clone();
                }
                object
            })
            .collect(),
    )
}

/// Every container's view on each of several engines, asked at the same time (one thread each):
/// each engine's answer or its error, in the order given.
pub fn fleet_containers(engines: &[(String, Engine)]) -> Vec<Result<Vec<ContainerView>>> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = engines
            .iter()
            .map(|(_, engine)| scope.spawn(|| all_containers(engine)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("an engine query does not panic"))
            .collect()
    })
}

/// The IDs `ps -q` printed, one a line.
fn parse_ids(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// One `image inspect` and one `history` of `image`, run at the same time (the history call is
/// the slow one: the daemon reads every row's image config). Both name the image as given; an
/// image ID names one image for sure, a tag moved by a concurrent build between the two calls
/// could mix two images (rerun).
pub fn read_image(engine: &Engine, image: &str) -> Result<(Inspected, Vec<HistoryRow>)> {
    if let Some(client) = Client::for_engine(engine) {
        if let Some((inspected, rows)) = client.image_and_history(image) {
            let history = rows
                .into_iter()
                .map(|created_by| HistoryRow { created_by })
                .collect();
            return Ok((inspected, history));
        }
        trace_fallback(engine);
    }
    let history = engine.command(history_args(image));
    let names = [image.to_string()];
    let (inspected, text) = std::thread::scope(|scope| {
        let text = scope.spawn(|| history.output());
        let inspected = inspect_objects(engine, Kind::Image, &names).and_then(Inspection::into_one);
        (
            inspected,
            text.join().expect("the history thread does not panic"),
        )
    });
    let inspected = inspected
        .with_context(|| format!("cannot inspect image {}", crate::messages::quoted(image)))?;
    let text = text.with_context(|| {
        format!(
            "cannot read the history of image {}",
            crate::messages::quoted(image)
        )
    })?;
    let history = parse_history(&text)?;
    Ok((inspected, history))
}

/// The digest of a local image `reference`, for `org.opencontainers.image.base.digest`: its manifest
/// digest when it has one (podman's `Digest`, else a `RepoDigests` entry of its repository), else
/// its image ID (the `sha256:` digest of its config: content-addressed, but not what a registry
/// shows). `None` when the image is not local (one `image inspect`; a failure is not an error).
pub fn image_digest(engine: &Engine, reference: &str) -> Option<String> {
    let out = engine
        .command(["image", "inspect", reference])
        .capture()
        .ok()
        .filter(|c| c.code == 0)?;
    let value: serde_json::Value = serde_json::from_str(&out.stdout).ok()?;
    crate::inspect::image_digest(value.as_array()?.first()?, reference)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_one_a_line() {
        assert_eq!(parse_ids("abc\n\ndef\n"), ["abc", "def"]);
        assert!(parse_ids("").is_empty());
    }
}
