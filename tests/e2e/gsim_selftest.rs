//! Checks of the Google Health API simulator itself: wire shapes, paging quirks, filters, range
//! caps, merged versus per-source values, quota, failure knobs and OAuth. Each test talks HTTP
//! to a fresh simulator with ureq and compares against the simulator's truth accessors (and,
//! when the fixtures are present, against the captured error bodies).
// ureq 2's error type is large; returning it from small test helpers is fine.
#![allow(clippy::result_large_err)]

use crate::support::google_sim::{
    self as gs, CLIENT_ID, CLIENT_SECRET, GoogleSim, GoogleSimConfig, SCOPES, Source,
    pkce_challenge, read_fixture, url_encode,
};
use chrono::{DateTime, Datelike, Duration, NaiveDate, SecondsFormat, TimeZone, Utc};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// A past day well after the default first day, with no DST change.
fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 4, 14).unwrap()
}

fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn status(r: Result<ureq::Response, ureq::Error>) -> (u16, Value) {
    match r {
        Ok(r) => (r.status(), r.into_json().unwrap_or(Value::Null)),
        Err(ureq::Error::Status(s, r)) => (s, r.into_json().unwrap_or(Value::Null)),
        Err(e) => panic!("transport error: {e}"),
    }
}

fn get(sim: &GoogleSim, path: &str) -> (u16, Value) {
    let (at, _) = sim.tokens();
    status(
        ureq::get(&format!("{}{path}", sim.base_url()))
            .set("Authorization", &format!("Bearer {at}"))
            .call(),
    )
}

fn post(sim: &GoogleSim, path: &str, body: Value) -> (u16, Value) {
    let (at, _) = sim.tokens();
    status(
        ureq::post(&format!("{}{path}", sim.base_url()))
            .set("Authorization", &format!("Bearer {at}"))
            .send_json(body),
    )
}

/// A POST with the body as written (key order matters for the captured errors; serde_json
/// would sort the keys).
fn post_raw(sim: &GoogleSim, ty: &str, verb: &str, body: &str) -> (u16, Value) {
    status(
        ureq::post(&format!(
            "{}/v4/users/me/dataTypes/{ty}/dataPoints{verb}",
            sim.base_url()
        ))
        .set("Authorization", &format!("Bearer {}", sim.tokens().0))
        .set("Content-Type", "application/json")
        .send_string(body),
    )
}

fn reason(v: &Value) -> Option<&str> {
    v["error"]["details"]
        .as_array()?
        .iter()
        .find(|d| d["@type"] == "type.googleapis.com/google.rpc.ErrorInfo")?["reason"]
        .as_str()
}

/// `member >= "a" AND member < "b"` with RFC 3339 bounds of a local day.
fn day_filter(sim: &GoogleSim, member: &str, d: NaiveDate) -> String {
    let (a, b) = sim.day_bounds(d);
    format!("{member} >= \"{}\" AND {member} < \"{}\"", rfc(a), rfc(b))
}

/// Every page of a list (or `:reconcile`) call, following `nextPageToken`.
fn pages(sim: &GoogleSim, ty: &str, verb: &str, filter: &str, extra: &str) -> Vec<Value> {
    let mut out = vec![];
    let mut token: Option<String> = None;
    for _ in 0..1000 {
        let mut q = format!("filter={}{extra}", url_encode(filter));
        if let Some(t) = &token {
            q.push_str(&format!("&pageToken={}", url_encode(t)));
        }
        let (s, v) = get(
            sim,
            &format!("/v4/users/me/dataTypes/{ty}/dataPoints{verb}?{q}"),
        );
        assert_eq!(s, 200, "{ty}{verb} {filter}: {v}");
        token = v["nextPageToken"].as_str().map(String::from);
        out.push(v);
        if token.is_none() {
            return out;
        }
    }
    panic!("more than 1000 pages");
}

fn points(pages: &[Value]) -> Vec<Value> {
    pages
        .iter()
        .flat_map(|p| p["dataPoints"].as_array().cloned().unwrap_or_default())
        .collect()
}

fn ms(s: &str) -> i64 {
    DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
}

fn int(v: &Value) -> f64 {
    v.as_str()
        .expect("int64 as a JSON string")
        .parse()
        .expect("a number")
}

fn daily_range(start: NaiveDate, end: NaiveDate) -> Value {
    let d = |x: NaiveDate| json!({"date": {"year": x.year(), "month": x.month(), "day": x.day()}});
    json!({"start": d(start), "end": d(end)})
}

fn daily_rollup(sim: &GoogleSim, ty: &str, body: Value) -> (u16, Value) {
    post(
        sim,
        &format!("/v4/users/me/dataTypes/{ty}/dataPoints:dailyRollUp"),
        body,
    )
}

fn rollup(sim: &GoogleSim, ty: &str, body: Value) -> (u16, Value) {
    post(
        sim,
        &format!("/v4/users/me/dataTypes/{ty}/dataPoints:rollUp"),
        body,
    )
}

fn window_date(w: &Value, key: &str) -> NaiveDate {
    let d = &w[key]["date"];
    NaiveDate::from_ymd_opt(
        d["year"].as_i64().unwrap() as i32,
        d["month"].as_u64().unwrap() as u32,
        d["day"].as_u64().unwrap() as u32,
    )
    .unwrap()
}

#[test]
fn gsim_account_endpoints_and_path_errors() {
    let sync = Utc.with_ymd_and_hms(2026, 11, 30, 21, 5, 7).unwrap();
    let sim = GoogleSim::start(GoogleSimConfig {
        last_sync: Some(sync),
        ..Default::default()
    });
    let (s, id) = get(&sim, "/v4/users/me/identity");
    assert_eq!(s, 200);
    assert_eq!(id["healthUserId"], gs::HEALTH_USER_ID);
    assert_eq!(id["legacyUserId"], gs::LEGACY_USER_ID);
    let (_, set) = get(&sim, "/v4/users/me/settings");
    assert_eq!(set["timeZone"], "America/New_York");
    assert!(["-14400s", "-18000s"].contains(&set["utcOffset"].as_str().unwrap()));
    let (_, prof) = get(&sim, &format!("/v4/users/{}/profile", gs::HEALTH_USER_ID));
    assert_eq!(
        prof["membershipStartDate"],
        json!({"year": 2026, "month": 1, "day": 1})
    );
    assert!(prof["userConfiguredWalkingStrideLengthMm"].is_u64());
    assert!(prof.get("timeZone").is_none(), "the profile has no zone");
    let (_, dev) = get(&sim, "/v4/users/me/pairedDevices");
    let devs = dev["pairedDevices"].as_array().unwrap();
    assert_eq!(
        devs.len(),
        1,
        "only the tracker: the reference shows no phone"
    );
    assert_eq!(devs[0]["deviceType"], "TRACKER");
    assert_eq!(devs[0]["lastSyncTime"], "2026-11-30T21:05:07Z");
    assert!(devs[0]["batteryLevel"].is_u64() && devs[0]["batteryStatus"].is_string());
    // an unknown data type id: the captured INVALID_PARENT_DATA_TYPE_COLLECTION body
    let (s, v) = get(&sim, "/v4/users/me/dataTypes/heartRate/dataPoints");
    assert_eq!(
        (s, reason(&v)),
        (400, Some("INVALID_PARENT_DATA_TYPE_COLLECTION"))
    );
    if let Some(f) = read_fixture("error-400-invalid-parent-data-type.json") {
        assert_eq!(v, f);
    }
    // a real type the sim leaves out says so instead of pretending
    assert_eq!(get(&sim, "/v4/users/me/dataTypes/weight/dataPoints").0, 501);
    // unknown query parameters, unknown paths, no credentials
    let (s, v) = get(&sim, "/v4/users/me/dataTypes/steps/dataPoints?page_sise=5");
    assert_eq!(s, 400);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Cannot bind query parameter")
    );
    let r = ureq::get(&format!("{}/v4/users/me/nothing", sim.base_url()))
        .set("Authorization", &format!("Bearer {}", sim.tokens().0))
        .call();
    match r {
        Err(ureq::Error::Status(404, r)) => {
            assert!(r.header("Content-Type").unwrap().starts_with("text/html"))
        }
        other => panic!("expected the HTML 404, got {other:?}"),
    }
    let (s, v) = status(ureq::get(&format!("{}/v4/users/me/identity", sim.base_url())).call());
    assert_eq!(
        (s, v["error"]["status"].as_str()),
        (401, Some("UNAUTHENTICATED"))
    );
    assert_eq!(reason(&v), Some("CREDENTIALS_MISSING"));
    assert_eq!(sim.data_calls(), 9);
    assert_eq!(sim.data_requests().len(), 9);
}

