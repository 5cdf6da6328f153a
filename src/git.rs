//! Git facts for labels, read through gix (never the `git` binary): origin URL, HEAD revision,
//! HEAD commit time, and whether the work tree is dirty; plus remote-URL normalisation.
//!
//! Rules:
//! - [`discover`] searches upwards from a path (the build context); `Ok(None)` when there is no
//!   repository. Shallow clones, detached HEAD and unborn branches work (the latter gives no
//!   revision and no commit time).
//! - `origin_url` is the configured `remote.origin.url` as written (not rewritten by `insteadOf`, which
//!   is local configuration, often a push-over-ssh rewrite), passed through [`normalize_remote_url`].
//! - `dirty` means tracked changes: HEAD tree vs index, or index vs work tree (gix's `is_dirty`, the
//!   same notion as `git describe --dirty`). **Untracked files do not make the tree dirty**: a stray
//!   build output or editor file should not turn a reproducible `created` into "now"; files that
//!   matter to an image are committed. Bare repositories are never dirty.
//! - Only the repository's own configuration is read (gix's isolated mode): no system or global git
//!   config and no `GIT_*` environment, so a build's labels do not depend on who runs it.

use std::path::{Path, PathBuf};

use thiserror::Error;

/// What the build labels need to know about the repository around the build context.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GitInfo {
    /// The work tree root; `None` for a bare repository.
    pub workdir: Option<PathBuf>,
    /// `remote.origin.url`, normalised to a web URL without credentials (see [`normalize_remote_url`]).
    pub origin_url: Option<String>,
    /// Full hex id of the HEAD commit; `None` on an unborn branch.
    pub revision: Option<String>,
    /// Unix seconds of the HEAD commit's committer time; `None` on an unborn branch.
    pub commit_time: Option<i64>,
    /// Tracked changes in the index or work tree (untracked files are ignored).
    pub dirty: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum GitError {
    #[error("cannot open the git repository around {}: {message}", path.display())]
    Open { path: PathBuf, message: String },
    #[error("git repository {}: cannot read {what}: {message}", path.display())]
    Read {
        path: PathBuf,
        what: &'static str,
        message: String,
    },
}

/// Find the repository containing `path` and read its facts; `Ok(None)` when `path` is in no repository.
pub fn discover(path: &Path) -> Result<Option<GitInfo>, GitError> {
    let repo = match open_isolated(path) {
        Ok(repo) => repo,
        Err(e) if is_not_a_repository(&e) => return Ok(None),
        Err(e) => {
            return Err(GitError::Open {
                path: path.to_path_buf(),
                message: one_line(&e),
            })
        }
    };
    let read_err = |what: &'static str| {
        let path = repo.git_dir().to_path_buf();
        move |e: gix::Error| GitError::Read {
            path,
            what,
            message: one_line(&e),
        }
    };

    let origin_url = repo
        .config_snapshot()
        .string("remote.origin.url")
        .map(|url| normalize_remote_url(&url.to_string()));

    let head_id = repo
        .head()
        .and_then(|head| head.try_into_peeled_id())
        .map_err(read_err("HEAD"))?;
    let (revision, commit_time, head_tree) = match head_id {
        None => (None, None, None),
        Some(id) => {
            let (time, tree) = repo
                .find_commit(id)
                .and_then(|commit| Ok((commit.time()?, commit.tree_id()?.detach())))
                .map_err(read_err("the HEAD commit"))?;
            (Some(id.to_string()), Some(time.seconds), Some(tree))
        }
    };

    let workdir = repo.workdir().map(Path::to_path_buf);
    let dirty = if workdir.is_some() {
        is_dirty(&repo, head_tree).map_err(read_err("the work tree status"))?
    } else {
        false
    };

    Ok(Some(GitInfo {
        workdir,
        origin_url,
        revision,
        commit_time,
        dirty,
    }))
}

