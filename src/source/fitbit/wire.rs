//! Typed models of the Fitbit Web API responses syncbit reads, and the readings they hold.
//!
//! Every function takes a response body. An `Err` is a phrase that completes "the Fitbit API
//! answered <path> …", e.g. `without the array "activities-heart"`.
//!
//! The parts an endpoint promises are checked, so that a changed API never passes as "no
//! data": a required part must be present with its JSON type; an optional part (endpoints
//! answer `{}` on days without data) may be absent but never of another type. Below those
//! parts anything unexpected — a value that is no number, a zone without a name, a point with
//! an unreadable time — skips only the reading or item it belongs to. Values arrive as JSON
//! numbers or as strings holding numbers.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Number;

use crate::metrics::{Metric, label_value};
use crate::source::{Family, Reading};

/// The user's profile as far as syncbit needs it.
#[derive(Clone, Debug, PartialEq)]
pub struct WireProfile {
    /// IANA time zone name (`user.timezone`).
    pub timezone: String,
    /// First day of the account (`user.memberSince`), when readable.
    pub member_since: Option<NaiveDate>,
    /// The user's id (`user.encodedId`), when sent.
    pub encoded_id: Option<String>,
}

/// One paired device.
#[derive(Clone, Debug, PartialEq)]
pub struct WireDevice {
    /// `id`, sent as a string or a number.
    pub id: String,
    /// `deviceVersion`, e.g. "Charge 6"; "unknown" when absent.
    pub model: String,
    /// `batteryLevel`, percent.
    pub battery_percent: Option<f64>,
    /// `lastSyncTime`, the user's wall-clock time.
    pub last_sync: Option<NaiveDateTime>,
    /// `type` is `TRACKER`: a wrist tracker, whose sync decides which days are final.
    pub is_tracker: bool,
}

/// `GET /1/user/-/profile.json`. Errors: no `user` object, or no string `user.timezone`.
pub fn profile(body: &[u8]) -> Result<WireProfile, String> {
    let user = object::<ProfileBody>(body)?.user.need("user")?;
    Ok(WireProfile {
        timezone: user
            .timezone
            .0
            .ok_or_else(|| without("string", "user.timezone"))?,
        member_since: user.member_since.0,
        encoded_id: user.encoded_id.0,
    })
}

