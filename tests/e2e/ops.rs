//! Operating syncbit: the alert rules in `contrib/syncbit-alerts.yml` (loaded by vmalert, and
//! each expression evaluated against VictoriaMetrics in failing and healthy scenarios) and the
//! Grafana dashboard in `contrib/grafana-dashboard.json` (every panel query run against a
//! VictoriaMetrics filled by a demo sync).

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crate::harness::{Env, now_ms};
use crate::support::sim::SimConfig;
use crate::support::vm::Vm;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const RULES: &str = "contrib/syncbit-alerts.yml";
const DASHBOARD: &str = "contrib/grafana-dashboard.json";
const ALERTS: [&str; 5] = [
    "SyncbitSyncStale",
    "SyncbitRateLimitRepeated",
    "SyncbitAuthorizationNeeded",
    "SyncbitSourceGone",
    "SyncbitIntradayStale",
];

/// `(alert name, expr)` of every rule, read with a small line parser: `- alert: NAME` starts a
/// rule; `expr:` is either inline or a block scalar (`|`, `|-`, `>`, `>-`) whose lines are
/// indented deeper than the key.
fn rules() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(repo().join(RULES)).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let indent = |l: &str| l.len() - l.trim_start().len();
    let mut out = Vec::new();
    let mut name: Option<String> = None;
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i];
        let t = l.trim_start().trim_start_matches("- ");
        if let Some(n) = t.strip_prefix("alert:") {
            name = Some(n.trim().to_string());
        } else if let Some(v) = t.strip_prefix("expr:") {
            let v = v.trim();
            let expr = if v.starts_with('|') || v.starts_with('>') {
                let key = indent(l);
                let mut body = Vec::new();
                while i + 1 < lines.len()
                    && (lines[i + 1].trim().is_empty() || indent(lines[i + 1]) > key)
                {
                    i += 1;
                    body.push(lines[i].trim());
                }
                body.join("\n").trim().to_string()
            } else {
                v.trim_matches(|c| c == '\'' || c == '"').to_string()
            };
            let n = name.take().expect("expr: before alert:");
            out.push((n, expr));
        }
        i += 1;
    }
    out
}

#[test]
fn ops_vmalert_dry_run_accepts_the_rules() {
    let names: Vec<String> = rules().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ALERTS, "alerts in {RULES}");
    let o = Command::new("vmalert")
        .arg("-dryRun")
        .arg(format!("-rule={}", repo().join(RULES).display()))
        .output()
        .expect("vmalert not found: apt-get install victoria-metrics (it ships vmalert)");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        o.status.success(),
        "vmalert -dryRun rejected {RULES}:\n{log}"
    );
    for bad in ["\terror\t", "\tfatal\t", "\twarn\t"] {
        assert!(!log.contains(bad), "vmalert -dryRun:\n{log}");
    }
}

/// `GET /api/v1/query` at `time_ms`; the result vector (panics unless success).
fn query(vm: &Vm, expr: &str, time_ms: i64) -> Vec<Value> {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(20))
        .build();
    let r = agent
        .get(&format!("{}/api/v1/query", vm.url()))
        .query("query", expr)
        .query("time", &format!("{:.3}", time_ms as f64 / 1000.0))
        .call()
        .unwrap_or_else(|e| panic!("query {expr}: {e}"));
    let v: Value = r.into_json().unwrap();
    assert_eq!(v["status"], "success", "{expr}: {v}");
    v["data"]["result"].as_array().cloned().unwrap_or_default()
}

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;
const DAY: i64 = 24 * HOUR;

