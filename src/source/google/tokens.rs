//! `google_tokens.json`: the Google OAuth tokens, and their refresh.
//!
//! The file is a JSON object `{access_token, refresh_token, expires_at, scope}` (`expires_at`
//! RFC 3339 with an offset, `scope` the granted scopes separated by spaces), mode 0600, written
//! atomically; other tools write the same format. Google seldom rotates refresh tokens: a
//! refresh without a new one keeps the old one, and a new one is saved before the access token
//! that came with it is used.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use oauth2::basic::{BasicClient, BasicErrorResponse, BasicErrorResponseType, BasicTokenResponse};
use oauth2::{
    AuthType, AuthUrl, ClientId, ClientSecret, EndpointNotSet, EndpointSet, RefreshToken,
    RequestTokenError, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

use crate::config::google::GoogleSettings;
use crate::fsutil::atomic_write;
use crate::source::http;
use crate::source::{Owner, SourceError};

/// Every Google Health scope starts with this.
pub const SCOPE_PREFIX: &str = "https://www.googleapis.com/auth/googlehealth.";

/// The five read scopes syncbit asks for (after [`SCOPE_PREFIX`]), and what each one enables.
pub const SCOPES: [(&str, &str); 5] = [
    (
        "activity_and_fitness.readonly",
        "daily activity (steps, distance, calories, active minutes), Active Zone Minutes, intraday steps, distance, floors, elevation and calories",
    ),
    (
        "health_metrics_and_measurements.readonly",
        "resting heart rate, heart-rate zones, SpO2, breathing rate, HRV, VO2 max, skin temperature and intraday heart rate",
    ),
    ("sleep.readonly", "sleep"),
    (
        "settings.readonly",
        "the time zone and the device's battery and last sync (completeness of days)",
    ),
    ("profile.readonly", "the account's first day"),
];

/// The full name of a scope, e.g. `https://www.googleapis.com/auth/googlehealth.sleep.readonly`.
pub fn scope(suffix: &str) -> String {
    format!("{SCOPE_PREFIX}{suffix}")
}

/// Contents of `google_tokens.json`. Fields other tools add are kept.
#[derive(Clone, Serialize, Deserialize)]
pub struct TokenFile {
    /// Bearer token for data calls (about 1 h).
    pub access_token: String,
    /// Long-lived refresh token.
    pub refresh_token: String,
    /// Expiry of the access token, RFC 3339 with an offset ("" when unknown).
    #[serde(default)]
    pub expires_at: String,
    /// Granted scopes, space-separated ("" when unknown).
    #[serde(default)]
    pub scope: String,
    /// Fields syncbit does not use, kept as they were.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl std::fmt::Debug for TokenFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenFile")
            .field("expires_at", &self.expires_at)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// The token file's field for the account's `healthUserId`, written by `auth login` (or by
/// the first run that had to ask for it), so that runs check the account binding without a
/// request. Other tools' files lack it: syncbit then asks `users/me/identity`.
pub const HEALTH_USER_ID: &str = "health_user_id";
/// The token file's field for the account's `legacyUserId` (its Fitbit Web API id).
pub const LEGACY_USER_ID: &str = "legacy_user_id";

impl TokenFile {
    /// The account the tokens belong to, when the file says.
    pub fn owner(&self) -> Option<Owner> {
        let text = |k: &str| {
            self.extra
                .get(k)
                .and_then(|v| v.as_str())
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        Some(Owner {
            id: text(HEALTH_USER_ID)?,
            also: text(LEGACY_USER_ID).map(|l| (crate::source::fitbit::ID, l)),
        })
    }

    /// Record the account the tokens belong to.
    pub fn set_owner(&mut self, o: &Owner) {
        self.extra.insert(
            HEALTH_USER_ID.into(),
            serde_json::Value::String(o.id.clone()),
        );
        match &o.also {
            Some((_, l)) => {
                self.extra
                    .insert(LEGACY_USER_ID.into(), serde_json::Value::String(l.clone()));
            }
            None => {
                self.extra.remove(LEGACY_USER_ID);
            }
        }
    }

    /// The expiry; `None` when absent or unreadable (the token is then used until a 401).
    pub fn expires(&self) -> Option<DateTime<Utc>> {
        DateTime::parse_from_rfc3339(self.expires_at.trim())
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }

    /// Whether to refresh before use: expired, or within a minute of it.
    pub fn needs_refresh(&self, now: DateTime<Utc>) -> bool {
        self.expires()
            .is_some_and(|e| e - Duration::minutes(1) <= now)
    }

    /// The granted scopes.
    pub fn granted(&self) -> Vec<&str> {
        self.scope.split_whitespace().collect()
    }
}

/// The oauth2 client for Google: authorize and token endpoints set, client credentials in the
/// request body (as Google documents it).
pub type GoogleOAuth =
    BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// The oauth2 client of the settings.
///
/// Errors: `Local` when an endpoint does not parse.
pub fn oauth_client(s: &GoogleSettings) -> Result<GoogleOAuth, SourceError> {
    let bad =
        |what: &str, e: oauth2::url::ParseError| SourceError::Local(format!("bad {what}: {e}"));
    Ok(BasicClient::new(ClientId::new(s.client_id.clone()))
        .set_client_secret(ClientSecret::new(s.client_secret.clone()))
        .set_auth_type(AuthType::RequestBody)
        .set_auth_uri(AuthUrl::new(s.auth_url.clone()).map_err(|e| bad("GOOGLE_AUTH_URL", e))?)
        .set_token_uri(TokenUrl::new(s.token_url.clone()).map_err(|e| bad("GOOGLE_TOKEN_URL", e))?))
}

/// No answer from the token endpoint.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct NoAnswer(String);

/// oauth2's HTTP client: the shared agent, and every status handed back as an answer, so that
/// oauth2 reads Google's OAuth error bodies (`{"error": "invalid_grant"}`).
pub fn oauth_http(
    agent: &ureq::Agent,
) -> impl Fn(oauth2::HttpRequest) -> Result<oauth2::HttpResponse, NoAnswer> + '_ {
    move |req: oauth2::HttpRequest| {
        let url = req.uri().to_string();
        let post = req.method() == oauth2::http::Method::POST;
        let mut r = if post {
            agent.post(&url)
        } else {
            agent.get(&url)
        };
        for (name, value) in req.headers() {
            let v = value
                .to_str()
                .map_err(|_| NoAnswer(format!("a header {name} that is not text")))?;
            r = r.set(name.as_str(), v);
        }
        let a = match http::send(r, post.then_some(req.body().as_slice())) {
            Ok(a) => a,
            Err(http::Failure::Status(a)) => a,
            Err(http::Failure::Transport(t)) => return Err(NoAnswer(t)),
        };
        let mut b = oauth2::http::Response::builder().status(a.status);
        if let Some(ct) = a.header("Content-Type") {
            b = b.header(oauth2::http::header::CONTENT_TYPE, ct);
        }
        b.body(a.body).map_err(|e| NoAnswer(e.to_string()))
    }
}

/// A failed token request.
pub type TokenError = RequestTokenError<NoAnswer, BasicErrorResponse>;

/// The token file for a token response; a refresh token or scope the response does not carry
/// is kept from `previous`.
pub fn token_file(resp: &BasicTokenResponse, previous: Option<&TokenFile>) -> TokenFile {
    let ttl = resp
        .expires_in()
        .unwrap_or(std::time::Duration::from_secs(3600));
    let mut next = previous.cloned().unwrap_or_else(|| TokenFile {
        access_token: String::new(),
        refresh_token: String::new(),
        expires_at: String::new(),
        scope: String::new(),
        extra: Default::default(),
    });
    next.access_token = resp.access_token().secret().clone();
    if let Some(rt) = resp.refresh_token() {
        next.refresh_token = rt.secret().clone();
    }
    next.expires_at = (Utc::now() + Duration::seconds(ttl.as_secs() as i64))
        .to_rfc3339_opts(SecondsFormat::Secs, false);
    if let Some(scopes) = resp.scopes() {
        next.scope = scopes
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" ");
    }
    next
}

fn login_hint(path: &Path) -> String {
    format!(
        "run `syncbit auth login` to authorize (tokens go to {})",
        path.display()
    )
}

/// Map a failed token request (refresh or code exchange) to a [`SourceError`]; Google's error
/// text is never echoed beyond its code.
pub fn token_error(e: TokenError, path: &Path) -> SourceError {
    match e {
        RequestTokenError::ServerResponse(r) => match r.error() {
            BasicErrorResponseType::InvalidGrant => SourceError::Unauthorized(format!(
                "Google refused the refresh token (invalid_grant): it was revoked, went unused \
                 for 6 months, or belongs to an OAuth app in Testing status, whose refresh \
                 tokens expire 7 days after consent (publish the app to stop that, see the \
                 README); {}",
                login_hint(path)
            )),
            BasicErrorResponseType::InvalidClient | BasicErrorResponseType::UnauthorizedClient => {
                SourceError::Unauthorized(format!(
                    "Google refused the OAuth client ({}): check GOOGLE_CLIENT_ID and \
                     GOOGLE_CLIENT_SECRET (a client of type Desktop app)",
                    r.error().as_ref()
                ))
            }
            // Other OAuth errors (rate limits, internal failures) pass with time.
            other => SourceError::Unreachable(format!(
                "the Google token endpoint refused the refresh ({}); try again later, or {}",
                other.as_ref(),
                login_hint(path)
            )),
        },
        RequestTokenError::Request(NoAnswer(t)) => {
            SourceError::Unreachable(format!("cannot reach the Google token endpoint: {t}"))
        }
        // A 5xx page, or any answer that is no token response: the authorization server is
        // failing, so every request of the run would.
        RequestTokenError::Parse(_, _) => SourceError::Unreachable(
            "the Google token endpoint sent an answer syncbit cannot read; try again later".into(),
        ),
        RequestTokenError::Other(m) => SourceError::Unreachable(format!(
            "the Google token endpoint failed: {}",
            m.chars().take(200).collect::<String>()
        )),
    }
}

/// The token file on disk and the tokens in memory.
pub struct TokenStore {
    /// Path of `google_tokens.json`.
    pub path: PathBuf,
    /// The current tokens.
    pub tokens: TokenFile,
}

fn read_tokens(path: &Path) -> Result<TokenFile, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let t: TokenFile = serde_json::from_slice(&bytes)
        .map_err(|e| format!("{} is not a valid token file: {e}", path.display()))?;
    if t.access_token.is_empty() || t.refresh_token.is_empty() {
        return Err(format!("{} has an empty token", path.display()));
    }
    Ok(t)
}

