//! `ds01-build audit`: the `aime.mlc.*` → `ds01.*` migration report over every container.
//!
//! Read-only (labels are immutable after create; nothing is relabelled or recreated) and two engine
//! calls, the same as `ps --all-users`. The report: counts per namespace, where owners come from,
//! the containers still carrying only legacy labels, deprecated `ds01.*` keys still in use with their
//! replacements, legacy keys in use, and the `ps --filter` commands whose empty answer says the
//! legacy ownership fallback can go.

use std::collections::BTreeMap;

use anyhow::Result;
use serde::Serialize;

use super::{Context, PARTIAL};
use crate::cli::{AuditArgs, Format};
use crate::container_schema::{self, KEYS};
use crate::containers::{ContainerView, Namespace};
use crate::output::{emit, emit_json, escape, escape_message};
use crate::ownership::{OwnerSource, NO_SOURCE};
use crate::queries;

pub fn run(ctx: &Context, args: AuditArgs) -> Result<i32> {
    let (views, code) = if ctx.fleet.is_empty() {
        (queries::all_containers(&ctx.engine)?, 0)
    } else {
        fleet_views(ctx)
    };
    let report = audit(&views, ctx.engine.program());
    match args.format {
        Format::Json => emit_json(&report)?,
        Format::Text => emit(text(&report))?,
    }
    Ok(code)
}

/// Several `--context` values: every engine's containers at once, each named `ENGINE:NAME` (a
/// container name never holds `:`), merged into one report. An engine that does not answer is one
/// line on stderr and exit [`PARTIAL`].
fn fleet_views(ctx: &Context) -> (Vec<ContainerView>, i32) {
    let mut merged = Vec::new();
    let mut code = 0;
    for ((engine, _), answer) in ctx.fleet.iter().zip(queries::fleet_containers(&ctx.fleet)) {
        match answer {
            Ok(views) => merged.extend(views.into_iter().map(|mut v| {
                v.name = format!("{engine}:{}", v.name);
                v
            })),
            Err(err) => {
                let line = format!("{err:#}")
                    .lines()
                    .map(str::trim)
                    .collect::<Vec<_>>()
                    .join(" ");
                crate::say!(
                    "ds01-build: engine {engine} did not answer: {}",
                    escape_message(&line)
                );
                code = PARTIAL;
            }
        }
    }
    (merged, code)
}

/// Labels whose presence means the legacy ownership fallback is still needed: the ownership chain's
/// legacy label sources, in chain order (`aime.mlc.USER`, `aime.mlc`).
pub fn fallback_keys() -> impl Iterator<Item = &'static str> {
    OwnerSource::ALL
        .into_iter()
        .filter(|s| s.is_legacy_label())
        .map(OwnerSource::as_str)
}

