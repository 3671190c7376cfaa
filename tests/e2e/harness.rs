//! A test environment: a simulator, a real VictoriaMetrics, a data directory with a token file,
//! and the environment of a configured syncbit.
#![allow(dead_code)]

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Tz;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Output};

use crate::support::sim::{CLIENT_ID, CLIENT_SECRET, Sim, SimConfig};
use crate::support::syncbit;
use crate::support::vm::{Series, Vm};

pub struct Env {
    pub sim: Sim,
    pub vm: Vm,
    pub dir: tempfile::TempDir,
    pub user: String,
    pub extra: Vec<(String, String)>,
    tz: Tz,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Env {
    pub fn new(cfg: SimConfig, dedup: bool) -> Env {
        let tz: Tz = cfg.timezone.parse().unwrap();
        let sim = Sim::start(cfg);
        let vm = Vm::start(dedup);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("fitbit_tokens.json"), sim.token_json(false)).unwrap();
        Env {
            sim,
            vm,
            dir,
            user: "tester".into(),
            extra: Vec::new(),
            tz,
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// Sets a variable for every later run.
    pub fn set(&mut self, k: &str, v: &str) {
        self.extra.push((k.into(), v.into()));
    }

    /// Turns every optional daily family off (only activity and heart rate stay).
    pub fn only_activity_and_heart(&mut self) {
        for v in [
            "COLLECT_SLEEP",
            "COLLECT_SPO2",
            "COLLECT_BREATHING_RATE",
            "COLLECT_HRV",
            "COLLECT_CARDIO_FITNESS",
            "COLLECT_TEMPERATURE",
        ] {
            self.set(v, "false");
        }
    }

    /// Writes the simulator's current pair with an expiry in the past (the simulator also
    /// rejects that access token), so the next run must refresh.
    pub fn expire_tokens(&self) {
        std::fs::write(
            self.dir.path().join("fitbit_tokens.json"),
            self.sim.token_json(true),
        )
        .unwrap();
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = syncbit();
        c.env("DATA_DIR", self.dir.path())
            .env("FITBIT_API_BASE_URL", self.sim.base_url())
            .env("FITBIT_CLIENT_ID", CLIENT_ID)
            .env("FITBIT_CLIENT_SECRET", CLIENT_SECRET)
            .env("VICTORIA_ENDPOINT", self.vm.url())
            .env("FITBIT_USER_ID", &self.user)
            .env("SYNCBIT_RETRY_DELAY_MS", "5")
            .args(args);
        for (k, v) in &self.extra {
            c.env(k, v);
        }
        c
    }

    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.cmd(args).output().unwrap())
    }

    /// Runs and asserts exit 0.
    pub fn ok(&self, args: &[&str]) -> Run {
        let r = self.run(args);
        assert_eq!(r.code, 0, "syncbit {args:?} failed: {}", r.stderr);
        r
    }

    /// The profile zone the simulator was started with.
    pub fn tz(&self) -> Tz {
        self.tz
    }

    /// Every series of a metric (all users), sorted by labels.
    pub fn export(&self, metric: &str) -> Vec<Series> {
        self.vm
            .export(metric, 1_167_609_600_000, now_ms() + 3 * 86_400_000)
    }

    pub fn export_all(&self) -> Vec<Series> {
        self.vm.export_all()
    }
}

/// A Fitbit value that may be a JSON string or number, as f64.
pub fn f(v: &serde_json::Value) -> f64 {
    match v {
        serde_json::Value::String(s) => s.parse().unwrap(),
        v => v.as_f64().unwrap(),
    }
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Local midnight of `d` in `tz`, computed independently of syncbit.
pub fn midnight_ms(tz: Tz, d: NaiveDate) -> i64 {
    tz.from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap())
        .earliest()
        .unwrap()
        .timestamp_millis()
}

/// A local "HH:MM:SS" of day `d` in `tz` as ms (earliest occurrence; None in a DST gap).
pub fn local_ms(tz: Tz, d: NaiveDate, hms: &str) -> Option<i64> {
    let t = NaiveTime::parse_from_str(hms, "%H:%M:%S").unwrap();
    tz.from_local_datetime(&NaiveDateTime::new(d, t))
        .earliest()
        .map(|x| x.timestamp_millis())
}

