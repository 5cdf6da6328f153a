//! A shared-server deployment made for one test, for real: an unprivileged user, copies of the
//! binary installed setgid to the engine socket's group, setuid root, and plain for a sudo rule
//! naming it, and optionally `/etc/ds01-build/config.toml` seen only by this test (a private mount
//! namespace with `/etc` overlaid). Every command is an argv vector. Dropping it removes the
//! sudoers file, the user (and its group), the directory and the namespace holder.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;

use crate::support::{unique, Out};

/// useradd/userdel lock /etc/passwd: one at a time within this test process.
static ACCOUNTS: Mutex<()> = Mutex::new(());

/// How the test user reaches ds01-build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// The copy installed `root:docker 2755`.
    Setgid,
    /// The copy installed `root:root 4755`.
    Setuid,
    /// `sudo -n` through the test's sudoers rule.
    Sudo,
    /// The plain copy, run as the user without privileges.
    Plain,
}

/// Start a privileged test: as root with sudo, setpriv and useradd present. Not root or a missing
/// tool fails the test, or skips it (counted) with `DS01_BUILD_E2E=skip`.
#[macro_export]
macro_rules! require_privileged {
    () => {
        $crate::require_engine!();
        if let Err(why) = $crate::deployment::can_deploy() {
            if !$crate::support::skip_mode() {
                panic!("privileged tests cannot run: {why} (or set DS01_BUILD_E2E=skip)");
            }
            $crate::support::skipped_because(&format!("privileged tests: {why}"));
            return;
        }
    };
}

/// Why privileged tests cannot run here, if they cannot.
pub fn can_deploy() -> Result<(), String> {
    if !nix::unistd::geteuid().is_root() {
        return Err("not root".into());
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for tool in [
        "sudo", "setpriv", "useradd", "userdel", "visudo", "unshare", "nsenter", "setcap",
    ] {
        let found = std::env::split_paths(&path)
            .chain(["/usr/sbin".into(), "/sbin".into()])
            .any(|dir| dir.join(tool).is_file());
        if !found {
            return Err(format!(
                "{tool} is not installed (apt-get install sudo util-linux passwd libcap2-bin)"
            ));
        }
    }
    Ok(())
}

/// The gid of the `docker` group (the engine socket's).
pub fn docker_gid() -> u32 {
    nix::unistd::Group::from_name("docker")
        .unwrap()
        .expect("a docker group")
        .gid
        .as_raw()
}

pub struct Deployment {
    pub user: String,
    pub uid: u32,
    pub gid: u32,
    /// Root-owned, 0755, in /tmp: the copies, the user's home (`home/`), wrappers.
    pub dir: PathBuf,
    sudoers: PathBuf,
    /// The namespace holder, once a configuration is installed.
    holder: Option<Child>,
}

#[track_caller]
fn run_ok(argv: &[&str]) -> Out {
    let out: Out = Command::new(argv[0])
        .args(&argv[1..])
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("spawn {argv:?}: {e}"))
        .into();
    assert_eq!(out.code, 0, "{argv:?}: {}", out.stderr);
    out
}

