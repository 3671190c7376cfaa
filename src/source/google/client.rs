//! HTTP to the Google Health API: bearer auth with refresh, pacing under the per-user quota,
//! one back-off for throttled answers, and what each error answer means.
//!
//! Connection errors, timeouts and 500/502 are retried by [`Policy`]. 429, 503 and 504 go
//! through the client's one back-off instead: every wait is at least 1 s and at least double
//! the one before, with jitter on top; nothing else is sent meanwhile (the client is
//! blocking), and once about 2 minutes of waiting are spent in a run the client gives up.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use chrono::Utc;

use super::tokens::{SCOPE_PREFIX, TokenStore};
use super::wire::{self, ErrorBody};
use crate::config::google::GoogleSettings;
use crate::source::SourceError;
use crate::source::http::{self, Failure, Policy};

/// Requests per minute per user that the API allows.
pub const QUOTA_PER_MINUTE: u64 = 300;
/// Requests per minute syncbit sends at most, with room for clock skew and latency.
pub const PACE_PER_MINUTE: usize = 250;
/// The first wait after a throttled answer.
pub const FIRST_WAIT: Duration = Duration::from_secs(1);
/// The most a run waits for throttled answers, in all.
pub const WAIT_BUDGET: Duration = Duration::from_secs(120);

const MINUTE: Duration = Duration::from_secs(60);

/// Keeps calls under [`PACE_PER_MINUTE`] in any 60 s, and after a 429 at the rate the API
/// turned out to allow.
#[derive(Debug)]
struct Pacer {
    sent: VecDeque<Instant>,
    per_minute: usize,
    /// The least time between two calls; zero until a 429 shows the quota is smaller.
    gap: Duration,
    /// Start of the current stretch of accepted calls, and how many were accepted.
    stretch: (Instant, u32),
}

impl Pacer {
    fn new() -> Pacer {
        Pacer {
            sent: VecDeque::new(),
            per_minute: PACE_PER_MINUTE,
            gap: Duration::ZERO,
            stretch: (Instant::now(), 0),
        }
    }

    /// Wait until a call may go out, and count it.
    fn admit(&mut self) {
        let now = Instant::now();
        while self.sent.front().is_some_and(|t| now - *t >= MINUTE) {
            self.sent.pop_front();
        }
        let mut at = now;
        if self.sent.len() >= self.per_minute {
            at = at.max(self.sent[self.sent.len() - self.per_minute] + MINUTE);
        }
        if let Some(last) = self.sent.back() {
            at = at.max(*last + self.gap);
        }
        if at > now {
            crate::interrupt::sleep(at - now);
        }
        self.sent.push_back(Instant::now());
    }

    fn accepted(&mut self) {
        self.stretch.1 += 1;
    }

    /// The first accepted call after 429s: the calls of the stretch took it until now, so space
    /// them out at least that much from now on.
    fn recovered_from_quota(&mut self) {
        let (since, n) = self.stretch;
        // Few calls say little about the real limit (and the stretch includes waits): learn
        // only from a real stretch, and never pace slower than 100 calls a minute.
        if n < 10 {
            self.stretch = (Instant::now(), 0);
            return;
        }
        let per_call = since.elapsed() / n;
        self.gap = self.gap.max(per_call.mul_f64(1.2)).min(MINUTE / 100);
        crate::info!(
            "the Google Health API allows fewer requests than documented; pacing at one every {:.1} s",
            self.gap.as_secs_f64()
        );
        self.stretch = (Instant::now(), 0);
    }
}

/// The one back-off state of the client.
#[derive(Debug)]
struct Backoff {
    next: Duration,
    spent: Duration,
    budget: Duration,
    /// A streak of 429s is going on (the pacer learns from its end).
    quota_streak: bool,
}

impl Backoff {
    fn new() -> Backoff {
        Backoff {
            next: FIRST_WAIT,
            spent: Duration::ZERO,
            budget: WAIT_BUDGET,
            quota_streak: false,
        }
    }

