//! The account export (Google Takeout of Fitbit data) as a source: no account, no quota, no
//! request; its "requests" are the export's files.
//!
//! An import is one pass over the files the [`Plan`] chose (one encoding per family, as
//! `shared/reference/takeout.md` prescribes):
//! - intraday files (heart rate, steps, distance, calories) are read one at a time; each file's
//!   samples are one unit for the engine, recorded by path, size and CRC-32 once
//!   VictoriaMetrics accepted them;
//! - daily values (from daily files, and the day totals of the minute series) are gathered in
//!   a small table while the files are read (a 12-year account has about 4,400 days) and
//!   written per family at the end, recorded as ranges of days.
//!
//! Time rules: UTC stamps are instants; local wall-clock stamps go through the user's zone
//! with the calendar's DST rules; date labels (`MM/DD/YY 00:00:00`, `…T00:00:00Z`, bare dates)
//! are local dates, stamped at local midnight like every daily value. Nothing dated after the
//! export date (the newest local date of any intraday record, dated resting-heart-rate record
//! or sleep log) is written: daily files are padded with placeholders up to a year ahead.

pub mod archive;
pub mod scan;

use chrono::{NaiveDate, NaiveDateTime};
use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use crate::calendar::Calendar;
use crate::engine::{Engine, Record, Summary};
use crate::error::Exit;
use crate::metrics::Metric;
use crate::source::{
    Account, Device, Gap, Readings, Request, Resource, Source, SourceError, Usage,
};
use crate::state::Book;
use archive::{Export, Member};
use scan::{Point, Series};

/// The key of the state file's entries of imports.
pub const ID: &str = "google-takeout";

/// What an import writes, each a choice of `--families`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    /// Intraday heart rate (every sample).
    HeartRate,
    /// Steps per minute and per day.
    Steps,
    /// Distance per minute and per day, km.
    Distance,
    /// Calories per minute and per day, kcal.
    Calories,
    /// Minutes per activity level per day.
    ActiveMinutes,
    /// Resting heart rate per day.
    RestingHeartRate,
    /// Minutes per heart-rate zone per day.
    HeartRateZones,
    /// Minutes asleep and per stage per night.
    Sleep,
    /// Nightly SpO2 average, minimum, maximum.
    Spo2,
    /// Nightly breathing rate.
    BreathingRate,
    /// Nightly heart-rate variability (RMSSD).
    Hrv,
    /// Nightly skin temperature relative to baseline.
    Temperature,
    /// VO2 max.
    CardioFitness,
}

impl Family {
    /// Every family, in import order.
    pub const ALL: [Family; 13] = [
        Family::HeartRate,
        Family::Steps,
        Family::Distance,
        Family::Calories,
        Family::ActiveMinutes,
        Family::RestingHeartRate,
        Family::HeartRateZones,
        Family::Sleep,
        Family::Spo2,
        Family::BreathingRate,
        Family::Hrv,
        Family::Temperature,
        Family::CardioFitness,
    ];

    /// The name of `--families`, the state file and the summary.
    pub fn key(self) -> &'static str {
        match self {
            Family::HeartRate => "heart_rate",
            Family::Steps => "steps",
            Family::Distance => "distance",
            Family::Calories => "calories",
            Family::ActiveMinutes => "active_minutes",
            Family::RestingHeartRate => "resting_heart_rate",
            Family::HeartRateZones => "heart_rate_zones",
            Family::Sleep => "sleep",
            Family::Spo2 => "spo2",
            Family::BreathingRate => "breathing_rate",
            Family::Hrv => "hrv",
            Family::Temperature => "temperature",
            Family::CardioFitness => "cardio_fitness",
        }
    }

    /// Parse a name of `--families`.
    pub fn parse(s: &str) -> Option<Family> {
        Family::ALL.into_iter().find(|f| f.key() == s.trim())
    }

    /// The intraday resource, for the minute and second series.
    fn resource(self) -> Option<Resource> {
        match self {
            Family::HeartRate => Some(Resource::HeartRate),
            Family::Steps => Some(Resource::Steps),
            Family::Distance => Some(Resource::Distance),
            Family::Calories => Some(Resource::Calories),
            _ => None,
        }
    }

    /// The day total of a minute series.
    fn total(self) -> Option<Metric> {
        match self {
            Family::Steps => Some(Metric::StepsTotal),
            Family::Distance => Some(Metric::DistanceKm),
            Family::Calories => Some(Metric::CaloriesTotal),
            _ => None,
        }
    }

    /// The live sources' daily family holding the same values (their progress means "written").
    fn live(self) -> Option<crate::source::Family> {
        use crate::source::Family as F;
        Some(match self {
            Family::HeartRate => return None,
            Family::Steps | Family::Distance | Family::Calories | Family::ActiveMinutes => {
                F::Activity
            }
            Family::RestingHeartRate | Family::HeartRateZones => F::Heart,
            Family::Sleep => F::Sleep,
            Family::Spo2 => F::Spo2,
            Family::BreathingRate => F::BreathingRate,
            Family::Hrv => F::Hrv,
            Family::Temperature => F::Temperature,
            Family::CardioFitness => F::CardioFitness,
        })
    }
}

/// What a file holds, from its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Kind {
    HeartRateJson,
    HeartRateCsv,
    StepsJson,
    StepsCsv,
    DistanceJson,
    DistanceCsv,
    CaloriesJson,
    CaloriesCsv,
    /// `sedentary_minutes-…` and the three others, with the `type` label.
    LevelJson(&'static str),
    RestingJson,
    RestingCsv,
    ZonesJson,
    SleepJson,
    /// `Oxygen Saturation (SpO2)/Daily SpO2 - …`.
    Spo2Daily,
    Spo2Csv,
    /// `Heart Rate Variability/Daily Respiratory Rate Summary - …`.
    BreathingDaily,
    BreathingCsv,
    /// `Heart Rate Variability/Daily Heart Rate Variability Summary - …`.
    HrvDaily,
    HrvCsv,
    TemperatureCsv,
    TemperatureComputed,
    Vo2Json,
    Profile,
}

impl Kind {
    fn family(self) -> Option<Family> {
        Some(match self {
            Kind::HeartRateJson | Kind::HeartRateCsv => Family::HeartRate,
            Kind::StepsJson | Kind::StepsCsv => Family::Steps,
            Kind::DistanceJson | Kind::DistanceCsv => Family::Distance,
            Kind::CaloriesJson | Kind::CaloriesCsv => Family::Calories,
            Kind::LevelJson(_) => Family::ActiveMinutes,
            Kind::RestingJson | Kind::RestingCsv => Family::RestingHeartRate,
            Kind::ZonesJson => Family::HeartRateZones,
            Kind::SleepJson => Family::Sleep,
            Kind::Spo2Daily | Kind::Spo2Csv => Family::Spo2,
            Kind::BreathingDaily | Kind::BreathingCsv => Family::BreathingRate,
            Kind::HrvDaily | Kind::HrvCsv => Family::Hrv,
            Kind::TemperatureCsv | Kind::TemperatureComputed => Family::Temperature,
            Kind::Vo2Json => Family::CardioFitness,
            Kind::Profile => return None,
        })
    }

