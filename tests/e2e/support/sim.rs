//! A local fake of the legacy Fitbit Web API (`api.fitbit.com`), served by `tiny_http` on
//! `127.0.0.1` from a background thread.
//!
//! Response bodies follow the real wire format. The data is built from the recorded fixtures in
//! `<manifest>/../shared/fixtures/fitbit-web-api/` (override the fixtures folder with
//! `SYNCBIT_FIXTURES`; it is read once per process). Without fixtures, the same shapes are filled
//! from simple formulas. Every day is varied deterministically from its date, so different days
//! differ while one day always looks the same.
//!
//! Not simulated: `?timezone=UTC` (answered 400 so a client relying on it fails loudly), the
//! `/time/HH:mm/HH:mm` intraday variants, multi-day intraday, `Accept-Language` units (logged only)
//! and `grant_type=authorization_code`.

use chrono::{Duration, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::Instant;

/// Write `text` to `dir/name` with mode 0600 (a token file for a simulator run by hand),
/// creating `dir`.
///
/// Errors: the message names the path.
pub fn write_private(dir: &std::path::Path, name: &str, text: &str) -> Result<(), String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let path = dir.join(name);
    std::fs::create_dir_all(dir)
        .and_then(|_| {
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&path)
        })
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// OAuth client id the token endpoint accepts (HTTP Basic user).
pub const CLIENT_ID: &str = "SIMCLIENT";
/// OAuth client secret the token endpoint accepts (HTTP Basic password).
pub const CLIENT_SECRET: &str = "sim-secret";
/// `encodedId` / `user_id` of the simulated user.
pub const USER_ID: &str = "SIMUSR";
/// Scope string returned by the token endpoint.
pub const SCOPE: &str = "activity heartrate profile sleep settings oxygen_saturation respiratory_rate temperature cardio_fitness";
const VISIT: &str = "Visit https://dev.fitbit.com/docs/oauth2 for more information on the Fitbit Web API authorization process.";

/// Simulator settings. Use `SimConfig { field: .., ..Default::default() }`.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Profile `user.timezone` (IANA name). Default `Europe/Berlin`.
    pub timezone: String,
    /// Profile `memberSince`; earlier days are empty. Default 2015-03-01.
    pub member_since: NaiveDate,
    /// Data calls per rate-limit window. Default 150.
    pub budget: u32,
    /// `None`: windows end at each top of the UTC hour (real API). `Some(n)`: a window ends `n`
    /// seconds after it began; the first request after a window ended starts the next one.
    pub window_secs: Option<u64>,
    /// Device `lastSyncTime` (profile-local). `None` = "now" in the profile zone at request time.
    pub last_sync: Option<NaiveDateTime>,
    /// `expires_in` of issued access tokens; the sim answers `expired_token` after that. Default 28800.
    pub access_token_ttl_secs: i64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            timezone: "Europe/Berlin".into(),
            member_since: NaiveDate::from_ymd_opt(2015, 3, 1).unwrap(),
            budget: 150,
            window_secs: None,
            last_sync: None,
            access_token_ttl_secs: 28800,
        }
    }
}

/// One logged request (data and token calls alike).
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    /// HTTP method, e.g. `GET`.
    pub method: String,
    /// Path including the query string.
    pub path: String,
    /// The `Accept-Language` header, if sent.
    pub accept_language: Option<String>,
    /// Status code of the answer.
    pub status: u16,
}

/// A running simulator. Dropping it stops the server thread.
pub struct Sim {
    st: Arc<Mutex<State>>,
    server: Arc<tiny_http::Server>,
    stop: Arc<AtomicBool>,
    port: u16,
    thread: Option<JoinHandle<()>>,
}

impl Sim {
    /// Starts a simulator on a free loopback port.
    pub fn start(cfg: SimConfig) -> Sim {
        Sim::start_on_port(cfg, 0)
    }

