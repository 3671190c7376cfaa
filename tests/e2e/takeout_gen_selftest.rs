//! Checks of the Takeout generator itself ([`crate::support::takeout_gen`]): the text of its
//! files against the real exports in `shared/fixtures/dataset/` (headers, line shapes, final
//! newlines, file boundaries, the JSON/CSV twin relations), its truth against an independent
//! re-reading of the files it wrote, and the zip/tgz packaging.

use crate::support::takeout_gen::{self as tg, Spec, Truth};
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

type Series = BTreeMap<String, BTreeMap<i64, f64>>;
/// Calories CSV rows (instant ms, kcal) of one data source.
type Rows = Vec<(i64, f64)>;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// `shared/fixtures/dataset`, or `None` when the fixtures are not there.
fn dataset() -> Option<PathBuf> {
    let root = std::env::var_os("SYNCBIT_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures"))
        });
    let d = root.join("dataset");
    d.join("google-takeout-fitbit").is_dir().then_some(d)
}

const NY_EXPORT: &str = "google-takeout-fitbit/2026-04-america-new_york/Takeout/Fitbit";
const AU_EXPORT: &str = "fitbit-account-export-global-export-data-format";

/// A line with every run of digits replaced by one `9`.
fn shape(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut in_digits = false;
    for ch in line.chars() {
        if ch.is_ascii_digit() {
            if !in_digits {
                out.push('9');
            }
            in_digits = true;
        } else {
            out.push(ch);
            in_digits = false;
        }
    }
    out
}

/// The shapes of the lines of a pretty-printed JSON file, trailing commas dropped (the key order
/// of `valuesInZones` varies, so any key may be the last one).
fn shapes(text: &str) -> BTreeSet<String> {
    text.lines()
        .map(|l| shape(l.strip_suffix(',').unwrap_or(l)))
        .collect()
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The first instant of local day `d` in `tz` as ms: midnight, or where a DST change skips
/// midnight (Chile), the instant the day starts at (the last instant of the day before, + 1 s).
fn midnight(tz: Tz, d: NaiveDate) -> i64 {
    match tz
        .from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap())
        .earliest()
    {
        Some(t) => t.timestamp_millis(),
        None => {
            let before = tz
                .from_local_datetime(&d.pred_opt().unwrap().and_hms_opt(23, 59, 59).unwrap())
                .latest()
                .unwrap();
            before.timestamp_millis() + 1000
        }
    }
}

fn local_date(tz: Tz, ms: i64) -> NaiveDate {
    DateTime::from_timestamp_millis(ms)
        .unwrap()
        .with_timezone(&tz)
        .date_naive()
}

fn utc_ms(stamp: &str, fmt: &str) -> Option<i64> {
    NaiveDateTime::parse_from_str(stamp, fmt)
        .ok()
        .map(|t| Utc.from_utc_datetime(&t).timestamp_millis())
}

fn mdy_date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(&s[..8], "%m/%d/%y").unwrap()
}

