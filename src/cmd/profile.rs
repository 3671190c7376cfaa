//! `syncbit profile add|list|remove`: one env file and one state folder per person. Loading a
//! profile for a run (`--profile`) is `config::profile`'s business.

use std::path::Path;

use crate::cli::{Global, ProfileCommand};
use crate::config::profile::{
    self, ALLOW_SHARED, Profile, Scope, check_name, env_path, same_series, shared_message,
    state_path,
};
use crate::config::{self as config, sink};
use crate::error::Exit;
use crate::fsutil::{atomic_write, ensure_dir, lock_dir};

/// The template every profile's env file starts from: the example of every variable.
const TEMPLATE: &str = include_str!("../../contrib/syncbit.env.example");

/// Run a `profile` subcommand.
pub fn run(g: &Global, c: &ProfileCommand) -> Result<(), Exit> {
    match c {
        ProfileCommand::Add {
            name,
            endpoint,
            user_label,
            allow_shared_user,
            system,
        } => add(
            g,
            name,
            endpoint.as_deref(),
            user_label.as_deref(),
            *allow_shared_user,
            scope(*system),
        ),
        ProfileCommand::List => list(),
        ProfileCommand::Remove {
            name,
            purge,
            system,
        } => remove(g, name, *purge, *system),
    }
}

fn scope(system: bool) -> Scope {
    if system { Scope::System } else { Scope::User }
}

/// A value as an env file line holds it, read alike by systemd and `sh`.
///
/// Errors: exit 2 for control characters, and for a value that needs quoting and holds `'`.
fn env_value(flag: &str, v: &str) -> Result<String, Exit> {
    if v.chars().any(char::is_control) {
        return Err(Exit::usage(format!(
            "{flag} {v:?} holds a control character; give it without"
        )));
    }
    let plain = v
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"._:/@%+=,-".contains(&b));
    if plain {
        Ok(v.to_string())
    } else if !v.contains('\'') {
        Ok(format!("'{v}'"))
    } else {
        Err(Exit::usage(format!(
            "{flag} {v:?} holds both a character that needs quoting and a single quote; \
             accepted: a value without '"
        )))
    }
}

/// `text` with `KEY=value` in place of the example line `#KEY=...` (or appended), and no
/// other line setting `KEY`.
fn set_var(text: &str, key: &str, value: &str) -> String {
    let line = format!("{key}={value}");
    let mut out = Vec::new();
    let mut done = false;
    for l in text.lines() {
        let t = l.trim_start();
        let commented = t
            .strip_prefix('#')
            .is_some_and(|r| r.trim_start().starts_with(&format!("{key}=")));
        if t.starts_with(&format!("{key}=")) || t.starts_with(&format!("export {key}=")) {
            if !done {
                out.push(line.clone());
                done = true;
            }
        } else if commented && !done {
            out.push(line.clone());
            done = true;
        } else {
            out.push(l.to_string());
        }
    }
    if !done {
        out.push(line);
    }
    let mut s = out.join("\n");
    s.push('\n');
    s
}

/// The env file of a new profile: a header saying whose it is, then the example of every
/// variable with the given values filled in.
fn render(name: &str, scope: Scope, state: &Path, values: &[(&str, String)]) -> String {
    let user = if scope == Scope::User { " --user" } else { "" };
    let mut text = format!(
        "# syncbit profile {name}, written by `syncbit profile add` on {day}.\n\
         # Read by `syncbit --profile {name} ...` and by the units syncbit-sync@{name}.service,\n\
         # syncbit-sync-intraday@{name}.service and syncbit-backfill@{name}.service (systemctl{user}).\n\
         # State folder (DATA_DIR): {state}\n\
         # Keep this file mode 0600: it may hold secrets. A variable already set in the environment\n\
         # of a run wins over this file; flags win over both.\n",
        day = chrono::Local::now().format("%Y-%m-%d"),
        state = state.display(),
    );
    // The example's own header is about /etc/syncbit/syncbit.env; its first blank line ends it.
    let body = TEMPLATE
        .split_once("\n\n")
        .map(|(_, b)| b)
        .unwrap_or(TEMPLATE);
    let body: Vec<&str> = body
        .lines()
        .filter(|l| !l.contains("SYNCBIT_PROFILE"))
        .collect();
    text.push('\n');
    text.push_str(&body.join("\n"));
    text.push('\n');
    for (k, v) in values {
        text = set_var(&text, k, v);
    }
    text
}

