//! Settings of the Fitbit Web API source: its base URL, OAuth client and token file.

use std::path::{Path, PathBuf};

use super::{Problems, named, nonempty, secret, url, var};
use crate::cli::Global;
use crate::error::Exit;

/// Default Fitbit Web API base URL.
pub const DEFAULT_API_BASE: &str = "https://api.fitbit.com";
/// Default authorize endpoint.
pub const DEFAULT_AUTH_URL: &str = "https://www.fitbit.com/oauth2/authorize";
/// Default redirect URI (the predecessor's).
pub const DEFAULT_REDIRECT_URI: &str = "http://localhost:8080/callback";
/// The token file name inside `DATA_DIR` (the predecessor's).
pub const TOKEN_FILE: &str = "fitbit_tokens.json";

/// The Fitbit Web API source's settings.
#[derive(Clone, Debug)]
pub struct FitbitSettings {
    /// API base URL without a trailing slash (`FITBIT_API_BASE_URL`).
    pub api_base: String,
    /// Token endpoint: `<api_base>/oauth2/token`.
    pub token_url: String,
    /// Revocation endpoint: `<api_base>/oauth2/revoke`.
    pub revoke_url: String,
    /// Authorize endpoint (`FITBIT_AUTH_URL`).
    pub auth_url: String,
    /// OAuth redirect URI (`FITBIT_REDIRECT_URI`).
    pub redirect_uri: String,
    /// `FITBIT_CLIENT_ID` (empty when not needed and not set).
    pub client_id: String,
    /// `FITBIT_CLIENT_SECRET` (empty when not needed and not set).
    pub client_secret: String,
    /// `DATA_DIR/fitbit_tokens.json`.
    pub token_file: PathBuf,
}

impl Default for FitbitSettings {
    fn default() -> Self {
        FitbitSettings {
            api_base: DEFAULT_API_BASE.into(),
            token_url: format!("{DEFAULT_API_BASE}/oauth2/token"),
            revoke_url: format!("{DEFAULT_API_BASE}/oauth2/revoke"),
            auth_url: DEFAULT_AUTH_URL.into(),
            redirect_uri: DEFAULT_REDIRECT_URI.into(),
            client_id: String::new(),
            client_secret: String::new(),
            token_file: PathBuf::from(TOKEN_FILE),
        }
    }
}

fn url_or(name: &str, value: Option<&str>, default: &str) -> Result<String, Exit> {
    url(name, nonempty(value).unwrap_or(default))
}

impl FitbitSettings {
    /// From flags, environment and credential files; problems are noted in `p`.
    /// `credentials`: the client id and secret are required.
    pub fn load(g: &Global, data_dir: &Path, credentials: bool, p: &mut Problems) -> Self {
        let api_base = p.take(url_or(
            named(
                "FITBIT_API_BASE_URL",
                "--api-base-url",
                g.api_base_url.as_deref(),
            ),
            g.api_base_url.as_deref(),
            DEFAULT_API_BASE,
        ));
        let auth_url = p.take(url_or(
            "FITBIT_AUTH_URL",
            var("FITBIT_AUTH_URL").as_deref(),
            DEFAULT_AUTH_URL,
        ));
        let redirect_uri = p.take(url_or(
            "FITBIT_REDIRECT_URI",
            var("FITBIT_REDIRECT_URI").as_deref(),
            DEFAULT_REDIRECT_URI,
        ));
        let client_id = secret("FITBIT_CLIENT_ID");
        let client_secret = secret("FITBIT_CLIENT_SECRET");
        if credentials {
            let missing: Vec<&str> = [
                ("FITBIT_CLIENT_ID", client_id.is_none()),
                ("FITBIT_CLIENT_SECRET", client_secret.is_none()),
            ]
            .into_iter()
            .filter_map(|(n, m)| m.then_some(n))
            .collect();
            if !missing.is_empty() {
                p.push(Exit::usage(format!(
                    "{} not set (a variable, or a file in $CREDENTIALS_DIRECTORY or /run/secrets): \
                     the OAuth client of your Fitbit app (the Fitbit Web API was shut down on \
                     2026-11-02; for new setups use SYNCBIT_SOURCE=google-health)",
                    missing.join(" and ")
                )));
            }
        }
        FitbitSettings {
            token_url: format!("{api_base}/oauth2/token"),
            revoke_url: format!("{api_base}/oauth2/revoke"),
            api_base,
            auth_url,
            redirect_uri,
            client_id: client_id.unwrap_or_default(),
            client_secret: client_secret.unwrap_or_default(),
            token_file: data_dir.join(TOKEN_FILE),
        }
    }
}
