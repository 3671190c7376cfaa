//! HTTP to the Fitbit Web API: bearer auth with refresh, the hourly budget of the
//! `Fitbit-Rate-Limit-*` headers with its reserve and saved pause, and the error statuses.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::tokens::{OAuthClient, TokenStore};
use crate::config::fitbit::FitbitSettings;
use crate::source::SourceError;
use crate::source::http::{self, Failure, Policy};

/// Requests per hour of the Fitbit Web API when the API has not said.
pub const HOURLY_LIMIT: u64 = 150;

/// What exit 69 says.
pub const GONE: &str = "the Fitbit Web API answered 410 Gone: it was shut down on 2026-11-02.\n\
    Switch to the Google Health API: set SYNCBIT_SOURCE=google-health, GOOGLE_CLIENT_ID and \
    GOOGLE_CLIENT_SECRET, then run `syncbit auth login` (README: Getting your data today)";

/// The reserve for `policy` (`None`: automatic) under an hourly `limit`: the fixed value, or a
/// tenth of the limit, at most 10.
pub fn effective_reserve(policy: Option<u64>, limit: Option<u64>) -> u64 {
    policy.unwrap_or_else(|| limit.map_or(10, |l| (l / 10).min(10)))
}

/// Rate-limit budget as last reported by `Fitbit-Rate-Limit-*` headers.
#[derive(Clone, Copy, Debug, Default)]
pub struct Quota {
    /// `Fitbit-Rate-Limit-Limit` (150 for the real API).
    pub limit: Option<u64>,
    /// `Fitbit-Rate-Limit-Remaining`: calls left in this window.
    pub remaining: Option<u64>,
    /// When the window resets (now + `Fitbit-Rate-Limit-Reset` seconds).
    pub reset_at: Option<DateTime<Utc>>,
}

impl Quota {
    /// The reset instant, or the next top of the hour when the API did not say.
    pub fn resume_at(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.reset_at.unwrap_or_else(|| next_hour(now))
    }
}

fn next_hour(now: DateTime<Utc>) -> DateTime<Utc> {
    let secs = now.timestamp();
    DateTime::from_timestamp(secs - secs.rem_euclid(3600) + 3600, 0).unwrap_or(now)
}

/// What the client keeps between runs, in the state file's `quota` entry of this source.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct Memo {
    /// No request before this instant (the hour's budget was spent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limited_until: Option<DateTime<Utc>>,
    /// The budget as last reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<Budget>,
}

/// The last reported budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Budget {
    /// `Fitbit-Rate-Limit-Remaining`.
    pub remaining: u64,
    /// When the window resets.
    pub resets_at: DateTime<Utc>,
    /// `Fitbit-Rate-Limit-Limit`, when reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
}

/// What a GET brought.
pub enum Got {
    /// A 2xx body.
    Body(Vec<u8>),
    /// 422: the range holds too many data points; a shorter one may work.
    TooManyPoints(String),
}

/// A blocking Fitbit Web API client for one user.
pub struct Client {
    agent: ureq::Agent,
    base: String,
    oauth: OAuthClient,
    token_file: std::path::PathBuf,
    tokens: Option<TokenStore>,
    /// The budget as last reported.
    pub quota: Quota,
    /// Calls of the hour's budget to leave unused; `None`: a tenth of the hourly limit, at
    /// most 10.
    pub reserve: Option<u64>,
    /// No request before this instant.
    pub pause: Option<DateTime<Utc>>,
    /// Data requests sent in this run (each attempt counts).
    pub requests: u64,
    policy: Policy,
}

impl Client {
    /// A client for the settings' API; the token file is read at the first request.
    pub fn new(s: &FitbitSettings, agent: ureq::Agent) -> Client {
        Client {
            agent,
            base: s.api_base.trim_end_matches('/').to_string(),
            oauth: OAuthClient::from_settings(s),
            token_file: s.token_file.clone(),
            tokens: None,
            quota: Quota::default(),
            reserve: Some(0),
            pause: None,
            requests: 0,
            policy: Policy::api(),
        }
    }

