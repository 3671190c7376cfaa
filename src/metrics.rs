//! The metric mapping: every value syncbit writes, its Prometheus name, unit and source.
//!
//! Names are the predecessor's (dashboards depend on them). Every series also carries the label
//! `user` (from `FITBIT_USER_ID`). Data that is not measured by one device carries no `device`
//! label (the predecessor's constant `device="charge6"` is gone).

/// One row of the mapping table.
#[derive(Debug)]
pub struct MetricDef {
    /// Prometheus metric name.
    pub name: &'static str,
    /// Unit of the value.
    pub unit: &'static str,
    /// Extra labels besides `user`.
    pub labels: &'static str,
    /// Where the value comes from in the Fitbit Web API.
    pub source: &'static str,
    /// Where the value comes from in the Google Health API ("" when it has none).
    pub google: &'static str,
    /// Where `syncbit import` takes it from in the account export ("" when it does not).
    pub takeout: &'static str,
    /// The `COLLECT_*` family or intraday resource it belongs to.
    pub family: &'static str,
}

/// Every metric syncbit writes. Index with [`Metric::def`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(usize)]
pub enum Metric {
    /// Steps that day.
    StepsTotal,
    /// Distance that day, km.
    DistanceKm,
    /// Calories burned that day, kcal.
    CaloriesTotal,
    /// Minutes per activity level; label `type`.
    ActiveMinutes,
    /// Resting heart rate, bpm.
    RestingHeartRateBpm,
    /// Minutes per heart-rate zone; label `zone`.
    HeartRateZoneMinutes,
    /// kcal per heart-rate zone; label `zone`.
    HeartRateZoneCalories,
    /// Minutes asleep that night.
    SleepMinutesTotal,
    /// Minutes per sleep stage; label `stage`.
    SleepStageMinutes,
    /// SpO2 average, percent.
    Spo2AvgPercent,
    /// SpO2 minimum, percent.
    Spo2MinPercent,
    /// SpO2 maximum, percent.
    Spo2MaxPercent,
    /// Breathing rate during sleep, breaths per minute.
    BreathingRateBpm,
    /// Heart-rate variability (daily RMSSD), ms.
    HrvRmssdMs,
    /// VO2 max, ml/kg/min.
    Vo2Max,
    /// Nightly skin temperature relative to baseline, °C.
    TempSkinRelativeCelsius,
    /// Active Zone Minutes that day; label `zone` (`fat_burn`, `cardio`, `peak`).
    ActiveZoneMinutes,
    /// Device battery level, percent; labels `device_id`, `device_type`.
    DeviceBatteryPercent,
    /// Device last sync time, Unix seconds; labels `device_id`, `device_type`.
    DeviceLastSyncTimestamp,
    /// Intraday steps per interval.
    StepsIntraday,
    /// Intraday kcal per interval.
    CaloriesIntraday,
    /// Intraday km per interval.
    DistanceIntraday,
    /// Intraday metres climbed per interval.
    ElevationIntraday,
    /// Intraday floors per interval.
    FloorsIntraday,
    /// Intraday heart rate, bpm (interval average, or the device's own sample at `1sec`).
    HeartRateIntraday,
    /// syncbit health: when `command` last succeeded, Unix seconds.
    LastSuccessTimestamp,
    /// syncbit health: exit code of the run.
    RunExitCode,
    /// syncbit health: wall time of the run, seconds.
    RunDuration,
    /// syncbit health: Fitbit requests made by the run.
    RunFitbitRequests,
    /// syncbit health: samples written by the run.
    RunSamplesWritten,
    /// syncbit health: requests left in the hour, as the API last reported.
    RateLimitRemaining,
    /// syncbit health: 1 for each family or resource the run skipped because the
    /// authorization lacks its scope; labels `command`, `family`.
    RunSkipped,
    /// syncbit health: local midnight of the newest complete day, Unix seconds; labels
    /// `kind` (daily, intraday) and `family`.
    NewestCompleteDay,
}

macro_rules! row {
    ($name:literal, $unit:literal, $labels:literal, $family:literal, $source:literal) => {
        row!($name, $unit, $labels, $family, $source, "", "")
    };
    ($name:literal, $unit:literal, $labels:literal, $family:literal, $source:literal, $google:literal) => {
        row!($name, $unit, $labels, $family, $source, $google, "")
    };
    ($name:literal, $unit:literal, $labels:literal, $family:literal, $source:literal, $google:literal, $takeout:literal) => {
        MetricDef {
            name: $name,
            unit: $unit,
            labels: $labels,
            family: $family,
            source: $source,
            google: $google,
            takeout: $takeout,
        }
    };
}

