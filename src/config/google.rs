//! Settings of the Google Health API source: its base URL, the OAuth endpoints and client, and
//! the token file.

use std::path::{Path, PathBuf};

use super::{Problems, nonempty, secret, url, var};
use crate::error::Exit;

/// Default API base; calls go to `<base>/v4/users/me/…`.
pub const DEFAULT_API_BASE: &str = "https://health.googleapis.com";
/// Default token endpoint.
pub const DEFAULT_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
/// Default authorize endpoint.
pub const DEFAULT_AUTH_URL: &str = "https://accounts.google.com/o/oauth2/v2/auth";
/// Default revocation endpoint.
pub const DEFAULT_REVOKE_URL: &str = "https://oauth2.googleapis.com/revoke";
/// The token file name inside `DATA_DIR`.
pub const TOKEN_FILE: &str = "google_tokens.json";

/// The Google Health API source's settings.
#[derive(Clone, Debug)]
pub struct GoogleSettings {
    /// API base URL without a trailing slash (`GOOGLE_HEALTH_API_BASE_URL`).
    pub api_base: String,
    /// Token endpoint (`GOOGLE_TOKEN_URL`).
    pub token_url: String,
    /// Authorize endpoint (`GOOGLE_AUTH_URL`).
    pub auth_url: String,
    /// Revocation endpoint (`GOOGLE_REVOKE_URL`).
    pub revoke_url: String,
    /// A fixed redirect URI (`GOOGLE_REDIRECT_URI`); `None`: `http://127.0.0.1:<free port>`.
    pub redirect_uri: Option<String>,
    /// `GOOGLE_CLIENT_ID` (empty when not needed and not set).
    pub client_id: String,
    /// `GOOGLE_CLIENT_SECRET` (empty when not needed and not set).
    pub client_secret: String,
    /// `DATA_DIR/google_tokens.json`.
    pub token_file: PathBuf,
}

impl Default for GoogleSettings {
    fn default() -> Self {
        GoogleSettings {
            api_base: DEFAULT_API_BASE.into(),
            token_url: DEFAULT_TOKEN_URL.into(),
            auth_url: DEFAULT_AUTH_URL.into(),
            revoke_url: DEFAULT_REVOKE_URL.into(),
            redirect_uri: None,
            client_id: String::new(),
            client_secret: String::new(),
            token_file: PathBuf::from(TOKEN_FILE),
        }
    }
}

fn url_var(name: &str, default: &str) -> Result<String, Exit> {
    url(name, nonempty(var(name).as_deref()).unwrap_or(default))
}

fn redirect_uri() -> Result<Option<String>, Exit> {
    var("GOOGLE_REDIRECT_URI")
        .map(|v| url("GOOGLE_REDIRECT_URI", &v))
        .transpose()
}

impl GoogleSettings {
    /// From the environment and credential files; problems are noted in `p`.
    /// `credentials`: the client id and secret are required.
    pub fn load(data_dir: &Path, credentials: bool, p: &mut Problems) -> Self {
        let api_base = p.take(url_var("GOOGLE_HEALTH_API_BASE_URL", DEFAULT_API_BASE));
        let token_url = p.take(url_var("GOOGLE_TOKEN_URL", DEFAULT_TOKEN_URL));
        let auth_url = p.take(url_var("GOOGLE_AUTH_URL", DEFAULT_AUTH_URL));
        let revoke_url = p.take(url_var("GOOGLE_REVOKE_URL", DEFAULT_REVOKE_URL));
        let redirect_uri = p.take(redirect_uri());
        let client_id = secret("GOOGLE_CLIENT_ID");
        let client_secret = secret("GOOGLE_CLIENT_SECRET");
        if credentials {
            let missing: Vec<&str> = [
                ("GOOGLE_CLIENT_ID", client_id.is_none()),
                ("GOOGLE_CLIENT_SECRET", client_secret.is_none()),
            ]
            .into_iter()
            .filter_map(|(n, m)| m.then_some(n))
            .collect();
            if !missing.is_empty() {
                p.push(Exit::usage(format!(
                    "{} not set (a variable, or a file in $CREDENTIALS_DIRECTORY or /run/secrets): \
                     the OAuth client (type Desktop app) of your Google Cloud project, see the \
                     README section \"Getting your data today\"",
                    missing.join(" and ")
                )));
            }
        }
        GoogleSettings {
            api_base,
            token_url,
            auth_url,
            revoke_url,
            redirect_uri,
            client_id: client_id.unwrap_or_default(),
            client_secret: client_secret.unwrap_or_default(),
            token_file: data_dir.join(TOKEN_FILE),
        }
    }
}
