//! The `docker create` passthrough arguments of `ds01-build create`: read the way docker's option
//! parser (pflag) reads them, against a table of `docker create` options, to find every place they
//! set labels or the container name; and the check that none sets a `ds01.*`/`aime.mlc*` label,
//! inline or in a `--label-file` ([`PassthroughFiles`]: read before planning, so the plan reads nothing).

use thiserror::Error;

use crate::container_schema;
use crate::docker_options::{flag, value, DockerOption, OptionTable};
use crate::labels;
pub use crate::passthrough_files::{Item, PassthroughFiles};

/// What is wrong with the passthrough arguments.
#[derive(Debug, Error)]
pub enum PassthroughError {
    #[error("passthrough argument {} sets label {}: ds01.* and aime.mlc* labels are written only by ds01-build create itself (use its flags)", crate::messages::quoted(.arg), crate::messages::quoted(.key))]
    ForgedLabel { arg: String, key: String },
    #[error("passthrough --label-file {file}:{line} sets label {}: ds01.* and aime.mlc* labels are written only by ds01-build create itself (use its flags)", crate::messages::quoted(.key))]
    ForgedLabelInFile {
        file: String,
        line: usize,
        key: String,
    },
    #[error("cannot read passthrough --label-file {file}: {error}")]
    LabelFile { file: String, error: String },
    #[error("passthrough argument {} sets the container name: use --name NAME (and --exact-name) instead", crate::messages::quoted(.arg))]
    PassthroughName { arg: String },
    #[error("passthrough option {flag} has no value: give it one, e.g. {flag}=VALUE")]
    MissingValue { flag: String },
    #[error("passthrough {} would be a second IMAGE (IMAGE {} is already given before --): give the image and its command once, after the docker options: ds01-build create [FLAGS] -- [OPTIONS...] IMAGE [COMMAND] [ARG...]", crate::messages::quoted(.arg), crate::messages::quoted(.image))]
    ImageTwice { image: String, arg: String },
    #[error("no IMAGE: write ds01-build create [FLAGS] -- [DOCKER_CREATE_OPTIONS...] IMAGE [COMMAND] [ARG...]")]
    NoImage,
    #[error("passthrough argument {} names {}'s home as {key}, which DS01 readers take as the owner: as {owner} use a path under your own home /home/{owner}/", crate::messages::quoted(.arg), crate::messages::quoted(.user))]
    ForeignHome {
        arg: String,
        key: String,
        user: String,
        owner: String,
    },
    #[error("passthrough --label-file {file}:{line} names {}'s home as {key}, which DS01 readers take as the owner: as {owner} use a path under your own home /home/{owner}/", crate::messages::quoted(.user))]
    ForeignHomeInFile {
        file: String,
        line: usize,
        key: String,
        user: String,
        owner: String,
    },
    #[error("passthrough option {flag} is unknown to ds01-build and followed by {}: write {flag}=VALUE (or {flag}=true)", crate::messages::quoted(.next))]
    AmbiguousOption { flag: String, next: String },
    #[error("passthrough argument {}: unknown short option -{letter}: use its long --form", crate::messages::quoted(.arg))]
    UnknownShort { arg: String, letter: char },
}

/// Where a passthrough argument sets labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelSource {
    /// `KEY[=VALUE]` given inline; `arg` is the argument as written (for messages).
    Inline { arg: String, label: String },
    /// `--label-file FILE`.
    File(String),
}

/// What the scanner does with a `docker create` option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Nothing: passed to docker as given.
    Pass,
    /// `--name`: refused (the name is `--name`'s).
    Name,
    /// `--label`/`-l`: a label source.
    Label,
    /// `--label-file`: a file of labels.
    LabelFile,
}

use Action::{Label, LabelFile, Name, Pass};

const fn v(long: &'static str) -> DockerOption<Action> {
    value(long, None, Pass)
}

const fn b(long: &'static str) -> DockerOption<Action> {
    flag(long, None, Pass)
}

