//! Quick checks of the test support itself: the Fitbit simulator and the VictoriaMetrics harness.
// ureq 2's error type is large; returning it from small test helpers is fine.
#![allow(clippy::result_large_err)]

use crate::support::sim::{self, Sim, SimConfig};
use crate::support::vm::Vm;
use chrono::NaiveDate;
use serde_json::Value;

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 3, 5).unwrap()
}

fn get(sim: &Sim, path: &str) -> Result<ureq::Response, ureq::Error> {
    let (at, _) = sim.tokens();
    ureq::get(&format!("{}{path}", sim.base_url()))
        .set("Authorization", &format!("Bearer {at}"))
        .call()
}

fn get_json(sim: &Sim, path: &str) -> Value {
    get(sim, path).expect("200").into_json().expect("json")
}

fn status(r: Result<ureq::Response, ureq::Error>) -> (u16, Value) {
    match r {
        Ok(r) => (r.status(), r.into_json().unwrap_or(Value::Null)),
        Err(ureq::Error::Status(s, r)) => (s, r.into_json().unwrap_or(Value::Null)),
        Err(e) => panic!("transport error: {e}"),
    }
}

fn refresh(sim: &Sim, rt: &str) -> (u16, Value) {
    status(
        ureq::post(&format!("{}/oauth2/token", sim.base_url()))
            .set("Authorization", &sim::basic_auth_header())
            .send_form(&[("grant_type", "refresh_token"), ("refresh_token", rt)]),
    )
}

#[test]
fn sim_profile_and_devices() {
    let sim = Sim::start(SimConfig {
        timezone: "America/New_York".into(),
        ..Default::default()
    });
    let p = get_json(&sim, "/1/user/-/profile.json");
    assert_eq!(p["user"]["encodedId"], "SIMUSR");
    assert_eq!(p["user"]["timezone"], "America/New_York");
    assert_eq!(p["user"]["memberSince"], "2015-03-01");
    let off = p["user"]["offsetFromUTCMillis"].as_i64().unwrap();
    assert!(off == -5 * 3_600_000 || off == -4 * 3_600_000, "{off}");
    let d = get_json(&sim, "/1/user/-/devices.json");
    assert_eq!(d[0]["type"], "TRACKER");
    assert!(d[0]["lastSyncTime"].as_str().unwrap().len() == 23);
    let (s, body) = status(ureq::get(&format!("{}/1/user/-/profile.json", sim.base_url())).call());
    assert_eq!(
        (s, body["errors"][0]["errorType"].as_str()),
        (401, Some("invalid_request"))
    );
    let (s, body) = status(get(&sim, "/1/user/-/nonsense.json"));
    assert_eq!(
        (s, body["errors"][0]["errorType"].as_str()),
        (404, Some("not_found"))
    );
}

#[test]
fn sim_intraday_steps_day() {
    let sim = Sim::start(SimConfig::default());
    let v = get_json(
        &sim,
        &format!("/1/user/-/activities/steps/date/{}/1d/1min.json", day()),
    );
    let ds = v["activities-steps-intraday"]["dataset"]
        .as_array()
        .unwrap();
    assert_eq!(ds.len(), 1440);
    assert_eq!(ds[0]["time"], "00:00:00");
    assert_eq!(ds[1439]["time"], "23:59:00");
    let sum: i64 = ds
        .iter()
        .map(|x| x["value"].as_i64().expect("integer steps"))
        .sum();
    assert_eq!(v["activities-steps"][0]["value"], sum.to_string());
    assert_eq!(v["activities-steps"][0]["dateTime"], day().to_string());
    // the same numbers as the expectation helpers, the daily summary and the time series
    let exp = sim.intraday("steps", day(), "1min");
    assert_eq!(exp.len(), 1440);
    assert_eq!(exp.iter().map(|x| x.1).sum::<f64>() as i64, sum);
    assert_eq!(sim.daily_summary(day())["summary"]["steps"], sum);
    let ts = get_json(
        &sim,
        &format!(
            "/1/user/-/activities/steps/date/{}/{}.json",
            day().pred_opt().unwrap(),
            day()
        ),
    );
    assert_eq!(ts["activities-steps"][1]["value"], sum.to_string());
    assert_ne!(
        ts["activities-steps"][0]["value"], ts["activities-steps"][1]["value"],
        "days differ"
    );
    // 5min buckets are sums of the 1min values
    let v5 = get_json(
        &sim,
        &format!("/1/user/-/activities/steps/date/{}/1d/5min.json", day()),
    );
    let ds5 = v5["activities-steps-intraday"]["dataset"]
        .as_array()
        .unwrap();
    assert_eq!(ds5.len(), 288);
    assert_eq!(v5["activities-steps-intraday"]["datasetInterval"], 5);
    for (i, b) in ds5.iter().enumerate() {
        let want: i64 = ds[i * 5..i * 5 + 5]
            .iter()
            .map(|x| x["value"].as_i64().unwrap())
            .sum();
        assert_eq!(b["value"].as_i64().unwrap(), want, "bucket {}", b["time"]);
    }
    // heart: integers, gaps kept, zones nested under value
    let h = get_json(
        &sim,
        &format!("/1/user/-/activities/heart/date/{}/1d/1min.json", day()),
    );
    assert!(h["activities-heart"][0]["value"]["heartRateZones"].is_array());
    let n = h["activities-heart-intraday"]["dataset"]
        .as_array()
        .unwrap()
        .len();
    assert!(n > 1000 && n <= 1440, "{n}");
    // future days: zero-filled steps, empty heart
    let fut = sim.today() + chrono::Duration::days(2);
    let f = get_json(
        &sim,
        &format!("/1/user/-/activities/steps/date/{fut}/1d/1min.json"),
    );
    assert_eq!(f["activities-steps"][0]["value"], "0");
    assert!(sim.intraday("heart", fut, "1min").is_empty());
}

