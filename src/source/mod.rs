//! Where data comes from: the [`Source`] boundary and the types that cross it.
//!
//! The engine hands a source the *gaps* a run should fill (series × days); the source turns
//! them into its own [`Request`]s (it alone knows what a request costs, how far a range may
//! reach, how pages work and how to pace itself), fetches each one as a stream of
//! [`Reading`]s, and reports its [`Usage`]. Readings are whole days or physical instants:
//! a source whose wire format has wall-clock times converts them itself, through the
//! [`Calendar`] it is given.
//!
//! A new source is one folder next to the existing ones, implementing [`Source`], plus one
//! match arm where the configuration chooses the source (`cmd::open_source`).

pub mod fitbit;
pub mod google;
pub mod http;
pub mod takeout;

use chrono::{DateTime, NaiveDate, Utc};
use std::fmt;

use crate::calendar::Calendar;
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

/// An intraday resource; its key is the name in `INTRADAY_RESOURCES` and the metric name.
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

/// When a reading was taken.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum At {
    /// A whole day in the user's calendar (stamped at local midnight of that day).
    Day(NaiveDate),
    /// An instant, ms since the Unix epoch.
    Instant(i64),
}

/// One value from a source, before formatting.
#[derive(Clone, Debug, PartialEq)]
pub struct Reading {
    /// What it is (name, unit): see the mapping table.
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

    /// A reading at an instant (ms since the Unix epoch).
    pub fn instant(metric: Metric, ms: i64, value: f64) -> Self {
        Reading {
            metric,
            labels: Vec::new(),
            at: At::Instant(ms),
            value,
        }
    }
}

/// What the account says about its owner's calendar.
#[derive(Clone, Debug, Default)]
pub struct Account {
    /// IANA time zone name of the user's days.
    pub timezone: String,
    /// The account's first day, when known (no data exists before it).
    pub first_day: Option<NaiveDate>,
    /// The source's stable id of the account, when it has one.
    pub id: Option<String>,
}

/// Whose tokens a source holds: the source's stable id of the account, and the same
/// account's id at another source when the answer tells it (a successor API may name the
/// account's id at its predecessor), so a binding survives a switch of sources.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owner {
    /// The account's id at this source.
    pub id: String,
    /// (source id, the account's id there).
    pub also: Option<(&'static str, String)>,
}

/// One paired device.
#[derive(Clone, Debug)]
pub struct Device {
    /// The source's device id.
    pub id: String,
    /// Model, e.g. "Charge 6".
    pub model: String,
    /// Battery level, percent, when reported.
    pub battery_percent: Option<f64>,
    /// Last sync, ms since the Unix epoch, when reported.
    pub last_sync_ms: Option<i64>,
    /// A wrist tracker, whose sync decides which days are final (a scale's or phone's does not).
    pub is_tracker: bool,
}

/// Intraday resolution (`INTRADAY_DETAIL_LEVEL`, `INTRADAY_HEART_RATE_DETAIL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Detail {
    /// The device's own samples (irregular instants; heart rate only).
    Sec1,
    /// One point per minute.
    Min1,
    /// One point per 5 minutes.
    Min5,
    /// One point per 15 minutes.
    Min15,
}

impl Detail {
    /// The spelling of the settings (`1sec`, `1min`, `5min`, `15min`).
    pub fn as_str(self) -> &'static str {
        match self {
            Detail::Sec1 => "1sec",
            Detail::Min1 => "1min",
            Detail::Min5 => "5min",
            Detail::Min15 => "15min",
        }
    }

    /// The time one point covers, ms (0 for raw samples): a point is written only once all of
    /// its interval has synced.
    pub fn span_ms(self) -> i64 {
        match self {
            Detail::Sec1 => 0,
            Detail::Min1 => 60_000,
            Detail::Min5 => 300_000,
            Detail::Min15 => 900_000,
        }
    }
}

/// What a run collects: a daily family, or an intraday resource at a resolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Series {
    /// Daily values of a family.
    Daily(Family),
    /// Intraday points of a resource.
    Intraday(Resource, Detail),
}

impl Series {
    /// The key of the state file and logs (family or resource key).
    pub fn key(self) -> &'static str {
        match self {
            Series::Daily(f) => f.key(),
            Series::Intraday(r, _) => r.key(),
        }
    }
}

/// Days a run should fill for one series: `first..=last`, every day of it missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Gap {
    pub series: Series,
    pub first: NaiveDate,
    /// Inclusive.
    pub last: NaiveDate,
}

/// One unit of fetching, planned by a source for the engine: it covers `first..=last` of one
/// series, and is fetched, journalled and recorded as a whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    /// What it covers.
    pub series: Series,
    /// The first day it covers.
    pub first: NaiveDate,
    /// The last day it covers (inclusive).
    pub last: NaiveDate,
    /// API calls it makes (for progress and quota).
    pub cost: u64,
    /// The source's own choice of endpoint for it; the engine never reads it.
    pub form: u8,
}

