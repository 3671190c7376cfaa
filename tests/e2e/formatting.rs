//! The Prometheus text of a day's samples, built from the real recorded Fitbit responses in
//! ../shared/fixtures and pinned with insta snapshots. Skips (with a note) when the fixtures
//! folder is absent.

use chrono::NaiveDate;
use serde_json::Value;
use syncbit::calendar::Calendar;
use syncbit::format;
use syncbit::sink::Batch;
use syncbit::source::Resource;
use syncbit::source::fitbit::{intraday_readings, wire};

fn fixture_bytes(name: &str) -> Option<Vec<u8>> {
    let dir = crate::support::sim::fixtures_dir()?;
    std::fs::read(dir.join(name)).ok()
}

/// An intraday fixture's points of `day`, as instants in `tz`.
fn intraday(
    name: &str,
    key: &str,
    r: Resource,
    day: NaiveDate,
    tz: &str,
) -> Option<Vec<syncbit::source::Reading>> {
    let body = fixture_bytes(name)?;
    let points = wire::intraday(&body, key, day).unwrap();
    Some(intraday_readings(
        &Calendar::new(tz.parse().unwrap()),
        r,
        day,
        &points,
    ))
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// Formats readings as syncbit pushes them, for user "alex" in `tz`.
fn text(tz: &str, readings: &[syncbit::source::Reading]) -> String {
    let cal = Calendar::new(tz.parse().unwrap());
    let samples = format::samples(&cal, readings);
    let mut b = Batch::new("alex", 1_900_000_000_000);
    format::add_all(&mut b, &samples).unwrap();
    b.text
}

/// First and last lines, count and sum: a whole day of intraday data in a readable snapshot.
fn digest(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let sum: f64 = lines
        .iter()
        .map(|l| l.split(' ').nth(1).unwrap().parse::<f64>().unwrap())
        .sum();
    let mut out = format!("{} samples, sum {sum:.4}\n", lines.len());
    for l in lines.iter().take(5) {
        out += l;
        out.push('\n');
    }
    out += "...\n";
    for l in &lines[lines.len().saturating_sub(3)..] {
        out += l;
        out.push('\n');
    }
    out
}

macro_rules! need {
    ($e:expr) => {
        match $e {
            Some(v) => v,
            None => {
                eprintln!("fixtures not found; snapshot test skipped");
                return;
            }
        }
    };
}

#[test]
fn daily_activity_summary_2021_10_31_new_york() {
    let bytes = need!(fixture_bytes("activities-daily-summary-2021-10-31.json"));
    let body: Value = serde_json::from_slice(&bytes).unwrap();
    let d = day("2021-10-31");
    let mut readings = wire::activity_day(&bytes, d).unwrap();
    // The day summary's heart part, in the shape of the heart range endpoint.
    let heart = serde_json::json!({"activities-heart": [{"dateTime": "2021-10-31", "value": body["summary"]}]});
    readings.extend(wire::heart_range(heart.to_string().as_bytes()).unwrap());
    insta::assert_snapshot!(text("America/New_York", &readings));
}

#[test]
fn heart_time_series_week_2017_08() {
    let body = need!(fixture_bytes("heart-timeseries-2017-08-15_2017-08-21.json"));
    let readings = wire::heart_range(&body).unwrap();
    insta::assert_snapshot!(text("Europe/Berlin", &readings));
}

#[test]
fn sleep_2021_11_27() {
    let body = need!(fixture_bytes("sleep-log-v1.2-2021-11-27.json"));
    let readings: Vec<_> = wire::sleep_range(&body)
        .unwrap()
        .into_iter()
        .filter(|r| r.at == syncbit::source::At::Day(day("2021-11-27")))
        .collect();
    insta::assert_snapshot!(text("Asia/Tokyo", &readings));
}

#[test]
fn steps_intraday_1min_2021_12_04() {
    let r = need!(intraday(
        "steps-intraday-1min-2021-12-04.json",
        "steps",
        Resource::Steps,
        day("2021-12-04"),
        "Europe/Berlin"
    ));
    insta::assert_snapshot!(digest(&text("Europe/Berlin", &r)));
}

#[test]
fn heart_intraday_1sec_2017_06_10() {
    let r = need!(intraday(
        "heart-intraday-1sec-2017-06-10.json",
        "heart",
        Resource::HeartRate,
        day("2017-06-10"),
        "America/Los_Angeles"
    ));
    insta::assert_snapshot!(digest(&text("America/Los_Angeles", &r)));
}

#[test]
fn calories_intraday_1min_2015_03_20() {
    let r = need!(intraday(
        "calories-intraday-1min-2015-03-20.json",
        "calories",
        Resource::Calories,
        day("2015-03-20"),
        "Europe/London"
    ));
    insta::assert_snapshot!(digest(&text("Europe/London", &r)));
}
