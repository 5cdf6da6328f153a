//! Where `build NAME` finds `NAME.toml`, in order: `--profiles DIR`, the directories in
//! `DS01_BUILD_PROFILES` (a `:`-separated list), the nearest `profiles/` directory walking up from
//! the working directory (as git finds `.git`), then the user's config directory
//! (`$XDG_CONFIG_HOME/ds01-build/profiles`, else `~/.config/ds01-build/profiles`).
//!
//! [`Places::new`] is pure (the file system is asked through a predicate), so the order is
//! unit-tested; [`Places::from_env`] reads the environment and the disk.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::profile::{available_profiles, PROFILES_DIR};

/// Environment variable holding profile directories (`:`-separated).
pub const PROFILES_ENV: &str = "DS01_BUILD_PROFILES";

/// The directories a profile NAME is looked up in, first hit wins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Places {
    pub dirs: Vec<PathBuf>,
    /// The working directory, when no `profiles/` was found in it or above (named in the error).
    pub no_profiles_above: Option<PathBuf>,
}

impl Places {
    /// The lookup order from its inputs. `is_dir` answers whether a path is a directory; the
    /// nearest `profiles/` is shown relative (`profiles`) when it is in `cwd` itself.
    pub fn new(
        flag: Option<&Path>,
        env: Option<&OsStr>,
        cwd: &Path,
        config_dir: Option<&Path>,
        is_dir: impl Fn(&Path) -> bool,
    ) -> Places {
        let mut dirs: Vec<PathBuf> = flag.map(Path::to_path_buf).into_iter().collect();
        if let Some(env) = env {
            dirs.extend(std::env::split_paths(env).filter(|p| !p.as_os_str().is_empty()));
        }
        let nearest = cwd
            .ancestors()
            .find(|dir| is_dir(&dir.join(PROFILES_DIR)))
            .map(|dir| {
                if dir == cwd {
                    PathBuf::from(PROFILES_DIR)
                } else {
                    dir.join(PROFILES_DIR)
                }
            });
        let no_profiles_above = nearest.is_none().then(|| cwd.to_path_buf());
        dirs.extend(nearest);
        if let Some(config) = config_dir {
            dirs.push(config.join("ds01-build").join(PROFILES_DIR));
        }
        Places {
            dirs,
            no_profiles_above,
        }
    }

    /// The places for this process: `flag`, `DS01_BUILD_PROFILES`, the disk above `cwd`, and the
    /// config directory from `XDG_CONFIG_HOME` (absolute) or `HOME`.
    pub fn from_env(flag: Option<&Path>, cwd: &Path) -> Places {
        let config = std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| {
                std::env::var_os("HOME")
                    .filter(|h| !h.is_empty())
                    .map(|h| Path::new(&h).join(".config"))
            });
        let env = std::env::var_os(PROFILES_ENV);
        Places::new(flag, env.as_deref(), cwd, config.as_deref(), |p| {
            on_disk(cwd, p).is_dir()
        })
    }
}

fn on_disk(cwd: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    }
}

#[derive(Debug, Error, PartialEq, Eq)]
#[error("{}", not_found(.name, .tried, .no_profiles_above, .available))]
pub struct NotFound {
    pub name: String,
    pub tried: Vec<PathBuf>,
    pub no_profiles_above: Option<PathBuf>,
    /// Per directory that has profiles: its names.
    pub available: Vec<(PathBuf, Vec<String>)>,
}

fn not_found(
    name: &str,
    tried: &[PathBuf],
    no_profiles_above: &Option<PathBuf>,
    available: &[(PathBuf, Vec<String>)],
) -> String {
    let mut places: Vec<String> = tried.iter().map(|p| p.display().to_string()).collect();
    if let Some(cwd) = no_profiles_above {
        places.push(format!("no {PROFILES_DIR}/ in {} or above", cwd.display()));
    }
    let avail = if available.is_empty() {
        "no profiles in any of them".to_string()
    } else {
        let per_dir: Vec<String> = available
            .iter()
            .map(|(dir, names)| format!("in {}: {}", dir.display(), names.join(", ")))
            .collect();
        format!("available {}", per_dir.join("; "))
    };
    format!(
        "profile {} not found: tried {} ({avail}); name a file, or use --profiles DIR or {PROFILES_ENV}",
        crate::messages::quoted(name),
        places.join(", ")
    )
}

/// The file `NAME.toml` in the first of `places` that has it (paths as in `places`, relative to
/// `cwd` unless absolute).
pub fn find(name: &str, places: &Places, cwd: &Path) -> Result<PathBuf, NotFound> {
    let file = format!("{name}.toml");
    let tried: Vec<PathBuf> = places.dirs.iter().map(|d| d.join(&file)).collect();
    if let Some(hit) = tried.iter().find(|p| on_disk(cwd, p).is_file()) {
        return Ok(hit.clone());
    }
    let available = places
        .dirs
        .iter()
        .map(|d| (d.clone(), available_profiles(&on_disk(cwd, d))))
        .filter(|(_, names)| !names.is_empty())
        .collect();
    Err(NotFound {
        name: name.to_string(),
        tried,
        no_profiles_above: places.no_profiles_above.clone(),
        available,
    })
}

/// Every profile name in `places` (for shell completion), sorted, each once.
pub fn candidates(places: &Places) -> Vec<String> {
    let cwd = std::env::current_dir().unwrap_or_default();
    let mut names: Vec<String> = places
        .dirs
        .iter()
        .flat_map(|d| available_profiles(&on_disk(&cwd, d)))
        .collect();
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn places(flag: Option<&str>, env: Option<&str>, cwd: &str, existing: &[&str]) -> Places {
        Places::new(
            flag.map(Path::new),
            env.map(OsStr::new),
            Path::new(cwd),
            Some(Path::new("/home/u/.config")),
            |p| existing.iter().any(|e| Path::new(e) == p),
        )
    }

    #[test]
    fn order_is_flag_env_nearest_then_config() {
        let p = places(
            Some("mine"),
            Some("/a:/b"),
            "/repo/sub/dir",
            &["/repo/profiles", "/profiles"],
        );
        let want: Vec<PathBuf> = [
            "mine",
            "/a",
            "/b",
            "/repo/profiles",
            "/home/u/.config/ds01-build/profiles",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        assert_eq!(p.dirs, want);
        assert_eq!(p.no_profiles_above, None);
    }

    #[test]
    fn profiles_in_the_working_directory_stay_relative() {
        let p = places(None, None, "/repo", &["/repo/profiles"]);
        assert_eq!(p.dirs[0], PathBuf::from("profiles"));
    }

    #[test]
    fn no_profiles_above_is_remembered_for_the_error() {
        let p = places(None, Some(""), "/tmp/x", &[]);
        assert_eq!(
            p.dirs,
            [PathBuf::from("/home/u/.config/ds01-build/profiles")]
        );
        assert_eq!(p.no_profiles_above, Some(PathBuf::from("/tmp/x")));
    }

    #[test]
    fn not_found_names_every_place_tried() {
        let err = NotFound {
            name: "zzz".into(),
            tried: vec!["/a/zzz.toml".into(), "/c/zzz.toml".into()],
            no_profiles_above: Some("/tmp/x".into()),
            available: vec![("/a".into(), vec!["hello".into(), "x".into()])],
        };
        assert_eq!(
            err.to_string(),
            "profile \"zzz\" not found: tried /a/zzz.toml, /c/zzz.toml, no profiles/ in /tmp/x or above \
             (available in /a: hello, x); name a file, or use --profiles DIR or DS01_BUILD_PROFILES"
        );
    }
}