    /// Starts a simulator on `127.0.0.1:port` (0 = any free port).
    pub fn start_on_port(cfg: SimConfig, port: u16) -> Sim {
        base(); // load fixtures before the first request
        let server =
            Arc::new(tiny_http::Server::http(("127.0.0.1", port)).expect("bind simulator"));
        let port = server.server_addr().to_ip().expect("ip listener").port();
        let st = Arc::new(Mutex::new(State::new(cfg)));
        let stop = Arc::new(AtomicBool::new(false));
        let (s2, st2, stop2) = (server.clone(), st.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !stop2.load(Ordering::SeqCst) {
                if let Ok(rq) = s2.recv() {
                    // a panicking handler drops the request (tiny_http then answers 500)
                    let _ =
                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handle(&st2, rq)));
                }
            }
        });
        Sim {
            st,
            server,
            stop,
            port,
            thread: Some(thread),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.st.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `http://127.0.0.1:PORT`; API paths (`/1/user/-/...`, `/oauth2/token`) hang off it.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The currently valid `(access_token, refresh_token)`.
    pub fn tokens(&self) -> (String, String) {
        let s = self.lock();
        (s.access.clone(), s.refresh.clone())
    }

    /// A `fitbit_tokens.json` body in the predecessor format with the current tokens. `expires_at`
    /// is a naive datetime in the machine's local zone. With `expired`, `expires_at` lies in the past
    /// and the sim answers the current access token with 401 `expired_token` until a refresh.
    pub fn token_json(&self, expired: bool) -> String {
        let mut s = self.lock();
        let now = chrono::Local::now().naive_local();
        let at = if expired {
            s.access_expired = true;
            now - Duration::hours(1)
        } else {
            now + Duration::seconds(s.cfg.access_token_ttl_secs)
        };
        let v = json!({"access_token": s.access, "refresh_token": s.refresh, "user_id": USER_ID,
            "expires_at": at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()});
        serde_json::to_string_pretty(&v).unwrap()
    }

    /// Number of requests to `/oauth2/token`.
    pub fn token_calls(&self) -> usize {
        self.lock().token_calls
    }

    /// Number of all other requests (each counts against the budget, whatever its answer).
    pub fn data_calls(&self) -> usize {
        self.lock().data_calls
    }

    /// Log of all requests, oldest first.
    pub fn requests(&self) -> Vec<Request> {
        self.lock().log.clone()
    }

    /// The next `n` data requests (after auth and rate limit) answer `status`: 5xx with a Fitbit
    /// `errors[]` body, 410 with a Google-style body, 403 `insufficient_permissions`, 429, 401.
    pub fn fail_next(&self, n: usize, status: u16) {
        self.lock().fail = Some((n, status));
    }

    /// Every data request whose path contains all of `parts` answers `status` (an error
    /// body), until called with an empty list.
    pub fn fail_matching(&self, parts: &[&str], status: u16) {
        self.lock().fail_matching = (parts.iter().map(|p| p.to_string()).collect(), status);
    }

    /// When on, every data and token request answers 410 Gone (no budget is used).
    pub fn set_gone(&self, on: bool) {
        self.lock().gone = on;
    }

    /// The next `n` data requests answer 200 with the body cut in half (invalid JSON).
    pub fn malformed_next(&self, n: usize) {
        self.lock().malformed = n;
    }

    /// Every data answer whose path contains all of `parts` is cut in half (malformed JSON)
    /// until called with an empty list.
    pub fn malformed_matching(&self, parts: &[&str]) {
        self.lock().malformed_matching = parts.iter().map(|p| p.to_string()).collect();
    }

    /// The current access token now gets 401 `expired_token`.
    pub fn expire_access_token(&self) {
        self.lock().access_expired = true;
    }

    /// Every refresh now answers 400 `invalid_grant`.
    pub fn revoke_refresh_token(&self) {
        let mut s = self.lock();
        s.revoked = true;
        s.prev = None;
    }

    /// Scopes the simulated user unticks on the consent page of `/oauth2/authorize`.
    pub fn deny_scopes(&self, scopes: &[&str]) {
        self.lock().denied = scopes.iter().map(|s| s.to_string()).collect();
    }

    /// Date ranges longer than `days` answer 422 "too many data points" (`None`: never).
    pub fn limit_ranges_to(&self, days: Option<i64>) {
        self.lock().limit_422 = days;
    }

    /// Every data answer is sent `ms` later (a slow API, to interrupt a run mid-way).
    pub fn delay_data_answers(&self, ms: u64) {
        self.lock().data_delay_ms = ms;
    }

    /// The token endpoint rotates the tokens at once but answers `ms` later (to kill a client
    /// while the new pair is on its way).
    pub fn delay_token_answer(&self, ms: u64) {
        self.lock().token_delay_ms = ms;
    }

    /// Adds a scale (`type` SCALE) that last synced at `t` (`None`: no scale).
    pub fn set_scale_sync(&self, t: Option<NaiveDateTime>) {
        self.lock().scale_sync = t;
    }

    /// devices.json answers 403 `insufficient_scope` (the token lacks `settings`).
    pub fn set_devices_forbidden(&self, on: bool) {
        self.lock().devices_forbidden = on;
    }

    /// Number of successful revocations at `/oauth2/revoke`.
    pub fn revocations(&self) -> usize {
        self.lock().revocations
    }

    /// Changes the budget per window (calls already made in this window still count).
    pub fn set_budget(&self, n: u32) {
        self.lock().cfg.budget = n;
    }

    /// Changes the device `lastSyncTime` (`None` = now).
    pub fn set_last_sync(&self, t: Option<NaiveDateTime>) {
        self.lock().cfg.last_sync = t;
    }

    /// Changes the profile time zone (affects "today", profile and device answers).
    pub fn set_timezone(&self, tz: &str) {
        tz.parse::<Tz>().expect("valid IANA zone");
        self.lock().cfg.timezone = tz.to_string();
    }

    /// "Today" in the profile zone.
    pub fn today(&self) -> NaiveDate {
        self.lock().model().today()
    }

    /// The intraday dataset exactly as served: `("HH:MM:SS", value)`, never cut at lastSyncTime.
    pub fn intraday(&self, resource: &str, date: NaiveDate, detail: &str) -> Vec<(String, f64)> {
        let m = self.lock().model();
        m.points(resource, date, detail)
            .iter()
            .map(|p| (hms(p.sec), p.v))
            .collect()
    }

    /// Body of `/1/user/-/activities/date/D.json`.
    pub fn daily_summary(&self, date: NaiveDate) -> Value {
        self.lock().model().daily_summary(date)
    }

    /// The `activities-heart[0]` item for that date.
    pub fn heart_day(&self, date: NaiveDate) -> Value {
        self.lock().model().heart_day(date)
    }

    /// Body of `/1.2/user/-/sleep/date/D.json`.
    pub fn sleep_day(&self, date: NaiveDate) -> Value {
        let m = self.lock().model();
        m.sleep_body(&m.sleep_logs(date))
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// `Basic base64(CLIENT_ID:CLIENT_SECRET)`, the `Authorization` value the token endpoint wants.
pub fn basic_auth_header() -> String {
    format!(
        "Basic {}",
        b64(format!("{CLIENT_ID}:{CLIENT_SECRET}").as_bytes())
    )
}

fn b64(data: &[u8]) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in data.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            out.push(if i <= c.len() {
                T[(n >> (18 - 6 * i) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    out
}

// ---------------------------------------------------------------- server state and dispatch

struct State {
    cfg: SimConfig,
    seq: u32,
    access: String,
    refresh: String,
    access_until: Instant,
    access_expired: bool,
    access_used: bool,
    /// (old refresh token, the 200 body it was answered with) for the retry grace.
    prev: Option<(String, String)>,
    revoked: bool,
    gone: bool,
    fail: Option<(usize, u16)>,
    malformed: usize,
    malformed_matching: Vec<String>,
    fail_matching: (Vec<String>, u16),
    used: u32,
    win_hour: Option<i64>,
    win_start: Option<Instant>,
    token_calls: usize,
    data_calls: usize,
    log: Vec<Request>,
    /// Authorization codes issued by /oauth2/authorize: code → (challenge, redirect_uri, scope).
    codes: BTreeMap<String, (String, String, String)>,
    limit_422: Option<i64>,
    scale_sync: Option<NaiveDateTime>,
    devices_forbidden: bool,
    /// The token endpoint answers this long after it rotated the tokens.
    token_delay_ms: u64,
    data_delay_ms: u64,
    /// Scopes the simulated user unticks on the consent page.
    denied: Vec<String>,
    revocations: usize,
}

struct Resp {
    status: u16,
    body: String,
    headers: Vec<(String, String)>,
}

fn resp(status: u16, body: Value) -> Resp {
    Resp {
        status,
        body: body.to_string(),
        headers: vec![],
    }
}

fn handle(st: &Mutex<State>, mut rq: tiny_http::Request) {
    let header = |name: &str| {
        rq.headers()
            .iter()
            .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str().to_string())
    };
    let (auth, lang) = (header("Authorization"), header("Accept-Language"));
    let (method, url) = (rq.method().as_str().to_string(), rq.url().to_string());
    let mut body = String::new();
    let _ = rq.as_reader().read_to_string(&mut body);
    let mut delay = 0;
    let r = {
        let mut s = st.lock().unwrap_or_else(|e| e.into_inner());
        let path = url.split('?').next().unwrap_or("");
        let r = if path == "/oauth2/token" {
            delay = s.token_delay_ms;
            s.token(&method, auth.as_deref(), &body)
        } else if path == "/oauth2/authorize" {
            s.authorize(&url)
        } else if path == "/oauth2/revoke" {
            s.revoke(auth.as_deref(), &body)
        } else {
            delay = s.data_delay_ms;
            s.data(&method, &url, auth.as_deref())
        };
        s.log.push(Request {
            method,
            path: url,
            accept_language: lang,
            status: r.status,
        });
        r
    };
    if delay > 0 {
        std::thread::sleep(std::time::Duration::from_millis(delay));
    }
    let mut headers = vec![
        tiny_http::Header::from_bytes("Content-Type", "application/json;charset=UTF-8").unwrap(),
    ];
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

fn errors(error_type: &str, field: Option<&str>, message: &str) -> Value {
    let mut e = json!({"errorType": error_type, "message": message});
    if let Some(f) = field {
        e["fieldName"] = json!(f);
    }
    json!({"errors": [e], "success": false})
}

/// A fixture error body, or the given fallback when fixtures are absent.
fn fixture_error(name: &str, fallback: Value) -> Value {
    read_fixture(name).unwrap_or(fallback)
}

fn gone() -> Resp {
    resp(
        410,
        json!({"error": {"code": 410, "message": "The legacy Fitbit Web API has been turned down. Use the Google Health API.", "status": "NOT_FOUND"}}),
    )
}

fn error_for(status: u16) -> Resp {
    let body = match status {
        410 => return gone(),
        429 => fixture_error(
            "error-429-too-many-requests.json",
            errors("system", Some("n/a"), "Too Many Requests"),
        ),
        403 => fixture_error(
            "error-403-insufficient-permissions.json",
            errors(
                "insufficient_permissions",
                None,
                "API client is not authorized by Fitbit to access the resource requested.",
            ),
        ),
        401 => errors(
            "expired_token",
            None,
            &format!("Access token expired: sim. {VISIT}"),
        ),
        404 => not_found_body(),
        _ => {
            let mut v = fixture_error(
                "error-500-internal.json",
                errors(
                    "request",
                    Some("500"),
                    "An error occurred with the Fitbit Web API while processing the request.",
                ),
            );
            v["errors"][0]["fieldName"] = json!(status.to_string());
            v
        }
    };
    resp(status, body)
}

fn not_found_body() -> Value {
    fixture_error(
        "error-404-not-found.json",
        errors(
            "not_found",
            Some("n/a"),
            "The API you are requesting could not be found.",
        ),
    )
}

fn validation(msg: &str) -> Resp {
    resp(400, errors("validation", Some("date"), msg))
}

impl State {
    fn new(cfg: SimConfig) -> State {
        let until = Instant::now()
            + std::time::Duration::from_secs(cfg.access_token_ttl_secs.max(0) as u64);
        State {
            cfg,
            seq: 1,
            access: "sim-at-1".into(),
            refresh: "sim-rt-1".into(),
            access_until: until,
            access_expired: false,
            access_used: false,
            prev: None,
            revoked: false,
            gone: false,
            fail: None,
            malformed: 0,
            malformed_matching: Vec::new(),
            fail_matching: (Vec::new(), 0),
            used: 0,
            win_hour: None,
            win_start: None,
            token_calls: 0,
            data_calls: 0,
            log: vec![],
            codes: BTreeMap::new(),
            limit_422: None,
            scale_sync: None,
            devices_forbidden: false,
            token_delay_ms: 0,
            data_delay_ms: 0,
            denied: vec![],
            revocations: 0,
        }
    }

    fn model(&self) -> Model {
        Model {
            tz: self.cfg.timezone.parse().expect("valid IANA zone"),
            member_since: self.cfg.member_since,
            limit_422: self.limit_422,
            scale_sync: self.scale_sync,
            devices_forbidden: self.devices_forbidden,
        }
    }

    /// `GET /oauth2/authorize`: the user approves at once; 302 to `redirect_uri?code&state#_=_`.
    fn authorize(&mut self, url: &str) -> Resp {
        let q = parse_form(url.split_once('?').map_or("", |x| x.1));
        let get = |k: &str| q.get(k).cloned().unwrap_or_default();
        if get("client_id") != CLIENT_ID || get("response_type") != "code" {
            return resp(
                400,
                errors(
                    "invalid_request",
                    None,
                    "Invalid client_id or response_type",
                ),
            );
        }
        if get("code_challenge_method") != "S256" || get("code_challenge").len() < 43 {
            return resp(
                400,
                errors("invalid_request", None, "PKCE S256 code_challenge required"),
            );
        }
        let redirect = get("redirect_uri");
        if redirect.is_empty() {
            return resp(400, errors("invalid_request", None, "Missing redirect_uri"));
        }
        let granted: Vec<String> = get("scope")
            .split_whitespace()
            .filter(|s| !self.denied.iter().any(|d| d == s))
            .map(String::from)
            .collect();
        self.seq += 1;
        let code = format!("sim-code-{}", self.seq);
        self.codes.insert(
            code.clone(),
            (get("code_challenge"), redirect.clone(), granted.join(" ")),
        );
        let sep = if redirect.contains('?') { '&' } else { '?' };
        let location = format!("{redirect}{sep}code={code}&state={}#_=_", get("state"));
        Resp {
            status: 302,
            body: String::new(),
            headers: vec![("Location".into(), location)],
        }
    }

    /// `grant_type=authorization_code`: single-use code, PKCE verifier checked.
    fn exchange_code(&mut self, form: &BTreeMap<String, String>) -> Resp {
        use sha2::Digest;
        let code = form.get("code").cloned().unwrap_or_default();
        let Some((challenge, redirect, scope)) = self.codes.remove(&code) else {
            return resp(
                400,
                errors(
                    "invalid_grant",
                    None,
                    &format!("Authorization code invalid. {VISIT}"),
                ),
            );
        };
        let verifier = form.get("code_verifier").cloned().unwrap_or_default();
        let digest = sha2::Sha256::digest(verifier.as_bytes());
        let b64 = b64(&digest).replace('+', "-").replace('/', "_");
        if b64.trim_end_matches('=') != challenge {
            return resp(400, errors("invalid_grant", None, "Invalid code_verifier"));
        }
        if form.get("redirect_uri") != Some(&redirect) {
            return resp(400, errors("invalid_grant", None, "redirect_uri mismatch"));
        }
        self.revoked = false;
        self.prev = None;
        resp(200, self.issue_tokens(&scope))
    }

    /// Rotates to a new token pair and returns the token endpoint's 200 body for it.
    fn issue_tokens(&mut self, scope: &str) -> Value {
        self.seq += 1;
        self.access = format!("sim-at-{}", self.seq);
        self.refresh = format!("sim-rt-{}", self.seq);
        self.access_until = Instant::now()
            + std::time::Duration::from_secs(self.cfg.access_token_ttl_secs.max(0) as u64);
        self.access_expired = false;
        self.access_used = false;
        json!({"access_token": self.access, "expires_in": self.cfg.access_token_ttl_secs,
            "refresh_token": self.refresh, "scope": scope, "token_type": "Bearer", "user_id": USER_ID})
    }

    /// `POST /oauth2/revoke` (Basic auth, `token=`): all of the user's tokens stop working.
    fn revoke(&mut self, auth: Option<&str>, body: &str) -> Resp {
        self.token_calls += 1;
        if auth != Some(basic_auth_header().as_str()) {
            return resp(
                401,
                errors("invalid_client", None, "Invalid authorization header"),
            );
        }
        let form = parse_form(body);
        let t = form.get("token").cloned().unwrap_or_default();
        if t == self.refresh || t == self.access {
            self.revoked = true;
            self.access_expired = true;
            self.revocations += 1;
        }
        resp(200, json!({}))
    }

    fn token(&mut self, method: &str, auth: Option<&str>, body: &str) -> Resp {
        self.token_calls += 1;
        if self.gone {
            return gone();
        }
        if method != "POST" {
            return resp(
                405,
                errors(
                    "invalid_request",
                    None,
                    &format!("Method not allowed. {VISIT}"),
                ),
            );
        }
        if auth != Some(basic_auth_header().as_str()) {
            return resp(
                401,
                errors(
                    "invalid_client",
                    None,
                    &format!(
                        "Invalid authorization header format. The header was not recognized to be a valid header for any of known implementations or a client_id was not specified in case of a public client {VISIT}"
                    ),
                ),
            );
        }
        let form = parse_form(body);
        match form.get("grant_type").map(String::as_str) {
            Some("refresh_token") => {}
            Some("authorization_code") => return self.exchange_code(&form),
            Some(g) => {
                return resp(
                    400,
                    errors(
                        "unsupported_grant_type",
                        None,
                        &format!("The authorization grant_type is not supported: {g}. {VISIT}"),
                    ),
                );
            }
            None => {
                return resp(
                    400,
                    errors(
                        "invalid_request",
                        None,
                        &format!("Missing parameters: grant_type. {VISIT}"),
                    ),
                );
            }
        }
        let Some(rt) = form.get("refresh_token") else {
            return resp(
                400,
                fixture_error(
                    "oauth2-token-error-400-missing-refresh-token.json",
                    errors(
                        "invalid_request",
                        None,
                        &format!("Missing parameters: refresh_token {VISIT}"),
                    ),
                ),
            );
        };
        if !self.revoked && *rt == self.refresh {
            let body = self.issue_tokens(SCOPE).to_string();
            self.prev = Some((rt.clone(), body.clone()));
            return Resp {
                status: 200,
                body,
                headers: vec![],
            };
        }
        if let Some((old, body)) = &self.prev
            && old == rt
            && !self.access_used
            && !self.revoked
        {
            return Resp {
                status: 200,
                body: body.clone(),
                headers: vec![],
            };
        }
        resp(
            400,
            errors(
                "invalid_grant",
                None,
                &format!("Refresh token invalid: {rt}. {VISIT}"),
            ),
        )
    }

    /// Seconds until the current rate-limit window ends (rolls the window over when due).
    fn window(&mut self) -> u64 {
        match self.cfg.window_secs {
            None => {
                let now = Utc::now().timestamp();
                if self.win_hour != Some(now.div_euclid(3600)) {
                    self.win_hour = Some(now.div_euclid(3600));
                    self.used = 0;
                }
                (3600 - now.rem_euclid(3600)).max(1) as u64
            }
            Some(n) => {
                let now = Instant::now();
                if self
                    .win_start
                    .is_none_or(|s| now.duration_since(s).as_secs_f64() >= n as f64)
                {
                    self.win_start = Some(now);
                    self.used = 0;
                }
                let el = now.duration_since(self.win_start.unwrap()).as_secs_f64();
                ((n as f64 - el).ceil() as u64).max(1)
            }
        }
    }

    fn data(&mut self, method: &str, url: &str, auth: Option<&str>) -> Resp {
        self.data_calls += 1;
        if self.gone {
            return gone();
        }
        let reset = self.window();
        let limit = self.cfg.budget;
        let mut r = if self.used >= limit {
            let mut r = error_for(429);
            r.headers.push(("Retry-After".into(), reset.to_string()));
            r
        } else {
            self.used += 1;
            self.data_inner(method, url, auth)
        };
        if r.status == 429 && !r.headers.iter().any(|(k, _)| k == "Retry-After") {
            r.headers.push(("Retry-After".into(), reset.to_string()));
        }
        let remaining = limit.saturating_sub(self.used);
        r.headers
            .push(("Fitbit-Rate-Limit-Limit".into(), limit.to_string()));
        r.headers
            .push(("Fitbit-Rate-Limit-Remaining".into(), remaining.to_string()));
        r.headers
            .push(("Fitbit-Rate-Limit-Reset".into(), reset.to_string()));
        r
    }

    fn data_inner(&mut self, method: &str, url: &str, auth: Option<&str>) -> Resp {
        match auth.and_then(|a| a.strip_prefix("Bearer ")) {
            None => {
                let fb = errors("invalid_request", None, "Authorization header required.");
                return resp(
                    401,
                    fixture_error("error-401-invalid-request-no-auth-header.json", fb),
                );
            }
            Some(t)
                if t == self.access
                    && !self.access_expired
                    && Instant::now() < self.access_until =>
            {
                self.access_used = true;
            }
            Some(t) if t == self.access => {
                let mut v = fixture_error(
                    "error-401-expired-token.json",
                    errors("expired_token", None, ""),
                );
                v["errors"][0]["message"] = json!(format!("Access token expired: {t}. {VISIT}"));
                return resp(401, v);
            }
            Some(t) => {
                return resp(
                    401,
                    errors(
                        "invalid_token",
                        None,
                        &format!("Access token invalid: {t}. {VISIT}"),
                    ),
                );
            }
        }
        let (parts, status) = &self.fail_matching;
        if !parts.is_empty() && parts.iter().all(|p| url.contains(p.as_str())) {
            return error_for(*status);
        }
        if let Some((n, status)) = self.fail {
            self.fail = (n > 1).then_some((n - 1, status));
            if n > 0 {
                return error_for(status);
            }
        }
        let mut r = match method {
            "GET" => match self.model().route(url, self.cfg.last_sync) {
                Ok(v) => resp(200, v),
                Err(r) => r,
            },
            _ => resp(405, errors("request", None, "Method not allowed")),
        };
        let matching = !self.malformed_matching.is_empty()
            && self
                .malformed_matching
                .iter()
                .all(|p| url.contains(p.as_str()));
        if self.malformed > 0 || matching {
            self.malformed = self.malformed.saturating_sub(1);
            r.status = 200;
            let mut cut = r.body.len() / 2;
            while !r.body.is_char_boundary(cut) {
                cut -= 1;
            }
            r.body.truncate(cut.max(1));
        }
        r
    }
}

fn parse_form(body: &str) -> BTreeMap<String, String> {
    fn dec(s: &str) -> String {
        let b = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'+' => out.push(b' '),
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
    body.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (dec(k), dec(v))
        })
        .collect()
}

// ---------------------------------------------------------------- data model

#[derive(Clone, Copy)]
struct Pt {
    sec: u32,
    v: f64,
    level: i64,
    mets: i64,
}

struct Model {
    tz: Tz,
    member_since: NaiveDate,
    /// Ranges longer than this many days answer 422 "too many data points".
    limit_422: Option<i64>,
    /// A second device (a scale) and its lastSyncTime.
    scale_sync: Option<NaiveDateTime>,
    /// devices.json answers 403 (no `settings` scope).
    devices_forbidden: bool,
}

fn epoch_days(d: NaiveDate) -> i64 {
    (d - NaiveDate::from_ymd_opt(2000, 1, 1).unwrap()).num_days()
}

fn hms(sec: u32) -> String {
    format!("{:02}:{:02}:{:02}", sec / 3600, sec / 60 % 60, sec % 60)
}

fn parse_hms(s: &str) -> Option<u32> {
    let mut it = s.split(':').map(|x| x.parse::<u32>().ok());
    Some(it.next()?? * 3600 + it.next()?? * 60 + it.next().unwrap_or(Some(0))?)
}

fn round(v: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (v * f).round() / f
}

/// JSON number: integral values as integers (like the real API prints `0`), others as floats.
fn num(v: f64) -> Value {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        json!(v as i64)
    } else {
        json!(v)
    }
}

/// Decimal string of a number, at most 5 decimals, no trailing zeros (`"8571"`, `"6.76875"`).
fn num_str(v: f64) -> String {
    format!("{}", round(v, 5))
}

const INTRADAY: [&str; 6] = [
    "steps",
    "calories",
    "distance",
    "floors",
    "elevation",
    "heart",
];

impl Model {
    fn today(&self) -> NaiveDate {
        Utc::now().with_timezone(&self.tz).date_naive()
    }

    fn now_local(&self) -> NaiveDateTime {
        Utc::now().with_timezone(&self.tz).naive_local()
    }

    /// Days before memberSince or after today have no data.
    fn empty(&self, d: NaiveDate) -> bool {
        d < self.member_since || d > self.today()
    }

    /// The 1min (or 1sec for heart) series of a day.
    fn raw(&self, res: &str, d: NaiveDate, sec: bool) -> Vec<Pt> {
        let b = base();
        let n = epoch_days(d);
        let empty = self.empty(d);
        let rot = n.rem_euclid(1440) as usize;
        let src = |i: usize| (i + 1440 - rot) % 1440;
        let pt = |i: usize, v: f64| Pt {
            sec: i as u32 * 60,
            v,
            level: 0,
            mets: 0,
        };
        let rotated = |s: &[f64]| -> Vec<Pt> {
            (0..1440)
                .map(|i| pt(i, if empty { 0.0 } else { s[src(i)] }))
                .collect()
        };
        let hr_off = (n.rem_euclid(5) - 2) as f64;
        match res {
            "steps" | "floors" | "elevation" => {
                // rotate, scale (whole numbers stay whole), then add a few units to the busiest minute
                let (src_series, f, extra) = match res {
                    "steps" => (
                        &b.steps,
                        1.0 + n.rem_euclid(17) as f64 / 100.0,
                        n.rem_euclid(997),
                    ),
                    "floors" => (&b.floors, 1.0, n.rem_euclid(4)),
                    _ => (&b.elevation, 1.0, n.rem_euclid(4) * 10),
                };
                let mut v: Vec<Pt> = rotated(src_series)
                    .into_iter()
                    .map(|p| Pt {
                        v: if f == 1.0 { p.v } else { (p.v * f).round() },
                        ..p
                    })
                    .collect();
                if !empty {
                    let imax = (0..1440)
                        .max_by(|&a, &c| v[a].v.total_cmp(&v[c].v).then(c.cmp(&a)))
                        .unwrap();
                    v[imax].v += extra as f64;
                }
                v
            }
            "calories" => {
                let f = 1.0 + n.rem_euclid(11) as f64 / 100.0;
                let bmr = round(
                    b.summary["summary"]["caloriesBMR"]
                        .as_f64()
                        .unwrap_or(1440.0)
                        / 1440.0,
                    4,
                );
                (0..1440)
                    .map(|i| {
                        let (level, mets, v) = if empty {
                            (0, 10, bmr)
                        } else {
                            let c = b.calories[src(i)];
                            (c.0, c.1, round(c.2 * f, 4))
                        };
                        Pt {
                            sec: i as u32 * 60,
                            v,
                            level,
                            mets,
                        }
                    })
                    .collect()
            }
            "distance" => {
                let f = 1.0 + n.rem_euclid(13) as f64 / 100.0;
                rotated(&b.distance)
                    .into_iter()
                    .map(|p| Pt {
                        v: round(p.v * f, 6),
                        ..p
                    })
                    .collect()
            }
            "heart" if empty => vec![],
            "heart" if sec => {
                let shift = rot as u32 * 60;
                let mut v: Vec<Pt> = b
                    .heart_sec
                    .iter()
                    .map(|&(s, v)| Pt {
                        sec: (s + shift) % 86400,
                        v: v + hr_off,
                        level: 0,
                        mets: 0,
                    })
                    .collect();
                v.sort_by_key(|p| p.sec);
                v
            }
            "heart" => (0..1440)
                .filter_map(|i| b.heart[src(i)].map(|v| pt(i, v + hr_off)))
                .collect(),
            _ => vec![],
        }
    }

    /// The dataset at `detail` (`1sec` only for heart; 5/15min are aggregates of 1min).
    fn points(&self, res: &str, d: NaiveDate, detail: &str) -> Vec<Pt> {
        let k = match detail {
            "1sec" if res == "heart" => return self.raw(res, d, true),
            "1min" => return self.raw(res, d, false),
            "5min" => 5,
            "15min" => 15,
            _ => return vec![],
        };
        let mut out: Vec<(u32, Vec<Pt>)> = vec![];
        for p in self.raw(res, d, false) {
            let bucket = p.sec / 60 / k * k * 60;
            match out.last_mut() {
                Some((s, v)) if *s == bucket => v.push(p),
                _ => out.push((bucket, vec![p])),
            }
        }
        out.into_iter()
            .map(|(sec, ps)| {
                let sum: f64 = ps.iter().map(|p| p.v).sum();
                let v = if res == "heart" {
                    (sum / ps.len() as f64).round()
                } else {
                    round(sum, 6)
                };
                let level = ps.iter().map(|p| p.level).max().unwrap_or(0);
                let mets = (ps.iter().map(|p| p.mets as f64).sum::<f64>() / ps.len() as f64).round()
                    as i64;
                Pt {
                    sec,
                    v,
                    level,
                    mets,
                }
            })
            .collect()
    }

    fn total(&self, res: &str, d: NaiveDate) -> f64 {
        self.raw(res, d, false).iter().map(|p| p.v).sum()
    }

    fn heart_day(&self, d: NaiveDate) -> Value {
        let b = base();
        let n = epoch_days(d);
        let mut item = b.heart_days[n.rem_euclid(b.heart_days.len() as i64) as usize].clone();
        item["dateTime"] = json!(d.to_string());
        let v = &mut item["value"];
        let shift = n.rem_euclid(7);
        if let Some(zones) = v["heartRateZones"].as_array_mut() {
            for (i, z) in zones.iter_mut().enumerate() {
                let m = z["minutes"].as_i64().unwrap_or(0);
                if self.empty(d) {
                    z["minutes"] = json!(0);
                    z["caloriesOut"] = json!(0);
                } else if i == 0 {
                    z["minutes"] = json!((m - shift).max(0));
                } else if i == 1 {
                    z["minutes"] = json!(m + shift);
                }
            }
        }
        if let Some(o) = v.as_object_mut() {
            if self.empty(d) {
                o.remove("restingHeartRate");
            } else {
                o.insert("restingHeartRate".into(), json!(50 + n.rem_euclid(13)));
            }
        }
        item
    }

    fn daily_summary(&self, d: NaiveDate) -> Value {
        let b = base();
        let n = epoch_days(d);
        let empty = self.empty(d);
        let mut v = b.summary.clone();
        let hd = self.heart_day(d);
        if empty {
            v["activities"] = json!([]);
        } else if let Some(acts) = v["activities"].as_array_mut() {
            for a in acts {
                a["startDate"] = json!(d.to_string());
                a["logId"] = json!(a["logId"].as_i64().unwrap_or(1) + n);
            }
        }
        let s = &mut v["summary"];
        let bmr = s["caloriesBMR"].as_i64().unwrap_or(1440);
        let cal = (self.total("calories", d).round() as i64).max(bmr);
        let dist = round(self.total("distance", d), 2);
        s["steps"] = json!(self.total("steps", d) as i64);
        s["caloriesOut"] = json!(cal);
        s["activityCalories"] = json!(cal - bmr);
        s["floors"] = json!(self.total("floors", d) as i64);
        s["elevation"] = num(round(self.total("elevation", d), 2));
        let base_total = s["distances"][0]["distance"]
            .as_f64()
            .filter(|x| *x > 0.0)
            .unwrap_or(1.0);
        if let Some(ds) = s["distances"].as_array_mut() {
            for x in ds.iter_mut() {
                x["distance"] = match x["activity"].as_str() {
                    Some("total") | Some("tracker") => num(dist),
                    _ => num(round(
                        x["distance"].as_f64().unwrap_or(0.0) * dist / base_total,
                        2,
                    )),
                };
            }
            if n.rem_euclid(3) == 0 {
                ds.rotate_left(1); // "total" is not always the first entry
            }
        }
        let (very, fairly, lightly) = if empty {
            (0, 0, 0)
        } else {
            (
                n.rem_euclid(29),
                24 + n.rem_euclid(37),
                150 + n.rem_euclid(53),
            )
        };
        s["veryActiveMinutes"] = json!(very);
        s["fairlyActiveMinutes"] = json!(fairly);
        s["lightlyActiveMinutes"] = json!(lightly);
        s["sedentaryMinutes"] = json!(if empty { 1440 } else { 300 + n.rem_euclid(101) });
        s["heartRateZones"] = hd["value"]["heartRateZones"].clone();
        let o = s.as_object_mut().unwrap();
        match hd["value"].get("restingHeartRate") {
            Some(r) => o.insert("restingHeartRate".into(), r.clone()),
            None => o.remove("restingHeartRate"),
        };
        v
    }

    fn sleep_logs(&self, d: NaiveDate) -> Vec<Value> {
        if self.empty(d) {
            return vec![];
        }
        let b = base();
        let n = epoch_days(d);
        let mut s = b.sleep.clone();
        let t0 = s["dateOfSleep"]
            .as_str()
            .and_then(|x| x.parse::<NaiveDate>().ok())
            .unwrap_or(d);
        let shift = (d - t0) + Duration::minutes(n.rem_euclid(61) - 30);
        let mv = |x: &mut Value| {
            if let Some(t) = x
                .as_str()
                .and_then(|t| NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f").ok())
            {
                *x = json!((t + shift).format("%Y-%m-%dT%H:%M:%S%.3f").to_string());
            }
        };
        mv(&mut s["startTime"]);
        mv(&mut s["endTime"]);
        for k in ["data", "shortData"] {
            if let Some(a) = s["levels"][k].as_array_mut() {
                a.iter_mut().for_each(|x| mv(&mut x["dateTime"]));
            }
        }
        s["dateOfSleep"] = json!(d.to_string());
        s["logId"] = json!(s["logId"].as_i64().unwrap_or(1) + n);
        s["efficiency"] = json!(85 + n.rem_euclid(10));
        vec![s]
    }

    fn sleep_body(&self, logs: &[Value]) -> Value {
        let mut stages = serde_json::Map::new();
        let (mut asleep, mut bed) = (0, 0);
        for l in logs {
            asleep += l["minutesAsleep"].as_i64().unwrap_or(0);
            bed += l["timeInBed"].as_i64().unwrap_or(0);
            if let Some(m) = l["levels"]["summary"].as_object() {
                for (k, x) in m {
                    let prev = stages.get(k).and_then(Value::as_i64).unwrap_or(0);
                    stages.insert(k.clone(), json!(prev + x["minutes"].as_i64().unwrap_or(0)));
                }
            }
        }
        let mut summary = json!({"totalMinutesAsleep": asleep, "totalSleepRecords": logs.len(), "totalTimeInBed": bed});
        if !stages.is_empty() {
            summary["stages"] = Value::Object(stages);
        }
        json!({"sleep": logs, "summary": summary})
    }

    /// The value of one daily family item (`None` = no data that day).
    fn family(&self, fam: &str, d: NaiveDate) -> Option<Value> {
        if self.empty(d) {
            return None;
        }
        let n = epoch_days(d);
        let ds = d.to_string();
        Some(match fam {
            "spo2" => {
                let avg = round(94.0 + n.rem_euclid(40) as f64 / 10.0, 1);
                json!({"dateTime": ds, "value": {"avg": avg, "min": round(avg - 3.1, 1), "max": round((avg + 2.2).min(100.0), 1)}})
            }
            "br" => {
                json!({"value": {"breathingRate": round(13.0 + n.rem_euclid(50) as f64 / 10.0, 1)}, "dateTime": ds})
            }
            "hrv" => {
                let r = round(30.0 + n.rem_euclid(20000) as f64 / 1000.0, 3);
                json!({"value": {"dailyRmssd": r, "deepRmssd": round(r - 3.371, 3)}, "dateTime": ds})
            }
            "cardioscore" => {
                let lo = 40 + n.rem_euclid(8);
                let v = if n.rem_euclid(3) == 0 {
                    lo.to_string()
                } else {
                    format!("{lo}-{}", lo + 4)
                };
                json!({"dateTime": ds, "value": {"vo2Max": v}})
            }
            "temp" => {
                json!({"dateTime": ds, "value": {"nightlyRelative": (n.rem_euclid(21) - 10) as f64 / 10.0}, "logType": "dedicated_temp_sensor"})
            }
            _ => return None,
        })
    }

    fn date(&self, s: &str) -> Result<NaiveDate, Resp> {
        if s == "today" {
            return Ok(self.today());
        }
        s.parse()
            .map_err(|_| validation(&format!("Invalid date:{s}")))
    }

    /// `a` is the start date and `b` an end date, or `a` is the end date and `b` a period.
    fn range(&self, a: &str, b: &str, max_days: i64) -> Result<Vec<NaiveDate>, Resp> {
        let days = match b {
            "1d" => Some(1),
            "7d" | "1w" => Some(7),
            "30d" => Some(30),
            "1m" => Some(31),
            "3m" => Some(92),
            "6m" => Some(183),
            "1y" => Some(365),
            _ => None,
        };
        let (start, end) = match days {
            Some(k) => {
                let e = self.date(a)?;
                (e - Duration::days(k - 1), e)
            }
            None => (self.date(a)?, self.date(b)?),
        };
        if end < start {
            return Err(validation(
                "Invalid date range: end date is before start date",
            ));
        }
        if let Some(n) = self.limit_422
            && (end - start).num_days() + 1 > n
        {
            return Err(resp(
                422,
                fixture_error(
                    "error-422-too-many-data-points.json",
                    errors(
                        "validation",
                        Some("Request"),
                        "The number of data points queried exceeds limit.",
                    ),
                ),
            ));
        }
        if (end - start).num_days() + 1 > max_days {
            return Err(validation(&format!(
                "The date range exceeds the maximum of {max_days} days"
            )));
        }
        Ok(start.iter_days().take_while(|x| *x <= end).collect())
    }

    fn intraday_body(&self, res: &str, d: NaiveDate, detail: &str) -> Value {
        let pts = self.points(res, d, detail);
        let (interval, kind) = match detail {
            "1sec" => (1, "second"),
            "5min" => (5, "minute"),
            "15min" => (15, "minute"),
            _ => (1, "minute"),
        };
        let int_values = matches!(res, "steps" | "floors" | "heart");
        let dataset: Vec<Value> = pts
            .iter()
            .map(|p| {
                let value = if int_values {
                    json!(p.v.round() as i64)
                } else {
                    num(p.v)
                };
                if res == "calories" {
                    json!({"level": p.level, "mets": p.mets, "time": hms(p.sec), "value": value})
                } else {
                    json!({"time": hms(p.sec), "value": value})
                }
            })
            .collect();
        let summary = if res == "heart" {
            self.heart_day(d)
        } else {
            let sum: f64 = pts.iter().map(|p| p.v).sum();
            let s = if res == "calories" {
                format!("{}", sum.round())
            } else {
                num_str(sum)
            };
            json!({"dateTime": d.to_string(), "value": s})
        };
        let mut o = serde_json::Map::new();
        o.insert(format!("activities-{res}"), json!([summary]));
        o.insert(
            format!("activities-{res}-intraday"),
            json!({"dataset": dataset, "datasetInterval": interval, "datasetType": kind}),
        );
        Value::Object(o)
    }

    fn timeseries_value(&self, res: &str, d: NaiveDate) -> Option<String> {
        let s = self.daily_summary(d)["summary"].clone();
        let key = match res {
            "steps" | "floors" | "elevation" | "activityCalories" => res,
            "calories" => "caloriesOut",
            "minutesSedentary" => "sedentaryMinutes",
            "minutesLightlyActive" => "lightlyActiveMinutes",
            "minutesFairlyActive" => "fairlyActiveMinutes",
            "minutesVeryActive" => "veryActiveMinutes",
            "distance" => {
                let total = s["distances"]
                    .as_array()?
                    .iter()
                    .find(|x| x["activity"] == "total")?["distance"]
                    .clone();
                return Some(num_str(total.as_f64()?));
            }
            _ => return None,
        };
        Some(num_str(s[key].as_f64()?))
    }

    fn route(&self, url: &str, last_sync: Option<NaiveDateTime>) -> Result<Value, Resp> {
        let (path, query) = url.split_once('?').unwrap_or((url, ""));
        if query.split('&').any(|kv| kv.starts_with("timezone=")) {
            return Err(resp(
                400,
                errors(
                    "validation",
                    Some("timezone"),
                    "The simulator does not support the timezone parameter",
                ),
            ));
        }
        let nf = || resp(404, not_found_body());
        let segs: Vec<&str> = path
            .strip_suffix(".json")
            .ok_or_else(nf)?
            .trim_start_matches('/')
            .split('/')
            .collect();
        let obj = |k: &str, v: Vec<Value>| {
            let mut o = serde_json::Map::new();
            o.insert(k.to_string(), Value::Array(v));
            Value::Object(o)
        };
        Ok(match segs.as_slice() {
            ["1", "user", "-", "profile"] => self.profile(),
            ["1", "user", "-", "devices"] => {
                if self.devices_forbidden {
                    return Err(error_for(403));
                }
                let t = last_sync.unwrap_or_else(|| self.now_local());
                let mut list = vec![
                    json!({"battery": "High", "batteryLevel": 87, "deviceVersion": "Charge 6", "features": [], "id": "2750123456",
                    "lastSyncTime": t.format("%Y-%m-%dT%H:%M:%S%.3f").to_string(), "mac": "AABBCCDDEEFF", "type": "TRACKER"}),
                ];
                if let Some(s) = self.scale_sync {
                    list.push(json!({"battery": "Medium", "batteryLevel": 50, "deviceVersion": "Aria 2", "features": [], "id": "9990001",
                        "lastSyncTime": s.format("%Y-%m-%dT%H:%M:%S%.3f").to_string(), "mac": "112233445566", "type": "SCALE"}));
                }
                Value::Array(list)
            }
            ["1", "user", "-", "activities", "date", d] => self.daily_summary(self.date(d)?),
            ["1", "user", "-", "activities", "heart", "date", a, b] => {
                let days = self.range(a, b, 366)?;
                obj(
                    "activities-heart",
                    days.into_iter().map(|d| self.heart_day(d)).collect(),
                )
            }
            ["1", "user", "-", "activities", res, "date", d, "1d", detail]
                if INTRADAY.contains(res)
                    && (matches!(*detail, "1min" | "5min" | "15min")
                        || (*res == "heart" && *detail == "1sec")) =>
            {
                self.intraday_body(res, self.date(d)?, detail)
            }
            ["1", "user", "-", "activities", res, "date", a, b]
                if self.timeseries_value(res, self.member_since).is_some() =>
            {
                let days = self.range(a, b, 1095)?;
                let items = days.into_iter().map(|d| json!({"dateTime": d.to_string(), "value": self.timeseries_value(res, d)})).collect();
                obj(&format!("activities-{res}"), items)
            }
            ["1.2", "user", "-", "sleep", "date", d] => {
                self.sleep_body(&self.sleep_logs(self.date(d)?))
            }
            ["1.2", "user", "-", "sleep", "date", a, b] => {
                let days = self.range(a, b, 100)?;
                json!({"sleep": days.into_iter().rev().flat_map(|d| self.sleep_logs(d)).collect::<Vec<_>>()})
            }
            ["1", "user", "-", "spo2", "date", d] => self
                .family("spo2", self.date(d)?)
                .unwrap_or_else(|| json!({})),
            ["1", "user", "-", "spo2", "date", a, b] => json!(
                self.range(a, b, 30)?
                    .into_iter()
                    .filter_map(|d| self.family("spo2", d))
                    .collect::<Vec<_>>()
            ),
            [
                "1",
                "user",
                "-",
                fam @ ("br" | "hrv" | "cardioscore"),
                "date",
                rest @ ..,
            ]
            | ["1", "user", "-", fam @ "temp", "skin", "date", rest @ ..] => {
                let days = match rest {
                    [d] => vec![self.date(d)?],
                    [a, b] => self.range(a, b, 30)?,
                    _ => return Err(nf()),
                };
                let key = match *fam {
                    "cardioscore" => "cardioScore",
                    "temp" => "tempSkin",
                    f => f,
                };
                obj(
                    key,
                    days.into_iter()
                        .filter_map(|d| self.family(fam, d))
                        .collect(),
                )
            }
            _ => return Err(nf()),
        })
    }

    fn profile(&self) -> Value {
        let mut p = base().profile.clone();
        let now = Utc::now();
        let off = self
            .tz
            .offset_from_utc_datetime(&now.naive_utc())
            .fix()
            .local_minus_utc() as i64
            * 1000;
        let u = &mut p["user"];
        u["encodedId"] = json!(USER_ID);
        u["displayName"] = json!("Sim");
        u["fullName"] = json!("Sim User");
        u["timezone"] = json!(self.tz.name());
        u["offsetFromUTCMillis"] = json!(off);
        u["memberSince"] = json!(self.member_since.to_string());
        p
    }
}

// ---------------------------------------------------------------- base data (fixtures or formulas)

struct Base {
    steps: Vec<f64>,
    calories: Vec<(i64, i64, f64)>,
    distance: Vec<f64>,
    floors: Vec<f64>,
    elevation: Vec<f64>,
    heart: Vec<Option<f64>>,
    heart_sec: Vec<(u32, f64)>,
    summary: Value,
    heart_days: Vec<Value>,
    sleep: Value,
    profile: Value,
}

/// The fixtures folder (`fitbit-web-api/` inside `SYNCBIT_FIXTURES` or
/// `<manifest>/../shared/fixtures`), if present.
pub fn fixtures_dir() -> Option<PathBuf> {
    let root = std::env::var_os("SYNCBIT_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures"))
        });
    [root.join("fitbit-web-api"), root]
        .into_iter()
        .find(|d| d.join("profile-asia-tokyo-2024.json").is_file())
}

fn read_fixture(name: &str) -> Option<Value> {
    let text = std::fs::read_to_string(fixtures_dir()?.join(name)).ok()?;
    serde_json::from_str(&text).ok()
}

fn base() -> &'static Base {
    static B: OnceLock<Base> = OnceLock::new();
    B.get_or_init(Base::load)
}

