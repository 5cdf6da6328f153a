//! The per-container (or per-image) view every reader shares: label namespace, managed flag,
//! interface, owner, and the normalised `ds01.*` view with the key each value came from.
//!
//! Pure: input is what [`crate::inspect::parse_inspect`] returns, plus a passwd lookup for the
//! `NAME._.UID` owner fallback. Rules:
//!
//! - Namespace: `ds01` (only `ds01.*` keys), `legacy` (only `aime.mlc`/`aime.mlc.*` keys), `mixed`
//!   (both), `unmanaged` (neither). Other namespaces (`devcontainer.*`, `com.docker.compose.*`, image
//!   labels) do not count.
//! - Managed: `ds01` when `ds01.managed` is `true`, else `legacy` when `aime.mlc.DS01_MANAGED` is
//!   `true`, else `no` (values trimmed).
//! - Normalised view: for each current key of [`crate::container_schema::KEYS`], the key itself, then its legacy
//!   keys in table order; the first non-empty value wins (a `ds01.*` key wins over its fallbacks, a
//!   compatibility `ds01.gpu.uuid` and deprecated `ds01.gpu_slot` only show through `ds01.gpu.uuids` when it is absent). When every
//!   candidate is empty the first present one is shown with its empty value. `ds01.user` is the owner
//!   chain of [`crate::ownership`] alone (absent when it finds nobody), so every reader agrees on it.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::container_schema::{self, KEYS, NAMESPACE};
use crate::inspect::Inspected;
use crate::labels::Labels;
use crate::ownership::{label_value, resolve_owner, Owner, NO_VALUE};

/// Which label namespaces a container carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Namespace {
    Ds01,
    Legacy,
    Mixed,
    Unmanaged,
}

impl Namespace {
    pub const ALL: [Namespace; 4] = [
        Namespace::Ds01,
        Namespace::Legacy,
        Namespace::Mixed,
        Namespace::Unmanaged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Namespace::Ds01 => "ds01",
            Namespace::Legacy => "legacy",
            Namespace::Mixed => "mixed",
            Namespace::Unmanaged => "unmanaged",
        }
    }

    /// Still carries legacy `aime.mlc*` labels.
    pub fn has_legacy(self) -> bool {
        matches!(self, Namespace::Legacy | Namespace::Mixed)
    }
}

/// Which flag marks a container as DS01-managed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Managed {
    /// `ds01.managed=true`.
    Ds01,
    /// `aime.mlc.DS01_MANAGED=true` (and no `ds01.managed=true`).
    Legacy,
    /// Neither.
    No,
}

impl Managed {
    pub fn as_str(self) -> &'static str {
        match self {
            Managed::Ds01 => "ds01",
            Managed::Legacy => "legacy",
            Managed::No => "no",
        }
    }
}

/// The namespace classification of a label set.
pub fn namespace(labels: &Labels) -> Namespace {
    let ds01 = labels.keys().any(|k| k.starts_with(NAMESPACE));
    let legacy = labels.keys().any(|k| container_schema::is_legacy_key(k));
    match (ds01, legacy) {
        (true, false) => Namespace::Ds01,
        (false, true) => Namespace::Legacy,
        (true, true) => Namespace::Mixed,
        (false, false) => Namespace::Unmanaged,
    }
}

/// The managed flag of a label set.
pub fn managed(labels: &Labels) -> Managed {
    let is_true = |key| label_value(labels, key) == Some("true");
    if is_true("ds01.managed") {
        Managed::Ds01
    } else if is_true("aime.mlc.DS01_MANAGED") {
        Managed::Legacy
    } else {
        Managed::No
    }
}

/// One value of the normalised view and the label key it was read from (`name-suffix` for an owner
/// taken from the container name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sourced {
    pub value: String,
    pub source: String,
}

/// The normalised `ds01.*` view of a label set. JSON: `labels` ([`Normalised::to_map`]) and
/// `unmapped`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Normalised {
    /// Current `ds01.*` key → value and source, in [`KEYS`] order.
    pub values: Vec<(&'static str, Sourced)>,
    /// `ds01.*` keys outside the schema and legacy keys with no replacement, as found.
    pub unmapped: Labels,
}

impl Normalised {
    pub fn get(&self, key: &str) -> Option<&Sourced> {
        self.values.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// The values as a map (sorted by key), for JSON.
    pub fn to_map(&self) -> BTreeMap<&'static str, &Sourced> {
        self.values.iter().map(|(k, v)| (*k, v)).collect()
    }
}