/// One user's health history over the 6 hours before the evaluation instant `t` (ms): sync every
/// 15 minutes, sync-intraday hourly, the device syncing every 15 minutes, and the newest
/// complete days of a healthy setup (yesterday, UTC days). Scenarios change a part of it.
#[derive(Clone)]
struct Profile {
    user: &'static str,
    /// Exit codes of the 24 sync runs, oldest first (the last one 15 minutes before `t`).
    sync: Vec<u8>,
    /// Exit codes of the 6 sync-intraday runs, oldest first (the last one an hour before `t`).
    intraday: Vec<u8>,
    /// Exit codes of backfill runs, each with how long before `t` it ended.
    backfill: Vec<(i64, u8)>,
    /// The newest complete intraday day: this many days before the day of `t`.
    intraday_days_behind: i64,
    /// The device's last sync: this long before `t`; `None`: no device samples at all.
    device_synced_ago: Option<i64>,
    /// No syncbit health metrics at all (syncbit never ran); only some data.
    silent: bool,
}

impl Profile {
    fn healthy(user: &'static str) -> Profile {
        Profile {
            user,
            sync: vec![0; 24],
            intraday: vec![0; 6],
            backfill: Vec::new(),
            intraday_days_behind: 1,
            device_synced_ago: Some(20 * MIN),
            silent: false,
        }
    }

    /// Prometheus text lines with ms timestamps, for evaluation at `t`.
    fn samples(&self, t: i64) -> String {
        let u = self.user;
        let mut out = String::new();
        let midnight = |days_back: i64| (t / DAY - days_back) * DAY / 1000;
        out += &format!(
            "fitbit_steps_total{{user=\"{u}\"}} 8000 {}\n",
            midnight(1) * 1000
        );
        if let Some(ago) = self.device_synced_ago {
            for k in 0..4 {
                let ts = t - ago - k * 15 * MIN;
                out += &format!(
                    "fitbit_device_last_sync_timestamp{{user=\"{u}\",device_id=\"1\",device_type=\"Charge 6\"}} {} {ts}\n",
                    ts / 1000
                );
            }
        }
        if self.silent {
            return out;
        }
        let mut run = |command: &str, end: i64, code: u8, kinds: &[(&str, &str, i64)]| {
            let l = format!("user=\"{u}\",command=\"{command}\"");
            out += &format!("syncbit_run_exit_code{{{l}}} {code} {end}\n");
            out += &format!("syncbit_run_duration_seconds{{{l}}} 4.2 {end}\n");
            if code == 0 {
                out += &format!(
                    "syncbit_last_success_timestamp_seconds{{{l}}} {} {end}\n",
                    end / 1000
                );
            }
            out += &format!("syncbit_fitbit_rate_limit_remaining{{user=\"{u}\"}} 120 {end}\n");
            for (kind, family, days_back) in kinds {
                out += &format!(
                    "syncbit_newest_complete_day_timestamp_seconds{{user=\"{u}\",kind=\"{kind}\",family=\"{family}\"}} {} {end}\n",
                    midnight(*days_back)
                );
            }
        };
        let behind = self.intraday_days_behind;
        let kinds = [
            ("daily", "activity", 1),
            ("intraday", "steps", behind),
            ("intraday", "heart_rate", behind),
        ];
        for (i, code) in self.sync.iter().enumerate() {
            let end = t - 6 * HOUR + i as i64 * 15 * MIN;
            run("sync", end, *code, &kinds);
        }
        for (i, code) in self.intraday.iter().enumerate() {
            let end = t - 6 * HOUR + i as i64 * HOUR + 7 * MIN;
            run("sync-intraday", end, *code, &kinds);
        }
        for (ago, code) in &self.backfill {
            run("backfill", t - ago, *code, &kinds);
        }
        out
    }
}

/// A scenario: some users' histories and the alerts expected to fire at its instant, each with
/// the `user` label of its result ("" for a result without one).
struct Scenario {
    name: &'static str,
    users: Vec<Profile>,
    fires: Vec<(&'static str, &'static str)>,
}

