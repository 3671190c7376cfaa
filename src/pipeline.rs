//! The one path every command takes: plan → fetch → format → push → record.
//!
//! Commands differ only in the jobs they plan. [`Pipeline::run`] fetches each job from the
//! [`Source`], formats its readings into a [`Batch`] (timestamps from the user's [`Calendar`],
//! cut at the device's last sync), and pushes full batches to the [`Sink`]. Before a batch is
//! pushed it is written, with the progress it carries, to the spool (`DATA_DIR/spool/`); the
//! progress is recorded in the state only after the sink accepted the batch, and then the spool
//! file is removed. A run that finds spool files (VictoriaMetrics was down, the process was
//! killed) pushes and records them before anything else, so no request is ever repeated for
//! data already fetched, and nothing unpushed is ever marked done.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::io::IsTerminal;
use std::path::PathBuf;

use crate::calendar::Calendar;
use crate::config::Config;
use crate::error::Exit;
use crate::format;
use crate::fsutil::{RunLock, atomic_write, lock_dir};
use crate::metrics::Metric;
use crate::sink::{Batch, Sink, Stdout, victoria::Victoria};
use crate::source::fitbit::FitbitSource;
use crate::source::fitbit::client::{Client, effective_reserve};
use crate::source::fitbit::tokens::{OAuthClient, TokenStore};
use crate::source::{At, Detail, Family, Reading, Resource, Source, SourceError};
use crate::state::{Budget, Progress, StateFile, Status};

/// Samples per push (about 4 MB of text before gzip).
pub const BATCH_SAMPLES: usize = 50_000;

/// Below this many missing days the per-day activity summary (1 request a day) is cheaper than
/// the seven activity time-series ranges.
pub const ACTIVITY_RANGE_MIN_DAYS: usize = 8;

/// One unit of work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Job {
    /// A daily family of one day, from the per-day endpoint.
    Daily(Family, NaiveDate),
    /// A daily family over `start..=end`, from the date-range endpoint(s).
    DailyRange(Family, NaiveDate, NaiveDate),
    /// An intraday resource of one day.
    Intraday(Resource, NaiveDate),
    /// Battery and last sync of the paired devices.
    Devices,
}

/// Progress that becomes true once a batch is pushed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Record {
    /// A daily family of one day.
    Daily {
        /// Family key.
        family: String,
        /// The day.
        day: NaiveDate,
        /// Its progress.
        progress: Progress,
    },
    /// An intraday resource of one day.
    Intraday {
        /// Resource key.
        resource: String,
        /// The day.
        day: NaiveDate,
        /// Its progress.
        progress: Progress,
    },
    /// Device metrics written up to these last-sync instants (ms).
    Devices {
        /// Device id → last sync ms.
        written: BTreeMap<String, i64>,
    },
}

/// A spool file: a batch and the progress it carries.
#[derive(Serialize, Deserialize)]
struct Spooled {
    records: Vec<Record>,
    text: String,
    samples: usize,
}

/// What a run did.
#[derive(Debug, Default)]
pub struct Summary {
    /// Samples pushed (or printed with `--dry-run`).
    pub samples: usize,
    /// Progress records written.
    pub jobs_done: usize,
}

/// An open run: lock held, state loaded, source authorized, user calendar known.
pub struct Pipeline {
    /// The configuration.
    pub cfg: Config,
    /// The state file.
    pub state: StateFile,
    source: Box<dyn Source>,
    sink: Box<dyn Sink>,
    /// The user's calendar.
    pub cal: Calendar,
    /// When the run started.
    pub now: DateTime<Utc>,
    /// The newest device sync, ms since epoch (`None`: no device reported one).
    pub last_sync_ms: Option<i64>,
    devices: Vec<crate::source::Device>,
    skipped: HashSet<String>,
    samples_written: usize,
    spool_seq: u32,
    _lock: RunLock,
}

