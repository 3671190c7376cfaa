//! A local fake of the Google Health API v4 (`health.googleapis.com`) and of Google's OAuth
//! endpoints, served by `tiny_http` on `127.0.0.1` from a background thread. Test support only:
//! nothing here is part of the shipped binary.
//!
//! The wire format follows `shared/reference/google-health-api.md` and the scrubbed real responses
//! in `<manifest>/../shared/fixtures/google-health-api/` (see [`fixtures_dir`]). Fixtures are read
//! at run time; without them the same shapes are filled from inline fallbacks, and the recorded
//! Fitbit intraday series (steps per minute, irregular heart-rate seconds) that shape the daily
//! curves are replaced by formulas. Every day is generated deterministically from its date, so
//! days differ while one day always looks the same.
//!
//! # Simulated
//! - OAuth: authorization code with PKCE S256 at [`GoogleSim::auth_url`] (the user consents at
//!   once, 302 to the loopback `redirect_uri` with `state`, `code`, `scope`); the token endpoint
//!   (`authorization_code` with `code_verifier`; `refresh_token` without rotation unless
//!   [`GoogleSimConfig::rotate_refresh_tokens`]; client credentials in the body or as HTTP Basic;
//!   plain OAuth error bodies); the revoke endpoint. A refresh token is only issued with
//!   `access_type=offline`, and on a re-authorization only with `prompt=consent` (Google's rule).
//! - `users/me/identity`, `settings`, `profile`, `pairedDevices` (one TRACKER with
//!   `lastSyncTime` and battery; the reference shows no phone there, so none is listed).
//! - `dataTypes/{type}/dataPoints` (list), `:reconcile`, `:rollUp`, `:dailyRollUp` for steps,
//!   distance, floors, altitude, total-calories, heart-rate, activity-level, active-minutes,
//!   time-in-heart-rate-zone, calories-in-heart-rate-zone, active-zone-minutes, sleep and the
//!   daily types (resting heart rate, heart-rate zones, SpO2, respiratory rate, HRV, VO2 max,
//!   sleep temperature derivations).
//! - The AIP-160 filter subset of the reference: `>=`/`<`, upper-case `AND`, `OR` only on the two
//!   sleep members, physical and civil members per kind, `{type}.date` for daily types. What the
//!   real API rejects answers the captured `INVALID_DATA_POINT_FILTER` shape. Civil filters on
//!   `steps` and `heart-rate` answer 200 with no points, as one integration observed
//!   ([`GoogleSimConfig::civil_filters_empty`]).
//! - Paging as observed: the first page of a query that does not reach today (or has no filter)
//!   is empty but carries a token; heart-rate pages hold at most half of `pageSize` and at most
//!   5000 points; `pageSize` defaults to the observed 50 (sleep: 25) and is truncated at 10000
//!   (sleep: 25); a token only works with the parameters it was issued for.
//! - Two sources for steps and distance (tracker and phone, [`GoogleSimConfig::phone_overlap`]):
//!   `list` returns both, `reconcile` and the rollups the merged stream (per minute the tracker's
//!   value if it has one, else the phone's; never the sum).
//! - Rollups: range caps (14 days for heart-rate, total-calories, active-minutes and
//!   calories-in-heart-rate-zone, 90 otherwise) as `INVALID_ROLLUP_QUERY_DURATION`, the observed
//!   `windowSize × pageSize` limit ([`GoogleSimConfig::window_page_product_check`]), the captured
//!   "Unknown name … Cannot find field" errors for wrong `range` shapes, windows newest first,
//!   windows without data left out, the last window truncated at the range end.
//! - int64 as JSON strings, `"NaN"` for the baseline temperature of the first two nights, empty
//!   repeated fields left out (an empty answer is `{}`).
//! - Quota: more than [`GoogleSimConfig::quota_per_window`] authenticated data calls in a window of
//!   [`GoogleSimConfig::window_secs`] answer 429 `RESOURCE_EXHAUSTED` (captured body, no
//!   `Retry-After`). Knobs for 5xx, malformed bodies, `ACCOUNT_NOT_LINKED`, missing scopes, stale
//!   consent (`RESOURCE_PERMISSION_DENIED`), expired access tokens and revoked refresh tokens.
//! - The tracker's data only exists up to its `lastSyncTime` ([`GoogleSimConfig::last_sync`]);
//!   the phone's up to now.
//!
//! # Not simulated
//! Writes (create/patch/batchDelete), `dataPoints.get`, exercise and TCX export, webhooks, the
//! types outside syncbit's families (weight, body fat, exercise, basal/active energy,
//! sedentary periods, …: 501 `UNIMPLEMENTED`, so a test notices), `dailyRollUp` personal ranges
//! (the real API refuses them, and so does the sim), `fields` partial responses, `$.xgafv`,
//! `alt=proto`, OAuth token expiry after 7 days in Testing mode, `id_token`,
//! `include_granted_scopes` merging, time-zone changes (history keeps the configured zone),
//! wearables "not worn" exclusion in rollups, parentheses and `NOT` in filters (answered as
//! syntax errors), unquoted filter literals (rejected; the real API's behaviour is unknown).
//!
//! Error bodies that are not captured are marked "reconstructed" where they are built; the
//! `detailedReasons` other than `INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER` are the sim's own, so
//! clients should branch on `reason`, never on sub-reasons.
//!
//! # The simulated user
//! One tracker records 1-minute steps, distance (walking or running stride from the profile),
//! floors and altitude gain, and heart rate at irregular seconds with gaps; it charges for 30–45
//! minutes around 19:00 local (no tracker data, the phone walks on). Most days have a workout
//! (steps up, heart rate through all zones; none when `epoch day % 7 == 3`). Zones, active zone
//! minutes, activity level, active minutes and calories follow from those minutes. A main sleep
//! with stages ends every morning except every 13th day (it starts between 22:30 the evening
//! before and 00:30, so most nights cross midnight); every 4th day has a CLASSIC nap. The
//! sleep-derived daily values (SpO2, respiratory rate, HRV, skin temperature) exist only after a
//! main sleep; SpO2 is also missing every 9th day and VO2 max every 6th.
//!
//! Tests compute expected values with the truth accessors ([`GoogleSim::daily_truth`],
//! [`GoogleSim::intraday_truth`], [`GoogleSim::source_truth`], [`GoogleSim::raw_heart_rate`],
//! [`GoogleSim::rollup_truth`], [`GoogleSim::sleep_sessions`]): they read the same model the
//! server answers from, in wire units, and apply the same `lastSyncTime` cut. With
//! `last_sync: None` "now" moves between a request and an accessor call, so set it for exact
//! comparisons of today's data.

use base64::Engine as _;
use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Offset, SecondsFormat, TimeZone,
    Timelike, Utc,
};
use chrono_tz::Tz;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::thread::JoinHandle;
use std::time::Instant;

/// OAuth client id the sim accepts (a "Desktop app" client).
pub const CLIENT_ID: &str = "1234567890-simclient.apps.googleusercontent.com";
/// OAuth client secret the token endpoint expects (body or HTTP Basic).
pub const CLIENT_SECRET: &str = "GOCSPX-sim-secret";
/// `healthUserId` of the simulated user (also accepted in place of `me` in paths).
pub const HEALTH_USER_ID: &str = "7192846153028476109";
/// `legacyUserId`: the Fitbit encoded id, the same as the Fitbit simulator's user.
pub const LEGACY_USER_ID: &str = "SIMUSR";
/// Prefix of every Google Health scope.
pub const SCOPE_PREFIX: &str = "https://www.googleapis.com/auth/googlehealth.";
/// The read scopes of syncbit's families; the pre-existing grant holds all of them.
pub const SCOPES: [&str; 5] = [
    "https://www.googleapis.com/auth/googlehealth.activity_and_fitness.readonly",
    "https://www.googleapis.com/auth/googlehealth.health_metrics_and_measurements.readonly",
    "https://www.googleapis.com/auth/googlehealth.sleep.readonly",
    "https://www.googleapis.com/auth/googlehealth.settings.readonly",
    "https://www.googleapis.com/auth/googlehealth.profile.readonly",
];

/// Simulator settings. Use `GoogleSimConfig { field: .., ..Default::default() }`.
#[derive(Clone, Debug)]
pub struct GoogleSimConfig {
    /// `settings.timeZone` (IANA), also the zone all history is recorded in. Default
    /// `America/New_York`.
    pub timezone: String,
    /// First local day with data; earlier days are empty. Default 2026-01-01.
    pub first_day: NaiveDate,
    /// Authenticated data calls allowed per quota window. Default 300 (the documented per-user
    /// limit per minute).
    pub quota_per_window: u32,
    /// Length of a quota window in seconds; a window starts with the first call after the previous
    /// one ended. Default 60.
    pub window_secs: u64,
    /// The tracker's `lastSyncTime`; tracker data after it does not exist yet. `None` = now.
    pub last_sync: Option<DateTime<Utc>>,
    /// A phone also records steps and distance: in some minutes the tracker recorded too, and
    /// while the tracker charges. Default true.
    pub phone_overlap: bool,
    /// `expires_in` of issued access tokens; they answer 401 afterwards. Default 3599.
    pub access_token_ttl_secs: i64,
    /// A refresh answers a new refresh token and the old one stops working. Default false
    /// (Google's usual behaviour).
    pub rotate_refresh_tokens: bool,
    /// The first page of a list whose range ends before today (or that has no filter) is empty
    /// but has a `nextPageToken`. Default true.
    pub empty_first_pages: bool,
    /// Most heart-rate points on one page (also never more than half of `pageSize`). Default 5000.
    pub heart_rate_page_cap: usize,
    /// `pageSize` of a list without one (observed 50; the docs say 1440). Default 50.
    pub default_page_size: usize,
    /// Reject rollups whose `windowSize × pageSize` (rollUp, default page 1440) or
    /// `windowSizeDays × pageSize` (dailyRollUp, explicit `pageSize` only) exceeds the range cap,
    /// as observed. Default true.
    pub window_page_product_check: bool,
    /// Civil-time filters on `steps` and `heart-rate` match nothing (observed). Default true.
    pub civil_filters_empty: bool,
    /// Read `shared/fixtures`; false uses the inline fallbacks and formulas. Default true.
    pub use_fixtures: bool,
}

impl Default for GoogleSimConfig {
    fn default() -> Self {
        GoogleSimConfig {
            timezone: "America/New_York".into(),
            first_day: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            quota_per_window: 300,
            window_secs: 60,
            last_sync: None,
            phone_overlap: true,
            access_token_ttl_secs: 3599,
            rotate_refresh_tokens: false,
            empty_first_pages: true,
            heart_rate_page_cap: 5000,
            default_page_size: 50,
            window_page_product_check: true,
            civil_filters_empty: true,
            use_fixtures: true,
        }
    }
}

/// One logged request (OAuth and API alike).
#[derive(Clone, Debug)]
pub struct Request {
    /// HTTP method, e.g. `GET`.
    pub method: String,
    /// Path with the query string, as sent.
    pub path_and_query: String,
    /// Request body (form or JSON), as sent.
    pub body: String,
    /// Status code of the answer.
    pub status: u16,
    /// When the request was answered.
    pub at: Instant,
}

/// The origin of a steps or distance point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The Fitbit tracker (in `google-wearables`).
    Tracker,
    /// The phone (`MobileTrack`; not in `google-wearables`).
    Phone,
}

/// One sleep stage as served (contiguous, on 30-second boundaries).
#[derive(Clone, Debug, PartialEq)]
pub struct SleepStage {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// AWAKE, LIGHT, DEEP, REM (STAGES) or AWAKE, RESTLESS, ASLEEP (CLASSIC).
    pub kind: &'static str,
}

/// One sleep session as served.
#[derive(Clone, Debug, PartialEq)]
pub struct SleepSession {
    /// `users/{healthUserId}/dataTypes/sleep/dataPoints/{id}`.
    pub name: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// `metadata.mainSleep`.
    pub main: bool,
    /// `metadata.nap`.
    pub nap: bool,
    /// `STAGES` or `CLASSIC`.
    pub kind: &'static str,
    pub stages: Vec<SleepStage>,
    /// `summary.minutesAsleep` (LIGHT+DEEP+REM, or ASLEEP), whole minutes.
    pub minutes_asleep: i64,
    /// `summary.minutesAwake` (AWAKE), whole minutes.
    pub minutes_awake: i64,
    /// `summary.minutesInSleepPeriod` (end − start), whole minutes.
    pub minutes_in_period: i64,
    /// `summary.stagesSummary`: stage type → (minutes, count).
    pub stage_summary: BTreeMap<&'static str, (i64, i64)>,
    pub create_time: DateTime<Utc>,
    pub update_time: DateTime<Utc>,
}

/// A running simulator. Dropping it stops the server thread.
pub struct GoogleSim {
    st: Arc<Mutex<State>>,
    server: Arc<tiny_http::Server>,
    stop: Arc<AtomicBool>,
    port: u16,
    thread: Option<JoinHandle<()>>,
}

