//! Where data comes from. A [`Source`] turns (day, family) or (day, resource) into
//! source-neutral [`Reading`]s; nothing outside this module knows Fitbit URLs or JSON.
//!
//! The Fitbit Web API is the first source; the Google Health API and offline exports fit the
//! same trait.

pub mod fitbit;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use std::fmt;

use crate::error::{Exit, FAILURE, NOPERM, TEMPFAIL, UNAVAILABLE};
use crate::metrics::{Label, Metric};

/// A daily family, each behind its `COLLECT_*` switch (activity and heart are always on).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    /// Daily activity summary: steps, distance, calories, active minutes.
    Activity,
    /// Heart-rate zones and resting heart rate.
    Heart,
    /// Sleep (`COLLECT_SLEEP`).
    Sleep,
    /// SpO2 (`COLLECT_SPO2`).
    Spo2,
    /// Breathing rate (`COLLECT_BREATHING_RATE`).
    BreathingRate,
    /// Heart-rate variability (`COLLECT_HRV`).
    Hrv,
    /// Cardio fitness / VO2 max (`COLLECT_CARDIO_FITNESS`).
    CardioFitness,
    /// Skin temperature (`COLLECT_TEMPERATURE`).
    Temperature,
}

impl Family {
    /// Every family, in fetch order.
    pub const ALL: [Family; 8] = [
        Family::Activity,
        Family::Heart,
        Family::Sleep,
        Family::Spo2,
        Family::BreathingRate,
        Family::Hrv,
        Family::CardioFitness,
        Family::Temperature,
    ];
    /// The key used in the state file and logs.
    pub fn key(self) -> &'static str {
        match self {
            Family::Activity => "activity",
            Family::Heart => "heart",
            Family::Sleep => "sleep",
            Family::Spo2 => "spo2",
            Family::BreathingRate => "breathing_rate",
            Family::Hrv => "hrv",
            Family::CardioFitness => "cardio_fitness",
            Family::Temperature => "temperature",
        }
    }
}

/// An intraday resource (Fitbit's resource names; `heart_rate` is Fitbit's `heart`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Resource {
    /// Steps per interval.
    Steps,
    /// kcal per interval.
    Calories,
    /// km per interval.
    Distance,
    /// Metres climbed per interval.
    Elevation,
    /// Floors per interval.
    Floors,
    /// Heart rate, bpm.
    HeartRate,
}

impl Resource {
    /// Every resource.
    pub const ALL: [Resource; 6] = [
        Resource::Steps,
        Resource::Calories,
        Resource::Distance,
        Resource::Elevation,
        Resource::Floors,
        Resource::HeartRate,
    ];
    /// The name used in `INTRADAY_RESOURCES`, the state file and the metric name.
    pub fn key(self) -> &'static str {
        match self {
            Resource::Steps => "steps",
            Resource::Calories => "calories",
            Resource::Distance => "distance",
            Resource::Elevation => "elevation",
            Resource::Floors => "floors",
            Resource::HeartRate => "heart_rate",
        }
    }
    /// Parse a name of `INTRADAY_RESOURCES`.
    pub fn parse(s: &str) -> Option<Resource> {
        Resource::ALL.into_iter().find(|r| r.key() == s)
    }
    /// The metric this resource is written as (`fitbit_<resource>_intraday`).
    pub fn metric(self) -> Metric {
        match self {
            Resource::Steps => Metric::StepsIntraday,
            Resource::Calories => Metric::CaloriesIntraday,
            Resource::Distance => Metric::DistanceIntraday,
            Resource::Elevation => Metric::ElevationIntraday,
            Resource::Floors => Metric::FloorsIntraday,
            Resource::HeartRate => Metric::HeartRateIntraday,
        }
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// When a reading was taken, as the source knows it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum At {
    /// A whole day in the user's calendar (stamped at local midnight of that day).
    Day(NaiveDate),
    /// A wall-clock time in the user's profile zone (turned into an instant by the calendar).
    Local(NaiveDateTime),
    /// An instant, ms since the Unix epoch.
    Instant(i64),
}

/// One value from a source, before formatting.
#[derive(Clone, Debug, PartialEq)]
pub struct Reading {
    /// What it is (name, unit) — see the mapping table.
    pub metric: Metric,
    /// Labels besides `user` (zone, stage, type, device_id, device_type).
    pub labels: Vec<Label>,
    /// When.
    pub at: At,
    /// The value in the metric's unit.
    pub value: f64,
}

impl Reading {
    /// A reading of a whole day.
    pub fn day(metric: Metric, day: NaiveDate, value: f64) -> Self {
        Reading {
            metric,
            labels: Vec::new(),
            at: At::Day(day),
            value,
        }
    }
}

/// The user's profile as far as syncbit needs it.
#[derive(Clone, Debug)]
pub struct Profile {
    /// IANA time zone name (`user.timezone`).
    pub timezone: String,
    /// First day of the account (`user.memberSince`), when known.
    pub member_since: Option<NaiveDate>,
}

