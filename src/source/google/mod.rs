//! The Google Health API (v4) as a [`Source`]: which data type and call fills which family and
//! intraday resource (the [`MEMBERS`] table), the range caps, pagination, sorting the
//! newest-first answers into time order, and sleep attributed to the day it ends. HTTP, quota
//! and error meanings are in [`client`], response shapes in [`wire`], tokens in [`tokens`].
//!
//! Requests: a family's [`Request`] covers at most the smallest cap among its rollup data types
//! (14 days for activity and heart), because the engine records a request as a whole. The
//! family's data types with a larger cap (90 days) or none (lists) are fetched once per chunk
//! of the gap they belong to and reused by the later requests of that gap, so each call is made
//! once. Families read only from lists are one request per gap.

pub mod client;
pub mod tokens;
pub mod wire;

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, SecondsFormat, Utc};

use crate::calendar::Calendar;
use crate::config::google::GoogleSettings;
use crate::metrics::{Label, Metric, label_value};
use crate::source::{
    Account, Detail, Device, Family, Gap, Owner, Reading, Readings, Request, Resource, Series,
    Source, SourceError, Usage,
};
use client::{Call, Client, PACE_PER_MINUTE, QUOTA_PER_MINUTE};
use wire::{ListPage, RollupPage, RollupPoint};

/// The key of this source in the state file and in `SYNCBIT_SOURCE`.
pub const ID: &str = "google-health";

/// Most points a list page may hold (`pageSize`); sleep allows 25.
pub const LIST_PAGE: u32 = 10_000;
/// `pageSize` of the sleep list.
pub const SLEEP_PAGE: u32 = 25;
/// Most windows a rollup page may hold.
pub const ROLLUP_PAGE: i64 = 10_000;
/// Days of raw (`1sec`) heart rate per request: one request is sorted in memory, about 45,000
/// samples a day at 16 bytes each.
pub const RAW_HEART_RATE_DAYS: i64 = 7;
/// Heart-rate samples per list page, as observed (the API holds pages to about half of
/// `pageSize`), for the cost estimate of raw heart rate.
const HEART_RATE_PER_PAGE: i64 = 5_000;
/// Raw heart-rate samples a day, at most (a Fitbit Air samples about every 2 s).
const HEART_RATE_PER_DAY: i64 = 40_000;

/// A Google Health data type syncbit reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Steps,
    Distance,
    Floors,
    Altitude,
    TotalCalories,
    HeartRate,
    ActivityLevel,
    TimeInZone,
    CaloriesInZone,
    ActiveZoneMinutes,
    RestingHeartRate,
    Sleep,
    OxygenSaturation,
    RespiratoryRate,
    HeartRateVariability,
    Vo2Max,
    SleepTemperature,
}

impl Kind {
    /// The id in URLs (kebab-case), the name in filters (snake_case), the scope (after
    /// `tokens::SCOPE_PREFIX`) and the rollup range cap in days (0: no rollup).
    pub fn def(self) -> (&'static str, &'static str, &'static str, i64) {
        const ACT: &str = "activity_and_fitness.readonly";
        const MET: &str = "health_metrics_and_measurements.readonly";
        match self {
            Kind::Steps => ("steps", "steps", ACT, 90),
            Kind::Distance => ("distance", "distance", ACT, 90),
            Kind::Floors => ("floors", "floors", ACT, 90),
            Kind::Altitude => ("altitude", "altitude", ACT, 90),
            Kind::TotalCalories => ("total-calories", "total_calories", ACT, 14),
            Kind::HeartRate => ("heart-rate", "heart_rate", MET, 14),
            Kind::ActivityLevel => ("activity-level", "activity_level", ACT, 90),
            Kind::TimeInZone => (
                "time-in-heart-rate-zone",
                "time_in_heart_rate_zone",
                MET,
                90,
            ),
            Kind::CaloriesInZone => (
                "calories-in-heart-rate-zone",
                "calories_in_heart_rate_zone",
                MET,
                14,
            ),
            Kind::ActiveZoneMinutes => ("active-zone-minutes", "active_zone_minutes", ACT, 90),
            Kind::RestingHeartRate => (
                "daily-resting-heart-rate",
                "daily_resting_heart_rate",
                MET,
                0,
            ),
            Kind::Sleep => ("sleep", "sleep", "sleep.readonly", 0),
            Kind::OxygenSaturation => {
                ("daily-oxygen-saturation", "daily_oxygen_saturation", MET, 0)
            }
            Kind::RespiratoryRate => ("daily-respiratory-rate", "daily_respiratory_rate", MET, 0),
            Kind::HeartRateVariability => (
                "daily-heart-rate-variability",
                "daily_heart_rate_variability",
                MET,
                0,
            ),
            Kind::Vo2Max => ("daily-vo2-max", "daily_vo2_max", MET, 0),
            Kind::SleepTemperature => (
                "daily-sleep-temperature-derivations",
                "daily_sleep_temperature_derivations",
                MET,
                0,
            ),
        }
    }

    /// The URL id.
    pub fn id(self) -> &'static str {
        self.def().0
    }

    /// The rollup range cap in days (0: read by list).
    pub fn cap(self) -> i64 {
        self.def().3
    }
}

/// The data types of each daily family: rollups by `dailyRollUp` (cap > 0), the others by a
/// paged list.
pub const MEMBERS: &[(Family, &[Kind])] = &[
    (
        Family::Activity,
        &[
            Kind::Steps,
            Kind::Distance,
            Kind::TotalCalories,
            Kind::ActivityLevel,
        ],
    ),
    (
        Family::Heart,
        &[
            Kind::RestingHeartRate,
            Kind::TimeInZone,
            Kind::CaloriesInZone,
            Kind::ActiveZoneMinutes,
        ],
    ),
    (Family::Sleep, &[Kind::Sleep]),
    (Family::Spo2, &[Kind::OxygenSaturation]),
    (Family::BreathingRate, &[Kind::RespiratoryRate]),
    (Family::Hrv, &[Kind::HeartRateVariability]),
    (Family::CardioFitness, &[Kind::Vo2Max]),
    (Family::Temperature, &[Kind::SleepTemperature]),
];

