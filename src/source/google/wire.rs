//! Typed models of the Google Health API responses syncbit reads.
//!
//! Shapes follow the discovery document and the captured responses: int64 values arrive as
//! JSON strings, doubles as numbers, and any number may be the string `"NaN"` or `"Infinity"`
//! (no value); durations are strings such as `"3600s"`; instants are RFC 3339; dates are
//! `{year, month, day}` objects; empty repeated fields and whole empty answers (`{}`) are left
//! out. Members syncbit does not read are skipped, so an added field never breaks a run; a
//! member it reads with another JSON type fails the whole page (the request stays not done).

use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate};
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

/// A number sent as a JSON number or a string; `None` for `"NaN"`, `"Infinity"`, `null` and
/// anything non-finite.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Num(pub Option<f64>);

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Num, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Num;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number, or a string holding one")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Num, E> {
                Ok(Num(Some(v).filter(|v| v.is_finite())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Num, E> {
                Ok(Num(Some(v as f64)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Num, E> {
                Ok(Num(Some(v as f64)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Num, E> {
                match v.trim().parse::<f64>() {
                    Ok(n) => Ok(Num(Some(n).filter(|n| n.is_finite()))),
                    Err(_) => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
                }
            }
            fn visit_unit<E: de::Error>(self) -> Result<Num, E> {
                Ok(Num(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// A protobuf Duration string (`"3600s"`, `"1.5s"`), in seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Secs(pub Option<f64>);

impl<'de> Deserialize<'de> for Secs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Secs, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Secs;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration such as \"3600s\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Secs, E> {
                v.trim()
                    .strip_suffix('s')
                    .and_then(|n| n.parse::<f64>().ok())
                    .filter(|n| n.is_finite())
                    .map(|n| Secs(Some(n)))
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Secs, E> {
                Ok(Secs(Some(v).filter(|v| v.is_finite())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Secs, E> {
                Ok(Secs(Some(v as f64)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Secs, E> {
                Ok(Secs(Some(v as f64)))
            }
        }
        d.deserialize_any(V)
    }
}

/// An RFC 3339 instant, in ms since the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ms(pub i64);

impl<'de> Deserialize<'de> for Ms {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Ms, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Ms;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an RFC 3339 time")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Ms, E> {
                rfc3339_ms(v)
                    .map(Ms)
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
            }
        }
        d.deserialize_str(V)
    }
}

fn digits(b: &[u8]) -> Option<i64> {
    b.iter().try_fold(0i64, |n, c| {
        c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
    })
}

/// `YYYY-MM-DDTHH:MM:SS[.fff…]Z` without chrono (heart-rate pages hold thousands of these);
/// any other form through chrono's RFC 3339 parser.
pub fn rfc3339_ms(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let fast = b.len() >= 20
        && b[4] == b'-'
        && b[7] == b'-'
        && matches!(b[10], b'T' | b't')
        && b[13] == b':'
        && b[16] == b':'
        && matches!(b[b.len() - 1], b'Z' | b'z');
    if fast {
        let (y, mo, d) = (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?);
        let (h, mi, sec) = (
            digits(&b[11..13])?,
            digits(&b[14..16])?,
            digits(&b[17..19])?,
        );
        let frac = &b[19..b.len() - 1];
        let ms = match frac {
            [] => 0,
            [b'.', rest @ ..] if !rest.is_empty() => {
                let mut ms = 0;
                for i in 0..3 {
                    ms = ms * 10 + rest.get(i).map_or(Some(0), |c| digits(&[*c]))?;
                }
                digits(rest)?;
                ms
            }
            _ => {
                return DateTime::parse_from_rfc3339(s)
                    .ok()
                    .map(|t| t.timestamp_millis());
            }
        };
        let date = NaiveDate::from_ymd_opt(y as i32, mo as u32, d as u32)?;
        if h > 23 || mi > 59 || sec > 60 {
            return None;
        }
        let days = i64::from(date.num_days_from_ce() - 719_163);
        return Some(((days * 24 + h) * 60 + mi) * 60_000 + sec * 1000 + ms);
    }
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.timestamp_millis())
}

/// A `Date` object `{year, month, day}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Date(pub NaiveDate);

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        #[derive(Deserialize)]
        struct Parts {
            year: i32,
            month: u32,
            day: u32,
        }
        let p = Parts::deserialize(d)?;
        NaiveDate::from_ymd_opt(p.year, p.month, p.day)
            .map(Date)
            .ok_or_else(|| {
                de::Error::custom(format!("no such date {}-{}-{}", p.year, p.month, p.day))
            })
    }
}

/// A `CivilDateTime`; syncbit reads only whole days, so the time is skipped.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
pub struct CivilDateTime {
    /// The civil date.
    pub date: Date,
}

/// A page of `dataPoints.list` or `:reconcile`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListPage<T> {
    /// The points of this page, newest first (may be empty while a token follows).
    #[serde(default = "Vec::new")]
    pub data_points: Vec<T>,
    /// The next page's token; absent or empty on the last page.
    #[serde(default)]
    pub next_page_token: Option<String>,
}

/// A page of `:rollUp` or `:dailyRollUp`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RollupPage {
    /// The windows of this page, newest first; windows without data are left out.
    #[serde(default)]
    pub rollup_data_points: Vec<RollupPoint>,
    /// The next page's token; absent or empty on the last page.
    #[serde(default)]
    pub next_page_token: Option<String>,
}

/// One window of a rollup: its start (physical for `rollUp`, civil for `dailyRollUp`) and the
/// value member of the data type asked for.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RollupPoint {
    /// `rollUp`: the window's physical start.
    pub start_time: Option<Ms>,
    /// `dailyRollUp`: the window's first civil day.
    pub civil_start_time: Option<CivilDateTime>,
    /// `steps.countSum`.
    pub steps: Option<CountSum>,
    /// `floors.countSum`.
    pub floors: Option<CountSum>,
    /// `distance.millimetersSum`.
    pub distance: Option<MillimetersSum>,
    /// `altitude.gainMillimetersSum`.
    pub altitude: Option<GainSum>,
    /// `totalCalories.kcalSum`.
    pub total_calories: Option<KcalSum>,
    /// `heartRate.beatsPerMinuteAvg`.
    pub heart_rate: Option<HeartRateRollup>,
    /// `activityLevel.activityLevelRollupsByActivityLevelType[]`.
    pub activity_level: Option<ActivityLevelRollup>,
    /// `timeInHeartRateZone.timeInHeartRateZones[]`.
    pub time_in_heart_rate_zone: Option<TimeInZoneRollup>,
    /// `caloriesInHeartRateZone.caloriesInHeartRateZones[]`.
    pub calories_in_heart_rate_zone: Option<CaloriesInZoneRollup>,
    /// `activeZoneMinutes.sumIn*HeartZone`.
    pub active_zone_minutes: Option<AzmRollup>,
}

/// `{countSum}` (steps, floors).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CountSum {
    /// Count.
    pub count_sum: Num,
}

/// `{millimetersSum}`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MillimetersSum {
    /// mm.
    pub millimeters_sum: Num,
}

/// `{gainMillimetersSum}`: altitude gained, not height.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GainSum {
    /// mm.
    pub gain_millimeters_sum: Num,
}

/// `{kcalSum}`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct KcalSum {
    /// kcal.
    pub kcal_sum: Num,
}

/// `{beatsPerMinuteAvg, …Max, …Min}`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HeartRateRollup {
    /// Mean bpm of the window.
    pub beats_per_minute_avg: Num,
}

