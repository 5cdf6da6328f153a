//! Pure lint rules over a label set, and the [`Input`] a Dockerfile's final stage gives them
//! (its syntax is [`crate::dockerfile`]'s; label files are [`crate::labels::parse_label_file`]).
//!
//! Every rule has a stable id and name ([`Rule`]); README's `### lint` documents each one. Rules:
//! key style (hadolint DL3048) and Docker's reserved namespaces; the `ds01.*` schema table (legacy,
//! deprecated and unknown keys, typed values); the heritable image schema (created, URLs, SPDX,
//! version split, pull tag, required leaves, base-prefix, lineage problems, conformance).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::container_schema;
use crate::dockerfile;
use crate::history::HistoryRow;
use crate::image_schema::{
    group, is_schema_key, oci_name, split_schema_key, Image, BASE_PREFIX, LABEL_SCHEMA_VERSION,
    OCI_BASE_NAME, OCI_FROM_LEAVES, OCI_PREFIX, SCHEMA_NAMESPACE, SCRATCH,
};
use crate::labels::{key_rule_violations, reserved_prefix, KeyRule, Labels};
use crate::lineage::reconstruct;
use crate::messages::{excerpt, quoted, EXCERPT_CHARS};

/// A lint rule: id, name and what it checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    KeyStyle,
    ReservedNamespace,
    LegacyKey,
    DeprecatedKey,
    UnknownDs01Key,
    ValueType,
    Created,
    Url,
    Spdx,
    VersionSplit,
    PullTag,
    RequiredLeaf,
    BasePrefix,
    Lineage,
    NotConforming,
    /// An image carries a `ds01.*` container runtime key (e.g. from `docker commit`).
    ImageRuntimeKey,
    OciMismatch,
}

impl Rule {
    pub const ALL: [Rule; 17] = [
        Rule::KeyStyle,
        Rule::ReservedNamespace,
        Rule::LegacyKey,
        Rule::DeprecatedKey,
        Rule::UnknownDs01Key,
        Rule::ValueType,
        Rule::Created,
        Rule::Url,
        Rule::Spdx,
        Rule::VersionSplit,
        Rule::PullTag,
        Rule::RequiredLeaf,
        Rule::BasePrefix,
        Rule::Lineage,
        Rule::NotConforming,
        Rule::ImageRuntimeKey,
        Rule::OciMismatch,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Rule::KeyStyle => "L001",
            Rule::ReservedNamespace => "L002",
            Rule::LegacyKey => "L003",
            Rule::DeprecatedKey => "L004",
            Rule::UnknownDs01Key => "L005",
            Rule::ValueType => "L006",
            Rule::Created => "L007",
            Rule::Url => "L008",
            Rule::Spdx => "L009",
            Rule::VersionSplit => "L010",
            Rule::PullTag => "L011",
            Rule::RequiredLeaf => "L012",
            Rule::BasePrefix => "L013",
            Rule::Lineage => "L014",
            Rule::NotConforming => "L015",
            Rule::ImageRuntimeKey => "L017",
            Rule::OciMismatch => "L016",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Rule::KeyStyle => "key-style",
            Rule::ReservedNamespace => "reserved-namespace",
            Rule::LegacyKey => "legacy-key",
            Rule::DeprecatedKey => "deprecated-key",
            Rule::UnknownDs01Key => "unknown-ds01-key",
            Rule::ValueType => "value-type",
            Rule::Created => "created",
            Rule::Url => "url",
            Rule::Spdx => "spdx",
            Rule::VersionSplit => "version-split",
            Rule::PullTag => "pull-tag",
            Rule::RequiredLeaf => "required-leaf",
            Rule::BasePrefix => "base-prefix",
            Rule::Lineage => "lineage",
            Rule::NotConforming => "not-conforming",
            Rule::ImageRuntimeKey => "image-runtime-key",
            Rule::OciMismatch => "oci-mismatch",
        }
    }
}

/// How much a finding matters, hadolint's levels without `style`: `error` (the labels are wrong or
/// contradict each other), `warning` (they work but should change), `info` (spellings kept on
/// purpose, such as the seed's `io.github.JefferysDockers`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl Rule {
    /// The level of this rule's findings (the seed-spelling form of [`Rule::KeyStyle`] is `info`).
    pub fn severity(self) -> Severity {
        match self {
            Rule::KeyStyle | Rule::LegacyKey | Rule::DeprecatedKey | Rule::UnknownDs01Key => {
                Severity::Warning
            }
            _ => Severity::Error,
        }
    }
}

impl Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

/// One finding: the rule, the key it is about (if one), the Dockerfile line (if known), and a
/// one-line message saying what is wrong and what would be right.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: Rule,
    pub name: &'static str,
    pub level: Severity,
    pub key: Option<String>,
    pub line: Option<usize>,
    pub message: String,
}

impl Finding {
    /// A finding about `key`; the message names the key (it is capped there, as a value is
    /// quoted with [`quoted`]; the `key` field holds it whole).
    fn new(rule: Rule, key: Option<&str>, message: String) -> Finding {
        let message = match key {
            Some(key) if key.chars().nth(EXCERPT_CHARS).is_some() => {
                message.replace(key, &excerpt(key))
            }
            _ => message,
        };
        Finding {
            rule,
            name: rule.name(),
            level: rule.severity(),
            key: key.map(str::to_string),
            line: None,
            message,
        }
    }

