//! The Fitbit Web API as a [`Source`]: endpoints, response shapes and their mapping to
//! readings. Values may arrive as JSON strings or numbers; a missing optional field skips that
//! one reading.

pub mod client;
pub mod tokens;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use serde_json::Value;

use crate::metrics::{Metric, label_value};
use crate::source::{At, Detail, Device, Family, Profile, Reading, Resource, Source, SourceError};
use client::Client;

/// The Fitbit Web API source.
pub struct FitbitSource {
    /// The HTTP client (tokens, quota).
    pub client: Client,
}

/// A number that may be a JSON number or a string holding one.
pub fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
    .filter(|x| x.is_finite())
}

fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// The value of `key` in the first item of `list` whose `dateTime` is `day` (or the first
/// item when none carries a date).
fn day_item(list: Option<&Value>, day: NaiveDate) -> Option<&Value> {
    let items = list?.as_array()?;
    let d = date(day);
    items
        .iter()
        .find(|i| i.get("dateTime").and_then(Value::as_str) == Some(d.as_str()))
        .or_else(|| {
            items
                .first()
                .filter(|i| i.get("dateTime").and_then(Value::as_str).is_none())
        })
}

/// Readings of `GET /1/user/-/activities/date/D.json`: steps, total distance, calories out,
/// active minutes per level.
pub fn parse_activity(body: &Value, day: NaiveDate) -> Vec<Reading> {
    let mut out = Vec::new();
    let Some(s) = body.get("summary") else {
        return out;
    };
    if let Some(v) = s.get("steps").and_then(num) {
        out.push(Reading::day(Metric::StepsTotal, day, v));
    }
    if let Some(v) = s
        .get("distances")
        .and_then(Value::as_array)
        .and_then(|d| {
            d.iter()
                .find(|i| i.get("activity").and_then(Value::as_str) == Some("total"))
        })
        .and_then(|i| i.get("distance"))
        .and_then(num)
    {
        out.push(Reading::day(Metric::DistanceKm, day, v));
    }
    if let Some(v) = s.get("caloriesOut").and_then(num) {
        out.push(Reading::day(Metric::CaloriesTotal, day, v));
    }
    for (field, level) in [
        ("sedentaryMinutes", "sedentary"),
        ("lightlyActiveMinutes", "lightly_active"),
        ("fairlyActiveMinutes", "fairly_active"),
        ("veryActiveMinutes", "very_active"),
    ] {
        if let Some(v) = s.get(field).and_then(num) {
            let mut r = Reading::day(Metric::ActiveMinutes, day, v);
            r.labels.push(("type", level.to_string()));
            out.push(r);
        }
    }
    out
}

/// Readings of one `activities-heart` item: resting heart rate and zone minutes/calories.
/// Accepts the zones nested under `value` and the flattened form with zones at the top.
pub fn parse_heart_item(item: &Value, day: NaiveDate) -> Vec<Reading> {
    let mut out = Vec::new();
    let v = match item.get("value") {
        Some(v) if v.is_object() => v,
        _ => item,
    };
    if let Some(r) = v.get("restingHeartRate").and_then(num) {
        out.push(Reading::day(Metric::RestingHeartRateBpm, day, r));
    }
    for z in v
        .get("heartRateZones")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(name) = z.get("name").and_then(Value::as_str) else {
            continue;
        };
        let zone = label_value(name);
        if let Some(m) = z.get("minutes").and_then(num) {
            let mut r = Reading::day(Metric::HeartRateZoneMinutes, day, m);
            r.labels.push(("zone", zone.clone()));
            out.push(r);
        }
        if let Some(c) = z.get("caloriesOut").and_then(num) {
            let mut r = Reading::day(Metric::HeartRateZoneCalories, day, c);
            r.labels.push(("zone", zone));
            out.push(r);
        }
    }
    out
}