/// `docker create` options (docker 28 and 20.10, hidden aliases included).
#[rustfmt::skip]
pub const CREATE_OPTIONS: OptionTable<Action> = OptionTable(&[
    v("add-host"), v("annotation"), value("attach", Some('a'), Pass), v("blkio-weight"),
    v("blkio-weight-device"), v("cap-add"), v("cap-drop"), v("cgroup-parent"), v("cgroupns"),
    v("cidfile"), v("cpu-count"), v("cpu-percent"), v("cpu-period"), v("cpu-quota"),
    v("cpu-rt-period"), v("cpu-rt-runtime"), value("cpu-shares", Some('c'), Pass), v("cpus"),
    v("cpuset-cpus"), v("cpuset-mems"), v("credentialspec"), v("detach-keys"), v("device"),
    v("device-cgroup-rule"), v("device-read-bps"), v("device-read-iops"), v("device-write-bps"),
    v("device-write-iops"), v("dns"), v("dns-opt"), v("dns-option"), v("dns-search"),
    v("domainname"), v("entrypoint"), value("env", Some('e'), Pass), v("env-file"), v("expose"),
    v("gpus"), v("group-add"), v("health-cmd"), v("health-interval"), v("health-retries"),
    v("health-start-interval"), v("health-start-period"), v("health-timeout"),
    value("hostname", Some('h'), Pass), v("io-maxbandwidth"), v("io-maxiops"), v("ip"), v("ip6"),
    v("ipc"), v("isolation"), v("kernel-memory"), value("label", Some('l'), Label),
    value("label-file", None, LabelFile), v("link"), v("link-local-ip"), v("log-driver"),
    v("log-opt"), v("mac-address"), value("memory", Some('m'), Pass), v("memory-reservation"),
    v("memory-swap"), v("memory-swappiness"), v("mount"), value("name", None, Name), v("net"),
    v("net-alias"), v("network"), v("network-alias"), v("oom-score-adj"), v("pid"),
    v("pids-limit"), v("platform"), value("publish", Some('p'), Pass), v("pull"), v("restart"),
    v("runtime"), v("security-opt"), v("shm-size"), v("stop-signal"), v("stop-timeout"),
    v("storage-opt"), v("sysctl"), v("tmpfs"), v("ulimit"), value("user", Some('u'), Pass),
    v("userns"), v("uts"), value("volume", Some('v'), Pass), v("volume-driver"), v("volumes-from"),
    value("workdir", Some('w'), Pass),
    b("disable-content-trust"), b("help"), b("init"), flag("interactive", Some('i'), Pass),
    b("no-healthcheck"), b("oom-kill-disable"), b("privileged"), flag("publish-all", Some('P'), Pass),
    flag("quiet", Some('q'), Pass), b("read-only"), b("rm"), flag("tty", Some('t'), Pass),
    b("use-api-socket"),
]);

/// The passthrough read: where it sets labels, and where its operands (`IMAGE [COMMAND] [ARG...]`)
/// start.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scanned {
    pub labels: Vec<LabelSource>,
    /// The options, as given (a `--` ending them is left out).
    pub options: Vec<String>,
    /// `IMAGE [COMMAND] [ARG...]`: everything from the first non-option on, byte-exact.
    pub operands: Vec<String>,
    /// Every option, in order, with its name and value (what the policy and the file conversion
    /// read): together their `args` are `options`.
    pub items: Vec<Item>,
}

