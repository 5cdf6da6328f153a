//! The `POST /containers/create` body for a [`crate::create::CreatePlan`], built the way docker's
//! CLI (28.x, speaking API 1.41) builds it from the same `docker create` argv, so that `create`
//! can make the container through the Engine API instead of starting a CLI process (≈ 13 ms of
//! docker CLI start-up and a `_ping` per create).
//!
//! Only options whose translation is exact are translated: each one below follows the CLI's own
//! parser (`cli/command/container/opts.go` and the `opts` package at v28.2.2), value forms it
//! accepts included. An option outside the list, or a value form the list does not cover (a
//! seccomp profile file, `-e NAME` taken from the environment, a `--gpus` CSV with several
//! fields, ...), answers [`Untranslated`]: the caller then runs the CLI, which parses it itself.
//! The body starts from the CLI's own for no options (every zero field it sends, `Dns: []` and
//! `MemorySwappiness: -1` included), so the daemon stores the same container.

use serde_json::{json, Map, Value};

use crate::create_options::{scan, Item};
use crate::labels::Labels;

/// Why a plan goes to the CLI instead (for `-v`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Untranslated(pub String);

fn untranslated<T>(why: impl Into<String>) -> Result<T, Untranslated> {
    Err(Untranslated(why.into()))
}

/// The body for `docker create OPTIONS --label K=V... -- IMAGE CMD...`: `options` are the plan's
/// passthrough options (exactly those the CLI would get), `labels` its own labels (given after
/// the options, so they win, as on the CLI).
pub fn body(
    options: &[String],
    labels: &Labels,
    image: &str,
    cmd: &[String],
) -> Result<Value, Untranslated> {
    let scanned = scan(options).map_err(|e| Untranslated(e.to_string()))?;
    if !scanned.operands.is_empty() {
        return untranslated("operands among the options");
    }
    let mut b = Body::new(image, cmd);
    for item in &scanned.items {
        b.apply(item)?;
    }
    let config_labels = b.config["Labels"].as_object_mut().expect("a map");
    for (key, value) in labels {
        config_labels.insert(key.clone(), value.clone().into());
    }
    Ok(b.finish())
}

/// The `HostConfig` docker's CLI sends when no option sets anything.
const HOST_CONFIG: &str = concat!(
    "{",
    r#""Binds": null, "ContainerIDFile": "", "LogConfig": {"Type": "", "Config": {}},"#,
    r#""NetworkMode": "default", "PortBindings": {},"#,
    r#""RestartPolicy": {"Name": "no", "MaximumRetryCount": 0}, "AutoRemove": false,"#,
    r#""VolumeDriver": "", "VolumesFrom": null, "ConsoleSize": [0, 0], "CapAdd": null,"#,
    r#""CapDrop": null, "CgroupnsMode": "", "Dns": [], "DnsOptions": [], "DnsSearch": [],"#,
    r#""ExtraHosts": null, "GroupAdd": null, "IpcMode": "", "Cgroup": "", "Links": null,"#,
    r#""OomScoreAdj": 0, "PidMode": "", "Privileged": false, "PublishAllPorts": false,"#,
    r#""ReadonlyRootfs": false, "SecurityOpt": null, "UTSMode": "", "UsernsMode": "","#,
    r#""ShmSize": 0, "Isolation": "", "CpuShares": 0, "Memory": 0, "NanoCpus": 0,"#,
    r#""CgroupParent": "", "BlkioWeight": 0, "BlkioWeightDevice": [],"#,
    r#""BlkioDeviceReadBps": [], "BlkioDeviceWriteBps": [], "BlkioDeviceReadIOps": [],"#,
    r#""BlkioDeviceWriteIOps": [], "CpuPeriod": 0, "CpuQuota": 0, "CpuRealtimePeriod": 0,"#,
    r#""CpuRealtimeRuntime": 0, "CpusetCpus": "", "CpusetMems": "", "Devices": [],"#,
    r#""DeviceCgroupRules": null, "DeviceRequests": null, "MemoryReservation": 0,"#,
    r#""MemorySwap": 0, "MemorySwappiness": -1, "OomKillDisable": false, "PidsLimit": 0,"#,
    r#""Ulimits": [], "CpuCount": 0, "CpuPercent": 0, "IOMaximumIOps": 0,"#,
    r#""IOMaximumBandwidth": 0, "MaskedPaths": null, "ReadonlyPaths": null"#,
    "}"
);