/// Readings of `GET /1.2/user/-/sleep/date/D.json`: minutes asleep and minutes per stage
/// (`summary.stages`; absent for classic-only nights).
pub fn parse_sleep(body: &Value, day: NaiveDate) -> Vec<Reading> {
    let mut out = Vec::new();
    let Some(s) = body.get("summary") else {
        return out;
    };
    let records = s.get("totalSleepRecords").and_then(num);
    let logs = body
        .get("sleep")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    if records == Some(0.0) && logs == 0 {
        return out; // no sleep logged that night: write nothing rather than zeros
    }
    if let Some(v) = s.get("totalMinutesAsleep").and_then(num) {
        out.push(Reading::day(Metric::SleepMinutesTotal, day, v));
    }
    if let Some(stages) = s.get("stages").and_then(Value::as_object) {
        for stage in ["deep", "light", "rem", "wake"] {
            if let Some(v) = stages.get(stage).and_then(num) {
                let mut r = Reading::day(Metric::SleepStageMinutes, day, v);
                r.labels.push(("stage", stage.to_string()));
                out.push(r);
            }
        }
    }
    out
}

/// Readings of one SpO2 item (`{"dateTime", "value": {"avg", "min", "max"}}`).
pub fn parse_spo2(item: &Value, day: NaiveDate) -> Vec<Reading> {
    let mut out = Vec::new();
    if let Some(v) = item.get("value") {
        for (k, m) in [
            ("avg", Metric::Spo2AvgPercent),
            ("min", Metric::Spo2MinPercent),
            ("max", Metric::Spo2MaxPercent),
        ] {
            if let Some(x) = v.get(k).and_then(num) {
                out.push(Reading::day(m, day, x));
            }
        }
    }
    out
}

/// The midpoint of a VO2 max value: `"44-48"` → 46, `"43"` → 43.
pub fn vo2_max(v: &Value) -> Option<f64> {
    if let Some(s) = v.as_str()
        && let Some((a, b)) = s.split_once('-')
    {
        let (a, b) = (a.trim().parse::<f64>().ok()?, b.trim().parse::<f64>().ok()?);
        return Some((a + b) / 2.0);
    }
    num(v)
}

/// A single-value family: `<list key>[dateTime=D].value.<field>`.
fn parse_single(
    body: &Value,
    day: NaiveDate,
    list: &str,
    field: &str,
    metric: Metric,
) -> Vec<Reading> {
    day_item(body.get(list), day)
        .and_then(|i| i.get("value"))
        .and_then(|v| v.get(field))
        .and_then(|v| {
            if metric == Metric::Vo2Max {
                vo2_max(v)
            } else {
                num(v)
            }
        })
        .map(|x| vec![Reading::day(metric, day, x)])
        .unwrap_or_default()
}

/// The wall-clock points of an intraday dataset (`activities-<res>-intraday.dataset`) of `day`.
pub fn parse_intraday(body: &Value, key: &str, resource: Resource, day: NaiveDate) -> Vec<Reading> {
    let metric = resource.metric();
    let dataset = body
        .get(format!("activities-{key}-intraday"))
        .and_then(|i| i.get("dataset"))
        .and_then(Value::as_array);
    let mut out = Vec::with_capacity(dataset.map_or(0, Vec::len));
    for p in dataset.into_iter().flatten() {
        let (Some(t), Some(v)) = (
            p.get("time").and_then(Value::as_str),
            p.get("value").and_then(num),
        ) else {
            continue;
        };
        let Ok(time) = NaiveTime::parse_from_str(t, "%H:%M:%S") else {
            continue;
        };
        out.push(Reading {
            metric,
            labels: Vec::new(),
            at: At::Local(NaiveDateTime::new(day, time)),
            value: v,
        });
    }
    out
}

