//! `syncbit import` of real account exports (read from ../shared/fixtures) into a real
//! VictoriaMetrics. The expected values are computed here from the files, with the rules of
//! the Takeout reference, independently of syncbit's parsers.

use chrono::{NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::harness::{Run, assert_no_duplicates, midnight_ms};
use crate::support::syncbit;
use crate::support::vm::{Series, Vm};

/// The real exports' folder (`dataset/` inside `SYNCBIT_FIXTURES` or
/// `<manifest>/../shared/fixtures`), if present: tests of the real files say so and pass
/// without it (the generated-export tests below cover the same paths).
fn dataset() -> Option<PathBuf> {
    let root = std::env::var_os("SYNCBIT_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures"));
    let d = root.join("dataset");
    if d.join("google-takeout-fitbit").is_dir() {
        Some(d)
    } else {
        eprintln!(
            "no real exports in {}: skipping a test of them",
            d.display()
        );
        None
    }
}

/// The April 2026 export (America/New_York).
pub fn april_2026() -> Option<PathBuf> {
    dataset().map(|d| d.join("google-takeout-fitbit/2026-04-america-new_york"))
}

/// The 2015–2017 Global Export Data files (Australian DST zone).
pub fn aus_2016() -> Option<PathBuf> {
    dataset().map(|d| d.join("fitbit-account-export-global-export-data-format"))
}

/// A VictoriaMetrics and a data directory, and `syncbit` pointed at both.
pub struct IEnv {
    pub vm: Vm,
    pub dir: tempfile::TempDir,
    pub user: String,
}

impl IEnv {
    pub fn new(dedup: bool) -> IEnv {
        IEnv {
            vm: Vm::start(dedup),
            dir: tempfile::tempdir().unwrap(),
            user: "importer".into(),
        }
    }

    pub fn cmd(&self, args: &[&str]) -> std::process::Command {
        let mut c = syncbit();
        c.env("DATA_DIR", self.dir.path())
            .env("VICTORIA_ENDPOINT", self.vm.url())
            .env("FITBIT_USER_ID", &self.user)
            .env("SYNCBIT_RETRY_DELAY_MS", "5")
            .args(args);
        c
    }