/// Read passthrough `docker create` arguments the way docker's option parser (pflag, not
/// interspersed) does: options up to the first non-option (or after a `--`), which is the image;
/// the rest is the command, never looked at. Returns every place the options set labels. Refuses a
/// container name (`--name`), options missing their value, unknown short options, and an unknown
/// long option followed by a non-option (it may or may not take that as its value: the caller must
/// write `--opt=VALUE`).
pub fn scan(args: &[String]) -> Result<Scanned, PassthroughError> {
    let mut found = Vec::new();
    let mut items = Vec::new();
    let mut i = 0;
    let mut end = args.len();
    let mut operands_at = args.len();
    while i < args.len() {
        let start = i;
        let arg = &args[i];
        i += 1;
        // The argument as written, with its separate value if it took one.
        let written = |end: usize| args[start..end].join(" ");
        if let Some(long) = arg.strip_prefix("--") {
            if long.is_empty() {
                (end, operands_at) = (start, i);
                break;
            }
            let (opt, inline) = match long.split_once('=') {
                Some((opt, value)) => (opt, Some(value.to_string())),
                None => (long, None),
            };
            let known = CREATE_OPTIONS.long(opt);
            let value = match inline {
                Some(value) => Some(value),
                None if known.is_some_and(|o| o.takes_value) => match args.get(i) {
                    Some(next) => {
                        i += 1;
                        Some(next.clone())
                    }
                    None => {
                        return Err(PassthroughError::MissingValue {
                            flag: format!("--{opt}"),
                        })
                    }
                },
                None => {
                    // A known boolean, or an unknown option: an unknown one must not be followed by
                    // a non-option (is it its value or a positional?) nor end the list (it could
                    // take ds01-build's next argument as its value).
                    if known.is_none() {
                        match args.get(i) {
                            Some(next) if next.starts_with('-') && next != "-" => {}
                            next => {
                                return Err(PassthroughError::AmbiguousOption {
                                    flag: format!("--{opt}"),
                                    next: next
                                        .cloned()
                                        .unwrap_or_else(|| "ds01-build's own arguments".into()),
                                })
                            }
                        }
                    }
                    None
                }
            };
            let action = known.map_or(Pass, |o| o.action);
            items.push(Item {
                long: known.map_or(opt, |o| o.long).to_string(),
                known: known.is_some(),
                value: value.clone(),
                args: args[start..i].to_vec(),
                written: written(i),
            });
            act(action, written(i), value, &mut found)?;
        } else if let Some(shorts) = arg.strip_prefix('-').filter(|s| !s.is_empty()) {
            // A group like -it, -itl k=v, -lk=v, -l=k=v: one item per letter, the first holding
            // the group's arguments.
            let first = items.len();
            for (pos, letter) in shorts.char_indices() {
                let Some(opt) = CREATE_OPTIONS.short(letter) else {
                    return Err(PassthroughError::UnknownShort {
                        arg: arg.clone(),
                        letter,
                    });
                };
                let mut item = Item {
                    long: opt.long.to_string(),
                    known: true,
                    value: None,
                    args: Vec::new(),
                    written: String::new(),
                };
                if !opt.takes_value {
                    items.push(item);
                    continue;
                }
                let rest = &shorts[pos + letter.len_utf8()..];
                let value = if !rest.is_empty() {
                    rest.strip_prefix('=').unwrap_or(rest).to_string()
                } else if let Some(next) = args.get(i) {
                    i += 1;
                    next.clone()
                } else {
                    return Err(PassthroughError::MissingValue {
                        flag: format!("-{letter}"),
                    });
                };
                item.value = Some(value.clone());
                items.push(item);
                act(opt.action, written(i), Some(value), &mut found)?;
                break;
            }
            for item in &mut items[first..] {
                item.written = written(i);
            }
            items[first].args = args[start..i].to_vec();
        } else {
            (end, operands_at) = (start, start);
            break;
        }
    }
    Ok(Scanned {
        labels: found,
        options: args[..end].to_vec(),
        operands: args[operands_at..].to_vec(),
        items,
    })
}

/// Do what `action` says for an option written as `arg` with `value`.
fn act(
    action: Action,
    arg: String,
    value: Option<String>,
    found: &mut Vec<LabelSource>,
) -> Result<(), PassthroughError> {
    match (action, value) {
        (Name, _) => return Err(PassthroughError::PassthroughName { arg }),
        (Label, Some(label)) => found.push(LabelSource::Inline { arg, label }),
        (LabelFile, Some(file)) => found.push(LabelSource::File(file)),
        _ => {}
    }
    Ok(())
}

/// The key of a label argument: up to the first `=`.
fn label_key(label: &str) -> &str {
    label.split_once('=').map_or(label, |(key, _)| key)
}

/// Refuse any label source that sets a reserved key, in argument order; `files` holds the text of
/// every `--label-file` among them.
pub fn check_label_sources(
    sources: &[LabelSource],
    files: &PassthroughFiles,
) -> Result<(), PassthroughError> {
    for source in sources {
        match source {
            LabelSource::Inline { arg, label } => {
                let key = label_key(label);
                if container_schema::is_reserved_key(key) {
                    return Err(PassthroughError::ForgedLabel {
                        arg: arg.clone(),
                        key: key.into(),
                    });
                }
            }
            LabelSource::File(file) => {
                let read = files
                    .0
                    .get(file)
                    .ok_or_else(|| PassthroughError::LabelFile {
                        file: file.clone(),
                        error: "not read before planning".into(),
                    })?;
                let text = read.as_ref().map_err(|error| PassthroughError::LabelFile {
                    file: file.clone(),
                    error: error.clone(),
                })?;
                check_label_file(file, text)?;
            }
        }
    }
    Ok(())
}

