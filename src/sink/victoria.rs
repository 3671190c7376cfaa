//! VictoriaMetrics: POST Prometheus text to `/api/v1/import/prometheus`, gzip'ed unless the
//! endpoint is on loopback (there compressing costs both processes CPU on the same cores and
//! saves nothing: an import pushes about twice as fast uncompressed on 2 cores).
//!
//! VictoriaMetrics answers 204 even when it drops lines, so the batch is validated before it is
//! sent (see [`super::Batch::add`]); a non-2xx answer or a connection error fails the push. A
//! push is retried (5xx, 429, no connection) for about 30 s in all, never on another 4xx.

use flate2::Compression;
use flate2::write::GzEncoder;
use std::io::Write;
use std::time::Duration;

use super::{Batch, PushError, Sink};
use crate::config::sink::{Auth, SinkSettings, redact_url};
use crate::source::http::{self, Failure, Policy};

/// How long one push attempt may take in all.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(15);
/// The same for a quick push (health metrics at the end of a run).
const QUICK_TIMEOUT: Duration = Duration::from_secs(5);

/// The VictoriaMetrics sink.
pub struct Victoria {
    agent: ureq::Agent,
    url: String,
    /// The URL without credentials, for messages.
    shown: String,
    auth: Auth,
    policy: Policy,
    timeout: Duration,
    /// Whether bodies are gzip'ed (not to a loopback address).
    gzip: bool,
}

/// Whether `url`'s host is a loopback address (`localhost`, 127.0.0.0/8, `::1`).
fn loopback(url: &str) -> bool {
    let Some(host) = url::Url::parse(url)
        .ok()
        .and_then(|u| u.host().map(|h| h.to_owned()))
    else {
        return false;
    };
    match host {
        url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(a) => a.is_loopback(),
        url::Host::Ipv6(a) => a.is_loopback(),
    }
}

impl Victoria {
    /// A sink posting to the settings' import URL.
    pub fn new(s: &SinkSettings, agent: ureq::Agent) -> Victoria {
        Victoria {
            agent,
            url: s.url.clone(),
            shown: redact_url(&s.url),
            auth: s.auth.clone(),
            policy: Policy::push(),
            timeout: ATTEMPT_TIMEOUT,
            gzip: !loopback(&s.url),
        }
    }

    /// The same sink making one short attempt per push (health metrics: when VictoriaMetrics
    /// is away, the run has already waited for it).
    pub fn quick(mut self) -> Victoria {
        self.policy.attempts = 1;
        self.timeout = QUICK_TIMEOUT;
        self
    }

    fn post(&self, body: &[u8]) -> Result<(), Failure> {
        let mut req = self.agent.post(&self.url).set("Content-Type", "text/plain");
        if self.gzip {
            req = req.set("Content-Encoding", "gzip");
        }
        match &self.auth {
            Auth::None => {}
            Auth::Basic(u, p) => req = req.set("Authorization", &http::basic(u, p)),
            Auth::Bearer(t) => req = req.set("Authorization", &format!("Bearer {t}")),
        }
        http::send_within(req, Some(body), self.timeout).map(|_| ())
    }

    fn message(&self, f: Failure) -> PushError {
        match f {
            Failure::Status(a) => {
                let text = a.text();
                // vmauth answers unknown credentials 400 "cannot find the provided auth token".
                let refused = matches!(a.status, 401 | 403)
                    || (a.status == 400 && text.contains("auth token"));
                let hint = match (refused, &self.auth) {
                    (true, Auth::Basic(..)) => " (check VICTORIA_USER / VICTORIA_PASSWORD)",
                    (true, Auth::Bearer(_)) => " (check VICTORIA_BEARER_TOKEN)",
                    (true, Auth::None) => {
                        " (it wants credentials: set VICTORIA_USER and VICTORIA_PASSWORD, or VICTORIA_BEARER_TOKEN)"
                    }
                    _ => "",
                };
                // Proxies echo the credentials they refused (vmauth 1.79 quotes the whole
                // `Basic …` header): never show them, ours or any other scheme's token.
                let mut text = text;
                match &self.auth {
                    Auth::Basic(u, p) => {
                        text = text.replace(http::basic(u, p).trim_start_matches("Basic "), "…");
                        text = text.replace(p.as_str(), "…");
                    }
                    Auth::Bearer(t) => text = text.replace(t.as_str(), "…"),
                    Auth::None => {}
                }
                let text = redact_schemes(&text);
                PushError(format!(
                    "VictoriaMetrics at {} answered {}{hint}: {}",
                    self.shown,
                    a.status,
                    text.trim().chars().take(300).collect::<String>()
                ))
            }
            Failure::Transport(t) => PushError(format!(
                "cannot reach VictoriaMetrics at {}: {t}",
                self.shown
            )),
        }
    }
}

/// `Basic <token>` and `Bearer <token>` in a proxy's answer, each replaced by
/// `(credentials)`, whatever the token (8 characters or more, or padded).
fn redact_schemes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let found = ["Basic ", "Bearer "]
            .iter()
            .filter_map(|w| rest.find(w).map(|i| (i, w.len())))
            .min();
        let Some((i, n)) = found else {
            out.push_str(rest);
            return out;
        };
        out.push_str(&rest[..i]);
        let after = &rest[i + n..];
        let token = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || "+/=-._~…".contains(c)))
            .unwrap_or(after.len());
        // Shorter words are prose ("Basic auth required"); our own token went before.
        if after[..token].chars().count() < 8 && !after[..token].contains(['=', '…']) {
            out.push_str(&rest[i..i + n + token]);
        } else {
            out.push_str("(credentials)");
        }
        rest = &after[token..];
    }
}

impl Sink for Victoria {
    fn push(&mut self, batch: &Batch) -> Result<(), PushError> {
        if batch.is_empty() {
            return Ok(());
        }
        let compressed;
        let body: &[u8] = if self.gzip {
            let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
            gz.write_all(batch.text.as_bytes())
                .map_err(|e| PushError(format!("cannot compress the batch: {e}")))?;
            compressed = gz
                .finish()
                .map_err(|e| PushError(format!("cannot compress the batch: {e}")))?;
            &compressed
        } else {
            batch.text.as_bytes()
        };
        let what = format!("VictoriaMetrics at {}", self.shown);
        self.policy
            .run(&what, || self.post(body))
            .1
            .map_err(|f| self.message(f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_in_a_proxy_answer_are_redacted_whatever_they_are() {
        assert_eq!(
            redact_schemes(
                r#"cannot find the provided auth token "Basic YWxpY2U6d3Jvbmc=" in config"#
            ),
            r#"cannot find the provided auth token "(credentials)" in config"#
        );
        assert_eq!(
            redact_schemes("Bearer eyJabc.def and Basic … x"),
            "(credentials) and (credentials) x"
        );
        assert_eq!(redact_schemes("Basic auth needed"), "Basic auth needed");
        assert_eq!(
            redact_schemes("no tokens: Basic  here"),
            "no tokens: Basic  here"
        );
    }
}