    /// Whether this is the encoding a family prefers (the reference's table, section 5).
    fn preferred(self) -> bool {
        matches!(
            self,
            Kind::HeartRateJson
                | Kind::StepsJson
                | Kind::DistanceJson
                | Kind::CaloriesCsv
                | Kind::LevelJson(_)
                | Kind::RestingJson
                | Kind::ZonesJson
                | Kind::SleepJson
                | Kind::Spo2Daily
                | Kind::BreathingDaily
                | Kind::HrvDaily
                | Kind::TemperatureCsv
                | Kind::Vo2Json
        )
    }

    /// The encoding, for the summary.
    fn encoding(self) -> &'static str {
        match self {
            Kind::HeartRateJson
            | Kind::StepsJson
            | Kind::DistanceJson
            | Kind::CaloriesJson
            | Kind::LevelJson(_)
            | Kind::RestingJson
            | Kind::ZonesJson
            | Kind::SleepJson
            | Kind::Vo2Json => "JSON (Global Export Data)",
            Kind::Spo2Daily => "CSV (Oxygen Saturation (SpO2))",
            Kind::BreathingDaily | Kind::HrvDaily => "CSV (Heart Rate Variability)",
            Kind::TemperatureComputed => "CSV (Temperature)",
            Kind::Profile => "CSV (Your Profile)",
            _ => "CSV (Physical Activity_GoogleData)",
        }
    }

    /// Bytes per sample, roughly, for `--plan`'s estimate.
    fn bytes_per_sample(self) -> u64 {
        match self {
            Kind::HeartRateJson => 95,
            Kind::StepsJson | Kind::DistanceJson | Kind::CaloriesJson => 55,
            Kind::HeartRateCsv | Kind::StepsCsv | Kind::DistanceCsv | Kind::CaloriesCsv => 38,
            Kind::LevelJson(_) => 55,
            Kind::ZonesJson => 60,
            _ => 120,
        }
    }
}

/// The date in a file name (`steps-2026-03-18_TRIMMED….json`: 2026-03-18).
fn name_date(name: &str) -> Option<NaiveDate> {
    let b = name.as_bytes();
    (0..b.len().saturating_sub(9)).find_map(|i| {
        let s = name.get(i..i + 10)?;
        (b[i].is_ascii_digit() && b[i + 4] == b'-' && b[i + 7] == b'-')
            .then(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
            .flatten()
    })
}

/// What a file is, from its name (whatever folder it is in).
fn classify(path: &str) -> Option<Kind> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let (stem, ext) = name.rsplit_once('.')?;
    let dated = |prefix: &str| {
        stem.strip_prefix(prefix)
            .is_some_and(|rest| rest.as_bytes().first().is_some_and(u8::is_ascii_digit))
    };
    let json = ext.eq_ignore_ascii_case("json");
    let csv = ext.eq_ignore_ascii_case("csv");
    Some(if json {
        match () {
            _ if dated("heart_rate-") => Kind::HeartRateJson,
            _ if dated("steps-") => Kind::StepsJson,
            _ if dated("distance-") => Kind::DistanceJson,
            _ if dated("calories-") => Kind::CaloriesJson,
            _ if dated("sedentary_minutes-") => Kind::LevelJson("sedentary"),
            _ if dated("lightly_active_minutes-") => Kind::LevelJson("lightly_active"),
            _ if dated("moderately_active_minutes-") => Kind::LevelJson("fairly_active"),
            _ if dated("very_active_minutes-") => Kind::LevelJson("very_active"),
            _ if dated("resting_heart_rate-") => Kind::RestingJson,
            _ if dated("time_in_heart_rate_zones-") => Kind::ZonesJson,
            _ if dated("sleep-") => Kind::SleepJson,
            _ if dated("demographic_vo2_max-") => Kind::Vo2Json,
            _ => return None,
        }
    } else if csv {
        match () {
            _ if dated("heart_rate_") => Kind::HeartRateCsv,
            _ if dated("steps_") => Kind::StepsCsv,
            _ if dated("distance_") => Kind::DistanceCsv,
            _ if dated("calories_") => Kind::CaloriesCsv,
            _ if stem.starts_with("daily_resting_heart_rate") => Kind::RestingCsv,
            _ if stem.starts_with("daily_oxygen_saturation") => Kind::Spo2Csv,
            _ if stem.starts_with("daily_respiratory_rate") => Kind::BreathingCsv,
            _ if stem.starts_with("daily_heart_rate_variability") => Kind::HrvCsv,
            _ if stem.starts_with("daily_sleep_temperature_derivations") => Kind::TemperatureCsv,
            _ if stem.starts_with("Daily SpO2 - ") => Kind::Spo2Daily,
            _ if stem.starts_with("Daily Respiratory Rate Summary - ") => Kind::BreathingDaily,
            _ if stem.starts_with("Daily Heart Rate Variability Summary - ") => Kind::HrvDaily,
            _ if stem.starts_with("Computed Temperature - ") => Kind::TemperatureComputed,
            _ if stem == "Profile" && path.contains("Your Profile") => Kind::Profile,
            _ => return None,
        }
    } else {
        return None;
    })
}

/// Why rows were not written, in the summary's words.
pub mod reason {
    /// Dated after the export date (daily files are padded up to a year ahead).
    pub const PADDING: &str = "padding after the export date";
    /// A placeholder for "no data": `date: null` / `0.0`, `NaN`, `-1.0`, an empty value.
    pub const PLACEHOLDER: &str = "placeholder";
    /// A row that cannot be read.
    pub const MALFORMED: &str = "malformed";
    /// A second data source's rows of a day another source recorded more of.
    pub const DUPLICATE_SOURCE: &str = "duplicate source";
    /// An instant that already has a sample in the same file.
    pub const DUPLICATE_INSTANT: &str = "duplicate instant";
    /// Written before, by an earlier import or by a live source.
    pub const WRITTEN: &str = "written before";
    /// Outside `--from`/`--to`.
    pub const OUTSIDE: &str = "outside --from/--to";
    /// A local time that does not exist (the hour skipped by a DST change).
    pub const NONEXISTENT: &str = "local time skipped by DST";
}

/// What an import did for one family.
#[derive(Debug, Default)]
pub struct Tally {
    /// The encoding read.
    pub encoding: &'static str,
    /// Files read.
    pub files: u64,
    /// Files with no record (header-only, `no data`, `[]`, empty).
    pub empty_files: u64,
    /// Files not read again: written whole by an earlier import.
    pub unchanged: u64,
    /// Samples written (or printed with `--dry-run`).
    pub samples: u64,
    /// Rows not written, by reason ([`reason`]).
    pub skipped: BTreeMap<&'static str, u64>,
    /// `file:line` of malformed rows (the first 20).
    pub malformed: Vec<String>,
    /// Files that could not be read, with why.
    pub failed: Vec<String>,
}

impl Tally {
    fn skip(&mut self, why: &'static str, n: u64) {
        if n > 0 {
            *self.skipped.entry(why).or_default() += n;
        }
    }

    fn bad(&mut self, path: &str, line: usize) {
        self.skip(reason::MALFORMED, 1);
        if self.malformed.len() < 20 {
            self.malformed.push(format!("{path}:{line}"));
        }
    }
}

/// What `--plan` shows, and what the import reads.
pub struct Plan {
    /// Per family: the chosen kind's files (indexes into the export's members).
    /// Per family: the encoding's first kind, and every file with its kind.
    files: BTreeMap<Family, (Kind, Vec<(usize, Kind)>)>,
    /// The zone of `Your Profile/Profile.csv`, when the export has one.
    pub profile_zone: Option<String>,
}