impl Pipeline {
    /// Take the lock, load state, push what the spool holds, authorize, learn the user's time
    /// zone and the device's last sync. `reserve`: calls of the hour's budget to leave unused.
    ///
    /// Errors: exit 75 while a saved rate-limit pause lasts or the saved budget is at the
    /// reserve (no request is made), 77 without tokens, 1 when the spool cannot be pushed, and
    /// the exits of [`SourceError`].
    pub fn open(cfg: Config, reserve: Option<u64>) -> Result<Pipeline, Exit> {
        crate::config::check_dir(&cfg.data_dir)?;
        let lock = lock_dir(&cfg.data_dir, cfg.lock_timeout)?;
        let state = StateFile::load(&cfg.data_dir).map_err(Exit::failure)?;
        let now = Utc::now();
        if let Some(until) = state.state.rate_limited_until
            && until > now
        {
            return Err(Exit::from(SourceError::RateLimited {
                resume_at: until,
                at_reserve: false,
            }));
        }
        if let Some(b) = state.state.budget
            && b.resets_at > now
            && effective_reserve(reserve, b.limit) > 0
            && b.remaining <= effective_reserve(reserve, b.limit)
        {
            crate::info!(
                "{} requests left this hour, the reserve is {}: leaving them to the timers",
                b.remaining,
                effective_reserve(reserve, b.limit)
            );
            return Err(Exit::from(SourceError::RateLimited {
                resume_at: b.resets_at,
                at_reserve: b.remaining > 0,
            }));
        }
        let tokens = TokenStore::load(&cfg.data_dir).map_err(Exit::from)?;
        let mut client = Client::new(&cfg.api_base, OAuthClient::from_config(&cfg), tokens);
        client.reserve = reserve;
        if let Some(b) = state.state.budget
            && b.resets_at > now
        {
            client.quota.remaining = Some(b.remaining);
            client.quota.reset_at = Some(b.resets_at);
            client.quota.limit = b.limit;
        }
        let source: Box<dyn Source> = Box::new(FitbitSource { client });
        let sink: Box<dyn Sink> = match (&cfg.victoria, cfg.dry_run) {
            (_, true) => Box::new(Stdout),
            (Some((url, auth)), false) => Box::new(Victoria::new(url, auth.clone())),
            (None, false) => return Err(Exit::usage("VICTORIA_ENDPOINT is not set")),
        };
        let tz = cfg.timezone.unwrap_or(chrono_tz::UTC);
        let mut p = Pipeline::assemble(cfg, state, source, sink, tz, lock);
        if !p.cfg.dry_run {
            p.replay_spool()?;
        }
        if let Err(e) = p.prepare() {
            return Err(p.fail(e));
        }
        Ok(p)
    }

    fn prepare(&mut self) -> Result<(), SourceError> {
        let fresh = self
            .state
            .state
            .profile_checked_at
            .is_some_and(|t| self.now - t < Duration::hours(24));
        let cached = self.state.state.profile_timezone.is_some() && fresh;
        if !cached {
            // Also with SYNCBIT_TIMEZONE: the profile gives the account's first day.
            match self.source.profile() {
                Ok(profile) => {
                    if let Some(old) = &self.state.state.profile_timezone
                        && *old != profile.timezone
                    {
                        crate::info!(
                            "the Fitbit profile time zone changed from {old} to {}",
                            profile.timezone
                        );
                    }
                    self.state.state.profile_timezone = Some(profile.timezone);
                    self.state.state.member_since = profile.member_since;
                    self.state.state.profile_checked_at = Some(self.now);
                }
                Err(SourceError::Forbidden(m)) if self.cfg.timezone.is_some() => {
                    crate::warn!("{m}; using SYNCBIT_TIMEZONE without the account's first day");
                }
                Err(e) => return Err(e),
            }
        }
        if self.cfg.timezone.is_none() {
            let name = self
                .state
                .state
                .profile_timezone
                .clone()
                .unwrap_or_default();
            let tz = name.parse().map_err(|_| {
                SourceError::Invalid(format!(
                    "the Fitbit profile's time zone {name:?} is unknown; set SYNCBIT_TIMEZONE"
                ))
            })?;
            self.cal = Calendar::new(tz);
        }
        if let (Some(forced), Some(profile)) = (
            self.cfg.timezone,
            self.state.state.profile_timezone.as_deref(),
        ) && forced.name() != profile
            && !(self.state.state.daily.is_empty() && self.state.state.intraday.is_empty())
        {
            crate::warn!(
                "SYNCBIT_TIMEZONE={} differs from the profile zone {profile}: days written before were \
                 stamped at {profile} midnight, new ones at {} midnight",
                forced.name(),
                forced.name()
            );
        }
        crate::debug!("user time zone: {}", self.cal.tz);
        match self.source.devices() {
            Ok(devices) => {
                // The tracker's sync decides what is final, not a scale's or a phone's.
                let trackers: Vec<&crate::source::Device> =
                    devices.iter().filter(|d| d.is_tracker).collect();
                let deciding = if trackers.is_empty() {
                    devices.iter().collect()
                } else {
                    trackers
                };
                self.last_sync_ms = deciding
                    .iter()
                    .filter_map(|d| d.last_sync.and_then(|t| self.cal.local_ms(t)))
                    .max();
                self.devices = devices;
            }
            Err(SourceError::Forbidden(m) | SourceError::Invalid(m)) => {
                crate::warn!(
                    "{m}; without the device's last sync time a day counts as complete one day after it ends"
                );
            }
            Err(e) => return Err(e),
        }
        if self.last_sync_ms.is_none() {
            crate::debug!("no device reported a last sync time");
        }
        Ok(())
    }

