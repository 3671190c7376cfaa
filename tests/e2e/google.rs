//! The Google Health API source end to end: the simulator of `support/google_sim.rs`, the real
//! binary, a real VictoriaMetrics. Expected values come from the simulator's truth accessors;
//! instants are computed here with chrono-tz, independently of syncbit.

use chrono::{DateTime, Duration, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;
use std::time::Instant;

use crate::harness::{GEnv, assert_no_duplicates, midnight_ms};
use crate::support::google_sim::{GoogleSim, GoogleSimConfig, Source};
use crate::support::vm::{Series, Vm};

const ALL_RESOURCES: &str = "steps,calories,distance,elevation,floors,heart_rate";

fn cfg(zone: &str) -> GoogleSimConfig {
    GoogleSimConfig {
        timezone: zone.into(),
        ..Default::default()
    }
}

fn yesterday(sim: &GoogleSim) -> NaiveDate {
    sim.today() - Duration::days(1)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// A daily sample: metric, one label (name, value) or none, value.
type Want = (&'static str, Option<(&'static str, String)>, f64);

/// What `sync` must write for day `d`, from the simulator's truth.
fn expected_daily(sim: &GoogleSim, d: NaiveDate) -> Vec<Want> {
    let mut out = Vec::new();
    let truth = |t: &str| sim.daily_truth(t, d).unwrap_or_default();
    let mut one = |m: &'static str, v: Option<f64>| {
        if let Some(v) = v.filter(|v| v.is_finite()) {
            out.push((m, None, v));
        }
    };
    one(
        "fitbit_steps_total",
        truth("steps").get("countSum").copied(),
    );
    one(
        "fitbit_distance_km",
        truth("distance").get("millimetersSum").map(|mm| mm / 1e6),
    );
    one(
        "fitbit_calories_total",
        truth("total-calories").get("kcalSum").copied(),
    );
    one(
        "fitbit_resting_heart_rate_bpm",
        truth("daily-resting-heart-rate")
            .get("beatsPerMinute")
            .copied(),
    );
    let spo2 = truth("daily-oxygen-saturation");
    one(
        "fitbit_spo2_avg_percent",
        spo2.get("averagePercentage").copied(),
    );
    one(
        "fitbit_spo2_min_percent",
        spo2.get("lowerBoundPercentage").copied(),
    );
    one(
        "fitbit_spo2_max_percent",
        spo2.get("upperBoundPercentage").copied(),
    );
    one(
        "fitbit_breathing_rate_bpm",
        truth("daily-respiratory-rate")
            .get("breathsPerMinute")
            .copied(),
    );
    one(
        "fitbit_hrv_rmssd_ms",
        truth("daily-heart-rate-variability")
            .get("averageHeartRateVariabilityMilliseconds")
            .copied(),
    );
    one(
        "fitbit_vo2_max",
        truth("daily-vo2-max").get("vo2Max").copied(),
    );
    let temp = truth("daily-sleep-temperature-derivations");
    one(
        "fitbit_temp_skin_relative_celsius",
        temp.get("nightlyTemperatureCelsius")
            .zip(temp.get("baselineTemperatureCelsius"))
            .map(|(n, b)| n - b),
    );
    let sessions = sim.sleep_sessions(d);
    if !sessions.is_empty() {
        one(
            "fitbit_sleep_minutes_total",
            Some(sessions.iter().map(|s| s.minutes_asleep as f64).sum()),
        );
    }
    let mut stages: BTreeMap<&str, f64> = BTreeMap::new();
    for s in sessions.iter().filter(|s| s.kind == "STAGES") {
        for (k, (m, _)) in &s.stage_summary {
            let stage = match *k {
                "DEEP" => "deep",
                "LIGHT" => "light",
                "REM" => "rem",
                "AWAKE" => "wake",
                _ => continue,
            };
            *stages.entry(stage).or_default() += *m as f64;
        }
    }
    for (stage, m) in stages {
        out.push((
            "fitbit_sleep_stage_minutes",
            Some(("stage", stage.into())),
            m,
        ));
    }
    for (k, v) in truth("activity-level") {
        let t = match k.as_str() {
            "SEDENTARY" => "sedentary",
            "LIGHTLY_ACTIVE" => "lightly_active",
            "MODERATELY_ACTIVE" => "fairly_active",
            "VERY_ACTIVE" => "very_active",
            other => panic!("activity level {other}"),
        };
        out.push(("fitbit_active_minutes", Some(("type", t.into())), v / 60.0));
    }
    for (k, v) in truth("time-in-heart-rate-zone") {
        out.push((
            "fitbit_heart_rate_zone_minutes",
            Some(("zone", k.to_lowercase())),
            v / 60.0,
        ));
    }
    for (k, v) in truth("calories-in-heart-rate-zone") {
        out.push((
            "fitbit_heart_rate_zone_calories",
            Some(("zone", k.to_lowercase())),
            v,
        ));
    }
    for (k, zone) in [
        ("sumInFatBurnHeartZone", "fat_burn"),
        ("sumInCardioHeartZone", "cardio"),
        ("sumInPeakHeartZone", "peak"),
    ] {
        if let Some(v) = truth("active-zone-minutes").get(k) {
            out.push((
                "fitbit_active_zone_minutes",
                Some(("zone", zone.into())),
                *v,
            ));
        }
    }
    out
}

