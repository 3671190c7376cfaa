//! What each file of an export holds, from its name: the families `import` writes and the
//! kinds of file they come from (one encoding chosen per family).

use chrono::NaiveDate;

use crate::metrics::Metric;
use crate::source::Resource;

/// What an import writes, each a choice of `--families`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    /// Intraday heart rate (every sample).
    HeartRate,
    /// Steps per minute and per day.
    Steps,
    /// Distance per minute and per day, km.
    Distance,
    /// Calories per minute and per day, kcal.
    Calories,
    /// Minutes per activity level per day.
    ActiveMinutes,
    /// Resting heart rate per day.
    RestingHeartRate,
    /// Minutes per heart-rate zone per day.
    HeartRateZones,
    /// Minutes asleep and per stage per night.
    Sleep,
    /// Nightly SpO2 average, minimum, maximum.
    Spo2,
    /// Nightly breathing rate.
    BreathingRate,
    /// Nightly heart-rate variability (RMSSD).
    Hrv,
    /// Nightly skin temperature relative to baseline.
    Temperature,
    /// VO2 max.
    CardioFitness,
}

impl Family {
    /// Every family, in import order.
    pub const ALL: [Family; 13] = [
        Family::HeartRate,
        Family::Steps,
        Family::Distance,
        Family::Calories,
        Family::ActiveMinutes,
        Family::RestingHeartRate,
        Family::HeartRateZones,
        Family::Sleep,
        Family::Spo2,
        Family::BreathingRate,
        Family::Hrv,
        Family::Temperature,
        Family::CardioFitness,
    ];

    /// The name of `--families`, the state file and the summary.
    pub fn key(self) -> &'static str {
        match self {
            Family::HeartRate => "heart_rate",
            Family::Steps => "steps",
            Family::Distance => "distance",
            Family::Calories => "calories",
            Family::ActiveMinutes => "active_minutes",
            Family::RestingHeartRate => "resting_heart_rate",
            Family::HeartRateZones => "heart_rate_zones",
            Family::Sleep => "sleep",
            Family::Spo2 => "spo2",
            Family::BreathingRate => "breathing_rate",
            Family::Hrv => "hrv",
            Family::Temperature => "temperature",
            Family::CardioFitness => "cardio_fitness",
        }
    }

    /// Parse a name of `--families`.
    pub fn parse(s: &str) -> Option<Family> {
        Family::ALL.into_iter().find(|f| f.key() == s.trim())
    }

    /// The intraday resource, for the minute and second series.
    pub(super) fn resource(self) -> Option<Resource> {
        match self {
            Family::HeartRate => Some(Resource::HeartRate),
            Family::Steps => Some(Resource::Steps),
            Family::Distance => Some(Resource::Distance),
            Family::Calories => Some(Resource::Calories),
            _ => None,
        }
    }

    /// The day total of a minute series.
    pub(super) fn total(self) -> Option<Metric> {
        match self {
            Family::Steps => Some(Metric::StepsTotal),
            Family::Distance => Some(Metric::DistanceKm),
            Family::Calories => Some(Metric::CaloriesTotal),
            _ => None,
        }
    }

    /// The live sources' daily family holding the same values (their progress means "written").
    pub(super) fn live(self) -> Option<crate::source::Family> {
        use crate::source::Family as F;
        Some(match self {
            Family::HeartRate => return None,
            Family::Steps | Family::Distance | Family::Calories | Family::ActiveMinutes => {
                F::Activity
            }
            Family::RestingHeartRate | Family::HeartRateZones => F::Heart,
            Family::Sleep => F::Sleep,
            Family::Spo2 => F::Spo2,
            Family::BreathingRate => F::BreathingRate,
            Family::Hrv => F::Hrv,
            Family::Temperature => F::Temperature,
            Family::CardioFitness => F::CardioFitness,
        })
    }
}

/// What a file holds, from its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Kind {
    HeartRateJson,
    HeartRateCsv,
    StepsJson,
    StepsCsv,
    DistanceJson,
    DistanceCsv,
    CaloriesJson,
    CaloriesCsv,
    /// `sedentary_minutes-…` and the three others, with the `type` label.
    LevelJson(&'static str),
    RestingJson,
    RestingCsv,
    ZonesJson,
    SleepJson,
    /// `Oxygen Saturation (SpO2)/Daily SpO2 - …`.
    Spo2Daily,
    Spo2Csv,
    /// `Heart Rate Variability/Daily Respiratory Rate Summary - …`.
    BreathingDaily,
    BreathingCsv,
    /// `Heart Rate Variability/Daily Heart Rate Variability Summary - …`.
    HrvDaily,
    HrvCsv,
    TemperatureCsv,
    TemperatureComputed,
    Vo2Json,
    Profile,
}

impl Kind {
    pub(super) fn family(self) -> Option<Family> {
        Some(match self {
            Kind::HeartRateJson | Kind::HeartRateCsv => Family::HeartRate,
            Kind::StepsJson | Kind::StepsCsv => Family::Steps,
            Kind::DistanceJson | Kind::DistanceCsv => Family::Distance,
            Kind::CaloriesJson | Kind::CaloriesCsv => Family::Calories,
            Kind::LevelJson(_) => Family::ActiveMinutes,
            Kind::RestingJson | Kind::RestingCsv => Family::RestingHeartRate,
            Kind::ZonesJson => Family::HeartRateZones,
            Kind::SleepJson => Family::Sleep,
            Kind::Spo2Daily | Kind::Spo2Csv => Family::Spo2,
            Kind::BreathingDaily | Kind::BreathingCsv => Family::BreathingRate,
            Kind::HrvDaily | Kind::HrvCsv => Family::Hrv,
            Kind::TemperatureCsv | Kind::TemperatureComputed => Family::Temperature,
            Kind::Vo2Json => Family::CardioFitness,
            Kind::Profile => return None,
        })
    }