/// What the import must write and skip, re-read from the files under `root` with the rules of
/// `shared/reference/takeout.md`, written independently of the generator.
fn reparse(root: &Path, tz: Tz, export: NaiveDate) -> (Series, BTreeMap<&'static str, usize>) {
    let mut s: Series = BTreeMap::new();
    let mut skip: BTreeMap<&'static str, usize> = BTreeMap::new();
    fn put(s: &mut Series, k: &str, t: i64, v: f64) {
        assert!(
            s.entry(k.to_string()).or_default().insert(t, v).is_none(),
            "{k} twice at {t}"
        );
    }
    // (local day, source) → rows of calories (instant ms, kcal)
    let mut cal: BTreeMap<(NaiveDate, String), Rows> = BTreeMap::new();
    let mut sleep: BTreeMap<NaiveDate, Vec<Value>> = BTreeMap::new();
    for (rel, _) in tg::list_files(root) {
        let name = rel.rsplit('/').next().unwrap();
        if name.contains("README")
            || name.contains("_readme")
            || name.starts_with("UserActivityProbabilities")
        {
            continue;
        }
        let path = root.join(&rel);
        let stem = name.split_once('-').map(|x| x.0).unwrap_or("");
        if rel.starts_with("Global Export Data/") && name.ends_with(".json") {
            let v: Value = serde_json::from_str(&read(&path)).unwrap();
            let recs = v.as_array().unwrap();
            match stem {
                "heart_rate" => {
                    for r in recs {
                        let t =
                            utc_ms(r["dateTime"].as_str().unwrap(), "%m/%d/%y %H:%M:%S").unwrap();
                        match r["value"]["bpm"].as_u64() {
                            Some(b) => put(&mut s, "fitbit_heart_rate_intraday", t, b as f64),
                            None => *skip.entry("malformed").or_default() += 1,
                        }
                    }
                }
                "steps" | "distance" => {
                    for r in recs {
                        let n: u64 = r["value"].as_str().unwrap().parse().unwrap();
                        match utc_ms(r["dateTime"].as_str().unwrap(), "%m/%d/%y %H:%M:%S") {
                            Some(t) if stem == "steps" => {
                                put(&mut s, "fitbit_steps_intraday", t, n as f64)
                            }
                            Some(t) => {
                                put(&mut s, "fitbit_distance_intraday", t, n as f64 / 100_000.0)
                            }
                            None => *skip.entry("malformed").or_default() += 1,
                        }
                    }
                }
                "sedentary_minutes"
                | "lightly_active_minutes"
                | "moderately_active_minutes"
                | "very_active_minutes" => {
                    let ty = match stem {
                        "sedentary_minutes" => "sedentary",
                        "lightly_active_minutes" => "lightly_active",
                        "moderately_active_minutes" => "fairly_active",
                        _ => "very_active",
                    };
                    for r in recs {
                        let d = mdy_date(r["dateTime"].as_str().unwrap());
                        if d > export {
                            *skip.entry("padding after the export date").or_default() += 1;
                        } else {
                            let v: f64 = r["value"].as_str().unwrap().parse().unwrap();
                            put(
                                &mut s,
                                &format!("fitbit_active_minutes{{type=\"{ty}\"}}"),
                                midnight(tz, d),
                                v,
                            );
                        }
                    }
                }
                "resting_heart_rate" => {
                    for r in recs {
                        let d = mdy_date(r["dateTime"].as_str().unwrap());
                        if d > export {
                            *skip.entry("padding after the export date").or_default() += 1;
                        } else if r["value"]["date"].is_null() {
                            *skip.entry("placeholder").or_default() += 1;
                        } else {
                            let v = r["value"]["value"].as_f64().unwrap();
                            put(&mut s, "fitbit_resting_heart_rate_bpm", midnight(tz, d), v);
                        }
                    }
                }
                "time_in_heart_rate_zones" => {
                    for r in recs {
                        let d = mdy_date(r["dateTime"].as_str().unwrap());
                        for (k, v) in r["value"]["valuesInZones"].as_object().unwrap() {
                            let zone = match k.as_str() {
                                "BELOW_DEFAULT_ZONE_1" => "out_of_range",
                                "IN_DEFAULT_ZONE_1" => "fat_burn",
                                "IN_DEFAULT_ZONE_2" => "cardio",
                                "IN_DEFAULT_ZONE_3" => "peak",
                                other => panic!("zone {other}"),
                            };
                            let key = format!("fitbit_heart_rate_zone_minutes{{zone=\"{zone}\"}}");
                            put(&mut s, &key, midnight(tz, d), v.as_f64().unwrap());
                        }
                    }
                }
                "sleep" => {
                    for r in recs {
                        let d: NaiveDate = r["dateOfSleep"].as_str().unwrap().parse().unwrap();
                        sleep.entry(d).or_default().push(r.clone());
                    }
                }
                "calories" => {} // local stamps; the CSV wins
                other => panic!("unexpected JSON family {other} ({rel})"),
            }
        } else if rel.starts_with("Physical Activity_GoogleData/") {
            let text = read(&path);
            if name.starts_with("calories_") {
                for line in text.lines().skip(1) {
                    let f: Vec<&str> = line.split(',').collect();
                    if f.len() != 3 {
                        *skip.entry("malformed").or_default() += 1;
                        continue;
                    }
                    let t = utc_ms(f[0], "%Y-%m-%dT%H:%M:%SZ").unwrap();
                    cal.entry((local_date(tz, t), f[2].to_string()))
                        .or_default()
                        .push((t, f[1].parse().unwrap()));
                }
            } else if name == "daily_sleep_temperature_derivations.csv" {
                for line in text.lines().skip(1) {
                    let f: Vec<&str> = line.split(',').collect();
                    let (n, b): (f64, f64) = (f[1].parse().unwrap(), f[2].parse().unwrap());
                    if b.is_nan() {
                        *skip.entry("placeholder").or_default() += 1;
                    } else {
                        let d: NaiveDate = f[0][..10].parse().unwrap();
                        put(
                            &mut s,
                            "fitbit_temp_skin_relative_celsius",
                            midnight(tz, d),
                            n - b,
                        );
                    }
                }
            }
        } else if rel.starts_with("Oxygen Saturation (SpO2)/Daily SpO2 - ") {
            for line in read(&path).lines().skip(1) {
                let f: Vec<&str> = line.split(',').collect();
                let d: NaiveDate = f[0][..10].parse().unwrap();
                let v: Vec<f64> = f[1..].iter().map(|x| x.parse().unwrap()).collect();
                if v.iter().any(|x| x.is_nan()) {
                    *skip.entry("placeholder").or_default() += 1;
                    continue;
                }
                for (k, x) in [
                    "fitbit_spo2_avg_percent",
                    "fitbit_spo2_min_percent",
                    "fitbit_spo2_max_percent",
                ]
                .iter()
                .zip(v)
                {
                    put(&mut s, k, midnight(tz, d), x);
                }
            }
        } else if rel.starts_with("Heart Rate Variability/Daily Respiratory Rate Summary - ")
            || rel.starts_with("Heart Rate Variability/Daily Heart Rate Variability Summary - ")
        {
            let text = read(&path);
            if text.trim() == "no data" {
                continue;
            }
            let key = if rel.contains("Respiratory") {
                "fitbit_breathing_rate_bpm"
            } else {
                "fitbit_hrv_rmssd_ms"
            };
            for line in text.lines().skip(1) {
                let f: Vec<&str> = line.split(',').collect();
                let d: NaiveDate = f[0][..10].parse().unwrap();
                put(&mut s, key, midnight(tz, d), f[1].parse().unwrap());
            }
        }
    }
    // Calories: per local day the source with the most rows.
    let mut by_day: BTreeMap<NaiveDate, Vec<(String, Rows)>> = BTreeMap::new();
    for ((d, src), rows) in cal {
        by_day.entry(d).or_default().push((src, rows));
    }
    for (d, mut sources) in by_day {
        sources.sort_by_key(|(_, rows)| std::cmp::Reverse(rows.len()));
        for (_, rows) in &sources[1..] {
            *skip.entry("duplicate source").or_default() += rows.len();
        }
        let mut total = 0.0;
        for &(t, v) in &sources[0].1 {
            put(&mut s, "fitbit_calories_intraday", t, v);
            total += v;
        }
        put(&mut s, "fitbit_calories_total", midnight(tz, d), total);
    }
    // Steps and distance totals per local day.
    for (from, to) in [
        ("fitbit_steps_intraday", "fitbit_steps_total"),
        ("fitbit_distance_intraday", "fitbit_distance_km"),
    ] {
        let mut days: BTreeMap<NaiveDate, f64> = BTreeMap::new();
        for (&t, &v) in &s[from] {
            *days.entry(local_date(tz, t)).or_default() += v;
        }
        for (d, v) in days {
            put(&mut s, to, midnight(tz, d), v);
        }
    }
    // Sleep: minutes asleep of all logs, stage minutes of the `stages` logs.
    for (d, logs) in sleep {
        let t = midnight(tz, d);
        let asleep: f64 = logs
            .iter()
            .map(|l| l["minutesAsleep"].as_f64().unwrap())
            .sum();
        put(&mut s, "fitbit_sleep_minutes_total", t, asleep);
        let stages: Vec<&Value> = logs.iter().filter(|l| l["type"] == "stages").collect();
        if !stages.is_empty() {
            for st in ["deep", "light", "rem", "wake"] {
                let m: f64 = stages
                    .iter()
                    .map(|l| l["levels"]["summary"][st]["minutes"].as_f64().unwrap())
                    .sum();
                put(
                    &mut s,
                    &format!("fitbit_sleep_stage_minutes{{stage=\"{st}\"}}"),
                    t,
                    m,
                );
            }
        }
    }
    (s, skip)
}