/// Every data sample in the export except syncbit's own health metrics, by labels.
fn data(series: Vec<Series>) -> BTreeMap<BTreeMap<String, String>, Vec<(i64, f64)>> {
    series
        .into_iter()
        .filter(|s| !s.name().starts_with("syncbit_"))
        .map(|s| {
            let mut pts: Vec<(i64, f64)> = s.timestamps.iter().copied().zip(s.values).collect();
            pts.sort_by_key(|p| p.0);
            (s.labels, pts)
        })
        .collect()
}

fn check_daily(
    exported: &BTreeMap<BTreeMap<String, String>, Vec<(i64, f64)>>,
    sim: &GoogleSim,
    tz: Tz,
    d: NaiveDate,
) {
    let at = midnight_ms(tz, d);
    let want = expected_daily(sim, d);
    let families = [
        "fitbit_steps_total",
        "fitbit_calories_total",
        "fitbit_resting_heart_rate_bpm",
        "fitbit_active_zone_minutes",
        "fitbit_heart_rate_zone_minutes",
    ];
    for f in families {
        assert!(
            want.iter().any(|w| w.0 == f),
            "the simulator has no {f} on {d}"
        );
    }
    for (metric, label, value) in &want {
        let got: Vec<&(i64, f64)> = exported
            .iter()
            .filter(|(l, _)| {
                l["__name__"] == *metric && label.as_ref().is_none_or(|(k, v)| l.get(*k) == Some(v))
            })
            .flat_map(|(_, p)| p.iter().filter(|p| p.0 == at))
            .collect();
        assert_eq!(got.len(), 1, "{metric} {label:?} at {d} midnight: {got:?}");
        assert!(
            close(got[0].1, *value),
            "{metric} {label:?} {d}: {} vs {value}",
            got[0].1
        );
    }
    // Nothing else of that day: a missing value writes nothing, never a zero.
    let daily: usize = exported
        .iter()
        .filter(|(l, _)| {
            let n = &l["__name__"];
            !n.ends_with("_intraday") && !n.starts_with("fitbit_device_")
        })
        .map(|(_, p)| p.iter().filter(|p| p.0 == at).count())
        .sum();
    assert_eq!(daily, want.len(), "samples at {d} midnight");
}

#[test]
fn sync_writes_every_family_at_local_midnight_under_any_host_zone() {
    for zone in ["America/New_York", "Australia/Lord_Howe"] {
        let now = Utc::now();
        let sync = now.with_second(0).unwrap().with_nanosecond(0).unwrap() - Duration::minutes(2);
        let mut env = GEnv::new(
            GoogleSimConfig {
                last_sync: Some(sync),
                ..cfg(zone)
            },
            true,
        );
        env.set("TZ", "Asia/Kolkata");
        env.ok(&["sync"]);
        let d = yesterday(&env.sim);
        let a = data(env.export_all());
        check_daily(&a, &env.sim, env.tz(), d);
        for (l, p) in &a {
            assert_eq!(l["user"], "tester");
            assert!(!l.contains_key("device"), "{l:?}");
            assert!(p.iter().all(|p| p.0 <= sync.timestamp_millis()), "{l:?}");
        }
        let battery = &a
            .iter()
            .find(|(l, _)| l["__name__"] == "fitbit_device_battery_percent")
            .expect("battery")
            .1;
        assert_eq!(battery.as_slice(), &[(sync.timestamp_millis(), 80.0)]);

        // The same days from a host in another zone land identically.
        let vm = Vm::start(true);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("google_tokens.json"),
            env.sim.token_json(false),
        )
        .unwrap();
        let o = env
            .cmd(&["sync"])
            .env("DATA_DIR", dir.path())
            .env("VICTORIA_ENDPOINT", vm.url())
            .env("TZ", "America/Los_Angeles")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(
            data(vm.export_all()),
            a,
            "{zone}: exports differ between host zones"
        );
    }
}