/// The data types of a family.
pub fn members(f: Family) -> &'static [Kind] {
    MEMBERS
        .iter()
        .find(|m| m.0 == f)
        .map(|m| m.1)
        .expect("every family has members")
}

/// The data type of an intraday resource (`calories` is total calories, `elevation` the
/// altitude gained).
pub fn intraday_kind(r: Resource) -> Kind {
    match r {
        Resource::Steps => Kind::Steps,
        Resource::Calories => Kind::TotalCalories,
        Resource::Distance => Kind::Distance,
        Resource::Elevation => Kind::Altitude,
        Resource::Floors => Kind::Floors,
        Resource::HeartRate => Kind::HeartRate,
    }
}

/// Days one request of a family covers: the smallest cap of its rollups; families read only by
/// lists have no cap (one request per gap).
fn family_days(f: Family) -> Option<i64> {
    members(f).iter().map(|k| k.cap()).filter(|c| *c > 0).min()
}

/// Days one intraday request covers. Rollups work on physical time, and a range of `cap` local
/// days is more than `cap` × 24 h when a DST change falls inside, so one day less.
fn intraday_days(r: Resource, d: Detail) -> i64 {
    if d == Detail::Sec1 {
        RAW_HEART_RATE_DAYS
    } else {
        intraday_kind(r).cap() - 1
    }
}

fn window_secs(d: Detail) -> i64 {
    match d {
        Detail::Sec1 => 0,
        Detail::Min1 => 60,
        Detail::Min5 => 300,
        Detail::Min15 => 900,
    }
}

/// The chunks (first, last) of a gap for a data type of cap `cap` (0: the whole gap), aligned
/// from the gap's last day.
fn chunk(gap: (NaiveDate, NaiveDate), cap: i64, k: i64) -> (NaiveDate, NaiveDate) {
    if cap == 0 {
        return gap;
    }
    let last = gap.1 - Duration::days(cap * k);
    ((last - Duration::days(cap - 1)).max(gap.0), last)
}

/// The chunk indexes of a gap that a request of `first..=last` in it needs.
fn chunks_of(
    gap: (NaiveDate, NaiveDate),
    cap: i64,
    first: NaiveDate,
    last: NaiveDate,
) -> std::ops::RangeInclusive<i64> {
    if cap == 0 {
        return 0..=0;
    }
    ((gap.1 - last).num_days() / cap)..=((gap.1 - first).num_days() / cap)
}

/// The calls of a list of `days` days of `kind`, as a guess (pages are often short).
fn list_cost(kind: Kind, days: i64) -> u64 {
    let per_day = if kind == Kind::Sleep { 1.25 } else { 1.0 };
    let page = if kind == Kind::Sleep {
        SLEEP_PAGE
    } else {
        LIST_PAGE
    };
    ((days as f64 * per_day / f64::from(page)).ceil() as u64).max(1)
}

fn rfc(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Percent-encode a query value once (everything but RFC 3986 unreserved characters).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3 / 2);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn date_json(d: NaiveDate) -> serde_json::Value {
    use chrono::Datelike;
    serde_json::json!({"date": {"year": d.year(), "month": d.month(), "day": d.day()}})
}

fn labelled(metric: Metric, day: NaiveDate, value: f64, label: Option<Label>) -> Reading {
    let mut r = Reading::day(metric, day, value);
    r.labels.extend(label);
    r
}

/// The daily readings of one `dailyRollUp` window of `kind`.
fn daily_window(kind: Kind, day: NaiveDate, w: &RollupPoint, out: &mut Vec<Reading>) {
    let mut push = |m: Metric, v: Option<f64>, l: Option<Label>| {
        if let Some(v) = v {
            out.push(labelled(m, day, v, l));
        }
    };
    match kind {
        Kind::Steps => push(
            Metric::StepsTotal,
            w.steps.as_ref().and_then(|s| s.count_sum.0),
            None,
        ),
        Kind::Distance => push(
            Metric::DistanceKm,
            w.distance
                .as_ref()
                .and_then(|s| s.millimeters_sum.0)
                .map(|mm| mm / 1e6),
            None,
        ),
        Kind::TotalCalories => push(
            Metric::CaloriesTotal,
            w.total_calories.as_ref().and_then(|s| s.kcal_sum.0),
            None,
        ),
        Kind::ActivityLevel => {
            for l in w
                .activity_level
                .iter()
                .flat_map(|a| &a.activity_level_rollups_by_activity_level_type)
            {
                let name = match l.activity_level_type.as_str() {
                    "SEDENTARY" => "sedentary",
                    "LIGHTLY_ACTIVE" => "lightly_active",
                    "MODERATELY_ACTIVE" => "fairly_active",
                    "VERY_ACTIVE" => "very_active",
                    _ => continue,
                };
                push(
                    Metric::ActiveMinutes,
                    l.total_duration.0.map(|s| s / 60.0),
                    Some(("type", name.into())),
                );
            }
        }
        Kind::TimeInZone => {
            for z in w
                .time_in_heart_rate_zone
                .iter()
                .flat_map(|t| &t.time_in_heart_rate_zones)
            {
                if let Some(zone) = zone_label(&z.heart_rate_zone) {
                    push(
                        Metric::HeartRateZoneMinutes,
                        z.duration.0.map(|s| s / 60.0),
                        Some(("zone", zone)),
                    );
                }
            }
        }
        Kind::CaloriesInZone => {
            for z in w
                .calories_in_heart_rate_zone
                .iter()
                .flat_map(|t| &t.calories_in_heart_rate_zones)
            {
                if let Some(zone) = zone_label(&z.heart_rate_zone) {
                    push(
                        Metric::HeartRateZoneCalories,
                        z.kcal.0,
                        Some(("zone", zone)),
                    );
                }
            }
        }
        Kind::ActiveZoneMinutes => {
            if let Some(a) = &w.active_zone_minutes {
                for (v, zone) in [
                    (a.sum_in_fat_burn_heart_zone.0, "fat_burn"),
                    (a.sum_in_cardio_heart_zone.0, "cardio"),
                    (a.sum_in_peak_heart_zone.0, "peak"),
                ] {
                    push(Metric::ActiveZoneMinutes, v, Some(("zone", zone.into())));
                }
            }
        }
        _ => {}
    }
}

