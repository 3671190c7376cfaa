//! Benchmarks of `syncbit import`, measured on this machine and reported in the README:
//!
//! 1. parsing classic heart-rate JSON (the export's bulk) on one core, samples/s;
//! 2. a generated 5-year export (both encodings, split into two zip parts) imported end to
//!    end into a real VictoriaMetrics on loopback by the real binary: samples/s and peak RSS;
//! 3. the same samples pushed by a bare loop (the Prometheus text, 50,000 lines a request, no
//!    parsing) into a fresh VictoriaMetrics, and the ratio of 2 to 3.
//!
//! Run: `cargo bench --bench import` (needs the Debian package victoria-metrics). The export
//! is generated once into `target/bench-export/` (about 1.5 GB of JSON, zipped), which
//! `SYNCBIT_BENCH_YEARS` (default 5) sizes.

#[path = "support/rss.rs"]
mod rss;
#[allow(dead_code)]
#[path = "../tests/e2e/support/takeout_gen.rs"]
mod takeout_gen;
#[allow(dead_code)]
#[path = "../tests/e2e/support/vm.rs"]
mod vm;

use std::io::Write as _;
use std::time::Instant;
use syncbit::source::takeout::scan::Series;

/// One local day of 1-second heart rate in the export's pretty-printed format.
fn heart_rate_day() -> Vec<u8> {
    let mut out = Vec::with_capacity(9 << 20);
    out.extend_from_slice(b"[");
    for s in 0..86_400u32 {
        if s > 0 {
            out.extend_from_slice(b",");
        }
        let (h, m, sec) = (s / 3600, s / 60 % 60, s % 60);
        write!(
            out,
            "{{\n  \"dateTime\" : \"04/08/26 {h:02}:{m:02}:{sec:02}\",\n  \"value\" : {{\n    \"bpm\" : {},\n    \"confidence\" : {}\n  }}\n}}",
            60 + s % 70,
            s % 4
        )
        .unwrap();
    }
    out.extend_from_slice(b"]\n");
    out
}

fn parse_rate() -> f64 {
    let day = heart_rate_day();
    let rounds = 20;
    let t = Instant::now();
    let mut n = 0usize;
    let mut sum = 0i64;
    for _ in 0..rounds {
        for p in Series::new(&day).unwrap() {
            let p = p.unwrap().unwrap();
            sum = sum.wrapping_add(p.at.and_utc().timestamp_millis());
            n += 1;
        }
    }
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(n, 86_400 * rounds);
    std::hint::black_box(sum);
    println!(
        "parse: heart-rate JSON, {:.1} MB a day: {:.2} M samples/s ({:.0} MB/s) on one core",
        day.len() as f64 / 1e6,
        n as f64 / secs / 1e6,
        (day.len() * rounds) as f64 / secs / 1e6
    );
    n as f64 / secs
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    parse_rate();
    if std::env::var_os("SYNCBIT_BENCH_PARSE_ONLY").is_some() {
        return;
    }
    end_to_end();
}

/// The generated export as zip parts, made once (`target/bench-export/`).
fn export(years: u32) -> (Vec<std::path::PathBuf>, u64, u64) {
    let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/bench-export")
        .join(format!("{years}y"));
    let zips = base.join("zip");
    let meta = base.join("meta.txt");
    if let Ok(m) = std::fs::read_to_string(&meta) {
        let mut it = m.split_whitespace().map(|v| v.parse::<u64>().unwrap());
        let (samples, json) = (it.next().unwrap(), it.next().unwrap());
        let mut parts: Vec<_> = std::fs::read_dir(&zips)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        parts.sort();
        return (parts, samples, json);
    }
    let tree = base.join("tree");
    let _ = std::fs::remove_dir_all(&base);
    let t = Instant::now();
    let mut spec = takeout_gen::Spec::small(years * 365);
    spec.hr_every_s = 10;
    spec.traps = false;
    let (_, samples, json) = takeout_gen::write_tree_no_truth(&tree, &spec);
    let parts = takeout_gen::zip_parts(&tree, &zips, 2);
    std::fs::remove_dir_all(&tree).unwrap();
    std::fs::write(&meta, format!("{samples} {json}")).unwrap();
    println!(
        "generated a {years}-year export in {:.0} s: {:.2} GB of JSON, {} samples, {} zip parts of {:.0} MB",
        t.elapsed().as_secs_f64(),
        json as f64 / 1e9,
        samples,
        parts.len(),
        parts
            .iter()
            .map(|p| p.metadata().unwrap().len())
            .sum::<u64>() as f64
            / 1e6
    );
    (parts, samples, json)
}

