//! A real, throw-away VictoriaMetrics single-node process for tests (see
//! `shared/reference/vm-ci.sh`): loopback port picked by the kernel, data in a temp dir.

use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A running (or stopped) VictoriaMetrics. Dropping it kills the process and removes the temp dir.
pub struct Vm {
    child: Option<Child>,
    dir: PathBuf,
    port: u16,
    dedup: bool,
}

/// One exported series (`/api/v1/export` JSON line).
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// All labels, including `__name__`.
    pub labels: BTreeMap<String, String>,
    /// Sample values, in the order VictoriaMetrics exported them.
    pub values: Vec<f64>,
    /// Sample timestamps in Unix milliseconds, parallel to `values`.
    pub timestamps: Vec<i64>,
}

impl Series {
    /// The metric name (`__name__`).
    pub fn name(&self) -> &str {
        self.labels.get("__name__").map_or("", String::as_str)
    }
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(10))
        .build()
}

/// The TCP port `pid` listens on (its first listening socket), read from `/proc/<pid>/net/tcp` and the socket inodes of its fds.
pub fn listen_port(pid: u32) -> Option<u16> {
    let inodes: HashSet<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .ok()?
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter_map(|l| {
            Some(
                l.to_str()?
                    .strip_prefix("socket:[")?
                    .strip_suffix(']')?
                    .to_string(),
            )
        })
        .collect();
    let tcp = std::fs::read_to_string(format!("/proc/{pid}/net/tcp")).ok()?;
    tcp.lines().skip(1).find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.len() > 9 && f[3] == "0A" && inodes.contains(f[9]) {
            u16::from_str_radix(f[1].rsplit(':').next()?, 16).ok()
        } else {
            None
        }
    })
}

