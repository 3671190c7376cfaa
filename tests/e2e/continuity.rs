//! Switching sources: the same days fetched by the Fitbit Web API source and then by the Google
//! Health API source, into one VictoriaMetrics with dedup and one data directory.

use serde_json::Value;
use std::collections::BTreeSet;

use crate::harness::{Env, assert_no_duplicates, midnight_ms};
use crate::support::google_sim::{self, GoogleSim, GoogleSimConfig};
use crate::support::sim::SimConfig;

/// Daily metrics both sources write with the same labels (heart-rate zones differ on purpose:
/// Google's zones are not Fitbit's).
const COMMON: &[&str] = &[
    "fitbit_steps_total",
    "fitbit_distance_km",
    "fitbit_calories_total",
    "fitbit_active_minutes",
    "fitbit_resting_heart_rate_bpm",
    "fitbit_sleep_minutes_total",
    "fitbit_sleep_stage_minutes",
    "fitbit_breathing_rate_bpm",
    "fitbit_hrv_rmssd_ms",
];

#[test]
fn continuity_fitbit_then_google_lands_on_the_same_series_and_instants() {
    let zone = "America/New_York";
    let mut env = Env::new(
        SimConfig {
            timezone: zone.into(),
            ..Default::default()
        },
        true,
    );
    let google = GoogleSim::start(GoogleSimConfig {
        timezone: zone.into(),
        ..Default::default()
    });
    std::fs::write(
        env.data_dir().join("google_tokens.json"),
        google.token_json(false),
    )
    .unwrap();
    env.user = "alex".into();
    env.ok(&["backfill", "--days", "5"]);
    let labels = |env: &Env, metric: &str| -> BTreeSet<Vec<(String, String)>> {
        env.export(metric)
            .into_iter()
            .map(|s| s.labels.into_iter().collect())
            .collect()
    };
    let before: Vec<_> = COMMON.iter().map(|m| labels(&env, m)).collect();
    let steps_before = env.export("fitbit_steps_total");

    // The same data directory and VictoriaMetrics, now from the Google Health API.
    let r = env
        .cmd(&["backfill", "--days", "5"])
        .env("SYNCBIT_SOURCE", "google-health")
        .env("GOOGLE_HEALTH_API_BASE_URL", google.base_url())
        .env("GOOGLE_TOKEN_URL", google.token_url())
        .env("GOOGLE_AUTH_URL", google.auth_url())
        .env("GOOGLE_REVOKE_URL", google.revoke_url())
        .env("GOOGLE_CLIENT_ID", google_sim::CLIENT_ID)
        .env("GOOGLE_CLIENT_SECRET", google_sim::CLIENT_SECRET)
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(google.data_calls() > 0);

    for (metric, was) in COMMON.iter().zip(&before) {
        assert!(!was.is_empty(), "{metric} not written by the Fitbit source");
        assert_eq!(&labels(&env, metric), was, "{metric}: label sets differ");
    }
    assert_no_duplicates(&env.export_all());
    // One steps series, one sample per day at the day's local midnight, whichever source
    // wrote it last.
    let steps = env.export("fitbit_steps_total");
    assert_eq!(steps.len(), 1);
    let tz: chrono_tz::Tz = zone.parse().unwrap();
    let today = env.sim.today();
    let want: Vec<i64> = (1..=5)
        .rev()
        .map(|k| midnight_ms(tz, today - chrono::Duration::days(k)))
        .collect();
    assert_eq!(steps[0].timestamps, want);
    assert_eq!(steps_before[0].timestamps, want);

    // Each source keeps its own progress.
    let state: Value = serde_json::from_str(
        &std::fs::read_to_string(env.data_dir().join("sync_state.json")).unwrap(),
    )
    .unwrap();
    let yesterday = (today - chrono::Duration::days(1)).to_string();
    assert_eq!(state["daily"][&yesterday]["activity"]["status"], "complete");
    assert_eq!(
        state["sources"]["google-health"]["daily"][&yesterday]["activity"]["status"],
        "complete"
    );
    let shown = env.ok(&["state", "show"]).stdout;
    assert!(
        shown.contains("source fitbit-web-api:") && shown.contains("source google-health:"),
        "{shown}"
    );
}
