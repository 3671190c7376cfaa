//! Where samples go: Prometheus text built in a [`Batch`], written by a [`Sink`]
//! (VictoriaMetrics, or stdout for `--dry-run`).

pub mod victoria;

use std::fmt::Write as _;
use std::io::Write as _;

use crate::metrics::Metric;

/// Earliest instant syncbit ever writes: 2007-01-01T00:00:00Z, ms (Fitbit was founded in 2007).
pub const MIN_TS_MS: i64 = 1_167_609_600_000;

/// A sample that must not be sent.
#[derive(Debug, thiserror::Error)]
#[error(
    "refusing to push {metric} at {ts_ms} ms: outside [2007-01-01, now + 1 day]; this is a bug in syncbit, please report it"
)]
pub struct OutOfRange {
    /// Metric name.
    pub metric: &'static str,
    /// The timestamp, ms since epoch.
    pub ts_ms: i64,
}

/// Prometheus text lines (`name{labels} value ts_ms`) ready to push.
#[derive(Debug)]
pub struct Batch {
    /// The text, one sample per line.
    pub text: String,
    /// Number of samples.
    pub samples: usize,
    user: String,
    max_ts_ms: i64,
}

/// Escape a label value as the Prometheus text format requires (`\`, `"`, newline).
pub fn escape_label(v: &str, out: &mut String) {
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

impl Batch {
    /// An empty batch whose samples carry `user="<user>"`; samples after `now_ms + 1 day` are
    /// refused.
    pub fn new(user: &str, now_ms: i64) -> Batch {
        let mut escaped = String::with_capacity(user.len());
        escape_label(user, &mut escaped);
        Batch {
            text: String::new(),
            samples: 0,
            user: escaped,
            max_ts_ms: now_ms + 86_400_000,
        }
    }

    /// Append one sample. Non-finite values are skipped (VictoriaMetrics drops NaN silently);
    /// empty label values are left out (VictoriaMetrics drops them).
    ///
    /// Errors: the timestamp is outside [2007-01-01, now + 1 day].
    pub fn add(
        &mut self,
        metric: Metric,
        labels: &[(&'static str, String)],
        value: f64,
        ts_ms: i64,
    ) -> Result<(), OutOfRange> {
        if !(MIN_TS_MS..=self.max_ts_ms).contains(&ts_ms) {
            return Err(OutOfRange {
                metric: metric.name(),
                ts_ms,
            });
        }
        if !value.is_finite() {
            return Ok(());
        }
        let t = &mut self.text;
        t.push_str(metric.name());
        t.push_str("{user=\"");
        t.push_str(&self.user);
        t.push('"');
        for (k, v) in labels {
            if v.is_empty() {
                continue;
            }
            t.push(',');
            t.push_str(k);
            t.push_str("=\"");
            escape_label(v, t);
            t.push('"');
        }
        t.push_str("} ");
        // Whole numbers (bpm, steps, minutes) the way `Display` writes them, without its cost.
        if value.fract() == 0.0 && value.abs() < 9.0e15 {
            t.push_str(itoa::Buffer::new().format(value as i64));
        } else {
            let _ = write!(t, "{value}");
        }
        t.push(' ');
        t.push_str(itoa::Buffer::new().format(ts_ms));
        t.push('\n');
        self.samples += 1;
        Ok(())
    }

    /// An empty batch with the same user and time limit.
    pub fn fresh(&self) -> Batch {
        Batch {
            text: String::with_capacity(self.text.capacity()),
            samples: 0,
            user: self.user.clone(),
            max_ts_ms: self.max_ts_ms,
        }
    }

    /// Whether the batch holds no sample.
    pub fn is_empty(&self) -> bool {
        self.samples == 0
    }

    /// Empty the batch, keeping its settings.
    pub fn clear(&mut self) {
        self.text.clear();
        self.samples = 0;
    }
}

/// Why a push failed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PushError(pub String);

/// A destination for batches.
pub trait Sink: Send {
    /// Write all samples of `batch`, or fail without any guarantee of what was kept.
    fn push(&mut self, batch: &Batch) -> Result<(), PushError>;
}

/// `--dry-run`: print the Prometheus text to stdout.
pub struct Stdout;

impl Sink for Stdout {
    fn push(&mut self, batch: &Batch) -> Result<(), PushError> {
        let mut out = std::io::stdout().lock();
        out.write_all(batch.text.as_bytes())
            .and_then(|_| out.flush())
            .map_err(|e| PushError(format!("cannot write to stdout: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_formats() {
        let mut b = Batch::new("a\"b\\c\nd é", 1_800_000_000_000);
        b.add(
            Metric::HeartRateZoneMinutes,
            &[("zone", "fat_burn".into())],
            12.0,
            1_700_000_000_000,
        )
        .unwrap();
        b.add(Metric::DistanceKm, &[], 3.28, 1_700_000_000_000)
            .unwrap();
        b.add(Metric::DistanceKm, &[], f64::NAN, 1_700_000_000_000)
            .unwrap();
        assert_eq!(
            b.text,
            "fitbit_heart_rate_zone_minutes{user=\"a\\\"b\\\\c\\nd é\",zone=\"fat_burn\"} 12 1700000000000\n\
             fitbit_distance_km{user=\"a\\\"b\\\\c\\nd é\"} 3.28 1700000000000\n"
        );
        assert_eq!(b.samples, 2);
    }

    #[test]
    fn refuses_out_of_range() {
        let now = 1_800_000_000_000;
        let mut b = Batch::new("u", now);
        assert!(b.add(Metric::StepsTotal, &[], 1.0, 1_000).is_err());
        assert!(
            b.add(Metric::StepsTotal, &[], 1.0, now + 2 * 86_400_000)
                .is_err()
        );
        assert!(b.add(Metric::StepsTotal, &[], 1.0, now).is_ok());
    }
}
