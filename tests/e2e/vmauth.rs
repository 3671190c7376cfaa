//! Write access that cannot cross people: a real vmauth in front of a real VictoriaMetrics,
//! each person's credentials forcing their `user` label, a read-only user for Grafana, and
//! refused credentials that are never printed. The Google Health API simulator is the writer.

use base64::Engine as _;

use crate::harness::GEnv;
use crate::support::google_sim::GoogleSimConfig;
use crate::support::vm::Vm;
use crate::support::vmproxy::Vmauth;

const ALICE_PASSWORD: &str = "alice-S3cret-pass";
const WRONG_PASSWORD: &str = "not-alices-Pa55word";

/// The documented setup (README "Several people, one VictoriaMetrics"): one `url_map` entry
/// per person, only the import path, `extra_label` forcing the label; Grafana reads only.
fn config(vm: &Vm) -> String {
    let vm = vm.url();
    format!(
        r#"users:
- username: alice
  password: {ALICE_PASSWORD}
  url_map:
  - src_paths: ["/api/v1/import/prometheus"]
    url_prefix: "{vm}?extra_label=user=alice"
- username: bob
  password: bob-pass-123456
  url_map:
  - src_paths: ["/api/v1/import/prometheus"]
    url_prefix: "{vm}?extra_label=user=bob"
- username: grafana
  password: grafana-read-only
  url_map:
  - src_paths: ["/api/v1/query", "/api/v1/query_range", "/api/v1/export", "/api/v1/series", "/api/v1/labels", "/api/v1/label/[^/]+/values"]
    url_prefix: "{vm}"
"#
    )
}

fn env() -> (GEnv, Vmauth) {
    let mut env = GEnv::new(
        GoogleSimConfig {
            timezone: "Europe/Berlin".into(),
            ..Default::default()
        },
        false,
    );
    env.only_activity_and_heart();
    env.set("INTRADAY_RESOURCES", "steps,heart_rate");
    let auth = Vmauth::start(&config(&env.vm));
    // A label of someone else: the credentials must win.
    env.user = "bob".into();
    env.set("VICTORIA_ENDPOINT", &auth.url());
    env.set("VICTORIA_USER", "alice");
    (env, auth)
}

fn data_users(env: &GEnv) -> Vec<(String, String, usize)> {
    env.export_all()
        .into_iter()
        .filter(|s| s.name().starts_with("fitbit_"))
        .map(|s| {
            (
                s.name().to_string(),
                s.labels.get("user").cloned().unwrap_or_default(),
                s.values.len(),
            )
        })
        .collect()
}

#[test]
fn a_persons_credentials_write_under_their_own_label_whatever_fitbit_user_id_says() {
    let (mut env, _auth) = env();
    env.set("VICTORIA_PASSWORD", ALICE_PASSWORD);
    env.ok(&["sync"]);
    env.ok(&["sync-intraday"]);
    let series = data_users(&env);
    assert!(
        series.iter().any(|(n, _, _)| n == "fitbit_steps_total"),
        "{series:?}"
    );
    assert!(series.iter().any(|(n, _, _)| n.ends_with("_intraday")));
    for (name, user, _) in &series {
        assert_eq!(user, "alice", "{name} carries user={user}");
    }
}

#[test]
fn a_wrong_password_exits_1_redacted_marks_nothing_done_and_the_right_one_completes() {
    let (mut env, _auth) = env();
    env.set("VICTORIA_PASSWORD", ALICE_PASSWORD);
    env.ok(&["sync"]);
    let state = env.data_dir().join("sync_state.json");
    let before = std::fs::read(&state).unwrap();
    let written = data_users(&env);

    // Later settings win over earlier ones (the last `env` of a variable counts).
    env.set("VICTORIA_PASSWORD", WRONG_PASSWORD);
    let r = env.run(&["sync-intraday"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("400"), "{}", r.stderr);
    assert!(
        r.stderr.contains("cannot find the provided auth token"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("VICTORIA_PASSWORD"), "{}", r.stderr);
    let token = base64::engine::general_purpose::STANDARD.encode(format!("alice:{WRONG_PASSWORD}"));
    for out in [&r.stdout, &r.stderr] {
        assert!(!out.contains(WRONG_PASSWORD), "{out}");
        assert!(!out.contains(&token), "{out}");
        assert!(!out.contains("Basic "), "{out}");
    }
    assert_eq!(
        std::fs::read(&state).unwrap(),
        before,
        "progress was recorded"
    );
    assert_eq!(data_users(&env), written);

    // The right password: the batch waiting in the journal and the rest arrive, as alice.
    env.set("VICTORIA_PASSWORD", ALICE_PASSWORD);
    env.ok(&["sync-intraday"]);
    let series = data_users(&env);
    assert!(
        series
            .iter()
            .any(|(n, _, c)| n == "fitbit_heart_rate_intraday" && *c > 0)
    );
    assert!(series.iter().all(|(_, u, _)| u == "alice"), "{series:?}");
    assert!(
        !env.data_dir().join("spool").exists()
            || std::fs::read_dir(env.data_dir().join("spool"))
                .unwrap()
                .next()
                .is_none()
    );
}

#[test]
fn the_read_only_user_reads_but_cannot_write() {
    let (mut env, auth) = env();
    env.set("VICTORIA_PASSWORD", ALICE_PASSWORD);
    env.ok(&["sync"]);

    env.set("VICTORIA_USER", "grafana");
    env.set("VICTORIA_PASSWORD", "grafana-read-only");
    let r = env.run(&["sync-intraday"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("400"), "{}", r.stderr);
    assert!(!r.stderr.contains("grafana-read-only"), "{}", r.stderr);

    let agent = ureq::AgentBuilder::new().build();
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("grafana:grafana-read-only")
    );
    for path in [
        "/api/v1/import/prometheus",
        "/api/v1/import",
        "/api/v1/write",
        "/",
    ] {
        let status = match agent
            .post(&format!("{}{path}", auth.url()))
            .set("Authorization", &basic)
            .send_string("fitbit_forged{user=\"alice\"} 1")
        {
            Ok(r) => r.status(),
            Err(ureq::Error::Status(s, _)) => s,
            Err(e) => panic!("{e}"),
        };
        assert!(status >= 400, "{path}: {status}");
    }
    env.vm.flush();
    let read = agent
        .get(&format!(
            "{}/api/v1/export?match[]=fitbit_steps_total",
            auth.url()
        ))
        .set("Authorization", &basic)
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    assert!(read.contains("\"user\":\"alice\""), "{read}");
    assert!(
        data_users(&env)
            .iter()
            .all(|(n, _, _)| n != "fitbit_forged"),
        "the read-only user wrote"
    );
}