fn scenarios() -> Vec<Scenario> {
    let healthy = Profile::healthy;
    let with = |f: &dyn Fn(&mut Profile)| {
        let mut p = healthy("bad");
        f(&mut p);
        p
    };
    vec![
        Scenario {
            name: "healthy",
            users: vec![healthy("ok"), healthy("ok2")],
            fires: vec![],
        },
        Scenario {
            name: "sync failing for 5 hours",
            users: vec![with(&|p| {
                for c in &mut p.sync[3..] {
                    *c = 1;
                }
            })],
            fires: vec![("SyncbitSyncStale", "bad")],
        },
        Scenario {
            name: "syncbit stopped reporting 5 hours ago (timer disabled)",
            users: vec![with(&|p| {
                p.sync.truncate(4);
                p.intraday.truncate(1);
            })],
            fires: vec![("SyncbitSyncStale", "bad"), ("SyncbitSyncStale", "")],
        },
        Scenario {
            name: "syncbit never reported (only data)",
            users: vec![with(&|p| p.silent = true)],
            fires: vec![("SyncbitSyncStale", "")],
        },
        Scenario {
            name: "one user's sync never succeeded, another is fine",
            users: vec![
                healthy("ok"),
                with(&|p| {
                    p.sync = vec![1; 24];
                }),
            ],
            fires: vec![("SyncbitSyncStale", "bad")],
        },
        Scenario {
            name: "rate limit spent 4 times in the last 3 hours",
            users: vec![
                healthy("ok"),
                with(&|p| {
                    for i in [14, 17, 20, 23] {
                        p.sync[i] = 75;
                    }
                }),
            ],
            fires: vec![("SyncbitRateLimitRepeated", "bad")],
        },
        Scenario {
            name: "rate limit: one recent 75, older ones, a backfill using the budget",
            users: vec![with(&|p| {
                for i in [2, 3, 4, 20] {
                    p.sync[i] = 75;
                }
                p.intraday[5] = 75;
                p.backfill = vec![(2 * HOUR, 75), (HOUR, 75), (50 * MIN, 75), (10 * MIN, 75)];
            })],
            fires: vec![],
        },
        Scenario {
            name: "refresh token refused on the last two syncs",
            users: vec![
                healthy("ok"),
                with(&|p| {
                    p.sync[22] = 77;
                    p.sync[23] = 77;
                }),
            ],
            fires: vec![("SyncbitAuthorizationNeeded", "bad")],
        },
        Scenario {
            name: "authorization needed, then fixed",
            users: vec![with(&|p| {
                p.sync[20] = 77;
                p.sync[21] = 77;
                p.intraday[4] = 77;
            })],
            fires: vec![],
        },
        Scenario {
            name: "authorization needed for 4 hours",
            users: vec![with(&|p| {
                p.sync[8..].fill(77);
                p.intraday[2..].fill(77);
            })],
            fires: vec![
                ("SyncbitAuthorizationNeeded", "bad"),
                ("SyncbitSyncStale", "bad"),
            ],
        },
        Scenario {
            name: "the Fitbit Web API answered 410 Gone on the last sync",
            users: vec![
                healthy("ok"),
                with(&|p| {
                    p.sync[23] = 69;
                }),
            ],
            fires: vec![("SyncbitSourceGone", "bad")],
        },
        Scenario {
            name: "source gone for every command for 4 hours, no backfill since",
            users: vec![with(&|p| {
                p.sync[8..].fill(69);
                p.intraday[2..].fill(69);
                p.backfill = vec![(5 * HOUR, 69)];
            })],
            fires: vec![("SyncbitSourceGone", "bad"), ("SyncbitSyncStale", "bad")],
        },
        Scenario {
            name: "source gone once, then answering again",
            users: vec![with(&|p| {
                p.sync[18] = 69;
                p.sync[19] = 69;
                p.intraday[4] = 69;
            })],
            fires: vec![],
        },
        Scenario {
            name: "a backfill exited 69 three hours ago, the timers are fine",
            users: vec![with(&|p| p.backfill = vec![(3 * HOUR, 69)])],
            fires: vec![],
        },
        Scenario {
            name: "intraday 4 days behind while the device synced 20 minutes ago",
            users: vec![healthy("ok"), with(&|p| p.intraday_days_behind = 4)],
            fires: vec![("SyncbitIntradayStale", "bad")],
        },
        Scenario {
            name: "intraday 4 days behind, the device has not synced for 3 days",
            users: vec![with(&|p| {
                p.intraday_days_behind = 4;
                p.device_synced_ago = Some(3 * DAY);
            })],
            fires: vec![],
        },
    ]
}

