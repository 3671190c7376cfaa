//! Profiles: one named person each, an env file (`$XDG_CONFIG_HOME/syncbit/NAME.env`, or
//! `/etc/syncbit/NAME.env` for the system units) and a state folder
//! (`$XDG_STATE_HOME/syncbit/NAME`, or `/var/lib/syncbit/NAME`). `syncbit --profile NAME` loads
//! the file into the environment before anything else reads it, so every command, `import`
//! included, sees the profile as if its variables had been exported.

use std::path::{Path, PathBuf};

use super::{boolean, nonempty, secret, sink, var};
use crate::cli::Global;
use crate::error::Exit;

/// Folder of the system profiles' env files (read by `syncbit-sync@NAME.service`).
pub const SYSTEM_CONFIG_DIR: &str = "/etc/syncbit";
/// Folder of the system profiles' state folders (`StateDirectory=syncbit/%i`).
pub const SYSTEM_STATE_DIR: &str = "/var/lib/syncbit";
/// What a profile name looks like, for messages.
pub const NAME_RULE: &str = "1 to 32 of a-z, 0-9, '_' and '-', starting with a letter or digit";
/// The variable that lets two profiles share a `user` label on one endpoint.
pub const ALLOW_SHARED: &str = "SYNCBIT_ALLOW_SHARED_USER";

/// Whose profile: the person's own, or the machine's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// `$XDG_CONFIG_HOME/syncbit/`, state in `$XDG_STATE_HOME/syncbit/`.
    User,
    /// `/etc/syncbit/`, state in `/var/lib/syncbit/`.
    System,
}

impl Scope {
    /// `user` or `system`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::User => "user",
            Scope::System => "system",
        }
    }
}

/// Exit 2 unless `name` matches `[a-z0-9][a-z0-9_-]{0,31}`.
pub fn check_name(name: &str) -> Result<(), Exit> {
    let b = name.as_bytes();
    let ok = (1..=32).contains(&b.len())
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_' || *c == b'-');
    if ok {
        Ok(())
    } else {
        Err(Exit::usage(format!(
            "profile name {name:?} is not valid; accepted: {NAME_RULE}"
        )))
    }
}

fn base_dirs() -> Result<directories::BaseDirs, Exit> {
    directories::BaseDirs::new()
        .ok_or_else(|| Exit::usage("cannot find a home directory for the profiles; set HOME"))
}

/// The folder of `scope`'s env files.
pub fn config_dir(scope: Scope) -> Result<PathBuf, Exit> {
    match scope {
        Scope::System => Ok(PathBuf::from(SYSTEM_CONFIG_DIR)),
        Scope::User => Ok(base_dirs()?.config_dir().join("syncbit")),
    }
}

/// The env file of profile `name`.
pub fn env_path(scope: Scope, name: &str) -> Result<PathBuf, Exit> {
    Ok(config_dir(scope)?.join(format!("{name}.env")))
}

/// The state folder of profile `name` (its `DATA_DIR`).
pub fn state_path(scope: Scope, name: &str) -> Result<PathBuf, Exit> {
    match scope {
        Scope::System => Ok(Path::new(SYSTEM_STATE_DIR).join(name)),
        Scope::User => {
            let b = base_dirs()?;
            Ok(b.state_dir()
                .unwrap_or_else(|| b.data_local_dir())
                .join("syncbit")
                .join(name))
        }
    }
}

/// `KEY=value` lines as systemd's `EnvironmentFile=` and `set -a; .` read them: comments (`#`,
/// `;`) and blank lines skipped, an `export ` prefix and one pair of surrounding quotes
/// dropped. Later lines win.
pub fn parse_env(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let k = k.trim();
        if k.is_empty() || !k.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_') {
            continue;
        }
        let v = v.trim();
        let v = [('"', '"'), ('\'', '\'')]
            .iter()
            .find_map(|(a, b)| {
                v.strip_prefix(*a)
                    .and_then(|r| r.strip_suffix(*b))
                    .filter(|_| v.len() >= 2)
            })
            .map(|r| r.replace("\\\"", "\"").replace("\\\\", "\\"))
            .unwrap_or_else(|| v.to_string());
        out.retain(|(x, _)| x != k);
        out.push((k.to_string(), v));
    }
    out
}

