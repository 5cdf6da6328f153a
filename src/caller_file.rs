//! Reading a file the caller names (`--label-file`, `--env-file`, `lint --labels`, profiles, tag
//! files, Dockerfiles): once, as the invoker, a regular file only, at most [`MAX_BYTES`].
//!
//! With privileges the file is opened with the invoker's ids ([`install`] records them once at
//! start-up): under sudo the effective uid, gid and groups become the invoker's for the `open`;
//! in a setgid or setuid copy the effective ids drop to the real ones. So `sudo ds01-build lint
//! --labels /etc/shadow` fails as it would for the invoker, and a root:docker 0640 file stays
//! closed to a setgid copy. The open is non-blocking, so a FIFO is refused at once instead of
//! blocking (and its writer cannot feed the check one text and the engine another), and nothing
//! but a regular file is read. The ids are process-wide state, which is why this lives in one
//! place: every caller-named read goes through [`read`]. The files ds01-build reads with its own
//! ids (the configuration, the docker CLI's config and context files, the policy's group files,
//! the image ID file) go through [`read_own`]: the same checks, the same cap.

use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;
use std::sync::OnceLock;

use nix::unistd::{Gid, Uid};

use crate::identity::{Mode, Privilege};

/// The largest caller-named file read (1 MiB).
pub const MAX_BYTES: u64 = 1 << 20;

/// How to open caller-named files.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Credentials {
    /// With the process's own ids (plain user, root).
    Own,
    /// Root through sudo: become the invoker for the open.
    Become {
        uid: u32,
        gid: u32,
        groups: Vec<u32>,
    },
    /// A set-id copy: drop to the real ids for the open.
    Drop {
        ruid: u32,
        euid: u32,
        rgid: u32,
        egid: u32,
    },
}

static CREDENTIALS: OnceLock<Credentials> = OnceLock::new();

/// Record how this process opens caller-named files; called once, before any file is read (a
/// second call is ignored). Without it files are opened with the process's own ids.
pub fn install(privilege: &Privilege) {
    let ids = privilege.ids;
    let credentials = match privilege.mode {
        Mode::Plain | Mode::Root => Credentials::Own,
        Mode::Sudo => {
            let invoker = &privilege.invoker;
            let groups = std::ffi::CString::new(invoker.user.clone())
                .ok()
                .and_then(|name| nix::unistd::getgrouplist(&name, Gid::from_raw(invoker.gid)).ok())
                .map(|gs| gs.iter().map(|g| g.as_raw()).collect())
                .unwrap_or_else(|| vec![invoker.gid]);
            Credentials::Become {
                uid: invoker.uid,
                gid: invoker.gid,
                groups,
            }
        }
        Mode::Setgid { .. } | Mode::Setuid { .. } => Credentials::Drop {
            ruid: ids.ruid,
            euid: ids.euid,
            rgid: ids.rgid,
            egid: ids.egid,
        },
    };
    let _ = CREDENTIALS.set(credentials);
}

/// Read a caller-named file: the bytes, or an error that says what is wrong with it (to be shown
/// after the file's name).
pub fn read(path: &Path) -> std::io::Result<Vec<u8>> {
    read_opened(open_as_invoker(path)?)
}

/// [`read`] with the process's own ids (for files that are not the caller's to name).
pub fn read_own(path: &Path) -> std::io::Result<Vec<u8>> {
    read_opened(open(path)?)
}

/// [`read_own`], as UTF-8.
pub fn read_own_to_string(path: &Path) -> std::io::Result<String> {
    utf8(read_own(path)?)
}

/// A regular file's bytes, at most [`MAX_BYTES`].
fn read_opened(file: std::fs::File) -> std::io::Result<Vec<u8>> {
    let meta = file.metadata()?;
    let kind = meta.file_type();
    if !kind.is_file() {
        let what = if kind.is_fifo() {
            "a FIFO"
        } else if kind.is_dir() {
            "a directory"
        } else if kind.is_socket() {
            "a socket"
        } else if kind.is_char_device() || kind.is_block_device() {
            "a device"
        } else {
            "not a file"
        };
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("not a regular file ({what}): give a regular file"),
        ));
    }
    let mut bytes = Vec::new();
    file.take(MAX_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("over the {} MiB limit", MAX_BYTES >> 20),
        ));
    }
    Ok(bytes)
}

/// [`read`], as UTF-8.
pub fn read_to_string(path: &Path) -> std::io::Result<String> {
    utf8(read(path)?)
}

