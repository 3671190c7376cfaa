//! Backfill at the API's floor: ranged daily requests, exact resume, the quota reserve, the
//! plan.

use chrono::{Duration, NaiveDate};
use serde_json::Value;
use std::process::Stdio;

use crate::harness::{Env, assert_no_duplicates, by_label, f, local_ms, midnight_ms};
use crate::support::sim::SimConfig;

fn intraday_calls(env: &Env) -> usize {
    env.sim
        .requests()
        .iter()
        .filter(|r| r.path.contains("/1d/") && r.status == 200)
        .count()
}

#[test]
fn a_year_of_daily_data_in_a_dozen_requests_equal_to_the_per_day_values() {
    let mut env = Env::new(SimConfig::default(), true);
    env.only_activity_and_heart();
    env.ok(&["backfill", "--days", "365"]);
    assert!(env.sim.data_calls() <= 12, "{}", env.sim.data_calls());

    let today = env.sim.today();
    let steps = &env.export("fitbit_steps_total")[0];
    assert_eq!(steps.timestamps.len(), 365);
    let dist = &env.export("fitbit_distance_km")[0];
    let resting = &env.export("fitbit_resting_heart_rate_bpm")[0];
    let active = by_label(&env.export("fitbit_active_minutes"), "type");
    let zones = by_label(&env.export("fitbit_heart_rate_zone_minutes"), "zone");
    for n in 1..=365 {
        let d = today - Duration::days(n);
        let at = midnight_ms(env.tz(), d);
        let i = steps.timestamps.iter().position(|t| *t == at).unwrap();
        let s = env.sim.daily_summary(d)["summary"].clone();
        assert_eq!(steps.values[i], f(&s["steps"]), "steps {d}");
        let total = s["distances"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["activity"] == "total")
            .unwrap()["distance"]
            .clone();
        assert_eq!(dist.values[i], f(&total), "distance {d}");
        assert!(active["very_active"].contains(&(at, f(&s["veryActiveMinutes"]))));
        let h = env.sim.heart_day(d)["value"].clone();
        if let Some(r) = h.get("restingHeartRate") {
            assert!(resting.timestamps.contains(&at));
            assert!(resting.values.contains(&f(r)));
        }
        let fat = h["heartRateZones"]
            .as_array()
            .unwrap()
            .iter()
            .find(|z| z["name"] == "Fat Burn")
            .unwrap()["minutes"]
            .clone();
        assert!(zones["fat_burn"].contains(&(at, f(&fat))), "zones {d}");
    }
}

#[test]
fn every_family_for_a_year_in_at_most_90_requests() {
    let env = Env::new(SimConfig::default(), true);
    let plan = env.ok(&["backfill", "--days", "365", "--plan"]).stdout;
    env.ok(&["backfill", "--days", "365"]);
    assert!(env.sim.data_calls() <= 90, "{}", env.sim.data_calls());
    let total = plan
        .lines()
        .find(|l| l.trim_start().starts_with("total"))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap()
        .replace(',', "");
    assert_eq!(
        total,
        env.sim.data_calls().to_string(),
        "the plan was exact:\n{plan}"
    );
    let today = env.sim.today();
    let sleep = &env.export("fitbit_sleep_minutes_total")[0];
    let stages = by_label(&env.export("fitbit_sleep_stage_minutes"), "stage");
    for n in [1, 50, 100, 101, 364] {
        let d = today - Duration::days(n);
        let at = midnight_ms(env.tz(), d);
        let s = env.sim.sleep_day(d)["summary"].clone();
        let i = sleep.timestamps.iter().position(|t| *t == at).unwrap();
        assert_eq!(sleep.values[i], f(&s["totalMinutesAsleep"]), "sleep {d}");
        assert!(
            stages["deep"].contains(&(at, f(&s["stages"]["deep"]))),
            "deep {d}"
        );
    }
    for m in [
        "fitbit_spo2_avg_percent",
        "fitbit_hrv_rmssd_ms",
        "fitbit_vo2_max",
    ] {
        assert_eq!(env.export(m)[0].timestamps.len(), 365, "{m}");
    }
}

