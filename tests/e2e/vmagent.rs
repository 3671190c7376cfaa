//! Buffering: vmagent between syncbit and VictoriaMetrics. syncbit only writes (the sink never
//! reads from `VICTORIA_ENDPOINT`), exits 0 once vmagent accepted, and what vmagent buffered
//! while VictoriaMetrics was away arrives once it is back: every sample, none twice
//! (VictoriaMetrics without dedup), equal to the simulator's truth.

use chrono::{Duration, TimeZone, Utc};
use std::collections::BTreeMap;
use std::time::Instant;

use crate::harness::{GEnv, assert_no_duplicates, midnight_ms};
use crate::support::google_sim::GoogleSimConfig;
use crate::support::vmproxy::Vmagent;

/// Data samples in VictoriaMetrics (syncbit's own `syncbit_*` health metrics aside).
fn data_samples(env: &GEnv) -> usize {
    env.export_all()
        .iter()
        .filter(|s| s.name().starts_with("fitbit_"))
        .map(|s| s.values.len())
        .sum()
}

/// The samples a run says it wrote ("sync-intraday: 1234 samples written, …").
fn reported(stderr: &str, what: &str) -> usize {
    let line = stderr
        .lines()
        .find(|l| l.contains(&format!("{what}: ")) && l.contains(" written"))
        .unwrap_or_else(|| panic!("no summary line in {stderr}"));
    let after = &line[line.find(&format!("{what}: ")).unwrap() + what.len() + 2..];
    after
        .split_whitespace()
        .next()
        .unwrap()
        .replace(',', "")
        .parse()
        .unwrap()
}

fn points(env: &GEnv, metric: &str, s: i64, e: i64) -> BTreeMap<i64, f64> {
    env.export(metric)
        .iter()
        .flat_map(|x| x.timestamps.iter().copied().zip(x.values.iter().copied()))
        .filter(|(t, _)| *t >= s && *t < e)
        .collect()
}

#[test]
fn victoria_metrics_away_during_a_run_gets_every_sample_once_from_vmagent() {
    // A fixed last sync, so that the truth of today is the same when it is read later.
    let last_sync = Utc::now() - Duration::minutes(20);
    let mut env = GEnv::new(
        GoogleSimConfig {
            timezone: "Europe/Berlin".into(),
            last_sync: Some(last_sync),
            ..Default::default()
        },
        false,
    );
    env.only_activity_and_heart();
    env.set("INTRADAY_RESOURCES", "steps,heart_rate");
    env.set("INTRADAY_DETAIL_LEVEL", "1min");
    env.set("INTRADAY_HEART_RATE_DETAIL", "1sec");
    let agent = Vmagent::start(&env.vm.url());
    env.set("VICTORIA_ENDPOINT", &agent.url());

    env.vm.stop();
    let r = env.ok(&["-v", "sync-intraday"]);
    let written = reported(&r.stderr, "sync-intraday");
    assert!(written > 10_000, "{written}: {}", r.stderr);
    // Accepted by vmagent, so recorded as done: nothing waits in syncbit's own journal.
    let spool = env.data_dir().join("spool");
    assert!(!spool.exists() || std::fs::read_dir(&spool).unwrap().next().is_none());

    env.vm.restart();
    let deadline = Instant::now() + std::time::Duration::from_secs(90);
    let mut got = 0;
    while Instant::now() < deadline {
        got = data_samples(&env);
        if got >= written {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    assert_eq!(got, written, "vmagent log:\n{}", agent.log());
    assert_no_duplicates(&env.export_all());

    // Equal to the simulator's truth: yesterday whole, at its own instants.
    let tz = env.tz();
    let y = env.sim.today() - Duration::days(1);
    let (s, e) = (midnight_ms(tz, y), midnight_ms(tz, y + Duration::days(1)));
    let (su, eu) = (
        Utc.timestamp_millis_opt(s).unwrap(),
        Utc.timestamp_millis_opt(e).unwrap(),
    );
    let steps: BTreeMap<i64, f64> = env
        .sim
        .intraday_truth("steps", su, eu)
        .into_iter()
        .collect();
    assert_eq!(points(&env, "fitbit_steps_intraday", s, e), steps);
    let hr: BTreeMap<i64, f64> = env.sim.raw_heart_rate(su, eu).into_iter().collect();
    assert_eq!(points(&env, "fitbit_heart_rate_intraday", s, e), hr);

    // Still nothing twice after vmagent had time to resend anything it doubted.
    std::thread::sleep(std::time::Duration::from_secs(1));
    assert_eq!(data_samples(&env), written);
}