/// One family of a plan, for `--plan`.
pub struct PlanRow {
    /// The family.
    pub family: Family,
    /// The encoding it is read from.
    pub encoding: &'static str,
    /// Files, and their bytes.
    pub files: usize,
    /// Bytes of those files.
    pub bytes: u64,
    /// The dates in the first and last file names.
    pub span: Option<(NaiveDate, NaiveDate)>,
    /// Samples it should give, roughly.
    pub estimate: u64,
}

impl Plan {
    /// Choose one encoding per wanted family (the preferred one when the export has it), and
    /// read the profile's zone.
    pub fn new(export: &Export, wanted: &[Family]) -> Plan {
        let mut found: BTreeMap<Family, (Vec<(Kind, usize)>, bool)> = BTreeMap::new();
        let mut profile = None;
        for (i, m) in export.members.iter().enumerate() {
            let Some(kind) = classify(&m.path) else {
                continue;
            };
            if kind == Kind::Profile {
                profile = Some(i);
                continue;
            }
            let Some(f) = kind.family().filter(|f| wanted.contains(f)) else {
                continue;
            };
            let e = found.entry(f).or_default();
            e.0.push((kind, i));
            e.1 |= kind.preferred();
        }
        let files = found
            .into_iter()
            .filter_map(|(f, (kinds, has_preferred))| {
                let chosen: Vec<(Kind, usize)> = kinds
                    .into_iter()
                    .filter(|(k, _)| k.preferred() == has_preferred)
                    .collect();
                let kind = chosen.first()?.0;
                Some((f, (kind, chosen.into_iter().map(|(k, i)| (i, k)).collect())))
            })
            .collect();
        let profile_zone = profile.and_then(|i| {
            let m = &export.members[i];
            if export.sequential() {
                let mut zone = None;
                let _ = export.each(&|x| x.path == m.path, &mut |_, r| {
                    zone = profile_timezone(r);
                    Ok(())
                });
                zone
            } else {
                export.read(m, |r| Ok(profile_timezone(r))).ok().flatten()
            }
        });
        Plan {
            files,
            profile_zone,
        }
    }

    /// Per family: encoding, files, bytes, the span of their names and an estimate of samples.
    pub fn rows(&self, export: &Export) -> Vec<PlanRow> {
        self.files
            .iter()
            .map(|(f, (kind, idx))| {
                let members: Vec<&Member> = idx.iter().map(|(i, _)| &export.members[*i]).collect();
                let bytes = members.iter().map(|m| m.size).sum();
                let dates: Vec<NaiveDate> =
                    members.iter().filter_map(|m| name_date(m.name())).collect();
                let span = dates
                    .iter()
                    .min()
                    .zip(dates.iter().max())
                    .map(|(a, b)| (*a, *b));
                let mut estimate = bytes / kind.bytes_per_sample();
                if f.total().is_some() {
                    estimate += span
                        .map(|(a, b)| (b - a).num_days() as u64 + 30)
                        .unwrap_or(0);
                }
                PlanRow {
                    family: *f,
                    encoding: kind.encoding(),
                    files: members.len(),
                    bytes,
                    span,
                    estimate,
                }
            })
            .collect()
    }

    /// Whether any family has files.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The export date: the newest local date of any intraday record, dated resting-heart-rate
    /// record or sleep log (only the newest files of the intraday families are read for it).
    /// `None` when the export has none of them.
    pub fn export_date(&self, export: &Export, cal: &Calendar) -> Option<NaiveDate> {
        let mut wanted: HashMap<usize, Kind> = HashMap::new();
        for (kind, idx) in self.files.values() {
            match kind {
                Kind::RestingJson | Kind::RestingCsv | Kind::SleepJson => {
                    wanted.extend(idx.iter().copied());
                }
                k if k.family().and_then(Family::resource).is_some() => {
                    let newest = idx
                        .iter()
                        .filter_map(|(i, _)| name_date(export.members[*i].name()))
                        .max();
                    wanted.extend(
                        idx.iter()
                            .filter(|(i, _)| name_date(export.members[*i].name()) == newest)
                            .copied(),
                    );
                }
                _ => {}
            }
        }
        let by_path: HashMap<&str, Kind> = wanted
            .iter()
            .map(|(i, k)| (export.members[*i].path.as_str(), *k))
            .collect();
        let mut newest: Option<NaiveDate> = None;
        let _ = export.each(&|m| by_path.contains_key(m.path.as_str()), &mut |m, r| {
            let mut buf = Vec::with_capacity(m.size as usize);
            if r.read_to_end(&mut buf).is_ok()
                && let Some(d) = newest_date(by_path[m.path.as_str()], &buf, cal)
            {
                newest = newest.max(Some(d));
            }
            Ok(())
        });
        newest
    }
}

/// `Your Profile/Profile.csv` column `timezone` (nothing else of it is read).
fn profile_timezone(r: &mut dyn Read) -> Option<String> {
    let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(r);
    let col = csv
        .headers()
        .ok()?
        .iter()
        .position(|h| h.trim() == "timezone")?;
    let row = csv.records().next()?.ok()?;
    row.get(col)
        .map(|z| z.trim().to_string())
        .filter(|z| !z.is_empty())
}

/// The newest local date a file's records carry, for the export date.
fn newest_date(kind: Kind, buf: &[u8], cal: &Calendar) -> Option<NaiveDate> {
    match kind {
        Kind::RestingJson => json_records(buf)
            .ok()?
            .filter_map(|(_, v)| v.ok())
            .filter_map(|v| scan::classic_date(v["value"]["date"].as_str()?))
            .max(),
        Kind::SleepJson => json_records(buf)
            .ok()?
            .filter_map(|(_, v)| v.ok())
            .filter_map(|v| NaiveDate::parse_from_str(v["dateOfSleep"].as_str()?, "%Y-%m-%d").ok())
            .max(),
        Kind::RestingCsv => {
            let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(buf);
            csv.records()
                .filter_map(|r| r.ok())
                .filter(|r| {
                    r.get(1)
                        .is_some_and(|v| v.trim().parse::<f64>().is_ok_and(|x| x > 0.0))
                })
                .filter_map(|r| Some(scan::iso_stamp(r.get(0)?)?.0.date()))
                .max()
        }
        Kind::CaloriesJson => Series::new(buf)
            .ok()?
            .filter_map(|p| p.ok()?.ok())
            .map(|p| p.at.date())
            .max(),
        Kind::HeartRateJson | Kind::StepsJson | Kind::DistanceJson => Series::new(buf)
            .ok()?
            .filter_map(|p| p.ok()?.ok())
            .map(|p| cal.date_of_ms(p.at.and_utc().timestamp_millis()))
            .max(),
        _ => {
            let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(buf);
            csv.records()
                .filter_map(|r| r.ok())
                .filter_map(|r| scan::iso_stamp(r.get(0)?))
                .map(|(t, _)| cal.date_of_ms(t.and_utc().timestamp_millis()))
                .max()
        }
    }
}

/// The records of a classic JSON file with nested values, each with its 1-based line.
///
/// Errors: not a JSON array, or truncated (with the line).
fn json_records(
    buf: &[u8],
) -> Result<impl Iterator<Item = (usize, Result<serde_json::Value, ()>)> + '_, String> {
    let mut recs = scan::Records::new(buf).map_err(|e| describe(&e))?;
    let mut items: Vec<(usize, Result<serde_json::Value, ()>)> = Vec::new();
    while let Some(r) = recs.next() {
        let (start, slice) = r.map_err(|e| describe(&e))?;
        let line = recs.line_at(start);
        items.push((line, serde_json::from_slice(slice).map_err(|_| ())));
    }
    Ok(items.into_iter())
}

