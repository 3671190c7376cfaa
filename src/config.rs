//! Environment, flags and credential files → a validated [`Config`]. Everything is checked
//! before any network call; a bad value is exit 2 with a message that names the variable and
//! the values it accepts.

use chrono::NaiveDate;
use chrono_tz::Tz;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cli::Global;
use crate::error::Exit;
use crate::sink::victoria::Auth;
use crate::source::{Detail, Family, Resource};

/// Default Fitbit Web API base URL.
pub const DEFAULT_API_BASE: &str = "https://api.fitbit.com";
/// Default authorize endpoint.
pub const DEFAULT_AUTH_URL: &str = "https://www.fitbit.com/oauth2/authorize";
/// Path appended to a base `VICTORIA_ENDPOINT`.
pub const IMPORT_PATH: &str = "/api/v1/import/prometheus";

/// The validated configuration of one run.
#[derive(Debug, Clone)]
pub struct Config {
    /// Folder of the token and state files.
    pub data_dir: PathBuf,
    /// Value of the `user` label.
    pub user: String,
    /// Fitbit Web API base URL, without a trailing slash.
    pub api_base: String,
    /// OAuth authorize endpoint (`FITBIT_AUTH_URL`).
    pub auth_url: String,
    /// OAuth redirect URI (`FITBIT_REDIRECT_URI`).
    pub redirect_uri: String,
    /// `FITBIT_CLIENT_ID`.
    pub client_id: Option<String>,
    /// `FITBIT_CLIENT_SECRET`.
    pub client_secret: Option<String>,
    /// Full import URL and credentials, when configured.
    pub victoria: Option<(String, Auth)>,
    /// `SYNCBIT_TIMEZONE`.
    pub timezone: Option<Tz>,
    /// `INCLUDE_TODAY_DATA`.
    pub include_today: bool,
    /// Daily families to collect (activity and heart always; the rest by `COLLECT_*`).
    pub families: Vec<Family>,
    /// `COLLECT_DEVICE_INFO`.
    pub collect_devices: bool,
    /// `ENABLE_INTRADAY_COLLECTION`: `sync` also runs the intraday pass.
    pub intraday_with_sync: bool,
    /// `INTRADAY_DETAIL_LEVEL`.
    pub intraday_detail: Detail,
    /// `INTRADAY_HEART_RATE_DETAIL`.
    pub heart_rate_detail: Detail,
    /// `INTRADAY_RESOURCES`.
    pub intraday_resources: Vec<Resource>,
    /// `ENABLE_INTRADAY_BACKFILL`: `backfill` also fetches intraday series.
    pub intraday_backfill: bool,
    /// `INTRADAY_BACKFILL_DAYS`.
    pub intraday_backfill_days: u32,
    /// `BACKFILL_START_DATE`.
    pub backfill_start: Option<NaiveDate>,
    /// `--dry-run`.
    pub dry_run: bool,
    /// `--lock-timeout`.
    pub lock_timeout: Duration,
}

/// Read an environment variable; empty counts as unset.
fn var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// A secret: `$CREDENTIALS_DIRECTORY/<name>`, then `/run/secrets/<name>` (name in lower case,
/// or as the variable is spelled), then the variable itself.
pub fn secret(name: &str) -> Option<String> {
    let lower = name.to_lowercase();
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Some(d) = std::env::var_os("CREDENTIALS_DIRECTORY") {
        dirs.push(PathBuf::from(d));
    }
    dirs.push(PathBuf::from("/run/secrets"));
    for dir in dirs {
        for file in [lower.as_str(), name] {
            if let Ok(v) = std::fs::read_to_string(dir.join(file)) {
                let v = v.trim().to_string();
                if !v.is_empty() {
                    return Some(v);
                }
            }
        }
    }
    var(name)
}

fn bad(name: &str, value: &str, accepted: &str) -> Exit {
    Exit::usage(format!(
        "{name}={value:?} is not valid; accepted: {accepted}"
    ))
}

fn boolean(name: &str, value: Option<String>, default: bool) -> Result<bool, Exit> {
    match value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_lowercase)
        .as_deref()
    {
        None => Ok(default),
        Some("true" | "1" | "yes" | "on") => Ok(true),
        Some("false" | "0" | "no" | "off") => Ok(false),
        Some(_) => Err(bad(
            name,
            value.as_deref().unwrap_or_default(),
            "true or false (also 1/0, yes/no, on/off)",
        )),
    }
}

