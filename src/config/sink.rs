//! Settings of the VictoriaMetrics sink: the import URL and its credentials.

use super::{Problems, bad, secret};
use crate::cli::Global;
use crate::error::Exit;

/// Path appended to a base `VICTORIA_ENDPOINT`.
pub const IMPORT_PATH: &str = "/api/v1/import/prometheus";

/// Credentials for the import endpoint.
#[derive(Clone, Debug, Default)]
pub enum Auth {
    /// No auth (a local VictoriaMetrics).
    #[default]
    None,
    /// HTTP Basic (`VICTORIA_USER`, `VICTORIA_PASSWORD`).
    Basic(String, String),
    /// `Authorization: Bearer` (vmauth or a proxy; `VICTORIA_BEARER_TOKEN`).
    Bearer(String),
}

/// Where and how to push.
#[derive(Clone, Debug)]
pub struct SinkSettings {
    /// The full import URL.
    pub url: String,
    /// Its credentials.
    pub auth: Auth,
}

impl SinkSettings {
    /// From `--victoria-endpoint`/`VICTORIA_ENDPOINT` and the credential variables; `None`
    /// when no endpoint is set. `required`: a missing endpoint is a problem.
    pub fn load(g: &Global, required: bool, p: &mut Problems) -> Option<SinkSettings> {
        let endpoint = g
            .victoria_endpoint
            .clone()
            .filter(|s| !s.trim().is_empty())
            .or_else(|| secret("VICTORIA_ENDPOINT"));
        let Some(e) = endpoint else {
            if required {
                p.push(Exit::usage(
                    "VICTORIA_ENDPOINT is not set; accepted: the import URL \
                     (http://host:8428/api/v1/import/prometheus) or the base URL (http://host:8428)",
                ));
            }
            return None;
        };
        let auth = match (
            secret("VICTORIA_USER"),
            secret("VICTORIA_PASSWORD"),
            secret("VICTORIA_BEARER_TOKEN"),
        ) {
            (Some(u), Some(p), _) => Auth::Basic(u, p),
            (Some(_), None, _) | (None, Some(_), _) => {
                p.push(Exit::usage(
                    "VICTORIA_USER and VICTORIA_PASSWORD must be set together (or neither)",
                ));
                Auth::None
            }
            (None, None, Some(t)) => Auth::Bearer(t),
            (None, None, None) => Auth::None,
        };
        match import_url(&e) {
            Ok(url) => Some(SinkSettings { url, auth }),
            Err(err) => {
                p.push(err);
                None
            }
        }
    }
}

/// `VICTORIA_ENDPOINT` as the full import URL: a URL with a path is taken as is, a base URL
/// gets `/api/v1/import/prometheus`.
///
/// Errors: exit 2 for anything but an http(s) URL with a host, and for the other import paths
/// (VictoriaMetrics answers them 204 and drops Prometheus text).
pub fn import_url(v: &str) -> Result<String, Exit> {
    let shown = redact_url(v);
    let parsed = oauth2::url::Url::parse(v.trim()).ok().filter(|u| {
        matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty())
    });
    let Some(parsed) = parsed else {
        return Err(bad(
            "VICTORIA_ENDPOINT",
            &shown,
            "an http:// or https:// URL with a host: the import URL \
             (http://host:8428/api/v1/import/prometheus) or the base URL (http://host:8428)",
        ));
    };
    if parsed.fragment().is_some() {
        return Err(bad(
            "VICTORIA_ENDPOINT",
            &shown,
            "a URL without a #fragment: the import URL or the base URL",
        ));
    }
    let path = parsed.path().trim_end_matches('/');
    if path.is_empty() {
        return Ok(format!("{}{IMPORT_PATH}", v.trim().trim_end_matches('/')));
    }
    for other in ["/api/v1/import", "/api/v1/write", "/write", "/api/v1/push"] {
        if path.ends_with(other) {
            return Err(bad(
                "VICTORIA_ENDPOINT",
                &shown,
                "the Prometheus text import path .../api/v1/import/prometheus (VictoriaMetrics \
                 answers 204 on other import paths and drops the samples)",
            ));
        }
    }
    if !path.ends_with("/import/prometheus") {
        crate::warn!(
            "VICTORIA_ENDPOINT path {path} does not end in /api/v1/import/prometheus; assuming a proxy that forwards to it"
        );
    }
    Ok(v.trim().trim_end_matches('/').to_string())
}

/// A URL for messages, whatever its form (also not a URL at all): user info and query string
/// removed, since they may hold credentials.
pub fn redact_url(v: &str) -> String {
    let v = v.trim();
    let (before_query, query) = match v.split_once('?') {
        Some((b, _)) => (b, "?…"),
        None => (v, ""),
    };
    let before_query = before_query.split('#').next().unwrap_or("");
    let (scheme, rest) = match before_query.find("://") {
        Some(i) => before_query.split_at(i + 3),
        None => ("", before_query),
    };
    // Everything up to the last '@' may be user info, also in malformed forms such as
    // `bob:pw@host` or `http//bob:pw@host`.
    let rest = match rest.rfind('@') {
        Some(i) if scheme.is_empty() => format!("…@{}", &rest[i + 1..]),
        Some(i) => rest[i + 1..].to_string(),
        None => rest.to_string(),
    };
    format!("{scheme}{rest}{query}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::USAGE;

    #[test]
    fn victoria_endpoint_forms() {
        assert_eq!(
            import_url("http://127.0.0.1:8428").unwrap(),
            "http://127.0.0.1:8428/api/v1/import/prometheus"
        );
        assert_eq!(
            import_url("https://vm.example/api/v1/import/prometheus/").unwrap(),
            "https://vm.example/api/v1/import/prometheus"
        );
        // The JSON import path answers 204 and drops Prometheus text: refused.
        let e = import_url("http://u:secretpw@vm:8428/api/v1/import").unwrap_err();
        assert_eq!(e.code, USAGE);
        assert!(!e.message.contains("secretpw"), "{}", e.message);
        assert_eq!(import_url("http://bob:pw@:80").unwrap_err().code, USAGE);
        assert_eq!(import_url("localhost:8428").unwrap_err().code, USAGE);
    }

    #[test]
    fn no_form_of_endpoint_shows_its_password() {
        for v in [
            "http://bob:s3cret@vm:8428/api/v1/import/prometheus",
            "bob:s3cret@vm:8428",
            "http//bob:s3cret@vm",
            "http://bob:s3cret@",
            "https://vm:8428/api/v1/import/prometheus?authKey=s3cret",
            "http://bob:s3cret@vm:8428/api/v1/import?x=1#s3cret",
        ] {
            let shown = redact_url(v);
            assert!(!shown.contains("s3cret"), "{v} → {shown}");
            if let Err(e) = import_url(v) {
                assert!(!e.message.contains("s3cret"), "{v} → {}", e.message);
            }
        }
    }

    #[test]
    fn urls_in_messages_hide_credentials() {
        let shown = redact_url("http://bob:hunter2@vm:8428/api/v1/import/prometheus?authKey=k");
        assert!(
            !shown.contains("hunter2") && !shown.contains("authKey=k"),
            "{shown}"
        );
        assert!(
            shown.starts_with("http://vm:8428/api/v1/import/prometheus"),
            "{shown}"
        );
    }
}