/// Asserts that two series maps hold the same instants and (to 1e-9 relative) the same values.
fn assert_same(truth: &Series, got: &Series) {
    let tk: Vec<&String> = truth.keys().collect();
    let gk: Vec<&String> = got.keys().collect();
    assert_eq!(tk, gk, "series names");
    for (k, want) in truth {
        let have = &got[k];
        assert_eq!(want.len(), have.len(), "{k}: number of samples");
        for ((t1, v1), (t2, v2)) in want.iter().zip(have) {
            assert_eq!(t1, t2, "{k}: instants differ");
            assert!(
                (v1 - v2).abs() <= 1e-9 * v1.abs().max(1.0),
                "{k} at {t1}: truth {v1}, file {v2}"
            );
        }
    }
}

/// The checks every generated tree must pass: the truth equals a re-reading of the files, is
/// inside [data start, export moment), and the malformed rows are where the truth says.
fn check_tree(dir: &Path, spec: &Spec, truth: &Truth) {
    let root = dir.join(spec.root);
    let (got, skipped) = reparse(&root, spec.tz, truth.export_date);
    assert_same(&truth.series, &got);
    assert_eq!(truth.skipped, skipped, "skipped rows by reason");
    assert_eq!(truth.export_date, spec.last_day());
    let (s, e) = (
        spec.data_start().timestamp_millis(),
        spec.export_moment().timestamp_millis(),
    );
    for (k, v) in &truth.series {
        assert!(
            *v.keys().next().unwrap() >= s && *v.keys().last().unwrap() < e,
            "{k} outside the data"
        );
    }
    let json: u64 = tg::list_files(&root)
        .iter()
        .filter(|f| f.0.ends_with(".json"))
        .map(|f| f.1)
        .sum();
    assert_eq!(truth.json_bytes, json);
    assert_eq!(
        truth.malformed.len(),
        truth.skipped.get(tg::MALFORMED).copied().unwrap_or(0)
    );
    for (rel, line) in &truth.malformed {
        let text = read(&root.join(rel));
        let lines: Vec<&str> = text.lines().collect();
        let l = lines[line - 1];
        if rel.ends_with(".json") {
            assert!(
                l == "[{" || l == "},{",
                "{rel}:{line} is {l:?}, not a record's first line"
            );
            let rec = lines[*line..]
                .iter()
                .take_while(|x| !x.starts_with('}'))
                .copied()
                .collect::<Vec<_>>()
                .join("\n");
            assert!(
                rec.contains("\"bpm\" : \"x\"") || rec.contains("13/45/26 99:00:00"),
                "{rel}:{line}: {rec}"
            );
        } else {
            assert_eq!(l.split(',').count(), 2, "{rel}:{line} is {l:?}");
        }
    }
}

