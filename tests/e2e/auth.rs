//! Authorization and token safety: `auth login/status/logout`, one run at a time, single-flight
//! refresh, crash safety, secrets never printed.

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::time::Duration;

use crate::harness::Env;
use crate::support::sim::{CLIENT_SECRET, SimConfig};

fn token_file(env: &Env) -> serde_json::Value {
    let text = std::fs::read_to_string(env.data_dir().join("fitbit_tokens.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Starts `auth login` with `args` against the simulator's authorize endpoint; returns the
/// child and the authorization URL it printed.
fn start_login(env: &Env, args: &[&str], extra: &[(&str, &str)]) -> (std::process::Child, String) {
    let mut cmd = env.cmd(&[&["auth", "login"], args].concat());
    cmd.env(
        "FITBIT_AUTH_URL",
        format!("{}/oauth2/authorize", env.sim.base_url()),
    );
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let mut child = cmd
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

/// Runs `auth login --no-browser`, follows the authorize URL at the simulator, lets `tamper`
/// change the redirect, pastes it back; returns (exit code, stderr).
fn login(env: &Env, tamper: impl Fn(String) -> String) -> (i32, String) {
    let (mut child, url) = start_login(env, &["--no-browser"], &[]);
    assert!(url.contains("code_challenge_method=S256"), "{url}");
    assert!(url.contains("scope=activity"), "{url}");
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let resp = agent.get(url.trim()).call().unwrap();
    assert_eq!(resp.status(), 302);
    let location = resp.header("Location").unwrap().to_string();
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
fn login_no_browser_ends_with_working_tokens() {
    let env = Env::new(SimConfig::default(), true);
    std::fs::remove_file(env.data_dir().join("fitbit_tokens.json")).unwrap();
    env.sim.deny_scopes(&["oxygen_saturation"]);
    let (code, err) = login(&env, |l| l);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("oxygen_saturation"), "{err}");
    assert!(err.contains("fitbit_spo2"), "{err}");
    let t = token_file(&env);
    assert_eq!(t["refresh_token"], env.sim.tokens().1);
    assert_eq!(t["user_id"], "SIMUSR");
    assert_eq!(t["provider"], "fitbit");
    env.ok(&["sync"]);
    let r = env.ok(&["auth", "status", "--check"]);
    assert!(r.stdout.contains("SIMUSR"), "{}", r.stdout);
    assert!(r.stdout.contains("check:      ok"), "{}", r.stdout);
}

#[test]
fn login_refuses_a_wrong_state() {
    let env = Env::new(SimConfig::default(), true);
    std::fs::remove_file(env.data_dir().join("fitbit_tokens.json")).unwrap();
    let (code, err) = login(&env, |l| l.replace("state=", "state=forged"));
    assert_eq!(code, 77, "{err}");
    assert!(err.contains("state"), "{err}");
    assert!(!env.data_dir().join("fitbit_tokens.json").exists());
}

#[test]
fn status_without_tokens_exits_77_and_logout_revokes() {
    let env = Env::new(SimConfig::default(), true);
    env.ok(&["auth", "logout"]);
    assert_eq!(env.sim.revocations(), 1);
    assert!(!env.data_dir().join("fitbit_tokens.json").exists());
    let r = env.run(&["auth", "status"]);
    assert_eq!(r.code, 77, "{}", r.stderr);
    assert!(r.stderr.contains("syncbit auth login"), "{}", r.stderr);
    let r = env.run(&["sync"]);
    assert_eq!(r.code, 77, "{}", r.stderr);
}

#[test]
fn two_runs_with_an_expired_token_refresh_once() {
    let mut env = Env::new(SimConfig::default(), true);
    env.set("INTRADAY_RESOURCES", "steps");
    env.expire_tokens();
    let a = env
        .cmd(&["sync-intraday"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(50));
    let b = env
        .cmd(&["sync-intraday"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    assert_eq!(env.sim.token_calls(), 1);
    assert_eq!(token_file(&env)["refresh_token"], env.sim.tokens().1);
}

#[test]
fn second_run_waits_then_gives_up_naming_the_holder() {
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
    assert!(
        r.stderr.contains("another syncbit run (pid 4242) holds"),
        "{}",
        r.stderr
    );
    assert_eq!(env.sim.data_calls(), 0);
}

#[test]
fn sigkill_at_twenty_points_never_corrupts_tokens_or_state() {
    let mut env = Env::new(SimConfig::default(), true);
    env.set("INTRADAY_RESOURCES", "steps,heart_rate");
    env.set("INTRADAY_DETAIL_LEVEL", "1min");
    let path = env.data_dir().join("fitbit_tokens.json");
    for i in 0..20u64 {
        // An expired token each time, so that the refresh is one of the points hit.
        if i % 2 == 0 {
            let mut t = token_file(&env);
            t["expires_at"] = "2020-01-01T00:00:00".into();
            std::fs::write(&path, t.to_string()).unwrap();
        }
        let args: &[&str] = if i % 3 == 0 {
            &["sync-intraday"]
        } else {
            &["backfill", "--intraday", "--days", "2"]
        };
        let mut child = env.cmd(args).stderr(Stdio::null()).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(3 + i * 9));
        let _ = child.kill();
        let _ = child.wait();
        token_file(&env); // valid JSON
        if let Ok(s) = std::fs::read_to_string(env.data_dir().join("sync_state.json")) {
            serde_json::from_str::<serde_json::Value>(&s).unwrap();
        }
    }
    let r = env.run(&["backfill", "--intraday", "--days", "2"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    env.ok(&["sync-intraday"]);
}

#[test]
fn killed_while_the_new_tokens_are_on_their_way_recovers_without_reauthorization() {
    let env = Env::new(SimConfig::default(), true);
    env.expire_tokens();
    env.sim.delay_token_answer(1500);
    let mut child = env.cmd(&["sync"]).stderr(Stdio::null()).spawn().unwrap();
    // Wait until the refresh reached the simulator (it has rotated the pair), then kill.
    for _ in 0..200 {
        if env.sim.token_calls() == 1 {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(env.sim.token_calls(), 1);
    child.kill().unwrap();
    child.wait().unwrap();
    env.sim.delay_token_answer(0);
    // The file still holds the old pair; Fitbit's retry grace answers the same refresh again.
    let r = env.run(&["sync"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(token_file(&env)["refresh_token"], env.sim.tokens().1);
}

#[test]
fn very_verbose_output_holds_no_secret() {
    let env = Env::new(SimConfig::default(), true);
    env.expire_tokens();
    let (old_at, old_rt) = env.sim.tokens();
    let mut out = String::new();
    for args in [
        &["-vv", "sync"][..],
        &["-vv", "sync-intraday"],
        &["-vv", "auth", "status", "--check"],
        &["-vv", "--dry-run", "sync"],
    ] {
        let r = env.ok(args);
        out += &r.stdout;
        out += &r.stderr;
    }
    env.sim.revoke_refresh_token();
    env.sim.expire_access_token();
    let r = env.run(&["-vv", "sync"]);
    out += &r.stdout;
    out += &r.stderr;
    let (at, rt) = env.sim.tokens();
    assert!(
        out.contains("GET /1/user/-/devices.json"),
        "-vv shows requests"
    );
    for secret in [old_at.as_str(), old_rt.as_str(), &at, &rt, CLIENT_SECRET] {
        assert!(!out.contains(secret), "{secret} leaked:\n{out}");
    }
}

#[test]
fn login_listening_on_the_loopback_redirect_ignores_foreign_redirects() {
    let env = Env::new(SimConfig::default(), true);
    std::fs::remove_file(env.data_dir().join("fitbit_tokens.json")).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let redirect = format!("http://127.0.0.1:{port}/callback");
    let (child, url) = start_login(
        &env,
        &["--timeout", "20"],
        &[("FITBIT_REDIRECT_URI", redirect.as_str())],
    );
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let location = agent
        .get(url.trim())
        .call()
        .unwrap()
        .header("Location")
        .unwrap()
        .to_string();
    assert!(location.starts_with(&redirect), "{location}");
    // A stale or forged redirect is refused and the login keeps waiting.
    let forged = format!("{redirect}?code=x&state=not-this-login");
    match agent.get(&forged).call() {
        Err(ureq::Error::Status(400, _)) => {}
        other => panic!("forged redirect answered {other:?}"),
    }
    let ok = agent.get(location.trim_end_matches("#_=_")).call().unwrap();
    assert_eq!(ok.status(), 200);
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert_eq!(token_file(&env)["refresh_token"], env.sim.tokens().1);
}

#[test]
fn login_with_nothing_pasted_exits_2_without_a_token_request() {
    let env = Env::new(SimConfig::default(), true);
    let (mut child, _) = start_login(&env, &["--no-browser"], &[]);
    drop(child.stdin.take()); // nothing pasted
    let r = child.wait_with_output().unwrap();
    assert_eq!(
        r.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    assert_eq!(env.sim.token_calls(), 0);
}