/// The date-range endpoints, one row per family: the longest range one request may cover,
/// how many requests a range costs, and where the limit is documented.
///
/// Every daily metric syncbit writes is available from these ranges; the per-day activity
/// summary (`/1/user/-/activities/date/D.json`) is used only for short windows, where it is
/// cheaper (1 request per day instead of 7 per range).
pub const RANGES: &[(Family, u32, u64, &str, &str)] = &[
    (
        Family::Activity,
        1095,
        7,
        "/1/user/-/activities/{steps,distance,calories,minutesSedentary,minutesLightlyActive,minutesFairlyActive,minutesVeryActive}/date/S/E.json",
        "Fitbit Web API reference, activity time series by date range: at most 1095 days",
    ),
    (
        Family::Heart,
        366,
        1,
        "/1/user/-/activities/heart/date/S/E.json",
        "heart rate time series by date range: at most 1 year",
    ),
    (
        Family::Sleep,
        100,
        1,
        "/1.2/user/-/sleep/date/S/E.json",
        "sleep log by date range: at most 100 days",
    ),
    (
        Family::Spo2,
        30,
        1,
        "/1/user/-/spo2/date/S/E.json",
        "SpO2 summary by interval: at most 30 days",
    ),
    (
        Family::BreathingRate,
        30,
        1,
        "/1/user/-/br/date/S/E.json",
        "breathing rate summary by interval: at most 30 days",
    ),
    (
        Family::Hrv,
        30,
        1,
        "/1/user/-/hrv/date/S/E.json",
        "HRV summary by interval: at most 30 days",
    ),
    (
        Family::CardioFitness,
        30,
        1,
        "/1/user/-/cardioscore/date/S/E.json",
        "VO2 max summary by interval: at most 30 days",
    ),
    (
        Family::Temperature,
        30,
        1,
        "/1/user/-/temp/skin/date/S/E.json",
        "skin temperature summary by interval: at most 30 days",
    ),
];

/// The activity time-series resources of a range and the reading each one becomes.
const ACTIVITY_SERIES: [(&str, Metric, Option<&str>); 7] = [
    ("steps", Metric::StepsTotal, None),
    ("distance", Metric::DistanceKm, None),
    ("calories", Metric::CaloriesTotal, None),
    ("minutesSedentary", Metric::ActiveMinutes, Some("sedentary")),
    (
        "minutesLightlyActive",
        Metric::ActiveMinutes,
        Some("lightly_active"),
    ),
    (
        "minutesFairlyActive",
        Metric::ActiveMinutes,
        Some("fairly_active"),
    ),
    (
        "minutesVeryActive",
        Metric::ActiveMinutes,
        Some("very_active"),
    ),
];

fn range_row(family: Family) -> &'static (Family, u32, u64, &'static str, &'static str) {
    RANGES
        .iter()
        .find(|r| r.0 == family)
        .expect("every family has a range row")
}

/// `(day, item)` for each dated item of a list.
fn dated(list: Option<&Value>) -> impl Iterator<Item = (NaiveDate, &Value)> {
    list.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|i| {
            let d = i.get("dateTime").and_then(Value::as_str)?;
            Some((NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()?, i))
        })
}

/// Per-day sleep readings from the logs of a range (`sleep[]`), summed per `dateOfSleep` the
/// way the per-day endpoint's `summary` is: minutes asleep over all logs, stage minutes over
/// the logs that have stages.
pub fn parse_sleep_range(body: &Value) -> Vec<Reading> {
    let mut days: std::collections::BTreeMap<NaiveDate, Vec<&Value>> = Default::default();
    for log in body
        .get("sleep")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(d) = log
            .get("dateOfSleep")
            .and_then(Value::as_str)
            .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        {
            days.entry(d).or_default().push(log);
        }
    }
    let mut out = Vec::new();
    for (day, logs) in days {
        let asleep: Option<f64> = logs
            .iter()
            .map(|l| l.get("minutesAsleep").and_then(num))
            .sum();
        let mut summary = serde_json::json!({"totalSleepRecords": logs.len()});
        if let Some(a) = asleep {
            summary["totalMinutesAsleep"] = a.into();
        }
        let mut stages = serde_json::Map::new();
        for l in &logs {
            if let Some(m) = l.pointer("/levels/summary").and_then(Value::as_object) {
                for stage in ["deep", "light", "rem", "wake"] {
                    if let Some(v) = m.get(stage).and_then(|x| x.get("minutes")).and_then(num) {
                        let prev = stages.get(stage).and_then(Value::as_f64).unwrap_or(0.0);
                        stages.insert(stage.into(), (prev + v).into());
                    }
                }
            }
        }
        if !stages.is_empty() {
            summary["stages"] = Value::Object(stages);
        }
        let logs_json: Vec<Value> = logs.into_iter().cloned().collect();
        out.extend(parse_sleep(
            &serde_json::json!({"sleep": logs_json, "summary": summary}),
            day,
        ));
    }
    out
}