/// Fall-back DST (2025-11-02) in New York, traps on, flat `Takeout/Fitbit`.
fn fall_spec() -> Spec {
    Spec {
        first_day: date(2025, 10, 15),
        days: 40,
        ..Spec::small(40)
    }
}

#[test]
fn takeout_gen_truth_matches_the_files_and_the_traps_are_there() {
    let dir = tempfile::tempdir().unwrap();
    let spec = fall_spec();
    let truth = tg::write_tree(dir.path(), &spec);
    check_tree(dir.path(), &spec, &truth);
    for reason in [tg::PADDING, tg::PLACEHOLDER, tg::MALFORMED, tg::DUPLICATE] {
        assert!(
            truth.skipped.get(reason).copied().unwrap_or(0) > 0,
            "no {reason} rows"
        );
    }
    assert_eq!(truth.malformed.len(), 4);
    let root = dir.path().join(spec.root);
    let f = |rel: &str| root.join(rel);
    assert_eq!(
        read(&f(
            "Heart Rate Variability/Daily Respiratory Rate Summary - 2025-10-15.csv"
        )),
        "no data"
    );
    assert_eq!(read(&f("Global Export Data/sleep-2025-09-15.json")), "[]");
    assert_eq!(
        read(&f("Physical Activity_GoogleData/steps_2025-09-01.csv")),
        "timestamp,steps,data source\n"
    );
    assert!(f("Health Fitness Data_GoogleData/UserActivityProbabilities_2026-01-01.csv").is_file());
    assert!(
        tg::list_files(&root)
            .iter()
            .any(|(p, _)| p.ends_with("_readme.txt"))
    );
    assert!(read(&f("Physical Activity_GoogleData/steps_2025-10-01.csv")).contains(",Pixel 8\n"));
    // The profile names the zone.
    let profile = read(&f("Your Profile/Profile.csv"));
    let mut lines = profile.lines();
    let cols: Vec<&str> = lines.next().unwrap().split(',').collect();
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(cols.len(), row.len());
    assert_eq!(
        row[cols.iter().position(|c| *c == "timezone").unwrap()],
        "America/New_York"
    );
    // The 25-hour day has 1500 minutes; a day's totals are sums of its minutes.
    let nov2 = midnight(spec.tz, date(2025, 11, 2));
    let nov3 = midnight(spec.tz, date(2025, 11, 3));
    assert_eq!(nov3 - nov2, 25 * 3_600_000);
    assert_eq!(
        truth.series["fitbit_distance_intraday"]
            .range(nov2..nov3)
            .count(),
        1500
    );
    // With traps the heart-rate files switch offset a day late: the file of 11-03 is 25 hours.
    let hr = read(&f("Global Export Data/heart_rate-2025-11-03.json"));
    let v: Value = serde_json::from_str(&hr).unwrap();
    let first = v[0]["dateTime"].as_str().unwrap();
    assert!(first.starts_with("11/03/25 04:0"), "{first}");
    // The same spec without a truth: same counts (no sample counted twice).
    let dir2 = tempfile::tempdir().unwrap();
    let (export, samples, json) = tg::write_tree_no_truth(dir2.path(), &spec);
    assert_eq!(
        (export, samples, json),
        (truth.export_date, truth.samples(), truth.json_bytes)
    );
    // Deterministic: the same files with the same bytes.
    let (a, b) = (tg::list_files(dir.path()), tg::list_files(dir2.path()));
    assert_eq!(a, b);
    for (rel, _) in a
        .iter()
        .filter(|(p, _)| p.contains("sleep-") || p.contains("calories_"))
    {
        assert_eq!(
            std::fs::read(dir.path().join(rel)).unwrap(),
            std::fs::read(dir2.path().join(rel)).unwrap()
        );
    }
}