/// `activityLevel` of a rollup.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ActivityLevelRollup {
    /// One entry per level with time in it.
    pub activity_level_rollups_by_activity_level_type: Vec<LevelDuration>,
}

/// `{activityLevelType, totalDuration}`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LevelDuration {
    /// SEDENTARY, LIGHTLY_ACTIVE, MODERATELY_ACTIVE, VERY_ACTIVE.
    pub activity_level_type: String,
    /// Seconds.
    pub total_duration: Secs,
}

/// `timeInHeartRateZone` of a rollup.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TimeInZoneRollup {
    /// One entry per zone with time in it.
    pub time_in_heart_rate_zones: Vec<ZoneDuration>,
}

/// `{heartRateZone, duration}`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ZoneDuration {
    /// LIGHT, MODERATE, VIGOROUS, PEAK.
    pub heart_rate_zone: String,
    /// Seconds.
    pub duration: Secs,
}

/// `caloriesInHeartRateZone` of a rollup.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CaloriesInZoneRollup {
    /// One entry per zone with calories in it.
    pub calories_in_heart_rate_zones: Vec<ZoneKcal>,
}

/// `{heartRateZone, kcal}`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ZoneKcal {
    /// LIGHT, MODERATE, VIGOROUS, PEAK.
    pub heart_rate_zone: String,
    /// kcal.
    pub kcal: Num,
}

