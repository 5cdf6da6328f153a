//! Engine queries: the questions readers ask the engine (inspect some names, every container's view,
//! an image's labels and history). Each takes the [`Engine`], runs its commands through it and parses
//! the output with the pure parsers ([`crate::inspect`], [`crate::history`]).

use anyhow::{anyhow, Context as _, Result};

use crate::containers::{self, ContainerView};
use crate::engine::{Engine, EngineError};
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
    /// The names no object answers to, in order (see [`containers::unmatched`]).
    pub missing: Vec<String>,
    /// The engine's own failure when some name was missing (its message and exit code).
    failure: Option<EngineError>,
    /// The command, shell-quoted.
    command: String,
}

impl Inspection {
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
    let mut argv: Vec<String> = kind.argv().iter().map(|a| a.to_string()).collect();
    argv.extend(names.iter().cloned());
    let cmd = engine.command(argv);
    let captured = cmd.capture()?;
    let parsed = parse_inspect(&captured.stdout);
    if captured.code == 0 {
        let objects = parsed
            .map_err(|e| anyhow!("`{}` printed no inspect JSON array: {e}", cmd.display()))?;
        return Ok(Inspection {
            objects,
            missing: Vec::new(),
            failure: None,
            command: cmd.display(),
        });
    }
    match parsed {
        Ok(objects) if engine.is_missing_object_error(&captured.stderr) => {
            let missing: Vec<String> = containers::unmatched(names, &objects)
                .into_iter()
                .map(str::to_string)
                .collect();
            if missing.is_empty() {
                Err(cmd.failure(captured).into())
            } else {
                Ok(Inspection {
                    objects,
                    missing,
                    command: cmd.display(),
                    failure: Some(cmd.failure(captured)),
                })
            }
        }
        _ => Err(cmd.failure(captured).into()),
    }
}

/// The one object of an `image inspect` of one image (its JSON array).
pub fn parse_one_image(stdout: &str) -> Result<Inspected> {
    parse_inspect(stdout)
        .map_err(|e| anyhow!("no inspect JSON array: {e}"))?
        .into_iter()
        .next()
        .ok_or_else(|| anyhow!("an empty inspect array"))
}

/// Every container's view: `ps -a -q --no-trunc`, then one `inspect` of all IDs. A container removed
/// between the two calls is skipped.
pub fn all_containers(engine: &Engine) -> Result<Vec<ContainerView>> {
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
    let inspected = inspected.with_context(|| format!("cannot inspect image {image:?}"))?;
    let text = text.with_context(|| format!("cannot read the history of image {image:?}"))?;
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