#[test]
fn sim_rate_limit() {
    let sim = Sim::start(SimConfig {
        budget: 3,
        window_secs: Some(60),
        ..Default::default()
    });
    let mut remaining = vec![];
    for _ in 0..3 {
        let r = get(&sim, "/1/user/-/profile.json").unwrap();
        assert_eq!(r.header("Fitbit-Rate-Limit-Limit"), Some("3"));
        let reset: u64 = r
            .header("Fitbit-Rate-Limit-Reset")
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&reset));
        remaining.push(r.header("Fitbit-Rate-Limit-Remaining").unwrap().to_string());
    }
    assert_eq!(remaining, ["2", "1", "0"]);
    match get(&sim, "/1/user/-/profile.json") {
        Err(ureq::Error::Status(429, r)) => {
            assert_eq!(r.header("Fitbit-Rate-Limit-Remaining"), Some("0"));
            assert!(r.header("Retry-After").is_some());
            let v: Value = r.into_json().unwrap();
            assert_eq!(v["errors"][0]["message"], "Too Many Requests");
        }
        other => panic!("expected 429, got {other:?}"),
    }
    assert_eq!(sim.data_calls(), 4);
    // errors injected after the rate limit still count
    sim.set_budget(10);
    sim.fail_next(1, 503);
    assert_eq!(status(get(&sim, "/1/user/-/profile.json")).0, 503);
    sim.fail_next(1, 410);
    let (s, v) = status(get(&sim, "/1/user/-/profile.json"));
    assert_eq!((s, v["error"]["code"].as_i64()), (410, Some(410)));
    sim.malformed_next(1);
    let body = get(&sim, "/1/user/-/profile.json")
        .unwrap()
        .into_string()
        .unwrap();
    assert!(serde_json::from_str::<Value>(&body).is_err());
    assert_eq!(sim.data_calls(), 7);
    assert_eq!(sim.token_calls(), 0);
}

#[test]
fn sim_token_rotation() {
    let sim = Sim::start(SimConfig::default());
    let (at0, rt0) = sim.tokens();
    let tj: Value = serde_json::from_str(&sim.token_json(true)).unwrap();
    assert_eq!(tj["access_token"], at0.as_str());
    assert_eq!(tj["user_id"], "SIMUSR");
    let (s, v) = status(get(&sim, "/1/user/-/profile.json"));
    assert_eq!(
        (s, v["errors"][0]["errorType"].as_str()),
        (401, Some("expired_token"))
    );
    // wrong client credentials
    let (s, _) = status(
        ureq::post(&format!("{}/oauth2/token", sim.base_url()))
            .send_form(&[("grant_type", "refresh_token"), ("refresh_token", &rt0)]),
    );
    assert_eq!(s, 401);
    let (s, first) = refresh(&sim, &rt0);
    assert_eq!(s, 200);
    assert_eq!(first["token_type"], "Bearer");
    assert_eq!(first["expires_in"], 28800);
    let (at1, rt1) = sim.tokens();
    assert_eq!(first["access_token"], at1.as_str());
    assert_eq!(first["refresh_token"], rt1.as_str());
    assert_ne!(rt1, rt0);
    // retry grace: same old refresh token before the new access token was used
    assert_eq!(refresh(&sim, &rt0), (200, first.clone()));
    assert_eq!(get(&sim, "/1/user/-/profile.json").unwrap().status(), 200);
    let (s, v) = status(
        ureq::get(&format!("{}/1/user/-/profile.json", sim.base_url()))
            .set("Authorization", &format!("Bearer {at0}"))
            .call(),
    );
    assert_eq!(
        (s, v["errors"][0]["errorType"].as_str()),
        (401, Some("invalid_token"))
    );
    let (s, v) = refresh(&sim, &rt0);
    assert_eq!(
        (s, v["errors"][0]["errorType"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with(&format!("Refresh token invalid: {rt0}."))
    );
    sim.revoke_refresh_token();
    assert_eq!(refresh(&sim, &rt1).0, 400);
    sim.set_gone(true);
    assert_eq!(refresh(&sim, &rt1).0, 410);
    assert_eq!(status(get(&sim, "/1/user/-/profile.json")).0, 410);
    assert_eq!(sim.token_calls(), 6);
}

#[test]
fn vm_import_export_restart() {
    let mut vm = Vm::start(true);
    vm.import("selftest_metric{user=\"SIMUSR\"} 42.5 1700000000000\n");
    let got = vm.export("selftest_metric", 1_700_000_000_000, 1_700_000_000_000);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].name(), "selftest_metric");
    assert_eq!(got[0].labels["user"], "SIMUSR");
    assert_eq!(
        (got[0].values.clone(), got[0].timestamps.clone()),
        (vec![42.5], vec![1_700_000_000_000])
    );
    vm.import("selftest_bad{ 1\n");
    assert!(vm.metric_counter(r#"vm_rows_invalid_total{type="prometheus"}"#) >= 1.0);
    let url = vm.url();
    vm.restart();
    assert_eq!(vm.url(), url);
    assert_eq!(vm.export_all(), got);
}