#[test]
fn gsim_heart_rate_pages_are_short_and_start_empty() {
    let sim = GoogleSim::start(GoogleSimConfig::default());
    let f = day_filter(&sim, "heart_rate.sample_time.physical_time", day());
    let ps = pages(&sim, "heart-rate", "", &f, "&pageSize=10000");
    // a past range: the first page is empty but carries a token (observed)
    assert!(ps[0].get("dataPoints").is_none(), "{}", ps[0]);
    assert!(ps[0]["nextPageToken"].is_string());
    let sizes: Vec<usize> = ps[1..]
        .iter()
        .map(|p| p["dataPoints"].as_array().map_or(0, |a| a.len()))
        .collect();
    assert!(sizes.len() >= 2, "{sizes:?}");
    assert!(
        sizes.iter().all(|n| *n <= 5000),
        "pages far below pageSize: {sizes:?}"
    );
    assert!(ps.last().unwrap().get("nextPageToken").is_none());
    let pts = points(&ps);
    let got: Vec<(i64, f64)> = pts
        .iter()
        .map(|p| {
            let hr = &p["heartRate"];
            assert_eq!(p["dataSource"]["platform"], "FITBIT");
            assert!(hr["sampleTime"]["civilTime"]["date"].is_object());
            (
                ms(hr["sampleTime"]["physicalTime"].as_str().unwrap()),
                int(&hr["beatsPerMinute"]),
            )
        })
        .collect();
    assert!(got.windows(2).all(|w| w[0].0 > w[1].0), "newest first");
    let (a, b) = sim.day_bounds(day());
    let mut want = sim.raw_heart_rate(a, b);
    want.reverse();
    assert_eq!(got, want, "every sample is reachable");
    let gaps: std::collections::BTreeSet<i64> = want.windows(2).map(|w| w[0].0 - w[1].0).collect();
    assert!(gaps.len() >= 3, "irregular seconds: {gaps:?}");
    // small pages hold at most half the page size
    let q = format!("filter={}&pageSize=10", url_encode(&f));
    let (_, first) = get(
        &sim,
        &format!("/v4/users/me/dataTypes/heart-rate/dataPoints?{q}"),
    );
    let t = first["nextPageToken"].as_str().unwrap();
    let (_, second) = get(
        &sim,
        &format!("/v4/users/me/dataTypes/heart-rate/dataPoints?{q}&pageToken={t}"),
    );
    assert_eq!(second["dataPoints"].as_array().unwrap().len(), 5);
    // a token only works with the query it came from
    let other = day_filter(
        &sim,
        "heart_rate.sample_time.physical_time",
        day().succ_opt().unwrap(),
    );
    let (s, _) = get(
        &sim,
        &format!(
            "/v4/users/me/dataTypes/heart-rate/dataPoints?filter={}&pageToken={t}",
            url_encode(&other)
        ),
    );
    assert_eq!(s, 400);
}

#[test]
fn gsim_steps_list_both_sources_reconcile_and_rollups_merge() {
    let sim = GoogleSim::start(GoogleSimConfig::default());
    let (a, b) = sim.day_bounds(day());
    let f = day_filter(&sim, "steps.interval.start_time", day());
    let listed = points(&pages(&sim, "steps", "", &f, "&pageSize=10000"));
    let phone: Vec<&Value> = listed
        .iter()
        .filter(|p| p["dataSource"]["device"]["formFactor"] == "PHONE")
        .collect();
    assert!(!phone.is_empty(), "the phone also recorded steps");
    let sum = |pts: &[Value]| pts.iter().map(|p| int(&p["steps"]["count"])).sum::<f64>();
    let sum_of = |v: Vec<(i64, f64)>| v.iter().map(|x| x.1).sum::<f64>();
    let tracker = sum_of(sim.source_truth("steps", Source::Tracker, a, b));
    let from_phone = sum_of(sim.source_truth("steps", Source::Phone, a, b));
    assert_eq!(
        sum(&listed),
        tracker + from_phone,
        "list returns every source's points"
    );
    // reconcile and the rollups give the merged figure, never the sum
    let merged = points(&pages(&sim, "steps", ":reconcile", &f, "&pageSize=10000"));
    assert!(merged.iter().all(|p| p.get("dataSource").is_none()));
    let merged_sum = sum(&merged);
    assert_eq!(merged_sum, sum_of(sim.intraday_truth("steps", a, b)));
    assert!(
        tracker < merged_sum && merged_sum < tracker + from_phone,
        "{tracker} {merged_sum}"
    );
    let (s, r) = daily_rollup(
        &sim,
        "steps",
        json!({"range": daily_range(day(), day().succ_opt().unwrap()), "windowSizeDays": 1}),
    );
    assert_eq!(s, 200);
    let w = &r["rollupDataPoints"][0];
    assert_eq!(int(&w["steps"]["countSum"]), merged_sum);
    assert_eq!(w["civilStartTime"]["time"], json!({}));
    assert_eq!(
        sim.daily_truth("steps", day()).unwrap()["countSum"],
        merged_sum
    );
    // distance likewise, in millimetres
    let (_, r) = daily_rollup(
        &sim,
        "distance",
        json!({"range": daily_range(day(), day().succ_opt().unwrap())}),
    );
    let mm = int(&r["rollupDataPoints"][0]["distance"]["millimetersSum"]);
    assert_eq!(
        mm,
        sim.daily_truth("distance", day()).unwrap()["millimetersSum"]
    );
    assert_eq!(mm, sum_of(sim.intraday_truth("distance", a, b)));
    // data source families
    let fam = |name: &str| format!("&pageSize=10000&dataSourceFamily={}", url_encode(name));
    let wear = points(&pages(
        &sim,
        "steps",
        "",
        &f,
        &fam("users/me/dataSourceFamilies/google-wearables"),
    ));
    assert_eq!(sum(&wear), tracker);
    let own = pages(
        &sim,
        "steps",
        "",
        &f,
        &fam("users/me/dataSourceFamilies/self-sources"),
    );
    assert!(points(&own).is_empty());
    let (s, v) = get(
        &sim,
        &format!(
            "/v4/users/me/dataTypes/steps/dataPoints?filter={}&dataSourceFamily=google-wearables",
            url_encode(&f)
        ),
    );
    assert_eq!(
        (s, reason(&v)),
        (400, Some("INVALID_DATA_POINT_DATA_SOURCE_FAMILY"))
    );
    // without the phone, list and reconcile agree
    let solo = GoogleSim::start(GoogleSimConfig {
        phone_overlap: false,
        ..Default::default()
    });
    let l = sum(&points(&pages(&solo, "steps", "", &f, "&pageSize=10000")));
    let r = sum(&points(&pages(
        &solo,
        "steps",
        ":reconcile",
        &f,
        "&pageSize=10000",
    )));
    assert_eq!(l, r);
}