    /// The saved budget and pause of an earlier run; an expired window is forgotten except
    /// for its hourly limit.
    pub fn restore(&mut self, memo: Memo, now: DateTime<Utc>) {
        self.pause = memo.rate_limited_until.filter(|t| *t > now);
        if let Some(b) = memo.budget {
            self.quota.limit = b.limit;
            if b.resets_at > now {
                self.quota.remaining = Some(b.remaining);
                self.quota.reset_at = Some(b.resets_at);
            }
        }
    }

    /// What to save for the next run.
    pub fn memo(&self, now: DateTime<Utc>) -> Memo {
        Memo {
            rate_limited_until: self.pause.filter(|t| *t > now),
            budget: self.quota.remaining.map(|remaining| Budget {
                remaining,
                resets_at: self.quota.resume_at(now),
                limit: self.quota.limit,
            }),
        }
    }

    /// Whether requests may be made now: no saved pause, and (for a backfill's reserve) more
    /// than the reserve left in the saved window.
    ///
    /// Errors: [`SourceError::RateLimited`].
    pub fn ready(&self, now: DateTime<Utc>) -> Result<(), SourceError> {
        if let Some(until) = self.pause.filter(|t| *t > now) {
            return Err(spent(until));
        }
        let reserve = self.reserve();
        if let (Some(left), Some(reset)) = (self.quota.remaining, self.quota.reset_at)
            && reset > now
            && reserve > 0
            && left <= reserve
        {
            crate::info!(
                "{left} requests left this hour, the reserve is {reserve}: leaving them to the timers"
            );
            return Err(if left > 0 {
                at_reserve(reset)
            } else {
                spent(reset)
            });
        }
        Ok(())
    }

    fn store(&mut self) -> Result<&mut TokenStore, SourceError> {
        if self.tokens.is_none() {
            self.tokens = Some(TokenStore::load(&self.token_file)?);
        }
        Ok(self.tokens.as_mut().expect("loaded"))
    }

    /// The token store (read from disk on first use).
    ///
    /// Errors: `Unauthorized` without a usable token file.
    pub fn tokens(&mut self) -> Result<&TokenStore, SourceError> {
        self.store().map(|s| &*s)
    }