#[test]
fn takeout_gen_text_has_the_shapes_of_the_real_exports() {
    let Some(ds) = dataset() else {
        eprintln!("shared/fixtures/dataset not found; format checks skipped");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let spec = Spec {
        first_day: date(2025, 10, 25),
        days: 12,
        ..fall_spec()
    };
    let truth = tg::write_tree(dir.path(), &spec);
    let root = dir.path().join(spec.root);
    let ny = |p: &str| ds.join(NY_EXPORT).join(p);
    let au = |p: &str| ds.join(AU_EXPORT).join(p);
    let ge = |p: &str| ny(&format!("Global Export Data/{p}"));
    let pa = |p: &str| ny(&format!("Physical Activity_GoogleData/{p}"));
    // (generated files: folder and name prefix, fixture files with the same format)
    let families: Vec<(&str, &str, Vec<PathBuf>)> = vec![
        (
            "Global Export Data",
            "heart_rate-",
            vec![
                ge("heart_rate-2026-04-08_TRIMMED_0400Z-0415Z.json"),
                ge("heart_rate-2026-04-08_TRIMMED_tail_2026-04-09T0345Z-0400Z.json"),
                au("heart_rate-2015-10-07.json"),
                au("heart_rate-2016-04-03.json"),
                au("heart_rate-2016-04-04.json"),
            ],
        ),
        (
            "Global Export Data",
            "steps-",
            vec![
                ge("steps-2026-03-18_TRIMMED_2026-04-06Z.json"),
                au("steps-2017-03-07_TRIMMED_2017-03-31T13Z_to_2017-04-04T14Z.json"),
            ],
        ),
        (
            "Global Export Data",
            "distance-",
            vec![ge("distance-2026-03-18_TRIMMED_2026-04-06Z.json")],
        ),
        (
            "Global Export Data",
            "calories-",
            vec![ge(
                "calories-2026-03-18_TRIMMED_local_2026-04-06T1000-1100.json",
            )],
        ),
        (
            "Global Export Data",
            "sedentary_minutes-",
            vec![ge("sedentary_minutes-2026-03-18.json")],
        ),
        (
            "Global Export Data",
            "lightly_active_minutes-",
            vec![ge("lightly_active_minutes-2026-03-18.json")],
        ),
        (
            "Global Export Data",
            "moderately_active_minutes-",
            vec![ge("moderately_active_minutes-2026-03-18.json")],
        ),
        (
            "Global Export Data",
            "very_active_minutes-",
            vec![ge("very_active_minutes-2026-03-18.json")],
        ),
        (
            "Global Export Data",
            "resting_heart_rate-",
            vec![
                ge("resting_heart_rate-2026-03-18.json"),
                au("resting_heart_rate-2016-05-16.json"),
            ],
        ),
        (
            "Global Export Data",
            "time_in_heart_rate_zones-",
            vec![
                ge("time_in_heart_rate_zones-2026-04-08.json"),
                au("time_in_heart_rate_zones-2016-04-03.json"),
                au("time_in_heart_rate_zones-2016-04-04.json"),
            ],
        ),
        (
            "Global Export Data",
            "sleep-",
            vec![ge("sleep-2026-03-18.json"), au("sleep-2016-03-12.json")],
        ),
        (
            "Physical Activity_GoogleData",
            "heart_rate_",
            vec![pa("heart_rate_2026-04-08_TRIMMED_0355Z-0415Z.csv")],
        ),
        (
            "Physical Activity_GoogleData",
            "steps_2",
            vec![pa("steps_2026-04-01_TRIMMED_2026-04-06Z.csv")],
        ),
        (
            "Physical Activity_GoogleData",
            "distance_",
            vec![pa("distance_2026-04-01_TRIMMED_2026-04-06Z.csv")],
        ),
        (
            "Physical Activity_GoogleData",
            "calories_2",
            vec![pa("calories_2026-04-01_TRIMMED_2026-04-06T1400Z-1500Z.csv")],
        ),
        (
            "Physical Activity_GoogleData",
            "daily_sleep_temperature_derivations.",
            vec![pa("daily_sleep_temperature_derivations.csv")],
        ),
        (
            "Physical Activity_GoogleData",
            "daily_oxygen_saturation.",
            vec![pa("daily_oxygen_saturation.csv")],
        ),
        (
            "Physical Activity_GoogleData",
            "daily_respiratory_rate.",
            vec![pa("daily_respiratory_rate.csv")],
        ),
        (
            "Physical Activity_GoogleData",
            "daily_heart_rate_variability.",
            vec![pa("daily_heart_rate_variability.csv")],
        ),
        (
            "Oxygen Saturation (SpO2)",
            "Daily SpO2 - ",
            vec![ny(
                "Oxygen Saturation (SpO2)/Daily SpO2 - 2026-03-19-2026-04-14.csv",
            )],
        ),
        (
            "Heart Rate Variability",
            "Daily Respiratory Rate Summary - ",
            vec![ny(
                "Heart Rate Variability/Daily Respiratory Rate Summary - 2026-04-08.csv",
            )],
        ),
        (
            "Heart Rate Variability",
            "Daily Heart Rate Variability Summary - ",
            vec![
                ny("Heart Rate Variability/Daily Heart Rate Variability Summary - 2026-04-(5).csv"),
                ny("Heart Rate Variability/Daily Heart Rate Variability Summary - 2026-04-(7).csv"),
            ],
        ),
    ];
    // The lines of the malformed records (a JSON record spans at most 6 lines).
    let mut bad_lines: BTreeMap<&str, BTreeSet<usize>> = BTreeMap::new();
    for (rel, line) in &truth.malformed {
        let n = if rel.ends_with(".json") { 6 } else { 1 };
        bad_lines
            .entry(rel.as_str())
            .or_default()
            .extend(*line..line + n);
    }
    let files = tg::list_files(&root);
    for (folder, prefix, fixtures) in &families {
        let fx: Vec<String> = fixtures.iter().map(|p| read(p)).collect();
        let allowed: BTreeSet<String> = fx
            .iter()
            .flat_map(|t| shapes(t).into_iter().chain(t.lines().map(shape)))
            .collect();
        let ends_nl = fx[0].ends_with('\n');
        let generated: Vec<&String> = files
            .iter()
            .map(|f| &f.0)
            .filter(|p| {
                let name = p.rsplit('/').next().unwrap();
                p.starts_with(&format!("{folder}/{prefix}")) && !name.contains("readme")
            })
            .collect();
        assert!(!generated.is_empty(), "no generated {folder}/{prefix}*");
        for rel in generated {
            let full = read(&root.join(rel));
            if full == "[]" || full == "no data" {
                continue;
            }
            let bad = bad_lines.get(rel.as_str());
            let text: String = full
                .split_inclusive('\n')
                .enumerate()
                .filter(|(i, _)| bad.is_none_or(|b| !b.contains(&(i + 1))))
                .map(|(_, l)| l)
                .collect();
            assert_eq!(
                text.ends_with('\n'),
                ends_nl,
                "{rel}: final newline differs from the fixture"
            );
            if rel.ends_with(".csv") {
                let header = text.lines().next().unwrap();
                assert_eq!(header, fx[0].lines().next().unwrap(), "{rel}: header");
                for line in text.lines().skip(1) {
                    if line.ends_with(",Pixel 8") || line.contains("NaN,NaN,NaN") {
                        continue; // a second source / a placeholder row: no such row in the fixture
                    }
                    assert!(
                        allowed.contains(&shape(line)),
                        "{rel}: row {line:?} has no counterpart in {fixtures:?}"
                    );
                }
            } else {
                assert!(
                    text.starts_with("[{\n") && text.ends_with("\n}]"),
                    "{rel}: array framing"
                );
                for s in shapes(&text) {
                    assert!(
                        allowed.contains(&s),
                        "{rel}: line shape {s:?} has no counterpart in {fixtures:?}"
                    );
                }
            }
        }
    }
}

/// A late-2026 layout (`Takeout/Google Health`, per-family folders), no traps, ending on the
/// fixture's export date: the local-day files start where the real ones do and the twins hold
/// the same minutes as in the real export.
#[test]
fn takeout_gen_new_layout_matches_the_real_boundaries() {
    let dir = tempfile::tempdir().unwrap();
    let spec = Spec {
        root: "Takeout/Google Health",
        per_family_dirs: true,
        traps: false,
        seed: 7,
        ..Spec::small(45) // 2026-03-01 … 2026-04-14, across the 2026-03-08 change
    };
    let truth = tg::write_tree(dir.path(), &spec);
    check_tree(dir.path(), &spec, &truth);
    assert!(truth.skipped.is_empty() && truth.malformed.is_empty());
    let root = dir.path().join(spec.root);
    let files: BTreeSet<String> = tg::list_files(&root).into_iter().map(|f| f.0).collect();
    assert!(files.contains("Physical Activity_GoogleData/Heart Rate/heart_rate_2026-04-08.csv"));
    assert!(files.contains("Physical Activity_GoogleData/Calories/calories_2026-04-01.csv"));
    assert!(files.contains("Physical Activity_GoogleData/Daily Sleep Temperature Derivations/daily_sleep_temperature_derivations.csv"));
    assert!(
        !files
            .iter()
            .any(|p| p.starts_with("Physical Activity_GoogleData/") && p.matches('/').count() == 1)
    );
    // Each heart-rate JSON holds exactly the instants of its local day.
    for d in date(2026, 3, 2)
        .iter_days()
        .take_while(|&d| d < spec.last_day())
    {
        let v: Value = serde_json::from_str(&read(
            &root.join(format!("Global Export Data/heart_rate-{d}.json")),
        ))
        .unwrap();
        let stamps: Vec<i64> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|r| utc_ms(r["dateTime"].as_str().unwrap(), "%m/%d/%y %H:%M:%S").unwrap())
            .collect();
        let (a, b) = (
            midnight(spec.tz, d),
            midnight(spec.tz, d.succ_opt().unwrap()),
        );
        assert!(
            stamps.iter().all(|&t| a <= t && t < b),
            "heart_rate-{d}.json leaves its local day"
        );
    }
    // The heart-rate CSV twin holds the same samples as the JSON.
    let csv = read(&root.join("Physical Activity_GoogleData/Heart Rate/heart_rate_2026-04-08.csv"));
    let hr = &truth.series["fitbit_heart_rate_intraday"];
    for line in csv.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let t = utc_ms(f[0], "%Y-%m-%dT%H:%M:%SZ").unwrap();
        assert_eq!(hr.get(&t), Some(&f[1].parse::<f64>().unwrap()), "{line}");
    }
    let Some(ds) = dataset() else { return };
    let fx = |p: &str| read(&ds.join(NY_EXPORT).join(p));
    // The local day 04-08 starts at the same UTC stamp as the real file.
    let real: Value = serde_json::from_str(&fx(
        "Global Export Data/heart_rate-2026-04-08_TRIMMED_0400Z-0415Z.json",
    ))
    .unwrap();
    let ours: Value = serde_json::from_str(&read(
        &root.join("Global Export Data/heart_rate-2026-04-08.json"),
    ))
    .unwrap();
    assert_eq!(ours[0]["dateTime"], real[0]["dateTime"]);
    // Calories: local 10:00 in the JSON is 14:00Z in the CSV (EDT), as in the real pair.
    let real_json: Value = serde_json::from_str(&fx(
        "Global Export Data/calories-2026-03-18_TRIMMED_local_2026-04-06T1000-1100.json",
    ))
    .unwrap();
    let real_csv =
        fx("Physical Activity_GoogleData/calories_2026-04-01_TRIMMED_2026-04-06T1400Z-1500Z.csv");
    let real_pair = (
        real_json[0]["dateTime"].as_str().unwrap().to_string(),
        real_csv.lines().nth(1).unwrap()[..20].to_string(),
    );
    assert_eq!(
        real_pair,
        (
            "04/06/26 10:00:00".to_string(),
            "2026-04-06T14:00:00Z".to_string()
        )
    );
    let ours_json: Value = serde_json::from_str(&read(
        &root.join("Global Export Data/calories-2026-03-31.json"),
    ))
    .unwrap();
    let rec = ours_json
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["dateTime"] == "04/06/26 10:00:00")
        .unwrap();
    let ours_csv =
        read(&root.join("Physical Activity_GoogleData/Calories/calories_2026-04-01.csv"));
    let row = ours_csv
        .lines()
        .find(|l| l.starts_with(&real_pair.1))
        .unwrap();
    let (a, b): (f64, f64) = (
        rec["value"].as_str().unwrap().parse().unwrap(),
        row.split(',').nth(1).unwrap().parse().unwrap(),
    );
    assert_eq!(a, b);
}

