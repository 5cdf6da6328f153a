//! Timestamps the labels carry: an image's `created` (the `--created` spec, SOURCE_DATE_EPOCH and
//! its text format, [`resolve`]) and a container's `ds01.created_at` ([`utc_timestamp`]).
//!
//! `created` format: `YYYY-MM-DDTHH:MM:SS±HH:MM`, seconds only, never `Z` (UTC is written `+00:00`), as the
//! seed's `date --rfc-3339=seconds`-style output (`2020-09-12T00:23:06-04:00`).
//!
//! Resolution order ([`resolve`]):
//! 1. `SOURCE_DATE_EPOCH`, when set, wins: decimal integer seconds, shown in UTC. A malformed value
//!    (including an empty one) is an error, never a silent fallback (reproducible-builds.org spec).
//! 2. Otherwise the spec: `now` = the caller's clock in the local offset; `commit` = the HEAD commit's
//!    committer time in UTC (an error when there is no commit); `auto` (the default) = the commit time
//!    when the work tree is clean, else now; an RFC 3339 timestamp = itself, in its own offset.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::OffsetDateTime;

use thiserror::Error;

/// What `--created` / the profile's `created` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CreatedSpec {
    /// HEAD commit time when the work tree is clean, else now.
    #[default]
    Auto,
    /// The current time, in the local offset.
    Now,
    /// The HEAD commit's committer time, in UTC.
    Commit,
    /// A fixed time, kept in its own offset.
    At(OffsetDateTime),
}

/// The HEAD commit's time and whether the work tree is clean (input to [`resolve`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitTime {
    /// Unix seconds of the HEAD commit's committer time.
    pub seconds: i64,
    /// True when the work tree has no tracked changes.
    pub clean: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CreatedError {
    #[error("created value {} is not valid: expected auto, now, commit, or an RFC 3339 timestamp like 2020-09-12T00:23:06-04:00", crate::messages::quoted(.0))]
    InvalidSpec(String),
    #[error("SOURCE_DATE_EPOCH={} is malformed ({reason}): expected decimal integer seconds since 1970-01-01 UTC, e.g. 1599884586, or unset it", crate::messages::quoted(.value))]
    SourceDateEpoch { value: String, reason: &'static str },
    #[error("created = commit, but there is no commit (not a git repository, or HEAD has no commit yet): use --created now, auto, or an RFC 3339 timestamp")]
    NoCommit,
    #[error("commit time {0} (unix seconds) is out of the representable range")]
    CommitOutOfRange(i64),
}

impl CreatedSpec {
    /// Parse `auto`, `now`, `commit`, or an RFC 3339 timestamp (`2020-09-12T00:23:06-04:00`, `...Z`).
    pub fn parse(s: &str) -> Result<CreatedSpec, CreatedError> {
        match s {
            "auto" => Ok(CreatedSpec::Auto),
            "now" => Ok(CreatedSpec::Now),
            "commit" => Ok(CreatedSpec::Commit),
            _ => OffsetDateTime::parse(s, &Rfc3339)
                .map(CreatedSpec::At)
                .map_err(|_| CreatedError::InvalidSpec(s.to_string())),
        }
    }
}

impl std::str::FromStr for CreatedSpec {
    type Err = CreatedError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CreatedSpec::parse(s)
    }
}

/// `YYYY-MM-DDTHH:MM:SS±HH:MM` in `t`'s own offset; sub-seconds dropped; UTC as `+00:00`.
pub fn format_created(t: OffsetDateTime) -> String {
    let fmt = format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second][offset_hour sign:mandatory]:[offset_minute]"
    );
    // Only fails for years outside 0..=9999 (not representable with the default time features)
    // or writer errors (impossible for a String); fall back to RFC 3339 rather than panicking.
    t.format(&fmt)
        .unwrap_or_else(|_| t.format(&Rfc3339).unwrap_or_default())
}

/// Parse SOURCE_DATE_EPOCH: ASCII digits only (no sign, space or fraction), as UTC.
pub fn from_source_date_epoch(v: &str) -> Result<OffsetDateTime, CreatedError> {
    let bad = |reason| CreatedError::SourceDateEpoch {
        value: v.to_string(),
        reason,
    };
    if v.is_empty() {
        return Err(bad("empty"));
    }
    if !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("not a decimal integer"));
    }
    let secs: i64 = v.parse().map_err(|_| bad("too large"))?;
    OffsetDateTime::from_unix_timestamp(secs).map_err(|_| bad("out of range"))
}

