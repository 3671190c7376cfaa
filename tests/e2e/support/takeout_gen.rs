//! A synthetic Google Takeout export of Fitbit data, in the real file formats, and the expected
//! result of importing it. Test support only: nothing here is part of the shipped binary.
//!
//! [`write_tree`] writes `dir/<root>/…` (`Takeout/Fitbit` or `Takeout/Google Health`) and returns
//! a [`Truth`]: every sample `syncbit import` must write, the rows it must skip by reason, and
//! where the malformed rows are. The truth is an independent implementation of the import rules
//! of `shared/reference/takeout.md` (one encoding per family, daily samples at local midnight,
//! padding and placeholders dropped, one calories source per local day). [`zip_parts`] and
//! [`tgz`] pack the tree the way Takeout delivers it.
//!
//! The text follows the real files in `shared/fixtures/dataset/google-takeout-fitbit/` and
//! `…/fitbit-account-export-global-export-data-format/`: pretty-printed JSON with `" : "` and
//! `},{` separators and no final newline, `MM/DD/YY HH:MM:SS` stamps, the CSV headers and line
//! endings of each folder (the `Physical Activity_GoogleData` CSVs end with a newline, the legacy
//! `Heart Rate Variability` / `Oxygen Saturation (SpO2)` ones do not).
//!
//! # Data
//! From local midnight of [`Spec::first_day`] to the export moment E (local
//! [`Spec::export_hour`]`:00` on the last day): heart rate every [`Spec::hr_every_s`] seconds
//! (with watch-off hours), steps, distance and calories every UTC minute; one main sleep most
//! nights (the first day has none) and some naps; SpO2, breathing rate, HRV and skin temperature
//! on the mornings after a `stages` main sleep. Everything is a deterministic function of the
//! [`Spec`] (splitmix64 streams seeded from [`Spec::seed`]).
//!
//! # Files, and what the truth takes from them
//! - `Your Profile/Profile.csv`: the zone in column `timezone` (nothing else is imported).
//! - `Global Export Data/heart_rate-D.json` (one per local day, UTC stamps) →
//!   `fitbit_heart_rate_intraday`; the CSV twin `heart_rate_D.csv` (one per UTC day) is ignored.
//! - `steps-D.json`, `distance-D.json` (30-day chunks named after their first UTC date, every
//!   minute, distance in cm) → `fitbit_steps_intraday`, `fitbit_distance_intraday` (km), and per
//!   local day `fitbit_steps_total`, `fitbit_distance_km`. The CSV twins (monthly, non-zero
//!   minutes, metres) are ignored.
//! - `calories_YYYY-MM-01.csv` (monthly, every minute; with traps a second source `Pixel 8` on
//!   some local days) → `fitbit_calories_intraday` of the source with the most rows that local
//!   day, `fitbit_calories_total` per local day. The JSON twin (local stamps) is ignored.
//! - `sedentary_minutes-`, `lightly_active_minutes-`, `moderately_active_minutes-`,
//!   `very_active_minutes-D.json` → `fitbit_active_minutes{type}` (moderately → fairly_active).
//! - `resting_heart_rate-D.json` (365 records a file) → `fitbit_resting_heart_rate_bpm`.
//! - `time_in_heart_rate_zones-D.json` → `fitbit_heart_rate_zone_minutes{zone}`.
//! - `sleep-D.json` (30-day chunks by `dateOfSleep`, newest first) →
//!   `fitbit_sleep_minutes_total` (all logs), `fitbit_sleep_stage_minutes{stage}` (`stages` logs).
//! - `Oxygen Saturation (SpO2)/Daily SpO2 - F-L.csv` → `fitbit_spo2_{avg,min,max}_percent`;
//!   `Heart Rate Variability/Daily Respiratory Rate Summary - D.csv` → `fitbit_breathing_rate_bpm`;
//!   `Daily Heart Rate Variability Summary - YYYY-MM-(d).csv` (named after the evening before) →
//!   `fitbit_hrv_rmssd_ms` on the row date; `daily_sleep_temperature_derivations.csv` →
//!   `fitbit_temp_skin_relative_celsius` = nightly − baseline. The `daily_oxygen_saturation.csv`,
//!   `daily_respiratory_rate.csv` and `daily_heart_rate_variability.csv` twins hold other values
//!   (and with traps one more night) and are ignored.
//!
//! Daily samples are stamped at the first instant of the local day (local midnight; on a day
//! whose midnight a DST change skips, the first local minute that exists), intraday ones at their
//! instant. The last (export) day is partial; its totals are the sums up to E.
//!
//! # Traps ([`Spec::traps`])
//! Padding past the export date (activity minutes to the end of their 30-day chunk, resting heart
//! rate to the end of its 365-day file), placeholders (`date : null` resting heart rate, `NaN`
//! temperature baselines in the first 30 days, one `NaN` Daily SpO2 row), malformed rows (two
//! heart-rate records with `"bpm" : "x"`, one steps record dated `13/45/26 99:00:00`, one
//! calories CSV row without its value column), a header-only steps CSV, a `no data` respiratory
//! file, an empty `[]` sleep file, README files, a garbage
//! `Health Fitness Data_GoogleData/UserActivityProbabilities_2026-01-01.csv`, a second data
//! source in the steps, distance and calories CSVs, and heart-rate JSON file boundaries that
//! switch to a new UTC offset one day after a DST change (as in the real
//! `heart_rate-2016-04-04.json`, a 25-hour file). Without traps none of these are written, the
//! last activity-minute and resting-heart-rate files end on the export date and every
//! temperature row has a baseline.
//!
//! # Choices
//! - The line of a malformed JSON record is the line of its opening brace (the `[{` or `},{`
//!   line); a CSV line counts the header as line 1.
//! - Values are written so that parsing the text gives exactly the truth's `f64` (decimals are
//!   integers scaled by a power of ten, other floats use Rust's shortest round-trip form).
//!   Daily sums are exact sums of the integer minute values, scaled once (`Σcm / 100000`,
//!   `Σcentikcal / 100`); an importer summing parsed floats may differ in the last bits, so
//!   compare totals with a relative tolerance of about 1e-9.
//! - [`write_tree_no_truth`] gives only the export date, the number of samples and the JSON bytes,
//!   for trees too big for a truth in memory (the benchmark's five years of 10 s heart rate).
//!
//! The file depends on no other support module, so a bench can include it with
//! `#[path = "../tests/e2e/support/takeout_gen.rs"] mod takeout_gen;`.

use chrono::{
    DateTime, Datelike, Days, Duration, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc,
};
use chrono_tz::Tz;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Skip reason: a daily record dated after the export date.
pub const PADDING: &str = "padding after the export date";
/// Skip reason: a record that stands for "no data" (`date : null`, `NaN`).
pub const PLACEHOLDER: &str = "placeholder";
/// Skip reason: a row that cannot be parsed.
pub const MALFORMED: &str = "malformed";
/// Skip reason: a calories row of the source that lost the local day.
pub const DUPLICATE: &str = "duplicate source";

/// What to generate.
#[derive(Clone, Debug)]
pub struct Spec {
    /// First local day with data.
    pub first_day: NaiveDate,
    /// Number of local days; the last one is the export day, cut at `export_hour` local time.
    pub days: u32,
    /// The user's zone (written to `Your Profile/Profile.csv` column `timezone`).
    pub tz: Tz,
    /// Heart-rate sample spacing in seconds (real: 1–15 s; tests use e.g. 300, the bench 10).
    pub hr_every_s: u32,
    /// Local hour of the export moment on the last day, 1..=23.
    pub export_hour: u32,
    /// `"Takeout/Fitbit"` or `"Takeout/Google Health"`.
    pub root: &'static str,
    /// Late-2026 layout: `Physical Activity_GoogleData/<Family>/file.csv` instead of flat.
    pub per_family_dirs: bool,
    /// Add padding, placeholders, NaN, malformed rows, odd files and a second CSV source.
    pub traps: bool,
    /// Seed of every random choice.
    pub seed: u64,
}

impl Spec {
    /// `days` local days ending on 2026-04-14 (the fixture's export date), exported at 14:00
    /// America/New_York, heart rate every 300 s, flat `Takeout/Fitbit`, traps on, seed 1.
    /// `Spec::small(775)` is about two years (from 2024-03-01, four DST changes each way):
    /// 3.6 M samples, 286 MB, written with its truth in about 9 s and 140 MB by the test build.
    pub fn small(days: u32) -> Spec {
        assert!(days >= 1);
        let last = NaiveDate::from_ymd_opt(2026, 4, 14).expect("date");
        Spec {
            first_day: last - Days::new(u64::from(days) - 1),
            days,
            tz: chrono_tz::America::New_York,
            hr_every_s: 300,
            export_hour: 14,
            root: "Takeout/Fitbit",
            per_family_dirs: false,
            traps: true,
            seed: 1,
        }
    }

    /// The export date: the last local day.
    pub fn last_day(&self) -> NaiveDate {
        self.first_day + Days::new(u64::from(self.days.max(1)) - 1)
    }

    /// The first instant with data: local midnight of `first_day`.
    pub fn data_start(&self) -> DateTime<Utc> {
        day_start(self.tz, self.first_day)
    }

    /// The export moment E: local `export_hour`:00 on the last day (the hour after it when a DST
    /// change skips that time). Data ends just before E.
    pub fn export_moment(&self) -> DateTime<Utc> {
        let t = self
            .last_day()
            .and_hms_opt(self.export_hour, 0, 0)
            .expect("hour");
        self.tz
            .from_local_datetime(&t)
            .earliest()
            .or_else(|| {
                self.tz
                    .from_local_datetime(&(t + Duration::hours(1)))
                    .earliest()
            })
            .expect("export moment exists")
            .with_timezone(&Utc)
    }
}