#[test]
fn gsim_filters_follow_the_documented_subset() {
    let sim = GoogleSim::start(GoogleSimConfig::default());
    let list = |ty: &str, filter: &str| {
        get(
            &sim,
            &format!(
                "/v4/users/me/dataTypes/{ty}/dataPoints?filter={}",
                url_encode(filter)
            ),
        )
    };
    // the captured request: a member daily types do not have, twice
    let m = "daily_resting_heart_rate.interval.civil_start_time";
    let (s, v) = list(
        "daily-resting-heart-rate",
        &format!("{m} >= \"2026-01-01\" AND {m} < \"2026-01-08\""),
    );
    assert_eq!((s, reason(&v)), (400, Some("INVALID_DATA_POINT_FILTER")));
    match read_fixture("error-400-invalid-data-point-filter-member.json") {
        Some(f) => assert_eq!(v, f, "the captured body, byte for byte as JSON"),
        None => assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .contains("DATA_TYPE_MEMBER")
        ),
    }
    let bad = |ty: &str, filter: &str| {
        let (s, v) = list(ty, filter);
        assert_eq!(
            (s, reason(&v)),
            (400, Some("INVALID_DATA_POINT_FILTER")),
            "{filter}: {v}"
        );
    };
    let st = "steps.interval.start_time";
    bad(
        "steps",
        &format!("{st} >= \"2026-04-14T04:00:00Z\" and {st} < \"2026-04-15T04:00:00Z\""),
    );
    bad("steps", &format!("{st} > \"2026-04-14T04:00:00Z\""));
    bad("steps", &format!("{st} >= 2026-04-14"));
    bad("steps", &format!("{st} >= \"2026-04-14\""));
    bad(
        "steps",
        &format!("{st} >= \"2026-04-14T04:00:00Z\" OR {st} < \"2026-04-15T04:00:00Z\""),
    );
    bad(
        "steps",
        "steps.interval.end_time >= \"2026-04-14T04:00:00Z\"",
    );
    bad(
        "heart-rate",
        "heartRate.sample_time.physical_time >= \"2026-04-14T04:00:00Z\"",
    );
    bad(
        "heart-rate",
        "heart_rate.interval.start_time >= \"2026-04-14T04:00:00Z\"",
    );
    bad(
        "sleep",
        "sleep.interval.start_time >= \"2026-04-14T04:00:00Z\"",
    );
    bad(
        "daily-resting-heart-rate",
        "daily_resting_heart_rate.date >= \"2026-04-14T04:00:00Z\"",
    );
    // encoding the expression twice leaves %3E%3D in it
    let (s, v) = get(
        &sim,
        &format!(
            "/v4/users/me/dataTypes/steps/dataPoints?filter={}",
            url_encode(&url_encode(&format!("{st} >= \"2026-04-14T04:00:00Z\"")))
        ),
    );
    assert_eq!((s, reason(&v)), (400, Some("INVALID_DATA_POINT_FILTER")));
    // civil filters on steps look fine but match nothing (observed)
    let civil = "steps.interval.civil_start_time >= \"2026-04-14\" AND steps.interval.civil_start_time < \"2026-04-15\"";
    assert!(points(&pages(&sim, "steps", "", civil, "&pageSize=10000")).is_empty());
    // ... while they work for other interval types
    let civil = civil.replace("steps.", "active_zone_minutes.");
    let azm = points(&pages(
        &sim,
        "active-zone-minutes",
        "",
        &civil,
        "&pageSize=10000",
    ));
    let (a, b) = sim.day_bounds(day());
    assert_eq!(
        azm.len(),
        sim.intraday_truth("active-zone-minutes", a, b).len()
    );
    // daily types take {type}.date; sleep takes OR on its end members
    let d = "daily_resting_heart_rate.date";
    let rhr = points(&pages(
        &sim,
        "daily-resting-heart-rate",
        "",
        &format!("{d} >= \"2026-04-10\" AND {d} < \"2026-04-17\""),
        "",
    ));
    assert_eq!(rhr.len(), 7);
    assert_eq!(
        rhr[0]["dailyRestingHeartRate"]["date"],
        json!({"year": 2026, "month": 4, "day": 16})
    );
    let e = "sleep.interval.civil_end_time";
    let or = format!(
        "{e} >= \"2026-04-10\" AND {e} < \"2026-04-11\" OR {e} >= \"2026-04-20\" AND {e} < \"2026-04-21\""
    );
    // AIP-160: OR binds tighter than AND, so this is a AND (b OR c) AND d: two single days
    let got = points(&pages(&sim, "sleep", "", &or, ""));
    let want: usize = [10, 20]
        .iter()
        .map(|d| {
            sim.sleep_sessions(NaiveDate::from_ymd_opt(2026, 4, *d).unwrap())
                .len()
        })
        .sum();
    assert!(want > 0);
    assert_eq!(got.len(), want);
}