impl TokenStore {
    /// Read the token file at `path`.
    ///
    /// Errors: `Unauthorized` (exit 77) when it is missing or holds no tokens; `Local` when it
    /// exists but cannot be read.
    pub fn load(path: &Path) -> Result<TokenStore, SourceError> {
        if let Err(e) = std::fs::File::open(path)
            && e.kind() == std::io::ErrorKind::PermissionDenied
        {
            return Err(SourceError::Local(format!(
                "cannot read {}: {e}; it must be readable by the user syncbit runs as",
                path.display()
            )));
        }
        let tokens = read_tokens(path).map_err(|m| {
            SourceError::Unauthorized(format!(
                "no usable Google tokens: {m}; {}",
                login_hint(path)
            ))
        })?;
        Ok(TokenStore {
            path: path.to_path_buf(),
            tokens,
        })
    }

    /// Refresh the access token, unless the file on disk already holds a newer one than the
    /// one that failed (`after_401`: the access token a 401 refused; `None`: refresh for expiry).
    ///
    /// Errors: `Unauthorized` on `invalid_grant` or a refused client (exit 77), `Unreachable`
    /// when the endpoint cannot be reached or fails, `Local` when the new tokens cannot be
    /// written.
    pub fn refresh(
        &mut self,
        s: &GoogleSettings,
        agent: &ureq::Agent,
        after_401: Option<&str>,
    ) -> Result<(), SourceError> {
        if let Ok(disk) = read_tokens(&self.path) {
            let newer = disk.access_token != self.tokens.access_token;
            let usable = match after_401 {
                Some(refused) => disk.access_token != refused,
                None => !disk.needs_refresh(Utc::now()),
            };
            self.tokens = disk;
            if newer && usable {
                crate::debug!("another run already refreshed the Google tokens");
                return Ok(());
            }
        }
        crate::debug!("refreshing the Google access token");
        let resp = oauth_client(s)?
            .exchange_refresh_token(&RefreshToken::new(self.tokens.refresh_token.clone()))
            .request(&oauth_http(agent))
            .map_err(|e| token_error(e, &self.path))?;
        let next = token_file(&resp, Some(&self.tokens));
        self.save(&next)?;
        self.tokens = next;
        Ok(())
    }