/// The mapping table, in the order of [`Metric`].
#[rustfmt::skip]
pub static TABLE: &[MetricDef] = &[
    row!("fitbit_steps_total", "steps", "", "activity", "GET /1/user/-/activities/date/D.json summary.steps", "steps dailyRollUp steps.countSum", "sum of the steps-*.json minutes of the local day (fallback steps_*.csv, one data source a day)"),
    row!("fitbit_distance_km", "km", "", "activity", "summary.distances[activity=total].distance", "distance dailyRollUp distance.millimetersSum / 10^6", "sum of the distance-*.json minutes (cm / 10^5) of the local day (fallback distance_*.csv, m / 1000)"),
    row!("fitbit_calories_total", "kcal", "", "activity", "summary.caloriesOut", "total-calories dailyRollUp totalCalories.kcalSum (14 days a call)", "sum of the calories_*.csv minutes of the local day, one data source a day (fallback calories-*.json, local stamps)"),
    row!("fitbit_active_minutes", "minutes", "type", "activity", "summary.{sedentary,lightlyActive,fairlyActive,veryActive}Minutes", "activity-level dailyRollUp activityLevelRollupsByActivityLevelType[].totalDuration / 60 (SEDENTARY, LIGHTLY_ACTIVE, MODERATELY_ACTIVE → fairly_active, VERY_ACTIVE)", "sedentary_minutes-, lightly_active_minutes-, moderately_active_minutes- (fairly_active), very_active_minutes-*.json"),
    row!("fitbit_resting_heart_rate_bpm", "bpm", "", "heart", "GET /1/user/-/activities/heart/date/D/1d.json value.restingHeartRate", "daily-resting-heart-rate list dailyRestingHeartRate.beatsPerMinute", "resting_heart_rate-*.json value.value (fallback daily_resting_heart_rate.csv)"),
    row!("fitbit_heart_rate_zone_minutes", "minutes", "zone", "heart", "value.heartRateZones[].minutes", "time-in-heart-rate-zone dailyRollUp timeInHeartRateZones[].duration / 60, zone = light, moderate, vigorous, peak (Google's thresholds)", "time_in_heart_rate_zones-*.json valuesInZones, zone = out_of_range, fat_burn, cardio, peak"),
    row!("fitbit_heart_rate_zone_calories", "kcal", "zone", "heart", "value.heartRateZones[].caloriesOut", "calories-in-heart-rate-zone dailyRollUp caloriesInHeartRateZones[].kcal, zone = light, moderate, vigorous, peak (14 days a call)"),
    row!("fitbit_sleep_minutes_total", "minutes", "", "sleep", "GET /1.2/user/-/sleep/date/D.json summary.totalMinutesAsleep", "sleep list summary.minutesAsleep, summed over the sessions ending that local day (naps included)", "sleep-*.json minutesAsleep summed over the logs of a dateOfSleep (naps included)"),
    row!("fitbit_sleep_stage_minutes", "minutes", "stage", "sleep", "summary.stages.{deep,light,rem,wake}", "sleep list summary.stagesSummary[] DEEP, LIGHT, REM, AWAKE of sessions with stages", "sleep-*.json levels.summary.{deep,light,rem,wake}.minutes of the stages logs"),
    row!("fitbit_spo2_avg_percent", "percent", "", "spo2", "GET /1/user/-/spo2/date/D.json value.avg", "daily-oxygen-saturation list averagePercentage", "Oxygen Saturation (SpO2)/Daily SpO2 average_value (fallback daily_oxygen_saturation.csv)"),
    row!("fitbit_spo2_min_percent", "percent", "", "spo2", "value.min", "daily-oxygen-saturation list lowerBoundPercentage", "Daily SpO2 lower_bound"),
    row!("fitbit_spo2_max_percent", "percent", "", "spo2", "value.max", "daily-oxygen-saturation list upperBoundPercentage", "Daily SpO2 upper_bound"),
    row!("fitbit_breathing_rate_bpm", "breaths/min", "", "breathing_rate", "GET /1/user/-/br/date/D.json br[].value.breathingRate", "daily-respiratory-rate list breathsPerMinute", "Heart Rate Variability/Daily Respiratory Rate Summary daily_respiratory_rate (fallback daily_respiratory_rate.csv)"),
    row!("fitbit_hrv_rmssd_ms", "ms", "", "hrv", "GET /1/user/-/hrv/date/D.json hrv[].value.dailyRmssd", "daily-heart-rate-variability list averageHeartRateVariabilityMilliseconds", "Heart Rate Variability/Daily Heart Rate Variability Summary rmssd, on the row's date (fallback daily_heart_rate_variability.csv)"),
    row!("fitbit_vo2_max", "ml/kg/min", "", "cardio_fitness", "GET /1/user/-/cardioscore/date/D.json cardioScore[].value.vo2Max (midpoint of a range)", "daily-vo2-max list vo2Max", "demographic_vo2_max-*.json filteredDemographicVO2Max (else demographicVO2Max)"),
    row!("fitbit_temp_skin_relative_celsius", "°C", "", "temperature", "GET /1/user/-/temp/skin/date/D.json tempSkin[].value.nightlyRelative", "daily-sleep-temperature-derivations list nightlyTemperatureCelsius - baselineTemperatureCelsius (NaN: none)", "daily_sleep_temperature_derivations.csv nightly - baseline (fallback Computed Temperature baseline_relative_sample_sum / temperature_samples)"),
    row!("fitbit_active_zone_minutes", "minutes", "zone", "heart", "", "active-zone-minutes dailyRollUp sumIn{FatBurn,Cardio,Peak}HeartZone, zone = fat_burn, cardio, peak"),
    row!("fitbit_device_battery_percent", "percent", "device_id,device_type", "devices", "GET /1/user/-/devices.json batteryLevel", "pairedDevices batteryLevel"),
    row!("fitbit_device_last_sync_timestamp", "seconds", "device_id,device_type", "devices", "devices.json lastSyncTime", "pairedDevices lastSyncTime"),
    row!("fitbit_steps_intraday", "steps", "", "steps", "GET /1/user/-/activities/steps/date/D/1d/DETAIL.json", "steps rollUp steps.countSum per window (sources merged)", "steps-*.json per minute, UTC (fallback steps_*.csv)"),
    row!("fitbit_calories_intraday", "kcal", "", "calories", "GET /1/user/-/activities/calories/date/D/1d/DETAIL.json", "total-calories rollUp totalCalories.kcalSum per window", "calories_*.csv per minute, UTC (fallback calories-*.json, local)"),
    row!("fitbit_distance_intraday", "km", "", "distance", "GET /1/user/-/activities/distance/date/D/1d/DETAIL.json", "distance rollUp distance.millimetersSum / 10^6 per window (sources merged)", "distance-*.json per minute, cm / 10^5 (fallback distance_*.csv, m / 1000)"),
    row!("fitbit_elevation_intraday", "m", "", "elevation", "GET /1/user/-/activities/elevation/date/D/1d/DETAIL.json", "altitude rollUp altitude.gainMillimetersSum / 1000 per window"),
    row!("fitbit_floors_intraday", "floors", "", "floors", "GET /1/user/-/activities/floors/date/D/1d/DETAIL.json", "floors rollUp floors.countSum per window"),
    row!("fitbit_heart_rate_intraday", "bpm", "", "heart_rate", "GET /1/user/-/activities/heart/date/D/1d/DETAIL.json", "heart-rate rollUp heartRate.beatsPerMinuteAvg per window; 1sec: heart-rate list beatsPerMinute at sampleTime.physicalTime", "heart_rate-*.json value.bpm at each UTC stamp (fallback heart_rate_*.csv)"),
    row!("syncbit_last_success_timestamp_seconds", "seconds", "command", "health", "end of the last successful run of the command"),
    row!("syncbit_run_exit_code", "", "command", "health", "the run's exit code (0, 1, 2, 69, 75, 77)"),
    row!("syncbit_run_duration_seconds", "seconds", "command", "health", "wall time of the run"),
    row!("syncbit_run_fitbit_requests", "requests", "command", "health", "Fitbit data requests sent by the run"),
    row!("syncbit_run_samples_written", "samples", "command", "health", "data samples pushed by the run"),
    row!("syncbit_fitbit_rate_limit_remaining", "requests", "", "health", "Fitbit-Rate-Limit-Remaining of the last response"),
    row!("syncbit_run_skipped", "", "command,family", "health", "1 per family or resource skipped for a missing scope"),
    row!("syncbit_newest_complete_day_timestamp_seconds", "seconds", "kind,family", "health", "local midnight of the newest complete day in the state file"),
];