/// Decide the `created` label value (see the module header for the rules).
///
/// `now` is the caller's clock (pass [`now_local`]); it is only used for `now`, and for `auto` when
/// the tree is dirty or there is no commit.
pub fn resolve(
    spec: &CreatedSpec,
    source_date_epoch: Option<&str>,
    commit: Option<CommitTime>,
    now: OffsetDateTime,
) -> Result<String, CreatedError> {
    if let Some(v) = source_date_epoch {
        return Ok(format_created(from_source_date_epoch(v)?));
    }
    let commit_utc = |c: CommitTime| {
        OffsetDateTime::from_unix_timestamp(c.seconds)
            .map_err(|_| CreatedError::CommitOutOfRange(c.seconds))
    };
    let t = match spec {
        CreatedSpec::Now => now,
        CreatedSpec::At(t) => *t,
        CreatedSpec::Commit => commit_utc(commit.ok_or(CreatedError::NoCommit)?)?,
        CreatedSpec::Auto => match commit {
            Some(c) if c.clean => commit_utc(c)?,
            _ => now,
        },
    };
    Ok(format_created(t))
}

/// The current time in the local offset, or in UTC when the offset cannot be determined.
///
/// Why UTC: on Unix the `time` crate refuses to read the local offset once the process has more than
/// one thread (libc's `localtime_r` reads `TZ`, and a concurrent `setenv` would be undefined
/// behaviour), and it may also fail when the zone data is unreadable. A correct time in `+00:00` is
/// a valid `created` value; guessing an offset is not. Call this early in `main`, before threads start,
/// to get the local offset.
pub fn now_local() -> OffsetDateTime {
    OffsetDateTime::now_local().unwrap_or_else(|_| OffsetDateTime::now_utc())
}