#[test]
fn too_many_data_points_halves_the_range_once() {
    let mut env = Env::new(SimConfig::default(), true);
    env.only_activity_and_heart();
    env.set("COLLECT_SLEEP", "true");
    env.sim.limit_ranges_to(Some(60));
    env.ok(&["backfill", "--days", "100"]);
    assert_eq!(
        env.export("fitbit_sleep_minutes_total")[0].timestamps.len(),
        100
    );
    env.sim.limit_ranges_to(Some(10));
    let r = env.run(&["backfill", "--days", "200"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("422"), "{}", r.stderr);
}

#[test]
fn thirty_days_of_intraday_cost_exactly_180_requests_even_when_interrupted() {
    let all = "steps,calories,distance,elevation,floors,heart_rate";
    let mut straight = Env::new(
        SimConfig {
            budget: 1000,
            ..Default::default()
        },
        true,
    );
    straight.set("INTRADAY_RESOURCES", all);
    straight.only_activity_and_heart();
    straight.ok(&["backfill", "--intraday", "--days", "30"]);
    assert_eq!(intraday_calls(&straight), 180);

    let mut env = Env::new(
        SimConfig {
            budget: 60,
            window_secs: Some(3600),
            ..Default::default()
        },
        true,
    );
    env.set("INTRADAY_RESOURCES", all);
    env.only_activity_and_heart();
    let args = ["backfill", "--intraday", "--days", "30", "--reserve", "0"];
    // 1: the budget runs out.
    assert_eq!(env.run(&args).code, 75);
    // The hour passes: forget the saved pause, give the simulator a new budget.
    let path = env.data_dir().join("sync_state.json");
    let mut state: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    state.as_object_mut().unwrap().remove("quota");
    std::fs::write(&path, state.to_string()).unwrap();
    env.sim.set_budget(1000);
    // 2: VictoriaMetrics goes away.
    env.vm.stop();
    assert_eq!(env.run(&args).code, 1);
    env.vm.restart();
    let before_kill = intraday_calls(&env);
    assert!(before_kill > 60 && before_kill < 180, "{before_kill}");
    // 3: killed mid-run. What was fetched is in the spool; only a request in flight at the
    // moment of the kill (its answer never arrived) can be asked again.
    let mut child = env.cmd(&args).stderr(Stdio::null()).spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    child.kill().unwrap();
    child.wait().unwrap();
    let killed_at = intraday_calls(&env);
    env.ok(&args);
    let total = intraday_calls(&env);
    assert!(
        (180..=181).contains(&total),
        "{total} intraday requests (killed after {killed_at})"
    );

    // The data equals the simulator's, without duplicates.
    assert_no_duplicates(&env.export_all());
    let today = env.sim.today();
    for (res, key, metric) in [
        ("steps", "steps", "fitbit_steps_intraday"),
        ("heart", "heart_rate", "fitbit_heart_rate_intraday"),
    ] {
        let _ = key;
        let series = &env.export(metric)[0];
        let mut want = Vec::new();
        for n in (1..=30).rev() {
            let d = today - Duration::days(n);
            let detail = if res == "heart" { "1min" } else { "5min" };
            for (t, v) in env.sim.intraday(res, d, detail) {
                want.push((local_ms(env.tz(), d, &t).unwrap(), v));
            }
        }
        want.sort_by_key(|p| p.0);
        let got: Vec<(i64, f64)> = series
            .timestamps
            .iter()
            .copied()
            .zip(series.values.iter().copied())
            .collect();
        assert_eq!(got, want, "{metric}");
    }
}

#[test]
fn the_reserve_is_never_touched() {
    let mut env = Env::new(
        SimConfig {
            window_secs: Some(3600),
            ..Default::default()
        },
        true,
    );
    env.set(
        "INTRADAY_RESOURCES",
        "steps,calories,distance,elevation,floors,heart_rate",
    );
    let r = env.run(&["backfill", "--intraday", "--days", "60"]);
    assert_eq!(r.code, 75, "{}", r.stderr);
    assert!(env.sim.data_calls() <= 140, "{}", env.sim.data_calls());
    assert!(env.sim.requests().iter().all(|r| r.status != 429));
    let calls = env.sim.data_calls();
    let r = env.run(&["backfill", "--intraday", "--days", "60"]);
    assert_eq!(r.code, 75, "{}", r.stderr);
    assert_eq!(env.sim.data_calls(), calls, "no request into the reserve");
}

#[test]
fn plan_makes_no_request_and_is_pinned() {
    let mut env = Env::new(SimConfig::default(), true);
    env.set("SYNCBIT_TIMEZONE", "Europe/Berlin");
    env.set("INTRADAY_RESOURCES", "steps,heart_rate");
    let plan = [
        "backfill",
        "--intraday",
        "--from",
        "2025-01-01",
        "--to",
        "2025-12-31",
        "--plan",
    ];
    let r = env.ok(&plan);
    insta::assert_snapshot!(r.stdout);
    // After a part is done, the plan says so.
    env.ok(&plan[..6]
        .iter()
        .map(|a| if *a == "2025-01-01" { "2025-12-25" } else { a })
        .collect::<Vec<_>>());
    let calls = env.sim.data_calls();
    let r = env.ok(&plan);
    assert_eq!(env.sim.data_calls(), calls, "--plan makes no request");
    assert!(
        r.stdout
            .contains("steps (intraday)               365         7       358"),
        "{}",
        r.stdout
    );
    let d = NaiveDate::from_ymd_opt(2025, 12, 31).unwrap();
    assert!(
        env.export("fitbit_steps_total")[0]
            .timestamps
            .contains(&midnight_ms(env.tz(), d))
    );
}

#[test]
fn days_before_the_first_day_of_the_account_cost_nothing() {
    let mut env = Env::new(
        SimConfig {
            member_since: NaiveDate::from_ymd_opt(2024, 6, 1).unwrap(),
            ..Default::default()
        },
        true,
    );
    env.only_activity_and_heart();
    env.set("INTRADAY_RESOURCES", "steps");
    let r = env.ok(&[
        "backfill",
        "--intraday",
        "--from",
        "2024-05-01",
        "--to",
        "2024-06-10",
    ]);
    assert!(r.stderr.contains("first day (2024-06-01)"), "{}", r.stderr);
    assert_eq!(intraday_calls(&env), 10, "only 2024-06-01..10");
    assert!(
        env.sim
            .requests()
            .iter()
            .all(|q| !q.path.contains("2024-05-"))
    );
}

#[test]
fn the_default_reserve_is_a_tenth_of_a_small_hourly_limit() {
    let env = Env::new(
        SimConfig {
            budget: 20,
            window_secs: Some(3600),
            ..Default::default()
        },
        true,
    );
    let r = env.run(&["backfill", "--intraday", "--days", "30"]);
    assert_eq!(r.code, 75, "{}", r.stderr);
    assert_eq!(
        env.sim.data_calls(),
        18,
        "20 per hour, 2 kept for the timers"
    );
}