impl GoogleSim {
    /// Starts a simulator on a free loopback port.
    pub fn start(cfg: GoogleSimConfig) -> GoogleSim {
        let server = Arc::new(tiny_http::Server::http(("127.0.0.1", 0)).expect("bind simulator"));
        let port = server.server_addr().to_ip().expect("ip listener").port();
        let st = Arc::new(Mutex::new(State::new(cfg)));
        let stop = Arc::new(AtomicBool::new(false));
        let (s2, st2, stop2) = (server.clone(), st.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !stop2.load(Ordering::SeqCst) {
                if let Ok(rq) = s2.recv() {
                    // a panicking handler drops the request (tiny_http then closes the connection)
                    let _ =
                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handle(&st2, rq)));
                }
            }
        });
        GoogleSim {
            st,
            server,
            stop,
            port,
            thread: Some(thread),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.st.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The API base (stands for `https://health.googleapis.com`): calls go to
    /// `<base>/v4/users/me/…`.
    pub fn base_url(&self) -> String {
        self.origin()
    }

    /// Token endpoint (stands for `https://oauth2.googleapis.com/token`).
    pub fn token_url(&self) -> String {
        format!("{}/token", self.origin())
    }

    /// Authorization endpoint (stands for `https://accounts.google.com/o/oauth2/v2/auth`).
    pub fn auth_url(&self) -> String {
        format!("{}/o/oauth2/v2/auth", self.origin())
    }

    /// Revocation endpoint (stands for `https://oauth2.googleapis.com/revoke`).
    pub fn revoke_url(&self) -> String {
        format!("{}/revoke", self.origin())
    }

    /// The newest `(access_token, refresh_token)` (empty strings after a revocation).
    pub fn tokens(&self) -> (String, String) {
        let s = self.lock();
        (
            s.access.last().map(|a| a.token.clone()).unwrap_or_default(),
            s.refresh.last().cloned().unwrap_or_default(),
        )
    }

    /// Scopes of the current grant.
    pub fn granted_scopes(&self) -> Vec<String> {
        self.lock().grant_scopes.clone()
    }

    /// The token file syncbit reads: exactly `access_token`, `refresh_token`, `expires_at`
    /// (RFC 3339 in the user's zone, with its offset) and `scope` (space-separated). With
    /// `expired`, `expires_at` lies an hour in the past and the access token answers 401 until a
    /// refresh.
    pub fn token_json(&self, expired: bool) -> String {
        let mut s = self.lock();
        let now = Utc::now();
        let at = if expired {
            s.access.iter_mut().for_each(|a| a.expired = true);
            now - Duration::hours(1)
        } else {
            now + Duration::seconds(s.cfg.access_token_ttl_secs)
        };
        let tz = s.m.tz;
        let v = json!({
            "access_token": s.access.last().map(|a| a.token.clone()).unwrap_or_default(),
            "refresh_token": s.refresh.last().cloned().unwrap_or_default(),
            "expires_at": at.with_timezone(&tz).to_rfc3339_opts(SecondsFormat::Secs, false),
            "scope": s.grant_scopes.join(" "),
        });
        serde_json::to_string_pretty(&v).unwrap()
    }

    /// Log of all requests, oldest first.
    pub fn requests(&self) -> Vec<Request> {
        self.lock().log.clone()
    }

    /// Number of requests to `/v4/users/…` (each one, whatever its answer).
    pub fn data_calls(&self) -> usize {
        self.lock().data_calls
    }

    /// The logged requests to `/v4/users/…`.
    pub fn data_requests(&self) -> Vec<Request> {
        let s = self.lock();
        s.log
            .iter()
            .filter(|r| r.path_and_query.starts_with("/v4/users/"))
            .cloned()
            .collect()
    }

    /// Number of requests to the token endpoint.
    pub fn token_calls(&self) -> usize {
        self.lock().token_calls
    }

    /// Number of requests to the authorization endpoint.
    pub fn auth_calls(&self) -> usize {
        self.lock().auth_calls
    }

    /// Number of successful revocations.
    pub fn revocations(&self) -> usize {
        self.lock().revocations
    }

    /// The next `n` authenticated data calls (after the quota check) answer `status`: 500
    /// `INTERNAL`, 502 (Google's HTML page), 503 `UNAVAILABLE`, 504 `DEADLINE_EXCEEDED`, 429
    /// (captured body), 400, 403 (captured body), 404.
    pub fn fail_next(&self, n: usize, status: u16) {
        self.lock().fail = (n > 0).then_some((n, status));
    }

    /// The next `n` authenticated data calls answer 200 with the body cut in half.
    pub fn malformed_next(&self, n: usize) {
        self.lock().malformed = n;
    }

    /// Every data call except `users/me/identity` answers 400 `ACCOUNT_NOT_LINKED`.
    pub fn set_account_not_linked(&self, on: bool) {
        self.lock().not_linked = on;
    }

    /// Every data call answers 403 `PERMISSION_DENIED` / `RESOURCE_PERMISSION_DENIED` (stale
    /// consent; refreshing still works).
    pub fn set_resource_permission_denied(&self, on: bool) {
        self.lock().resource_denied = on;
    }

    /// The user withdraws the scopes `SCOPE_PREFIX + suffix` (`"sleep.readonly"`; `"sleep"` also
    /// matches `sleep.writeonly`): live tokens and the grant lose them (data of those types answers
    /// 403 `ACCESS_TOKEN_SCOPE_INSUFFICIENT`), and later consents leave them out.
    pub fn deny_scope(&self, suffix: &str) {
        let mut s = self.lock();
        s.denied.push(suffix.to_string());
        let keep = |x: &String| !scope_matches(x, suffix);
        s.grant_scopes.retain(keep);
        for a in s.access.iter_mut() {
            a.scopes.retain(keep);
        }
    }

    /// Later consents grant every requested scope again (live tokens keep what they have).
    pub fn clear_denied_scopes(&self) {
        self.lock().denied.clear();
    }

    /// The user presses "Cancel" on the consent page: the redirect carries `error=access_denied`.
    pub fn set_consent_denied(&self, on: bool) {
        self.lock().consent_denied = on;
    }

    /// Every live access token now answers 401 `UNAUTHENTICATED` until a refresh.
    pub fn expire_access_token(&self) {
        self.lock().access.iter_mut().for_each(|a| a.expired = true);
    }

    /// Every refresh now answers 400 `invalid_grant` ("Token has been expired or revoked."); a new
    /// authorization ends this.
    pub fn revoke_refresh_token(&self) {
        self.lock().refresh_revoked = true;
    }

    /// Refreshes answer a new refresh token (the old one stops working).
    pub fn set_rotate_refresh_tokens(&self, on: bool) {
        self.lock().cfg.rotate_refresh_tokens = on;
    }

    /// Changes the calls allowed per quota window (calls already made in this window count).
    pub fn set_quota(&self, n: u32) {
        self.lock().cfg.quota_per_window = n;
    }

    /// Changes the tracker's `lastSyncTime` (`None` = now).
    pub fn set_last_sync(&self, t: Option<DateTime<Utc>>) {
        self.lock().cfg.last_sync = t;
    }

    /// The user's zone.
    pub fn timezone(&self) -> Tz {
        self.lock().m.tz
    }

    /// Today in the user's zone.
    pub fn today(&self) -> NaiveDate {
        let s = self.lock();
        local_date(s.m.tz, Utc::now())
    }

    /// `[start, end)` of a local day in UTC (23 or 25 hours on DST days).
    pub fn day_bounds(&self, date: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
        let tz = self.lock().m.tz;
        (local_midnight(tz, date), local_midnight(tz, next_day(date)))
    }

    /// What the API serves for a daily family on a local date (all sources), flattened to numbers;
    /// `None` when there is no data (the dailyRollUp window is left out, or no list point).
    ///
    /// Rollup families, keys and units (the dailyRollUp value of that civil day):
    /// `steps` `countSum` (steps); `distance` `millimetersSum` (mm); `floors` `countSum`;
    /// `altitude` `gainMillimetersSum` (mm); `total-calories` `kcalSum` (kcal);
    /// `heart-rate` `beatsPerMinuteAvg`/`Max`/`Min` (bpm); `activity-level` SEDENTARY,
    /// LIGHTLY_ACTIVE, MODERATELY_ACTIVE, VERY_ACTIVE (seconds, `totalDuration`);
    /// `active-minutes` LIGHT, MODERATE, VIGOROUS (minutes); `time-in-heart-rate-zone` LIGHT,
    /// MODERATE, VIGOROUS, PEAK (seconds); `calories-in-heart-rate-zone` the same zones (kcal);
    /// `active-zone-minutes` `sumInFatBurnHeartZone`/`sumInCardioHeartZone`/`sumInPeakHeartZone`
    /// (AZM: 1 per fat-burn minute, 2 per cardio or peak minute). Levels and zones without time
    /// are absent.
    ///
    /// Daily list types, keys are the wire members (int64 strings parsed, `"NaN"` → `f64::NAN`,
    /// booleans 1/0, enums left out; see [`GoogleSim::daily_point`] for the object):
    /// `daily-resting-heart-rate` `beatsPerMinute` (bpm); `daily-heart-rate-zones`
    /// `LIGHT.minBeatsPerMinute`, `LIGHT.maxBeatsPerMinute`, … (bpm);
    /// `daily-oxygen-saturation` `averagePercentage`, `lowerBoundPercentage`,
    /// `upperBoundPercentage`, sometimes `standardDeviationPercentage` (%);
    /// `daily-respiratory-rate` `breathsPerMinute`; `daily-heart-rate-variability`
    /// `averageHeartRateVariabilityMilliseconds`,
    /// `deepSleepRootMeanSquareOfSuccessiveDifferencesMilliseconds` (ms), `entropy`,
    /// `nonRemHeartRateBeatsPerMinute` (bpm); `daily-vo2-max` `vo2Max`, `vo2MaxCovariance`
    /// (ml/kg/min), `estimated` (1/0); `daily-sleep-temperature-derivations`
    /// `nightlyTemperatureCelsius`, `baselineTemperatureCelsius`,
    /// `relativeNightlyStddev30dCelsius` (°C, NaN on the first two days).
    pub fn daily_truth(&self, data_type: &str, date: NaiveDate) -> Option<BTreeMap<String, f64>> {
        let ty = ty_by_id(data_type).unwrap_or_else(|| panic!("unknown data type {data_type}"));
        let mut s = self.lock();
        let now = s.now();
        if ty.kind == Kind::Daily {
            return s
                .m
                .daily_json(ty.t, date, now)
                .map(|v| flatten_daily(ty.t, &v));
        }
        assert!(rolls(ty.t), "{data_type} has no daily value");
        let accs = s.accumulate(ty.t, &[date], [true, true], now, &|_, d| {
            (d == date).then_some(0)
        });
        accs.get(&0).map(|a| flatten_rollup(ty.t, a))
    }

    /// The `daily*` member object the list serves for that date (e.g. the `dailyVo2Max` object,
    /// with `cardioFitnessLevel`), or `None`.
    pub fn daily_point(&self, data_type: &str, date: NaiveDate) -> Option<Value> {
        let ty = ty_by_id(data_type).unwrap_or_else(|| panic!("unknown data type {data_type}"));
        assert_eq!(ty.kind, Kind::Daily, "{data_type} is not a daily type");
        let s = self.lock();
        let now = s.now();
        s.m.daily_json(ty.t, date, now)
    }

    /// The merged intraday series that `reconcile` serves (or, for `total-calories`, the 60 s
    /// rollUp), points with start in `[start, end)`, oldest first, as `(start in Unix ms, value)`.
    /// Units: `steps` steps; `distance` mm; `floors` floors; `altitude` mm of gain;
    /// `active-zone-minutes` AZM; `heart-rate` bpm (raw samples, irregular seconds);
    /// `total-calories` kcal per minute.
    pub fn intraday_truth(
        &self,
        data_type: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Vec<(i64, f64)> {
        self.series(data_type, [true, true], true, start, end)
    }

    /// One source's points as `list` serves them (`steps`, `distance`; other intraday types have
    /// only the tracker), oldest first, `(start in Unix ms, value)`, units as in
    /// [`GoogleSim::intraday_truth`].
    pub fn source_truth(
        &self,
        data_type: &str,
        source: Source,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Vec<(i64, f64)> {
        let srcs = match source {
            Source::Tracker => [true, false],
            Source::Phone => [false, true],
        };
        self.series(data_type, srcs, false, start, end)
    }

    /// Raw heart-rate samples in `[start, end)`, oldest first: `(Unix ms, bpm)`.
    pub fn raw_heart_rate(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<(i64, f64)> {
        self.series("heart-rate", [true, true], true, start, end)
    }

    /// The physical rollUp of a rollup family over `[start, end)` in windows of `window_secs`
    /// (all sources), oldest first: `(window start in Unix ms, value)`, keys and units as in
    /// [`GoogleSim::daily_truth`]. Windows without data are absent.
    pub fn rollup_truth(
        &self,
        data_type: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        window_secs: i64,
    ) -> Vec<(i64, BTreeMap<String, f64>)> {
        let ty = ty_by_id(data_type).unwrap_or_else(|| panic!("unknown data type {data_type}"));
        assert!(rolls(ty.t), "{data_type} has no rollup");
        let mut s = self.lock();
        let now = s.now();
        let days = s.m.days_touching(start, end);
        let w = window_secs * 1000;
        let accs = s.accumulate(ty.t, &days, [true, true], now, &|t, _| {
            (t >= start && t < end).then(|| ((t - start).num_milliseconds() / w) as usize)
        });
        accs.iter()
            .map(|(k, a)| {
                (
                    start.timestamp_millis() + *k as i64 * w,
                    flatten_rollup(ty.t, a),
                )
            })
            .collect()
    }

    /// Sleep sessions whose civil end date (user's zone) is `date`, as currently served (only
    /// sessions that ended by the tracker's last sync), oldest first.
    pub fn sleep_sessions(&self, date: NaiveDate) -> Vec<SleepSession> {
        let s = self.lock();
        let cut = s.now().cut;
        s.m.sessions_ending(date)
            .into_iter()
            .filter(|x| x.end <= cut)
            .collect()
    }

    fn series(
        &self,
        data_type: &str,
        srcs: [bool; 2],
        merged: bool,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Vec<(i64, f64)> {
        let ty = ty_by_id(data_type).unwrap_or_else(|| panic!("unknown data type {data_type}"));
        let mut s = self.lock();
        let now = s.now();
        let days = s.m.days_touching(start, end);
        if ty.t == T::TotalCalories {
            let accs = s.accumulate(ty.t, &days, srcs, now, &|t, _| {
                (t >= start && t < end).then(|| ((t - start).num_minutes()) as usize)
            });
            return accs
                .iter()
                .map(|(k, a)| (start.timestamp_millis() + *k as i64 * 60_000, a.v[0]))
                .collect();
        }
        assert!(
            matches!(
                ty.t,
                T::Steps | T::Distance | T::Floors | T::Altitude | T::Azm | T::HeartRate
            ),
            "{data_type} has no intraday series"
        );
        let mut out: Vec<(i64, f64)> = days
            .iter()
            .flat_map(|d| s.day_points(ty, *d, srcs, merged, now))
            .filter(|p| p.t0 >= start && p.t0 < end)
            .map(|p| {
                let v = match p.v {
                    PV::Int(v) | PV::Azm(_, v) => v as f64,
                    PV::Bpm(b) => b as f64,
                    _ => unreachable!(),
                };
                (p.t0.timestamp_millis(), v)
            })
            .collect();
        out.sort_by_key(|x| x.0);
        out
    }
}

impl Drop for GoogleSim {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// `base64url(sha256(verifier))` without padding: the S256 `code_challenge` of a verifier.
pub fn pkce_challenge(verifier: &str) -> String {
    use sha2::Digest;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier))
}

/// Percent-encodes everything but RFC 3986 unreserved characters (for query strings and forms).
pub fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The Google fixtures folder (`google-health-api/` inside `SYNCBIT_FIXTURES` or
/// `<manifest>/../shared/fixtures`), if present.
pub fn fixtures_dir() -> Option<PathBuf> {
    let root = std::env::var_os("SYNCBIT_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures"))
        });
    [root.join("google-health-api"), root]
        .into_iter()
        .find(|d| d.join("settings.json").is_file() && d.join("paired-devices.json").is_file())
}

/// A captured Google response body by file name, if the fixtures are present.
pub fn read_fixture(name: &str) -> Option<Value> {
    let text = std::fs::read_to_string(fixtures_dir()?.join(name)).ok()?;
    serde_json::from_str(&text).ok()
}

fn scope_matches(scope: &str, suffix: &str) -> bool {
    scope
        .strip_prefix(SCOPE_PREFIX)
        .is_some_and(|rest| rest == suffix || rest.starts_with(&format!("{suffix}.")))
}

// ---------------------------------------------------------------- data types

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Interval,
    Sample,
    Daily,
    Session,
    /// Only rollUp/dailyRollUp (not in the DataPoint union).
    RollupOnly,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum T {
    Steps,
    Distance,
    Floors,
    Altitude,
    TotalCalories,
    HeartRate,
    ActivityLevel,
    ActiveMinutes,
    TimeInZone,
    CaloriesInZone,
    Azm,
    RestingHr,
    HrZones,
    SpO2,
    RespRate,
    Hrv,
    Vo2,
    SkinTemp,
    Sleep,
}

struct Ty {
    t: T,
    /// kebab-case id in URLs
    id: &'static str,
    /// camelCase JSON member
    member: &'static str,
    kind: Kind,
    /// scope group after `SCOPE_PREFIX`
    scope: &'static str,
    /// rollup range cap in days
    cap: i64,
}

const ACT: &str = "activity_and_fitness";
const MET: &str = "health_metrics_and_measurements";

#[rustfmt::skip]
const TYPES: [Ty; 19] = [
    Ty { t: T::Steps, id: "steps", member: "steps", kind: Kind::Interval, scope: ACT, cap: 90 },
    Ty { t: T::Distance, id: "distance", member: "distance", kind: Kind::Interval, scope: ACT, cap: 90 },
    Ty { t: T::Floors, id: "floors", member: "floors", kind: Kind::Interval, scope: ACT, cap: 90 },
    Ty { t: T::Altitude, id: "altitude", member: "altitude", kind: Kind::Interval, scope: ACT, cap: 90 },
    Ty { t: T::TotalCalories, id: "total-calories", member: "totalCalories", kind: Kind::RollupOnly, scope: ACT, cap: 14 },
    Ty { t: T::HeartRate, id: "heart-rate", member: "heartRate", kind: Kind::Sample, scope: MET, cap: 14 },
    Ty { t: T::ActivityLevel, id: "activity-level", member: "activityLevel", kind: Kind::Interval, scope: ACT, cap: 90 },
    Ty { t: T::ActiveMinutes, id: "active-minutes", member: "activeMinutes", kind: Kind::Interval, scope: ACT, cap: 14 },
    Ty { t: T::TimeInZone, id: "time-in-heart-rate-zone", member: "timeInHeartRateZone", kind: Kind::Interval, scope: MET, cap: 90 },
    Ty { t: T::CaloriesInZone, id: "calories-in-heart-rate-zone", member: "caloriesInHeartRateZone", kind: Kind::RollupOnly, scope: MET, cap: 14 },
    Ty { t: T::Azm, id: "active-zone-minutes", member: "activeZoneMinutes", kind: Kind::Interval, scope: ACT, cap: 90 },
    Ty { t: T::RestingHr, id: "daily-resting-heart-rate", member: "dailyRestingHeartRate", kind: Kind::Daily, scope: MET, cap: 90 },
    Ty { t: T::HrZones, id: "daily-heart-rate-zones", member: "dailyHeartRateZones", kind: Kind::Daily, scope: MET, cap: 90 },
    Ty { t: T::SpO2, id: "daily-oxygen-saturation", member: "dailyOxygenSaturation", kind: Kind::Daily, scope: MET, cap: 90 },
    Ty { t: T::RespRate, id: "daily-respiratory-rate", member: "dailyRespiratoryRate", kind: Kind::Daily, scope: MET, cap: 90 },
    Ty { t: T::Hrv, id: "daily-heart-rate-variability", member: "dailyHeartRateVariability", kind: Kind::Daily, scope: MET, cap: 90 },
    Ty { t: T::Vo2, id: "daily-vo2-max", member: "dailyVo2Max", kind: Kind::Daily, scope: MET, cap: 90 },
    Ty { t: T::SkinTemp, id: "daily-sleep-temperature-derivations", member: "dailySleepTemperatureDerivations", kind: Kind::Daily, scope: MET, cap: 90 },
    Ty { t: T::Sleep, id: "sleep", member: "sleep", kind: Kind::Session, scope: "sleep", cap: 90 },
];

/// Real data type ids the sim does not serve (answered 501 so a test notices).
const NOT_SIMULATED: [&str; 25] = [
    "active-energy-burned",
    "basal-energy-burned",
    "blood-glucose",
    "body-fat",
    "core-body-temperature",
    "electrocardiogram",
    "exercise",
    "food",
    "food-measurement-unit",
    "heart-rate-variability",
    "height",
    "hydration-log",
    "irregular-rhythm-notification",
    "menstrual-period",
    "moods",
    "nutrition-log",
    "ovulation-test",
    "oxygen-saturation",
    "respiratory-rate-sleep-summary",
    "run-vo2-max",
    "sedentary-period",
    "swim-lengths-data",
    "symptoms",
    "vo2-max",
    "weight",
];

fn ty_by_id(id: &str) -> Option<&'static Ty> {
    TYPES.iter().find(|t| t.id == id)
}

/// Types that rollUp and dailyRollUp serve.
fn rolls(t: T) -> bool {
    matches!(
        t,
        T::Steps
            | T::Distance
            | T::Floors
            | T::Altitude
            | T::TotalCalories
            | T::HeartRate
            | T::ActivityLevel
            | T::ActiveMinutes
            | T::TimeInZone
            | T::CaloriesInZone
            | T::Azm
    )
}

const ZONES: [&str; 4] = ["LIGHT", "MODERATE", "VIGOROUS", "PEAK"];
const LEVELS: [&str; 4] = [
    "SEDENTARY",
    "LIGHTLY_ACTIVE",
    "MODERATELY_ACTIVE",
    "VERY_ACTIVE",
];
/// `active-minutes` levels for LIGHTLY_ACTIVE, MODERATELY_ACTIVE, VERY_ACTIVE.
const ACTIVE: [&str; 3] = ["LIGHT", "MODERATE", "VIGOROUS"];
/// AZM zones for the MODERATE, VIGOROUS and PEAK heart-rate zones.
const AZM: [&str; 3] = ["FAT_BURN", "CARDIO", "PEAK"];