    /// GET `path` (starting with `/`).
    ///
    /// Refreshes the access token first when it is (nearly) expired, and once after a 401.
    /// Retries 5xx and connection errors with backoff. Errors: see [`SourceError`].
    pub fn get(&mut self, path: &str) -> Result<Got, SourceError> {
        let (oauth, agent) = (self.oauth.clone(), self.agent.clone());
        let store = self.store()?;
        if store.tokens.needs_refresh(Utc::now()) {
            store.refresh(&oauth, &agent, None)?;
        }
        let url = format!("{}{}", self.base, path);
        let what = format!("the Fitbit Web API ({path})");
        let mut refreshed = false;
        loop {
            self.check_budget()?;
            let token = self.store()?.tokens.access_token.clone();
            let bearer = format!("Bearer {token}");
            crate::debug!("GET {path}");
            let policy = self.policy.clone();
            let (quota, requests, pause) = (&mut self.quota, &mut self.requests, &mut self.pause);
            let (tries, result) = policy.run(&what, || {
                *requests += 1;
                let a = http::send(agent.get(&url).set("Authorization", &bearer), None)?;
                read_quota(quota, &a);
                if a.ok() {
                    Ok(a)
                } else {
                    Err(Failure::Status(a))
                }
            });
            let a = match result {
                Ok(a) => return Ok(Got::Body(a.body)),
                Err(Failure::Transport(t)) => {
                    return Err(SourceError::Unreachable(format!(
                        "cannot reach the Fitbit Web API at {}: {t}; try again later",
                        crate::config::sink::redact_url(&self.base)
                    )));
                }
                Err(Failure::Status(a)) => a,
            };
            let body = a.text();
            match a.status {
                401 if !refreshed => {
                    refreshed = true;
                    self.store()?.refresh(&oauth, &agent, Some(&token))?;
                }
                401 => {
                    return Err(SourceError::Unauthorized(format!(
                        "the Fitbit Web API refused a freshly refreshed access token ({}); \
                         run `syncbit auth login` to authorize again (tokens go to {})",
                        error_kind(&body),
                        self.token_file.display()
                    )));
                }
                410 => return Err(SourceError::Gone(GONE.to_string())),
                429 => {
                    let now = Utc::now();
                    let resume_at = match a
                        .header("Retry-After")
                        .and_then(|v| v.trim().parse::<i64>().ok())
                    {
                        Some(s) => now + Duration::seconds(s.max(1)),
                        None => quota.resume_at(now),
                    };
                    quota.remaining = Some(0);
                    quota.reset_at = Some(resume_at);
                    *pause = Some(resume_at);
                    return Err(spent(resume_at));
                }
                403 => {
                    return Err(SourceError::Forbidden(format!(
                        "the Fitbit Web API refused {path} (403 {}): the token lacks the scope, or the \
                         app has no intraday access",
                        error_kind(&body)
                    )));
                }
                422 => {
                    return Ok(Got::TooManyPoints(format!(
                        "the Fitbit Web API refused {path} with 422 ({}): too many data points",
                        error_kind(&body)
                    )));
                }
                status @ 500..=599 => {
                    return Err(SourceError::Unavailable(format!(
                        "the Fitbit Web API answered {status} for {path} {}; try again later",
                        crate::engine::progress::count(tries as u64, "time")
                    )));
                }
                status => {
                    return Err(SourceError::Invalid(format!(
                        "the Fitbit Web API answered {status} for {path}: {}",
                        error_kind(&body)
                    )));
                }
            }
        }
    }

    /// The reserve in force: the fixed one, or a tenth of the hourly limit (at most 10).
    pub fn reserve(&self) -> u64 {
        effective_reserve(self.reserve, self.quota.limit)
    }

    /// Whether `n` more requests leave at least the reserve (true while the budget is unknown).
    pub fn can_afford(&self, n: u64) -> bool {
        let reserve = self.reserve();
        self.quota.remaining.is_none_or(|left| left >= reserve + n)
    }

    /// The error for a job of `n` requests that does not fit before the reserve.
    pub fn reserve_stop(&self) -> SourceError {
        at_reserve(self.quota.resume_at(Utc::now()))
    }

    fn check_budget(&mut self) -> Result<(), SourceError> {
        if let Some(left) = self.quota.remaining
            && left <= self.reserve()
        {
            let resume_at = self.quota.resume_at(Utc::now());
            if left == 0 {
                self.pause = Some(resume_at);
                return Err(spent(resume_at));
            }
            return Err(at_reserve(resume_at));
        }
        Ok(())
    }
}

fn spent(resume_at: DateTime<Utc>) -> SourceError {
    SourceError::RateLimited {
        why: "Fitbit Web API rate limit reached".into(),
        resume_at,
    }
}

fn at_reserve(resume_at: DateTime<Utc>) -> SourceError {
    SourceError::RateLimited {
        why: "the hour's Fitbit Web API requests are down to the reserve left for the timers"
            .into(),
        resume_at,
    }
}

fn read_quota(quota: &mut Quota, a: &http::Answer) {
    let num = |name: &str| a.header(name).and_then(|v| v.trim().parse::<u64>().ok());
    if let Some(l) = num("Fitbit-Rate-Limit-Limit") {
        quota.limit = Some(l);
    }
    if let Some(r) = num("Fitbit-Rate-Limit-Remaining") {
        quota.remaining = Some(r);
    }
    if let Some(s) = num("Fitbit-Rate-Limit-Reset") {
        quota.reset_at = Some(Utc::now() + Duration::seconds(s as i64));
    }
}

