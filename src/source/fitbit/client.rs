//! HTTP to the Fitbit Web API: bearer auth with refresh, rate-limit headers, retries, and the
//! two error shapes (Fitbit `errors[]` and Google `error{code,status}`).

use chrono::{DateTime, Duration, Utc};
use std::time::Duration as StdDuration;

use super::tokens::{OAuthClient, TokenStore};
use crate::source::SourceError;

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

/// A blocking Fitbit Web API client for one user.
pub struct Client {
    agent: ureq::Agent,
    base: String,
    oauth: OAuthClient,
    tokens: TokenStore,
    /// The budget as last reported.
    pub quota: Quota,
    /// Calls of the hour's budget to leave unused; `None`: a tenth of the hourly limit, at
    /// most 10 (10 with the real API's 150).
    pub reserve: Option<u64>,
    /// Data requests sent in this run (each attempt counts).
    pub requests: u64,
    retry_delay: StdDuration,
}

impl Client {
    /// A client for `base` (e.g. `https://api.fitbit.com`).
    pub fn new(base: &str, oauth: OAuthClient, tokens: TokenStore) -> Client {
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(StdDuration::from_secs(15))
            .timeout(StdDuration::from_secs(60))
            .redirects(0)
            .user_agent(concat!("syncbit/", env!("CARGO_PKG_VERSION")))
            .build();
        let retry_delay = std::env::var("SYNCBIT_RETRY_DELAY_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .map(StdDuration::from_millis)
            .unwrap_or(StdDuration::from_secs(2));
        Client {
            agent,
            base: base.trim_end_matches('/').to_string(),
            oauth,
            tokens,
            quota: Quota::default(),
            reserve: Some(0),
            requests: 0,
            retry_delay,
        }
    }

    /// GET `path` (starting with `/`) and parse the JSON body.
    ///
    /// Refreshes the access token first when it is (nearly) expired, and once after a 401.
    /// Retries 5xx and connection errors 3 times with backoff. Errors: see [`SourceError`].
    pub fn get_json(&mut self, path: &str) -> Result<serde_json::Value, SourceError> {
        if self.tokens.tokens.needs_refresh(Utc::now()) {
            self.tokens.refresh(&self.oauth, &self.agent, None)?;
        }
        let mut refreshed = false;
        let mut attempt = 0u32;
        loop {
            self.check_budget()?;
            attempt += 1;
            let token = self.tokens.tokens.access_token.clone();
            let url = format!("{}{}", self.base, path);
            crate::debug!("GET {path}");
            self.requests += 1;
            let result = self
                .agent
                .get(&url)
                .set("Authorization", &format!("Bearer {token}"))
                .call();
            let (status, resp) = match result {
                Ok(r) => (r.status(), r),
                Err(ureq::Error::Status(code, r)) => (code, r),
                Err(ureq::Error::Transport(t)) => {
                    if attempt < 4 {
                        crate::warn!("cannot reach the Fitbit API ({}); retrying", t.kind());
                        std::thread::sleep(self.retry_delay * 2u32.pow(attempt - 1));
                        continue;
                    }
                    return Err(SourceError::Unavailable(format!(
                        "cannot reach the Fitbit API at {}: {}; try again later",
                        self.base,
                        t.kind()
                    )));
                }
            };
            self.read_quota(&resp);
            let retry_after = resp
                .header("Retry-After")
                .and_then(|v| v.trim().parse::<i64>().ok());
            let body = resp.into_string().unwrap_or_default();
            match status {
                200..=299 => {
                    return serde_json::from_str(&body).map_err(|e| {
                        SourceError::Invalid(format!(
                            "the Fitbit API sent malformed JSON for {path}: {e}"
                        ))
                    });
                }
                401 if !refreshed => {
                    refreshed = true;
                    self.tokens
                        .refresh(&self.oauth, &self.agent, Some(&token))?;
                }
                401 => {
                    return Err(SourceError::Unauthorized(format!(
                        "the Fitbit API refused a freshly refreshed access token ({}); \
                         run `syncbit auth login` to authorize again (tokens go to {})",
                        error_kind(&body),
                        self.tokens.path.display()
                    )));
                }
                410 => return Err(SourceError::Gone),
                429 => {
                    let now = Utc::now();
                    let resume_at = match retry_after {
                        Some(s) => now + Duration::seconds(s.max(1)),
                        None => self.quota.resume_at(now),
                    };
                    self.quota.remaining = Some(0);
                    self.quota.reset_at = Some(resume_at);
                    return Err(SourceError::RateLimited {
                        resume_at,
                        at_reserve: false,
                    });
                }
                403 => {
                    return Err(SourceError::Forbidden(format!(
                        "the Fitbit API refused {path} (403 {}): the token lacks the scope, or the \
                         app has no intraday access",
                        error_kind(&body)
                    )));
                }
                422 => {
                    return Err(SourceError::TooManyPoints(format!(
                        "the Fitbit API refused {path} with 422 ({}): too many data points",
                        error_kind(&body)
                    )));
                }
                500..=599 if attempt < 4 => {
                    crate::warn!("the Fitbit API answered {status} for {path}; retrying");
                    std::thread::sleep(self.retry_delay * 2u32.pow(attempt - 1));
                }
                500..=599 => {
                    return Err(SourceError::Unavailable(format!(
                        "the Fitbit API answered {status} for {path} {attempt} times; try again later"
                    )));
                }
                _ => {
                    return Err(SourceError::Invalid(format!(
                        "the Fitbit API answered {status} for {path}: {}",
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

    fn check_budget(&self) -> Result<(), SourceError> {
        if let Some(left) = self.quota.remaining
            && left <= self.reserve()
        {
            return Err(SourceError::RateLimited {
                resume_at: self.quota.resume_at(Utc::now()),
                at_reserve: left > 0,
            });
        }
        Ok(())
    }

    fn read_quota(&mut self, resp: &ureq::Response) {
        let num = |name: &str| resp.header(name).and_then(|v| v.trim().parse::<u64>().ok());
        if let Some(l) = num("Fitbit-Rate-Limit-Limit") {
            self.quota.limit = Some(l);
        }
        if let Some(r) = num("Fitbit-Rate-Limit-Remaining") {
            self.quota.remaining = Some(r);
        }
        if let Some(s) = num("Fitbit-Rate-Limit-Reset") {
            self.quota.reset_at = Some(Utc::now() + Duration::seconds(s as i64));
        }
    }
}

/// The error type of a Fitbit (`errors[0].errorType: message`) or Google
/// (`error.status: message`) error body, or its HTTP-level absence. Messages that could carry a
/// token are cut.
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
}
