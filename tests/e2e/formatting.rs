//! The Prometheus text of a day's samples, built from the real recorded Fitbit responses in
//! ../shared/fixtures and pinned with insta snapshots. Skips (with a note) when the fixtures
//! folder is absent.

use chrono::NaiveDate;
use serde_json::Value;
use syncbit::calendar::Calendar;
use syncbit::format;
use syncbit::sink::Batch;
use syncbit::source::Resource;
use syncbit::source::fitbit::{parse_activity, parse_heart_item, parse_intraday, parse_sleep};

fn fixture(name: &str) -> Option<Value> {
    let dir = crate::support::sim::fixtures_dir()?;
    let text = std::fs::read_to_string(dir.join(name)).ok()?;
    Some(serde_json::from_str(&text).unwrap())
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// Formats readings as syncbit pushes them, for user "alex" in `tz`.
fn text(tz: &str, readings: &[syncbit::source::Reading]) -> String {
    let cal = Calendar::new(tz.parse().unwrap());
    let (samples, _) = format::samples(&cal, readings);
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
    let body = need!(fixture("activities-daily-summary-2021-10-31.json"));
    let d = day("2021-10-31");
    let mut readings = parse_activity(&body, d);
    readings.extend(parse_heart_item(&body["summary"], d));
    insta::assert_snapshot!(text("America/New_York", &readings));
}

#[test]
fn heart_time_series_week_2017_08() {
    let body = need!(fixture("heart-timeseries-2017-08-15_2017-08-21.json"));
    let mut readings = Vec::new();
    for item in body["activities-heart"].as_array().unwrap() {
        let d = day(item["dateTime"].as_str().unwrap());
        readings.extend(parse_heart_item(item, d));
    }
    insta::assert_snapshot!(text("Europe/Berlin", &readings));
}

#[test]
fn sleep_2021_11_27() {
    let body = need!(fixture("sleep-log-v1.2-2021-11-27.json"));
    insta::assert_snapshot!(text("Asia/Tokyo", &parse_sleep(&body, day("2021-11-27"))));
}

#[test]
fn steps_intraday_1min_2021_12_04() {
    let body = need!(fixture("steps-intraday-1min-2021-12-04.json"));
    let r = parse_intraday(&body, "steps", Resource::Steps, day("2021-12-04"));
    insta::assert_snapshot!(digest(&text("Europe/Berlin", &r)));
}

#[test]
fn heart_intraday_1sec_2017_06_10() {
    let body = need!(fixture("heart-intraday-1sec-2017-06-10.json"));
    let r = parse_intraday(&body, "heart", Resource::HeartRate, day("2017-06-10"));
    insta::assert_snapshot!(digest(&text("America/Los_Angeles", &r)));
}

#[test]
fn calories_intraday_1min_2015_03_20() {
    let body = need!(fixture("calories-intraday-1min-2015-03-20.json"));
    let r = parse_intraday(&body, "calories", Resource::Calories, day("2015-03-20"));
    insta::assert_snapshot!(digest(&text("Europe/London", &r)));
}