fn detail(name: &str, value: Option<String>, default: Detail, heart: bool) -> Result<Detail, Exit> {
    let Some(v) = value else { return Ok(default) };
    match v.as_str() {
        "1sec" if heart => Ok(Detail::Sec1),
        "1min" => Ok(Detail::Min1),
        "5min" => Ok(Detail::Min5),
        "15min" => Ok(Detail::Min15),
        _ if heart => Err(bad(name, &v, "1sec, 1min, 5min, 15min")),
        _ => Err(bad(name, &v, "1min, 5min, 15min")),
    }
}

fn url(name: &str, v: &str) -> Result<String, Exit> {
    if !(v.starts_with("http://") || v.starts_with("https://")) || v.len() < 10 {
        return Err(bad(name, v, "an http:// or https:// URL"));
    }
    Ok(v.trim_end_matches('/').to_string())
}

/// `VICTORIA_ENDPOINT` as the full import URL: a URL with a path is taken as is, a base URL
/// gets `/api/v1/import/prometheus`.
pub fn import_url(v: &str) -> Result<String, Exit> {
    let shown = redact_url(v);
    let parsed = oauth2::url::Url::parse(v.trim()).ok().filter(|u| {
        matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty())
    });
    let Some(parsed) = parsed else {
        return Err(bad(
            "VICTORIA_ENDPOINT",
            &shown,
            "an http:// or https:// URL with a host: the import URL \
             (http://host:8428/api/v1/import/prometheus) or the base URL (http://host:8428)",
        ));
    };
    let path = parsed.path().trim_end_matches('/');
    if path.is_empty() {
        return Ok(format!("{}{IMPORT_PATH}", v.trim().trim_end_matches('/')));
    }
    for other in ["/api/v1/import", "/api/v1/write", "/write", "/api/v1/push"] {
        if path.ends_with(other) {
            return Err(bad(
                "VICTORIA_ENDPOINT",
                &shown,
                "the Prometheus text import path .../api/v1/import/prometheus (VictoriaMetrics \
                 answers 204 on other import paths and drops the samples)",
            ));
        }
    }
    if !path.ends_with("/import/prometheus") {
        crate::warn!(
            "VICTORIA_ENDPOINT path {path} does not end in /api/v1/import/prometheus; assuming a proxy that forwards to it"
        );
    }
    Ok(v.trim().trim_end_matches('/').to_string())
}

/// A URL for messages: user info and query string removed (they may hold credentials).
pub fn redact_url(v: &str) -> String {
    match oauth2::url::Url::parse(v.trim()) {
        Ok(mut u) => {
            if !u.username().is_empty() || u.password().is_some() {
                let _ = u.set_username("");
                let _ = u.set_password(None);
            }
            if u.query().is_some() {
                u.set_query(Some("…"));
            }
            u.to_string()
        }
        Err(_) => "(not a URL)".to_string(),
    }
}

fn data_dir(flag: Option<PathBuf>) -> Result<PathBuf, Exit> {
    if let Some(d) = flag.filter(|d| !d.as_os_str().is_empty()) {
        return Ok(d);
    }
    if let Some(s) = var("STATE_DIRECTORY") {
        // systemd may list several, separated by ':'; the first is ours.
        return Ok(PathBuf::from(s.split(':').next().unwrap_or(&s)));
    }
    let dirs = directories::ProjectDirs::from("", "", "syncbit").ok_or_else(|| {
        Exit::usage("cannot find a home directory for the state folder; set DATA_DIR")
    })?;
    Ok(dirs
        .state_dir()
        .unwrap_or_else(|| dirs.data_local_dir())
        .to_path_buf())
}

