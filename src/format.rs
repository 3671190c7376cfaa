//! Readings → timestamped samples: the timestamp rules in one place.
//!
//! - a daily reading is stamped at local midnight of its day in the user's zone;
//! - wall-clock readings are turned into instants per series with the DST rules of
//!   [`crate::calendar`];
//! - instants are kept as they are.

use std::collections::BTreeMap;

use crate::calendar::{Calendar, Dropped};
use crate::metrics::{Label, Metric};
use crate::sink::{Batch, OutOfRange};
use crate::source::{At, Reading};

/// One sample ready for a [`Batch`].
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// What it is.
    pub metric: Metric,
    /// Labels besides `user`.
    pub labels: Vec<Label>,
    /// Value in the metric's unit.
    pub value: f64,
    /// ms since the Unix epoch.
    pub ts_ms: i64,
}

/// Stamp `readings` with instants. Output order: per series in first-seen order, each series
/// sorted by time.
pub fn samples(cal: &Calendar, readings: &[Reading]) -> (Vec<Sample>, Dropped) {
    let mut out = Vec::with_capacity(readings.len());
    let mut dropped = Dropped::default();
    // Wall-clock series, grouped by (metric, labels), in first-seen order.
    let mut order: Vec<(Metric, Vec<Label>)> = Vec::new();
    let mut local: BTreeMap<usize, Vec<(chrono::NaiveDateTime, f64)>> = BTreeMap::new();
    for r in readings {
        match r.at {
            At::Day(d) => out.push(Sample {
                metric: r.metric,
                labels: r.labels.clone(),
                value: r.value,
                ts_ms: cal.day_start_ms(d),
            }),
            At::Instant(ms) => out.push(Sample {
                metric: r.metric,
                labels: r.labels.clone(),
                value: r.value,
                ts_ms: ms,
            }),
            At::Local(t) => {
                let i = match order
                    .iter()
                    .position(|(m, l)| *m == r.metric && *l == r.labels)
                {
                    Some(i) => i,
                    None => {
                        order.push((r.metric, r.labels.clone()));
                        order.len() - 1
                    }
                };
                local.entry(i).or_default().push((t, r.value));
            }
        }
    }
    for (i, points) in local {
        let (metric, labels) = &order[i];
        let (series, d) = cal.series_ms(&points);
        dropped.nonexistent += d.nonexistent;
        dropped.duplicate += d.duplicate;
        out.extend(series.into_iter().map(|(ts_ms, value)| Sample {
            metric: *metric,
            labels: labels.clone(),
            value,
            ts_ms,
        }));
    }
    (out, dropped)
}

/// Append `samples` to `batch`.
///
/// Errors: a timestamp outside [2007-01-01, now + 1 day].
pub fn add_all(batch: &mut Batch, samples: &[Sample]) -> Result<(), OutOfRange> {
    for s in samples {
        batch.add(s.metric, &s.labels, s.value, s.ts_ms)?;
    }
    Ok(())
}