/// Owner sources in report order: the chain's, then [`NO_SOURCE`].
fn source_order() -> impl Iterator<Item = &'static str> {
    OwnerSource::ALL
        .into_iter()
        .map(OwnerSource::as_str)
        .chain([NO_SOURCE])
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditReport {
    /// Containers examined.
    pub total: usize,
    /// Containers per namespace (`ds01`, `legacy`, `mixed`, `unmanaged`), zeros included.
    pub namespaces: BTreeMap<&'static str, usize>,
    /// Containers per owner source (`ds01.user`, `aime.mlc.USER`, `aime.mlc`, `name-suffix`, `none`).
    pub owner_sources: BTreeMap<&'static str, usize>,
    /// Containers carrying only legacy labels (namespace `legacy`).
    pub legacy_only: Vec<String>,
    /// Containers carrying both namespaces.
    pub mixed: Vec<String>,
    /// Containers the ownership chain finds no owner for.
    pub no_owner: Vec<String>,
    /// Every deprecated `ds01.*` key of the schema, with the containers still carrying it.
    pub deprecated_keys: Vec<KeyUse>,
    /// Every compatibility key of the schema (`replacement`: the key it copies), with the
    /// containers carrying it: when DS01's readers read the source keys, `create
    /// --no-compat-keys` stops writing them.
    pub compat_keys: Vec<KeyUse>,
    /// Legacy `aime.mlc*` keys in use, with their `ds01.*` replacement (`null`: none).
    pub legacy_keys: Vec<KeyUse>,
    /// The check that confirms when the legacy ownership fallback can go.
    pub fallback: Fallback,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyUse {
    pub key: String,
    pub replacement: Option<&'static str>,
    pub count: usize,
    pub containers: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fallback {
    /// `true` when no container carries any of the fallback labels.
    pub removable: bool,
    /// Containers whose owner currently comes from a legacy label.
    pub owners_from_legacy_labels: usize,
    pub filters: Vec<FallbackFilter>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FallbackFilter {
    pub label: &'static str,
    /// The engine command to run for confirmation; it lists these same containers.
    pub command: String,
    pub count: usize,
    pub containers: Vec<String>,
}

/// The migration report for these containers; `program` is the engine named in the commands.
pub fn audit(views: &[ContainerView], program: &str) -> AuditReport {
    let names_where = |pred: &dyn Fn(&ContainerView) -> bool| -> Vec<String> {
        views
            .iter()
            .filter(|v| pred(v))
            .map(|v| v.name.clone())
            .collect()
    };
    let namespaces = Namespace::ALL
        .iter()
        .map(|ns| {
            (
                ns.as_str(),
                views.iter().filter(|v| v.namespace == *ns).count(),
            )
        })
        .collect();
    let mut owner_sources: BTreeMap<&'static str, usize> = source_order().map(|s| (s, 0)).collect();
    for v in views {
        let key = v.owner.as_ref().map_or(NO_SOURCE, |o| o.source.as_str());
        *owner_sources.entry(key).or_default() += 1;
    }
    let deprecated_keys = KEYS
        .iter()
        .filter(|s| s.deprecated())
        .map(|s| {
            let containers = names_where(&|v| v.deprecated_keys.contains(&s.key));
            KeyUse {
                key: s.key.to_string(),
                replacement: s.replaced_by,
                count: containers.len(),
                containers,
            }
        })
        .collect();
    let compat_keys = KEYS
        .iter()
        .filter(|s| s.compat_of.is_some())
        .map(|s| {
            let containers = names_where(&|v| v.compat_keys.contains(&s.key));
            KeyUse {
                key: s.key.to_string(),
                replacement: s.compat_of,
                count: containers.len(),
                containers,
            }
        })
        .collect();
    let mut legacy: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for v in views {
        for key in &v.legacy_keys {
            legacy.entry(key).or_default().push(v.name.clone());
        }
    }
    let legacy_keys = legacy
        .into_iter()
        .map(|(key, containers)| KeyUse {
            key: key.to_string(),
            replacement: container_schema::replacement_for(key),
            count: containers.len(),
            containers,
        })
        .collect();
    let filters: Vec<FallbackFilter> = fallback_keys()
        .map(|label| {
            let containers = names_where(&|v| v.legacy_keys.iter().any(|k| k == label));
            FallbackFilter {
                label,
                command: format!("{program} ps -a --filter label={label}"),
                count: containers.len(),
                containers,
            }
        })
        .collect();
    let owners_from_legacy_labels = views
        .iter()
        .filter(|v| v.owner.as_ref().is_some_and(|o| o.source.is_legacy_label()))
        .count();
    AuditReport {
        total: views.len(),
        namespaces,
        owner_sources,
        legacy_only: names_where(&|v| v.namespace == Namespace::Legacy),
        mixed: names_where(&|v| v.namespace == Namespace::Mixed),
        no_owner: names_where(&|v| v.owner.is_none()),
        deprecated_keys,
        compat_keys,
        legacy_keys,
        fallback: Fallback {
            removable: filters.iter().all(|f| f.count == 0),
            owners_from_legacy_labels,
            filters,
        },
    }
}

fn counts(map: &BTreeMap<&str, usize>, order: &[&str]) -> String {
    order
        .iter()
        .map(|k| format!("{k} {}", map.get(k).copied().unwrap_or(0)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn names(list: &[String]) -> String {
    if list.is_empty() {
        String::new()
    } else {
        let escaped: Vec<_> = list.iter().map(|n| escape(n)).collect();
        format!(" ({})", escaped.join(", "))
    }
}

/// The text report.
pub fn text(r: &AuditReport) -> String {
    let ns_order = Namespace::ALL.map(Namespace::as_str);
    let src_order: Vec<&str> = source_order().collect();
    let mut out = format!("containers: {}\n", r.total);
    out += &format!("namespaces: {}\n", counts(&r.namespaces, &ns_order));
    out += &format!("owner sources: {}\n", counts(&r.owner_sources, &src_order));
    out += &format!(
        "legacy only: {}{}\n",
        r.legacy_only.len(),
        names(&r.legacy_only)
    );
    out += &format!("mixed: {}{}\n", r.mixed.len(), names(&r.mixed));
    out += &format!("no owner: {}{}\n", r.no_owner.len(), names(&r.no_owner));
    out += "deprecated keys:\n";
    for k in &r.deprecated_keys {
        out += &format!(
            "  {} -> {}: {}{}\n",
            escape(&k.key),
            k.replacement.unwrap_or("-"),
            k.count,
            names(&k.containers)
        );
    }
    out += "compatibility keys (copies for older readers; create --no-compat-keys stops them):\n";
    for k in &r.compat_keys {
        out += &format!(
            "  {} copies {}: {}{}\n",
            k.key,
            k.replacement.unwrap_or("-"),
            k.count,
            names(&k.containers)
        );
    }
    out += "legacy keys in use:";
    if r.legacy_keys.is_empty() {
        out += " none";
    }
    out += "\n";
    for k in &r.legacy_keys {
        out += &format!(
            "  {} -> {}: {}\n",
            escape(&k.key),
            k.replacement.unwrap_or("(no replacement)"),
            k.count
        );
    }
    let f = &r.fallback;
    out += &format!(
        "legacy owner fallback: {} ({} owners come from legacy labels)\n",
        if f.removable {
            "can go"
        } else {
            "still needed"
        },
        f.owners_from_legacy_labels
    );
    for filter in &f.filters {
        out += &format!("  {}  # {} now\n", filter.command, filter.count);
    }
    out += "  the fallback can go when every command above lists no container\n";
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::containers::view;
    use crate::inspect::test_support;

    fn obj(name: &str, pairs: &[(&str, &str)]) -> ContainerView {
        view(&test_support::obj(name, pairs), |uid| {
            (uid == 0).then(|| "root".to_string())
        })
    }

    fn fixture() -> Vec<ContainerView> {
        vec![
            obj("new", &[("ds01.user", "alice"), ("ds01.gpu.uuid", "G")]),
            obj(
                "old",
                &[
                    ("aime.mlc.USER", "bob"),
                    ("aime.mlc", "bob"),
                    ("aime.mlc.NAME", "o"),
                ],
            ),
            obj("both", &[("aime.mlc.USER", "carol"), ("ds01.user", "\n")]),
            obj("bare", &[("aime.mlc", "dan")]),
            obj("none", &[]),
            obj("root._.0", &[]),
        ]
    }

    #[test]
    fn report_counts_and_lists() {
        let r = audit(&fixture(), "docker");
        assert_eq!(r.total, 6);
        assert_eq!(
            r.namespaces,
            BTreeMap::from([("ds01", 1), ("legacy", 2), ("mixed", 1), ("unmanaged", 2)])
        );
        assert_eq!(
            r.owner_sources,
            BTreeMap::from([
                ("ds01.user", 1),
                ("aime.mlc.USER", 2),
                ("aime.mlc", 1),
                ("name-suffix", 1),
                ("none", 1)
            ])
        );
        assert_eq!(r.legacy_only, ["old", "bare"]);
        assert_eq!(r.mixed, ["both"]);
        assert_eq!(r.no_owner, ["none"]);
        assert_eq!(r.deprecated_keys[0].key, "ds01.gpu_slot");
        assert_eq!(r.deprecated_keys[0].replacement, Some("ds01.gpu.uuids"));
        assert_eq!(r.compat_keys[0].key, "ds01.gpu.uuid");
        assert_eq!(r.compat_keys[0].replacement, Some("ds01.gpu.uuids"));
        assert_eq!(r.compat_keys[0].containers, ["new"]);
        assert_eq!(r.compat_keys[1].key, "ds01.gpu.allocated");
        assert_eq!(r.compat_keys[1].count, 0);
        assert_eq!(r.deprecated_keys[0].count, 0);
        let keys: Vec<(&str, Option<&str>, usize)> = r
            .legacy_keys
            .iter()
            .map(|k| (k.key.as_str(), k.replacement, k.count))
            .collect();
        assert_eq!(
            keys,
            [
                ("aime.mlc", Some("ds01.user"), 2),
                ("aime.mlc.NAME", Some("ds01.name"), 1),
                ("aime.mlc.USER", Some("ds01.user"), 2)
            ]
        );
        assert!(!r.fallback.removable);
        assert_eq!(r.fallback.owners_from_legacy_labels, 3);
        assert_eq!(
            r.fallback.filters[0].command,
            "docker ps -a --filter label=aime.mlc.USER"
        );
        assert_eq!(r.fallback.filters[0].containers, ["old", "both"]);
        assert_eq!(r.fallback.filters[1].containers, ["old", "bare"]);
    }

    #[test]
    fn fallback_can_go_when_no_legacy_owner_labels_remain() {
        let views = vec![obj("a", &[("ds01.user", "a"), ("aime.mlc.ARCH", "CUDA")])];
        let r = audit(&views, "podman");
        assert!(r.fallback.removable);
        assert_eq!(
            r.fallback.filters[1].command,
            "podman ps -a --filter label=aime.mlc"
        );
        assert!(text(&r).contains("legacy owner fallback: can go"));
    }

    #[test]
    fn text_report() {
        let t = text(&audit(&fixture(), "docker"));
        assert_eq!(
            t,
            "\
containers: 6
namespaces: ds01 1, legacy 2, mixed 1, unmanaged 2
owner sources: ds01.user 1, aime.mlc.USER 2, aime.mlc 1, name-suffix 1, none 1
legacy only: 2 (old, bare)
mixed: 1 (both)
no owner: 1 (none)
deprecated keys:
  ds01.gpu_slot -> ds01.gpu.uuids: 0
compatibility keys (copies for older readers; create --no-compat-keys stops them):
  ds01.gpu.uuid copies ds01.gpu.uuids: 1 (new)
  ds01.gpu.allocated copies ds01.gpu.slots: 0
legacy keys in use:
  aime.mlc -> ds01.user: 2
  aime.mlc.NAME -> ds01.name: 1
  aime.mlc.USER -> ds01.user: 2
legacy owner fallback: still needed (3 owners come from legacy labels)
  docker ps -a --filter label=aime.mlc.USER  # 2 now
  docker ps -a --filter label=aime.mlc  # 2 now
  the fallback can go when every command above lists no container
"
        );
    }
}
