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
        // Some responses flatten the zones into the item and send `value` as a plain number.
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

/// A body that must be a JSON object with fixed keys.
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

    /// The object where it is no required part: another JSON type just means none.
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

    /// The items where it is no required part: another JSON type just means none.
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