impl Vm {
    /// Starts `victoria-metrics` (or `$VM_BIN`) on a free loopback port with a fresh data dir;
    /// `dedup` adds `-dedup.minScrapeInterval=1ms`. Panics (with the VM log) if it is not healthy
    /// within 10 s.
    pub fn start(dedup: bool) -> Vm {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "syncbit-vm-{}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos()
        ));
        std::fs::create_dir_all(&dir).expect("create VM temp dir");
        let mut vm = Vm {
            child: None,
            dir,
            port: 0,
            dedup,
        };
        if let Err(e) = vm.spawn(0) {
            panic!("{e}");
        }
        vm
    }

    fn spawn(&mut self, port: u16) -> Result<(), String> {
        let bin = std::env::var("VM_BIN").unwrap_or_else(|_| "victoria-metrics".into());
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("vm.log"))
            .expect("VM log");
        let mut cmd = Command::new(&bin);
        cmd.arg(format!("-httpListenAddr=127.0.0.1:{port}"))
            .arg(format!(
                "-storageDataPath={}",
                self.dir.join("data").display()
            ))
            .args([
                "-retentionPeriod=100y",
                "-search.latencyOffset=0s",
                "-search.disableCache",
                "-loggerLevel=WARN",
            ])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("VM log"))
            .stderr(log);
        if self.dedup {
            cmd.arg("-dedup.minScrapeInterval=1ms");
        }
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                panic!(
                    "victoria-metrics not found: apt-get install victoria-metrics (or set VM_BIN)"
                )
            }
            Err(e) => panic!("cannot start {bin}: {e}"),
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        let short = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(1))
            .build();
        while Instant::now() < deadline {
            if let Ok(Some(st)) = child.try_wait() {
                return Err(format!(
                    "victoria-metrics exited early ({st}):\n{}",
                    self.log()
                ));
            }
            if let Some(p) = listen_port(child.id())
                && short
                    .get(&format!("http://127.0.0.1:{p}/health"))
                    .call()
                    .ok()
                    .and_then(|r| r.into_string().ok())
                    .as_deref()
                    == Some("OK")
            {
                self.port = p;
                self.child = Some(child);
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        Err(format!(
            "victoria-metrics did not become healthy within 10 s:\n{}",
            self.log()
        ))
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("vm.log")).unwrap_or_default()
    }

    /// `-storageDataPath`, to measure what the data takes on disk.
    pub fn storage_path(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The Prometheus text import endpoint.
    pub fn import_url(&self) -> String {
        format!("{}/api/v1/import/prometheus", self.url())
    }

    /// Posts Prometheus text lines to the import endpoint, panics unless 204.
    pub fn import(&self, body: &str) {
        let r = agent()
            .post(&self.import_url())
            .send_string(body)
            .expect("VM import");
        assert_eq!(r.status(), 204, "VM import status");
    }

    /// SIGTERM, then wait (SIGKILL after 5 s). The data dir is kept.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &c.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline && matches!(c.try_wait(), Ok(None)) {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts again on the same port and data dir (retries while the port is briefly busy).
    pub fn restart(&mut self) {
        self.stop();
        let mut last = String::new();
        for _ in 0..20 {
            match self.spawn(self.port) {
                Ok(()) => return,
                Err(e) => last = e,
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        panic!(
            "victoria-metrics restart on port {} failed: {last}",
            self.port
        );
    }

    /// `GET /internal/force_flush`: makes recent imports visible to export.
    pub fn flush(&self) {
        agent()
            .get(&format!("{}/internal/force_flush", self.url()))
            .call()
            .expect("VM force_flush");
    }

    /// Flushes, then exports raw samples of `matcher` with timestamps in `[start_ms, end_ms]`,
    /// sorted by labels.
    pub fn export(&self, matcher: &str, start_ms: i64, end_ms: i64) -> Vec<Series> {
        self.flush();
        let (start, end) = (
            format!("{:.3}", start_ms as f64 / 1000.0),
            format!("{:.3}", end_ms as f64 / 1000.0),
        );
        let text_reader = agent()
            .post(&format!("{}/api/v1/export", self.url()))
            .send_form(&[("match[]", matcher), ("start", &start), ("end", &end)])
            .expect("VM export")
            .into_reader();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut { text_reader }, &mut text).expect("VM export body");
        let mut out: Vec<Series> = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let v: Value =
                    serde_json::from_str(l).unwrap_or_else(|e| panic!("bad export line {l}: {e}"));
                let labels = v["metric"]
                    .as_object()
                    .expect("metric")
                    .iter()
                    .map(|(k, x)| (k.clone(), x.as_str().unwrap_or_default().to_string()))
                    .collect();
                let values = v["values"]
                    .as_array()
                    .expect("values")
                    .iter()
                    .map(|x| x.as_f64().unwrap_or(f64::NAN))
                    .collect();
                let timestamps = v["timestamps"]
                    .as_array()
                    .expect("timestamps")
                    .iter()
                    .map(|x| x.as_i64().expect("ts"))
                    .collect();
                Series {
                    labels,
                    values,
                    timestamps,
                }
            })
            .collect();
        out.sort_by(|a, b| a.labels.cmp(&b.labels));
        out
    }

    /// Every series from 2000-01-01 until now + 3 days.
    pub fn export_all(&self) -> Vec<Series> {
        let end = chrono::Utc::now().timestamp_millis() + 3 * 86_400_000;
        self.export(r#"{__name__=~".+"}"#, 946_684_800_000, end)
    }

    /// The value of a `/metrics` line such as `vm_rows_invalid_total{type="prometheus"}` (0 if absent).
    pub fn metric_counter(&self, name_with_labels: &str) -> f64 {
        let text = agent()
            .get(&format!("{}/metrics", self.url()))
            .call()
            .expect("VM /metrics")
            .into_string()
            .expect("metrics body");
        text.lines()
            .find_map(|l| {
                l.strip_prefix(name_with_labels)?
                    .strip_prefix(' ')?
                    .trim()
                    .parse()
                    .ok()
            })
            .unwrap_or(0.0)
    }
}

impl Drop for Vm {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