/// Google's zones (Karvonen thresholds, not Fitbit's) keep their own names.
fn zone_label(z: &str) -> Option<String> {
    matches!(z, "LIGHT" | "MODERATE" | "VIGOROUS" | "PEAK").then(|| label_value(z))
}

/// The value of one `rollUp` window for an intraday resource, in the metric's unit.
fn intraday_value(kind: Kind, w: &RollupPoint) -> Option<f64> {
    match kind {
        Kind::Steps => w.steps.as_ref()?.count_sum.0,
        Kind::Floors => w.floors.as_ref()?.count_sum.0,
        Kind::Distance => w.distance.as_ref()?.millimeters_sum.0.map(|mm| mm / 1e6),
        Kind::Altitude => w
            .altitude
            .as_ref()?
            .gain_millimeters_sum
            .0
            .map(|mm| mm / 1000.0),
        Kind::TotalCalories => w.total_calories.as_ref()?.kcal_sum.0,
        Kind::HeartRate => w.heart_rate.as_ref()?.beats_per_minute_avg.0,
        _ => None,
    }
}

/// The daily readings of one point of a `daily-*` list.
fn daily_point(kind: Kind, p: &wire::DailyPoint, out: &mut Vec<Reading>) {
    let v = match kind {
        Kind::RestingHeartRate => &p.daily_resting_heart_rate,
        Kind::OxygenSaturation => &p.daily_oxygen_saturation,
        Kind::RespiratoryRate => &p.daily_respiratory_rate,
        Kind::HeartRateVariability => &p.daily_heart_rate_variability,
        Kind::Vo2Max => &p.daily_vo2_max,
        Kind::SleepTemperature => &p.daily_sleep_temperature_derivations,
        _ => return,
    };
    let Some((v, day)) = v.as_ref().and_then(|v| Some((v, v.date?.0))) else {
        return;
    };
    let mut push = |m: Metric, x: Option<f64>| {
        if let Some(x) = x {
            out.push(Reading::day(m, day, x));
        }
    };
    match kind {
        Kind::RestingHeartRate => push(Metric::RestingHeartRateBpm, v.beats_per_minute.0),
        Kind::OxygenSaturation => {
            push(Metric::Spo2AvgPercent, v.average_percentage.0);
            push(Metric::Spo2MinPercent, v.lower_bound_percentage.0);
            push(Metric::Spo2MaxPercent, v.upper_bound_percentage.0);
        }
        Kind::RespiratoryRate => push(Metric::BreathingRateBpm, v.breaths_per_minute.0),
        Kind::HeartRateVariability => push(
            Metric::HrvRmssdMs,
            v.average_heart_rate_variability_milliseconds.0,
        ),
        Kind::Vo2Max => push(Metric::Vo2Max, v.vo2_max.0),
        Kind::SleepTemperature => push(
            Metric::TempSkinRelativeCelsius,
            v.nightly_temperature_celsius
                .0
                .zip(v.baseline_temperature_celsius.0)
                .map(|(n, b)| n - b),
        ),
        _ => {}
    }
}

/// Minutes asleep and per stage of the sessions of one page, by the local date each session
/// ends on (Fitbit's `dateOfSleep`), naps included. Stage minutes come from sessions with
/// stages only (a nap's CLASSIC summary has no deep, light or rem, and its AWAKE means
/// restless time). `list` mixes sources, so a session that mostly overlaps one already
/// counted (the same night from another app or device) counts once, by its first listing.
#[derive(Default)]
struct SleepDays {
    counted: Vec<(i64, i64)>,
    days: BTreeMap<NaiveDate, (Option<f64>, BTreeMap<&'static str, f64>)>,
}

impl SleepDays {
    fn add(&mut self, s: &wire::Sleep, cal: &Calendar) {
        let (a, b) = (s.interval.start_time.0, s.interval.end_time.0);
        let twice = self.counted.iter().any(|&(c, d)| {
            let overlap = b.min(d) - a.max(c);
            overlap > 0 && 2 * overlap >= (b - a).min(d - c)
        });
        if twice {
            return;
        }
        self.counted.push((a, b));
        let end = s.interval.end_time.0;
        let day = match s.interval.end_utc_offset.0 {
            Some(off) => DateTime::<Utc>::from_timestamp_millis(end + (off * 1000.0) as i64)
                .unwrap_or_default()
                .date_naive(),
            None => cal.date_of_ms(end),
        };
        let entry = self.days.entry(day).or_default();
        let Some(sum) = &s.summary else { return };
        if let Some(m) = sum.minutes_asleep.0 {
            *entry.0.get_or_insert(0.0) += m;
        }
        if s.kind.as_deref() != Some("STAGES") {
            return;
        }
        for st in &sum.stages_summary {
            let stage = match st.kind.as_str() {
                "DEEP" => "deep",
                "LIGHT" => "light",
                "REM" => "rem",
                "AWAKE" => "wake",
                _ => continue,
            };
            if let Some(m) = st.minutes.0 {
                *entry.1.entry(stage).or_default() += m;
            }
        }
    }