/// Tracked changes: HEAD's tree vs the index (staged), or the index vs the work tree.
///
/// The staged half is the expensive one (it reads every tree object of HEAD). When the index's
/// cache-tree extension is valid for all entries and names HEAD's tree, the index holds exactly
/// HEAD's tree, as git itself trusts it, and only the work tree needs checking. Without a usable
/// cache-tree this is gix's full `is_dirty`.
fn is_dirty(repo: &gix::Repository, head_tree: Option<gix::ObjectId>) -> gix::Result<bool> {
    let Some(head_tree) = head_tree else {
        return repo.is_dirty(); // unborn HEAD: anything in the index is a change
    };
    let index = repo.index_or_empty()?;
    let entries = u32::try_from(index.entries().len()).ok();
    let index_is_head = index.tree().is_some_and(|root| {
        root.num_entries.is_some() && root.num_entries == entries && root.id == head_tree
    });
    if !index_is_head {
        return repo.is_dirty();
    }
    if let Some(workdir) = repo.workdir() {
        if worktree_matches_index_stat(workdir, &index) {
            return Ok(false);
        }
    }
    let mut changes = repo
        .status(gix::progress::Discard)?
        .index(index.into())
        .index_worktree_rewrites(None)
        .index_worktree_submodules(gix::status::Submodule::AsConfigured { check_dirty: true })
        .index_worktree_options_mut(|opts| opts.dirwalk_options = None)
        .into_index_worktree_iter(Vec::new())?;
    Ok(changes.next().is_some_and(|change| change.is_ok()))
}

/// Git's refresh fast path: every index entry's recorded stat (size, times, inode, ...) still matches
/// its file, so no file changed. `false` means only "stat cannot tell" (a changed or missing file, a
/// racily-clean entry written in the same second as the index, a submodule, a conflict or a
/// skip-worktree/intent-to-add entry): the caller then compares contents.
fn worktree_matches_index_stat(workdir: &Path, index: &gix::index::File) -> bool {
    use gix::index::entry::{stat, Flags, Mode, Stat};
    let options = stat::Options::default();
    let index_time = index.timestamp();
    index.entries().iter().all(|entry| {
        let plain = matches!(
            entry.mode,
            Mode::FILE | Mode::FILE_EXECUTABLE | Mode::SYMLINK
        ) && entry.stage_raw() == 0
            && !entry
                .flags
                .intersects(Flags::SKIP_WORKTREE | Flags::INTENT_TO_ADD | Flags::ASSUME_VALID);
        if !plain || entry.stat.is_racy(index_time, options) {
            return false;
        }
        let Ok(path) = gix::path::from_bstr(entry.path(index)) else {
            return false;
        };
        gix::index::fs::Metadata::from_path_no_follow(&workdir.join(path))
            .ok()
            .and_then(|meta| Stat::from_fs(&meta).ok())
            .is_some_and(|now| entry.stat.matches(&now, options))
    })
}

/// Find and open the repository containing `path`, reading only the repository's own configuration:
/// no system or global git config and no `GIT_*` environment, so the labels of a build do not
/// depend on who runs it (and opening is cheaper).
///
/// The index is read without checking its trailing checksum (`index.skipHash`), as git itself
/// reads it (only `git fsck` verifies it): hashing the whole index was a tenth of a dry run.
fn open_isolated(path: &Path) -> gix::Result<gix::Repository> {
    let options = || gix::open::Options::isolated().config_overrides(["index.skipHash=true"]);
    let isolated = gix::sec::trust::Mapping {
        full: options(),
        reduced: options(),
    };
    gix::ThreadSafeRepository::discover_opts(path, Default::default(), isolated)
        .map(gix::Repository::from)
}

/// True when discovery failed only because no repository was found (not for broken ones).
fn is_not_a_repository(e: &gix::Error) -> bool {
    use gix::discover::upwards::Error as U;
    matches!(
        e.downcast_any_ref::<U>(),
        Some(
            U::NoGitRepository { .. }
                | U::NoGitRepositoryWithinCeiling { .. }
                | U::NoGitRepositoryWithinFs { .. }
        )
    )
}

fn one_line(e: &dyn std::fmt::Display) -> String {
    e.to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Turn a remote URL into a web URL for labels, never keeping credentials.
///
/// - scp-like `[user@]host:path` (`git@github.com:O/R.git`) → `https://host/path`
/// - `ssh://`, `git+ssh://`, `ssh+git://`, `git://` → `https://host/path`; user and port dropped
///   (an ssh or git-daemon port says nothing about the web server's port)
/// - `http://` and `https://` keep their scheme and port; `user:token@` is dropped
/// - any other `scheme://` URL: only `user:password@` is dropped
/// - then a trailing `/` and `.git` are removed (`/O/R.git/` → `/O/R`)
/// - local paths and unknown forms are returned unchanged
/// - the result is trimmed like the input, so normalising twice changes nothing
pub fn normalize_remote_url(url: &str) -> String {
    normalize(url.trim()).trim().to_string()
}

fn normalize(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        let scheme_lc = scheme.to_ascii_lowercase();
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        // Credentials end at the LAST '@' of the authority (a raw '@' in a token is still dropped).
        let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let (out_scheme, host) = match scheme_lc.as_str() {
            "ssh" | "git+ssh" | "ssh+git" | "git" => ("https", strip_port(host_port)),
            "http" | "https" => (scheme_lc.as_str(), host_port),
            "file" => return url.to_string(),
            _ => return format!("{scheme}://{host_port}{path}"),
        };
        if host.is_empty() {
            return url.to_string();
        }
        return format!("{out_scheme}://{host}{}", trim_repo_suffix(path));
    }
    if let Some((host, path)) = scp_like(url) {
        let path = path.trim_start_matches('/');
        let path = trim_repo_suffix(path);
        return if path.is_empty() {
            format!("https://{host}")
        } else {
            format!("https://{host}/{path}")
        };
    }
    url.to_string()
}

