//! Environment, flags and credential files → a validated [`Config`], in sections: the run
//! options, the chosen source's settings ([`google`], [`fitbit`]) and the sink's ([`sink`]). Everything is
//! checked before any network call; each bad value is reported (all of them at once) with exit
//! 2 and a message that names the variable and the values it accepts.

pub mod fitbit;
pub mod google;
pub mod profile;
pub mod sink;

use chrono::NaiveDate;
use chrono_tz::Tz;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cli::Global;
use crate::error::Exit;
use crate::source::{Detail, Family, Resource};

/// The validated configuration of one run.
#[derive(Debug, Clone)]
pub struct Config {
    /// What to collect and how to run.
    pub run: Run,
    /// The chosen source.
    pub source: SourceSettings,
    /// Where samples go; `None` without `VICTORIA_ENDPOINT` (allowed with `--dry-run` and for
    /// commands that push nothing).
    pub sink: Option<sink::SinkSettings>,
}

/// The settings of the chosen source.
#[derive(Debug, Clone)]
pub enum SourceSettings {
    /// The Fitbit Web API (shut down on 2026-11-02, kept for setups that still use it).
    FitbitWebApi(fitbit::FitbitSettings),
    /// The Google Health API.
    GoogleHealth(google::GoogleSettings),
}

/// Which source a run uses (`SYNCBIT_SOURCE`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SourceKind {
    /// `google-health`.
    #[default]
    GoogleHealth,
    /// `fitbit-web-api`.
    FitbitWebApi,
}

/// The source named by `value` (`SYNCBIT_SOURCE`, or the flag that overrides it). Unset: the
/// Fitbit Web API when only its client is configured (`FITBIT_CLIENT_ID` set,
/// `GOOGLE_CLIENT_ID` not), else the Google Health API.
///
/// Errors: exit 2 for any other value.
pub fn source_kind(name: &str, value: Option<&str>) -> Result<SourceKind, Exit> {
    match nonempty(value) {
        Some(v) if v == crate::source::google::ID => Ok(SourceKind::GoogleHealth),
        Some(v) if v == crate::source::fitbit::ID => Ok(SourceKind::FitbitWebApi),
        Some(v) => Err(bad(name, v, "google-health or fitbit-web-api")),
        None if secret("FITBIT_CLIENT_ID").is_some() && secret("GOOGLE_CLIENT_ID").is_none() => {
            Ok(SourceKind::FitbitWebApi)
        }
        None => Ok(SourceKind::GoogleHealth),
    }
}

/// Run options, the same for every source.
#[derive(Debug, Clone)]
pub struct Run {
    /// Folder of the token, state and journal files (`DATA_DIR`).
    pub data_dir: PathBuf,
    /// Value of the `user` label (`FITBIT_USER_ID`).
    pub user: String,
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

impl Run {
    /// The resolution of an intraday resource.
    pub fn detail(&self, r: Resource) -> Detail {
        if r == Resource::HeartRate {
            self.heart_rate_detail
        } else {
            self.intraday_detail
        }
    }
}

/// What a command needs besides the run options, so that a missing credential or endpoint is
/// reported before any work.
#[derive(Clone, Copy, Debug, Default)]
pub struct Needs {
    /// The source's OAuth client credentials.
    pub credentials: bool,
    /// A sink (`VICTORIA_ENDPOINT`, unless `--dry-run`).
    pub sink: bool,
}

/// Collects configuration errors, so that all of them are reported at once.
#[derive(Default)]
pub struct Problems(Vec<String>);

impl Problems {
    /// The value of `r`, or `T::default()` after noting its error.
    pub fn take<T: Default>(&mut self, r: Result<T, Exit>) -> T {
        r.unwrap_or_else(|e| {
            self.0.push(e.message);
            T::default()
        })
    }

    /// Note an error.
    pub fn push(&mut self, e: Exit) {
        self.0.push(e.message);
    }

    /// Exit 2 with every noted error, one per line.
    ///
    /// Errors: when any was noted.
    pub fn check(self) -> Result<(), Exit> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Exit::usage(self.0.join("\n")))
        }
    }
}