    fn readings(self) -> Vec<Reading> {
        let mut out = Vec::new();
        for (day, (asleep, stages)) in self.days {
            if let Some(a) = asleep {
                out.push(Reading::day(Metric::SleepMinutesTotal, day, a));
            }
            for (stage, m) in stages {
                out.push(labelled(
                    Metric::SleepStageMinutes,
                    day,
                    m,
                    Some(("stage", stage.into())),
                ));
            }
        }
        out
    }
}

/// Sort daily readings by day and keep one per metric, labels and day (the first, i.e. the
/// newest sent): two samples at one instant would both stay in a VictoriaMetrics without
/// deduplication.
fn tidy(mut v: Vec<Reading>) -> Vec<Reading> {
    let key = |r: &Reading| match r.at {
        crate::source::At::Day(d) => (d, 0),
        crate::source::At::Instant(ms) => (NaiveDate::MIN, ms),
    };
    v.sort_by(|a, b| {
        key(a)
            .cmp(&key(b))
            .then((a.metric as usize).cmp(&(b.metric as usize)))
            .then(a.labels.cmp(&b.labels))
    });
    v.dedup_by(|b, a| a.metric == b.metric && a.at == b.at && a.labels == b.labels);
    v
}

/// The Google Health API source.
pub struct GoogleSource {
    /// The HTTP client (tokens, pacing, back-off).
    pub client: Client,
    /// The gaps of the last plan, to tell a request which window its lists and larger-cap
    /// rollups cover.
    gaps: RefCell<Vec<Gap>>,
    /// Readings of larger-cap data types fetched for a chunk of a gap, by (type, chunk).
    cache: HashMap<(Kind, NaiveDate, NaiveDate), Vec<Reading>>,
    /// The tokens' account, once known in this run; and whether `identity` had to tell it
    /// (then [`Source::keep_owner`] writes it into the token file).
    owner: Option<Owner>,
    asked: bool,
}

impl GoogleSource {
    /// A source for `settings`; tokens are read at the first request.
    pub fn new(settings: &GoogleSettings, agent: ureq::Agent) -> Self {
        GoogleSource {
            client: Client::new(settings, agent),
            gaps: RefCell::new(Vec::new()),
            cache: HashMap::new(),
            owner: None,
            asked: false,
        }
    }

    fn json<T: for<'a> serde::Deserialize<'a>>(&mut self, call: Call) -> Result<T, SourceError> {
        let body = self.client.get(call)?;
        parse(call.what, &body)
    }

    /// The gap a request was planned from (itself when it was not planned here).
    fn gap_of(&self, req: &Request) -> (NaiveDate, NaiveDate) {
        self.gaps
            .borrow()
            .iter()
            .find(|g| g.series == req.series && g.first <= req.first && req.last <= g.last)
            .map_or((req.first, req.last), |g| (g.first, g.last))
    }

    /// Every page of a list, handed to `page` (which returns the page's token).
    fn list(
        &mut self,
        kind: Kind,
        filter: &str,
        page_size: u32,
        what: &str,
        mut page: impl FnMut(&[u8]) -> Result<Option<String>, String>,
    ) -> Result<(), SourceError> {
        let (id, _, scope, _) = kind.def();
        let base = format!(
            "dataTypes/{id}/dataPoints?filter={}&pageSize={page_size}",
            encode(filter)
        );
        let mut token: Option<String> = None;
        let mut seen = HashSet::new();
        loop {
            let path = match &token {
                Some(t) => format!("{base}&pageToken={}", encode(t)),
                None => base.clone(),
            };
            let body = self.client.get(Call {
                path: &path,
                scope: Some(scope),
                what,
            })?;
            let next = page(&body).map_err(|m| invalid(what, &m))?;
            match next.filter(|t| !t.is_empty()) {
                None => return Ok(()),
                Some(t) if !seen.insert(t.clone()) => {
                    return Err(invalid(what, "with a page token it had sent before"));
                }
                Some(t) => token = Some(t),
            }
        }
    }

    /// Every window of a rollup (`daily`: `dailyRollUp`), newest first as sent.
    fn rollup(
        &mut self,
        kind: Kind,
        body: serde_json::Value,
        daily: bool,
        what: &str,
        mut window: impl FnMut(RollupPoint),
    ) -> Result<(), SourceError> {
        let (id, _, scope, _) = kind.def();
        let verb = if daily { "dailyRollUp" } else { "rollUp" };
        let path = format!("dataTypes/{id}/dataPoints:{verb}");
        let mut token: Option<String> = None;
        let mut seen = HashSet::new();
        loop {
            let mut b = body.clone();
            if let Some(t) = &token {
                b["pageToken"] = serde_json::Value::String(t.clone());
            }
            let bytes = self.client.post(
                Call {
                    path: &path,
                    scope: Some(scope),
                    what,
                },
                &b,
            )?;
            let p: RollupPage = parse(what, &bytes)?;
            p.rollup_data_points.into_iter().for_each(&mut window);
            match p.next_page_token.filter(|t| !t.is_empty()) {
                None => return Ok(()),
                Some(t) if !seen.insert(t.clone()) => {
                    return Err(invalid(what, "with a page token it had sent before"));
                }
                Some(t) => token = Some(t),
            }
        }
    }

