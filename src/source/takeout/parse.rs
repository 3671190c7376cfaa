//! The parsers of every file kind: intraday files into samples at instants, daily files into
//! the table of daily values. A row that cannot be read is counted (with its line) and
//! skipped; a file that cannot be read as a whole is an error of that file only.

use chrono::{NaiveDate, NaiveDateTime};
use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use super::files::{Family, Kind};
use super::scan::{self, Point, Series};
use super::{Tally, reason};
use crate::calendar::Calendar;
use crate::metrics::Metric;

/// `Your Profile/Profile.csv` column `timezone` (nothing else of it is read).
pub(super) fn profile_timezone(r: &mut dyn Read) -> Option<String> {
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
pub(super) fn newest_date(kind: Kind, buf: &[u8], cal: &Calendar) -> Option<NaiveDate> {
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
pub(super) fn json_records(
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

pub(super) fn describe(e: &scan::FileError) -> String {
    match e {
        scan::FileError::NotArray => "not a JSON array of records".into(),
        scan::FileError::Truncated { line } => format!("cut off in the record at line {line}"),
    }
}

/// Daily values gathered over the files: (family, day, metric, label value) → value.
#[derive(Default)]
pub(super) struct Days(
    pub(super) BTreeMap<(Family, NaiveDate, Metric, &'static str), f64>,
    /// The sleep logs summed so far (a log in two files counts once).
    pub(super) std::collections::HashSet<u64>,
);

impl Days {
    pub(super) fn set(&mut self, f: Family, d: NaiveDate, m: Metric, label: &'static str, v: f64) {
        self.0.insert((f, d, m, label), v);
    }
    pub(super) fn add(&mut self, f: Family, d: NaiveDate, m: Metric, label: &'static str, v: f64) {
        *self.0.entry((f, d, m, label)).or_default() += v;
    }
}

/// The label name of a metric's label value.
pub(super) fn label_name(m: Metric) -> &'static str {
    match m {
        Metric::ActiveMinutes => "type",
        Metric::HeartRateZoneMinutes => "zone",
        Metric::SleepStageMinutes => "stage",
        _ => "",
    }
}

/// The local date of instants, cached for the day at hand (samples come in time order).
pub(super) struct DayOf<'a> {
    pub(super) cal: &'a Calendar,
    pub(super) cur: Option<(i64, i64, NaiveDate)>,
}

impl DayOf<'_> {
    pub(super) fn of(&mut self, ms: i64) -> NaiveDate {
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

/// The samples of an intraday file, as (ms since the epoch, value in the metric's unit), in
/// time order.
///
/// Errors: the file as a whole cannot be read (not an array, truncated, no header).
pub(super) fn intraday(
    kind: Kind,
    buf: &[u8],
    cal: &Calendar,
    tally: &mut Tally,
    path: &str,
    chosen: Option<&HashMap<NaiveDate, String>>,
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
            let column = match kind {
                Kind::HeartRateCsv => "beats per minute",
                Kind::StepsCsv => "steps",
                Kind::DistanceCsv => "distance",
                _ => "calories",
            };
            let mut points: Vec<(i64, f64, u16)> = Vec::with_capacity(buf.len() / 32);
            let mut sources: Vec<String> = Vec::new();
            csv_rows(buf, column, tally, path, |tally, line, time, value, src| {
                let Some((t, _)) = scan::iso_stamp(time) else {
                    tally.bad(path, line);
                    return;
                };
                let value = match number_cell(value) {
                    Cell::Value(x) if x >= 0.0 => x * scale,
                    Cell::Value(_) | Cell::Placeholder => {
                        tally.skip(reason::PLACEHOLDER, 1);
                        return;
                    }
                    Cell::Bad => {
                        tally.bad(path, line);
                        return;
                    }
                };
                let si = source_index(&mut sources, src);
                points.push((t.and_utc().timestamp_millis(), value, si));
            })?;
            let mut day_of = DayOf { cal, cur: None };
            // The day's source over all files (from the survey), else this file's own count.
            let here = one_source_per_day(&points, |ms| day_of.of(ms));
            let mut out = Vec::with_capacity(points.len());
            let mut other = 0;
            for (ms, v, s) in points {
                let day = day_of.of(ms);
                let keep = match chosen.and_then(|c| c.get(&day)) {
                    Some(name) => sources[s as usize] == *name,
                    None => here.get(&day) == Some(&s),
                };
                if keep {
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
pub(super) fn in_time_order(mut points: Vec<(i64, f64)>, tally: &mut Tally) -> Vec<(i64, f64)> {
    if !points.is_sorted_by(|a, b| a.0 < b.0) {
        points.sort_by_key(|p| p.0);
        let n = points.len();
        points.dedup_by_key(|p| p.0);
        tally.skip(reason::DUPLICATE_INSTANT, (n - points.len()) as u64);
    }
    points
}

/// The newest instant of a UTC-stamped classic JSON series file, ms.
pub(super) fn newest_instant(buf: &[u8]) -> Option<i64> {
    Series::new(buf)
        .ok()?
        .filter_map(|p| p.ok()?.ok())
        .map(|p| p.at.and_utc().timestamp_millis())
        .max()
}

/// Count an intraday CSV file's rows per (local day, data source).
pub(super) fn count_sources(
    buf: &[u8],
    cal: &Calendar,
    counts: &mut HashMap<(NaiveDate, String), u64>,
) {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(buf.trim_ascii());
    let Ok(header) = rdr.headers().cloned() else {
        return;
    };
    let col = |name: &str| header.iter().position(|h| h.trim() == name);
    let (Some(time), Some(src)) = (col("timestamp"), col("data source")) else {
        return;
    };
    let mut day_of = DayOf { cal, cur: None };
    for r in rdr.records().flatten() {
        if let (Some((t, _)), Some(s)) = (r.get(time).and_then(scan::iso_stamp), r.get(src)) {
            let day = day_of.of(t.and_utc().timestamp_millis());
            *counts.entry((day, s.trim().to_string())).or_default() += 1;
        }
    }
}

/// Per day, the source with the most rows (on a tie, the first by name).
pub(super) fn most_rows(counts: HashMap<(NaiveDate, String), u64>) -> HashMap<NaiveDate, String> {
    let mut best: HashMap<NaiveDate, (String, u64)> = HashMap::new();
    for ((d, s), n) in counts {
        let e = best.entry(d).or_insert_with(|| (s.clone(), n));
        if n > e.1 || (n == e.1 && s < e.0) {
            *e = (s, n);
        }
    }
    best.into_iter().map(|(d, (s, _))| (d, s)).collect()
}

/// Per day, the source with the most rows (the first one to reach it on a tie).
pub(super) fn one_source_per_day<T: Copy>(
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

/// The index of data source `src` in `sources` (a file names a few), added when new.
fn source_index(sources: &mut Vec<String>, src: &str) -> u16 {
    match sources.iter().position(|s| s == src) {
        Some(i) => i as u16,
        None => {
            sources.push(src.to_string());
            (sources.len() - 1) as u16
        }
    }
}

/// A CSV file's reader and its header.
type CsvFile<'b> = (csv::Reader<&'b [u8]>, csv::StringRecord);

/// A CSV reader of `buf` and its header; `None` (counted as a file without records) for an
/// empty file or one reading `no data`.
///
/// Errors: no header.
fn csv_reader<'b>(buf: &'b [u8], tally: &mut Tally) -> Result<Option<CsvFile<'b>>, String> {
    let text = buf.trim_ascii();
    if text.is_empty() || text.eq_ignore_ascii_case(b"no data") {
        tally.empty_files += 1;
        return Ok(None);
    }
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(text);
    let header = rdr
        .headers()
        .map_err(|e| format!("no CSV header: {e}"))?
        .clone();
    Ok(Some((rdr, header)))
}

/// Call `row(line, stamp, value, data source)` for every row of an intraday CSV file, its
/// columns found by name (`timestamp`, `value`, and `data source` when there is one), with
/// one record buffer for the whole file; `no data`, empty and header-only files have none.
///
/// Errors: the header lacks `timestamp` or the value column.
pub(super) fn csv_rows(
    buf: &[u8],
    value: &str,
    tally: &mut Tally,
    path: &str,
    mut row: impl FnMut(&mut Tally, usize, &str, &str, &str),
) -> Result<(), String> {
    let Some((mut rdr, header)) = csv_reader(buf, tally)? else {
        return Ok(());
    };
    let col = |name: &str| header.iter().position(|h| h.trim() == name);
    let time = col("timestamp").ok_or("no `timestamp` column in its header")?;
    let val = col(value).ok_or_else(|| format!("no `{value}` column in its header"))?;
    let src = col("data source");
    let width = header.len();
    let mut rec = csv::StringRecord::new();
    let mut any = false;
    loop {
        let line = rdr.position().line() as usize;
        match rdr.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) if rec.len() == width => {
                any = true;
                row(
                    tally,
                    line,
                    &rec[time],
                    &rec[val],
                    src.map_or("", |i| rec[i].trim()),
                );
            }
            Ok(true) => {
                any = true;
                tally.bad(path, line);
            }
            Err(e) => {
                any = true;
                tally.bad(path, e.position().map_or(line, |p| p.line() as usize));
                // A broken row (bad UTF-8) ends at its line; an I/O error cannot happen on
                // a buffer, so reading on is safe.
            }
        }
    }
    if !any {
        tally.empty_files += 1;
    }
    Ok(())
}

/// A numeric cell.
pub(super) enum Cell {
    Value(f64),
    /// `NaN`, empty, `-1`: no value.
    Placeholder,
    Bad,
}

pub(super) fn number_cell(s: &str) -> Cell {
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
pub(super) fn daily(
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
pub(super) fn json_day(
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
    match kind {
        Kind::RestingJson => {
            let Some(d) = label else { return false };
            let value = v["value"]["value"].as_f64();
            match (v["value"]["date"].as_str(), value) {
                (Some(_), Some(x)) if x > 0.0 => days.set(f, d, Metric::RestingHeartRateBpm, "", x),
                (_, Some(_)) | (None, None) => tally.skip(reason::PLACEHOLDER, 1),
                _ => return false,
            }
        }
        Kind::ZonesJson => {
            let Some(d) = label else { return false };
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
            if let Some(id) = v["logId"].as_u64()
                && !days.1.insert(id)
            {
                tally.skip(reason::DUPLICATE_LOG, 1);
                return true;
            }
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
            let Some(d) = label else { return false };
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
pub(super) type DayRow = (NaiveDate, Vec<(Metric, f64)>, u16);

/// A daily CSV file: (date column, value columns → metrics); the date is a label of the local
/// day, never converted through a zone.
pub(super) fn csv_daily(
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
    let Some((mut rdr, header)) = csv_reader(buf, tally)? else {
        return Ok(());
    };
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
        let si = source_index(&mut sources, src);
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