/// The expected result of importing a generated tree.
#[derive(Clone, Debug, Default)]
pub struct Truth {
    /// Every sample the import must write: key = `metric{label="v",...}` with labels sorted by
    /// name and without the user label (e.g. `fitbit_heart_rate_zone_minutes{zone="cardio"}`,
    /// `fitbit_steps_total`), value = timestamp ms → value.
    pub series: BTreeMap<String, BTreeMap<i64, f64>>,
    /// The export date (the last local day).
    pub export_date: NaiveDate,
    /// Rows the importer must skip, by reason ([`PADDING`], [`PLACEHOLDER`], [`MALFORMED`],
    /// [`DUPLICATE`]); a reason with no rows is absent.
    pub skipped: BTreeMap<&'static str, usize>,
    /// (path within the product root, 1-based line) of every malformed row written, sorted.
    pub malformed: Vec<(String, usize)>,
    /// Total bytes of the `.json` files written.
    pub json_bytes: u64,
}

impl Truth {
    /// The number of samples in [`Truth::series`].
    pub fn samples(&self) -> u64 {
        self.series.values().map(|s| s.len() as u64).sum()
    }
}

/// Writes the export under `dir/<spec.root>/` and returns what importing it must give.
pub fn write_tree(dir: &Path, spec: &Spec) -> Truth {
    let (acc, json_bytes) = generate(dir, spec, true);
    Truth {
        series: acc
            .series
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        export_date: spec.last_day(),
        skipped: acc.skipped,
        malformed: acc.malformed,
        json_bytes,
    }
}

/// [`write_tree`] without keeping the samples: (export date, number of samples the import
/// writes, bytes of JSON written). For trees whose truth would not fit in memory: five years at
/// `hr_every_s` = 10 are 23.2 M samples in 9 439 files, 2.6 GB of which 1.9 GB JSON (1.45 GB of
/// it heart rate), written in 14 s by the unoptimised test build with 18 MB resident.
pub fn write_tree_no_truth(dir: &Path, spec: &Spec) -> (NaiveDate, u64, u64) {
    let (acc, json_bytes) = generate(dir, spec, false);
    (spec.last_day(), acc.samples, json_bytes)
}

/// The tree under `dir` as `parts` zip files `out/takeout-20260415T101010Z-1-001.zip`, `-002.zip`,
/// …: each a complete zip (deflate, level 1 for speed) holding a contiguous share of the files in
/// path order, balanced by bytes, with at least one folder split over two parts. Entry names are
/// paths relative to `dir` (so they start with `Takeout/`); no directory entries.
pub fn zip_parts(dir: &Path, out: &Path, parts: usize) -> Vec<PathBuf> {
    let files = list_files(dir);
    assert!(
        parts >= 1 && files.len() >= parts,
        "{parts} parts of {} files",
        files.len()
    );
    let bounds = split_points(&files, parts);
    std::fs::create_dir_all(out).expect("create the output folder");
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(1))
        .last_modified_time(
            zip::DateTime::from_date_and_time(2026, 4, 15, 10, 10, 10).expect("zip time"),
        );
    let mut paths = Vec::new();
    for k in 0..parts {
        let path = out.join(format!("takeout-20260415T101010Z-1-{:03}.zip", k + 1));
        let mut z = zip::ZipWriter::new(BufWriter::new(File::create(&path).expect("create zip")));
        for (rel, _) in &files[bounds[k]..bounds[k + 1]] {
            z.start_file(rel.as_str(), opts).expect("zip entry");
            let mut f = File::open(dir.join(rel)).expect("open a tree file");
            std::io::copy(&mut f, &mut z).expect("zip data");
        }
        z.finish().expect("finish zip").flush().expect("flush zip");
        paths.push(path);
    }
    paths
}

/// The tree under `dir` as `out/takeout-20260415T101010Z-1-001.tgz` (gzip level 1), with
/// directory entries and paths relative to `dir`.
pub fn tgz(dir: &Path, out: &Path) -> PathBuf {
    std::fs::create_dir_all(out).expect("create the output folder");
    let path = out.join("takeout-20260415T101010Z-1-001.tgz");
    let gz = flate2::write::GzEncoder::new(
        BufWriter::new(File::create(&path).expect("create tgz")),
        flate2::Compression::fast(),
    );
    let mut b = tar::Builder::new(gz);
    let mut dirs_done = std::collections::BTreeSet::new();
    for (rel, len) in list_files(dir) {
        let mut parent = String::new();
        for part in rel
            .split('/')
            .collect::<Vec<_>>()
            .split_last()
            .expect("name")
            .1
        {
            parent.push_str(part);
            parent.push('/');
            if dirs_done.insert(parent.clone()) {
                let mut h = tar::Header::new_gnu();
                h.set_entry_type(tar::EntryType::Directory);
                h.set_size(0);
                h.set_mode(0o755);
                h.set_mtime(1_776_247_810);
                b.append_data(&mut h, &parent, std::io::empty())
                    .expect("tar dir");
            }
        }
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_size(len);
        h.set_mode(0o644);
        h.set_mtime(1_776_247_810);
        let f = File::open(dir.join(&rel)).expect("open a tree file");
        b.append_data(&mut h, &rel, f).expect("tar file");
    }
    let gz = b.into_inner().expect("finish tar");
    gz.finish()
        .expect("finish gzip")
        .flush()
        .expect("flush tgz");
    path
}

/// The first instant of local day `d` in `tz`: local midnight, or on a day whose midnight a DST
/// change skips, the first local minute that exists.
pub fn day_start(tz: Tz, d: NaiveDate) -> DateTime<Utc> {
    let mut t = d.and_time(NaiveTime::MIN);
    for _ in 0..26 * 60 {
        if let Some(x) = tz.from_local_datetime(&t).earliest() {
            return x.with_timezone(&Utc);
        }
        t += Duration::minutes(1);
    }
    panic!("no local time on {d} in {tz}")
}