/// `[start, end)` of local day `d`, computed here.
fn bounds(tz: Tz, d: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let s = DateTime::from_timestamp_millis(midnight_ms(tz, d)).unwrap();
    let e = DateTime::from_timestamp_millis(midnight_ms(tz, d + Duration::days(1))).unwrap();
    (s, e)
}

fn points(series: &[Series], from: i64, to: i64) -> Vec<(i64, f64)> {
    assert!(series.len() <= 1, "{series:?}");
    let mut p: Vec<(i64, f64)> = series
        .iter()
        .flat_map(|s| s.timestamps.iter().copied().zip(s.values.iter().copied()))
        .filter(|p| p.0 >= from && p.0 < to)
        .collect();
    p.sort_by_key(|p| p.0);
    p
}

fn same(got: &[(i64, f64)], want: &[(i64, f64)], what: &str) {
    assert_eq!(
        got.len(),
        want.len(),
        "{what}: {} points, want {}",
        got.len(),
        want.len()
    );
    for (g, w) in got.iter().zip(want) {
        assert!(g.0 == w.0 && close(g.1, w.1), "{what}: {g:?} vs {w:?}");
    }
}

#[test]
fn sync_intraday_writes_six_resources_at_their_instants_and_never_sums_two_sources() {
    let mut env = GEnv::new(cfg("America/New_York"), true);
    env.set("INTRADAY_RESOURCES", ALL_RESOURCES);
    env.set("INTRADAY_DETAIL_LEVEL", "1min");
    env.set("INTRADAY_HEART_RATE_DETAIL", "1min");
    env.ok(&["sync-intraday"]);
    let d = yesterday(&env.sim);
    let (s, e) = bounds(env.tz(), d);
    let (s_ms, e_ms) = (s.timestamp_millis(), e.timestamp_millis());
    for (metric, ty, key, scale) in [
        ("fitbit_steps_intraday", "steps", "countSum", 1.0),
        (
            "fitbit_distance_intraday",
            "distance",
            "millimetersSum",
            1e-6,
        ),
        ("fitbit_floors_intraday", "floors", "countSum", 1.0),
        (
            "fitbit_elevation_intraday",
            "altitude",
            "gainMillimetersSum",
            1e-3,
        ),
        ("fitbit_calories_intraday", "total-calories", "kcalSum", 1.0),
        (
            "fitbit_heart_rate_intraday",
            "heart-rate",
            "beatsPerMinuteAvg",
            1.0,
        ),
    ] {
        let want: Vec<(i64, f64)> = env
            .sim
            .rollup_truth(ty, s, e, 60)
            .into_iter()
            .map(|(t, v)| (t, v[key] * scale))
            .collect();
        assert!(
            !want.is_empty(),
            "{ty}: the simulator has {} minutes",
            want.len()
        );
        same(&points(&env.export(metric), s_ms, e_ms), &want, metric);
    }
    // Tracker and phone both counted steps in some minutes: each minute has the merged value.
    let tracker: BTreeMap<i64, f64> = env
        .sim
        .source_truth("steps", Source::Tracker, s, e)
        .into_iter()
        .collect();
    let phone: BTreeMap<i64, f64> = env
        .sim
        .source_truth("steps", Source::Phone, s, e)
        .into_iter()
        .collect();
    let both: Vec<i64> = tracker
        .keys()
        .filter(|t| phone.contains_key(t))
        .copied()
        .collect();
    assert!(!both.is_empty(), "no minute with two sources");
    let merged: BTreeMap<i64, f64> = env.sim.intraday_truth("steps", s, e).into_iter().collect();
    let written: BTreeMap<i64, f64> = points(&env.export("fitbit_steps_intraday"), s_ms, e_ms)
        .into_iter()
        .collect();
    for t in both {
        assert_eq!(written[&t], merged[&t]);
        assert_ne!(written[&t], tracker[&t] + phone[&t]);
    }
    let day_total: f64 = written.values().sum();
    let listed: f64 = tracker.values().chain(phone.values()).sum();
    assert!(
        day_total < listed,
        "{day_total} vs the sum of both lists {listed}"
    );
    // Today grows up to the tracker's last sync, never past it.
    let today = points(&env.export("fitbit_steps_intraday"), e_ms, i64::MAX);
    assert!(!today.is_empty());
    assert!(
        today
            .iter()
            .all(|p| p.0 + 60_000 <= crate::harness::now_ms())
    );
    assert_no_duplicates(&env.export_all());
}