#[test]
fn gsim_daily_types_wire_format_and_truth() {
    let first = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
    let sim = GoogleSim::start(GoogleSimConfig {
        first_day: first,
        ..Default::default()
    });
    let end = first + Duration::days(14);
    let members = [
        ("daily-resting-heart-rate", "dailyRestingHeartRate"),
        ("daily-heart-rate-zones", "dailyHeartRateZones"),
        ("daily-oxygen-saturation", "dailyOxygenSaturation"),
        ("daily-respiratory-rate", "dailyRespiratoryRate"),
        ("daily-heart-rate-variability", "dailyHeartRateVariability"),
        ("daily-vo2-max", "dailyVo2Max"),
        (
            "daily-sleep-temperature-derivations",
            "dailySleepTemperatureDerivations",
        ),
    ];
    let mut missing = 0;
    for (ty, member) in members {
        let m = format!("{}.date", ty.replace('-', "_"));
        let f = format!("{m} >= \"{first}\" AND {m} < \"{end}\"");
        let pts = points(&pages(&sim, ty, "", &f, "&pageSize=100"));
        let dates: Vec<NaiveDate> = pts.iter().map(|p| window_date(p, member)).collect();
        assert!(dates.windows(2).all(|w| w[0] > w[1]), "{ty} newest first");
        for p in &pts {
            assert_eq!(p["dataSource"]["platform"], "FITBIT");
            let d = window_date(p, member);
            assert_eq!(
                Some(&p[member]),
                sim.daily_point(ty, d).as_ref(),
                "{ty} {d}"
            );
        }
        for d in first.iter_days().take(14) {
            assert_eq!(
                sim.daily_truth(ty, d).is_some(),
                dates.contains(&d),
                "{ty} {d}"
            );
        }
        missing += 14 - pts.len();
    }
    assert!(missing > 0, "some days lack some values");
    // int64 fields are strings; the first two nights have no temperature baseline
    let rhr = sim.daily_point("daily-resting-heart-rate", first).unwrap();
    assert!(rhr["beatsPerMinute"].is_string());
    let hrv = sim.daily_point("daily-heart-rate-variability", first + Duration::days(3));
    if let Some(h) = hrv {
        assert!(h["nonRemHeartRateBeatsPerMinute"].is_string());
        assert!(h["entropy"].is_f64());
    }
    let temps: Vec<Value> = first
        .iter_days()
        .take(2)
        .filter_map(|d| sim.daily_point("daily-sleep-temperature-derivations", d))
        .collect();
    assert!(!temps.is_empty());
    for t in &temps {
        assert_eq!(t["baselineTemperatureCelsius"], "NaN");
        assert_eq!(t["relativeNightlyStddev30dCelsius"], "NaN");
        assert!(t["nightlyTemperatureCelsius"].is_f64());
    }
    let truth = sim
        .daily_truth("daily-sleep-temperature-derivations", first)
        .or_else(|| {
            sim.daily_truth(
                "daily-sleep-temperature-derivations",
                first.succ_opt().unwrap(),
            )
        })
        .unwrap();
    assert!(truth["baselineTemperatureCelsius"].is_nan());
    // a missed night: no sleep, so resting heart rate falls back to awake data
    let method = |d: NaiveDate| {
        sim.daily_point("daily-resting-heart-rate", d).unwrap()["dailyRestingHeartRateMetadata"]
            ["calculationMethod"]
            .clone()
    };
    let missed: Vec<NaiveDate> = first
        .iter_days()
        .take(14)
        .filter(|d| !sim.sleep_sessions(*d).iter().any(|s| s.main))
        .collect();
    assert!(!missed.is_empty());
    for d in first.iter_days().take(14) {
        let want = if missed.contains(&d) {
            "ONLY_WITH_AWAKE_DATA"
        } else {
            "WITH_SLEEP"
        };
        assert_eq!(method(d), want, "{d}");
    }
    let zones = sim.daily_truth("daily-heart-rate-zones", first).unwrap();
    assert_eq!(
        zones["LIGHT.maxBeatsPerMinute"],
        zones["MODERATE.minBeatsPerMinute"]
    );
}

#[test]
fn gsim_rollup_range_caps_and_body_shapes() {
    let sim = GoogleSim::start(GoogleSimConfig::default());
    let d0 = NaiveDate::from_ymd_opt(2026, 2, 1).unwrap();
    let span = |days: i64| json!({"range": daily_range(d0, d0 + Duration::days(days))});
    for ty in [
        "heart-rate",
        "total-calories",
        "active-minutes",
        "calories-in-heart-rate-zone",
    ] {
        assert_eq!(daily_rollup(&sim, ty, span(14)).0, 200, "{ty}");
        let (s, v) = daily_rollup(&sim, ty, span(15));
        assert_eq!(
            (s, reason(&v)),
            (400, Some("INVALID_ROLLUP_QUERY_DURATION")),
            "{ty}"
        );
        let info = &v["error"]["details"][0]["metadata"];
        assert_eq!(info["maxDurationDays"], "14");
    }
    for ty in [
        "steps",
        "distance",
        "floors",
        "altitude",
        "activity-level",
        "active-zone-minutes",
        "time-in-heart-rate-zone",
    ] {
        assert_eq!(daily_rollup(&sim, ty, span(90)).0, 200, "{ty}");
        let (s, v) = daily_rollup(&sim, ty, span(91));
        assert_eq!(
            (s, reason(&v)),
            (400, Some("INVALID_ROLLUP_QUERY_DURATION")),
            "{ty}"
        );
    }
    // physical rollUp: the cap on the range and on windowSize × pageSize (default 1440)
    let t0 = Utc.with_ymd_and_hms(2026, 2, 1, 5, 0, 0).unwrap();
    let phys = |days: i64, w: &str| json!({"range": {"startTime": rfc(t0), "endTime": rfc(t0 + Duration::days(days))}, "windowSize": w});
    assert_eq!(
        rollup(&sim, "heart-rate", phys(14, "86400s")).0,
        400,
        "86400 s × 1440"
    );
    let mut ok = phys(14, "86400s");
    ok["pageSize"] = json!(14);
    assert_eq!(rollup(&sim, "heart-rate", ok).0, 200);
    let mut long = phys(15, "86400s");
    long["pageSize"] = json!(14);
    assert_eq!(
        reason(&rollup(&sim, "heart-rate", long).1),
        Some("INVALID_ROLLUP_QUERY_DURATION")
    );
    assert_eq!(
        rollup(&sim, "heart-rate", phys(1, "900s")).0,
        400,
        "900 s × 1440 > 14 days"
    );
    let mut fine = phys(1, "900s");
    fine["pageSize"] = json!(96);
    assert_eq!(rollup(&sim, "heart-rate", fine).0, 200);
    assert_eq!(
        rollup(&sim, "steps", phys(1, "900s")).0,
        200,
        "steps may span 90 days"
    );
    // dailyRollUp checks windowSizeDays × an explicit pageSize
    let mut b = span(7);
    b["pageSize"] = json!(91);
    assert_eq!(daily_rollup(&sim, "steps", b).0, 400);
    // the captured range-shape errors, generated from the request
    // written out by hand: the sim reports unknown names in request order, as Google does
    let bare = r#"{"range": {"start": {"year": 2025, "month": 12, "day": 31},
        "end": {"year": 2026, "month": 1, "day": 7}}, "windowSizeDays": 1}"#;
    let (s, v) = post_raw(&sim, "steps", ":dailyRollUp", bare);
    assert_eq!(s, 400);
    assert!(
        reason(&v).is_none(),
        "a body mistake carries only a BadRequest detail"
    );
    if let Some(f) = read_fixture("error-400-dailyrollup-range-bare-date.json") {
        assert_eq!(v, f);
    }
    let ts = r#"{"range": {"startTime": "2025-12-31T05:00:00Z", "endTime": "2026-01-07T05:00:00Z"},
        "windowSizeDays": 1}"#;
    let (s, v) = post_raw(&sim, "active-zone-minutes", ":dailyRollUp", ts);
    assert_eq!(s, 400);
    if let Some(f) = read_fixture("error-400-dailyrollup-range-timestamps.json") {
        assert_eq!(v, f);
    }
    // what the real API refuses
    let (s, v) = daily_rollup(&sim, "daily-heart-rate-variability", span(7));
    assert_eq!(s, 400);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("DailyRollup is not supported")
    );
    let (s, v) = get(&sim, "/v4/users/me/dataTypes/total-calories/dataPoints");
    assert_eq!(s, 400);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("List is not supported")
    );
}