/// Every file under `dir` as (path relative to `dir` with `/` separators, bytes), sorted by path.
pub fn list_files(dir: &Path) -> Vec<(String, u64)> {
    fn walk(base: &Path, d: &Path, out: &mut Vec<(String, u64)>) {
        for e in std::fs::read_dir(d).expect("read a tree folder") {
            let e = e.expect("folder entry");
            let p = e.path();
            let m = e.metadata().expect("metadata");
            if m.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p.strip_prefix(base).expect("under the base");
                let rel: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.push((rel.join("/"), m.len()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

// ---------------------------------------------------------------------------------------------
// Series keys.

const HR: &str = "fitbit_heart_rate_intraday";
const STEPS_I: &str = "fitbit_steps_intraday";
const DIST_I: &str = "fitbit_distance_intraday";
const CAL_I: &str = "fitbit_calories_intraday";
const STEPS_T: &str = "fitbit_steps_total";
const DIST_T: &str = "fitbit_distance_km";
const CAL_T: &str = "fitbit_calories_total";
const RHR: &str = "fitbit_resting_heart_rate_bpm";
const SLEEP_T: &str = "fitbit_sleep_minutes_total";
const SPO2_AVG: &str = "fitbit_spo2_avg_percent";
const SPO2_MIN: &str = "fitbit_spo2_min_percent";
const SPO2_MAX: &str = "fitbit_spo2_max_percent";
const BR: &str = "fitbit_breathing_rate_bpm";
const HRV: &str = "fitbit_hrv_rmssd_ms";
const TEMP: &str = "fitbit_temp_skin_relative_celsius";
/// (file stem, series) of the four activity-minute families.
const ACTIVE: [(&str, &str); 4] = [
    (
        "sedentary_minutes",
        r#"fitbit_active_minutes{type="sedentary"}"#,
    ),
    (
        "lightly_active_minutes",
        r#"fitbit_active_minutes{type="lightly_active"}"#,
    ),
    (
        "moderately_active_minutes",
        r#"fitbit_active_minutes{type="fairly_active"}"#,
    ),
    (
        "very_active_minutes",
        r#"fitbit_active_minutes{type="very_active"}"#,
    ),
];
/// (JSON key, series) of the four heart-rate zones.
const ZONES: [(&str, &str); 4] = [
    (
        "BELOW_DEFAULT_ZONE_1",
        r#"fitbit_heart_rate_zone_minutes{zone="out_of_range"}"#,
    ),
    (
        "IN_DEFAULT_ZONE_1",
        r#"fitbit_heart_rate_zone_minutes{zone="fat_burn"}"#,
    ),
    (
        "IN_DEFAULT_ZONE_2",
        r#"fitbit_heart_rate_zone_minutes{zone="cardio"}"#,
    ),
    (
        "IN_DEFAULT_ZONE_3",
        r#"fitbit_heart_rate_zone_minutes{zone="peak"}"#,
    ),
];
/// Sleep stage series, in the order of [`Stages`] fields.
const STAGE_KEYS: [&str; 4] = [
    r#"fitbit_sleep_stage_minutes{stage="deep"}"#,
    r#"fitbit_sleep_stage_minutes{stage="light"}"#,
    r#"fitbit_sleep_stage_minutes{stage="rem"}"#,
    r#"fitbit_sleep_stage_minutes{stage="wake"}"#,
];

// ---------------------------------------------------------------------------------------------
// Randomness: splitmix64.

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

fn finalize(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn mix(a: u64, b: u64) -> u64 {
    finalize(finalize(a.wrapping_add(GOLDEN)) ^ b.wrapping_mul(GOLDEN).rotate_left(23))
}

struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN);
        finalize(self.0)
    }
    /// Uniform in `0..n` (`n` > 0).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }
    /// Uniform in `lo..hi` (`hi` > `lo`).
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

const TAG_HR: u64 = 1;
const TAG_GAP: u64 = 2;
const TAG_MIN: u64 = 3;
const TAG_ACT: u64 = 4;
const TAG_RHR: u64 = 5;
const TAG_ZONE: u64 = 6;
const TAG_SLEEP: u64 = 7;
const TAG_VITALS: u64 = 8;
const TAG_TRAP: u64 = 9;
const TAG_ACT_MIN: u64 = 10;

fn day_rng(seed: u64, tag: u64, d: NaiveDate) -> Rng {
    Rng::new(mix(mix(seed, tag), d.num_days_from_ce() as u64))
}

// ---------------------------------------------------------------------------------------------
// Text helpers.

const POW10: [f64; 6] = [1.0, 10.0, 100.0, 1000.0, 10000.0, 100000.0];

/// `n / 10^k` as the `f64` that parsing its decimal text gives.
fn dec(n: u64, k: usize) -> f64 {
    n as f64 / POW10[k]
}

/// Shortest round-trip text of `v`, with `.0` on whole numbers (as the exports print doubles).
fn fnum(v: f64) -> String {
    let s = format!("{v}");
    if s.contains(['.', 'N', 'i']) {
        s
    } else {
        s + ".0"
    }
}

fn push_u(buf: &mut Vec<u8>, mut n: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.extend_from_slice(&tmp[i..]);
}

fn push2(buf: &mut Vec<u8>, n: u64) {
    buf.push(b'0' + (n / 10 % 10) as u8);
    buf.push(b'0' + (n % 10) as u8);
}

/// `n / 10^k` with exactly `k` decimals (`440`, 2 → `4.40`).
fn push_fixed(buf: &mut Vec<u8>, n: u64, k: u32) {
    let p = 10u64.pow(k);
    push_u(buf, n / p);
    if k > 0 {
        buf.push(b'.');
        let frac = n % p;
        let mut d = p / 10;
        while d > 0 {
            buf.push(b'0' + (frac / d % 10) as u8);
            d /= 10;
        }
    }
}

fn date_of_day(day: i64) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt((day + 719_163) as i32).expect("date in range")
}

/// The civil date of a day number (days since 1970-01-01) in the two stamp forms, cached.
struct DayText {
    day: i64,
    /// `MM/DD/YY`
    mdy: [u8; 8],
    /// `YYYY-MM-DD`
    ymd: [u8; 10],
    /// year * 12 + month - 1
    month: i64,
}

impl DayText {
    fn new() -> DayText {
        DayText {
            day: i64::MIN,
            mdy: [0; 8],
            ymd: [0; 10],
            month: 0,
        }
    }
    fn set(&mut self, day: i64) {
        if day == self.day {
            return;
        }
        self.day = day;
        let d = date_of_day(day);
        let mdy = format!(
            "{:02}/{:02}/{:02}",
            d.month(),
            d.day(),
            d.year().rem_euclid(100)
        );
        let ymd = format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day());
        self.mdy.copy_from_slice(mdy.as_bytes());
        self.ymd.copy_from_slice(ymd.as_bytes());
        self.month = i64::from(d.year()) * 12 + i64::from(d.month0());
    }
    fn first_of_month(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(
            self.month.div_euclid(12) as i32,
            self.month.rem_euclid(12) as u32 + 1,
            1,
        )
        .expect("month")
    }
}

fn push_hms(buf: &mut Vec<u8>, sod: i64) {
    push2(buf, (sod / 3600) as u64);
    buf.push(b':');
    push2(buf, (sod / 60 % 60) as u64);
    buf.push(b':');
    push2(buf, (sod % 60) as u64);
}

/// `MM/DD/YY HH:MM:SS` of `t` seconds (UTC, or a local wall clock shifted into the epoch).
fn push_mdy(buf: &mut Vec<u8>, c: &mut DayText, t: i64) {
    c.set(t.div_euclid(86400));
    buf.extend_from_slice(&c.mdy);
    buf.push(b' ');
    push_hms(buf, t.rem_euclid(86400));
}

/// `YYYY-MM-DDTHH:MM:SSZ` of `t` seconds since the epoch.
fn push_iso(buf: &mut Vec<u8>, c: &mut DayText, t: i64) {
    c.set(t.div_euclid(86400));
    buf.extend_from_slice(&c.ymd);
    buf.push(b'T');
    push_hms(buf, t.rem_euclid(86400));
    buf.push(b'Z');
}

fn mdy(d: NaiveDate) -> String {
    format!(
        "{:02}/{:02}/{:02}",
        d.month(),
        d.day(),
        d.year().rem_euclid(100)
    )
}

fn offset_s(tz: Tz, t: i64) -> i64 {
    let u = DateTime::from_timestamp(t, 0).expect("instant").naive_utc();
    i64::from(tz.offset_from_utc_datetime(&u).fix().local_minus_utc())
}

fn local_naive(tz: Tz, t: i64) -> NaiveDateTime {
    DateTime::from_timestamp(t, 0)
        .expect("instant")
        .with_timezone(&tz)
        .naive_local()
}

/// The instant of a local wall-clock time (earlier one when ambiguous, an hour later when it does
/// not exist), in seconds.
fn instant_of(tz: Tz, t: NaiveDateTime) -> i64 {
    tz.from_local_datetime(&t)
        .earliest()
        .or_else(|| tz.from_local_datetime(&(t + Duration::hours(1))).earliest())
        .expect("local time exists")
        .timestamp()
}

/// `heart_rate` → `Heart Rate`: the late-2026 family folder of a `Physical Activity_GoogleData`
/// file stem.
fn family_folder(stem: &str) -> String {
    stem.split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

// ---------------------------------------------------------------------------------------------
// Output.

struct Tree {
    root: PathBuf,
    per_family: bool,
}

impl Tree {
    fn create(&self, rel: &str) -> BufWriter<File> {
        let p = self.root.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("create a folder");
        BufWriter::with_capacity(1 << 16, File::create(&p).expect("create a file"))
    }
    fn write(&self, rel: &str, bytes: &[u8]) {
        let mut w = self.create(rel);
        w.write_all(bytes).expect("write");
        w.flush().expect("flush");
    }
    /// The path of a `Physical Activity_GoogleData` file of family `stem`.
    fn pa(&self, stem: &str, file: &str) -> String {
        if self.per_family {
            format!(
                "Physical Activity_GoogleData/{}/{file}",
                family_folder(stem)
            )
        } else {
            format!("Physical Activity_GoogleData/{file}")
        }
    }
}

/// A JSON array of records in the export's pretty-printed form: `[{` … `},{` … `}]`.
struct JsonArr {
    w: BufWriter<File>,
    rel: String,
    line: usize,
    n: usize,
}

impl JsonArr {
    fn open(tree: &Tree, rel: String) -> JsonArr {
        JsonArr {
            w: tree.create(&rel),
            rel,
            line: 1,
            n: 0,
        }
    }
    /// Writes one record whose text between the braces is `body` (starting and ending with a
    /// newline); returns the line of its opening brace.
    fn record(&mut self, body: &[u8]) -> usize {
        self.record_lines(body, body.iter().filter(|&&b| b == b'\n').count())
    }
    /// [`JsonArr::record`] of a body known to hold `newlines` newlines.
    fn record_lines(&mut self, body: &[u8], newlines: usize) -> usize {
        let line = self.line;
        self.w
            .write_all(if self.n == 0 { b"[{" } else { b"},{" })
            .expect("write");
        self.w.write_all(body).expect("write");
        self.line += newlines;
        self.n += 1;
        line
    }
    fn finish(mut self) {
        self.w
            .write_all(if self.n == 0 { b"[]" } else { b"}]" })
            .expect("write");
        self.w.flush().expect("flush");
    }
}

/// A CSV file: the header is line 1.
struct Csv {
    w: BufWriter<File>,
    rel: String,
    line: usize,
}

impl Csv {
    fn open(tree: &Tree, rel: String, header: &str) -> Csv {
        let mut w = tree.create(&rel);
        w.write_all(header.as_bytes()).expect("write");
        w.write_all(b"\n").expect("write");
        Csv { w, rel, line: 1 }
    }
    /// Writes one line (ending with a newline); returns its line number.
    fn row(&mut self, bytes: &[u8]) -> usize {
        self.w.write_all(bytes).expect("write");
        self.line += 1;
        self.line
    }
    fn finish(mut self) {
        self.w.flush().expect("flush");
    }
}

/// What one generator thread found: samples (kept or only counted), skips, malformed rows.
struct Acc {
    series: Option<BTreeMap<&'static str, BTreeMap<i64, f64>>>,
    samples: u64,
    skipped: BTreeMap<&'static str, usize>,
    malformed: Vec<(String, usize)>,
}

impl Acc {
    fn new(keep: bool) -> Acc {
        Acc {
            series: keep.then(BTreeMap::new),
            samples: 0,
            skipped: BTreeMap::new(),
            malformed: Vec::new(),
        }
    }
    /// One sample the import must write, at `t` seconds.
    fn put(&mut self, key: &'static str, t: i64, v: f64) {
        self.samples += 1;
        if let Some(s) = &mut self.series {
            let old = s.entry(key).or_default().insert(t * 1000, v);
            assert!(old.is_none(), "generator bug: {key} twice at {t}");
        }
    }
    fn skip(&mut self, reason: &'static str, n: usize) {
        if n > 0 {
            *self.skipped.entry(reason).or_default() += n;
        }
    }
    fn bad(&mut self, rel: &str, line: usize) {
        self.malformed.push((rel.to_string(), line));
        self.skip(MALFORMED, 1);
    }
    fn merge(&mut self, o: Acc) {
        self.samples += o.samples;
        if let (Some(s), Some(os)) = (&mut self.series, o.series) {
            for (k, v) in os {
                let e = s.entry(k).or_default();
                let n = e.len() + v.len();
                e.extend(v);
                assert_eq!(e.len(), n, "generator bug: {k} written by two passes");
            }
        }
        for (k, n) in o.skipped {
            *self.skipped.entry(k).or_default() += n;
        }
        self.malformed.extend(o.malformed);
    }
}

/// Precomputed instants of one spec.
struct Ctx {
    tz: Tz,
    /// The local days, first to last.
    days: Vec<NaiveDate>,
    /// First instant (s) of each local day, and of the day after the last.
    starts: Vec<i64>,
    /// Data start and export moment (s).
    s: i64,
    e: i64,
    /// Traps: instants of the malformed heart-rate records (sorted), of the malformed steps
    /// record (the first non-zero minute at or after it), of the malformed calories row and its
    /// local day (no second source on that day).
    hr_bad: Vec<i64>,
    steps_bad: Option<i64>,
    cal_bad: Option<(usize, i64)>,
}

impl Ctx {
    fn new(spec: &Spec) -> Ctx {
        assert!(spec.days >= 1, "at least one day");
        assert!(
            (1..=23).contains(&spec.export_hour),
            "export_hour must be 1..=23"
        );
        assert!(spec.hr_every_s >= 1, "hr_every_s must be positive");
        let tz = spec.tz;
        let days: Vec<NaiveDate> = spec
            .first_day
            .iter_days()
            .take(spec.days as usize)
            .collect();
        let mut starts: Vec<i64> = days.iter().map(|&d| day_start(tz, d).timestamp()).collect();
        starts.push(day_start(tz, spec.last_day() + Days::new(1)).timestamp());
        let s = starts[0];
        let e = spec.export_moment().timestamp();
        assert!(s % 60 == 0, "local midnight must be a whole UTC minute");
        let n = days.len();
        // A minute about `h` hours into local day `i`, inside the data.
        let at = |i: usize, h: i64| -> i64 {
            let end = starts[i + 1].min(e);
            let avail = (end - starts[i]) / 60;
            starts[i] + 60 * (h * 60).min(avail / 2)
        };
        let (hr_bad, steps_bad, cal_bad) = if spec.traps {
            (
                vec![at(n / 3, 10) + 7, at(2 * n / 3, 15) + 7],
                Some(at(n / 2, 12)),
                Some((n / 4, at(n / 4, 10))),
            )
        } else {
            (Vec::new(), None, None)
        };
        Ctx {
            tz,
            days,
            starts,
            s,
            e,
            hr_bad,
            steps_bad,
            cal_bad,
        }
    }
}

fn generate(dir: &Path, spec: &Spec, keep: bool) -> (Acc, u64) {
    let c = Ctx::new(spec);
    let tree = Tree {
        root: dir.join(spec.root),
        per_family: spec.per_family_dirs,
    };
    let mut acc = std::thread::scope(|sc| {
        let hr = sc.spawn(|| {
            let mut a = Acc::new(keep);
            heart_rate(&tree, spec, &c, &mut a);
            a
        });
        let min = sc.spawn(|| {
            let mut a = Acc::new(keep);
            minutes(&tree, spec, &c, &mut a);
            a
        });
        let mut a = Acc::new(keep);
        profile(&tree, spec);
        daily(&tree, spec, &c, &mut a);
        if spec.traps {
            trap_files(&tree, spec, &c);
        }
        a.merge(hr.join().expect("heart-rate thread"));
        a.merge(min.join().expect("minute thread"));
        a
    });
    acc.malformed.sort();
    let json_bytes = list_files(&tree.root)
        .iter()
        .filter(|(p, _)| p.ends_with(".json"))
        .map(|(_, n)| n)
        .sum();
    (acc, json_bytes)
}

// ---------------------------------------------------------------------------------------------
// Profile.

fn profile(tree: &Tree, spec: &Spec) {
    let text = format!(
        "id,full_name,first_name,last_name,display_name_setting,display_name,username,\
         email_address,date_of_birth,child,country,state,city,timezone,locale,member_since,\
         about_me,start_of_week,sleep_tracking,time_display_format,gender,height,weight,\
         stride_length_walking,stride_length_running,weight_unit,distance_unit,height_unit,\
         water_unit,glucose_unit,swim_unit\n\
         TESTUS,Test User,Test,User,name,Test U.,,test.user@example.com,1990-01-01,false,US,,,\
         {},en_US,{},,SUNDAY,Normal,12hour,FEMALE,170.0,65.0,74.0,104.1,METRIC,METRIC,METRIC,\
         METRIC,MG_DL,METRIC\n",
        spec.tz.name(),
        spec.first_day
    );
    tree.write("Your Profile/Profile.csv", text.as_bytes());
}

// ---------------------------------------------------------------------------------------------
// Heart rate: JSON per local day (UTC stamps), CSV per UTC day.

/// Whether the watch is off during UTC hour `h`.
fn watch_off(seed: u64, h: i64) -> bool {
    mix(mix(seed, TAG_GAP), h as u64) % 100 < 3
}

/// Where the heart-rate JSON of local day `i` starts. With traps the file boundary uses the UTC
/// offset of the previous local midnight, so it switches one day after a DST change.
fn hr_file_start(spec: &Spec, c: &Ctx, i: usize) -> i64 {
    if i == 0 {
        return c.s;
    }
    if !spec.traps {
        return c.starts[i];
    }
    let midnight = c.days[i].and_time(NaiveTime::MIN).and_utc().timestamp();
    midnight - offset_s(c.tz, c.starts[i - 1])
}

fn heart_rate(tree: &Tree, spec: &Spec, c: &Ctx, acc: &mut Acc) {
    let step = i64::from(spec.hr_every_s);
    let starts: Vec<i64> = (0..c.days.len())
        .map(|i| hr_file_start(spec, c, i))
        .collect();
    let mut rng = Rng::new(mix(spec.seed, TAG_HR));
    let mut di = 0usize;
    let mut json: Option<JsonArr> = None;
    let mut csv: Option<(i64, Csv)> = None;
    let (mut jt, mut ct) = (DayText::new(), DayText::new());
    let mut body = Vec::with_capacity(160);
    let mut row = Vec::with_capacity(64);
    let mut bad = c.hr_bad.iter().copied().peekable();
    let (mut hour, mut target) = (i64::MIN, 70.0f64);
    let mut bpm = 70.0f64;
    let alpha = (0.02 * step as f64).min(1.0);
    let mut t = c.s + 1;
    while t < c.e {
        let h = t.div_euclid(3600);
        if h != hour {
            hour = h;
            let local_hour = (t + offset_s(c.tz, t)).rem_euclid(86400) / 3600;
            let r = mix(mix(spec.seed, TAG_HR), h as u64);
            target = if !(7..23).contains(&local_hour) {
                55.0 + (r % 8) as f64
            } else if r % 100 < 8 {
                125.0 + (r >> 8) as f64 % 30.0
            } else {
                66.0 + (r >> 8) as f64 % 22.0
            };
        }
        if watch_off(spec.seed, h) {
            t += step;
            continue;
        }
        bpm += (target - bpm) * alpha + (rng.unit() + rng.unit() - 1.0) * 4.0;
        bpm = bpm.clamp(38.0, 205.0);
        let b = bpm.round() as u64;
        let r = rng.below(1000);
        let conf = match r {
            0..5 => 0,
            5..15 => 1,
            15..95 => 2,
            _ => 3,
        };
        let is_bad = bad.peek().is_some_and(|&x| t >= x);
        if is_bad {
            bad.next();
        }
        while di + 1 < starts.len() && t >= starts[di + 1] {
            di += 1;
            if let Some(j) = json.take() {
                j.finish();
            }
        }
        let j = json.get_or_insert_with(|| {
            JsonArr::open(
                tree,
                format!("Global Export Data/heart_rate-{}.json", c.days[di]),
            )
        });
        body.clear();
        body.extend_from_slice(b"\n  \"dateTime\" : \"");
        push_mdy(&mut body, &mut jt, t);
        body.extend_from_slice(b"\",\n  \"value\" : {\n    \"bpm\" : ");
        if is_bad {
            body.extend_from_slice(b"\"x\"");
        } else {
            push_u(&mut body, b);
        }
        body.extend_from_slice(b",\n    \"confidence\" : ");
        push_u(&mut body, conf);
        body.extend_from_slice(b"\n  }\n");
        let line = j.record_lines(&body, 6);
        if is_bad {
            acc.bad(&j.rel, line);
        } else {
            acc.put(HR, t, b as f64);
        }
        let ud = t.div_euclid(86400);
        if csv.as_ref().is_none_or(|(k, _)| *k != ud) {
            if let Some((_, old)) = csv.take() {
                old.finish();
            }
            let rel = tree.pa("heart_rate", &format!("heart_rate_{}.csv", date_of_day(ud)));
            csv = Some((
                ud,
                Csv::open(tree, rel, "timestamp,beats per minute,data source"),
            ));
        }
        row.clear();
        push_iso(&mut row, &mut ct, t);
        row.push(b',');
        push_u(&mut row, b);
        row.extend_from_slice(b".0,Inspire 3\n");
        csv.as_mut().expect("open").1.row(&row);
        t += step;
    }
    if let Some(j) = json {
        j.finish();
    }
    if let Some((_, f)) = csv {
        f.finish();
    }
}

// ---------------------------------------------------------------------------------------------
// Steps, distance, calories: every UTC minute.

/// A writer that is replaced whenever its key (a chunk, a month) changes.
struct Rot<T> {
    cur: Option<(i64, T)>,
}

impl<T> Rot<T> {
    fn new() -> Rot<T> {
        Rot { cur: None }
    }
    /// The writer for `key`; on a new key the previous writer is finished with `fin` and the
    /// new one made with `open`.
    fn get(&mut self, key: i64, open: impl FnOnce() -> T, fin: impl FnOnce(T)) -> &mut T {
        if self.cur.as_ref().is_none_or(|(k, _)| *k != key) {
            if let Some((_, w)) = self.cur.take() {
                fin(w);
            }
            self.cur = Some((key, open()));
        }
        &mut self.cur.as_mut().expect("open").1
    }
}

/// Activity kind of each elapsed hour of a local day: 0 asleep, 1 resting, 2 light, 3 walking,
/// 4 running.
fn activity_plan(spec: &Spec, d: NaiveDate) -> [u8; 25] {
    let mut r = day_rng(spec.seed, TAG_ACT, d);
    let mut kinds = [0u8; 25];
    for (h, k) in kinds.iter_mut().enumerate() {
        let x = r.below(100);
        *k = if !(6..23).contains(&h) {
            0
        } else if x < 40 {
            1
        } else if x < 78 {
            2
        } else if x < 96 {
            3
        } else {
            4
        };
    }
    kinds
}

fn gen_steps(rng: &mut Rng, kind: u8) -> u64 {
    let (p, lo, hi) = match kind {
        0 => (0.01, 1, 10),
        1 => (0.10, 1, 20),
        2 => (0.35, 5, 60),
        3 => (0.85, 70, 125),
        _ => (0.95, 140, 176),
    };
    if rng.chance(p) { rng.range(lo, hi) } else { 0 }
}

/// Centimetres walked in a minute of `steps` (rounded to 10 cm, as the export's values are).
fn cm_of(steps: u64, stride_mm: u64) -> u64 {
    (steps * stride_mm + 50) / 100 * 10
}

fn minutes(tree: &Tree, spec: &Spec, c: &Ctx, acc: &mut Acc) {
    let mut rng = Rng::new(mix(spec.seed, TAG_MIN));
    let ud0 = c.s.div_euclid(86400);
    let mut steps_json: Rot<JsonArr> = Rot::new();
    let mut dist_json: Rot<JsonArr> = Rot::new();
    let mut cal_json: Rot<JsonArr> = Rot::new();
    let mut steps_csv: Rot<Csv> = Rot::new();
    let mut dist_csv: Rot<Csv> = Rot::new();
    let mut cal_csv: Rot<Csv> = Rot::new();
    let (mut ut, mut lt) = (DayText::new(), DayText::new());
    let mut body = Vec::with_capacity(96);
    let mut row = Vec::with_capacity(64);
    let mut steps_bad = c.steps_bad;
    let mut di = 0usize;
    let mut kinds = activity_plan(spec, c.days[0]);
    let mut pixel = pixel_plan(spec, c, 0);
    let (mut sum_steps, mut sum_cm, mut sum_cal) = (0u64, 0u64, 0u64);
    let mut t = c.s;
    while t < c.e {
        while t >= c.starts[di + 1] {
            day_totals(acc, c.starts[di], sum_steps, sum_cm, sum_cal);
            (sum_steps, sum_cm, sum_cal) = (0, 0, 0);
            di += 1;
            kinds = activity_plan(spec, c.days[di]);
            pixel = pixel_plan(spec, c, di);
        }
        let m = (t - c.starts[di]) / 60;
        let steps = gen_steps(&mut rng, kinds[(m / 60).min(24) as usize]);
        let stride = if steps >= 140 { 1050 } else { 629 };
        let cm = cm_of(steps, stride);
        let cal = [80, 88, 96, 104][rng.below(4) as usize] + steps * 4;
        let on_pixel = pixel.is_some_and(|(a, b)| (a..b).contains(&m));
        let ud = t.div_euclid(86400);
        ut.set(ud);

        // Classic JSON: 30-day chunks named after their first UTC date.
        let chunk = (ud - ud0) / 30;
        let chunk_day = date_of_day(ud0 + chunk * 30);
        let bad = steps > 0 && steps_bad.is_some_and(|x| t >= x);
        if bad {
            steps_bad = None;
        }
        for (rot, stem, value, key, ok) in [
            (&mut steps_json, "steps", steps, STEPS_I, !bad),
            (&mut dist_json, "distance", cm, DIST_I, true),
        ] {
            let j = rot.get(
                chunk,
                || JsonArr::open(tree, format!("Global Export Data/{stem}-{chunk_day}.json")),
                JsonArr::finish,
            );
            body.clear();
            body.extend_from_slice(b"\n  \"dateTime\" : \"");
            if ok {
                push_mdy(&mut body, &mut ut, t);
            } else {
                body.extend_from_slice(b"13/45/26 99:00:00");
            }
            body.extend_from_slice(b"\",\n  \"value\" : \"");
            push_u(&mut body, value);
            body.extend_from_slice(b"\"\n");
            let line = j.record_lines(&body, 3);
            if !ok {
                acc.bad(&j.rel, line);
            } else if key == STEPS_I {
                acc.put(STEPS_I, t, value as f64);
                sum_steps += value;
            } else {
                acc.put(DIST_I, t, dec(value, 5));
                sum_cm += value;
            }
        }

        // Newer CSV: monthly, UTC.
        let mkey = ut.month;
        let month = ut.first_of_month();
        if steps > 0 {
            let f = steps_csv.get(
                mkey,
                || {
                    Csv::open(
                        tree,
                        tree.pa("steps", &format!("steps_{}.csv", month)),
                        "timestamp,steps,data source",
                    )
                },
                Csv::finish,
            );
            row.clear();
            push_iso(&mut row, &mut ut, t);
            row.push(b',');
            push_u(&mut row, steps);
            row.extend_from_slice(b",Inspire 3\n");
            f.row(&row);
            if on_pixel {
                row.clear();
                push_iso(&mut row, &mut ut, t);
                row.push(b',');
                push_u(&mut row, steps * 9 / 10 + 1);
                row.extend_from_slice(b",Pixel 8\n");
                f.row(&row);
            }
            let f = dist_csv.get(
                mkey,
                || {
                    Csv::open(
                        tree,
                        tree.pa("distance", &format!("distance_{}.csv", month)),
                        "timestamp,distance,data source",
                    )
                },
                Csv::finish,
            );
            row.clear();
            push_iso(&mut row, &mut ut, t);
            row.push(b',');
            push_fixed(&mut row, cm, 2);
            row.extend_from_slice(b",Inspire 3\n");
            f.row(&row);
            if on_pixel {
                row.clear();
                push_iso(&mut row, &mut ut, t);
                row.push(b',');
                push_fixed(&mut row, cm_of(steps * 9 / 10 + 1, 640), 2);
                row.extend_from_slice(b",Pixel 8\n");
                f.row(&row);
            }
        }
        let f = cal_csv.get(
            mkey,
            || {
                Csv::open(
                    tree,
                    tree.pa("calories", &format!("calories_{}.csv", month)),
                    "timestamp,calories,data source",
                )
            },
            Csv::finish,
        );
        row.clear();
        push_iso(&mut row, &mut ut, t);
        if c.cal_bad.is_some_and(|(_, x)| x == t) {
            row.extend_from_slice(b",Fitbit App\n");
            let line = f.row(&row);
            acc.bad(&f.rel, line);
        } else {
            row.push(b',');
            push_fixed(&mut row, cal, 2);
            row.extend_from_slice(b",Fitbit App\n");
            f.row(&row);
            acc.put(CAL_I, t, dec(cal, 2));
            sum_cal += cal;
        }
        if on_pixel {
            row.clear();
            push_iso(&mut row, &mut ut, t);
            row.push(b',');
            push_fixed(&mut row, cal + 7, 2);
            row.extend_from_slice(b",Pixel 8\n");
            f.row(&row);
            acc.skip(DUPLICATE, 1);
        }

        // Calories JSON twin: local stamps, 30-day chunks of local days.
        let lchunk = c.days[di / 30 * 30];
        let j = cal_json.get(
            (di / 30) as i64,
            || JsonArr::open(tree, format!("Global Export Data/calories-{lchunk}.json")),
            JsonArr::finish,
        );
        body.clear();
        body.extend_from_slice(b"\n  \"dateTime\" : \"");
        push_mdy(&mut body, &mut lt, t + offset_s(c.tz, t));
        body.extend_from_slice(b"\",\n  \"value\" : \"");
        body.extend_from_slice(fnum(dec(cal, 2)).as_bytes());
        body.extend_from_slice(b"\"\n");
        j.record_lines(&body, 3);
        t += 60;
    }
    day_totals(acc, c.starts[di], sum_steps, sum_cm, sum_cal);
    for r in [steps_json, dist_json, cal_json] {
        if let Some((_, j)) = r.cur {
            j.finish();
        }
    }
    for r in [steps_csv, dist_csv, cal_csv] {
        if let Some((_, f)) = r.cur {
            f.finish();
        }
    }
}

fn day_totals(acc: &mut Acc, start: i64, steps: u64, cm: u64, cal: u64) {
    acc.put(STEPS_T, start, steps as f64);
    acc.put(DIST_T, start, dec(cm, 5));
    acc.put(CAL_T, start, dec(cal, 2));
}

/// With traps, the elapsed minutes `[a, b)` of local day `i` in which a phone (`Pixel 8`) also
/// writes steps, distance and calories rows: fewer than half the wearable's rows that day.
fn pixel_plan(spec: &Spec, c: &Ctx, i: usize) -> Option<(i64, i64)> {
    if !spec.traps || c.cal_bad.is_some_and(|(d, _)| d == i) {
        return None;
    }
    let mut r = day_rng(spec.seed, TAG_TRAP, c.days[i]);
    if !r.chance(0.12) {
        return None;
    }
    let avail = (c.starts[i + 1].min(c.e) - c.starts[i]) / 60;
    let len = (r.range(20, 240) as i64).min(avail / 2);
    if len < 1 {
        return None;
    }
    let a = (r.range(360, 1200) as i64).min(avail - len);
    Some((a, a + len))
}

// ---------------------------------------------------------------------------------------------
// Daily families.

fn daily(tree: &Tree, spec: &Spec, c: &Ctx, acc: &mut Acc) {
    let last = spec.last_day();
    let n = c.days.len();
    let chunk_days = |len: usize| -> Vec<Vec<NaiveDate>> {
        (0..n.div_ceil(len))
            .map(|k| {
                let first = spec.first_day + Days::new((k * len) as u64);
                first
                    .iter_days()
                    .take(len)
                    .filter(|&d| spec.traps || d <= last)
                    .collect()
            })
            .collect()
    };
    let start_of = |d: NaiveDate| c.starts[(d - spec.first_day).num_days() as usize];

    // Activity minutes, 30-day chunks padded past the export date.
    for chunk in chunk_days(30) {
        let values: Vec<[u64; 4]> = chunk
            .iter()
            .map(|&d| {
                if d > last {
                    return [1440, 0, 0, 0];
                }
                let mut r = day_rng(spec.seed, TAG_ACT_MIN, d);
                let very = if r.chance(0.4) { r.range(1, 70) } else { 0 };
                let fairly = if r.chance(0.5) { r.range(1, 45) } else { 0 };
                let light = r.range(90, 330);
                let sed = r.range(420, 1440 - very - fairly - light);
                [sed, light, fairly, very]
            })
            .collect();
        for (k, (stem, key)) in ACTIVE.iter().enumerate() {
            let mut j = JsonArr::open(tree, format!("Global Export Data/{stem}-{}.json", chunk[0]));
            for (&d, v) in chunk.iter().zip(&values) {
                let body = format!(
                    "\n  \"dateTime\" : \"{} 00:00:00\",\n  \"value\" : \"{}\"\n",
                    mdy(d),
                    v[k]
                );
                j.record(body.as_bytes());
                if d > last {
                    acc.skip(PADDING, 1);
                } else {
                    acc.put(key, start_of(d), v[k] as f64);
                }
            }
            j.finish();
        }
    }

    // Resting heart rate, 365 records a file, running up to a year past the export.
    for chunk in chunk_days(365) {
        let mut j = JsonArr::open(
            tree,
            format!("Global Export Data/resting_heart_rate-{}.json", chunk[0]),
        );
        for &d in &chunk {
            let mut r = day_rng(spec.seed, TAG_RHR, d);
            let value = if d > last {
                acc.skip(PADDING, 1);
                None
            } else if spec.traps && r.chance(0.06) {
                acc.skip(PLACEHOLDER, 1);
                None
            } else {
                let v = 56.0 + 12.0 * r.unit() + 3.0 * r.unit();
                acc.put(RHR, start_of(d), v);
                Some((v, 5.0 + 95.0 * r.unit()))
            };
            let body = match value {
                Some((v, err)) => format!(
                    "\n  \"dateTime\" : \"{0} 00:00:00\",\n  \"value\" : {{\n    \"date\" : \"{0}\",\n    \"value\" : {1},\n    \"error\" : {2}\n  }}\n",
                    mdy(d),
                    fnum(v),
                    fnum(err)
                ),
                None => format!(
                    "\n  \"dateTime\" : \"{} 00:00:00\",\n  \"value\" : {{\n    \"date\" : null,\n    \"value\" : 0.0,\n    \"error\" : 0.0\n  }}\n",
                    mdy(d)
                ),
            };
            j.record(body.as_bytes());
        }
        j.finish();
    }

    // Time in heart-rate zones, one file per local day, keys in varying order.
    for &d in &c.days {
        let mut r = day_rng(spec.seed, TAG_ZONE, d);
        let peak = if r.chance(0.2) { r.range(1, 15) } else { 0 };
        let cardio = if r.chance(0.4) { r.range(1, 45) } else { 0 };
        let fat = r.range(0, 300);
        let below = r.range(900, 1440 - peak - cardio - fat);
        let vals = [below, fat, cardio, peak];
        let mut order = [0usize, 1, 2, 3];
        for i in (1..4).rev() {
            order.swap(i, r.below(i as u64 + 1) as usize);
        }
        let mut body = format!(
            "\n  \"dateTime\" : \"{} 00:00:00\",\n  \"value\" : {{\n    \"valuesInZones\" : {{\n",
            mdy(d)
        );
        for (k, &z) in order.iter().enumerate() {
            let sep = if k < 3 { "," } else { "" };
            body.push_str(&format!("      \"{}\" : {}.0{sep}\n", ZONES[z].0, vals[z]));
            acc.put(ZONES[z].1, start_of(d), vals[z] as f64);
        }
        body.push_str("    }\n  }\n");
        let mut j = JsonArr::open(
            tree,
            format!("Global Export Data/time_in_heart_rate_zones-{d}.json"),
        );
        j.record(body.as_bytes());
        j.finish();
    }

    sleep_and_vitals(tree, spec, c, acc, &chunk_days(30));
}

/// One sleep log.
struct Log {
    id: u64,
    date: NaiveDate,
    /// Start and end instants (s).
    start: i64,
    end: i64,
    main: bool,
    /// `stages` (deep, light, rem, wake) or `classic` (asleep, restless, awake) summary.
    stages: bool,
    summary: [(u64, u64); 4],
    thirty: [u64; 4],
    asleep: u64,
    awake: u64,
    /// (offset s from start, level, seconds)
    data: Vec<(i64, &'static str, i64)>,
    short: Option<Vec<(i64, i64)>>,
    efficiency: u64,
}

/// A `stages` main sleep or a `classic` log starting at local `start`.
fn make_log(
    r: &mut Rng,
    tz: Tz,
    date: NaiveDate,
    start: NaiveDateTime,
    main: bool,
    stages: bool,
) -> Log {
    let mut data: Vec<(i64, &'static str, i64)> = Vec::new();
    let end = |data: &[(i64, &str, i64)]| data.last().map_or(0, |x| x.0 + x.2);
    let seg = |data: &mut Vec<(i64, &'static str, i64)>, level: &'static str, min: u64| {
        let at = end(data);
        data.push((at, level, min as i64 * 60));
    };
    let mut short = Vec::new();
    let summary;
    let (asleep, awake);
    if stages {
        let goal = r.range(300, 480);
        let mut slept = 0;
        if r.chance(0.5) {
            seg(&mut data, "wake", r.range(2, 16));
        }
        let mut cycle = 0;
        while slept < goal {
            let deep = r.range(5, 60u64.saturating_sub(cycle * 10).max(10));
            let parts = [
                ("light", r.range(10, 40)),
                ("deep", deep),
                ("light", r.range(3, 30)),
                ("rem", r.range(10, 25 + cycle * 5)),
            ];
            for (level, min) in parts {
                if level == "light" && min >= 6 && r.chance(0.35) {
                    short.push((end(&data) + r.range(2, min - 2) as i64 * 60, 60));
                }
                seg(&mut data, level, min);
                slept += min;
            }
            if r.chance(0.3) {
                seg(&mut data, "wake", r.range(1, 12));
            }
            cycle += 1;
        }
        if r.chance(0.6) {
            seg(&mut data, "wake", r.range(3, 12));
        }
        let total = |l: &str| -> (u64, u64) {
            let s = data.iter().filter(|x| x.1 == l);
            (s.clone().count() as u64, s.map(|x| x.2 as u64 / 60).sum())
        };
        let n_short = short.len() as u64;
        let (deep, light, rem, wake) = (total("deep"), total("light"), total("rem"), total("wake"));
        summary = [
            deep,
            (light.0 + n_short, light.1 - n_short),
            rem,
            (wake.0 + n_short, wake.1 + n_short),
        ];
        asleep = summary[0].1 + summary[1].1 + summary[2].1;
        awake = summary[3].1;
    } else {
        let goal = if main {
            r.range(120, 400)
        } else {
            r.range(20, 120)
        };
        let mut slept = 0;
        while slept < goal {
            let a = r.range(8, 70).min(goal - slept).max(1);
            seg(&mut data, "asleep", a);
            slept += a;
            if slept < goal {
                let level = if r.chance(0.75) { "restless" } else { "awake" };
                seg(&mut data, level, r.range(1, 5));
            }
        }
        let total = |l: &str| -> (u64, u64) {
            let s = data.iter().filter(|x| x.1 == l);
            (s.clone().count() as u64, s.map(|x| x.2 as u64 / 60).sum())
        };
        let (a, rl, aw) = (total("asleep"), total("restless"), total("awake"));
        summary = [a, rl, aw, (0, 0)];
        asleep = a.1;
        awake = rl.1 + aw.1;
    }
    let start_s = instant_of(tz, start) + if r.chance(0.5) { 30 } else { 0 };
    let thirty = summary.map(|(_, m)| (m as f64 * (0.8 + 0.4 * r.unit())) as u64);
    Log {
        id: 0,
        date,
        start: start_s,
        end: start_s + end(&data),
        main,
        stages,
        summary,
        thirty,
        asleep,
        awake,
        data,
        short: (stages && r.chance(0.9)).then_some(short),
        efficiency: r.range(86, 99),
    }
}

fn log_json(tz: Tz, l: &Log) -> String {
    let lt = |t: i64| {
        local_naive(tz, t)
            .format("%Y-%m-%dT%H:%M:%S%.3f")
            .to_string()
    };
    let mut s = String::with_capacity(4096);
    let tib = l.asleep + l.awake;
    s.push_str(&format!(
        "\n  \"logId\" : {},\n  \"dateOfSleep\" : \"{}\",\n  \"startTime\" : \"{}\",\n  \"endTime\" : \"{}\",\n  \"duration\" : {},\n  \"minutesToFallAsleep\" : 0,\n  \"minutesAsleep\" : {},\n  \"minutesAwake\" : {},\n  \"minutesAfterWakeup\" : 0,\n  \"timeInBed\" : {},\n  \"efficiency\" : {},\n  \"type\" : \"{}\",\n  \"infoCode\" : {},\n  \"logType\" : \"auto_detected\",\n  \"levels\" : {{\n    \"summary\" : {{\n",
        l.id,
        l.date,
        lt(l.start),
        lt(l.end),
        tib * 60_000,
        l.asleep,
        l.awake,
        tib,
        l.efficiency,
        if l.stages { "stages" } else { "classic" },
        if l.main { 0 } else { 2 },
    ));
    let items: Vec<String> = if l.stages {
        // The fixture's order: deep, wake, light, rem.
        [(0, "deep"), (3, "wake"), (1, "light"), (2, "rem")]
            .iter()
            .map(|&(i, name)| {
                format!(
                    "      \"{name}\" : {{\n        \"count\" : {},\n        \"minutes\" : {},\n        \"thirtyDayAvgMinutes\" : {}\n      }}",
                    l.summary[i].0, l.summary[i].1, l.thirty[i]
                )
            })
            .collect()
    } else {
        [(1, "restless"), (2, "awake"), (0, "asleep")]
            .iter()
            .map(|&(i, name)| {
                format!(
                    "      \"{name}\" : {{\n        \"count\" : {},\n        \"minutes\" : {}\n      }}",
                    l.summary[i].0, l.summary[i].1
                )
            })
            .collect()
    };
    s.push_str(&items.join(",\n"));
    s.push_str("\n    },\n    \"data\" : [");
    segs(&mut s, &lt, l.start, l.data.iter().copied());
    match &l.short {
        Some(short) if !short.is_empty() => {
            s.push_str(",\n    \"shortData\" : [");
            segs(
                &mut s,
                &lt,
                l.start,
                short.iter().map(|&(o, n)| (o, "wake", n)),
            );
        }
        _ => {}
    }
    s.push_str(&format!(
        "\n  }},\n  \"mainSleep\" : {}\n",
        if l.main { "true" } else { "false" }
    ));
    s
}

/// The `data` / `shortData` segments `[{…},{…}]` of a sleep log.
fn segs(
    s: &mut String,
    lt: &dyn Fn(i64) -> String,
    start: i64,
    list: impl Iterator<Item = (i64, &'static str, i64)>,
) {
    let mut first = true;
    for (off, level, secs) in list {
        s.push_str(if first { "{" } else { "},{" });
        first = false;
        s.push_str(&format!(
            "\n      \"dateTime\" : \"{}\",\n      \"level\" : \"{level}\",\n      \"seconds\" : {secs}\n    ",
            lt(start + off)
        ));
    }
    s.push_str("}]");
}

fn sleep_and_vitals(tree: &Tree, spec: &Spec, c: &Ctx, acc: &mut Acc, chunks: &[Vec<NaiveDate>]) {
    let tz = c.tz;
    let last = spec.last_day();
    let start_of = |d: NaiveDate| c.starts[(d - spec.first_day).num_days() as usize];
    let hrv_dir = "Heart Rate Variability";
    let mut spo2 = Vec::new();
    let mut temp = Vec::new();
    let mut twin_spo2 = Vec::new();
    let mut twin_br = Vec::new();
    let mut twin_hrv = Vec::new();
    let mut spo2_nan_done = false;
    let mut extra_twin_done = false;
    for chunk in chunks {
        let mut logs: Vec<Log> = Vec::new();
        for &d in chunk.iter().filter(|&&d| d > spec.first_day && d <= last) {
            let mut r = day_rng(spec.seed, TAG_SLEEP, d);
            let mut today = Vec::new();
            if r.chance(0.92) {
                let stages = r.chance(0.96);
                let start = (d - Days::new(1)).and_hms_opt(21, 30, 0).expect("time")
                    + Duration::minutes(r.range(0, 210) as i64);
                today.push(make_log(&mut r, tz, d, start, true, stages));
            }
            if r.chance(0.15) {
                let start = d.and_hms_opt(12, 0, 0).expect("time")
                    + Duration::minutes(r.range(0, 240) as i64);
                today.push(make_log(&mut r, tz, d, start, false, false));
            }
            today.retain(|l| l.end < c.e && l.start >= c.s);
            for (k, l) in today.iter_mut().enumerate() {
                l.id = 40_000_000_000 + d.num_days_from_ce() as u64 * 10 + k as u64;
            }
            let stages_main = today.iter().any(|l| l.main && l.stages);
            if !today.is_empty() {
                let ds = start_of(d);
                acc.put(
                    SLEEP_T,
                    ds,
                    today.iter().map(|l| l.asleep).sum::<u64>() as f64,
                );
                if today.iter().any(|l| l.stages) {
                    for (i, key) in STAGE_KEYS.iter().enumerate() {
                        let m: u64 = today
                            .iter()
                            .filter(|l| l.stages)
                            .map(|l| l.summary[i].1)
                            .sum();
                        acc.put(key, ds, m as f64);
                    }
                }
            }
            logs.extend(today);

            // Nightly vitals on the mornings after a `stages` main sleep.
            let mut v = day_rng(spec.seed, TAG_VITALS, d);
            let avg = v.range(900, 976);
            let lo = avg - v.range(15, 45);
            let hi = (avg + v.range(15, 45)).min(1000);
            let br = v.range(140, 195);
            let rmssd = v.range(15_000, 48_000);
            let nremhr = v.range(58_000, 76_000);
            let entropy = v.range(1_900, 2_600);
            let nightly = 33.0 + 2.0 * v.unit();
            let baseline = 33.4 + 0.6 * v.unit();
            let sd = 0.5 + 0.4 * v.unit();
            let ymd = d.to_string();
            if !stages_main {
                if spec.traps && !extra_twin_done && d > spec.first_day + Days::new(1) {
                    // A night only the newer twins cover.
                    extra_twin_done = true;
                    twin_spo2.push(format!(
                        "{ymd}T00:00:00Z,{},{},{},0.0,0.0,Inspire 3\n",
                        fnum(dec(avg, 1)),
                        fnum(dec(lo, 1)),
                        fnum(dec(hi, 1))
                    ));
                    twin_br.push(format!("{ymd}T00:00:00Z,{},Fitbit App\n", fnum(dec(br, 1))));
                    twin_hrv.push(format!(
                        "{ymd}T00:00:00Z,{},{},{},{},Fitbit App\n",
                        fnum(dec(rmssd / 10, 2)),
                        fnum(dec(nremhr / 100, 1)),
                        fnum(dec(entropy, 3)),
                        fnum(dec(rmssd / 10 - 300, 2))
                    ));
                }
                continue;
            }
            let ds = start_of(d);
            if spec.traps && !spo2_nan_done && d >= spec.first_day + Days::new(3) {
                spo2_nan_done = true;
                spo2.push(format!("{ymd}T00:00:00Z,NaN,NaN,NaN"));
                acc.skip(PLACEHOLDER, 1);
            } else {
                spo2.push(format!(
                    "{ymd}T00:00:00Z,{},{},{}",
                    fnum(dec(avg, 1)),
                    fnum(dec(lo, 1)),
                    fnum(dec(hi, 1))
                ));
                acc.put(SPO2_AVG, ds, dec(avg, 1));
                acc.put(SPO2_MIN, ds, dec(lo, 1));
                acc.put(SPO2_MAX, ds, dec(hi, 1));
            }
            tree.write(
                &format!("{hrv_dir}/Daily Respiratory Rate Summary - {ymd}.csv"),
                format!(
                    "timestamp,daily_respiratory_rate\n{ymd}T00:00:00,{}",
                    fnum(dec(br, 1))
                )
                .as_bytes(),
            );
            acc.put(BR, ds, dec(br, 1));
            let eve = d - Days::new(1);
            tree.write(
                &format!(
                    "{hrv_dir}/Daily Heart Rate Variability Summary - {:04}-{:02}-({}).csv",
                    eve.year(),
                    eve.month(),
                    eve.day()
                ),
                format!(
                    "timestamp,rmssd,nremhr,entropy\n{ymd}T00:00:00,{},{},{}",
                    fnum(dec(rmssd, 3)),
                    fnum(dec(nremhr, 3)),
                    fnum(dec(entropy, 3))
                )
                .as_bytes(),
            );
            acc.put(HRV, ds, dec(rmssd, 3));
            if spec.traps && (d - spec.first_day).num_days() < 30 {
                temp.push(format!(
                    "{ymd}T00:00:00Z,{},NaN,NaN,Fitbit App\n",
                    fnum(nightly)
                ));
                acc.skip(PLACEHOLDER, 1);
            } else {
                temp.push(format!(
                    "{ymd}T00:00:00Z,{},{},{},Fitbit App\n",
                    fnum(nightly),
                    fnum(baseline),
                    fnum(sd)
                ));
                acc.put(TEMP, ds, nightly - baseline);
            }
            // The newer twins: other algorithm versions, other values.
            twin_spo2.push(format!(
                "{ymd}T00:00:00Z,{},{},{},0.0,0.0,Inspire 3\n",
                fnum(dec(avg + 3, 1)),
                fnum(dec(lo + 2, 1)),
                fnum(dec(hi.min(997) + 3, 1))
            ));
            twin_br.push(format!(
                "{ymd}T00:00:00Z,{},Fitbit App\n",
                fnum(dec(br + 4, 1))
            ));
            twin_hrv.push(format!(
                "{ymd}T00:00:00Z,{},{},{},{},Fitbit App\n",
                fnum(dec(rmssd / 10 + 215, 2)),
                fnum(dec(nremhr / 100 + 3, 1)),
                fnum(dec(entropy + 41, 3)),
                fnum(dec(rmssd / 10 - 180, 2))
            ));
        }
        // Newest first, as the export lists them.
        logs.sort_by_key(|l| std::cmp::Reverse(l.start));
        let mut j = JsonArr::open(tree, format!("Global Export Data/sleep-{}.json", chunk[0]));
        for l in &logs {
            j.record(log_json(tz, l).as_bytes());
        }
        j.finish();
    }

    let mut text = String::from("timestamp,average_value,lower_bound,upper_bound");
    for r in &spo2 {
        text.push('\n');
        text.push_str(r);
    }
    tree.write(
        &format!(
            "Oxygen Saturation (SpO2)/Daily SpO2 - {}-{}.csv",
            spec.first_day, last
        ),
        text.as_bytes(),
    );
    let csv = |stem: &str, header: &str, rows: &[String]| {
        let mut text = format!("{header}\n");
        for r in rows {
            text.push_str(r);
        }
        tree.write(&tree.pa(stem, &format!("{stem}.csv")), text.as_bytes());
    };
    csv(
        "daily_sleep_temperature_derivations",
        "timestamp,nightly temperature celsius,baseline temperature celsius,relative nightly stddev 30d celsius,data source",
        &temp,
    );
    twin_spo2.sort();
    twin_br.sort();
    twin_hrv.sort();
    csv(
        "daily_oxygen_saturation",
        "timestamp,average percentage,lower bound percentage,upper bound percentage,baseline percentage,standard deviation percentage,data source",
        &twin_spo2,
    );
    csv(
        "daily_respiratory_rate",
        "timestamp,breaths per minute,data source",
        &twin_br,
    );
    csv(
        "daily_heart_rate_variability",
        "timestamp,average heart rate variability milliseconds,non rem heart rate beats per minute,entropy,deep sleep root mean square of successive differences milliseconds,data source",
        &twin_hrv,
    );
}

// ---------------------------------------------------------------------------------------------
// Trap files.

fn readme(what: &str, columns: &[(&str, &str)]) -> String {
    let mut s = format!("Synthetic test export\n\n{what}\n\nColumns:\n----------\n\n");
    for (c, d) in columns {
        s.push_str(&format!("    {c:<34}- {d}\n"));
    }
    s
}

fn trap_files(tree: &Tree, spec: &Spec, c: &Ctx) {
    // A header-only steps CSV for the month before the first UTC month with data.
    let first_utc = date_of_day(c.s.div_euclid(86400));
    let before = (first_utc.with_day(1).expect("day 1") - Days::new(1))
        .with_day(1)
        .expect("day 1");
    tree.write(
        &tree.pa("steps", &format!("steps_{before}.csv")),
        b"timestamp,steps,data source\n",
    );
    // `no data` on the first day (which has no sleep).
    tree.write(
        &format!(
            "Heart Rate Variability/Daily Respiratory Rate Summary - {}.csv",
            spec.first_day
        ),
        b"no data",
    );
    // An empty sleep chunk before the data.
    tree.write(
        &format!(
            "Global Export Data/sleep-{}.json",
            spec.first_day - Days::new(30)
        ),
        b"[]",
    );
    // READMEs, which look a little like data.
    let pa_readme = |stem: &str, cols: &[(&str, &str)]| {
        tree.write(
            &tree.pa(stem, &format!("{stem}_readme.txt")),
            readme(
                &format!("{stem}_YYYY-MM-DD.csv holds one row per sample."),
                cols,
            )
            .as_bytes(),
        );
    };
    pa_readme(
        "heart_rate",
        &[
            ("timestamp", "UTC time of the sample"),
            ("beats per minute", "heart rate"),
            ("data source", "the device"),
        ],
    );
    pa_readme(
        "steps",
        &[
            ("timestamp", "UTC minute"),
            ("steps", "steps in that minute"),
            ("data source", "the device"),
        ],
    );
    pa_readme(
        "calories",
        &[
            ("timestamp", "UTC minute"),
            ("calories", "kcal burned in that minute"),
            ("data source", "the device"),
        ],
    );
    pa_readme(
        "daily_sleep_temperature_derivations",
        &[
            ("timestamp", "the night"),
            ("nightly temperature celsius", "skin temperature"),
            ("baseline temperature celsius", "NaN until known"),
        ],
    );
    tree.write(
        "Heart Rate Variability/Daily Heart Rate Variability Summary README.txt",
        readme(
            "One file per night, named after the evening.",
            &[
                ("timestamp", "the morning"),
                ("rmssd", "ms"),
                ("nremhr", "bpm"),
                ("entropy", ""),
            ],
        )
        .as_bytes(),
    );
    tree.write(
        "Heart Rate Variability/Daily Respiratory Rate Summary README.txt",
        readme(
            "Breathing rate during sleep.",
            &[
                ("timestamp", "the morning"),
                ("daily_respiratory_rate", "breaths per minute"),
            ],
        )
        .as_bytes(),
    );
    tree.write(
        "Oxygen Saturation (SpO2)/Daily SpO2 README.txt",
        readme(
            "Nightly SpO2.",
            &[
                ("timestamp", "the morning"),
                ("average_value", "%"),
                ("lower_bound", "%"),
                ("upper_bound", "%"),
            ],
        )
        .as_bytes(),
    );
    tree.write(
        "Your Profile/User Profile README.txt",
        readme("The account profile.", &[("timezone", "IANA zone name")]).as_bytes(),
    );
    // Garbage that an importer must never open.
    let mut r = Rng::new(mix(spec.seed, TAG_TRAP));
    let mut junk = Vec::with_capacity(1 << 16);
    junk.extend_from_slice(b"timestamp,probabilities\n\0\xff\xfe");
    while junk.len() < 1 << 16 {
        junk.extend_from_slice(&r.next().to_le_bytes());
    }
    tree.write(
        "Health Fitness Data_GoogleData/UserActivityProbabilities_2026-01-01.csv",
        &junk,
    );
}

/// Indices `b[0] = 0 < b[1] < … < b[parts] = n` cutting `files` into contiguous, byte-balanced
/// parts, moved so that at least one folder spans two parts.
fn split_points(files: &[(String, u64)], parts: usize) -> Vec<usize> {
    let n = files.len();
    let total: u64 = files.iter().map(|f| f.1).sum::<u64>().max(1);
    let mut b = vec![0usize];
    let mut cum = 0u64;
    let mut k = 1;
    for (i, f) in files.iter().enumerate() {
        while k < parts && cum >= total * k as u64 / parts as u64 && i > *b.last().expect("b") {
            b.push(i);
            k += 1;
        }
        cum += f.1;
    }
    while b.len() < parts {
        let next = b.last().expect("b") + 1;
        b.push(next);
    }
    b.push(n);
    for k in (1..parts).rev() {
        b[k] = b[k].min(b[k + 1] - 1).max(b[k - 1] + 1);
    }
    let folder = |i: usize| files[i].0.rsplit_once('/').map_or("", |x| x.0);
    let split = |b: &[usize]| (1..parts).any(|k| folder(b[k] - 1) == folder(b[k]));
    if parts >= 2 && !split(&b) {
        'fix: for k in 1..parts {
            let i = b[k];
            // Move the cut one file later or earlier so that it falls inside a folder.
            if i + 1 < b[k + 1] && folder(i) == folder(i + 1) {
                b[k] = i + 1;
                break 'fix;
            }
            if i >= 2 && i - 1 > b[k - 1] && folder(i - 2) == folder(i - 1) {
                b[k] = i - 1;
                break 'fix;
            }
        }
        assert!(split(&b), "no folder of the tree can be split");
    }
    b
}
