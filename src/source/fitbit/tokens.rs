//! `fitbit_tokens.json`: the OAuth 2.0 token pair, in the predecessor's format, and its refresh.
//!
//! Fitbit refresh tokens are single use. A refresh writes the new pair atomically (temp file,
//! fsync, rename, mode 0600) before the new access token is used, and keeps the previous file
//! as `fitbit_tokens.json.bak`.

use chrono::{DateTime, Duration, Local, NaiveDateTime, TimeZone, Utc};
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthUrl, ClientId, ClientSecret, EndpointNotSet, EndpointSet, ExtraTokenFields, RedirectUrl,
    RefreshToken, StandardRevocableToken, StandardTokenResponse, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

use crate::fsutil::atomic_write;
use crate::source::SourceError;

pub use crate::config::fitbit::TOKEN_FILE;

/// The provider this token file belongs to.
pub const PROVIDER: &str = "fitbit";

/// Contents of `fitbit_tokens.json`. Unknown fields are kept.
#[derive(Clone, Serialize, Deserialize)]
pub struct TokenFile {
    /// Bearer token for data calls (a JWT, 8 h).
    pub access_token: String,
    /// Single-use refresh token.
    pub refresh_token: String,
    /// Encoded Fitbit user id (e.g. `26FWFL`).
    #[serde(default)]
    pub user_id: String,
    /// Expiry of the access token: RFC 3339, or the predecessor's naive local date-time.
    #[serde(default)]
    pub expires_at: Option<String>,
    /// Which provider issued the tokens (`fitbit`); absent in the predecessor's files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// Granted scopes, space-separated, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Fields syncbit does not use, kept as they were.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl std::fmt::Debug for TokenFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenFile")
            .field("user_id", &self.user_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl TokenFile {
    /// The expiry as an instant. The predecessor wrote a naive date-time in the host's local
    /// zone, so that form is read as host-local time. `None` when absent or unreadable (then
    /// the token is used until the API answers 401).
    pub fn expires(&self) -> Option<DateTime<Utc>> {
        let s = self.expires_at.as_deref()?;
        if let Ok(t) = DateTime::parse_from_rfc3339(s) {
            return Some(t.with_timezone(&Utc));
        }
        let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
            .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f"))
            .ok()?;
        Local
            .from_local_datetime(&naive)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    }

    /// Whether the access token should be refreshed before use (expired, or within 5 minutes
    /// of expiry).
    pub fn needs_refresh(&self, now: DateTime<Utc>) -> bool {
        self.expires()
            .is_some_and(|e| e - Duration::minutes(5) <= now)
    }
}

/// OAuth client settings for refreshes.
#[derive(Clone)]
pub struct OAuthClient {
    /// `FITBIT_CLIENT_ID`.
    pub client_id: String,
    /// `FITBIT_CLIENT_SECRET`.
    pub client_secret: String,
    /// Token endpoint, `<FITBIT_API_BASE_URL>/oauth2/token`.
    pub token_url: String,
    /// Revocation endpoint, `<FITBIT_API_BASE_URL>/oauth2/revoke`.
    pub revoke_url: String,
    /// Authorize endpoint (`FITBIT_AUTH_URL`).
    pub auth_url: String,
    /// Redirect URI (`FITBIT_REDIRECT_URI`).
    pub redirect_uri: String,
}

/// Fitbit's extra field in token responses.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct FitbitFields {
    /// The encoded user id (`user_id`).
    #[serde(default)]
    pub user_id: Option<String>,
}
impl ExtraTokenFields for FitbitFields {}

/// A token response of Fitbit's token endpoint.
pub type FitbitTokenResponse = StandardTokenResponse<FitbitFields, BasicTokenType>;

/// The oauth2 client for Fitbit: authorize and token endpoints set, HTTP Basic client auth.
pub type FitbitOAuth = oauth2::Client<
    BasicErrorResponse,
    FitbitTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

impl OAuthClient {
    /// The OAuth settings of the source's settings.
    pub fn from_settings(s: &crate::config::fitbit::FitbitSettings) -> OAuthClient {
        OAuthClient {
            client_id: s.client_id.clone(),
            client_secret: s.client_secret.clone(),
            token_url: s.token_url.clone(),
            revoke_url: s.revoke_url.clone(),
            auth_url: s.auth_url.clone(),
            redirect_uri: s.redirect_uri.clone(),
        }
    }
}

/// Build the oauth2 client from the settings.
///
/// Errors: `Local` when a URL does not parse.
pub fn oauth_client(c: &OAuthClient) -> Result<FitbitOAuth, SourceError> {
    let bad =
        |what: &str, e: oauth2::url::ParseError| SourceError::Local(format!("bad {what}: {e}"));
    Ok(oauth2::Client::new(ClientId::new(c.client_id.clone()))
        .set_client_secret(ClientSecret::new(c.client_secret.clone()))
        .set_auth_uri(AuthUrl::new(c.auth_url.clone()).map_err(|e| bad("FITBIT_AUTH_URL", e))?)
        .set_token_uri(TokenUrl::new(c.token_url.clone()).map_err(|e| bad("token URL", e))?)
        .set_redirect_uri(
            RedirectUrl::new(c.redirect_uri.clone()).map_err(|e| bad("FITBIT_REDIRECT_URI", e))?,
        ))
}

/// The token file for a token response; fields of `previous` that the response does not
/// carry (user id, unknown fields) are kept.
pub fn token_file(resp: &FitbitTokenResponse, previous: Option<&TokenFile>) -> TokenFile {
    let now = Utc::now();
    let ttl = resp
        .expires_in()
        .unwrap_or(std::time::Duration::from_secs(28800));
    let mut next = previous.cloned().unwrap_or_else(|| TokenFile {
        access_token: String::new(),
        refresh_token: String::new(),
        user_id: String::new(),
        expires_at: None,
        provider: None,
        scope: None,
        extra: Default::default(),
    });
    next.access_token = resp.access_token().secret().clone();
    if let Some(rt) = resp.refresh_token() {
        next.refresh_token = rt.secret().clone();
    }
    if let Some(id) = &resp.extra_fields().user_id {
        next.user_id = id.clone();
    }
    next.expires_at = Some(
        (now + Duration::seconds(ttl.as_secs() as i64))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    );
    next.provider = Some(PROVIDER.to_string());
    if let Some(scopes) = resp.scopes() {
        next.scope = Some(
            scopes
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        );
    }
    next
}

/// The token file on disk and the pair in memory.
pub struct TokenStore {
    /// Path of `fitbit_tokens.json`.
    pub path: PathBuf,
    /// The current pair.
    pub tokens: TokenFile,
}

fn hint(path: &Path) -> String {
    format!(
        "run `syncbit auth login` to authorize (tokens go to {})",
        path.display()
    )
}

impl TokenStore {
    /// Read the token file at `path`, falling back to `.bak` with a warning when the file is
    /// unreadable.
    ///
    /// Errors: `Unauthorized` (exit 77) when neither file holds tokens, or the file belongs to
    /// another provider.
    pub fn load(path: &Path) -> Result<TokenStore, SourceError> {
        let path = path.to_path_buf();
        if path.is_dir() {
            return Err(SourceError::Local(format!(
                "{} is a directory, not a token file; move it away, then run `syncbit auth login`",
                path.display()
            )));
        }
        if let Err(e) = std::fs::File::open(&path)
            && e.kind() == std::io::ErrorKind::PermissionDenied
        {
            return Err(SourceError::Local(format!(
                "cannot read {}: {e}; it must be readable by the user syncbit runs as",
                path.display()
            )));
        }
        let tokens = match read_tokens(&path) {
            Ok(t) => t,
            Err(first) => {
                let bak = path.with_extension("json.bak");
                match read_tokens(&bak) {
                    Ok(t) if bak.exists() => {
                        crate::warn!(
                            "{} is unreadable ({first}); using the backup {}",
                            path.display(),
                            bak.display()
                        );
                        t
                    }
                    _ => {
                        return Err(SourceError::Unauthorized(format!(
                            "no usable Fitbit tokens: {first}; {}",
                            hint(&path)
                        )));
                    }
                }
            }
        };
        if let Some(p) = &tokens.provider
            && p != PROVIDER
        {
            return Err(SourceError::Unauthorized(format!(
                "{} holds tokens of provider {p:?}, not {PROVIDER:?}; {}",
                path.display(),
                hint(&path)
            )));
        }
        Ok(TokenStore { path, tokens })
    }