/// `[user@]host:path` as git understands it: no `://`, and no `/` before the first `:`.
/// Single-letter hosts are refused (`C:/repo` is a Windows path).
fn scp_like(url: &str) -> Option<(&str, &str)> {
    let (before, path) = url.split_once(':')?;
    if before.contains('/') || before.contains('\\') {
        return None;
    }
    let host = before.rsplit_once('@').map_or(before, |(_, h)| h);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.len() < 2 || path.is_empty() {
        return None;
    }
    Some((host, path))
}

/// Drop `:port` from `host:port` (IPv6 `[::1]:22` keeps its brackets).
fn strip_port(host_port: &str) -> &str {
    if let Some(end) = host_port.find(']') {
        return &host_port[..=end];
    }
    host_port.split_once(':').map_or(host_port, |(h, _)| h)
}

/// Remove trailing `/`s, whitespace and one `.git` (repeatedly, for `x.git/`).
fn trim_repo_suffix(path: &str) -> &str {
    let mut p = path;
    loop {
        let next = p.trim_end_matches(|c: char| c == '/' || c.is_whitespace());
        let next = next.strip_suffix(".git").unwrap_or(next);
        if next == p {
            return p;
        }
        p = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn normalises_remote_urls() {
        let cases = [
            ("git@github.com:O/R.git", "https://github.com/O/R"),
            ("git@github.com:O/R", "https://github.com/O/R"),
            ("github.com:O/R.git/", "https://github.com/O/R"),
            ("ssh://git@host:22/O/R.git", "https://host/O/R"),
            ("ssh://host/O/R", "https://host/O/R"),
            ("git+ssh://git@host:2222/O/R.git", "https://host/O/R"),
            ("ssh://git@[::1]:22/O/R.git", "https://[::1]/O/R"),
            ("https://user:token@host/O/R.git", "https://host/O/R"),
            ("https://tok@en:x@host/O/R.git", "https://host/O/R"),
            (
                "https://x-access-token:ghp_abc@github.com/O/R",
                "https://github.com/O/R",
            ),
            ("https://host:8443/O/R.git", "https://host:8443/O/R"),
            ("http://host/O/R.git", "http://host/O/R"),
            ("HTTPS://github.com/O/R.git", "https://github.com/O/R"),
            ("git://host/O/R", "https://host/O/R"),
            ("git://host:9418/O/R.git", "https://host/O/R"),
            ("https://github.com/O/R/", "https://github.com/O/R"),
            ("https://github.com/O/R.git/", "https://github.com/O/R"),
            ("  https://github.com/O/R.git\n", "https://github.com/O/R"),
            ("ftp://u:p@host/O/R.git", "ftp://host/O/R.git"),
            // Local paths and unknown forms stay as they are.
            ("/srv/git/R.git", "/srv/git/R.git"),
            ("../R", "../R"),
            ("./a:b", "./a:b"),
            ("file:///srv/git/R.git", "file:///srv/git/R.git"),
            ("C:/repos/R", "C:/repos/R"),
            ("R", "R"),
        ];
        for (input, want) in cases {
            assert_eq!(normalize_remote_url(input), want, "input {input:?}");
        }
    }

    #[test]
    fn credentials_never_survive() {
        for input in [
            "https://user:s3cret@host/O/R.git",
            "http://s3cret@host/O/R",
            "ssh://user:s3cret@host:22/O/R",
            "git://s3cret@host/O/R",
            "weird://user:s3cret@host/x",
        ] {
            let out = normalize_remote_url(input);
            assert!(!out.contains("s3cret"), "{input} -> {out}");
        }
    }

    /// Found by the git_url fuzz target: a result ending in whitespace (a space before `.git`, a
    /// control-character host ending in a tab) changed when normalised again.
    #[test]
    fn normalising_twice_changes_nothing() {
        for (input, want) in [
            ("https://host/O/R .git", "https://host/O/R"),
            ("\u{1}x\t\n:/", "https://\u{1}x"),
            ("ab:O/R\t.git", "https://ab/O/R"),
            ("\u{f}D:\n\n///", "https://\u{f}D"),
            ("https://host/O/R/\n/", "https://host/O/R"),
        ] {
            let out = normalize_remote_url(input);
            assert_eq!(out, want, "input {input:?}");
            assert_eq!(normalize_remote_url(&out), out, "input {input:?}");
        }
    }

    // ---- real repositories made with the git binary (allowed in tests only) ----

    const DATE: &str = "2020-09-12T00:23:06-04:00";
    const DATE_SECS: i64 = 1_599_884_586;

    fn git(dir: &Path, args: &[&str]) -> String {
        let out = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "T")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "T")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .env("GIT_AUTHOR_DATE", DATE)
            .env("GIT_COMMITTER_DATE", DATE)
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    /// A repository with one commit of `a.txt`.
    fn repo_with_commit() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        git(p, &["init", "-q", "-b", "main"]);
        std::fs::write(p.join("a.txt"), "a\n").unwrap();
        std::fs::create_dir(p.join("sub")).unwrap();
        std::fs::write(p.join("sub/b.txt"), "b\n").unwrap();
        git(p, &["add", "."]);
        git(p, &["commit", "-q", "-m", "one"]);
        dir
    }

    fn info(path: &Path) -> GitInfo {
        discover(path).unwrap().expect("a repository")
    }

    #[test]
    fn clean_repo() {
        let dir = repo_with_commit();
        let head = git(dir.path(), &["rev-parse", "HEAD"]);
        let i = info(dir.path());
        assert_eq!(i.revision.as_deref(), Some(head.as_str()));
        assert_eq!(head.len(), 40);
        assert_eq!(i.commit_time, Some(DATE_SECS));
        assert!(!i.dirty);
        assert_eq!(i.origin_url, None);
        assert_eq!(
            i.workdir.unwrap().canonicalize().unwrap(),
            dir.path().canonicalize().unwrap()
        );
        // Discovered from a subdirectory too.
        let sub = info(&dir.path().join("sub"));
        assert_eq!(sub.revision.as_deref(), Some(head.as_str()));
        assert!(!sub.dirty);
    }

    #[test]
    fn dirty_work_tree_and_index() {
        let dir = repo_with_commit();
        let p = dir.path();
        std::fs::write(p.join("sub/b.txt"), "changed\n").unwrap();
        assert!(info(p).dirty, "modified tracked file");
        git(p, &["add", "sub/b.txt"]);
        assert!(info(p).dirty, "staged change");
        git(p, &["commit", "-q", "-m", "two"]);
        assert!(!info(p).dirty, "committed");
        std::fs::remove_file(p.join("a.txt")).unwrap();
        assert!(info(p).dirty, "deleted tracked file");
    }

    /// Backdate every tracked file and let git rewrite the index, so no entry is racily clean and
    /// the stat fast path decides.
    fn settle(p: &Path) {
        for f in ["a.txt", "sub/b.txt"] {
            let file = std::fs::File::options()
                .write(true)
                .open(p.join(f))
                .unwrap();
            file.set_modified(
                std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_600_000_000),
            )
            .unwrap();
        }
        git(p, &["update-index", "--really-refresh"]);
    }

    fn index_of(p: &Path) -> gix::index::File {
        let repo = open_isolated(p).unwrap();
        repo.open_index().unwrap()
    }

    #[test]
    fn stat_fast_path_decides_a_settled_clean_tree() {
        let dir = repo_with_commit();
        let p = dir.path();
        settle(p);
        assert!(worktree_matches_index_stat(p, &index_of(p)));
        assert!(!info(p).dirty);

        // A change of content (and size) is seen by stat, and confirmed dirty by the full check.
        std::fs::write(p.join("sub/b.txt"), "changed\n").unwrap();
        assert!(!worktree_matches_index_stat(p, &index_of(p)));
        assert!(info(p).dirty);

        // A deleted file is not a stat match either.
        settle_after(p, "sub/b.txt");
        std::fs::remove_file(p.join("a.txt")).unwrap();
        assert!(!worktree_matches_index_stat(p, &index_of(p)));
        assert!(info(p).dirty);
    }

    /// Restore `file` from HEAD and settle the tree again.
    fn settle_after(p: &Path, file: &str) {
        git(p, &["checkout", "-q", "--", file]);
        settle(p);
        assert!(!info(p).dirty);
    }

    #[test]
    fn untracked_files_are_not_dirty() {
        let dir = repo_with_commit();
        std::fs::write(dir.path().join("new.txt"), "x\n").unwrap();
        std::fs::write(dir.path().join("sub/new.txt"), "x\n").unwrap();
        assert!(!info(dir.path()).dirty);
    }

    #[test]
    fn origin_remote_is_normalised() {
        let dir = repo_with_commit();
        let p = dir.path();
        git(
            p,
            &[
                "remote",
                "add",
                "origin",
                "https://me:ghp_token@github.com/O/R.git",
            ],
        );
        git(p, &["remote", "add", "upstream", "git@example.com:X/Y.git"]);
        assert_eq!(
            info(p).origin_url.as_deref(),
            Some("https://github.com/O/R")
        );
        git(
            p,
            &["remote", "set-url", "origin", "git@github.com:O/R.git"],
        );
        assert_eq!(
            info(p).origin_url.as_deref(),
            Some("https://github.com/O/R")
        );
    }

    #[test]
    fn detached_head() {
        let dir = repo_with_commit();
        let p = dir.path();
        let first = git(p, &["rev-parse", "HEAD"]);
        std::fs::write(p.join("a.txt"), "a2\n").unwrap();
        git(p, &["commit", "-q", "-am", "two"]);
        git(p, &["checkout", "-q", "--detach", &first]);
        let i = info(p);
        assert_eq!(i.revision.as_deref(), Some(first.as_str()));
        assert_eq!(i.commit_time, Some(DATE_SECS));
        assert!(!i.dirty);
    }

    #[test]
    fn shallow_clone() {
        let src = repo_with_commit();
        std::fs::write(src.path().join("a.txt"), "a2\n").unwrap();
        git(src.path(), &["commit", "-q", "-am", "two"]);
        let head = git(src.path(), &["rev-parse", "HEAD"]);
        let dst = tempfile::tempdir().unwrap();
        let url = format!("file://{}", src.path().display());
        git(dst.path(), &["clone", "-q", "--depth", "1", &url, "c"]);
        let c = dst.path().join("c");
        assert_eq!(git(&c, &["rev-parse", "--is-shallow-repository"]), "true");
        let i = info(&c);
        assert_eq!(i.revision.as_deref(), Some(head.as_str()));
        assert_eq!(i.commit_time, Some(DATE_SECS));
        assert!(!i.dirty);
        // A file:// origin is not a web URL; it is kept as it is.
        assert_eq!(i.origin_url.as_deref(), Some(url.as_str()));
    }

    #[test]
    fn unborn_branch() {
        let dir = tempfile::tempdir().unwrap();
        git(dir.path(), &["init", "-q", "-b", "main"]);
        let i = info(dir.path());
        assert_eq!(i.revision, None);
        assert_eq!(i.commit_time, None);
        assert!(!i.dirty);
        // A staged file on an unborn branch is a tracked change.
        std::fs::write(dir.path().join("a.txt"), "a\n").unwrap();
        git(dir.path(), &["add", "a.txt"]);
        assert!(info(dir.path()).dirty);
    }

    #[test]
    fn not_a_repository_is_none() {
        let dir = tempfile::tempdir().unwrap();
        // Guard: the test is only meaningful if the temp dir is itself outside any repository.
        let probe = Command::new("git")
            .args(["rev-parse", "--git-dir"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(!probe.status.success(), "temp dir is inside a repository");
        assert_eq!(discover(dir.path()).unwrap(), None);
    }

    #[test]
    fn bare_repository_has_no_workdir_and_is_not_dirty() {
        let src = repo_with_commit();
        let dst = tempfile::tempdir().unwrap();
        let url = format!("file://{}", src.path().display());
        git(dst.path(), &["clone", "-q", "--bare", &url, "b.git"]);
        let i = info(&dst.path().join("b.git"));
        assert_eq!(i.workdir, None);
        assert_eq!(i.commit_time, Some(DATE_SECS));
        assert!(!i.dirty);
    }

    #[test]
    fn broken_repository_is_an_error_naming_it() {
        let dir = repo_with_commit();
        let missing = "0123456789012345678901234567890123456789";
        std::fs::write(
            dir.path().join(".git/refs/heads/main"),
            format!("{missing}\n"),
        )
        .unwrap();
        let e = discover(dir.path()).unwrap_err();
        assert!(matches!(e, GitError::Read { .. }), "{e:?}");
        let msg = e.to_string();
        assert!(msg.contains(".git"), "{msg}");
        assert!(msg.contains("HEAD"), "{msg}");
        assert!(!msg.contains('\n'), "{msg}");
    }
}
