//! `sync_state.json`: what has been written, per day and per family (daily) or resource
//! (intraday), versioned and written atomically. The predecessor's file is read and migrated.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::fsutil::atomic_write;

/// The state file name inside `DATA_DIR`.
pub const STATE_FILE: &str = "sync_state.json";
/// The source whose quota format 2 kept at the top level.
const LEGACY_QUOTA_SOURCE: &str = FITBIT;
/// The source whose progress format 2 keeps at the top level.
const FITBIT: &str = "fitbit-web-api";
/// The current format version.
/// Format 3 moved the quota into `quota` and added other sources' books; an older syncbit
/// refuses it instead of ignoring a pause it does not know.
pub const VERSION: u32 = 3;

/// Progress of one (day, family) or (day, resource).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// `complete`: written after the device synced past the end of the day; never fetched
    /// again. `partial` (intraday only): written up to `through_ms`; revisited by later runs.
    pub status: Status,
    /// Intraday: the last instant written, ms since epoch (only samples after it are written
    /// on the next visit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub through_ms: Option<i64>,
}

/// Whether a day is final.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Final.
    Complete,
    /// To be revisited.
    Partial,
}

/// What one source has written.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Book {
    /// Every day before or on this date counts as complete for daily data (migrated from the
    /// predecessor's `last_successful_date`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daily_complete_through: Option<NaiveDate>,
    /// Daily progress: day → family → progress.
    #[serde(default)]
    pub daily: BTreeMap<NaiveDate, BTreeMap<String, Progress>>,
    /// Intraday progress: day → resource → progress.
    #[serde(default)]
    pub intraday: BTreeMap<NaiveDate, BTreeMap<String, Progress>>,
    /// Device id → last sync (ms) already written as device metrics.
    #[serde(default)]
    pub devices_written: BTreeMap<String, i64>,
    /// Imports: export files written, by path below the product root.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub files: BTreeMap<String, ImportedFile>,
    /// Imports: local days whose daily values were written, per import family, as ranges.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub days: BTreeMap<String, Vec<(NaiveDate, NaiveDate)>>,
}

/// One file of an account export that `import` has written.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportedFile {
    /// Bytes.
    pub size: u64,
    /// CRC-32 of the content.
    pub crc: u32,
    /// The last instant written from it, ms since the epoch: a longer version of the file (a
    /// later export of the same day) adds only what comes after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub through_ms: Option<i64>,
    /// Written only for these local days (`--from`/`--to`); empty: all of it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub windows: Vec<(NaiveDate, NaiveDate)>,
}

impl ImportedFile {
    /// Whether a sample of local day `day` at `ms` of this file was written already.
    pub fn has(&self, day: NaiveDate, ms: i64) -> bool {
        let in_window =
            self.windows.is_empty() || self.windows.iter().any(|(a, b)| *a <= day && day <= *b);
        in_window && self.through_ms.is_some_and(|t| ms <= t)
    }
}

/// The whole state file.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct State {
    /// Format version ([`VERSION`]).
    pub version: u32,
    /// The profile's time zone, cached (`/1/user/-/profile.json` `user.timezone`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_timezone: Option<String>,
    /// The account's first day (`user.memberSince`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_since: Option<NaiveDate>,
    /// When the profile was last read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_checked_at: Option<DateTime<Utc>>,
    /// The source that reported the cached zone and first day (absent: the Fitbit Web API).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_source: Option<String>,
    /// The account this directory belongs to: the source's stable id of it (the Google Health
    /// API's `healthUserId`, the Fitbit Web API's encoded user id), recorded by the first
    /// successful authorized run. A run with another account's tokens is refused (exit 77).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// The source whose id [`State::account_id`] is (ids of two sources are not comparable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id_source: Option<String>,
    /// What the Fitbit Web API source has written, at the top level where format 2 kept it.
    #[serde(flatten)]
    pub fitbit: Book,
    /// What every other source has written, by source id: switching sources keeps each one's
    /// progress.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sources: BTreeMap<String, Book>,
    /// What each source keeps between runs (its quota window, a pause), by source id. A memo
    /// may carry `rate_limited_until` (RFC 3339), which `state show` displays.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub quota: BTreeMap<String, serde_json::Value>,
    /// Format 2 kept the Fitbit Web API's pause and budget at the top level; read once and
    /// moved into `quota`.
    #[serde(default, rename = "rate_limited_until", skip_serializing)]
    legacy_pause: Option<serde_json::Value>,
    #[serde(default, rename = "budget", skip_serializing)]
    legacy_budget: Option<serde_json::Value>,
    /// End of the last run that wrote data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_sync: Option<DateTime<Utc>>,
    /// The predecessor's fields, as they were found when migrating.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migrated_from: Option<serde_json::Value>,
}