    /// Re-read the file (another run may have rotated the pair) and refresh only if the pair
    /// on disk still needs it (`force` after a 401 with the on-disk access token).
    ///
    /// Errors: `Unauthorized` on `invalid_grant` or bad client credentials (exit 77),
    /// `Gone` on 410, `Unreachable` on 5xx or connection errors, `Local` when the new pair
    /// cannot be written.
    pub fn refresh(
        &mut self,
        client: &OAuthClient,
        agent: &ureq::Agent,
        force_after_401_with: Option<&str>,
    ) -> Result<(), SourceError> {
        if let Ok(disk) = read_tokens(&self.path) {
            let rotated = disk.refresh_token != self.tokens.refresh_token;
            self.tokens = disk;
            let still_bad = match force_after_401_with {
                Some(used) => used == self.tokens.access_token,
                None => self.tokens.needs_refresh(Utc::now()),
            };
            if rotated && !still_bad {
                crate::debug!("another run already refreshed the tokens");
                return Ok(());
            }
        }
        crate::debug!("refreshing the Fitbit access token");
        let resp = oauth_client(client)?
            .exchange_refresh_token(&RefreshToken::new(self.tokens.refresh_token.clone()))
            .request(agent)
            .map_err(|e| refresh_error(e, &self.path))?;
        let next = token_file(&resp, Some(&self.tokens));
        self.save(&next)?;
        self.tokens = next;
        Ok(())
    }