/// Each scenario is imported into one VictoriaMetrics at its own instant, 40 days apart (longer
/// than any window in the rules), and every rule is evaluated at every scenario's instant.
#[test]
fn ops_alerts_fire_in_failing_scenarios_only() {
    let rules = rules();
    assert_eq!(rules.len(), ALERTS.len());
    let vm = Vm::start(true);
    let t0 = (now_ms() / MIN) * MIN - HOUR;
    let scenarios = scenarios();
    let at = |k: usize| t0 - k as i64 * 40 * DAY;
    for (k, s) in scenarios.iter().enumerate() {
        let body: String = s.users.iter().map(|p| p.samples(at(k))).collect();
        vm.import(&body);
    }
    vm.flush();
    let mut failures = Vec::new();
    for (k, s) in scenarios.iter().enumerate() {
        let mut got = BTreeSet::new();
        for (alert, expr) in &rules {
            for r in query(&vm, expr, at(k)) {
                let user = r["metric"]["user"].as_str().unwrap_or("").to_string();
                got.insert((alert.clone(), user));
            }
        }
        let want: BTreeSet<(String, String)> = s
            .fires
            .iter()
            .map(|(a, u)| (a.to_string(), u.to_string()))
            .collect();
        if got != want {
            failures.push(format!(
                "scenario {:?}: expected {want:?}, fired {got:?}",
                s.name
            ));
        }
    }
    // Every alert fires in at least one scenario.
    for a in ALERTS {
        assert!(
            scenarios
                .iter()
                .any(|s| s.fires.iter().any(|(x, _)| *x == a)),
            "no failing scenario for {a}"
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every `expr` of the dashboard's panel targets (rows' nested panels included), with its panel
/// title.
fn dashboard_exprs(d: &Value) -> Vec<(String, String)> {
    fn walk(panels: &Value, out: &mut Vec<(String, String)>) {
        for p in panels.as_array().into_iter().flatten() {
            let title = p["title"].as_str().unwrap_or("").to_string();
            for t in p["targets"].as_array().into_iter().flatten() {
                if let Some(e) = t["expr"].as_str() {
                    out.push((title.clone(), e.to_string()));
                }
            }
            walk(&p["panels"], out);
        }
    }
    let mut out = Vec::new();
    walk(&d["panels"], &mut out);
    out
}

fn substitute(expr: &str) -> String {
    expr.replace("$user", ".*")
        .replace("${user}", ".*")
        .replace("$__rate_interval", "1d")
        .replace("$__interval", "1d")
        .replace("$__range", "1d")
}

#[test]
fn ops_dashboard_shape() {
    let d: Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join(DASHBOARD)).unwrap()).unwrap();
    let vars = d["templating"]["list"].as_array().unwrap();
    let var = |n: &str| vars.iter().find(|v| v["name"] == n).cloned();
    assert_eq!(var("datasource").unwrap()["query"], "prometheus");
    assert!(var("user").is_some(), "a `user` variable");
    let exprs = dashboard_exprs(&d);
    let all: String = exprs.iter().map(|(_, e)| e.as_str()).collect();
    for m in [
        "fitbit_steps_total",
        "fitbit_distance_km",
        "fitbit_calories_total",
        "fitbit_active_minutes",
        "fitbit_resting_heart_rate_bpm",
        "fitbit_heart_rate_zone_minutes",
        "fitbit_sleep_minutes_total",
        "fitbit_sleep_stage_minutes",
        "fitbit_spo2_avg_percent",
        "fitbit_breathing_rate_bpm",
        "fitbit_hrv_rmssd_ms",
        "fitbit_vo2_max",
        "fitbit_temp_skin_relative_celsius",
        "fitbit_heart_rate_intraday",
        "fitbit_steps_intraday",
        "syncbit_last_success_timestamp_seconds",
        "syncbit_run_exit_code",
        "syncbit_fitbit_rate_limit_remaining",
        "syncbit_newest_complete_day_timestamp_seconds",
    ] {
        assert!(all.contains(m), "no panel reads {m}");
    }
    // Every query is per user, and every panel and target uses the datasource variable.
    for (title, e) in &exprs {
        assert!(e.contains("{user=~\"$user\""), "{title}: {e}");
    }
    fn check_ds(panels: &Value) {
        for p in panels.as_array().into_iter().flatten() {
            if p["type"] != "row" {
                assert_eq!(p["datasource"]["uid"], "${datasource}", "{}", p["title"]);
                for t in p["targets"].as_array().into_iter().flatten() {
                    assert_eq!(t["datasource"]["uid"], "${datasource}", "{}", p["title"]);
                }
            }
            check_ds(&p["panels"]);
        }
    }
    check_ds(&d["panels"]);
    // Daily gauges: one sample per day, so the panels ask for at least a day per point.
    fn check_daily(panels: &Value) {
        for p in panels.as_array().into_iter().flatten() {
            let daily = p["targets"].as_array().into_iter().flatten().any(|t| {
                let e = t["expr"].as_str().unwrap_or("");
                e.contains("fitbit_")
                    && !e.contains("syncbit_")
                    && !e.contains("_intraday")
                    && !e.contains("fitbit_device")
            });
            if daily {
                assert_eq!(p["interval"], "1d", "{}: min interval 1d", p["title"]);
            }
            check_daily(&p["panels"]);
        }
    }
    check_daily(&d["panels"]);
}