fn describe(e: &scan::FileError) -> String {
    match e {
        scan::FileError::NotArray => "not a JSON array of records".into(),
        scan::FileError::Truncated { line } => format!("cut off in the record at line {line}"),
    }
}

/// Daily values gathered over the files: (family, day, metric, label value) → value.
#[derive(Default)]
struct Days(BTreeMap<(Family, NaiveDate, Metric, &'static str), f64>);

impl Days {
    fn set(&mut self, f: Family, d: NaiveDate, m: Metric, label: &'static str, v: f64) {
        self.0.insert((f, d, m, label), v);
    }
    fn add(&mut self, f: Family, d: NaiveDate, m: Metric, label: &'static str, v: f64) {
        *self.0.entry((f, d, m, label)).or_default() += v;
    }
}

/// The label name of a metric's label value.
fn label_name(m: Metric) -> &'static str {
    match m {
        Metric::ActiveMinutes => "type",
        Metric::HeartRateZoneMinutes => "zone",
        Metric::SleepStageMinutes => "stage",
        _ => "",
    }
}

/// What an import is asked to do.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Only local days from.
    pub from: Option<NaiveDate>,
    /// Only local days up to (inclusive).
    pub to: Option<NaiveDate>,
}

impl Options {
    fn window(&self) -> Option<(NaiveDate, NaiveDate)> {
        (self.from.is_some() || self.to.is_some()).then(|| {
            (
                self.from.unwrap_or(NaiveDate::MIN),
                self.to.unwrap_or(NaiveDate::MAX),
            )
        })
    }
    fn contains(&self, d: NaiveDate) -> bool {
        self.from.is_none_or(|f| d >= f) && self.to.is_none_or(|t| d <= t)
    }
}

/// What an import did.
#[derive(Debug, Default)]
pub struct Report {
    /// Per family.
    pub families: BTreeMap<Family, Tally>,
    /// The export date used.
    pub export_date: Option<NaiveDate>,
    /// What the engine wrote.
    pub summary: Summary,
    /// Stopped by SIGINT/SIGTERM (the exit code).
    pub interrupted: Option<u8>,
    /// Bytes read.
    pub bytes: u64,
}

impl Report {
    /// Whether some rows or files could not be imported.
    pub fn incomplete(&self) -> bool {
        self.families
            .values()
            .any(|t| t.skipped.contains_key(reason::MALFORMED) || !t.failed.is_empty())
    }
}

/// The local date of instants, cached for the day at hand (samples come in time order).
struct DayOf<'a> {
    cal: &'a Calendar,
    cur: Option<(i64, i64, NaiveDate)>,
}

impl DayOf<'_> {
    fn of(&mut self, ms: i64) -> NaiveDate {
        if let Some((a, b, d)) = self.cur
            && ms >= a
            && ms < b
        {
            return d;
        }
        let d = self.cal.date_of_ms(ms);
        self.cur = Some((self.cal.day_start_ms(d), self.cal.day_end_ms(d), d));
        d
    }
}

/// Progress written by the live sources: a day complete, or intraday written through an
/// instant.
struct Live<'a> {
    books: Vec<&'a Book>,
}

impl Live<'_> {
    fn intraday(&self, r: Resource, day: NaiveDate) -> Option<Option<i64>> {
        self.books.iter().find_map(|b| {
            let p = b.intraday_progress(day, r.key())?;
            Some(match p.status {
                crate::state::Status::Complete => None,
                crate::state::Status::Partial => Some(p.through_ms.unwrap_or(i64::MIN)),
            })
        })
    }
    fn daily(&self, f: crate::source::Family, day: NaiveDate) -> bool {
        self.books.iter().any(|b| {
            b.daily_progress(day, f.key())
                .is_some_and(|p| p.status == crate::state::Status::Complete)
        })
    }
}

/// Import what `plan` chose into the engine's sink, and what it did. Progress goes to a bar
/// on a terminal, else to a log line at every tenth of the bytes. A SIGINT/SIGTERM stops it
/// between files ([`Report::interrupted`]) after writing what was read.
///
/// Errors: exit 1 when a push or the state fails, or an archive breaks off (what was accepted
/// before is recorded; the next run continues from there).
pub fn import(
    e: &mut Engine,
    export: &Export,
    plan: &Plan,
    export_date: NaiveDate,
    opts: &Options,
) -> (Report, Result<(), Exit>) {
    let mut report = Report {
        export_date: Some(export_date),
        ..Report::default()
    };
    let result = run(e, export, plan, export_date, opts, &mut report);
    (report, result)
}