impl Deployment {
    /// A new user and the three copies of the binary.
    #[track_caller]
    pub fn new() -> Deployment {
        let dir = tempfile::Builder::new()
            .prefix("ds01t-priv.")
            .tempdir_in("/tmp")
            .unwrap()
            .keep();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        // ds01t-<pid>-<n>: at most 32 characters, a valid login name.
        let user = unique("u");
        let home = dir.join("home");
        let sudoers = PathBuf::from(format!("/etc/sudoers.d/{user}"));
        let mut deployment = Deployment {
            user: user.clone(),
            uid: 0,
            gid: 0,
            dir: dir.clone(),
            sudoers: sudoers.clone(),
            holder: None,
        };
        {
            let _lock = ACCOUNTS.lock().unwrap_or_else(|p| p.into_inner());
            run_ok(&[
                "useradd",
                "--home-dir",
                home.to_str().unwrap(),
                "--create-home",
                "--shell",
                "/usr/sbin/nologin",
                "--user-group",
                &user,
            ]);
        }
        let id = nix::unistd::User::from_name(&user).unwrap().unwrap();
        deployment.uid = id.uid.as_raw();
        deployment.gid = id.gid.as_raw();
        let bin = env!("CARGO_BIN_EXE_ds01-build");
        let copy = |name: &str, owner: &[&str], mode: &str| {
            let target = dir.join(name);
            let mut argv = vec!["install"];
            argv.extend_from_slice(owner);
            argv.extend_from_slice(&["-m", mode, bin, target.to_str().unwrap()]);
            run_ok(&argv);
        };
        copy("ds01-build-sgid", &["-o", "root", "-g", "docker"], "2755");
        copy("ds01-build-suid", &["-o", "root", "-g", "root"], "4755");
        copy("ds01-build", &["-o", "root", "-g", "root"], "0755");
        let rule = dir.join("sudoers");
        std::fs::write(
            &rule,
            format!(
                "{user} ALL=(root) NOPASSWD: {}\n",
                dir.join("ds01-build").display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&rule, std::fs::Permissions::from_mode(0o440)).unwrap();
        run_ok(&["visudo", "-cf", rule.to_str().unwrap()]);
        run_ok(&["mv", rule.to_str().unwrap(), sudoers.to_str().unwrap()]);
        // Set-id bits must really take effect here, or the tests would pass vacuously.
        let options = run_ok(&["findmnt", "-no", "OPTIONS", "-T", dir.to_str().unwrap()]);
        assert!(
            !options.stdout.split(',').any(|o| o.trim() == "nosuid"),
            "{} is on a nosuid mount",
            dir.display()
        );
        deployment
    }

    /// The user's home directory.
    pub fn home(&self) -> PathBuf {
        self.dir.join("home")
    }

    /// Write `text` to `name` in the user's home, owned by the user.
    pub fn user_file(&self, name: &str, text: &str, mode: u32) -> PathBuf {
        let path = self.home().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        std::os::unix::fs::chown(&path, Some(self.uid), Some(self.gid)).unwrap();
        path
    }

    /// Make `text` this test's `/etc/ds01-build/config.toml` (installed with `mode`): from now on
    /// every run happens in a private mount namespace where `/etc` is overlaid; the host never
    /// sees the file.
    #[track_caller]
    pub fn config(&mut self, text: &str, mode: &str) {
        assert!(self.holder.is_none(), "one configuration per deployment");
        let holder = Command::new("unshare")
            .args(["--mount", "--propagation", "private", "sleep", "600"])
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let pid = holder.id().to_string();
        self.holder = Some(holder);
        // Wait until the holder is in its own namespace.
        let own = std::fs::read_link("/proc/self/ns/mnt").unwrap();
        for _ in 0..200 {
            match std::fs::read_link(format!("/proc/{pid}/ns/mnt")) {
                Ok(ns) if ns != own => break,
                _ => std::thread::sleep(std::time::Duration::from_millis(10)),
            }
        }
        let source = self.dir.join("config.src");
        std::fs::write(&source, text).unwrap();
        let ov = self.dir.join("ov");
        std::fs::create_dir(&ov).unwrap();
        let ov = ov.to_str().unwrap().to_string();
        let ns = |argv: &[&str]| {
            let mut full = vec!["nsenter", "-t", pid.as_str(), "-m", "--"];
            full.extend_from_slice(argv);
            run_ok(&full);
        };
        ns(&["mount", "-t", "tmpfs", "tmpfs", &ov]);
        ns(&[
            "mkdir",
            "-p",
            &format!("{ov}/u/ds01-build"),
            &format!("{ov}/w"),
        ]);
        ns(&[
            "install",
            "-o",
            "root",
            "-g",
            "root",
            "-m",
            mode,
            source.to_str().unwrap(),
            &format!("{ov}/u/ds01-build/config.toml"),
        ]);
        ns(&[
            "mount",
            "-t",
            "overlay",
            "overlay",
            "-o",
            &format!("lowerdir=/etc,upperdir={ov}/u,workdir={ov}/w"),
            "/etc",
        ]);
        assert!(
            !Path::new("/etc/ds01-build/config.toml").exists()
                || std::fs::read_to_string("/etc/ds01-build/config.toml").unwrap() != text,
            "the test configuration leaked into the host's /etc"
        );
    }

    /// The command that runs ds01-build `via` as the user with exactly `env` (and
    /// `PATH=/usr/bin:/bin` unless `env` sets PATH), in the test's namespace if it has one.
    pub fn command(&self, via: Via, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut argv: Vec<String> = Vec::new();
        if let Some(holder) = &self.holder {
            argv.extend(["nsenter", "-t", &holder.id().to_string(), "-m", "--"].map(String::from));
        }
        argv.extend(["env", "-i"].map(String::from));
        if !env.iter().any(|(k, _)| *k == "PATH") {
            argv.push("PATH=/usr/bin:/bin".into());
        }
        argv.extend(env.iter().map(|(k, v)| format!("{k}={v}")));
        argv.extend(
            [
                "setpriv",
                &format!("--reuid={}", self.uid),
                &format!("--regid={}", self.gid),
                "--init-groups",
            ]
            .map(String::from),
        );
        let copy = |name: &str| self.dir.join(name).display().to_string();
        match via {
            Via::Setgid => argv.push(copy("ds01-build-sgid")),
            Via::Setuid => argv.push(copy("ds01-build-suid")),
            Via::Plain => argv.push(copy("ds01-build")),
            Via::Sudo => argv.extend(["sudo".into(), "-n".into(), copy("ds01-build")]),
        }
        argv.extend(args.iter().map(|a| a.to_string()));
        let mut cmd = Command::new(&argv[0]);
        cmd.args(&argv[1..])
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    /// Run ds01-build `via` as the user (see [`Deployment::command`]).
    pub fn run(&self, via: Via, args: &[&str], env: &[(&str, &str)]) -> Out {
        self.command(via, args, env).output().unwrap().into()
    }
}

impl Drop for Deployment {
    fn drop(&mut self) {
        if let Some(mut holder) = self.holder.take() {
            let _ = holder.kill();
            let _ = holder.wait();
        }
        let _ = std::fs::remove_file(&self.sudoers);
        {
            // userdel refuses while a process of the user still runs (one just signalled may
            // take a moment): retry, then force, and say so.
            let _lock = ACCOUNTS.lock().unwrap_or_else(|p| p.into_inner());
            let userdel = |force: bool| {
                let mut cmd = Command::new("userdel");
                if force {
                    cmd.arg("--force");
                }
                cmd.arg(&self.user)
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success())
            };
            let removed = (0..50).any(|_| {
                userdel(false) || {
                    std::thread::sleep(std::time::Duration::from_millis(100));
                    false
                }
            });
            if !removed && !userdel(true) {
                eprintln!("warning: could not remove test user {}", self.user);
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
