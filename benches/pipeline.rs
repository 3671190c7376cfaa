//! Benchmarks of the hot path, measured on this machine and reported in the README:
//!
//! 1. format + push of one day of 1-second heart rate (the recorded 2017-06-10 day, 35k samples);
//! 2. format + push of a year of 1-minute intraday for all six resources (~3.15 M samples),
//!    day by day as the pipeline does it, to a real VictoriaMetrics on loopback;
//! 3. peak resident memory of the real binary running `backfill --intraday --days 365` (all six
//!    resources at 1min) against the simulator and VictoriaMetrics.
//!
//! Run: `cargo bench --bench pipeline` (needs the Debian package victoria-metrics).

#[path = "support/rss.rs"]
mod rss;
#[allow(dead_code)]
#[path = "../tests/e2e/support/sim.rs"]
mod sim;
#[allow(dead_code)]
#[path = "../tests/e2e/support/vm.rs"]
mod vm;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};
use std::time::Instant;
use syncbit::calendar::Calendar;
use syncbit::config::sink::{Auth, SinkSettings};
use syncbit::format;
use syncbit::sink::victoria::Victoria;
use syncbit::sink::{Batch, Sink};
use syncbit::source::Resource;
use syncbit::source::fitbit::intraday_readings;

/// One resource's wall-clock points of one day, as the wire model yields them.
struct Points {
    resource: Resource,
    day: NaiveDate,
    points: Vec<(NaiveDateTime, f64)>,
}

fn points(resource: Resource, day: NaiveDate, raw: &[(String, f64)]) -> Points {
    Points {
        resource,
        day,
        points: raw
            .iter()
            .map(|(t, v)| {
                (
                    NaiveDateTime::new(day, NaiveTime::parse_from_str(t, "%H:%M:%S").unwrap()),
                    *v,
                )
            })
            .collect(),
    }
}

/// Turn `days` of points (each a Vec per resource) into instants and Prometheus text, in
/// batches of at most 50k samples; returns (samples, seconds spent formatting, seconds spent
/// pushing).
fn run(cal: &Calendar, days: &[Vec<Points>], sink: &mut Option<Victoria>) -> (usize, f64, f64) {
    let now = chrono::Utc::now().timestamp_millis();
    let (mut fmt_s, mut push_s, mut n) = (0.0, 0.0, 0);
    let mut batch = Batch::new("bench", now);
    for day in days {
        let t = Instant::now();
        for p in day {
            let readings = intraday_readings(cal, p.resource, p.day, &p.points);
            format::add_all(&mut batch, &format::samples(cal, &readings)).unwrap();
        }
        fmt_s += t.elapsed().as_secs_f64();
        if batch.samples >= 50_000 {
            let t = Instant::now();
            if let Some(s) = sink {
                s.push(&batch).unwrap();
            }
            push_s += t.elapsed().as_secs_f64();
            n += batch.samples;
            batch.clear();
        }
    }
    let t = Instant::now();
    if let Some(s) = sink {
        s.push(&batch).unwrap();
    }
    push_s += t.elapsed().as_secs_f64();
    n += batch.samples;
    (n, fmt_s, push_s)
}

fn rate(n: usize, s: f64) -> String {
    format!("{:.2} M samples/s", n as f64 / s / 1e6)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench -- --list` and test harness probes
    }
    let cal = Calendar::new("Europe/Berlin".parse().unwrap());
    let s = sim::Sim::start(sim::SimConfig {
        budget: 1_000_000,
        ..Default::default()
    });
    let vm = vm::Vm::start(true);
    let settings = SinkSettings {
        url: vm.import_url(),
        auth: Auth::None,
    };
    let mut sink = Some(Victoria::new(&settings, syncbit::source::http::agent()));

    // 1. One day of 1-second heart rate.
    let day = NaiveDate::from_ymd_opt(2024, 6, 10).unwrap();
    let hr = vec![points(
        Resource::HeartRate,
        day,
        &s.intraday("heart", day, "1sec"),
    )];
    let mut best = (0, f64::MAX, f64::MAX);
    for _ in 0..5 {
        let r = run(&cal, std::slice::from_ref(&hr), &mut sink);
        best = (r.0, best.1.min(r.1), best.2.min(r.2));
    }
    println!(
        "1sec heart rate, one day: {} samples; format {} ({:.1} ms); push {} ({:.1} ms)",
        best.0,
        rate(best.0, best.1),
        best.1 * 1e3,
        rate(best.0, best.2),
        best.2 * 1e3
    );

    // 2. A year of 1-minute intraday, six resources, day by day.
    let first = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    let (mut n, mut fmt_s, mut push_s) = (0, 0.0, 0.0);
    for month in 0..12 {
        // Build one month of readings at a time (the pipeline holds one day).
        let mut days = Vec::new();
        for k in 0..31 {
            let d = first + Duration::days(month * 31 + k);
            if d.year_ce().1 != 2024 {
                break;
            }
            let mut v = Vec::new();
            for (r, key) in [
                (Resource::Steps, "steps"),
                (Resource::Calories, "calories"),
                (Resource::Distance, "distance"),
                (Resource::Elevation, "elevation"),
                (Resource::Floors, "floors"),
                (Resource::HeartRate, "heart"),
            ] {
                v.push(points(r, d, &s.intraday(key, d, "1min")));
            }
            days.push(v);
        }
        let r = run(&cal, &days, &mut sink);
        n += r.0;
        fmt_s += r.1;
        push_s += r.2;
    }
    println!(
        "1min intraday, six resources, one year: {n} samples; format {} ({:.2} s); push {} ({:.2} s)",
        rate(n, fmt_s),
        fmt_s,
        rate(n, push_s),
        push_s
    );

    // 3. Peak memory of the real binary over a one-year intraday backfill.
    let bin = std::env::var("SYNCBIT_BIN").unwrap_or_else(|_| "target/release/syncbit".into());
    if !std::path::Path::new(&bin).exists() {
        println!("peak memory: skipped ({bin} missing; run `cargo build --release` first)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("fitbit_tokens.json"), s.token_json(false)).unwrap();
    let t = Instant::now();
    let child = std::process::Command::new(&bin)
        .args(["backfill", "--intraday", "--days", "365", "-q"])
        .env_clear()
        // kept so that a binary built by `cargo llvm-cov` writes its profile
        .envs(std::env::vars_os().filter(|(k, _)| {
            let k = k.to_string_lossy();
            k == "LLVM_PROFILE_FILE" || k.starts_with("CARGO_LLVM_COV")
        }))
        .env("DATA_DIR", dir.path())
        .env("FITBIT_API_BASE_URL", s.base_url())
        .env("FITBIT_CLIENT_ID", sim::CLIENT_ID)
        .env("FITBIT_CLIENT_SECRET", sim::CLIENT_SECRET)
        .env("VICTORIA_ENDPOINT", vm.url())
        .env(
            "INTRADAY_RESOURCES",
            "steps,calories,distance,elevation,floors,heart_rate",
        )
        .env("INTRADAY_DETAIL_LEVEL", "1min")
        .env("INTRADAY_HEART_RATE_DETAIL", "1min")
        .spawn()
        .unwrap();
    let (ok, peak) = rss::wait_with_peak(child);
    println!(
        "backfill --intraday --days 365 (2,190 intraday + daily requests to the simulator): {} in {:.1} s, peak RSS {:.1} MiB",
        if ok { "ok" } else { "FAILED" },
        t.elapsed().as_secs_f64(),
        peak as f64 / 1024.0
    );
}