    /// The wait before the next attempt, at least `floor` (a `Retry-After`); `None` when it
    /// would take the run past its budget.
    fn wait(&mut self, floor: Option<Duration>) -> Option<Duration> {
        let base = self.next.max(floor.unwrap_or_default());
        let wait = base + jitter(base / 4);
        // Each wait at least doubles the last, so a wait that would overshoot the budget ends
        // the waiting (after 50 to 120 s in all) rather than being cut short.
        if self.spent + wait > self.budget {
            return None;
        }
        self.spent += wait;
        // Double what was really waited, so jitter never makes a wait shorter than twice the last.
        self.next = wait * 2;
        Some(wait)
    }

    fn reset(&mut self) {
        self.next = FIRST_WAIT;
    }
}

/// A random duration in `[0, max]`.
fn jitter(max: Duration) -> Duration {
    use std::hash::BuildHasher;
    let r = std::collections::hash_map::RandomState::new().hash_one(Instant::now());
    max.mul_f64((r % 10_000) as f64 / 10_000.0)
}

/// What one call is for: its path after `/v4/users/me/`, the scope it needs (after
/// [`SCOPE_PREFIX`]; `None` for identity, which any scope reads), and its name in messages.
#[derive(Clone, Copy, Debug)]
pub struct Call<'a> {
    /// E.g. `dataTypes/steps/dataPoints:dailyRollUp`, with its query.
    pub path: &'a str,
    /// E.g. `sleep.readonly`.
    pub scope: Option<&'static str>,
    /// E.g. `sleep` or `steps 2026-01-01..2026-01-14`.
    pub what: &'a str,
}

/// A blocking Google Health API client for the token's user.
pub struct Client {
    agent: ureq::Agent,
    settings: GoogleSettings,
    tokens: Option<TokenStore>,
    /// Calls sent in this run (each attempt counts).
    pub requests: u64,
    pacer: Pacer,
    backoff: Backoff,
    policy: Policy,
}

impl Client {
    /// A client for the settings; the token file is read at the first call.
    pub fn new(s: &GoogleSettings, agent: ureq::Agent) -> Client {
        Client {
            agent,
            settings: s.clone(),
            tokens: None,
            requests: 0,
            pacer: Pacer::new(),
            backoff: Backoff::new(),
            policy: Policy::api(),
        }
    }

    /// Use `store` instead of reading the token file (a login's tokens before they are saved).
    pub fn preload(&mut self, store: TokenStore) {
        self.tokens = Some(store);
    }

    /// The token store, read from disk at the first use.
    ///
    /// Errors: `Unauthorized` without a usable token file, `Local` when it cannot be read.
    pub fn store(&mut self) -> Result<&mut TokenStore, SourceError> {
        if self.tokens.is_none() {
            self.tokens = Some(TokenStore::load(&self.settings.token_file)?);
        }
        Ok(self.tokens.as_mut().expect("loaded"))
    }

    /// GET a call's path.
    ///
    /// Errors: see [`Client::send`].
    pub fn get(&mut self, call: Call) -> Result<Vec<u8>, SourceError> {
        self.send(call, None)
    }

    /// POST a JSON body to a call's path.
    ///
    /// Errors: see [`Client::send`].
    pub fn post(&mut self, call: Call, body: &serde_json::Value) -> Result<Vec<u8>, SourceError> {
        let bytes = serde_json::to_vec(body).expect("JSON serializes");
        self.send(call, Some(&bytes))
    }