#[test]
fn raw_heart_rate_keeps_every_instant_across_short_pages_and_an_empty_first_page() {
    let mut env = GEnv::new(cfg("America/New_York"), true);
    env.set("INTRADAY_RESOURCES", "heart_rate");
    env.set("INTRADAY_HEART_RATE_DETAIL", "1sec");
    env.only_activity_and_heart();
    env.ok(&["backfill", "--intraday", "--days", "1"]);
    let d = yesterday(&env.sim);
    let (s, e) = bounds(env.tz(), d);
    let want = env.sim.raw_heart_rate(s, e);
    let got = points(
        &env.export("fitbit_heart_rate_intraday"),
        s.timestamp_millis(),
        e.timestamp_millis(),
    );
    same(&got, &want, "1sec heart rate");
    let pages: Vec<_> = env
        .sim
        .data_requests()
        .into_iter()
        .filter(|r| r.path_and_query.contains("/heart-rate/dataPoints?"))
        .collect();
    assert!(pages.len() >= 4, "{} pages", pages.len());
    assert!(
        pages
            .iter()
            .all(|p| p.path_and_query.contains("pageSize=10000"))
    );
    assert!(!pages[0].path_and_query.contains("pageToken"));
    assert!(
        pages[1..]
            .iter()
            .all(|p| p.path_and_query.contains("pageToken"))
    );
    // Pages hold at most 5000 samples, and the first page of a past range is empty.
    assert!(want.len() > 10_000, "{}", want.len());
    assert!(
        pages.len() > want.len().div_ceil(5_000),
        "{} pages",
        pages.len()
    );
}

#[test]
fn dst_days_in_new_york_keep_instants_unique_sums_whole_and_daily_values_at_midnight() {
    let mut env = GEnv::new(cfg("America/New_York"), false);
    env.set("INTRADAY_RESOURCES", "steps,heart_rate");
    env.set("INTRADAY_DETAIL_LEVEL", "1min");
    env.set("INTRADAY_HEART_RATE_DETAIL", "1min");
    env.only_activity_and_heart();
    let tz = env.tz();
    for (day, hours) in [("2026-03-08", 23), ("2026-11-01", 25)] {
        let d = NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
        let (s, e) = bounds(tz, d);
        assert_eq!((e - s).num_hours(), hours);
        env.ok(&["backfill", "--intraday", "--from", day, "--to", day]);
        let steps = points(
            &env.export("fitbit_steps_intraday"),
            s.timestamp_millis(),
            e.timestamp_millis(),
        );
        let sum: f64 = steps.iter().map(|p| p.1).sum();
        let daily = env.sim.daily_truth("steps", d).unwrap()["countSum"];
        assert_eq!(sum, daily, "{day}: intraday steps sum to the day's total");
        let hr = points(
            &env.export("fitbit_heart_rate_intraday"),
            s.timestamp_millis(),
            e.timestamp_millis(),
        );
        let want: Vec<(i64, f64)> = env
            .sim
            .rollup_truth("heart-rate", s, e, 60)
            .into_iter()
            .map(|(t, v)| (t, v["beatsPerMinuteAvg"]))
            .collect();
        assert!(want.len() > 600, "{day}: {} minutes", want.len());
        same(&hr, &want, day);
        let total = &env.export("fitbit_steps_total");
        assert_eq!(
            points(total, s.timestamp_millis(), e.timestamp_millis()),
            vec![(midnight_ms(tz, d), daily)]
        );
    }
    assert_no_duplicates(&env.export_all());
}

