//! `ds01-build inspect CONTAINER|IMAGE`: the normalised `ds01.*` view, each value with the key it
//! came from (a `ds01.*` key, a legacy `aime.mlc*` or deprecated key, or `name-suffix`).
//!
//! One `inspect` call (containers first, then images, as the engine resolves names). The rules are
//! those of [`crate::containers::normalise`].

use anyhow::Result;
use serde::Serialize;

use super::Context;
use crate::cli::{Format, InspectArgs};
use crate::containers::{self, Managed, Namespace, Normalised};
use crate::identity;
use crate::inspect::Inspected;
use crate::operand::{check_operand, Operand};
use crate::output::{aligned, emit, emit_json, escape};
use crate::queries::{inspect_objects, Kind};

pub fn run(ctx: &Context, args: InspectArgs) -> Result<i32> {
    let target = &args.target;
    check_operand(Operand::Target, target)?;
    let object =
        inspect_objects(&ctx.engine, Kind::Any, std::slice::from_ref(target))?.into_one()?;
    let view = describe(target, &object, identity::user_by_uid);
    match args.format {
        Format::Json => emit_json(&view)?,
        Format::Text => emit(text(&view))?,
    }
    Ok(0)
}

/// The JSON document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InspectView {
    pub target: String,
    /// `container` or `image`.
    pub kind: &'static str,
    /// Container name, or an image's first tag (empty when untagged).
    pub name: String,
    pub id: String,
    pub namespace: Namespace,
    pub managed: Managed,
    /// `labels` (current `ds01.*` key → `{value, source}`) and `unmapped`.
    #[serde(flatten)]
    pub normalised: Normalised,
}

fn describe<F>(target: &str, object: &Inspected, passwd: F) -> InspectView
where
    F: FnOnce(u32) -> Option<String>,
{
    let normalised = containers::normalise(&object.labels, &object.name, passwd);
    let container = object.is_container();
    InspectView {
        target: target.to_string(),
        kind: if container { "container" } else { "image" },
        name: if container {
            object.name.clone()
        } else {
            object.repo_tags.first().cloned().unwrap_or_default()
        },
        id: object.id.clone(),
        namespace: containers::namespace(&object.labels),
        managed: containers::managed(&object.labels),
        normalised,
    }
}

/// Text: a heading line, then `KEY  VALUE  SOURCE` aligned in schema order, then unmapped labels.
fn text(v: &InspectView) -> String {
    let mut out = format!(
        "{} {} ({}), namespace {}, managed {}\n",
        v.kind,
        escape(if v.name.is_empty() {
            &v.target
        } else {
            &v.name
        }),
        escape(short_id(&v.id)),
        v.namespace.as_str(),
        v.managed.as_str()
    );
    if v.normalised.values.is_empty() {
        out += "no ds01.* or legacy labels\n";
    } else {
        let head = ["KEY", "VALUE", "SOURCE"].map(String::from).to_vec();
        let rows = v.normalised.values.iter().map(|(k, s)| {
            vec![
                escape(k).into_owned(),
                escape(&s.value).into_owned(),
                escape(&s.source).into_owned(),
            ]
        });
        out += &aligned(&std::iter::once(head).chain(rows).collect::<Vec<_>>());
    }
    if !v.normalised.unmapped.is_empty() {
        out += "unmapped:\n";
        for (k, val) in &v.normalised.unmapped {
            out += &format!("  {}={}\n", escape(k), escape(val));
        }
    }
    out
}

/// The first 12 characters of an ID without `sha256:` (all of it when shorter, or when byte 12 is
/// not a character boundary: engine output is not trusted to be ASCII).
fn short_id(id: &str) -> &str {
    let id = id.trim_start_matches("sha256:");
    id.get(..12).unwrap_or(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::test_support::obj;

    fn container() -> Inspected {
        Inspected {
            id: "30c1390b96d753f0f9ed".into(),
            state: "created".into(),
            ..obj(
                "box._.0",
                &[
                    ("aime.mlc.USER", ""),
                    ("aime.mlc.DS01_MANAGED", "true"),
                    ("ds01.interface", "atomic"),
                    ("ds01.gpu.uuid", "GPU-1"),
                    ("aime.mlc.WORK_MOUNT", "/w\nx"),
                    ("aime.mlc.username", "x"),
                ],
            )
        }
    }

    #[test]
    fn text_view() {
        let v = describe("box", &container(), |uid| {
            (uid == 0).then(|| "root".to_string())
        });
        assert_eq!(
            text(&v),
            "\
container box._.0 (30c1390b96d7), namespace mixed, managed legacy
KEY              VALUE   SOURCE
ds01.user        root    name-suffix
ds01.managed     true    aime.mlc.DS01_MANAGED
ds01.interface   atomic  ds01.interface
ds01.work_mount  /w\\nx   aime.mlc.WORK_MOUNT
ds01.gpu.uuids   GPU-1   ds01.gpu.uuid
unmapped:
  aime.mlc.username=x
"
        );
    }

    #[test]
    fn short_ids_never_split_a_character() {
        assert_eq!(short_id("sha256:0123456789abcdef"), "0123456789ab");
        assert_eq!(short_id("abc"), "abc");
        assert_eq!(short_id("0123456789aé"), "0123456789aé");
    }

    #[test]
    fn json_view() {
        let v = describe("box", &container(), |_| None);
        let json = serde_json::to_value(&v).unwrap();
        assert_eq!(json["kind"], "container");
        assert_eq!(json["labels"]["ds01.gpu.uuids"]["value"], "GPU-1");
        assert_eq!(json["labels"]["ds01.gpu.uuids"]["source"], "ds01.gpu.uuid");
        assert!(json["labels"].get("ds01.user").is_none());
        assert_eq!(json["unmapped"]["aime.mlc.username"], "x");
        let image = Inspected {
            id: "sha256:abc".into(),
            repo_tags: vec!["t:1".into()],
            ..Inspected::default()
        };
        let v = describe("t:1", &image, |_| None);
        assert_eq!(v.kind, "image");
        assert_eq!(
            text(&v),
            "image t:1 (abc), namespace unmanaged, managed no\nno ds01.* or legacy labels\n"
        );
    }
}