/// The Australian fixture's DST end (2016-04-03): with traps the file of 04-04 starts at
/// 13:00Z and lasts 25 hours, as the real `heart_rate-2016-04-04.json` does.
#[test]
fn takeout_gen_late_dst_switch_matches_the_real_25_hour_file() {
    let dir = tempfile::tempdir().unwrap();
    let spec = Spec {
        first_day: date(2016, 4, 1),
        days: 6,
        tz: chrono_tz::Australia::Sydney,
        ..Spec::small(6)
    };
    let truth = tg::write_tree(dir.path(), &spec);
    check_tree(dir.path(), &spec, &truth);
    let root = dir.path().join(spec.root);
    let ours: Value = serde_json::from_str(&read(
        &root.join("Global Export Data/heart_rate-2016-04-04.json"),
    ))
    .unwrap();
    let stamps: Vec<&str> = ours
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["dateTime"].as_str().unwrap())
        .collect();
    let (first, last) = (stamps[0], stamps[stamps.len() - 1]);
    let want = match dataset() {
        Some(ds) => {
            let real: Value = serde_json::from_str(&read(
                &ds.join(AU_EXPORT).join("heart_rate-2016-04-04.json"),
            ))
            .unwrap();
            let r = real.as_array().unwrap();
            (
                r[0]["dateTime"].as_str().unwrap()[..14].to_string(),
                r[r.len() - 1]["dateTime"].as_str().unwrap()[..11].to_string(),
            )
        }
        None => ("04/03/16 13:00".to_string(), "04/04/16 13".to_string()),
    };
    assert_eq!(
        (&first[..14], &last[..11]),
        (want.0.as_str(), want.1.as_str())
    );
    // Daily samples still sit at local midnight on the 25-hour day.
    let zones = &truth.series["fitbit_heart_rate_zone_minutes{zone=\"peak\"}"];
    assert!(zones.contains_key(&midnight(spec.tz, date(2016, 4, 3))));
    assert!(zones.contains_key(&midnight(spec.tz, date(2016, 4, 4))));
}

