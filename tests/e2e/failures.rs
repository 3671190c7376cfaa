//! Failure paths: rate limit, expired tokens, VictoriaMetrics down, 410, bad configuration,
//! label escaping, idempotent re-runs.

use chrono::Duration;
use std::os::unix::fs::PermissionsExt;

use crate::harness::{Env, assert_no_duplicates, midnight_ms};
use crate::support::sim::SimConfig;

#[test]
fn reruns_add_no_sample_without_dedup() {
    let mut env = Env::new(SimConfig::default(), false);
    env.set("INTRADAY_RESOURCES", "steps,heart_rate");
    env.set("INTRADAY_DETAIL_LEVEL", "1min");
    for _ in 0..2 {
        env.ok(&["sync"]);
        env.ok(&["sync-intraday"]);
    }
    let all = env.export_all();
    assert!(all.len() > 20);
    assert_no_duplicates(&all);
}

#[test]
fn budget_exhausted_then_resumed_without_gap_or_duplicate() {
    let mut env = Env::new(
        SimConfig {
            budget: 20,
            window_secs: Some(3),
            ..Default::default()
        },
        false,
    );
    env.set("INTRADAY_RESOURCES", "steps,heart_rate");
    env.set("INTRADAY_DETAIL_LEVEL", "15min");
    let args = ["backfill", "--intraday", "--days", "5", "--reserve", "0"];
    let r = env.run(&args);
    assert_eq!(r.code, 75, "{}", r.stderr);
    assert!(r.stderr.contains("resume after"), "{}", r.stderr);
    let calls = env.sim.data_calls();
    assert!(calls <= 21, "{calls}");
    // Before the reset: no data call at all.
    let r = env.run(&args);
    assert_eq!(r.code, 75);
    assert_eq!(env.sim.data_calls(), calls);
    // After the reset the backfill finishes.
    let mut done = false;
    let mut runs = 1;
    for _ in 0..4 {
        runs += 1;
        std::thread::sleep(std::time::Duration::from_millis(3200));
        let r = env.run(&args);
        if r.code == 0 {
            done = true;
            break;
        }
        assert_eq!(r.code, 75, "{}", r.stderr);
    }
    assert!(done);
    let all = env.export_all();
    assert_no_duplicates(&all);
    let today = env.sim.today();
    let days: Vec<i64> = (1..=5)
        .rev()
        .map(|n| midnight_ms(env.tz(), today - Duration::days(n)))
        .collect();
    let steps = env.export("fitbit_steps_total");
    assert_eq!(
        steps[0].timestamps, days,
        "one daily sample per day, no gap"
    );
    let intraday = env.export("fitbit_steps_intraday");
    assert_eq!(
        intraday[0].timestamps.len(),
        5 * 96,
        "every 15-minute point of 5 days"
    );
    // No request repeated: 5 per-day activity summaries, one range for each other family,
    // 2 x 5 intraday days, plus the profile once and devices.json once per run that fetched.
    let jobs = 5 + 7 + 2 * 5;
    assert_eq!(env.sim.data_calls(), jobs + 1 + runs, "{runs} runs");
}

#[test]
fn expired_access_token_costs_one_token_call() {
    let env = Env::new(SimConfig::default(), true);
    env.expire_tokens();
    env.ok(&["sync"]);
    assert_eq!(env.sim.token_calls(), 1);
    let path = env.data_dir().join("fitbit_tokens.json");
    let body: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(body["refresh_token"], env.sim.tokens().1);
    assert_eq!(body["access_token"], env.sim.tokens().0);
    assert_eq!(body["provider"], "fitbit");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // The next run uses the new pair without another refresh.
    env.ok(&["sync"]);
    assert_eq!(env.sim.token_calls(), 1);
}

#[test]
fn access_token_rejected_mid_run_is_refreshed_once() {
    let env = Env::new(SimConfig::default(), true);
    env.sim.expire_access_token();
    env.ok(&["sync"]);
    assert_eq!(env.sim.token_calls(), 1);
}

#[test]
fn revoked_refresh_token_exits_77_with_a_hint() {
    let env = Env::new(SimConfig::default(), true);
    env.expire_tokens();
    env.sim.revoke_refresh_token();
    let r = env.run(&["sync"]);
    assert_eq!(r.code, 77, "{}", r.stderr);
    assert!(r.stderr.contains("invalid_grant"), "{}", r.stderr);
    assert!(r.stderr.lines().count() <= 2, "{}", r.stderr);
    assert!(!r.stderr.contains("panicked"));
    let (_, rt) = env.sim.tokens();
    assert!(!r.stderr.contains(&rt));
    // The failed run still reports itself.
    let code = env.export("syncbit_run_exit_code");
    assert_eq!(code.len(), 1);
    assert_eq!(code[0].labels["command"], "sync");
    assert_eq!(code[0].values, vec![77.0]);
    assert!(
        env.export("syncbit_last_success_timestamp_seconds")
            .is_empty()
    );
}

