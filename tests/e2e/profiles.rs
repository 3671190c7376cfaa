//! Profiles end to end: `syncbit profile add|list|remove`, `--profile`/`SYNCBIT_PROFILE`, and
//! two people (two simulated Google accounts) writing into one real VictoriaMetrics. Every test
//! has its own HOME, XDG_CONFIG_HOME and XDG_STATE_HOME, so no real profile is touched.

use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::harness::assert_no_duplicates;
use crate::support::google_sim::{CLIENT_ID, CLIENT_SECRET, GoogleSim, GoogleSimConfig};
use crate::support::syncbit;
use crate::support::vm::{Series, Vm};

/// A home of its own: `~/.config/syncbit/` and `~/.local/state/syncbit/` below a temp dir.
struct Home {
    dir: tempfile::TempDir,
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Home {
    fn new() -> Home {
        Home {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("config/syncbit")
    }

    fn state(&self) -> PathBuf {
        self.dir.path().join("state/syncbit")
    }

    fn env_file(&self, name: &str) -> PathBuf {
        self.config().join(format!("{name}.env"))
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = syncbit();
        c.env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env("XDG_STATE_HOME", self.dir.path().join("state"))
            .env("SYNCBIT_RETRY_DELAY_MS", "5")
            .args(args);
        c
    }

    fn run(&self, args: &[&str]) -> Run {
        self.cmd(args).output().unwrap().into()
    }

    fn ok(&self, args: &[&str]) -> Run {
        let r = self.run(args);
        assert_eq!(r.code, 0, "syncbit {args:?}: {}{}", r.stdout, r.stderr);
        r
    }

    /// An env file written by hand.
    fn write_profile(&self, name: &str, text: &str) {
        std::fs::create_dir_all(self.config()).unwrap();
        std::fs::write(self.env_file(name), text).unwrap();
    }

    /// Lines added to a profile's env file (later lines win).
    fn append(&self, name: &str, lines: &[(&str, String)]) {
        let mut text = std::fs::read_to_string(self.env_file(name)).unwrap();
        for (k, v) in lines {
            text.push_str(&format!("{k}={v}\n"));
        }
        std::fs::write(self.env_file(name), text).unwrap();
    }
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn set_vars(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#') && l.contains('='))
        .map(String::from)
        .collect()
}

#[test]
fn profiles_a_shared_label_is_refused_unless_allowed_and_the_allowance_is_remembered() {
    let h = Home::new();
    let add = h.ok(&[
        "profile",
        "add",
        "alice",
        "--endpoint",
        "http://127.0.0.1:8428",
    ]);
    for step in [
        "syncbit --profile alice auth login",
        "syncbit-sync@alice.timer syncbit-sync-intraday@alice.timer",
        "systemctl --user enable --now",
    ] {
        assert!(add.stdout.contains(step), "{step}: {}", add.stdout);
    }
    let alice = std::fs::read_to_string(h.env_file("alice")).unwrap();
    assert_eq!(
        set_vars(&alice),
        [
            "VICTORIA_ENDPOINT=http://127.0.0.1:8428",
            "FITBIT_USER_ID=alice"
        ],
        "the label defaults to the name; nothing else is set:\n{alice}"
    );
    assert!(alice.contains("#GOOGLE_CLIENT_ID="), "a commented template");

    // The same label on the same endpoint, spelled differently: refused, naming alice.
    let r = h.run(&[
        "profile",
        "add",
        "bob",
        "--endpoint",
        "HTTP://127.0.0.1:8428/api/v1/import/prometheus/",
        "--user-label",
        "alice",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("profile alice") && r.stderr.contains("\"alice\""),
        "{}",
        r.stderr
    );
    assert!(!h.env_file("bob").exists(), "nothing written");
    assert!(!h.state().join("bob").exists(), "nothing created");

    // On another endpoint the label is free; another tenant is another endpoint too.
    h.ok(&[
        "profile",
        "add",
        "carol",
        "--endpoint",
        "http://127.0.0.1:8429",
        "--user-label",
        "alice",
        "--source",
        "fitbit-web-api",
    ]);
    let carol = std::fs::read_to_string(h.env_file("carol")).unwrap();
    assert!(
        set_vars(&carol).contains(&"SYNCBIT_SOURCE=fitbit-web-api".to_string()),
        "{carol}"
    );

    // Allowed: created, and remembered in both files, so neither's runs nor the list object.
    let r = h.ok(&[
        "profile",
        "add",
        "bob",
        "--endpoint",
        "http://127.0.0.1:8428/",
        "--user-label",
        "alice",
        "--allow-shared-user",
    ]);
    assert!(r.stderr.contains("alice.env"), "{}", r.stderr);
    for name in ["alice", "bob"] {
        let text = std::fs::read_to_string(h.env_file(name)).unwrap();
        assert!(
            set_vars(&text).contains(&"SYNCBIT_ALLOW_SHARED_USER=true".to_string()),
            "{name}: {text}"
        );
    }
    let list = h.ok(&["profile", "list"]);
    assert!(!list.stderr.contains("warning"), "{}", list.stderr);
    for name in ["alice", "bob", "carol"] {
        assert!(
            list.stdout
                .lines()
                .any(|l| l.starts_with(&format!("{name} "))),
            "{}",
            list.stdout
        );
    }

    // Files 0600, folders 0700.
    for name in ["alice", "bob", "carol"] {
        assert_eq!(mode(&h.env_file(name)), 0o600, "{name}.env");
        assert_eq!(mode(&h.state().join(name)), 0o700, "state of {name}");
    }
    assert_eq!(mode(&h.config()), 0o700);

    // An existing profile, a bad name, a bad endpoint, a bad source: exit 2, nothing changed.
    for args in [
        vec!["profile", "add", "alice"],
        vec!["profile", "add", "Alice"],
        vec!["profile", "add", &"a".repeat(33)],
        vec!["profile", "add", "dave", "--endpoint", "vm:8428"],
        vec!["profile", "add", "dave", "--source", "nope"],
    ] {
        let r = h.run(&args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.lines().count() <= 2, "{args:?}: {}", r.stderr);
    }
    assert!(!h.env_file("dave").exists());
    assert_eq!(std::fs::read_to_string(h.env_file("alice")).unwrap(), {
        let mut a = alice.clone();
        a = a.replace(
            "#SYNCBIT_ALLOW_SHARED_USER=false",
            "SYNCBIT_ALLOW_SHARED_USER=true",
        );
        a
    });
}

#[test]
fn profiles_list_warns_and_exits_1_for_a_shared_label_without_both_allowing_it() {
    let h = Home::new();
    h.write_profile(
        "carol",
        "FITBIT_USER_ID=family\nVICTORIA_ENDPOINT=http://vm.example:8428\n",
    );
    // The same endpoint as the import URL with credentials; only dave allows sharing.
    h.write_profile(
        "dave",
        "export FITBIT_USER_ID=\"family\"\nVICTORIA_ENDPOINT=http://u:s3cret@VM.example:8428/api/v1/import/prometheus\nSYNCBIT_ALLOW_SHARED_USER=true\n",
    );
    // Other tenants of one cluster are other endpoints.
    h.write_profile(
        "erin",
        "FITBIT_USER_ID=family\nVICTORIA_ENDPOINT=http://vminsert:8480\nVICTORIA_TENANT=1\n",
    );
    h.write_profile(
        "frank",
        "FITBIT_USER_ID=family\nVICTORIA_ENDPOINT=http://vminsert:8480/insert/2/prometheus\n",
    );
    std::fs::create_dir_all(h.state().join("carol")).unwrap();
    std::fs::write(
        h.state().join("carol/sync_state.json"),
        r#"{"version":3,"account_id":"g-123","last_sync":"2026-11-30T10:00:00Z",
            "sources":{"google-health":{"daily":{"2026-11-29":{"activity":{"status":"complete"}}}}}}"#,
    )
    .unwrap();
    let r = h.run(&["profile", "list"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let warnings: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(warnings.len(), 1, "one line per pair: {}", r.stderr);
    assert!(
        warnings[0].contains("warning")
            && warnings[0].contains("carol")
            && warnings[0].contains("dave")
            && warnings[0].contains("\"family\""),
        "{}",
        r.stderr
    );
    // The list is printed either way, credentials redacted.
    assert!(!r.stdout.contains("s3cret") && !r.stderr.contains("s3cret"));
    let carol = r
        .stdout
        .lines()
        .find(|l| l.starts_with("carol "))
        .unwrap_or_else(|| panic!("{}", r.stdout));
    for col in [
        "g-123",
        "family",
        "2026-11-30T10:00:00Z",
        "2026-11-29",
        "http://vm.example:8428",
    ] {
        assert!(carol.contains(col), "{col}: {carol}");
    }
    for name in ["dave", "erin", "frank"] {
        assert!(
            r.stdout.lines().any(|l| l.starts_with(&format!("{name} "))),
            "{}",
            r.stdout
        );
    }
    assert!(
        r.stdout
            .contains("/insert/1/prometheus/api/v1/import/prometheus"),
        "the tenant's URL: {}",
        r.stdout
    );

    // A run of either profile stops before anything is sent, with the same message.
    for (name, other) in [("carol", "dave"), ("dave", "carol")] {
        for cmd in ["sync", "sync-intraday", "backfill"] {
            let r = h.run(&["--profile", name, cmd]);
            assert_eq!(r.code, 2, "{name} {cmd}: {}", r.stderr);
            assert!(
                r.stderr.contains(&format!("profile {other} (")) && !r.stderr.contains("s3cret"),
                "{name} {cmd}: {}",
                r.stderr
            );
        }
    }
    let r = h.run(&["--profile", "carol", "import", "/nonexistent"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("profile dave ("), "{}", r.stderr);
    // Another label in the environment (it wins over the file) takes carol out of the pair.
    let r = h
        .cmd(&["--profile", "carol", "--dry-run", "sync"])
        .env("FITBIT_USER_ID", "carol-alone")
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&r.stderr).contains("profile dave"),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );

    // Once both allow it, the list is quiet.
    h.write_profile(
        "carol",
        "FITBIT_USER_ID=family\nVICTORIA_ENDPOINT=http://vm.example:8428\nSYNCBIT_ALLOW_SHARED_USER=yes\n",
    );
    let r = h.ok(&["profile", "list"]);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
}

#[test]
fn profiles_load_their_env_file_and_state_folder_and_the_environment_wins() {
    let h = Home::new();
    h.ok(&["profile", "add", "alice"]);
    h.append("alice", &[("INTRADAY_DETAIL_LEVEL", "bogus".into())]);
    let state = h.state().join("alice");

    // The file is read: its bad value is reported under its variable.
    let r = h.run(&["--profile", "alice", "--dry-run", "state", "show"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("INTRADAY_DETAIL_LEVEL=\"bogus\""),
        "{}",
        r.stderr
    );
    // A variable already set in the environment wins over the file.
    let r = h
        .cmd(&["--profile", "alice", "--dry-run", "state", "show"])
        .env("INTRADAY_DETAIL_LEVEL", "15min")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&r.stdout);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    // DATA_DIR is the profile's state folder.
    assert!(
        out.contains(&format!("state file: {}/sync_state.json", state.display())),
        "{out}"
    );
    // SYNCBIT_PROFILE does the same as --profile; a DATA_DIR of the environment does not take
    // the person elsewhere (it is said), --data-dir does.
    let other = h.dir.path().join("elsewhere");
    let r = h
        .cmd(&["state", "show"])
        .env("SYNCBIT_PROFILE", "alice")
        .env("INTRADAY_DETAIL_LEVEL", "15min")
        .env("DATA_DIR", &other)
        .output()
        .unwrap();
    let (out, err) = (
        String::from_utf8_lossy(&r.stdout),
        String::from_utf8_lossy(&r.stderr),
    );
    assert!(r.status.success(), "{err}");
    assert!(out.contains(&state.display().to_string()), "{out}");
    assert!(err.contains("instead of DATA_DIR="), "{err}");
    let r = h
        .cmd(&["--profile", "alice", "--data-dir"])
        .arg(&other)
        .args(["state", "show"])
        .env("INTRADAY_DETAIL_LEVEL", "15min")
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&r.stdout).contains(&other.display().to_string()),
        "{}",
        String::from_utf8_lossy(&r.stdout)
    );

    // No such profile, or a bad name: exit 2 before anything else.
    for name in ["nobody", "No/pe"] {
        let r = h.run(&["--profile", name, "sync"]);
        assert_eq!(r.code, 2, "{name}: {}", r.stderr);
        assert!(r.stderr.lines().count() <= 2, "{}", r.stderr);
    }
    let r = h.run(&["--profile", "nobody", "sync"]);
    assert!(
        r.stderr.contains("syncbit profile add nobody"),
        "{}",
        r.stderr
    );
}

/// One person's Google simulator.
fn sim(zone: &str, phone: bool) -> GoogleSim {
    GoogleSim::start(GoogleSimConfig {
        timezone: zone.into(),
        phone_overlap: phone,
        ..Default::default()
    })
}

/// The variables that point a profile at its simulator.
fn sim_vars(sim: &GoogleSim) -> Vec<(&'static str, String)> {
    vec![
        ("GOOGLE_HEALTH_API_BASE_URL", sim.base_url()),
        ("GOOGLE_TOKEN_URL", sim.token_url()),
        ("GOOGLE_AUTH_URL", sim.auth_url()),
        ("GOOGLE_REVOKE_URL", sim.revoke_url()),
        ("GOOGLE_CLIENT_ID", CLIENT_ID.into()),
        ("GOOGLE_CLIENT_SECRET", CLIENT_SECRET.into()),
        ("INTRADAY_RESOURCES", "steps,heart_rate".into()),
        ("INTRADAY_DETAIL_LEVEL", "1min".into()),
        ("INTRADAY_HEART_RATE_DETAIL", "1min".into()),
    ]
}

/// Points of the one series in `series` within `[from, to)`, sorted.
fn points(series: &[&Series], from: i64, to: i64) -> Vec<(i64, f64)> {
    assert!(series.len() <= 1, "{series:?}");
    let mut p: Vec<(i64, f64)> = series
        .iter()
        .flat_map(|s| s.timestamps.iter().copied().zip(s.values.iter().copied()))
        .filter(|p| p.0 >= from && p.0 < to)
        .collect();
    p.sort_by_key(|p| p.0);
    p
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn profiles_two_people_two_accounts_one_victoriametrics_each_series_is_its_own() {
    let h = Home::new();
    let vm = Vm::start(true);
    // Different zones and devices: different minutes, different values.
    let sims = [
        ("anna", sim("America/New_York", true)),
        ("ben", sim("Europe/Berlin", false)),
    ];
    for (name, s) in &sims {
        h.ok(&[
            "profile",
            "add",
            name,
            "--endpoint",
            &vm.url(),
            "--source",
            "google-health",
        ]);
        h.append(name, &sim_vars(s));
        std::fs::write(
            h.state().join(name).join("google_tokens.json"),
            s.token_json(false),
        )
        .unwrap();
    }
    h.ok(&["--profile", "anna", "sync-intraday"]);
    h.ok(&["--profile", "anna", "sync"]);
    let r = h
        .cmd(&["sync-intraday"])
        .env("SYNCBIT_PROFILE", "ben")
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let r = h
        .cmd(&["sync"])
        .env("SYNCBIT_PROFILE", "ben")
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));

    // Every data series carries one of the two labels (syncbit's own health metrics too).
    let all = vm.export_all();
    assert_no_duplicates(&all);
    let users: std::collections::BTreeSet<&str> = all
        .iter()
        .map(|s| s.labels.get("user").map_or("", String::as_str))
        .collect();
    assert_eq!(
        users.into_iter().collect::<Vec<_>>(),
        ["anna", "ben"],
        "user labels"
    );

    let mut seen: BTreeMap<&str, Vec<(i64, f64)>> = BTreeMap::new();
    for (name, s) in &sims {
        let d = s.today() - Duration::days(1);
        let (start, end): (DateTime<Utc>, DateTime<Utc>) = s.day_bounds(d);
        let (from, to) = (start.timestamp_millis(), end.timestamp_millis());
        for (metric, ty, key) in [
            ("fitbit_steps_intraday", "steps", "countSum"),
            (
                "fitbit_heart_rate_intraday",
                "heart-rate",
                "beatsPerMinuteAvg",
            ),
        ] {
            let want: Vec<(i64, f64)> = s
                .rollup_truth(ty, start, end, 60)
                .into_iter()
                .map(|(t, v)| (t, v[key]))
                .collect();
            assert!(!want.is_empty(), "{name} {ty}: no truth");
            let series = vm.export(metric, from, to + 86_400_000);
            let mine: Vec<&Series> = series
                .iter()
                .filter(|x| x.labels.get("user").map(String::as_str) == Some(*name))
                .collect();
            let got = points(&mine, from, to);
            assert_eq!(got.len(), want.len(), "{name} {metric}: points");
            for (g, w) in got.iter().zip(&want) {
                assert!(
                    g.0 == w.0 && close(g.1, w.1),
                    "{name} {metric}: {g:?} vs {w:?}"
                );
            }
            if ty == "steps" {
                seen.insert(name, got);
            }
        }
        // The daily total of yesterday, from this person's own simulator.
        let want = s.daily_truth("steps", d).unwrap()["countSum"];
        let series = vm.export("fitbit_steps_total", from - 86_400_000, to);
        let mine: Vec<&Series> = series
            .iter()
            .filter(|x| x.labels.get("user").map(String::as_str) == Some(*name))
            .collect();
        let got = points(&mine, from, from + 1);
        assert_eq!(got.len(), 1, "{name}: {got:?}");
        assert!(
            close(got[0].1, want),
            "{name}: steps {} vs {want}",
            got[0].1
        );
    }
    // The two people's data really differ, so the checks above tell them apart.
    assert_ne!(seen["anna"], seen["ben"]);

    // The list shows both with a last success and a newest complete day.
    let list = h.ok(&["profile", "list"]);
    for name in ["anna", "ben"] {
        let row = list
            .stdout
            .lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("{}", list.stdout));
        let cols: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(cols.len(), 8, "{row}");
        assert_eq!(cols[4], name, "{row}");
        assert_ne!(cols[6], "-", "last success: {row}");
        assert_ne!(cols[7], "-", "newest day: {row}");
    }
}

