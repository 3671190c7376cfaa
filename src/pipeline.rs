//! The one path every command takes: plan → fetch → format → push → record.
//!
//! Commands differ only in the jobs they plan. [`Pipeline::run`] fetches each job from the
//! [`Source`], formats its readings into a [`Batch`] (timestamps from the user's [`Calendar`],
//! cut at the device's last sync), pushes full batches to the [`Sink`], and records a job in
//! the state only after the sink accepted its samples. Any failure saves what was recorded and
//! ends the run with the matching exit code; nothing unpushed is ever marked done.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use std::collections::HashSet;
use std::io::IsTerminal;

use crate::calendar::Calendar;
use crate::config::Config;
use crate::error::{Exit, FAILURE, NOPERM, TEMPFAIL, UNAVAILABLE};
use crate::format;
use crate::fsutil::{RunLock, lock_dir};
use crate::metrics::Metric;
use crate::sink::{Batch, Sink, Stdout, victoria::Victoria};
use crate::source::fitbit::FitbitSource;
use crate::source::fitbit::client::Client;
use crate::source::fitbit::tokens::{OAuthClient, TokenStore};
use crate::source::{Detail, Family, Resource, Source, SourceError};
use crate::state::{Progress, StateFile, Status};

/// Samples per push (about 4 MB of text before gzip).
pub const BATCH_SAMPLES: usize = 50_000;

/// One unit of work: one family or resource of one day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Job {
    /// A daily family of one day.
    Daily(Family, NaiveDate),
    /// An intraday resource of one day.
    Intraday(Resource, NaiveDate),
    /// Battery and last sync of the paired devices.
    Devices,
}

/// What a run did.
#[derive(Debug, Default)]
pub struct Summary {
    /// Samples pushed (or printed with `--dry-run`).
    pub samples: usize,
    /// Jobs recorded.
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
    _lock: RunLock,
}

/// Map a source error to the process exit, after state was saved.
fn exit_for(e: SourceError) -> Exit {
    match e {
        SourceError::RateLimited { resume_at } => Exit::new(
            TEMPFAIL,
            format!(
                "Fitbit rate limit reached; progress is saved and the next run can resume after {} ({})",
                resume_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                resume_at.with_timezone(&chrono::Local).format("%H:%M %Z")
            ),
        ),
        SourceError::Gone => Exit::new(UNAVAILABLE, e.to_string()),
        SourceError::Unauthorized(m) => Exit::new(NOPERM, m),
        SourceError::Unavailable(m) => Exit::new(TEMPFAIL, m),
        SourceError::Forbidden(m) | SourceError::Invalid(m) => Exit::new(FAILURE, m),
    }
}