    /// `[FILE:LINE: ]L001 key-style [warning]: message`.
    pub fn render(&self, file: Option<&str>) -> String {
        let place = match (file, self.line) {
            (Some(f), Some(l)) => format!("{}:{l}: ", crate::output::escape(f)),
            _ => String::new(),
        };
        // Keys and Dockerfile text are in the message as they are, values `{:?}`-quoted.
        let message = crate::output::escape_message(&self.message);
        format!(
            "{place}{} {} [{}]: {}",
            self.rule.id(),
            self.name,
            self.level.name(),
            message
        )
    }
}

/// What to lint.
#[derive(Debug, Clone, Default)]
pub struct Input<'a> {
    pub labels: Labels,
    /// Dockerfile line of each key (`--dockerfile`).
    pub lines: BTreeMap<String, usize>,
    /// Keys whose value the builder substitutes (`$VAR`): value rules skip them.
    pub substituted: BTreeSet<String>,
    /// The set holds the parent images' labels too (an image, a container, a labels file), so a
    /// `base-prefix` must name a prefix present here. `false` for a Dockerfile.
    pub complete: bool,
    /// The labels are an image's (`lint IMAGE`): container runtime keys are findings.
    pub image: bool,
    /// The image's history, newest first (`lint IMAGE`): enables the conformance rule.
    pub history: Option<&'a [HistoryRow]>,
    /// For a Dockerfile: its `label-schema-version` LABEL is followed by another instruction.
    pub schema_version_not_last: Option<NotLast>,
}

/// Leaves whose value must be an http(s) URL (compared case-insensitively), and OCI keys likewise.
pub const URL_LEAVES: [&str; 8] = [
    "home",
    "source-home",
    "license-file",
    "vendorUrl",
    "content-home",
    "content-source",
    "content-license-file",
    "content-vendorUrl",
];
/// OCI annotations (under [`crate::image_schema::OCI_PREFIX`]) whose value must be an http(s) URL.
const OCI_URL_NAMES: [&str; 3] = ["url", "source", "documentation"];
/// Leaves whose value must be an SPDX license expression (empty allowed).
pub const SPDX_LEAVES: [&str; 2] = ["license-spdx", "content-license-spdx"];
const OCI_SPDX_NAME: &str = "licenses";
const OCI_CREATED_NAME: &str = "created";

/// Run every rule. Findings are sorted by line, key, then rule.
pub fn lint(input: &Input) -> Vec<Finding> {
    let mut findings = Vec::new();
    key_rules(input, &mut findings);
    ds01_rules(input, &mut findings);
    image_runtime_rule(input, &mut findings);
    image_value_rules(input, &mut findings);
    heritable_rules(input, &mut findings);
    for f in &mut findings {
        if f.line.is_none() {
            f.line = f.key.as_ref().and_then(|k| input.lines.get(k).copied());
        }
    }
    findings.sort_by(|a, b| (a.line, &a.key, a.rule).cmp(&(b.line, &b.key, b.rule)));
    findings
}

/// Leaves of the heritable schema that the seed's scripts spell in camel case.
pub const SEED_CAMEL_LEAVES: [&str; 2] = ["vendorUrl", "content-vendorUrl"];

/// Upper case that comes from the seed's own spelling of one prefix's schema keys.
#[derive(Default)]
struct SeedCase {
    keys: usize,
    /// The first Dockerfile line holding one of the keys.
    line: Option<usize>,
    namespace: Option<String>,
    leaves: BTreeSet<String>,
}

fn key_rules(input: &Input, out: &mut Vec<Finding>) {
    // Schema keys whose only fault is the seed's spelling (namespace `io.github.JefferysDockers`,
    // leaves `vendorUrl`, `content-vendorUrl`) are reported once per prefix and namespace spelling.
    let mut seed_case: BTreeMap<String, SeedCase> = BTreeMap::new();
    for key in input.labels.keys() {
        let violations: Vec<KeyRule> = key_rule_violations(key)
            .into_iter()
            .filter(|r| *r != KeyRule::Reserved)
            .collect();
        if let Some(prefix) = reserved_prefix(key) {
            out.push(Finding::new(
                Rule::ReservedNamespace,
                Some(key),
                format!("{key}: is in Docker's reserved {prefix} namespace: use your own reverse-domain prefix"),
            ));
        }
        if violations.is_empty() {
            continue;
        }
        if let Some(sk) = split_schema_key(key) {
            let seed_leaf = SEED_CAMEL_LEAVES.contains(&sk.leaf);
            let leaf = if seed_leaf {
                sk.leaf.to_ascii_lowercase()
            } else {
                sk.leaf.to_string()
            };
            let fixed = format!("{}.{SCHEMA_NAMESPACE}.{leaf}", sk.prefix);
            if key_rule_violations(&fixed).is_empty() {
                let entry = seed_case
                    .entry(format!("{}.{}.*", sk.prefix, sk.namespace))
                    .or_default();
                entry.keys += 1;
                if let Some(line) = input.lines.get(key) {
                    entry.line = Some(entry.line.map_or(*line, |l| l.min(*line)));
                }
                if sk.namespace != SCHEMA_NAMESPACE {
                    entry.namespace = Some(sk.namespace.to_string());
                }
                if seed_leaf {
                    entry.leaves.insert(sk.leaf.to_string());
                }
                continue;
            }
        }
        let rules: Vec<&str> = violations.iter().map(|r| r.describe()).collect();
        let hint = if container_schema::is_legacy_key(key) {
            match container_schema::replacement_for(key) {
                Some(new) => {
                    format!(" (legacy key, upper case by history: its replacement is {new})")
                }
                None => " (legacy key, upper case by history)".to_string(),
            }
        } else {
            let lower = key.to_ascii_lowercase();
            if key_rule_violations(&lower).is_empty() {
                format!(" (e.g. {})", excerpt(&lower))
            } else {
                String::new()
            }
        };
        out.push(Finding::new(
            Rule::KeyStyle,
            Some(key),
            format!("{key}: {}{hint}", rules.join("; ")),
        ));
    }
    for (group, case) in seed_case {
        let mut parts = Vec::new();
        if let Some(namespace) = &case.namespace {
            parts.push(format!("the schema namespace {namespace} has upper case: write {SCHEMA_NAMESPACE} (readers match it case-insensitively)"));
        }
        if !case.leaves.is_empty() {
            let leaves: Vec<&str> = case.leaves.iter().map(String::as_str).collect();
            parts.push(format!(
                "the seed's leaf spelling {} has upper case",
                leaves.join(", ")
            ));
        }
        let mut f = Finding::new(
            Rule::KeyStyle,
            Some(&group),
            format!(
                "{group} ({} key{}): {}",
                case.keys,
                if case.keys == 1 { "" } else { "s" },
                parts.join("; ")
            ),
        );
        f.level = Severity::Info;
        f.line = case.line;
        out.push(f);
    }
}