fn add(
    g: &Global,
    name: &str,
    endpoint: Option<&str>,
    label: Option<&str>,
    allow: bool,
    scope: Scope,
) -> Result<(), Exit> {
    check_name(name)?;
    let file = env_path(scope, name)?;
    if file.exists() {
        return Err(Exit::usage(format!(
            "profile {name} exists already: {}; edit it, or `syncbit profile remove {name}` first",
            file.display()
        )));
    }
    let mut values: Vec<(&str, String)> = Vec::new();
    if let Some(s) = config::nonempty(g.source.as_deref()) {
        config::source_kind(
            config::named("SYNCBIT_SOURCE", "--source", Some(s)),
            Some(s),
        )?;
        values.push(("SYNCBIT_SOURCE", s.to_string()));
    }
    let label = config::nonempty(label).unwrap_or(name);
    values.push(("FITBIT_USER_ID", env_value("--user-label", label)?));
    let endpoint = config::nonempty(endpoint);
    if let Some(e) = endpoint {
        sink::import_url(e).map_err(|err| Exit::usage(format!("--endpoint: {}", err.message)))?;
        values.push(("VICTORIA_ENDPOINT", env_value("--endpoint", e)?));
    }
    let shared: Vec<Profile> = profile::all()
        .into_iter()
        .filter(|o| {
            o.file != file && same_series((label, endpoint), (o.label(), o.endpoint().as_deref()))
        })
        .collect();
    if let Some(other) = shared.first().filter(|_| !allow) {
        return Err(Exit::usage(format!(
            "{}\ngive it another --user-label, or --allow-shared-user if both are one person's data",
            shared_message(name, label, endpoint, other)
        )));
    }
    if allow {
        values.push((ALLOW_SHARED, "true".into()));
    }
    let state = state_path(scope, name)?;
    let text = render(name, scope, &state, &values);
    if g.dry_run {
        println!(
            "dry run: would write {} (mode 0600) and create {} (mode 0700):",
            file.display(),
            state.display()
        );
        print!("{text}");
        return Ok(());
    }
    let hint = if scope == Scope::System {
        " (--system needs root)"
    } else {
        ""
    };
    let dir = file.parent().unwrap_or(Path::new("."));
    ensure_dir(dir)
        .map_err(|e| Exit::failure(format!("cannot create {}: {e}{hint}", dir.display())))?;
    atomic_write(&file, text.as_bytes())
        .map_err(|e| Exit::failure(format!("cannot write {}: {e}{hint}", file.display())))?;
    let kept = state.is_dir();
    make_private_dir(&state)
        .map_err(|e| Exit::failure(format!("cannot create {}: {e}{hint}", state.display())))?;
    // The allowance is a decision about the pair, so the profiles already using the label get
    // it too; otherwise their runs would stop at the new one.
    for other in shared.iter().filter(|o| !o.allows_shared()) {
        match allow_in(&other.file) {
            Ok(()) => crate::info!(
                "profile {}: user label {label:?} shared with {name}; wrote {ALLOW_SHARED}=true into {}",
                other.name,
                other.file.display()
            ),
            Err(e) => crate::warn!(
                "cannot write {ALLOW_SHARED}=true into {}: {e}; add it there, or its runs and \
                 `syncbit profile list` report the shared label",
                other.file.display()
            ),
        }
    }
    println!("profile {name}: {} (mode 0600)", file.display());
    println!(
        "state folder: {} (mode 0700{})",
        state.display(),
        if kept { ", kept from before" } else { "" }
    );
    println!("user label: {label}");
    println!("next steps:");
    let client = if values
        .iter()
        .any(|(k, v)| *k == "SYNCBIT_SOURCE" && v == crate::source::fitbit::ID)
    {
        "FITBIT_CLIENT_ID, FITBIT_CLIENT_SECRET"
    } else {
        "GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET"
    };
    println!(
        "  1. put the OAuth client ({client}) and anything else into {}",
        file.display()
    );
    let (sudo, user) = match scope {
        Scope::System => ("sudo ", ""),
        Scope::User => ("", " --user"),
    };
    println!("  2. {sudo}syncbit --profile {name} auth login");
    println!(
        "  3. {sudo}systemctl{user} enable --now syncbit-sync@{name}.timer syncbit-sync-intraday@{name}.timer"
    );
    if scope == Scope::User {
        println!(
            "     (loginctl enable-linger $USER keeps them running while you are logged out; \
             for the system units instead: sudo syncbit profile add {name} --system)"
        );
    }
    Ok(())
}