/// `activeZoneMinutes` of a rollup (Active Zone Minutes: 1 per fat-burn minute, 2 per cardio
/// or peak minute).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AzmRollup {
    /// Fat-burn zone.
    pub sum_in_fat_burn_heart_zone: Num,
    /// Cardio zone.
    pub sum_in_cardio_heart_zone: Num,
    /// Peak zone.
    pub sum_in_peak_heart_zone: Num,
}

/// A raw `heart-rate` point; only the sample is read.
///
/// The three structs of a raw heart-rate point deserialize by hand with their keys read as
/// bytes: a year of raw heart rate is about 13 M points, and serde's derived code spends a
/// good part of its time checking that each key is UTF-8 before comparing it.
#[derive(Debug)]
pub struct HeartRatePoint {
    /// The sample (absent on points of other types).
    pub heart_rate: Option<HeartRateSample>,
}

/// `{beatsPerMinute, sampleTime}`.
#[derive(Debug)]
pub struct HeartRateSample {
    /// bpm (an int64 string).
    pub beats_per_minute: Num,
    /// When.
    pub sample_time: SampleTime,
}

/// `{physicalTime, utcOffset, civilTime}`; only the instant is read.
#[derive(Debug)]
pub struct SampleTime {
    /// The instant.
    pub physical_time: Ms,
}

/// Which of `names` a map key is (`None`: another key, whose value is skipped).
struct Key(&'static [&'static [u8]]);

impl<'de> de::DeserializeSeed<'de> for Key {
    type Value = Option<usize>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<usize>, D::Error> {
        d.deserialize_bytes(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Option<usize>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Option<usize>, E> {
        Ok(self.0.iter().position(|n| *n == v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<usize>, E> {
        self.visit_bytes(v.as_bytes())
    }
}

/// Hand each member of `map` that is one of `names` to `f` (by its index), which reads its
/// value; skip the others.
fn members<'de, A: de::MapAccess<'de>>(
    map: &mut A,
    names: &'static [&'static [u8]],
    mut f: impl FnMut(usize, &mut A) -> Result<(), A::Error>,
) -> Result<(), A::Error> {
    while let Some(k) = map.next_key_seed(Key(names))? {
        match k {
            Some(i) => f(i, map)?,
            None => {
                map.next_value::<de::IgnoredAny>()?;
            }
        }
    }
    Ok(())
}

/// A visitor of a map for `T`; the function names what is expected.
struct MapOf<T>(fn() -> &'static str, std::marker::PhantomData<T>);

trait FromMap: Sized {
    fn from_map<'de, A: de::MapAccess<'de>>(map: A) -> Result<Self, A::Error>;
}

impl<'de, T: FromMap> Visitor<'de> for MapOf<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str((self.0)())
    }
    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::from_map(map)
    }
}

impl FromMap for HeartRatePoint {
    fn from_map<'de, A: de::MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let mut heart_rate = None;
        members(&mut map, &[b"heartRate"], |_, m| {
            heart_rate = m.next_value()?;
            Ok(())
        })?;
        Ok(HeartRatePoint { heart_rate })
    }
}

impl FromMap for HeartRateSample {
    fn from_map<'de, A: de::MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let (mut bpm, mut at) = (Num(None), None);
        members(&mut map, &[b"beatsPerMinute", b"sampleTime"], |i, m| {
            if i == 0 {
                bpm = m.next_value()?;
            } else {
                at = Some(m.next_value()?);
            }
            Ok(())
        })?;
        Ok(HeartRateSample {
            beats_per_minute: bpm,
            sample_time: at.ok_or_else(|| de::Error::missing_field("sampleTime"))?,
        })
    }
}