/// `GET /1/user/-/devices.json`: a top-level array. An item without an id is skipped.
pub fn devices(body: &[u8]) -> Result<Vec<WireDevice>, String> {
    let Part::Got(items) = parse::<Arr<Obj<DeviceItem>>>(body)?.0 else {
        return Err("with a body that is not a JSON array".into());
    };
    Ok(items
        .into_iter()
        .filter_map(Obj::ok)
        .filter_map(|d| {
            Some(WireDevice {
                id: d.id.0?,
                model: d.device_version.0.unwrap_or_else(|| "unknown".into()),
                battery_percent: d.battery_level.0,
                last_sync: d
                    .last_sync_time
                    .0
                    .and_then(|s| NaiveDateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M:%S%.f").ok()),
                is_tracker: d.kind.0.as_deref() == Some("TRACKER"),
            })
        })
        .collect())
}

/// `GET /1/user/-/activities/date/D.json`: steps, total distance (km), calories out (kcal)
/// and active minutes per level of `day`. Errors: no `summary` object.
pub fn activity_day(body: &[u8], day: NaiveDate) -> Result<Vec<Reading>, String> {
    let s = object::<ActivityDayBody>(body)?.summary.need("summary")?;
    let total = s
        .distances
        .items()
        .iter()
        .filter_map(Obj::get)
        .find(|d| d.activity.0.as_deref() == Some("total"));
    let mut out = Vec::new();
    out.extend(reading(Metric::StepsTotal, day, s.steps.0, None));
    out.extend(total.and_then(|d| reading(Metric::DistanceKm, day, d.distance.0, None)));
    out.extend(reading(Metric::CaloriesTotal, day, s.calories_out.0, None));
    for (v, level) in [
        (&s.sedentary_minutes, "sedentary"),
        (&s.lightly_active_minutes, "lightly_active"),
        (&s.fairly_active_minutes, "fairly_active"),
        (&s.very_active_minutes, "very_active"),
    ] {
        out.extend(reading(
            Metric::ActiveMinutes,
            day,
            v.0,
            Some(("type", level)),
        ));
    }
    Ok(out)
}

/// `GET /1/user/-/activities/<res>/date/S/E.json`: the dated values of `activities-<res>`, in
/// the order sent. Errors: no array `activities-<res>`.
pub fn activity_series(body: &[u8], res: &str) -> Result<Vec<(NaiveDate, f64)>, String> {
    let key = format!("activities-{res}");
    let list = keyed::<List<Obj<DatedValue>>>(body, &[&key])?
        .items
        .need(&key)?;
    Ok(list
        .iter()
        .filter_map(Obj::get)
        .filter_map(|i| Some((i.date_time.0?, i.value.0?)))
        .collect())
}

/// `GET /1/user/-/activities/heart/date/S/E.json`: resting heart rate and minutes/calories
/// per zone of each day. Errors: no array `activities-heart`.
pub fn heart_range(body: &[u8]) -> Result<Vec<Reading>, String> {
    let list = keyed::<List<Obj<HeartItem>>>(body, &["activities-heart"])?
        .items
        .need("activities-heart")?;
    let mut out = Vec::new();
    for item in list.iter().filter_map(Obj::get) {
        let Some(day) = item.date_time.0 else {
            continue;
        };
        // Some responses (recorded: 15-minute intraday) put the zones at the item's top level
        // and send `value` as a number string.
        let (resting, zones) = match item.value.get() {
            Some(v) => (&v.resting_heart_rate, &v.heart_rate_zones),
            None => (&item.resting_heart_rate, &item.heart_rate_zones),
        };
        out.extend(reading(Metric::RestingHeartRateBpm, day, resting.0, None));
        for z in zones.items().iter().filter_map(Obj::get) {
            let Some(name) = &z.name.0 else {
                continue;
            };
            let zone = label_value(name);
            let label = Some(("zone", zone.as_str()));
            out.extend(reading(
                Metric::HeartRateZoneMinutes,
                day,
                z.minutes.0,
                label,
            ));
            out.extend(reading(
                Metric::HeartRateZoneCalories,
                day,
                z.calories_out.0,
                label,
            ));
        }
    }
    Ok(out)
}

/// `GET /1.2/user/-/sleep/date/S/E.json`: minutes asleep and minutes per stage of each
/// `dateOfSleep`, in date order. Errors: `sleep` not an array or `summary` not an object.
pub fn sleep_range(body: &[u8]) -> Result<Vec<Reading>, String> {
    let body = object::<SleepBody>(body)?;
    body.summary.may("summary")?;
    let logs = body.sleep.may("sleep")?;
    let mut days: BTreeMap<NaiveDate, Vec<&SleepLog>> = BTreeMap::new();
    for log in logs.iter().filter_map(Obj::get) {
        if let Some(d) = log.date_of_sleep.0 {
            days.entry(d).or_default().push(log);
        }
    }
    let mut out = Vec::new();
    for (day, logs) in days {
        // Summed the way the per-day endpoint's `summary` is: minutes asleep over all logs
        // (unknown when one log lacks them), stage minutes over the logs that have stages;
        // classic logs have none.
        let asleep: Option<f64> = logs.iter().map(|l| l.minutes_asleep.0).sum();
        out.extend(reading(
            Metric::SleepMinutesTotal,
            day,
            finite(asleep),
            None,
        ));
        let mut stages = [None::<f64>; 4];
        for stage in logs.iter().filter_map(|l| l.levels.get()?.summary.get()) {
            for (sum, m) in stages.iter_mut().zip(stage.minutes()) {
                if let Some(m) = m {
                    *sum = Some(sum.unwrap_or(0.0) + m);
                }
            }
        }
        for (sum, name) in stages.into_iter().zip(Stages::NAMES) {
            out.extend(reading(
                Metric::SleepStageMinutes,
                day,
                finite(sum),
                Some(("stage", name)),
            ));
        }
    }
    Ok(out)
}

/// `GET /1/user/-/spo2/date/S/E.json`: average, minimum and maximum SpO2 (percent) of each
/// day. The body is an array of dated items, or one dated item (the one-day form), or `{}`.
/// Errors: any other JSON type, or a one-day item whose `value` is not an object.
pub fn spo2_range(body: &[u8]) -> Result<Vec<Reading>, String> {
    let mut out = Vec::new();
    match parse::<Spo2Body>(body)? {
        Spo2Body::Array(items) => {
            for item in items.items().iter().filter_map(Obj::get) {
                spo2_readings(item.date_time.0, item.value.get(), &mut out);
            }
        }
        Spo2Body::Object(item) => {
            let value = item.value.may("value")?;
            spo2_readings(item.date_time.0, value.as_ref(), &mut out);
        }
        Spo2Body::Other => {
            return Err("with a body that is neither a JSON array nor an object".into());
        }
    }
    Ok(out)
}

fn spo2_readings(day: Option<NaiveDate>, value: Option<&Spo2Value>, out: &mut Vec<Reading>) {
    let (Some(day), Some(v)) = (day, value) else {
        return;
    };
    for (x, metric) in [
        (&v.avg, Metric::Spo2AvgPercent),
        (&v.min, Metric::Spo2MinPercent),
        (&v.max, Metric::Spo2MaxPercent),
    ] {
        out.extend(reading(metric, day, x.0, None));
    }
}

/// The single-value summaries by date range, `GET /1/user/-/<path>/date/S/E.json`: breathing
/// rate (`br[].value.breathingRate`, breaths/min), HRV (`hrv[].value.dailyRmssd`, ms), VO2
/// max (`cardioScore[].value.vo2Max`, a range "44-48" read as its midpoint 46) and relative
/// skin temperature (`tempSkin[].value.nightlyRelative`, °C). Errors: the list is not an
/// array, or `family` is none of BreathingRate, Hrv, CardioFitness, Temperature.
pub fn single_range(body: &[u8], family: Family) -> Result<Vec<Reading>, String> {
    type Field = fn(&SingleValue) -> Option<f64>;
    let (key, metric, field): (&str, Metric, Field) = match family {
        Family::BreathingRate => ("br", Metric::BreathingRateBpm, |v| v.breathing_rate.0),
        Family::Hrv => ("hrv", Metric::HrvRmssdMs, |v| v.daily_rmssd.0),
        Family::CardioFitness => ("cardioScore", Metric::Vo2Max, |v| v.vo2_max.0),
        Family::Temperature => ("tempSkin", Metric::TempSkinRelativeCelsius, |v| {
            v.nightly_relative.0
        }),
        other => {
            return Err(format!(
                "for the family {}, which has no single-value summary",
                other.key()
            ));
        }
    };
    let list = keyed::<List<Obj<SingleItem>>>(body, &[key])?
        .items
        .may(key)?;
    let mut out = Vec::new();
    for item in list.iter().filter_map(Obj::get) {
        let Some(day) = item.date_time.0.as_deref().and_then(date) else {
            continue;
        };
        // Each day is looked up again by its %Y-%m-%d spelling, as the per-day parser this
        // replaced did: the first item of a date wins, and a date spelled otherwise falls back
        // to an undated first item.
        let d = day.format("%Y-%m-%d").to_string();
        let found = list.iter().find(|i| {
            i.get()
                .is_some_and(|i| i.date_time.0.as_deref() == Some(&d))
        });
        let item = match found {
            Some(i) => i.get(),
            None => list
                .first()
                .and_then(Obj::get)
                .filter(|i| i.date_time.0.is_none()),
        };
        let value = item.and_then(|i| i.value.get()).and_then(field);
        out.extend(reading(metric, day, value, None));
    }
    Ok(out)
}

/// `GET /1/user/-/activities/<key>/date/D/1d/<detail>.json`: the wall-clock points of `day`
/// in the order sent (bpm for `heart`, else the resource's unit per interval). A day without
/// data may omit the dataset. Errors: no array `activities-<key>`, or
/// `activities-<key>-intraday` not an object, or its `dataset` not an array.
pub fn intraday(
    body: &[u8],
    key: &str,
    day: NaiveDate,
) -> Result<Vec<(NaiveDateTime, f64)>, String> {
    let summary = format!("activities-{key}");
    let series = format!("activities-{key}-intraday");
    let body = keyed::<IntradayBody>(body, &[&summary, &series])?;
    body.summary.need(&summary)?;
    let dataset = match body.intraday.may(&series)? {
        Some(i) => i.dataset.may(&format!("{series}.dataset"))?,
        None => Vec::new(),
    };
    Ok(dataset
        .iter()
        .filter_map(Obj::get)
        .filter_map(|p| Some((NaiveDateTime::new(day, p.time.0?), p.value.0?)))
        .collect())
}

fn reading(
    metric: Metric,
    day: NaiveDate,
    value: Option<f64>,
    label: Option<(&'static str, &str)>,
) -> Option<Reading> {
    let mut r = Reading::day(metric, day, value?);
    r.labels
        .extend(label.map(|(name, value)| (name, value.to_string())));
    Some(r)
}

fn finite(x: Option<f64>) -> Option<f64> {
    x.filter(|x| x.is_finite())
}

fn date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

fn without(kind: &str, name: &str) -> String {
    format!("without the {kind} {name:?}")
}

fn parse<'de, T: Deserialize<'de>>(body: &'de [u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(malformed)
}

fn malformed(e: serde_json::Error) -> String {
    format!("with malformed JSON ({e})")
}

const NOT_OBJECT: &str = "with a body that is not a JSON object";

/// A body that must be a JSON object with fixed keys. Unlike a JSON map (and [`keyed`]), the
/// derived models refuse a repeated key, which the API never sends.
fn object<'de, T: Deserialize<'de>>(body: &'de [u8]) -> Result<T, String> {
    parse::<Obj<T>>(body)?.ok().ok_or_else(|| NOT_OBJECT.into())
}

/// A part of a response as found.
enum Part<T> {
    Absent,
    /// Present with another JSON type than expected.
    Wrong,
    Got(T),
}

impl<T> Part<T> {
    fn need(self, kind: &str, name: &str) -> Result<T, String> {
        match self {
            Part::Got(t) => Ok(t),
            _ => Err(without(kind, name)),
        }
    }

    /// A part that endpoints omit on days without data.
    fn may(self, kind: &str, name: &str) -> Result<Option<T>, String> {
        match self {
            Part::Absent => Ok(None),
            Part::Wrong => Err(without(kind, name)),
            Part::Got(t) => Ok(Some(t)),
        }
    }
}

/// A part that should be a JSON object, read as `T`.
struct Obj<T>(Part<T>);

impl<T> Default for Obj<T> {
    fn default() -> Self {
        Obj(Part::Absent)
    }
}

impl<T> Obj<T> {
    fn need(self, name: &str) -> Result<T, String> {
        self.0.need("object", name)
    }

    fn may(self, name: &str) -> Result<Option<T>, String> {
        self.0.may("object", name)
    }

    /// Inside a checked part, where another JSON type just means no object.
    fn get(&self) -> Option<&T> {
        match &self.0 {
            Part::Got(t) => Some(t),
            _ => None,
        }
    }

    fn ok(self) -> Option<T> {
        match self.0 {
            Part::Got(t) => Some(t),
            _ => None,
        }
    }
}

/// A part that should be a JSON array of `T`.
struct Arr<T>(Part<Vec<T>>);

impl<T> Default for Arr<T> {
    fn default() -> Self {
        Arr(Part::Absent)
    }
}

impl<T> Arr<T> {
    fn need(self, name: &str) -> Result<Vec<T>, String> {
        self.0.need("array", name)
    }

    /// Absent: no items.
    fn may(self, name: &str) -> Result<Vec<T>, String> {
        Ok(self.0.may("array", name)?.unwrap_or_default())
    }

    /// Inside a checked part, where another JSON type just means no items.
    fn items(&self) -> &[T] {
        match &self.0 {
            Part::Got(v) => v,
            _ => &[],
        }
    }
}

/// A value read from whichever JSON value comes. A JSON type it does not expect gives
/// `other()` rather than an error, so that only the checks of required and optional parts
/// (and malformed JSON) can refuse a response.
trait FromAny<'de>: Sized {
    fn other() -> Self;

    fn number(_: Number) -> Self {
        Self::other()
    }

    fn string(_: &str) -> Self {
        Self::other()
    }

    fn map<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error> {
        IgnoredAny.visit_map(map)?;
        Ok(Self::other())
    }

    fn seq<A: SeqAccess<'de>>(seq: A) -> Result<Self, A::Error> {
        IgnoredAny.visit_seq(seq)?;
        Ok(Self::other())
    }
}

