//! The Fitbit Web API as a [`Source`]: which endpoints fill which gaps (the range table),
//! the per-day activity summary for short windows, 422 halving, wall-clock times turned into
//! instants, and the hourly budget (in [`client`]). Response shapes are typed in [`wire`].

pub mod client;
pub mod tokens;
pub mod wire;

use chrono::{Duration, NaiveDate, Utc};

use crate::calendar::Calendar;
use crate::config::fitbit::FitbitSettings;
use crate::metrics::Metric;
use crate::source::{
    Account, Device, Family, Gap, Owner, Reading, Readings, Request, Resource, Series, Source,
    SourceError, Usage,
};
use client::{Client, Got, HOURLY_LIMIT, Memo, effective_reserve};

/// The key of this source in the state file and in `SYNCBIT_SOURCE`.
pub const ID: &str = "fitbit-web-api";

/// Below this many missing days the per-day activity summary (1 request a day) is cheaper than
/// the seven activity time-series ranges.
pub const ACTIVITY_RANGE_MIN_DAYS: i64 = 8;

/// A request for a date range (the range table).
const FORM_RANGE: u8 = 0;
/// A request for the per-day activity summary.
const FORM_DAY: u8 = 1;

/// The Fitbit Web API source.
pub struct FitbitSource {
    /// The HTTP client (tokens, quota).
    pub client: Client,
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

impl FitbitSource {
    /// A source for `settings`; `reserve`: calls of the hour to leave to the timers (`None`:
    /// automatic). Tokens are read at the first request.
    pub fn new(settings: &FitbitSettings, agent: ureq::Agent, reserve: Option<u64>) -> Self {
        let mut client = Client::new(settings, agent);
        client.reserve = reserve;
        FitbitSource { client }
    }

    fn get(&mut self, path: &str) -> Result<Got, SourceError> {
        self.client.get(path)
    }

    /// A body whose 422 is an error (endpoints with no range to halve).
    fn body(&mut self, path: &str) -> Result<Vec<u8>, SourceError> {
        match self.get(path)? {
            Got::Body(b) => Ok(b),
            Got::TooManyPoints(m) => Err(SourceError::Invalid(m)),
        }
    }

    fn range(
        &mut self,
        family: Family,
        start: NaiveDate,
        end: NaiveDate,
        halved: bool,
    ) -> Result<Vec<Reading>, SourceError> {
        match self.range_once(family, start, end)? {
            Ok(readings) => Ok(readings),
            Err(m) if !halved && start < end => {
                let mid = start + Duration::days((end - start).num_days() / 2);
                crate::info!("{m}; trying {start}..{mid} and the rest separately");
                let mut out = self.range(family, start, mid, true)?;
                out.extend(self.range(family, mid + Duration::days(1), end, true)?);
                Ok(out)
            }
            Err(m) => Err(SourceError::Invalid(format!(
                "{m}, also after halving the range"
            ))),
        }
    }

    /// The readings of one range, or the 422 message.
    fn range_once(
        &mut self,
        family: Family,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Result<Vec<Reading>, String>, SourceError> {
        let (s, e) = (date(start), date(end));
        let mut out = Vec::new();
        macro_rules! fetch {
            ($path:expr) => {{
                let path = $path;
                match self.get(&path)? {
                    Got::Body(b) => (path, b),
                    Got::TooManyPoints(m) => return Ok(Err(m)),
                }
            }};
        }
        match family {
            Family::Activity => {
                for (res, metric, level) in ACTIVITY_SERIES {
                    let (path, body) =
                        fetch!(format!("/1/user/-/activities/{res}/date/{s}/{e}.json"));
                    for (day, v) in parse(&path, wire::activity_series(&body, res))? {
                        let mut r = Reading::day(metric, day, v);
                        if let Some(l) = level {
                            r.labels.push(("type", l.to_string()));
                        }
                        out.push(r);
                    }
                }
            }
            Family::Heart => {
                let (path, body) = fetch!(format!("/1/user/-/activities/heart/date/{s}/{e}.json"));
                out = parse(&path, wire::heart_range(&body))?;
            }
            Family::Sleep => {
                let (path, body) = fetch!(format!("/1.2/user/-/sleep/date/{s}/{e}.json"));
                out = parse(&path, wire::sleep_range(&body))?;
            }
            Family::Spo2 => {
                let (path, body) = fetch!(format!("/1/user/-/spo2/date/{s}/{e}.json"));
                out = parse(&path, wire::spo2_range(&body))?;
            }
            Family::BreathingRate | Family::Hrv | Family::CardioFitness | Family::Temperature => {
                let segment = match family {
                    Family::BreathingRate => "br",
                    Family::Hrv => "hrv",
                    Family::CardioFitness => "cardioscore",
                    _ => "temp/skin",
                };
                let (path, body) = fetch!(format!("/1/user/-/{segment}/date/{s}/{e}.json"));
                out = parse(&path, wire::single_range(&body, family))?;
            }
        }
        Ok(Ok(out))
    }

    fn intraday(
        &mut self,
        resource: Resource,
        day: NaiveDate,
        detail: crate::source::Detail,
        cal: &Calendar,
    ) -> Result<Vec<Reading>, SourceError> {
        let key = wire_key(resource);
        let path = format!(
            "/1/user/-/activities/{key}/date/{}/1d/{}.json",
            date(day),
            detail.as_str()
        );
        let body = self.body(&path)?;
        let points = parse(&path, wire::intraday(&body, key, day))?;
        Ok(intraday_readings(cal, resource, day, &points))
    }
}

/// The resource's name in intraday paths (`heart` for heart rate).
pub fn wire_key(resource: Resource) -> &'static str {
    match resource {
        Resource::HeartRate => "heart",
        other => other.key(),
    }
}

/// One day's wall-clock points of an intraday resource as instants, with the DST rules of
/// [`Calendar::series_ms`]; drops are logged.
pub fn intraday_readings(
    cal: &Calendar,
    resource: Resource,
    day: NaiveDate,
    points: &[(chrono::NaiveDateTime, f64)],
) -> Vec<Reading> {
    let (series, dropped) = cal.series_ms(points);
    if dropped.nonexistent > 0 || dropped.duplicate > 0 {
        crate::info!(
            "{day} {resource}: dropped {} local times that do not exist (DST) and {} repeated instants",
            dropped.nonexistent,
            dropped.duplicate
        );
    }
    let metric = resource.metric();
    series
        .into_iter()
        .map(|(ms, v)| Reading::instant(metric, ms, v))
        .collect()
}

fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// A wire result as a source error that names the path, so that neither malformed JSON nor a
/// changed shape passes as "no data".
fn parse<T>(path: &str, r: Result<T, String>) -> Result<T, SourceError> {
    r.map_err(|m| {
        if m.contains("malformed JSON") {
            SourceError::Invalid(format!("the Fitbit Web API answered {path} {m}"))
        } else {
            SourceError::Invalid(format!(
                "the Fitbit Web API answered {path} {m}: the response format changed or the \
                 endpoint is wrong"
            ))
        }
    })
}

impl Source for FitbitSource {
    fn id(&self) -> &'static str {
        ID
    }