// ---------------------------------------------------------------- server state and dispatch

struct AccessToken {
    token: String,
    until: Instant,
    scopes: Vec<String>,
    expired: bool,
}

struct AuthCode {
    challenge: String,
    redirect: String,
    scopes: Vec<String>,
    offline: bool,
    consent: bool,
    at: Instant,
}

struct State {
    cfg: GoogleSimConfig,
    m: Model,
    seq: u64,
    access: Vec<AccessToken>,
    /// Live refresh tokens (Google keeps several per client).
    refresh: Vec<String>,
    grant_scopes: Vec<String>,
    refresh_revoked: bool,
    consent_denied: bool,
    denied: Vec<String>,
    codes: HashMap<String, AuthCode>,
    used_codes: HashSet<String>,
    fail: Option<(usize, u16)>,
    malformed: usize,
    not_linked: bool,
    resource_denied: bool,
    win_start: Option<Instant>,
    used: u32,
    log: Vec<Request>,
    token_calls: usize,
    data_calls: usize,
    auth_calls: usize,
    revocations: usize,
    days: HashMap<NaiveDate, Arc<Day>>,
}

struct Resp {
    status: u16,
    body: String,
    content_type: &'static str,
    headers: Vec<(String, String)>,
}

const JSON_CT: &str = "application/json; charset=UTF-8";

fn json_resp(status: u16, body: Value) -> Resp {
    Resp {
        status,
        body: body.to_string(),
        content_type: JSON_CT,
        headers: vec![],
    }
}

/// Google front-end pages (unknown paths, 502, OAuth errors shown to the user) are HTML.
fn html(status: u16, title: &str, text: &str) -> Resp {
    Resp {
        status,
        body: format!(
            "<!DOCTYPE html><html lang=en><meta charset=utf-8><title>{title}</title><p><b>{title}</b><p>{text}</html>"
        ),
        content_type: "text/html; charset=UTF-8",
        headers: vec![],
    }
}

fn not_found_html(path: &str) -> Resp {
    html(
        404,
        "Error 404 (Not Found)!!1",
        &format!("The requested URL <code>{path}</code> was not found on this server."),
    )
}

/// Plain OAuth error body of the token and revoke endpoints.
fn oauth_err(status: u16, error: &str, description: &str) -> Resp {
    let mut r = json_resp(
        status,
        json!({"error": error, "error_description": description}),
    );
    r.content_type = "application/json; charset=utf-8";
    r
}

fn lock(st: &Mutex<State>) -> MutexGuard<'_, State> {
    st.lock().unwrap_or_else(|e| e.into_inner())
}

fn handle(st: &Mutex<State>, mut rq: tiny_http::Request) {
    let auth = rq
        .headers()
        .iter()
        .find(|h| {
            h.field
                .as_str()
                .as_str()
                .eq_ignore_ascii_case("Authorization")
        })
        .map(|h| h.value.as_str().to_string());
    let (method, url) = (rq.method().as_str().to_string(), rq.url().to_string());
    let mut body = String::new();
    let _ = rq.as_reader().read_to_string(&mut body);
    let r = {
        let mut s = lock(st);
        let path = url.split('?').next().unwrap_or("");
        let r = match path {
            "/o/oauth2/v2/auth" => s.authorize(&method, &url),
            "/token" => s.token(&method, auth.as_deref(), &body),
            "/revoke" => s.revoke(&url, &body),
            p if p.starts_with("/v4/") => s.api(&method, &url, auth.as_deref(), &body),
            p => not_found_html(p),
        };
        s.log.push(Request {
            method,
            path_and_query: url,
            body,
            status: r.status,
            at: Instant::now(),
        });
        r
    };
    let mut headers =
        vec![tiny_http::Header::from_bytes("Content-Type", r.content_type.as_bytes()).unwrap()];
    for (k, v) in &r.headers {
        headers.push(tiny_http::Header::from_bytes(k.as_bytes(), v.as_bytes()).unwrap());
    }
    let len = r.body.len();
    let out = tiny_http::Response::new(
        r.status.into(),
        headers,
        std::io::Cursor::new(r.body.into_bytes()),
        Some(len),
        None,
    );
    let _ = rq.respond(out);
}

impl State {
    fn new(cfg: GoogleSimConfig) -> State {
        let tz: Tz = cfg.timezone.parse().expect("valid IANA zone");
        let m = Model::new(tz, cfg.first_day, cfg.phone_overlap, base(cfg.use_fixtures));
        let scopes: Vec<String> = SCOPES.iter().map(|s| s.to_string()).collect();
        let ttl = std::time::Duration::from_secs(cfg.access_token_ttl_secs.max(0) as u64);
        State {
            access: vec![AccessToken {
                token: "ya29.sim-at-1".into(),
                until: Instant::now() + ttl,
                scopes: scopes.clone(),
                expired: false,
            }],
            refresh: vec!["1//sim-rt-1".into()],
            grant_scopes: scopes,
            cfg,
            m,
            seq: 1,
            refresh_revoked: false,
            consent_denied: false,
            denied: vec![],
            codes: HashMap::new(),
            used_codes: HashSet::new(),
            fail: None,
            malformed: 0,
            not_linked: false,
            resource_denied: false,
            win_start: None,
            used: 0,
            log: vec![],
            token_calls: 0,
            data_calls: 0,
            auth_calls: 0,
            revocations: 0,
            days: HashMap::new(),
        }
    }

    /// The clock of a request: now, and how far the tracker's data reaches.
    fn now(&self) -> Now {
        let now = Utc::now();
        let cut = self.cfg.last_sync.map_or(now, |t| t.min(now));
        Now { now, cut }
    }

    fn day(&mut self, d: NaiveDate) -> Arc<Day> {
        if let Some(x) = self.days.get(&d) {
            return x.clone();
        }
        if self.days.len() > 200 {
            self.days.clear();
        }
        let x = Arc::new(self.m.build_day(d));
        self.days.insert(d, x.clone());
        x
    }

    // ------------------------------------------------------------ OAuth

    /// `GET /o/oauth2/v2/auth`: the user consents at once and is sent back to the loopback
    /// `redirect_uri` with `state`, `code` and the granted `scope`. Errors are HTML pages, as at
    /// Google (the browser shows them; nothing is redirected).
    fn authorize(&mut self, method: &str, url: &str) -> Resp {
        self.auth_calls += 1;
        if method != "GET" {
            return html(405, "Error 405 (Method Not Allowed)!!1", "Use GET.");
        }
        let q = parse_query(url.split_once('?').map_or("", |x| x.1));
        let get = |k: &str| qget(&q, &[k]).unwrap_or("").to_string();
        if get("client_id") != CLIENT_ID {
            return html(
                401,
                "Error 401: invalid_client",
                "The OAuth client was not found.",
            );
        }
        let redirect = get("redirect_uri");
        if !is_loopback(&redirect) {
            return html(
                400,
                "Error 400: redirect_uri_mismatch",
                "Desktop clients must use a loopback redirect URI (http://127.0.0.1:PORT).",
            );
        }
        if get("response_type") != "code" {
            return html(
                400,
                "Error 400: invalid_request",
                "Invalid response_type (expected code).",
            );
        }
        let challenge = get("code_challenge");
        // Google accepts requests without PKCE; the sim insists, because syncbit must send it.
        if get("code_challenge_method") != "S256" || !(43..=128).contains(&challenge.len()) {
            return html(
                400,
                "Error 400: invalid_request",
                "The sim requires PKCE: code_challenge (43-128 chars) with code_challenge_method=S256.",
            );
        }
        let requested: Vec<String> = get("scope").split_whitespace().map(String::from).collect();
        if requested.is_empty() {
            return html(
                400,
                "Error 400: invalid_request",
                "Missing required parameter: scope",
            );
        }
        let other_ok = [
            "openid",
            "email",
            "profile",
            "https://www.googleapis.com/auth/userinfo.email",
            "https://www.googleapis.com/auth/userinfo.profile",
        ];
        if let Some(bad) = requested
            .iter()
            .find(|s| !s.starts_with(SCOPE_PREFIX) && !other_ok.contains(&s.as_str()))
        {
            return html(
                400,
                "Error 400: invalid_scope",
                &format!("Some requested scopes were invalid: {bad}"),
            );
        }
        let state = get("state");
        let sep = if redirect.contains('?') { '&' } else { '?' };
        let state_part = if state.is_empty() {
            String::new()
        } else {
            format!("state={}&", url_encode(&state))
        };
        let location = if self.consent_denied {
            format!("{redirect}{sep}{state_part}error=access_denied")
        } else {
            let denied = self.denied.clone();
            let granted: Vec<String> = requested
                .into_iter()
                .filter(|s| !denied.iter().any(|d| scope_matches(s, d)))
                .collect();
            self.seq += 1;
            let code = format!("4/0Asim{}-{:x}", self.seq, mix(self.seq as i64, 7) >> 20);
            let scope = granted.join(" ");
            self.codes.insert(
                code.clone(),
                AuthCode {
                    challenge,
                    redirect: redirect.clone(),
                    scopes: granted,
                    offline: get("access_type") == "offline",
                    consent: get("prompt").split_whitespace().any(|p| p == "consent"),
                    at: Instant::now(),
                },
            );
            format!(
                "{redirect}{sep}{state_part}code={}&scope={}",
                url_encode(&code),
                url_encode(&scope)
            )
        };
        Resp {
            status: 302,
            body: String::new(),
            content_type: "text/html; charset=UTF-8",
            headers: vec![("Location".into(), location)],
        }
    }