/// Checks that `body` has the shape an endpoint promises, so a changed response never passes
/// as "no data": the value at JSON pointer `pointer` must be of `kind` ("array" or "object").
/// With `optional`, an absent value is accepted (endpoints that answer `{}` on days without
/// data); a present value of the wrong kind never is.
fn shape(
    body: &Value,
    path: &str,
    pointer: &str,
    kind: &str,
    optional: bool,
) -> Result<(), SourceError> {
    let ok = match body.pointer(pointer) {
        None => optional && body.is_object(),
        Some(v) if kind == "array" => v.is_array(),
        Some(v) => v.is_object(),
    };
    if ok {
        Ok(())
    } else {
        Err(SourceError::Invalid(format!(
            "the Fitbit API answered {path} without the {kind} {pointer:?}: the response format \
             changed or the endpoint is wrong; nothing was recorded"
        )))
    }
}

impl FitbitSource {
    fn get(&mut self, path: &str) -> Result<Value, SourceError> {
        let body = self.client.get_json(path)?;
        let need = |p: &str, k: &str| shape(&body, path, p, k, false);
        let may = |p: &str, k: &str| shape(&body, path, p, k, true);
        if path.ends_with("/profile.json") {
            need("/user", "object")?;
        } else if path.ends_with("/devices.json") {
            need("", "array")?;
        } else if path.contains("/1d/") {
            // Intraday: the summary item and the dataset; an empty day may omit the dataset.
            let res = path
                .split("/activities/")
                .nth(1)
                .and_then(|r| r.split('/').next())
                .unwrap_or("");
            need(&format!("/activities-{res}"), "array")?;
            may(&format!("/activities-{res}-intraday"), "object")?;
            may(&format!("/activities-{res}-intraday/dataset"), "array")?;
        } else if path.contains("/sleep/") {
            may("/sleep", "array")?;
            may("/summary", "object")?;
        } else if path.contains("/activities/heart/") {
            need("/activities-heart", "array")?;
        } else if let Some(res) = path
            .strip_prefix("/1/user/-/activities/")
            .and_then(|r| r.split('/').next())
        {
            if res == "date" {
                need("/summary", "object")?;
            } else {
                need(&format!("/activities-{res}"), "array")?;
            }
        } else if path.contains("/spo2/") {
            if !body.is_array() {
                may("/value", "object")?;
            }
        } else {
            for (seg, key) in [
                ("/br/", "/br"),
                ("/hrv/", "/hrv"),
                ("/cardioscore/", "/cardioScore"),
                ("/temp/skin/", "/tempSkin"),
            ] {
                if path.contains(seg) {
                    may(key, "array")?;
                }
            }
        }
        Ok(body)
    }