    fn name(&self) -> &'static str {
        "the Fitbit Web API"
    }

    fn restore(&mut self, memo: Option<&serde_json::Value>) {
        let memo: Memo = memo
            .and_then(|m| serde_json::from_value(m.clone()).ok())
            .unwrap_or_default();
        self.client.restore(memo, Utc::now());
    }

    fn memo(&self) -> Option<serde_json::Value> {
        let m = self.client.memo(Utc::now());
        (m.rate_limited_until.is_some() || m.budget.is_some())
            .then(|| serde_json::to_value(m).expect("memo serializes"))
    }

    fn ready(&self) -> Result<(), SourceError> {
        self.client.ready(Utc::now())
    }

    fn account(&mut self) -> Result<Account, SourceError> {
        let path = "/1/user/-/profile.json";
        let body = self.body(path)?;
        let p = parse(path, wire::profile(&body))?;
        Ok(Account {
            timezone: p.timezone,
            first_day: p.member_since,
            id: p.encoded_id,
        })
    }

    fn devices(&mut self, cal: &Calendar) -> Result<Vec<Device>, SourceError> {
        let path = "/1/user/-/devices.json";
        let body = self.body(path)?;
        Ok(parse(path, wire::devices(&body))?
            .into_iter()
            .map(|d| Device {
                id: d.id,
                model: d.model,
                battery_percent: d.battery_percent,
                // The API reports the sync in the profile zone's wall-clock time.
                last_sync_ms: d.last_sync.and_then(|t| cal.local_ms(t)),
                is_tracker: d.is_tracker,
            })
            .collect())
    }

    fn plan(&self, gaps: &[Gap]) -> Vec<Request> {
        let mut daily = Vec::new();
        let mut intraday: Vec<(NaiveDate, usize, Request)> = Vec::new();
        for (i, g) in gaps.iter().enumerate() {
            let newest_first = || {
                let mut days: Vec<NaiveDate> =
                    g.first.iter_days().take_while(|d| *d <= g.last).collect();
                days.reverse();
                days
            };
            let one_day = |d: NaiveDate, form: u8| Request {
                series: g.series,
                first: d,
                last: d,
                cost: 1,
                form,
            };
            match g.series {
                Series::Daily(f) => {
                    let len = (g.last - g.first).num_days() + 1;
                    if f == Family::Activity && len < ACTIVITY_RANGE_MIN_DAYS {
                        daily.extend(newest_first().into_iter().map(|d| one_day(d, FORM_DAY)));
                        continue;
                    }
                    let row = range_row(f);
                    let max = i64::from(row.1.max(1));
                    let mut end = g.last;
                    while end >= g.first {
                        let start = (end - Duration::days(max - 1)).max(g.first);
                        daily.push(Request {
                            series: g.series,
                            first: start,
                            last: end,
                            cost: row.2,
                            form: FORM_RANGE,
                        });
                        end = start - Duration::days(1);
                    }
                }
                Series::Intraday(..) => {
                    intraday.extend(
                        newest_first()
                            .into_iter()
                            .map(|d| (d, i, one_day(d, FORM_RANGE))),
                    );
                }
            }
        }
        daily.extend(crate::source::newest_first(intraday));
        daily
    }

    fn fetch<'a>(
        &'a mut self,
        req: &Request,
        cal: &'a Calendar,
    ) -> Result<Readings<'a>, SourceError> {
        // A multi-request job is fetched whole or not at all, so no request is wasted.
        if req.cost > 1 && !self.client.can_afford(req.cost) {
            return Err(self.client.reserve_stop());
        }
        let readings = match req.series {
            Series::Daily(Family::Activity) if req.form == FORM_DAY => {
                let path = format!("/1/user/-/activities/date/{}.json", date(req.first));
                let body = self.body(&path)?;
                parse(&path, wire::activity_day(&body, req.first))?
            }
            Series::Daily(f) => self.range(f, req.first, req.last, false)?,
            Series::Intraday(r, detail) => self.intraday(r, req.first, detail, cal)?,
        };
        Ok(Box::new(readings.into_iter().map(Ok)))
    }

    fn usage(&self) -> Usage {
        Usage {
            requests: self.client.requests,
            budget_left: self.client.quota.remaining,
        }
    }

    fn account_calls(&self) -> u64 {
        2 // profile.json, devices.json
    }

    // The token response carries the encoded user id, and the token file keeps it: no
    // request, except for a predecessor's file without it (then the profile's `encodedId`).
    fn owner(&mut self) -> Result<Option<Owner>, SourceError> {
        let id = self.client.tokens()?.tokens.user_id.clone();
        let id = if id.is_empty() {
            self.account()?.id
        } else {
            Some(id)
        };
        Ok(id.map(|id| Owner { id, also: None }))
    }

    fn quota_size(&self) -> Option<u64> {
        Some(self.client.quota.limit.unwrap_or(HOURLY_LIMIT))
    }

    fn pace(&self, left: u64) -> String {
        let q = &self.client.quota;
        let limit = q.limit.unwrap_or(HOURLY_LIMIT);
        let reserve = effective_reserve(self.client.reserve, Some(limit));
        let rate = limit.saturating_sub(reserve).max(1);
        // What the current hour still allows, when a run saved the budget.
        let now_left = match (q.remaining, q.reset_at) {
            (Some(r), Some(t)) if t > Utc::now() => Some(r.saturating_sub(reserve)),
            _ => None,
        };
        let when = match now_left {
            Some(avail) if left <= avail => {
                "fits in what is left of this hour's budget".to_string()
            }
            Some(avail) => format!(
                "about {} h after this hour's remaining {avail}",
                (left - avail).div_ceil(rate)
            ),
            None if left <= rate => "fits in one hour's budget".to_string(),
            None => format!("about {} h", left.div_ceil(rate)),
        };
        format!("{when} at {rate} requests/h ({limit} per hour, reserve {reserve})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Detail;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn source() -> FitbitSource {
        FitbitSource::new(
            &FitbitSettings::default(),
            crate::source::http::agent(),
            None,
        )
    }

    #[test]
    fn ranges_are_chunked_to_the_table_newest_first() {
        // Two years: one activity range (7 series, up to 1095 days), two heart ranges (366).
        let gaps = [Family::Activity, Family::Heart].map(|f| Gap {
            series: Series::Daily(f),
            first: d("2023-01-01"),
            last: d("2024-12-31"),
        });
        let reqs = source().plan(&gaps);
        assert_eq!(reqs.iter().map(|r| r.cost).sum::<u64>(), 7 + 2);
        assert_eq!(
            (reqs[1].first, reqs[1].last),
            (d("2024-01-01"), d("2024-12-31"))
        );
        assert_eq!(
            (reqs[2].first, reqs[2].last),
            (d("2023-01-01"), d("2023-12-31"))
        );
    }

    #[test]
    fn short_activity_gaps_use_the_day_summary_and_intraday_goes_day_by_day() {
        let gaps = [
            Gap {
                series: Series::Daily(Family::Activity),
                first: d("2024-05-08"),
                last: d("2024-05-09"),
            },
            Gap {
                series: Series::Intraday(Resource::Steps, Detail::Min1),
                first: d("2024-05-08"),
                last: d("2024-05-09"),
            },
            Gap {
                series: Series::Intraday(Resource::HeartRate, Detail::Sec1),
                first: d("2024-05-08"),
                last: d("2024-05-09"),
            },
        ];
        let reqs = source().plan(&gaps);
        let shown: Vec<(&str, NaiveDate, u64)> = reqs
            .iter()
            .map(|r| (r.series.key(), r.first, r.cost))
            .collect();
        assert_eq!(
            shown,
            vec![
                ("activity", d("2024-05-09"), 1),
                ("activity", d("2024-05-08"), 1),
                ("steps", d("2024-05-09"), 1),
                ("heart_rate", d("2024-05-09"), 1),
                ("steps", d("2024-05-08"), 1),
                ("heart_rate", d("2024-05-08"), 1),
            ]
        );
    }
}