    /// `POST /token` (form body). Client credentials in the body or as HTTP Basic.
    fn token(&mut self, method: &str, auth: Option<&str>, body: &str) -> Resp {
        self.token_calls += 1;
        if method != "POST" {
            return oauth_err(405, "invalid_request", "Invalid HTTP method.");
        }
        let form = parse_query(body);
        let basic = auth
            .and_then(|a| a.strip_prefix("Basic "))
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| {
                s.split_once(':')
                    .map(|(i, p)| (pct_decode(i, true), pct_decode(p, true)))
            });
        let (id, secret) = match basic {
            Some((i, p)) => (i, Some(p)),
            None => (
                qget(&form, &["client_id"]).unwrap_or("").to_string(),
                qget(&form, &["client_secret"]).map(String::from),
            ),
        };
        if id != CLIENT_ID {
            return oauth_err(401, "invalid_client", "The OAuth client was not found.");
        }
        match secret.as_deref() {
            None | Some("") => {
                return oauth_err(400, "invalid_request", "client_secret is missing.");
            }
            Some(s) if s != CLIENT_SECRET => {
                return oauth_err(401, "invalid_client", "Unauthorized");
            }
            _ => {}
        }
        match qget(&form, &["grant_type"]).unwrap_or("") {
            "authorization_code" => self.exchange_code(&form),
            "refresh_token" => self.refresh_grant(&form),
            "" => oauth_err(
                400,
                "invalid_request",
                "Missing required parameter: grant_type",
            ),
            g => oauth_err(
                400,
                "unsupported_grant_type",
                &format!("Invalid grant_type: {g}"),
            ),
        }
    }

    fn issue_access(&mut self, scopes: Vec<String>) -> String {
        self.seq += 1;
        let token = format!("ya29.sim-at-{}", self.seq);
        let ttl = std::time::Duration::from_secs(self.cfg.access_token_ttl_secs.max(0) as u64);
        self.access.push(AccessToken {
            token: token.clone(),
            until: Instant::now() + ttl,
            scopes,
            expired: false,
        });
        token
    }

    fn token_body(&self, access: &str, refresh: Option<&str>) -> Resp {
        let mut v = json!({"access_token": access, "expires_in": self.cfg.access_token_ttl_secs,
            "scope": self.grant_scopes.join(" "), "token_type": "Bearer"});
        if let Some(r) = refresh {
            v["refresh_token"] = json!(r);
        }
        let mut r = json_resp(200, v);
        r.content_type = "application/json; charset=utf-8";
        r.headers.push((
            "Cache-Control".into(),
            "no-cache, no-store, max-age=0".into(),
        ));
        r
    }

    fn exchange_code(&mut self, form: &[(String, String)]) -> Resp {
        let Some(code) = qget(form, &["code"]) else {
            return oauth_err(400, "invalid_request", "Missing required parameter: code");
        };
        let Some(c) = self.codes.remove(code) else {
            let d = if self.used_codes.contains(code) {
                "Bad Request"
            } else {
                "Malformed auth code."
            };
            return oauth_err(400, "invalid_grant", d);
        };
        self.used_codes.insert(code.to_string());
        if c.at.elapsed().as_secs() > 600 {
            return oauth_err(400, "invalid_grant", "Bad Request");
        }
        if qget(form, &["redirect_uri"]) != Some(c.redirect.as_str()) {
            return oauth_err(400, "redirect_uri_mismatch", "Bad Request");
        }
        match qget(form, &["code_verifier"]) {
            None | Some("") => return oauth_err(400, "invalid_grant", "Missing code verifier."),
            Some(v) if pkce_challenge(v) != c.challenge => {
                return oauth_err(400, "invalid_grant", "Invalid code verifier.");
            }
            _ => {}
        }
        self.grant_scopes = c.scopes.clone();
        self.refresh_revoked = false;
        let access = self.issue_access(c.scopes);
        // Google sends a refresh token on the first offline grant, and again only with
        // prompt=consent.
        let refresh = (c.offline && (c.consent || self.refresh.is_empty())).then(|| {
            self.seq += 1;
            let r = format!("1//sim-rt-{}", self.seq);
            self.refresh.push(r.clone());
            r
        });
        self.token_body(&access, refresh.as_deref())
    }

    fn refresh_grant(&mut self, form: &[(String, String)]) -> Resp {
        let Some(rt) = qget(form, &["refresh_token"]).filter(|s| !s.is_empty()) else {
            return oauth_err(
                400,
                "invalid_request",
                "Missing required parameter: refresh_token",
            );
        };
        if self.refresh_revoked || !self.refresh.iter().any(|r| r == rt) {
            return oauth_err(400, "invalid_grant", "Token has been expired or revoked.");
        }
        let access = self.issue_access(self.grant_scopes.clone());
        let refresh = self.cfg.rotate_refresh_tokens.then(|| {
            self.seq += 1;
            let r = format!("1//sim-rt-{}", self.seq);
            self.refresh = vec![r.clone()];
            r
        });
        self.token_body(&access, refresh.as_deref())
    }

    /// `POST /revoke` with `token=` (form body or query): the whole grant ends.
    fn revoke(&mut self, url: &str, body: &str) -> Resp {
        let mut q = parse_query(body);
        q.extend(parse_query(url.split_once('?').map_or("", |x| x.1)));
        let t = qget(&q, &["token"]).unwrap_or("");
        if t.is_empty()
            || !(self.access.iter().any(|a| a.token == t) || self.refresh.iter().any(|r| r == t))
        {
            return oauth_err(400, "invalid_token", "Token expired or revoked");
        }
        self.access.clear();
        self.refresh.clear();
        self.grant_scopes.clear();
        self.revocations += 1;
        json_resp(200, json!({}))
    }

    // ------------------------------------------------------------ API

    fn check_token(&self, token: Option<&str>) -> Result<Vec<String>, Resp> {
        const INVALID: &str = "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.";
        let unauth = |reason: &str, msg: &str| {
            let mut r = gerr(
                401,
                "UNAUTHENTICATED",
                msg,
                vec![error_info(
                    reason,
                    "googleapis.com",
                    json!({"service": "health.googleapis.com"}),
                )],
            );
            r.headers.push((
                "WWW-Authenticate".into(),
                "Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\"".into(),
            ));
            r
        };
        let Some(t) = token else {
            return Err(unauth(
                "CREDENTIALS_MISSING",
                "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
            ));
        };
        match self.access.iter().find(|a| a.token == t) {
            None => Err(unauth("ACCESS_TOKEN_TYPE_UNSUPPORTED", INVALID)),
            Some(a) if a.expired || Instant::now() >= a.until => {
                Err(unauth("ACCESS_TOKEN_EXPIRED", INVALID))
            }
            Some(a) => Ok(a.scopes.clone()),
        }
    }

    /// Counts one call against the quota window; `Some` once the window is used up.
    fn quota(&mut self) -> Option<Resp> {
        let now = Instant::now();
        if self
            .win_start
            .is_none_or(|s| now.duration_since(s).as_secs_f64() >= self.cfg.window_secs as f64)
        {
            self.win_start = Some(now);
            self.used = 0;
        }
        self.used += 1;
        (self.used > self.cfg.quota_per_window).then(|| error_for(429, self.m.base))
    }

    fn api(&mut self, method: &str, url: &str, auth: Option<&str>, body: &str) -> Resp {
        let (raw_path, query) = url.split_once('?').unwrap_or((url, ""));
        let path = pct_decode(raw_path, false);
        let q = parse_query(query);
        let Some(rest) = path.strip_prefix("/v4/users/") else {
            return not_found_html(&path);
        };
        self.data_calls += 1;
        let token = auth
            .and_then(|a| a.strip_prefix("Bearer "))
            .or_else(|| qget(&q, &["access_token"]));
        let scopes = match self.check_token(token) {
            Ok(s) => s,
            Err(r) => return r,
        };
        if let Some(r) = self.quota() {
            return r;
        }
        if let Some((n, status)) = self.fail {
            self.fail = (n > 1).then_some((n - 1, status));
            return error_for(status, self.m.base);
        }
        let segs: Vec<&str> = rest.split('/').collect();
        let mut r = if self.resource_denied {
            let mut v = self.m.base.e403.clone();
            v["error"]["details"] = json!([error_info(
                "RESOURCE_PERMISSION_DENIED",
                "health.googleapis.com",
                Value::Null
            )]);
            json_resp(403, v)
        } else if segs[0] != "me" && segs[0] != HEALTH_USER_ID {
            json_resp(403, self.m.base.e403.clone())
        } else if self.not_linked && segs[1..] != ["identity"] {
            // reconstructed: the reference names the reason and the status code only
            gerr(
                400,
                "FAILED_PRECONDITION",
                "The Google account is not linked to a Fitbit account with Google Health data.",
                vec![error_info(
                    "ACCOUNT_NOT_LINKED",
                    "health.googleapis.com",
                    Value::Null,
                )],
            )
        } else {
            self.route(method, &segs[1..], &q, body, &scopes)
        };
        if self.malformed > 0 {
            self.malformed -= 1;
            r.status = 200;
            let mut cut = r.body.len() / 2;
            while !r.body.is_char_boundary(cut) {
                cut -= 1;
            }
            r.body.truncate(cut.max(1));
        }
        r
    }

    fn route(
        &mut self,
        method: &str,
        segs: &[&str],
        q: &[(String, String)],
        body: &str,
        scopes: &[String],
    ) -> Resp {
        let path = format!("/v4/users/me/{}", segs.join("/"));
        match (method, segs) {
            ("GET", ["identity"]) => {
                if let Some(r) = check_params(q, &[]) {
                    return r;
                }
                if !scopes
                    .iter()
                    .any(|s| s.starts_with(SCOPE_PREFIX) && !s.ends_with(".writeonly"))
                {
                    return scope_error();
                }
                json_resp(
                    200,
                    json!({"healthUserId": HEALTH_USER_ID, "legacyUserId": LEGACY_USER_ID, "name": "users/me/identity"}),
                )
            }
            ("GET", ["settings"]) => {
                if let Some(r) = check_params(q, &[]).or_else(|| need_scope(scopes, "settings")) {
                    return r;
                }
                let mut v = self.m.base.settings.clone();
                v["name"] = json!(format!("users/{HEALTH_USER_ID}/settings"));
                v["timeZone"] = json!(self.m.tz.name());
                v["utcOffset"] = json!(offset_str(self.m.tz, Utc::now()));
                json_resp(200, v)
            }
            ("GET", ["profile"]) => {
                if let Some(r) = check_params(q, &[]).or_else(|| need_scope(scopes, "profile")) {
                    return r;
                }
                let mut v = self.m.base.profile.clone();
                v["name"] = json!(format!("users/{HEALTH_USER_ID}/profile"));
                v["membershipStartDate"] = date_obj(self.m.first_day);
                // the stride fields need the activity scope as well (discovery document)
                if need_scope(scopes, ACT).is_some()
                    && let Some(o) = v.as_object_mut()
                {
                    o.retain(|k, _| !k.contains("StrideLengthMm"));
                }
                json_resp(200, v)
            }
            ("GET", ["pairedDevices"]) => {
                if let Some(r) =
                    check_params(q, &["pageSize", "page_size", "pageToken", "page_token"])
                        .or_else(|| need_scope(scopes, "settings"))
                {
                    return r;
                }
                let mut d = self.m.base.device.clone();
                let sync = self.cfg.last_sync.unwrap_or_else(Utc::now);
                d["lastSyncTime"] = json!(rfc(sync));
                d["name"] = json!(format!("users/{HEALTH_USER_ID}/pairedDevices/2750123456"));
                d["macAddress"] = json!("E4:5F:01:2A:7B:C3");
                json_resp(200, json!({"pairedDevices": [d]}))
            }
            (_, ["dataTypes", id, last]) => {
                let (coll, verb) = last.split_once(':').unwrap_or((last, ""));
                let op = match (method, coll, verb) {
                    ("GET", "dataPoints", "") => Op::List,
                    ("GET", "dataPoints", "reconcile") => Op::Reconcile,
                    ("POST", "dataPoints", "rollUp") => Op::RollUp,
                    ("POST", "dataPoints", "dailyRollUp") => Op::DailyRollUp,
                    ("POST", "dataPoints", "" | "batchDelete") => return not_simulated_method(),
                    _ => return not_found_html(&path),
                };
                let Some(ty) = ty_by_id(id) else {
                    return unknown_type(id);
                };
                match op {
                    Op::List => self.list(ty, q, false, scopes),
                    Op::Reconcile => self.list(ty, q, true, scopes),
                    Op::RollUp => self.rollup(ty, q, body, false, scopes),
                    Op::DailyRollUp => self.rollup(ty, q, body, true, scopes),
                }
            }
            (_, ["dataTypes", id, ..]) if ty_by_id(id).is_none() => unknown_type(id),
            // dataPoints.get / create / patch / batchDelete and the exercise export
            (_, ["dataTypes", _, "dataPoints", _]) => not_simulated_method(),
            _ => not_found_html(&path),
        }
    }

    // ------------------------------------------------------------ list and reconcile

    fn list(
        &mut self,
        ty: &'static Ty,
        q: &[(String, String)],
        reconcile: bool,
        scopes: &[String],
    ) -> Resp {
        const PARAMS: [&str; 7] = [
            "filter",
            "pageSize",
            "page_size",
            "pageToken",
            "page_token",
            "dataSourceFamily",
            "data_source_family",
        ];
        if let Some(r) = check_params(q, &PARAMS).or_else(|| need_scope(scopes, ty.scope)) {
            return r;
        }
        if ty.kind == Kind::RollupOnly {
            let verb = if reconcile { "Reconcile" } else { "List" };
            return unsupported(verb, ty.id, "rollUp, dailyRollUp");
        }
        let fam_raw = qget(q, &["dataSourceFamily", "data_source_family"]).unwrap_or("");
        if ty.t == T::Sleep && !reconcile && !fam_raw.is_empty() {
            return gerr(
                400,
                "INVALID_ARGUMENT",
                "Filtering by data source family is not supported for the sleep data type. Use ReconcileDataPoints instead.",
                vec![],
            );
        }
        let srcs = match family(fam_raw) {
            Ok(s) => s,
            Err(r) => return r,
        };
        let sleep = ty.t == T::Sleep;
        let ps = match page_size(q) {
            Ok(0) => {
                if sleep {
                    25
                } else {
                    self.cfg.default_page_size
                }
            }
            Ok(n) => n.min(if sleep { 25 } else { 10_000 }),
            Err(r) => return r,
        };
        let filter_s = qget(q, &["filter"]).unwrap_or("");
        let flt = match parse_filter(ty, filter_s) {
            Ok(f) => f,
            Err(r) => return r,
        };
        let h = h64(&[ty.id, &reconcile.to_string(), filter_s, fam_raw]);
        let now = self.now();
        let tz = self.m.tz;
        let today = local_date(tz, now.now);
        let (lo, hi) = flt.day_bounds(tz);
        // "past": the range ends before today, or there is no filter at all (both observed)
        let past = hi.is_some_and(|h| h < today) || flt.all.is_empty();
        let lo = lo.unwrap_or(self.m.first_day).max(self.m.first_day);
        let hi = hi.unwrap_or(today).min(next_day(today));
        let days: Vec<NaiveDate> = if lo > hi {
            vec![]
        } else {
            let mut v: Vec<NaiveDate> = lo.iter_days().take_while(|d| *d <= hi).collect();
            v.reverse();
            v
        };
        let limit = if ty.t == T::HeartRate {
            ps.min(self.cfg.heart_rate_page_cap).min((ps / 2).max(1))
        } else {
            ps
        };
        let (mut di, mut idx) =
            match qget(q, &["pageToken", "page_token"]).filter(|t| !t.is_empty()) {
                None => {
                    if self.cfg.empty_first_pages && past && !days.is_empty() {
                        return json_resp(200, page(vec![], Some(list_token(h, days[0], 0))));
                    }
                    (0, 0)
                }
                Some(t) => match decode_list_token(t, h)
                    .and_then(|(d, i)| days.iter().position(|x| *x == d).map(|p| (p, i)))
                {
                    Some(x) => x,
                    None => return bad_token(),
                },
            };
        let nothing = self.cfg.civil_filters_empty
            && matches!(ty.t, T::Steps | T::HeartRate)
            && flt.uses(Field::Civil);
        let mut out = vec![];
        let mut next = None;
        'days: while !nothing && di < days.len() {
            let pts: Vec<Pt> = self
                .day_points(ty, days[di], srcs, reconcile, now)
                .into_iter()
                .filter(|p| flt.matches(p, ty.kind, tz))
                .collect();
            while idx < pts.len() {
                if out.len() == limit {
                    next = Some(list_token(h, days[di], idx));
                    break 'days;
                }
                out.push(self.pt_json(ty, &pts[idx], reconcile));
                idx += 1;
            }
            di += 1;
            idx = 0;
        }
        json_resp(200, page(out, next))
    }

    /// The points of one local day (sleep: sessions ending that day), newest first; ties keep
    /// the tracker first.
    fn day_points(
        &mut self,
        ty: &Ty,
        d: NaiveDate,
        srcs: [bool; 2],
        merged: bool,
        now: Now,
    ) -> Vec<Pt> {
        let m = self.m;
        if ty.kind == Kind::Daily {
            return m
                .daily_json(ty.t, d, now)
                .filter(|_| srcs[0])
                .map(|v| {
                    let t = local_midnight(m.tz, d);
                    vec![Pt {
                        t0: t,
                        t1: t,
                        day: d,
                        src: 0,
                        v: PV::Daily(v),
                    }]
                })
                .unwrap_or_default();
        }
        if ty.kind == Kind::Session {
            let mut v: Vec<Pt> = m
                .sessions_ending(d)
                .into_iter()
                .filter(|s| srcs[0] && s.end <= now.cut)
                .map(|s| Pt {
                    t0: s.start,
                    t1: s.end,
                    day: d,
                    src: 0,
                    v: PV::Sleep(Box::new(s)),
                })
                .collect();
            v.sort_by_key(|p| std::cmp::Reverse(p.t0));
            return v;
        }
        let day = self.day(d);
        if !day.live {
            return vec![];
        }
        let upto = [day.upto(now.cut), day.upto(now.now)];
        let minute = |m: usize, src: usize, v: PV| Pt {
            t0: day.t(m),
            t1: day.t(m + 1),
            day: d,
            src,
            v,
        };
        let run = |(a, b, s): (usize, usize, u8), v: PV| Pt {
            t0: day.t(a),
            t1: day.t(b),
            day: d,
            src: 0,
            v: match v {
                PV::Active(_, _) => PV::Active(s, (b - a) as u64),
                PV::Level(_) => PV::Level(s),
                _ => PV::Zone(s),
            },
        };
        let mut pts = vec![];
        match ty.t {
            T::Steps | T::Distance => {
                let val = |s: usize, i: usize| match ty.t {
                    T::Steps => day.steps[s][i] as u64,
                    _ => day.mm[s][i],
                };
                for i in 0..day.mins {
                    if merged {
                        if let Some(s) = (0..2).find(|&s| srcs[s] && i < upto[s] && val(s, i) > 0) {
                            pts.push(minute(i, s, PV::Int(val(s, i))));
                        }
                    } else {
                        for s in 0..2 {
                            if srcs[s] && i < upto[s] && val(s, i) > 0 {
                                pts.push(minute(i, s, PV::Int(val(s, i))));
                            }
                        }
                    }
                }
            }
            T::Floors | T::Altitude if srcs[0] => {
                for i in 0..upto[0] {
                    let v = if ty.t == T::Floors {
                        day.floors[i] as u64
                    } else {
                        day.gain[i]
                    };
                    if v > 0 {
                        pts.push(minute(i, 0, PV::Int(v)));
                    }
                }
            }
            T::Azm if srcs[0] => {
                for i in 0..upto[0] {
                    if let Some(z) = day.zone[i].filter(|z| *z > 0) {
                        pts.push(minute(i, 0, PV::Azm(z - 1, azm_points(z))));
                    }
                }
            }
            T::HeartRate if srcs[0] => {
                let cut = now.cut.timestamp_millis();
                for &(ms, bpm) in day.hr.iter().take_while(|x| x.0 < cut) {
                    let t = DateTime::from_timestamp_millis(ms).unwrap();
                    pts.push(Pt {
                        t0: t,
                        t1: t,
                        day: d,
                        src: 0,
                        v: PV::Bpm(bpm),
                    });
                }
            }
            T::ActivityLevel if srcs[0] => {
                for r in runs(&day.level, upto[0]) {
                    pts.push(run(r, PV::Level(0)));
                }
            }
            T::ActiveMinutes if srcs[0] => {
                let active: Vec<Option<u8>> =
                    day.level.iter().map(|l| l.filter(|x| *x > 0)).collect();
                for r in runs(&active, upto[0]) {
                    pts.push(run(r, PV::Active(0, 0)));
                }
            }
            T::TimeInZone if srcs[0] => {
                for r in runs(&day.zone, upto[0]) {
                    pts.push(run(r, PV::Zone(0)));
                }
            }
            _ => {}
        }
        pts.sort_by(|a, b| b.t0.cmp(&a.t0).then(a.src.cmp(&b.src)));
        pts
    }

    fn pt_json(&self, ty: &Ty, p: &Pt, reconcile: bool) -> Value {
        let m = &self.m;
        let mut o = Map::new();
        if !reconcile {
            o.insert("dataSource".into(), m.source_json(ty.t, p.src));
        }
        let iv = || m.interval_json(p.t0, p.t1);
        let inner = match &p.v {
            PV::Int(v) => {
                let field = match ty.t {
                    T::Distance => "millimeters",
                    T::Altitude => "gainMillimeters",
                    _ => "count",
                };
                json!({field: v.to_string(), "interval": iv()})
            }
            PV::Bpm(b) => json!({"beatsPerMinute": b.to_string(), "sampleTime": {
                "civilTime": civil(local(m.tz, p.t0)), "physicalTime": rfc(p.t0), "utcOffset": offset_str(m.tz, p.t0)}}),
            PV::Level(l) => json!({"activityLevelType": LEVELS[*l as usize], "interval": iv()}),
            PV::Active(l, n) => json!({"activeMinutesByActivityLevel": [
                {"activeMinutes": n.to_string(), "activityLevel": ACTIVE[*l as usize - 1]}], "interval": iv()}),
            PV::Zone(z) => json!({"heartRateZoneType": ZONES[*z as usize], "interval": iv()}),
            PV::Azm(z, n) => json!({"activeZoneMinutes": n.to_string(),
                "heartRateZone": AZM[*z as usize], "interval": iv()}),
            PV::Daily(v) => v.clone(),
            PV::Sleep(s) => {
                let key = if reconcile { "dataPointName" } else { "name" };
                o.insert(key.into(), json!(s.name));
                m.sleep_json(s)
            }
        };
        o.insert(ty.member.into(), inner);
        Value::Object(o)
    }

    // ------------------------------------------------------------ rollUp and dailyRollUp

    fn rollup(
        &mut self,
        ty: &'static Ty,
        q: &[(String, String)],
        body: &str,
        daily: bool,
        scopes: &[String],
    ) -> Resp {
        if let Some(r) = check_params(q, &[]).or_else(|| need_scope(scopes, ty.scope)) {
            return r;
        }
        if !rolls(ty.t) {
            let verb = if daily { "DailyRollup" } else { "Rollup" };
            return unsupported(verb, ty.id, "list, reconcile");
        }
        let req: J = match serde_json::from_str(body) {
            Ok(j @ J::Obj(_)) => j,
            _ => {
                return invalid_payload(vec![(
                    None,
                    "Invalid JSON payload received. Expected an object.".into(),
                )]);
            }
        };
        // shape first: unknown names, as Google's JSON parser reports them (captured format)
        let win_keys: &[&str] = if daily {
            &["windowSizeDays", "window_size_days"]
        } else {
            &["windowSize", "window_size"]
        };
        let mut bad = vec![];
        for k in req.keys() {
            let known = ["range", "pageSize", "page_size", "pageToken", "page_token"].contains(&k)
                || ["dataSourceFamily", "data_source_family"].contains(&k)
                || win_keys.contains(&k);
            if !known {
                bad.push((
                    None,
                    format!(
                        "Invalid JSON payload received. Unknown name \"{k}\": Cannot find field."
                    ),
                ));
            }
        }
        let range = req.get("range");
        if let Some(r) = range {
            let allowed: &[&str] = if daily {
                &["start", "end"]
            } else {
                &["startTime", "start_time", "endTime", "end_time"]
            };
            for k in r.keys().into_iter().filter(|k| !allowed.contains(k)) {
                bad.push((Some("range".to_string()), unknown_name(k, "range")));
            }
            if daily {
                for side in ["start", "end"] {
                    if let Some(x) = r.get(side) {
                        let at = format!("range.{side}");
                        for k in x
                            .keys()
                            .into_iter()
                            .filter(|k| !["date", "time"].contains(k))
                        {
                            bad.push((Some(at.clone()), unknown_name(k, &at)));
                        }
                    }
                }
            }
        }
        if !bad.is_empty() {
            return invalid_payload(bad);
        }
        let Some(range) = range else {
            return field_error("range", "Required field range is missing.");
        };
        let fam = req
            .get("dataSourceFamily")
            .or(req.get("data_source_family"));
        let fam_raw = fam
            .and_then(|f| f.val().as_str().map(String::from))
            .unwrap_or_default();
        let srcs = match family(&fam_raw) {
            Ok(s) => s,
            Err(r) => return r,
        };
        let explicit_ps = match req
            .get("pageSize")
            .or(req.get("page_size"))
            .map(|x| x.val())
        {
            None => None,
            Some(v) => match v.as_i64() {
                Some(n) if n >= 0 => Some(n as usize).filter(|n| *n > 0),
                _ => {
                    return field_error(
                        "page_size",
                        &format!("Invalid value at 'page_size' (TYPE_INT32), {v}"),
                    );
                }
            },
        };
        let ps = explicit_ps.unwrap_or(1440).min(10_000);
        let now = self.now();
        let cap = ty.cap;
        let too_long = || duration_error(ty.id, cap);
        // the windows: (start instant, end instant, civil start, civil end)
        let (days, keyer): (Vec<NaiveDate>, Keyer) = if daily {
            let (Some(s), Some(e)) = (civil_date(range.get("start")), civil_date(range.get("end")))
            else {
                return field_error(
                    "range",
                    "range.start and range.end must be civil date-times {\"date\": {\"year\", \"month\", \"day\"}} at midnight; the start must be aligned with the aggregation window.",
                );
            };
            if e <= s {
                return field_error("range", "range.end must be after range.start.");
            }
            let wd = match req
                .get("windowSizeDays")
                .or(req.get("window_size_days"))
                .map(|x| x.val())
            {
                None => 1,
                Some(v) => match v.as_i64() {
                    Some(0) => 1,
                    Some(n) if n > 0 => n,
                    _ => {
                        return field_error(
                            "window_size_days",
                            &format!("Invalid value at 'window_size_days' (TYPE_INT32), {v}"),
                        );
                    }
                },
            };
            if (e - s).num_days() > cap {
                return too_long();
            }
            if self.cfg.window_page_product_check
                && explicit_ps.is_some_and(|p| wd * p as i64 > cap)
            {
                return too_long();
            }
            let days: Vec<NaiveDate> = s.iter_days().take_while(|d| *d < e).collect();
            (days, Keyer::Civil { s, e, wd })
        } else {
            let time = |a: &str, b: &str| {
                range.get(a).or(range.get(b)).map(|x| x.val()).map(|v| {
                    v.as_str()
                        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                        .map(|t| t.with_timezone(&Utc))
                        .ok_or(v)
                })
            };
            let (s, e) = match (time("startTime", "start_time"), time("endTime", "end_time")) {
                (Some(Ok(s)), Some(Ok(e))) => (s, e),
                (Some(Err(v)), _) => {
                    return field_error(
                        "range.start_time",
                        &format!(
                            "Invalid value at 'range.start_time' (type.googleapis.com/google.protobuf.Timestamp), {v}"
                        ),
                    );
                }
                (_, Some(Err(v))) => {
                    return field_error(
                        "range.end_time",
                        &format!(
                            "Invalid value at 'range.end_time' (type.googleapis.com/google.protobuf.Timestamp), {v}"
                        ),
                    );
                }
                _ => {
                    return field_error(
                        "range",
                        "range.start_time and range.end_time are required.",
                    );
                }
            };
            if e <= s {
                return field_error("range", "range.end_time must be after range.start_time.");
            }
            let w = req
                .get("windowSize")
                .or(req.get("window_size"))
                .map(|x| x.val());
            let w_ms = match w
                .as_ref()
                .map(|v| (v, v.as_str().and_then(parse_duration_ms)))
            {
                None => {
                    return field_error("window_size", "Required field window_size is missing.");
                }
                Some((_, Some(ms))) if ms >= 1000 => ms,
                Some((_, Some(_))) => {
                    return field_error("window_size", "window_size must be at least 1 second.");
                }
                Some((v, None)) => {
                    return field_error(
                        "window_size",
                        &format!(
                            "Invalid value at 'window_size' (type.googleapis.com/google.protobuf.Duration), {v}"
                        ),
                    );
                }
            };
            let cap_ms = cap * 86_400_000;
            if (e - s).num_milliseconds() > cap_ms {
                return too_long();
            }
            if self.cfg.window_page_product_check && w_ms.saturating_mul(ps as i64) > cap_ms {
                return too_long();
            }
            (self.m.days_touching(s, e), Keyer::Physical { s, e, w_ms })
        };
        // the page token belongs to this request without pageToken and pageSize
        let canon: Vec<String> = req
            .entries()
            .iter()
            .filter(|(k, _)| {
                !["pageToken", "page_token", "pageSize", "page_size"].contains(&k.as_str())
            })
            .map(|(k, v)| format!("{k}={}", v.val()))
            .collect();
        let h = h64(&[ty.id, &daily.to_string(), &canon.join("&")]);
        let start_idx = match req
            .get("pageToken")
            .or(req.get("page_token"))
            .map(|x| x.val())
        {
            None => 0,
            Some(Value::String(t)) if t.is_empty() => 0,
            Some(Value::String(t)) => match decode_rollup_token(&t, h) {
                Some(i) => i,
                None => return bad_token(),
            },
            Some(_) => return bad_token(),
        };
        let key = |t: DateTime<Utc>, d: NaiveDate| keyer.key(t, d);
        let accs = self.accumulate(ty.t, &days, srcs, now, &key);
        // newest first; windows without data are absent
        let all: Vec<(&usize, &Acc)> = accs.iter().rev().collect();
        let mut out = vec![];
        for (k, a) in all.iter().skip(start_idx).take(ps) {
            let (member, value) = rollup_json(ty.t, a);
            let mut o = Map::new();
            o.insert(member.into(), value);
            match keyer {
                Keyer::Physical { s, e, w_ms } => {
                    let ws = s + Duration::milliseconds(**k as i64 * w_ms);
                    let we = (ws + Duration::milliseconds(w_ms)).min(e);
                    o.insert("startTime".into(), json!(rfc(ws)));
                    o.insert("endTime".into(), json!(rfc(we)));
                }
                Keyer::Civil { s, e, wd } => {
                    let cs = s + Duration::days(**k as i64 * wd);
                    let ce = (cs + Duration::days(wd)).min(e);
                    o.insert(
                        "civilStartTime".into(),
                        json!({"date": date_obj(cs), "time": {}}),
                    );
                    o.insert(
                        "civilEndTime".into(),
                        json!({"date": date_obj(ce), "time": {}}),
                    );
                }
            }
            out.push(Value::Object(o));
        }
        let next = (start_idx + ps < all.len()).then(|| rollup_token(h, start_idx + ps));
        let mut body = Map::new();
        if !out.is_empty() {
            body.insert("rollupDataPoints".into(), Value::Array(out));
        }
        if let Some(t) = next {
            body.insert("nextPageToken".into(), json!(t));
        }
        json_resp(200, Value::Object(body))
    }

    /// Aggregates a rollup family over `days`: every point (a minute, or a heart-rate sample)
    /// goes to the window `key(point start, local day)` names.
    fn accumulate(
        &mut self,
        t: T,
        days: &[NaiveDate],
        srcs: [bool; 2],
        now: Now,
        key: &dyn Fn(DateTime<Utc>, NaiveDate) -> Option<usize>,
    ) -> BTreeMap<usize, Acc> {
        let mut accs: BTreeMap<usize, Acc> = BTreeMap::new();
        for &d in days {
            let day = self.day(d);
            if !day.live {
                continue;
            }
            let upto = [day.upto(now.cut), day.upto(now.now)];
            if t == T::HeartRate {
                if !srcs[0] {
                    continue;
                }
                let cut = now.cut.timestamp_millis();
                for &(ms, bpm) in day.hr.iter().take_while(|x| x.0 < cut) {
                    if let Some(k) = key(DateTime::from_timestamp_millis(ms).unwrap(), d) {
                        accs.entry(k).or_default().add_bpm(bpm as f64);
                    }
                }
                continue;
            }
            for i in 0..day.mins {
                let tracker = srcs[0] && i < upto[0];
                let (slot, v) = match t {
                    T::Steps | T::Distance => {
                        let val = |s: usize| match t {
                            T::Steps => day.steps[s][i] as f64,
                            _ => day.mm[s][i] as f64,
                        };
                        match (0..2).find(|&s| srcs[s] && i < upto[s] && val(s) > 0.0) {
                            Some(s) => (0, val(s)),
                            None => continue,
                        }
                    }
                    T::Floors if tracker && day.floors[i] > 0 => (0, day.floors[i] as f64),
                    T::Altitude if tracker && day.gain[i] > 0 => (0, day.gain[i] as f64),
                    T::TotalCalories if tracker => (0, day.kcal[i]),
                    T::ActivityLevel if tracker => match day.level[i] {
                        Some(l) => (l as usize, 60.0),
                        None => continue,
                    },
                    T::ActiveMinutes if tracker => match day.level[i] {
                        Some(l) if l > 0 => (l as usize - 1, 1.0),
                        _ => continue,
                    },
                    T::TimeInZone if tracker => match day.zone[i] {
                        Some(z) => (z as usize, 60.0),
                        None => continue,
                    },
                    T::CaloriesInZone if tracker => match day.zone[i] {
                        Some(z) => (z as usize, day.kcal[i]),
                        None => continue,
                    },
                    T::Azm if tracker => match day.zone[i] {
                        Some(z) if z > 0 => (z as usize - 1, azm_points(z) as f64),
                        _ => continue,
                    },
                    _ => continue,
                };
                if let Some(k) = key(day.t(i), d) {
                    accs.entry(k).or_default().add(slot, v);
                }
            }
        }
        accs
    }
}