/// Read an environment variable; empty counts as unset.
pub(crate) fn var(name: &str) -> Option<String> {
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
            let path = dir.join(file);
            match std::fs::read_to_string(&path) {
                Ok(v) if !v.trim().is_empty() => return Some(v.trim().to_string()),
                Ok(_) => crate::warn!("{} is empty; ignoring it", path.display()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                // A secret file the service cannot read is a setup mistake worth a word.
                Err(e) => crate::warn!(
                    "cannot read {}: {e}; it must be readable by the user syncbit runs as",
                    path.display()
                ),
            }
        }
    }
    var(name)
}

pub(crate) fn bad(name: &str, value: &str, accepted: &str) -> Exit {
    Exit::usage(format!(
        "{name}={value:?} is not valid; accepted: {accepted}"
    ))
}

pub(crate) fn boolean(name: &str, value: Option<String>, default: bool) -> Result<bool, Exit> {
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

pub(crate) fn url(name: &str, v: &str) -> Result<String, Exit> {
    if !(v.starts_with("http://") || v.starts_with("https://")) || v.len() < 10 {
        return Err(bad(
            name,
            &sink::redact_url(v),
            "an http:// or https:// URL",
        ));
    }
    Ok(v.trim_end_matches('/').to_string())
}

fn data_dir(flag: Option<&str>) -> Result<PathBuf, Exit> {
    if let Some(d) = flag.map(str::trim).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(d));
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

fn log_level_var() -> Result<(), Exit> {
    match var("LOG_LEVEL") {
        Some(v)
            if !["DEBUG", "INFO", "WARNING", "WARN", "ERROR", "CRITICAL"]
                .contains(&v.to_uppercase().as_str()) =>
        {
            Err(bad("LOG_LEVEL", &v, "DEBUG, INFO, WARNING, ERROR"))
        }
        _ => Ok(()),
    }
}

fn timezone(v: Option<&str>) -> Result<Option<Tz>, Exit> {
    match nonempty(v) {
        None => Ok(None),
        Some(s) => s.parse::<Tz>().map(Some).map_err(|_| {
            bad(
                named("SYNCBIT_TIMEZONE", "--timezone", v),
                s,
                "an IANA time zone name such as Europe/Berlin or America/New_York",
            )
        }),
    }
}

fn families(p: &mut Problems) -> Vec<Family> {
    let mut families = vec![Family::Activity, Family::Heart];
    for (name, fam) in [
        ("COLLECT_SLEEP", Family::Sleep),
        ("COLLECT_SPO2", Family::Spo2),
        ("COLLECT_BREATHING_RATE", Family::BreathingRate),
        ("COLLECT_HRV", Family::Hrv),
        ("COLLECT_CARDIO_FITNESS", Family::CardioFitness),
        ("COLLECT_TEMPERATURE", Family::Temperature),
    ] {
        if p.take(boolean(name, var(name), true).map(Some)) == Some(true) {
            families.push(fam);
        }
    }
    families
}

fn resources(v: Option<&str>) -> Result<Vec<Resource>, Exit> {
    let list = nonempty(v).unwrap_or("steps,calories,distance,heart_rate");
    let mut out = Vec::new();
    for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let r = Resource::parse(item).ok_or_else(|| {
            bad(
                named("INTRADAY_RESOURCES", "--intraday-resources", v),
                list,
                "a comma list of steps, calories, distance, elevation, floors, heart_rate",
            )
        })?;
        if !out.contains(&r) {
            out.push(r);
        }
    }
    Ok(out)
}

fn backfill_days() -> Result<u32, Exit> {
    match var("INTRADAY_BACKFILL_DAYS") {
        None => Ok(30),
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
            }),
    }
}

/// The name to report a bad `value` under: the variable when the value came from it, else the
/// flag that overrides it.
pub(crate) fn named(
    var_name: &'static str,
    flag: &'static str,
    value: Option<&str>,
) -> &'static str {
    match (value, std::env::var(var_name).ok()) {
        (Some(v), Some(e)) if e.trim() == v.trim() => var_name,
        (Some(_), _) => flag,
        (None, _) => var_name,
    }
}

pub(crate) fn nonempty(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|s| !s.is_empty())
}