fn ds01_rules(input: &Input, out: &mut Vec<Finding>) {
    for (key, value) in &input.labels {
        if container_schema::is_legacy_key(key) {
            let message = match container_schema::replacement_for(key) {
                Some(new) => format!("{key}: legacy aime.mlc key, read-only: write {new} instead"),
                None => {
                    format!("{key}: legacy aime.mlc key, read-only, with no ds01.* replacement")
                }
            };
            out.push(Finding::new(Rule::LegacyKey, Some(key), message));
            continue;
        }
        if !key.starts_with(container_schema::NAMESPACE) {
            continue;
        }
        let Some(spec) = container_schema::lookup(key) else {
            out.push(Finding::new(
                Rule::UnknownDs01Key,
                Some(key),
                format!("{key}: not a key of the ds01.* schema (see `ds01-build schema`)"),
            ));
            continue;
        };
        if let Some(new) = spec.replaced_by {
            out.push(Finding::new(
                Rule::DeprecatedKey,
                Some(key),
                format!("{key}: deprecated: write {new} instead"),
            ));
        }
        if input.substituted.contains(key) {
            continue;
        }
        // An empty optional key reads as absent (create neutralises inherited runtime keys so).
        if value.is_empty() && !spec.required {
            continue;
        }
        if let Err(expected) = container_schema::check_value(key, value) {
            out.push(Finding::new(
                Rule::ValueType,
                Some(key),
                format!("{key}={}: expected {expected}", quoted(value)),
            ));
        }
    }
}

/// On an image: `ds01.*` keys of container scope, which every container made from it would inherit
/// (`create` neutralises them; plain `docker create` does not).
fn image_runtime_rule(input: &Input, out: &mut Vec<Finding>) {
    if !input.image {
        return;
    }
    for key in input.labels.keys() {
        let Some(spec) = container_schema::lookup(key) else {
            continue;
        };
        if spec.scope == container_schema::Scope::Container {
            out.push(Finding::new(
                Rule::ImageRuntimeKey,
                Some(key),
                format!("{key}: a container's runtime label on an image: every container made from it inherits it (e.g. phantom GPUs or protection after `docker commit`); rebuild the image without it"),
            ));
        }
    }
}

/// Created, URL and SPDX values, for schema leaves and their OCI counterparts.
fn image_value_rules(input: &Input, out: &mut Vec<Finding>) {
    for (key, value) in &input.labels {
        if input.substituted.contains(key) {
            continue;
        }
        let sk = split_schema_key(key);
        let is_leaf = |names: &[&str]| sk.is_some_and(|sk| names.iter().any(|n| sk.has_leaf(n)));
        let oci = oci_name(key);
        if (is_leaf(&["created"]) || oci == Some(OCI_CREATED_NAME))
            && !container_schema::is_rfc3339(value)
        {
            out.push(Finding::new(
                Rule::Created,
                Some(key),
                format!(
                    "{key}={}: expected an RFC 3339 time, e.g. 2020-09-12T00:23:06-04:00",
                    quoted(value)
                ),
            ));
        }
        if (is_leaf(&URL_LEAVES) || oci.is_some_and(|n| OCI_URL_NAMES.contains(&n)))
            && !value.is_empty()
            && !is_http_url(value)
        {
            out.push(Finding::new(
                Rule::Url,
                Some(key),
                format!(
                    "{key}={}: expected an http(s) URL, e.g. https://example.com/x (or empty)",
                    quoted(value)
                ),
            ));
        }
        if (is_leaf(&SPDX_LEAVES) || oci == Some(OCI_SPDX_NAME)) && !is_spdx_expression(value) {
            out.push(Finding::new(
                Rule::Spdx,
                Some(key),
                format!("{key}={}: expected an SPDX license expression, e.g. MIT or (GPL-2.0-only OR BSD-3-Clause) (or empty)", quoted(value)),
            ));
        }
    }
}