struct AnyVisitor<T>(PhantomData<T>);

impl<'de, T: FromAny<'de>> Visitor<'de> for AnyVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<T, E> {
        Ok(T::other())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        Ok(T::number(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        Ok(T::number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        Ok(Number::from_f64(v).map_or_else(T::other, T::number))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        Ok(T::string(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<T, E> {
        Ok(T::other())
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::map(map)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<T, A::Error> {
        T::seq(seq)
    }
}

macro_rules! deserialize_from_any {
    ($([$($g:tt)*] $t:ty),* $(,)?) => {$(
        impl<'de, $($g)*> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_any(AnyVisitor(PhantomData))
            }
        }
    )*};
}

deserialize_from_any!(
    [const MIDPOINT: bool] Num<MIDPOINT>,
    [] Text,
    [] Day,
    [] Clock,
    [] Id,
    [T: Deserialize<'de>] Obj<T>,
    [T: Deserialize<'de>] Arr<T>,
    [] Spo2Body,
);

impl<'de, T: Deserialize<'de>> FromAny<'de> for Obj<T> {
    fn other() -> Self {
        Obj(Part::Wrong)
    }

    fn map<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(|t| Obj(Part::Got(t)))
    }
}

impl<'de, T: Deserialize<'de>> FromAny<'de> for Arr<T> {
    fn other() -> Self {
        Arr(Part::Wrong)
    }

    fn seq<A: SeqAccess<'de>>(mut seq: A) -> Result<Self, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Arr(Part::Got(items)))
    }
}

/// A number sent as a JSON number or as a string holding one; anything else, or a
/// non-finite value, is no value. With `MIDPOINT`, a range "44-48" is its midpoint.
#[derive(Default)]
struct Num<const MIDPOINT: bool = false>(Option<f64>);

impl<'de, const MIDPOINT: bool> FromAny<'de> for Num<MIDPOINT> {
    fn other() -> Self {
        Num(None)
    }

    fn number(n: Number) -> Self {
        Num(finite(n.as_f64()))
    }

    fn string(s: &str) -> Self {
        let parse = |s: &str| s.trim().parse::<f64>().ok();
        let x = match s.split_once('-') {
            Some((a, b)) if MIDPOINT => parse(a).zip(parse(b)).map(|(a, b)| (a + b) / 2.0),
            _ => parse(s),
        };
        Num(finite(x))
    }
}

/// A JSON string.
#[derive(Default)]
struct Text(Option<String>);

impl FromAny<'_> for Text {
    fn other() -> Self {
        Text(None)
    }

    fn string(s: &str) -> Self {
        Text(Some(s.to_owned()))
    }
}

/// A date string, `%Y-%m-%d`.
#[derive(Default)]
struct Day(Option<NaiveDate>);

impl FromAny<'_> for Day {
    fn other() -> Self {
        Day(None)
    }

    fn string(s: &str) -> Self {
        Day(date(s))
    }
}

/// A wall-clock time string, `%H:%M:%S`.
#[derive(Default)]
struct Clock(Option<NaiveTime>);

impl FromAny<'_> for Clock {
    fn other() -> Self {
        Clock(None)
    }

    fn string(s: &str) -> Self {
        Clock(NaiveTime::parse_from_str(s, "%H:%M:%S").ok())
    }
}

/// An id sent as a JSON string or number, kept as the text it was sent as.
#[derive(Default)]
struct Id(Option<String>);

impl FromAny<'_> for Id {
    fn other() -> Self {
        Id(None)
    }

    fn number(n: Number) -> Self {
        Id(Some(n.to_string()))
    }

    fn string(s: &str) -> Self {
        Id(Some(s.to_owned()))
    }
}

/// A top-level object read for the values of keys named at run time (`activities-<res>`).
trait Keyed<'de>: Default {
    /// Reads the value of the `i`th key; a repeated key overwrites, as in a JSON map.
    fn read<A: MapAccess<'de>>(&mut self, i: usize, map: &mut A) -> Result<(), A::Error>;
}

fn keyed<'de, T: Keyed<'de>>(body: &'de [u8], keys: &[&str]) -> Result<T, String> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let t = (&mut de)
        .deserialize_any(KeyedVisitor {
            keys,
            t: PhantomData,
        })
        .map_err(malformed)?;
    de.end().map_err(malformed)?;
    t.ok_or_else(|| NOT_OBJECT.into())
}

/// Reads a [`Keyed`] from an object; `None` for any other JSON value.
struct KeyedVisitor<'k, T> {
    keys: &'k [&'k str],
    t: PhantomData<T>,
}