/// `DATA_DIR` (or `--data-dir`), when it is valid.
pub fn data_dir_of(g: &Global) -> Option<PathBuf> {
    data_dir(g.data_dir.as_deref()).ok()
}

/// The run options from flags and environment.
fn run(g: &Global, p: &mut Problems) -> Run {
    if let Some(v) = var("SYNC_INTERVAL_MINUTES") {
        crate::debug!(
            "SYNC_INTERVAL_MINUTES={v} is ignored: syncbit runs once; systemd timers or cron set the schedule"
        );
    }
    p.take(log_level_var());
    Run {
        data_dir: p.take(data_dir(g.data_dir.as_deref())),
        user: nonempty(g.user_id.as_deref())
            .unwrap_or("default")
            .to_string(),
        timezone: p.take(timezone(g.timezone.as_deref())),
        include_today: p.take(boolean(
            named(
                "INCLUDE_TODAY_DATA",
                "--include-today",
                g.include_today.as_deref(),
            ),
            g.include_today.clone(),
            true,
        )),
        families: families(p),
        collect_devices: p.take(boolean(
            "COLLECT_DEVICE_INFO",
            var("COLLECT_DEVICE_INFO"),
            true,
        )),
        intraday_with_sync: p.take(boolean(
            "ENABLE_INTRADAY_COLLECTION",
            var("ENABLE_INTRADAY_COLLECTION"),
            false,
        )),
        intraday_detail: p
            .take(
                detail(
                    named(
                        "INTRADAY_DETAIL_LEVEL",
                        "--intraday-detail-level",
                        g.intraday_detail_level.as_deref(),
                    ),
                    nonempty(g.intraday_detail_level.as_deref()).map(String::from),
                    Detail::Min5,
                    false,
                )
                .map(Some),
            )
            .unwrap_or(Detail::Min5),
        heart_rate_detail: p
            .take(
                detail(
                    named(
                        "INTRADAY_HEART_RATE_DETAIL",
                        "--intraday-heart-rate-detail",
                        g.intraday_heart_rate_detail.as_deref(),
                    ),
                    nonempty(g.intraday_heart_rate_detail.as_deref()).map(String::from),
                    Detail::Min1,
                    true,
                )
                .map(Some),
            )
            .unwrap_or(Detail::Min1),
        intraday_resources: p.take(resources(g.intraday_resources.as_deref())),
        intraday_backfill: p.take(boolean(
            "ENABLE_INTRADAY_BACKFILL",
            var("ENABLE_INTRADAY_BACKFILL"),
            false,
        )),
        intraday_backfill_days: p.take(backfill_days()),
        backfill_start: p.take(
            var("BACKFILL_START_DATE")
                .map(|v| parse_date("BACKFILL_START_DATE", &v))
                .transpose(),
        ),
        dry_run: g.dry_run,
        lock_timeout: Duration::from_secs(g.lock_timeout),
    }
}

/// Build the configuration from flags, environment and credential files.
///
/// Errors: exit 2 listing every bad or missing value.
pub fn load(g: &Global, needs: Needs) -> Result<Config, Exit> {
    let mut p = Problems::default();
    let run = run(g, &mut p);
    let source = match p.take(source_kind(
        named("SYNCBIT_SOURCE", "--source", g.source.as_deref()),
        g.source.as_deref(),
    )) {
        SourceKind::FitbitWebApi => SourceSettings::FitbitWebApi(fitbit::FitbitSettings::load(
            g,
            &run.data_dir,
            needs.credentials,
            &mut p,
        )),
        SourceKind::GoogleHealth => SourceSettings::GoogleHealth(google::GoogleSettings::load(
            &run.data_dir,
            needs.credentials,
            &mut p,
        )),
    };
    let sink = sink::SinkSettings::load(g, needs.sink && !g.dry_run, &mut p);
    p.check()?;
    Ok(Config { run, source, sink })
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
    })?;
    // Before any request: a run that cannot record what it fetched must not fetch.
    tempfile::tempfile_in(path).map(drop).map_err(|e| {
        Exit::failure(format!(
            "cannot write to the data directory {}: {e}; it must be writable by the user syncbit runs as (or set DATA_DIR)",
            path.display()
        ))
    })
}