    /// A list's end: the day after `last`, or tomorrow when that is only a few days later,
    /// because the API answers a range that ends in the past with an extra empty first page.
    fn list_end(last: NaiveDate, cal: &Calendar) -> NaiveDate {
        let tomorrow = cal.today(Utc::now()) + Duration::days(1);
        let next = last + Duration::days(1);
        if next < tomorrow && tomorrow - next <= Duration::days(3) {
            tomorrow
        } else {
            next
        }
    }

    /// The readings of one chunk of one data type of a daily family.
    fn chunk(
        &mut self,
        kind: Kind,
        first: NaiveDate,
        last: NaiveDate,
        cal: &Calendar,
    ) -> Result<Vec<Reading>, SourceError> {
        let what = format!("{} {first}..{last}", kind.id());
        let mut out = Vec::new();
        if kind.cap() > 0 {
            let days = (last - first).num_days() + 1;
            let body = serde_json::json!({
                "range": {"start": date_json(first), "end": date_json(last + Duration::days(1))},
                "windowSizeDays": 1,
                "pageSize": days,
            });
            self.rollup(kind, body, true, &what, |w| {
                if let Some(day) = w.civil_start_time.map(|c| c.date.0) {
                    daily_window(kind, day, &w, &mut out);
                }
            })?;
            return Ok(out);
        }
        if kind == Kind::Sleep {
            // Attribution uses each session's own offset, which can differ from today's zone:
            // a day of margin on both sides, the days outside the request are dropped later.
            let lo = cal.day_start_ms(first - Duration::days(1));
            let hi = cal.day_start_ms(Self::list_end(last, cal) + Duration::days(1));
            let filter = format!(
                "sleep.interval.end_time >= \"{}\" AND sleep.interval.end_time < \"{}\"",
                rfc(lo),
                rfc(hi)
            );
            let mut days = SleepDays::default();
            self.list(kind, &filter, SLEEP_PAGE, &what, |b| {
                let p: ListPage<wire::SleepPoint> = wire::parse(b)?;
                for s in p.data_points.iter().filter_map(|p| p.sleep.as_ref()) {
                    days.add(s, cal);
                }
                Ok(p.next_page_token)
            })?;
            return Ok(days.readings());
        }
        let (_, name, _, _) = kind.def();
        let filter = format!(
            "{name}.date >= \"{first}\" AND {name}.date < \"{}\"",
            Self::list_end(last, cal)
        );
        self.list(kind, &filter, LIST_PAGE, &what, |b| {
            let p: ListPage<wire::DailyPoint> = wire::parse(b)?;
            for d in &p.data_points {
                daily_point(kind, d, &mut out);
            }
            Ok(p.next_page_token)
        })?;
        Ok(out)
    }

    fn daily(
        &mut self,
        family: Family,
        req: &Request,
        cal: &Calendar,
    ) -> Result<Vec<Reading>, SourceError> {
        let gap = self.gap_of(req);
        let mut out = Vec::new();
        for &kind in members(family) {
            let cap = kind.cap();
            for k in chunks_of(gap, cap, req.first, req.last) {
                let (c0, c1) = chunk(gap, cap, k);
                let key = (kind, c0, c1);
                if !self.cache.contains_key(&key) {
                    let readings = self.chunk(kind, c0, c1, cal)?;
                    self.cache.insert(key, readings);
                }
                out.extend(self.cache[&key].iter().filter(|r| {
                    matches!(r.at, crate::source::At::Day(d) if d >= req.first && d <= req.last)
                }).cloned());
            }
        }
        // Requests of a gap come newest first: a chunk that starts in this request is done.
        self.cache
            .retain(|(k, c0, _), _| !(members(family).contains(k) && *c0 >= req.first));
        Ok(tidy(out))
    }

    fn intraday(
        &mut self,
        resource: Resource,
        detail: Detail,
        req: &Request,
        cal: &Calendar,
    ) -> Result<Vec<(i64, f64)>, SourceError> {
        let kind = intraday_kind(resource);
        let start = cal.day_start_ms(req.first);
        let end = cal.day_end_ms(req.last);
        let what = format!(
            "{} {}..{} {}",
            kind.id(),
            req.first,
            req.last,
            detail.as_str()
        );
        let mut pts: Vec<(i64, f64)> = Vec::new();
        if detail == Detail::Sec1 {
            let filter = format!(
                "heart_rate.sample_time.physical_time >= \"{}\" AND \
                 heart_rate.sample_time.physical_time < \"{}\"",
                rfc(start),
                rfc(end)
            );
            self.list(kind, &filter, LIST_PAGE, &what, |b| {
                let p: ListPage<wire::HeartRatePoint> = wire::parse(b)?;
                pts.extend(p.data_points.iter().filter_map(|p| {
                    let s = p.heart_rate.as_ref()?;
                    Some((s.sample_time.physical_time.0, s.beats_per_minute.0?))
                }));
                Ok(p.next_page_token)
            })?;
        } else {
            let w_ms = window_secs(detail) * 1000;
            let cap_ms = kind.cap() * 86_400_000;
            let mut s = start;
            // The cap is a whole number of windows, so pieces keep the windows aligned.
            while s < end {
                let e = (s + cap_ms).min(end);
                let windows = (e - s + w_ms - 1) / w_ms;
                let body = serde_json::json!({
                    "range": {"startTime": rfc(s), "endTime": rfc(e)},
                    "windowSize": format!("{}s", w_ms / 1000),
                    "pageSize": windows.min(ROLLUP_PAGE).min(cap_ms / w_ms),
                });
                self.rollup(kind, body, false, &what, |w| {
                    if let (Some(t), Some(v)) = (w.start_time, intraday_value(kind, &w)) {
                        pts.push((t.0, v));
                    }
                })?;
                s = e;
            }
        }
        pts.retain(|p| p.0 >= start && p.0 < end);
        pts.sort_by_key(|p| p.0);
        pts.dedup_by_key(|p| p.0);
        Ok(pts)
    }
}

fn invalid(what: &str, phrase: &str) -> SourceError {
    SourceError::Invalid(format!("the Google Health API answered {what} {phrase}"))
}

fn parse<'a, T: serde::Deserialize<'a>>(what: &str, body: &'a [u8]) -> Result<T, SourceError> {
    wire::parse(body).map_err(|m| invalid(what, &m))
}

impl GoogleSource {
    /// `users/me/identity`: the tokens' account (any granted scope reads it).
    fn identity(&mut self) -> Result<Option<Owner>, SourceError> {
        let i: wire::Identity = self.json(Call {
            path: "identity",
            scope: None,
            what: "identity",
        })?;
        let owner = i.health_user_id.filter(|s| !s.is_empty()).map(|id| Owner {
            id,
            also: i
                .legacy_user_id
                .filter(|s| !s.is_empty())
                .map(|l| (crate::source::fitbit::ID, l)),
        });
        self.asked = owner.is_some();
        self.owner.clone_from(&owner);
        Ok(owner)
    }
}

impl Source for GoogleSource {
    fn id(&self) -> &'static str {
        ID
    }