    /// A pipeline that makes no request (for `backfill --plan`): lock and state, the calendar
    /// of `SYNCBIT_TIMEZONE` or the cached profile zone (UTC when neither is known).
    ///
    /// Errors: the lock or the state file.
    pub fn offline(cfg: Config) -> Result<Pipeline, Exit> {
        crate::config::check_dir(&cfg.data_dir)?;
        let lock = lock_dir(&cfg.data_dir, cfg.lock_timeout)?;
        let state = StateFile::load(&cfg.data_dir).map_err(Exit::failure)?;
        let tz = cfg.timezone.or_else(|| {
            state
                .state
                .profile_timezone
                .as_deref()
                .and_then(|t| t.parse().ok())
        });
        if tz.is_none() {
            crate::warn!(
                "the user's time zone is not known yet (no run has read the profile); planning in UTC"
            );
        }
        let tokens = TokenStore {
            path: cfg.data_dir.join(crate::source::fitbit::tokens::TOKEN_FILE),
            tokens: serde_json::from_str(r#"{"access_token":"","refresh_token":""}"#)
                .expect("empty tokens"),
        };
        let source: Box<dyn Source> = Box::new(FitbitSource {
            client: Client::new(&cfg.api_base, OAuthClient::from_config(&cfg), tokens),
        });
        let tz = tz.unwrap_or(chrono_tz::UTC);
        let mut p = Pipeline::assemble(cfg, state, source, Box::new(Stdout), tz, lock);
        // Planning assumes the tracker has synced recently (every past day is complete).
        p.last_sync_ms = Some(p.now.timestamp_millis());
        Ok(p)
    }

    fn assemble(
        cfg: Config,
        state: StateFile,
        source: Box<dyn Source>,
        sink: Box<dyn Sink>,
        tz: chrono_tz::Tz,
        lock: RunLock,
    ) -> Pipeline {
        Pipeline {
            cal: Calendar::new(tz),
            cfg,
            state,
            source,
            sink,
            now: Utc::now(),
            last_sync_ms: None,
            devices: Vec::new(),
            skipped: HashSet::new(),
            samples_written: 0,
            spool_seq: 0,
            _lock: lock,
        }
    }

    fn spool_dir(&self) -> PathBuf {
        self.cfg.data_dir.join("spool")
    }

    /// Push and record the batches a previous run fetched but could not finish.
    fn replay_spool(&mut self) -> Result<(), Exit> {
        let dir = self.spool_dir();
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Ok(());
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        for f in files {
            let spooled: Spooled = match std::fs::read(&f)
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok())
            {
                Some(s) => s,
                None => {
                    crate::warn!("ignoring unreadable spool file {}", f.display());
                    let _ = std::fs::remove_file(&f);
                    continue;
                }
            };
            let mut batch = Batch::new(&self.cfg.user, self.now.timestamp_millis());
            batch.text = spooled.text;
            batch.samples = spooled.samples;
            self.sink.push(&batch).map_err(|e| {
                Exit::failure(format!(
                    "{e}; data fetched earlier waits in {} and is written by the next run",
                    dir.display()
                ))
            })?;
            crate::info!("wrote {} samples fetched by an earlier run", batch.samples);
            self.samples_written += batch.samples;
            for r in spooled.records {
                self.record(r);
            }
            self.save()?;
            let _ = std::fs::remove_file(&f);
        }
        Ok(())
    }