/// One profile as its env file describes it.
#[derive(Clone, Debug)]
pub struct Profile {
    /// Its name.
    pub name: String,
    /// Whose it is.
    pub scope: Scope,
    /// Its env file.
    pub file: PathBuf,
    /// The file's variables.
    pub vars: Vec<(String, String)>,
}

impl Profile {
    /// A variable of the file; empty counts as unset.
    pub fn get(&self, k: &str) -> Option<&str> {
        self.vars
            .iter()
            .rev()
            .find(|(x, _)| x == k)
            .and_then(|(_, v)| nonempty(Some(v)))
    }

    /// Its state folder: `DATA_DIR` of the file, else the scope's folder for it.
    pub fn state_dir(&self) -> Result<PathBuf, Exit> {
        match self.get("DATA_DIR") {
            Some(d) => Ok(PathBuf::from(d)),
            None => state_path(self.scope, &self.name),
        }
    }

    /// The `user` label its runs write (`FITBIT_USER_ID`, default `default`).
    pub fn label(&self) -> &str {
        self.get("FITBIT_USER_ID").unwrap_or("default")
    }

    /// The import URL it writes to, credentials and all (`None`: not in the file).
    pub fn endpoint(&self) -> Option<String> {
        let e = self.get("VICTORIA_ENDPOINT")?;
        Some(sink::import_url_for(e, self.get("VICTORIA_TENANT")).unwrap_or_else(|_| e.to_string()))
    }

    /// Whether it allows another profile to share its label on its endpoint.
    pub fn allows_shared(&self) -> bool {
        boolean(
            ALLOW_SHARED,
            self.get(ALLOW_SHARED).map(String::from),
            false,
        )
        .unwrap_or(false)
    }

    /// `name (path)`, for messages.
    pub fn shown(&self) -> String {
        format!("{} ({})", self.name, self.file.display())
    }
}

/// Profile `name` of `scope`; `None` when its file does not exist.
///
/// Errors: exit 2 when the file exists but cannot be read.
pub fn read(scope: Scope, name: &str) -> Result<Option<Profile>, Exit> {
    let file = env_path(scope, name)?;
    match std::fs::read_to_string(&file) {
        Ok(text) => Ok(Some(Profile {
            name: name.to_string(),
            scope,
            file,
            vars: parse_env(&text),
        })),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Exit::usage(format!(
            "cannot read the profile {}: {e}",
            file.display()
        ))),
    }
}

/// The profile `syncbit --profile name` means: the person's own when it exists, else the
/// system's.
///
/// Errors: exit 2 for a bad name, an unreadable file, or no profile of that name.
pub fn find(name: &str) -> Result<Profile, Exit> {
    check_name(name)?;
    let user = read(Scope::User, name)?;
    let system = match read(Scope::System, name) {
        Ok(p) => p,
        // Unreadable system profiles do not hide the user's own.
        Err(e) if user.is_some() => {
            crate::debug!("{}", e.message);
            None
        }
        Err(e) => return Err(e),
    };
    match (user, system) {
        (Some(u), Some(s)) => {
            crate::info!(
                "profile {name}: using {} (the user's profile wins over {})",
                u.file.display(),
                s.file.display()
            );
            Ok(u)
        }
        (Some(p), None) | (None, Some(p)) => Ok(p),
        (None, None) => Err(Exit::usage(format!(
            "no profile {name}: neither {} nor {} exists; create it with `syncbit profile add {name}`",
            env_path(Scope::User, name)?.display(),
            env_path(Scope::System, name)?.display()
        ))),
    }
}