/// Every panel query returns data over the last 8 days after a demo run (backfill of 7 days
/// with intraday steps and heart rate at 1min, then a sync).
#[test]
fn ops_dashboard_queries_return_data_after_a_demo_sync() {
    let mut env = Env::new(SimConfig::default(), true);
    env.set("INTRADAY_RESOURCES", "steps,heart_rate");
    env.set("INTRADAY_DETAIL_LEVEL", "1min");
    env.ok(&["backfill", "--intraday", "--days", "7"]);
    env.ok(&["sync"]);
    env.vm.flush();

    let d: Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join(DASHBOARD)).unwrap()).unwrap();
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .build();
    // The `user` variable's query.
    let users: Value = agent
        .get(&format!("{}/api/v1/label/user/values", env.vm.url()))
        .query("match[]", "fitbit_steps_total")
        .call()
        .unwrap()
        .into_json()
        .unwrap();
    assert_eq!(users["data"], serde_json::json!([env.user]), "{users}");

    // Health samples are stamped at the end of the runs, i.e. just now: end an hour ahead.
    let end = now_ms() / 1000 + 3600;
    let start = end - 8 * 86_400 - 3600;
    let mut empty = Vec::new();
    let exprs = dashboard_exprs(&d);
    for (title, e) in &exprs {
        let q = substitute(e);
        let v: Value = agent
            .get(&format!("{}/api/v1/query_range", env.vm.url()))
            .query("query", &q)
            .query("start", &start.to_string())
            .query("end", &end.to_string())
            .query("step", "3600")
            .call()
            .unwrap_or_else(|err| panic!("{title}: {q}: {err}"))
            .into_json()
            .unwrap();
        assert_eq!(v["status"], "success", "{title}: {q}: {v}");
        let series = v["data"]["result"].as_array().cloned().unwrap_or_default();
        let points: usize = series
            .iter()
            .map(|s| s["values"].as_array().map_or(0, Vec::len))
            .sum();
        if points == 0 {
            empty.push(format!("{title}: {q}"));
        }
    }
    assert!(
        empty.is_empty(),
        "dashboard queries without data:\n  {}",
        empty.join("\n  ")
    );
}

