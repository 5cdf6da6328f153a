//! `ds01-build owner CONTAINER...`: who owns each container, and which key said so.
//!
//! One `inspect --type container` for all names; the chain is [`crate::ownership::resolve_owner`].
//! Text: one line per argument, `CONTAINER<TAB>OWNER<TAB>SOURCE` (`-` and `none` when nobody owns
//! it); missing containers are named on stderr. Exit 1 when any container is missing or has no owner.

use anyhow::Result;
use serde::Serialize;

use super::Context;
use crate::cli::{Format, OwnerArgs};
use crate::identity;
use crate::inspect::Inspected;
use crate::operand::{check_operand, Operand};
use crate::output::{emit, emit_json, escape, escape_message};
use crate::ownership::{resolve_owner, OwnerSource, NO_SOURCE};
use crate::queries::{inspect_objects, Kind};

pub fn run(ctx: &Context, args: OwnerArgs) -> Result<i32> {
    for name in &args.containers {
        check_operand(Operand::Container, name)?;
    }
    let found = inspect_objects(&ctx.engine, Kind::Container, &args.containers)?;
    let report = report(
        &args.containers,
        &found.objects,
        &found.answers,
        &found.missing,
        identity::user_by_uid,
    );
    match args.format {
        Format::Json => emit_json(&report)?,
        Format::Text => emit(text(&report))?,
    }
    if !report.missing.is_empty() {
        crate::say!(
            "ds01-build: no such container: {}",
            escape_message(&report.missing.join(", "))
        );
    }
    let ownerless: Vec<&str> = report
        .owners
        .iter()
        .filter(|o| o.owner.is_none())
        .map(|o| o.container.as_str())
        .collect();
    if !ownerless.is_empty() {
        crate::say!(
            "ds01-build: no owner for {} (none of ds01.user, aime.mlc.USER, aime.mlc, NAME._.UID gives one)",
            escape_message(&ownerless.join(", "))
        );
    }
    Ok(if report.missing.is_empty() && ownerless.is_empty() {
        0
    } else {
        1
    })
}

/// The owner of one container argument.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OwnerLine {
    /// The argument as given.
    pub container: String,
    /// The container's engine name and full ID.
    pub name: String,
    pub id: String,
    pub owner: Option<String>,
    pub source: Option<OwnerSource>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OwnerReport {
    /// One entry per argument found, in argument order.
    pub owners: Vec<OwnerLine>,
    /// Arguments that name no container.
    pub missing: Vec<String>,
}

/// Each argument with the object the engine resolved it to, and its owner.
fn report<F>(
    queries: &[String],
    objects: &[Inspected],
    answers: &[Option<usize>],
    missing: &[String],
    passwd: F,
) -> OwnerReport
where
    F: Fn(u32) -> Option<String>,
{
    let owners = queries
        .iter()
        .enumerate()
        .filter_map(|(i, q)| {
            let object = answers.get(i).copied().flatten()?;
            objects.get(object).map(|o| (q, o))
        })
        .map(|(q, o)| {
            let owner = resolve_owner(&o.labels, &o.name, &passwd);
            OwnerLine {
                container: q.clone(),
                name: o.name.clone(),
                id: o.id.clone(),
                source: owner.as_ref().map(|o| o.source),
                owner: owner.map(|o| o.user),
            }
        })
        .collect();
    OwnerReport {
        owners,
        missing: missing.to_vec(),
    }
}

fn text(report: &OwnerReport) -> String {
    report
        .owners
        .iter()
        .map(|o| {
            format!(
                "{}\t{}\t{}\n",
                escape(&o.container),
                escape(o.owner.as_deref().unwrap_or("-")),
                o.source.map_or(NO_SOURCE, OwnerSource::as_str)
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::test_support::obj;

    #[test]
    fn one_line_per_argument_in_order() {
        let objects = [
            obj("b", &[("aime.mlc.USER", "bob")]),
            obj("a", &[("ds01.user", "alice\n")]),
            obj("c._.0", &[]),
            obj("d", &[("ds01.user", "")]),
        ];
        let q: Vec<String> = ["a", "b-id", "c._.0", "d", "gone"]
            .map(String::from)
            .to_vec();
        let answers = [Some(1), Some(0), Some(2), Some(3), None];
        let r = report(&q, &objects, &answers, &["gone".to_string()], |uid| {
            (uid == 0).then(|| "root".to_string())
        });
        assert_eq!(
            text(&r),
            "a\talice\tds01.user\nb-id\tbob\taime.mlc.USER\nc._.0\troot\tname-suffix\nd\t-\tnone\n"
        );
        assert_eq!(r.missing, ["gone"]);
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["owners"][1]["name"], "b");
        assert_eq!(json["owners"][1]["source"], "aime.mlc.USER");
        assert_eq!(json["owners"][3]["owner"], serde_json::Value::Null);
    }

    #[test]
    fn each_argument_gets_the_object_the_engine_resolved_it_to() {
        // `owner A B`: B is a container's name and a prefix of A's ID.
        let mut a = obj("a", &[("ds01.user", "alice")]);
        a.id = "47905390a342".into();
        let b = obj("47", &[("ds01.user", "bob")]);
        let q: Vec<String> = ["a", "47"].map(String::from).to_vec();
        let r = report(&q, &[a, b], &[Some(0), Some(1)], &[], |_| None);
        assert_eq!(text(&r), "a\talice\tds01.user\n47\tbob\tds01.user\n");
    }

    #[test]
    fn label_values_cannot_add_rows_or_columns() {
        let o = obj("box", &[("ds01.user", "eve\nfake\tmallory\x1b[31m")]);
        let q = vec!["box".to_string()];
        let r = report(&q, &[o], &[Some(0)], &[], |_| None);
        assert_eq!(text(&r), "box\teve\\nfake\\tmallory\\x1b[31m\tds01.user\n");
    }

    #[test]
    fn names_are_checked_before_any_engine_call() {
        let check_name = |name| check_operand(Operand::Container, name);
        assert!(check_name("box._.1000").is_ok());
        assert!(check_name("").is_err());
        assert!(check_name("a\nb").is_err());
        assert!(check_name("-f").is_err());
    }
}
