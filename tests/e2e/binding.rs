//! Account binding: a data directory belongs to the account of its first successful run; the
//! tokens of another account write nothing, and `auth login` into it refuses unless `--rebind`.
//! Google Health API simulator, real binary, real VictoriaMetrics.

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;

use crate::harness::GEnv;
use crate::support::google_sim::{GoogleSimConfig, HEALTH_USER_ID, LEGACY_USER_ID};

const OTHER: &str = "4400000000000000042";

fn env() -> GEnv {
    let mut env = GEnv::new(
        GoogleSimConfig {
            timezone: "Europe/Berlin".into(),
            ..Default::default()
        },
        false,
    );
    env.only_activity_and_heart();
    env.set("INTRADAY_RESOURCES", "steps");
    env
}

fn state(env: &GEnv) -> serde_json::Value {
    let p = env.data_dir().join("sync_state.json");
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

fn write_state(env: &GEnv, v: &serde_json::Value) {
    std::fs::write(
        env.data_dir().join("sync_state.json"),
        serde_json::to_vec_pretty(v).unwrap(),
    )
    .unwrap();
}

/// Every file of the data directory with its contents (the spool and lock included).
fn snapshot(env: &GEnv) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for e in walk(&env.data_dir()) {
        let name = e
            .strip_prefix(env.data_dir())
            .unwrap()
            .display()
            .to_string();
        if name.ends_with(".lock") {
            continue;
        }
        out.push((name, std::fs::read(&e).unwrap()));
    }
    out.sort();
    out
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Data samples in VictoriaMetrics (a failed run's own `syncbit_*` health metrics, which say
/// it exited 77, are not data).
fn samples(env: &GEnv) -> usize {
    env.export_all()
        .iter()
        .filter(|s| s.name().starts_with("fitbit_"))
        .map(|s| s.values.len())
        .sum()
}

#[test]
fn the_first_run_binds_and_keeps_the_id_with_the_tokens() {
    let env = env();
    env.ok(&["sync"]);
    let st = state(&env);
    assert_eq!(st["account_id"], HEALTH_USER_ID);
    assert_eq!(st["account_id_source"], "google-health");
    // The token file of the simulator lacked the id: the run asked `identity` once and wrote
    // it in, so the next runs check without a request.
    let t = env.tokens();
    assert_eq!(t["health_user_id"], HEALTH_USER_ID);
    assert_eq!(t["legacy_user_id"], LEGACY_USER_ID);
    let before = env.sim.data_requests().len();
    env.ok(&["sync-intraday"]);
    let identity = env.sim.data_requests()[before..]
        .iter()
        .filter(|r| r.path_and_query.contains("/identity"))
        .count();
    assert_eq!(identity, 0);
}

#[test]
fn tokens_of_another_account_exit_77_naming_both_and_write_nothing() {
    let env = env();
    env.ok(&["sync"]);
    let n = samples(&env);
    assert!(n > 0);
    // Account B's tokens, carrying B's id (as `auth login` writes them): no request at all.
    let mut t = env.tokens();
    t["health_user_id"] = OTHER.into();
    t["legacy_user_id"] = "OTHERX".into();
    std::fs::write(env.token_path(), serde_json::to_vec_pretty(&t).unwrap()).unwrap();
    let before = snapshot(&env);
    let calls = env.sim.data_calls();
    for cmd in [
        &["sync"][..],
        &["sync-intraday"],
        &["backfill", "--days", "3"],
    ] {
        let r = env.run(cmd);
        assert_eq!(r.code, 77, "{cmd:?}: {}", r.stderr);
        assert!(r.stderr.contains(OTHER), "{}", r.stderr);
        assert!(r.stderr.contains(HEALTH_USER_ID), "{}", r.stderr);
        assert!(r.stderr.contains("--rebind"), "{}", r.stderr);
        assert!(r.stderr.lines().count() <= 3, "{}", r.stderr);
    }
    assert_eq!(env.sim.data_calls(), calls, "requests made with B's tokens");
    assert_eq!(snapshot(&env), before, "the data directory changed");
    assert_eq!(samples(&env), n);

    // A token file without the id (another tool's): one `identity` request tells, and still
    // nothing is written, the token file included.
    let t = serde_json::from_str::<serde_json::Value>(&env.sim.token_json(false)).unwrap();
    std::fs::write(env.token_path(), serde_json::to_vec_pretty(&t).unwrap()).unwrap();
    let mut st = state(&env);
    st["account_id"] = OTHER.into();
    write_state(&env, &st);
    let before = snapshot(&env);
    let r = env.run(&["sync"]);
    assert_eq!(r.code, 77, "{}", r.stderr);
    assert!(
        r.stderr.contains(OTHER) && r.stderr.contains(HEALTH_USER_ID),
        "{}",
        r.stderr
    );
    assert_eq!(snapshot(&env), before);
    assert_eq!(samples(&env), n);
}

#[test]
fn a_state_from_before_bindings_binds_on_its_next_run_and_keeps_its_progress() {
    let env = env();
    env.ok(&["sync"]);
    let mut st = state(&env);
    let book = st["sources"]["google-health"].clone();
    st.as_object_mut().unwrap().remove("account_id");
    st.as_object_mut().unwrap().remove("account_id_source");
    write_state(&env, &st);
    std::fs::write(env.token_path(), env.sim.token_json(false)).unwrap();
    env.ok(&["sync"]);
    let st = state(&env);
    assert_eq!(st["account_id"], HEALTH_USER_ID);
    assert_eq!(st["sources"]["google-health"]["daily"], book["daily"]);
}

#[test]
fn a_fitbit_binding_carries_over_to_the_google_source_through_the_legacy_id() {
    let env = env();
    write_state(
        &env,
        &serde_json::json!({"version": 3, "account_id": LEGACY_USER_ID, "account_id_source": "fitbit-web-api"}),
    );
    env.ok(&["sync"]);
    let st = state(&env);
    assert_eq!(st["account_id"], HEALTH_USER_ID);
    assert_eq!(st["account_id_source"], "google-health");

    write_state(
        &env,
        &serde_json::json!({"version": 3, "account_id": "NOTME1", "account_id_source": "fitbit-web-api"}),
    );
    let r = env.run(&["sync"]);
    assert_eq!(r.code, 77, "{}", r.stderr);
    assert!(r.stderr.contains("NOTME1"), "{}", r.stderr);
}

/// `auth login --no-browser` with `args`, following the simulator's consent; (exit, stderr).
fn login(env: &GEnv, args: &[&str]) -> (i32, String) {
    let mut child = env
        .cmd(&[&["auth", "login", "--no-browser"], args].concat())
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
    let resp = agent.get(url.trim()).call().unwrap();
    let location = resp.header("Location").unwrap().to_string();
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{location}").unwrap();
    drop(stdin);
    let o = child.wait_with_output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn login_into_a_directory_of_another_account_refuses_unless_rebind() {
    let env = env();
    env.ok(&["sync"]);
    let mut st = state(&env);
    st["account_id"] = OTHER.into();
    write_state(&env, &st);
    let before = snapshot(&env);
    let (code, err) = login(&env, &[]);
    assert_eq!(code, 77, "{err}");
    assert!(
        err.contains(OTHER) && err.contains(HEALTH_USER_ID) && err.contains("--rebind"),
        "{err}"
    );
    assert_eq!(
        snapshot(&env),
        before,
        "a refused login changed the directory"
    );

    let (code, err) = login(&env, &["--rebind"]);
    assert_eq!(code, 0, "{err}");
    let st = state(&env);
    assert!(st.get("account_id").is_none(), "{st}");
    assert!(st.get("sources").is_none(), "{st}");
    assert!(st.get("profile_timezone").is_none(), "{st}");
    assert!(!env.data_dir().join("sync_state.json.bak").exists());
    assert_eq!(env.tokens()["health_user_id"], HEALTH_USER_ID);
    // The next run binds to the new account, with the id the login kept: no identity call.
    let before = env.sim.data_requests().len();
    env.ok(&["sync"]);
    assert_eq!(state(&env)["account_id"], HEALTH_USER_ID);
    let identity = env.sim.data_requests()[before..]
        .iter()
        .filter(|r| r.path_and_query.contains("/identity"))
        .count();
    assert_eq!(identity, 0);

    // The same account again: no --rebind needed, nothing forgotten.
    let book = state(&env)["sources"].clone();
    let (code, err) = login(&env, &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(state(&env)["sources"], book);
}