/// `(second of day, item)` of an intraday fixture's dataset.
fn fixture_dataset(name: &str, res: &str) -> Option<Vec<(u32, Value)>> {
    let v = read_fixture(name)?;
    let ds = v[format!("activities-{res}-intraday")]["dataset"].as_array()?;
    Some(
        ds.iter()
            .filter_map(|x| Some((parse_hms(x["time"].as_str()?)?, x.clone())))
            .collect(),
    )
}

fn per_minute(ds: &Option<Vec<(u32, Value)>>) -> Option<Vec<Option<Value>>> {
    let mut out = vec![None; 1440];
    for (s, x) in ds.as_ref()? {
        out[(*s / 60).min(1439) as usize] = Some(x.clone());
    }
    Some(out)
}

fn floats(ds: Option<Vec<(u32, Value)>>) -> Option<Vec<f64>> {
    Some(
        per_minute(&ds)?
            .into_iter()
            .map(|x| x.and_then(|x| x["value"].as_f64()).unwrap_or(0.0))
            .collect(),
    )
}

/// Synthetic steps of minute `m` (used when fixtures are absent).
fn formula_steps(m: usize) -> f64 {
    if (7 * 60..22 * 60).contains(&m) && m % 7 < 3 {
        ((m * 37) % 90 + 10) as f64
    } else {
        0.0
    }
}