#[test]
fn gsim_daily_rollup_windows_newest_first_and_missing_days_absent() {
    let first = NaiveDate::from_ymd_opt(2026, 1, 3).unwrap();
    let sim = GoogleSim::start(GoogleSimConfig {
        first_day: first,
        ..Default::default()
    });
    let start = first - Duration::days(2);
    let body = json!({"range": daily_range(start, start + Duration::days(7)), "windowSizeDays": 1});
    let (s, v) = daily_rollup(&sim, "steps", body.clone());
    assert_eq!(s, 200);
    let ws = v["rollupDataPoints"].as_array().unwrap();
    let starts: Vec<NaiveDate> = ws
        .iter()
        .map(|w| window_date(w, "civilStartTime"))
        .collect();
    let want: Vec<NaiveDate> = (0..5).rev().map(|i| first + Duration::days(i)).collect();
    assert_eq!(
        starts, want,
        "5 of 7 windows, newest first (the captured behaviour)"
    );
    for (w, d) in ws.iter().zip(&starts) {
        assert_eq!(w["civilStartTime"]["time"], json!({}));
        assert_eq!(w["civilEndTime"]["time"], json!({}));
        assert_eq!(window_date(w, "civilEndTime"), d.succ_opt().unwrap());
    }
    assert!(sim.daily_truth("steps", start).is_none());
    // active zone minutes: every counter present (also "0"), as captured
    let (_, v) = daily_rollup(&sim, "active-zone-minutes", body.clone());
    let ws = v["rollupDataPoints"].as_array().unwrap();
    assert!(!ws.is_empty());
    for d in start.iter_days().take(7) {
        let w = ws.iter().find(|w| window_date(w, "civilStartTime") == d);
        let t = sim.daily_truth("active-zone-minutes", d);
        assert_eq!(w.is_some(), t.is_some(), "{d}");
        if let (Some(w), Some(t)) = (w, t) {
            for k in [
                "sumInFatBurnHeartZone",
                "sumInCardioHeartZone",
                "sumInPeakHeartZone",
            ] {
                assert_eq!(int(&w["activeZoneMinutes"][k]), t[k], "{d} {k}");
            }
        }
    }
    // paging over windows
    let mut b = body.clone();
    b["pageSize"] = json!(2);
    let (_, p1) = daily_rollup(&sim, "steps", b.clone());
    assert_eq!(p1["rollupDataPoints"].as_array().unwrap().len(), 2);
    b["pageToken"] = p1["nextPageToken"].clone();
    let (_, p2) = daily_rollup(&sim, "steps", b.clone());
    b["pageToken"] = p2["nextPageToken"].clone();
    let (_, p3) = daily_rollup(&sim, "steps", b);
    assert_eq!(p3["rollupDataPoints"].as_array().unwrap().len(), 1);
    assert!(p3.get("nextPageToken").is_none());
    // windows of 3 days: the last is cut at the range end
    let body = json!({"range": daily_range(first, first + Duration::days(7)), "windowSizeDays": 3});
    let (_, v) = daily_rollup(&sim, "steps", body);
    let ws = v["rollupDataPoints"].as_array().unwrap();
    assert_eq!(ws.len(), 3);
    assert_eq!(
        window_date(&ws[0], "civilStartTime"),
        first + Duration::days(6)
    );
    assert_eq!(
        window_date(&ws[0], "civilEndTime"),
        first + Duration::days(7)
    );
    let three: f64 = (0..3)
        .map(|i| sim.daily_truth("steps", first + Duration::days(i)).unwrap()["countSum"])
        .sum();
    assert_eq!(int(&ws[2]["steps"]["countSum"]), three);
}