    /// Save state after a source error and turn it into the process exit.
    fn fail(&mut self, e: SourceError) -> Exit {
        self.note_stop(&e);
        if let Err(err) = self.save() {
            return err;
        }
        Exit::from(e)
    }

    /// Put what a stopping error teaches about the budget into the state (not saved yet).
    fn note_stop(&mut self, e: &SourceError) {
        if let SourceError::RateLimited {
            resume_at,
            at_reserve: false,
        } = &e
        {
            // Spent: no run makes a request before the reset. (A stop at the reserve only saves
            // the budget, which each run checks against its own reserve.)
            self.state.state.rate_limited_until = Some(*resume_at);
        }
        self.remember_budget();
    }

    fn remember_budget(&mut self) {
        if let (Some(remaining), Some(resets_at)) =
            (self.source.budget_left(), self.source.budget_resets_at())
        {
            self.state.state.budget = Some(Budget {
                remaining,
                resets_at,
                limit: self.source.budget_limit(),
            });
        }
    }

    fn save(&self) -> Result<(), Exit> {
        if self.cfg.dry_run {
            return Ok(());
        }
        self.state
            .save()
            .map_err(|e| Exit::failure(format!("cannot write {}: {e}", self.state.path.display())))
    }

    /// Requests, samples, budget and the newest complete day per family so far, for the
    /// health metrics.
    pub fn stats(&self) -> crate::health::RunStats {
        let mut newest = Vec::new();
        for (kind, map) in [
            ("daily", &self.state.state.daily),
            ("intraday", &self.state.state.intraday),
        ] {
            let mut best: BTreeMap<&str, NaiveDate> = Default::default();
            for (day, items) in map {
                for (k, p) in items {
                    if p.status == Status::Complete {
                        best.insert(k.as_str(), *day);
                    }
                }
            }
            for (k, d) in best {
                newest.push((kind, k.to_string(), self.cal.day_start_ms(d) / 1000));
            }
        }
        crate::health::RunStats {
            requests: self.source.requests(),
            samples: self.samples_written,
            budget_left: self.source.budget_left(),
            newest_complete: newest,
        }
    }

    /// The user's calendar date now.
    pub fn today(&self) -> NaiveDate {
        self.cal.today(self.now)
    }

    /// The account's first day, when known.
    pub fn member_since(&self) -> Option<NaiveDate> {
        self.state.state.member_since
    }

    /// Whether `day` is final: the device synced past its end (or, without device
    /// information, the day ended more than 24 hours ago).
    pub fn is_complete(&self, day: NaiveDate) -> bool {
        let end = self.cal.day_end_ms(day);
        match self.last_sync_ms {
            Some(ls) => ls >= end,
            None => end + 86_400_000 <= self.now.timestamp_millis(),
        }
    }

    /// The newest instant whose data may be written: the device's last sync, else 24 hours
    /// ago (the API zero-fills minutes that have not synced; writing those zeros would hide the
    /// real values behind the watermark).
    fn cutoff_ms(&self) -> i64 {
        let now = self.now.timestamp_millis();
        match self.last_sync_ms {
            Some(ls) => ls.min(now),
            None => now - 86_400_000,
        }
    }

    /// Whether a daily family is complete on `day`.
    pub fn daily_done(&self, f: Family, day: NaiveDate) -> bool {
        self.state
            .state
            .daily_progress(day, f.key())
            .is_some_and(|p| p.status == Status::Complete)
    }

    /// Whether an intraday resource is complete on `day`.
    pub fn intraday_done(&self, r: Resource, day: NaiveDate) -> bool {
        self.state
            .state
            .intraday_progress(day, r.key())
            .is_some_and(|p| p.status == Status::Complete)
    }