fn run(
    e: &mut Engine,
    export: &Export,
    plan: &Plan,
    export_date: NaiveDate,
    opts: &Options,
    report: &mut Report,
) -> Result<(), Exit> {
    let cal = e.facts.cal;
    let mut kinds: HashMap<&str, (Family, Kind)> = HashMap::new();
    for (f, (kind, idx)) in &plan.files {
        report.families.entry(*f).or_default().encoding = kind.encoding();
        for (i, k) in idx {
            kinds.insert(export.members[*i].path.as_str(), (*f, *k));
        }
    }
    let total: u64 = export
        .members
        .iter()
        .filter(|m| kinds.contains_key(m.path.as_str()))
        .map(|m| m.size)
        .sum();
    let mut progress = Bytes::new(total);
    let mut days = Days::default();
    // Families whose day totals cannot be trusted: one of their files could not be read.
    let mut withheld: Vec<Family> = Vec::new();
    let mut failure: Option<Exit> = None;
    let mut buf: Vec<u8> = Vec::new();
    let result = export.each(&|m| kinds.contains_key(m.path.as_str()), &mut |m, r| {
        if failure.is_some() {
            return Ok(());
        }
        if let Some(code) = crate::interrupt::requested() {
            report.interrupted = Some(code);
            return Ok(());
        }
        let (family, kind) = kinds[m.path.as_str()];
        let prior = e.state.state.book(ID).files.get(&m.path).cloned();
        let tally = report.families.entry(family).or_default();
        let done_whole = |crc: u32| {
            prior
                .as_ref()
                .is_some_and(|p| p.size == m.size && p.crc == crc && p.windows.is_empty())
        };
        // A file written whole before is read again only for the day totals it feeds.
        let needs_totals = family.total().is_some()
            && !covered(e.state.state.book(ID), family, m, export_date, opts);
        if m.crc.is_some_and(done_whole) && !needs_totals {
            tally.unchanged += 1;
            progress.advance(m.size, report.summary.samples);
            return Ok(());
        }
        buf.clear();
        if let Err(err) = r.read_to_end(&mut buf) {
            tally
                .failed
                .push(format!("{}: cannot be read: {err}", m.path));
            if family.total().is_some() {
                withheld.push(family);
            }
            progress.advance(m.size, report.summary.samples);
            return Ok(());
        }
        report.bytes += buf.len() as u64;
        let crc = m.crc.unwrap_or_else(|| crc32fast::hash(&buf));
        let write = !done_whole(crc);
        if write {
            tally.files += 1;
        } else {
            tally.unchanged += 1;
            if !needs_totals {
                progress.advance(m.size, report.summary.samples);
                return Ok(());
            }
        }
        let parsed = if family.resource().is_some() {
            intraday(kind, &buf, &cal, tally, &m.path)
        } else {
            daily(kind, &buf, family, &mut days, tally, &m.path, export_date).map(|()| Vec::new())
        };
        let points = match parsed {
            Ok(p) => p,
            Err(why) => {
                tally.failed.push(format!("{}: {why}", m.path));
                if family.total().is_some() {
                    withheld.push(family);
                }
                progress.advance(m.size, report.summary.samples);
                return Ok(());
            }
        };
        if let Some(resource) = family.resource() {
            let live = Live {
                books: e
                    .state
                    .state
                    .books()
                    .filter(|(id, _)| *id != ID)
                    .map(|(_, b)| b)
                    .collect(),
            };
            let mut piece = e.batch();
            let mut day_of = DayOf {
                cal: &cal,
                cur: None,
            };
            let mut last = i64::MIN;
            let mut through = None;
            let mut live_day: Option<(NaiveDate, Option<Option<i64>>)> = None;
            let (mut padding, mut outside, mut written, mut dup) = (0, 0, 0, 0);
            let metric = resource.metric();
            for (ms, v) in points {
                let d = day_of.of(ms);
                if d > export_date {
                    padding += 1;
                    continue;
                }
                if !opts.contains(d) {
                    outside += 1;
                    continue;
                }
                if ms <= last {
                    dup += 1;
                    continue;
                }
                last = ms;
                if let Some(t) = family.total() {
                    days.add(family, d, t, "", v);
                }
                if !write {
                    continue;
                }
                if prior.as_ref().is_some_and(|p| p.has(d, ms)) {
                    written += 1;
                    continue;
                }
                let l = match live_day {
                    Some((ld, l)) if ld == d => l,
                    _ => {
                        let l = live.intraday(resource, d);
                        live_day = Some((d, l));
                        l
                    }
                };
                if l.is_some_and(|t| t.is_none_or(|t| ms <= t)) {
                    written += 1;
                    continue;
                }
                if piece.add(metric, &[], v, ms).is_err() {
                    tally.bad(&m.path, 0);
                    continue;
                }
                through = Some(ms);
            }
            tally.skip(reason::PADDING, padding);
            tally.skip(reason::OUTSIDE, outside);
            tally.skip(reason::WRITTEN, written);
            tally.skip(reason::DUPLICATE_INSTANT, dup);
            if write {
                tally.samples += piece.samples as u64;
                let record = Record::File {
                    path: m.path.clone(),
                    size: m.size,
                    crc,
                    through_ms: through.max(prior.as_ref().and_then(|p| p.through_ms)),
                    window: opts.window(),
                };
                if let Err(x) = e.commit(vec![record], &mut piece, &mut report.summary) {
                    failure = Some(x);
                }
            }
        }
        progress.advance(m.size, report.summary.samples);
        Ok(())
    });
    if let Err(err) = result {
        progress.abandon();
        return Err(Exit::failure(format!(
            "cannot read the export: {err}; what was written so far is recorded, and the next run continues"
        )));
    }
    if let Some(x) = failure {
        progress.abandon();
        return Err(x);
    }
    if report.interrupted.is_none() {
        write_days(e, report, days, &withheld, export_date, opts)?;
    }
    e.finish(&mut report.summary)?;
    progress.finish();
    Ok(())
}

/// Whether every day a minute-series file can hold has its day total written already.
fn covered(book: &Book, f: Family, m: &Member, export_date: NaiveDate, opts: &Options) -> bool {
    let Some(first) = name_date(m.name()) else {
        return false;
    };
    // A file holds up to a month from its name's date, starting up to a day earlier in
    // local time.
    let from = first.pred_opt().unwrap_or(first);
    let to = (first + chrono::Days::new(32)).min(export_date);
    from.iter_days()
        .take_while(|d| *d <= to)
        .filter(|d| opts.contains(*d))
        .all(|d| book.imported_day(f.key(), d))
}