    /// Write `next` atomically, keeping the previous file as `.bak`.
    ///
    /// Errors: `Local` when the file cannot be written (a failed backup only warns).
    pub fn save(&self, next: &TokenFile) -> Result<(), SourceError> {
        // The new pair matters more than the backup: a failed backup is only a warning.
        if let Ok(old) = std::fs::read(&self.path)
            && serde_json::from_slice::<TokenFile>(&old).is_ok()
        {
            let bak = self.path.with_extension("json.bak");
            if let Err(e) = atomic_write(&bak, &old) {
                crate::warn!(
                    "could not keep the previous tokens in {}: {e}",
                    bak.display()
                );
            }
        }
        let body = serde_json::to_vec_pretty(next).expect("tokens serialize");
        atomic_write(&self.path, &body).map_err(|e| {
            SourceError::Local(format!(
                "could not write {}: {e}; the new refresh token is lost unless the disk is fixed \
                 and syncbit authorized again",
                self.path.display()
            ))
        })
    }
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

type RefreshErr =
    oauth2::RequestTokenError<oauth2::HttpClientError<ureq::Error>, BasicErrorResponse>;

/// Map a failed token request to a [`SourceError`], never echoing the response body (Fitbit's
/// `invalid_grant` message contains the token).
pub fn refresh_error(e: RefreshErr, path: &Path) -> SourceError {
    use oauth2::{HttpClientError, RequestTokenError};
    match e {
        RequestTokenError::Request(HttpClientError::Reqwest(inner)) => match *inner {
            ureq::Error::Status(code, resp) => {
                // Never echo the body: Fitbit's invalid_grant message contains the token.
                let body = resp.into_string().unwrap_or_default();
                classify_token_status(code, &body, path)
            }
            ureq::Error::Transport(t) => SourceError::Unreachable(format!(
                "cannot reach the Fitbit token endpoint: {}",
                t.kind()
            )),
        },
        RequestTokenError::ServerResponse(r) => {
            let code = r.error().as_ref();
            if code == "invalid_grant" || code == "invalid_client" {
                SourceError::Unauthorized(format!(
                    "Fitbit refused the refresh ({code}); {}",
                    hint(path)
                ))
            } else {
                SourceError::Invalid(format!("the token refresh failed: {code}"))
            }
        }
        RequestTokenError::Parse(_, _) => {
            SourceError::Invalid("the token endpoint sent a response syncbit cannot read".into())
        }
        other => SourceError::Unreachable(format!(
            "the token refresh failed: {}",
            redact(&other.to_string())
        )),
    }
}

fn classify_token_status(code: u16, body: &str, path: &Path) -> SourceError {
    if code == 410 {
        return SourceError::Gone(super::client::GONE.to_string());
    }
    if code >= 500 {
        return SourceError::Unreachable(format!("the Fitbit token endpoint answered {code}"));
    }
    for kind in ["invalid_grant", "invalid_client", "unauthorized_client"] {
        if body.contains(kind) {
            return SourceError::Unauthorized(format!(
                "Fitbit refused the refresh token ({kind}); {}",
                hint(path)
            ));
        }
    }
    SourceError::Unauthorized(format!(
        "the Fitbit token endpoint answered {code}; {}",
        hint(path)
    ))
}

/// Revoke `refresh_token` at the revocation endpoint (RFC 7009 form, HTTP Basic client auth).
///
/// Sent through the shared agent rather than oauth2's revocation request, which refuses any
/// endpoint that is not `https` (RFC 7009 §2) and so every loopback test endpoint.
///
/// Errors: a message for the log; revocation is best effort.
pub fn revoke(c: &OAuthClient, agent: &ureq::Agent, refresh_token: &str) -> Result<(), String> {
    use crate::source::http;
    let body = oauth2::url::form_urlencoded::Serializer::new(String::new())
        .append_pair("token", refresh_token)
        .append_pair("token_type_hint", "refresh_token")
        .finish();
    let req = agent
        .post(&c.revoke_url)
        .set(
            "Authorization",
            &http::basic(&c.client_id, &c.client_secret),
        )
        .set("Content-Type", "application/x-www-form-urlencoded");
    match http::send(req, Some(body.as_bytes())) {
        Ok(a) if a.ok() => Ok(()),
        Ok(a) => Err(format!("Fitbit answered {} to the revocation", a.status)),
        Err(http::Failure::Transport(t)) => {
            Err(format!("cannot reach Fitbit to revoke the tokens ({t})"))
        }
        Err(http::Failure::Status(a)) => {
            Err(format!("Fitbit answered {} to the revocation", a.status))
        }
    }
}

fn redact(s: &str) -> String {
    s.chars().take(200).collect()
}