    /// Requests `job` costs.
    pub fn cost(&self, job: Job) -> u64 {
        match job {
            Job::DailyRange(f, _, _) => self.source.range_cost(f),
            Job::Devices => 0,
            _ => 1,
        }
    }

    /// Daily jobs for the days of `days` that are not complete yet, per family: contiguous
    /// runs of missing days become date-range requests chunked to each endpoint's maximum
    /// (short runs of activity use the per-day summary, which is cheaper there). Newest first.
    pub fn plan_daily(&self, days: &[NaiveDate]) -> Vec<Job> {
        self.plan_daily_with(days, true)
    }

    /// [`Pipeline::plan_daily`], optionally ignoring what the state says is done.
    pub fn plan_daily_with(&self, days: &[NaiveDate], skip_done: bool) -> Vec<Job> {
        let mut jobs = Vec::new();
        for &f in &self.cfg.families {
            let mut missing: Vec<NaiveDate> = days
                .iter()
                .copied()
                .filter(|d| self.is_complete(*d) && !(skip_done && self.daily_done(f, *d)))
                .collect();
            missing.sort();
            missing.dedup();
            let mut runs: Vec<(NaiveDate, NaiveDate)> = Vec::new();
            for d in missing {
                match runs.last_mut() {
                    Some((_, end)) if *end + Duration::days(1) == d => *end = d,
                    _ => runs.push((d, d)),
                }
            }
            let max = i64::from(self.source.max_range_days(f).max(1));
            for (start, end) in runs.into_iter().rev() {
                let len = (end - start).num_days() + 1;
                if f == Family::Activity && (len as usize) < ACTIVITY_RANGE_MIN_DAYS {
                    let mut d = end;
                    while d >= start {
                        jobs.push(Job::Daily(f, d));
                        d -= Duration::days(1);
                    }
                    continue;
                }
                let mut chunk_end = end;
                while chunk_end >= start {
                    let chunk_start = (chunk_end - Duration::days(max - 1)).max(start);
                    jobs.push(Job::DailyRange(f, chunk_start, chunk_end));
                    chunk_end = chunk_start - Duration::days(1);
                }
            }
        }
        jobs
    }

    /// Intraday jobs for the days of `days` (newest first) not complete yet.
    pub fn plan_intraday(&self, days: &[NaiveDate]) -> Vec<Job> {
        self.plan_intraday_with(days, true)
    }

    /// [`Pipeline::plan_intraday`], optionally ignoring what the state says is done.
    pub fn plan_intraday_with(&self, days: &[NaiveDate], skip_done: bool) -> Vec<Job> {
        let mut days = days.to_vec();
        days.sort();
        days.dedup();
        let mut jobs = Vec::new();
        for d in days.into_iter().rev() {
            for &r in &self.cfg.intraday_resources {
                if !(skip_done && self.intraday_done(r, d)) {
                    jobs.push(Job::Intraday(r, d));
                }
            }
        }
        jobs
    }

    /// The detail level of an intraday resource.
    pub fn detail(&self, r: Resource) -> Detail {
        if r == Resource::HeartRate {
            self.cfg.heart_rate_detail
        } else {
            self.cfg.intraday_detail
        }
    }

    /// Recent days for `sync`/`sync-intraday`: yesterday and (with INCLUDE_TODAY_DATA) today,
    /// plus the days since the oldest day this kind of data was ever written, at most 7 days
    /// back. Oldest first.
    pub fn recent_days(&self, intraday: bool) -> Vec<NaiveDate> {
        let today = self.today();
        let yesterday = today.pred_opt().expect("date");
        let map = if intraday {
            &self.state.state.intraday
        } else {
            &self.state.state.daily
        };
        let oldest_known = map.keys().next().copied().or(if intraday {
            None
        } else {
            self.state.state.daily_complete_through
        });
        let week_ago = today - Duration::days(6);
        let first = match oldest_known {
            Some(d) => d.max(week_ago).min(yesterday),
            None => yesterday,
        };
        let last = if self.cfg.include_today {
            today
        } else {
            yesterday
        };
        let floor = self.member_since().unwrap_or(NaiveDate::MIN);
        first
            .iter_days()
            .take_while(|d| *d <= last)
            .filter(|d| *d >= floor)
            .collect()
    }