/// `YYYY-MM-DDTHH:MM:SSZ` in UTC.
pub fn utc_timestamp(now: OffsetDateTime) -> String {
    let t = now.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn formats_with_explicit_offsets_never_z() {
        assert_eq!(
            format_created(datetime!(2020-09-12 09:53:06 +05:30)),
            "2020-09-12T09:53:06+05:30"
        );
        assert_eq!(
            format_created(datetime!(2020-09-12 00:23:06 -04:00)),
            "2020-09-12T00:23:06-04:00"
        );
        assert_eq!(
            format_created(datetime!(2020-09-12 04:23:06 UTC)),
            "2020-09-12T04:23:06+00:00"
        );
        // Sub-seconds are dropped, padding is kept.
        assert_eq!(
            format_created(datetime!(0999-01-02 03:04:05.987654 +00:00)),
            "0999-01-02T03:04:05+00:00"
        );
    }

    #[test]
    fn source_date_epoch_golden() {
        let t = from_source_date_epoch("1599884586").unwrap();
        assert_eq!(format_created(t), "2020-09-12T04:23:06+00:00");
        assert_eq!(
            format_created(from_source_date_epoch("0").unwrap()),
            "1970-01-01T00:00:00+00:00"
        );
    }

    #[test]
    fn source_date_epoch_malformed_is_an_error_naming_it() {
        for bad in [
            "",
            " 1599884586",
            "1599884586\n",
            "-1",
            "+1",
            "1.5",
            "abc",
            "1e9",
            "99999999999999999999",
            "999999999999",
        ] {
            let e = from_source_date_epoch(bad).unwrap_err();
            let msg = e.to_string();
            assert!(msg.starts_with("SOURCE_DATE_EPOCH="), "{msg}");
            assert!(msg.contains(&format!("{bad:?}")), "{msg}");
            assert!(!msg.contains('\n'), "{msg}");
        }
    }

    #[test]
    fn parses_specs() {
        assert_eq!(CreatedSpec::parse("auto").unwrap(), CreatedSpec::Auto);
        assert_eq!(CreatedSpec::parse("now").unwrap(), CreatedSpec::Now);
        assert_eq!(CreatedSpec::parse("commit").unwrap(), CreatedSpec::Commit);
        assert_eq!(
            CreatedSpec::parse("2020-09-12T00:23:06-04:00").unwrap(),
            CreatedSpec::At(datetime!(2020-09-12 00:23:06 -04:00))
        );
        assert_eq!(
            "2020-09-12T04:23:06Z".parse::<CreatedSpec>().unwrap(),
            CreatedSpec::At(datetime!(2020-09-12 04:23:06 UTC))
        );
        assert_eq!(CreatedSpec::default(), CreatedSpec::Auto);
    }

    #[test]
    fn bad_spec_names_value_and_valid_forms() {
        for bad in ["", "Auto", "yesterday", "2020-09-12", "2020-09-12 00:23:06"] {
            let e = CreatedSpec::parse(bad).unwrap_err();
            assert_eq!(e, CreatedError::InvalidSpec(bad.to_string()));
            let msg = e.to_string();
            assert!(msg.contains(&format!("{bad:?}")), "{msg}");
            assert!(msg.contains("auto, now, commit"), "{msg}");
        }
    }

    const NOW: OffsetDateTime = datetime!(2024-01-02 03:04:05 +05:30);
    const CLEAN: CommitTime = CommitTime {
        seconds: 1599884586,
        clean: true,
    };
    const DIRTY: CommitTime = CommitTime {
        seconds: 1599884586,
        clean: false,
    };

    #[test]
    fn source_date_epoch_wins_over_everything() {
        let at = CreatedSpec::At(datetime!(2001-01-01 00:00:00 UTC));
        for spec in [CreatedSpec::Auto, CreatedSpec::Now, CreatedSpec::Commit, at] {
            assert_eq!(
                resolve(&spec, Some("1599884586"), Some(DIRTY), NOW).unwrap(),
                "2020-09-12T04:23:06+00:00"
            );
            // Even without a commit, and `commit` does not complain.
            assert_eq!(
                resolve(&spec, Some("0"), None, NOW).unwrap(),
                "1970-01-01T00:00:00+00:00"
            );
            // Malformed is an error, not a fallback.
            assert!(matches!(
                resolve(&spec, Some("x"), Some(CLEAN), NOW),
                Err(CreatedError::SourceDateEpoch { .. })
            ));
        }
    }

    #[test]
    fn now_uses_given_clock_and_offset() {
        assert_eq!(
            resolve(&CreatedSpec::Now, None, Some(CLEAN), NOW).unwrap(),
            "2024-01-02T03:04:05+05:30"
        );
    }

    #[test]
    fn commit_is_utc_and_requires_a_commit() {
        assert_eq!(
            resolve(&CreatedSpec::Commit, None, Some(DIRTY), NOW).unwrap(),
            "2020-09-12T04:23:06+00:00"
        );
        let e = resolve(&CreatedSpec::Commit, None, None, NOW).unwrap_err();
        assert_eq!(e, CreatedError::NoCommit);
        assert!(e.to_string().contains("no commit"));
    }

    #[test]
    fn auto_is_commit_when_clean_else_now() {
        assert_eq!(
            resolve(&CreatedSpec::Auto, None, Some(CLEAN), NOW).unwrap(),
            "2020-09-12T04:23:06+00:00"
        );
        assert_eq!(
            resolve(&CreatedSpec::Auto, None, Some(DIRTY), NOW).unwrap(),
            "2024-01-02T03:04:05+05:30"
        );
        assert_eq!(
            resolve(&CreatedSpec::Auto, None, None, NOW).unwrap(),
            "2024-01-02T03:04:05+05:30"
        );
    }

    #[test]
    fn at_keeps_its_own_offset() {
        let spec = CreatedSpec::parse("2020-09-12T00:23:06.75-04:00").unwrap();
        assert_eq!(
            resolve(&spec, None, None, NOW).unwrap(),
            "2020-09-12T00:23:06-04:00"
        );
    }

    #[test]
    fn commit_out_of_range_is_an_error() {
        let c = CommitTime {
            seconds: i64::MAX,
            clean: true,
        };
        assert_eq!(
            resolve(&CreatedSpec::Commit, None, Some(c), NOW).unwrap_err(),
            CreatedError::CommitOutOfRange(i64::MAX)
        );
    }

    #[test]
    fn now_local_has_whole_second_format() {
        let s = format_created(now_local());
        assert_eq!(s.len(), "2020-09-12T04:23:06+00:00".len(), "{s}");
        assert!(!s.ends_with('Z'));
    }

    #[test]
    fn timestamp_is_utc_z() {
        let now = datetime!(2026-02-16 10:20:30 +02:00);
        assert_eq!(utc_timestamp(now), "2026-02-16T08:20:30Z");
        assert!(
            crate::container_schema::check_value("ds01.created_at", &utc_timestamp(now)).is_ok()
        );
    }
}