#[test]
fn profiles_remove_keeps_the_state_and_purge_revokes_and_deletes_it() {
    let h = Home::new();
    let s = sim("America/New_York", true);
    h.ok(&["profile", "add", "gus", "--source", "google-health"]);
    h.append("gus", &sim_vars(&s));
    let state = h.state().join("gus");
    std::fs::write(state.join("google_tokens.json"), s.token_json(false)).unwrap();

    let r = h.ok(&["profile", "remove", "gus"]);
    assert!(!h.env_file("gus").exists());
    assert!(state.join("google_tokens.json").exists(), "state kept");
    assert!(r.stdout.contains("kept"), "{}", r.stdout);
    assert_eq!(s.revocations(), 0);
    assert_eq!(h.run(&["profile", "remove", "gus"]).code, 2, "gone");

    // Added again, it finds its state; --purge logs out (revocation) and deletes it.
    let r = h.ok(&["profile", "add", "gus", "--source", "google-health"]);
    assert!(r.stdout.contains("kept from before"), "{}", r.stdout);
    h.append("gus", &sim_vars(&s));
    let r = h.ok(&["--dry-run", "profile", "remove", "gus", "--purge"]);
    assert!(r.stdout.contains("would"), "{}", r.stdout);
    assert!(h.env_file("gus").exists() && state.exists());
    h.ok(&["profile", "remove", "gus", "--purge"]);
    assert_eq!(s.revocations(), 1);
    assert!(!state.exists(), "state deleted");
    assert!(!h.env_file("gus").exists());

    // A logout that cannot run (no OAuth client) removes nothing.
    h.ok(&["profile", "add", "hal", "--source", "google-health"]);
    let state = h.state().join("hal");
    std::fs::write(state.join("google_tokens.json"), s.token_json(false)).unwrap();
    let r = h.run(&["profile", "remove", "hal", "--purge"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("nothing was removed"), "{}", r.stderr);
    assert!(h.env_file("hal").exists() && state.join("google_tokens.json").exists());
}
