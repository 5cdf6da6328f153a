//! `ds01-build ps`: every container with owner (and the key that gave it), managed flag, interface,
//! label namespace, state and creation time.
//!
//! Two engine calls whatever the number of containers: `ps -a -q --no-trunc` for the IDs, then one
//! `inspect --type container` of all of them (none when there are no containers). Labels come from
//! inspect's JSON, never from `{{.Labels}}`, which is comma-joined and ambiguous.

use anyhow::{Context as _, Result};

use super::Context;
use crate::cli::{PsArgs, TableFormat};
use crate::containers::{self, ContainerView, Scope};
use crate::identity;
use crate::operand::{check_operand, Operand};
use crate::output::{aligned, emit, emit_json};
use crate::queries;

pub fn run(ctx: &Context, args: PsArgs) -> Result<i32> {
    let scope = scope(&args)?;
    let views = queries::all_containers(&ctx.engine)?;
    let selected = containers::select(&views, &scope, args.legacy);
    match args.format {
        TableFormat::Json => emit_json(&selected)?,
        TableFormat::Table => emit(table(&selected))?,
    }
    Ok(0)
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
            v.name.clone(),
            v.owner.as_ref().map_or("-".to_string(), |o| {
                format!("{} ({})", o.user, o.source.as_str())
            }),
            v.managed.as_str().to_string(),
            v.interface.clone().unwrap_or_else(|| "-".into()),
            v.namespace.as_str().to_string(),
            v.state.clone(),
            short_time(&v.created).to_string(),
        ]
    });
    let header = header.map(String::from).to_vec();
    aligned(&std::iter::once(header).chain(rows).collect::<Vec<_>>())
}

/// An engine timestamp to the second: `2026-11-23T17:22:45.32963626Z` → `2026-11-23T17:22:45Z`.
fn short_time(created: &str) -> std::borrow::Cow<'_, str> {
    match created.split_once('.') {
        Some((secs, rest)) if secs.contains('T') => {
            let zone = rest.trim_start_matches(|c: char| c.is_ascii_digit());
            format!("{secs}{zone}").into()
        }
        _ => created.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::containers::view;
    use crate::inspect::test_support::obj;
    use crate::inspect::Inspected;

    #[test]
    fn times_are_cut_to_the_second() {
        assert_eq!(
            short_time("2026-11-23T17:22:45.32963626Z"),
            "2026-11-23T17:22:45Z"
        );
        assert_eq!(
            short_time("2026-11-23T17:22:49.49672236+01:00"),
            "2026-11-23T17:22:49+01:00"
        );
        assert_eq!(short_time("2026-11-23T17:22:49Z"), "2026-11-23T17:22:49Z");
        assert_eq!(short_time(""), "");
    }

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
    fn user_flag_is_checked() {
        let check_user = |user| check_operand(Operand::User, user);
        assert!(check_user("alice").is_ok());
        assert!(check_user("").is_err());
        assert!(check_user("a b").is_err());
    }
}