    pub fn run(&self, args: &[&str]) -> Run {
        let o = self.cmd(args).output().unwrap();
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    /// Every series of `metric`, of this env's user.
    pub fn export(&self, metric: &str) -> Vec<Series> {
        self.vm
            .export(
                &format!("{metric}{{user=\"{}\"}}", self.user),
                1_167_609_600_000,
                crate::harness::now_ms() + 3 * 86_400_000,
            )
            .into_iter()
            .collect()
    }

    /// `metric`'s samples keyed by the value of `label` ("" without it).
    pub fn points(&self, metric: &str, label: &str) -> BTreeMap<String, BTreeMap<i64, f64>> {
        self.export(metric)
            .iter()
            .map(|s| {
                (
                    s.labels.get(label).cloned().unwrap_or_default(),
                    s.timestamps
                        .iter()
                        .copied()
                        .zip(s.values.iter().copied())
                        .collect(),
                )
            })
            .collect()
    }
}

fn json(path: &Path) -> Vec<serde_json::Value> {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn files(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .collect();
    v.sort();
    v
}

/// `MM/DD/YY HH:MM:SS` as a naive date-time.
fn classic(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%m/%d/%y %H:%M:%S").unwrap()
}

fn num(v: &serde_json::Value) -> f64 {
    match v {
        serde_json::Value::String(s) => s.parse().unwrap(),
        v => v.as_f64().unwrap(),
    }
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9 * b.abs().max(1.0)
}

/// The series of one UTC-stamped classic JSON family: instant → value × scale.
fn utc_series(dir: &Path, prefix: &str, scale: f64) -> BTreeMap<i64, f64> {
    let mut out = BTreeMap::new();
    for p in files(dir, prefix) {
        for r in json(&p) {
            let t = classic(r["dateTime"].as_str().unwrap())
                .and_utc()
                .timestamp_millis();
            let v = if r["value"].is_object() {
                num(&r["value"]["bpm"])
            } else {
                num(&r["value"])
            };
            out.insert(t, v * scale);
        }
    }
    out
}

/// Sum per local day of `tz` of a series of instants.
fn day_sums(series: &BTreeMap<i64, f64>, tz: Tz) -> BTreeMap<NaiveDate, f64> {
    let mut out = BTreeMap::new();
    for (t, v) in series {
        let day = tz.timestamp_millis_opt(*t).unwrap().date_naive();
        *out.entry(day).or_default() += v;
    }
    out
}

fn assert_series_eq(what: &str, got: &BTreeMap<i64, f64>, want: &BTreeMap<i64, f64>) {
    assert_eq!(got.len(), want.len(), "{what}: sample count");
    for ((gt, gv), (wt, wv)) in got.iter().zip(want) {
        assert_eq!(gt, wt, "{what}: instants differ");
        assert!(close(*gv, *wv), "{what} at {gt}: {gv} != {wv}");
    }
}

#[test]
fn april_2026_export_writes_what_the_files_say_at_the_right_instants() {
    let Some(root) = april_2026() else { return };
    let env = IEnv::new(false);
    let r = env.run(&[
        "import",
        "--timezone",
        "America/New_York",
        root.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("import summary"), "{}", r.stderr);
    env.vm.flush();
    let tz: Tz = "America/New_York".parse().unwrap();
    let fitbit = root.join("Takeout/Fitbit");
    let ged = fitbit.join("Global Export Data");

    // Heart rate: every JSON sample once, at its UTC instant; the CSV twin adds nothing, not
    // even the minutes only it covers (one encoding per family).
    let hr = utc_series(&ged, "heart_rate-", 1.0);
    let got = env.points("fitbit_heart_rate_intraday", "");
    assert_series_eq("heart rate", &got[""], &hr);
    assert_no_duplicates(&env.export("fitbit_heart_rate_intraday"));
    let csv_first = chrono::DateTime::parse_from_rfc3339("2026-04-08T03:55:01Z")
        .unwrap()
        .timestamp_millis();
    assert!(
        !got[""].contains_key(&csv_first),
        "a CSV-only instant was written"
    );

    // Steps and distance: the JSON minutes (UTC) and their local-day sums at local midnight.
    for (prefix, metric, total, scale) in [
        ("steps-", "fitbit_steps_intraday", "fitbit_steps_total", 1.0),
        (
            "distance-",
            "fitbit_distance_intraday",
            "fitbit_distance_km",
            1e-5,
        ),
    ] {
        let want = utc_series(&ged, prefix, scale);
        assert_series_eq(metric, &env.points(metric, "")[""], &want);
        let sums = day_sums(&want, tz);
        assert!(sums.len() >= 2, "{sums:?}");
        let got = &env.points(total, "")[""];
        for (day, sum) in &sums {
            let v = got
                .get(&midnight_ms(tz, *day))
                .unwrap_or_else(|| panic!("{total} {day}"));
            assert!(close(*v, *sum), "{total} {day}: {v} != {sum}");
        }
    }
    // `"value" : "440"` (cm) in the first minute is 0.0044 km.
    let dist = &env.points("fitbit_distance_intraday", "")[""];
    assert!(close(*dist.values().next().unwrap(), 0.0044), "{dist:?}");

    // Calories: the CSV (UTC), one source.
    let mut cal = BTreeMap::new();
    let pad = fitbit.join("Physical Activity_GoogleData");
    for p in files(&pad, "calories_")
        .into_iter()
        .filter(|p| p.extension().unwrap() == "csv")
    {
        let mut rdr = csv::Reader::from_path(&p).unwrap();
        for rec in rdr.records() {
            let rec = rec.unwrap();
            let t = chrono::DateTime::parse_from_rfc3339(&rec[0])
                .unwrap()
                .timestamp_millis();
            cal.insert(t, rec[1].parse::<f64>().unwrap());
        }
    }
    assert_series_eq(
        "calories",
        &env.points("fitbit_calories_intraday", "")[""],
        &cal,
    );
    let total = &env.points("fitbit_calories_total", "")[""];
    for (day, sum) in day_sums(&cal, tz) {
        assert!(close(total[&midnight_ms(tz, day)], sum));
    }
    // The local calories JSON minute 10:00 is the CSV's 14:00Z (EDT): the same instant, once.
    let written = &env.points("fitbit_calories_intraday", "")[""];
    let local = json(&files(&ged, "calories-")[0]);
    assert_eq!(local[0]["dateTime"], "04/06/26 10:00:00");
    let at_14z = midnight_ms(tz, d("2026-04-06")) + 10 * 3_600_000;
    assert_eq!(written[&at_14z], num(&local[0]["value"]));
    let at_10z = at_14z - 4 * 3_600_000;
    assert!(
        !written.contains_key(&at_10z),
        "a local stamp was read as UTC"
    );

    // Active minutes: three days; the padding after the export date is not written.
    let levels = env.points("fitbit_active_minutes", "type");
    for (file, ty) in [
        ("sedentary_minutes-", "sedentary"),
        ("lightly_active_minutes-", "lightly_active"),
        ("moderately_active_minutes-", "fairly_active"),
        ("very_active_minutes-", "very_active"),
    ] {
        let records = json(&files(&ged, file)[0]);
        for r in records.iter().take(3) {
            let day = classic(r["dateTime"].as_str().unwrap()).date();
            assert_eq!(
                levels[ty][&midnight_ms(tz, day)],
                num(&r["value"]),
                "{ty} {day}"
            );
        }
        let last = levels[ty].keys().max().unwrap();
        assert!(
            *last <= midnight_ms(tz, d("2026-04-14")),
            "{ty}: padding written"
        );
    }

    // Resting heart rate: three dated days; no-data placeholders are not written.
    let rhr = &env.points("fitbit_resting_heart_rate_bpm", "")[""];
    let records = json(&files(&ged, "resting_heart_rate-")[0]);
    let dated: Vec<&serde_json::Value> = records
        .iter()
        .filter(|r| r["value"]["date"].is_string())
        .collect();
    assert_eq!(rhr.len(), dated.len());
    for r in dated.iter().take(3) {
        let day = classic(r["dateTime"].as_str().unwrap()).date();
        assert!(close(rhr[&midnight_ms(tz, day)], num(&r["value"]["value"])));
    }

    // Zones.
    let zones = env.points("fitbit_heart_rate_zone_minutes", "zone");
    let z = &json(&files(&ged, "time_in_heart_rate_zones-")[0])[0];
    let day = classic(z["dateTime"].as_str().unwrap()).date();
    for (k, name) in [
        ("BELOW_DEFAULT_ZONE_1", "out_of_range"),
        ("IN_DEFAULT_ZONE_1", "fat_burn"),
        ("IN_DEFAULT_ZONE_2", "cardio"),
        ("IN_DEFAULT_ZONE_3", "peak"),
    ] {
        assert_eq!(
            zones[name][&midnight_ms(tz, day)],
            num(&z["value"]["valuesInZones"][k])
        );
    }

    // Sleep: per dateOfSleep, minutes asleep over all logs, stages over the stages logs.
    let logs = json(&files(&ged, "sleep-")[0]);
    let mut asleep: BTreeMap<NaiveDate, f64> = BTreeMap::new();
    let mut deep: BTreeMap<NaiveDate, f64> = BTreeMap::new();
    for l in &logs {
        let day = d(l["dateOfSleep"].as_str().unwrap());
        *asleep.entry(day).or_default() += num(&l["minutesAsleep"]);
        if l["type"] == "stages" {
            *deep.entry(day).or_default() += num(&l["levels"]["summary"]["deep"]["minutes"]);
        }
    }
    let total = &env.points("fitbit_sleep_minutes_total", "")[""];
    let stages = env.points("fitbit_sleep_stage_minutes", "stage");
    for (day, m) in asleep.iter().take(3) {
        assert_eq!(total[&midnight_ms(tz, *day)], *m, "sleep {day}");
    }
    for (day, m) in deep.iter().take(3) {
        assert_eq!(stages["deep"][&midnight_ms(tz, *day)], *m, "deep {day}");
    }

    // SpO2, breathing rate, HRV: the legacy CSV folders, on the row's date label.
    let spo2 = &env.points("fitbit_spo2_avg_percent", "")[""];
    let spo2_min = &env.points("fitbit_spo2_min_percent", "")[""];
    let p = files(&fitbit.join("Oxygen Saturation (SpO2)"), "Daily SpO2")[0].clone();
    let mut rdr = csv::Reader::from_path(&p).unwrap();
    for rec in rdr.records().take(3) {
        let rec = rec.unwrap();
        let day = d(&rec[0][..10]);
        assert_eq!(spo2[&midnight_ms(tz, day)], rec[1].parse::<f64>().unwrap());
        assert_eq!(
            spo2_min[&midnight_ms(tz, day)],
            rec[2].parse::<f64>().unwrap()
        );
    }
    let hrv = &env.points("fitbit_hrv_rmssd_ms", "")[""];
    for p in files(
        &fitbit.join("Heart Rate Variability"),
        "Daily Heart Rate Variability Summary - ",
    ) {
        let mut rdr = csv::Reader::from_path(&p).unwrap();
        for rec in rdr.records() {
            let rec = rec.unwrap();
            // The row's date, not the file name's (`2026-04-(5)` holds 2026-04-06).
            let day = d(&rec[0][..10]);
            assert_eq!(
                hrv[&midnight_ms(tz, day)],
                rec[1].parse::<f64>().unwrap(),
                "{p:?}"
            );
        }
    }
    let br = &env.points("fitbit_breathing_rate_bpm", "")[""];
    assert_eq!(br[&midnight_ms(tz, d("2026-04-08"))], 16.8);

    // Skin temperature: nightly − baseline where a baseline exists.
    let temp = &env.points("fitbit_temp_skin_relative_celsius", "");
    let mut rdr =
        csv::Reader::from_path(pad.join("daily_sleep_temperature_derivations.csv")).unwrap();
    let mut checked = 0;
    for rec in rdr.records() {
        let rec = rec.unwrap();
        let (n, b) = (
            rec[1].parse::<f64>().unwrap(),
            rec[2].parse::<f64>().unwrap(),
        );
        let at = midnight_ms(tz, d(&rec[0][..10]));
        if b.is_nan() {
            assert!(temp.get("").is_none_or(|s| !s.contains_key(&at)));
        } else {
            assert!(close(temp[""][&at], n - b));
            checked += 1;
        }
    }
    assert!(checked > 0);

    // No second sample anywhere after a second import of the same export.
    let r = env.run(&[
        "import",
        "--timezone",
        "America/New_York",
        root.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("all: 0 samples written"), "{}", r.stderr);
    env.vm.flush();
    assert_no_duplicates(&env.vm.export_all());
}

#[test]
fn australian_dst_days_get_daily_values_at_local_midnight_and_no_duplicate_instants() {
    let Some(aus) = aus_2016() else { return };
    let env = IEnv::new(false);
    // The files loose in one folder, as the pre-Google export's `user-site-export/` holds them.
    let r = env.run(&[
        "import",
        "--timezone",
        "Australia/Sydney",
        aus.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    env.vm.flush();
    let tz: Tz = "Australia/Sydney".parse().unwrap();
    // 2016-04-03 has 25 hours, 2016-10-02 and 2015-10-04 23.
    assert_eq!(
        midnight_ms(tz, d("2016-04-04")) - midnight_ms(tz, d("2016-04-03")),
        25 * 3_600_000
    );
    assert_eq!(
        midnight_ms(tz, d("2016-10-03")) - midnight_ms(tz, d("2016-10-02")),
        23 * 3_600_000
    );
    let zones = env.points("fitbit_heart_rate_zone_minutes", "zone");
    assert_eq!(
        zones["out_of_range"][&midnight_ms(tz, d("2016-04-03"))],
        1284.0
    );
    assert_eq!(
        zones["out_of_range"][&midnight_ms(tz, d("2016-04-04"))],
        1369.0
    );
    let rhr = &env.points("fitbit_resting_heart_rate_bpm", "")[""];
    let records = json(&aus.join("resting_heart_rate-2016-05-16.json"));
    let on = |day: &str| {
        records
            .iter()
            .find(|r| classic(r["dateTime"].as_str().unwrap()).date() == d(day))
            .map(|r| num(&r["value"]["value"]))
            .unwrap()
    };
    assert!(close(
        rhr[&midnight_ms(tz, d("2016-10-02"))],
        on("2016-10-02")
    ));
    assert!(close(
        rhr[&midnight_ms(tz, d("2016-10-03"))],
        on("2016-10-03")
    ));
    // Steps over the 25-hour 2017-04-02: the sum of that local day's minutes, at its midnight.
    let steps = utc_series(&aus, "steps-", 1.0);
    let sums = day_sums(&steps, tz);
    let total = &env.points("fitbit_steps_total", "")[""];
    for day in ["2017-04-01", "2017-04-02", "2017-04-03"] {
        assert!(
            close(total[&midnight_ms(tz, d(day))], sums[&d(day)]),
            "{day}"
        );
    }
    // Every daily stamp is a local midnight.
    for s in env.vm.export_all() {
        if [
            "fitbit_steps_total",
            "fitbit_resting_heart_rate_bpm",
            "fitbit_heart_rate_zone_minutes",
        ]
        .contains(&s.name())
        {
            for t in &s.timestamps {
                let local = tz.timestamp_millis_opt(*t).unwrap().naive_local();
                assert_eq!(local.time(), chrono::NaiveTime::MIN, "{} at {t}", s.name());
            }
        }
    }
    // The 23-hour and 25-hour heart-rate files: every sample once.
    let hr = utc_series(&aus, "heart_rate-", 1.0);
    assert_series_eq(
        "heart rate",
        &env.points("fitbit_heart_rate_intraday", "")[""],
        &hr,
    );
    assert_no_duplicates(&env.vm.export_all());
}

#[test]
fn a_t00z_date_label_lands_on_its_own_date_west_and_east_of_utc() {
    let Some(root) = april_2026() else { return };
    for zone in ["America/Los_Angeles", "Asia/Tokyo"] {
        let env = IEnv::new(false);
        let r = env.run(&[
            "import",
            "--families",
            "spo2",
            "--timezone",
            zone,
            root.to_str().unwrap(),
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        env.vm.flush();
        let tz: Tz = zone.parse().unwrap();
        let avg = &env.points("fitbit_spo2_avg_percent", "")[""];
        // `2026-04-06T00:00:00Z,90.7,…`
        assert_eq!(
            avg.get(&midnight_ms(tz, d("2026-04-06"))),
            Some(&90.7),
            "{zone}: {avg:?}"
        );
        assert!(
            env.export("fitbit_heart_rate_intraday").is_empty(),
            "--families spo2 wrote heart rate"
        );
    }
}

#[test]
fn a_folder_that_is_not_an_export_exits_2_naming_what_was_expected() {
    let env = IEnv::new(false);
    let t = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(t.path().join("Takeout/Drive")).unwrap();
    std::fs::write(t.path().join("Takeout/Drive/notes.txt"), "hello").unwrap();
    let r = env.run(&["import", "--timezone", "UTC", t.path().to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("Takeout/Fitbit/"), "{}", r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    let r = env.run(&["import", "--timezone", "UTC", "/nonexistent/takeout.zip"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    std::fs::write(t.path().join("broken.zip"), "not a zip").unwrap();
    let r = env.run(&[
        "import",
        "--timezone",
        "UTC",
        t.path().join("broken.zip").to_str().unwrap(),
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("expected a Google Takeout export"),
        "{}",
        r.stderr
    );
    // No zone anywhere (a generated tree without its profile).
    let (tree, _) = generated(3, 3600);
    std::fs::remove_dir_all(tree.path().join("Takeout/Fitbit/Your Profile")).unwrap();
    let r = env.run(&["import", tree.path().to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--timezone"), "{}", r.stderr);
}

// ---- generated exports (tests/e2e/support/takeout_gen.rs) ----

use crate::support::takeout_gen::{self, Spec, Truth};

/// This env's `fitbit_*` series keyed like [`Truth::series`]: `metric{label="v"}` without
/// `user`.
fn written(env: &IEnv) -> BTreeMap<String, BTreeMap<i64, f64>> {
    let mut out: BTreeMap<String, BTreeMap<i64, f64>> = BTreeMap::new();
    // Metric by metric: the intraday series are large.
    let all: Vec<Series> = syncbit::metrics::TABLE
        .iter()
        .filter(|d| d.name.starts_with("fitbit_"))
        .flat_map(|d| env.export(d.name))
        .collect();
    for s in all {
        if !s.name().starts_with("fitbit_") || s.labels.get("user") != Some(&env.user) {
            continue;
        }
        let labels: Vec<String> = s
            .labels
            .iter()
            .filter(|(k, _)| *k != "__name__" && *k != "user")
            .map(|(k, v)| format!("{k}=\"{v}\""))
            .collect();
        let key = if labels.is_empty() {
            s.name().to_string()
        } else {
            format!("{}{{{}}}", s.name(), labels.join(","))
        };
        let series = out.entry(key.clone()).or_default();
        for (t, v) in s.timestamps.iter().zip(&s.values) {
            assert!(series.insert(*t, *v).is_none(), "{key}: two samples at {t}");
        }
    }
    out
}

/// What `env` holds once `done` says it is all there (VictoriaMetrics can take a moment to
/// make a large import searchable, even after a flush), or after 15 s.
fn written_when(
    env: &IEnv,
    done: impl Fn(&BTreeMap<String, BTreeMap<i64, f64>>) -> bool,
) -> BTreeMap<String, BTreeMap<i64, f64>> {
    let t = std::time::Instant::now();
    loop {
        env.vm.flush();
        let got = written(env);
        if done(&got) || t.elapsed().as_secs() > 15 {
            return got;
        }
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
}

/// What `env` holds equals `truth`, series by series, sample by sample.
fn assert_truth(env: &IEnv, truth: &Truth) {
    let want_samples = truth.samples() as usize;
    let got = written_when(env, |g| {
        g.values().map(|s| s.len()).sum::<usize>() >= want_samples
    });
    let want: Vec<&String> = truth.series.keys().collect();
    let have: Vec<&String> = got.keys().collect();
    assert_eq!(have, want, "series differ");
    for (k, w) in &truth.series {
        let g = &got[k];
        if let Some((t, v)) = w
            .iter()
            .find(|(t, v)| g.get(t).is_none_or(|x| !close(*x, **v)))
        {
            panic!(
                "{k}: at {t} want {v}, got {:?} ({} vs {} samples)",
                g.get(t),
                g.len(),
                w.len()
            );
        }
        assert_eq!(g.len(), w.len(), "{k}: extra samples");
    }
}

fn generated(days: u32, hr_every_s: u32) -> (tempfile::TempDir, Truth) {
    let dir = tempfile::tempdir().unwrap();
    let mut spec = Spec::small(days);
    spec.hr_every_s = hr_every_s;
    let truth = takeout_gen::write_tree(dir.path(), &spec);
    (dir, truth)
}

#[test]
fn a_split_zip_export_a_tgz_and_the_unpacked_tree_import_alike_and_traps_are_counted() {
    let (tree, truth) = generated(60, 600);
    let out = tempfile::tempdir().unwrap();
    let parts = takeout_gen::zip_parts(tree.path(), out.path(), 2);
    assert_eq!(parts.len(), 2);
    let tgz = takeout_gen::tgz(tree.path(), out.path());
    let mut args: Vec<String> = vec!["import".into()];
    args.extend(parts.iter().map(|p| p.display().to_string()));
    let zipped = IEnv::new(false);
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = zipped.run(&a);
    // Malformed rows were skipped: exit 1, with each one named by file and line.
    assert_eq!(r.code, 1, "{}", r.stderr);
    for (path, line) in &truth.malformed {
        assert!(
            r.stderr.contains(&format!("{path}:{line}")),
            "{path}:{line} not reported:\n{}",
            r.stderr
        );
    }
    for why in [
        "padding after the export date",
        "placeholder",
        "malformed",
        "duplicate source",
    ] {
        assert!(r.stderr.contains(why), "{why} not counted:\n{}", r.stderr);
    }
    assert!(
        r.stderr.contains("America/New_York"),
        "the profile's zone: {}",
        r.stderr
    );
    assert_truth(&zipped, &truth);
    assert_no_duplicates(&zipped.vm.export_all());

    for path in [tree.path().to_path_buf(), tgz] {
        let env = IEnv::new(false);
        let r = env.run(&["import", path.to_str().unwrap()]);
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert_truth(&env, &truth);
    }

    // The zip parts after the tree: the same files (path, size, CRC-32), nothing more.
    let env = IEnv::new(false);
    env.run(&["import", tree.path().to_str().unwrap()]);
    let r = env.run(&a);
    assert!(r.stderr.contains("all: 0 samples written"), "{}", r.stderr);
    assert_truth(&env, &truth);
}

/// Start an import of `tree` and stop it with `signal` once `files` files are recorded as
/// written; returns its exit code and stderr.
fn stopped_halfway(env: &IEnv, tree: &Path, signal: &str, files: usize) -> (i32, String) {
    let state = env.dir.path().join("sync_state.json");
    let err = env.dir.path().join("stderr.txt");
    let mut child = env
        .cmd(&["import", tree.to_str().unwrap()])
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    let t = std::time::Instant::now();
    loop {
        let s = std::fs::read_to_string(&state).unwrap_or_default();
        if s.matches("\"crc\"").count() >= files || t.elapsed().as_secs() > 60 {
            break;
        }
        if child.try_wait().unwrap().is_some() {
            panic!("the import ended before it could be stopped: make the export larger");
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let st = std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let code = child.wait().unwrap().code().unwrap_or(-1);
    (code, std::fs::read_to_string(&err).unwrap())
}

#[test]
fn stopped_by_sigterm_then_killed_the_runs_after_complete_with_no_sample_twice() {
    let (tree, truth) = generated(150, 60);
    let env = IEnv::new(false);
    let (code, err) = stopped_halfway(&env, tree.path(), "-TERM", 10);
    assert_eq!(code, 143, "{err}");
    assert!(
        err.contains("interrupted;") && err.contains("the next run resumes"),
        "{err}"
    );
    let (code, _) = stopped_halfway(&env, tree.path(), "-KILL", 40);
    assert_eq!(code, -1, "SIGKILL");
    let r = env.run(&["import", tree.path().to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.stderr); // the generated malformed rows
    assert!(
        r.stderr.contains("unchanged since an earlier import"),
        "{}",
        r.stderr
    );
    assert_truth(&env, &truth);
}

#[test]
fn victoria_metrics_down_exits_1_marks_nothing_and_the_next_run_completes() {
    let (tree, truth) = generated(30, 900);
    let mut env = IEnv::new(false);
    env.vm.stop();
    let r = env.run(&["import", tree.path().to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("nothing of it is marked done"),
        "{}",
        r.stderr
    );
    let state = std::fs::read_to_string(env.dir.path().join("sync_state.json")).unwrap_or_default();
    assert!(
        !state.contains("\"crc\"") && !state.contains("\"days\""),
        "{state}"
    );
    env.vm.restart();
    let r = env.run(&["import", tree.path().to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.stderr); // the generated malformed rows
    assert_truth(&env, &truth);
}

#[test]
fn a_window_first_then_the_whole_export_writes_each_sample_once_and_plan_writes_nothing() {
    let (tree, truth) = generated(45, 900);
    let env = IEnv::new(false);
    let path = tree.path().to_str().unwrap();
    let r = env.run(&["import", "--plan", path]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for word in [
        "heart_rate",
        "JSON (Global Export Data)",
        "steps",
        "sleep",
        "export date: 2026-04-14",
    ] {
        assert!(
            r.stdout.contains(word),
            "{word} missing from the plan:\n{}",
            r.stdout
        );
    }
    env.vm.flush();
    assert!(written(&env).is_empty(), "--plan wrote");
    let r = env.run(&["import", "--from", "2026-03-20", "--to", "2026-03-31", path]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let early = written_when(&env, |g| {
        g.contains_key("fitbit_heart_rate_intraday") && g.contains_key("fitbit_steps_total")
    });
    let tz: Tz = "America/New_York".parse().unwrap();
    let (lo, hi) = (
        midnight_ms(tz, d("2026-03-20")),
        midnight_ms(tz, d("2026-04-01")),
    );
    assert!(
        early
            .values()
            .flat_map(|s| s.keys())
            .all(|t| (lo..hi).contains(t))
    );
    assert!(
        early.contains_key("fitbit_heart_rate_intraday")
            && early.contains_key("fitbit_steps_total"),
        "{:?}\n{}",
        early.keys().collect::<Vec<_>>(),
        r.stderr
    );
    let r = env.run(&["import", path]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_truth(&env, &truth);
    // The dry run prints Prometheus text and records nothing.
    let other = IEnv::new(false);
    let r = other.run(&[
        "--dry-run",
        "import",
        "--families",
        "heart_rate_zones",
        path,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .lines()
            .all(|l| l.starts_with("fitbit_heart_rate_zone_minutes{user=\"importer\",zone=")),
        "{}",
        r.stdout
    );
    assert!(
        !other.dir.path().join("sync_state.json").exists()
            || !std::fs::read_to_string(other.dir.path().join("sync_state.json"))
                .unwrap()
                .contains("days")
    );
}

#[test]
fn an_export_over_days_a_live_source_wrote_adds_no_second_sample() {
    use crate::support::google_sim::GoogleSimConfig;
    let mut env = crate::harness::GEnv::new(GoogleSimConfig::default(), false);
    env.set("INTRADAY_DETAIL_LEVEL", "1min");
    env.set("INTRADAY_HEART_RATE_DETAIL", "1min");
    env.ok(&["backfill", "--days", "3"]);
    env.ok(&["sync-intraday"]);
    let tz: Tz = "America/New_York".parse().unwrap();
    let today = chrono::Utc::now().with_timezone(&tz).date_naive();
    let dir = tempfile::tempdir().unwrap();
    let mut spec = Spec::small(10);
    spec.first_day = today - chrono::Days::new(9);
    spec.export_hour = 1;
    spec.hr_every_s = 600;
    spec.traps = false;
    takeout_gen::write_tree(dir.path(), &spec);
    let r = env.run(&["import", dir.path().to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("written before"), "{}", r.stderr);
    env.vm.flush();
    assert_no_duplicates(&env.export_all());
    // The live days kept their live values: yesterday's steps total is the simulator's.
    let steps = env.export("fitbit_steps_total");
    let at = midnight_ms(tz, today - chrono::Days::new(1));
    let n = steps
        .iter()
        .flat_map(|s| s.timestamps.iter())
        .filter(|t| **t == at)
        .count();
    assert_eq!(n, 1, "yesterday's steps total written {n} times");
}

/// A copy of `tree` (files, not links) in a new temporary folder.
fn copy_tree(tree: &Path) -> tempfile::TempDir {
    let out = tempfile::tempdir().unwrap();
    for (rel, _) in takeout_gen::list_files(tree) {
        let to = out.path().join(&rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(tree.join(&rel), &to).unwrap();
    }
    out
}

#[test]
fn a_truncated_file_spoils_only_itself_and_two_versions_of_a_file_are_not_mixed() {
    let (tree, truth) = generated(20, 900);
    let ged = |t: &Path| t.join("Takeout/Fitbit/Global Export Data");
    let name = "heart_rate-2026-04-10.json";
    let whole = std::fs::read(ged(tree.path()).join(name)).unwrap();
    // A download cut off in the middle of a record.
    let cut = copy_tree(tree.path());
    std::fs::write(ged(cut.path()).join(name), &whole[..whole.len() / 2]).unwrap();
    let env = IEnv::new(false);
    let r = env.run(&["import", cut.path().to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!(
            "not imported: Global Export Data/{name}: cut off in the record at line"
        )),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    env.vm.flush();
    let hr = &env.points("fitbit_heart_rate_intraday", "")[""];
    let want = &truth.series["fitbit_heart_rate_intraday"];
    let tz: Tz = "America/New_York".parse().unwrap();
    let (a, b) = (
        midnight_ms(tz, d("2026-04-10")),
        midnight_ms(tz, d("2026-04-11")),
    );
    assert!(
        hr.keys().all(|t| !(a..b).contains(t)),
        "samples of the cut file were written"
    );
    assert_eq!(
        hr.len(),
        want.keys().filter(|t| !(a..b).contains(*t)).count()
    );
    // The repaired export (the cut copy and the whole one given together: two versions of
    // that file, of which the larger is read) completes it, with no sample twice.
    let r = env.run(&[
        "import",
        cut.path().to_str().unwrap(),
        tree.path().to_str().unwrap(),
    ]);
    assert!(r.stderr.contains("in two versions"), "{}", r.stderr);
    assert_truth(&env, &truth);
    let r = env.run(&["import", tree.path().to_str().unwrap()]);
    assert!(r.stderr.contains("all: 0 samples written"), "{}", r.stderr);
}

#[test]
fn a_google_health_root_with_per_family_folders_imports_like_the_flat_layout() {
    let dir = tempfile::tempdir().unwrap();
    let mut spec = Spec::small(20);
    spec.hr_every_s = 900;
    spec.root = "Takeout/Google Health";
    spec.per_family_dirs = true;
    let truth = takeout_gen::write_tree(dir.path(), &spec);
    assert!(
        dir.path()
            .join("Takeout/Google Health/Physical Activity_GoogleData")
            .read_dir()
            .unwrap()
            .any(|e| e.unwrap().path().is_dir()),
        "the generator wrote no per-family folder"
    );
    let env = IEnv::new(false);
    // Given at its product root, below any Takeout folder.
    let root = dir.path().join("Takeout/Google Health");
    let r = env.run(&["import", root.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.stderr); // the generated malformed rows
    assert_truth(&env, &truth);
}

#[test]
fn heart_rate_after_the_json_s_last_record_comes_from_its_csv_twin() {
    // A real export's classic heart-rate JSON ends the day before the export date; its CSV
    // twin (one file per UTC day) has that day.
    let (tree, truth) = generated(20, 900);
    let ged = tree.path().join("Takeout/Fitbit/Global Export Data");
    std::fs::remove_file(ged.join("heart_rate-2026-04-14.json")).unwrap();
    let env = IEnv::new(false);
    let r = env.run(&["import", tree.path().to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.stderr); // the generated malformed rows
    assert!(
        r.stderr
            .contains("then its CSV twin after the JSON's last record"),
        "{}",
        r.stderr
    );
    let want = &truth.series["fitbit_heart_rate_intraday"];
    let tz: Tz = "America/New_York".parse().unwrap();
    let last = midnight_ms(tz, d("2026-04-14"));
    assert!(
        want.keys().any(|t| *t >= last),
        "the truth has no export-day heart rate"
    );
    assert_truth(&env, &truth);
}

#[test]
fn a_part_imported_alone_then_all_parts_keep_one_encoding_per_family() {
    // The first zip part of a split export may hold only `Global Export Data`: calories come
    // from the JSON then, and must stay so when every part is imported.
    let (tree, _) = generated(20, 900);
    let first = copy_tree(tree.path());
    std::fs::remove_dir_all(
        first
            .path()
            .join("Takeout/Fitbit/Physical Activity_GoogleData"),
    )
    .unwrap();
    let env = IEnv::new(false);
    let r = env.run(&["import", first.path().to_str().unwrap()]);
    assert!(
        r.stderr.contains("calories: ") && r.stderr.contains("JSON"),
        "{}",
        r.stderr
    );
    env.vm.flush();
    let before = env.points("fitbit_calories_intraday", "")[""].len();
    assert!(before > 1000, "{before}");
    let r = env.run(&["import", tree.path().to_str().unwrap()]);
    assert!(
        r.stderr
            .contains("calories: an earlier import read the other encoding"),
        "{}",
        r.stderr
    );
    env.vm.flush();
    assert_no_duplicates(&env.export("fitbit_calories_intraday"));
    assert_no_duplicates(&env.export("fitbit_calories_total"));
    assert_eq!(env.points("fitbit_calories_intraday", "")[""].len(), before);
}