struct Body {
    config: Value,
    host: Value,
    /// `--volume` values in order, each once (the CLI keeps them in a map).
    binds: Vec<String>,
    cap_add: Vec<String>,
    cap_drop: Vec<String>,
    /// `--ulimit` by name, the last one winning (the CLI's map; sent sorted by name).
    ulimits: std::collections::BTreeMap<String, Value>,
    /// `--network` (the CLI's one network without options; a second goes to the CLI).
    network: Option<String>,
    /// `--env` by name, in first-given order.
    env: Vec<(String, String)>,
    interactive: bool,
}

impl Body {
    fn new(image: &str, cmd: &[String]) -> Body {
        let config = json!({
            "Hostname": "", "Domainname": "", "User": "",
            "AttachStdin": false, "AttachStdout": true, "AttachStderr": true,
            "Tty": false, "OpenStdin": false, "StdinOnce": false,
            "Env": null, "Cmd": if cmd.is_empty() { Value::Null } else { json!(cmd) },
            "Image": image, "Volumes": {}, "WorkingDir": "", "Entrypoint": null,
            "OnBuild": null, "Labels": {},
        });
        let host: Value = serde_json::from_str(HOST_CONFIG).expect("valid JSON");
        Body {
            config,
            host,
            binds: Vec::new(),
            cap_add: Vec::new(),
            cap_drop: Vec::new(),
            ulimits: Default::default(),
            network: None,
            env: Vec::new(),
            interactive: false,
        }
    }

    fn apply(&mut self, item: &Item) -> Result<(), Untranslated> {
        let name = item.long.as_str();
        if !item.known {
            return untranslated(format!(
                "--{name} is not a docker create option ds01-build knows"
            ));
        }
        let value = || item.value.clone().unwrap_or_default();
        let string = |v: String| Value::String(v);
        match name {
            "interactive" => self.interactive = boolean(item)?,
            "tty" => self.config["Tty"] = boolean(item)?.into(),
            "privileged" => self.host["Privileged"] = boolean(item)?.into(),
            "read-only" => self.host["ReadonlyRootfs"] = boolean(item)?.into(),
            "user" => self.config["User"] = string(value()),
            "workdir" => self.config["WorkingDir"] = string(value()),
            "hostname" => self.config["Hostname"] = string(value()),
            "ipc" => self.host["IpcMode"] = string(value()),
            "cgroup-parent" => self.host["CgroupParent"] = string(value()),
            "runtime" => self.host["Runtime"] = string(value()),
            "volume" => {
                let v = value();
                bind(&v)?;
                if !self.binds.contains(&v) {
                    self.binds.push(v);
                }
            }
            "network" | "net" => {
                let v = value();
                if v.is_empty() || v.contains('=') || v.trim() != v {
                    return untranslated(format!("--network {v:?} (advanced syntax)"));
                }
                if self.network.replace(v).is_some() {
                    return untranslated("--network given twice");
                }
            }
            "device" => push(&mut self.host["Devices"], device(&value())?),
            "cap-add" => self.cap_add.push(value()),
            "cap-drop" => self.cap_drop.push(value()),
            "group-add" => push(&mut self.host["GroupAdd"], string(value())),
            "security-opt" => push(&mut self.host["SecurityOpt"], security_opt(&value())?),
            "shm-size" => self.host["ShmSize"] = ram_in_bytes(&value())?.into(),
            "ulimit" => {
                let (name, limit) = ulimit(&value())?;
                self.ulimits.insert(name, limit);
            }
            "gpus" => push(&mut self.host["DeviceRequests"], gpus(&value())?),
            "env" => {
                // The CLI keeps the variables in a map: one per name, the last value winning.
                let v = env(&value())?;
                let name = v.split('=').next().unwrap_or_default().to_string();
                match self.env.iter_mut().find(|(n, _)| *n == name) {
                    Some(slot) => slot.1 = v,
                    None => self.env.push((name, v)),
                }
            }
            "label" => {
                let v = value();
                let (key, val) = v.split_once('=').unwrap_or((&v, ""));
                if key.is_empty() || key.trim() != key {
                    return untranslated(format!("--label {v:?}"));
                }
                let labels = self.config["Labels"].as_object_mut().expect("a map");
                labels.insert(key.to_string(), val.into());
            }
            other => return untranslated(format!("--{other} has no exact API translation here")),
        }
        Ok(())
    }

