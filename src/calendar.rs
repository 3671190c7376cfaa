//! The user's days and clock: local dates and wall-clock times in the profile time zone turned
//! into instants (ms since the Unix epoch). The host's `TZ` is never consulted.
//!
//! DST rules, applied to every local time syncbit converts:
//! - a local time that does not exist (spring forward) is dropped and counted;
//! - a local time that exists twice (fall back) is the **earlier** occurrence, unless the same
//!   clock time already appeared earlier in the same series, in which case it is the later one;
//! - a series never gets two samples at one instant: a second sample at an instant already
//!   taken is dropped and counted.

use chrono::{DateTime, Days, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use std::collections::HashSet;

/// A calendar in one IANA time zone.
#[derive(Clone, Copy, Debug)]
pub struct Calendar {
    /// The user's profile zone (or `SYNCBIT_TIMEZONE`).
    pub tz: Tz,
}

/// Counts of points that a conversion had to drop.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Dropped {
    /// Local times that do not exist on that day (DST gap).
    pub nonexistent: usize,
    /// Points whose instant was already taken in the same series.
    pub duplicate: usize,
}

impl Calendar {
    /// A calendar for `tz`.
    pub fn new(tz: Tz) -> Self {
        Calendar { tz }
    }

    /// The user's calendar date at instant `now`.
    pub fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        now.with_timezone(&self.tz).date_naive()
    }

    /// The user's calendar date of an instant (ms since the epoch).
    pub fn date_of_ms(&self, ms: i64) -> NaiveDate {
        DateTime::from_timestamp_millis(ms)
            .unwrap_or_default()
            .with_timezone(&self.tz)
            .date_naive()
    }

    /// The first instant of day `d` (local midnight; on the rare days whose midnight is
    /// skipped by a DST change, the first local time that exists), in ms since the epoch.
    pub fn day_start_ms(&self, d: NaiveDate) -> i64 {
        let mut t = d.and_hms_opt(0, 0, 0).expect("midnight exists");
        for _ in 0..(26 * 60) {
            if let Some(dt) = self.tz.from_local_datetime(&t).earliest() {
                return dt.timestamp_millis();
            }
            t += chrono::Duration::minutes(1);
        }
        // Unreachable for real zones; fall back to UTC midnight.
        Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight"))
            .timestamp_millis()
    }

    /// The first instant after day `d` (the start of the next day), in ms since the epoch.
    pub fn day_end_ms(&self, d: NaiveDate) -> i64 {
        self.day_start_ms(d.checked_add_days(Days::new(1)).expect("date in range"))
    }

    /// One local wall-clock time as an instant, earlier occurrence when ambiguous; `None` when
    /// it does not exist.
    pub fn local_ms(&self, t: NaiveDateTime) -> Option<i64> {
        self.tz
            .from_local_datetime(&t)
            .earliest()
            .map(|dt| dt.timestamp_millis())
    }

    /// A series of local wall-clock points, in the order the source gave them, as
    /// `(ms since epoch, value)` sorted by time, following the DST rules of this module.
    pub fn series_ms(&self, points: &[(NaiveDateTime, f64)]) -> (Vec<(i64, f64)>, Dropped) {
        let mut out = Vec::with_capacity(points.len());
        let mut dropped = Dropped::default();
        let mut seen_local: HashSet<NaiveDateTime> = HashSet::new();
        let mut taken: HashSet<i64> = HashSet::with_capacity(points.len());
        for &(t, v) in points {
            let ms = match self.tz.from_local_datetime(&t) {
                LocalResult::Single(dt) => dt.timestamp_millis(),
                LocalResult::Ambiguous(early, late) => {
                    if seen_local.contains(&t) {
                        late.timestamp_millis()
                    } else {
                        early.timestamp_millis()
                    }
                }
                LocalResult::None => {
                    dropped.nonexistent += 1;
                    continue;
                }
            };
            seen_local.insert(t);
            if !taken.insert(ms) {
                dropped.duplicate += 1;
                continue;
            }
            out.push((ms, v));
        }
        out.sort_by_key(|p| p.0);
        (out, dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ndt(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn berlin_morning() {
        let c = Calendar::new("Europe/Berlin".parse().unwrap());
        assert_eq!(c.local_ms(ndt("2024-01-15 08:00:00")), Some(1705302000000));
    }

    #[test]
    fn new_york_spring_forward_day() {
        let c = Calendar::new("America/New_York".parse().unwrap());
        let d = NaiveDate::from_ymd_opt(2024, 3, 10).unwrap();
        let pts: Vec<_> = (0..1440)
            .map(|m| (d.and_hms_opt(m / 60, m % 60, 0).unwrap(), 1.0))
            .collect();
        let (out, dropped) = c.series_ms(&pts);
        assert_eq!(out.len(), 1380);
        assert_eq!(dropped.nonexistent, 60);
        assert_eq!(out[0].0, 1710046800000);
        assert_eq!(out.last().unwrap().0, 1710129540000);
        assert_eq!(c.day_end_ms(d) - c.day_start_ms(d), 23 * 3600 * 1000);
    }

    #[test]
    fn new_york_fall_back_day_keeps_repeated_hour_apart() {
        let c = Calendar::new("America/New_York".parse().unwrap());
        let d = NaiveDate::from_ymd_opt(2024, 11, 3).unwrap();
        // A source that lists the repeated hour twice, in order.
        let mut pts: Vec<_> = (0..120)
            .map(|m| (d.and_hms_opt(m / 60, m % 60, 0).unwrap(), 1.0))
            .collect();
        pts.extend((60..120).map(|m| (d.and_hms_opt(m / 60, m % 60, 0).unwrap(), 2.0)));
        let (out, dropped) = c.series_ms(&pts);
        assert_eq!(dropped, Dropped::default());
        assert_eq!(out.len(), 180);
        let sum: f64 = out.iter().map(|p| p.1).sum();
        assert_eq!(sum, 240.0);
        let first_one_am = c.local_ms(d.and_hms_opt(1, 0, 0).unwrap()).unwrap();
        assert_eq!(first_one_am, 1730610000000); // 01:00 EDT = 05:00 UTC
    }

    #[test]
    fn host_tz_is_irrelevant() {
        // Calendar never reads TZ; this pins that a day boundary is computed in the user zone.
        let c = Calendar::new("Asia/Kolkata".parse().unwrap());
        let d = NaiveDate::from_ymd_opt(2024, 6, 1).unwrap();
        assert_eq!(c.day_start_ms(d), 1717180200000);
    }
}