/// Write the gathered daily values, one unit per family.
fn write_days(
    e: &mut Engine,
    report: &mut Report,
    days: Days,
    withheld: &[Family],
    export_date: NaiveDate,
    opts: &Options,
) -> Result<(), Exit> {
    let cal = e.facts.cal;
    let mut by_family: BTreeMap<Family, Vec<(NaiveDate, Metric, &'static str, f64)>> =
        BTreeMap::new();
    for ((f, d, m, l), v) in days.0 {
        by_family.entry(f).or_default().push((d, m, l, v));
    }
    for (f, rows) in by_family {
        let tally = report.families.entry(f).or_default();
        if withheld.contains(&f) {
            tally.failed.push(format!(
                "day totals of {} not written: one of its files could not be read",
                f.key()
            ));
            continue;
        }
        let mut piece = e.batch();
        let mut written_days: Vec<NaiveDate> = Vec::new();
        let (mut before, mut outside) = (0, 0);
        for (d, m, l, v) in rows {
            if d > export_date {
                tally.skip(reason::PADDING, 1);
                continue;
            }
            if cal.day_start_ms(d) < crate::sink::MIN_TS_MS {
                // Two-digit years of placeholders (2007 and earlier).
                tally.skip(reason::PLACEHOLDER, 1);
                continue;
            }
            if !opts.contains(d) {
                outside += 1;
                continue;
            }
            let book = e.state.state.book(ID);
            let live = f.live().is_some_and(|lf| {
                Live {
                    books: e
                        .state
                        .state
                        .books()
                        .filter(|(id, _)| *id != ID)
                        .map(|(_, b)| b)
                        .collect(),
                }
                .daily(lf, d)
            });
            if book.imported_day(f.key(), d) || live {
                before += 1;
                continue;
            }
            let labels: Vec<(&'static str, String)> = if l.is_empty() {
                Vec::new()
            } else {
                vec![(label_name(m), l.to_string())]
            };
            if piece.add(m, &labels, v, cal.day_start_ms(d)).is_err() {
                tally.skip(reason::MALFORMED, 1);
                continue;
            }
            if written_days.last() != Some(&d) {
                written_days.push(d);
            }
        }
        tally.skip(reason::WRITTEN, before);
        tally.skip(reason::OUTSIDE, outside);
        tally.samples += piece.samples as u64;
        let records = ranges(&written_days)
            .into_iter()
            .map(|(first, last)| Record::Days {
                family: f.key().to_string(),
                first,
                last,
            })
            .collect();
        e.commit(records, &mut piece, &mut report.summary)?;
    }
    Ok(())
}

/// Sorted days as ranges of consecutive days.
fn ranges(days: &[NaiveDate]) -> Vec<(NaiveDate, NaiveDate)> {
    let mut out: Vec<(NaiveDate, NaiveDate)> = Vec::new();
    for d in days {
        match out.last_mut() {
            Some((_, b)) if b.succ_opt() == Some(*d) => *b = *d,
            _ => out.push((*d, *d)),
        }
    }
    out
}

/// The samples of an intraday file, as (ms since the epoch, value in the metric's unit), in
/// time order.
///
/// Errors: the file as a whole cannot be read (not an array, truncated, no header).
fn intraday(
    kind: Kind,
    buf: &[u8],
    cal: &Calendar,
    tally: &mut Tally,
    path: &str,
) -> Result<Vec<(i64, f64)>, String> {
    let scale = match kind {
        Kind::DistanceJson => 1e-5,
        Kind::DistanceCsv => 1e-3,
        _ => 1.0,
    };
    match kind {
        Kind::HeartRateJson | Kind::StepsJson | Kind::DistanceJson => {
            let mut out = Vec::with_capacity(buf.len() / 60);
            let mut empty = true;
            for p in Series::new(buf).map_err(|e| describe(&e))? {
                empty = false;
                match p.map_err(|e| describe(&e))? {
                    Ok(Point { at, value }) if value.is_finite() && value >= 0.0 => {
                        out.push((at.and_utc().timestamp_millis(), value * scale));
                    }
                    Ok(_) => tally.skip(reason::PLACEHOLDER, 1),
                    Err(b) => tally.bad(path, b.line),
                }
            }
            if empty {
                tally.empty_files += 1;
            }
            // Files are in time order but for a few records (seen around DST changes).
            Ok(in_time_order(out, tally))
        }
        Kind::CaloriesJson => {
            // Local wall-clock stamps: the calendar's DST rules (a skipped hour dropped, a
            // repeated one taken in order).
            let mut local: Vec<(NaiveDateTime, f64)> = Vec::new();
            for p in Series::new(buf).map_err(|e| describe(&e))? {
                match p.map_err(|e| describe(&e))? {
                    Ok(Point { at, value }) if value.is_finite() && value >= 0.0 => {
                        local.push((at, value))
                    }
                    Ok(_) => tally.skip(reason::PLACEHOLDER, 1),
                    Err(b) => tally.bad(path, b.line),
                }
            }
            if local.is_empty() {
                tally.empty_files += 1;
            }
            let (out, dropped) = cal.series_ms(&local);
            tally.skip(reason::NONEXISTENT, dropped.nonexistent as u64);
            tally.skip(reason::DUPLICATE_INSTANT, dropped.duplicate as u64);
            Ok(out)
        }
        _ => {
            // CSV, UTC stamps, possibly several data sources: per local day, the source with
            // the most rows.
            let rows = csv_rows(buf, &["timestamp"], tally, path)?;
            let mut points: Vec<(i64, f64, u16)> = Vec::with_capacity(rows.len());
            let mut sources: Vec<String> = Vec::new();
            for row in rows {
                let (Some((t, _)), Some(v)) = (
                    row.cells.first().and_then(|s| scan::iso_stamp(s)),
                    row.cells.get(1),
                ) else {
                    tally.bad(path, row.line);
                    continue;
                };
                let value = match number_cell(v) {
                    Cell::Value(x) if x >= 0.0 => x * scale,
                    Cell::Value(_) | Cell::Placeholder => {
                        tally.skip(reason::PLACEHOLDER, 1);
                        continue;
                    }
                    Cell::Bad => {
                        tally.bad(path, row.line);
                        continue;
                    }
                };
                let src = row.cells.get(2).map(|s| s.trim()).unwrap_or("");
                let si = match sources.iter().position(|s| s == src) {
                    Some(i) => i,
                    None => {
                        sources.push(src.to_string());
                        sources.len() - 1
                    }
                } as u16;
                points.push((t.and_utc().timestamp_millis(), value, si));
            }
            let mut day_of = DayOf { cal, cur: None };
            let chosen = one_source_per_day(&points, |ms| day_of.of(ms));
            let mut out = Vec::with_capacity(points.len());
            let mut other = 0;
            for (ms, v, s) in points {
                if chosen.get(&day_of.of(ms)) == Some(&s) {
                    out.push((ms, v));
                } else {
                    other += 1;
                }
            }
            tally.skip(reason::DUPLICATE_SOURCE, other);
            Ok(in_time_order(out, tally))
        }
    }
}

/// `points` sorted by instant, the first of several at one instant kept.
fn in_time_order(mut points: Vec<(i64, f64)>, tally: &mut Tally) -> Vec<(i64, f64)> {
    if !points.is_sorted_by(|a, b| a.0 < b.0) {
        points.sort_by_key(|p| p.0);
        let n = points.len();
        points.dedup_by_key(|p| p.0);
        tally.skip(reason::DUPLICATE_INSTANT, (n - points.len()) as u64);
    }
    points
}

/// Per day, the source with the most rows (the first one to reach it on a tie).
fn one_source_per_day<T: Copy>(
    rows: &[(T, f64, u16)],
    mut day: impl FnMut(T) -> NaiveDate,
) -> HashMap<NaiveDate, u16> {
    let mut counts: HashMap<(NaiveDate, u16), u32> = HashMap::new();
    let mut order: Vec<(NaiveDate, u16)> = Vec::new();
    for (t, _, s) in rows {
        let k = (day(*t), *s);
        let c = counts.entry(k).or_insert_with(|| {
            order.push(k);
            0
        });
        *c += 1;
    }
    let mut best: HashMap<NaiveDate, (u16, u32)> = HashMap::new();
    for k in order {
        let n = counts[&k];
        let e = best.entry(k.0).or_insert((k.1, n));
        if n > e.1 {
            *e = (k.1, n);
        }
    }
    best.into_iter().map(|(d, (s, _))| (d, s)).collect()
}

/// A CSV row: its cells and 1-based line.
struct Row {
    line: usize,
    cells: Vec<String>,
}

/// The rows of a CSV file with their cells ordered as `columns` (the first one required),
/// then the rest of the row; `no data` and empty files have none.
///
/// Errors: the header lacks the first column.
fn csv_rows(
    buf: &[u8],
    columns: &[&str],
    tally: &mut Tally,
    path: &str,
) -> Result<Vec<Row>, String> {
    let text = buf.trim_ascii();
    if text.is_empty() || text.eq_ignore_ascii_case(b"no data") {
        tally.empty_files += 1;
        return Ok(Vec::new());
    }
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(text);
    let header = rdr
        .headers()
        .map_err(|e| format!("no CSV header: {e}"))?
        .clone();
    if header.get(0).map(str::trim) != Some(columns[0])
        && !header.iter().any(|h| h.trim() == columns[0])
    {
        return Err(format!("no `{}` column in its header", columns[0]));
    }
    let width = header.len();
    let mut out = Vec::new();
    for rec in rdr.records() {
        match rec {
            Ok(r) if r.len() == width => out.push(Row {
                line: r.position().map(|p| p.line() as usize).unwrap_or(0),
                cells: r.iter().map(str::to_string).collect(),
            }),
            Ok(r) => tally.bad(path, r.position().map(|p| p.line() as usize).unwrap_or(0)),
            Err(e) => tally.bad(path, e.position().map(|p| p.line() as usize).unwrap_or(0)),
        }
    }
    if out.is_empty() && tally.malformed.is_empty() {
        tally.empty_files += 1;
    }
    Ok(out)
}

/// A numeric cell.
enum Cell {
    Value(f64),
    /// `NaN`, empty, `-1`: no value.
    Placeholder,
    Bad,
}

fn number_cell(s: &str) -> Cell {
    let s = s.trim();
    if s.is_empty() || s.eq_ignore_ascii_case("nan") {
        return Cell::Placeholder;
    }
    match s.parse::<f64>() {
        Ok(-1.0) => Cell::Placeholder,
        Ok(x) if x.is_finite() => Cell::Value(x),
        Ok(_) => Cell::Placeholder,
        Err(_) => Cell::Bad,
    }
}

/// Daily values of a daily file into `days`.
///
/// Errors: the file as a whole cannot be read.
fn daily(
    kind: Kind,
    buf: &[u8],
    family: Family,
    days: &mut Days,
    tally: &mut Tally,
    path: &str,
    export_date: NaiveDate,
) -> Result<(), String> {
    match kind {
        Kind::LevelJson(level) => {
            let mut empty = true;
            for p in Series::new(buf).map_err(|e| describe(&e))? {
                empty = false;
                match p.map_err(|e| describe(&e))? {
                    Ok(Point { at, .. }) if at.date() > export_date => {
                        tally.skip(reason::PADDING, 1)
                    }
                    Ok(Point { at, value }) if value.is_finite() && value >= 0.0 => {
                        days.set(family, at.date(), Metric::ActiveMinutes, level, value)
                    }
                    Ok(_) => tally.skip(reason::PLACEHOLDER, 1),
                    Err(b) => tally.bad(path, b.line),
                }
            }
            if empty {
                tally.empty_files += 1;
            }
        }
        Kind::RestingJson | Kind::ZonesJson | Kind::SleepJson | Kind::Vo2Json => {
            let mut empty = true;
            for (line, v) in json_records(buf)? {
                empty = false;
                let Ok(v) = v else {
                    tally.bad(path, line);
                    continue;
                };
                if !json_day(kind, &v, family, days, tally, export_date) {
                    tally.bad(path, line);
                }
            }
            if empty {
                tally.empty_files += 1;
            }
        }
        _ => csv_daily(kind, buf, family, days, tally, path, export_date)?,
    }
    Ok(())
}

/// One record of a nested JSON daily file; false when it is malformed.
fn json_day(
    kind: Kind,
    v: &serde_json::Value,
    f: Family,
    days: &mut Days,
    tally: &mut Tally,
    export_date: NaiveDate,
) -> bool {
    let label = v["dateTime"]
        .as_str()
        .and_then(|s| scan::classic_stamp(s.as_bytes()))
        .map(|t| t.date())
        .or_else(|| {
            v["dateOfSleep"]
                .as_str()
                .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        });
    if label.is_some_and(|d| d > export_date) {
        tally.skip(reason::PADDING, 1);
        return true;
    }
    let day_label = || label;
    match kind {
        Kind::RestingJson => {
            let Some(d) = day_label() else { return false };
            let value = v["value"]["value"].as_f64();
            match (v["value"]["date"].as_str(), value) {
                (Some(_), Some(x)) if x > 0.0 => days.set(f, d, Metric::RestingHeartRateBpm, "", x),
                (_, Some(_)) | (None, None) => tally.skip(reason::PLACEHOLDER, 1),
                _ => return false,
            }
        }
        Kind::ZonesJson => {
            let Some(d) = day_label() else { return false };
            let Some(zones) = v["value"]["valuesInZones"].as_object() else {
                return false;
            };
            for (k, x) in zones {
                let zone = match k.as_str() {
                    "BELOW_DEFAULT_ZONE_1" => "out_of_range",
                    "IN_DEFAULT_ZONE_1" => "fat_burn",
                    "IN_DEFAULT_ZONE_2" => "cardio",
                    "IN_DEFAULT_ZONE_3" => "peak",
                    _ => continue,
                };
                match x.as_f64() {
                    Some(x) if x >= 0.0 => days.set(f, d, Metric::HeartRateZoneMinutes, zone, x),
                    _ => return false,
                }
            }
        }
        Kind::SleepJson => {
            let Some(d) = v["dateOfSleep"]
                .as_str()
                .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
            else {
                return false;
            };
            let Some(asleep) = v["minutesAsleep"].as_f64() else {
                return false;
            };
            days.add(f, d, Metric::SleepMinutesTotal, "", asleep);
            // Stages only from logs that have them; classic logs (most naps) have none.
            if v["type"].as_str() == Some("stages") {
                let summary = &v["levels"]["summary"];
                for stage in ["deep", "light", "rem", "wake"] {
                    if let Some(m) = summary[stage]["minutes"].as_f64() {
                        days.add(f, d, Metric::SleepStageMinutes, stage, m);
                    }
                }
            }
        }
        Kind::Vo2Json => {
            let Some(d) = day_label() else { return false };
            let value = &v["value"];
            match value["filteredDemographicVO2Max"]
                .as_f64()
                .or_else(|| value["demographicVO2Max"].as_f64())
            {
                Some(x) if x > 0.0 => days.set(f, d, Metric::Vo2Max, "", x),
                Some(_) => tally.skip(reason::PLACEHOLDER, 1),
                None => return false,
            }
        }
        _ => return false,
    }
    true
}

/// A row of a daily CSV file: its date, values, and data source (an index).
type DayRow = (NaiveDate, Vec<(Metric, f64)>, u16);

/// A daily CSV file: (date column, value columns → metrics); the date is a label of the local
/// day, never converted through a zone.
fn csv_daily(
    kind: Kind,
    buf: &[u8],
    f: Family,
    days: &mut Days,
    tally: &mut Tally,
    path: &str,
    export_date: NaiveDate,
) -> Result<(), String> {
    use Metric as M;
    // (date column, [(value column, metric)]); temperature is computed from two columns.
    let (date_col, cols): (&str, &[(&str, Metric)]) = match kind {
        Kind::RestingCsv => ("timestamp", &[("beats per minute", M::RestingHeartRateBpm)]),
        Kind::Spo2Daily => (
            "timestamp",
            &[
                ("average_value", M::Spo2AvgPercent),
                ("lower_bound", M::Spo2MinPercent),
                ("upper_bound", M::Spo2MaxPercent),
            ],
        ),
        Kind::Spo2Csv => (
            "timestamp",
            &[
                ("average percentage", M::Spo2AvgPercent),
                ("lower bound percentage", M::Spo2MinPercent),
                ("upper bound percentage", M::Spo2MaxPercent),
            ],
        ),
        Kind::BreathingDaily => (
            "timestamp",
            &[("daily_respiratory_rate", M::BreathingRateBpm)],
        ),
        Kind::BreathingCsv => ("timestamp", &[("breaths per minute", M::BreathingRateBpm)]),
        Kind::HrvDaily => ("timestamp", &[("rmssd", M::HrvRmssdMs)]),
        Kind::HrvCsv => (
            "timestamp",
            &[("average heart rate variability milliseconds", M::HrvRmssdMs)],
        ),
        Kind::TemperatureCsv => ("timestamp", &[]),
        Kind::TemperatureComputed => ("sleep_end", &[]),
        _ => return Err("not a daily file".into()),
    };
    let text = buf.trim_ascii();
    if text.is_empty() || text.eq_ignore_ascii_case(b"no data") {
        tally.empty_files += 1;
        return Ok(());
    }
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(text);
    let header = rdr
        .headers()
        .map_err(|e| format!("no CSV header: {e}"))?
        .clone();
    let col = |name: &str| header.iter().position(|h| h.trim() == name);
    let date_i = col(date_col).ok_or_else(|| format!("no `{date_col}` column in its header"))?;
    let src_i = col("data source");
    let value_cols: Vec<(usize, Metric)> = cols
        .iter()
        .filter_map(|(c, m)| Some((col(c)?, *m)))
        .collect();
    // Temperature: nightly − baseline, or the baseline-relative sum over its samples.
    let temp_cols = match kind {
        Kind::TemperatureCsv => {
            col("nightly temperature celsius").zip(col("baseline temperature celsius"))
        }
        Kind::TemperatureComputed => {
            col("baseline_relative_sample_sum").zip(col("temperature_samples"))
        }
        _ => None,
    };
    if value_cols.is_empty() && temp_cols.is_none() {
        return Err("none of the expected value columns in its header".into());
    }
    // Rows per (day, source), to keep one source per day.
    let mut rows: Vec<DayRow> = Vec::new();
    let mut sources: Vec<String> = Vec::new();
    let mut any = false;
    for rec in rdr.records() {
        any = true;
        let rec = match rec {
            Ok(r) if r.len() == header.len() => r,
            Ok(r) => {
                tally.bad(path, r.position().map(|p| p.line() as usize).unwrap_or(0));
                continue;
            }
            Err(e) => {
                tally.bad(path, e.position().map(|p| p.line() as usize).unwrap_or(0));
                continue;
            }
        };
        let line = rec.position().map(|p| p.line() as usize).unwrap_or(0);
        let Some((t, _)) = rec.get(date_i).and_then(scan::iso_stamp) else {
            tally.bad(path, line);
            continue;
        };
        let d = t.date();
        if d > export_date {
            tally.skip(reason::PADDING, 1);
            continue;
        }
        let mut values = Vec::new();
        let mut bad = false;
        let mut placeholder = false;
        for (i, m) in &value_cols {
            match number_cell(rec.get(*i).unwrap_or("")) {
                Cell::Value(x) => values.push((*m, x)),
                Cell::Placeholder => placeholder = true,
                Cell::Bad => bad = true,
            }
        }
        if let Some((a, b)) = temp_cols {
            match (
                number_cell(rec.get(a).unwrap_or("")),
                number_cell(rec.get(b).unwrap_or("")),
            ) {
                (Cell::Value(x), Cell::Value(y)) => match kind {
                    Kind::TemperatureCsv => values.push((M::TempSkinRelativeCelsius, x - y)),
                    _ if y > 0.0 => values.push((M::TempSkinRelativeCelsius, x / y)),
                    _ => placeholder = true,
                },
                (Cell::Bad, _) | (_, Cell::Bad) => bad = true,
                _ => placeholder = true,
            }
        }
        if bad {
            tally.bad(path, line);
            continue;
        }
        if values.is_empty() {
            if placeholder {
                tally.skip(reason::PLACEHOLDER, 1);
            }
            continue;
        }
        let src = src_i.and_then(|i| rec.get(i)).unwrap_or("").trim();
        let si = match sources.iter().position(|s| s == src) {
            Some(i) => i,
            None => {
                sources.push(src.to_string());
                sources.len() - 1
            }
        } as u16;
        rows.push((d, values, si));
    }
    if !any {
        tally.empty_files += 1;
    }
    let keyed: Vec<(NaiveDate, f64, u16)> = rows.iter().map(|(d, _, s)| (*d, 0.0, *s)).collect();
    let chosen = one_source_per_day(&keyed, |d| d);
    for (d, values, s) in rows {
        if chosen.get(&d) != Some(&s) {
            tally.skip(reason::DUPLICATE_SOURCE, 1);
            continue;
        }
        for (m, x) in values {
            days.set(f, d, m, "", x);
        }
    }
    Ok(())
}

/// A progress bar over bytes (with samples), or a log line at every tenth.
struct Bytes {
    bar: Option<indicatif::ProgressBar>,
    total: u64,
    done: u64,
}

impl Bytes {
    fn new(total: u64) -> Bytes {
        use std::io::IsTerminal;
        let bar = (std::io::stderr().is_terminal() && crate::log::enabled(crate::log::Level::Info))
            .then(|| {
                let bar = indicatif::ProgressBar::new(total);
                bar.set_style(
                    indicatif::ProgressStyle::with_template(
                        "import [{bar:30}] {bytes}/{total_bytes}, {msg}, eta {eta}",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                    .progress_chars("=> "),
                );
                bar
            });
        Bytes {
            bar,
            total,
            done: 0,
        }
    }

    fn advance(&mut self, bytes: u64, samples: usize) {
        let before = self.done;
        self.done += bytes;
        match &self.bar {
            Some(b) => {
                b.set_position(self.done);
                b.set_message(crate::engine::progress::count(samples as u64, "sample"));
            }
            None => {
                let tenth = (self.total / 10).max(1);
                if self.total >= 10 << 20 && self.done / tenth != before / tenth {
                    crate::info!(
                        "import: {} of {} MB read, {} written",
                        self.done >> 20,
                        self.total >> 20,
                        crate::engine::progress::count(samples as u64, "sample")
                    );
                }
            }
        }
    }

    fn abandon(&self) {
        if let Some(b) = &self.bar {
            b.abandon();
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// The export as the engine's source: it has no account, devices or quota, and is read by
/// [`import`], not through requests.
pub struct TakeoutSource;

impl Source for TakeoutSource {
    fn id(&self) -> &'static str {
        ID
    }
    fn name(&self) -> &'static str {
        "the account export"
    }
    fn restore(&mut self, _: Option<&serde_json::Value>) {}
    fn memo(&self) -> Option<serde_json::Value> {
        None
    }
    fn ready(&self) -> Result<(), SourceError> {
        Ok(())
    }
    fn account(&mut self) -> Result<Account, SourceError> {
        Ok(Account::default())
    }
    fn devices(&mut self, _: &Calendar) -> Result<Vec<Device>, SourceError> {
        Ok(Vec::new())
    }
    fn plan(&self, _: &[Gap]) -> Vec<Request> {
        Vec::new()
    }
    fn fetch<'a>(&'a mut self, _: &Request, _: &'a Calendar) -> Result<Readings<'a>, SourceError> {
        Err(SourceError::Local(
            "an export is read by syncbit import".into(),
        ))
    }
    fn usage(&self) -> Usage {
        Usage::default()
    }
    fn pace(&self, _: u64) -> String {
        "no quota (read from files)".into()
    }
    fn quota_size(&self) -> Option<u64> {
        None
    }
    fn account_calls(&self) -> u64 {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names() {
        assert_eq!(
            classify("Global Export Data/heart_rate-2026-04-08_TRIMMED_0400Z-0415Z.json"),
            Some(Kind::HeartRateJson)
        );
        assert_eq!(
            classify("Physical Activity_GoogleData/Heart Rate/heart_rate_2026-09-01.csv"),
            Some(Kind::HeartRateCsv)
        );
        assert_eq!(
            classify("Physical Activity_GoogleData/heart_rate_variability_2026-04-01.csv"),
            None
        );
        assert_eq!(
            classify("Physical Activity_GoogleData/calories_in_heart_rate_zone_2026-04-01.csv"),
            None
        );
        assert_eq!(
            classify("Global Export Data/moderately_active_minutes-2026-03-18.json"),
            Some(Kind::LevelJson("fairly_active"))
        );
        assert_eq!(
            classify(
                "Heart Rate Variability/Daily Heart Rate Variability Summary - 2026-04-(5).csv"
            ),
            Some(Kind::HrvDaily)
        );
        assert_eq!(
            classify("Global Export Data/estimated_oxygen_variation-2026-04-08.csv"),
            None
        );
        assert_eq!(
            name_date("steps-2026-03-18_TRIMMED_2026-04-06Z.json"),
            NaiveDate::from_ymd_opt(2026, 3, 18)
        );
        assert_eq!(
            name_date("Daily SpO2 - 2026-03-19-2026-04-14.csv"),
            NaiveDate::from_ymd_opt(2026, 3, 19)
        );
    }

    #[test]
    fn ranges_of_days() {
        let d = |n| NaiveDate::from_ymd_opt(2026, 1, n).unwrap();
        assert_eq!(
            ranges(&[d(1), d(2), d(3), d(5)]),
            vec![(d(1), d(3)), (d(5), d(5))]
        );
    }
}
