//! Exit codes and the error type that carries one.
//!
//! Every failure that syncbit expects ends the process with one of these codes and a one- or
//! two-line message on stderr; anything else is a bug and exits 1.

/// Success.
pub const OK: u8 = 0;
/// A failure that needs attention (push refused, unreadable file, malformed response).
pub const FAILURE: u8 = 1;
/// Bad command line or configuration; nothing was sent anywhere.
pub const USAGE: u8 = 2;
/// The data source is gone for good (the Fitbit Web API answers 410 Gone since 2026-11-02).
pub const UNAVAILABLE: u8 = 69;
/// Try again later: rate limit spent, the API is failing, or another run holds the lock.
pub const TEMPFAIL: u8 = 75;
/// Authorization is needed: no usable tokens, refresh token refused (`invalid_grant`).
pub const NOPERM: u8 = 77;

/// An error with the exit code the process should end with.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Exit {
    /// One of the constants of this module.
    pub code: u8,
    /// What happened and what to do, one or two lines, no secrets.
    pub message: String,
}

impl Exit {
    /// A new error with `code` and `message`.
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        Exit {
            code,
            message: message.into(),
        }
    }
    /// Exit 2: bad configuration.
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(USAGE, message)
    }
    /// Exit 1: a failure.
    pub fn failure(message: impl Into<String>) -> Self {
        Self::new(FAILURE, message)
    }
}

/// The exit-code table as a literal, so that help texts can `concat!` it.
#[macro_export]
macro_rules! exit_codes_help {
    () => {
        "\
Exit codes:
  0   success
  1   failure (VictoriaMetrics refused or was unreachable, unreadable file, malformed response;
      import: some rows or files of the export could not be read, the rest was written)
  2   bad command line or configuration (nothing was sent); import: not an account export
  69  the Fitbit Web API is gone (HTTP 410; it was shut down on 2026-11-02)
  75  try again later (rate limit spent, API failing, another run holds the lock); state is saved
  77  authorization needed (no token file, the refresh token was refused, or the tokens
      belong to another account than the data directory: nothing was written)
  130 interrupted (SIGINT, Ctrl-C): what was fetched is written, progress saved
  143 terminated (SIGTERM, e.g. systemctl stop): likewise"
    };
}

/// The exit-code table shown in `--help` and the README.
pub const EXIT_CODES_HELP: &str = exit_codes_help!();

/// The process exit for a source error (the engine saves the state first).
impl From<crate::source::SourceError> for Exit {
    fn from(e: crate::source::SourceError) -> Exit {
        use crate::source::SourceError as E;
        match e {
            E::RateLimited { why, resume_at } => {
                let mins = (resume_at - chrono::Utc::now()).num_minutes().max(0) + 1;
                Exit::new(
                    TEMPFAIL,
                    format!(
                        "{why}; progress is saved and the next run can resume after {} (in about {mins} min)",
                        resume_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                    ),
                )
            }
            E::Gone(m) => Exit::new(UNAVAILABLE, m),
            E::Unauthorized(m) => Exit::new(NOPERM, m),
            E::Unavailable(m) | E::Unreachable(m) => Exit::new(TEMPFAIL, m),
            E::Forbidden(m) | E::Invalid(m) | E::Local(m) => Exit::new(FAILURE, m),
        }
    }
}
