//! What a new user hit in the first week: one bad response, a silent VictoriaMetrics, empty
//! values, a damaged state file, secrets in messages, Ctrl-C, planning edges, the journal.

use chrono::{Duration, NaiveDate};
use serde_json::Value;
use std::net::TcpListener;
use std::process::Stdio;
use std::time::Instant;

use crate::harness::{Env, assert_no_duplicates, local_ms};
use crate::support::sim::SimConfig;

const ALL: &str = "steps,calories,distance,elevation,floors,heart_rate";

fn state(env: &Env) -> Value {
    serde_json::from_str(&std::fs::read_to_string(env.data_dir().join("sync_state.json")).unwrap())
        .unwrap()
}

/// Successful data requests whose path contains every one of `parts`.
fn calls(env: &Env, parts: &[&str]) -> usize {
    env.sim
        .requests()
        .iter()
        .filter(|r| r.status == 200 && parts.iter().all(|p| r.path.contains(p)))
        .count()
}

#[test]
fn newuser_malformed_heart_rate_spoils_only_heart_rate() {
    let mut env = Env::new(SimConfig::default(), true);
    env.set("INTRADAY_RESOURCES", ALL);
    env.set("INTRADAY_DETAIL_LEVEL", "1min");
    env.sim.malformed_matching(&["/activities/heart/", "/1d/"]);
    let r = env.run(&["sync-intraday"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let yesterday = env.sim.today() - Duration::days(1);
    assert!(
        r.stderr.contains(&format!("heart_rate {yesterday}")),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("malformed JSON"), "{}", r.stderr);
    // Every other resource of every planned day is written, exactly as the simulator has it.
    for (resource, key) in [
        ("steps", "steps"),
        ("calories", "calories"),
        ("distance", "distance"),
        ("elevation", "elevation"),
        ("floors", "floors"),
    ] {
        let want: Vec<(i64, f64)> = env
            .sim
            .intraday(key, yesterday, "1min")
            .into_iter()
            .filter_map(|(t, v)| local_ms(env.tz(), yesterday, &t).map(|ms| (ms, v)))
            .collect();
        let got = env.export(&format!("fitbit_{resource}_intraday"));
        assert_eq!(got.len(), 1, "{resource}");
        let have: Vec<(i64, f64)> = got[0]
            .timestamps
            .iter()
            .copied()
            .zip(got[0].values.iter().copied())
            .filter(|(ms, _)| *ms < want.last().unwrap().0 + 60_000)
            .collect();
        assert_eq!(have, want, "{resource}");
    }
    assert!(env.export("fitbit_heart_rate_intraday").is_empty());
    // The next clean run fetches heart rate only.
    env.sim.malformed_matching(&[]);
    let before: Vec<String> = env.sim.requests().iter().map(|r| r.path.clone()).collect();
    env.ok(&["sync-intraday"]);
    let after = env.sim.requests();
    let asked: Vec<&str> = after[before.len()..]
        .iter()
        .map(|r| r.path.as_str())
        .filter(|p| p.contains("/1d/"))
        .collect();
    assert!(!asked.is_empty());
    assert!(
        asked
            .iter()
            .all(|p| p.contains("/activities/heart/") || p.contains(&env.sim.today().to_string())),
        "{asked:?}"
    );
    assert_eq!(
        asked
            .iter()
            .filter(|p| p.contains(&yesterday.to_string()))
            .count(),
        1,
        "{asked:?}"
    );
    assert!(!env.export("fitbit_heart_rate_intraday").is_empty());
}

#[test]
fn newuser_a_bad_daily_answer_does_not_keep_the_intraday_pass_from_running() {
    let mut env = Env::new(SimConfig::default(), true);
    env.set("ENABLE_INTRADAY_COLLECTION", "true");
    env.sim.malformed_matching(&["/sleep/"]);
    let r = env.run(&["sync"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("sleep "), "{}", r.stderr);
    assert!(calls(&env, &["/1d/"]) > 0, "no intraday request");
    assert!(!env.export("fitbit_steps_intraday").is_empty());
    assert!(!env.export("fitbit_steps_total").is_empty());
}

#[test]
fn newuser_server_errors_on_one_endpoint_spoil_only_it_and_exit_75() {
    let mut env = Env::new(SimConfig::default(), true);
    env.set("ENABLE_INTRADAY_COLLECTION", "true");
    env.sim.fail_matching(&["/spo2/"], 500);
    let r = env.run(&["sync"]);
    assert_eq!(r.code, 75, "{}", r.stderr);
    assert!(r.stderr.contains("spo2 "), "{}", r.stderr);
    assert!(!env.export("fitbit_breathing_rate_bpm").is_empty());
    assert!(!env.export("fitbit_steps_intraday").is_empty());
    // When every answer is a server error, the run stops after three requests in a row.
    env.sim.fail_matching(&["/1d/"], 503);
    let before = env.sim.data_calls();
    let r = env.run(&["sync-intraday"]);
    assert_eq!(r.code, 75, "{}", r.stderr);
    assert!(r.stderr.contains("in a row"), "{}", r.stderr);
    assert!(env.sim.data_calls() - before <= 3 * 4 + 1, "{}", r.stderr);
}

#[test]
fn newuser_sigterm_during_a_retry_wait_stops_without_another_request() {
    let mut env = Env::new(SimConfig::default(), true);
    env.set("SYNCBIT_RETRY_DELAY_MS", "3000");
    env.sim.fail_next(100, 503);
    let child = env.cmd(&["sync"]).stderr(Stdio::piped()).spawn().unwrap();
    let t = Instant::now();
    while env.sim.data_calls() == 0 && t.elapsed().as_secs() < 20 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    let at_signal = env.sim.data_calls();
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(143), "{err}");
    assert!(err.contains("interrupted;"), "{err}");
    assert_eq!(env.sim.data_calls(), at_signal, "{err}");
    assert!(t.elapsed().as_secs() < 3, "{:?}", t.elapsed());
}

#[test]
fn newuser_an_unwritable_token_backup_is_only_a_warning() {
    let env = Env::new(SimConfig::default(), true);
    env.expire_tokens();
    std::fs::create_dir(env.data_dir().join("fitbit_tokens.json.bak")).unwrap();
    let r = env.ok(&["sync"]);
    assert!(
        r.stderr.contains("could not keep the previous tokens"),
        "{}",
        r.stderr
    );
    assert_eq!(env.sim.token_calls(), 1);
    let saved: Value = serde_json::from_str(
        &std::fs::read_to_string(env.data_dir().join("fitbit_tokens.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(saved["refresh_token"], env.sim.tokens().1);
}

#[test]
fn newuser_a_silent_victoriametrics_ends_the_run_in_time() {
    // Accepts connections and never answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let held = std::thread::spawn(move || {
        let mut open = Vec::new();
        for c in silent.incoming().take(8) {
            open.push(c);
        }
        std::thread::sleep(std::time::Duration::from_secs(120));
    });
    let mut env = Env::new(SimConfig::default(), true);
    env.set("VICTORIA_ENDPOINT", &url);
    let t = Instant::now();
    let r = env.run(&["sync"]);
    let took = t.elapsed();
    assert_eq!(r.code, 1, "{}", r.stderr);
    // The README's bound: about a minute after VictoriaMetrics goes away.
    assert!(took < std::time::Duration::from_secs(60), "{took:?}");
    assert!(r.stderr.contains("timed out after"), "{}", r.stderr);
    let retry = r
        .stderr
        .lines()
        .position(|l| l.starts_with("syncbit: warning:") && l.contains("retrying"));
    let last = r.stderr.lines().count() - 1;
    assert!(retry.is_some_and(|i| i < last), "{}", r.stderr);
    drop(held);
}

#[test]
fn newuser_configuration_problems_come_all_at_once() {
    let mut env = Env::new(SimConfig::default(), true);
    env.set("INCLUDE_TODAY_DATA", "maybe");
    env.set("INTRADAY_DETAIL_LEVEL", "2min");
    env.set("SYNCBIT_TIMEZONE", "Mars/Olympus");
    let r = env.run(&["sync"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    for name in [
        "INCLUDE_TODAY_DATA",
        "INTRADAY_DETAIL_LEVEL",
        "SYNCBIT_TIMEZONE",
    ] {
        assert!(r.stderr.contains(name), "{name}: {}", r.stderr);
    }
    assert_eq!(r.stderr.lines().count(), 3, "{}", r.stderr);
    assert_eq!(env.sim.data_calls() + env.sim.token_calls(), 0);
}

#[test]
fn newuser_a_closed_pipe_ends_quietly() {
    use std::os::unix::process::ExitStatusExt;
    let env = Env::new(SimConfig::default(), true);
    env.ok(&["sync"]);
    for args in [["state", "show"], ["auth", "status"]] {
        let mut child = env
            .cmd(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(
            out.status.code() == Some(0) || out.status.signal() == Some(13),
            "{args:?}: {:?} {err}",
            out.status
        );
    }
}

#[test]
fn newuser_a_waiting_run_says_whom_it_waits_for() {
    let env = Env::new(SimConfig::default(), true);
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(env.data_dir().join("syncbit.lock"))
        .unwrap();
    lock.lock().unwrap();
    std::fs::write(env.data_dir().join("syncbit.lock"), "4242").unwrap();
    let r = env.run(&["--lock-timeout", "1", "sync"]);
    assert_eq!(r.code, 75, "{}", r.stderr);
    assert!(r.stderr.contains("waiting up to 1 s"), "{}", r.stderr);
    assert!(r.stderr.contains("4242"), "{}", r.stderr);
}

#[test]
fn newuser_empty_values_count_as_unset() {
    let env = Env::new(SimConfig::default(), true);
    let home = tempfile::tempdir().unwrap();
    let out = env
        .cmd(&["state", "show"])
        .env("DATA_DIR", "")
        .env("HOME", home.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains(&format!("{}/.local/state/syncbit", home.path().display())),
        "{shown}"
    );
    let out = env
        .cmd(&["backfill", "--plan", "--days", "3"])
        .env("FITBIT_API_BASE_URL", "")
        .env("INTRADAY_DETAIL_LEVEL", "")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn newuser_a_damaged_state_continues_from_its_backup() {
    let env = Env::new(SimConfig::default(), true);
    env.ok(&["sync"]);
    env.ok(&["sync"]);
    // What an intact state asks on a repeat run.
    let n0 = env.sim.data_calls();
    env.ok(&["sync"]);
    let repeat = env.sim.data_calls() - n0;
    assert!(env.data_dir().join("sync_state.json.bak").exists());
    std::fs::write(
        env.data_dir().join("sync_state.json"),
        "{\"version\": 2, \"daily\": [",
    )
    .unwrap();
    let n1 = env.sim.data_calls();
    let r = env.ok(&["sync"]);
    assert!(r.stderr.contains("last good state"), "{}", r.stderr);
    assert_eq!(env.sim.data_calls() - n1, repeat);
    state(&env); // valid again
    let aside: Vec<_> = std::fs::read_dir(env.data_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".corrupt-"))
        .collect();
    assert_eq!(aside.len(), 1);

    // Without a backup, a partial reset still works, and earlier copies are never overwritten.
    for _ in 0..2 {
        std::fs::remove_file(env.data_dir().join("sync_state.json.bak")).ok();
        std::fs::write(env.data_dir().join("sync_state.json"), "not json").unwrap();
        env.ok(&["state", "reset", "--daily"]);
        state(&env);
    }
    let aside = std::fs::read_dir(env.data_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".corrupt-"))
        .count();
    assert_eq!(aside, 3);
}

#[test]
fn newuser_no_message_shows_the_victoria_password() {
    for endpoint in [
        "http://bob:s3cret@127.0.0.1:9/api/v1/import/prometheus",
        "bob:s3cret@127.0.0.1:9",
        "http//bob:s3cret@127.0.0.1:9",
        "http://bob:s3cret@",
        "http://127.0.0.1:9/api/v1/import/prometheus?authKey=s3cret",
    ] {
        let mut env = Env::new(SimConfig::default(), true);
        env.set("VICTORIA_ENDPOINT", endpoint);
        let r = env.run(&["sync"]);
        assert_ne!(r.code, 0, "{endpoint}");
        assert!(
            !r.stderr.contains("s3cret") && !r.stdout.contains("s3cret"),
            "{endpoint}: {}",
            r.stderr
        );
    }
}

#[test]
fn newuser_sigint_during_a_backfill_saves_and_resumes() {
    let mut env = Env::new(
        SimConfig {
            budget: 10_000,
            ..Default::default()
        },
        true,
    );
    env.set("INTRADAY_RESOURCES", ALL);
    env.only_activity_and_heart();
    env.sim.delay_data_answers(20);
    let args = ["backfill", "--intraday", "--days", "30", "--reserve", "0"];
    let child = env.cmd(&args).stderr(Stdio::piped()).spawn().unwrap();
    let t = Instant::now();
    while calls(&env, &["/1d/"]) < 30 && t.elapsed().as_secs() < 60 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(
        err.contains("interrupted;") && err.contains("progress saved; the next run resumes"),
        "{err}"
    );
    state(&env);
    let at_stop = calls(&env, &["/1d/"]);
    assert!(at_stop < 180, "{at_stop}");
    env.sim.delay_data_answers(0);
    env.ok(&args);
    // Nothing asked twice: the request in flight at the signal was finished and recorded.
    assert_eq!(calls(&env, &["/1d/"]), 180);
    assert_no_duplicates(&env.export_all());
}

#[test]
fn newuser_backfill_plan_refuses_what_the_run_refuses() {
    let env = Env::new(SimConfig::default(), true);
    let today: NaiveDate = env.sim.today();
    for (extra, args, needle) in [
        (
            Some(("BACKFILL_START_DATE", today.to_string())),
            vec!["backfill"],
            "nothing to backfill",
        ),
        (
            None,
            vec!["backfill", "--days", "3", "--reserve", "150"],
            "--reserve 150",
        ),
    ] {
        for plan in [true, false] {
            let mut a = args.clone();
            if plan {
                a.push("--plan");
            }
            let mut c = env.cmd(&a);
            if let Some((k, v)) = &extra {
                c.env(k, v);
            }
            let out = c.output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{a:?}: {err}");
            // When the simulator's today is already UTC tomorrow (its zone is east of UTC,
            // near midnight), both refuse it before knowing the zone, as not in the past.
            let early = needle == "nothing to backfill" && err.contains("is not in the past");
            assert!(err.contains(needle) || early, "{a:?}: {err}");
        }
    }
    assert_eq!(env.sim.data_calls(), 0);
}

#[test]
fn newuser_journal_batches_are_counted_and_shown() {
    let mut env = Env::new(SimConfig::default(), true);
    env.vm.stop();
    assert_eq!(env.run(&["sync"]).code, 1);
    let shown = env.ok(&["state", "show"]).stdout;
    assert!(shown.contains("waiting in"), "{shown}");
    env.vm.restart();
    let r = env.ok(&["sync"]);
    assert!(
        r.stderr.contains("of them fetched by an earlier run"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains(" 0 samples written"), "{}", r.stderr);
    let shown = env.ok(&["state", "show"]).stdout;
    assert!(!shown.contains("waiting in"), "{shown}");
}