/// The predecessor's `sync_state.json`.
#[derive(Deserialize)]
struct Legacy {
    last_sync: Option<String>,
    last_successful_date: Option<String>,
}

/// The state file and where it lives.
pub struct StateFile {
    /// Path of `sync_state.json`.
    pub path: PathBuf,
    /// Contents.
    pub state: State,
}

/// Why a state file could not be used.
#[derive(Debug)]
enum Unusable {
    /// It cannot be read at all (permissions, I/O): nothing to fall back to safely.
    Unreadable(String),
    /// It was written by a newer syncbit: never replaced by an older state.
    Newer(String),
    /// It is damaged (not JSON, not a state): the backup may stand in.
    Corrupt(String),
}

impl StateFile {
    /// Read `<dir>/sync_state.json`; a missing file is an empty state; the predecessor's
    /// format is migrated (its `last_successful_date` marks earlier days' daily data done). A
    /// damaged file is replaced by the last good state, `sync_state.json.bak`, with a warning
    /// (the next save moves the damaged file aside).
    ///
    /// Errors: the file cannot be read, comes from a newer syncbit, or is damaged and has no
    /// usable backup.
    pub fn load(dir: &Path) -> Result<StateFile, String> {
        let path = dir.join(STATE_FILE);
        match read(&path) {
            Ok(state) => Ok(StateFile { path, state }),
            Err(Unusable::Unreadable(m) | Unusable::Newer(m)) => Err(m),
            Err(Unusable::Corrupt(m)) => {
                let bak = backup_path(&path);
                match read(&bak) {
                    Ok(state) if bak.exists() => {
                        crate::warn!(
                            "{m}; continuing from the last good state {} (the progress of the last save may be fetched again)",
                            bak.display()
                        );
                        Ok(StateFile { path, state })
                    }
                    _ => Err(format!(
                        "{m}; `syncbit state reset` moves it aside and starts over (data in VictoriaMetrics stays)"
                    )),
                }
            }
        }
    }

    /// [`StateFile::load`] for `state reset`: a damaged file without a usable backup is moved
    /// aside (with a warning naming where) and an empty state takes its place.
    ///
    /// Errors: the file cannot be read, or comes from a newer syncbit.
    pub fn load_or_set_aside(dir: &Path) -> Result<StateFile, String> {
        let path = dir.join(STATE_FILE);
        match StateFile::load(dir) {
            Ok(sf) => Ok(sf),
            Err(m) => match read(&path) {
                Err(Unusable::Corrupt(why)) => {
                    let aside = move_aside(&path)
                        .map_err(|e| format!("{m}; moving it aside failed too: {e}"))?;
                    crate::warn!("{why}; moved it to {}", aside.display());
                    Ok(StateFile {
                        path,
                        state: State {
                            version: VERSION,
                            ..State::default()
                        },
                    })
                }
                _ => Err(m),
            },
        }
    }

    /// Write the state atomically (temp file, fsync, rename, fsync of the directory). The
    /// previous file is kept as `sync_state.json.bak` when it is a good state; a damaged one is
    /// moved aside to `sync_state.json.corrupt-<time>` (never overwriting an earlier one).
    pub fn save(&self) -> std::io::Result<()> {
        if let Ok(old) = std::fs::read(&self.path) {
            if parse(&old, &self.path).is_ok() {
                atomic_write(&backup_path(&self.path), &old)?;
            } else {
                move_aside(&self.path)?;
            }
        }
        let body = serde_json::to_vec_pretty(&self.state).expect("state serializes");
        atomic_write(&self.path, &body)
    }
}

/// `sync_state.json.bak`.
pub fn backup_path(path: &Path) -> PathBuf {
    path.with_extension("json.bak")
}