    /// Send one call and return the 2xx body. Refreshes the access token first when it has
    /// expired, and once after a 401.
    ///
    /// Errors: `Unauthorized` (refused tokens, `ACCOUNT_NOT_LINKED`, stale consent),
    /// `Forbidden` (the scope of the call is missing), `RateLimited` (429 beyond the wait
    /// budget), `Unavailable` (5xx after retries, or 503/504 beyond the wait budget),
    /// `Unreachable` (no answer, or a signal during a wait), `Local` (the token file),
    /// `Invalid` (any other answer).
    pub fn send(&mut self, call: Call, body: Option<&[u8]>) -> Result<Vec<u8>, SourceError> {
        let (settings, agent) = (self.settings.clone(), self.agent.clone());
        let store = self.store()?;
        if store.tokens.needs_refresh(Utc::now()) {
            store.refresh(&settings, &agent, None)?;
        }
        // Google pretty-prints JSON unless told not to: a third more bytes to read and parse.
        let url = format!(
            "{}/v4/users/me/{}{}prettyPrint=false",
            settings.api_base.trim_end_matches('/'),
            call.path,
            if call.path.contains('?') { '&' } else { '?' }
        );
        let what = format!("the Google Health API ({})", call.what);
        let mut refreshed = false;
        loop {
            let token = self.store()?.tokens.access_token.clone();
            let a = self.attempt(&url, body, &token, &what)?;
            if a.ok() {
                self.pacer.accepted();
                if std::mem::take(&mut self.backoff.quota_streak) {
                    self.pacer.recovered_from_quota();
                }
                self.backoff.reset();
                return Ok(a.body);
            }
            let err: ErrorBody = wire::parse(&a.body).unwrap_or_default();
            match a.status {
                401 if !refreshed => {
                    refreshed = true;
                    self.store()?.refresh(&settings, &agent, Some(&token))?;
                }
                429 | 503 | 504 => {
                    let quota = a.status == 429;
                    let floor = a
                        .header("Retry-After")
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    let Some(wait) = self.backoff.wait(floor) else {
                        return Err(self.gave_up(a.status, &err));
                    };
                    self.backoff.quota_streak |= quota;
                    crate::warn!(
                        "{what}: answered {} {}; waiting {:.1} s before the next request",
                        a.status,
                        err.error.status,
                        wait.as_secs_f64()
                    );
                    crate::interrupt::sleep(wait);
                    if crate::interrupt::requested().is_some() {
                        return Err(SourceError::Unreachable(
                            "interrupted while waiting for the Google Health API".into(),
                        ));
                    }
                }
                status => return Err(meaning(status, &err, call, &settings)),
            }
        }
    }

    /// One paced call with the policy's retries of transport errors and 500/502; any other
    /// answer comes back as it is.
    fn attempt(
        &mut self,
        url: &str,
        body: Option<&[u8]>,
        token: &str,
        what: &str,
    ) -> Result<http::Answer, SourceError> {
        let bearer = format!("Bearer {token}");
        let (agent, policy) = (self.agent.clone(), self.policy.clone());
        let (pacer, requests) = (&mut self.pacer, &mut self.requests);
        crate::debug!("{} {url}", if body.is_some() { "POST" } else { "GET" });
        let (tries, result) = policy.run(what, || {
            pacer.admit();
            if crate::interrupt::requested().is_some() {
                return Err(Failure::Transport("interrupted".into()));
            }
            *requests += 1;
            let req = match body {
                Some(_) => agent
                    .post(url)
                    .set("Content-Type", "application/json; charset=utf-8"),
                None => agent.get(url),
            };
            let a = http::send(req.set("Authorization", &bearer), body)?;
            if a.status >= 500 && !matches!(a.status, 503 | 504) {
                Err(Failure::Status(a))
            } else {
                Ok(a)
            }
        });
        match result {
            Ok(a) => Ok(a),
            Err(Failure::Transport(t)) => Err(SourceError::Unreachable(format!(
                "cannot reach the Google Health API at {}: {t}; try again later (and check GOOGLE_HEALTH_API_BASE_URL if it is set)",
                crate::config::sink::redact_url(&self.settings.api_base)
            ))),
            Err(Failure::Status(a)) => Err(SourceError::Unavailable(format!(
                "{what} answered {} {}; try again later",
                a.status,
                crate::engine::progress::count(tries as u64, "time")
            ))),
        }
    }