/// label → (timestamps, values) of the series of `metric`, keyed by one label's value ("" when
/// the label is absent).
pub fn by_label(series: &[Series], label: &str) -> BTreeMap<String, Vec<(i64, f64)>> {
    let mut out = BTreeMap::new();
    for s in series {
        let k = s.labels.get(label).cloned().unwrap_or_default();
        let pts: Vec<(i64, f64)> = s
            .timestamps
            .iter()
            .copied()
            .zip(s.values.iter().copied())
            .collect();
        out.insert(k, pts);
    }
    out
}

/// Asserts that no series has two samples at one timestamp.
pub fn assert_no_duplicates(series: &[Series]) {
    for s in series {
        let mut ts = s.timestamps.clone();
        let n = ts.len();
        ts.sort();
        ts.dedup();
        assert_eq!(ts.len(), n, "duplicate timestamps in {:?}", s.labels);
    }
}

/// A test environment for the Google Health API source: the Google simulator, a real
/// VictoriaMetrics, a data directory with `google_tokens.json`, and syncbit's environment
/// pointing at both.
pub struct GEnv {
    pub sim: crate::support::google_sim::GoogleSim,
    pub vm: Vm,
    pub dir: tempfile::TempDir,
    pub user: String,
    pub extra: Vec<(String, String)>,
    tz: Tz,
}

impl GEnv {
    pub fn new(cfg: crate::support::google_sim::GoogleSimConfig, dedup: bool) -> GEnv {
        let tz: Tz = cfg.timezone.parse().unwrap();
        let sim = crate::support::google_sim::GoogleSim::start(cfg);
        let vm = Vm::start(dedup);
        let dir = tempfile::tempdir().unwrap();
        let env = GEnv {
            sim,
            vm,
            dir,
            user: "tester".into(),
            extra: Vec::new(),
            tz,
        };
        std::fs::write(env.token_path(), env.sim.token_json(false)).unwrap();
        env
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    pub fn token_path(&self) -> PathBuf {
        self.dir.path().join("google_tokens.json")
    }

    /// The token file as JSON.
    pub fn tokens(&self) -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(self.token_path()).unwrap()).unwrap()
    }

    /// Sets a variable for every later run.
    pub fn set(&mut self, k: &str, v: &str) {
        self.extra.push((k.into(), v.into()));
    }

    /// Turns every optional daily family off (only activity and heart rate stay).
    pub fn only_activity_and_heart(&mut self) {
        for v in [
            "COLLECT_SLEEP",
            "COLLECT_SPO2",
            "COLLECT_BREATHING_RATE",
            "COLLECT_HRV",
            "COLLECT_CARDIO_FITNESS",
            "COLLECT_TEMPERATURE",
        ] {
            self.set(v, "false");
        }
    }

    /// Writes the simulator's current tokens with an expiry in the past (the simulator also
    /// refuses that access token), so the next run must refresh.
    pub fn expire_tokens(&self) {
        std::fs::write(self.token_path(), self.sim.token_json(true)).unwrap();
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        use crate::support::google_sim::{CLIENT_ID, CLIENT_SECRET};
        let mut c = syncbit();
        c.env("DATA_DIR", self.dir.path())
            .env("SYNCBIT_SOURCE", "google-health")
            .env("GOOGLE_HEALTH_API_BASE_URL", self.sim.base_url())
            .env("GOOGLE_TOKEN_URL", self.sim.token_url())
            .env("GOOGLE_AUTH_URL", self.sim.auth_url())
            .env("GOOGLE_REVOKE_URL", self.sim.revoke_url())
            .env("GOOGLE_CLIENT_ID", CLIENT_ID)
            .env("GOOGLE_CLIENT_SECRET", CLIENT_SECRET)
            .env("VICTORIA_ENDPOINT", self.vm.url())
            .env("FITBIT_USER_ID", &self.user)
            .env("SYNCBIT_RETRY_DELAY_MS", "5")
            .args(args);
        for (k, v) in &self.extra {
            c.env(k, v);
        }
        c
    }

    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.cmd(args).output().unwrap())
    }

    /// Runs and asserts exit 0.
    pub fn ok(&self, args: &[&str]) -> Run {
        let r = self.run(args);
        assert_eq!(r.code, 0, "syncbit {args:?} failed: {}", r.stderr);
        r
    }

    /// The user's zone the simulator was started with.
    pub fn tz(&self) -> Tz {
        self.tz
    }

    /// Every series of a metric (all users), sorted by labels.
    pub fn export(&self, metric: &str) -> Vec<Series> {
        self.vm
            .export(metric, 1_167_609_600_000, now_ms() + 3 * 86_400_000)
    }

    pub fn export_all(&self) -> Vec<Series> {
        self.vm.export_all()
    }
}