#[derive(Clone, Copy)]
enum Op {
    List,
    Reconcile,
    RollUp,
    DailyRollUp,
}

/// How a point is assigned to a rollup window.
#[derive(Clone, Copy)]
enum Keyer {
    Physical {
        s: DateTime<Utc>,
        e: DateTime<Utc>,
        w_ms: i64,
    },
    Civil {
        s: NaiveDate,
        e: NaiveDate,
        wd: i64,
    },
}

impl Keyer {
    fn key(&self, t: DateTime<Utc>, day: NaiveDate) -> Option<usize> {
        match *self {
            Keyer::Physical { s, e, w_ms } => {
                (t >= s && t < e).then(|| ((t - s).num_milliseconds() / w_ms) as usize)
            }
            Keyer::Civil { s, e, wd } => {
                (day >= s && day < e).then(|| ((day - s).num_days() / wd) as usize)
            }
        }
    }
}

/// A rollup window's running totals; `v` holds one sum per level or zone (or `v[0]` alone).
#[derive(Default, Clone, Debug)]
struct Acc {
    v: [f64; 4],
    seen: [bool; 4],
    n: u64,
    min: f64,
    max: f64,
}

impl Acc {
    fn add(&mut self, slot: usize, v: f64) {
        self.v[slot] += v;
        self.seen[slot] = true;
        self.n += 1;
    }

    fn add_bpm(&mut self, v: f64) {
        if self.n == 0 || v < self.min {
            self.min = v;
        }
        if self.n == 0 || v > self.max {
            self.max = v;
        }
        self.add(0, v);
    }
}

fn round4(v: f64) -> f64 {
    (v * 10_000.0).round() / 10_000.0
}

fn rollup_json(t: T, a: &Acc) -> (&'static str, Value) {
    let int = |x: f64| (x.round() as i64).to_string();
    let list = |names: &[&str], name_key: &str, val: &dyn Fn(f64) -> Value, val_key: &str| {
        Value::Array(
            (0..names.len())
                .filter(|&i| a.seen[i])
                .map(|i| json!({name_key: names[i], val_key: val(a.v[i])}))
                .collect(),
        )
    };
    match t {
        T::Steps => ("steps", json!({"countSum": int(a.v[0])})),
        T::Distance => ("distance", json!({"millimetersSum": int(a.v[0])})),
        T::Floors => ("floors", json!({"countSum": int(a.v[0])})),
        T::Altitude => ("altitude", json!({"gainMillimetersSum": int(a.v[0])})),
        T::TotalCalories => ("totalCalories", json!({"kcalSum": round4(a.v[0])})),
        T::HeartRate => (
            "heartRate",
            json!({"beatsPerMinuteAvg": a.v[0] / a.n as f64, "beatsPerMinuteMax": a.max, "beatsPerMinuteMin": a.min}),
        ),
        T::ActivityLevel => (
            "activityLevel",
            json!({"activityLevelRollupsByActivityLevelType": list(&LEVELS, "activityLevelType",
                &|x: f64| json!(format!("{}s", x.round() as i64)), "totalDuration")}),
        ),
        T::ActiveMinutes => (
            "activeMinutes",
            json!({"activeMinutesRollupByActivityLevel": list(&ACTIVE, "activityLevel",
                &|x: f64| json!(int(x)), "activeMinutesSum")}),
        ),
        T::TimeInZone => (
            "timeInHeartRateZone",
            json!({"timeInHeartRateZones": list(&ZONES, "heartRateZone",
                &|x: f64| json!(format!("{}s", x.round() as i64)), "duration")}),
        ),
        T::CaloriesInZone => (
            "caloriesInHeartRateZone",
            json!({"caloriesInHeartRateZones": list(&ZONES, "heartRateZone",
                &|x: f64| json!(round4(x)), "kcal")}),
        ),
        T::Azm => (
            "activeZoneMinutes",
            json!({"sumInCardioHeartZone": int(a.v[1]), "sumInFatBurnHeartZone": int(a.v[0]),
                "sumInPeakHeartZone": int(a.v[2])}),
        ),
        _ => unreachable!("no rollup for {t:?}"),
    }
}

/// The numbers of a rollup value, keyed as documented on [`GoogleSim::daily_truth`].
fn flatten_rollup(t: T, a: &Acc) -> BTreeMap<String, f64> {
    let one = |k: &str, v: f64| BTreeMap::from([(k.to_string(), v)]);
    let named = |names: &[&str], f: &dyn Fn(f64) -> f64| -> BTreeMap<String, f64> {
        (0..names.len())
            .filter(|&i| a.seen[i])
            .map(|i| (names[i].to_string(), f(a.v[i])))
            .collect()
    };
    match t {
        T::Steps | T::Floors => one("countSum", a.v[0].round()),
        T::Distance => one("millimetersSum", a.v[0].round()),
        T::Altitude => one("gainMillimetersSum", a.v[0].round()),
        T::TotalCalories => one("kcalSum", round4(a.v[0])),
        T::HeartRate => BTreeMap::from([
            ("beatsPerMinuteAvg".to_string(), a.v[0] / a.n as f64),
            ("beatsPerMinuteMax".to_string(), a.max),
            ("beatsPerMinuteMin".to_string(), a.min),
        ]),
        T::ActivityLevel => named(&LEVELS, &|x: f64| x.round()),
        T::ActiveMinutes => named(&ACTIVE, &|x: f64| x.round()),
        T::TimeInZone => named(&ZONES, &|x: f64| x.round()),
        T::CaloriesInZone => named(&ZONES, &round4),
        T::Azm => BTreeMap::from([
            ("sumInFatBurnHeartZone".to_string(), a.v[0].round()),
            ("sumInCardioHeartZone".to_string(), a.v[1].round()),
            ("sumInPeakHeartZone".to_string(), a.v[2].round()),
        ]),
        _ => unreachable!(),
    }
}

/// The numbers of a daily list object (int64 strings parsed, "NaN" as NaN, booleans as 1/0).
fn flatten_daily(t: T, v: &Value) -> BTreeMap<String, f64> {
    let num = |x: &Value| match x {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse::<f64>().ok(),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        _ => None,
    };
    let mut out = BTreeMap::new();
    if t == T::HrZones {
        for z in v["heartRateZones"].as_array().into_iter().flatten() {
            let name = z["heartRateZoneType"].as_str().unwrap_or("?");
            for k in ["minBeatsPerMinute", "maxBeatsPerMinute"] {
                if let Some(x) = num(&z[k]) {
                    out.insert(format!("{name}.{k}"), x);
                }
            }
        }
        return out;
    }
    for (k, x) in v.as_object().into_iter().flatten() {
        if k != "date"
            && let Some(n) = num(x)
        {
            out.insert(k.clone(), n);
        }
    }
    out
}

fn azm_points(zone: u8) -> u64 {
    if zone >= 2 { 2 } else { 1 }
}

// ---------------------------------------------------------------- errors

fn gerr(code: u16, status: &str, message: &str, details: Vec<Value>) -> Resp {
    let mut e = json!({"code": code, "message": message, "status": status});
    if !details.is_empty() {
        e["details"] = Value::Array(details);
    }
    json_resp(code, json!({ "error": e }))
}

fn error_info(reason: &str, domain: &str, metadata: Value) -> Value {
    let mut v = json!({"@type": "type.googleapis.com/google.rpc.ErrorInfo", "domain": domain, "reason": reason});
    if !metadata.is_null() {
        v["metadata"] = metadata;
    }
    v
}

fn bad_request(violations: &[(Option<String>, String)]) -> Value {
    let vs: Vec<Value> = violations
        .iter()
        .map(|(f, d)| match f {
            Some(f) => json!({"description": d, "field": f}),
            None => json!({ "description": d }),
        })
        .collect();
    json!({"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": vs})
}

/// Request-body errors: `INVALID_ARGUMENT` with only a BadRequest detail; the message joins the
/// descriptions with newlines (captured format).
fn invalid_payload(violations: Vec<(Option<String>, String)>) -> Resp {
    let msg: Vec<&str> = violations.iter().map(|(_, d)| d.as_str()).collect();
    gerr(
        400,
        "INVALID_ARGUMENT",
        &msg.join("\n"),
        vec![bad_request(&violations)],
    )
}

fn unknown_name(name: &str, at: &str) -> String {
    format!("Invalid JSON payload received. Unknown name \"{name}\" at '{at}': Cannot find field.")
}