impl Serialize for Normalised {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = s.serialize_struct("Normalised", 2)?;
        out.serialize_field("labels", &self.to_map())?;
        out.serialize_field("unmapped", &self.unmapped)?;
        out.end()
    }
}

/// The normalised view of `labels` for an object called `name` (empty for images).
pub fn normalise<F>(labels: &Labels, name: &str, user_by_uid: F) -> Normalised
where
    F: FnOnce(u32) -> Option<String>,
{
    let mut values = Vec::new();
    let owner = resolve_owner(labels, name, user_by_uid);
    // Compatibility copies are not shown: their source key is (it falls back to them).
    for spec in KEYS
        .iter()
        .filter(|s| !s.deprecated() && s.compat_of.is_none())
    {
        if spec.key == "ds01.user" {
            // The owner chain alone: no owner, no `ds01.user` in the view.
            if let Some(o) = &owner {
                let value = o.user.clone();
                let source = o.source.as_str().to_string();
                values.push((spec.key, Sourced { value, source }));
            }
            continue;
        }
        let candidates = || std::iter::once(spec.key).chain(spec.legacy.iter().copied());
        let found = candidates()
            .find_map(|key| {
                label_value(labels, key).map(|v| Sourced {
                    value: v.to_string(),
                    source: key.to_string(),
                })
            })
            .or_else(|| {
                candidates().find_map(|key| {
                    labels
                        .get(key)
                        .filter(|v| v.trim() != NO_VALUE)
                        .map(|_| Sourced {
                            value: String::new(),
                            source: key.to_string(),
                        })
                })
            });
        if let Some(found) = found {
            values.push((spec.key, found));
        }
    }
    let unmapped = labels
        .iter()
        .filter(|(k, _)| {
            (k.starts_with(NAMESPACE) && container_schema::lookup(k).is_none())
                || (container_schema::is_legacy_key(k)
                    && container_schema::replacement_for(k).is_none())
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Normalised { values, unmapped }
}

/// What the readers (`ps`, `audit`) know about one container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContainerView {
    pub name: String,
    pub id: String,
    /// `null` when the ownership chain finds nobody.
    pub owner: Option<Owner>,
    pub managed: Managed,
    /// `ds01.interface` (trimmed); `null` when absent or empty.
    pub interface: Option<String>,
    pub namespace: Namespace,
    pub state: String,
    pub created: String,
    pub image: String,
    /// Deprecated `ds01.*` keys present (e.g. `ds01.gpu.uuid`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deprecated_keys: Vec<&'static str>,
    /// Compatibility keys present (e.g. `ds01.gpu.uuid`, see [`container_schema::KeySpec::compat_of`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub compat_keys: Vec<&'static str>,
    /// Legacy `aime.mlc*` keys present.
    #[serde(skip)]
    pub legacy_keys: Vec<String>,
}

/// The view of one inspected container.
pub fn view<F>(object: &Inspected, user_by_uid: F) -> ContainerView
where
    F: FnOnce(u32) -> Option<String>,
{
    let labels = &object.labels;
    ContainerView {
        name: object.name.clone(),
        id: object.id.clone(),
        owner: resolve_owner(labels, &object.name, user_by_uid),
        managed: managed(labels),
        interface: label_value(labels, "ds01.interface").map(str::to_string),
        namespace: namespace(labels),
        state: object.state.clone(),
        created: to_the_second(&object.created).into_owned(),
        image: object.image.clone(),
        deprecated_keys: KEYS
            .iter()
            .filter(|s| s.deprecated() && labels.contains_key(s.key))
            .map(|s| s.key)
            .collect(),
        compat_keys: KEYS
            .iter()
            .filter(|s| s.compat_of.is_some() && labels.contains_key(s.key))
            .map(|s| s.key)
            .collect(),
        legacy_keys: labels
            .keys()
            .filter(|k| container_schema::is_legacy_key(k))
            .cloned()
            .collect(),
    }
}

/// An engine timestamp to the second (the list call's resolution, so both read paths agree): `2026-11-23T17:22:45.32963626Z` → `2026-11-23T17:22:45Z`.
pub fn to_the_second(created: &str) -> std::borrow::Cow<'_, str> {
    match created.split_once('.') {
        Some((secs, rest)) if secs.contains('T') => {
            let zone = rest.trim_start_matches(|c: char| c.is_ascii_digit());
            format!("{secs}{zone}").into()
        }
        _ => created.into(),
    }
}

/// Whose containers a listing shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Containers whose resolved owner is this user.
    User(String),
    /// Every container.
    All,
}

