//! The source boundary is enough without Fitbit: a source double that yields readings from a
//! plain iterator drives the engine end to end into a real VictoriaMetrics; the engine names no
//! vendor; the VictoriaMetrics sink retries what can succeed later and nothing else.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use crate::harness::assert_no_duplicates;
use crate::support::vm::Vm;
use syncbit::calendar::Calendar;
use syncbit::config::Run;
use syncbit::config::sink::{Auth, SinkSettings};
use syncbit::engine::{BATCH_SAMPLES, Engine, plan};
use syncbit::metrics::Metric;
use syncbit::sink::victoria::Victoria;
use syncbit::sink::{Batch, Sink};
use syncbit::source::{
    Account, Detail, Device, Family, Gap, Reading, Readings, Request, Resource, Series, Source,
    SourceError, Usage, http,
};

const TZ: &str = "America/New_York";

/// Requests the double answered, shared with the test after the engine took the source.
type Log = Arc<Mutex<Vec<Request>>>;

/// A source whose data is plain vectors: steps per day and heart-rate samples at instants.
struct Plain {
    steps: BTreeMap<NaiveDate, f64>,
    heart: Vec<(i64, f64)>,
    last_sync_ms: i64,
    failing_day: Option<NaiveDate>,
    /// The heart-rate stream breaks after this many readings.
    heart_breaks_after: Option<usize>,
    log: Log,
}

impl Source for Plain {
    fn id(&self) -> &'static str {
        "plain"
    }
    fn name(&self) -> &'static str {
        "the plain test source"
    }
    fn restore(&mut self, _: Option<&serde_json::Value>) {}
    fn memo(&self) -> Option<serde_json::Value> {
        None
    }
    fn ready(&self) -> Result<(), SourceError> {
        Ok(())
    }
    fn account(&mut self) -> Result<Account, SourceError> {
        Ok(Account {
            timezone: TZ.into(),
            first_day: None,
            id: Some("plain-account".into()),
        })
    }
    fn devices(&mut self, _: &Calendar) -> Result<Vec<Device>, SourceError> {
        Ok(vec![Device {
            id: "d1".into(),
            model: "Plain Band".into(),
            battery_percent: Some(64.0),
            last_sync_ms: Some(self.last_sync_ms),
            is_tracker: true,
        }])
    }
    /// Daily: one request per day; intraday: one request per gap, however long.
    fn plan(&self, gaps: &[Gap]) -> Vec<Request> {
        let mut out = Vec::new();
        for g in gaps {
            match g.series {
                Series::Daily(_) => out.extend(
                    g.first
                        .iter_days()
                        .take_while(|d| *d <= g.last)
                        .map(|d| Request {
                            series: g.series,
                            first: d,
                            last: d,
                            cost: 1,
                            form: 0,
                        }),
                ),
                Series::Intraday(..) => out.push(Request {
                    series: g.series,
                    first: g.first,
                    last: g.last,
                    cost: 1,
                    form: 0,
                }),
            }
        }
        out
    }
    fn fetch<'a>(
        &'a mut self,
        req: &Request,
        cal: &'a Calendar,
    ) -> Result<Readings<'a>, SourceError> {
        self.log.lock().unwrap().push(*req);
        let req = *req;
        match req.series {
            Series::Daily(Family::Activity) => {
                if self.failing_day == Some(req.first) {
                    return Err(SourceError::Invalid(
                        "the plain test source sent garbage".into(),
                    ));
                }
                Ok(Box::new(
                    self.steps
                        .iter()
                        .filter(move |(d, _)| **d >= req.first && **d <= req.last)
                        .map(|(d, v)| Ok(Reading::day(Metric::StepsTotal, *d, *v))),
                ))
            }
            Series::Intraday(Resource::HeartRate, _) => {
                let breaks = self.heart_breaks_after.unwrap_or(usize::MAX);
                Ok(Box::new(
                    self.heart
                        .iter()
                        .filter(move |(ms, _)| {
                            let d = cal.date_of_ms(*ms);
                            d >= req.first && d <= req.last
                        })
                        .enumerate()
                        .map(move |(i, (ms, v))| {
                            if i == breaks {
                                return Err(SourceError::Invalid("the stream broke".into()));
                            }
                            Ok(Reading::instant(Metric::HeartRateIntraday, *ms, *v))
                        }),
                ))
            }
            _ => Ok(Box::new(std::iter::empty())),
        }
    }
    fn usage(&self) -> Usage {
        Usage {
            requests: self.log.lock().unwrap().len() as u64,
            budget_left: None,
        }
    }
    fn pace(&self, _: u64) -> String {
        "no quota".into()
    }
    fn quota_size(&self) -> Option<u64> {
        None
    }
    fn account_calls(&self) -> u64 {
        0
    }
}