fn heritable_rules(input: &Input, out: &mut Vec<Finding>) {
    let grouping = group(&input.labels);
    for (prefix, image) in &grouping.images {
        // Leaf → (full key, value), leaves compared case-insensitively.
        let leaf = |name: &str| {
            image
                .labels
                .iter()
                .find(|(k, _)| is_schema_key(k, prefix, name))
        };
        for required in [BASE_PREFIX, LABEL_SCHEMA_VERSION] {
            if leaf(required).is_none() {
                let mut f = Finding::new(
                    Rule::RequiredLeaf,
                    Some(prefix),
                    format!("{prefix}: no {prefix}.{SCHEMA_NAMESPACE}.{required} label: every image of the schema needs {BASE_PREFIX} and {LABEL_SCHEMA_VERSION}"),
                );
                f.line = image
                    .labels
                    .keys()
                    .filter_map(|k| input.lines.get(k))
                    .min()
                    .copied();
                out.push(f);
            }
        }
        if input.complete {
            if let Some((key, base)) = leaf(BASE_PREFIX) {
                if base != SCRATCH
                    && !base.is_empty()
                    && !grouping.images.contains_key(base.as_str())
                {
                    out.push(Finding::new(
                        Rule::BasePrefix,
                        Some(key),
                        format!("{key}={}: names no image prefix present here: expected \"scratch\", \"\" (base does not conform) or one of {}", quoted(base), present(&grouping.images)),
                    ));
                }
            }
        }
        let substituted = |k: &str| input.substituted.contains(k);
        if let Some((vkey, version)) = leaf("version").filter(|(k, _)| !substituted(k)) {
            let content = leaf("content-version").filter(|(k, _)| !substituted(k));
            let source = leaf("source-version").filter(|(k, _)| !substituted(k));
            match crate::tag::split(version) {
                None => out.push(Finding::new(
                    Rule::VersionSplit,
                    Some(vkey),
                    format!(
                        "{vkey}={}: has no '-': expected CONTENT-SOURCE, e.g. 20.04.01-0.0.1",
                        quoted(version)
                    ),
                )),
                Some((c, s)) => {
                    for (got, want, what) in [
                        (content, c, "content-version"),
                        (source, s, "source-version"),
                    ] {
                        if let Some((k, v)) = got.filter(|(_, v)| v.as_str() != want) {
                            out.push(Finding::new(
                                Rule::VersionSplit,
                                Some(k),
                                format!(
                                    "{k}={}: version {} splits at its first '-' into {what} {}",
                                    quoted(v),
                                    quoted(version),
                                    quoted(want)
                                ),
                            ));
                        }
                    }
                }
            }
            if let Some((pkey, pull)) = leaf("pull").filter(|(k, _)| !substituted(k)) {
                if !pull.ends_with(&format!(":{version}")) {
                    out.push(Finding::new(
                        Rule::PullTag,
                        Some(pkey),
                        format!(
                            "{pkey}={}: expected a reference ending in :{} (the version)",
                            quoted(pull),
                            excerpt(version)
                        ),
                    ));
                }
            }
        }
    }
    let lineage = reconstruct(&input.labels, input.history.unwrap_or(&[]));
    if let Some(current) = lineage.current.as_deref() {
        if let Some(image) = grouping.images.get(current) {
            oci_rules(input, current, image, out);
        }
    }
    for problem in lineage.problems.iter().filter(|p| p.in_labels()) {
        out.push(Finding::new(Rule::Lineage, None, problem.to_string()));
    }
    if let Some(n) = &input.schema_version_not_last {
        let mut f = Finding::new(
            Rule::NotConforming,
            Some(&n.key),
            format!(
                "{}: set at line {} but followed by {} at line {}: only LABEL instructions may follow it, or the image does not conform",
                n.key, n.line, n.instruction, n.instruction_line
            ),
        );
        f.line = Some(n.instruction_line);
        out.push(f);
    }
    if input.history.is_some() && lineage.current.is_some() && !lineage.conforming {
        out.push(Finding::new(
            Rule::NotConforming,
            lineage.current.as_deref(),
            format!(
                "the image does not conform: {}",
                lineage
                    .conformance_reason()
                    .trim_start_matches("no (")
                    .trim_end_matches(')')
            ),
        ));
    }
}

/// `org.opencontainers.image.*` values that contradict the current image's own leaves: a key the
/// build copies from a leaf ([`OCI_FROM_LEAVES`]) with another value (an absent leaf counts as
/// empty: the value then came from a parent), or a `base.name` whose prefix is not `base-prefix`.
fn oci_rules(input: &Input, prefix: &str, image: &Image, out: &mut Vec<Finding>) {
    let leaf = |name: &str| {
        image
            .labels
            .iter()
            .find(|(k, _)| is_schema_key(k, prefix, name))
    };
    for (oci, leaf_name) in OCI_FROM_LEAVES {
        let key = format!("{OCI_PREFIX}.{oci}");
        let Some(value) = input.labels.get(&key) else {
            continue;
        };
        if input.substituted.contains(&key) {
            continue;
        }
        let own = leaf(leaf_name);
        if own.is_some_and(|(k, _)| input.substituted.contains(k.as_str())) {
            continue;
        }
        let own_value = own.map_or("", |(_, v)| v.as_str());
        if value != own_value {
            let what = match own {
                Some((k, v)) => format!("{k}={}", quoted(v)),
                None => format!("{prefix} has no {leaf_name} leaf (the value is a parent's)"),
            };
            out.push(Finding::new(
                Rule::OciMismatch,
                Some(&key),
                format!("{key}={} contradicts the image's own labels: {what}: rebuild, or write {key} with the same value (empty when unknown)", quoted(value)),
            ));
        }
    }
    let base_key = format!("{OCI_PREFIX}.{OCI_BASE_NAME}");
    if let (Some(name), Some((_, base))) = (input.labels.get(&base_key), leaf(BASE_PREFIX)) {
        // The reference without its tag or digest (a ':' after the last '/' starts the tag).
        let untagged = name.split('@').next().unwrap_or(name);
        let last_slash = untagged.rfind('/').map_or(0, |i| i + 1);
        let untagged = match untagged[last_slash..].find(':') {
            Some(colon) => &untagged[..last_slash + colon],
            None => untagged,
        };
        let named = crate::reference::ImageRef::parse(untagged)
            .ok()
            .map(|r| r.prefix());
        let contradicts = match base.as_str() {
            SCRATCH => !name.is_empty(),
            "" => false,
            base => !name.is_empty() && named.as_deref() != Some(base),
        };
        if contradicts && !input.substituted.contains(&base_key) {
            out.push(Finding::new(
                Rule::OciMismatch,
                Some(&base_key),
                format!(
                    "{base_key}={} contradicts {prefix}'s base-prefix {}: it names another parent",
                    quoted(name),
                    quoted(base)
                ),
            ));
        }
    }
}