    fn finish(mut self) -> Value {
        let i = self.interactive;
        self.config["OpenStdin"] = i.into();
        self.config["AttachStdin"] = i.into();
        self.config["StdinOnce"] = i.into();
        if !self.env.is_empty() {
            self.config["Env"] = self
                .env
                .into_iter()
                .map(|(_, v)| Value::String(v))
                .collect();
        }
        if !self.binds.is_empty() {
            self.host["Binds"] = json!(self.binds);
        }
        self.host["CapAdd"] = capabilities(&self.cap_add);
        self.host["CapDrop"] = capabilities(&self.cap_drop);
        self.host["Ulimits"] = Value::Array(self.ulimits.into_values().collect());
        // No --network: the CLI names the default network's endpoint; one network: none.
        let mut endpoints = Map::new();
        match self.network {
            Some(one) => self.host["NetworkMode"] = one.into(),
            None => {
                endpoints.insert("default".into(), endpoint());
            }
        }
        self.config["HostConfig"] = self.host;
        self.config["NetworkingConfig"] = json!({ "EndpointsConfig": endpoints });
        self.config
    }
}

/// The endpoint settings the CLI sends for the default network (no `--network`).
fn endpoint() -> Value {
    json!({
        "IPAMConfig": null, "Links": null, "Aliases": null, "MacAddress": "",
        "DriverOpts": null, "GwPriority": 0, "NetworkID": "", "EndpointID": "",
        "Gateway": "", "IPAddress": "", "IPPrefixLen": 0, "IPv6Gateway": "",
        "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0, "DNSNames": null,
    })
}

/// Append to a JSON list that may still be `null`.
fn push(list: &mut Value, item: Value) {
    match list {
        Value::Array(items) => items.push(item),
        _ => *list = Value::Array(vec![item]),
    }
}

/// A boolean flag: bare, or `--flag=VALUE` with one of strconv.ParseBool's spellings.
fn boolean(item: &Item) -> Result<bool, Untranslated> {
    match item.value.as_deref() {
        None => Ok(true),
        Some(v) => crate::engine::parse_go_bool(v)
            .ok_or_else(|| Untranslated(format!("--{}={v:?}", item.long))),
    }
}

/// The client library's capability list: upper-cased, trimmed, `CAP_`-prefixed (not `ALL`),
/// each once, sorted; `null` for none.
fn capabilities(caps: &[String]) -> Value {
    if caps.is_empty() {
        return Value::Null;
    }
    let mut out: Vec<String> = caps
        .iter()
        .map(|c| {
            let c = c.trim().to_uppercase();
            if c == "ALL" || c.starts_with("CAP_") {
                c
            } else {
                format!("CAP_{c}")
            }
        })
        .collect();
    out.sort();
    out.dedup();
    json!(out)
}

/// A path `path.Clean` leaves as it is, absolute.
fn clean_absolute(path: &str) -> bool {
    path == "/"
        || (path.starts_with('/')
            && !path.ends_with('/')
            && path[1..]
                .split('/')
                .all(|s| !s.is_empty() && s != "." && s != ".."))
}