impl FromMap for SampleTime {
    fn from_map<'de, A: de::MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let mut at = None;
        members(&mut map, &[b"physicalTime"], |_, m| {
            at = Some(m.next_value()?);
            Ok(())
        })?;
        Ok(SampleTime {
            physical_time: at.ok_or_else(|| de::Error::missing_field("physicalTime"))?,
        })
    }
}

macro_rules! deserialize_by_map {
    ($($t:ty => $what:literal),*) => {$(
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<$t, D::Error> {
                d.deserialize_map(MapOf::<$t>(|| $what, std::marker::PhantomData))
            }
        }
    )*};
}

deserialize_by_map!(
    HeartRatePoint => "a heart-rate data point",
    HeartRateSample => "a heart-rate sample",
    SampleTime => "a sample time"
);

/// A point of one of the `daily-*` types; exactly one member is set.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DailyPoint {
    /// `daily-resting-heart-rate`.
    pub daily_resting_heart_rate: Option<DailyValues>,
    /// `daily-oxygen-saturation`.
    pub daily_oxygen_saturation: Option<DailyValues>,
    /// `daily-respiratory-rate`.
    pub daily_respiratory_rate: Option<DailyValues>,
    /// `daily-heart-rate-variability`.
    pub daily_heart_rate_variability: Option<DailyValues>,
    /// `daily-vo2-max`.
    pub daily_vo2_max: Option<DailyValues>,
    /// `daily-sleep-temperature-derivations`.
    pub daily_sleep_temperature_derivations: Option<DailyValues>,
}

/// The members of the daily types that syncbit writes, each on its own type.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DailyValues {
    /// The user's civil day.
    pub date: Option<Date>,
    /// Resting heart rate, bpm.
    pub beats_per_minute: Num,
    /// SpO2 average, %.
    pub average_percentage: Num,
    /// SpO2 lower bound, %.
    pub lower_bound_percentage: Num,
    /// SpO2 upper bound, %.
    pub upper_bound_percentage: Num,
    /// Breaths per minute.
    pub breaths_per_minute: Num,
    /// HRV (RMSSD), ms.
    pub average_heart_rate_variability_milliseconds: Num,
    /// VO2 max, ml/kg/min.
    pub vo2_max: Num,
    /// Nightly skin temperature, °C.
    pub nightly_temperature_celsius: Num,
    /// Baseline skin temperature, °C (`"NaN"` on a new user's first nights).
    pub baseline_temperature_celsius: Num,
}

/// A `sleep` point.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SleepPoint {
    /// The session.
    #[serde(default)]
    pub sleep: Option<Sleep>,
}

/// One sleep session (main sleep or nap); stages are skipped, their summary is read.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sleep {
    /// Physical bounds and offsets.
    pub interval: SessionInterval,
    /// STAGES or CLASSIC.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// Minutes asleep and per stage.
    #[serde(default)]
    pub summary: Option<SleepSummary>,
}

/// `{startTime, endTime, endUtcOffset, …}` of a session.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionInterval {
    /// Start instant.
    pub start_time: Ms,
    /// End instant.
    pub end_time: Ms,
    /// The user's UTC offset at the end, seconds.
    #[serde(default)]
    pub end_utc_offset: Secs,
}

/// `summary` of a session.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SleepSummary {
    /// Minutes asleep (an int64 string).
    pub minutes_asleep: Num,
    /// Minutes per stage type.
    pub stages_summary: Vec<StageSummary>,
}

/// `{type, minutes, count}`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct StageSummary {
    /// AWAKE, LIGHT, DEEP, REM (STAGES); AWAKE, RESTLESS, ASLEEP (CLASSIC).
    #[serde(rename = "type")]
    pub kind: String,
    /// Minutes.
    pub minutes: Num,
}

/// `GET users/me/settings`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// IANA zone name.
    pub time_zone: Option<String>,
}

/// `GET users/me/profile`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Profile {
    /// The account's first day.
    pub membership_start_date: Option<Date>,
}

/// `GET users/me/identity`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Identity {
    /// The Google Health user id.
    pub health_user_id: Option<String>,
    /// The same account's Fitbit Web API encoded id.
    pub legacy_user_id: Option<String>,
}