    fn gave_up(&self, status: u16, err: &ErrorBody) -> SourceError {
        let waited = self.backoff.spent.as_secs();
        if status == 429 {
            SourceError::RateLimited {
                why: format!(
                    "the Google Health API kept answering 429 {} (its quota is {QUOTA_PER_MINUTE} \
                     requests a minute per user) after {waited} s of waiting in this run",
                    err.error.status
                ),
                resume_at: Utc::now() + chrono::Duration::minutes(1),
            }
        } else {
            SourceError::Unavailable(format!(
                "the Google Health API kept answering {status} {} after {waited} s of waiting in \
                 this run; try again later",
                err.error.status
            ))
        }
    }
}

/// What a non-2xx answer other than 401-then-refresh and the throttled ones means.
fn meaning(status: u16, err: &ErrorBody, call: Call, s: &GoogleSettings) -> SourceError {
    let has = |r: &str| err.reasons().any(|x| x == r);
    let said = format!(
        "{status} {}",
        if err.error.status.is_empty() {
            "(no error details)"
        } else {
            &err.error.status
        }
    );
    if has("ACCOUNT_NOT_LINKED") {
        return SourceError::Unauthorized(format!(
            "the Google Health API answered {said} ACCOUNT_NOT_LINKED: this Google account holds \
             no Fitbit data. Link your Fitbit account to this Google account (in the Fitbit app: \
             You, then the account settings, move or link to a Google account), or run `syncbit \
             auth login` with the Google account your Fitbit data was moved to"
        ));
    }
    if has("RESOURCE_PERMISSION_DENIED") {
        return SourceError::Unauthorized(format!(
            "the Google Health API answered {said} RESOURCE_PERMISSION_DENIED although the tokens \
             work: the consent went stale. Remove syncbit's access in your Google account \
             (https://myaccount.google.com/connections), then run `syncbit auth login` again"
        ));
    }
    match status {
        401 => SourceError::Unauthorized(format!(
            "the Google Health API refused a freshly refreshed access token ({said}); run `syncbit \
             auth login` to authorize again (tokens go to {})",
            s.token_file.display()
        )),
        // A 403 that is not about a scope (the API not enabled in the Cloud project, a project
        // or billing denial) cannot be fixed by skipping a family: it needs a person.
        403 if err
            .reasons()
            .any(|r| r != "ACCESS_TOKEN_SCOPE_INSUFFICIENT" && r != "PERMISSION_DENIED") =>
        {
            let reason = err.reasons().next().unwrap_or("");
            SourceError::Unauthorized(format!(
                "the Google Health API refused {} ({said} {reason}): {}",
                call.what,
                if reason == "SERVICE_DISABLED" {
                    "enable the Google Health API (health.googleapis.com) in the Cloud project of \
                     your OAuth client, then run again"
                } else {
                    "check the Cloud project of your OAuth client (API enabled, access allowed), \
                     then run `syncbit auth login`"
                }
            ))
        }
        403 => {
            let scope = call
                .scope
                .map(|x| format!("{SCOPE_PREFIX}{x}"))
                .unwrap_or_else(|| "a Google Health scope".into());
            let reason = err.reasons().next().unwrap_or("");
            SourceError::Forbidden(format!(
                "the authorization lacks the scope {scope} ({said} {reason} for {}); run `syncbit \
                 auth login` and allow it, and check that the scope is listed on the consent \
                 screen's Data Access page",
                call.what
            ))
        }
        500..=599 => SourceError::Unavailable(format!(
            "the Google Health API answered {said} for {}; try again later",
            call.what
        )),
        _ => SourceError::Invalid(format!(
            "the Google Health API answered {said} for {}: {}{}",
            call.what,
            err.error.message.chars().take(200).collect::<String>(),
            err.reasons()
                .next()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_403_is_a_missing_scope_only_when_it_says_so() {
        let body = |reason: &str| -> ErrorBody {
            serde_json::from_str(&format!(
                r#"{{"error":{{"code":403,"status":"PERMISSION_DENIED","message":"m","details":[{{"reason":"{reason}"}}]}}}}"#
            ))
            .unwrap()
        };
        let call = Call {
            path: "dataTypes/sleep/dataPoints",
            scope: Some("sleep.readonly"),
            what: "sleep",
        };
        let s = GoogleSettings::default();
        let e = meaning(403, &body("ACCESS_TOKEN_SCOPE_INSUFFICIENT"), call, &s);
        assert!(
            matches!(&e, SourceError::Forbidden(m) if m.contains("googlehealth.sleep.readonly")),
            "{e}"
        );
        let e = meaning(403, &body("SERVICE_DISABLED"), call, &s);
        assert!(
            matches!(&e, SourceError::Unauthorized(m) if m.contains("health.googleapis.com")),
            "{e}"
        );
    }

    #[test]
    fn waits_double_with_jitter_within_the_budget() {
        let mut b = Backoff::new();
        let mut last = Duration::ZERO;
        let mut total = Duration::ZERO;
        while let Some(w) = b.wait(None) {
            assert!(w >= FIRST_WAIT && w >= last * 2, "{w:?} after {last:?}");
            last = w;
            total += w;
        }
        assert!(
            total <= WAIT_BUDGET && total >= Duration::from_secs(50),
            "{total:?}"
        );
        let mut b = Backoff::new();
        let w = b.wait(Some(Duration::from_secs(5))).unwrap();
        assert!(w >= Duration::from_secs(5));
        b.reset();
        assert!(b.wait(None).unwrap() < Duration::from_secs(2));
    }

    #[test]
    fn the_pacer_keeps_any_minute_under_the_limit() {
        let mut p = Pacer::new();
        p.per_minute = 3;
        let t = Instant::now();
        for _ in 0..3 {
            p.admit();
        }
        assert!(t.elapsed() < Duration::from_millis(100));
        p.sent
            .iter_mut()
            .for_each(|s| *s -= Duration::from_millis(59_800));
        p.admit();
        assert!(
            t.elapsed() >= Duration::from_millis(150),
            "{:?}",
            t.elapsed()
        );
    }

    fn call() -> Call<'static> {
        Call {
            path: "dataTypes/sleep/dataPoints",
            scope: Some("sleep.readonly"),
            what: "sleep",
        }
    }

    fn body(s: &str) -> ErrorBody {
        wire::parse(s.as_bytes()).unwrap()
    }

    #[test]
    fn error_answers_mean_what_the_issue_says() {
        let s = GoogleSettings::default();
        let not_linked = body(
            r#"{"error":{"code":400,"status":"FAILED_PRECONDITION","message":"x","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"ACCOUNT_NOT_LINKED"}]}}"#,
        );
        let e = meaning(400, &not_linked, call(), &s);
        assert!(
            matches!(&e, SourceError::Unauthorized(m) if m.contains("Link your Fitbit account")),
            "{e}"
        );
        let stale = body(
            r#"{"error":{"code":403,"status":"PERMISSION_DENIED","details":[{"reason":"RESOURCE_PERMISSION_DENIED"}]}}"#,
        );
        let e = meaning(403, &stale, call(), &s);
        assert!(
            matches!(&e, SourceError::Unauthorized(m) if m.contains("myaccount.google.com")),
            "{e}"
        );
        let scope = body(
            r#"{"error":{"code":403,"status":"PERMISSION_DENIED","details":[{"reason":"ACCESS_TOKEN_SCOPE_INSUFFICIENT"}]}}"#,
        );
        let e = meaning(403, &scope, call(), &s);
        assert!(
            matches!(&e, SourceError::Forbidden(m)
                if m.contains("https://www.googleapis.com/auth/googlehealth.sleep.readonly")),
            "{e}"
        );
        let e = meaning(400, &ErrorBody::default(), call(), &s);
        assert!(matches!(e, SourceError::Invalid(_)), "{e}");
    }
}