impl Base {
    fn load() -> Base {
        let minutes = 0..1440usize;
        let steps = floats(fixture_dataset(
            "steps-intraday-1min-2021-12-04.json",
            "steps",
        ))
        .unwrap_or_else(|| minutes.clone().map(formula_steps).collect());
        let calories = per_minute(&fixture_dataset(
            "calories-intraday-1min-2021-12-04.json",
            "calories",
        ))
        .map(|v| {
            v.into_iter()
                .map(|x| {
                    x.map_or((0, 10, 1.0), |x| {
                        (
                            x["level"].as_i64().unwrap_or(0),
                            x["mets"].as_i64().unwrap_or(10),
                            x["value"].as_f64().unwrap_or(0.0),
                        )
                    })
                })
                .collect()
        })
        .unwrap_or_else(|| {
            minutes
                .clone()
                .map(|m| {
                    let s = formula_steps(m);
                    let level = if s == 0.0 {
                        0
                    } else if s < 60.0 {
                        1
                    } else {
                        2
                    };
                    (level, 10 + s as i64 / 3, round(1.0367 + s * 0.05, 4))
                })
                .collect()
        });
        let distance = floats(fixture_dataset(
            "distance-intraday-1min-2021-12-04.json",
            "distance",
        ))
        .unwrap_or_else(|| {
            minutes
                .clone()
                .map(|m| round(formula_steps(m) * 0.00075, 6))
                .collect()
        });
        let floors = floats(fixture_dataset(
            "floors-intraday-1min-2021-10-31-partial-day.json",
            "floors",
        ))
        .unwrap_or_else(|| {
            minutes
                .clone()
                .map(|m| if m % 97 == 1 && m > 420 { 1.0 } else { 0.0 })
                .collect()
        });
        let elevation = floats(fixture_dataset(
            "elevation-intraday-1min-2021-10-31-partial-day.json",
            "elevation",
        ))
        .unwrap_or_else(|| floors.iter().map(|f| f * 3.0).collect());
        let heart = per_minute(&fixture_dataset(
            "heart-intraday-1min-2021-11-27.json",
            "heart",
        ))
        .map(|v| {
            v.into_iter()
                .map(|x| x.and_then(|x| x["value"].as_f64()))
                .collect()
        })
        .unwrap_or_else(|| {
            minutes
                .clone()
                .map(|m| {
                    (!(200..223).contains(&m)).then(|| {
                        58.0 + (m * 13 % 25) as f64
                            + if formula_steps(m) > 0.0 { 30.0 } else { 0.0 }
                    })
                })
                .collect()
        });
        let heart_sec = fixture_dataset("heart-intraday-1sec-2017-06-10.json", "heart")
            .map(|v| {
                v.into_iter()
                    .filter_map(|(s, x)| Some((s, x["value"].as_f64()?)))
                    .collect()
            })
            .unwrap_or_else(|| {
                (0..86400u32)
                    .step_by(5)
                    .filter(|s| s % 3600 < 3300)
                    .map(|s| (s, 58.0 + (s / 5 * 7 % 23) as f64))
                    .collect()
            });
        let summary = read_fixture("activities-daily-summary-2021-10-31.json").unwrap_or_else(|| {
            json!({"activities": [], "goals": {"activeMinutes": 30, "caloriesOut": 2500, "distance": 8.05, "floors": 10, "steps": 10000},
                "summary": {"activeScore": -1, "activityCalories": 0, "caloriesBMR": 1606, "caloriesOut": 0,
                    "distances": [{"activity": "total", "distance": 1.22}, {"activity": "tracker", "distance": 1.22},
                        {"activity": "loggedActivities", "distance": 0}, {"activity": "veryActive", "distance": 0},
                        {"activity": "moderatelyActive", "distance": 0.1}, {"activity": "lightlyActive", "distance": 1.1},
                        {"activity": "sedentaryActive", "distance": 0.02}],
                    "elevation": 0, "fairlyActiveMinutes": 0, "floors": 0, "heartRateZones": [], "lightlyActiveMinutes": 0,
                    "marginalCalories": 640, "restingHeartRate": 60, "sedentaryMinutes": 0, "steps": 0, "veryActiveMinutes": 0}})
        });
        let heart_days = read_fixture("heart-timeseries-2017-08-15_2017-08-21.json")
            .and_then(|v| v["activities-heart"].as_array().cloned())
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| {
                vec![json!({"dateTime": "2017-08-15", "value": {"customHeartRateZones": [], "heartRateZones": [
                    {"caloriesOut": 2257.6846, "max": 92, "min": 30, "minutes": 1264, "name": "Out of Range"},
                    {"caloriesOut": 275.189, "max": 128, "min": 92, "minutes": 38, "name": "Fat Burn"},
                    {"caloriesOut": 505.5534, "max": 156, "min": 128, "minutes": 43, "name": "Cardio"},
                    {"caloriesOut": 287.33136, "max": 220, "min": 156, "minutes": 21, "name": "Peak"}], "restingHeartRate": 51}})]
            });
        let sleep = read_fixture("sleep-log-v1.2-2021-11-27.json").map(|v| v["sleep"][0].clone()).filter(Value::is_object).unwrap_or_else(|| {
            json!({"dateOfSleep": "2021-11-27", "duration": 26700000, "efficiency": 93, "endTime": "2021-11-27T06:01:30.000", "infoCode": 0,
                "isMainSleep": true, "logId": 34702752005_i64, "logType": "auto_detected", "minutesAfterWakeup": 0, "minutesAsleep": 384, "minutesAwake": 61,
                "minutesToFallAsleep": 0, "startTime": "2021-11-26T22:36:00.000", "timeInBed": 445, "type": "stages",
                "levels": {"summary": {"deep": {"count": 4, "minutes": 60, "thirtyDayAvgMinutes": 0}, "light": {"count": 28, "minutes": 258, "thirtyDayAvgMinutes": 0},
                    "rem": {"count": 14, "minutes": 66, "thirtyDayAvgMinutes": 0}, "wake": {"count": 37, "minutes": 61, "thirtyDayAvgMinutes": 0}},
                    "data": [{"dateTime": "2021-11-26T22:36:00.000", "level": "wake", "seconds": 30}, {"dateTime": "2021-11-26T22:36:30.000", "level": "light", "seconds": 990},
                        {"dateTime": "2021-11-26T22:53:00.000", "level": "deep", "seconds": 3600}, {"dateTime": "2021-11-26T23:53:00.000", "level": "rem", "seconds": 3960},
                        {"dateTime": "2021-11-27T00:59:00.000", "level": "light", "seconds": 18150}],
                    "shortData": [{"dateTime": "2021-11-26T23:22:30.000", "level": "wake", "seconds": 30}]}})
        });
        let profile = read_fixture("profile-asia-tokyo-2024.json").unwrap_or_else(|| {
            json!({"user": {"encodedId": USER_ID, "displayName": "Sim", "timezone": "Europe/Berlin", "offsetFromUTCMillis": 3600000,
                "memberSince": "2015-03-01", "distanceUnit": "METRIC", "locale": "de_DE", "startDayOfWeek": "MONDAY"}})
        });
        Base {
            steps,
            calories,
            distance,
            floors,
            elevation,
            heart,
            heart_sec,
            summary,
            heart_days,
            sleep,
            profile,
        }
    }
}