/// Move a damaged file aside as `<name>.corrupt-<UTC time>[-N]`, never replacing an earlier
/// copy; returns where it went.
pub fn move_aside(path: &Path) -> std::io::Result<PathBuf> {
    let stamp = Utc::now().format("%Y%m%dT%H%M%SZ");
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    for n in 0.. {
        let suffix = if n == 0 {
            String::new()
        } else {
            format!("-{n}")
        };
        let aside = path.with_file_name(format!("{name}.corrupt-{stamp}{suffix}"));
        if !aside.exists() {
            std::fs::rename(path, &aside)?;
            return Ok(aside);
        }
    }
    unreachable!("some name is free")
}

fn read(path: &Path) -> Result<State, Unusable> {
    match std::fs::read(path) {
        Ok(b) => parse(&b, path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State {
            version: VERSION,
            ..State::default()
        }),
        Err(e) => Err(Unusable::Unreadable(format!(
            "cannot read {}: {e}",
            path.display()
        ))),
    }
}

fn parse(bytes: &[u8], path: &Path) -> Result<State, Unusable> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| Unusable::Corrupt(format!("{} is not valid JSON ({e})", path.display())))?;
    match value.get("version").and_then(|v| v.as_u64()) {
        Some(v) if v > VERSION as u64 => Err(Unusable::Newer(format!(
            "{} was written by a newer syncbit (format {v}); upgrade syncbit",
            path.display()
        ))),
        Some(_) => {
            let mut st: State = serde_json::from_value(value).map_err(|e| {
                Unusable::Corrupt(format!(
                    "{} is not a syncbit state file: {e}",
                    path.display()
                ))
            })?;
            let (pause, budget) = (st.legacy_pause.take(), st.legacy_budget.take());
            if pause.is_some() || budget.is_some() {
                let memo = st
                    .quota
                    .entry(LEGACY_QUOTA_SOURCE.to_string())
                    .or_insert_with(|| serde_json::json!({}));
                for (k, v) in [("rate_limited_until", pause), ("budget", budget)] {
                    if let Some(v) = v {
                        memo[k] = v;
                    }
                }
            }
            Ok(st)
        }
        None => migrate(value, path).map_err(Unusable::Corrupt),
    }
}

fn migrate(value: serde_json::Value, path: &Path) -> Result<State, String> {
    if !value.is_object() {
        return Err(format!(
            "{} is not a syncbit state file (not a JSON object)",
            path.display()
        ));
    }
    let legacy: Legacy = serde_json::from_value(value.clone())
        .map_err(|_| format!("{} is not a syncbit state file", path.display()))?;
    crate::info!(
        "migrating the predecessor's {} to format {VERSION}",
        path.display()
    );
    let last_sync = legacy.last_sync.as_deref().and_then(|s| {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .ok()
            .or_else(|| {
                chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
                    .ok()
                    .map(|n| n.and_utc())
            })
    });
    let mut st = State {
        version: VERSION,
        last_sync,
        migrated_from: Some(value),
        ..State::default()
    };
    st.fitbit.daily_complete_through = legacy
        .last_successful_date
        .as_deref()
        .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok());
    Ok(st)
}

/// How the tokens' account relates to the directory's binding.
#[derive(Debug, PartialEq, Eq)]
pub enum Binding {
    /// Not bound yet (a new directory, or one from a syncbit before bindings).
    Unbound,
    /// Bound to this account.
    Same,
    /// Bound to this account under another source's id (a switch of sources): the binding
    /// moves to this source's id.
    Moved,
    /// Bound to another account: `(source id, account id)` of the binding.
    Foreign(String, String),
}

impl State {
    /// Compare the account the tokens of `source` belong to with the binding.
    pub fn binding(&self, source: &str, owner: &crate::source::Owner) -> Binding {
        let Some(bound) = self.account_id.as_deref() else {
            return Binding::Unbound;
        };
        let bound_source = self.account_id_source.as_deref().unwrap_or(source);
        let foreign = || Binding::Foreign(bound_source.to_string(), bound.to_string());
        if bound_source == source {
            return if owner.id == bound {
                Binding::Same
            } else {
                foreign()
            };
        }
        // Ids of two sources compare only when the answer named the account's id at the
        // bound source; an account without one there is not the bound account.
        match &owner.also {
            Some((src, id)) if *src == bound_source && id == bound => Binding::Moved,
            _ => foreign(),
        }
    }

    /// Bind the directory to the account `owner` of `source`.
    pub fn bind(&mut self, source: &str, owner: &crate::source::Owner) {
        self.account_id = Some(owner.id.clone());
        self.account_id_source = Some(source.to_string());
    }

