//! `syncbit sync`: yesterday's daily metrics with the simulator's values at local midnight.

use chrono::Duration;

use crate::harness::{Env, by_label, f, midnight_ms};
use crate::support::sim::SimConfig;

#[test]
fn sync_writes_yesterday_at_local_midnight() {
    let mut env = Env::new(
        SimConfig {
            timezone: "America/New_York".into(),
            ..Default::default()
        },
        true,
    );
    env.set("INCLUDE_TODAY_DATA", "false");
    env.set("TZ", "Asia/Tokyo");
    env.ok(&["sync"]);

    let y = env.sim.today() - Duration::days(1);
    let at = midnight_ms(env.tz(), y);
    let summary = env.sim.daily_summary(y)["summary"].clone();
    let one = |metric: &str| -> (i64, f64) {
        let s = env.export(metric);
        assert_eq!(s.len(), 1, "{metric}: {s:?}");
        assert_eq!(s[0].labels["user"], "tester");
        assert!(!s[0].labels.contains_key("device"));
        assert_eq!(s[0].timestamps.len(), 1, "{metric}: only yesterday");
        (s[0].timestamps[0], s[0].values[0])
    };
    assert_eq!(one("fitbit_steps_total"), (at, f(&summary["steps"])));
    assert_eq!(
        one("fitbit_calories_total"),
        (at, f(&summary["caloriesOut"]))
    );
    let total = summary["distances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["activity"] == "total")
        .unwrap()["distance"]
        .clone();
    assert_eq!(one("fitbit_distance_km"), (at, f(&total)));

    let active = by_label(&env.export("fitbit_active_minutes"), "type");
    assert_eq!(
        active["sedentary"],
        vec![(at, f(&summary["sedentaryMinutes"]))]
    );
    assert_eq!(
        active["very_active"],
        vec![(at, f(&summary["veryActiveMinutes"]))]
    );
    assert_eq!(active.len(), 4);

    let heart = env.sim.heart_day(y);
    assert_eq!(
        one("fitbit_resting_heart_rate_bpm"),
        (at, f(&heart["value"]["restingHeartRate"]))
    );
    let zones = by_label(&env.export("fitbit_heart_rate_zone_minutes"), "zone");
    for z in heart["value"]["heartRateZones"].as_array().unwrap() {
        let key = z["name"].as_str().unwrap().to_lowercase().replace(' ', "_");
        assert_eq!(zones[&key], vec![(at, f(&z["minutes"]))], "zone {key}");
    }
    assert_eq!(
        zones.keys().cloned().collect::<Vec<_>>(),
        ["cardio", "fat_burn", "out_of_range", "peak"]
    );

    let sleep = env.sim.sleep_day(y);
    assert_eq!(
        one("fitbit_sleep_minutes_total"),
        (at, f(&sleep["summary"]["totalMinutesAsleep"]))
    );
    for metric in [
        "fitbit_spo2_avg_percent",
        "fitbit_breathing_rate_bpm",
        "fitbit_hrv_rmssd_ms",
        "fitbit_vo2_max",
        "fitbit_temp_skin_relative_celsius",
    ] {
        assert_eq!(one(metric).0, at, "{metric}");
    }
    let battery = env.export("fitbit_device_battery_percent");
    assert_eq!(battery.len(), 1);
    assert_eq!(battery[0].labels["device_type"], "Charge 6");

    // Health metrics of the run.
    let ok = env.export("syncbit_last_success_timestamp_seconds");
    assert_eq!(ok.len(), 1);
    assert_eq!(ok[0].labels["command"], "sync");
    let age = crate::harness::now_ms() / 1000 - ok[0].values[0] as i64;
    assert!((0..120).contains(&age), "{age}");
    let requests = env.export("syncbit_run_fitbit_requests");
    assert_eq!(requests[0].values, vec![env.sim.data_calls() as f64]);
    let newest = by_label(
        &env.export("syncbit_newest_complete_day_timestamp_seconds"),
        "family",
    );
    assert_eq!(newest["activity"][0].1, (at / 1000) as f64);

    // Metric units: no Accept-Language header, ever.
    assert!(
        env.sim
            .requests()
            .iter()
            .all(|r| r.accept_language.is_none())
    );

    // A second run finds yesterday complete and asks for nothing but profile-free housekeeping.
    let before = env.sim.data_calls();
    env.ok(&["sync"]);
    assert_eq!(env.sim.data_calls() - before, 1, "only devices.json");
}

#[test]
fn collect_switches_turn_families_off() {
    let mut env = Env::new(SimConfig::default(), true);
    env.only_activity_and_heart();
    env.set("COLLECT_DEVICE_INFO", "false");
    env.set("INCLUDE_TODAY_DATA", "false");
    env.ok(&["sync"]);
    // profile + devices + activity + heart for yesterday.
    assert_eq!(env.sim.data_calls(), 4);
    let names: Vec<String> = env
        .export_all()
        .iter()
        .map(|s| s.name().to_string())
        .collect();
    assert!(
        names
            .iter()
            .all(|n| !n.contains("sleep") && !n.contains("spo2"))
    );
    assert!(names.contains(&"fitbit_steps_total".to_string()));
}
