//! `syncbit sync-intraday` and intraday backfill: exact instants in the profile zone, DST days,
//! independence from the host's TZ.

use chrono::{Duration, NaiveDate};
use std::collections::BTreeMap;

use crate::harness::{Env, assert_no_duplicates, local_ms};
use crate::support::sim::SimConfig;

const ALL: &str = "steps,calories,distance,elevation,floors,heart_rate";

fn metric(resource: &str) -> String {
    format!("fitbit_{resource}_intraday")
}

fn sim_key(resource: &str) -> &str {
    if resource == "heart_rate" {
        "heart"
    } else {
        resource
    }
}

/// The simulator's points of `day`, as (ms, value), converted by the test's own rules.
fn expected(env: &Env, resource: &str, day: NaiveDate, detail: &str) -> Vec<(i64, f64)> {
    let mut v: Vec<(i64, f64)> = env
        .sim
        .intraday(sim_key(resource), day, detail)
        .into_iter()
        .filter_map(|(t, x)| local_ms(env.tz(), day, &t).map(|ms| (ms, x)))
        .collect();
    v.sort_by_key(|p| p.0);
    v
}

fn points(env: &Env, resource: &str, user: &str) -> Vec<(i64, f64)> {
    let s: Vec<_> = env
        .export(&metric(resource))
        .into_iter()
        .filter(|s| s.labels["user"] == user)
        .collect();
    assert_eq!(s.len(), 1, "{resource} for {user}: {s:?}");
    s[0].timestamps
        .iter()
        .copied()
        .zip(s[0].values.iter().copied())
        .collect()
}

#[test]
fn one_minute_day_for_all_six_resources_independent_of_host_tz() {
    let mut env = Env::new(SimConfig::default(), false);
    env.set("INTRADAY_RESOURCES", ALL);
    env.set("INTRADAY_DETAIL_LEVEL", "1min");
    env.set("INTRADAY_HEART_RATE_DETAIL", "1min");
    env.set("INCLUDE_TODAY_DATA", "false");
    let y = env.sim.today() - Duration::days(1);
    let mut exports: BTreeMap<&str, Vec<Vec<(i64, f64)>>> = BTreeMap::new();
    for (i, tz) in ["UTC", "Asia/Kolkata", "America/Los_Angeles"]
        .iter()
        .enumerate()
    {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("fitbit_tokens.json"),
            env.sim.token_json(false),
        )
        .unwrap();
        let user = format!("host{i}");
        let r = env
            .cmd(&["sync-intraday"])
            .env("TZ", tz)
            .env("DATA_DIR", dir.path())
            .env("FITBIT_USER_ID", &user)
            .output()
            .unwrap();
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        for res in ALL.split(',') {
            exports
                .entry(tz)
                .or_default()
                .push(points(&env, res, &user));
        }
    }
    let first = &exports["UTC"];
    for (tz, e) in &exports {
        assert_eq!(e, first, "export under TZ={tz} differs from TZ=UTC");
    }
    for (i, res) in ALL.split(',').enumerate() {
        let want = expected(&env, res, y, "1min");
        assert_eq!(
            first[i], want,
            "{res}: every point of yesterday at its instant"
        );
        if res != "heart_rate" {
            assert_eq!(want.len(), 1440, "{res}");
        }
    }
    assert_no_duplicates(&env.export_all());
}