/// Create `dir` (and its parents) mode 0700; an existing one is left as it is.
fn make_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if dir.is_dir() {
        return Ok(());
    }
    ensure_dir(dir)?;
    // ensure_dir's mode is filtered by the umask; the folder holds tokens.
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

/// Write `SYNCBIT_ALLOW_SHARED_USER=true` into an existing env file.
fn allow_in(file: &Path) -> std::io::Result<()> {
    let text = std::fs::read_to_string(file)?;
    atomic_write(file, set_var(&text, ALLOW_SHARED, "true").as_bytes())
}

/// What `profile list` shows of a profile's state file: account id, last success, newest
/// complete day. Read as plain JSON, so a state of any version (or none) shows `-`.
fn state_summary(dir: &Path) -> (String, String, String) {
    let dash = || "-".to_string();
    let Some(v) = std::fs::read(dir.join(crate::state::STATE_FILE))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
    else {
        return (dash(), dash(), dash());
    };
    let account = match v.get("account_id") {
        Some(serde_json::Value::String(s)) if !s.is_empty() => s.clone(),
        Some(serde_json::Value::Number(n)) => n.to_string(),
        _ => dash(),
    };
    let last = v
        .get("last_sync")
        .and_then(|t| t.as_str())
        .map(String::from)
        .unwrap_or_else(dash);
    let mut newest: Option<String> = v
        .get("daily_complete_through")
        .and_then(|d| d.as_str())
        .map(String::from);
    let mut books = vec![&v];
    if let Some(s) = v.get("sources").and_then(|s| s.as_object()) {
        books.extend(s.values());
    }
    let mut consider = |d: &str| {
        if chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok()
            && newest.as_deref().is_none_or(|n| d > n)
        {
            newest = Some(d.to_string());
        }
    };
    for book in books {
        for kind in ["daily", "intraday"] {
            let Some(days) = book.get(kind).and_then(|d| d.as_object()) else {
                continue;
            };
            for (day, items) in days {
                let complete = items.as_object().is_some_and(|m| {
                    m.values()
                        .any(|p| p.get("status").and_then(|s| s.as_str()) == Some("complete"))
                });
                if complete {
                    consider(day);
                }
            }
        }
        // Imports record their days as ranges per family.
        if let Some(fams) = book.get("days").and_then(|d| d.as_object()) {
            for ranges in fams.values().filter_map(|r| r.as_array()) {
                for r in ranges {
                    if let Some(end) = r.get(1).and_then(|e| e.as_str()) {
                        consider(end);
                    }
                }
            }
        }
    }
    (account, last, newest.unwrap_or_else(dash))
}

/// The source a profile's runs use, by the rule of `config::source_kind` on its file.
fn source_of(p: &Profile) -> &str {
    match p.get("SYNCBIT_SOURCE") {
        Some(s) => s,
        None if p.get("FITBIT_CLIENT_ID").is_some() && p.get("GOOGLE_CLIENT_ID").is_none() => {
            crate::source::fitbit::ID
        }
        None => crate::source::google::ID,
    }
}