    /// Fetch, format, push and record `jobs`. Progress goes to a bar on a terminal, else to log
    /// lines, labelled `what`.
    ///
    /// Errors: exit 75/77/69/1 per [`SourceError`]; exit 1 when a push fails (the batch waits
    /// in the spool for the next run).
    pub fn run(&mut self, jobs: Vec<Job>, what: &str) -> Result<Summary, Exit> {
        let mut summary = Summary::default();
        let total_cost: u64 = jobs.iter().map(|j| self.cost(*j)).sum();
        let mut done_cost = 0u64;
        let bar = progress_bar(total_cost, what);
        let mut batch = Batch::new(&self.cfg.user, self.now.timestamp_millis());
        let mut pending: Vec<Record> = Vec::new();
        let mut spooled: Vec<PathBuf> = Vec::new();
        let mut queue: std::collections::VecDeque<(Job, bool)> =
            jobs.into_iter().map(|j| (j, false)).collect();
        let mut stop: Option<SourceError> = None;
        while let Some((job, halved)) = queue.pop_front() {
            let skip_key = match job {
                Job::Daily(f, _) | Job::DailyRange(f, _, _) => f.key(),
                Job::Intraday(r, _) => r.key(),
                Job::Devices => "devices",
            };
            if self.skipped.contains(skip_key) {
                continue;
            }
            let cost = self.cost(job);
            if cost > 1 && !self.source.can_afford(cost) {
                // A multi-request job is fetched whole or not at all, so no request is wasted.
                stop = Some(SourceError::RateLimited {
                    resume_at: self
                        .source
                        .budget_resets_at()
                        .unwrap_or(self.now + Duration::hours(1)),
                    at_reserve: true,
                });
                break;
            }
            let mut job_batch = Batch::new(&self.cfg.user, self.now.timestamp_millis());
            match self.one(job, &mut job_batch) {
                Ok(records) => {
                    if !records.is_empty() || !job_batch.is_empty() {
                        if let Some(path) = self.spool(&records, &job_batch)? {
                            spooled.push(path);
                        }
                        batch.text.push_str(&job_batch.text);
                        batch.samples += job_batch.samples;
                        pending.extend(records);
                    }
                }
                Err(SourceError::Forbidden(m)) => {
                    crate::warn!(
                        "{m}; skipping {skip_key} for this run (turn it off in the configuration to save the request)"
                    );
                    self.skipped.insert(skip_key.to_string());
                }
                Err(SourceError::TooManyPoints(m)) => match job {
                    Job::DailyRange(f, a, b) if !halved && a < b => {
                        let mid = a + Duration::days((b - a).num_days() / 2);
                        crate::info!("{m}; trying {a}..{mid} and the rest separately");
                        queue.push_front((Job::DailyRange(f, mid + Duration::days(1), b), true));
                        queue.push_front((Job::DailyRange(f, a, mid), true));
                    }
                    _ => {
                        stop = Some(SourceError::TooManyPoints(format!(
                            "{m}, also after halving the range"
                        )));
                        break;
                    }
                },
                Err(e) => {
                    stop = Some(e);
                    break;
                }
            }
            if batch.samples >= BATCH_SAMPLES {
                self.flush(&mut batch, &mut pending, &mut spooled, &mut summary)?;
            }
            done_cost += cost;
            if let Some(b) = &bar {
                b.inc(cost);
            } else if !matches!(job, Job::Devices) {
                crate::debug!("{what}: done {job:?}");
                // Without a terminal (the journal), a line at every tenth of a long run.
                let tenth = (total_cost / 10).max(1);
                if total_cost >= 50 && done_cost / tenth != (done_cost - cost) / tenth {
                    crate::info!("{what}: {done_cost} of {total_cost} requests done");
                }
            }
        }
        if let Some(e) = stop {
            if let Some(b) = &bar {
                b.abandon();
            }
            // The pause and budget go into the state first, so that even a failing push below
            // (which saves the state too) keeps the next run from spending requests.
            self.note_stop(&e);
            self.flush(&mut batch, &mut pending, &mut spooled, &mut summary)?;
            crate::info!(
                "{what}: stopped after {} samples written and {} Fitbit requests",
                summary.samples,
                self.source.requests()
            );
            return Err(self.fail(e));
        }
        self.flush(&mut batch, &mut pending, &mut spooled, &mut summary)?;
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        self.state.state.rate_limited_until = None;
        self.remember_budget();
        if !self.cfg.dry_run && summary.jobs_done > 0 {
            self.state.state.last_sync = Some(Utc::now());
        }
        self.save()?;
        crate::info!(
            "{what}: {} samples {}, {} Fitbit requests{}",
            summary.samples,
            if self.cfg.dry_run {
                "printed (dry run)"
            } else {
                "written"
            },
            self.source.requests(),
            self.source
                .budget_left()
                .map(|b| format!(", {b} left this hour"))
                .unwrap_or_default()
        );
        Ok(summary)
    }