fn run_opts(dir: &std::path::Path) -> Run {
    Run {
        data_dir: dir.to_path_buf(),
        user: "plain".into(),
        timezone: None,
        include_today: true,
        families: vec![Family::Activity],
        collect_devices: true,
        intraday_with_sync: false,
        intraday_detail: Detail::Min1,
        heart_rate_detail: Detail::Sec1,
        intraday_resources: vec![Resource::HeartRate],
        intraday_backfill: true,
        intraday_backfill_days: 30,
        backfill_start: None,
        dry_run: false,
        lock_timeout: std::time::Duration::from_secs(5),
    }
}

fn sink(vm: &Vm) -> Box<dyn Sink> {
    Box::new(Victoria::new(
        &SinkSettings {
            url: vm.import_url(),
            auth: Auth::None,
        },
        http::agent(),
    ))
}

/// The last ten complete days: steps per day, and heart rate every 5 s (172,800 samples, more
/// than three batches, in one request).
fn plain(log: &Log) -> Plain {
    let tz: chrono_tz::Tz = TZ.parse().unwrap();
    let today = Utc::now().with_timezone(&tz).date_naive();
    let first = today - Duration::days(10);
    let start = tz
        .from_local_datetime(&first.and_hms_opt(0, 0, 0).unwrap())
        .unwrap()
        .timestamp_millis();
    let end = tz
        .from_local_datetime(&today.and_hms_opt(0, 0, 0).unwrap())
        .unwrap()
        .timestamp_millis();
    Plain {
        steps: first
            .iter_days()
            .take_while(|d| *d < today)
            .enumerate()
            .map(|(i, d)| (d, 1000.0 + i as f64))
            .collect(),
        heart: (start..end)
            .step_by(5_000)
            .map(|ms| (ms, 60.0 + (ms / 5_000 % 40) as f64))
            .collect(),
        last_sync_ms: Utc::now().timestamp_millis(),
        failing_day: None,
        heart_breaks_after: None,
        log: log.clone(),
    }
}

#[test]
fn boundary_a_plain_source_runs_the_engine_into_victoriametrics() {
    let vm = Vm::start(false); // no dedup: a repeated sample would show
    let dir = tempfile::tempdir().unwrap();
    let log: Log = Default::default();
    let source = plain(&log);
    let (steps, heart) = (source.steps.clone(), source.heart.clone());
    assert!(heart.len() > 3 * BATCH_SAMPLES);

    let mut e = Engine::open(run_opts(dir.path()), Box::new(source), sink(&vm)).unwrap();
    let w = plan::Window {
        days: Some(10),
        intraday: true,
        ..Default::default()
    };
    let gaps = plan::backfill(e.book(), &e.facts, &e.opts, &w, true);
    let summary = e.run(&gaps, true, "backfill").unwrap();
    // 10 daily requests, one intraday request for the whole window.
    assert_eq!(log.lock().unwrap().len(), 11);
    assert_eq!(summary.samples, steps.len() + heart.len() + 2);
    drop(e);

    let cal = Calendar::new(TZ.parse().unwrap());
    let got = vm.export(
        "fitbit_steps_total",
        1_167_609_600_000,
        Utc::now().timestamp_millis(),
    );
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].labels["user"], "plain");
    let want: Vec<(i64, f64)> = steps
        .iter()
        .map(|(d, v)| (cal.day_start_ms(*d), *v))
        .collect();
    let have: Vec<(i64, f64)> = got[0]
        .timestamps
        .iter()
        .copied()
        .zip(got[0].values.iter().copied())
        .collect();
    assert_eq!(have, want);

    let hr = vm.export(
        "fitbit_heart_rate_intraday",
        1_167_609_600_000,
        Utc::now().timestamp_millis(),
    );
    assert_no_duplicates(&hr);
    let have: Vec<(i64, f64)> = hr[0]
        .timestamps
        .iter()
        .copied()
        .zip(hr[0].values.iter().copied())
        .collect();
    assert_eq!(have, heart);
    let battery = vm.export(
        "fitbit_device_battery_percent",
        0,
        Utc::now().timestamp_millis() + 1,
    );
    assert_eq!(battery[0].values, vec![64.0]);

    // Everything is recorded: a second run plans nothing and asks nothing.
    let again = plain(&log);
    let mut e = Engine::open(run_opts(dir.path()), Box::new(again), sink(&vm)).unwrap();
    let gaps = plan::backfill(e.book(), &e.facts, &e.opts, &w, true);
    assert!(gaps.is_empty(), "{gaps:?}");
    e.run(&gaps, true, "backfill").unwrap();
    assert_eq!(log.lock().unwrap().len(), 11);
    assert!(!dir.path().join("spool").read_dir().unwrap().any(|_| true));
}