/// Zones whose days are odd: a midnight skipped by DST (Santiago, 2024-09-08), a 30-minute DST
/// change (Lord Howe, 2024-10-06), a half-hour offset (Kolkata); and a one-day export.
#[test]
fn takeout_gen_odd_zones_and_a_one_day_export() {
    use chrono_tz::{America, Asia, Australia};
    for (tz, first, days) in [
        (America::Santiago, date(2024, 9, 6), 4),
        (Australia::Lord_Howe, date(2024, 10, 4), 4),
        (Asia::Kolkata, date(2026, 4, 10), 3),
        (America::New_York, date(2026, 4, 14), 1),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let spec = Spec {
            first_day: first,
            days,
            tz,
            ..Spec::small(days)
        };
        let truth = tg::write_tree(dir.path(), &spec);
        check_tree(dir.path(), &spec, &truth);
        assert_eq!(
            truth.series["fitbit_steps_total"].len(),
            days as usize,
            "{tz}"
        );
    }
}

#[test]
fn takeout_gen_zip_parts_and_tgz_hold_the_tree() {
    let dir = tempfile::tempdir().unwrap();
    let spec = Spec {
        first_day: date(2026, 4, 1),
        days: 14,
        ..Spec::small(14)
    };
    tg::write_tree(dir.path(), &spec);
    let tree: BTreeSet<String> = tg::list_files(dir.path())
        .into_iter()
        .map(|f| f.0)
        .collect();
    assert!(tree.iter().all(|p| p.starts_with("Takeout/Fitbit/")));
    let out = tempfile::tempdir().unwrap();
    let parts = tg::zip_parts(dir.path(), out.path(), 3);
    assert_eq!(parts.len(), 3);
    let names: Vec<String> = parts
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "takeout-20260415T101010Z-1-001.zip",
            "takeout-20260415T101010Z-1-002.zip",
            "takeout-20260415T101010Z-1-003.zip"
        ]
    );
    let mut union = BTreeSet::new();
    let mut folders_by_part: Vec<BTreeSet<String>> = Vec::new();
    for p in &parts {
        let mut z = zip::ZipArchive::new(std::fs::File::open(p).unwrap()).unwrap();
        let mut folders = BTreeSet::new();
        for i in 0..z.len() {
            let mut e = z.by_index(i).unwrap();
            assert_eq!(e.compression(), zip::CompressionMethod::Deflated);
            let name = e.name().unwrap().to_string();
            if name.ends_with("Profile.csv") {
                let mut text = String::new();
                e.read_to_string(&mut text).unwrap();
                assert_eq!(text, read(&dir.path().join(&name)));
            }
            folders.insert(name.rsplit_once('/').unwrap().0.to_string());
            assert!(union.insert(name), "an entry in two parts");
        }
        assert!(!folders.is_empty());
        folders_by_part.push(folders);
    }
    assert_eq!(union, tree);
    let split = folders_by_part
        .windows(2)
        .any(|w| w[0].intersection(&w[1]).next().is_some());
    assert!(split, "no folder is split over two parts");

    let tgz = tg::tgz(dir.path(), out.path());
    let mut a = tar::Archive::new(flate2::read::GzDecoder::new(
        std::fs::File::open(&tgz).unwrap(),
    ));
    let mut in_tar = BTreeSet::new();
    for e in a.entries().unwrap() {
        let e = e.unwrap();
        if e.header().entry_type().is_file() {
            in_tar.insert(e.path().unwrap().to_string_lossy().into_owned());
        }
    }
    assert_eq!(in_tar, tree);
}