    /// Write one job's samples and records to the spool before anything is pushed, so a run
    /// that dies or cannot push leaves them for the next run instead of fetching them again.
    fn spool(&mut self, records: &[Record], batch: &Batch) -> Result<Option<PathBuf>, Exit> {
        if self.cfg.dry_run {
            return Ok(None);
        }
        self.spool_seq += 1;
        let dir = self.spool_dir();
        let path = dir.join(format!(
            "{}-{:06}.json",
            self.now.format("%Y%m%dT%H%M%S%.3f"),
            self.spool_seq
        ));
        let body = serde_json::to_vec(&Spooled {
            records: records.to_vec(),
            text: batch.text.clone(),
            samples: batch.samples,
        })
        .expect("spool serializes");
        crate::fsutil::ensure_dir(&dir)
            .and_then(|_| atomic_write(&path, &body))
            .map_err(|e| Exit::failure(format!("cannot write {}: {e}", path.display())))?;
        Ok(Some(path))
    }

    /// Push the batch, record its progress, drop its spool files.
    fn flush(
        &mut self,
        batch: &mut Batch,
        pending: &mut Vec<Record>,
        spooled: &mut Vec<PathBuf>,
        summary: &mut Summary,
    ) -> Result<(), Exit> {
        if pending.is_empty() && batch.is_empty() {
            return Ok(());
        }
        if let Err(e) = self.sink.push(batch) {
            self.save()?;
            if self.cfg.dry_run {
                return Err(Exit::failure(e.to_string()));
            }
            return Err(Exit::failure(format!(
                "{e}; the fetched data waits in {} and the next run writes it",
                self.spool_dir().display()
            )));
        }
        summary.samples += batch.samples;
        self.samples_written += batch.samples;
        batch.clear();
        summary.jobs_done += pending.len();
        if self.cfg.dry_run {
            pending.clear();
            return Ok(());
        }
        for r in pending.drain(..) {
            self.record(r);
        }
        self.save()?;
        for p in spooled.drain(..) {
            let _ = std::fs::remove_file(p);
        }
        Ok(())
    }

    fn record(&mut self, r: Record) {
        let st = &mut self.state.state;
        match r {
            Record::Daily {
                family,
                day,
                progress,
            } => {
                st.daily.entry(day).or_default().insert(family, progress);
            }
            Record::Intraday {
                resource,
                day,
                progress,
            } => {
                st.intraday
                    .entry(day)
                    .or_default()
                    .insert(resource, progress);
            }
            Record::Devices { written } => st.devices_written.extend(written),
        }
    }

    /// The record of one family's readings of one complete day, its samples appended to
    /// `batch`. A day that is not complete yet is neither written nor recorded: its values
    /// still change, and VictoriaMetrics cannot replace a sample once written (with
    /// deduplication an arbitrary one of two samples at one instant survives).
    fn daily_day(
        &self,
        family: Family,
        day: NaiveDate,
        readings: &[Reading],
        batch: &mut Batch,
    ) -> Result<Option<Record>, SourceError> {
        if !self.is_complete(day) {
            return Ok(None);
        }
        let (samples, _) = format::samples(&self.cal, readings);
        format::add_all(batch, &samples).map_err(|e| SourceError::Invalid(e.to_string()))?;
        Ok(Some(Record::Daily {
            family: family.key().to_string(),
            day,
            progress: Progress {
                status: Status::Complete,
                through_ms: None,
            },
        }))
    }