#[test]
fn gsim_physical_rollups_match_raw_samples() {
    let sim = GoogleSim::start(GoogleSimConfig::default());
    let (a, b) = sim.day_bounds(day());
    let body = json!({"range": {"startTime": rfc(a), "endTime": rfc(b)}, "windowSize": "60s"});
    let (s, v) = rollup(&sim, "heart-rate", body);
    assert_eq!(s, 200);
    let ws = v["rollupDataPoints"].as_array().unwrap();
    assert!(
        ws.len() < 1440,
        "minutes without samples (charging) are left out"
    );
    let mut by_minute: BTreeMap<i64, Vec<f64>> = BTreeMap::new();
    for (t, bpm) in sim.raw_heart_rate(a, b) {
        by_minute.entry(t / 60_000 * 60_000).or_default().push(bpm);
    }
    assert_eq!(ws.len(), by_minute.len());
    for w in ws {
        let xs = &by_minute[&ms(w["startTime"].as_str().unwrap())];
        let hr = &w["heartRate"];
        let avg = xs.iter().sum::<f64>() / xs.len() as f64;
        assert!((hr["beatsPerMinuteAvg"].as_f64().unwrap() - avg).abs() < 1e-9);
        assert_eq!(
            hr["beatsPerMinuteMax"].as_f64().unwrap(),
            xs.iter().cloned().fold(0.0, f64::max)
        );
        assert_eq!(
            hr["beatsPerMinuteMin"].as_f64().unwrap(),
            xs.iter().cloned().fold(999.0, f64::min)
        );
        assert_eq!(
            ms(w["endTime"].as_str().unwrap()) - ms(w["startTime"].as_str().unwrap()),
            60_000
        );
    }
    let starts: Vec<i64> = ws
        .iter()
        .map(|w| ms(w["startTime"].as_str().unwrap()))
        .collect();
    assert!(starts.windows(2).all(|x| x[0] > x[1]), "newest first");
    // hourly total calories add up to the day; the day's windows match dailyRollUp
    // 3600 s × the default pageSize of 1440 would exceed the 14-day cap (observed check)
    let body = json!({"range": {"startTime": rfc(a), "endTime": rfc(b)}, "windowSize": "3600s"});
    assert_eq!(rollup(&sim, "total-calories", body.clone()).0, 400);
    let mut body = body;
    body["pageSize"] = json!(24);
    let (_, v) = rollup(&sim, "total-calories", body);
    let hours: f64 = v["rollupDataPoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["totalCalories"]["kcalSum"].as_f64().unwrap())
        .sum();
    let kcal = sim.daily_truth("total-calories", day()).unwrap()["kcalSum"];
    assert!((hours - kcal).abs() < 0.01, "{hours} vs {kcal}");
    let truth = sim.rollup_truth("time-in-heart-rate-zone", a, b, 86_400);
    assert_eq!(truth.len(), 1);
    assert_eq!(
        Some(&truth[0].1),
        sim.daily_truth("time-in-heart-rate-zone", day()).as_ref()
    );
    // a window size that does not divide the range: the last window is cut at the end
    let body = json!({"range": {"startTime": rfc(a), "endTime": rfc(a + Duration::minutes(150))},
        "windowSize": "3600s", "pageSize": 3});
    let (_, v) = rollup(&sim, "total-calories", body);
    let newest = &v["rollupDataPoints"][0];
    assert_eq!(newest["endTime"], rfc(a + Duration::minutes(150)));
    assert_eq!(newest["startTime"], rfc(a + Duration::minutes(120)));
}

#[test]
fn gsim_sleep_sessions_stages_naps_and_midnight() {
    let sim = GoogleSim::start(GoogleSimConfig::default());
    let from = NaiveDate::from_ymd_opt(2026, 4, 1).unwrap();
    let to = from + Duration::days(30);
    let (a, _) = sim.day_bounds(from);
    let (b, _) = sim.day_bounds(to);
    let f = format!(
        "sleep.interval.end_time >= \"{}\" AND sleep.interval.end_time < \"{}\"",
        rfc(a),
        rfc(b)
    );
    let ps = pages(&sim, "sleep", "", &f, "&pageSize=100");
    let sizes: Vec<usize> = ps
        .iter()
        .map(|p| p["dataPoints"].as_array().map_or(0, |x| x.len()))
        .collect();
    assert!(
        sizes.iter().all(|n| *n <= 25) && sizes.contains(&25),
        "pageSize is cut to 25: {sizes:?}"
    );
    let pts = points(&ps);
    let mut want: Vec<gs::SleepSession> = from
        .iter_days()
        .take(30)
        .flat_map(|d| sim.sleep_sessions(d))
        .collect();
    want.sort_by_key(|s| std::cmp::Reverse(s.start));
    assert_eq!(pts.len(), want.len());
    assert!(want.iter().any(|s| s.nap) && want.iter().any(|s| s.main));
    let tz = sim.timezone();
    assert!(
        want.iter().any(|s| s.main
            && s.start.with_timezone(&tz).date_naive() < s.end.with_timezone(&tz).date_naive()),
        "a night crosses midnight"
    );
    for (p, s) in pts.iter().zip(&want) {
        assert_eq!(p["name"], s.name);
        let sl = &p["sleep"];
        assert!(
            sl["interval"].get("civilStartTime").is_none(),
            "captured: no civil times"
        );
        assert_eq!(
            ms(sl["interval"]["startTime"].as_str().unwrap()),
            s.start.timestamp_millis()
        );
        assert_eq!(sl["type"], s.kind);
        assert_eq!(sl["metadata"]["nap"].as_bool().unwrap_or(false), s.nap);
        assert_eq!(
            int(&sl["summary"]["minutesAsleep"]),
            s.minutes_asleep as f64
        );
        assert_eq!(
            int(&sl["summary"]["minutesInSleepPeriod"]),
            s.minutes_in_period as f64
        );
        let stages = sl["stages"].as_array().unwrap();
        assert_eq!(stages.len(), s.stages.len());
        assert_eq!(stages[0]["startTime"], sl["interval"]["startTime"]);
        assert_eq!(stages.last().unwrap()["endTime"], sl["interval"]["endTime"]);
        for w in stages.windows(2) {
            assert_eq!(w[0]["endTime"], w[1]["startTime"], "contiguous");
        }
        for st in stages {
            assert_eq!(
                ms(st["startTime"].as_str().unwrap()) % 30_000,
                0,
                "30 s boundaries"
            );
        }
        assert!(
            sl["createTime"].as_str().unwrap().contains('.'),
            "microseconds"
        );
    }
    // reconcile names the point differently and drops the source
    let r = points(&pages(&sim, "sleep", ":reconcile", &f, ""));
    assert_eq!(r.len(), want.len());
    assert!(
        r.iter()
            .all(|p| p.get("dataSource").is_none() && p["dataPointName"].is_string())
    );
    let (s, _) = get(
        &sim,
        &format!(
            "/v4/users/me/dataTypes/sleep/dataPoints?filter={}&dataSourceFamily={}",
            url_encode(&f),
            url_encode("users/me/dataSourceFamilies/google-wearables")
        ),
    );
    assert_eq!(s, 400, "list rejects a family for sleep");
}

#[test]
fn gsim_last_sync_cuts_tracker_data() {
    let tz: chrono_tz::Tz = "America/New_York".parse().unwrap();
    let noon = tz
        .with_ymd_and_hms(2026, 4, 14, 12, 0, 0)
        .unwrap()
        .with_timezone(&Utc);
    let sim = GoogleSim::start(GoogleSimConfig {
        last_sync: Some(noon),
        ..Default::default()
    });
    let (a, b) = sim.day_bounds(day());
    let tracker = sim.source_truth("steps", Source::Tracker, a, b);
    assert!(
        tracker
            .iter()
            .all(|(t, _)| *t + 60_000 <= noon.timestamp_millis())
    );
    let phone = sim.source_truth("steps", Source::Phone, a, b);
    assert!(
        phone.iter().any(|(t, _)| *t > noon.timestamp_millis()),
        "the phone syncs on"
    );
    assert!(sim.raw_heart_rate(noon, b).is_empty());
    let next = day().succ_opt().unwrap();
    assert!(sim.daily_truth("daily-resting-heart-rate", day()).is_some());
    assert!(sim.daily_truth("daily-resting-heart-rate", next).is_none());
    assert!(sim.sleep_sessions(next).is_empty());
    let f = day_filter(&sim, "steps.interval.start_time", day());
    let listed = points(&pages(&sim, "steps", "", &f, "&pageSize=10000"));
    assert_eq!(listed.len(), tracker.len() + phone.len());
    let (_, dev) = get(&sim, "/v4/users/me/pairedDevices");
    assert_eq!(dev["pairedDevices"][0]["lastSyncTime"], rfc(noon));
}

#[test]
fn gsim_quota_answers_resource_exhausted() {
    let sim = GoogleSim::start(GoogleSimConfig {
        quota_per_window: 5,
        ..Default::default()
    });
    for _ in 0..5 {
        assert_eq!(get(&sim, "/v4/users/me/identity").0, 200);
    }
    let r = ureq::get(&format!("{}/v4/users/me/identity", sim.base_url()))
        .set("Authorization", &format!("Bearer {}", sim.tokens().0))
        .call();
    match r {
        Err(ureq::Error::Status(429, r)) => {
            assert!(
                r.header("Retry-After").is_none(),
                "no Retry-After is promised"
            );
            let v: Value = r.into_json().unwrap();
            assert_eq!(v["error"]["status"], "RESOURCE_EXHAUSTED");
            assert_eq!(v["error"]["code"], 429);
        }
        other => panic!("expected 429, got {other:?}"),
    }
    // token calls have their own quota
    let (s, _) = status(ureq::post(&sim.token_url()).send_form(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", &sim.tokens().1),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
    ]));
    assert_eq!(s, 200);
    sim.set_quota(10);
    assert_eq!(get(&sim, "/v4/users/me/identity").0, 200);
    // a new window starts after window_secs
    let short = GoogleSim::start(GoogleSimConfig {
        quota_per_window: 2,
        window_secs: 1,
        ..Default::default()
    });
    let statuses: Vec<u16> = (0..3)
        .map(|_| get(&short, "/v4/users/me/identity").0)
        .collect();
    assert_eq!(statuses, [200, 200, 429]);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert_eq!(get(&short, "/v4/users/me/identity").0, 200);
    assert_eq!(short.data_calls(), 4);
}

#[test]
fn gsim_failure_knobs() {
    let sim = GoogleSim::start(GoogleSimConfig::default());
    let steps = format!(
        "/v4/users/me/dataTypes/steps/dataPoints:reconcile?filter={}",
        url_encode(&day_filter(&sim, "steps.interval.start_time", day()))
    );
    sim.fail_next(2, 503);
    for _ in 0..2 {
        let (s, v) = get(&sim, &steps);
        assert_eq!(
            (s, v["error"]["status"].as_str()),
            (503, Some("UNAVAILABLE"))
        );
    }
    assert_eq!(get(&sim, &steps).0, 200);
    sim.fail_next(1, 504);
    assert_eq!(get(&sim, &steps).1["error"]["status"], "DEADLINE_EXCEEDED");
    sim.fail_next(1, 502);
    match ureq::get(&format!("{}{steps}", sim.base_url()))
        .set("Authorization", &format!("Bearer {}", sim.tokens().0))
        .call()
    {
        Err(ureq::Error::Status(502, r)) => {
            assert!(r.header("Content-Type").unwrap().starts_with("text/html"))
        }
        other => panic!("expected Google's HTML 502, got {other:?}"),
    }
    sim.malformed_next(1);
    let r = ureq::get(&format!("{}/v4/users/me/settings", sim.base_url()))
        .set("Authorization", &format!("Bearer {}", sim.tokens().0))
        .call()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(serde_json::from_str::<Value>(&r.into_string().unwrap()).is_err());
    // an account without linked Fitbit data: identity still answers
    sim.set_account_not_linked(true);
    let (s, v) = get(&sim, &steps);
    assert_eq!((s, reason(&v)), (400, Some("ACCOUNT_NOT_LINKED")));
    assert_eq!(
        reason(&get(&sim, "/v4/users/me/settings").1),
        Some("ACCOUNT_NOT_LINKED")
    );
    assert_eq!(get(&sim, "/v4/users/me/identity").0, 200);
    sim.set_account_not_linked(false);
    // stale consent: 403 everywhere although the token is fine
    sim.set_resource_permission_denied(true);
    let (s, v) = get(&sim, "/v4/users/me/identity");
    assert_eq!((s, reason(&v)), (403, Some("RESOURCE_PERMISSION_DENIED")));
    sim.set_resource_permission_denied(false);
    // an expired access token until a refresh
    sim.expire_access_token();
    let (s, v) = get(&sim, "/v4/users/me/identity");
    assert_eq!((s, reason(&v)), (401, Some("ACCESS_TOKEN_EXPIRED")));
    let (s, t) = status(ureq::post(&sim.token_url()).send_form(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", &sim.tokens().1),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
    ]));
    assert_eq!(s, 200);
    assert_eq!(t["access_token"], sim.tokens().0.as_str());
    assert_eq!(get(&sim, "/v4/users/me/identity").0, 200);
    let failed = sim
        .data_requests()
        .iter()
        .filter(|r| r.status >= 400)
        .count();
    assert_eq!(failed, 8);
}