fn list() -> Result<(), Exit> {
    let profiles = profile::all();
    if profiles.is_empty() {
        println!(
            "no profiles in {} or {}; add one with `syncbit profile add NAME`",
            profile::config_dir(Scope::User)?.display(),
            profile::SYSTEM_CONFIG_DIR
        );
        return Ok(());
    }
    let mut rows = vec![
        [
            "NAME",
            "SCOPE",
            "SOURCE",
            "ACCOUNT",
            "USER",
            "ENDPOINT",
            "LAST SUCCESS",
            "NEWEST DAY",
        ]
        .map(String::from),
    ];
    for p in &profiles {
        let (account, last, newest) = match p.state_dir() {
            Ok(d) => state_summary(&d),
            Err(_) => ("-".into(), "-".into(), "-".into()),
        };
        rows.push([
            p.name.clone(),
            p.scope.as_str().into(),
            source_of(p).into(),
            account,
            p.label().into(),
            p.endpoint()
                .map(|e| sink::redact_url(&e))
                .unwrap_or_else(|| "-".into()),
            last,
            newest,
        ]);
    }
    let widths: Vec<usize> = (0..8)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    for r in &rows {
        let line: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        println!("{}", line.join("  ").trim_end());
    }
    let mut shared = 0;
    for (i, a) in profiles.iter().enumerate() {
        for b in &profiles[i + 1..] {
            let (ea, eb) = (a.endpoint(), b.endpoint());
            if same_series((a.label(), ea.as_deref()), (b.label(), eb.as_deref()))
                && !(a.allows_shared() && b.allows_shared())
            {
                shared += 1;
                crate::warn!(
                    "profiles {} and {} share the user label {:?} on {} without both allowing it \
                     ({ALLOW_SHARED}=true in both): their runs exit 2",
                    a.shown(),
                    b.shown(),
                    a.label(),
                    ea.map(|e| sink::redact_url(&e))
                        .unwrap_or_else(|| "the environment's VICTORIA_ENDPOINT".into())
                );
            }
        }
    }
    if shared > 0 {
        // The warnings above say it all, one line per pair.
        return Err(Exit::failure(String::new()));
    }
    Ok(())
}

fn remove(g: &Global, name: &str, purge: bool, system: bool) -> Result<(), Exit> {
    check_name(name)?;
    let p = if system {
        profile::read(Scope::System, name)?.ok_or_else(|| {
            Exit::usage(format!(
                "no system profile {name}: {} does not exist",
                env_path(Scope::System, name)
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
            ))
        })?
    } else {
        profile::find(name)?
    };
    let dir = p.state_dir()?;
    let user = if p.scope == Scope::User {
        " --user"
    } else {
        ""
    };
    if g.dry_run {
        println!("dry run: would remove {}", p.file.display());
        if purge {
            println!(
                "dry run: would log out (revoke the tokens) and delete {}",
                dir.display()
            );
        }
        return Ok(());
    }
    if purge {
        let tokens = ["google_tokens.json", "fitbit_tokens.json"]
            .iter()
            .any(|t| dir.join(t).exists());
        if tokens {
            logout(&p, &dir, g)?;
        }
        if dir.is_dir() {
            // A timer's run on this folder finishes first.
            let _lock = lock_dir(&dir, std::time::Duration::from_secs(g.lock_timeout))?;
            std::fs::remove_dir_all(&dir)
                .map_err(|e| Exit::failure(format!("cannot delete {}: {e}", dir.display())))?;
        }
    }
    std::fs::remove_file(&p.file)
        .map_err(|e| Exit::failure(format!("cannot remove {}: {e}", p.file.display())))?;
    println!("removed profile {name}: {}", p.file.display());
    if purge {
        println!("deleted its state folder {}", dir.display());
    } else if dir.is_dir() {
        println!(
            "kept its state folder {} (tokens, progress): `syncbit profile add {name}` uses it \
             again, `syncbit profile remove {name} --purge` would have deleted it",
            dir.display()
        );
    }
    println!(
        "stop its timers: systemctl{user} disable --now syncbit-sync@{name}.timer syncbit-sync-intraday@{name}.timer"
    );
    Ok(())
}