/// The containers in `scope`, keeping their order; with `legacy_only`, only those still carrying
/// `aime.mlc*` labels (namespace `legacy` or `mixed`).
pub fn select<'a>(
    views: &'a [ContainerView],
    scope: &Scope,
    legacy_only: bool,
) -> Vec<&'a ContainerView> {
    views
        .iter()
        .filter(|v| match scope {
            Scope::All => true,
            Scope::User(user) => v.owner.as_ref().is_some_and(|o| &o.user == user),
        })
        .filter(|v| !legacy_only || v.namespace.has_legacy())
        .collect()
}

/// How an inspected object answers to a query, as the engine resolves a name (docker's
/// `GetContainer`, podman's lookup): its full ID or its exact name first, then a unique prefix of
/// its ID (an ambiguous prefix is the engine's error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// The full ID (with or without `sha256:`), the exact name (with or without docker's leading
    /// `/`), or one of an image's tags.
    Exact,
    /// Only a prefix of its ID: the engine's answer only when no object has that exact name.
    Prefix,
}

/// Whether and how `object` answers to `query`.
pub fn answers_to(object: &Inspected, query: &str) -> Option<Answer> {
    let name = query.trim_start_matches('/');
    let id = query.trim_start_matches("sha256:");
    let own_id = object.id.trim_start_matches("sha256:");
    if (!id.is_empty() && own_id == id)
        || (!name.is_empty() && object.name == name)
        || object.repo_tags.iter().any(|t| t == query)
    {
        Some(Answer::Exact)
    } else if !id.is_empty() && own_id.starts_with(id) {
        Some(Answer::Prefix)
    } else {
        None
    }
}