/// Intraday requests in the order a run makes them: newest day (or range) first, and within
/// it the order of their gaps (the configured resources). Each item is (the day to sort by,
/// the gap's index in the engine's list, the request).
pub fn newest_first(mut reqs: Vec<(NaiveDate, usize, Request)>) -> Vec<Request> {
    reqs.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    reqs.into_iter().map(|(_, _, r)| r).collect()
}

/// What a source has spent in this run.
#[derive(Clone, Copy, Debug, Default)]
pub struct Usage {
    /// API calls made (each attempt counts).
    pub requests: u64,
    /// Calls left in the source's current quota window, when the source knows it.
    pub budget_left: Option<u64>,
}

/// A fetched request: its readings, as they are parsed.
pub type Readings<'a> = Box<dyn Iterator<Item = Result<Reading, SourceError>> + 'a>;

/// Why a source failed. Messages name the source and say what to do.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The source's quota is spent, or down to what a backfill leaves for the timers; the
    /// source has saved when to resume, and no run asks it before then.
    #[error("{why}; the next run can resume after {resume_at}")]
    RateLimited {
        /// What is spent, in the source's words.
        why: String,
        /// When requests may start again.
        resume_at: DateTime<Utc>,
    },
    /// The source is gone for good.
    #[error("{0}")]
    Gone(String),
    /// Authorization needs a person (refused refresh token, no token file).
    #[error("{0}")]
    Unauthorized(String),
    /// The authorization lacks a scope for one series; the others can go on.
    #[error("{0}")]
    Forbidden(String),
    /// The source answered this request with server errors, also after retries: only this
    /// request stays not done (the run goes on, and exits 75 at the end).
    #[error("{0}")]
    Unavailable(String),
    /// No answer at all (connection refused, timeouts) or the authorization server failing:
    /// every request would fail the same way, so the run stops; try again later.
    #[error("{0}")]
    Unreachable(String),
    /// A local failure (a token file that cannot be read or written): the run stops.
    #[error("{0}")]
    Local(String),
    /// An answer that could not be understood; only the request it belongs to is spoiled.
    #[error("{0}")]
    Invalid(String),
}

impl SourceError {
    /// Whether the run must stop (the other requests would fail the same way or must not be
    /// made), as opposed to a failure of one request or one series.
    pub fn stops_run(&self) -> bool {
        !matches!(
            self,
            SourceError::Forbidden(_) | SourceError::Invalid(_) | SourceError::Unavailable(_)
        )
    }
}

/// A source of health data.
///
/// The engine calls, in this order: [`Source::restore`] with what the source saved last time,
/// [`Source::ready`] before anything else, [`Source::account`] (at most once a day),
/// [`Source::devices`], then [`Source::plan`] and [`Source::fetch`] for each request, and
/// [`Source::memo`] whenever it saves the state.
pub trait Source {
    /// The key of the state file's per-source entries, e.g. `example-api`.
    fn id(&self) -> &'static str;
    /// Shown in messages, e.g. "the Example API".
    fn name(&self) -> &'static str;
    /// What this source saved at the end of an earlier run ([`Source::memo`]).
    fn restore(&mut self, memo: Option<&serde_json::Value>);
    /// What to save for the next run (quota windows, pauses), if anything.
    fn memo(&self) -> Option<serde_json::Value>;
    /// Whether requests may be made now.
    ///
    /// Errors: [`SourceError::RateLimited`] while a saved pause lasts.
    fn ready(&self) -> Result<(), SourceError>;
    /// The account's time zone, first day and id.
    fn account(&mut self) -> Result<Account, SourceError>;
    /// Paired devices with their last sync.
    fn devices(&mut self, cal: &Calendar) -> Result<Vec<Device>, SourceError>;
    /// The requests that fill `gaps`, in the order they should be made.
    fn plan(&self, gaps: &[Gap]) -> Vec<Request>;
    /// Fetch one planned request. Readings of one series come in time order; a reading
    /// outside the request's days is ignored.
    fn fetch<'a>(
        &'a mut self,
        req: &Request,
        cal: &'a Calendar,
    ) -> Result<Readings<'a>, SourceError>;
    /// Calls made and budget left.
    fn usage(&self) -> Usage;
    /// How long `requests` more calls take under this source's quota, for `backfill --plan`,
    /// e.g. "fits in one hour's budget at 140 requests/h".
    fn pace(&self, requests: u64) -> String;
    /// Calls per quota window, when the source has such a window (a `--reserve` must stay
    /// below it).
    fn quota_size(&self) -> Option<u64>;
    /// Calls that reading the account and the devices costs a run, for `backfill --plan`.
    fn account_calls(&self) -> u64;
    /// The account the tokens belong to, read on every run that makes requests (the data
    /// directory is bound to one). A source should answer from its token file when that
    /// carries the id, and make one cheap request otherwise. `None`: the source cannot tell
    /// (it has no accounts, like an export).
    ///
    /// Errors: as for any request (a refused token is `Unauthorized`).
    fn owner(&mut self) -> Result<Option<Owner>, SourceError> {
        Ok(None)
    }
    /// The engine found [`Source::owner`] to be the directory's account: a source that had to
    /// ask for it may now keep it with its tokens, so that later runs need no request. Never
    /// called for a foreign account, whose token file stays as it is.
    fn keep_owner(&mut self) {}
}