/// `syncbit auth logout` in the profile's environment, as a run of it would have it.
///
/// Errors: the logout's own exit code when it fails; nothing is removed then.
fn logout(p: &Profile, dir: &Path, g: &Global) -> Result<(), Exit> {
    let exe = std::env::current_exe()
        .map_err(|e| Exit::failure(format!("cannot find the syncbit binary to log out: {e}")))?;
    let mut c = std::process::Command::new(exe);
    c.args(["auth", "logout"])
        .arg("--lock-timeout")
        .arg(g.lock_timeout.to_string())
        .env_remove("SYNCBIT_PROFILE")
        .env("DATA_DIR", dir);
    for (k, v) in &p.vars {
        if k != "DATA_DIR" && config::var(k).is_none() {
            c.env(k, v);
        }
    }
    let status = c
        .status()
        .map_err(|e| Exit::failure(format!("cannot run syncbit auth logout: {e}")))?;
    if status.success() {
        return Ok(());
    }
    Err(Exit::new(
        status
            .code()
            .and_then(|c| u8::try_from(c).ok())
            .unwrap_or(crate::error::FAILURE),
        format!(
            "profile {}: the logout failed (above), so nothing was removed; fix that, or remove \
             the profile without --purge and delete {} yourself",
            p.name,
            dir.display()
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_gets_the_values_and_reads_back() {
        let text = render(
            "alice",
            Scope::User,
            Path::new("/s/alice"),
            &[
                ("SYNCBIT_SOURCE", "fitbit-web-api".into()),
                (
                    "FITBIT_USER_ID",
                    env_value("--user-label", "Alice B").unwrap(),
                ),
                ("VICTORIA_ENDPOINT", "http://vm:8428".into()),
                (ALLOW_SHARED, "true".into()),
            ],
        );
        let vars = profile::parse_env(&text);
        let get = |k: &str| vars.iter().find(|(x, _)| x == k).map(|(_, v)| v.as_str());
        assert_eq!(get("SYNCBIT_SOURCE"), Some("fitbit-web-api"));
        assert_eq!(get("FITBIT_USER_ID"), Some("Alice B"));
        assert_eq!(get("VICTORIA_ENDPOINT"), Some("http://vm:8428"));
        assert_eq!(get(ALLOW_SHARED), Some("true"));
        assert_eq!(vars.len(), 4, "only the given values are set: {vars:?}");
        assert!(
            text.contains("#GOOGLE_CLIENT_ID="),
            "the rest stays documented"
        );
        assert!(!text.contains("SYNCBIT_PROFILE"));
        assert!(text.contains("syncbit-sync@alice.service"));
    }

    #[test]
    fn values_that_cannot_be_written_are_refused() {
        assert_eq!(env_value("--user-label", "a b").unwrap(), "'a b'");
        assert_eq!(env_value("--user-label", "bob").unwrap(), "bob");
        assert!(env_value("--user-label", "a\nb").is_err());
        assert!(env_value("--user-label", "it's me").is_err());
    }

    #[test]
    fn the_allowance_replaces_earlier_lines() {
        let t = set_var(
            "A=1\n#SYNCBIT_ALLOW_SHARED_USER=false\nSYNCBIT_ALLOW_SHARED_USER=no\n",
            ALLOW_SHARED,
            "true",
        );
        assert_eq!(t, "A=1\nSYNCBIT_ALLOW_SHARED_USER=true\n");
        assert_eq!(set_var("A=1", "B", "2"), "A=1\nB=2\n");
    }

    #[test]
    fn list_reads_any_state_defensively() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(state_summary(dir.path()).0, "-");
        std::fs::write(dir.path().join("sync_state.json"), "not json").unwrap();
        assert_eq!(
            state_summary(dir.path()),
            ("-".into(), "-".into(), "-".into())
        );
        std::fs::write(
            dir.path().join("sync_state.json"),
            r#"{"version":3,"account_id":"abc","last_sync":"2026-12-01T10:00:00Z",
               "daily":{"2026-11-03":{"activity":{"status":"complete"}}},
               "sources":{"google-health":{
                 "daily":{"2026-11-20":{"heart":{"status":"complete"}},
                          "2026-11-21":{"heart":{"status":"partial"}}},
                 "intraday":{"2026-11-22":{"steps":{"status":"partial","through_ms":1}}},
                 "days":{"sleep":[["2025-01-01","2026-11-10"]]}}}}"#,
        )
        .unwrap();
        assert_eq!(
            state_summary(dir.path()),
            (
                "abc".into(),
                "2026-12-01T10:00:00Z".into(),
                "2026-11-20".into()
            )
        );
    }
}