impl<'de, T: Keyed<'de>> Visitor<'de> for KeyedVisitor<'_, T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<T>, A::Error> {
        let mut t = T::default();
        while let Some(key) = map.next_key_seed(KeyIndex(self.keys))? {
            match key {
                Some(i) => t.read(i, &mut map)?,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Some(t))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Option<T>, A::Error> {
        IgnoredAny.visit_seq(seq)?;
        Ok(None)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Option<T>, E> {
        Ok(None)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Option<T>, E> {
        Ok(None)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Option<T>, E> {
        Ok(None)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Option<T>, E> {
        Ok(None)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Option<T>, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }
}

/// A key of an object as its index among the wanted keys, compared without allocating.
struct KeyIndex<'k>(&'k [&'k str]);

impl<'de> DeserializeSeed<'de> for KeyIndex<'_> {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<usize>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyIndex<'_> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Option<usize>, E> {
        Ok(self.0.iter().position(|k| *k == s))
    }
}

/// The list under one key: `activities-<res>`, `activities-heart`, `br`, `hrv`, …
struct List<T> {
    items: Arr<T>,
}

impl<T> Default for List<T> {
    fn default() -> Self {
        List {
            items: Arr::default(),
        }
    }
}

impl<'de, T: Deserialize<'de>> Keyed<'de> for List<T> {
    fn read<A: MapAccess<'de>>(&mut self, _: usize, map: &mut A) -> Result<(), A::Error> {
        self.items = map.next_value()?;
        Ok(())
    }
}

/// `activities-<key>` (the day's total, not read) and `activities-<key>-intraday`.
#[derive(Default)]
struct IntradayBody {
    summary: Arr<IgnoredAny>,
    intraday: Obj<Dataset>,
}

impl<'de> Keyed<'de> for IntradayBody {
    fn read<A: MapAccess<'de>>(&mut self, i: usize, map: &mut A) -> Result<(), A::Error> {
        if i == 0 {
            self.summary = map.next_value()?;
        } else {
            self.intraday = map.next_value()?;
        }
        Ok(())
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Dataset {
    dataset: Arr<Obj<Point>>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Point {
    time: Clock,
    value: Num,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct ProfileBody {
    user: Obj<User>,
}

#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct User {
    timezone: Text,
    member_since: Day,
    encoded_id: Text,
}

#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct DeviceItem {
    id: Id,
    device_version: Text,
    battery_level: Num,
    #[serde(rename = "type")]
    kind: Text,
    last_sync_time: Text,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct ActivityDayBody {
    summary: Obj<Summary>,
}

#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Summary {
    steps: Num,
    distances: Arr<Obj<Distance>>,
    calories_out: Num,
    sedentary_minutes: Num,
    lightly_active_minutes: Num,
    fairly_active_minutes: Num,
    very_active_minutes: Num,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Distance {
    activity: Text,
    distance: Num,
}

#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct DatedValue {
    date_time: Day,
    value: Num,
}

#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct HeartItem {
    date_time: Day,
    value: Obj<HeartDay>,
    resting_heart_rate: Num,
    heart_rate_zones: Arr<Obj<Zone>>,
}

#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct HeartDay {
    resting_heart_rate: Num,
    heart_rate_zones: Arr<Obj<Zone>>,
}

#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Zone {
    name: Text,
    minutes: Num,
    calories_out: Num,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct SleepBody {
    sleep: Arr<Obj<SleepLog>>,
    summary: Obj<IgnoredAny>,
}

#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct SleepLog {
    date_of_sleep: Day,
    minutes_asleep: Num,
    levels: Obj<Levels>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Levels {
    summary: Obj<Stages>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Stages {
    deep: Obj<StageMinutes>,
    light: Obj<StageMinutes>,
    rem: Obj<StageMinutes>,
    wake: Obj<StageMinutes>,
}

impl Stages {
    const NAMES: [&str; 4] = ["deep", "light", "rem", "wake"];

    fn minutes(&self) -> [Option<f64>; 4] {
        [&self.deep, &self.light, &self.rem, &self.wake].map(|s| s.get().and_then(|s| s.minutes.0))
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct StageMinutes {
    minutes: Num,
}

enum Spo2Body {
    Array(Arr<Obj<Spo2Item>>),
    Object(Spo2Item),
    Other,
}

impl<'de> FromAny<'de> for Spo2Body {
    fn other() -> Self {
        Spo2Body::Other
    }

    fn map<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error> {
        Spo2Item::deserialize(MapAccessDeserializer::new(map)).map(Spo2Body::Object)
    }

    fn seq<A: SeqAccess<'de>>(seq: A) -> Result<Self, A::Error> {
        Arr::seq(seq).map(Spo2Body::Array)
    }
}

#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Spo2Item {
    date_time: Day,
    value: Obj<Spo2Value>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Spo2Value {
    avg: Num,
    min: Num,
    max: Num,
}

#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct SingleItem {
    date_time: Text,
    value: Obj<SingleValue>,
}

#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct SingleValue {
    breathing_rate: Num,
    daily_rmssd: Num,
    vo2_max: Num<true>,
    nightly_relative: Num,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    macro_rules! fixture {
        ($name:literal) => {
            std::fs::read(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../shared/fixtures/fitbit-web-api/",
                $name
            ))
            .ok()
        };
    }

    fn day(s: &str) -> NaiveDate {
        date(s).unwrap()
    }

    fn at(d: &str, t: &str) -> NaiveDateTime {
        day(d).and_time(NaiveTime::parse_from_str(t, "%H:%M:%S").unwrap())
    }

    fn r(metric: Metric, d: &str, v: f64) -> Reading {
        Reading::day(metric, day(d), v)
    }

    fn rl(metric: Metric, d: &str, v: f64, label: &'static str, value: &str) -> Reading {
        let mut x = r(metric, d, v);
        x.labels.push((label, value.to_string()));
        x
    }

    fn json(body: &[u8]) -> Value {
        serde_json::from_slice(body).unwrap()
    }

    /// A fixture's number, sent as a number or a string.
    fn f(v: &Value) -> f64 {
        v.as_f64()
            .or_else(|| v.as_str()?.parse().ok())
            .unwrap_or_else(|| panic!("{v} is no number"))
    }

    fn s(v: &Value) -> &str {
        v.as_str().unwrap_or_else(|| panic!("{v} is no string"))
    }

    #[test]
    fn numbers_as_strings_or_numbers() {
        let num = |j: &str| serde_json::from_str::<Num>(j).unwrap().0;
        let vo2 = |j: &str| serde_json::from_str::<Num<true>>(j).unwrap().0;
        assert_eq!(num("8423"), Some(8423.0));
        assert_eq!(num("-3"), Some(-3.0));
        assert_eq!(num("1.5"), Some(1.5));
        assert_eq!(num(r#""8423""#), Some(8423.0));
        assert_eq!(num(r#"" 1.5 ""#), Some(1.5));
        for none in [
            r#""n/a""#,
            r#""""#,
            r#""NaN""#,
            r#""inf""#,
            r#""1e999""#,
            r#""44-48""#,
            "null",
            "true",
            "[1]",
            r#"{"value":1}"#,
        ] {
            assert_eq!(num(none), None, "{none}");
        }
        assert_eq!(vo2(r#""44-48""#), Some(46.0));
        assert_eq!(vo2(r#"" 44 - 47 ""#), Some(45.5));
        assert_eq!(vo2(r#""43""#), Some(43.0));
        assert_eq!(vo2("43"), Some(43.0));
        assert_eq!(vo2(r#""-5""#), None);
        assert_eq!(vo2(r#""44-n/a""#), None);
    }

    #[test]
    fn errors_name_the_missing_part() {
        assert_eq!(
            heart_range(b"{}").unwrap_err(),
            r#"without the array "activities-heart""#
        );
        assert_eq!(
            profile(br#"{"user":{}}"#).unwrap_err(),
            r#"without the string "user.timezone""#
        );
        assert_eq!(
            activity_day(b"[]", day("2024-01-01")).unwrap_err(),
            NOT_OBJECT
        );
        assert_eq!(activity_series(b"[]", "steps").unwrap_err(), NOT_OBJECT);
        for body in [&b"{\"summary\":"[..], b"", b"{} {}", b"nope"] {
            let e = activity_day(body, day("2024-01-01")).unwrap_err();
            assert!(e.starts_with("with malformed JSON ("), "{e}");
        }
        let e = activity_series(br#"{"activities-steps":[]} x"#, "steps").unwrap_err();
        assert!(e.starts_with("with malformed JSON ("), "{e}");
        let e = activity_day(br#"{"summary":{},"summary":{}}"#, day("2024-01-01")).unwrap_err();
        assert!(e.contains("duplicate field"), "{e}");
    }

    #[test]
    fn profile_needs_the_user_and_its_time_zone() {
        let p = profile(
            br#"{"user":{"timezone":"Europe/Berlin","memberSince":"2020-02-03","encodedId":"ABC123","age":40}}"#,
        )
        .unwrap();
        assert_eq!(
            p,
            WireProfile {
                timezone: "Europe/Berlin".into(),
                member_since: Some(day("2020-02-03")),
                encoded_id: Some("ABC123".into()),
            }
        );
        let p =
            profile(br#"{"user":{"timezone":"UTC","memberSince":"n/a","encodedId":5}}"#).unwrap();
        assert_eq!((p.member_since, p.encoded_id), (None, None));
        for bad in [
            &br#"{}"#[..],
            br#"{"user":[]}"#,
            br#"{"user":null}"#,
            br#"{"user":{"timezone":1}}"#,
            br#"[{"user":{"timezone":"UTC"}}]"#,
        ] {
            assert!(profile(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn devices_are_a_top_level_array() {
        let d = devices(
            br#"[
                {"id":"123","deviceVersion":"Charge 6","batteryLevel":"80",
                 "lastSyncTime":"2024-03-01T07:05:09.123","type":"TRACKER"},
                {"id":456,"batteryLevel":"n/a","lastSyncTime":"yesterday","type":"SCALE"},
                {"deviceVersion":"without an id"},
                5,
                {"id":1.5,"batteryLevel":40,"lastSyncTime":"2024-03-01T07:05:09"}
            ]"#,
        )
        .unwrap();
        let sync = |s| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").ok();
        assert_eq!(
            d,
            vec![
                WireDevice {
                    id: "123".into(),
                    model: "Charge 6".into(),
                    battery_percent: Some(80.0),
                    last_sync: sync("2024-03-01T07:05:09.123"),
                    is_tracker: true,
                },
                WireDevice {
                    id: "456".into(),
                    model: "unknown".into(),
                    battery_percent: None,
                    last_sync: None,
                    is_tracker: false,
                },
                WireDevice {
                    id: "1.5".into(),
                    model: "unknown".into(),
                    battery_percent: Some(40.0),
                    last_sync: sync("2024-03-01T07:05:09"),
                    is_tracker: false,
                },
            ]
        );
        assert_eq!(devices(b"[]").unwrap(), vec![]);
        assert!(devices(b"{}").is_err());
        assert!(devices(br#"{"devices":[]}"#).is_err());
    }

    #[test]
    fn activity_day_reads_the_summary() {
        let d = "2024-01-01";
        let got = activity_day(
            br#"{"summary":{"steps":"8423",
                "distances":[{"activity":"tracker","distance":1.0},{"activity":"total","distance":"2.5"}],
                "caloriesOut":2100,"sedentaryMinutes":"600","lightlyActiveMinutes":"n/a",
                "fairlyActiveMinutes":20,"veryActiveMinutes":null}}"#,
            day(d),
        )
        .unwrap();
        assert_eq!(
            got,
            vec![
                r(Metric::StepsTotal, d, 8423.0),
                r(Metric::DistanceKm, d, 2.5),
                r(Metric::CaloriesTotal, d, 2100.0),
                rl(Metric::ActiveMinutes, d, 600.0, "type", "sedentary"),
                rl(Metric::ActiveMinutes, d, 20.0, "type", "fairly_active"),
            ]
        );
        // Only the first "total" counts, as before.
        let got = activity_day(
            br#"{"summary":{"distances":[{"activity":"total","distance":"n/a"},{"activity":"total","distance":3}]}}"#,
            day(d),
        )
        .unwrap();
        assert_eq!(got, vec![]);
        let got = activity_day(br#"{"summary":{"distances":"x","steps":5}}"#, day(d)).unwrap();
        assert_eq!(got, vec![r(Metric::StepsTotal, d, 5.0)]);
        assert_eq!(activity_day(br#"{"summary":{}}"#, day(d)).unwrap(), vec![]);
        for bad in [&b"{}"[..], br#"{"summary":[]}"#, br#"{"summary":null}"#] {
            assert!(activity_day(bad, day(d)).is_err());
        }
    }

    #[test]
    fn activity_series_reads_its_own_key() {
        let got = activity_series(
            br#"{"activities-steps":[
                {"dateTime":"2024-01-01","value":"7434"},{"dateTime":"2024-01-02","value":12},
                {"dateTime":"2024-01-03","value":"n/a"},{"dateTime":"Jan 4","value":"1"},
                {"value":"2"},7],
                "activities-distance":5}"#,
            "steps",
        )
        .unwrap();
        assert_eq!(
            got,
            vec![(day("2024-01-01"), 7434.0), (day("2024-01-02"), 12.0)]
        );
        let got = activity_series(
            br#"{"activities-minutesVeryActive":[{"dateTime":"2024-01-01","value":"7"}]}"#,
            "minutesVeryActive",
        )
        .unwrap();
        assert_eq!(got, vec![(day("2024-01-01"), 7.0)]);
        assert_eq!(
            activity_series(br#"{"activities-steps":[]}"#, "steps").unwrap(),
            vec![]
        );
        // A repeated key counts as its last value, as in any JSON map.
        assert_eq!(
            activity_series(br#"{"activities-steps":5,"activities-steps":[]}"#, "steps").unwrap(),
            vec![]
        );
        for bad in [
            &b"{}"[..],
            br#"{"activities-steps":{}}"#,
            br#"{"activities-steps":"7434"}"#,
            br#"{"activities-distance":[]}"#,
            br#"[{"activities-steps":[]}]"#,
        ] {
            let e = activity_series(bad, "steps").unwrap_err();
            assert!(
                e == r#"without the array "activities-steps""# || e == NOT_OBJECT,
                "{e}"
            );
        }
    }

    #[test]
    fn heart_zones_nested_or_flattened() {
        let got = heart_range(
            br#"{"activities-heart":[
                {"dateTime":"2024-01-01","value":{"restingHeartRate":"58","heartRateZones":[
                    {"name":"Out of Range","minutes":1352,"caloriesOut":"3340.5"},
                    {"name":"Fat Burn","minutes":"n/a","caloriesOut":482},
                    {"minutes":3},"x"]}},
                {"dateTime":"2024-01-02","value":"55.44","heartRateZones":[
                    {"name":"Peak","minutes":14,"caloriesOut":186.8}]},
                {"dateTime":"2024-01-03","restingHeartRate":61},
                {"dateTime":"2024-01-04","value":{},"restingHeartRate":70},
                {"value":{"restingHeartRate":60}}
            ]}"#,
        )
        .unwrap();
        let (a, b) = ("2024-01-01", "2024-01-02");
        assert_eq!(
            got,
            vec![
                r(Metric::RestingHeartRateBpm, a, 58.0),
                rl(
                    Metric::HeartRateZoneMinutes,
                    a,
                    1352.0,
                    "zone",
                    "out_of_range"
                ),
                rl(
                    Metric::HeartRateZoneCalories,
                    a,
                    3340.5,
                    "zone",
                    "out_of_range"
                ),
                rl(Metric::HeartRateZoneCalories, a, 482.0, "zone", "fat_burn"),
                rl(Metric::HeartRateZoneMinutes, b, 14.0, "zone", "peak"),
                rl(Metric::HeartRateZoneCalories, b, 186.8, "zone", "peak"),
                r(Metric::RestingHeartRateBpm, "2024-01-03", 61.0),
            ]
        );
        assert_eq!(heart_range(br#"{"activities-heart":[]}"#).unwrap(), vec![]);
        for bad in [&b"{}"[..], br#"{"activities-heart":{}}"#, b"[]"] {
            assert!(heart_range(bad).is_err());
        }
    }

    #[test]
    fn sleep_is_summed_per_date_of_sleep() {
        let got = sleep_range(
            br#"{"sleep":[
                {"dateOfSleep":"2024-01-02","minutesAsleep":300,"levels":{"summary":{
                    "deep":{"minutes":60},"light":{"minutes":"200"},"rem":{"minutes":40},"wake":{"minutes":30}}}},
                {"dateOfSleep":"2024-01-01","minutesAsleep":"400","type":"classic","levels":{"summary":{
                    "asleep":{"minutes":380},"awake":{"minutes":5},"restless":{"minutes":15}}}},
                {"dateOfSleep":"2024-01-02","minutesAsleep":45,"levels":{"summary":{
                    "deep":{"minutes":5},"light":{"minutes":35},"wake":{"minutes":"n/a"}}}},
                {"dateOfSleep":"2024-01-03","levels":{"summary":{"deep":{"minutes":10}}}},
                {"dateOfSleep":"2024-01-03","minutesAsleep":50,"levels":[]},
                {"minutesAsleep":10},
                5
            ],"summary":{"totalMinutesAsleep":0}}"#,
        )
        .unwrap();
        let (a, b, c) = ("2024-01-01", "2024-01-02", "2024-01-03");
        let stage = |d, v, s| rl(Metric::SleepStageMinutes, d, v, "stage", s);
        assert_eq!(
            got,
            vec![
                r(Metric::SleepMinutesTotal, a, 400.0),
                r(Metric::SleepMinutesTotal, b, 345.0),
                stage(b, 65.0, "deep"),
                stage(b, 235.0, "light"),
                stage(b, 40.0, "rem"),
                stage(b, 30.0, "wake"),
                // One log of the night without minutes asleep: no total, as before.
                stage(c, 10.0, "deep"),
            ]
        );
        assert_eq!(sleep_range(b"{}").unwrap(), vec![]);
        assert_eq!(
            sleep_range(br#"{"sleep":[],"summary":{"totalSleepRecords":0}}"#).unwrap(),
            vec![]
        );
        assert_eq!(
            sleep_range(br#"{"sleep":{}}"#).unwrap_err(),
            r#"without the array "sleep""#
        );
        assert_eq!(
            sleep_range(br#"{"sleep":[],"summary":[]}"#).unwrap_err(),
            r#"without the object "summary""#
        );
        assert!(sleep_range(b"[]").is_err());
    }

    #[test]
    fn spo2_as_a_list_or_one_day() {
        let got = spo2_range(
            br#"[{"dateTime":"2024-01-01","value":{"avg":"95.5","min":92,"max":"n/a"}},
                 {"dateTime":"2024-01-02","value":5},
                 {"value":{"avg":90}},
                 {"dateTime":"2024-01-03","value":{"avg":97,"min":94,"max":99}}]"#,
        )
        .unwrap();
        let c = "2024-01-03";
        assert_eq!(
            got,
            vec![
                r(Metric::Spo2AvgPercent, "2024-01-01", 95.5),
                r(Metric::Spo2MinPercent, "2024-01-01", 92.0),
                r(Metric::Spo2AvgPercent, c, 97.0),
                r(Metric::Spo2MinPercent, c, 94.0),
                r(Metric::Spo2MaxPercent, c, 99.0),
            ]
        );
        let d = "2024-01-04";
        assert_eq!(
            spo2_range(br#"{"dateTime":"2024-01-04","value":{"avg":96,"min":"93","max":98}}"#)
                .unwrap(),
            vec![
                r(Metric::Spo2AvgPercent, d, 96.0),
                r(Metric::Spo2MinPercent, d, 93.0),
                r(Metric::Spo2MaxPercent, d, 98.0),
            ]
        );
        assert_eq!(spo2_range(b"{}").unwrap(), vec![]);
        assert_eq!(spo2_range(b"[]").unwrap(), vec![]);
        assert_eq!(spo2_range(br#"{"value":{"avg":96}}"#).unwrap(), vec![]);
        assert_eq!(
            spo2_range(br#"{"dateTime":"2024-01-04","value":5}"#).unwrap_err(),
            r#"without the object "value""#
        );
        for bad in [&br#""x""#[..], b"5", b"null"] {
            assert!(spo2_range(bad).is_err());
        }
    }

    #[test]
    fn single_value_families() {
        let (a, b, c) = ("2024-01-01", "2024-01-02", "2024-01-03");
        let got = single_range(
            br#"{"br":[{"dateTime":"2024-01-01","value":{"breathingRate":"14.2"}},
                       {"dateTime":"2024-01-02","value":{"breathingRate":"n/a"}},
                       {"value":{"breathingRate":13}}]}"#,
            Family::BreathingRate,
        )
        .unwrap();
        assert_eq!(got, vec![r(Metric::BreathingRateBpm, a, 14.2)]);
        let got = single_range(
            br#"{"hrv":[{"dateTime":"2024-01-01","value":{"dailyRmssd":34.5,"deepRmssd":30}}]}"#,
            Family::Hrv,
        )
        .unwrap();
        assert_eq!(got, vec![r(Metric::HrvRmssdMs, a, 34.5)]);
        let got = single_range(
            br#"{"cardioScore":[{"dateTime":"2024-01-01","value":{"vo2Max":"44-48"}},
                                {"dateTime":"2024-01-02","value":{"vo2Max":43}},
                                {"dateTime":"2024-01-03","value":{"vo2Max":"43.5"}}]}"#,
            Family::CardioFitness,
        )
        .unwrap();
        assert_eq!(
            got,
            vec![
                r(Metric::Vo2Max, a, 46.0),
                r(Metric::Vo2Max, b, 43.0),
                r(Metric::Vo2Max, c, 43.5),
            ]
        );
        let got = single_range(
            br#"{"tempSkin":[{"dateTime":"2024-01-01","value":{"nightlyRelative":-0.4}}]}"#,
            Family::Temperature,
        )
        .unwrap();
        assert_eq!(got, vec![r(Metric::TempSkinRelativeCelsius, a, -0.4)]);
        // The first item of a date wins, as with the per-day lookup before.
        let got = single_range(
            br#"{"br":[{"dateTime":"2024-01-01","value":{"breathingRate":14}},
                       {"dateTime":"2024-01-01","value":{"breathingRate":15}}]}"#,
            Family::BreathingRate,
        )
        .unwrap();
        assert_eq!(got, vec![r(Metric::BreathingRateBpm, a, 14.0); 2]);
        for family in [
            Family::BreathingRate,
            Family::Hrv,
            Family::CardioFitness,
            Family::Temperature,
        ] {
            assert_eq!(single_range(b"{}", family).unwrap(), vec![]);
        }
        assert_eq!(
            single_range(
                br#"{"hrv":[{"dateTime":"2024-01-01","value":{"dailyRmssd":3}}]}"#,
                Family::BreathingRate
            )
            .unwrap(),
            vec![]
        );
        assert_eq!(
            single_range(br#"{"br":{}}"#, Family::BreathingRate).unwrap_err(),
            r#"without the array "br""#
        );
        assert!(single_range(b"[]", Family::Hrv).is_err());
        assert!(single_range(b"{}", Family::Activity).is_err());
    }

    #[test]
    fn intraday_points_of_the_day() {
        let d = "2024-01-01";
        let got = intraday(
            br#"{"activities-steps":[{"dateTime":"2024-01-01","value":"8571"}],
                 "activities-steps-intraday":{"dataset":[
                    {"time":"00:00:00","value":0},{"time":"00:01:00","value":"12"},
                    {"time":"00:02:00","value":"n/a"},{"time":"25:00:00","value":1},
                    {"time":"00:04","value":1},{"value":3},7,
                    {"time":"00:05:00","value":1.5}],
                 "datasetInterval":1,"datasetType":"minute"}}"#,
            "steps",
            day(d),
        )
        .unwrap();
        assert_eq!(
            got,
            vec![
                (at(d, "00:00:00"), 0.0),
                (at(d, "00:01:00"), 12.0),
                (at(d, "00:05:00"), 1.5)
            ]
        );
        let got = intraday(
            br#"{"activities-heart":[],"activities-heart-intraday":{"dataset":[{"time":"12:00:01","value":61}]}}"#,
            "heart",
            day(d),
        )
        .unwrap();
        assert_eq!(got, vec![(at(d, "12:00:01"), 61.0)]);
        for empty in [
            &br#"{"activities-steps":[]}"#[..],
            br#"{"activities-steps":[],"activities-steps-intraday":{}}"#,
            br#"{"activities-steps":[],"activities-steps-intraday":{"dataset":[]}}"#,
        ] {
            assert_eq!(intraday(empty, "steps", day(d)).unwrap(), vec![]);
        }
        for (bad, e) in [
            (&b"{}"[..], r#"without the array "activities-steps""#),
            (
                br#"{"activities-steps":{},"activities-steps-intraday":{"dataset":[]}}"#,
                r#"without the array "activities-steps""#,
            ),
            (
                br#"{"activities-steps":[],"activities-steps-intraday":[]}"#,
                r#"without the object "activities-steps-intraday""#,
            ),
            (
                br#"{"activities-steps":[],"activities-steps-intraday":{"dataset":{}}}"#,
                r#"without the array "activities-steps-intraday.dataset""#,
            ),
            (b"[]", NOT_OBJECT),
        ] {
            assert_eq!(intraday(bad, "steps", day(d)).unwrap_err(), e);
        }
    }

    // Recorded responses: the expected readings are computed from each file with plain
    // `serde_json::Value` walks, independent of the typed models.

    fn check_activity_day(body: &[u8], d: &str) {
        let v = json(body);
        let sm = &v["summary"];
        let total = sm["distances"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["activity"] == "total")
            .unwrap();
        let mut want = vec![
            r(Metric::StepsTotal, d, f(&sm["steps"])),
            r(Metric::DistanceKm, d, f(&total["distance"])),
            r(Metric::CaloriesTotal, d, f(&sm["caloriesOut"])),
        ];
        for (k, level) in [
            ("sedentaryMinutes", "sedentary"),
            ("lightlyActiveMinutes", "lightly_active"),
            ("fairlyActiveMinutes", "fairly_active"),
            ("veryActiveMinutes", "very_active"),
        ] {
            want.push(rl(Metric::ActiveMinutes, d, f(&sm[k]), "type", level));
        }
        assert_eq!(activity_day(body, day(d)).unwrap(), want);
    }

    #[test]
    fn fixture_activities_daily_summary_2014_09_25() {
        let Some(body) = fixture!("activities-daily-summary-2014-09-25.json") else {
            return;
        };
        check_activity_day(&body, "2014-09-25");
    }

    #[test]
    fn fixture_activities_daily_summary_2021_10_31() {
        let Some(body) = fixture!("activities-daily-summary-2021-10-31.json") else {
            return;
        };
        check_activity_day(&body, "2021-10-31");
    }

    #[test]
    fn fixture_activities_daily_summary_2025_02() {
        let Some(body) = fixture!("activities-daily-summary-2025-02.json") else {
            return;
        };
        check_activity_day(&body, "2025-02-01");
    }

    #[test]
    fn fixture_steps_timeseries_1w() {
        let Some(body) = fixture!("steps-timeseries-1w-2025-01-29_2025-02-04.json") else {
            return;
        };
        let want: Vec<(NaiveDate, f64)> = json(&body)["activities-steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| (day(s(&i["dateTime"])), f(&i["value"])))
            .collect();
        assert_eq!(want.len(), 7);
        assert_eq!(activity_series(&body, "steps").unwrap(), want);
    }

    /// The heart readings of `activities-heart`, zones nested under `value` or flattened.
    fn check_heart(body: &[u8]) -> Vec<Reading> {
        let v = json(body);
        let mut want = Vec::new();
        for i in v["activities-heart"].as_array().unwrap() {
            let d = s(&i["dateTime"]);
            let h = if i["value"].is_object() {
                &i["value"]
            } else {
                i
            };
            if let Some(x) = h.get("restingHeartRate") {
                want.push(r(Metric::RestingHeartRateBpm, d, f(x)));
            }
            for z in h["heartRateZones"].as_array().unwrap() {
                let zone = label_value(s(&z["name"]));
                want.push(rl(
                    Metric::HeartRateZoneMinutes,
                    d,
                    f(&z["minutes"]),
                    "zone",
                    &zone,
                ));
                let c = f(&z["caloriesOut"]);
                want.push(rl(Metric::HeartRateZoneCalories, d, c, "zone", &zone));
            }
        }
        let got = heart_range(body).unwrap();
        assert_eq!(got, want);
        got
    }

    #[test]
    fn fixture_heart_timeseries_1w() {
        let Some(body) = fixture!("heart-timeseries-2017-08-15_2017-08-21.json") else {
            return;
        };
        let got = check_heart(&body);
        let resting = got
            .iter()
            .filter(|r| r.metric == Metric::RestingHeartRateBpm);
        assert_eq!(resting.count(), 7);
    }

    /// Expected sleep readings per `dateOfSleep`, summed over the logs with plain JSON walks.
    fn sleep_from_logs(v: &Value) -> Vec<Reading> {
        let mut days: BTreeMap<&str, Vec<&Value>> = BTreeMap::new();
        for l in v["sleep"].as_array().unwrap() {
            days.entry(s(&l["dateOfSleep"])).or_default().push(l);
        }
        let mut want = Vec::new();
        for (d, logs) in days {
            let asleep = logs.iter().map(|l| f(&l["minutesAsleep"])).sum();
            want.push(r(Metric::SleepMinutesTotal, d, asleep));
            for stage in Stages::NAMES {
                let m: Vec<f64> = logs
                    .iter()
                    .filter_map(|l| l.pointer(&format!("/levels/summary/{stage}/minutes")))
                    .map(f)
                    .collect();
                if !m.is_empty() {
                    let sum = m.iter().sum();
                    want.push(rl(Metric::SleepStageMinutes, d, sum, "stage", stage));
                }
            }
        }
        want
    }

    #[test]
    fn fixture_sleep_range() {
        let Some(body) = fixture!("sleep-log-v1.2-range-2025-01-30_2025-02-01.json") else {
            return;
        };
        let want = sleep_from_logs(&json(&body));
        assert_eq!(want.len(), 3 * 5);
        assert_eq!(sleep_range(&body).unwrap(), want);
    }

    /// A one-day response: the readings equal the endpoint's own `summary`.
    fn check_sleep_day(body: &[u8]) {
        let v = json(body);
        let d = s(&v["sleep"][0]["dateOfSleep"]);
        let sm = &v["summary"];
        let mut want = vec![r(
            Metric::SleepMinutesTotal,
            d,
            f(&sm["totalMinutesAsleep"]),
        )];
        for stage in Stages::NAMES {
            let m = f(&sm["stages"][stage]);
            want.push(rl(Metric::SleepStageMinutes, d, m, "stage", stage));
        }
        assert_eq!(sleep_range(body).unwrap(), want);
        assert_eq!(want, sleep_from_logs(&v));
    }

    #[test]
    fn fixture_sleep_day_2021_11_27() {
        let Some(body) = fixture!("sleep-log-v1.2-2021-11-27.json") else {
            return;
        };
        check_sleep_day(&body);
    }

    #[test]
    fn fixture_sleep_day_2021_11_28() {
        let Some(body) = fixture!("sleep-log-v1.2-2021-11-28.json") else {
            return;
        };
        check_sleep_day(&body);
    }

    #[test]
    fn fixture_sleep_day_2025_02_01() {
        let Some(body) = fixture!("sleep-log-v1.2-2025-02-01.json") else {
            return;
        };
        check_sleep_day(&body);
    }

    #[test]
    fn fixture_sleep_classic_log_has_no_stages() {
        let Some(body) = fixture!("sleep-log-v1-classic-minuteData-2021-10-31.json") else {
            return;
        };
        let v = json(&body);
        let want = vec![r(
            Metric::SleepMinutesTotal,
            s(&v["sleep"][0]["dateOfSleep"]),
            f(&v["summary"]["totalMinutesAsleep"]),
        )];
        assert_eq!(sleep_range(&body).unwrap(), want);
        assert_eq!(want, sleep_from_logs(&v));
    }

    fn check_profile(body: &[u8]) {
        let u = &json(body)["user"];
        assert_eq!(
            profile(body).unwrap(),
            WireProfile {
                timezone: s(&u["timezone"]).into(),
                member_since: Some(day(s(&u["memberSince"]))),
                encoded_id: Some(s(&u["encodedId"]).into()),
            }
        );
    }

    #[test]
    fn fixture_profile_asia_tokyo() {
        let Some(body) = fixture!("profile-asia-tokyo-2024.json") else {
            return;
        };
        check_profile(&body);
    }

    #[test]
    fn fixture_profile_europe_london() {
        let Some(body) = fixture!("profile-europe-london-fitbitnet.json") else {
            return;
        };
        check_profile(&body);
    }

    /// Every point of the recorded day, in order.
    fn check_intraday(body: &[u8], key: &str) {
        let v = json(body);
        let d = s(&v[format!("activities-{key}")][0]["dateTime"]);
        let want: Vec<(NaiveDateTime, f64)> = v[format!("activities-{key}-intraday")]["dataset"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (at(d, s(&p["time"])), f(&p["value"])))
            .collect();
        assert!(!want.is_empty());
        assert_eq!(intraday(body, key, day(d)).unwrap(), want);
    }

    #[test]
    fn fixture_heart_intraday_1sec_2017_06_10() {
        let Some(body) = fixture!("heart-intraday-1sec-2017-06-10.json") else {
            return;
        };
        check_intraday(&body, "heart");
        check_heart(&body);
    }

    #[test]
    fn fixture_heart_intraday_1sec_2017_05_13() {
        let Some(body) = fixture!("heart-intraday-1sec-2017-05-13.json") else {
            return;
        };
        check_intraday(&body, "heart");
        check_heart(&body);
    }

    #[test]
    fn fixture_heart_intraday_1min_2017_06_29() {
        let Some(body) = fixture!("heart-intraday-1min-2017-06-29.json") else {
            return;
        };
        check_intraday(&body, "heart");
        check_heart(&body);
    }

    #[test]
    fn fixture_heart_intraday_1min_2021_10_31_partial_day() {
        let Some(body) = fixture!("heart-intraday-1min-2021-10-31-partial-day.json") else {
            return;
        };
        check_intraday(&body, "heart");
        check_heart(&body);
    }

    #[test]
    fn fixture_heart_intraday_1min_2021_11_27() {
        let Some(body) = fixture!("heart-intraday-1min-2021-11-27.json") else {
            return;
        };
        check_intraday(&body, "heart");
        check_heart(&body);
    }

    #[test]
    fn fixture_heart_intraday_15min_2017_08_21_flattened() {
        let Some(body) = fixture!("heart-intraday-15min-2017-08-21.json") else {
            return;
        };
        check_intraday(&body, "heart");
        // Zones at the item's top level and `value` a plain number: zone readings only.
        let got = check_heart(&body);
        assert!(!got.is_empty());
        assert!(got.iter().all(|r| r.metric != Metric::RestingHeartRateBpm));
    }

    #[test]
    fn fixture_steps_intraday_1min_2016_03_08() {
        let Some(body) = fixture!("steps-intraday-1min-2016-03-08.json") else {
            return;
        };
        check_intraday(&body, "steps");
    }

    #[test]
    fn fixture_steps_intraday_1min_2021_10_31_partial_day() {
        let Some(body) = fixture!("steps-intraday-1min-2021-10-31-partial-day.json") else {
            return;
        };
        check_intraday(&body, "steps");
    }

    #[test]
    fn fixture_steps_intraday_1min_2021_12_04() {
        let Some(body) = fixture!("steps-intraday-1min-2021-12-04.json") else {
            return;
        };
        check_intraday(&body, "steps");
    }

    #[test]
    fn fixture_calories_intraday_1min_2015_03_20() {
        let Some(body) = fixture!("calories-intraday-1min-2015-03-20.json") else {
            return;
        };
        check_intraday(&body, "calories");
    }

    #[test]
    fn fixture_calories_intraday_1min_2021_12_04() {
        let Some(body) = fixture!("calories-intraday-1min-2021-12-04.json") else {
            return;
        };
        check_intraday(&body, "calories");
    }

    #[test]
    fn fixture_distance_intraday_1min_2021_10_31_partial_day() {
        let Some(body) = fixture!("distance-intraday-1min-2021-10-31-partial-day.json") else {
            return;
        };
        check_intraday(&body, "distance");
    }

    #[test]
    fn fixture_distance_intraday_1min_2021_12_04() {
        let Some(body) = fixture!("distance-intraday-1min-2021-12-04.json") else {
            return;
        };
        check_intraday(&body, "distance");
    }

    #[test]
    fn fixture_elevation_intraday_1min_2021_10_31_partial_day() {
        let Some(body) = fixture!("elevation-intraday-1min-2021-10-31-partial-day.json") else {
            return;
        };
        check_intraday(&body, "elevation");
    }

    #[test]
    fn fixture_floors_intraday_1min_2021_10_31_partial_day() {
        let Some(body) = fixture!("floors-intraday-1min-2021-10-31-partial-day.json") else {
            return;
        };
        check_intraday(&body, "floors");
    }
}