fn field_error(field: &str, description: &str) -> Resp {
    invalid_payload(vec![(Some(field.to_string()), description.to_string())])
}

/// Reconstructed: the reason and `maxDurationDays` are as real clients parse them.
fn duration_error(id: &str, cap: i64) -> Resp {
    gerr(
        400,
        "INVALID_ARGUMENT",
        &format!(
            "Invalid rollup query duration: the maximum range for data type {id} is {cap} days."
        ),
        vec![error_info(
            "INVALID_ROLLUP_QUERY_DURATION",
            "health.googleapis.com",
            json!({"dataType": id, "maxDurationDays": cap.to_string()}),
        )],
    )
}

/// The wording the real API used for `dailyRollUp` on a daily type (observed 2026-09-28).
fn unsupported(verb: &str, id: &str, supported: &str) -> Resp {
    gerr(
        400,
        "INVALID_ARGUMENT",
        &format!(
            "{verb} is not supported for data type {id}, but the following actions are supported: {supported}"
        ),
        vec![],
    )
}

fn unknown_type(id: &str) -> Resp {
    if NOT_SIMULATED.contains(&id) {
        return gerr(
            501,
            "UNIMPLEMENTED",
            &format!("The simulator does not serve the data type {id}."),
            vec![],
        );
    }
    // the captured INVALID_PARENT_DATA_TYPE_COLLECTION body with this id
    gerr(
        400,
        "INVALID_ARGUMENT",
        &format!("Invalid data type ID referenced in the parent data type collection: {id}"),
        vec![
            error_info(
                "INVALID_PARENT_DATA_TYPE_COLLECTION",
                "health.googleapis.com",
                json!({ "dataType": id }),
            ),
            bad_request(&[(
                Some("parent".into()),
                format!("The data type ID '{id}' is not supported."),
            )]),
        ],
    )
}

/// dataPoints.get / create / patch / batchDelete and the exercise export.
fn not_simulated_method() -> Resp {
    gerr(
        501,
        "UNIMPLEMENTED",
        "The simulator serves only list, reconcile, rollUp and dailyRollUp.",
        vec![],
    )
}

fn scope_error() -> Resp {
    gerr(
        403,
        "PERMISSION_DENIED",
        "Request had insufficient authentication scopes.",
        vec![error_info(
            "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
            "googleapis.com",
            json!({"service": "health.googleapis.com"}),
        )],
    )
}

/// `None` when the token has `SCOPE_PREFIX + group + ".readonly"` (or the read-write scope).
fn need_scope(scopes: &[String], group: &str) -> Option<Resp> {
    let ro = format!("{SCOPE_PREFIX}{group}.readonly");
    let rw = format!("{SCOPE_PREFIX}{group}");
    (!scopes.iter().any(|s| *s == ro || *s == rw)).then(scope_error)
}

fn bad_token() -> Resp {
    field_error("page_token", "Invalid page token.")
}

/// Failure bodies of [`GoogleSim::fail_next`].
fn error_for(status: u16, b: &Base) -> Resp {
    match status {
        429 => json_resp(429, b.e429.clone()),
        403 => json_resp(403, b.e403.clone()),
        502 => html(
            502,
            "Error 502 (Server Error)!!1",
            "The server encountered a temporary error and could not complete your request. Please try again in 30 seconds.",
        ),
        400 => gerr(
            400,
            "INVALID_ARGUMENT",
            "Request contains an invalid argument.",
            vec![],
        ),
        401 => gerr(
            401,
            "UNAUTHENTICATED",
            "Request had invalid authentication credentials.",
            vec![],
        ),
        404 => gerr(404, "NOT_FOUND", "Requested entity was not found.", vec![]),
        500 => gerr(500, "INTERNAL", "Internal error encountered.", vec![]),
        503 => gerr(
            503,
            "UNAVAILABLE",
            "The service is currently unavailable.",
            vec![],
        ),
        504 => gerr(
            504,
            "DEADLINE_EXCEEDED",
            "Deadline expired before operation could complete.",
            vec![],
        ),
        s => gerr(s, "UNKNOWN", "Unknown error.", vec![]),
    }
}

// ---------------------------------------------------------------- query, tokens, families

fn pct_decode(s: &str, plus_is_space: bool) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' if plus_is_space => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                match std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `application/x-www-form-urlencoded` pairs, in order (`+` is a space, as at Google's front end).
fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (pct_decode(k, true), pct_decode(v, true))
        })
        .collect()
}

/// The last value of the first of `names` present.
fn qget<'a>(q: &'a [(String, String)], names: &[&str]) -> Option<&'a str> {
    q.iter()
        .rev()
        .find(|(k, _)| names.contains(&k.as_str()))
        .map(|(_, v)| v.as_str())
}

/// System parameters every method takes.
const STD_PARAMS: [&str; 11] = [
    "$.xgafv",
    "access_token",
    "alt",
    "callback",
    "fields",
    "key",
    "oauth_token",
    "prettyPrint",
    "quotaUser",
    "uploadType",
    "upload_protocol",
];

/// Unknown query parameters answer Google's "Cannot bind query parameter" error.
fn check_params(q: &[(String, String)], allowed: &[&str]) -> Option<Resp> {
    let (k, _) = q
        .iter()
        .find(|(k, _)| !allowed.contains(&k.as_str()) && !STD_PARAMS.contains(&k.as_str()))?;
    let d = format!(
        "Invalid JSON payload received. Unknown name \"{k}\": Cannot bind query parameter. Field '{k}' could not be found in request message."
    );
    Some(invalid_payload(vec![(None, d)]))
}

fn page_size(q: &[(String, String)]) -> Result<usize, Resp> {
    match qget(q, &["pageSize", "page_size"]) {
        None => Ok(0),
        Some(v) => match v.parse::<i64>() {
            Ok(n) if n >= 0 => Ok(n as usize),
            Ok(_) => Err(field_error("page_size", "page_size must not be negative.")),
            Err(_) => Err(field_error(
                "page_size",
                &format!("Invalid value at 'page_size' (TYPE_INT32), \"{v}\""),
            )),
        },
    }
}

/// `[tracker, phone]` sources of a `dataSourceFamily`.
fn family(raw: &str) -> Result<[bool; 2], Resp> {
    if raw.is_empty() {
        return Ok([true, true]);
    }
    let name = raw
        .strip_prefix("users/me/dataSourceFamilies/")
        .or_else(|| raw.strip_prefix(&format!("users/{HEALTH_USER_ID}/dataSourceFamilies/")));
    match name {
        Some("all-sources") | Some("google-sources") => Ok([true, true]),
        Some("google-wearables") => Ok([true, false]),
        Some("self-sources") => Ok([false, false]),
        _ => Err(gerr(
            400,
            "INVALID_ARGUMENT",
            &format!("Invalid data source family: {raw}"),
            vec![error_info(
                "INVALID_DATA_POINT_DATA_SOURCE_FAMILY",
                "health.googleapis.com",
                Value::Null,
            )],
        )),
    }
}

fn h64(parts: &[&str]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    parts.hash(&mut h);
    h.finish()
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

fn unb64(s: &str) -> Option<String> {
    let b = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .ok()?;
    String::from_utf8(b).ok()
}

fn list_token(h: u64, day: NaiveDate, idx: usize) -> String {
    b64(&format!("p1:{h:016x}:{day}:{idx}"))
}

fn decode_list_token(t: &str, h: u64) -> Option<(NaiveDate, usize)> {
    let s = unb64(t)?;
    let mut it = s.split(':');
    (it.next()? == "p1" && it.next()? == format!("{h:016x}")).then_some(())?;
    Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?))
}

fn rollup_token(h: u64, idx: usize) -> String {
    b64(&format!("r1:{h:016x}:{idx}"))
}

fn decode_rollup_token(t: &str, h: u64) -> Option<usize> {
    let s = unb64(t)?;
    let mut it = s.split(':');
    (it.next()? == "r1" && it.next()? == format!("{h:016x}")).then_some(())?;
    it.next()?.parse().ok()
}

fn page(points: Vec<Value>, next: Option<String>) -> Value {
    let mut o = Map::new();
    if !points.is_empty() {
        o.insert("dataPoints".into(), Value::Array(points));
    }
    if let Some(t) = next {
        o.insert("nextPageToken".into(), json!(t));
    }
    Value::Object(o)
}

fn is_loopback(uri: &str) -> bool {
    ["http://127.0.0.1", "http://localhost", "http://[::1]"]
        .iter()
        .any(|p| {
            uri.strip_prefix(p).is_some_and(|rest| {
                rest.is_empty() || rest.starts_with(':') || rest.starts_with('/')
            })
        })
}

/// `"60s"`, `"1.5s"` → milliseconds.
fn parse_duration_ms(s: &str) -> Option<i64> {
    let n = s.strip_suffix('s')?;
    let secs: f64 = n.parse().ok()?;
    (secs.is_finite() && secs >= 0.0 && !n.starts_with('+')).then(|| (secs * 1000.0).round() as i64)
}

/// A JSON value that keeps its object keys in request order (this crate's serde_json map is
/// sorted, but the captured errors list unknown names in request order).
#[derive(Clone, Debug)]
enum J {
    Obj(Vec<(String, J)>),
    Val(Value),
}

impl J {
    fn get(&self, k: &str) -> Option<&J> {
        match self {
            J::Obj(v) => v.iter().find(|(x, _)| x == k).map(|(_, j)| j),
            J::Val(_) => None,
        }
    }

    fn keys(&self) -> Vec<&str> {
        match self {
            J::Obj(v) => v.iter().map(|(k, _)| k.as_str()).collect(),
            J::Val(_) => vec![],
        }
    }

    fn entries(&self) -> &[(String, J)] {
        match self {
            J::Obj(v) => v,
            J::Val(_) => &[],
        }
    }

    fn val(&self) -> Value {
        match self {
            J::Val(v) => v.clone(),
            J::Obj(v) => Value::Object(v.iter().map(|(k, j)| (k.clone(), j.val())).collect()),
        }
    }
}

