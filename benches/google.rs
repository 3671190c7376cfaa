//! Benchmarks of the Google Health API source, reported in the closing notes of issue 9:
//!
//! 1. parsing list pages of raw heart rate (5000 points a page, the captured point shape with
//!    `dataSource` and `civilTime`) into (instant, bpm) pairs;
//! 2. parsing physical `rollUp` pages (10000 one-minute windows);
//! 3. peak resident memory and wall time of the real binary running
//!    `backfill --intraday` of raw (`1sec`) heart rate against the Google simulator and a real
//!    VictoriaMetrics (`SYNCBIT_BENCH_DAYS`, default 30; a year is 365 and takes about as many
//!    minutes as it makes thousands of requests, at 250 a minute).
//!
//! Run: `cargo build --release && cargo bench --bench google`.

#[allow(dead_code)]
#[path = "../tests/e2e/support/google_sim.rs"]
mod google_sim;
#[path = "support/rss.rs"]
mod rss;
#[allow(dead_code)]
#[path = "../tests/e2e/support/sim.rs"]
mod sim;
#[allow(dead_code)]
#[path = "../tests/e2e/support/vm.rs"]
mod vm;

use std::fmt::Write as _;
use std::time::Instant;
use syncbit::source::google::wire::{self, HeartRatePoint, ListPage, RollupPage};

fn heart_rate_page(start_ms: i64, n: usize) -> String {
    let mut s = String::from("{\"dataPoints\": [");
    for i in 0..n {
        let t = chrono::DateTime::from_timestamp_millis(start_ms - i as i64 * 2000).unwrap();
        let local = t - chrono::Duration::hours(4);
        if i > 0 {
            s.push(',');
        }
        write!(
            s,
            r#"{{"dataSource": {{"device": {{}}, "platform": "FITBIT", "recordingMethod": "PASSIVELY_MEASURED"}},
 "heartRate": {{"beatsPerMinute": "{}", "sampleTime": {{"civilTime": {{"date": {{"day": {}, "month": {}, "year": {}}},
 "time": {{"hours": {}, "minutes": {}, "seconds": {}}}}}, "physicalTime": "{}", "utcOffset": "-14400s"}}}}}}"#,
            55 + i % 40,
            chrono::Datelike::day(&local),
            chrono::Datelike::month(&local),
            chrono::Datelike::year(&local),
            chrono::Timelike::hour(&local),
            chrono::Timelike::minute(&local),
            chrono::Timelike::second(&local),
            t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        )
        .unwrap();
    }
    s.push_str("], \"nextPageToken\": \"CjQKMgoQ\"}");
    s
}

