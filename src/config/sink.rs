//! Settings of the VictoriaMetrics sink: the import URL and its credentials.

use super::{Problems, bad, secret, var};
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
        match import_url_for(&e, var("VICTORIA_TENANT").as_deref()) {
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
    if let Some(rest) = path.split("/insert/").nth(1) {
        // A vminsert URL: `/insert/<accountID>[:<projectID>]/prometheus/...`.
        let t = rest.split('/').next().unwrap_or_default();
        if tenant("VICTORIA_ENDPOINT", t).is_err() {
            return Err(bad(
                "VICTORIA_ENDPOINT",
                &shown,
                &format!(
                    "a vminsert URL http://host:8480/insert/<tenant>/prometheus/api/v1/import/prometheus \
                     with a tenant {TENANT_FORM}"
                ),
            ));
        }
        if rest.strip_prefix(t) == Some("/prometheus") {
            return Ok(format!("{}{IMPORT_PATH}", v.trim().trim_end_matches('/')));
        }
    }
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

/// What `VICTORIA_TENANT` accepts, for messages.
const TENANT_FORM: &str = "<accountID> or <accountID>:<projectID>, whole numbers below 2^32 \
                           (e.g. 42 or 42:7)";

/// A VictoriaMetrics cluster tenant, `<accountID>[:<projectID>]`, as given.
///
/// Errors: exit 2 naming `name` for anything else.
pub fn tenant(name: &str, v: &str) -> Result<String, Exit> {
    let v = v.trim();
    let number = |s: &str| {
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && s.parse::<u32>().is_ok()
    };
    let ok = match v.split_once(':') {
        Some((a, p)) => number(a) && number(p),
        None => number(v),
    };
    if ok {
        Ok(v.to_string())
    } else {
        Err(bad(name, v, TENANT_FORM))
    }
}

/// `VICTORIA_ENDPOINT` with `VICTORIA_TENANT`: without a tenant as [`import_url`]; with one,
/// the vminsert URL `<base>/insert/<tenant>/prometheus/api/v1/import/prometheus` of a
/// VictoriaMetrics cluster.
///
/// Errors: exit 2 for a bad endpoint or tenant, and for a tenant given together with an
/// endpoint that already names one (`/insert/…`) or with a full import URL.
pub fn import_url_for(endpoint: &str, tenant_var: Option<&str>) -> Result<String, Exit> {
    let Some(t) = tenant_var.map(str::trim).filter(|t| !t.is_empty()) else {
        return import_url(endpoint);
    };
    let t = tenant("VICTORIA_TENANT", t)?;
    // Validates the endpoint (and says why it is wrong) before it is combined.
    import_url(endpoint)?;
    let base = endpoint.trim().trim_end_matches('/');
    let path = oauth2::url::Url::parse(base)
        .map(|u| u.path().trim_end_matches('/').to_string())
        .unwrap_or_default();
    if path.contains("/insert/") {
        return Err(Exit::usage(format!(
            "VICTORIA_TENANT={t} and a VICTORIA_ENDPOINT that already names a tenant ({}) \
             cannot be combined; give the base URL with VICTORIA_TENANT, or the vminsert URL alone",
            redact_url(endpoint)
        )));
    }
    if path.ends_with(IMPORT_PATH) {
        return Err(Exit::usage(format!(
            "VICTORIA_TENANT={t} needs VICTORIA_ENDPOINT as the base URL of vminsert \
             (http://host:8480), not an import URL ({})",
            redact_url(endpoint)
        )));
    }
    Ok(format!("{base}/insert/{t}/prometheus{IMPORT_PATH}"))
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
    fn vminsert_urls_are_taken_as_they_are() {
        for (given, want) in [
            (
                "http://vminsert:8480/insert/0/prometheus/api/v1/import/prometheus",
                "http://vminsert:8480/insert/0/prometheus/api/v1/import/prometheus",
            ),
            (
                "http://vminsert:8480/insert/42:7/prometheus/api/v1/import/prometheus/",
                "http://vminsert:8480/insert/42:7/prometheus/api/v1/import/prometheus",
            ),
            // The tenant's Prometheus prefix alone gets the import path.
            (
                "http://vminsert:8480/insert/42/prometheus",
                "http://vminsert:8480/insert/42/prometheus/api/v1/import/prometheus",
            ),
        ] {
            assert_eq!(import_url_for(given, None).unwrap(), want, "{given}");
            assert_eq!(import_url(given).unwrap(), want, "{given}");
        }
        for bad_tenant in ["x", "1:", ":1", "1:2:3", "-1", "4294967296"] {
            let e = import_url(&format!(
                "http://vminsert:8480/insert/{bad_tenant}/prometheus/api/v1/import/prometheus"
            ))
            .unwrap_err();
            assert_eq!(e.code, USAGE, "{bad_tenant}");
            assert!(e.message.starts_with("VICTORIA_ENDPOINT="), "{}", e.message);
        }
    }

    #[test]
    fn victoria_tenant_builds_the_vminsert_url() {
        for (base, t, want) in [
            (
                "http://vminsert:8480",
                "0",
                "http://vminsert:8480/insert/0/prometheus/api/v1/import/prometheus",
            ),
            (
                "http://vminsert:8480/",
                "42:7",
                "http://vminsert:8480/insert/42:7/prometheus/api/v1/import/prometheus",
            ),
            (
                "https://bob:pw@cluster.example:443",
                " 4294967295:0 ",
                "https://bob:pw@cluster.example:443/insert/4294967295:0/prometheus/api/v1/import/prometheus",
            ),
            // A base behind a proxy's path prefix.
            (
                "http://proxy:8080/vm",
                "3",
                "http://proxy:8080/vm/insert/3/prometheus/api/v1/import/prometheus",
            ),
        ] {
            assert_eq!(import_url_for(base, Some(t)).unwrap(), want, "{base} {t}");
        }
        // Empty counts as unset.
        assert_eq!(
            import_url_for("http://vm:8428", Some(" ")).unwrap(),
            "http://vm:8428/api/v1/import/prometheus"
        );
        for t in [
            "abc",
            "1:x",
            "1:",
            ":2",
            "1:2:3",
            "-3",
            "1.5",
            "99999999999",
        ] {
            let e = import_url_for("http://vminsert:8480", Some(t)).unwrap_err();
            assert_eq!(e.code, USAGE, "{t}");
            assert!(
                e.message.starts_with("VICTORIA_TENANT="),
                "{t}: {}",
                e.message
            );
        }
        // Two tenants, or a tenant on a single-node import URL: refused, password hidden.
        for endpoint in [
            "http://u:s3cret@vminsert:8480/insert/1/prometheus/api/v1/import/prometheus",
            "http://u:s3cret@vminsert:8480/insert/1/prometheus",
            "http://u:s3cret@vm:8428/api/v1/import/prometheus",
        ] {
            let e = import_url_for(endpoint, Some("2")).unwrap_err();
            assert_eq!(e.code, USAGE, "{endpoint}");
            assert!(e.message.contains("VICTORIA_TENANT"), "{}", e.message);
            assert!(!e.message.contains("s3cret"), "{}", e.message);
        }
        // A bad endpoint is reported as the endpoint.
        let e = import_url_for("vminsert:8480", Some("1")).unwrap_err();
        assert!(e.message.starts_with("VICTORIA_ENDPOINT="), "{}", e.message);
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
