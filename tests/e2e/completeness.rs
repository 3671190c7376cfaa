//! Which days are final: daily values only once the tracker synced past the end of the day,
//! intraday up to the tracker's last sync, the 24-hour rule without device information, and a
//! backfill that stops at its reserve leaves the rest of the hour to the timers.

use chrono::Duration;

use crate::harness::{Env, local_ms, midnight_ms};
use crate::support::sim::SimConfig;

#[test]
fn a_partial_day_gets_its_daily_values_once_it_is_complete() {
    let mut env = Env::new(SimConfig::default(), false);
    env.set("INTRADAY_RESOURCES", "steps");
    env.set("INTRADAY_DETAIL_LEVEL", "1min");
    let y = env.sim.today() - Duration::days(1);
    env.sim
        .set_last_sync(Some(y.and_hms_opt(12, 0, 0).unwrap()));
    env.ok(&["sync"]);
    env.ok(&["sync-intraday"]);
    assert!(
        env.export("fitbit_steps_total").is_empty(),
        "no daily value while the day can still change"
    );
    let intraday = env.export("fitbit_steps_intraday");
    assert_eq!(
        intraday[0].timestamps.len(),
        720,
        "intraday up to the last sync"
    );

    env.sim.set_last_sync(None);
    env.ok(&["sync"]);
    env.ok(&["sync"]);
    let steps = env.export("fitbit_steps_total");
    assert_eq!(steps[0].timestamps, vec![midnight_ms(env.tz(), y)]);
    let want = env.sim.daily_summary(y)["summary"]["steps"]
        .as_f64()
        .unwrap();
    assert_eq!(steps[0].values, vec![want]);
}

#[test]
fn a_scale_that_synced_later_does_not_make_the_day_final() {
    let mut env = Env::new(SimConfig::default(), true);
    env.set("INTRADAY_RESOURCES", "steps");
    env.set("INTRADAY_DETAIL_LEVEL", "1min");
    let y = env.sim.today() - Duration::days(1);
    env.sim
        .set_last_sync(Some(y.and_hms_opt(18, 0, 0).unwrap()));
    env.sim
        .set_scale_sync(Some(env.sim.today().and_hms_opt(0, 30, 0).unwrap()));
    env.ok(&["sync-intraday", "--include-today", "false"]);
    let pts = &env.export("fitbit_steps_intraday")[0];
    assert_eq!(
        pts.timestamps.len(),
        18 * 60,
        "cut at the tracker's 18:00, not the scale's"
    );
    assert!(*pts.timestamps.last().unwrap() < local_ms(env.tz(), y, "18:00:00").unwrap());
}

#[test]
fn without_device_information_nothing_newer_than_a_day_is_written() {
    let mut env = Env::new(SimConfig::default(), true);
    env.set("INTRADAY_RESOURCES", "steps");
    env.set("INTRADAY_DETAIL_LEVEL", "1min");
    env.sim.set_devices_forbidden(true);
    let r = env.ok(&["sync-intraday"]);
    assert!(r.stderr.contains("one day after it ends"), "{}", r.stderr);
    let cutoff = crate::harness::now_ms() - 86_400_000;
    let series = env.export("fitbit_steps_intraday");
    assert_eq!(series.len(), 1, "yesterday up to 24 hours ago is written");
    let last = *series[0].timestamps.last().unwrap();
    assert!(
        last + 60_000 <= cutoff + 5_000,
        "nothing newer than 24 hours"
    );
    assert!(last + 60_000 > cutoff - 120_000, "everything up to it");
    // Yesterday is not final yet under the 24-hour rule: no daily value for it.
    env.ok(&["sync"]);
    assert!(env.export("fitbit_steps_total").is_empty());
}

#[test]
fn a_backfill_stopped_at_its_reserve_leaves_requests_to_sync() {
    let mut env = Env::new(
        SimConfig {
            window_secs: Some(3600),
            ..Default::default()
        },
        true,
    );
    env.set("INTRADAY_RESOURCES", "steps,heart_rate");
    let r = env.run(&["backfill", "--intraday", "--days", "90"]);
    assert_eq!(r.code, 75, "{}", r.stderr);
    assert!(r.stderr.contains("reserve"), "{}", r.stderr);
    let before = env.sim.data_calls();
    env.ok(&["sync", "--include-today", "false"]);
    assert!(env.sim.data_calls() > before, "sync may use the reserve");
    let r = env.run(&["backfill", "--intraday", "--days", "90"]);
    assert_eq!(r.code, 75, "{}", r.stderr);
}