/// Build the configuration from flags, environment and credential files.
///
/// `needs_api` and `needs_sink` say whether the command talks to Fitbit and VictoriaMetrics,
/// so that missing client credentials or endpoint are reported before any work.
pub fn load(g: &Global, needs_api: bool, needs_sink: bool) -> Result<Config, Exit> {
    if let Some(v) = var("SYNC_INTERVAL_MINUTES") {
        crate::debug!(
            "SYNC_INTERVAL_MINUTES={v} is ignored: syncbit runs once; systemd timers or cron set the schedule"
        );
    }
    if let Some(v) = var("LOG_LEVEL")
        && !["DEBUG", "INFO", "WARNING", "WARN", "ERROR", "CRITICAL"]
            .contains(&v.to_uppercase().as_str())
    {
        return Err(bad("LOG_LEVEL", &v, "DEBUG, INFO, WARNING, ERROR"));
    }
    let api_base = url(
        "FITBIT_API_BASE_URL",
        g.api_base_url.as_deref().unwrap_or(DEFAULT_API_BASE),
    )?;
    let auth_url = url(
        "FITBIT_AUTH_URL",
        &var("FITBIT_AUTH_URL").unwrap_or_else(|| DEFAULT_AUTH_URL.into()),
    )?;
    let redirect_uri = url(
        "FITBIT_REDIRECT_URI",
        &var("FITBIT_REDIRECT_URI").unwrap_or_else(|| "http://localhost:8080/callback".into()),
    )?;
    let timezone = match g.timezone.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(s.parse::<Tz>().map_err(|_| {
            bad(
                "SYNCBIT_TIMEZONE",
                s,
                "an IANA time zone name such as Europe/Berlin or America/New_York",
            )
        })?),
    };
    let include_today = boolean("INCLUDE_TODAY_DATA", g.include_today.clone(), true)?;
    let mut families = vec![Family::Activity, Family::Heart];
    for (name, fam) in [
        ("COLLECT_SLEEP", Family::Sleep),
        ("COLLECT_SPO2", Family::Spo2),
        ("COLLECT_BREATHING_RATE", Family::BreathingRate),
        ("COLLECT_HRV", Family::Hrv),
        ("COLLECT_CARDIO_FITNESS", Family::CardioFitness),
        ("COLLECT_TEMPERATURE", Family::Temperature),
    ] {
        if boolean(name, var(name), true)? {
            families.push(fam);
        }
    }
    let collect_devices = boolean("COLLECT_DEVICE_INFO", var("COLLECT_DEVICE_INFO"), true)?;
    let intraday_with_sync = boolean(
        "ENABLE_INTRADAY_COLLECTION",
        var("ENABLE_INTRADAY_COLLECTION"),
        false,
    )?;
    let intraday_detail = detail(
        "INTRADAY_DETAIL_LEVEL",
        g.intraday_detail_level.clone().filter(|s| !s.is_empty()),
        Detail::Min5,
        false,
    )?;
    let heart_rate_detail = detail(
        "INTRADAY_HEART_RATE_DETAIL",
        g.intraday_heart_rate_detail
            .clone()
            .filter(|s| !s.is_empty()),
        Detail::Min1,
        true,
    )?;
    let list = g
        .intraday_resources
        .clone()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "steps,calories,distance,heart_rate".into());
    let mut intraday_resources = Vec::new();
    for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let r = Resource::parse(item).ok_or_else(|| {
            bad(
                "INTRADAY_RESOURCES",
                &list,
                "a comma list of steps, calories, distance, elevation, floors, heart_rate",
            )
        })?;
        if !intraday_resources.contains(&r) {
            intraday_resources.push(r);
        }
    }
    let intraday_backfill = boolean(
        "ENABLE_INTRADAY_BACKFILL",
        var("ENABLE_INTRADAY_BACKFILL"),
        false,
    )?;
    let intraday_backfill_days = match var("INTRADAY_BACKFILL_DAYS") {
        None => 30,
        Some(v) => v
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=3650).contains(n))
            .ok_or_else(|| {
                bad(
                    "INTRADAY_BACKFILL_DAYS",
                    &v,
                    "a whole number of days, 1 to 3650",
                )
            })?,
    };
    let backfill_start = match var("BACKFILL_START_DATE") {
        None => None,
        Some(v) => Some(parse_date("BACKFILL_START_DATE", &v)?),
    };
    let user = g
        .user_id
        .clone()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "default".into());
    let data_dir = data_dir(g.data_dir.clone())?;

    let client_id = secret("FITBIT_CLIENT_ID");
    let client_secret = secret("FITBIT_CLIENT_SECRET");
    if needs_api {
        let missing: Vec<&str> = [
            ("FITBIT_CLIENT_ID", client_id.is_none()),
            ("FITBIT_CLIENT_SECRET", client_secret.is_none()),
        ]
        .into_iter()
        .filter_map(|(n, m)| m.then_some(n))
        .collect();
        if !missing.is_empty() {
            return Err(Exit::usage(format!(
                "{} not set (a variable, or a file in $CREDENTIALS_DIRECTORY or /run/secrets): \
                 the OAuth client of your Fitbit app",
                missing.join(" and ")
            )));
        }
    }
    let endpoint = g
        .victoria_endpoint
        .clone()
        .filter(|s| !s.is_empty())
        .or_else(|| secret("VICTORIA_ENDPOINT"));
    let victoria = match endpoint {
        Some(e) => {
            let auth = match (
                secret("VICTORIA_USER"),
                secret("VICTORIA_PASSWORD"),
                secret("VICTORIA_BEARER_TOKEN"),
            ) {
                (Some(u), Some(p), _) => Auth::Basic(u, p),
                (Some(_), None, _) | (None, Some(_), _) => {
                    return Err(Exit::usage(
                        "VICTORIA_USER and VICTORIA_PASSWORD must be set together (or neither)",
                    ));
                }
                (None, None, Some(t)) => Auth::Bearer(t),
                (None, None, None) => Auth::None,
            };
            Some((import_url(&e)?, auth))
        }
        None if needs_sink && !g.dry_run => {
            return Err(Exit::usage(
                "VICTORIA_ENDPOINT is not set; accepted: the import URL \
                 (http://host:8428/api/v1/import/prometheus) or the base URL (http://host:8428)",
            ));
        }
        None => None,
    };
    Ok(Config {
        data_dir,
        user,
        api_base,
        auth_url,
        redirect_uri,
        client_id,
        client_secret,
        victoria,
        timezone,
        include_today,
        families,
        collect_devices,
        intraday_with_sync,
        intraday_detail,
        heart_rate_detail,
        intraday_resources,
        intraday_backfill,
        intraday_backfill_days,
        backfill_start,
        dry_run: g.dry_run,
        lock_timeout: Duration::from_secs(g.lock_timeout),
    })
}