/// One paired device.
#[derive(Clone, Debug)]
pub struct Device {
    /// Device id (`id`).
    pub id: String,
    /// Model (`deviceVersion`, e.g. "Charge 6").
    pub model: String,
    /// Battery level, percent (`batteryLevel`), when reported.
    pub battery_percent: Option<f64>,
    /// Last sync, as the user's wall-clock time (`lastSyncTime`).
    pub last_sync: Option<NaiveDateTime>,
    /// A wrist tracker (`type` = `TRACKER`), whose sync decides which days are final.
    pub is_tracker: bool,
}

/// Intraday detail level (`INTRADAY_DETAIL_LEVEL`, `INTRADAY_HEART_RATE_DETAIL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detail {
    /// The device's own heart-rate samples (irregular instants; heart rate only).
    Sec1,
    /// One point per minute.
    Min1,
    /// One point per 5 minutes.
    Min5,
    /// One point per 15 minutes.
    Min15,
}

impl Detail {
    /// The API's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Detail::Sec1 => "1sec",
            Detail::Min1 => "1min",
            Detail::Min5 => "5min",
            Detail::Min15 => "15min",
        }
    }
}

/// Why a fetch failed.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The hour's request budget is spent (429 or `Remaining: 0`), or down to the reserve a
    /// backfill leaves to the timers; resume at the given instant.
    #[error("the Fitbit API rate limit is spent; the next run can resume after {resume_at}")]
    RateLimited {
        /// When the budget resets.
        resume_at: DateTime<Utc>,
        /// Stopped at the reserve: requests are left, for runs with a smaller reserve.
        at_reserve: bool,
    },
    /// HTTP 410: the API was shut down.
    #[error(
        "the Fitbit Web API answered 410 Gone: it was shut down on 2026-11-02. Its successor is the Google Health API; syncbit cannot fetch from the old API any more"
    )]
    Gone,
    /// Authorization needs a person (invalid_grant, 401 after a fresh refresh, no token file).
    #[error("{0}")]
    Unauthorized(String),
    /// 403: the token lacks a scope, or the app lacks intraday access.
    #[error("{0}")]
    Forbidden(String),
    /// 5xx or a connection error, after retries.
    #[error("{0}")]
    Unavailable(String),
    /// A response that could not be understood, or a local failure (token file write).
    #[error("{0}")]
    Invalid(String),
    /// HTTP 422: the requested range holds too many data points; a shorter range may work.
    #[error("{0}")]
    TooManyPoints(String),
}

/// A source of Fitbit-shaped health data.
pub trait Source {
    /// The profile: time zone and first day.
    fn profile(&mut self) -> Result<Profile, SourceError>;
    /// Paired devices with their last sync time.
    fn devices(&mut self) -> Result<Vec<Device>, SourceError>;
    /// The daily readings of one family for one day. A missing optional field skips that one
    /// reading, never the day.
    fn daily(&mut self, family: Family, day: NaiveDate) -> Result<Vec<Reading>, SourceError>;
    /// The daily readings of one family for every day of `start..=end`. The range must not be
    /// longer than [`Source::max_range_days`]; it costs [`Source::range_cost`] requests.
    fn daily_range(
        &mut self,
        family: Family,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Vec<Reading>, SourceError>;
    /// The longest range one [`Source::daily_range`] call may cover, in days.
    fn max_range_days(&self, family: Family) -> u32;
    /// Requests one [`Source::daily_range`] call costs.
    fn range_cost(&self, family: Family) -> u64;
    /// Whether `n` more requests fit in the budget, leaving the reserve untouched.
    fn can_afford(&self, n: u64) -> bool;
    /// When the budget resets, if known.
    fn budget_resets_at(&self) -> Option<DateTime<Utc>>;
    /// The hourly budget, if reported.
    fn budget_limit(&self) -> Option<u64>;
    /// One day of one intraday resource at `detail`, as wall-clock points of that day.
    fn intraday(
        &mut self,
        resource: Resource,
        day: NaiveDate,
        detail: Detail,
    ) -> Result<Vec<Reading>, SourceError>;
    /// Data requests made so far in this run.
    fn requests(&self) -> u64;
    /// Requests left in the current rate-limit window as last reported, if known.
    fn budget_left(&self) -> Option<u64>;
}

/// The process exit for a source error (the caller saves state first).
impl From<SourceError> for Exit {
    fn from(e: SourceError) -> Exit {
        match e {
            SourceError::RateLimited {
                resume_at,
                at_reserve,
            } => {
                let mins = (resume_at - Utc::now()).num_minutes().max(0) + 1;
                let why = if at_reserve {
                    "the hour's Fitbit requests are down to the reserve left for the timers"
                } else {
                    "Fitbit rate limit reached"
                };
                Exit::new(
                    TEMPFAIL,
                    format!(
                        "{why}; progress is saved and the next run can resume after {} (in about {mins} min)",
                        resume_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                    ),
                )
            }
            SourceError::Gone => Exit::new(UNAVAILABLE, e.to_string()),
            SourceError::Unauthorized(m) => Exit::new(NOPERM, m),
            SourceError::Unavailable(m) => Exit::new(TEMPFAIL, m),
            SourceError::Forbidden(m) | SourceError::Invalid(m) | SourceError::TooManyPoints(m) => {
                Exit::new(FAILURE, m)
            }
        }
    }
}