fn present(images: &BTreeMap<String, Image>) -> String {
    images.keys().cloned().collect::<Vec<_>>().join(", ")
}

/// `http://` or `https://` (any case), a non-empty host, no whitespace.
pub fn is_http_url(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    let Some(rest) = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
    else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    !host.is_empty() && !value.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// A simple SPDX license expression check: ids `[A-Za-z0-9.-]+` (optionally `+`, `LicenseRef-`,
/// `DocumentRef-x:LicenseRef-y`), joined by `AND` / `OR`, `WITH` an exception id, parentheses.
/// Operators are upper or lower case. Empty is allowed (unknown license).
pub fn is_spdx_expression(value: &str) -> bool {
    if value.trim().is_empty() {
        return true;
    }
    let spaced = value.replace('(', " ( ").replace(')', " ) ");
    let tokens: Vec<&str> = spaced.split_whitespace().collect();
    let mut pos = 0;
    spdx_expr(&tokens, &mut pos) && pos == tokens.len()
}

fn spdx_expr(t: &[&str], pos: &mut usize) -> bool {
    if !spdx_term(t, pos) {
        return false;
    }
    while matches!(t.get(*pos), Some(&("AND" | "OR" | "and" | "or"))) {
        *pos += 1;
        if !spdx_term(t, pos) {
            return false;
        }
    }
    true
}

fn spdx_term(t: &[&str], pos: &mut usize) -> bool {
    match t.get(*pos) {
        Some(&"(") => {
            *pos += 1;
            if !spdx_expr(t, pos) || t.get(*pos) != Some(&")") {
                return false;
            }
            *pos += 1;
        }
        Some(id) if is_spdx_id(id) => *pos += 1,
        _ => return false,
    }
    if matches!(t.get(*pos), Some(&("WITH" | "with"))) {
        *pos += 1;
        match t.get(*pos) {
            Some(id) if is_spdx_id(id) => *pos += 1,
            _ => return false,
        }
    }
    true
}

fn is_spdx_id(token: &str) -> bool {
    if matches!(token, "AND" | "OR" | "WITH" | "and" | "or" | "with") {
        return false;
    }
    let simple = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    };
    let body = token.strip_suffix('+').unwrap_or(token);
    match body.split_once(':') {
        Some((doc, lic)) => doc.starts_with("DocumentRef-") && simple(doc) && simple(lic),
        None => simple(body),
    }
}

/// A label set read from a Dockerfile: values, the line of each key's instruction, and the keys
/// whose value the builder substitutes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DockerfileLabels {
    pub labels: Labels,
    pub lines: BTreeMap<String, usize>,
    pub substituted: BTreeSet<String>,
    /// In the final stage, a `label-schema-version` LABEL followed by another instruction.
    pub schema_version_not_last: Option<NotLast>,
}

/// A `label-schema-version` key set by a LABEL at `line`, followed by `instruction` at
/// `instruction_line`: the built image would not conform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotLast {
    pub key: String,
    pub line: usize,
    pub instruction: String,
    pub instruction_line: usize,
}

/// The labels the Dockerfile's final stage sets: its own `LABEL` instructions, after those of an
/// earlier stage it is built FROM (by `AS` name), read with [`crate::dockerfile`]'s rules (the
/// `# escape=` directive, continuations, comments, quotes and escapes; heredoc bodies skipped). A key
/// set twice keeps its last value. `$VAR` references are kept as written and marked.
pub fn dockerfile_labels(text: &str) -> DockerfileLabels {
    let escape = dockerfile::escape_char(text);
    let stages = dockerfile::stages(dockerfile::instructions(text, escape));
    let mut out = DockerfileLabels::default();
    let Some(last) = stages.len().checked_sub(1) else {
        return out;
    };
    for stage in dockerfile::ancestry(&stages, last) {
        for instruction in &stage.instructions {
            for pair in instruction.labels(escape) {
                out.labels.insert(pair.key.clone(), pair.value);
                out.lines.insert(pair.key.clone(), instruction.line);
                if pair.substituted {
                    out.substituted.insert(pair.key);
                } else {
                    out.substituted.remove(&pair.key);
                }
            }
        }
    }
    out.schema_version_not_last = schema_version_not_last(&stages[last], escape);
    out
}