/// Parse a `YYYY-MM-DD` date named `name` (a variable or flag) for messages.
pub fn parse_date(name: &str, v: &str) -> Result<NaiveDate, Exit> {
    NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
        .map_err(|_| bad(name, v, "a date as YYYY-MM-DD"))
}

/// The log level asked for by `LOG_LEVEL`, `-v` and `-q` (flags win).
pub fn log_level(verbose: u8, quiet: bool) -> crate::log::Level {
    use crate::log::Level;
    if quiet {
        return Level::Warn;
    }
    if verbose > 0 {
        return Level::Debug;
    }
    match var("LOG_LEVEL").map(|v| v.to_uppercase()).as_deref() {
        Some("DEBUG") => Level::Debug,
        Some("WARNING" | "WARN") => Level::Warn,
        Some("ERROR" | "CRITICAL") => Level::Error,
        _ => Level::Info,
    }
}

/// Whether `path` exists and is a directory we can use.
pub fn check_dir(path: &Path) -> Result<(), Exit> {
    crate::fsutil::ensure_dir(path).map_err(|e| {
        Exit::failure(format!(
            "cannot create the data directory {}: {e}; set DATA_DIR or --data-dir",
            path.display()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::USAGE;

    #[test]
    fn victoria_endpoint_forms() {
        assert_eq!(
            import_url("http://127.0.0.1:8428").unwrap(),
            "http://127.0.0.1:8428/api/v1/import/prometheus"
        );
        assert_eq!(
            import_url("https://vm.example/api/v1/import/prometheus/").unwrap(),
            "https://vm.example/api/v1/import/prometheus"
        );
        // The JSON import path answers 204 and drops Prometheus text: refused.
        let e = import_url("http://u:secretpw@vm:8428/api/v1/import").unwrap_err();
        assert_eq!(e.code, USAGE);
        assert!(!e.message.contains("secretpw"), "{}", e.message);
        assert_eq!(import_url("http://bob:pw@:80").unwrap_err().code, USAGE);
        assert_eq!(import_url("localhost:8428").unwrap_err().code, USAGE);
    }

    #[test]
    fn urls_in_messages_hide_credentials() {
        let shown = redact_url("http://bob:hunter2@vm:8428/api/v1/import/prometheus?authKey=k");
        assert!(
            !shown.contains("hunter2") && !shown.contains("authKey=k"),
            "{shown}"
        );
        assert!(
            shown.starts_with("http://vm:8428/api/v1/import/prometheus"),
            "{shown}"
        );
    }
}
