//! VictoriaMetrics: POST gzip'ed Prometheus text to `/api/v1/import/prometheus`.
//!
//! VictoriaMetrics answers 204 even when it drops lines, so the batch is validated before it is
//! sent (see [`super::Batch::add`]); a non-2xx answer or a connection error fails the push.

use flate2::Compression;
use flate2::write::GzEncoder;
use std::io::Write;
use std::time::Duration;

use super::{Batch, PushError, Sink};

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

/// The VictoriaMetrics sink.
pub struct Victoria {
    agent: ureq::Agent,
    url: String,
    /// The URL without credentials, for messages.
    shown: String,
    auth: Auth,
}

impl Victoria {
    /// A sink posting to the full import URL `url`.
    pub fn new(url: &str, auth: Auth) -> Victoria {
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .build();
        Victoria {
            agent,
            url: url.to_string(),
            shown: crate::config::redact_url(url),
            auth,
        }
    }

    fn post(&self, body: &[u8]) -> Result<(), PushError> {
        let mut req = self
            .agent
            .post(&self.url)
            .set("Content-Type", "text/plain")
            .set("Content-Encoding", "gzip");
        match &self.auth {
            Auth::None => {}
            Auth::Basic(u, p) => {
                use base64::Engine as _;
                let cred = base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"));
                req = req.set("Authorization", &format!("Basic {cred}"));
            }
            Auth::Bearer(t) => req = req.set("Authorization", &format!("Bearer {t}")),
        }
        match req.send_bytes(body) {
            Ok(_) => Ok(()),
            Err(ureq::Error::Status(code, resp)) => {
                let text = resp.into_string().unwrap_or_default();
                let hint = if code == 401 {
                    " (check VICTORIA_USER / VICTORIA_PASSWORD)"
                } else {
                    ""
                };
                Err(PushError(format!(
                    "VictoriaMetrics at {} answered {code}{hint}: {}",
                    self.shown,
                    text.trim().chars().take(300).collect::<String>()
                )))
            }
            Err(ureq::Error::Transport(t)) => Err(PushError(format!(
                "cannot reach VictoriaMetrics at {}: {}",
                self.shown,
                t.kind()
            ))),
        }
    }
}

impl Sink for Victoria {
    fn push(&mut self, batch: &Batch) -> Result<(), PushError> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
        gz.write_all(batch.text.as_bytes())
            .map_err(|e| PushError(format!("cannot compress the batch: {e}")))?;
        let body = gz
            .finish()
            .map_err(|e| PushError(format!("cannot compress the batch: {e}")))?;
        let mut last = None;
        for attempt in 0..3u32 {
            match self.post(&body) {
                Ok(()) => return Ok(()),
                Err(e) => {
                    crate::debug!("push attempt {} failed: {e}", attempt + 1);
                    last = Some(e);
                    std::thread::sleep(Duration::from_millis(200 * 2u64.pow(attempt)));
                }
            }
        }
        Err(last.expect("three attempts"))
    }
}