#[test]
fn new_york_dst_days_and_berlin_morning() {
    let mut env = Env::new(
        SimConfig {
            timezone: "America/New_York".into(),
            ..Default::default()
        },
        false,
    );
    env.set("INTRADAY_RESOURCES", "steps");
    env.set("INTRADAY_DETAIL_LEVEL", "1min");
    env.ok(&[
        "backfill",
        "--intraday",
        "--from",
        "2024-03-10",
        "--to",
        "2024-03-10",
    ]);
    let spring = points(&env, "steps", "tester");
    assert_eq!(spring.len(), 1380);
    assert_eq!(spring[0].0, 1710046800000);
    assert_eq!(spring.last().unwrap().0, 1710129540000);

    env.ok(&[
        "backfill",
        "--intraday",
        "--from",
        "2024-11-03",
        "--to",
        "2024-11-03",
    ]);
    let nov = NaiveDate::from_ymd_opt(2024, 11, 3).unwrap();
    let all = env.export("fitbit_steps_intraday");
    assert_no_duplicates(&all);
    let (start, end) = (1730606400000_i64, 1730696400000_i64); // the day in New York
    let day: Vec<_> = points(&env, "steps", "tester")
        .into_iter()
        .filter(|p| (start..end).contains(&p.0))
        .collect();
    let sum: f64 = day.iter().map(|p| p.1).sum();
    let want: f64 = env
        .sim
        .intraday("steps", nov, "1min")
        .iter()
        .map(|p| p.1)
        .sum();
    assert_eq!(sum, want, "the day's step sum is unchanged");
    let daily = env.export("fitbit_steps_total");
    assert!(daily[0].timestamps.contains(&start));

    let mut berlin = Env::new(SimConfig::default(), true);
    berlin.set("INTRADAY_RESOURCES", "heart_rate,steps");
    berlin.set("INTRADAY_DETAIL_LEVEL", "1min");
    berlin.ok(&[
        "backfill",
        "--intraday",
        "--from",
        "2024-01-15",
        "--to",
        "2024-01-15",
    ]);
    let d = NaiveDate::from_ymd_opt(2024, 1, 15).unwrap();
    let at_eight = berlin
        .sim
        .intraday("steps", d, "1min")
        .into_iter()
        .find(|p| p.0 == "08:00:00")
        .unwrap()
        .1;
    let pts = points(&berlin, "steps", "tester");
    assert!(pts.contains(&(1705302000000, at_eight)), "08:00 Berlin");
}

#[test]
fn one_second_heart_rate_keeps_irregular_instants() {
    let mut env = Env::new(SimConfig::default(), true);
    env.set("INTRADAY_RESOURCES", "heart_rate");
    env.set("INTRADAY_HEART_RATE_DETAIL", "1sec");
    env.set("INCLUDE_TODAY_DATA", "false");
    env.ok(&["sync-intraday"]);
    let y = env.sim.today() - Duration::days(1);
    let want = expected(&env, "heart_rate", y, "1sec");
    assert!(want.len() > 10_000);
    assert_eq!(points(&env, "heart_rate", "tester"), want);
}

#[test]
fn today_stops_at_the_device_last_sync_and_resumes_after_it() {
    let mut env = Env::new(SimConfig::default(), false);
    env.set("INTRADAY_RESOURCES", "steps");
    env.set("INTRADAY_DETAIL_LEVEL", "1min");
    // Yesterday, so that the instants are in the past whatever the time of day.
    let today = env.sim.today() - Duration::days(1);
    let noon = today.and_hms_opt(12, 0, 0).unwrap();
    env.sim.set_last_sync(Some(noon));
    env.ok(&["sync-intraday"]);
    let noon_ms = local_ms(env.tz(), today, "12:00:00").unwrap();
    let pts = points(&env, "steps", "tester");
    let today_pts: Vec<_> = pts
        .iter()
        .filter(|p| p.0 >= local_ms(env.tz(), today, "00:00:00").unwrap())
        .collect();
    assert_eq!(
        today_pts.len(),
        720,
        "00:00..11:59, nothing after the last sync"
    );
    let state = std::fs::read_to_string(env.data_dir().join("sync_state.json")).unwrap();
    assert!(state.contains("partial"), "{state}");
    assert!(today_pts.iter().all(|p| p.0 < noon_ms));

    env.sim
        .set_last_sync(Some(today.and_hms_opt(18, 0, 0).unwrap()));
    env.ok(&["sync-intraday"]);
    env.ok(&["sync-intraday"]);
    let all = env.export("fitbit_steps_intraday");
    assert_no_duplicates(&all);
    let start = local_ms(env.tz(), today, "00:00:00").unwrap();
    let n = all[0].timestamps.iter().filter(|t| **t >= start).count();
    assert_eq!(n, 1080);
    // The device syncs past the end of the day: the day is completed and never fetched again.
    env.sim.set_last_sync(None);
    env.ok(&["sync-intraday"]);
    let calls = env.sim.data_calls();
    env.ok(&["sync-intraday", "--include-today", "false"]);
    assert_eq!(env.sim.data_calls() - calls, 1, "only devices.json");
    let all = env.export("fitbit_steps_intraday");
    assert_no_duplicates(&all);
    let end = start + 86_400_000;
    let n = all[0]
        .timestamps
        .iter()
        .filter(|t| (start..end).contains(*t))
        .count();
    assert_eq!(n, 1440);
}