#[test]
fn reruns_into_a_victoria_without_dedup_leave_one_sample_per_instant() {
    let mut env = GEnv::new(cfg("Australia/Lord_Howe"), false);
    env.set("INTRADAY_RESOURCES", ALL_RESOURCES);
    env.set("INTRADAY_DETAIL_LEVEL", "1min");
    env.set("INTRADAY_HEART_RATE_DETAIL", "1sec");
    for _ in 0..2 {
        env.ok(&["sync"]);
        env.ok(&["sync-intraday"]);
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
    let all = env.export_all();
    assert!(all.iter().any(|s| s.name() == "fitbit_heart_rate_intraday"));
    assert_no_duplicates(&all);
}

/// The data requests answered 429, and the first data request after each.
fn after_429s(sim: &GoogleSim) -> Vec<(Instant, Option<Instant>)> {
    let reqs = sim.data_requests();
    reqs.iter()
        .enumerate()
        .filter(|(_, r)| r.status == 429)
        .map(|(i, r)| (r.at, reqs.get(i + 1).map(|n| n.at)))
        .collect()
}

#[test]
fn a_small_quota_is_waited_out_a_second_or_more_after_each_429_and_the_backfill_completes() {
    let mut env = GEnv::new(
        GoogleSimConfig {
            quota_per_window: 20,
            window_secs: 30,
            ..cfg("America/New_York")
        },
        true,
    );
    env.only_activity_and_heart();
    let t = Instant::now();
    let r = env.ok(&["backfill", "--days", "120"]);
    let hits = after_429s(&env.sim);
    eprintln!(
        "20 per 30 s: {} requests, {} answered 429, {:?}",
        env.sim.data_calls(),
        hits.len(),
        t.elapsed()
    );
    assert!(
        !hits.is_empty(),
        "no 429 at 20 requests per 30 s: {}",
        r.stderr
    );
    for (at, next) in &hits {
        let next = next.expect("a request after the 429");
        assert!(next.duration_since(*at) >= std::time::Duration::from_secs(1));
    }
    assert!(r.stderr.contains("RESOURCE_EXHAUSTED"), "{}", r.stderr);
    let steps = &env.export("fitbit_steps_total");
    assert_eq!(steps[0].timestamps.len(), 120);
    let zones = env.export("fitbit_heart_rate_zone_calories");
    assert!(zones.iter().all(|s| s.timestamps.len() >= 110), "{zones:?}");
}

#[test]
fn a_quota_that_stays_spent_exits_75_after_the_wait_budget_and_the_next_run_completes() {
    let env = GEnv::new(cfg("America/New_York"), true);
    env.sim.set_quota(0);
    let t = Instant::now();
    let r = env.run(&["sync"]);
    assert_eq!(r.code, 75, "{}", r.stderr);
    assert!(
        t.elapsed() >= std::time::Duration::from_secs(50),
        "{:?}",
        t.elapsed()
    );
    assert!(r.stderr.contains("429"), "{}", r.stderr);
    assert!(after_429s(&env.sim).len() >= 6);
    for (at, next) in after_429s(&env.sim) {
        if let Some(next) = next {
            assert!(next.duration_since(at) >= std::time::Duration::from_secs(1));
        }
    }
    env.sim.set_quota(300);
    env.ok(&["sync"]);
    assert_eq!(env.export("fitbit_steps_total").len(), 1);
}

fn mode(env: &GEnv) -> u32 {
    std::fs::metadata(env.token_path())
        .unwrap()
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn a_refresh_keeps_the_refresh_token_unless_google_sends_a_new_one() {
    let env = GEnv::new(cfg("America/New_York"), true);
    let (_, old_rt) = env.sim.tokens();
    env.expire_tokens();
    env.ok(&["sync"]);
    let t = env.tokens();
    assert_eq!(t["refresh_token"], old_rt.as_str());
    assert_eq!(t["access_token"], env.sim.tokens().0.as_str());
    let exp = DateTime::parse_from_rfc3339(t["expires_at"].as_str().unwrap()).unwrap();
    assert!(exp > Utc::now());
    assert!(
        t["scope"]
            .as_str()
            .unwrap()
            .contains("googlehealth.sleep.readonly")
    );
    assert_eq!(mode(&env), 0o600);

    // A 401 with a token the file thinks is valid: one refresh, then on.
    let calls = env.sim.token_calls();
    env.sim.expire_access_token();
    env.ok(&["sync"]);
    assert_eq!(env.sim.token_calls(), calls + 1);

    env.sim.set_rotate_refresh_tokens(true);
    env.expire_tokens();
    env.ok(&["sync"]);
    let (_, new_rt) = env.sim.tokens();
    assert_ne!(new_rt, old_rt);
    assert_eq!(env.tokens()["refresh_token"], new_rt.as_str());
    assert_eq!(mode(&env), 0o600);
}

#[test]
fn refused_authorizations_exit_77_with_what_to_do() {
    let env = GEnv::new(cfg("America/New_York"), true);
    env.expire_tokens();
    env.sim.revoke_refresh_token();
    let r = env.run(&["sync"]);
    assert_eq!(r.code, 77, "{}", r.stderr);
    for s in ["invalid_grant", "syncbit auth login", "Testing", "7 days"] {
        assert!(r.stderr.contains(s), "{s}: {}", r.stderr);
    }

    let env = GEnv::new(cfg("America/New_York"), true);
    env.sim.set_account_not_linked(true);
    let r = env.run(&["sync"]);
    assert_eq!(r.code, 77, "{}", r.stderr);
    assert!(r.stderr.contains("ACCOUNT_NOT_LINKED"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("Link your Fitbit account to this Google account"),
        "{}",
        r.stderr
    );

    let env = GEnv::new(cfg("America/New_York"), true);
    env.sim.set_resource_permission_denied(true);
    let r = env.run(&["sync"]);
    assert_eq!(r.code, 77, "{}", r.stderr);
    assert!(
        r.stderr.contains("RESOURCE_PERMISSION_DENIED"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("https://myaccount.google.com/connections"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_denied_sleep_scope_skips_sleep_naming_the_scope_and_the_rest_lands() {
    let env = GEnv::new(cfg("America/New_York"), true);
    env.sim.deny_scope("sleep.readonly");
    let r = env.ok(&["sync"]);
    let warning: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.contains("https://www.googleapis.com/auth/googlehealth.sleep.readonly"))
        .collect();
    assert_eq!(warning.len(), 1, "{}", r.stderr);
    assert!(warning[0].contains("skipping sleep"), "{}", warning[0]);
    assert!(env.export("fitbit_sleep_minutes_total").is_empty());
    assert_eq!(env.export("fitbit_steps_total").len(), 1);
    assert_eq!(env.export("fitbit_hrv_rmssd_ms").len(), 1);
    let skipped = env.export("syncbit_run_skipped");
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped[0].labels["family"], "sleep");
    assert_eq!(skipped[0].values, vec![1.0]);
}

/// The days a rollup request's body covers, and whether it is the daily kind.
fn rollup_span(path: &str, body: &str) -> (String, f64, bool) {
    let ty = path
        .split("/dataTypes/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let b: serde_json::Value = serde_json::from_str(body).unwrap();
    let daily = path.split('?').next().unwrap().ends_with(":dailyRollUp");
    let days = if daily {
        let d = |k: &str| {
            let x = &b["range"][k]["date"];
            NaiveDate::from_ymd_opt(
                x["year"].as_i64().unwrap() as i32,
                x["month"].as_u64().unwrap() as u32,
                x["day"].as_u64().unwrap() as u32,
            )
            .unwrap()
        };
        (d("end") - d("start")).num_days() as f64
    } else {
        let t = |k: &str| DateTime::parse_from_rfc3339(b["range"][k].as_str().unwrap()).unwrap();
        (t("endTime") - t("startTime")).num_seconds() as f64 / 86_400.0
    };
    (ty, days, daily)
}

fn cap(ty: &str) -> f64 {
    match ty {
        "heart-rate" | "total-calories" | "active-minutes" | "calories-in-heart-rate-zone" => 14.0,
        _ => 90.0,
    }
}

fn check_caps(sim: &GoogleSim) {
    for r in sim.data_requests() {
        assert!(
            r.status < 400,
            "{} {} answered {}",
            r.method,
            r.path_and_query,
            r.status
        );
        if r.path_and_query.contains(":rollUp") || r.path_and_query.contains(":dailyRollUp") {
            let (ty, days, _) = rollup_span(&r.path_and_query, &r.body);
            assert!(days <= cap(&ty), "{ty}: {days} days in {}", r.body);
        }
    }
}

#[test]
fn a_year_of_daily_data_stays_within_the_counts_and_the_range_caps() {
    let tz: Tz = "America/New_York".parse().unwrap();
    let first_day = Utc::now().with_timezone(&tz).date_naive() - Duration::days(400);
    let year = || GoogleSimConfig {
        first_day,
        ..cfg("America/New_York")
    };

    let mut env = GEnv::new(year(), true);
    env.only_activity_and_heart();
    env.ok(&["backfill", "--days", "365"]);
    let calls = env.sim.data_calls();
    assert!(calls <= 85, "activity and heart: {calls} requests");
    eprintln!("a year of activity and heart: {calls} requests");
    check_caps(&env.sim);
    assert_eq!(env.export("fitbit_steps_total")[0].timestamps.len(), 365);
    assert_eq!(
        env.export("fitbit_resting_heart_rate_bpm")[0]
            .timestamps
            .len(),
        365
    );

    let env = GEnv::new(year(), true);
    let t = Instant::now();
    env.ok(&["backfill", "--days", "365"]);
    let calls = env.sim.data_calls();
    assert!(calls <= 110, "every family: {calls} requests");
    check_caps(&env.sim);
    assert!(env.sim.data_requests().iter().all(|r| r.status != 429));
    let days: Vec<NaiveDate> = (1..=365)
        .map(|n| env.sim.today() - Duration::days(n))
        .collect();
    let count = |m: &str| env.export(m)[0].timestamps.len();
    assert_eq!(count("fitbit_calories_total"), 365);
    let with = |t: &str| {
        days.iter()
            .filter(|d| env.sim.daily_point(t, **d).is_some())
            .count()
    };
    assert_eq!(count("fitbit_vo2_max"), with("daily-vo2-max"));
    assert_eq!(
        count("fitbit_spo2_avg_percent"),
        with("daily-oxygen-saturation")
    );
    assert_eq!(
        count("fitbit_hrv_rmssd_ms"),
        with("daily-heart-rate-variability")
    );
    let slept = days
        .iter()
        .filter(|d| !env.sim.sleep_sessions(**d).is_empty())
        .count();
    assert_eq!(count("fitbit_sleep_minutes_total"), slept);
    eprintln!(
        "a year of every family: {calls} requests in {:?}",
        t.elapsed()
    );
}

#[test]
fn thirty_days_of_six_intraday_resources_at_1min_take_at_most_60_requests() {
    let mut env = GEnv::new(cfg("America/New_York"), true);
    env.set("INTRADAY_RESOURCES", ALL_RESOURCES);
    env.set("INTRADAY_DETAIL_LEVEL", "1min");
    env.set("INTRADAY_HEART_RATE_DETAIL", "1min");
    env.only_activity_and_heart();
    env.ok(&["backfill", "--intraday", "--days", "30"]);
    let rollups = env
        .sim
        .data_requests()
        .into_iter()
        .filter(|r| r.path_and_query.contains(":rollUp"))
        .count();
    assert!(rollups <= 60, "{rollups} intraday requests");
    check_caps(&env.sim);
    let d = env.sim.today() - Duration::days(30);
    let (s, e) = bounds(env.tz(), d);
    let want: Vec<(i64, f64)> = env
        .sim
        .rollup_truth("total-calories", s, e, 60)
        .into_iter()
        .map(|(t, v)| (t, v["kcalSum"]))
        .collect();
    same(
        &points(
            &env.export("fitbit_calories_intraday"),
            s.timestamp_millis(),
            e.timestamp_millis(),
        ),
        &want,
        "calories of the oldest day",
    );
    let mut by_type: BTreeMap<String, usize> = BTreeMap::new();
    for r in env.sim.data_requests() {
        if r.path_and_query.contains(":rollUp") {
            *by_type
                .entry(rollup_span(&r.path_and_query, &r.body).0)
                .or_default() += 1;
        }
    }
    eprintln!("30 days x 6 resources at 1min: {rollups} requests {by_type:?}");
}

/// Starts `auth login --no-browser`; returns the child and the authorization URL it printed.
fn start_login(env: &GEnv) -> (std::process::Child, String) {
    let mut child = env
        .cmd(&["auth", "login", "--no-browser"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut url = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut url)
        .unwrap();
    (child, url.trim().to_string())
}

fn login(env: &GEnv, tamper: impl Fn(String) -> String) -> (i32, String) {
    let (mut child, url) = start_login(env);
    for p in [
        "code_challenge_method=S256",
        "access_type=offline",
        "prompt=consent",
        "redirect_uri=http%3A%2F%2F127.0.0.1%3A",
    ] {
        assert!(url.contains(p), "{p}: {url}");
    }
    for s in crate::support::google_sim::SCOPES {
        let enc: String = s.replace(':', "%3A").replace('/', "%2F");
        assert!(url.contains(&enc), "{s}: {url}");
    }
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let resp = agent.get(&url).call().unwrap();
    assert_eq!(resp.status(), 302);
    let location = resp.header("Location").unwrap().to_string();
    assert!(location.starts_with("http://127.0.0.1:"), "{location}");
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{}", tamper(location)).unwrap();
    drop(stdin);
    let o = child.wait_with_output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn auth_login_no_browser_writes_google_tokens_and_refuses_a_foreign_state() {
    let env = GEnv::new(cfg("America/New_York"), true);
    std::fs::remove_file(env.token_path()).unwrap();
    let (code, err) = login(&env, |l| l.replace("state=", "state=forged"));
    assert_eq!(code, 77, "{err}");
    assert!(err.contains("state"), "{err}");
    assert!(!env.token_path().exists());

    env.sim.deny_scope("profile.readonly");
    let (code, err) = login(&env, |l| l);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("googlehealth.profile.readonly was not granted"),
        "{err}"
    );
    let t = env.tokens();
    assert_eq!(t["refresh_token"], env.sim.tokens().1.as_str());
    assert_eq!(mode(&env), 0o600);
    let keys: Vec<&String> = t.as_object().unwrap().keys().collect();
    // The account of the tokens too, so that runs check the directory's binding without a
    // request.
    assert_eq!(
        keys,
        [
            "access_token",
            "expires_at",
            "health_user_id",
            "legacy_user_id",
            "refresh_token",
            "scope"
        ]
    );
    assert_eq!(
        t["health_user_id"],
        crate::support::google_sim::HEALTH_USER_ID
    );

    let r = env.ok(&["auth", "status"]);
    assert!(
        r.stdout.contains("googlehealth.sleep.readonly"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("missing:    https://www.googleapis.com/auth/googlehealth.profile.readonly"),
        "{}",
        r.stdout
    );
    env.ok(&["sync"]);
    assert_eq!(env.export("fitbit_steps_total").len(), 1);

    env.ok(&["auth", "logout"]);
    assert_eq!(env.sim.revocations(), 1);
    assert!(!env.token_path().exists());
    let r = env.run(&["sync"]);
    assert_eq!(r.code, 77, "{}", r.stderr);
}

#[test]
fn auth_login_listens_on_a_free_loopback_port_and_ignores_foreign_redirects() {
    let env = GEnv::new(cfg("America/New_York"), true);
    std::fs::remove_file(env.token_path()).unwrap();
    let mut child = env
        .cmd(&["auth", "login", "--timeout", "20"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut url = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut url)
        .unwrap();
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let location = agent
        .get(url.trim())
        .call()
        .unwrap()
        .header("Location")
        .unwrap()
        .to_string();
    let origin: String = location.split('?').next().unwrap().to_string();
    assert!(origin.starts_with("http://127.0.0.1:"), "{location}");
    match agent
        .get(&format!("{origin}?code=x&state=not-this-login"))
        .call()
    {
        Err(ureq::Error::Status(400, _)) => {}
        other => panic!("forged redirect answered {other:?}"),
    }
    assert_eq!(agent.get(&location).call().unwrap().status(), 200);
    let o = child.wait_with_output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(env.tokens()["refresh_token"], env.sim.tokens().1.as_str());
}

#[test]
fn without_syncbit_source_a_google_client_chooses_google() {
    let env = GEnv::new(cfg("America/New_York"), true);
    let o = env
        .cmd(&["sync"])
        .env_remove("SYNCBIT_SOURCE")
        .env("FITBIT_CLIENT_ID", "23ABCD")
        .env("FITBIT_CLIENT_SECRET", "x")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(env.export("fitbit_steps_total").len(), 1);
    let o = env
        .cmd(&["sync"])
        .env("SYNCBIT_SOURCE", "google")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("SYNCBIT_SOURCE") && err.contains("google-health or fitbit-web-api"),
        "{err}"
    );
}
