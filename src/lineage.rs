//! Pure reconstruction of an image's chain of heritable-labelled images from its labels and history.
//!
//! Labels are grouped per image prefix by [`crate::image_schema::group`] (the schema's key syntax
//! lives there). Each image's `base-prefix` names its parent: `scratch` for none, `""` for a parent
//! that does not conform, else the parent's prefix.
//!
//! The chain: every prefix named by no `base-prefix` is the head of a run of conforming images,
//! walked down through `base-prefix` to `scratch` (the root run) or to a gap (`""`, a prefix with no
//! labels here, or no `base-prefix` label at all). Runs are stacked with the root run at the bottom;
//! when several runs sit above gaps, history orders them (the run whose labels were set by newer
//! rows is higher). The head of the top run is the current prefix. The image conforms when its
//! final block of `LABEL` history rows holds the current prefix's `label-schema-version` key.
//!
//! Contradictions — two prefixes naming the same base, two runs ending at `scratch`, a cycle, two
//! `base-prefix` values for one prefix, runs that history cannot order — are reported as
//! [`Problem`]s; then no chain is built and every image is listed as unplaced.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use serde::Serialize;

use crate::history::{final_label_block, HistoryRow};
use crate::image_schema::{
    group, is_schema_key, Grouping, Image, BASE_PREFIX, LABEL_SCHEMA_VERSION, SCHEMA_NAMESPACE,
    SCRATCH,
};
use crate::labels::Labels;

/// A place in the chain where non-conforming images (of unknown number) sit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gap {
    /// The conforming image directly above the gap.
    pub above: String,
    /// Its `base-prefix` value (`""`, a prefix with no labels here, or `null` when it has none).
    pub base_prefix: Option<String>,
    /// The conforming image directly below the gap, if any.
    pub below: Option<String>,
    pub reason: String,
}

/// A contradiction in the labels: the chain cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Problem {
    /// One prefix has two `base-prefix` keys (namespace spelt differently) with different values.
    ConflictingBasePrefix { prefix: String, values: Vec<String> },
    /// Two prefixes name the same base: two heads.
    SharedBase { base: String, children: Vec<String> },
    /// More than one run ends at `scratch`: two heads.
    TwoRoots { heads: Vec<String> },
    /// `base-prefix` values loop.
    Cycle { prefixes: Vec<String> },
    /// Several runs sit above gaps and history does not tell which is newer: two heads.
    Unordered { heads: Vec<String> },
}

impl Problem {
    /// Whether the problem is in the labels themselves (every problem but [`Problem::Unordered`],
    /// which only lacks history to decide).
    pub fn in_labels(&self) -> bool {
        !matches!(self, Problem::Unordered { .. })
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::ConflictingBasePrefix { prefix, values } => write!(
                f,
                "{prefix} has {} different base-prefix values: {}",
                values.len(),
                quoted(values)
            ),
            Problem::SharedBase { base, children } => match children.as_slice() {
                [a, b] => write!(
                    f,
                    "two heads: {a} and {b} both name {base} as their base-prefix"
                ),
                _ => write!(
                    f,
                    "two heads: {} all name {base} as their base-prefix",
                    children.join(", ")
                ),
            },
            Problem::TwoRoots { heads } => write!(
                f,
                "two heads: the chains of {} each end at scratch",
                heads.join(" and ")
            ),
            Problem::Cycle { prefixes } => {
                write!(f, "cycle: {} -> {}", prefixes.join(" -> "), prefixes[0])
            }
            Problem::Unordered { heads } => write!(
                f,
                "two heads: {} each sit above a gap and the history does not tell which is newer",
                heads.join(" and ")
            ),
        }
    }
}

