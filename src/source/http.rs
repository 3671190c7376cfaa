//! HTTP for every part of syncbit that talks to a server (sources, the VictoriaMetrics sink,
//! `auth`): one agent with timeouts fit for a timer job, and one retry policy.
//!
//! The policy retries only what can succeed later (connection errors, timeouts, 5xx, and 429
//! where the caller says so), never another 4xx, backs off exponentially with jitter on top,
//! logs a warning before each retry, and never sleeps after its last try.

use std::time::{Duration, Instant};

use backon::{BlockingRetryable, ExponentialBuilder};

/// How long a connection may take to open.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one read or write may wait: a slow answer is not an error, a silent server is.
pub const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// The one agent: connect and I/O timeouts, no redirects (OAuth and import endpoints never
/// redirect; following one could leak credentials), syncbit's user agent.
pub fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout_connect(CONNECT_TIMEOUT)
        .timeout_read(IO_TIMEOUT)
        .timeout_write(IO_TIMEOUT)
        .redirects(0)
        .user_agent(concat!("syncbit/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// The value of an `Authorization: Basic` header.
pub fn basic(user: &str, password: &str) -> String {
    use base64::Engine as _;
    let cred = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {cred}")
}

/// A server's answer, whatever its status.
#[derive(Debug)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    headers: Vec<(String, String)>,
    /// The body as text (empty when unreadable).
    pub body: Vec<u8>,
}

impl Answer {
    fn read(resp: ureq::Response, waited: Duration) -> Result<Answer, Failure> {
        let status = resp.status();
        let headers = resp
            .headers_names()
            .into_iter()
            .filter_map(|n| resp.header(&n).map(|v| (n.clone(), v.to_string())))
            .collect();
        let mut body = Vec::new();
        std::io::Read::read_to_end(&mut resp.into_reader(), &mut body)
            .map_err(|e| Failure::Transport(describe_io(&e, waited)))?;
        Ok(Answer {
            status,
            headers,
            body,
        })
    }

    /// A header's value (names compare case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as (lossy) text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Whether the status is 2xx.
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Why one attempt failed.
#[derive(Debug)]
pub enum Failure {
    /// No answer: connection refused, DNS, timeout. The text says which, e.g.
    /// `timed out after 30 s waiting for an answer`.
    Transport(String),
    /// An answer whose status the caller does not accept.
    Status(Answer),
}

impl Failure {
    /// The status, when there was an answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            Failure::Transport(_) => None,
            Failure::Status(a) => Some(a.status),
        }
    }
}

/// Send one request and read the whole answer; any status is an `Ok` answer.
///
/// Errors: [`Failure::Transport`] when no answer arrived.
pub fn send(req: ureq::Request, body: Option<&[u8]>) -> Result<Answer, Failure> {
    send_inner(req, body, IO_TIMEOUT)
}

/// [`send`] with a bound on the whole exchange, and non-2xx answers as [`Failure::Status`].
pub fn send_within(
    req: ureq::Request,
    body: Option<&[u8]>,
    total: Duration,
) -> Result<Answer, Failure> {
    let a = send_inner(req.timeout(total), body, total)?;
    if a.ok() {
        Ok(a)
    } else {
        Err(Failure::Status(a))
    }
}

/// `waited`: the timeout in force, for the message when it ran out.
fn send_inner(
    req: ureq::Request,
    body: Option<&[u8]>,
    waited: Duration,
) -> Result<Answer, Failure> {
    let result = match body {
        Some(b) => req.send_bytes(b),
        None => req.call(),
    };
    match result {
        Ok(resp) | Err(ureq::Error::Status(_, resp)) => Answer::read(resp, waited),
        Err(ureq::Error::Transport(t)) => Err(Failure::Transport(describe(&t, waited))),
    }
}

fn is_timeout(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
    )
}

fn describe_io(e: &std::io::Error, waited: Duration) -> String {
    if is_timeout(e) {
        format!(
            "timed out after {} s waiting for an answer",
            waited.as_secs()
        )
    } else {
        format!("the connection failed: {}", e.kind())
    }
}

/// A transport error in plain words; timeouts say how long was waited.
fn describe(t: &ureq::Transport, waited: Duration) -> String {
    let io = std::error::Error::source(t).and_then(|e| e.downcast_ref::<std::io::Error>());
    let timed_out = io.is_some_and(is_timeout) || t.to_string().contains("timed out");
    match t.kind() {
        ureq::ErrorKind::ConnectionFailed if timed_out => {
            format!("could not connect within {} s", CONNECT_TIMEOUT.as_secs())
        }
        _ if timed_out => format!(
            "timed out after {} s waiting for an answer",
            waited.as_secs()
        ),
        ureq::ErrorKind::ConnectionFailed => match io {
            Some(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                "connection refused".to_string()
            }
            Some(e) => format!("cannot connect: {}", e.kind()),
            None => "cannot connect".to_string(),
        },
        ureq::ErrorKind::Dns => "the host name does not resolve".to_string(),
        kind => kind.to_string(),
    }
}