/// Samples written, from the import summary's last line (`all: N samples written`).
fn written(stderr: &str) -> u64 {
    stderr
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("all: ")?
                .split(' ')
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

fn end_to_end() {
    let years: u32 = std::env::var("SYNCBIT_BENCH_YEARS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let (parts, expected, json) = export(years);
    let bin = env!("CARGO_BIN_EXE_syncbit");
    let data = tempfile::tempdir().unwrap();
    let vm = vm::Vm::start(false);
    let stderr = data.path().join("stderr");
    let mut cmd = std::process::Command::new(bin);
    cmd.arg("import")
        .args(&parts)
        .env_clear()
        .env("DATA_DIR", data.path().join("d"))
        .env("VICTORIA_ENDPOINT", vm.url())
        .env("FITBIT_USER_ID", "bench")
        .stderr(std::fs::File::create(&stderr).unwrap());
    let t = Instant::now();
    let (ok, peak_kib) = rss::wait_with_peak(cmd.spawn().unwrap());
    let secs = t.elapsed().as_secs_f64();
    let log = std::fs::read_to_string(&stderr).unwrap();
    assert!(ok, "import failed: {log}");
    let n = written(&log);
    assert_eq!(n, expected, "samples written vs generated: {log}");
    let rate = n as f64 / secs;
    println!(
        "import: {years}-year export ({:.2} GB JSON, 2 zip parts) into VictoriaMetrics: {n} samples in {secs:.1} s = {:.2} M samples/s, peak RSS {:.1} MiB",
        json as f64 / 1e9,
        rate / 1e6,
        peak_kib as f64 / 1024.0
    );

    // The same samples as Prometheus text, pushed by a bare loop into a fresh VictoriaMetrics.
    let text = data.path().join("samples.prom");
    let st = std::process::Command::new(bin)
        .args(["--dry-run", "import"])
        .args(&parts)
        .env_clear()
        .env("DATA_DIR", data.path().join("dry"))
        .env("FITBIT_USER_ID", "bench")
        .stdout(std::fs::File::create(&text).unwrap())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(st.success());
    let fresh = vm::Vm::start(false);
    let url = format!("{}/api/v1/import/prometheus", fresh.url());
    let agent = ureq::AgentBuilder::new().build();
    let mut reader = std::io::BufReader::new(std::fs::File::open(&text).unwrap());
    let (mut pushed, mut push_s) = (0u64, 0.0);
    let mut body = String::with_capacity(5 << 20);
    loop {
        body.clear();
        let mut lines = 0;
        while lines < 50_000 {
            let before = body.len();
            if std::io::BufRead::read_line(&mut reader, &mut body).unwrap() == 0 {
                break;
            }
            if body.len() > before {
                lines += 1;
            }
        }
        if lines == 0 {
            break;
        }
        let t = Instant::now();
        agent.post(&url).send_string(&body).unwrap();
        push_s += t.elapsed().as_secs_f64();
        pushed += lines;
    }
    assert_eq!(pushed, n);
    let bare = pushed as f64 / push_s;
    println!(
        "bare loop: the same {pushed} samples as Prometheus text, 50,000 a request, uncompressed: {:.2} M samples/s; import / bare loop = {:.0} %",
        bare / 1e6,
        100.0 * rate / bare
    );
}