    /// Whether this is the encoding a family prefers (the reference's table, section 5).
    pub(super) fn preferred(self) -> bool {
        matches!(
            self,
            Kind::HeartRateJson
                | Kind::StepsJson
                | Kind::DistanceJson
                | Kind::CaloriesCsv
                | Kind::LevelJson(_)
                | Kind::RestingJson
                | Kind::ZonesJson
                | Kind::SleepJson
                | Kind::Spo2Daily
                | Kind::BreathingDaily
                | Kind::HrvDaily
                | Kind::TemperatureCsv
                | Kind::Vo2Json
        )
    }

    /// The encoding, for the summary.
    pub(super) fn encoding(self) -> &'static str {
        match self {
            Kind::HeartRateJson
            | Kind::StepsJson
            | Kind::DistanceJson
            | Kind::CaloriesJson
            | Kind::LevelJson(_)
            | Kind::RestingJson
            | Kind::ZonesJson
            | Kind::SleepJson
            | Kind::Vo2Json => "JSON (Global Export Data)",
            Kind::Spo2Daily => "CSV (Oxygen Saturation (SpO2))",
            Kind::BreathingDaily | Kind::HrvDaily => "CSV (Heart Rate Variability)",
            Kind::TemperatureComputed => "CSV (Temperature)",
            Kind::Profile => "CSV (Your Profile)",
            _ => "CSV (Physical Activity_GoogleData)",
        }
    }

    /// Bytes per sample, roughly, for `--plan`'s estimate.
    pub(super) fn bytes_per_sample(self) -> u64 {
        match self {
            Kind::HeartRateJson => 95,
            Kind::StepsJson | Kind::DistanceJson | Kind::CaloriesJson => 55,
            Kind::HeartRateCsv | Kind::StepsCsv | Kind::DistanceCsv | Kind::CaloriesCsv => 38,
            Kind::LevelJson(_) => 55,
            Kind::ZonesJson => 60,
            _ => 120,
        }
    }
}

/// The date in a file name (`steps-2026-03-18_TRIMMED….json`: 2026-03-18).
pub(super) fn name_date(name: &str) -> Option<NaiveDate> {
    let b = name.as_bytes();
    (0..b.len().saturating_sub(9)).find_map(|i| {
        let s = name.get(i..i + 10)?;
        (b[i].is_ascii_digit() && b[i + 4] == b'-' && b[i + 7] == b'-')
            .then(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
            .flatten()
    })
}

/// What a file is, from its name (whatever folder it is in).
pub(super) fn classify(path: &str) -> Option<Kind> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let (stem, ext) = name.rsplit_once('.')?;
    let dated = |prefix: &str| {
        stem.strip_prefix(prefix)
            .is_some_and(|rest| rest.as_bytes().first().is_some_and(u8::is_ascii_digit))
    };
    let json = ext.eq_ignore_ascii_case("json");
    let csv = ext.eq_ignore_ascii_case("csv");
    Some(if json {
        match () {
            _ if dated("heart_rate-") => Kind::HeartRateJson,
            _ if dated("steps-") => Kind::StepsJson,
            _ if dated("distance-") => Kind::DistanceJson,
            _ if dated("calories-") => Kind::CaloriesJson,
            _ if dated("sedentary_minutes-") => Kind::LevelJson("sedentary"),
            _ if dated("lightly_active_minutes-") => Kind::LevelJson("lightly_active"),
            _ if dated("moderately_active_minutes-") => Kind::LevelJson("fairly_active"),
            _ if dated("very_active_minutes-") => Kind::LevelJson("very_active"),
            _ if dated("resting_heart_rate-") => Kind::RestingJson,
            _ if dated("time_in_heart_rate_zones-") => Kind::ZonesJson,
            _ if dated("sleep-") => Kind::SleepJson,
            _ if dated("demographic_vo2_max-") => Kind::Vo2Json,
            _ => return None,
        }
    } else if csv {
        match () {
            _ if dated("heart_rate_") => Kind::HeartRateCsv,
            _ if dated("steps_") => Kind::StepsCsv,
            _ if dated("distance_") => Kind::DistanceCsv,
            _ if dated("calories_") => Kind::CaloriesCsv,
            _ if stem.starts_with("daily_resting_heart_rate") => Kind::RestingCsv,
            _ if stem.starts_with("daily_oxygen_saturation") => Kind::Spo2Csv,
            _ if stem.starts_with("daily_respiratory_rate") => Kind::BreathingCsv,
            _ if stem.starts_with("daily_heart_rate_variability") => Kind::HrvCsv,
            _ if stem.starts_with("daily_sleep_temperature_derivations") => Kind::TemperatureCsv,
            _ if stem.starts_with("Daily SpO2 - ") => Kind::Spo2Daily,
            _ if stem.starts_with("Daily Respiratory Rate Summary - ") => Kind::BreathingDaily,
            _ if stem.starts_with("Daily Heart Rate Variability Summary - ") => Kind::HrvDaily,
            _ if stem.starts_with("Computed Temperature - ") => Kind::TemperatureComputed,
            _ if stem == "Profile" && path.contains("Your Profile") => Kind::Profile,
            _ => return None,
        }
    } else {
        return None;
    })
}