#[test]
fn gsim_denied_scopes_answer_403() {
    let sim = GoogleSim::start(GoogleSimConfig::default());
    let (a, b) = sim.day_bounds(day());
    let sleep = format!(
        "/v4/users/me/dataTypes/sleep/dataPoints?filter={}",
        url_encode(&format!(
            "sleep.interval.end_time >= \"{}\" AND sleep.interval.end_time < \"{}\"",
            rfc(a),
            rfc(b)
        ))
    );
    sim.deny_scope("sleep.readonly");
    let (s, v) = get(&sim, &sleep);
    assert_eq!(
        (s, v["error"]["status"].as_str()),
        (403, Some("PERMISSION_DENIED"))
    );
    assert_eq!(reason(&v), Some("ACCESS_TOKEN_SCOPE_INSUFFICIENT"));
    let steps = format!(
        "/v4/users/me/dataTypes/steps/dataPoints?filter={}",
        url_encode(&day_filter(&sim, "steps.interval.start_time", day()))
    );
    assert_eq!(get(&sim, &steps).0, 200);
    let tj: Value = serde_json::from_str(&sim.token_json(false)).unwrap();
    assert!(!tj["scope"].as_str().unwrap().contains("sleep"));
    // without the activity scope the profile loses its stride fields
    sim.deny_scope("activity_and_fitness");
    assert_eq!(get(&sim, &steps).0, 403);
    let (_, prof) = get(&sim, "/v4/users/me/profile");
    assert!(prof.get("userConfiguredWalkingStrideLengthMm").is_none());
    sim.deny_scope("settings.readonly");
    assert_eq!(
        reason(&get(&sim, "/v4/users/me/pairedDevices").1),
        Some("ACCESS_TOKEN_SCOPE_INSUFFICIENT")
    );
}

/// Runs the consent step: the sim redirects to the loopback URI at once.
fn authorize(sim: &GoogleSim, verifier: &str, extra: &[(&str, &str)]) -> (u16, String) {
    let mut q = vec![
        ("client_id", CLIENT_ID.to_string()),
        (
            "redirect_uri",
            "http://127.0.0.1:53682/callback".to_string(),
        ),
        ("response_type", "code".to_string()),
        ("scope", SCOPES.join(" ")),
        ("state", "st4te-xyz".to_string()),
        ("code_challenge", pkce_challenge(verifier)),
        ("code_challenge_method", "S256".to_string()),
        ("access_type", "offline".to_string()),
    ];
    for (k, v) in extra {
        q.retain(|(x, _)| x != k);
        q.push((k, v.to_string()));
    }
    let qs: Vec<String> = q
        .iter()
        .map(|(k, v)| format!("{k}={}", url_encode(v)))
        .collect();
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    match agent
        .get(&format!("{}?{}", sim.auth_url(), qs.join("&")))
        .call()
    {
        Ok(r) => (r.status(), r.header("Location").unwrap_or("").to_string()),
        Err(ureq::Error::Status(s, r)) => (s, r.into_string().unwrap_or_default()),
        Err(e) => panic!("{e}"),
    }
}

fn query_param(url: &str, key: &str) -> Option<String> {
    url.split_once('?')?.1.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == key).then(|| {
            // the tests only need %XX decoding of the sim's own encoding
            let mut out = vec![];
            let b = v.as_bytes();
            let mut i = 0;
            while i < b.len() {
                if b[i] == b'%' {
                    out.push(u8::from_str_radix(&v[i + 1..i + 3], 16).unwrap());
                    i += 3;
                } else {
                    out.push(b[i]);
                    i += 1;
                }
            }
            String::from_utf8(out).unwrap()
        })
    })
}

fn exchange(sim: &GoogleSim, code: &str, verifier: &str) -> (u16, Value) {
    status(ureq::post(&sim.token_url()).send_form(&[
        ("grant_type", "authorization_code"),
        ("code", code),
        ("code_verifier", verifier),
        ("redirect_uri", "http://127.0.0.1:53682/callback"),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
    ]))
}

#[test]
fn gsim_oauth_code_with_pkce() {
    let sim = GoogleSim::start(GoogleSimConfig::default());
    let verifier = "a-verifier-of-at-least-43-characters-0123456789abcdef";
    let (s, loc) = authorize(&sim, verifier, &[("prompt", "consent")]);
    assert_eq!(s, 302);
    assert!(loc.starts_with("http://127.0.0.1:53682/callback?"), "{loc}");
    assert_eq!(query_param(&loc, "state").as_deref(), Some("st4te-xyz"));
    assert_eq!(query_param(&loc, "scope").unwrap(), SCOPES.join(" "));
    let code = query_param(&loc, "code").unwrap();
    // a wrong verifier fails and uses the code up
    let (s, v) = exchange(
        &sim,
        &code,
        "another-verifier-of-at-least-43-characters-000000",
    );
    assert_eq!((s, v["error"].as_str()), (400, Some("invalid_grant")));
    let (s, v) = exchange(&sim, &code, verifier);
    assert_eq!(
        (s, v["error_description"].as_str()),
        (400, Some("Bad Request"))
    );
    let (_, loc) = authorize(&sim, verifier, &[("prompt", "consent")]);
    let code = query_param(&loc, "code").unwrap();
    let (s, t) = exchange(&sim, &code, verifier);
    assert_eq!(s, 200, "{t}");
    assert_eq!(t["token_type"], "Bearer");
    assert_eq!(t["expires_in"], 3599);
    assert_eq!(t["scope"], SCOPES.join(" "));
    assert_eq!(t["access_token"], sim.tokens().0.as_str());
    assert_eq!(t["refresh_token"], sim.tokens().1.as_str());
    assert_eq!(get(&sim, "/v4/users/me/identity").0, 200);
    // re-authorizing without prompt=consent gives no new refresh token (Google's rule)
    let (_, loc) = authorize(&sim, verifier, &[]);
    let (s, t) = exchange(&sim, &query_param(&loc, "code").unwrap(), verifier);
    assert_eq!(s, 200);
    assert!(t.get("refresh_token").is_none());
    // fewer scopes granted than asked for: the response says so
    sim.deny_scope("profile");
    let (_, loc) = authorize(&sim, verifier, &[("prompt", "consent")]);
    assert!(!query_param(&loc, "scope").unwrap().contains("profile"));
    let (_, t) = exchange(&sim, &query_param(&loc, "code").unwrap(), verifier);
    assert!(!t["scope"].as_str().unwrap().contains("profile"));
    // what the consent page refuses
    let (s, _) = authorize(
        &sim,
        verifier,
        &[("redirect_uri", "https://example.com/cb")],
    );
    assert_eq!(s, 400);
    let (s, _) = authorize(&sim, verifier, &[("code_challenge_method", "plain")]);
    assert_eq!(s, 400);
    sim.set_consent_denied(true);
    let (s, loc) = authorize(&sim, verifier, &[]);
    assert_eq!(
        (s, query_param(&loc, "error").as_deref()),
        (302, Some("access_denied"))
    );
    assert_eq!(sim.auth_calls(), 7);
}