    /// Forget the binding and everything written for the old account (`auth login
    /// --rebind`): books, source memos, the cached account facts.
    pub fn start_over(&mut self) {
        *self = State {
            version: VERSION,
            ..State::default()
        };
    }

    /// What `source` (a source id) has written.
    pub fn book(&self, source: &str) -> &Book {
        static EMPTY: std::sync::OnceLock<Book> = std::sync::OnceLock::new();
        if source == FITBIT {
            return &self.fitbit;
        }
        self.sources
            .get(source)
            .unwrap_or_else(|| EMPTY.get_or_init(Book::default))
    }

    /// Whether the cached zone and first day came from `source` (format 2 files: from the
    /// Fitbit Web API).
    pub fn account_from(&self, source: &str) -> bool {
        self.account_source.as_deref().unwrap_or(FITBIT) == source
    }

    /// What `source` has written, to record more.
    pub fn book_mut(&mut self, source: &str) -> &mut Book {
        if source == FITBIT {
            return &mut self.fitbit;
        }
        self.sources.entry(source.to_string()).or_default()
    }

    /// Every source's book, the Fitbit Web API's first.
    pub fn books(&self) -> impl Iterator<Item = (&str, &Book)> {
        std::iter::once((FITBIT, &self.fitbit))
            .chain(self.sources.iter().map(|(k, b)| (k.as_str(), b)))
    }
}

impl Book {
    /// Progress of a daily family on `day`.
    pub fn daily_progress(&self, day: NaiveDate, family: &str) -> Option<Progress> {
        if self.daily_complete_through.is_some_and(|d| day <= d) {
            return Some(Progress {
                status: Status::Complete,
                through_ms: None,
            });
        }
        self.daily.get(&day)?.get(family).cloned()
    }
    /// Progress of an intraday resource on `day`.
    pub fn intraday_progress(&self, day: NaiveDate, resource: &str) -> Option<Progress> {
        self.intraday.get(&day)?.get(resource).cloned()
    }

    /// An export file written: whole (`window` `None`) or the samples of those local days, up
    /// to `through_ms`. A new version of a file (a later export of the same day) keeps what
    /// the earlier one recorded, so only what comes after is written again.
    pub fn record_file(
        &mut self,
        path: String,
        size: u64,
        crc: u32,
        through_ms: Option<i64>,
        window: Option<(NaiveDate, NaiveDate)>,
    ) {
        let existed = self.files.contains_key(&path);
        let f = self.files.entry(path).or_insert(ImportedFile {
            size,
            crc,
            through_ms: None,
            windows: Vec::new(),
        });
        (f.size, f.crc) = (size, crc);
        f.through_ms = f.through_ms.max(through_ms);
        match window {
            None => f.windows.clear(),
            // A file written whole before stays whole.
            Some(w) if !existed || !f.windows.is_empty() => {
                if !f.windows.contains(&w) {
                    f.windows.push(w);
                }
            }
            Some(_) => {}
        }
    }