/// The error type of a Fitbit (`errors[0].errorType: message`) or Google
/// (`error.status: message`) error body, or its absence. Messages that could carry a token are
/// cut.
pub fn error_kind(body: &str) -> String {
    let v: serde_json::Value = match serde_json::from_str(body) {
        Ok(v) => v,
        Err(_) => return "no error details".into(),
    };
    if let Some(e) = v.get("errors").and_then(|e| e.get(0)) {
        let t = e
            .get("errorType")
            .and_then(|t| t.as_str())
            .unwrap_or("error");
        let m = e.get("message").and_then(|t| t.as_str()).unwrap_or("");
        return format!("{t}: {}", safe_message(m));
    }
    if let Some(e) = v.get("error") {
        let s = e
            .get("status")
            .and_then(|t| t.as_str())
            .or_else(|| e.as_str())
            .unwrap_or("error");
        let m = e.get("message").and_then(|t| t.as_str()).unwrap_or("");
        return format!("{s}: {}", safe_message(m));
    }
    "no error details".into()
}

fn safe_message(m: &str) -> String {
    // Fitbit echoes tokens in some messages ("Access token expired: eyJ..."): keep the part
    // before the first colon only.
    m.split(':')
        .next()
        .unwrap_or("")
        .trim()
        .chars()
        .take(160)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_error_shapes() {
        let f = r#"{"errors":[{"errorType":"expired_token","message":"Access token expired: eyJabc"}],"success":false}"#;
        assert_eq!(error_kind(f), "expired_token: Access token expired");
        let g = r#"{"error":{"code":403,"message":"The caller does not have permission","status":"PERMISSION_DENIED"}}"#;
        assert_eq!(
            error_kind(g),
            "PERMISSION_DENIED: The caller does not have permission"
        );
        assert_eq!(error_kind("<html>"), "no error details");
    }

    fn client(reserve: Option<u64>) -> Client {
        let mut c = Client::new(&FitbitSettings::default(), http::agent());
        c.reserve = reserve;
        c
    }

    #[test]
    fn a_saved_pause_stops_the_run_before_any_request() {
        let now = Utc::now();
        let mut c = client(Some(0));
        c.restore(
            Memo {
                rate_limited_until: Some(now + Duration::minutes(20)),
                budget: None,
            },
            now,
        );
        assert!(matches!(c.ready(now), Err(SourceError::RateLimited { .. })));
        assert!(c.ready(now + Duration::minutes(21)).is_ok());
    }

    #[test]
    fn the_reserve_stop_leaves_the_saved_budget_to_the_timers() {
        let now = Utc::now();
        let memo = Memo {
            rate_limited_until: None,
            budget: Some(Budget {
                remaining: 10,
                resets_at: now + Duration::minutes(30),
                limit: Some(150),
            }),
        };
        // A backfill with the default reserve (10 of 150) stops; a timer run (reserve 0) goes on.
        let mut backfill = client(None);
        backfill.restore(memo, now);
        let e = backfill.ready(now).unwrap_err();
        assert!(e.to_string().contains("reserve"), "{e}");
        let mut timer = client(Some(0));
        timer.restore(memo, now);
        assert!(timer.ready(now).is_ok());
        // A job of 7 calls needs 7 above the reserve.
        backfill.quota.remaining = Some(16);
        assert!(!backfill.can_afford(7));
        backfill.quota.remaining = Some(17);
        assert!(backfill.can_afford(7));
        // An expired window keeps only its limit.
        let mut later = client(None);
        later.restore(memo, now + Duration::hours(1));
        assert_eq!(later.quota.remaining, None);
        assert_eq!(later.reserve(), 10);
        assert_eq!(effective_reserve(None, Some(20)), 2);
    }
}