impl Pipeline {
    /// Take the lock, load state, authorize, learn the user's time zone and the device's last
    /// sync. `reserve`: calls of the hour's budget to leave unused.
    ///
    /// Errors: exit 75 while a saved rate-limit pause lasts (no request is made), 77 without
    /// tokens, and the exits of [`SourceError`].
    pub fn open(cfg: Config, reserve: u64) -> Result<Pipeline, Exit> {
        crate::config::check_dir(&cfg.data_dir)?;
        let lock = lock_dir(&cfg.data_dir, cfg.lock_timeout)?;
        let state = StateFile::load(&cfg.data_dir).map_err(Exit::failure)?;
        let now = Utc::now();
        if let Some(until) = state.state.rate_limited_until
            && until > now
        {
            return Err(exit_for(SourceError::RateLimited { resume_at: until }));
        }
        let tokens = TokenStore::load(&cfg.data_dir).map_err(exit_for)?;
        let oauth = OAuthClient {
            client_id: cfg.client_id.clone().unwrap_or_default(),
            client_secret: cfg.client_secret.clone().unwrap_or_default(),
            token_url: format!("{}/oauth2/token", cfg.api_base),
            auth_url: cfg.auth_url.clone(),
            redirect_uri: cfg.redirect_uri.clone(),
        };
        let mut client = Client::new(&cfg.api_base, oauth, tokens);
        client.reserve = reserve;
        let source: Box<dyn Source> = Box::new(FitbitSource { client });
        let sink: Box<dyn Sink> = match (&cfg.victoria, cfg.dry_run) {
            (_, true) => Box::new(Stdout),
            (Some((url, auth)), false) => Box::new(Victoria::new(url, auth.clone())),
            (None, false) => return Err(Exit::usage("VICTORIA_ENDPOINT is not set")),
        };
        let mut p = Pipeline {
            cal: Calendar::new(cfg.timezone.unwrap_or(chrono_tz::UTC)),
            cfg,
            state,
            source,
            sink,
            now,
            last_sync_ms: None,
            devices: Vec::new(),
            skipped: HashSet::new(),
            samples_written: 0,
            _lock: lock,
        };
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
        if self.cfg.timezone.is_none() && !cached {
            let profile = self.source.profile()?;
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
        crate::debug!("user time zone: {}", self.cal.tz);
        match self.source.devices() {
            Ok(devices) => {
                self.last_sync_ms = devices
                    .iter()
                    .filter_map(|d| d.last_sync.and_then(|t| self.cal.local_ms(t)))
                    .max();
                self.devices = devices;
            }
            Err(SourceError::Forbidden(m)) => {
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

    /// Save state after a source error and turn it into the process exit.
    fn fail(&mut self, e: SourceError) -> Exit {
        if let SourceError::RateLimited { resume_at } = &e {
            self.state.state.rate_limited_until = Some(*resume_at);
        }
        if let Err(err) = self.save() {
            return err;
        }
        exit_for(e)
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
            let mut best: std::collections::BTreeMap<&str, NaiveDate> = Default::default();
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

    /// The newest instant whose data may be written (the device's last sync, else now).
    fn cutoff_ms(&self) -> i64 {
        self.last_sync_ms
            .unwrap_or_else(|| self.now.timestamp_millis())
            .min(self.now.timestamp_millis())
    }

    /// Whether `job` still needs work according to the state.
    pub fn is_done(&self, job: Job) -> bool {
        let p = match job {
            Job::Daily(f, d) => self.state.state.daily_progress(d, f.key()),
            Job::Intraday(r, d) => self.state.state.intraday_progress(d, r.key()),
            Job::Devices => None,
        };
        p.is_some_and(|p| p.status == Status::Complete)
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

    /// Fetch, format, push and record every job that is not done yet. Progress goes to a bar
    /// on a terminal, else to log lines, labelled `what`.
    ///
    /// Errors: exit 75/77/69/1 per [`SourceError`]; exit 1 when a push fails (the jobs it
    /// carried stay not done).
    pub fn run(&mut self, jobs: Vec<Job>, what: &str) -> Result<Summary, Exit> {
        let jobs: Vec<Job> = jobs.into_iter().filter(|j| !self.is_done(*j)).collect();
        let mut summary = Summary::default();
        let bar = progress_bar(jobs.len(), what);
        let mut batch = Batch::new(&self.cfg.user, self.now.timestamp_millis());
        let mut pending: Vec<(Job, Option<Progress>)> = Vec::new();
        let total = jobs.len();
        for (i, job) in jobs.into_iter().enumerate() {
            let skip_key = match job {
                Job::Daily(f, _) => f.key(),
                Job::Intraday(r, _) => r.key(),
                Job::Devices => "devices",
            };
            if self.skipped.contains(skip_key) {
                continue;
            }
            match self.one(job, &mut batch) {
                Ok(progress) => pending.push((job, progress)),
                Err(SourceError::Forbidden(m)) => {
                    crate::warn!(
                        "{m}; skipping {skip_key} for this run (turn it off in the configuration to save the request)"
                    );
                    self.skipped.insert(skip_key.to_string());
                }
                Err(e) => {
                    self.flush(&mut batch, &mut pending, &mut summary)?;
                    if let Some(b) = &bar {
                        b.abandon();
                    }
                    return Err(self.fail(e));
                }
            }
            if batch.samples >= BATCH_SAMPLES {
                self.flush(&mut batch, &mut pending, &mut summary)?;
            }
            match &bar {
                Some(b) => b.inc(1),
                None => {
                    if total > 8 && matches!(job, Job::Daily(..) | Job::Intraday(..)) {
                        crate::debug!("{what}: {}/{total} {job:?}", i + 1);
                    }
                }
            }
        }
        self.flush(&mut batch, &mut pending, &mut summary)?;
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        self.state.state.rate_limited_until = None;
        if !self.cfg.dry_run && summary.jobs_done > 0 {
            self.state.state.last_sync = Some(Utc::now());
        }
        self.save()?;
        crate::info!(
            "{what}: {} samples written, {} Fitbit requests{}",
            summary.samples,
            self.source.requests(),
            self.source
                .budget_left()
                .map(|b| format!(", {b} left this hour"))
                .unwrap_or_default()
        );
        Ok(summary)
    }

    fn flush(
        &mut self,
        batch: &mut Batch,
        pending: &mut Vec<(Job, Option<Progress>)>,
        summary: &mut Summary,
    ) -> Result<(), Exit> {
        if pending.is_empty() && batch.is_empty() {
            return Ok(());
        }
        if let Err(e) = self.sink.push(batch) {
            let days: HashSet<NaiveDate> = pending
                .iter()
                .filter_map(|(j, _)| match j {
                    Job::Daily(_, d) | Job::Intraday(_, d) => Some(*d),
                    Job::Devices => None,
                })
                .collect();
            self.save()?;
            return Err(Exit::failure(format!(
                "{e}; {} day(s) stay not done and the next run writes them",
                days.len()
            )));
        }
        summary.samples += batch.samples;
        self.samples_written += batch.samples;
        batch.clear();
        if !self.cfg.dry_run {
            for (job, progress) in pending.drain(..) {
                self.record(job, progress);
                summary.jobs_done += 1;
            }
            self.save()?;
        } else {
            summary.jobs_done += pending.len();
            pending.clear();
        }
        Ok(())
    }

    fn record(&mut self, job: Job, progress: Option<Progress>) {
        let Some(p) = progress else { return };
        let st = &mut self.state.state;
        match job {
            Job::Daily(f, d) => {
                st.daily.entry(d).or_default().insert(f.key().into(), p);
            }
            Job::Intraday(r, d) => {
                st.intraday.entry(d).or_default().insert(r.key().into(), p);
            }
            Job::Devices => {
                if let Some(ms) = p.through_ms {
                    for dev in &self.devices {
                        st.devices_written.insert(dev.id.clone(), ms);
                    }
                }
            }
        }
    }

    /// Fetch and format one job into `batch`; the progress to record once it is pushed.
    fn one(&mut self, job: Job, batch: &mut Batch) -> Result<Option<Progress>, SourceError> {
        let oops = |e: crate::sink::OutOfRange| SourceError::Invalid(e.to_string());
        match job {
            Job::Daily(family, day) => {
                let start = self.cal.day_start_ms(day);
                if start > self.cutoff_ms() {
                    return Ok(None); // nothing of this day has synced yet
                }
                let readings = self.source.daily(family, day)?;
                let (samples, _) = format::samples(&self.cal, &readings);
                let mut lines = Batch::new(&self.cfg.user, self.now.timestamp_millis());
                format::add_all(&mut lines, &samples).map_err(oops)?;
                let digest = digest(&lines.text);
                let before = self.state.state.daily_progress(day, family.key());
                if before.as_ref().and_then(|p| p.digest.as_deref()) != Some(digest.as_str()) {
                    batch.text.push_str(&lines.text);
                    batch.samples += lines.samples;
                }
                let status = if self.is_complete(day) {
                    Status::Complete
                } else {
                    Status::Partial
                };
                Ok(Some(Progress {
                    status,
                    through_ms: None,
                    digest: Some(digest),
                }))
            }
            Job::Intraday(resource, day) => {
                let start = self.cal.day_start_ms(day);
                let cutoff = self.cutoff_ms();
                if start > cutoff {
                    return Ok(None);
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
                let after = before.and_then(|p| p.through_ms).unwrap_or(i64::MIN);
                let span = match detail {
                    Detail::Sec1 => 0,
                    Detail::Min1 => 60_000,
                    Detail::Min5 => 300_000,
                    Detail::Min15 => 900_000,
                };
                let mut through = None;
                for s in series {
                    if s.ts_ms <= after || s.ts_ms + span > cutoff {
                        continue;
                    }
                    batch
                        .add(s.metric, &s.labels, s.value, s.ts_ms)
                        .map_err(oops)?;
                    through = Some(s.ts_ms);
                }
                let complete = self.is_complete(day);
                let through_ms = through.or(if after == i64::MIN { None } else { Some(after) });
                Ok(Some(Progress {
                    status: if complete {
                        Status::Complete
                    } else {
                        Status::Partial
                    },
                    through_ms,
                    digest: None,
                }))
            }
            Job::Devices => {
                let Some(ms) = self.last_sync_ms else {
                    return Ok(None);
                };
                let mut any = false;
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
                    any = true;
                }
                Ok(any.then_some(Progress {
                    status: Status::Complete,
                    through_ms: Some(ms),
                    digest: None,
                }))
            }
        }
    }
}

/// A stable digest (FNV-1a, 64 bit, hex) of formatted lines.
fn digest(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

fn progress_bar(len: usize, what: &str) -> Option<indicatif::ProgressBar> {
    if len < 2 || !std::io::stderr().is_terminal() || !crate::log::enabled(crate::log::Level::Info)
    {
        return None;
    }
    let bar = indicatif::ProgressBar::new(len as u64);
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