    /// Daily values of an import family written for `first..=last`; adjacent and overlapping
    /// ranges become one, to keep the state small.
    pub fn record_days(&mut self, family: String, first: NaiveDate, last: NaiveDate) {
        let ranges = self.days.entry(family).or_default();
        ranges.push((first, last));
        ranges.sort();
        let mut merged: Vec<(NaiveDate, NaiveDate)> = Vec::with_capacity(ranges.len());
        for (a, b) in ranges.drain(..) {
            match merged.last_mut() {
                Some(last) if a <= last.1.succ_opt().unwrap_or(last.1) => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        *ranges = merged;
    }

    /// Whether an import wrote the daily values of `family` on `day`.
    pub fn imported_day(&self, family: &str, day: NaiveDate) -> bool {
        self.days
            .get(family)
            .is_some_and(|r| r.iter().any(|(a, b)| *a <= day && day <= *b))
    }

    /// Whether nothing has been written.
    pub fn is_empty(&self) -> bool {
        self.daily.is_empty() && self.intraday.is_empty() && self.daily_complete_through.is_none()
    }
}

#[cfg(test)]
mod binding_tests {
    use super::*;
    use crate::source::Owner;

    fn owner(id: &str, legacy: Option<&str>) -> Owner {
        Owner {
            id: id.into(),
            also: legacy.map(|l| (FITBIT, l.to_string())),
        }
    }

    #[test]
    fn a_binding_compares_ids_of_one_source_and_follows_a_switch_through_the_legacy_id() {
        let mut st = State::default();
        assert_eq!(
            st.binding("google-health", &owner("A", None)),
            Binding::Unbound
        );
        st.bind(FITBIT, &owner("FB1", None));
        assert_eq!(st.binding(FITBIT, &owner("FB1", None)), Binding::Same);
        assert_eq!(
            st.binding(FITBIT, &owner("FB2", None)),
            Binding::Foreign(FITBIT.into(), "FB1".into())
        );
        assert_eq!(
            st.binding("google-health", &owner("G1", Some("FB1"))),
            Binding::Moved
        );
        assert_eq!(
            st.binding("google-health", &owner("G1", Some("FB2"))),
            Binding::Foreign(FITBIT.into(), "FB1".into())
        );
        assert_eq!(
            st.binding("google-health", &owner("G1", None)),
            Binding::Foreign(FITBIT.into(), "FB1".into())
        );
        st.bind("google-health", &owner("G1", Some("FB1")));
        assert_eq!(
            st.binding("google-health", &owner("G1", None)),
            Binding::Same
        );
    }

    #[test]
    fn the_binding_round_trips_and_an_old_state_has_none() {
        let st: State = serde_json::from_str(r#"{"version":3}"#).unwrap();
        assert_eq!(st.account_id, None);
        let mut st = st;
        st.bind("google-health", &owner("7192846153028476109", None));
        st.book_mut("google-health")
            .devices_written
            .insert("d".into(), 1);
        let back: State = serde_json::from_value(serde_json::to_value(&st).unwrap()).unwrap();
        assert_eq!(back.account_id.as_deref(), Some("7192846153028476109"));
        assert_eq!(back.account_id_source.as_deref(), Some("google-health"));
        let mut back = back;
        back.start_over();
        assert!(back.account_id.is_none() && back.sources.is_empty() && back.version == VERSION);
    }
}

#[cfg(test)]
mod import_tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_file_written_in_windows_then_whole_and_a_later_version_of_it() {
        let mut b = Book::default();
        let p = "Global Export Data/heart_rate-2026-04-08.json".to_string();
        b.record_file(
            p.clone(),
            10,
            1,
            Some(500),
            Some((d("2026-04-08"), d("2026-04-08"))),
        );
        b.record_file(
            p.clone(),
            10,
            1,
            Some(500),
            Some((d("2026-04-08"), d("2026-04-08"))),
        );
        let f = &b.files[&p];
        assert_eq!(f.windows.len(), 1, "a window repeated is kept once");
        assert!(f.has(d("2026-04-08"), 400) && !f.has(d("2026-04-09"), 400));
        b.record_file(p.clone(), 10, 1, Some(900), None);
        let f = &b.files[&p];
        assert!(
            f.windows.is_empty() && f.has(d("2026-04-09"), 900) && !f.has(d("2026-04-09"), 901)
        );
        // A longer version of the file (a later export): what it added comes after 900.
        b.record_file(p.clone(), 20, 2, Some(1200), None);
        let f = &b.files[&p];
        assert_eq!((f.size, f.crc, f.through_ms), (20, 2, Some(1200)));
        // A window over a file written whole keeps it whole.
        b.record_file(
            p.clone(),
            20,
            2,
            Some(1200),
            Some((d("2026-04-01"), d("2026-04-02"))),
        );
        assert!(b.files[&p].windows.is_empty());
    }

    #[test]
    fn day_ranges_merge_when_they_touch_or_overlap() {
        let mut b = Book::default();
        b.record_days("steps".into(), d("2026-01-05"), d("2026-01-10"));
        b.record_days("steps".into(), d("2026-01-01"), d("2026-01-04"));
        b.record_days("steps".into(), d("2026-01-20"), d("2026-01-21"));
        b.record_days("steps".into(), d("2026-01-09"), d("2026-01-12"));
        assert_eq!(
            b.days["steps"],
            vec![
                (d("2026-01-01"), d("2026-01-12")),
                (d("2026-01-20"), d("2026-01-21"))
            ]
        );
        assert!(
            b.imported_day("steps", d("2026-01-12")) && !b.imported_day("steps", d("2026-01-13"))
        );
        assert!(!b.imported_day("sleep", d("2026-01-05")));
    }
}