/// Pair each query of one `inspect` with its object (an index into `objects`), or `None` for a
/// query the engine found nothing for. Both engines print the objects they found in the order
/// asked, skipping the missing: with every query found, the pairing is by position. With some
/// missing, a query takes the next object only when that object answers it exactly; a query whose
/// next object only matches by ID prefix could be an ambiguous prefix the engine refused, so the
/// answer is `None` (not known: ask one query at a time), as it is when objects are left over.
pub fn pair(queries: &[String], objects: &[Inspected]) -> Option<Vec<Option<usize>>> {
    if queries.len() == objects.len() {
        return Some((0..queries.len()).map(Some).collect());
    }
    let mut next = 0;
    let mut paired = Vec::with_capacity(queries.len());
    for query in queries {
        match objects.get(next).and_then(|o| answers_to(o, query)) {
            Some(Answer::Exact) => {
                paired.push(Some(next));
                next += 1;
            }
            Some(Answer::Prefix) => return None,
            None => paired.push(None),
        }
    }
    (next == objects.len()).then_some(paired)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_cut_to_the_second() {
        assert_eq!(
            to_the_second("2026-11-23T17:22:45.32963626Z"),
            "2026-11-23T17:22:45Z"
        );
        assert_eq!(
            to_the_second("2026-11-23T17:22:49.49672236+01:00"),
            "2026-11-23T17:22:49+01:00"
        );
        assert_eq!(
            to_the_second("2026-11-23T17:22:49Z"),
            "2026-11-23T17:22:49Z"
        );
        assert_eq!(to_the_second(""), "");
    }

    use crate::inspect::test_support::obj;
    use crate::labels::from_pairs as labels;

    fn no_passwd(_: u32) -> Option<String> {
        None
    }

    #[test]
    fn namespaces() {
        assert_eq!(namespace(&labels(&[("ds01.user", "a")])), Namespace::Ds01);
        assert_eq!(namespace(&labels(&[("aime.mlc", "a")])), Namespace::Legacy);
        assert_eq!(
            namespace(&labels(&[("aime.mlc.USER", "a"), ("ds01.managed", "true")])),
            Namespace::Mixed
        );
        assert_eq!(
            namespace(&labels(&[
                ("devcontainer.workspaceFolder", "/w"),
                ("aime.mlcx", "a"),
                ("ds01", "a")
            ])),
            Namespace::Unmanaged
        );
        assert_eq!(namespace(&Labels::new()), Namespace::Unmanaged);
    }

    #[test]
    fn managed_flag() {
        assert_eq!(managed(&labels(&[("ds01.managed", "true")])), Managed::Ds01);
        assert_eq!(
            managed(&labels(&[("aime.mlc.DS01_MANAGED", "true\n")])),
            Managed::Legacy
        );
        assert_eq!(
            managed(&labels(&[
                ("ds01.managed", "true"),
                ("aime.mlc.DS01_MANAGED", "true")
            ])),
            Managed::Ds01
        );
        assert_eq!(
            managed(&labels(&[
                ("ds01.managed", "false"),
                ("aime.mlc.DS01_MANAGED", "true")
            ])),
            Managed::Legacy
        );
        assert_eq!(managed(&labels(&[("ds01.managed", "yes")])), Managed::No);
        assert_eq!(managed(&Labels::new()), Managed::No);
    }

    fn src(n: &Normalised, key: &str) -> Option<(String, String)> {
        n.get(key).map(|s| (s.value.clone(), s.source.clone()))
    }

    fn pair(v: &str, s: &str) -> Option<(String, String)> {
        Some((v.to_string(), s.to_string()))
    }

    #[test]
    fn normalised_view_maps_legacy_keys_and_ds01_wins() {
        let l = labels(&[
            ("aime.mlc", "base"),
            ("aime.mlc.USER", "leg"),
            ("aime.mlc.DS01_MANAGED", "true"),
            ("aime.mlc.FRAMEWORK", "pytorch-2.0"),
            ("aime.mlc.DS01_FRAMEWORK", "tf-2"),
            ("aime.mlc.WORK_MOUNT", " /w "),
            ("ds01.arch", "CUDA"),
            ("aime.mlc.ARCH", "ROCM"),
            ("ds01.custom_image", ""),
            ("aime.mlc.CUSTOM_IMAGE", ""),
            ("ds01.framework", ""),
            ("aime.mlc.username", "x"),
            ("ds01.future_key", "1"),
            ("com.docker.compose.project", "p"),
        ]);
        let n = normalise(&l, "", no_passwd);
        assert_eq!(src(&n, "ds01.user"), pair("leg", "aime.mlc.USER"));
        assert_eq!(
            src(&n, "ds01.managed"),
            pair("true", "aime.mlc.DS01_MANAGED")
        );
        // Empty ds01.framework falls through to the first non-empty legacy key.
        assert_eq!(
            src(&n, "ds01.framework"),
            pair("pytorch-2.0", "aime.mlc.FRAMEWORK")
        );
        assert_eq!(
            src(&n, "ds01.work_mount"),
            pair("/w", "aime.mlc.WORK_MOUNT")
        );
        assert_eq!(src(&n, "ds01.arch"), pair("CUDA", "ds01.arch"));
        // All empty: the first present key, empty.
        assert_eq!(src(&n, "ds01.custom_image"), pair("", "ds01.custom_image"));
        assert_eq!(src(&n, "ds01.interface"), None);
        assert_eq!(
            n.unmapped.keys().collect::<Vec<_>>(),
            ["aime.mlc.username", "ds01.future_key"]
        );
        // KEYS order is kept.
        assert_eq!(n.values[0].0, "ds01.user");
    }

    #[test]
    fn deprecated_keys_map_only_when_replacement_absent() {
        let n = normalise(
            &labels(&[("ds01.gpu.uuid", "GPU-1"), ("ds01.gpu_slot", "GPU-9")]),
            "",
            no_passwd,
        );
        assert_eq!(src(&n, "ds01.gpu.uuids"), pair("GPU-1", "ds01.gpu.uuid"));
        // ds01.gpu_slot holds UUIDs (the docker wrapper's), never slot ids.
        assert_eq!(src(&n, "ds01.gpu.slots"), None);
        assert_eq!(n.get("ds01.gpu.uuid"), None);
        let n = normalise(&labels(&[("ds01.gpu_slot", "GPU-9")]), "", no_passwd);
        assert_eq!(src(&n, "ds01.gpu.uuids"), pair("GPU-9", "ds01.gpu_slot"));
        let n = normalise(
            &labels(&[
                ("ds01.gpu.uuid", "GPU-1"),
                ("ds01.gpu.uuids", "GPU-2,GPU-3"),
            ]),
            "",
            no_passwd,
        );
        assert_eq!(
            src(&n, "ds01.gpu.uuids"),
            pair("GPU-2,GPU-3", "ds01.gpu.uuids")
        );
    }

    #[test]
    fn normalised_owner_is_the_ownership_chain() {
        let n = normalise(&labels(&[("ds01.user", "\n")]), "box._.0", |uid| {
            (uid == 0).then(|| "root".to_string())
        });
        assert_eq!(src(&n, "ds01.user"), pair("root", "name-suffix"));
        let n = normalise(&labels(&[("ds01.user", "<no value>")]), "box", no_passwd);
        assert_eq!(src(&n, "ds01.user"), None);
    }

    fn inspected(name: &str, pairs: &[(&str, &str)]) -> Inspected {
        Inspected {
            id: format!("id-{name}"),
            state: "created".into(),
            ..obj(name, pairs)
        }
    }

    #[test]
    fn queries_match_exactly_before_by_id_prefix() {
        let objects = [inspected("box", &[]), inspected("other", &[])];
        assert_eq!(answers_to(&objects[0], "box"), Some(Answer::Exact));
        assert_eq!(answers_to(&objects[1], "/other"), Some(Answer::Exact));
        assert_eq!(answers_to(&objects[0], "id-box"), Some(Answer::Exact));
        assert_eq!(answers_to(&objects[0], "id-bo"), Some(Answer::Prefix));
        assert_eq!(answers_to(&objects[0], ""), None);
        assert_eq!(answers_to(&objects[0], "bo"), None);
        let mut image = inspected("", &[]);
        image.id = "sha256:efc5".into();
        image.repo_tags = vec!["t:1".into()];
        assert_eq!(answers_to(&image, "efc5"), Some(Answer::Exact));
        assert_eq!(answers_to(&image, "sha256:ef"), Some(Answer::Prefix));
        assert_eq!(answers_to(&image, "t:1"), Some(Answer::Exact));
    }

    #[test]
    fn queries_pair_with_their_own_object() {
        let q = |qs: &[&str]| qs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        // `owner A B` where B is a name and a prefix of A's ID: by position, never "first match".
        let mut a = inspected("a", &[]);
        a.id = "4790539".into();
        let b = inspected("47", &[]);
        let both = [a.clone(), b.clone()];
        assert_eq!(
            super::pair(&q(&["a", "47"]), &both),
            Some(vec![Some(0), Some(1)])
        );
        // Some missing: exact answers pair, the missing are None.
        assert_eq!(
            super::pair(&q(&["gone", "47", "x", "a"]), &[b.clone(), a.clone()]),
            Some(vec![None, Some(0), None, Some(1)])
        );
        // A prefix-only match with something missing: not known (ask one at a time).
        assert_eq!(
            super::pair(&q(&["479", "gone"]), std::slice::from_ref(&a)),
            None
        );
        // Objects left over: not known either.
        assert_eq!(
            super::pair(&q(&["gone", "x"]), std::slice::from_ref(&a)),
            None
        );
    }

    #[test]
    fn container_view_and_selection() {
        let views: Vec<ContainerView> = [
            inspected(
                "a",
                &[
                    ("ds01.user", "alice"),
                    ("ds01.interface", " atomic\n"),
                    ("ds01.gpu.uuid", "G"),
                ],
            ),
            inspected(
                "b",
                &[("aime.mlc.USER", "bob"), ("aime.mlc.DS01_MANAGED", "true")],
            ),
            inspected("c", &[("aime.mlc", "alice"), ("ds01.managed", "true")]),
            inspected("d", &[]),
        ]
        .iter()
        .map(|o| view(o, no_passwd))
        .collect();
        let a = &views[0];
        assert_eq!(a.interface.as_deref(), Some("atomic"));
        assert!(a.deprecated_keys.is_empty());
        assert_eq!(a.compat_keys, ["ds01.gpu.uuid"]);
        assert_eq!(views[1].managed, Managed::Legacy);
        assert_eq!(
            views[1].legacy_keys,
            ["aime.mlc.DS01_MANAGED", "aime.mlc.USER"]
        );
        assert_eq!(views[2].namespace, Namespace::Mixed);
        assert_eq!(views[3].owner, None);

        let names =
            |sel: Vec<&ContainerView>| sel.iter().map(|v| v.name.clone()).collect::<Vec<_>>();
        assert_eq!(
            names(select(&views, &Scope::All, false)),
            ["a", "b", "c", "d"]
        );
        assert_eq!(
            names(select(&views, &Scope::User("alice".into()), false)),
            ["a", "c"]
        );
        assert_eq!(
            names(select(&views, &Scope::User("alice".into()), true)),
            ["c"]
        );
        assert_eq!(names(select(&views, &Scope::All, true)), ["b", "c"]);

        let json = serde_json::to_value(a).unwrap();
        assert_eq!(json["owner"]["user"], "alice");
        assert_eq!(json["owner"]["source"], "ds01.user");
        assert_eq!(json["managed"], "no");
        assert_eq!(json["namespace"], "ds01");
        assert_eq!(
            serde_json::to_value(&views[3]).unwrap()["owner"],
            serde_json::Value::Null
        );
    }
}
