//! Paths of the real binary that no other module drove: `state show/reset` variants, state
//! files syncbit must refuse or migrate, `auth status/logout/login` edges, credentials from
//! files, configuration errors all at once, the API or the token endpoint unreachable, a 429,
//! a forbidden series, a spool that cannot be pushed yet, damaged token files, a changed time
//! zone. Each test checks what a user would look at: exit code, message, files, data written.

use chrono::Duration;
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::Stdio;

use crate::harness::{Env, Run};
use crate::support::sim::{CLIENT_ID, CLIENT_SECRET, SimConfig};
use crate::support::syncbit;

fn state_file(env: &Env) -> Value {
    serde_json::from_str(&std::fs::read_to_string(env.data_dir().join("sync_state.json")).unwrap())
        .unwrap()
}

fn write_state(env: &Env, body: &str) {
    std::fs::write(env.data_dir().join("sync_state.json"), body).unwrap();
}

fn run(c: &mut std::process::Command) -> Run {
    let o = c.output().unwrap();
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// A loopback port nobody listens on.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Keys of a `daily` or `intraday` map of the state, over all days.
fn keys(state: &Value, map: &str) -> std::collections::BTreeSet<String> {
    state[map]
        .as_object()
        .map(|days| {
            days.values()
                .flat_map(|d| d.as_object().unwrap().keys().cloned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn gaps_state_show_on_a_new_data_dir_reports_nothing_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(syncbit()
        .args(["state", "show"])
        .env("DATA_DIR", dir.path()));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("time zone: (not read yet)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("daily:\n  nothing written yet\nintraday:\n  nothing written yet\n"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("waiting in"), "{}", r.stdout);
    assert!(names_in(dir.path()).is_empty(), "state show is read-only");
    let r = run(syncbit()
        .args(["state", "show", "--json"])
        .env("DATA_DIR", dir.path()));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["version"], 3);
    assert_eq!(v["daily"], serde_json::json!({}));
    assert_eq!(v["intraday"], serde_json::json!({}));
}

#[test]
fn gaps_state_show_json_is_the_state_file_and_the_summary_counts_it() {
    let mut env = Env::new(SimConfig::default(), true);
    env.only_activity_and_heart();
    env.set("INTRADAY_RESOURCES", "steps");
    env.set("INCLUDE_TODAY_DATA", "false");
    env.ok(&["sync"]);
    env.ok(&["sync-intraday"]);
    let r = env.ok(&["state", "show", "--json"]);
    let shown: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(shown, state_file(&env));
    let y = (env.sim.today() - Duration::days(1)).to_string();
    assert_eq!(shown["profile_timezone"], "Europe/Berlin");
    assert_eq!(shown["daily"][&y]["activity"]["status"], "complete");
    assert_eq!(shown["daily"][&y]["heart"]["status"], "complete");
    assert_eq!(shown["intraday"][&y]["steps"]["status"], "complete");
    let text = env.ok(&["state", "show"]).stdout;
    assert!(text.contains("time zone: Europe/Berlin"), "{text}");
    assert!(text.contains("last run that wrote data: "), "{text}");
    for k in ["activity", "heart", "steps"] {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(k))
            .unwrap_or_else(|| panic!("no line for {k}:\n{text}"));
        assert!(
            line.contains("1 complete, 0 partial, newest complete ") && line.ends_with(y.as_str()),
            "{line}"
        );
    }
}

#[test]
fn gaps_state_reset_daily_or_intraday_forgets_only_that_part() {
    let mut env = Env::new(SimConfig::default(), true);
    env.only_activity_and_heart();
    env.set("INTRADAY_RESOURCES", "steps");
    env.set("INCLUDE_TODAY_DATA", "false");
    env.ok(&["sync"]);
    env.ok(&["sync-intraday"]);
    // What a run asks when there is nothing to fetch.
    let n = env.sim.data_calls();
    env.ok(&["sync"]);
    let idle_sync = env.sim.data_calls() - n;
    let n = env.sim.data_calls();
    env.ok(&["sync-intraday"]);
    let idle_intraday = env.sim.data_calls() - n;

    let before = state_file(&env);
    let r = env.ok(&["state", "reset", "--intraday"]);
    assert!(
        r.stderr.contains("forgot intraday progress in ")
            && r.stderr.contains("data in VictoriaMetrics stays"),
        "{}",
        r.stderr
    );
    let after = state_file(&env);
    assert_eq!(after["daily"], before["daily"]);
    assert_eq!(after["devices_written"], before["devices_written"]);
    assert!(keys(&after, "intraday").is_empty(), "{after}");
    assert!(
        !env.export("fitbit_steps_intraday").is_empty(),
        "data stays"
    );
    let n = env.sim.data_calls();
    env.ok(&["sync"]);
    assert_eq!(env.sim.data_calls() - n, idle_sync, "daily progress kept");
    let n = env.sim.data_calls();
    env.ok(&["sync-intraday"]);
    assert!(
        env.sim.data_calls() - n > idle_intraday,
        "intraday fetched again"
    );

    let r = env.ok(&["state", "reset", "--daily"]);
    assert!(
        r.stderr.contains("forgot daily progress in "),
        "{}",
        r.stderr
    );
    let after = state_file(&env);
    assert!(keys(&after, "daily").is_empty(), "{after}");
    assert_eq!(after["devices_written"], serde_json::json!({}));
    assert_eq!(keys(&after, "intraday"), keys(&before, "intraday"));
    let n = env.sim.data_calls();
    env.ok(&["sync"]);
    assert!(env.sim.data_calls() - n > idle_sync, "daily fetched again");

    let r = env.ok(&["state", "reset"]);
    assert!(
        r.stderr.contains("forgot daily and intraday progress"),
        "{}",
        r.stderr
    );
    let after = state_file(&env);
    assert!(keys(&after, "daily").is_empty() && keys(&after, "intraday").is_empty());
}

#[test]
fn gaps_state_reset_with_dry_run_forgets_nothing() {
    let env = Env::new(SimConfig::default(), true);
    env.ok(&["sync"]);
    let path = env.data_dir().join("sync_state.json");
    let before = std::fs::read(&path).unwrap();
    let files = names_in(&env.data_dir());
    for (args, what) in [
        (&["--dry-run", "state", "reset"][..], "all"),
        (&["--dry-run", "state", "reset", "--daily"][..], "daily"),
        (
            &["--dry-run", "state", "reset", "--intraday"][..],
            "intraday",
        ),
    ] {
        let r = env.ok(args);
        assert_eq!(
            r.stdout.trim(),
            format!(
                "dry run: would forget {what} progress in {}",
                path.display()
            ),
            "{args:?}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), before, "{args:?}");
    }
    assert_eq!(names_in(&env.data_dir()), files);
}

#[test]
fn gaps_a_state_from_a_newer_syncbit_is_refused_and_never_replaced() {
    let env = Env::new(SimConfig::default(), true);
    let body = r#"{"version": 99, "daily": {}, "something_new": true}"#;
    write_state(&env, body);
    for args in [
        &["sync"][..],
        &["state", "show"],
        &["state", "reset"],
        &["state", "reset", "--daily"],
    ] {
        let r = env.run(args);
        assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
        assert!(
            r.stderr
                .contains("was written by a newer syncbit (format 99); upgrade syncbit"),
            "{args:?}: {}",
            r.stderr
        );
    }
    assert_eq!(
        std::fs::read_to_string(env.data_dir().join("sync_state.json")).unwrap(),
        body
    );
    let names = names_in(&env.data_dir());
    assert!(
        !names.iter().any(|n| n.starts_with("sync_state.json.")),
        "nothing moved aside or backed up: {names:?}"
    );
    assert_eq!(env.sim.data_calls(), 0);
}

#[test]
fn gaps_a_state_that_is_not_a_syncbit_state_names_the_way_out() {
    let env = Env::new(SimConfig::default(), true);
    for (body, why) in [
        ("[1, 2]", "is not a syncbit state file (not a JSON object)"),
        (
            r#"{"version": 2, "daily": "yesterday"}"#,
            "is not a syncbit state file: ",
        ),
    ] {
        write_state(&env, body);
        let r = env.run(&["sync"]);
        assert_eq!(r.code, 1, "{body}: {}", r.stderr);
        assert!(r.stderr.contains(why), "{body}: {}", r.stderr);
        assert!(r.stderr.contains("`syncbit state reset`"), "{}", r.stderr);
        let r = env.run(&["state", "show", "--json"]);
        assert_eq!(r.code, 1, "{body}: {}", r.stderr);
        assert!(r.stdout.is_empty(), "{}", r.stdout);
    }
    assert_eq!(env.sim.data_calls(), 0);
    let r = env.ok(&["state", "reset", "--intraday"]);
    assert!(r.stderr.contains("moved it to "), "{}", r.stderr);
    env.ok(&["sync"]);
    assert!(!env.export("fitbit_steps_total").is_empty());
}

#[test]
fn gaps_a_rate_limit_pause_kept_at_the_top_of_the_state_is_honoured() {
    let env = Env::new(SimConfig::default(), true);
    env.ok(&["sync"]);
    let until = (chrono::Utc::now() + Duration::minutes(30))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut st = state_file(&env);
    st.as_object_mut().unwrap().remove("quota");
    st["rate_limited_until"] = Value::String(until.clone());
    write_state(&env, &st.to_string());
    let shown = env.ok(&["state", "show"]).stdout;
    assert!(
        shown.contains(&format!(
            "rate limit of fitbit-web-api: paused until {until}"
        )),
        "{shown}"
    );
    let n = env.sim.data_calls();
    let r = env.run(&["sync"]);
    assert_eq!(r.code, 75, "{}", r.stderr);
    assert!(r.stderr.contains(&until), "{}", r.stderr);
    assert_eq!(env.sim.data_calls(), n, "no request during the pause");
}

#[test]
fn gaps_a_429_stops_the_run_and_the_next_run_waits_for_the_window() {
    let env = Env::new(
        SimConfig {
            window_secs: Some(900),
            ..Default::default()
        },
        true,
    );
    env.ok(&["sync"]);
    env.ok(&["state", "reset", "--daily"]);
    env.sim.fail_next(1, 429);
    let r = env.run(&["sync"]);
    assert_eq!(r.code, 75, "{}", r.stderr);
    assert!(r.stderr.contains("resume after"), "{}", r.stderr);
    let shown = env.ok(&["state", "show"]).stdout;
    assert!(
        shown.contains("rate limit of fitbit-web-api: paused until "),
        "{shown}"
    );
    let n = env.sim.data_calls();
    let r = env.run(&["sync"]);
    assert_eq!(r.code, 75, "{}", r.stderr);
    assert_eq!(env.sim.data_calls(), n, "no request before the window ends");
}

#[test]
fn gaps_a_token_refused_right_after_its_refresh_asks_to_authorize_again() {
    let env = Env::new(SimConfig::default(), true);
    env.sim.fail_next(2, 401);
    let r = env.run(&["sync"]);
    assert_eq!(r.code, 77, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("refused a freshly refreshed access token")
            && r.stderr.contains("syncbit auth login"),
        "{}",
        r.stderr
    );
    assert_eq!(env.sim.token_calls(), 1, "one refresh, not a loop");
    let t: Value = serde_json::from_str(
        &std::fs::read_to_string(env.data_dir().join("fitbit_tokens.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        t["refresh_token"],
        env.sim.tokens().1,
        "the rotated pair is kept"
    );
}

#[test]
fn gaps_an_unexpected_api_status_is_named_with_its_path() {
    let env = Env::new(SimConfig::default(), true);
    env.sim.fail_next(1, 404);
    let r = env.run(&["sync"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("the Fitbit Web API answered 404 for /1/user/-/"),
        "{}",
        r.stderr
    );
    env.ok(&["sync"]);
}

#[test]
fn gaps_an_unreachable_api_or_token_endpoint_exits_75() {
    let mut env = Env::new(SimConfig::default(), true);
    let base = format!("http://127.0.0.1:{}", closed_port());
    env.set("FITBIT_API_BASE_URL", &base);
    let r = env.run(&["sync"]);
    assert_eq!(r.code, 75, "{}", r.stderr);
    assert!(
        r.stderr
            .contains(&format!("cannot reach the Fitbit Web API at {base}"))
            && r.stderr.contains("connection refused"),
        "{}",
        r.stderr
    );
    env.expire_tokens();
    let tokens = std::fs::read(env.data_dir().join("fitbit_tokens.json")).unwrap();
    let r = env.run(&["sync"]);
    assert_eq!(r.code, 75, "{}", r.stderr);
    assert!(
        r.stderr.contains("cannot reach the Fitbit token endpoint"),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read(env.data_dir().join("fitbit_tokens.json")).unwrap(),
        tokens
    );
    assert!(env.export("fitbit_steps_total").is_empty());
    // what an alert sees: the run's own health metric
    let codes = env.export("syncbit_run_exit_code");
    assert_eq!(codes.len(), 1, "{codes:?}");
    assert_eq!(codes[0].values, [75.0, 75.0]);
}

#[test]
fn gaps_a_forbidden_series_is_skipped_and_the_rest_is_written() {
    let env = Env::new(SimConfig::default(), true);
    env.ok(&["sync"]); // reads the profile once
    env.ok(&["state", "reset"]); // keeps the profile
    env.sim.fail_next(2, 403); // devices.json, then the first job of the backfill
    let r = env.run(&["backfill", "--days", "5"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("without the device's last sync time"),
        "{}",
        r.stderr
    );
    let skipped: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.contains("for this run (turn it off in the configuration"))
        .collect();
    assert_eq!(skipped.len(), 1, "{}", r.stderr);
    assert!(skipped[0].contains("403"), "{}", skipped[0]);
    let key = skipped[0]
        .split("skipping ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .unwrap()
        .to_string();
    let st = state_file(&env);
    let written = keys(&st, "daily");
    assert!(!written.contains(&key), "{key} not done: {written:?}");
    assert!(
        written.len() >= 7,
        "the other families were written: {written:?}"
    );
    // The next run fetches the skipped family.
    env.ok(&["backfill", "--days", "5"]);
    assert!(keys(&state_file(&env), "daily").contains(&key));
}

#[test]
fn gaps_a_profile_refused_with_syncbit_timezone_set_still_syncs() {
    let mut env = Env::new(SimConfig::default(), true);
    env.set("SYNCBIT_TIMEZONE", "Europe/Berlin");
    env.sim.fail_next(1, 403); // the profile
    let r = env.run(&["sync"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("using SYNCBIT_TIMEZONE without the account's first day"),
        "{}",
        r.stderr
    );
    assert_eq!(env.export("fitbit_steps_total").len(), 1);
}

#[test]
fn gaps_a_changed_account_time_zone_is_noticed_and_a_forced_one_warned_about() {
    let mut env = Env::new(SimConfig::default(), true);
    env.ok(&["sync"]);
    // The profile is read again once the cached copy is a day old.
    let mut st = state_file(&env);
    st["profile_checked_at"] = Value::String("2020-01-01T00:00:00Z".into());
    write_state(&env, &st.to_string());
    env.sim.set_timezone("America/New_York");
    let r = env.ok(&["sync"]);
    assert!(
        r.stderr
            .contains("the account's time zone changed from Europe/Berlin to America/New_York"),
        "{}",
        r.stderr
    );
    assert_eq!(state_file(&env)["profile_timezone"], "America/New_York");
    env.set("SYNCBIT_TIMEZONE", "Asia/Tokyo");
    let r = env.ok(&["sync"]);
    assert!(
        r.stderr.contains(
            "SYNCBIT_TIMEZONE=Asia/Tokyo differs from the account's zone America/New_York"
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn gaps_enable_intraday_collection_makes_sync_write_intraday_too() {
    let mut env = Env::new(SimConfig::default(), true);
    env.only_activity_and_heart();
    env.set("INTRADAY_RESOURCES", "steps");
    env.set("ENABLE_INTRADAY_COLLECTION", "true");
    env.ok(&["sync"]);
    assert_eq!(env.export("fitbit_steps_total").len(), 1);
    assert_eq!(env.export("fitbit_steps_intraday").len(), 1);
    assert!(env.export("fitbit_calories_intraday").is_empty());
}

#[test]
fn gaps_secrets_come_from_the_credentials_directory() {
    let env = Env::new(SimConfig::default(), true);
    let creds = tempfile::tempdir().unwrap();
    // lower-case name (as in /run/secrets) and the variable's own name, trailing newlines
    std::fs::write(
        creds.path().join("fitbit_client_secret"),
        format!("{CLIENT_SECRET}\n"),
    )
    .unwrap();
    std::fs::write(
        creds.path().join("VICTORIA_ENDPOINT"),
        format!("{}\n", env.vm.url()),
    )
    .unwrap();
    let r = run(env
        .cmd(&["sync"])
        .env_remove("FITBIT_CLIENT_SECRET")
        .env_remove("VICTORIA_ENDPOINT")
        .env("CREDENTIALS_DIRECTORY", creds.path()));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(env.export("fitbit_steps_total").len(), 1);
}

#[test]
fn gaps_state_directory_of_systemd_is_the_data_dir() {
    let env = Env::new(SimConfig::default(), true);
    let r = run(env.cmd(&["state", "show"]).env_remove("DATA_DIR").env(
        "STATE_DIRECTORY",
        format!("{}:/var/lib/other", env.data_dir().display()),
    ));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.starts_with(&format!(
            "state file: {}/sync_state.json\n",
            env.data_dir().display()
        )),
        "{}",
        r.stdout
    );
}

#[test]
fn gaps_every_configuration_problem_is_named_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    // Without any client configured the source is the Google Health API.
    let r = run(syncbit().arg("sync").env("DATA_DIR", dir.path()));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET not set"),
        "{}",
        r.stderr
    );
    // It points to the setup of the live source, not to the one that was shut down.
    assert!(
        r.stderr.contains("Getting your data today") && !r.stderr.contains("fitbit-web-api"),
        "{}",
        r.stderr
    );
    let r = run(syncbit()
        .arg("sync")
        .env("DATA_DIR", dir.path())
        .env("SYNCBIT_SOURCE", "fitbit-web-api"));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("FITBIT_CLIENT_ID and FITBIT_CLIENT_SECRET not set"),
        "{}",
        r.stderr
    );
    let r = run(syncbit()
        .arg("sync")
        .env("DATA_DIR", dir.path())
        .env("SYNCBIT_SOURCE", "fitbit"));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("SYNCBIT_SOURCE=\"fitbit\" is not valid"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("VICTORIA_ENDPOINT is not set"),
        "{}",
        r.stderr
    );

    let r = run(syncbit()
        .arg("sync")
        .env("DATA_DIR", dir.path())
        .env("FITBIT_CLIENT_ID", CLIENT_ID)
        .env("FITBIT_CLIENT_SECRET", CLIENT_SECRET)
        .env("VICTORIA_ENDPOINT", "http://127.0.0.1:9")
        .env("VICTORIA_USER", "bob")
        .env("COLLECT_SLEEP", "maybe")
        .env("INTRADAY_BACKFILL_DAYS", "0")
        .env("INTRADAY_RESOURCES", "steps,pulse")
        .env("INTRADAY_HEART_RATE_DETAIL", "2sec")
        .env("FITBIT_API_BASE_URL", "ftp://example.org")
        .env("LOG_LEVEL", "chatty"));
    assert_eq!(r.code, 2, "{}", r.stderr);
    for want in [
        "VICTORIA_USER and VICTORIA_PASSWORD must be set together",
        "COLLECT_SLEEP",
        "true or false (also 1/0, yes/no, on/off)",
        "INTRADAY_BACKFILL_DAYS",
        "a whole number of days, 1 to 3650",
        "INTRADAY_RESOURCES",
        "a comma list of steps, calories, distance, elevation, floors, heart_rate",
        "INTRADAY_HEART_RATE_DETAIL",
        "1sec, 1min, 5min, 15min",
        "FITBIT_API_BASE_URL",
        "an http:// or https:// URL",
        "LOG_LEVEL",
        "DEBUG, INFO, WARNING, ERROR",
    ] {
        assert!(r.stderr.contains(want), "{want}:\n{}", r.stderr);
    }
    assert!(names_in(dir.path()).is_empty(), "nothing written");
}

#[test]
fn gaps_log_level_sets_how_much_a_good_run_says() {
    let mut env = Env::new(SimConfig::default(), true);
    env.set("SYNC_INTERVAL_MINUTES", "15");
    let r = env.ok(&["sync"]);
    assert!(!r.stderr.is_empty(), "INFO by default");
    assert!(!r.stderr.contains("GET /1/user"), "{}", r.stderr);
    for level in ["WARNING", "error"] {
        let r = run(env.cmd(&["sync"]).env("LOG_LEVEL", level));
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(r.stderr, "", "LOG_LEVEL={level}");
    }
    let r = run(env.cmd(&["sync"]).env("LOG_LEVEL", "debug"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("GET /1/user/-/devices.json"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("SYNC_INTERVAL_MINUTES=15 is ignored"),
        "{}",
        r.stderr
    );
    // -q wins over LOG_LEVEL
    let r = run(env.cmd(&["-q", "sync"]).env("LOG_LEVEL", "DEBUG"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stderr, "");
}

#[test]
fn gaps_a_data_dir_that_cannot_be_created_is_named() {
    let env = Env::new(SimConfig::default(), true);
    let file = env.data_dir().join("a-file");
    std::fs::write(&file, "").unwrap();
    let bad = file.join("state");
    for args in [&["sync"][..], &["state", "reset"]] {
        let r = run(env.cmd(args).env("DATA_DIR", &bad));
        assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.contains(&format!(
                "cannot create the data directory {}",
                bad.display()
            )) && r.stderr.contains("set DATA_DIR or --data-dir"),
            "{args:?}: {}",
            r.stderr
        );
    }
    assert_eq!(env.sim.data_calls() + env.sim.token_calls(), 0);
}

#[test]
fn gaps_backfill_refuses_windows_that_are_not_in_the_past() {
    let mut env = Env::new(SimConfig::default(), true);
    let future = (chrono::Utc::now() + Duration::days(5)).date_naive();
    let future_s = future.to_string();
    for (args, want) in [
        (
            vec!["backfill", "--from", "2020-01-10", "--to", "2020-01-01"],
            "--from 2020-01-10 is after --to 2020-01-01".to_string(),
        ),
        (
            vec!["backfill", "--from", future_s.as_str()],
            format!("--from {future} is not in the past; backfill covers days before today"),
        ),
    ] {
        let r = env.run(&args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(&want), "{args:?}: {}", r.stderr);
    }
    env.set("BACKFILL_START_DATE", &future.to_string());
    let r = env.run(&["backfill"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains(&format!("BACKFILL_START_DATE={future} is not in the past")),
        "{}",
        r.stderr
    );
    assert_eq!(env.sim.data_calls() + env.sim.token_calls(), 0);
}

#[test]
fn gaps_backfill_plan_before_any_sync_says_the_window_is_a_guess() {
    let env = Env::new(SimConfig::default(), true);
    let r = env.ok(&["backfill", "--plan"]);
    assert!(
        r.stdout
            .contains("note: the account's first day is not known until a run reads the profile"),
        "{}",
        r.stdout
    );
    assert_eq!(env.sim.data_calls(), 0);
    env.ok(&["sync"]);
    let r = env.ok(&["backfill", "--plan"]);
    assert!(!r.stdout.contains("note:"), "{}", r.stdout);
}

#[test]
fn gaps_a_spool_that_cannot_be_pushed_yet_stops_before_any_request() {
    let mut env = Env::new(SimConfig::default(), true);
    env.vm.stop();
    assert_eq!(env.run(&["sync"]).code, 1);
    let n = env.sim.data_calls();
    let r = env.run(&["sync"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let spool = env.data_dir().join("spool");
    assert!(
        r.stderr.contains(&format!(
            "the fetched data waits in {} and the next run writes it",
            spool.display()
        )),
        "{}",
        r.stderr
    );
    assert_eq!(env.sim.data_calls(), n, "nothing fetched twice");
    env.vm.restart();
    env.ok(&["sync"]);
    assert_eq!(env.export("fitbit_steps_total").len(), 1);
    assert!(names_in(&spool).is_empty());
}

#[test]
fn gaps_an_unreadable_spool_file_is_reported_and_dropped() {
    let env = Env::new(SimConfig::default(), true);
    let spool = env.data_dir().join("spool");
    std::fs::create_dir_all(&spool).unwrap();
    let bad = spool.join("00000000T000000Z-0001.json");
    std::fs::write(&bad, "{\"records\": [").unwrap();
    let shown = env.ok(&["state", "show"]).stdout;
    assert!(!shown.contains("waiting in"), "{shown}");
    let r = env.ok(&["sync"]);
    assert!(
        r.stderr.contains(&format!(
            "ignoring unreadable journal file {}",
            bad.display()
        )),
        "{}",
        r.stderr
    );
    assert!(!bad.exists());
    assert_eq!(env.export("fitbit_steps_total").len(), 1);
}

#[test]
fn gaps_damaged_or_foreign_token_files() {
    let env = Env::new(SimConfig::default(), true);
    let path = env.data_dir().join("fitbit_tokens.json");
    let good = std::fs::read_to_string(&path).unwrap();
    // A damaged file with a good backup: the backup is used.
    std::fs::write(env.data_dir().join("fitbit_tokens.json.bak"), &good).unwrap();
    std::fs::write(&path, "{\"access_token\": ").unwrap();
    let r = env.ok(&["sync"]);
    assert!(
        r.stderr.contains("is unreadable (") && r.stderr.contains("using the backup"),
        "{}",
        r.stderr
    );
    assert_eq!(env.export("fitbit_steps_total").len(), 1);
    std::fs::remove_file(env.data_dir().join("fitbit_tokens.json.bak")).unwrap();
    // Tokens of another provider, or an empty token: authorize again.
    let mut foreign: Value = serde_json::from_str(&good).unwrap();
    foreign["provider"] = Value::String("google-health".into());
    std::fs::write(&path, foreign.to_string()).unwrap();
    let r = env.run(&["sync"]);
    assert_eq!(r.code, 77, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("holds tokens of provider \"google-health\", not \"fitbit\""),
        "{}",
        r.stderr
    );
    let mut empty: Value = serde_json::from_str(&good).unwrap();
    empty["access_token"] = Value::String(String::new());
    std::fs::write(&path, empty.to_string()).unwrap();
    let r = env.run(&["sync"]);
    assert_eq!(r.code, 77, "{}", r.stderr);
    assert!(r.stderr.contains("has an empty token"), "{}", r.stderr);
    assert!(r.stderr.contains("syncbit auth login"), "{}", r.stderr);
}

#[test]
fn gaps_auth_status_of_an_expired_token_and_check_refreshes_it() {
    let env = Env::new(SimConfig::default(), true);
    env.expire_tokens();
    let r = env.ok(&["auth", "status"]);
    assert!(
        r.stdout.contains("access token expired ")
            && r.stdout.contains("the next run refreshes it"),
        "{}",
        r.stdout
    );
    assert_eq!(env.sim.token_calls(), 0, "status alone asks nobody");
    let r = env.ok(&["auth", "status", "--check"]);
    assert!(
        r.stdout
            .contains("check:      ok (profile time zone Europe/Berlin)"),
        "{}",
        r.stdout
    );
    assert_eq!(env.sim.token_calls(), 1);
    let r = env.ok(&["auth", "status"]);
    assert!(!r.stdout.contains("expired"), "{}", r.stdout);
}

#[test]
fn gaps_logout_without_tokens_or_with_a_refused_revocation() {
    let env = Env::new(SimConfig::default(), true);
    let path = env.data_dir().join("fitbit_tokens.json");
    let bak = env.data_dir().join("fitbit_tokens.json.bak");
    // Fitbit refuses the revocation (wrong client secret): the local tokens go anyway.
    std::fs::copy(&path, &bak).unwrap();
    let r = run(env
        .cmd(&["auth", "logout"])
        .env("FITBIT_CLIENT_SECRET", "not-the-secret"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("Fitbit answered 401 to the revocation; removing the local tokens anyway"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("Logged out: "), "{}", r.stderr);
    assert!(!path.exists() && !bak.exists());
    assert_eq!(env.sim.revocations(), 0);
    // Nothing to revoke: a leftover backup is removed, nobody is asked.
    std::fs::write(&bak, "{}").unwrap();
    let calls = env.sim.token_calls();
    let r = env.ok(&["auth", "logout"]);
    assert!(
        r.stderr.contains(&format!(
            "Not logged in: no token file at {}",
            path.display()
        )),
        "{}",
        r.stderr
    );
    assert!(!bak.exists());
    assert_eq!(env.sim.token_calls(), calls);
}

/// `auth login --no-browser` with `pasted` as the answer (built from the redirect the simulator
/// sends); returns the run.
fn login_pasting(env: &Env, pasted: impl Fn(&str) -> String) -> Run {
    let mut child = env
        .cmd(&["auth", "login", "--no-browser"])
        .env(
            "FITBIT_AUTH_URL",
            format!("{}/oauth2/authorize", env.sim.base_url()),
        )
        .stdin(Stdio::piped())
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
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{}", pasted(&location)).unwrap();
    drop(stdin);
    let o = child.wait_with_output().unwrap();
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::new(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

#[test]
fn gaps_login_refuses_a_pasted_address_without_code_or_with_a_wrong_one() {
    let env = Env::new(SimConfig::default(), true);
    let tokens = env.data_dir().join("fitbit_tokens.json");
    std::fs::remove_file(&tokens).unwrap();
    let r = login_pasting(&env, |l| {
        let state = l.split("state=").nth(1).unwrap().split('&').next().unwrap();
        format!("http://localhost:8080/callback?state={state}")
    });
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("no authorization code found in what was pasted"),
        "{}",
        r.stderr
    );
    assert_eq!(env.sim.token_calls(), 0);
    let r = login_pasting(&env, |l| l.replace("code=", "code=wrong"));
    assert_eq!(r.code, 77, "{}", r.stderr);
    assert!(
        r.stderr.contains("Fitbit refused the authorization code"),
        "{}",
        r.stderr
    );
    assert!(!tokens.exists());
}

#[test]
fn gaps_login_without_a_usable_loopback_redirect() {
    let env = Env::new(SimConfig::default(), true);
    let login = |redirect: &str, extra: &[&str]| {
        run(env
            .cmd(&[&["auth", "login"][..], extra].concat())
            .env("FITBIT_REDIRECT_URI", redirect)
            .stdin(Stdio::null()))
    };
    let r = login("https://syncbit.example.org/callback", &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("is not on this machine's loopback") && r.stderr.contains("--no-browser"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty(), "no address printed: {}", r.stdout);
    // The port is taken by something else.
    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = held.local_addr().unwrap().port();
    let r = login(&format!("http://127.0.0.1:{port}/callback"), &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!(
            "cannot listen on 127.0.0.1:{port} for the redirect"
        )) && r.stderr.contains("free the port or use --no-browser"),
        "{}",
        r.stderr
    );
    drop(held);
    // Nobody comes back within the timeout.
    let port = closed_port();
    let r = login(
        &format!("http://127.0.0.1:{port}/callback"),
        &["--timeout", "1"],
    );
    assert_eq!(r.code, 75, "{}", r.stderr);
    assert!(
        r.stderr.contains("no authorization arrived within 1 s"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.contains("/oauth2/authorize?"), "{}", r.stdout);
    assert_eq!(env.sim.token_calls(), 0);
}