    /// Write `next` atomically (mode 0600).
    ///
    /// Errors: `Local` when the file cannot be written.
    pub fn save(&self, next: &TokenFile) -> Result<(), SourceError> {
        let body = serde_json::to_vec_pretty(next).expect("tokens serialize");
        atomic_write(&self.path, &body).map_err(|e| {
            SourceError::Local(format!(
                "could not write {}: {e}; fix the disk, then {}",
                self.path.display(),
                login_hint(&self.path)
            ))
        })
    }
}

/// Revoke `token` at `GOOGLE_REVOKE_URL` (RFC 7009 form body).
///
/// Sent through the shared agent rather than oauth2's revocation request, which refuses any
/// endpoint that is not `https`, and so every loopback test endpoint.
///
/// Errors: a message for the log; revocation is best effort.
pub fn revoke(s: &GoogleSettings, agent: &ureq::Agent, token: &str) -> Result<(), String> {
    let body = oauth2::url::form_urlencoded::Serializer::new(String::new())
        .append_pair("token", token)
        .finish();
    let req = agent
        .post(&s.revoke_url)
        .set("Content-Type", "application/x-www-form-urlencoded");
    match http::send(req, Some(body.as_bytes())) {
        Ok(a) if a.ok() => Ok(()),
        Ok(a) | Err(http::Failure::Status(a)) => {
            Err(format!("Google answered {} to the revocation", a.status))
        }
        Err(http::Failure::Transport(t)) => {
            Err(format!("cannot reach Google to revoke the tokens ({t})"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_format_round_trips_and_keeps_unknown_fields() {
        let text = r#"{"access_token":"ya29.a","refresh_token":"1//r","expires_at":"2026-01-08T10:00:00-05:00","scope":"a b","note":"kept"}"#;
        let t: TokenFile = serde_json::from_str(text).unwrap();
        assert_eq!(
            t.expires().unwrap().to_rfc3339(),
            "2026-01-08T15:00:00+00:00"
        );
        assert_eq!(t.granted(), vec!["a", "b"]);
        let back = serde_json::to_value(&t).unwrap();
        assert_eq!(back["note"], "kept");
        assert!(t.needs_refresh(Utc::now()));
        assert!(!format!("{t:?}").contains("ya29"));
    }

    #[test]
    fn a_refresh_without_a_refresh_token_keeps_the_old_one() {
        let old: TokenFile = serde_json::from_str(
            r#"{"access_token":"old","refresh_token":"1//keep","expires_at":"","scope":"s1 s2"}"#,
        )
        .unwrap();
        let resp: BasicTokenResponse = serde_json::from_str(
            r#"{"access_token":"new","expires_in":3599,"token_type":"Bearer"}"#,
        )
        .unwrap();
        let next = token_file(&resp, Some(&old));
        assert_eq!(next.access_token, "new");
        assert_eq!(next.refresh_token, "1//keep");
        assert_eq!(next.scope, "s1 s2");
        assert!(DateTime::parse_from_rfc3339(&next.expires_at).is_ok());
        assert!(!next.needs_refresh(Utc::now()));
        let resp: BasicTokenResponse = serde_json::from_str(
            r#"{"access_token":"n2","refresh_token":"1//rotated","scope":"s1","token_type":"Bearer"}"#,
        )
        .unwrap();
        let next = token_file(&resp, Some(&old));
        assert_eq!(
            (next.refresh_token.as_str(), next.scope.as_str()),
            ("1//rotated", "s1")
        );
    }
}