/// How often and how long to retry.
#[derive(Clone, Debug)]
pub struct Policy {
    /// Attempts in all, the first included.
    pub attempts: usize,
    /// The first wait; each next one doubles, jitter comes on top.
    pub first_delay: Duration,
    /// No new attempt starts after this much time since the first.
    pub max_total: Duration,
    /// Whether a 429 may succeed later (the caller knows whether its quota recovers within a
    /// run).
    pub retry_429: bool,
    /// Whether SIGINT/SIGTERM end the retries (what a cut push carried waits in the journal).
    pub interruptible: bool,
}

impl Policy {
    /// For API sources: up to 4 attempts, 2 s first wait (`SYNCBIT_RETRY_DELAY_MS` overrides
    /// it, for tests), no new attempt after 90 s: a silent API costs a run about 2 minutes.
    pub fn api() -> Policy {
        let first_delay = std::env::var("SYNCBIT_RETRY_DELAY_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .map(Duration::from_millis)
            .unwrap_or(Duration::from_secs(2));
        Policy {
            attempts: 4,
            first_delay,
            max_total: Duration::from_secs(90),
            retry_429: false,
            interruptible: true,
        }
    }

    /// For pushes: about 30 s in all, so a run ends soon after VictoriaMetrics goes away.
    pub fn push() -> Policy {
        Policy {
            attempts: 4,
            first_delay: Duration::from_millis(500),
            max_total: Duration::from_secs(30),
            retry_429: true,
            interruptible: true,
        }
    }

    /// Whether another attempt may succeed.
    pub fn retryable(&self, f: &Failure) -> bool {
        match f {
            Failure::Transport(_) => true,
            Failure::Status(a) => a.status >= 500 || (a.status == 429 && self.retry_429),
        }
    }

    /// Run `op` until it succeeds, fails in a way that cannot improve, or the attempts or the
    /// time are spent; `what` names the target in the warning logged before each retry.
    /// Returns the number of attempts made with the result.
    ///
    /// Errors: the last failure (a signal during a wait ends the retries with
    /// [`Failure::Transport`] `interrupted`).
    pub fn run<T>(
        &self,
        what: &str,
        mut op: impl FnMut() -> Result<T, Failure>,
    ) -> (usize, Result<T, Failure>) {
        let started = Instant::now();
        let backoff = ExponentialBuilder::default()
            .with_min_delay(self.first_delay)
            .with_max_delay(self.max_total)
            .with_factor(2.0)
            .with_max_times(self.attempts.saturating_sub(1))
            .with_jitter();
        let interrupted = || self.interruptible && crate::interrupt::requested().is_some();
        let sleep: fn(Duration) = if self.interruptible {
            crate::interrupt::sleep
        } else {
            std::thread::sleep
        };
        let tries = std::cell::Cell::new(0usize);
        let result = (|| {
            // A signal that arrived during the wait: no new attempt.
            if tries.get() > 0 && interrupted() {
                return Err(Failure::Transport("interrupted".into()));
            }
            tries.set(tries.get() + 1);
            op()
        })
        .retry(backoff)
        .sleep(sleep)
        .when(|f| self.retryable(f) && started.elapsed() < self.max_total && !interrupted())
        .notify(|f, wait| {
            let why = match f {
                Failure::Transport(t) => t.clone(),
                Failure::Status(a) => format!("answered {}", a.status),
            };
            crate::warn!(
                "{what}: {why}; retrying in {:.1} s (attempt {} of at most {})",
                wait.as_secs_f64(),
                tries.get() + 1,
                self.attempts
            );
        })
        .call();
        (tries.get(), result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn answer(status: u16) -> Failure {
        Failure::Status(Answer {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        })
    }

    fn quick() -> Policy {
        Policy {
            attempts: 4,
            first_delay: Duration::from_millis(1),
            max_total: Duration::from_secs(5),
            retry_429: false,
            interruptible: true,
        }
    }

    #[test]
    fn retries_5xx_and_transport_but_not_4xx() {
        for (f, tries) in [
            (answer(503), 4),
            (Failure::Transport("x".into()), 4),
            (answer(400), 1),
            (answer(429), 1),
        ] {
            let n = Cell::new(0);
            let status = f.status();
            let (_, r): (usize, Result<(), Failure>) = quick().run("test", || {
                n.set(n.get() + 1);
                Err(match status {
                    Some(s) => answer(s),
                    None => Failure::Transport("x".into()),
                })
            });
            assert!(r.is_err());
            assert_eq!(n.get(), tries, "{f:?}");
        }
    }

    #[test]
    fn stops_at_first_success_and_honours_retry_429() {
        let n = Cell::new(0);
        let p = Policy {
            retry_429: true,
            ..quick()
        };
        let (tries, r) = p.run("test", || {
            n.set(n.get() + 1);
            if n.get() < 3 { Err(answer(429)) } else { Ok(7) }
        });
        assert_eq!(r.unwrap(), 7);
        assert_eq!(tries, 3);
        assert_eq!(n.get(), 3);
    }

    #[test]
    fn no_sleep_after_the_last_attempt() {
        let p = Policy {
            attempts: 2,
            first_delay: Duration::from_millis(300),
            ..quick()
        };
        let t = Instant::now();
        let _ = p.run("test", || Err::<(), _>(answer(500)));
        // One wait of 300..600 ms between the two attempts, none after the second.
        assert!(
            t.elapsed() < Duration::from_millis(900),
            "{:?}",
            t.elapsed()
        );
    }
}