impl Metric {
    /// This metric's row of [`TABLE`].
    pub fn def(self) -> &'static MetricDef {
        &TABLE[self as usize]
    }
    /// The Prometheus metric name.
    pub fn name(self) -> &'static str {
        self.def().name
    }
}

/// A label name → value pair; the name is one of the table's label names.
pub type Label = (&'static str, String);

/// The value of a `zone`, `stage` or `type` label: lower case, spaces and dashes as `_`
/// (`"Fat Burn"` → `fat_burn`).
pub fn label_value(name: &str) -> String {
    name.trim()
        .to_lowercase()
        .chars()
        .map(|c| if c == ' ' || c == '-' { '_' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_matches_enum() {
        assert_eq!(TABLE.len(), Metric::NewestCompleteDay as usize + 1);
        assert_eq!(
            Metric::HeartRateIntraday.name(),
            "fitbit_heart_rate_intraday"
        );
        assert_eq!(
            Metric::DeviceLastSyncTimestamp.name(),
            "fitbit_device_last_sync_timestamp"
        );
        for d in TABLE {
            assert!(
                d.name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
            );
        }
    }

    #[test]
    fn every_data_metric_has_a_google_source() {
        for d in TABLE.iter().filter(|d| d.name.starts_with("fitbit_")) {
            assert!(
                !d.google.is_empty(),
                "{} has no Google Health API source",
                d.name
            );
        }
    }

    #[test]
    fn zone_names() {
        assert_eq!(label_value("Out of Range"), "out_of_range");
        assert_eq!(label_value("Fat Burn"), "fat_burn");
    }
}