#[test]
fn gsim_refresh_without_rotation_and_revocation() {
    let sim = GoogleSim::start(GoogleSimConfig::default());
    let tj: Value = serde_json::from_str(&sim.token_json(true)).unwrap();
    let keys: Vec<&String> = tj.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["access_token", "expires_at", "refresh_token", "scope"]
    );
    let exp = DateTime::parse_from_rfc3339(tj["expires_at"].as_str().unwrap()).unwrap();
    assert!([-4 * 3600, -5 * 3600].contains(&exp.offset().local_minus_utc()));
    assert!(exp < Utc::now());
    assert_eq!(tj["scope"], SCOPES.join(" "));
    assert_eq!(get(&sim, "/v4/users/me/identity").0, 401);
    let rt = tj["refresh_token"].as_str().unwrap().to_string();
    let refresh = |rt: &str, secret: &str| {
        status(ureq::post(&sim.token_url()).send_form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", rt),
            ("client_id", CLIENT_ID),
            ("client_secret", secret),
        ]))
    };
    let (s, t) = refresh(&rt, CLIENT_SECRET);
    assert_eq!(s, 200);
    assert!(
        t.get("refresh_token").is_none(),
        "Google does not rotate by default: {t}"
    );
    assert_eq!(get(&sim, "/v4/users/me/identity").0, 200);
    assert_eq!(
        refresh(&rt, CLIENT_SECRET).0,
        200,
        "the same refresh token keeps working"
    );
    assert_eq!(refresh(&rt, "wrong").1["error"], "invalid_client");
    // HTTP Basic works as well
    let basic = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        format!("{CLIENT_ID}:{CLIENT_SECRET}"),
    );
    let (s, _) = status(
        ureq::post(&sim.token_url())
            .set("Authorization", &format!("Basic {basic}"))
            .send_form(&[("grant_type", "refresh_token"), ("refresh_token", &rt)]),
    );
    assert_eq!(s, 200);
    // the rotation knob
    sim.set_rotate_refresh_tokens(true);
    let (_, t) = refresh(&rt, CLIENT_SECRET);
    let new_rt = t["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(new_rt, rt);
    assert_eq!(refresh(&rt, CLIENT_SECRET).1["error"], "invalid_grant");
    sim.set_rotate_refresh_tokens(false);
    sim.revoke_refresh_token();
    let (s, v) = refresh(&new_rt, CLIENT_SECRET);
    assert_eq!(
        (s, v["error_description"].as_str()),
        (400, Some("Token has been expired or revoked."))
    );
    // revoking the access token ends the whole grant
    let (s, _) = status(ureq::post(&sim.revoke_url()).send_form(&[("token", &sim.tokens().0)]));
    assert_eq!(s, 200);
    assert_eq!(sim.revocations(), 1);
    assert_eq!(sim.tokens(), (String::new(), String::new()));
    assert_eq!(sim.token_calls(), 7);
}

#[test]
fn gsim_formula_fallback_without_fixtures() {
    let sim = GoogleSim::start(GoogleSimConfig {
        use_fixtures: false,
        ..Default::default()
    });
    let (_, set) = get(&sim, "/v4/users/me/settings");
    assert_eq!(set["timeZone"], "America/New_York");
    let (a, b) = sim.day_bounds(day());
    let f = day_filter(&sim, "steps.interval.start_time", day());
    let merged = points(&pages(&sim, "steps", ":reconcile", &f, "&pageSize=10000"));
    let sum: f64 = merged.iter().map(|p| int(&p["steps"]["count"])).sum();
    assert!(sum > 1000.0);
    assert_eq!(sim.daily_truth("steps", day()).unwrap()["countSum"], sum);
    let hr = points(&pages(
        &sim,
        "heart-rate",
        "",
        &day_filter(&sim, "heart_rate.sample_time.physical_time", day()),
        "&pageSize=10000",
    ));
    assert_eq!(hr.len(), sim.raw_heart_rate(a, b).len());
    assert!(
        !sim.sleep_sessions(day()).is_empty()
            || !sim.sleep_sessions(day().succ_opt().unwrap()).is_empty()
    );
    let (s, v) = get(&sim, "/v4/users/someone-else/identity");
    assert_eq!(
        (s, v["error"]["status"].as_str()),
        (403, Some("PERMISSION_DENIED"))
    );
}

#[test]
fn gsim_dst_days_and_offsets() {
    let sim = GoogleSim::start(GoogleSimConfig::default());
    for (d, hours) in [((2026, 3, 8), 23), ((2026, 11, 1), 25)] {
        let d = NaiveDate::from_ymd_opt(d.0, d.1, d.2).unwrap();
        let (a, b) = sim.day_bounds(d);
        assert_eq!((b - a).num_hours(), hours);
        let f = day_filter(&sim, "steps.interval.start_time", d);
        let merged = points(&pages(&sim, "steps", ":reconcile", &f, "&pageSize=10000"));
        let sum: f64 = merged.iter().map(|p| int(&p["steps"]["count"])).sum();
        let (_, r) = daily_rollup(
            &sim,
            "steps",
            json!({"range": daily_range(d, d.succ_opt().unwrap())}),
        );
        assert_eq!(
            int(&r["rollupDataPoints"][0]["steps"]["countSum"]),
            sum,
            "{d}"
        );
        // each sample carries the offset in force when it was recorded (steps sleep at 02:00)
        let f = day_filter(&sim, "heart_rate.sample_time.physical_time", d);
        let hr = points(&pages(&sim, "heart-rate", "", &f, "&pageSize=10000"));
        let offsets: std::collections::BTreeSet<&str> = hr
            .iter()
            .map(|p| p["heartRate"]["sampleTime"]["utcOffset"].as_str().unwrap())
            .collect();
        assert_eq!(offsets.len(), 2, "{d}: {offsets:?}");
    }
    let india = GoogleSim::start(GoogleSimConfig {
        timezone: "Asia/Kolkata".into(),
        ..Default::default()
    });
    let f = day_filter(&india, "heart_rate.sample_time.physical_time", day());
    let hr = points(&pages(&india, "heart-rate", "", &f, "&pageSize=2000"));
    assert!(
        hr.iter()
            .all(|p| p["heartRate"]["sampleTime"]["utcOffset"] == "19800s")
    );
    let last = hr.last().unwrap()["heartRate"]["sampleTime"].clone();
    assert_eq!(
        last["civilTime"]["date"],
        json!({"year": 2026, "month": 4, "day": 14})
    );
    assert!(
        last["physicalTime"]
            .as_str()
            .unwrap()
            .starts_with("2026-04-13T18:")
    );
}