impl<'de> serde::Deserialize<'de> for J {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<J, D::Error> {
        struct Vis;
        impl<'de> serde::de::Visitor<'de> for Vis {
            type Value = J;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<J, E> {
                Ok(J::Val(Value::Bool(v)))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<J, E> {
                Ok(J::Val(v.into()))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<J, E> {
                Ok(J::Val(v.into()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<J, E> {
                Ok(J::Val(json!(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<J, E> {
                Ok(J::Val(Value::String(v.into())))
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<J, E> {
                Ok(J::Val(Value::Null))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut s: A) -> Result<J, A::Error> {
                let mut v = vec![];
                while let Some(x) = s.next_element::<J>()? {
                    v.push(x.val());
                }
                Ok(J::Val(Value::Array(v)))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<J, A::Error> {
                let mut v = vec![];
                while let Some((k, x)) = m.next_entry::<String, J>()? {
                    v.push((k, x));
                }
                Ok(J::Obj(v))
            }
        }
        d.deserialize_any(Vis)
    }
}

/// A dailyRollUp bound: `{"date": {"year", "month", "day"}}` with no time or midnight.
fn civil_date(j: Option<&J>) -> Option<NaiveDate> {
    let v = j?.val();
    let d = &v["date"];
    let part = |k: &str| d[k].as_i64();
    let date = NaiveDate::from_ymd_opt(
        part("year")? as i32,
        part("month")? as u32,
        part("day")? as u32,
    )?;
    let t = &v["time"];
    let zero = ["hours", "minutes", "seconds", "nanos"]
        .iter()
        .all(|k| t[*k].as_i64().unwrap_or(0) == 0);
    zero.then_some(date)
}

// ---------------------------------------------------------------- filters (AIP-160 subset)

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    /// interval start, sample time, sleep end: RFC 3339 literal
    Physical,
    /// the same in civil time: `YYYY-MM-DD[THH:mm:ss]`
    Civil,
    /// daily types: `YYYY-MM-DD`
    Date,
}

#[derive(Clone, Copy, Debug)]
enum Lit {
    Time(DateTime<Utc>),
    Civil(NaiveDateTime),
    Date(NaiveDate),
}

#[derive(Clone, Copy, Debug)]
struct Cmp {
    field: Field,
    ge: bool,
    lit: Lit,
}

/// An AND of ORs of comparisons.
#[derive(Default, Debug)]
struct Filter {
    all: Vec<Vec<Cmp>>,
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Op(String),
    Paren,
}

fn filter_error(violations: Vec<(&str, String)>) -> Resp {
    let reasons: Vec<&str> = violations.iter().map(|(r, _)| *r).collect();
    gerr(
        400,
        "INVALID_ARGUMENT",
        &format!("Invalid data point filter: {}.", reasons.join(", ")),
        vec![
            error_info(
                "INVALID_DATA_POINT_FILTER",
                "health.googleapis.com",
                json!({"detailedReasons": reasons.join(",")}),
            ),
            bad_request(
                &violations
                    .iter()
                    .map(|(_, d)| (Some("filter".to_string()), d.clone()))
                    .collect::<Vec<_>>(),
            ),
        ],
    )
}

fn lex(s: &str) -> Result<Vec<(Tok, usize)>, Resp> {
    let cs: Vec<char> = s.chars().collect();
    let syntax = |col: usize, what: String| {
        filter_error(vec![(
            "INVALID_DATA_POINT_FILTER_SYNTAX",
            format!("{what} (at line 1, column {col})"),
        )])
    };
    let mut out = vec![];
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        let col = i + 1;
        if c.is_whitespace() {
            i += 1;
        } else if c == '"' {
            let mut j = i + 1;
            let mut lit = String::new();
            while j < cs.len() && cs[j] != '"' {
                if cs[j] == '\\' && j + 1 < cs.len() {
                    j += 1;
                }
                lit.push(cs[j]);
                j += 1;
            }
            if j >= cs.len() {
                return Err(syntax(col, "Unterminated string literal.".into()));
            }
            out.push((Tok::Str(lit), col));
            i = j + 1;
        } else if "<>=!:".contains(c) {
            let mut op = c.to_string();
            if cs.get(i + 1) == Some(&'=') {
                op.push('=');
                i += 1;
            }
            out.push((Tok::Op(op), col));
            i += 1;
        } else if c == '(' || c == ')' {
            out.push((Tok::Paren, col));
            i += 1;
        } else if c.is_alphanumeric() || "_.-".contains(c) {
            let mut w = String::new();
            while i < cs.len() && (cs[i].is_alphanumeric() || "_.-".contains(cs[i])) {
                w.push(cs[i]);
                i += 1;
            }
            out.push((Tok::Word(w), col));
        } else {
            return Err(syntax(col, format!("Unexpected character '{c}'.")));
        }
    }
    Ok(out)
}

/// Parses and checks a filter for `ty`. Violations of members, operators and literals are all
/// reported at once (as the captured body does for two bad members); syntax errors stop at once.
fn parse_filter(ty: &Ty, s: &str) -> Result<Filter, Resp> {
    let toks = lex(s)?;
    if toks.is_empty() {
        return Ok(Filter::default());
    }
    let syntax = |col: usize, what: String| {
        filter_error(vec![(
            "INVALID_DATA_POINT_FILTER_SYNTAX",
            format!("{what} (at line 1, column {col})"),
        )])
    };
    let snake = ty.id.replace('-', "_");
    let members: Vec<(String, Field)> = match ty.kind {
        Kind::Interval => vec![
            (format!("{snake}.interval.start_time"), Field::Physical),
            (format!("{snake}.interval.civil_start_time"), Field::Civil),
        ],
        Kind::Sample => vec![
            (
                format!("{snake}.sample_time.physical_time"),
                Field::Physical,
            ),
            (format!("{snake}.sample_time.civil_time"), Field::Civil),
        ],
        Kind::Daily => vec![(format!("{snake}.date"), Field::Date)],
        Kind::Session => vec![
            ("sleep.interval.end_time".into(), Field::Physical),
            ("sleep.interval.civil_end_time".into(), Field::Civil),
        ],
        Kind::RollupOnly => vec![],
    };
    let mut groups: Vec<Vec<Cmp>> = vec![vec![]];
    let mut violations: Vec<(&str, String)> = vec![];
    let mut i = 0;
    let mut prev_or = false;
    loop {
        // member op literal
        let (member, mcol) = match toks.get(i) {
            Some((Tok::Word(w), c)) => (w.clone(), *c),
            Some((t, c)) => {
                return Err(syntax(*c, format!("Expected a member name, found {t:?}.")));
            }
            None => {
                return Err(syntax(
                    s.chars().count() + 1,
                    "Unexpected end of filter.".into(),
                ));
            }
        };
        let (op, ocol) = match toks.get(i + 1) {
            Some((Tok::Op(o), c)) => (o.clone(), *c),
            Some((_, c)) => return Err(syntax(*c, "Expected a comparison operator.".into())),
            None => {
                return Err(syntax(
                    s.chars().count() + 1,
                    "Unexpected end of filter.".into(),
                ));
            }
        };
        let (lit, lcol, quoted) = match toks.get(i + 2) {
            Some((Tok::Str(l), c)) => (l.clone(), *c, true),
            Some((Tok::Word(l), c)) => (l.clone(), *c, false),
            Some((_, c)) => return Err(syntax(*c, "Expected a literal.".into())),
            None => {
                return Err(syntax(
                    s.chars().count() + 1,
                    "Unexpected end of filter.".into(),
                ));
            }
        };
        i += 3;
        let in_or = prev_or;
        match members.iter().find(|(m, _)| *m == member) {
            None => violations.push((
                "INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER",
                format!(
                    "Member '{member}' is not supported for filtering. (at line 1, column {mcol})"
                ),
            )),
            Some((_, field)) => {
                let ge = match op.as_str() {
                    ">=" => Some(true),
                    "<" => Some(false),
                    _ => None,
                };
                let parsed = if !quoted {
                    None
                } else {
                    match field {
                        Field::Physical => DateTime::parse_from_rfc3339(&lit)
                            .ok()
                            .map(|t| Lit::Time(t.with_timezone(&Utc))),
                        Field::Civil => NaiveDateTime::parse_from_str(&lit, "%Y-%m-%dT%H:%M:%S")
                            .ok()
                            .or_else(|| {
                                NaiveDate::parse_from_str(&lit, "%Y-%m-%d")
                                    .ok()
                                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                            })
                            .map(Lit::Civil),
                        Field::Date => NaiveDate::parse_from_str(&lit, "%Y-%m-%d")
                            .ok()
                            .map(Lit::Date),
                    }
                };
                if ge.is_none() {
                    violations.push((
                        "INVALID_DATA_POINT_FILTER_OPERATOR",
                        format!("Operator '{op}' is not supported for member '{member}'. (at line 1, column {ocol})"),
                    ));
                }
                if parsed.is_none() {
                    violations.push((
                        "INVALID_DATA_POINT_FILTER_LITERAL",
                        format!("Invalid literal for member '{member}': {lit:?}. (at line 1, column {lcol})"),
                    ));
                }
                if in_or && ty.kind != Kind::Session {
                    violations.push((
                        "INVALID_DATA_POINT_FILTER_LOGICAL_OPERATOR",
                        format!("Logical operator 'OR' is not supported for member '{member}'. (at line 1, column {mcol})"),
                    ));
                }
                if let (Some(ge), Some(lit)) = (ge, parsed) {
                    groups.last_mut().unwrap().push(Cmp {
                        field: *field,
                        ge,
                        lit,
                    });
                }
            }
        }
        match toks.get(i) {
            None => break,
            Some((Tok::Word(w), _)) if w == "AND" => {
                groups.push(vec![]);
                prev_or = false;
            }
            Some((Tok::Word(w), _)) if w == "OR" => prev_or = true,
            Some((Tok::Word(w), c)) => {
                return Err(syntax(
                    *c,
                    format!("Unexpected '{w}' (logical operators are upper-case AND, OR)."),
                ));
            }
            Some((Tok::Paren, c)) => {
                return Err(syntax(*c, "Parentheses are not supported.".into()));
            }
            Some((t, c)) => return Err(syntax(*c, format!("Unexpected {t:?}."))),
        }
        i += 1;
    }
    if !violations.is_empty() {
        return Err(filter_error(violations));
    }
    Ok(Filter { all: groups })
}

impl Filter {
    fn uses(&self, f: Field) -> bool {
        self.all.iter().flatten().any(|c| c.field == f)
    }

    fn matches(&self, p: &Pt, kind: Kind, tz: Tz) -> bool {
        let t = if kind == Kind::Session { p.t1 } else { p.t0 };
        self.all.iter().all(|g| {
            g.iter().any(|c| {
                let ord = match c.lit {
                    Lit::Time(x) => t.cmp(&x),
                    Lit::Civil(x) => local(tz, t).cmp(&x),
                    Lit::Date(x) => p.day.cmp(&x),
                };
                if c.ge { ord.is_ge() } else { ord.is_lt() }
            })
        })
    }

    /// Local days the AND-ed single comparisons allow (`None`: unbounded). Days are those of
    /// the point's start (sleep: end), matching how points are bucketed.
    fn day_bounds(&self, tz: Tz) -> (Option<NaiveDate>, Option<NaiveDate>) {
        let (mut lo, mut hi): (Option<NaiveDate>, Option<NaiveDate>) = (None, None);
        for g in self.all.iter().filter(|g| g.len() == 1) {
            let c = g[0];
            let d = match (c.lit, c.ge) {
                (Lit::Time(x), true) => local_date(tz, x),
                (Lit::Time(x), false) => local_date(tz, x - Duration::milliseconds(1)),
                (Lit::Civil(x), true) => x.date(),
                (Lit::Civil(x), false) => (x - Duration::seconds(1)).date(),
                (Lit::Date(x), true) => x,
                (Lit::Date(x), false) => x.pred_opt().unwrap(),
            };
            if c.ge {
                lo = Some(lo.map_or(d, |l| l.max(d)));
            } else {
                hi = Some(hi.map_or(d, |h| h.min(d)));
            }
        }
        (lo, hi)
    }
}

// ---------------------------------------------------------------- time helpers

fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn rfc_micros(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn offset_secs(tz: Tz, t: DateTime<Utc>) -> i32 {
    tz.offset_from_utc_datetime(&t.naive_utc())
        .fix()
        .local_minus_utc()
}

/// A protobuf Duration in seconds: `"-14400s"`, `"0s"`.
fn offset_str(tz: Tz, t: DateTime<Utc>) -> String {
    format!("{}s", offset_secs(tz, t))
}

fn local(tz: Tz, t: DateTime<Utc>) -> NaiveDateTime {
    t.with_timezone(&tz).naive_local()
}

fn local_date(tz: Tz, t: DateTime<Utc>) -> NaiveDate {
    local(tz, t).date()
}

fn next_day(d: NaiveDate) -> NaiveDate {
    d.succ_opt().unwrap()
}

/// Local wall-clock time → instant (the earlier one when ambiguous, skipping a DST gap).
fn to_utc(tz: Tz, t: NaiveDateTime) -> DateTime<Utc> {
    (0..4)
        .find_map(|h| tz.from_local_datetime(&(t + Duration::hours(h))).earliest())
        .expect("a valid local time")
        .with_timezone(&Utc)
}

fn local_midnight(tz: Tz, d: NaiveDate) -> DateTime<Utc> {
    to_utc(tz, d.and_hms_opt(0, 0, 0).unwrap())
}

fn date_obj(d: NaiveDate) -> Value {
    json!({"day": d.day(), "month": d.month(), "year": d.year()})
}

/// A CivilDateTime with zero fields left out (`"time": {}` is midnight).
fn civil(t: NaiveDateTime) -> Value {
    let mut time = Map::new();
    for (k, v) in [
        ("hours", t.hour()),
        ("minutes", t.minute()),
        ("seconds", t.second()),
    ] {
        if v != 0 {
            time.insert(k.into(), json!(v));
        }
    }
    json!({"date": date_obj(t.date()), "time": time})
}

fn epoch_days(d: NaiveDate) -> i64 {
    (d - NaiveDate::from_ymd_opt(2000, 1, 1).unwrap()).num_days()
}

/// A deterministic 64-bit hash of two numbers (splitmix64).
fn mix(a: i64, b: i64) -> u64 {
    let mut z = (a as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (b as u64).wrapping_add(0x632B_E59B_D9B4_E019);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn rnd(a: i64, b: i64, n: u64) -> i64 {
    (mix(a, b) % n) as i64
}

// ---------------------------------------------------------------- data model

#[derive(Clone, Copy)]
struct Now {
    now: DateTime<Utc>,
    /// the tracker's data reaches up to here (its last sync)
    cut: DateTime<Utc>,
}

/// One local day of tracker and phone data. Index `i` is the physical minute
/// `[start + i min, start + i + 1 min)`; source index 0 is the tracker, 1 the phone.
struct Day {
    live: bool,
    start: DateTime<Utc>,
    mins: usize,
    steps: [Vec<u32>; 2],
    mm: [Vec<u64>; 2],
    floors: Vec<u32>,
    gain: Vec<u64>,
    /// (Unix ms, bpm), ascending
    hr: Vec<(i64, u32)>,
    /// heart-rate zone (index into ZONES) of minutes with samples
    zone: Vec<Option<u8>>,
    /// activity level (index into LEVELS) of minutes the tracker was worn
    level: Vec<Option<u8>>,
    /// total calories per minute
    kcal: Vec<f64>,
}

impl Day {
    fn t(&self, i: usize) -> DateTime<Utc> {
        self.start + Duration::minutes(i as i64)
    }

    /// Number of minutes whose interval has ended by `cut`.
    fn upto(&self, cut: DateTime<Utc>) -> usize {
        (cut - self.start).num_minutes().clamp(0, self.mins as i64) as usize
    }
}

/// A list point before it is rendered.
struct Pt {
    t0: DateTime<Utc>,
    t1: DateTime<Utc>,
    day: NaiveDate,
    src: usize,
    v: PV,
}

enum PV {
    Int(u64),
    Bpm(u32),
    Level(u8),
    Active(u8, u64),
    Zone(u8),
    Azm(u8, u64),
    Daily(Value),
    Sleep(Box<SleepSession>),
}

/// Runs of equal `Some` states over the first `upto` minutes: `(from, to, state)`.
fn runs(st: &[Option<u8>], upto: usize) -> Vec<(usize, usize, u8)> {
    let mut out: Vec<(usize, usize, u8)> = vec![];
    for (i, s) in st.iter().enumerate().take(upto) {
        match (s, out.last_mut()) {
            (Some(s), Some(last)) if last.1 == i && last.2 == *s => last.1 = i + 1,
            (Some(s), _) => out.push((i, i + 1, *s)),
            (None, _) => {}
        }
    }
    out
}

/// Karvonen zone limits: LIGHT below `light`, MODERATE below `moderate`, VIGOROUS below
/// `vigorous`, PEAK above.
#[derive(Clone, Copy)]
struct Zones {
    light: u32,
    moderate: u32,
    vigorous: u32,
}

impl Zones {
    fn new(rhr: u32, max: u32) -> Zones {
        let reserve = max.saturating_sub(rhr) as f64;
        let at = |f: f64| rhr + (reserve * f).round() as u32;
        Zones {
            light: at(0.4),
            moderate: at(0.6),
            vigorous: at(0.8),
        }
    }

    fn of(&self, bpm: f64) -> u8 {
        if bpm < self.light as f64 {
            0
        } else if bpm < self.moderate as f64 {
            1
        } else if bpm < self.vigorous as f64 {
            2
        } else {
            3
        }
    }
}

#[derive(Clone, Copy)]
struct Model {
    tz: Tz,
    first_day: NaiveDate,
    phone: bool,
    base: &'static Base,
}

impl Model {
    fn new(tz: Tz, first_day: NaiveDate, phone: bool, base: &'static Base) -> Model {
        Model {
            tz,
            first_day,
            phone,
            base,
        }
    }

    /// Local days that overlap `[start, end)`.
    fn days_touching(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<NaiveDate> {
        if end <= start {
            return vec![];
        }
        let (a, b) = (
            local_date(self.tz, start),
            local_date(self.tz, end - Duration::milliseconds(1)),
        );
        a.iter_days().take_while(|d| *d <= b).collect()
    }

    fn rhr(&self, n: i64) -> u32 {
        56 + rnd(n, 11, 9) as u32
    }

    fn zones(&self, n: i64) -> Zones {
        Zones::new(self.rhr(n), 220 - self.base.age)
    }

    // the per-minute vectors are filled side by side, so index loops read best here
    #[allow(clippy::needless_range_loop)]
    fn build_day(&self, d: NaiveDate) -> Day {
        let tz = self.tz;
        let start = local_midnight(tz, d);
        let mins = (local_midnight(tz, next_day(d)) - start)
            .num_minutes()
            .max(0) as usize;
        let mut day = Day {
            live: false,
            start,
            mins,
            steps: [vec![0; mins], vec![0; mins]],
            mm: [vec![0; mins], vec![0; mins]],
            floors: vec![0; mins],
            gain: vec![0; mins],
            hr: vec![],
            zone: vec![None; mins],
            level: vec![None; mins],
            kcal: vec![0.0; mins],
        };
        if d < self.first_day {
            return day;
        }
        day.live = true;
        let b = self.base;
        let n = epoch_days(d);
        let rhr = self.rhr(n);
        let zones = self.zones(n);
        let minute_of = |t: DateTime<Utc>| (t - start).num_seconds().div_euclid(60);
        let mut asleep = vec![false; mins];
        for s in self
            .sessions_ending(d)
            .iter()
            .chain(self.sessions_ending(next_day(d)).iter())
        {
            let a = minute_of(s.start).max(0);
            let e = ((s.end - start).num_seconds() + 59)
                .div_euclid(60)
                .min(mins as i64);
            for i in a..e {
                asleep[i as usize] = true;
            }
        }
        // the tracker charges in the evening (no tracker data; the phone keeps counting)
        let charge_at = 19 * 60 + rnd(n, 1, 4) as usize * 10;
        let charge: Range<usize> = charge_at..charge_at + 30 + rnd(n, 2, 16) as usize;
        // a workout most days: steps and heart rate up through all zones
        let workout: Range<usize> = if n.rem_euclid(7) == 3 {
            0..0
        } else {
            let s = if n % 2 == 0 {
                465 + rnd(n, 3, 5) as usize * 15
            } else {
                1050 - rnd(n, 4, 3) as usize * 20
            };
            s..s + 25 + rnd(n, 5, 21) as usize
        };
        // tracker steps: the recorded day, shifted and scaled per date
        let shift = rnd(n, 6, 121) - 60;
        let scale = 0.85 + rnd(n, 7, 31) as f64 / 100.0;
        for i in 0..mins {
            let tpl = b.steps[(i as i64 - shift).rem_euclid(1440) as usize];
            let mut v = (tpl * scale).round() as u32;
            if asleep[i] || charge.contains(&i) {
                v = 0;
            }
            if workout.contains(&i) {
                v = 110 + rnd(n, i as i64, 55) as u32;
            }
            day.steps[0][i] = v;
        }
        // heart rate: the recorded irregular seconds, gaps kept, off while charging
        let jitter = rnd(n, 8, 7) as u32;
        let off = rnd(n, 9, 5) - 2;
        let ms0 = start.timestamp_millis();
        for &(sec, bpm) in &b.hr {
            let s = sec + jitter;
            let i = s as usize / 60;
            if i >= mins || charge.contains(&i) || workout.contains(&i) {
                continue;
            }
            let v = if asleep[i] {
                rhr as i64 - 3 + rnd(n, s as i64, 7)
            } else {
                (bpm as i64 + off).max(45)
            };
            day.hr.push((ms0 + s as i64 * 1000, v as u32));
        }
        if !workout.is_empty() {
            let (w0, len) = (workout.start, workout.len());
            let mut s = w0 * 60;
            while s < workout.end * 60 && s / 60 < mins {
                let k = s / 60 - w0;
                let noise = rnd(n, s as i64, 5) - 2;
                let base = if k < 4 || k + 4 >= len {
                    zones.light as i64 + 3 + k.min(3) as i64 * 2
                } else {
                    zones.moderate as i64 + 2 + ((k as i64 * 11 + n).rem_euclid(38))
                };
                day.hr.push((ms0 + s as i64 * 1000, (base + noise) as u32));
                s += 3 + rnd(n, s as i64 + 1, 5) as usize;
            }
        }
        day.hr.sort_unstable();
        // per-minute zone from the minute's average
        let mut sums = vec![(0u32, 0u32); mins];
        for &(ms, bpm) in &day.hr {
            let i = ((ms - ms0) / 60_000) as usize;
            sums[i].0 += bpm;
            sums[i].1 += 1;
        }
        for i in 0..mins {
            if sums[i].1 > 0 {
                day.zone[i] = Some(zones.of(sums[i].0 as f64 / sums[i].1 as f64));
            }
        }
        // the phone: a share of the tracker's minutes, and walking while the tracker charges
        if self.phone {
            for i in 0..mins {
                let h = mix(n * 3 + 1, i as i64);
                if day.steps[0][i] > 0 && h.is_multiple_of(9) {
                    day.steps[1][i] = (day.steps[0][i] * 4 / 5).max(1) + (h % 7) as u32;
                } else if charge.contains(&i) && !h.is_multiple_of(3) {
                    day.steps[1][i] = 55 + (h % 50) as u32;
                }
            }
        }
        let bmr = (1600 + rnd(n, 10, 9) * 20) as f64 / 1440.0;
        for i in 0..mins {
            let t = day.steps[0][i];
            let stride = if t >= 110 {
                b.run_stride
            } else {
                b.walk_stride
            };
            day.mm[0][i] = t as u64 * stride;
            day.mm[1][i] = day.steps[1][i] as u64 * 740;
            let h = mix(n * 5 + 2, i as i64);
            if t >= 40 && h.is_multiple_of(23) {
                day.floors[i] = 1 + h.is_multiple_of(4) as u32;
                day.gain[i] = day.floors[i] as u64 * 3048 + h % 400;
            }
            if sums[i].1 > 0 {
                let lvl = if asleep[i] || t == 0 {
                    0
                } else if t < 60 {
                    1
                } else if t < 110 {
                    2
                } else {
                    3
                };
                let lvl = if day.zone[i].is_some_and(|z| z >= 2) {
                    lvl.max(2)
                } else {
                    lvl
                };
                day.level[i] = Some(lvl);
            }
            let merged = if t > 0 { t } else { day.steps[1][i] };
            let bonus = match day.zone[i] {
                Some(1) => 1.5,
                Some(2) => 4.0,
                Some(3) => 6.5,
                _ => 0.0,
            };
            day.kcal[i] = round4(bmr + merged as f64 * 0.04 + bonus);
        }
        day
    }

    /// Sleep sessions whose civil end date is `d`: a main sleep most nights (starting between
    /// 22:30 the evening before and 00:30), a missed night every 13th day, a CLASSIC nap every
    /// 4th day.
    fn sessions_ending(&self, d: NaiveDate) -> Vec<SleepSession> {
        if d < self.first_day {
            return vec![];
        }
        let n = epoch_days(d);
        let mut out = vec![];
        if n.rem_euclid(13) != 5 {
            let prev = d.pred_opt().unwrap();
            let s = prev.and_hms_opt(22, 30, 0).unwrap()
                + Duration::minutes(rnd(n, 20, 120))
                + Duration::seconds(30 * rnd(n, 21, 2));
            let e = d.and_hms_opt(6, 0, 0).unwrap() + Duration::minutes(rnd(n, 22, 90));
            out.push(self.session(n, 0, to_utc(self.tz, s), to_utc(self.tz, e)));
        }
        if n.rem_euclid(4) == 1 {
            let s = d.and_hms_opt(13, 0, 0).unwrap() + Duration::minutes(rnd(n, 23, 50));
            let e = s + Duration::minutes(25 + rnd(n, 24, 40));
            out.push(self.session(n, 1, to_utc(self.tz, s), to_utc(self.tz, e)));
        }
        out
    }

    /// Session `k` of day `n` (0: main sleep with stages, 1: classic nap).
    fn session(&self, n: i64, k: i64, start: DateTime<Utc>, end: DateTime<Utc>) -> SleepSession {
        let total = (end - start).num_seconds();
        let main = k == 0;
        let seed = n * 7 + k;
        let mut stages: Vec<SleepStage> = vec![];
        let mut t = 0i64;
        let mut push = |kind: &'static str, secs: i64, t: &mut i64| {
            stages.push(SleepStage {
                start: start + Duration::seconds(*t),
                end: start + Duration::seconds(*t + secs),
                kind,
            });
            *t += secs;
        };
        let mut i = 0;
        if main {
            push("AWAKE", (4 + rnd(seed, 0, 9)) * 30, &mut t);
            let cycle: [(&'static str, i64, u64); 5] = [
                ("LIGHT", 30, 40),
                ("DEEP", 10, 30),
                ("LIGHT", 10, 20),
                ("REM", 16, 34),
                ("AWAKE", 1, 5),
            ];
            'outer: while t < total - 600 {
                for (kind, lo, span) in cycle {
                    i += 1;
                    if kind == "AWAKE" && rnd(seed, i, 3) != 0 {
                        continue;
                    }
                    let len = ((lo + rnd(seed, i, span)) * 30).min(total - t - 120);
                    if len <= 0 {
                        break 'outer;
                    }
                    push(kind, len, &mut t);
                }
            }
        } else {
            push("AWAKE", 60, &mut t);
            while t < total - 240 {
                i += 1;
                let len = ((20 + rnd(seed, i, 20)) * 30).min(total - t - 120);
                push("ASLEEP", len, &mut t);
                if t < total - 240 {
                    push("RESTLESS", (1 + rnd(seed, i + 100, 3)) * 30, &mut t);
                }
            }
        }
        push("AWAKE", total - t, &mut t);
        let mut secs: BTreeMap<&'static str, (i64, i64)> = BTreeMap::new();
        for s in &stages {
            let e = secs.entry(s.kind).or_default();
            e.0 += (s.end - s.start).num_seconds();
            e.1 += 1;
        }
        let kinds: &[&'static str] = if main {
            &["AWAKE", "LIGHT", "DEEP", "REM"]
        } else {
            &["AWAKE", "RESTLESS", "ASLEEP"]
        };
        let stage_summary: BTreeMap<&'static str, (i64, i64)> = kinds
            .iter()
            .map(|k| {
                let (s, c) = secs.get(k).copied().unwrap_or_default();
                (*k, (s / 60, c))
            })
            .collect();
        let asleep_secs: i64 = ["LIGHT", "DEEP", "REM", "ASLEEP"]
            .iter()
            .map(|k| secs.get(k).map_or(0, |x| x.0))
            .sum();
        let h = mix(seed, 99);
        let name = format!(
            "users/{HEALTH_USER_ID}/dataTypes/sleep/dataPoints/{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
            h >> 32,
            (h >> 16) & 0xffff,
            h & 0xfff,
            (h >> 12) & 0xfff,
            mix(seed, 98) & 0xffff_ffff_ffff
        );
        SleepSession {
            name,
            start,
            end,
            main,
            nap: !main,
            kind: if main { "STAGES" } else { "CLASSIC" },
            stages,
            minutes_asleep: asleep_secs / 60,
            minutes_awake: secs.get("AWAKE").map_or(0, |x| x.0) / 60,
            minutes_in_period: total / 60,
            stage_summary,
            create_time: start
                + Duration::minutes(29)
                + Duration::microseconds((h % 60_000_000) as i64),
            update_time: end
                + Duration::minutes(7)
                + Duration::microseconds((mix(seed, 97) % 60_000_000) as i64),
        }
    }

    fn sleep_json(&self, s: &SleepSession) -> Value {
        let tz = self.tz;
        let stages: Vec<Value> = s
            .stages
            .iter()
            .map(|x| {
                json!({"endTime": rfc(x.end), "endUtcOffset": offset_str(tz, x.end),
                "startTime": rfc(x.start), "startUtcOffset": offset_str(tz, x.start), "type": x.kind})
            })
            .collect();
        let summary: Vec<Value> = s
            .stage_summary
            .iter()
            .map(|(k, (m, c))| json!({"count": c.to_string(), "minutes": m.to_string(), "type": k}))
            .collect();
        let metadata = if s.main {
            json!({"mainSleep": true, "processed": true, "stagesStatus": "SUCCEEDED"})
        } else {
            json!({"nap": true, "processed": true, "stagesStatus": "REJECTED_NAP"})
        };
        // the captures show no civil times on sleep intervals and stages
        json!({
            "createTime": rfc_micros(s.create_time),
            "interval": {"endTime": rfc(s.end), "endUtcOffset": offset_str(tz, s.end),
                "startTime": rfc(s.start), "startUtcOffset": offset_str(tz, s.start)},
            "metadata": metadata,
            "stages": stages,
            "summary": {
                "minutesAfterWakeUp": "0",
                "minutesAsleep": s.minutes_asleep.to_string(),
                "minutesAwake": s.minutes_awake.to_string(),
                "minutesInSleepPeriod": s.minutes_in_period.to_string(),
                "minutesToFallAsleep": "0",
                "stagesSummary": summary,
            },
            "type": s.kind,
            "updateTime": rfc_micros(s.update_time),
        })
    }

    /// The `daily*` member object for date `d`, or `None`. Resting heart rate, zones and VO2 max
    /// exist once the tracker has synced that day; the sleep-derived values once the night's main
    /// sleep has synced.
    fn daily_json(&self, t: T, d: NaiveDate, now: Now) -> Option<Value> {
        if d < self.first_day || d > local_date(self.tz, now.cut) {
            return None;
        }
        let n = epoch_days(d);
        let main = self
            .sessions_ending(d)
            .into_iter()
            .find(|s| s.main && s.end <= now.cut);
        let r1 = |v: f64| (v * 10.0).round() / 10.0;
        let date = date_obj(d);
        let rhr = self.rhr(n);
        Some(match t {
            T::RestingHr => json!({"beatsPerMinute": rhr.to_string(), "date": date,
                "dailyRestingHeartRateMetadata": {"calculationMethod":
                    if main.is_some() { "WITH_SLEEP" } else { "ONLY_WITH_AWAKE_DATA" }}}),
            T::HrZones => {
                let z = self.zones(n);
                let zone = |name: &str, lo: u32, hi: u32| {
                    json!({"heartRateZoneType": name,
                    "maxBeatsPerMinute": hi.to_string(), "minBeatsPerMinute": lo.to_string()})
                };
                json!({"date": date, "heartRateZones": [
                    zone("LIGHT", 30, z.light), zone("MODERATE", z.light, z.moderate),
                    zone("VIGOROUS", z.moderate, z.vigorous), zone("PEAK", z.vigorous, 220)]})
            }
            T::SpO2 => {
                main.as_ref()?;
                if n.rem_euclid(9) == 2 {
                    return None; // the sensor could not read this night
                }
                let avg = r1(94.0 + rnd(n, 30, 40) as f64 / 10.0);
                let mut v = json!({"averagePercentage": avg, "date": date,
                    "lowerBoundPercentage": r1(avg - 1.5 - rnd(n, 31, 5) as f64 * 0.3),
                    "upperBoundPercentage": r1((avg + 1.8).min(100.0))});
                if n.rem_euclid(3) == 0 {
                    v["standardDeviationPercentage"] = json!(r1(0.5 + rnd(n, 32, 4) as f64 * 0.1));
                }
                v
            }
            T::RespRate => {
                main.as_ref()?;
                json!({"breathsPerMinute": r1(13.0 + rnd(n, 33, 45) as f64 / 10.0), "date": date})
            }
            T::Hrv => {
                main.as_ref()?;
                let avg = r1(25.0 + rnd(n, 34, 300) as f64 / 10.0);
                json!({"averageHeartRateVariabilityMilliseconds": avg, "date": date,
                    "deepSleepRootMeanSquareOfSuccessiveDifferencesMilliseconds": r1(avg - 3.2 + rnd(n, 35, 7) as f64 * 0.9),
                    "entropy": r1(2.1 + rnd(n, 36, 9) as f64 * 0.1),
                    "nonRemHeartRateBeatsPerMinute": (rhr + 3).to_string()})
            }
            T::Vo2 => {
                if n.rem_euclid(6) == 0 {
                    return None;
                }
                let v = r1(41.0 + rnd(n, 37, 60) as f64 / 10.0);
                let level = match v {
                    x if x < 35.0 => "POOR",
                    x if x < 40.0 => "FAIR",
                    x if x < 43.0 => "AVERAGE",
                    x if x < 46.0 => "GOOD",
                    x if x < 50.0 => "VERY_GOOD",
                    _ => "EXCELLENT",
                };
                json!({"cardioFitnessLevel": level, "date": date, "estimated": n.rem_euclid(4) == 0,
                    "vo2Max": v, "vo2MaxCovariance": r1(2.0 + rnd(n, 38, 10) as f64 * 0.1)})
            }
            T::SkinTemp => {
                main.as_ref()?;
                let nightly = json!(r1(33.5 + rnd(n, 39, 20) as f64 / 10.0));
                // a new user's first nights have no baseline yet (captured as the string "NaN")
                let new = (d - self.first_day).num_days() < 2;
                let or_nan = |v: f64| if new { json!("NaN") } else { json!(r1(v)) };
                json!({"baselineTemperatureCelsius": or_nan(34.0 + (n / 30).rem_euclid(5) as f64 / 10.0),
                    "date": date, "nightlyTemperatureCelsius": nightly,
                    "relativeNightlyStddev30dCelsius": or_nan(0.3 + rnd(n, 40, 5) as f64 * 0.05)})
            }
            _ => return None,
        })
    }

    fn source_json(&self, t: T, src: usize) -> Value {
        if src == 1 {
            return json!({"application": {"packageName": "com.fitbit.FitbitMobile"},
                "device": {"displayName": "MobileTrack", "formFactor": "PHONE", "manufacturer": "Google"},
                "platform": "FITBIT", "recordingMethod": "PASSIVELY_MEASURED"});
        }
        let mut v = self.base.tracker_source.clone();
        let method = match t {
            T::SpO2 | T::Steps | T::Distance | T::Floors | T::Altitude | T::HeartRate | T::Azm => {
                "PASSIVELY_MEASURED"
            }
            _ => "DERIVED",
        };
        v["recordingMethod"] = json!(method);
        v
    }

    fn interval_json(&self, t0: DateTime<Utc>, t1: DateTime<Utc>) -> Value {
        let tz = self.tz;
        json!({"civilEndTime": civil(local(tz, t1)), "civilStartTime": civil(local(tz, t0)),
            "endTime": rfc(t1), "endUtcOffset": offset_str(tz, t1),
            "startTime": rfc(t0), "startUtcOffset": offset_str(tz, t0)})
    }
}

// ---------------------------------------------------------------- base data (fixtures or formulas)

struct Base {
    /// steps per minute of a recorded day (1440 values)
    steps: Vec<f64>,
    /// (second of day, bpm) of a recorded day, irregular seconds
    hr: Vec<(u32, u32)>,
    settings: Value,
    profile: Value,
    device: Value,
    tracker_source: Value,
    e403: Value,
    e429: Value,
    age: u32,
    walk_stride: u64,
    run_stride: u64,
}

fn base(fixtures: bool) -> &'static Base {
    static WITH: OnceLock<Base> = OnceLock::new();
    static WITHOUT: OnceLock<Base> = OnceLock::new();
    if fixtures {
        WITH.get_or_init(|| Base::load(true))
    } else {
        WITHOUT.get_or_init(|| Base::load(false))
    }
}

/// `(second of day, value)` of a recorded Fitbit intraday series.
fn fitbit_series(name: &str, res: &str) -> Option<Vec<(u32, f64)>> {
    let text = std::fs::read_to_string(super::sim::fixtures_dir()?.join(name)).ok()?;
    let v: Value = serde_json::from_str(&text).ok()?;
    let ds = v[format!("activities-{res}-intraday")]["dataset"].as_array()?;
    let hms = |s: &str| {
        let mut it = s.split(':').map(|x| x.parse::<u32>().ok());
        Some(it.next()?? * 3600 + it.next()?? * 60 + it.next().unwrap_or(Some(0))?)
    };
    Some(
        ds.iter()
            .filter_map(|x| Some((hms(x["time"].as_str()?)?, x["value"].as_f64()?)))
            .collect(),
    )
}

/// Synthetic steps of minute `m` (without fixtures).
fn formula_steps(m: usize) -> f64 {
    if (7 * 60..22 * 60).contains(&m) && m % 7 < 3 {
        ((m * 37) % 90 + 10) as f64
    } else {
        0.0
    }
}

impl Base {
    fn load(fixtures: bool) -> Base {
        let g = |name: &str| if fixtures { read_fixture(name) } else { None };
        let f = |name: &str, res: &str| {
            if fixtures {
                fitbit_series(name, res)
            } else {
                None
            }
        };
        let steps = f("steps-intraday-1min-2021-12-04.json", "steps")
            .map(|v| {
                let mut out = vec![0.0; 1440];
                for (s, x) in v {
                    out[(s / 60).min(1439) as usize] = x;
                }
                out
            })
            .unwrap_or_else(|| (0..1440).map(formula_steps).collect());
        // the sparser older sampling (5/15/1/10/3 s, gaps up to 18 min) keeps pages realistic
        let hr = f("heart-intraday-1sec-2017-05-13.json", "heart")
            .map(|v| v.into_iter().map(|(s, x)| (s, x as u32)).collect())
            .unwrap_or_else(|| {
                let steps = [5, 5, 5, 3, 10, 5, 1, 15, 5, 5];
                let mut out = vec![];
                let (mut t, mut i) = (3u32, 0usize);
                while t < 86_400 {
                    if !(7_800..9_600).contains(&t) {
                        let day = if (25_200..79_200).contains(&t) { 12 } else { 0 };
                        out.push((t, 56 + (i * 7 % 23) as u32 + day));
                    }
                    t += steps[i % steps.len()];
                    i += 1;
                }
                out
            });
        let settings = g("settings.json").unwrap_or_else(|| {
            json!({"autoStrideEnabled": true, "distanceUnit": "DISTANCE_UNIT_KILOMETERS",
                "foodLanguageCode": "en-US", "glucoseUnit": "GLUCOSE_UNIT_MG_DL",
                "heightUnit": "HEIGHT_UNIT_CENTIMETERS", "languageLocale": "en-US",
                "strideLengthRunningType": "STRIDE_LENGTH_TYPE_DEFAULT",
                "strideLengthWalkingType": "STRIDE_LENGTH_TYPE_DEFAULT",
                "temperatureUnit": "TEMPERATURE_UNIT_CELSIUS", "waterUnit": "WATER_UNIT_ML",
                "weightUnit": "WEIGHT_UNIT_KILOGRAMS"})
        });
        let profile = g("profile.json").unwrap_or_else(|| {
            json!({"age": 35, "userConfiguredRunningStrideLengthMm": 950,
                "userConfiguredWalkingStrideLengthMm": 720})
        });
        let device = g("paired-devices.json")
            .and_then(|v| v["pairedDevices"].get(0).cloned())
            .unwrap_or_else(|| {
                json!({"batteryLevel": 76, "batteryStatus": "High", "deviceType": "TRACKER",
                    "deviceVersion": "Charge 6",
                    "features": ["STEPS", "DISTANCE", "ELEVATION", "HEART_RATE", "SLEEP", "SPO2", "ACTIVE_ZONE_MINUTES"]})
            });
        let tracker_source = g("list-steps-page.json")
            .and_then(|v| v["dataPoints"][0].get("dataSource").cloned())
            .unwrap_or_else(|| {
                json!({"device": {}, "platform": "FITBIT", "recordingMethod": "PASSIVELY_MEASURED"})
            });
        let e403 = g("error-403-permission-denied.json").unwrap_or_else(|| {
            json!({"error": {"code": 403, "message": "The caller does not have permission", "status": "PERMISSION_DENIED"}})
        });
        let e429 = if fixtures {
            super::sim::fixtures_dir()
                .and_then(|d| std::fs::read_to_string(d.join("error-429-resource-exhausted-google-style.json")).ok())
                .and_then(|t| serde_json::from_str(&t).ok())
        } else {
            None
        }
        .unwrap_or_else(|| {
            json!({"error": {"code": 429, "message": "Resource has been exhausted (e.g. check quota).", "status": "RESOURCE_EXHAUSTED"}})
        });
        let stride = |k: &str, d: u64| profile[k].as_u64().unwrap_or(d);
        Base {
            steps,
            hr,
            age: profile["age"].as_u64().unwrap_or(35) as u32,
            walk_stride: stride("userConfiguredWalkingStrideLengthMm", 720),
            run_stride: stride("userConfiguredRunningStrideLengthMm", 950),
            settings,
            profile,
            device,
            tracker_source,
            e403,
            e429,
        }
    }
}