    fn name(&self) -> &'static str {
        "the Google Health API"
    }

    // A per-minute quota recovers before the next timer run: nothing to keep between runs.
    fn restore(&mut self, _memo: Option<&serde_json::Value>) {}

    fn memo(&self) -> Option<serde_json::Value> {
        None
    }

    fn ready(&self) -> Result<(), SourceError> {
        Ok(())
    }

    fn account(&mut self) -> Result<Account, SourceError> {
        let settings: wire::Settings = self.json(Call {
            path: "settings",
            scope: Some("settings.readonly"),
            what: "settings",
        })?;
        let timezone = settings
            .time_zone
            .filter(|z| !z.is_empty())
            .ok_or_else(|| invalid("settings", "without a timeZone"))?;
        let first_day = match self.json::<wire::Profile>(Call {
            path: "profile",
            scope: Some("profile.readonly"),
            what: "profile",
        }) {
            Ok(p) => p.membership_start_date.map(|d| d.0),
            Err(SourceError::Forbidden(m) | SourceError::Invalid(m)) => {
                crate::warn!("{m}; the account's first day is not known");
                None
            }
            Err(e) => return Err(e),
        };
        let id = match &self.owner {
            Some(o) => Some(o.id.clone()),
            None => match self.identity() {
                Ok(o) => o.map(|o| o.id),
                Err(SourceError::Forbidden(m) | SourceError::Invalid(m)) => {
                    crate::debug!("{m}");
                    None
                }
                Err(e) => return Err(e),
            },
        };
        Ok(Account {
            timezone,
            first_day,
            id,
        })
    }

    fn devices(&mut self, _cal: &Calendar) -> Result<Vec<Device>, SourceError> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        let mut seen = HashSet::new();
        loop {
            let path = match &token {
                Some(t) => format!("pairedDevices?pageToken={}", encode(t)),
                None => "pairedDevices".to_string(),
            };
            let page: wire::PairedDevices = self.json(Call {
                path: &path,
                scope: Some("settings.readonly"),
                what: "paired devices",
            })?;
            for d in page.paired_devices {
                let model = d
                    .device_version
                    .clone()
                    .filter(|m| !m.is_empty())
                    .unwrap_or_else(|| "unknown".into());
                // The last segment of `users/{user}/pairedDevices/{id}` stays the same across
                // syncs; without a name the model is the best stable id there is.
                let id = d
                    .name
                    .as_deref()
                    .and_then(|n| n.rsplit('/').next())
                    .filter(|s| !s.is_empty())
                    .map_or_else(|| label_value(&model), str::to_string);
                out.push(Device {
                    id,
                    model,
                    battery_percent: d.battery_level.0,
                    last_sync_ms: d.last_sync_time.map(|t| t.0),
                    is_tracker: d.device_type.as_deref() == Some("TRACKER"),
                });
            }
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(t) if seen.insert(t.clone()) => token = Some(t),
                _ => return Ok(out),
            }
        }
    }

    fn plan(&self, gaps: &[Gap]) -> Vec<Request> {
        *self.gaps.borrow_mut() = gaps.to_vec();
        let mut daily = Vec::new();
        let mut intraday: Vec<(NaiveDate, usize, Request)> = Vec::new();
        for (i, g) in gaps.iter().enumerate() {
            let gap = (g.first, g.last);
            let len = match g.series {
                Series::Daily(f) => family_days(f),
                Series::Intraday(r, d) => Some(intraday_days(r, d)),
            };
            let len = len.unwrap_or((g.last - g.first).num_days() + 1);
            let mut seen: HashMap<Kind, i64> = HashMap::new();
            let mut end = g.last;
            while end >= g.first {
                let start = (end - Duration::days(len - 1)).max(g.first);
                let days = (end - start).num_days() + 1;
                let cost = match g.series {
                    Series::Daily(f) => members(f)
                        .iter()
                        .map(|&k| {
                            let top = seen.entry(k).or_insert(-1);
                            let mut n = 0;
                            for c in chunks_of(gap, k.cap(), start, end) {
                                if c > *top {
                                    *top = c;
                                    let (c0, c1) = chunk(gap, k.cap(), c);
                                    n += if k.cap() > 0 {
                                        1
                                    } else {
                                        list_cost(k, (c1 - c0).num_days() + 1)
                                    };
                                }
                            }
                            n
                        })
                        .sum(),
                    Series::Intraday(_, Detail::Sec1) => {
                        ((days * HEART_RATE_PER_DAY) as u64).div_ceil(HEART_RATE_PER_PAGE as u64)
                    }
                    Series::Intraday(_, d) => {
                        let windows = days * 86_400 / window_secs(d);
                        (windows as u64).div_ceil(ROLLUP_PAGE as u64)
                    }
                };
                let r = Request {
                    series: g.series,
                    first: start,
                    last: end,
                    cost,
                    form: 0,
                };
                match g.series {
                    Series::Daily(_) => daily.push(r),
                    Series::Intraday(..) => intraday.push((end, i, r)),
                }
                end = start - Duration::days(1);
            }
        }
        daily.extend(crate::source::newest_first(intraday));
        daily
    }

    fn fetch<'a>(
        &'a mut self,
        req: &Request,
        cal: &'a Calendar,
    ) -> Result<Readings<'a>, SourceError> {
        match req.series {
            Series::Daily(f) => {
                let readings = self.daily(f, req, cal)?;
                Ok(Box::new(readings.into_iter().map(Ok)))
            }
            Series::Intraday(r, d) => {
                let metric = r.metric();
                let pts = self.intraday(r, d, req, cal)?;
                Ok(Box::new(
                    pts.into_iter()
                        .map(move |(ms, v)| Ok(Reading::instant(metric, ms, v))),
                ))
            }
        }
    }

    fn usage(&self) -> Usage {
        Usage {
            requests: self.client.requests,
            budget_left: None,
        }
    }

    fn pace(&self, requests: u64) -> String {
        let minutes = requests.div_ceil(PACE_PER_MINUTE as u64);
        let when = if minutes <= 1 {
            "within a minute".to_string()
        } else {
            format!("about {minutes} min")
        };
        format!(
            "{when} at {PACE_PER_MINUTE} requests/min (the Google Health API allows \
             {QUOTA_PER_MINUTE} a minute per user)"
        )
    }

    fn quota_size(&self) -> Option<u64> {
        None
    }

    fn account_calls(&self) -> u64 {
        4 // settings, profile, identity, pairedDevices
    }

    // The token file written by `auth login` carries the id: no request. A file from another
    // tool or an older syncbit costs one `identity` call (one of the 300 a minute) until
    // `keep_owner` has written it in.
    fn owner(&mut self) -> Result<Option<Owner>, SourceError> {
        if let Some(o) = &self.owner {
            return Ok(Some(o.clone()));
        }
        if let Some(o) = self.client.store()?.tokens.owner() {
            self.owner = Some(o.clone());
            return Ok(Some(o));
        }
        match self.identity() {
            Err(SourceError::Invalid(m) | SourceError::Forbidden(m)) => {
                crate::debug!("{m}");
                Ok(None)
            }
            other => other,
        }
    }

    fn keep_owner(&mut self) {
        let Some(o) = self.owner.clone().filter(|_| self.asked) else {
            return;
        };
        self.asked = false;
        let Ok(store) = self.client.store() else {
            return;
        };
        let mut next = store.tokens.clone();
        next.set_owner(&o);
        // Best effort: without it the next run asks `identity` again.
        match store.save(&next) {
            Ok(()) => store.tokens = next,
            Err(e) => crate::debug!("{e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn source() -> GoogleSource {
        GoogleSource::new(&GoogleSettings::default(), crate::source::http::agent())
    }

    fn gap(series: Series, first: &str, last: &str) -> Gap {
        Gap {
            series,
            first: d(first),
            last: d(last),
        }
    }

    fn fixture(name: &str) -> Option<Vec<u8>> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/fixtures/google-health-api");
        std::fs::read(dir.join(name)).ok()
    }

    #[test]
    fn a_year_of_daily_data_costs_what_the_caps_allow() {
        let year = |f| gap(Series::Daily(f), "2025-01-01", "2025-12-31");
        let src = source();
        let cost = |f| -> (usize, u64) {
            let reqs = src.plan(&[year(f)]);
            (reqs.len(), reqs.iter().map(|r| r.cost).sum())
        };
        // 27 requests of 14 days: total calories 27 calls, steps, distance and activity level
        // 5 chunks of 90 days each.
        assert_eq!(cost(Family::Activity), (27, 27 + 3 * 5));
        // Calories in zones 27, time in zones and AZM 5 each, resting heart rate 1 list.
        assert_eq!(cost(Family::Heart), (27, 27 + 5 + 5 + 1));
        assert_eq!(cost(Family::Spo2), (1, 1));
        assert_eq!(cost(Family::Sleep), (1, 19));
        let reqs = src.plan(&[year(Family::Activity)]);
        assert_eq!(
            (reqs[0].first, reqs[0].last),
            (d("2025-12-18"), d("2025-12-31"))
        );
        assert_eq!(
            (reqs[26].first, reqs[26].last),
            (d("2025-01-01"), d("2025-01-01"))
        );
        assert!(
            reqs.windows(2)
                .all(|w| w[1].last + Duration::days(1) == w[0].first)
        );
    }

    #[test]
    fn chunks_partition_the_gap_and_each_request_finds_its_own() {
        let g = (d("2025-01-01"), d("2025-12-31"));
        let mut covered = Vec::new();
        for k in 0..5 {
            let (a, b) = chunk(g, 90, k);
            assert!((b - a).num_days() < 90);
            covered.extend(a.iter_days().take_while(|x| *x <= b));
        }
        covered.sort();
        assert_eq!(covered.len(), 365);
        assert_eq!(covered.first(), Some(&g.0));
        // A request straddling two chunks needs both.
        let (a, _) = chunk(g, 90, 1);
        let r = chunks_of(g, 90, a - Duration::days(3), a + Duration::days(3));
        assert_eq!(r, 1..=2);
        assert_eq!(chunks_of(g, 0, g.0, g.1), 0..=0);
        assert_eq!(chunk(g, 0, 0), g);
    }

    #[test]
    fn intraday_ranges_fit_the_physical_caps_across_dst() {
        let g = |r, det| gap(Series::Intraday(r, det), "2025-10-01", "2025-11-29");
        let reqs = source().plan(&[
            g(Resource::Steps, Detail::Min1),
            g(Resource::HeartRate, Detail::Min1),
            g(Resource::HeartRate, Detail::Sec1),
        ]);
        let of = |r: Resource, det: Detail| -> Vec<&Request> {
            reqs.iter()
                .filter(|q| q.series == Series::Intraday(r, det))
                .collect()
        };
        // Steps: 60 days fit one range of at most 89; heart rate at most 13 days a range, so a
        // fall-back day inside never takes one past 14 × 24 h.
        assert_eq!(of(Resource::Steps, Detail::Min1).len(), 1);
        assert_eq!(of(Resource::Steps, Detail::Min1)[0].cost, 9);
        let hr = of(Resource::HeartRate, Detail::Min1);
        assert_eq!(hr.len(), 5);
        assert!(hr.iter().all(|q| (q.last - q.first).num_days() < 13));
        assert!(hr.iter().all(|q| q.cost <= 2));
        assert_eq!(of(Resource::HeartRate, Detail::Sec1).len(), 9);
        // Newest range first, across resources.
        assert!(reqs.windows(2).all(|w| w[0].last >= w[1].last));
    }

    #[test]
    fn captured_rollups_become_daily_readings_keyed_by_their_own_day() {
        let Some(b) = fixture("dailyrollup-steps-7d.json") else {
            return;
        };
        let p: RollupPage = wire::parse(&b).unwrap();
        let mut out = Vec::new();
        for w in &p.rollup_data_points {
            daily_window(Kind::Steps, w.civil_start_time.unwrap().date.0, w, &mut out);
        }
        let out = tidy(out);
        assert_eq!(out.len(), 7);
        assert_eq!(
            out[0],
            Reading::day(Metric::StepsTotal, d("2025-12-31"), 9000.0)
        );
        let b = fixture("dailyrollup-active-zone-minutes-7d-range-5-windows.json").unwrap();
        let p: RollupPage = wire::parse(&b).unwrap();
        let mut out = Vec::new();
        for w in &p.rollup_data_points {
            daily_window(
                Kind::ActiveZoneMinutes,
                w.civil_start_time.unwrap().date.0,
                w,
                &mut out,
            );
        }
        // Five windows: the two days without data write nothing.
        assert_eq!(out.len(), 15);
        assert!(
            out.iter()
                .all(|r| matches!(r.at, crate::source::At::Day(x) if x >= d("2026-01-02")))
        );
        let fat: Vec<&Reading> = out
            .iter()
            .filter(|r| r.labels == vec![("zone", "fat_burn".to_string())])
            .collect();
        assert_eq!(fat.len(), 5);
        assert!(fat.iter().all(|r| r.value == 5.0));
    }

    #[test]
    fn sleep_goes_to_the_local_day_it_ends_and_temperature_needs_a_baseline() {
        let Some(b) = fixture("list-sleep-one-session-trimmed.json") else {
            return;
        };
        let cal = Calendar::new("Asia/Tokyo".parse().unwrap());
        let p: ListPage<wire::SleepPoint> = wire::parse(&b).unwrap();
        let mut days = SleepDays::default();
        for s in p.data_points.iter().filter_map(|p| p.sleep.as_ref()) {
            days.add(s, &cal);
            days.add(s, &cal);
        }
        let r = days.readings();
        // Ends 2026-01-06T14:50Z at -04:00: the 6th, whatever the calendar's zone; counted once.
        assert_eq!(
            r[0],
            Reading::day(Metric::SleepMinutesTotal, d("2026-01-06"), 390.0)
        );
        let stages: Vec<(String, f64)> = r[1..]
            .iter()
            .map(|x| (x.labels[0].1.clone(), x.value))
            .collect();
        assert_eq!(
            stages,
            ["deep", "light", "rem", "wake"]
                .map(|s| (s.to_string(), 60.0))
                .to_vec()
        );

        let b = fixture("list-daily-sleep-temperature-derivations-nan.json").unwrap();
        let p: ListPage<wire::DailyPoint> = wire::parse(&b).unwrap();
        let mut out = Vec::new();
        for x in &p.data_points {
            daily_point(Kind::SleepTemperature, x, &mut out);
        }
        assert_eq!(out.len(), 3, "the two NaN baselines write nothing");
        assert!((out[0].value - 0.2).abs() < 1e-9);
    }

    #[test]
    fn tidy_sorts_by_day_and_keeps_one_sample_per_instant() {
        let r = |day: &str, v: f64| Reading::day(Metric::RestingHeartRateBpm, d(day), v);
        let out = tidy(vec![
            r("2026-01-02", 60.0),
            r("2026-01-01", 58.0),
            r("2026-01-02", 61.0),
        ]);
        assert_eq!(out, vec![r("2026-01-01", 58.0), r("2026-01-02", 60.0)]);
    }

    #[test]
    fn lists_end_today_when_that_saves_the_empty_first_page() {
        let cal = Calendar::new("UTC".parse().unwrap());
        let today = cal.today(Utc::now());
        let tomorrow = today + Duration::days(1);
        assert_eq!(
            GoogleSource::list_end(today - Duration::days(1), &cal),
            tomorrow
        );
        assert_eq!(GoogleSource::list_end(today, &cal), tomorrow);
        let old = today - Duration::days(30);
        assert_eq!(GoogleSource::list_end(old, &cal), old + Duration::days(1));
        assert_eq!(encode("a >= \"b\""), "a%20%3E%3D%20%22b%22");
    }
}
