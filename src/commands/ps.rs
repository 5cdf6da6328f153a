//! `ds01-build ps`: every container with owner (and the key that gave it), managed flag, interface,
//! label namespace, state and creation time.
//!
//! Two engine calls whatever the number of containers: `ps -a -q --no-trunc` for the IDs, then one
//! `inspect --type container` of all of them (none when there are no containers). Labels come from
//! inspect's JSON, never from `{{.Labels}}`, which is comma-joined and ambiguous.

use anyhow::{Context as _, Result};

use serde::Serialize;

use super::{Context, PARTIAL};
use crate::cli::{PsArgs, TableFormat};
use crate::containers::{self, ContainerView, Scope};
use crate::identity;
use crate::operand::{check_operand, Operand};
use crate::output::{aligned, emit, emit_json, escape, escape_message};
use crate::queries;

pub fn run(ctx: &Context, args: PsArgs) -> Result<i32> {
    let scope = scope(&args)?;
    if !ctx.fleet.is_empty() {
        return fleet(ctx, &args, &scope);
    }
    let views = queries::all_containers(&ctx.engine)?;
    let selected = containers::select(&views, &scope, args.legacy);
    match args.format {
        TableFormat::Json => emit_json(&selected)?,
        TableFormat::Table => emit(table(&selected))?,
    }
    Ok(0)
}

/// A row of the fleet view: the engine (its context) and the container.
#[derive(Serialize)]
struct FleetRow<'a> {
    engine: &'a str,
    #[serde(flatten)]
    view: &'a ContainerView,
}

/// `ps --context A --context B ...`: every engine at once; rows name their engine; an engine that
/// does not answer is one line on stderr and exit [`PARTIAL`] (the others' rows are printed).
fn fleet(ctx: &Context, args: &PsArgs, scope: &Scope) -> Result<i32> {
    let answers = queries::fleet_containers(&ctx.fleet);
    let mut rows = Vec::new();
    let mut code = 0;
    for ((name, _), answer) in ctx.fleet.iter().zip(&answers) {
        match answer {
            Ok(views) => rows.extend(
                containers::select(views, scope, args.legacy)
                    .into_iter()
                    .map(|view| FleetRow { engine: name, view }),
            ),
            Err(err) => {
                crate::say!(
                    "ds01-build: engine {name} did not answer: {}",
                    escape_message(&one_line(err))
                );
                code = PARTIAL;
            }
        }
    }
    match args.format {
        TableFormat::Json => emit_json(&rows)?,
        TableFormat::Table => {
            let views: Vec<&ContainerView> = rows.iter().map(|r| r.view).collect();
            let engines: Vec<&str> = rows.iter().map(|r| r.engine).collect();
            emit(with_engine_column(&table(&views), &engines))?
        }
    }
    Ok(code)
}

/// An error on one line (an engine's stderr may span several).
fn one_line(err: &anyhow::Error) -> String {
    format!("{err:#}")
        .lines()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
}

/// `table` with an `ENGINE` column in front (one engine per row, after the header).
fn with_engine_column(table: &str, engines: &[&str]) -> String {
    let width = engines
        .iter()
        .map(|e| e.len())
        .chain(["ENGINE".len()])
        .max()
        .unwrap_or(0);
    let names = std::iter::once("ENGINE").chain(engines.iter().copied());
    table
        .lines()
        .zip(names)
        .map(|(line, engine)| format!("{engine:<width$}  {line}\n"))
        .collect()
}

/// Whose containers to list: `--all-users`, `--user U`, else the invoking user (from passwd).
fn scope(args: &PsArgs) -> Result<Scope> {
    if args.all_users {
        return Ok(Scope::All);
    }
    if let Some(user) = &args.user {
        check_operand(Operand::User, user)?;
        return Ok(Scope::User(user.clone()));
    }
    let me = identity::invoking()
        .context("ps: cannot list \"your\" containers (use --user U or --all-users)")?;
    Ok(Scope::User(me.user))
}

/// The `ps` table: a header and one aligned row per container.
fn table(views: &[&ContainerView]) -> String {
    let header = [
        "NAME",
        "OWNER",
        "MANAGED",
        "INTERFACE",
        "NAMESPACE",
        "STATE",
        "CREATED",
    ];
    let rows = views.iter().map(|v| {
        vec![
            escape(&v.name).into_owned(),
            v.owner.as_ref().map_or("-".to_string(), |o| {
                format!("{} ({})", escape(&o.user), o.source.as_str())
            }),
            v.managed.as_str().to_string(),
            escape(v.interface.as_deref().unwrap_or("-")).into_owned(),
            v.namespace.as_str().to_string(),
            escape(&v.state).into_owned(),
            escape(&v.created).into_owned(),
        ]
    });
    let header = header.map(String::from).to_vec();
    aligned(&std::iter::once(header).chain(rows).collect::<Vec<_>>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::containers::view;
    use crate::inspect::test_support::obj;
    use crate::inspect::Inspected;

    #[test]
    fn table_is_aligned() {
        let a = Inspected {
            id: "1".into(),
            state: "created".into(),
            created: "2026-11-23T17:22:45.1Z".into(),
            ..obj(
                "alice-box._.1000",
                &[
                    ("ds01.user", "alice"),
                    ("ds01.managed", "true"),
                    ("ds01.interface", "atomic"),
                ],
            )
        };
        let b = Inspected {
            id: "2".into(),
            name: "x".into(),
            state: "exited".into(),
            created: "2026-11-23T17:22:46Z".into(),
            ..Inspected::default()
        };
        let views = [view(&a, |_| None), view(&b, |_| None)];
        let refs: Vec<&ContainerView> = views.iter().collect();
        assert_eq!(
            table(&refs),
            "\
NAME              OWNER              MANAGED  INTERFACE  NAMESPACE  STATE    CREATED
alice-box._.1000  alice (ds01.user)  ds01     atomic     ds01       created  2026-11-23T17:22:45Z
x                 -                  no       -          unmanaged  exited   2026-11-23T17:22:46Z
"
        );
    }

    #[test]
    fn fleet_rows_lead_with_their_engine() {
        let table = "NAME  STATE\na     created\nbb    exited\n";
        assert_eq!(
            with_engine_column(table, &["gpu-01", "x"]),
            "ENGINE  NAME  STATE\ngpu-01  a     created\nx       bb    exited\n"
        );
    }

    #[test]
    fn user_flag_is_checked() {
        let check_user = |user| check_operand(Operand::User, user);
        assert!(check_user("alice").is_ok());
        assert!(check_user("").is_err());
        assert!(check_user("a b").is_err());
    }
}