/// `GET users/me/pairedDevices`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PairedDevices {
    /// The devices.
    pub paired_devices: Vec<PairedDevice>,
    /// The next page's token, if any.
    pub next_page_token: Option<String>,
}

/// One paired device.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PairedDevice {
    /// `users/{id}/pairedDevices/{device id}`.
    pub name: Option<String>,
    /// TRACKER, SCALE, …
    pub device_type: Option<String>,
    /// The model, e.g. "Charge 6".
    pub device_version: Option<String>,
    /// Percent.
    pub battery_level: Num,
    /// The device's last sync.
    pub last_sync_time: Option<Ms>,
}

/// A `google.rpc.Status` error body.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ErrorBody {
    /// The status.
    pub error: ErrorStatus,
}

/// `{code, message, status, details}`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ErrorStatus {
    /// The canonical code, e.g. `PERMISSION_DENIED`.
    pub status: String,
    /// Google's text.
    pub message: String,
    /// `ErrorInfo` and other details.
    pub details: Vec<ErrorDetail>,
}

/// One entry of `details`; only `ErrorInfo.reason` is read.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ErrorDetail {
    /// The API-specific reason, e.g. `ACCOUNT_NOT_LINKED`.
    pub reason: Option<String>,
}

impl ErrorBody {
    /// The reasons of the `ErrorInfo` details.
    pub fn reasons(&self) -> impl Iterator<Item = &str> {
        self.error
            .details
            .iter()
            .filter_map(|d| d.reason.as_deref())
    }
}