/// By hand: the benchmark's tree (five years to 2026-04-14, heart rate every 10 s) in
/// `$SYNCBIT_TAKEOUT_GEN_BIG/tree`, timed, then deleted. `SYNCBIT_TAKEOUT_GEN_DAYS` and
/// `SYNCBIT_TAKEOUT_GEN_HR_S` change the size, `SYNCBIT_TAKEOUT_GEN_TRUTH=1` keeps the truth in
/// memory ([`tg::write_tree`]), `SYNCBIT_TAKEOUT_GEN_ZIP=1` also times [`tg::zip_parts`] (4 parts).
///
/// `SYNCBIT_TAKEOUT_GEN_BIG=/tmp/tg cargo test --test e2e takeout_gen_five_years -- --ignored --nocapture`
#[test]
#[ignore]
fn takeout_gen_five_years_by_hand() {
    let var = |k: &str| std::env::var(k).ok();
    let base = PathBuf::from(var("SYNCBIT_TAKEOUT_GEN_BIG").expect("SYNCBIT_TAKEOUT_GEN_BIG"));
    let dir = base.join("tree");
    let _ = std::fs::remove_dir_all(&dir);
    let days: u32 = var("SYNCBIT_TAKEOUT_GEN_DAYS").map_or(1826, |v| v.parse().unwrap());
    let spec = Spec {
        hr_every_s: var("SYNCBIT_TAKEOUT_GEN_HR_S").map_or(10, |v| v.parse().unwrap()),
        ..Spec::small(days)
    };
    let t0 = std::time::Instant::now();
    let (export, samples, json) = if var("SYNCBIT_TAKEOUT_GEN_TRUTH").is_some() {
        let t = tg::write_tree(&dir, &spec);
        (t.export_date, t.samples(), t.json_bytes)
    } else {
        tg::write_tree_no_truth(&dir, &spec)
    };
    let took = t0.elapsed();
    let files = tg::list_files(&dir);
    let bytes: u64 = files.iter().map(|f| f.1).sum();
    eprintln!(
        "{} … {export}, heart rate every {} s: {samples} samples, {} files, {bytes} bytes ({json} of JSON), written in {took:.1?}",
        spec.first_day,
        spec.hr_every_s,
        files.len()
    );
    if var("SYNCBIT_TAKEOUT_GEN_ZIP").is_some() {
        let t1 = std::time::Instant::now();
        let parts = tg::zip_parts(&dir, &base.join("zip"), 4);
        let zbytes: u64 = parts
            .iter()
            .map(|p| std::fs::metadata(p).unwrap().len())
            .sum();
        eprintln!("4 zip parts, {zbytes} bytes, in {:.1?}", t1.elapsed());
        std::fs::remove_dir_all(base.join("zip")).unwrap();
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