/// Refuse, for a caller who may not name another owner (`privileged` false: not root, not an
/// admin), any label source whose [`container_schema::HOME_PATH_OWNER_KEYS`] value names another
/// user's `/home/X` than `owner`'s: DS01's trackers take X as the owner.
pub fn check_owner_evidence(
    sources: &[LabelSource],
    files: &PassthroughFiles,
    owner: &str,
    privileged: bool,
) -> Result<(), PassthroughError> {
    if privileged {
        return Ok(());
    }
    let foreign = |key: &str, value: &str| -> Option<String> {
        if !container_schema::HOME_PATH_OWNER_KEYS.contains(&key) {
            return None;
        }
        container_schema::home_owner(value)
            .filter(|user| *user != owner)
            .map(str::to_string)
    };
    for source in sources {
        match source {
            LabelSource::Inline { arg, label } => {
                let (key, value) = label.split_once('=').unwrap_or((label, ""));
                if let Some(user) = foreign(key, value) {
                    return Err(PassthroughError::ForeignHome {
                        arg: arg.clone(),
                        key: key.into(),
                        user,
                        owner: owner.into(),
                    });
                }
            }
            LabelSource::File(file) => {
                let Some(Ok(text)) = files.0.get(file) else {
                    continue; // check_label_sources reports it
                };
                for line in labels::parse_label_lines(text) {
                    if let Some(user) = foreign(line.key, line.value.unwrap_or("")) {
                        return Err(PassthroughError::ForeignHomeInFile {
                            file: file.clone(),
                            line: line.line,
                            key: line.key.into(),
                            user,
                            owner: owner.into(),
                        });
                    }
                }
            }
        }
    }
    Ok(())
}