fn rollup_page(start_ms: i64, n: usize) -> String {
    let mut s = String::from("{\"rollupDataPoints\": [");
    for i in 0..n {
        let t = start_ms - i as i64 * 60_000;
        let rfc = |ms: i64| {
            chrono::DateTime::from_timestamp_millis(ms)
                .unwrap()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        };
        if i > 0 {
            s.push(',');
        }
        write!(
            s,
            r#"{{"heartRate": {{"beatsPerMinuteAvg": {}.25, "beatsPerMinuteMax": 90, "beatsPerMinuteMin": 50}}, "startTime": "{}", "endTime": "{}"}}"#,
            60 + i % 30,
            rfc(t),
            rfc(t + 60_000)
        )
        .unwrap();
    }
    s.push_str("], \"nextPageToken\": \"cjE\"}");
    s
}

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::MAX;
    let mut out = None;
    for _ in 0..runs {
        let t = Instant::now();
        let r = f();
        best = best.min(t.elapsed().as_secs_f64());
        out = Some(r);
    }
    (best, out.unwrap())
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let start = chrono::Utc::now().timestamp_millis();

    // 1. Raw heart-rate list pages.
    let pages: Vec<String> = (0..20)
        .map(|p| heart_rate_page(start - p * 10_000_000, 5000))
        .collect();
    let bytes: usize = pages.iter().map(String::len).sum();
    // As the source does it: parse, keep (instant, bpm), sort into time order.
    let (secs, n) = best_of(7, || {
        let mut pts: Vec<(i64, f64)> = Vec::with_capacity(100_000);
        for p in &pages {
            let page: ListPage<HeartRatePoint> = wire::parse(p.as_bytes()).unwrap();
            pts.extend(page.data_points.iter().filter_map(|p| {
                let s = p.heart_rate.as_ref()?;
                Some((s.sample_time.physical_time.0, s.beats_per_minute.0?))
            }));
        }
        pts.sort_by_key(|p| p.0);
        pts.len()
    });
    println!(
        "heart-rate list pages: {n} points ({:.1} MB of JSON) in {:.1} ms: {:.2} M points/s, {:.0} MB/s",
        bytes as f64 / 1e6,
        secs * 1e3,
        n as f64 / secs / 1e6,
        bytes as f64 / secs / 1e6
    );
    let (secs, _) = best_of(7, || {
        for p in &pages {
            let _: serde::de::IgnoredAny = serde_json::from_slice(p.as_bytes()).unwrap();
        }
    });
    println!(
        "  (serde_json only checking the same pages: {:.0} MB/s, {:.2} M points/s)",
        bytes as f64 / secs / 1e6,
        n as f64 / secs / 1e6
    );

    // 2. rollUp pages.
    let pages: Vec<String> = (0..10)
        .map(|p| rollup_page(start - p * 600_000_000, 10_000))
        .collect();
    let (secs, n) = best_of(5, || {
        let mut n = 0;
        for p in &pages {
            let page: RollupPage = wire::parse(p.as_bytes()).unwrap();
            n += page
                .rollup_data_points
                .iter()
                .filter(|w| w.start_time.is_some() && w.heart_rate.is_some())
                .count();
        }
        n
    });
    println!(
        "rollUp pages: {n} windows in {:.1} ms: {:.2} M windows/s",
        secs * 1e3,
        n as f64 / secs / 1e6
    );

    // 3. Peak memory of the real binary over a raw heart-rate backfill.
    let bin = std::env::var("SYNCBIT_BIN").unwrap_or_else(|_| "target/release/syncbit".into());
    if !std::path::Path::new(&bin).exists() {
        println!("peak memory: skipped ({bin} missing; run `cargo build --release` first)");
        return;
    }
    let days: i64 = std::env::var("SYNCBIT_BENCH_DAYS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::America::New_York)
        .date_naive();
    let sim = google_sim::GoogleSim::start(google_sim::GoogleSimConfig {
        first_day: today - chrono::Duration::days(days + 5),
        ..Default::default()
    });
    let vm = vm::Vm::start(true);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("google_tokens.json"), sim.token_json(false)).unwrap();
    let t = Instant::now();
    let child = std::process::Command::new(&bin)
        .args(["backfill", "--intraday", "--days", &days.to_string(), "-q"])
        .env_clear()
        .env("DATA_DIR", dir.path())
        .env("SYNCBIT_SOURCE", "google-health")
        .env("GOOGLE_HEALTH_API_BASE_URL", sim.base_url())
        .env("GOOGLE_TOKEN_URL", sim.token_url())
        .env("GOOGLE_CLIENT_ID", google_sim::CLIENT_ID)
        .env("GOOGLE_CLIENT_SECRET", google_sim::CLIENT_SECRET)
        .env("VICTORIA_ENDPOINT", vm.url())
        .env("INTRADAY_RESOURCES", "heart_rate")
        .env("INTRADAY_HEART_RATE_DETAIL", "1sec")
        .spawn()
        .unwrap();
    let (ok, peak) = rss::wait_with_peak(child);
    let secs = t.elapsed().as_secs_f64();
    // In weekly slices: an export of a year of raw heart rate is more than one answer holds.
    let end = chrono::Utc::now().timestamp_millis() + 86_400_000;
    let mut samples = 0;
    let mut from = end - (days + 3) * 86_400_000;
    while from < end {
        let to = (from + 7 * 86_400_000).min(end);
        samples += vm
            .export("fitbit_heart_rate_intraday", from, to - 1)
            .iter()
            .map(|s| s.timestamps.len())
            .sum::<usize>();
        from = to;
    }
    println!(
        "backfill --intraday --days {days} of 1sec heart rate: {} in {secs:.1} s, {samples} samples, \
         {} requests ({} answered 429), peak RSS {:.1} MiB",
        if ok { "ok" } else { "FAILED" },
        sim.data_calls(),
        sim.data_requests()
            .iter()
            .filter(|r| r.status == 429)
            .count(),
        peak as f64 / 1024.0
    );
}