/// Parse a body. Errors: a phrase for "the Google Health API answered <what> …", saying
/// whether the JSON itself is broken or only its shape is unexpected.
pub fn parse<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| {
        if e.is_data() {
            format!("with an unexpected shape ({e})")
        } else {
            format!("with malformed JSON ({e})")
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Option<Vec<u8>> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/fixtures/google-health-api");
        std::fs::read(dir.join(name)).ok()
    }

    #[test]
    fn numbers_as_strings_numbers_and_nan() {
        let v: Vec<Num> =
            serde_json::from_str(r#"["60", 45.5, "NaN", "Infinity", null, 3]"#).unwrap();
        assert_eq!(
            v.iter().map(|n| n.0).collect::<Vec<_>>(),
            vec![Some(60.0), Some(45.5), None, None, None, Some(3.0)]
        );
        assert!(serde_json::from_str::<Num>(r#""sixty""#).is_err());
        let d: Vec<Secs> = serde_json::from_str(r#"["3600s", "1.5s"]"#).unwrap();
        assert_eq!(d[0].0, Some(3600.0));
        assert_eq!(d[1].0, Some(1.5));
    }

    #[test]
    fn instants_fast_and_slow_paths_agree() {
        for s in [
            "2026-01-08T02:25:14Z",
            "2026-01-06T08:00:50.661487Z",
            "2026-01-06T08:00:50.6Z",
            "1999-12-31T23:59:59.999Z",
            "2026-03-08T07:00:00+00:00",
            "2026-03-08T02:00:00-05:00",
        ] {
            let want = DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis();
            assert_eq!(rfc3339_ms(s), Some(want), "{s}");
        }
        assert_eq!(rfc3339_ms("2026-02-30T00:00:00Z"), None);
        assert_eq!(rfc3339_ms("yesterday"), None);
    }

    #[test]
    fn captured_pages_parse() {
        let Some(b) = fixture("list-heart-rate-page.json") else {
            return;
        };
        let p: ListPage<HeartRatePoint> = parse(&b).unwrap();
        assert_eq!(p.data_points.len(), 5);
        assert_eq!(p.next_page_token.as_deref(), Some("redacted-nextPageToken"));
        let s = p.data_points[0].heart_rate.as_ref().unwrap();
        assert_eq!(s.beats_per_minute.0, Some(60.0));
        assert_eq!(
            s.sample_time.physical_time.0,
            rfc3339_ms("2026-01-08T02:25:14Z").unwrap()
        );

        let b = fixture("dailyrollup-active-zone-minutes-7d-range-5-windows.json").unwrap();
        let p: RollupPage = parse(&b).unwrap();
        assert_eq!(p.rollup_data_points.len(), 5);
        let w = &p.rollup_data_points[0];
        assert_eq!(
            w.civil_start_time.unwrap().date.0,
            NaiveDate::from_ymd_opt(2026, 1, 6).unwrap()
        );
        let azm = w.active_zone_minutes.as_ref().unwrap();
        assert_eq!(azm.sum_in_fat_burn_heart_zone.0, Some(5.0));
        assert_eq!(azm.sum_in_peak_heart_zone.0, Some(0.0));

        let b = fixture("list-daily-sleep-temperature-derivations-nan.json").unwrap();
        let p: ListPage<DailyPoint> = parse(&b).unwrap();
        let t = p.data_points[4]
            .daily_sleep_temperature_derivations
            .as_ref()
            .unwrap();
        assert_eq!(t.baseline_temperature_celsius.0, None);
        assert_eq!(t.nightly_temperature_celsius.0, Some(34.0));

        let b = fixture("list-sleep-one-session-trimmed.json").unwrap();
        let p: ListPage<SleepPoint> = parse(&b).unwrap();
        let s = p.data_points[0].sleep.as_ref().unwrap();
        assert_eq!(s.interval.end_utc_offset.0, Some(-14400.0));
        assert_eq!(s.summary.as_ref().unwrap().stages_summary.len(), 4);

        let b = fixture("paired-devices.json").unwrap();
        let d: PairedDevices = parse(&b).unwrap();
        assert_eq!(d.paired_devices[0].battery_level.0, Some(80.0));
        assert_eq!(d.paired_devices[0].device_type.as_deref(), Some("TRACKER"));

        let b = fixture("profile.json").unwrap();
        let p: Profile = parse(&b).unwrap();
        assert_eq!(
            p.membership_start_date.unwrap().0,
            NaiveDate::from_ymd_opt(2026, 1, 2).unwrap()
        );

        let b = fixture("error-403-permission-denied.json").unwrap();
        let e: ErrorBody = parse(&b).unwrap();
        assert_eq!(e.error.status, "PERMISSION_DENIED");
        let b = fixture("error-400-invalid-parent-data-type.json").unwrap();
        let e: ErrorBody = parse(&b).unwrap();
        assert_eq!(
            e.reasons().collect::<Vec<_>>(),
            vec!["INVALID_PARENT_DATA_TYPE_COLLECTION"]
        );
    }

    #[test]
    fn heart_rate_points_read_by_hand_like_derived_ones() {
        let p: ListPage<HeartRatePoint> = parse(
            br#"{"dataPoints": [{"steps": {}}, {"heartRate": {"sampleTime": {"utcOffset": "0s", "physicalTime": "2026-01-08T02:25:14Z"}, "beatsPerMinute": 61}}, {"heartRate": {"beatsPerMinute": "NaN", "sampleTime": {"physicalTime": "2026-01-08T02:25:12Z"}}}]}"#,
        )
        .unwrap();
        assert!(p.data_points[0].heart_rate.is_none());
        let s = p.data_points[1].heart_rate.as_ref().unwrap();
        assert_eq!(s.beats_per_minute.0, Some(61.0));
        assert_eq!(
            p.data_points[2]
                .heart_rate
                .as_ref()
                .unwrap()
                .beats_per_minute
                .0,
            None
        );
        for bad in [
            &br#"{"dataPoints": [{"heartRate": {"beatsPerMinute": "60"}}]}"#[..],
            br#"{"dataPoints": [{"heartRate": {"sampleTime": {"physicalTime": 5}}}]}"#,
            br#"{"dataPoints": [{"heartRate": []}]}"#,
        ] {
            let e = parse::<ListPage<HeartRatePoint>>(bad).unwrap_err();
            assert!(e.contains("unexpected shape"), "{e}");
        }
    }

    #[test]
    fn broken_and_changed_bodies_are_told_apart() {
        let e = parse::<RollupPage>(br#"{"rollupDataPoints": [{"steps": {"countSum"#).unwrap_err();
        assert!(e.contains("malformed JSON"), "{e}");
        let e = parse::<RollupPage>(br#"{"rollupDataPoints": {"steps": 1}}"#).unwrap_err();
        assert!(e.contains("unexpected shape"), "{e}");
        let p: RollupPage = parse(b"{}").unwrap();
        assert!(p.rollup_data_points.is_empty() && p.next_page_token.is_none());
    }
}