    fn range_readings(
        &mut self,
        family: Family,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Vec<Reading>, SourceError> {
        let (s, e) = (date(start), date(end));
        let mut out = Vec::new();
        match family {
            Family::Activity => {
                for (res, metric, level) in ACTIVITY_SERIES {
                    let body =
                        self.get(&format!("/1/user/-/activities/{res}/date/{s}/{e}.json"))?;
                    for (day, item) in dated(body.get(format!("activities-{res}"))) {
                        if let Some(v) = item.get("value").and_then(num) {
                            let mut r = Reading::day(metric, day, v);
                            if let Some(l) = level {
                                r.labels.push(("type", l.to_string()));
                            }
                            out.push(r);
                        }
                    }
                }
            }
            Family::Heart => {
                let body = self.get(&format!("/1/user/-/activities/heart/date/{s}/{e}.json"))?;
                for (day, item) in dated(body.get("activities-heart")) {
                    out.extend(parse_heart_item(item, day));
                }
            }
            Family::Sleep => {
                out =
                    parse_sleep_range(&self.get(&format!("/1.2/user/-/sleep/date/{s}/{e}.json"))?);
            }
            Family::Spo2 => {
                let body = self.get(&format!("/1/user/-/spo2/date/{s}/{e}.json"))?;
                let items: Vec<(NaiveDate, &Value)> = if body.is_array() {
                    dated(Some(&body)).collect()
                } else {
                    dated(Some(&Value::Array(vec![body.clone()])))
                        .map(|(d, _)| (d, &body))
                        .collect()
                };
                for (day, item) in items {
                    out.extend(parse_spo2(item, day));
                }
            }
            Family::BreathingRate | Family::Hrv | Family::CardioFitness | Family::Temperature => {
                let (path, list, field, metric) = match family {
                    Family::BreathingRate => {
                        ("br", "br", "breathingRate", Metric::BreathingRateBpm)
                    }
                    Family::Hrv => ("hrv", "hrv", "dailyRmssd", Metric::HrvRmssdMs),
                    Family::CardioFitness => {
                        ("cardioscore", "cardioScore", "vo2Max", Metric::Vo2Max)
                    }
                    _ => (
                        "temp/skin",
                        "tempSkin",
                        "nightlyRelative",
                        Metric::TempSkinRelativeCelsius,
                    ),
                };
                let body = self.get(&format!("/1/user/-/{path}/date/{s}/{e}.json"))?;
                let days: Vec<NaiveDate> = dated(body.get(list)).map(|(d, _)| d).collect();
                for day in days {
                    out.extend(parse_single(&body, day, list, field, metric));
                }
            }
        }
        out.retain(|r| matches!(r.at, At::Day(d) if d >= start && d <= end));
        Ok(out)
    }
}

impl Source for FitbitSource {
    fn profile(&mut self) -> Result<Profile, SourceError> {
        let body = self.get("/1/user/-/profile.json")?;
        let user = body.get("user");
        let timezone = user
            .and_then(|u| u.get("timezone"))
            .and_then(Value::as_str)
            .ok_or_else(|| SourceError::Invalid("the Fitbit profile has no user.timezone".into()))?
            .to_string();
        let member_since = user
            .and_then(|u| u.get("memberSince"))
            .and_then(Value::as_str)
            .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok());
        Ok(Profile {
            timezone,
            member_since,
        })
    }