/// The alerts read the health metrics the real binary pushes: a run refused by Fitbit fires
/// SyncbitAuthorizationNeeded and SyncbitSyncStale; runs answered 410 Gone fire
/// SyncbitSourceGone (per command); a healthy run fires none of them.
#[test]
fn ops_alerts_fire_from_the_binary_own_health_metrics() {
    let rules = rules();
    let expr = |name: &str| {
        rules
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, e)| e.clone())
            .unwrap_or_else(|| panic!("rule {name}"))
    };
    let healthy = Env::new(SimConfig::default(), true);
    healthy.ok(&["sync"]);
    healthy.vm.flush();
    // Fresh samples show in instant queries only with a time well past them (victoriametrics.md §5).
    let now = crate::harness::now_ms() + 60_000;
    assert!(query(&healthy.vm, &expr("SyncbitAuthorizationNeeded"), now).is_empty());
    let stale = query(&healthy.vm, &expr("SyncbitSyncStale"), now);
    assert!(stale.is_empty(), "{stale:?}");

    assert!(query(&healthy.vm, &expr("SyncbitSourceGone"), now).is_empty());

    let failing = Env::new(SimConfig::default(), true);
    failing.expire_tokens();
    failing.sim.revoke_refresh_token();
    assert_eq!(failing.run(&["sync"]).code, 77);
    failing.vm.flush();
    let fired = query(&failing.vm, &expr("SyncbitAuthorizationNeeded"), now);
    assert_eq!(fired.len(), 1, "{fired:?}");
    assert_eq!(fired[0]["metric"]["user"], "tester");
    assert_eq!(fired[0]["metric"]["command"], "sync");
    assert_eq!(query(&failing.vm, &expr("SyncbitSyncStale"), now).len(), 1);
    assert!(query(&failing.vm, &expr("SyncbitSourceGone"), now).is_empty());

    // The Fitbit Web API answering 410 Gone to every request, as it does since 2026-11-02.
    let gone = Env::new(SimConfig::default(), true);
    gone.sim.set_gone(true);
    for command in ["sync", "sync-intraday"] {
        let r = gone.run(&[command]);
        assert_eq!(r.code, 69, "{command}: {}", r.stderr);
    }
    gone.vm.flush();
    let fired = query(&gone.vm, &expr("SyncbitSourceGone"), now);
    let commands: BTreeSet<&str> = fired
        .iter()
        .map(|r| r["metric"]["command"].as_str().unwrap())
        .collect();
    assert_eq!(
        commands,
        BTreeSet::from(["sync", "sync-intraday"]),
        "{fired:?}"
    );
    assert!(fired.iter().all(|r| r["metric"]["user"] == "tester"));
    assert!(query(&gone.vm, &expr("SyncbitAuthorizationNeeded"), now).is_empty());
}

/// The README's demo, as a new user runs it, leads with the Google Health API source (a debug
/// build here, to spare the release build; the steps are the same).
#[test]
fn ops_the_demo_shows_the_google_path() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = std::process::Command::new("bash")
        .arg(root.join("scripts/demo.sh"))
        .env("SYNCBIT_DEMO_PROFILE", "debug")
        .current_dir(root)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("Google Health API simulator"), "{stdout}");
    for metric in [
        "fitbit_steps_total",
        "fitbit_sleep_minutes_total",
        "fitbit_active_zone_minutes",
        "fitbit_heart_rate_intraday",
        "fitbit_device_battery_percent",
    ] {
        assert!(stdout.contains(metric), "{metric} missing:\n{stdout}");
    }
    let total = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("total"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse::<u32>().ok())
        .unwrap_or(0);
    assert!(total >= 30, "{stdout}");
}