/// `-v SRC:DST[:MODES]` with both paths absolute and clean: a bind the CLI sends as written.
/// Anonymous and named volumes and relative sources go to the CLI.
fn bind(v: &str) -> Result<(), Untranslated> {
    const MODES: &[&str] = &[
        "ro",
        "rw",
        "z",
        "Z",
        "shared",
        "rshared",
        "slave",
        "rslave",
        "private",
        "rprivate",
        "nocopy",
        "cached",
        "delegated",
        "consistent",
    ];
    let parts: Vec<&str> = v.split(':').collect();
    let ok = match parts.as_slice() {
        [src, dst] => clean_absolute(src) && clean_absolute(dst),
        [src, dst, modes] => {
            clean_absolute(src)
                && clean_absolute(dst)
                && modes.split(',').all(|m| MODES.contains(&m))
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        untranslated(format!(
            "--volume {v:?} (only SRC:DST[:MODES] binds of clean absolute paths)"
        ))
    }
}

/// `--device /dev/X[:/dev/Y][:rwm]` (clean absolute paths; CDI names go to the CLI).
fn device(v: &str) -> Result<Value, Untranslated> {
    let mode = |m: &str| !m.is_empty() && m.chars().all(|c| "rwm".contains(c));
    let parts: Vec<&str> = v.split(':').collect();
    let (src, dst, perms) = match parts.as_slice() {
        [src] => (*src, *src, "rwm"),
        [src, m] if mode(m) => (*src, *src, *m),
        [src, dst] => (*src, *dst, "rwm"),
        [src, dst, m] if mode(m) => (*src, *dst, *m),
        _ => return untranslated(format!("--device {v:?}")),
    };
    if !clean_absolute(src) || !clean_absolute(dst) {
        return untranslated(format!("--device {v:?} (only clean absolute paths)"));
    }
    Ok(json!({"PathOnHost": src, "PathInContainer": dst, "CgroupPermissions": perms}))
}

/// `--security-opt KEY=VALUE`, `KEY:VALUE` or `no-new-privileges`, sent as written; a seccomp
/// profile file (the CLI sends its content) and `systempaths=unconfined` go to the CLI.
fn security_opt(v: &str) -> Result<Value, Untranslated> {
    let (key, value) = match v.split_once('=').or_else(|| v.split_once(':')) {
        Some(kv) => kv,
        None if v == "no-new-privileges" => return Ok(v.into()),
        None => return untranslated(format!("--security-opt {v:?}")),
    };
    let plain = !value.is_empty()
        && (key != "seccomp" || matches!(value, "unconfined" | "builtin"))
        && v != "systempaths=unconfined";
    if plain {
        Ok(v.into())
    } else {
        untranslated(format!("--security-opt {v:?}"))
    }
}

/// go-units' RAMInBytes for whole numbers: `16g`, `512m`, `1024`, `2GiB` (binary multiples).
fn ram_in_bytes(v: &str) -> Result<i64, Untranslated> {
    let digits = v.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = v.split_at(digits);
    let unit = unit.to_ascii_lowercase();
    let unit = unit.strip_suffix('b').unwrap_or(&unit);
    let unit = unit.strip_suffix('i').unwrap_or(unit);
    let power = match unit {
        "" => 0,
        "k" => 1,
        "m" => 2,
        "g" => 3,
        "t" => 4,
        "p" => 5,
        _ => return untranslated(format!("--shm-size {v:?}")),
    };
    // `b`/`i` alone after the number, or nothing at all, is not a size the CLI reads the same way.
    let rest = &v[digits..];
    if number.is_empty() || (power == 0 && !rest.is_empty()) {
        return untranslated(format!("--shm-size {v:?}"));
    }
    number
        .parse::<i64>()
        .ok()
        .and_then(|n| n.checked_mul(1024_i64.pow(power)))
        .ok_or_else(|| Untranslated(format!("--shm-size {v:?}")))
}

/// go-units' ParseUlimit: `NAME=SOFT[:HARD]`, NAME one of the known limits.
fn ulimit(v: &str) -> Result<(String, Value), Untranslated> {
    const NAMES: &[&str] = &[
        "core",
        "cpu",
        "data",
        "fsize",
        "locks",
        "memlock",
        "msgqueue",
        "nice",
        "nofile",
        "nproc",
        "rss",
        "rtprio",
        "rttime",
        "sigpending",
        "stack",
    ];
    let bad = || Untranslated(format!("--ulimit {v:?}"));
    let (name, limits) = v.split_once('=').ok_or_else(bad)?;
    if !NAMES.contains(&name) {
        return Err(bad());
    }
    let int = |s: &str| -> Option<i64> {
        let digits = s.strip_prefix('-').unwrap_or(s);
        (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (soft, hard) = match limits.split_once(':') {
        None => {
            let soft = int(limits).ok_or_else(bad)?;
            (soft, soft)
        }
        Some((s, h)) => (int(s).ok_or_else(bad)?, int(h).ok_or_else(bad)?),
    };
    if hard != -1 && soft > hard {
        return Err(bad());
    }
    Ok((
        name.to_string(),
        json!({"Name": name, "Hard": hard, "Soft": soft}),
    ))
}

/// `--gpus all`, `--gpus N`, `--gpus device=ID` (one field; CSV with several goes to the CLI).
fn gpus(v: &str) -> Result<Value, Untranslated> {
    let request = |count: i64, ids: Value| json!({"Driver": "", "Count": count, "DeviceIDs": ids, "Capabilities": [["gpu"]], "Options": {}});
    let plain = |s: &str| !s.is_empty() && !s.contains([',', '"', '=', ' ']);
    if v == "all" {
        return Ok(request(-1, Value::Null));
    }
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(n) = v.parse::<i32>() {
            return Ok(request(n.into(), Value::Null));
        }
    }
    match v.strip_prefix("device=") {
        Some(id) if plain(id) => Ok(request(0, json!([id]))),
        _ => untranslated(format!("--gpus {v:?}")),
    }
}

/// `-e NAME=VALUE` as written (`-e NAME` alone takes the CLI's environment: CLI).
fn env(v: &str) -> Result<String, Untranslated> {
    match v.split_once('=') {
        Some((name, _)) if !name.is_empty() && !name.contains(char::is_whitespace) => {
            Ok(v.to_string())
        }
        _ => untranslated(format!("--env {v:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn body_of(options: &[&str], cmd: &[&str]) -> Result<Value, Untranslated> {
        let labels: Labels = [("ds01.managed".to_string(), "true".to_string())].into();
        body(&strings(options), &labels, "img:1", &strings(cmd))
    }

    /// What docker 28.2.2's CLI sent (read off its socket with strace) for
    /// `docker create --network none --label ds01.managed=true img:1`.
    const CLI_MINIMAL: &str = r#"{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":true,"AttachStderr":true,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":null,"Cmd":null,"Image":"img:1","Volumes":{},"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":{"ds01.managed":"true"},"HostConfig":{"Binds":null,"ContainerIDFile":"","LogConfig":{"Type":"","Config":{}},"NetworkMode":"none","PortBindings":{},"RestartPolicy":{"Name":"no","MaximumRetryCount":0},"AutoRemove":false,"VolumeDriver":"","VolumesFrom":null,"ConsoleSize":[0,0],"CapAdd":null,"CapDrop":null,"CgroupnsMode":"","Dns":[],"DnsOptions":[],"DnsSearch":[],"ExtraHosts":null,"GroupAdd":null,"IpcMode":"","Cgroup":"","Links":null,"OomScoreAdj":0,"PidMode":"","Privileged":false,"PublishAllPorts":false,"ReadonlyRootfs":false,"SecurityOpt":null,"UTSMode":"","UsernsMode":"","ShmSize":0,"Isolation":"","CpuShares":0,"Memory":0,"NanoCpus":0,"CgroupParent":"","BlkioWeight":0,"BlkioWeightDevice":[],"BlkioDeviceReadBps":[],"BlkioDeviceWriteBps":[],"BlkioDeviceReadIOps":[],"BlkioDeviceWriteIOps":[],"CpuPeriod":0,"CpuQuota":0,"CpuRealtimePeriod":0,"CpuRealtimeRuntime":0,"CpusetCpus":"","CpusetMems":"","Devices":[],"DeviceCgroupRules":null,"DeviceRequests":null,"MemoryReservation":0,"MemorySwap":0,"MemorySwappiness":-1,"OomKillDisable":false,"PidsLimit":0,"Ulimits":[],"CpuCount":0,"CpuPercent":0,"IOMaximumIOps":0,"IOMaximumBandwidth":0,"MaskedPaths":null,"ReadonlyPaths":null},"NetworkingConfig":{"EndpointsConfig":{}}}"#;

    #[test]
    fn the_minimal_body_is_the_clis() {
        let want: Value = serde_json::from_str(CLI_MINIMAL).unwrap();
        assert_eq!(body_of(&["--network", "none"], &[]).unwrap(), want);
    }

    #[test]
    fn ds01s_options_are_translated_like_the_cli() {
        // docker 28.2.2's CLI for `docker create -it -v /tmp/ws:/workspace -w /workspace --user
        // 1001:1001 --network host --device /dev/snd --cap-add SYS_PTRACE --security-opt
        // seccomp=unconfined --shm-size 16g --cgroup-parent x.slice --ulimit stack=67108864
        // --ulimit memlock=-1 --group-add video --gpus device=MIG-abc -e A=b --ipc host --runtime
        // runc --label foo=bar img:1 bash -c bash`, non-zero fields only.
        let b = body_of(
            &[
                "-it",
                "-v",
                "/tmp/ws:/workspace",
                "-w",
                "/workspace",
                "--user",
                "1001:1001",
                "--network",
                "host",
                "--device",
                "/dev/snd",
                "--cap-add",
                "SYS_PTRACE",
                "--security-opt",
                "seccomp=unconfined",
                "--shm-size",
                "16g",
                "--cgroup-parent",
                "x.slice",
                "--ulimit",
                "stack=67108864",
                "--ulimit",
                "memlock=-1",
                "--group-add",
                "video",
                "--gpus",
                "device=MIG-abc",
                "-e",
                "A=b",
                "--ipc",
                "host",
                "--runtime",
                "runc",
                "--label",
                "foo=bar",
            ],
            &["bash", "-c", "bash"],
        )
        .unwrap();
        let config = json!({"AttachStderr": true, "AttachStdin": true, "AttachStdout": true, "Cmd": ["bash", "-c", "bash"], "Env": ["A=b"], "Image": "img:1", "Labels": {"foo": "bar", "ds01.managed": "true"}, "OpenStdin": true, "StdinOnce": true, "Tty": true, "User": "1001:1001", "WorkingDir": "/workspace"});
        let host = json!({"Binds": ["/tmp/ws:/workspace"], "CapAdd": ["CAP_SYS_PTRACE"], "CgroupParent": "x.slice", "ConsoleSize": [0, 0], "DeviceRequests": [{"Capabilities": [["gpu"]], "Count": 0, "DeviceIDs": ["MIG-abc"], "Driver": "", "Options": {}}], "Devices": [{"CgroupPermissions": "rwm", "PathInContainer": "/dev/snd", "PathOnHost": "/dev/snd"}], "GroupAdd": ["video"], "IpcMode": "host", "LogConfig": {"Config": {}, "Type": ""}, "MemorySwappiness": -1, "NetworkMode": "host", "RestartPolicy": {"MaximumRetryCount": 0, "Name": "no"}, "Runtime": "runc", "SecurityOpt": ["seccomp=unconfined"], "ShmSize": 17179869184_i64, "Ulimits": [{"Hard": -1, "Name": "memlock", "Soft": -1}, {"Hard": 67108864, "Name": "stack", "Soft": 67108864}]});
        let nonzero = |v: &Value| -> Value {
            let zero = |x: &Value| {
                matches!(x, Value::Null | Value::Bool(false))
                    || x == &json!("")
                    || x == &json!(0)
                    || x == &json!([])
                    || x == &json!({})
            };
            Value::Object(
                v.as_object()
                    .unwrap()
                    .iter()
                    .filter(|(k, x)| !zero(x) && *k != "HostConfig" && *k != "NetworkingConfig")
                    .map(|(k, x)| (k.clone(), x.clone()))
                    .collect(),
            )
        };
        assert_eq!(nonzero(&b), config);
        assert_eq!(nonzero(&b["HostConfig"]), host);
        assert_eq!(b["NetworkingConfig"], json!({"EndpointsConfig": {}}));
    }

    #[test]
    fn value_forms_follow_the_cli_parsers() {
        let host =
            |opts: &[&str], key: &str| body_of(opts, &[]).unwrap()["HostConfig"][key].clone();
        assert_eq!(host(&["--shm-size", "512m"], "ShmSize"), json!(512 << 20));
        assert_eq!(host(&["--shm-size=2GiB"], "ShmSize"), json!(2_i64 << 30));
        assert_eq!(host(&["--shm-size", "1024"], "ShmSize"), json!(1024));
        assert_eq!(
            host(&["--device", "/dev/a:/dev/b:r"], "Devices"),
            json!([{"PathOnHost": "/dev/a", "PathInContainer": "/dev/b", "CgroupPermissions": "r"}])
        );
        assert_eq!(
            host(&["--device", "/dev/a:rw"], "Devices"),
            json!([{"PathOnHost": "/dev/a", "PathInContainer": "/dev/a", "CgroupPermissions": "rw"}])
        );
        assert_eq!(
            host(
                &["--ulimit", "nofile=10:20", "--ulimit", "nofile=5"],
                "Ulimits"
            ),
            json!([{"Name": "nofile", "Hard": 5, "Soft": 5}])
        );
        assert_eq!(
            host(
                &[
                    "--cap-add",
                    "sys_admin",
                    "--cap-add",
                    "CAP_SYS_ADMIN",
                    "--cap-add",
                    "all"
                ],
                "CapAdd"
            ),
            json!(["ALL", "CAP_SYS_ADMIN"])
        );
        assert_eq!(
            host(&["--gpus", "all"], "DeviceRequests")[0]["Count"],
            json!(-1)
        );
        assert_eq!(
            host(&["--gpus", "2"], "DeviceRequests")[0]["Count"],
            json!(2)
        );
        assert_eq!(
            host(&["-v", "/a:/b", "-v", "/a:/b", "-v", "/c:/d:ro,z"], "Binds"),
            json!(["/a:/b", "/c:/d:ro,z"])
        );
        assert_eq!(
            host(&["--tty=false", "--privileged=1"], "Privileged"),
            json!(true)
        );
        let env = body_of(&["-e", "A=1", "-e", "B=x=y", "-e", "A=2"], &[]).unwrap();
        assert_eq!(env["Env"], json!(["A=2", "B=x=y"]));
        let b = body_of(&["--interactive=false", "--tty=false", "--label", "k"], &[]).unwrap();
        assert_eq!(b["OpenStdin"], json!(false));
        assert_eq!(b["Labels"]["k"], json!(""));
        let default = body_of(&[], &[]).unwrap();
        assert_eq!(default["HostConfig"]["NetworkMode"], json!("default"));
        let endpoints = default["NetworkingConfig"]["EndpointsConfig"]
            .as_object()
            .unwrap();
        assert_eq!(endpoints["default"], endpoint());
    }

    #[test]
    fn forms_the_cli_reads_differently_go_to_the_cli() {
        for opts in [
            &["--memory", "1g"][..],
            &["-v", "/data"],
            &["-v", "rel:/b"],
            &["-v", "/a/:/b"],
            &["-v", "/a:/b:bogus"],
            &["--device", "vendor.com/gpu=0"],
            &["--device", "/dev/a:/dev/b:x"],
            &["--security-opt", "seccomp=/tmp/profile.json"],
            &["--security-opt", "systempaths=unconfined"],
            &["--security-opt", "label"],
            &["--shm-size", "1.5g"],
            &["--shm-size", "16x"],
            &["--shm-size", "99999999999999999999"],
            &["--ulimit", "bogus=1"],
            &["--ulimit", "nofile=20:10"],
            &["--ulimit", "nofile=0x10"],
            &["--gpus", "\"device=0,1\""],
            &["--gpus", "count=2,capabilities=compute"],
            &["-e", "HOME"],
            &["--network", "name=a,alias=b"],
            &["--network", "a", "--network", "b"],
            &["--tty=yes"],
            &["--label", "=v"],
            &["--label-file", "/tmp/labels"],
            &["--some-future-option=1"],
        ] {
            assert!(body_of(opts, &[]).is_err(), "{opts:?} was translated");
        }
    }

    #[test]
    fn the_body_survives_bollards_model() {
        // Every field reaches the daemon: bollard's ContainerCreateBody carries them all.
        let b = body_of(
            &[
                "-it",
                "-v",
                "/a:/b",
                "--gpus",
                "all",
                "--ulimit",
                "nofile=1:2",
                "--device",
                "/dev/x",
            ],
            &["sh"],
        )
        .unwrap();
        let typed: bollard::models::ContainerCreateBody =
            serde_json::from_value(b.clone()).unwrap();
        let back = serde_json::to_value(&typed).unwrap();
        fn drop_nulls(v: &Value) -> Value {
            match v {
                Value::Object(m) => Value::Object(
                    m.iter()
                        .filter(|(_, x)| !x.is_null())
                        .map(|(k, x)| (k.clone(), drop_nulls(x)))
                        .collect(),
                ),
                Value::Array(items) => Value::Array(items.iter().map(drop_nulls).collect()),
                other => other.clone(),
            }
        }
        assert_eq!(back, drop_nulls(&b));
    }
}
