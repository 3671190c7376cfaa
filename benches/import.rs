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
// GEN #[path = "../tests/e2e/support/takeout_gen.rs"]
// GEN mod takeout_gen;
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

fn end_to_end() {
    println!("end to end: waiting for the export generator");
}