#[test]
fn boundary_one_bad_request_spoils_only_itself() {
    let vm = Vm::start(true);
    let dir = tempfile::tempdir().unwrap();
    let log: Log = Default::default();
    let mut source = plain(&log);
    source.heart.clear();
    let bad = *source.steps.keys().nth(4).unwrap();
    source.failing_day = Some(bad);
    let n = source.steps.len();
    let mut opts = run_opts(dir.path());
    opts.intraday_resources.clear();
    let mut e = Engine::open(opts.clone(), Box::new(source), sink(&vm)).unwrap();
    let w = plan::Window {
        days: Some(10),
        ..Default::default()
    };
    let gaps = plan::backfill(e.book(), &e.facts, &e.opts, &w, true);
    let summary = e.run(&gaps, false, "backfill").unwrap();
    let err = syncbit::engine::failures(&[&summary]).unwrap_err();
    assert_eq!(err.code, 1);
    assert!(
        err.message.contains(&format!("activity {bad}")),
        "{}",
        err.message
    );
    drop(e);
    let got = vm.export("fitbit_steps_total", 0, Utc::now().timestamp_millis());
    assert_eq!(got[0].values.len(), n - 1);

    // The next run asks only for the day that failed.
    let before = log.lock().unwrap().len();
    let mut e = Engine::open(opts, Box::new(plain(&log)), sink(&vm)).unwrap();
    let gaps = plan::backfill(e.book(), &e.facts, &e.opts, &w, true);
    e.run(&gaps, false, "backfill").unwrap();
    let asked: Vec<Request> = log.lock().unwrap()[before..].to_vec();
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert_eq!(asked[0].first, bad);
    let got = vm.export("fitbit_steps_total", 0, Utc::now().timestamp_millis());
    assert_eq!(got[0].values.len(), n);
}

#[test]
fn boundary_a_stream_that_breaks_after_two_batches_is_resumed_exactly() {
    let vm = Vm::start(false); // no dedup: a repeated sample would show
    let dir = tempfile::tempdir().unwrap();
    let log: Log = Default::default();
    let mut source = plain(&log);
    source.steps.clear();
    let heart = source.heart.clone();
    // Two full batches are pushed with their progress, then the stream breaks.
    source.heart_breaks_after = Some(2 * BATCH_SAMPLES + 20_000);
    let mut opts = run_opts(dir.path());
    opts.families.clear();
    let w = plan::Window {
        days: Some(10),
        intraday: true,
        ..Default::default()
    };
    let mut e = Engine::open(opts.clone(), Box::new(source), sink(&vm)).unwrap();
    let gaps = plan::backfill(e.book(), &e.facts, &e.opts, &w, true);
    let s = e.run(&gaps, false, "backfill").unwrap();
    assert_eq!(s.failed.len(), 1, "{:?}", s.failed);
    assert_eq!(s.samples, 2 * BATCH_SAMPLES);
    drop(e);
    let until = Utc::now().timestamp_millis();
    let hr = vm.export("fitbit_heart_rate_intraday", 0, until);
    assert_eq!(hr[0].timestamps.len(), 2 * BATCH_SAMPLES);

    let mut again = plain(&log);
    again.steps.clear();
    let mut e = Engine::open(opts, Box::new(again), sink(&vm)).unwrap();
    let gaps = plan::backfill(e.book(), &e.facts, &e.opts, &w, true);
    let s = e.run(&gaps, false, "backfill").unwrap();
    assert!(s.failed.is_empty());
    assert_eq!(s.samples, heart.len() - 2 * BATCH_SAMPLES);
    // A large import can take a moment to become searchable on a loaded machine: wait for
    // the count, then compare every sample.
    let mut hr = vm.export("fitbit_heart_rate_intraday", 0, until);
    for _ in 0..50 {
        if hr.first().map_or(0, |s| s.timestamps.len()) >= heart.len() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
        hr = vm.export("fitbit_heart_rate_intraday", 0, until);
    }
    assert_no_duplicates(&hr);
    let have: Vec<(i64, f64)> = hr[0]
        .timestamps
        .iter()
        .copied()
        .zip(hr[0].values.iter().copied())
        .collect();
    assert_eq!(have.len(), heart.len(), "samples in VictoriaMetrics");
    let first_difference = have.iter().zip(&heart).position(|(a, b)| a != b);
    assert_eq!(first_difference, None, "first sample that differs");
}