/// Every profile that can be read: the user's, then the system's (when `/etc/syncbit` is
/// readable), each sorted by name.
pub fn all() -> Vec<Profile> {
    let mut out = Vec::new();
    for scope in [Scope::User, Scope::System] {
        let Ok(dir) = config_dir(scope) else { continue };
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                e.file_name()
                    .to_str()?
                    .strip_suffix(".env")
                    .map(String::from)
            })
            .filter(|n| check_name(n).is_ok())
            .collect();
        names.sort();
        for n in names {
            match read(scope, &n) {
                Ok(Some(p)) => out.push(p),
                Ok(None) => {}
                Err(e) => crate::debug!("{}", e.message),
            }
        }
    }
    out
}

/// The endpoint as compared between profiles: scheme, host and port (the default one when
/// absent), path without a trailing slash or the import path, the cluster tenant as
/// `account:project`; credentials and query left out.
pub fn endpoint_key(url: &str) -> String {
    let Ok(u) = url::Url::parse(url.trim()) else {
        return url.trim().trim_end_matches('/').to_lowercase();
    };
    let mut path = u.path().trim_end_matches('/');
    path = path.strip_suffix(sink::IMPORT_PATH).unwrap_or(path);
    let path = path.trim_end_matches('/');
    let path = match path.split_once("/insert/") {
        Some((before, rest)) => {
            let (t, after) = rest.split_once('/').unwrap_or((rest, ""));
            let t = if t.contains(':') {
                t.to_string()
            } else {
                format!("{t}:0")
            };
            let after = if after.is_empty() {
                String::new()
            } else {
                format!("/{after}")
            };
            format!("{before}/insert/{t}{after}")
        }
        None => path.to_string(),
    };
    format!(
        "{}://{}:{}{}",
        u.scheme(),
        u.host_str().unwrap_or_default().to_lowercase(),
        u.port_or_known_default().unwrap_or(0),
        path
    )
}

/// Whether two profiles' runs would write into the same series: the same label on the same
/// endpoint (two profiles without an endpoint in their files count as the same one: both get
/// it from the environment they run in).
pub fn same_series(a: (&str, Option<&str>), b: (&str, Option<&str>)) -> bool {
    a.0 == b.0 && a.1.map(endpoint_key) == b.1.map(endpoint_key)
}

/// The message for a shared label: `name` uses `label` on `endpoint` like `other`.
pub fn shared_message(name: &str, label: &str, endpoint: Option<&str>, other: &Profile) -> String {
    let on = match endpoint {
        Some(e) => sink::redact_url(e),
        None => "the environment's VICTORIA_ENDPOINT".into(),
    };
    format!(
        "profile {name}: the user label {label:?} on {on} is already used by profile {}; \
         both would write into the same series",
        other.shown()
    )
}

/// What `--profile name` adds to the environment: the file's variables that the process
/// environment does not set already, and `DATA_DIR`. `writes`: the command writes samples, so
/// a label shared with another profile on the same endpoint without both allowing it stops it.
///
/// Errors: exit 2 for no such profile, an unreadable file, or a shared label.
pub fn environment(name: &str, g: &Global, writes: bool) -> Result<Vec<(String, String)>, Exit> {
    let p = find(name)?;
    crate::debug!("profile {name}: loading {}", p.file.display());
    let mut set: Vec<(String, String)> = p
        .vars
        .iter()
        .filter(|(k, _)| k != "DATA_DIR" && var(k).is_none())
        .cloned()
        .collect();
    // The profile's state folder wins over a DATA_DIR of the environment: one exported in a
    // shell would otherwise give this person another person's tokens and progress.
    let dir = p.state_dir()?;
    if let Some(d) = var("DATA_DIR").filter(|d| Path::new(d) != dir) {
        crate::warn!(
            "profile {name}: using its state folder {} instead of DATA_DIR={d} (--data-dir chooses another)",
            dir.display()
        );
    }
    set.push(("DATA_DIR".into(), dir.display().to_string()));
    if writes {
        check_shared(&p, g)?;
    }
    Ok(set)
}