fn utf8(bytes: Vec<u8>) -> std::io::Result<String> {
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("not UTF-8 (line {line})"),
        )
    })
}

fn open(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NONBLOCK | nix::libc::O_CLOEXEC)
        .open(path)
}

fn open_as_invoker(path: &Path) -> std::io::Result<std::fs::File> {
    as_invoker(|| open(path))
}

/// Resolve a caller-named host path (symlinks followed) the way the invoker can: for bind mount
/// sources, so a link the caller made cannot point the check somewhere they cannot go.
pub fn canonicalize(path: &Path) -> std::io::Result<std::path::PathBuf> {
    as_invoker(|| std::fs::canonicalize(path))
}

/// Run `f` with the invoker's ids (see [`install`]), then restore the process's own.
fn as_invoker<T>(f: impl FnOnce() -> std::io::Result<T>) -> std::io::Result<T> {
    match CREDENTIALS.get().unwrap_or(&Credentials::Own) {
        Credentials::Own => f(),
        Credentials::Become { uid, gid, groups } => {
            let saved_groups = nix::unistd::getgroups().map_err(std::io::Error::from)?;
            let groups: Vec<Gid> = groups.iter().map(|g| Gid::from_raw(*g)).collect();
            nix::unistd::setgroups(&groups).map_err(std::io::Error::from)?;
            let result = switched(*uid, *gid, f);
            restore(nix::unistd::setgroups(&saved_groups));
            result
        }
        Credentials::Drop {
            ruid,
            euid,
            rgid,
            egid,
        } => {
            nix::unistd::setegid(Gid::from_raw(*rgid)).map_err(std::io::Error::from)?;
            let result = if ruid == euid {
                f()
            } else if let Err(e) = nix::unistd::seteuid(Uid::from_raw(*ruid)) {
                Err(e.into())
            } else {
                let result = f();
                restore(nix::unistd::seteuid(Uid::from_raw(*euid)));
                result
            };
            restore(nix::unistd::setegid(Gid::from_raw(*egid)));
            result
        }
    }
}

/// Run `f` with effective gid `gid` and uid `uid` (from effective uid 0), then back to 0/0.
fn switched<T>(uid: u32, gid: u32, f: impl FnOnce() -> std::io::Result<T>) -> std::io::Result<T> {
    nix::unistd::setegid(Gid::from_raw(gid)).map_err(std::io::Error::from)?;
    if let Err(e) = nix::unistd::seteuid(Uid::from_raw(uid)) {
        restore(nix::unistd::setegid(Gid::from_raw(0)));
        return Err(e.into());
    }
    let result = f();
    restore(nix::unistd::seteuid(Uid::from_raw(0)));
    restore(nix::unistd::setegid(Gid::from_raw(0)));
    result
}

/// Getting the privileged ids back cannot fail for a process that just gave them up; if it does,
/// continuing would run the engine with the wrong ids, so stop.
fn restore(result: nix::Result<()>) {
    if let Err(e) = result {
        crate::say!("ds01-build: error: cannot restore the process ids after opening a file: {e}");
        std::process::exit(2);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_files_are_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("l");
        std::fs::write(&file, "a=1\n").unwrap();
        assert_eq!(read_to_string(&file).unwrap(), "a=1\n");
    }

    #[test]
    fn fifos_directories_and_devices_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("f");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
        let e = read(&fifo).unwrap_err().to_string();
        assert_eq!(e, "not a regular file (a FIFO): give a regular file");
        let e = read(dir.path()).unwrap_err().to_string();
        assert!(e.contains("(a directory)"), "{e}");
        let e = read(Path::new("/dev/zero")).unwrap_err().to_string();
        assert!(e.contains("(a device)"), "{e}");
        for path in [fifo.as_path(), dir.path(), Path::new("/dev/zero")] {
            assert!(read_own(path).is_err(), "{}", path.display());
        }
    }

    #[test]
    fn large_files_and_invalid_utf8_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big");
        std::fs::write(&big, vec![b'a'; MAX_BYTES as usize + 1]).unwrap();
        assert_eq!(read(&big).unwrap_err().to_string(), "over the 1 MiB limit");
        std::fs::write(&big, vec![b'a'; MAX_BYTES as usize]).unwrap();
        assert_eq!(read(&big).unwrap().len(), MAX_BYTES as usize);
        let bad = dir.path().join("bad");
        std::fs::write(&bad, b"a=1\nb=\xff\n").unwrap();
        assert_eq!(
            read_to_string(&bad).unwrap_err().to_string(),
            "not UTF-8 (line 2)"
        );
    }
}