/// In `stage`, the last `LABEL` that sets a `label-schema-version` key and the first instruction
/// after it, if any.
fn schema_version_not_last(stage: &dockerfile::Stage, escape: char) -> Option<NotLast> {
    let mut version: Option<(String, usize)> = None;
    let mut after: Option<(String, usize)> = None;
    for instruction in &stage.instructions {
        if instruction.is("LABEL") {
            for pair in instruction.labels(escape) {
                if split_schema_key(&pair.key).is_some_and(|sk| sk.has_leaf(LABEL_SCHEMA_VERSION)) {
                    version = Some((pair.key, instruction.line));
                    after = None;
                }
            }
        } else if version.is_some() && after.is_none() {
            after = Some((instruction.keyword.to_ascii_uppercase(), instruction.line));
        }
    }
    let ((key, line), (instruction, instruction_line)) = (version?, after?);
    Some(NotLast {
        key,
        line,
        instruction,
        instruction_line,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labels::from_pairs as labels;

    const P: &str = "jefferys.ubu-lts.io.github.jefferysdockers";

    /// A clean heritable label set (lower-case namespace, the seed's leaves).
    fn clean() -> Labels {
        let mut l = Labels::new();
        for (leaf, v) in [
            ("base-prefix", "scratch"),
            ("name", "ubu-lts"),
            ("home", "https://hub.docker.com/r/jefferys/ubu-lts"),
            ("version", "20.04.01-0.0.1-rc1"),
            ("source-version", "0.0.1-rc1"),
            ("content-version", "20.04.01"),
            ("pull", "jefferys/ubu-lts:20.04.01-0.0.1-rc1"),
            ("license-spdx", "MIT"),
            (
                "content-license-spdx",
                "(GPL-2.0-only OR MIT) AND Apache-2.0 WITH LLVM-exception",
            ),
            ("license-file", "https://ubuntu.com/licensing"),
            ("content-source", "http://cdimage.ubuntu.com/ubuntu-base/"),
            ("created", "2020-09-12T00:23:06-04:00"),
            ("label-schema-version", "0.0.1"),
        ] {
            l.insert(format!("{P}.{leaf}"), v.to_string());
        }
        l.insert("ds01.user".into(), "alice".into());
        l.insert("ds01.managed".into(), "true".into());
        l.insert("org.opencontainers.image.licenses".into(), "MIT".into());
        l
    }

    fn run(labels: Labels) -> Vec<Finding> {
        lint(&Input {
            labels,
            complete: true,
            ..Input::default()
        })
    }

    fn ids(findings: &[Finding]) -> Vec<&'static str> {
        findings.iter().map(|f| f.rule.id()).collect()
    }

    fn with(extra: &[(&str, &str)]) -> Vec<Finding> {
        let mut l = clean();
        l.extend(labels(extra));
        run(l)
    }

    #[test]
    fn clean_set_passes() {
        assert_eq!(run(clean()), []);
        assert_eq!(run(Labels::new()), []);
    }

    #[test]
    fn rule_ids_are_unique() {
        let ids: BTreeSet<&str> = Rule::ALL.iter().map(|r| r.id()).collect();
        let names: BTreeSet<&str> = Rule::ALL.iter().map(|r| r.name()).collect();
        assert_eq!(ids.len(), Rule::ALL.len());
        assert_eq!(names.len(), Rule::ALL.len());
    }

    #[test]
    fn key_style_and_reserved() {
        let f = with(&[("Com.Example", "x"), ("com.docker.compose.project", "p")]);
        assert_eq!(ids(&f), ["L001", "L002"]);
        assert_eq!(
            f[0].render(None),
            "L001 key-style [warning]: Com.Example: must start with a lowercase letter a-z; may only contain a-z 0-9 . _ / - (e.g. com.example)"
        );
        assert!(
            f[1].message.contains("reserved com.docker."),
            "{}",
            f[1].message
        );
    }

    #[test]
    fn legacy_keys_report_their_replacement() {
        let f = with(&[("aime.mlc.USER", "alice"), ("aime.mlc", "alice")]);
        assert_eq!(ids(&f), ["L003", "L001", "L003"]);
        assert_eq!(f[0].key.as_deref(), Some("aime.mlc"));
        assert!(
            f[1].message
                .contains("upper case by history: its replacement is ds01.user"),
            "{}",
            f[1].message
        );
        assert!(
            f[2].message.contains("write ds01.user instead"),
            "{}",
            f[2].message
        );
    }

    #[test]
    fn ds01_schema_rules() {
        let f = with(&[
            ("ds01.gpu_slot", "GPU-1"),
            ("ds01.nonsense", "1"),
            ("ds01.protected", "yes"),
        ]);
        assert_eq!(ids(&f), ["L004", "L005", "L006"]);
        assert!(f[0].message.contains("write ds01.gpu.uuids instead"));
        assert!(
            f[2].message.contains("expected true or false"),
            "{}",
            f[2].message
        );
    }

    #[test]
    fn image_value_rules_fire() {
        let f = with(&[
            (&format!("{P}.created"), "yesterday"),
            (&format!("{P}.home"), "hub.docker.com/r/x"),
            (&format!("{P}.vendorUrl"), "ftp://x"),
            (&format!("{P}.license-spdx"), "GPL 2"),
            ("org.opencontainers.image.created", "2020-09-12"),
        ]);
        let got: Vec<(&str, &str)> = f
            .iter()
            .map(|f| (f.rule.id(), f.key.as_deref().unwrap()))
            .collect();
        let created = format!("{P}.created");
        let home = format!("{P}.home");
        let spdx = format!("{P}.license-spdx");
        let vendor = format!("{P}.vendorUrl");
        let group = format!("{P}.*");
        assert_eq!(
            got,
            [
                ("L001", group.as_str()),
                ("L007", created.as_str()),
                ("L008", home.as_str()),
                ("L009", spdx.as_str()),
                ("L008", vendor.as_str()),
                ("L007", "org.opencontainers.image.created"),
                // Both OCI copies now contradict the leaves they copy.
                ("L016", "org.opencontainers.image.created"),
                ("L016", "org.opencontainers.image.licenses"),
            ]
        );
    }

    #[test]
    fn oci_values_must_match_the_images_own_leaves() {
        let oci = |k: &str| format!("org.opencontainers.image.{k}");
        // A value the leaf does not have, or that only a parent can have given.
        let f = with(&[(&oci("revision"), "abc"), (&oci("licenses"), "MIT")]);
        assert_eq!(ids(&f), ["L016"]);
        assert_eq!(f[0].key.as_deref(), Some(oci("revision").as_str()));
        assert_eq!(f[0].level, Severity::Error);
        assert!(
            f[0].message.contains("has no source-revision leaf"),
            "{}",
            f[0].message
        );
        // Empty where unknown is consistent; equal values are.
        assert!(with(&[
            (&oci("revision"), ""),
            (&oci("version"), "20.04.01-0.0.1-rc1")
        ])
        .is_empty());
        // base.name must name the base-prefix's image; a scratch image has none.
        assert_eq!(
            ids(&with(&[(&oci("base.name"), "jefferys/r-lang:latest")])),
            ["L016"]
        );
        assert!(with(&[(&oci("base.name"), "")]).is_empty());
        let mut child = clean();
        child.insert(format!("{P}.base-prefix"), "jefferys.base".into());
        child.insert(
            "jefferys.base.io.github.jefferysdockers.base-prefix".into(),
            "scratch".into(),
        );
        child.insert(
            "jefferys.base.io.github.jefferysdockers.label-schema-version".into(),
            "1".into(),
        );
        child.insert(oci("base.name"), "jefferys/base:latest".into());
        assert!(run(child.clone()).is_empty(), "{:?}", run(child.clone()));
        child.insert(oci("base.name"), "other/base:latest".into());
        assert_eq!(ids(&run(child)), ["L016"]);
    }

    #[test]
    fn severities() {
        let f = with(&[
            ("aime.mlc.USER", "bob"),
            ("x.y.io.github.JefferysDockers.base-prefix", "scratch"),
            ("x.y.io.github.JefferysDockers.label-schema-version", "1"),
        ]);
        let levels: BTreeSet<(&str, Severity)> = f.iter().map(|f| (f.rule.id(), f.level)).collect();
        assert!(levels.contains(&("L001", Severity::Info)), "{f:?}");
        assert!(levels.contains(&("L001", Severity::Warning)), "{f:?}");
        assert!(levels.contains(&("L003", Severity::Warning)), "{f:?}");
        let legacy = f.iter().find(|f| f.rule == Rule::LegacyKey).unwrap();
        assert!(
            legacy
                .render(None)
                .starts_with("L003 legacy-key [warning]: "),
            "{}",
            legacy.render(None)
        );
        assert!(Severity::Error > Severity::Warning && Severity::Warning > Severity::Info);
    }

    #[test]
    fn version_split_and_pull_tag() {
        let f = with(&[
            (&format!("{P}.content-version"), "20.04"),
            (&format!("{P}.pull"), "jefferys/ubu-lts:latest"),
        ]);
        assert_eq!(ids(&f), ["L010", "L011"]);
        assert!(
            f[0].message.contains("content-version \"20.04.01\""),
            "{}",
            f[0].message
        );
        let f = with(&[(&format!("{P}.version"), "20.04.01")]);
        assert!(ids(&f).contains(&"L010"));
        assert!(f.iter().any(|f| f.message.contains("has no '-'")));
    }

    #[test]
    fn required_leaves_and_base_prefix() {
        let mut l = clean();
        l.remove(&format!("{P}.label-schema-version"));
        l.insert(
            "x.io.github.jefferysdockers.base-prefix".into(),
            "jefferys.nothere".into(),
        );
        l.insert(
            "x.io.github.jefferysdockers.label-schema-version".into(),
            "0.0.1".into(),
        );
        // x becomes the current image: the OCI copy of ubu-lts's license is not x's (L016).
        l.remove("org.opencontainers.image.licenses");
        let f = run(l.clone());
        assert_eq!(ids(&f), ["L012", "L013"]);
        assert!(f[0].message.contains("label-schema-version"));
        assert!(
            f[1].message.contains("jefferys.ubu-lts"),
            "{}",
            f[1].message
        );
        // A Dockerfile holds only its own labels: base-prefix is not checked against the set.
        let f = lint(&Input {
            labels: l,
            complete: false,
            ..Input::default()
        });
        assert_eq!(ids(&f), ["L012"]);
    }

    #[test]
    fn lineage_problems_and_conformance() {
        let f = with(&[
            (
                "b.io.github.jefferysdockers.base-prefix",
                "jefferys.ubu-lts",
            ),
            ("b.io.github.jefferysdockers.label-schema-version", "1"),
            (
                "c.io.github.jefferysdockers.base-prefix",
                "jefferys.ubu-lts",
            ),
            ("c.io.github.jefferysdockers.label-schema-version", "1"),
        ]);
        assert_eq!(ids(&f), ["L014"]);
        assert!(f[0].message.starts_with("two heads"), "{}", f[0].message);

        let rows = |texts: &[&str]| -> Vec<HistoryRow> {
            texts
                .iter()
                .map(|t| HistoryRow {
                    created_by: t.to_string(),
                })
                .collect()
        };
        let conforming = rows(&[&format!(
            "/bin/sh -c #(nop)  LABEL {P}.label-schema-version=0.0.1"
        )]);
        let input = |history| Input {
            labels: clean(),
            complete: true,
            history: Some(history),
            ..Input::default()
        };
        assert_eq!(lint(&input(&conforming)), []);
        let copy = rows(&["/bin/sh -c #(nop) COPY file:1 in /x "]);
        let f = lint(&input(&copy));
        assert_eq!(ids(&f), ["L015"]);
        assert!(
            f[0].message.contains("not a LABEL: COPY file:1 in /x"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn namespace_case_is_reported_once_per_prefix() {
        let l = labels(&[
            ("a.io.github.JefferysDockers.base-prefix", "scratch"),
            ("a.io.github.JefferysDockers.label-schema-version", "0.0.1"),
            ("a.io.github.JefferysDockers.vendorUrl", "https://x.org"),
        ]);
        let f = run(l);
        assert_eq!(ids(&f), ["L001"]);
        assert_eq!(f[0].key.as_deref(), Some("a.io.github.JefferysDockers.*"));
        assert_eq!(f[0].message, "a.io.github.JefferysDockers.* (3 keys): the schema namespace io.github.JefferysDockers has upper case: write io.github.jefferysdockers (readers match it case-insensitively); the seed's leaf spelling vendorUrl has upper case");
        // Lower-case namespace, camel-case leaf: only the leaf is named.
        let f = run(labels(&[(
            "b.io.github.jefferysdockers.content-vendorUrl",
            "https://x.org",
        )]));
        let style: Vec<&str> = f
            .iter()
            .filter(|f| f.rule == Rule::KeyStyle)
            .map(|f| f.message.as_str())
            .collect();
        assert_eq!(style, ["b.io.github.jefferysdockers.* (1 key): the seed's leaf spelling content-vendorUrl has upper case"]);
        // Any other upper case in a schema key is reported on its own.
        let f = run(labels(&[("c.io.github.jefferysdockers.Title", "t")]));
        let style = f.iter().find(|f| f.rule == Rule::KeyStyle).unwrap();
        assert!(
            style
                .message
                .starts_with("c.io.github.jefferysdockers.Title: "),
            "{}",
            style.message
        );
    }

    #[test]
    fn urls_and_spdx() {
        assert!(is_http_url("https://a.b/c?d#e"));
        assert!(is_http_url("HTTP://a"));
        assert!(!is_http_url("https://"));
        assert!(!is_http_url("https://a b"));
        assert!(!is_http_url("file:///x"));
        for ok in [
            "",
            "MIT",
            "GPL-2.0+",
            "MIT OR Apache-2.0",
            "(MIT)",
            "LicenseRef-x",
            "DocumentRef-a:LicenseRef-b",
            "GPL-2.0-only WITH Classpath-exception-2.0",
            "((MIT and BSD-3-Clause) or X)",
        ] {
            assert!(is_spdx_expression(ok), "{ok}");
        }
        for bad in [
            "GPL 2", "MIT OR", "(MIT", "MIT)", "AND", "MIT WITH", "Apache/2", "MIT, BSD",
        ] {
            assert!(!is_spdx_expression(bad), "{bad}");
        }
    }

    #[test]
    fn dockerfile_final_stage_labels() {
        let text = "# escape=`\n\
            FROM scratch AS base\n\
            LABEL a=1 `\n\
            \x20 # a comment inside the continuation\n\
            \x20 b=\"two words\" c=$HOME\n\
            FROM busybox AS unrelated\n\
            LABEL u=1\n\
            FROM base\n\
            RUN <<EOF\n\
            LABEL not=parsed\n\
            EOF\n\
            label a=3 'd'='x`y' e=\"`$NOT\"\n";
        let d = dockerfile_labels(text);
        assert_eq!(
            d.labels,
            labels(&[
                ("a", "3"),
                ("b", "two words"),
                ("c", "$HOME"),
                ("d", "x`y"),
                ("e", "$NOT")
            ])
        );
        assert_eq!(d.lines["a"], 12);
        assert_eq!(d.lines["b"], 3);
        assert_eq!(d.substituted, BTreeSet::from(["c".to_string()]));
        assert_eq!(d.schema_version_not_last, None);
        assert_eq!(dockerfile_labels(""), DockerfileLabels::default());
    }

    #[test]
    fn dockerfile_schema_version_must_be_last() {
        let k = format!("{P}.label-schema-version");
        let text = format!("FROM scratch\nLABEL {k}=0.0.1\nLABEL x=1\nCOPY a /a\nLABEL y=2\n");
        let d = dockerfile_labels(&text);
        let not_last = d.schema_version_not_last.clone().unwrap();
        assert_eq!(
            (
                not_last.line,
                not_last.instruction.as_str(),
                not_last.instruction_line
            ),
            (2, "COPY", 4)
        );
        let f = lint(&Input {
            labels: d.labels,
            lines: d.lines,
            schema_version_not_last: d.schema_version_not_last,
            ..Input::default()
        });
        let l015: Vec<&Finding> = f.iter().filter(|f| f.rule == Rule::NotConforming).collect();
        assert_eq!(l015.len(), 1);
        assert_eq!(l015[0].render(Some("Dockerfile")), format!("Dockerfile:4: L015 not-conforming [error]: {k}: set at line 2 but followed by COPY at line 4: only LABEL instructions may follow it, or the image does not conform"));
        let fine = format!("FROM scratch\nCOPY a /a\nLABEL {k}=0.0.1\nLABEL x=1\n");
        assert_eq!(dockerfile_labels(&fine).schema_version_not_last, None);
    }
}
