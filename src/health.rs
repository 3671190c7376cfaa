//! syncbit's own health as metrics, pushed with each run: last success per command, exit code,
//! duration, requests, samples, the rate-limit budget left and the newest complete day per
//! family. A failed run still pushes them when VictoriaMetrics is reachable.

use std::time::Instant;

use crate::config::Config;
use crate::error::Exit;
use crate::metrics::Metric;
use crate::sink::victoria::Victoria;
use crate::sink::{Batch, Sink};

/// What a run did, for its health metrics.
#[derive(Clone, Debug, Default)]
pub struct RunStats {
    /// Fitbit requests sent.
    pub requests: u64,
    /// Data samples pushed.
    pub samples: usize,
    /// Budget left in the hour, as last reported.
    pub budget_left: Option<u64>,
    /// (kind, family, Unix seconds of local midnight) of the newest complete day per family.
    pub newest_complete: Vec<(&'static str, String, i64)>,
    /// Families and resources skipped for a missing scope.
    pub skipped: Vec<&'static str>,
}

/// Run `body` as `command`, then push the health metrics of the run (best effort: a failure to
/// push them is logged, never changes the exit code). Nothing is pushed with `--dry-run` or
/// without `VICTORIA_ENDPOINT`.
pub fn run(
    cfg: &Config,
    command: &str,
    body: impl FnOnce(&mut RunStats) -> Result<(), Exit>,
) -> Result<(), Exit> {
    let started = Instant::now();
    let mut stats = RunStats::default();
    let result = body(&mut stats);
    let code = result.as_ref().err().map_or(0, |e| e.code);
    if let (Some(sink), false) = (&cfg.sink, cfg.run.dry_run) {
        let now = chrono::Utc::now();
        let ms = now.timestamp_millis();
        let batch = build(
            &cfg.run.user,
            command,
            code,
            started.elapsed().as_secs_f64(),
            &stats,
            ms,
        );
        let mut sink = Victoria::new(sink, crate::source::http::agent()).quick();
        if let Err(e) = sink.push(&batch) {
            crate::debug!("could not push syncbit's health metrics: {e}");
        }
    }
    result
}

fn build(user: &str, command: &str, code: u8, secs: f64, s: &RunStats, ms: i64) -> Batch {
    let mut b = Batch::new(user, ms);
    let cmd = [("command", command.to_string())];
    let mut add = |m: Metric, labels: &[(&'static str, String)], v: f64| {
        // `ms` is now: always inside the accepted range.
        let _ = b.add(m, labels, v, ms);
    };
    if code == 0 {
        add(Metric::LastSuccessTimestamp, &cmd, (ms / 1000) as f64);
    }
    add(Metric::RunExitCode, &cmd, f64::from(code));
    add(Metric::RunDuration, &cmd, (secs * 1000.0).round() / 1000.0);
    add(Metric::RunFitbitRequests, &cmd, s.requests as f64);
    add(Metric::RunSamplesWritten, &cmd, s.samples as f64);
    if let Some(left) = s.budget_left {
        add(Metric::RateLimitRemaining, &[], left as f64);
    }
    for family in &s.skipped {
        add(
            Metric::RunSkipped,
            &[
                ("command", command.to_string()),
                ("family", family.to_string()),
            ],
            1.0,
        );
    }
    for (kind, family, secs) in &s.newest_complete {
        add(
            Metric::NewestCompleteDay,
            &[("kind", (*kind).to_string()), ("family", family.clone())],
            *secs as f64,
        );
    }
    b
}