fn quoted(values: &[String]) -> String {
    values
        .iter()
        .map(|v| crate::messages::quoted(v))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The reconstructed lineage of one image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lineage {
    /// The prefix of the newest conforming image (named by no `base-prefix`), `null` when there is
    /// none or problems hide it.
    pub current: Option<String>,
    /// The image itself is `current`: its final LABEL history rows hold current's
    /// `label-schema-version` key.
    pub conforming: bool,
    /// Conforming images, root first.
    pub chain: Vec<Image>,
    pub gaps: Vec<Gap>,
    pub unattributed: Labels,
    pub problems: Vec<Problem>,
    /// Images not placed in a chain because of problems.
    pub unplaced: Vec<Image>,
    /// How many rows, from the newest, are LABEL steps.
    pub final_label_rows: usize,
    /// The newest history row, shortened.
    pub last_step: Option<String>,
}

/// A run of conforming images, head (newest) first, and what is below its last member.
struct Run {
    members: Vec<String>,
    end: End,
}

#[derive(Clone, PartialEq, Eq)]
enum End {
    Scratch,
    /// The base is not a conforming image here: `""`, a prefix with no labels, or `None` (no
    /// `base-prefix` label).
    Gap(Option<String>),
    /// A problem was recorded on the way.
    Broken,
}

/// Rebuild the lineage of an image from its labels and its history rows (newest first; empty when
/// unknown).
pub fn reconstruct(labels: &Labels, history: &[HistoryRow]) -> Lineage {
    let Grouping {
        images,
        unattributed,
    } = group(labels);
    let final_label_rows = final_label_block(history);
    let last_step = history.first().map(HistoryRow::summary);
    let (runs, mut problems) = runs(&images);

    let order = if problems.is_empty() {
        order_runs(runs, &images, labels, history, &mut problems)
    } else {
        Vec::new()
    };

    if !problems.is_empty() {
        return Lineage {
            current: None,
            conforming: false,
            chain: Vec::new(),
            gaps: Vec::new(),
            unattributed,
            problems,
            unplaced: images.into_values().collect(),
            final_label_rows,
            last_step,
        };
    }

    let mut gaps = Vec::new();
    for (i, run) in order.iter().enumerate() {
        if let End::Gap(base) = &run.end {
            let above = run.members.last().expect("runs are never empty").clone();
            let reason = match base.as_deref() {
                None => format!("{above} has no {BASE_PREFIX} label"),
                Some("") => format!("{above} has {BASE_PREFIX} \"\": its base image does not conform"),
                Some(p) => format!(
                    "{above} has {BASE_PREFIX} {p}, which has no labels here: that image was built without them"
                ),
            };
            gaps.push(Gap {
                above,
                base_prefix: base.clone(),
                below: order.get(i + 1).map(|r| r.members[0].clone()),
                reason,
            });
        }
    }
    let current = order.first().map(|r| r.members[0].clone());
    let conforming = current.as_deref().is_some_and(|cur| {
        history[..final_label_rows].iter().any(|row| {
            row.label()
                .expect("final block rows are LABEL rows")
                .keys(|k| labels.contains_key(k))
                .iter()
                .any(|k| is_schema_key(k, cur, LABEL_SCHEMA_VERSION))
        })
    });
    let mut images = images;
    let chain = order
        .iter()
        .rev()
        .flat_map(|run| run.members.iter().rev())
        .map(|p| images.remove(p).expect("members are present prefixes"))
        .collect();
    Lineage {
        current,
        conforming,
        chain,
        gaps,
        unattributed,
        problems,
        unplaced: Vec::new(),
        final_label_rows,
        last_step,
    }
}

/// Walk every head down to its end; record contradictions.
fn runs(images: &BTreeMap<String, Image>) -> (Vec<Run>, Vec<Problem>) {
    let mut problems = Vec::new();
    for image in images.values() {
        if image.base_values().len() > 1 {
            problems.push(Problem::ConflictingBasePrefix {
                prefix: image.prefix.clone(),
                values: image.base_values().to_vec(),
            });
        }
    }
    // Children of each present prefix.
    let mut children: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for image in images.values() {
        if let Some(base) = image.base_prefix.as_deref() {
            if images.contains_key(base) && base != image.prefix {
                children.entry(base).or_default().push(image.prefix.clone());
            }
        }
    }
    for (base, kids) in &children {
        if kids.len() > 1 {
            problems.push(Problem::SharedBase {
                base: base.to_string(),
                children: kids.clone(),
            });
        }
    }
    let heads: Vec<&String> = images
        .keys()
        .filter(|p| !children.contains_key(p.as_str()))
        .collect();
    let mut visited = BTreeSet::new();
    let mut runs = Vec::new();
    let mut cycles: BTreeSet<Vec<String>> = BTreeSet::new();
    for head in heads {
        let (run, cycle) = walk(head, images);
        visited.extend(run.members.iter().cloned());
        if let Some(cycle) = cycle {
            cycles.insert(cycle);
        }
        runs.push(run);
    }
    // Prefixes no head reaches are in (or lead into) a cycle.
    for prefix in images.keys() {
        if !visited.contains(prefix) {
            let (run, cycle) = walk(prefix, images);
            visited.extend(run.members);
            if let Some(cycle) = cycle {
                cycles.insert(cycle);
            }
        }
    }
    problems.extend(
        cycles
            .into_iter()
            .map(|prefixes| Problem::Cycle { prefixes }),
    );
    (runs, problems)
}

/// Follow `base-prefix` from `start`; the run, and the cycle found (rotated to start at its least
/// prefix), if any.
fn walk(start: &str, images: &BTreeMap<String, Image>) -> (Run, Option<Vec<String>>) {
    let mut members = vec![start.to_string()];
    loop {
        let image = &images[members.last().expect("non-empty")];
        if image.base_values().len() > 1 {
            return (
                Run {
                    members,
                    end: End::Broken,
                },
                None,
            );
        }
        let end = match image.base_prefix.as_deref() {
            Some(SCRATCH) => End::Scratch,
            Some(base) if images.contains_key(base) => {
                if let Some(at) = members.iter().position(|m| m == base) {
                    let mut cycle = members[at..].to_vec();
                    let least = (0..cycle.len())
                        .min_by_key(|&i| &cycle[i])
                        .expect("non-empty");
                    cycle.rotate_left(least);
                    return (
                        Run {
                            members,
                            end: End::Broken,
                        },
                        Some(cycle),
                    );
                }
                members.push(base.to_string());
                continue;
            }
            other => End::Gap(other.map(str::to_string)),
        };
        return (Run { members, end }, None);
    }
}

/// Stack the runs top (newest) first: the root run at the bottom, runs above gaps ordered by the
/// newest history row setting one of their head's labels.
fn order_runs(
    runs: Vec<Run>,
    images: &BTreeMap<String, Image>,
    labels: &Labels,
    history: &[HistoryRow],
    problems: &mut Vec<Problem>,
) -> Vec<Run> {
    let (roots, mut gapped): (Vec<Run>, Vec<Run>) =
        runs.into_iter().partition(|r| r.end == End::Scratch);
    if roots.len() > 1 {
        problems.push(Problem::TwoRoots {
            heads: roots.iter().map(|r| r.members[0].clone()).collect(),
        });
        return Vec::new();
    }
    if gapped.len() > 1 {
        let newest = newest_rows(labels, history);
        let position = |run: &Run| {
            images[&run.members[0]]
                .labels
                .keys()
                .filter_map(|k| newest.get(k.as_str()).copied())
                .min()
        };
        let positions: Vec<Option<usize>> = gapped.iter().map(position).collect();
        let distinct: BTreeSet<usize> = positions.iter().flatten().copied().collect();
        if positions.iter().any(Option::is_none) || distinct.len() < positions.len() {
            problems.push(Problem::Unordered {
                heads: gapped.iter().map(|r| r.members[0].clone()).collect(),
            });
            return Vec::new();
        }
        gapped.sort_by_key(|run| position(run));
    }
    gapped.extend(roots);
    gapped
}

/// For each label key set by a LABEL history row: the index of the newest such row.
fn newest_rows<'a>(labels: &'a Labels, history: &[HistoryRow]) -> HashMap<&'a str, usize> {
    let mut newest = HashMap::new();
    for (i, row) in history.iter().enumerate() {
        if let Some(label) = row.label() {
            for key in label.keys(|k| labels.contains_key(k)) {
                if let Some((k, _)) = labels.get_key_value(&key) {
                    newest.entry(k.as_str()).or_insert(i);
                }
            }
        }
    }
    newest
}