#[test]
fn victoria_down_leaves_the_day_for_the_next_run() {
    let mut env = Env::new(SimConfig::default(), true);
    env.set("INCLUDE_TODAY_DATA", "false");
    env.vm.stop();
    let r = env.run(&["sync"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("VictoriaMetrics"), "{}", r.stderr);
    assert!(r.stderr.contains("next run"), "{}", r.stderr);
    let state = std::fs::read_to_string(env.data_dir().join("sync_state.json")).unwrap();
    assert!(!state.contains("complete"), "{state}");
    env.vm.restart();
    env.ok(&["sync"]);
    let y = env.sim.today() - Duration::days(1);
    let steps = env.export("fitbit_steps_total");
    assert_eq!(steps[0].timestamps, vec![midnight_ms(env.tz(), y)]);
}

#[test]
fn gone_exits_69_with_the_shutdown_message() {
    let env = Env::new(SimConfig::default(), true);
    env.sim.set_gone(true);
    let r = env.run(&["sync"]);
    assert_eq!(r.code, 69, "{}", r.stderr);
    assert!(r.stderr.contains("shut down on 2026-11-02"), "{}", r.stderr);
    // The second line says how to switch to the successor.
    assert!(
        r.stderr.contains("SYNCBIT_SOURCE=google-health"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stderr.lines().count(), 2, "{}", r.stderr);
}

#[test]
fn server_errors_are_retried_then_exit_75() {
    let env = Env::new(SimConfig::default(), true);
    env.sim.fail_next(2, 503);
    env.ok(&["sync"]);
    env.sim.fail_next(100, 500);
    let r = env.run(&["sync"]);
    assert_eq!(r.code, 75, "{}", r.stderr);
}

#[test]
fn malformed_json_is_a_clear_error() {
    let env = Env::new(SimConfig::default(), true);
    env.sim.malformed_next(1);
    let r = env.run(&["sync"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("malformed JSON"), "{}", r.stderr);
    env.ok(&["sync"]);
}

#[test]
fn bad_configuration_exits_2_before_any_request() {
    let mut env = Env::new(SimConfig::default(), true);
    env.set("INTRADAY_DETAIL_LEVEL", "2min");
    let r = env.run(&["sync-intraday"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("INTRADAY_DETAIL_LEVEL"), "{}", r.stderr);
    assert!(r.stderr.contains("1min, 5min, 15min"), "{}", r.stderr);
    let r = env
        .cmd(&["sync"])
        .env("INTRADAY_DETAIL_LEVEL", "1min")
        .env("SYNCBIT_TIMEZONE", "Mars/Olympus")
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("SYNCBIT_TIMEZONE"));
    let r = env
        .cmd(&["sync"])
        .env("INTRADAY_DETAIL_LEVEL", "1min")
        .env("VICTORIA_ENDPOINT", "localhost:8428")
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(2));
    assert_eq!(env.sim.data_calls() + env.sim.token_calls(), 0);
}

#[test]
fn label_values_survive_the_round_trip() {
    let mut env = Env::new(SimConfig::default(), true);
    env.user = "Zoë \"Z\" \\ 走る".into();
    env.set("INCLUDE_TODAY_DATA", "false");
    env.ok(&["sync"]);
    let steps = env.export("fitbit_steps_total");
    assert_eq!(steps.len(), 1);
    assert_eq!(steps[0].labels["user"], "Zoë \"Z\" \\ 走る");
    assert_eq!(
        env.vm
            .metric_counter("vm_rows_invalid_total{type=\"prometheus\"}"),
        0.0
    );
}

#[test]
fn dry_run_prints_and_changes_nothing() {
    let env = Env::new(SimConfig::default(), true);
    let r = env.ok(&["--dry-run", "sync"]);
    assert!(
        r.stdout.contains("fitbit_steps_total{user=\"tester\"}"),
        "{}",
        r.stdout
    );
    assert!(!env.data_dir().join("sync_state.json").exists());
    assert!(env.export_all().is_empty());
}

#[test]
fn predecessor_state_is_migrated() {
    let env = Env::new(SimConfig::default(), true);
    let y = env.sim.today() - Duration::days(1);
    std::fs::write(
        env.data_dir().join("sync_state.json"),
        format!(
            r#"{{"last_sync": "2026-11-20T10:00:00", "last_successful_date": "{y}", "last_intraday_backfill_date": null}}"#
        ),
    )
    .unwrap();
    let r = env.ok(&["state", "show"]);
    assert!(
        r.stdout.contains(&format!("daily complete through {y}")),
        "{}",
        r.stdout
    );
    env.ok(&["sync", "--include-today", "false"]);
    assert!(
        env.export("fitbit_steps_total").is_empty(),
        "yesterday was done"
    );
    let body: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(env.data_dir().join("sync_state.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(body["version"], 3);
    assert_eq!(body["migrated_from"]["last_successful_date"], y.to_string());
}

#[test]
fn journal_lines_carry_syslog_priorities() {
    let env = Env::new(SimConfig::default(), true);
    env.sim.set_gone(true);
    let r = env
        .cmd(&["sync"])
        .env("JOURNAL_STREAM", "8:12345")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(69));
    assert!(err.lines().all(|l| l.starts_with('<')), "{err}");
    assert!(err.contains("<3>the Fitbit Web API answered 410"), "{err}");
    let r = env.run(&["sync"]);
    assert!(r.stderr.starts_with("syncbit: error: "), "{}", r.stderr);
    assert!(!r.stderr.contains('\u{1b}'), "no colours off a terminal");
}
