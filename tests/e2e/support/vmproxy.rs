//! VictoriaMetrics' own parts in front of a [`super::vm::Vm`], as throw-away processes on free
//! loopback ports: the auth proxy `vmauth` and the buffering agent `vmagent` (both in the
//! Debian package `victoria-metrics`, 1.79). Dropping one kills it and removes its temp dir.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::vm::listen_port;

/// A running helper process with its port and temp dir.
struct Proc {
    child: Option<Child>,
    dir: PathBuf,
    port: u16,
    name: &'static str,
}

fn temp_dir(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "syncbit-{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

impl Proc {
    /// Starts `bin args… -httpListenAddr=127.0.0.1:0` and waits (10 s) until its `/health`
    /// answers 200; panics with its log otherwise.
    fn start(name: &'static str, dir: PathBuf, args: &[String]) -> Proc {
        let log = std::fs::File::create(dir.join("log")).expect("log");
        let child = Command::new(name)
            .args(args)
            .arg("-httpListenAddr=127.0.0.1:0")
            .arg("-loggerLevel=WARN")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {name} ({e}): apt-get install victoria-metrics")
            });
        let mut p = Proc {
            child: Some(child),
            dir,
            port: 0,
            name,
        };
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(1))
            .build();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            let c = p.child.as_mut().expect("child");
            if let Ok(Some(st)) = c.try_wait() {
                panic!("{name} exited early ({st}):\n{}", p.log());
            }
            if p.port == 0 {
                p.port = listen_port(c.id()).unwrap_or(0);
            }
            if p.port != 0
                && agent
                    .get(&format!("http://127.0.0.1:{}/health", p.port))
                    .call()
                    .is_ok_and(|r| r.status() == 200)
            {
                return p;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("{name} not healthy within 10 s:\n{}", p.log());
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `vmauth -auth.config=<file>` with the given YAML.
pub struct Vmauth(Proc);

impl Vmauth {
    pub fn start(config_yaml: &str) -> Vmauth {
        let dir = temp_dir("vmauth");
        let cfg = dir.join("auth.yml");
        std::fs::write(&cfg, config_yaml).expect("auth config");
        Vmauth(Proc::start(
            "vmauth",
            dir,
            &[format!("-auth.config={}", cfg.display())],
        ))
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.0.port)
    }

    pub fn log(&self) -> String {
        self.0.log()
    }
}

/// `vmagent -remoteWrite.url=<vm>/api/v1/write` buffering in its own temp dir, flushing every
/// 100 ms and retrying a VictoriaMetrics that is away.
pub struct Vmagent(Proc);

impl Vmagent {
    pub fn start(vm_url: &str) -> Vmagent {
        let dir = temp_dir("vmagent");
        let buffer = dir.join("buffer");
        Vmagent(Proc::start(
            "vmagent",
            dir,
            &[
                format!("-remoteWrite.url={vm_url}/api/v1/write"),
                format!("-remoteWrite.tmpDataPath={}", buffer.display()),
                "-remoteWrite.flushInterval=100ms".into(),
            ],
        ))
    }

    /// `http://127.0.0.1:PORT`: syncbit's base `VICTORIA_ENDPOINT` (vmagent accepts the same
    /// `/api/v1/import/prometheus`).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.0.port)
    }

    /// The buffer directory.
    pub fn buffer(&self) -> PathBuf {
        self.0.dir.join("buffer")
    }

    pub fn dir(&self) -> &Path {
        &self.0.dir
    }

    pub fn log(&self) -> String {
        self.0.log()
    }

    /// The value of one of vmagent's own `/metrics` lines (0 when absent).
    pub fn metric(&self, name_with_labels: &str) -> f64 {
        let text = ureq::get(&format!("{}/metrics", self.url()))
            .call()
            .ok()
            .and_then(|r| r.into_string().ok())
            .unwrap_or_default();
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