    /// Fetch and format one job into `batch`; the records to write once it is pushed.
    fn one(&mut self, job: Job, batch: &mut Batch) -> Result<Vec<Record>, SourceError> {
        let oops = |e: crate::sink::OutOfRange| SourceError::Invalid(e.to_string());
        match job {
            Job::Daily(family, day) => {
                if !self.is_complete(day) {
                    return Ok(vec![]);
                }
                let readings = self.source.daily(family, day)?;
                Ok(self
                    .daily_day(family, day, &readings, batch)?
                    .into_iter()
                    .collect())
            }
            Job::DailyRange(family, start, end) => {
                if !self.is_complete(start) {
                    return Ok(vec![]);
                }
                let readings = self.source.daily_range(family, start, end)?;
                let mut by_day: BTreeMap<NaiveDate, Vec<Reading>> = BTreeMap::new();
                for r in readings {
                    if let At::Day(d) = r.at {
                        by_day.entry(d).or_default().push(r);
                    }
                }
                let mut records = Vec::new();
                for day in start.iter_days().take_while(|d| *d <= end) {
                    let readings = by_day.remove(&day).unwrap_or_default();
                    records.extend(self.daily_day(family, day, &readings, batch)?);
                }
                Ok(records)
            }
            Job::Intraday(resource, day) => {
                let cutoff = self.cutoff_ms();
                if self.cal.day_start_ms(day) > cutoff {
                    return Ok(vec![]);
                }
                let detail = self.detail(resource);
                let readings = self.source.intraday(resource, day, detail)?;
                let (series, dropped) = format::samples(&self.cal, &readings);
                if dropped.nonexistent > 0 || dropped.duplicate > 0 {
                    crate::info!(
                        "{day} {resource}: dropped {} local times that do not exist (DST) and {} repeated instants",
                        dropped.nonexistent,
                        dropped.duplicate
                    );
                }
                let before = self.state.state.intraday_progress(day, resource.key());
                let after = before.and_then(|p| p.through_ms);
                let span = match detail {
                    Detail::Sec1 => 0,
                    Detail::Min1 => 60_000,
                    Detail::Min5 => 300_000,
                    Detail::Min15 => 900_000,
                };
                let mut through = after;
                for s in series {
                    if after.is_some_and(|a| s.ts_ms <= a) || s.ts_ms + span > cutoff {
                        continue;
                    }
                    batch
                        .add(s.metric, &s.labels, s.value, s.ts_ms)
                        .map_err(oops)?;
                    through = Some(s.ts_ms);
                }
                let status = if self.is_complete(day) {
                    Status::Complete
                } else {
                    Status::Partial
                };
                Ok(vec![Record::Intraday {
                    resource: resource.key().to_string(),
                    day,
                    progress: Progress {
                        status,
                        through_ms: through,
                    },
                }])
            }
            Job::Devices => {
                let mut written = BTreeMap::new();
                for d in &self.devices {
                    let Some(ls) = d.last_sync.and_then(|t| self.cal.local_ms(t)) else {
                        continue;
                    };
                    if self.state.state.devices_written.get(&d.id) == Some(&ls) {
                        continue;
                    }
                    let labels = [
                        ("device_id", d.id.clone()),
                        ("device_type", d.model.clone()),
                    ];
                    if let Some(b) = d.battery_percent {
                        batch
                            .add(Metric::DeviceBatteryPercent, &labels, b, ls)
                            .map_err(oops)?;
                    }
                    batch
                        .add(
                            Metric::DeviceLastSyncTimestamp,
                            &labels,
                            (ls / 1000) as f64,
                            ls,
                        )
                        .map_err(oops)?;
                    written.insert(d.id.clone(), ls);
                }
                Ok(if written.is_empty() {
                    vec![]
                } else {
                    vec![Record::Devices { written }]
                })
            }
        }
    }
}

fn progress_bar(len: u64, what: &str) -> Option<indicatif::ProgressBar> {
    if len < 2 || !std::io::stderr().is_terminal() || !crate::log::enabled(crate::log::Level::Info)
    {
        return None;
    }
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{prefix} [{bar:30}] {pos}/{len} requests, eta {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_prefix(what.to_string());
    Some(bar)
}