/// Check a label file as docker reads it ([`labels::parse_label_lines`]): no line may set a reserved
/// key.
pub fn check_label_file(file: &str, text: &str) -> Result<(), PassthroughError> {
    match labels::parse_label_lines(text)
        .into_iter()
        .find(|l| container_schema::is_reserved_key(l.key))
    {
        Some(forged) => Err(PassthroughError::ForgedLabelInFile {
            file: file.into(),
            line: forged.line,
            key: forged.key.into(),
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(argv: &[&str]) -> Result<Vec<LabelSource>, PassthroughError> {
        scanned(argv).map(|s| s.labels)
    }

    fn scanned(argv: &[&str]) -> Result<Scanned, PassthroughError> {
        super::scan(&argv.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    fn inline(arg: &str, label: &str) -> LabelSource {
        LabelSource::Inline {
            arg: arg.into(),
            label: label.into(),
        }
    }

    #[test]
    fn passthrough_label_forms() {
        let found = scan(&[
            "--label",
            "a=1",
            "--label=b=2",
            "-l",
            "c=3",
            "-ld=4",
            "-l=e=5",
            "-itl",
            "f=6",
            "-itlg=7",
            "--label-file",
            "F1",
            "--label-file=F2",
            "-e",
            "--label=not-a-label",
            "--env=X=1",
            "-P",
        ])
        .unwrap();
        assert_eq!(
            found,
            [
                inline("--label a=1", "a=1"),
                inline("--label=b=2", "b=2"),
                inline("-l c=3", "c=3"),
                inline("-ld=4", "d=4"),
                inline("-l=e=5", "e=5"),
                inline("-itl f=6", "f=6"),
                inline("-itlg=7", "g=7"),
                LabelSource::File("F1".into()),
                LabelSource::File("F2".into()),
            ]
        );
        // A value-taking short option swallows the rest of its group: -el is env "l...".
        assert_eq!(scan(&["-elds01.user=x"]).unwrap(), []);
    }

    #[test]
    fn passthrough_structure_errors() {
        let cases: &[(&[&str], &str)] = &[
            (&["--name", "x"], "sets the container name"),
            (&["--name=x"], "sets the container name"),
            (&["--label"], "passthrough option --label has no value"),
            (&["-l"], "option -l has no value"),
            (&["--frobnicate", "x"], "write --frobnicate=VALUE"),
            (&["--frobnicate"], "write --frobnicate=VALUE"),
            (&["-Z"], "unknown short option -Z"),
        ];
        for (argv, needle) in cases {
            let e = scan(argv).unwrap_err().to_string();
            assert!(e.contains(needle), "{argv:?}: {e}");
        }
        assert!(
            scan(&["--frobnicate", "--rm", "--frobnicate=1", "--rm=false"])
                .unwrap()
                .is_empty()
        );
        assert!(scan(&["--env", "--label=ds01.user=x"]).unwrap().is_empty());
    }

    /// The first non-option is the image (after `--` too), the rest the command, byte-exact and
    /// never scanned; options before it are read with their values.
    #[test]
    fn operands_split_image_and_command() {
        let rocm = "sudo chown root:video /dev/kfd; sudo chown -R root:video /dev/dri; bash";
        let s = scanned(&[
            "-it",
            "-v",
            "/a:/b",
            "-w",
            "/workspace",
            "--gpus",
            "device=MIG-1",
            "--runtime=nvidia",
            "-e",
            "X=1",
            "--shm-size",
            "16g",
            "img:1",
            "bash",
            "-c",
            rocm,
            "--label",
            "ds01.user=x",
        ])
        .unwrap();
        assert_eq!(s.options.len(), 12);
        assert_eq!(
            s.operands,
            ["img:1", "bash", "-c", rocm, "--label", "ds01.user=x"]
        );
        assert!(s.labels.is_empty());
        let s = scanned(&["--rm", "--", "-img", "x"]).unwrap();
        assert_eq!(
            (s.options, s.operands),
            (
                vec!["--rm".to_string()],
                vec!["-img".to_string(), "x".to_string()]
            )
        );
        // A value that looks like an image is the option's value, not the image.
        let s = scanned(&["--user", "1001:1001", "--network", "host", "img"]).unwrap();
        assert_eq!(s.operands, ["img"]);
        assert!(scanned(&["-it"]).unwrap().operands.is_empty());
    }

    /// A non-root caller's devcontainer/compose paths must name their own home; root's anything.
    #[test]
    fn home_paths_of_other_users_are_refused_for_non_root() {
        let check = |argv: &[&str], root: bool| {
            let s = scanned(argv).unwrap();
            check_owner_evidence(&s.labels, &PassthroughFiles::default(), "alice", root)
        };
        for bad in [
            "devcontainer.local_folder=/home/bob/proj",
            "com.docker.compose.project.working_dir=/home/bob",
            "devcontainer.local_folder=/home//x",
            "devcontainer.local_folder=/home/alice2/p",
        ] {
            let e = check(&["-l", bad], false).unwrap_err().to_string();
            assert!(e.contains("home as"), "{bad}: {e}");
            assert!(check(&["-l", bad], true).is_ok(), "{bad}");
        }
        let e = check(&["--label", "devcontainer.local_folder=/home/bob/p"], false)
            .unwrap_err()
            .to_string();
        assert_eq!(e, "passthrough argument \"--label devcontainer.local_folder=/home/bob/p\" names \"bob\"'s home as devcontainer.local_folder, which DS01 readers take as the owner: as alice use a path under your own home /home/alice/");
        for good in [
            "devcontainer.local_folder=/home/alice/proj",
            "devcontainer.local_folder=/srv/x",
            "devcontainer.workspaceFolder=/home/bob",
            "com.docker.compose.project=bob",
        ] {
            assert!(check(&["-l", good], false).is_ok(), "{good}");
        }
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("l");
        std::fs::write(
            &file,
            "a=1\ncom.docker.compose.project.working_dir=/home/bob/x\n",
        )
        .unwrap();
        let argv = vec!["--label-file".to_string(), file.display().to_string()];
        let s = super::scan(&argv).unwrap();
        let e = check_owner_evidence(&s.labels, &PassthroughFiles::read(&argv), "alice", false)
            .unwrap_err()
            .to_string();
        assert!(e.contains(":2 names \"bob\"'s home"), "{e}");
    }

    #[test]
    fn label_files_are_checked_as_docker_reads_them() {
        // Docker drops a BOM and keys without '=' are labels too.
        assert!(check_label_file("f", "\u{feff}ds01.user=x").is_err());
        assert!(check_label_file("f", "ds01.managed").is_err());
    }

    #[test]
    fn label_files_are_read_once_before_planning() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("l");
        std::fs::write(&file, "a=1\n").unwrap();
        let file = file.to_str().unwrap().to_string();
        let args = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let files = PassthroughFiles::read(&args(&[
            "--label-file",
            &file,
            "--label-file=/nonexistent/x",
        ]));
        assert_eq!(files.0[&file], Ok("a=1\n".to_string()));
        assert!(files.0["/nonexistent/x"].is_err());
        // Arguments the scanner refuses name no file; the command after the image is not read.
        assert_eq!(
            PassthroughFiles::read(&args(&["--label-file", &file, "--name", "x"])),
            PassthroughFiles::default()
        );
        assert_eq!(
            PassthroughFiles::read(&args(&["img", "--label-file", &file])),
            PassthroughFiles::default()
        );
    }
}