/// A server that answers the statuses of `script` in turn (the last one for ever), echoing the
/// Authorization header in its body as vmauth does; returns its URL and the request count.
fn scripted(script: Vec<u16>) -> (String, Arc<Mutex<usize>>) {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let url = format!(
        "http://127.0.0.1:{}/api/v1/import/prometheus",
        server.server_addr().to_ip().unwrap().port()
    );
    let count = Arc::new(Mutex::new(0usize));
    let c = count.clone();
    std::thread::spawn(move || {
        for req in server.incoming_requests() {
            let n = {
                let mut n = c.lock().unwrap();
                *n += 1;
                *n
            };
            let status = script[(n - 1).min(script.len() - 1)];
            let auth = req
                .headers()
                .iter()
                .find(|h| h.field.equiv("Authorization"))
                .map(|h| h.value.to_string())
                .unwrap_or_default();
            let _ = req.respond(
                tiny_http::Response::from_string(format!("cannot authorize {auth}"))
                    .with_status_code(status),
            );
        }
    });
    (url, count)
}

fn one_sample() -> Batch {
    let mut b = Batch::new("u", Utc::now().timestamp_millis());
    b.add(Metric::StepsTotal, &[], 1.0, Utc::now().timestamp_millis())
        .unwrap();
    b
}

#[test]
fn boundary_the_sink_retries_503_and_not_400() {
    let settings = |url: String| SinkSettings {
        url,
        auth: Auth::Basic("alice".into(), "s3cret-pw".into()),
    };
    let (url, count) = scripted(vec![503, 204]);
    Victoria::new(&settings(url), http::agent())
        .push(&one_sample())
        .unwrap();
    assert_eq!(*count.lock().unwrap(), 2);

    let (url, count) = scripted(vec![400]);
    let err = Victoria::new(&settings(url), http::agent())
        .push(&one_sample())
        .unwrap_err()
        .to_string();
    assert_eq!(*count.lock().unwrap(), 1);
    assert!(err.contains("400"), "{err}");
    let token = http::basic("alice", "s3cret-pw");
    let token = token.trim_start_matches("Basic ");
    assert!(!err.contains("s3cret-pw") && !err.contains(token), "{err}");
}

#[test]
fn boundary_the_engine_and_the_source_trait_name_no_vendor() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![
        root.join("source/mod.rs"),
        root.join("source/http.rs"),
        root.join("format.rs"),
    ];
    for f in std::fs::read_dir(root.join("engine")).unwrap() {
        files.push(f.unwrap().path());
    }
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, line) in text.lines().enumerate() {
            let l = line.to_lowercase();
            let code = l.split("//").next().unwrap_or("");
            let at = format!("{}:{}: {line}", f.display(), i + 1);
            if f.ends_with("engine/mod.rs") || f.ends_with("engine/plan.rs") {
                assert!(
                    !code.contains("source::fitbit") && !code.contains("cmd::"),
                    "{at}"
                );
            }
            if l.trim_start().starts_with("pub mod ") {
                continue; // the module tree lists the sources
            }
            // Metric names (`fitbit_…`) are the product's, not a vendor's API.
            let vendor = l.replace("fitbit_", "");
            for word in ["fitbit", "google", "api.fitbit", "googleapis"] {
                assert!(!vendor.contains(word), "{at}");
            }
        }
    }
}