/// Exit 2 when the run of `p` (its label and endpoint after the environment and flags) shares
/// them with another profile without both allowing it.
fn check_shared(p: &Profile, g: &Global) -> Result<(), Exit> {
    let label = nonempty(g.user_id.as_deref())
        .map(String::from)
        .unwrap_or_else(|| p.label().to_string());
    let raw = nonempty(g.victoria_endpoint.as_deref())
        .map(String::from)
        .or_else(|| secret("VICTORIA_ENDPOINT"))
        .or_else(|| p.get("VICTORIA_ENDPOINT").map(String::from));
    let tenant = var("VICTORIA_TENANT").or_else(|| p.get("VICTORIA_TENANT").map(String::from));
    let endpoint = raw.map(|e| sink::import_url_for(&e, tenant.as_deref()).unwrap_or(e));
    let allows = match var(ALLOW_SHARED) {
        Some(v) => boolean(ALLOW_SHARED, Some(v), false)?,
        None => p.allows_shared(),
    };
    for other in all() {
        if other.file == p.file {
            continue;
        }
        let theirs = other.endpoint();
        if same_series(
            (&label, endpoint.as_deref()),
            (other.label(), theirs.as_deref()),
        ) && !(allows && other.allows_shared())
        {
            return Err(Exit::usage(format!(
                "{}\nchange FITBIT_USER_ID in one of them, or set {ALLOW_SHARED}=true in both \
                 if they really are one person",
                shared_message(&p.name, &label, endpoint.as_deref(), &other)
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_names() {
        for ok in ["a", "0", "alice", "bob-2", "x_y", &"a".repeat(32)] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "-a",
            "_a",
            "Alice",
            "a.b",
            "a b",
            "../x",
            "é",
            &"a".repeat(33),
        ] {
            assert_eq!(
                check_name(bad).unwrap_err().code,
                crate::error::USAGE,
                "{bad}"
            );
        }
    }

    #[test]
    fn env_files_read_like_systemd_and_sh() {
        let v = parse_env(
            "# comment\n; also\n\nA=1\nexport B = two \nC=\"x y\"\nD='q'\nbad line\nA=3\nE=\n=x\n",
        );
        let get = |k: &str| v.iter().find(|(x, _)| x == k).map(|(_, v)| v.as_str());
        assert_eq!(get("A"), Some("3"));
        assert_eq!(get("B"), Some("two"));
        assert_eq!(get("C"), Some("x y"));
        assert_eq!(get("D"), Some("q"));
        assert_eq!(get("E"), Some(""));
        assert_eq!(v.len(), 5, "{v:?}");
    }

    #[test]
    fn endpoints_compare_after_normalising() {
        let same = [
            "http://127.0.0.1:8428",
            "http://127.0.0.1:8428/",
            "HTTP://127.0.0.1:8428/api/v1/import/prometheus",
            "http://bob:pw@127.0.0.1:8428/api/v1/import/prometheus/",
            "http://127.0.0.1:8428?extra=1",
        ];
        for e in same {
            assert_eq!(endpoint_key(e), endpoint_key(same[0]), "{e}");
        }
        assert_eq!(
            endpoint_key("http://VM.example"),
            endpoint_key("http://vm.example:80/")
        );
        assert_eq!(
            endpoint_key("https://vm.example/api/v1/import/prometheus"),
            endpoint_key("https://vm.example:443")
        );
        assert_ne!(
            endpoint_key("https://vm.example"),
            endpoint_key("http://vm.example")
        );
        assert_ne!(
            endpoint_key("http://vm:8428"),
            endpoint_key("http://vm:8429")
        );
        // Tenants: 5 is 5:0, another tenant is another endpoint.
        let t =
            |t: &str| endpoint_key(&sink::import_url_for("http://vminsert:8480", Some(t)).unwrap());
        assert_eq!(t("5"), t("5:0"));
        assert_eq!(
            t("5"),
            endpoint_key("http://vminsert:8480/insert/5/prometheus/api/v1/import/prometheus")
        );
        assert_ne!(t("5"), t("6"));
        assert_ne!(t("5"), t("5:1"));
        assert!(same_series(("a", None), ("a", None)));
        assert!(!same_series(("a", None), ("b", None)));
        assert!(!same_series(("a", Some("http://vm:8428")), ("a", None)));
    }
}