    fn devices(&mut self) -> Result<Vec<Device>, SourceError> {
        let body = self.get("/1/user/-/devices.json")?;
        let mut out = Vec::new();
        for d in body.as_array().into_iter().flatten() {
            let id = match d.get("id") {
                Some(Value::String(s)) => s.clone(),
                Some(v @ Value::Number(_)) => v.to_string(),
                _ => continue,
            };
            out.push(Device {
                id,
                model: d
                    .get("deviceVersion")
                    .and_then(Value::as_str)
                    .unwrap_or("unknown")
                    .to_string(),
                battery_percent: d.get("batteryLevel").and_then(num),
                is_tracker: d.get("type").and_then(Value::as_str) == Some("TRACKER"),
                last_sync: d
                    .get("lastSyncTime")
                    .and_then(Value::as_str)
                    .and_then(|s| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").ok()),
            });
        }
        Ok(out)
    }

    fn daily(&mut self, family: Family, day: NaiveDate) -> Result<Vec<Reading>, SourceError> {
        match family {
            // The per-day summary: one request for every activity metric of the day.
            Family::Activity => Ok(parse_activity(
                &self.get(&format!("/1/user/-/activities/date/{}.json", date(day)))?,
                day,
            )),
            // Every other family costs one request either way: a one-day range.
            _ => self.range_readings(family, day, day),
        }
    }

    fn intraday(
        &mut self,
        resource: Resource,
        day: NaiveDate,
        detail: Detail,
    ) -> Result<Vec<Reading>, SourceError> {
        let key = match resource {
            Resource::HeartRate => "heart",
            other => other.key(),
        };
        let path = format!(
            "/1/user/-/activities/{key}/date/{}/1d/{}.json",
            date(day),
            detail.as_str()
        );
        let body = self.get(&path)?;
        Ok(parse_intraday(&body, key, resource, day))
    }

    fn daily_range(
        &mut self,
        family: Family,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Vec<Reading>, SourceError> {
        self.range_readings(family, start, end)
    }

    fn max_range_days(&self, family: Family) -> u32 {
        range_row(family).1
    }

    fn range_cost(&self, family: Family) -> u64 {
        range_row(family).2
    }

    fn can_afford(&self, n: u64) -> bool {
        self.client.can_afford(n)
    }

    fn budget_resets_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        // Without a Reset header the window ends at the top of the hour.
        let q = &self.client.quota;
        q.remaining.map(|_| q.resume_at(chrono::Utc::now()))
    }

    fn budget_limit(&self) -> Option<u64> {
        self.client.quota.limit
    }

    fn requests(&self) -> u64 {
        self.client.requests
    }

    fn budget_left(&self) -> Option<u64> {
        self.client.quota.remaining
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_strings_or_numbers() {
        assert_eq!(num(&Value::from("8423")), Some(8423.0));
        assert_eq!(num(&Value::from(1.5)), Some(1.5));
        assert_eq!(num(&Value::from("n/a")), None);
        assert_eq!(vo2_max(&Value::from("44-48")), Some(46.0));
        assert_eq!(vo2_max(&Value::from("43")), Some(43.0));
    }

    #[test]
    fn a_changed_response_shape_is_an_error_not_an_empty_day() {
        let wrong: Value = serde_json::from_str(r#"{"summary":"x","devices":5}"#).unwrap();
        let p = "/1/user/-/activities/date/D.json";
        assert!(shape(&wrong, p, "/summary", "object", false).is_err());
        let p = "/1/user/-/br/date/D.json";
        let ok: Value = serde_json::from_str(r#"{"br":[]}"#).unwrap();
        assert!(shape(&ok, p, "/br", "array", true).is_ok());
        assert!(shape(&serde_json::json!({}), p, "/br", "array", true).is_ok());
        assert!(shape(&serde_json::json!({"br": 5}), p, "/br", "array", true).is_err());
        assert!(shape(&serde_json::json!([1]), p, "/br", "array", true).is_err());
    }

    #[test]
    fn total_distance_is_found_by_name() {
        let body: Value = serde_json::from_str(
            r#"{"summary":{"distances":[{"activity":"tracker","distance":1.0},{"activity":"total","distance":2.5}]}}"#,
        )
        .unwrap();
        let day = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let r = parse_activity(&body, day);
        assert_eq!(r, vec![Reading::day(Metric::DistanceKm, day, 2.5)]);
    }

    #[test]
    fn missing_resting_heart_rate_skips_only_that_metric() {
        let item: Value = serde_json::from_str(
            r#"{"dateTime":"2024-01-01","value":{"heartRateZones":[{"name":"Fat Burn","minutes":3}]}}"#,
        )
        .unwrap();
        let day = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let r = parse_heart_item(&item, day);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].labels, vec![("zone", "fat_burn".to_string())]);
    }
}
