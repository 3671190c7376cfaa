//! What one person costs, measured by hand for the README section "Scale": run with
//! `cargo test --release --test e2e scale -- --ignored --nocapture --test-threads 1`.
//! Each test prints its figures; nothing is asserted beyond the runs succeeding.

use chrono::Duration;

use crate::harness::{Env, GEnv};
use crate::support::google_sim::GoogleSimConfig;
use crate::support::sim::SimConfig;
use crate::support::syncbit;
use crate::support::takeout_gen;
use crate::support::vm::Vm;

const ALL: &str = "steps,calories,distance,elevation,floors,heart_rate";

/// Requests a run reports ("…, 12 requests to the Google Health API").
fn requests(stderr: &str) -> u64 {
    stderr
        .lines()
        .filter_map(|l| {
            let i = l.find(" request")?;
            let head = &l[..i];
            head.rsplit(' ').next()?.parse::<u64>().ok()
        })
        .sum()
}

fn samples(stderr: &str) -> u64 {
    stderr
        .lines()
        .filter_map(|l| {
            let i = l.find(" sample")?;
            l[..i].rsplit(' ').next()?.parse::<u64>().ok()
        })
        .sum()
}

/// A day of timers: `sync` once, `sync-intraday` every 15 minutes (96 runs). The first runs
/// of a fresh directory catch up; the steady run of the day is measured by repeating it.
fn day(name: &str, run: &dyn Fn(&[&str]) -> String) {
    let first_sync = requests(&run(&["sync"]));
    let first_intraday = requests(&run(&["sync-intraday"]));
    let steady: Vec<u64> = (0..3).map(|_| requests(&run(&["sync-intraday"]))).collect();
    let per_run = *steady.iter().max().unwrap();
    // Once a day the intraday run also finishes yesterday (as the first run did).
    let per_day = first_sync + first_intraday + 95 * per_run;
    println!(
        "{name}: sync {first_sync} requests, first sync-intraday of a day {first_intraday}, \
         later sync-intraday {steady:?} → about {per_day} requests a day with all six resources"
    );
}

#[test]
#[ignore]
fn scale_requests_per_day() {
    let mut g = GEnv::new(
        GoogleSimConfig {
            timezone: "Europe/Berlin".into(),
            last_sync: Some(chrono::Utc::now() - Duration::minutes(5)),
            ..Default::default()
        },
        true,
    );
    g.set("INTRADAY_RESOURCES", ALL);
    g.set("INTRADAY_DETAIL_LEVEL", "1min");
    g.set("INTRADAY_HEART_RATE_DETAIL", "1sec");
    day("google-health", &|a: &[&str]| {
        g.ok(&[&["-v"], a].concat()).stderr
    });

    let mut f = Env::new(SimConfig::default(), true);
    f.set("INTRADAY_RESOURCES", ALL);
    f.set("INTRADAY_DETAIL_LEVEL", "1min");
    f.set("INTRADAY_HEART_RATE_DETAIL", "1sec");
    day("fitbit-web-api (simulated)", &|a: &[&str]| {
        f.ok(&[&["-v"], a].concat()).stderr
    });
}

#[test]
#[ignore]
fn scale_samples_per_day_and_detail_level() {
    for (level, hr) in [
        ("1min", "1sec"),
        ("1min", "1min"),
        ("5min", "5min"),
        ("15min", "15min"),
    ] {
        let mut g = GEnv::new(
            GoogleSimConfig {
                timezone: "Europe/Berlin".into(),
                ..Default::default()
            },
            true,
        );
        g.set("INTRADAY_RESOURCES", ALL);
        g.set("INTRADAY_DETAIL_LEVEL", level);
        g.set("INTRADAY_HEART_RATE_DETAIL", hr);
        g.ok(&["backfill", "--intraday", "--days", "1"]);
        let y = g.sim.today() - Duration::days(1);
        let (s, e) = (
            crate::harness::midnight_ms(g.tz(), y),
            crate::harness::midnight_ms(g.tz(), y + Duration::days(1)),
        );
        let mut by: Vec<(String, usize)> = g
            .export_all()
            .iter()
            .filter(|x| x.name().ends_with("_intraday"))
            .map(|x| {
                (
                    x.name().to_string(),
                    x.timestamps.iter().filter(|t| **t >= s && **t < e).count(),
                )
            })
            .collect();
        by.sort();
        let total: usize = by.iter().map(|x| x.1).sum();
        println!("intraday {level} (heart rate {hr}): {total} samples in one day: {by:?}");
    }
    let g = GEnv::new(
        GoogleSimConfig {
            timezone: "Europe/Berlin".into(),
            ..Default::default()
        },
        true,
    );
    let r = g.ok(&["-v", "backfill", "--days", "30"]);
    println!(
        "daily values, every family: {} samples for 30 days",
        samples(&r.stderr)
    );
}

fn du(p: &std::path::Path) -> u64 {
    let o = std::process::Command::new("du")
        .args(["-sb"])
        .arg(p)
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
#[ignore]
fn scale_bytes_per_year_in_victoria_metrics() {
    for hr_every_s in [5, 15] {
        let tree = tempfile::tempdir().unwrap();
        let mut spec = takeout_gen::Spec::small(365);
        spec.hr_every_s = hr_every_s;
        spec.traps = false;
        let (_, n, json) = takeout_gen::write_tree_no_truth(tree.path(), &spec);
        let vm = Vm::start(true);
        let data = tempfile::tempdir().unwrap();
        let empty = du(&vm.storage_path());
        let o = syncbit()
            .env("DATA_DIR", data.path())
            .env("VICTORIA_ENDPOINT", vm.url())
            .env("FITBIT_USER_ID", "scale")
            .arg("import")
            .arg(tree.path())
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        vm.flush();
        let agent = ureq::AgentBuilder::new().build();
        agent
            .get(&format!("{}/internal/force_merge", vm.url()))
            .call()
            .unwrap();
        // Merges run in the background: wait until the size settles.
        let mut last = 0;
        for _ in 0..120 {
            std::thread::sleep(std::time::Duration::from_secs(1));
            let now = du(&vm.storage_path());
            if now == last {
                break;
            }
            last = now;
        }
        let bytes = last.saturating_sub(empty);
        println!(
            "one year, heart rate every {hr_every_s} s: {n} samples ({:.0} MB of export JSON) → {:.1} MB in VictoriaMetrics ({:.2} bytes a sample; empty store {:.1} MB)",
            json as f64 / 1e6,
            bytes as f64 / 1e6,
            bytes as f64 / n as f64,
            empty as f64 / 1e6
        );
    }
}
