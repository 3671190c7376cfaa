//! Readings → timestamped samples: a daily reading is stamped at local midnight of its day in
//! the user's zone; an instant is kept as it is. (Sources turn wall-clock times into instants
//! themselves, with the DST rules of [`crate::calendar`].)

use crate::calendar::Calendar;
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

/// The timestamp of a reading, ms since the epoch.
pub fn stamp(cal: &Calendar, at: At) -> i64 {
    match at {
        At::Day(d) => cal.day_start_ms(d),
        At::Instant(ms) => ms,
    }
}

/// Stamp `readings`, in their order.
pub fn samples(cal: &Calendar, readings: &[Reading]) -> Vec<Sample> {
    readings
        .iter()
        .map(|r| Sample {
            metric: r.metric,
            labels: r.labels.clone(),
            value: r.value,
            ts_ms: stamp(cal, r.at),
        })
        .collect()
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