impl Lineage {
    /// The readable report: a conformance line, one line per image root first (gaps between),
    /// unattributed labels and problems.
    pub fn render_text(&self, image: &str) -> String {
        use crate::output::{escape, escape_message};
        let mut out = format!("image: {}\n", escape(image));
        out.push_str(&format!(
            "conforming: {}\n",
            escape_message(&self.conformance_reason())
        ));
        let width = self
            .chain
            .iter()
            .chain(&self.unplaced)
            .map(|i| escape(&i.prefix).chars().count())
            .max()
            .unwrap_or(0);
        let line = |i: &Image| {
            format!(
                "  {:width$}  base-prefix={}  label-schema-version={}  {} label{}",
                escape(&i.prefix),
                i.base_prefix
                    .as_deref()
                    .map_or("(none)".to_string(), |b| format!("{b:?}")),
                escape(i.label_schema_version.as_deref().unwrap_or("(none)")),
                i.labels.len(),
                if i.labels.len() == 1 { "" } else { "s" },
            )
        };
        if !self.chain.is_empty() {
            out.push_str("chain (root first):\n");
            for img in &self.chain {
                for gap in self.gaps.iter().filter(|g| g.above == img.prefix) {
                    out.push_str(&format!("  -- gap: {}\n", escape_message(&gap.reason)));
                }
                out.push_str(&line(img));
                if self.current.as_deref() == Some(img.prefix.as_str()) {
                    out.push_str("  <- current");
                }
                out.push('\n');
            }
        } else if self.unplaced.is_empty() {
            out.push_str(&format!("chain: none (no {SCHEMA_NAMESPACE} labels)\n"));
        }
        for problem in &self.problems {
            out.push_str(&format!(
                "problem: {}\n",
                escape_message(&problem.to_string())
            ));
        }
        if !self.unplaced.is_empty() {
            out.push_str("images (not placed in a chain):\n");
            for img in &self.unplaced {
                out.push_str(&line(img));
                out.push('\n');
            }
        }
        if !self.unattributed.is_empty() {
            out.push_str(&format!(
                "unattributed: {}\n",
                self.unattributed
                    .keys()
                    .map(|k| escape(k))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        out
    }

    /// `yes (...)` / `no (...)`: why the image does or does not conform.
    pub fn conformance_reason(&self) -> String {
        let Some(current) = &self.current else {
            return if self.problems.is_empty() {
                "no (no image of the chain is known)".to_string()
            } else {
                "no (the chain has problems)".to_string()
            };
        };
        // The key as the image writes it (the namespace's spelling varies).
        let key = self
            .chain
            .iter()
            .filter(|i| &i.prefix == current)
            .flat_map(|i| i.labels.keys())
            .find(|k| is_schema_key(k, current, LABEL_SCHEMA_VERSION))
            .cloned()
            .unwrap_or_else(|| format!("{current}.{SCHEMA_NAMESPACE}.{LABEL_SCHEMA_VERSION}"));
        if self.conforming {
            format!("yes (its final LABEL history rows set {key})")
        } else if self.final_label_rows == 0 {
            format!(
                "no (its newest history step is not a LABEL: {}; the newest conforming image is {current})",
                self.last_step.as_deref().unwrap_or("no history")
            )
        } else {
            format!(
                "no (its final {} LABEL history row{} do not set {key})",
                self.final_label_rows,
                if self.final_label_rows == 1 { "" } else { "s" }
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::parse_history;

    const NS: &str = "io.github.JefferysDockers";

    fn k(prefix: &str, leaf: &str) -> String {
        format!("{prefix}.{NS}.{leaf}")
    }

    /// Labels of images `(prefix, base)`, each with base-prefix, label-schema-version and a title.
    fn labels(images: &[(&str, &str)]) -> Labels {
        let mut l = Labels::new();
        for (prefix, base) in images {
            l.insert(k(prefix, BASE_PREFIX), base.to_string());
            l.insert(k(prefix, LABEL_SCHEMA_VERSION), "0.0.1".into());
            l.insert(k(prefix, "title"), format!("{prefix} x=1"));
        }
        l
    }

    /// History as docker's legacy builder records it: per image a COPY then one LABEL row with all
    /// its labels, oldest image first in `images`; newest row first in the result.
    fn history(labels: &Labels, images: &[&str], tail: &[&str]) -> Vec<HistoryRow> {
        let mut rows = Vec::new();
        for prefix in images {
            rows.push("/bin/sh -c #(nop) COPY file:abc in /bin/busybox ".to_string());
            let pairs: Vec<String> = labels
                .iter()
                .filter(|(key, _)| key.starts_with(&format!("{prefix}.")))
                .map(|(key, v)| format!("{key}={v}"))
                .collect();
            rows.push(format!("/bin/sh -c #(nop)  LABEL {}", pairs.join(" ")));
        }
        rows.extend(tail.iter().map(|t| t.to_string()));
        rows.reverse();
        rows.into_iter()
            .map(|created_by| HistoryRow { created_by })
            .collect()
    }

    fn prefixes(chain: &[Image]) -> Vec<&str> {
        chain.iter().map(|i| i.prefix.as_str()).collect()
    }

    #[test]
    fn grouping_attributes_prefixed_labels() {
        let mut l = labels(&[("jefferys.ubu-lts", SCRATCH)]);
        l.insert("jefferys.ubu-lts.com.example.rating".into(), "10".into());
        l.insert("jefferys.ubu-ltsx".into(), "no".into());
        l.insert("io.buildah.version".into(), "1.28.2".into());
        let g = group(&l);
        let img = &g.images["jefferys.ubu-lts"];
        assert_eq!(img.labels.len(), 4);
        assert_eq!(img.base_prefix.as_deref(), Some(SCRATCH));
        assert_eq!(img.label_schema_version.as_deref(), Some("0.0.1"));
        assert_eq!(
            g.unattributed.keys().collect::<Vec<_>>(),
            ["io.buildah.version", "jefferys.ubu-ltsx"]
        );
    }

    #[test]
    fn three_image_chain_conforms() {
        let l = labels(&[
            ("jefferys.ubu-lts", SCRATCH),
            ("jefferys.r-lang", "jefferys.ubu-lts"),
            ("jefferys.my-app", "jefferys.r-lang"),
        ]);
        let h = history(
            &l,
            &["jefferys.ubu-lts", "jefferys.r-lang", "jefferys.my-app"],
            &[],
        );
        let lin = reconstruct(&l, &h);
        assert_eq!(
            prefixes(&lin.chain),
            ["jefferys.ubu-lts", "jefferys.r-lang", "jefferys.my-app"]
        );
        assert_eq!(lin.current.as_deref(), Some("jefferys.my-app"));
        assert!(lin.conforming);
        assert!(lin.gaps.is_empty() && lin.problems.is_empty() && lin.unattributed.is_empty());
        assert_eq!(lin.final_label_rows, 1);
        let text = lin.render_text("img");
        assert!(text.contains("conforming: yes"), "{text}");
        assert!(
            text.contains("\n  jefferys.my-app   base-prefix=\"jefferys.r-lang\"  label-schema-version=0.0.1  3 labels  <- current\n"),
            "{text}"
        );
        let json = serde_json::to_value(&lin).unwrap();
        assert_eq!(json["current"], "jefferys.my-app");
        assert_eq!(json["chain"][0]["base_prefix"], "scratch");
        assert_eq!(json["chain"][2]["labels"].as_object().unwrap().len(), 3);
    }

    #[test]
    fn non_label_last_step_does_not_conform() {
        let l = labels(&[("a", SCRATCH), ("b", "a")]);
        let h = history(&l, &["a", "b"], &["/bin/sh -c #(nop) COPY file:x in /y "]);
        let lin = reconstruct(&l, &h);
        assert_eq!(lin.current.as_deref(), Some("b"));
        assert!(!lin.conforming);
        assert_eq!(lin.final_label_rows, 0);
        assert!(lin
            .conformance_reason()
            .contains("not a LABEL: COPY file:x in /y"));
        // A final LABEL block that sets only other keys does not conform either.
        let h = history(
            &l,
            &["a", "b"],
            &[
                "/bin/sh -c #(nop) COPY file:x in /y ",
                "/bin/sh -c #(nop)  LABEL other=1",
            ],
        );
        let lin = reconstruct(&l, &h);
        assert!(!lin.conforming);
        assert!(lin
            .conformance_reason()
            .contains("final 1 LABEL history row do not"));
    }

    #[test]
    fn missing_middle_image_is_a_gap() {
        // r-lang was built without labels: my-app names it, nothing else does.
        let l = labels(&[("u", SCRATCH), ("m", "r")]);
        let h = history(&l, &["u", "m"], &[]);
        let lin = reconstruct(&l, &h);
        assert!(lin.problems.is_empty(), "{:?}", lin.problems);
        assert_eq!(prefixes(&lin.chain), ["u", "m"]);
        assert_eq!(lin.current.as_deref(), Some("m"));
        assert!(lin.conforming);
        assert_eq!(
            lin.gaps,
            [Gap {
                above: "m".into(),
                base_prefix: Some("r".into()),
                below: Some("u".into()),
                reason: "m has base-prefix r, which has no labels here: that image was built without them".into(),
            }]
        );
        let text = lin.render_text("img");
        let gap_at = text.find("-- gap").unwrap();
        assert!(
            text.find("  u ").unwrap() < gap_at && gap_at < text.find("  m ").unwrap(),
            "{text}"
        );
    }

    #[test]
    fn seed_example_empty_base_prefix() {
        // Seed 3.3.5: my-app's base does not conform; ubu-lts sits below an unknown gap.
        let l = labels(&[("jefferys.my-app", ""), ("jefferys.ubu-lts", SCRATCH)]);
        let h = history(&l, &["jefferys.ubu-lts", "jefferys.my-app"], &[]);
        let lin = reconstruct(&l, &h);
        assert_eq!(
            prefixes(&lin.chain),
            ["jefferys.ubu-lts", "jefferys.my-app"]
        );
        assert_eq!(lin.gaps[0].base_prefix.as_deref(), Some(""));
        assert!(lin.conforming);
        // Without history the order is still implied: the scratch run is the bottom.
        let lin = reconstruct(&l, &[]);
        assert_eq!(lin.current.as_deref(), Some("jefferys.my-app"));
        assert!(!lin.conforming);
    }

    #[test]
    fn runs_above_gaps_are_ordered_by_history() {
        let l = labels(&[("a", ""), ("b", ""), ("c", SCRATCH)]);
        let lin = reconstruct(&l, &history(&l, &["c", "b", "a"], &[]));
        assert_eq!(prefixes(&lin.chain), ["c", "b", "a"]);
        assert_eq!(lin.gaps.len(), 2);
        let lin = reconstruct(&l, &history(&l, &["c", "a", "b"], &[]));
        assert_eq!(prefixes(&lin.chain), ["c", "a", "b"]);
        // No history: which of a and b is newer is unknown.
        let lin = reconstruct(&l, &[]);
        assert!(lin.chain.is_empty() && lin.current.is_none());
        assert_eq!(
            lin.problems,
            [Problem::Unordered {
                heads: vec!["a".into(), "b".into()]
            }]
        );
        assert!(!lin.problems[0].in_labels());
        assert_eq!(lin.unplaced.len(), 3);
    }

    #[test]
    fn missing_base_prefix_is_a_gap() {
        let mut l = labels(&[("a", SCRATCH), ("b", "a")]);
        l.remove(&k("b", BASE_PREFIX));
        l.insert(k("c", LABEL_SCHEMA_VERSION), "0.0.1".into());
        // c has no base-prefix; b has none either: two runs above gaps, ordered by history.
        let h = history(&l, &["a", "b", "c"], &[]);
        let lin = reconstruct(&l, &h);
        assert!(lin.problems.is_empty(), "{:?}", lin.problems);
        assert_eq!(prefixes(&lin.chain), ["a", "b", "c"]);
        assert_eq!(lin.gaps.len(), 2);
        assert_eq!(lin.gaps[0].base_prefix, None);
        assert_eq!(lin.gaps[0].reason, "c has no base-prefix label");
    }

    #[test]
    fn two_heads_cycles_and_conflicts_are_problems() {
        let shared = labels(&[("a", SCRATCH), ("b", "a"), ("c", "a")]);
        let lin = reconstruct(&shared, &[]);
        assert_eq!(
            lin.problems,
            [Problem::SharedBase {
                base: "a".into(),
                children: vec!["b".into(), "c".into()]
            }]
        );
        assert!(lin.chain.is_empty() && lin.current.is_none() && !lin.conforming);
        assert!(lin
            .render_text("i")
            .contains("problem: two heads: b and c both name a as their base-prefix"));

        let roots = labels(&[("a", SCRATCH), ("b", SCRATCH)]);
        let lin = reconstruct(&roots, &history(&roots, &["a", "b"], &[]));
        assert_eq!(
            lin.problems,
            [Problem::TwoRoots {
                heads: vec!["a".into(), "b".into()]
            }]
        );

        let cycle = labels(&[("a", "b"), ("b", "a"), ("c", SCRATCH)]);
        let lin = reconstruct(&cycle, &[]);
        assert_eq!(
            lin.problems,
            [Problem::Cycle {
                prefixes: vec!["a".into(), "b".into()]
            }]
        );
        assert_eq!(lin.problems[0].to_string(), "cycle: a -> b -> a");
        let self_loop = labels(&[("x", "y"), ("y", "y")]);
        assert_eq!(
            reconstruct(&self_loop, &[]).problems,
            [Problem::Cycle {
                prefixes: vec!["y".into()]
            }]
        );

        let mut conflict = labels(&[("a", SCRATCH)]);
        conflict.insert("a.io.github.jefferysdockers.base-prefix".into(), "z".into());
        let lin = reconstruct(&conflict, &[]);
        assert_eq!(
            lin.problems,
            [Problem::ConflictingBasePrefix {
                prefix: "a".into(),
                values: vec!["scratch".into(), "z".into()]
            }]
        );
        assert_eq!(lin.unplaced[0].base_prefix, None);
        let json = serde_json::to_value(&lin).unwrap();
        assert_eq!(json["problems"][0]["kind"], "conflicting-base-prefix");
    }

    #[test]
    fn no_schema_labels() {
        let mut l = Labels::new();
        l.insert("plain".into(), "1".into());
        let lin = reconstruct(&l, &[]);
        assert!(lin.current.is_none() && lin.chain.is_empty() && lin.problems.is_empty());
        assert_eq!(lin.unattributed.len(), 1);
        let text = lin.render_text("x");
        assert!(text.contains("chain: none"), "{text}");
        assert!(text.contains("unattributed: plain"), "{text}");
    }

    /// Recorded podman history (see `history.rs`): ubu-lts then r-lang with `--label` rows on top.
    #[test]
    fn recorded_podman_history() {
        let text = r#""/bin/sh -c #(nop) LABEL \"nl\"=\"line1\\nline2\""
"/bin/sh -c #(nop) LABEL \"jefferys.r-lang.io.github.jefferysdockers.label-schema-version\"=\"0.0.1\""
"/bin/sh -c #(nop) label \"jefferys.r-lang.io.github.jefferysdockers.base-prefix\"=\"jefferys.ubu-lts\" eq=a=b"
"/bin/sh -c #(nop) COPY file:bc86 in /bin/sh2 "
"/bin/sh -c #(nop) LABEL \"jefferys.ubu-lts.io.github.JefferysDockers.label-schema-version\"=\"0.0.1\""
"/bin/sh -c #(nop) LABEL \"jefferys.ubu-lts.io.github.JefferysDockers.base-prefix\"=\"scratch\"       plain=yes"
"/bin/sh -c #(nop) COPY file:01b0 in /bin/busybox "
"#;
        let mut l = Labels::new();
        for (key, v) in [
            ("nl", "line1\nline2"),
            ("eq", "a=b"),
            ("plain", "yes"),
            ("io.buildah.version", "1.28.2"),
            (
                "jefferys.r-lang.io.github.jefferysdockers.label-schema-version",
                "0.0.1",
            ),
            (
                "jefferys.r-lang.io.github.jefferysdockers.base-prefix",
                "jefferys.ubu-lts",
            ),
            (
                "jefferys.ubu-lts.io.github.JefferysDockers.label-schema-version",
                "0.0.1",
            ),
            (
                "jefferys.ubu-lts.io.github.JefferysDockers.base-prefix",
                "scratch",
            ),
        ] {
            l.insert(key.into(), v.into());
        }
        let lin = reconstruct(&l, &parse_history(text).unwrap());
        assert_eq!(
            prefixes(&lin.chain),
            ["jefferys.ubu-lts", "jefferys.r-lang"]
        );
        assert!(lin.conforming);
        assert_eq!(lin.final_label_rows, 3);
        assert_eq!(lin.unattributed.len(), 4);
    }
}
