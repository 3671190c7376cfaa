//! The engine: the one path every command takes.
//!
//! ```text
//!  plan (pure)          source.plan       source.fetch (stream)    format      journal → push → record
//!  state + calendar ──► gaps ──────────► requests ────────────► readings ──► samples ──► spool → sink ──► state
//!  + clock + account                 (costs, range caps,                                  └ push failed: nothing
//!                                     pagination, quota:                                    marked done, the
//!                                     the source's business)                                spool waits
//! ```
//!
//! - [`plan`] turns the state, the user's calendar, the clock, the run options and what the
//!   account says into [`Gap`]s; commands differ only there.
//! - The [`Source`] plans its own [`Request`]s for the gaps and yields each one's readings as
//!   a stream; the engine stamps them (daily values at local midnight, instants as they are),
//!   keeps only what is final or synced, and flushes a batch every [`BATCH_SAMPLES`] samples,
//!   even inside one long response.
//! - Every batch goes to the [`journal`] before it is pushed; its progress is recorded in the
//!   state only after the [`Sink`] accepted it.
//!
//! The engine never names a concrete source or sink: `cmd` builds them from the configuration.

pub mod journal;
pub mod plan;
pub mod progress;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use crate::calendar::Calendar;
use crate::config::Run;
use crate::error::Exit;
use crate::fsutil::{RunLock, lock_dir};
use crate::metrics::Metric;
use crate::sink::{Batch, Sink};
use crate::source::{At, Device, Gap, Reading, Request, Series, Source, SourceError};
use crate::state::{Book, Progress as Done, StateFile, Status};
use journal::Journal;
pub use journal::Record;
use plan::Facts;
use progress::{Progress, count};

/// Samples per push (about 4 MB of text before gzip).
pub const BATCH_SAMPLES: usize = 50_000;

/// Samples per push of an import (about 8 MB of text): fewer requests and state saves for a
/// long stream, within the import's memory (two batches: one filled, one pushed).
pub const IMPORT_BATCH_SAMPLES: usize = 100_000;

/// The account is asked again after this long (time zone changes, first day).
const ACCOUNT_MAX_AGE_HOURS: i64 = 24;

/// What a pass did.
#[derive(Debug, Default)]
pub struct Summary {
    /// Samples pushed (or printed with `--dry-run`).
    pub samples: usize,
    /// Progress records written.
    pub jobs_done: usize,
    /// Requests that failed on their own and stay not done, as `resource day` or
    /// `family first..last`.
    pub failed: Vec<String>,
    /// One of them failed with server errors (try again later) rather than an answer that
    /// cannot be understood.
    pub failed_later: bool,
}

/// Consecutive requests failing with server errors after which the source counts as down.
const UNAVAILABLE_IN_A_ROW: usize = 3;

/// The exit for the requests that failed in `passes` (which wrote everything else): 75 when
/// one failed with server errors, else 1.
///
/// Errors: when any request failed.
pub fn failures(passes: &[&Summary]) -> Result<(), Exit> {
    let failed: Vec<&str> = passes
        .iter()
        .flat_map(|s| s.failed.iter().map(String::as_str))
        .collect();
    if failed.is_empty() {
        return Ok(());
    }
    let code = if passes.iter().any(|s| s.failed_later) {
        crate::error::TEMPFAIL
    } else {
        crate::error::FAILURE
    };
    Err(Exit::new(
        code,
        format!(
            "{} failed and {} not done ({}); the rest of the run was written, and the next run fetches only what failed",
            count(failed.len() as u64, "request"),
            if failed.len() == 1 { "stays" } else { "stay" },
            failed.join(", ")
        ),
    ))
}

/// Where a writer's batches go: pushed in place, or by a thread of their own.
enum Out {
    Direct(Box<dyn Sink>),
    Thread(Pusher),
}

/// A sink on its own thread (imports): while one batch is pushed, the next one is read and
/// formatted. Its progress is recorded only once the push of its batch succeeded.
struct Pusher {
    to: std::sync::mpsc::SyncSender<Batch>,
    from: std::sync::mpsc::Receiver<(Batch, Result<(), crate::sink::PushError>)>,
    /// The records and samples of the batch being pushed.
    in_flight: Option<(Vec<Record>, usize)>,
    /// A pushed batch, emptied, for the next one.
    spare: Option<Batch>,
}

impl Pusher {
    fn start(mut sink: Box<dyn Sink>) -> Pusher {
        let (to, batches) = std::sync::mpsc::sync_channel::<Batch>(0);
        let (done, from) = std::sync::mpsc::sync_channel(1);
        std::thread::spawn(move || {
            for b in batches {
                let r = sink.push(&b);
                if done.send((b, r)).is_err() {
                    break;
                }
            }
        });
        Pusher {
            to,
            from,
            in_flight: None,
            spare: None,
        }
    }
}

/// Pushes batches and records their progress.
struct Writer {
    /// The source id the journalled records belong to.
    source: &'static str,
    out: Out,
    journal: Journal,
    batch: Batch,
    records: Vec<Record>,
    paths: Vec<PathBuf>,
    dry_run: bool,
    /// Whether batches go to the journal before the push (an import's data stays in the
    /// export, so it is read again instead).
    spool: bool,
    samples_written: usize,
}

impl Writer {
    /// Journal one fetched piece, then queue it for the next push.
    fn queue(&mut self, records: Vec<Record>, piece: &mut Batch) -> Result<(), Exit> {
        if records.is_empty() && piece.is_empty() {
            return Ok(());
        }
        if !self.dry_run && self.spool {
            let path = self
                .journal
                .write(self.source, &records, &piece.text, piece.samples)
                .map_err(Exit::failure)?;
            self.paths.push(path);
        }
        self.batch.text.push_str(&piece.text);
        self.batch.samples += piece.samples;
        piece.clear();
        self.records.extend(records);
        Ok(())
    }

    /// Push what is queued, record its progress, save the state, drop its journal files. With
    /// a push thread: record the batch pushed before, and hand this one to the thread.
    ///
    /// Errors: exit 1 when the sink refuses or is unreachable (the journal keeps the data) or
    /// the state cannot be written.
    fn flush(
        &mut self,
        state: &mut StateFile,
        source: &str,
        summary: &mut Summary,
    ) -> Result<(), Exit> {
        if let Out::Thread(_) = self.out {
            self.settle(state, source, summary)?;
        }
        if self.records.is_empty() && self.batch.is_empty() {
            return Ok(());
        }
        let pushed = match &mut self.out {
            Out::Direct(sink) => sink.push(&self.batch),
            Out::Thread(p) => {
                let next = p.spare.take().unwrap_or_else(|| self.batch.fresh());
                let batch = std::mem::replace(&mut self.batch, next);
                let samples = batch.samples;
                if p.to.send(batch).is_err() {
                    return Err(Exit::failure(
                        "the push thread ended; the next run writes it",
                    ));
                }
                p.in_flight = Some((std::mem::take(&mut self.records), samples));
                return Ok(());
            }
        };
        if let Err(e) = pushed {
            return Err(self.push_failed(e));
        }
        let samples = self.batch.samples;
        self.batch.clear();
        let records = std::mem::take(&mut self.records);
        self.accept(state, source, summary, records, samples)
    }

    /// Wait for the batch the push thread holds, and record it.
    ///
    /// Errors: exit 1 when its push failed or the state cannot be written.
    fn settle(
        &mut self,
        state: &mut StateFile,
        source: &str,
        summary: &mut Summary,
    ) -> Result<(), Exit> {
        let Out::Thread(p) = &mut self.out else {
            return Ok(());
        };
        let Some((records, samples)) = p.in_flight.take() else {
            return Ok(());
        };
        let Ok((mut back, pushed)) = p.from.recv() else {
            return Err(Exit::failure(
                "the push thread ended; the next run writes it",
            ));
        };
        back.clear();
        p.spare = Some(back);
        if let Err(e) = pushed {
            return Err(self.push_failed(e));
        }
        self.accept(state, source, summary, records, samples)
    }

    /// Record the batch the push thread holds if its push is over, without waiting: the state
    /// then lags VictoriaMetrics by as little as possible (a kill in between repeats the batch).
    ///
    /// Errors: exit 1 when its push failed or the state cannot be written.
    fn poll(
        &mut self,
        state: &mut StateFile,
        source: &str,
        summary: &mut Summary,
    ) -> Result<(), Exit> {
        let Out::Thread(p) = &mut self.out else {
            return Ok(());
        };
        if p.in_flight.is_none() {
            return Ok(());
        }
        match p.from.try_recv() {
            Ok(answer) => {
                let (records, samples) = p.in_flight.take().unwrap_or_default();
                let (mut back, pushed) = answer;
                back.clear();
                p.spare = Some(back);
                if let Err(e) = pushed {
                    return Err(self.push_failed(e));
                }
                self.accept(state, source, summary, records, samples)
            }
            Err(std::sync::mpsc::TryRecvError::Empty) => Ok(()),
            Err(std::sync::mpsc::TryRecvError::Disconnected) => Err(Exit::failure(
                "the push thread ended; the next run writes it",
            )),
        }
    }

    fn push_failed(&self, e: crate::sink::PushError) -> Exit {
        if self.dry_run {
            return Exit::failure(e.to_string());
        }
        let code = crate::interrupt::requested().unwrap_or(crate::error::FAILURE);
        let what = if code == crate::error::FAILURE {
            e.to_string()
        } else {
            format!("interrupted while pushing ({e})")
        };
        let then = if self.spool {
            format!(
                "the fetched data waits in {} and the next run writes it",
                self.journal.dir().display()
            )
        } else {
            "nothing of it is marked done, and the next run writes it".to_string()
        };
        Exit::new(code, format!("{what}; {then}"))
    }

    /// A pushed batch: count it, record its progress, save the state, drop its journal files.
    fn accept(
        &mut self,
        state: &mut StateFile,
        source: &str,
        summary: &mut Summary,
        records: Vec<Record>,
        samples: usize,
    ) -> Result<(), Exit> {
        summary.samples += samples;
        self.samples_written += samples;
        summary.jobs_done += records.len();
        if self.dry_run {
            return Ok(());
        }
        for r in records {
            record(state, source, r);
        }
        save(state)?;
        Journal::commit(&mut self.paths);
        Ok(())
    }
}

fn record(state: &mut StateFile, source: &str, r: Record) {
    let st = state.state.book_mut(source);
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
        Record::File {
            path,
            size,
            crc,
            through_ms,
            window,
        } => st.record_file(path, size, crc, through_ms, window),
        Record::Days {
            family,
            first,
            last,
        } => st.record_days(family, first, last),
    }
}

fn save(state: &StateFile) -> Result<(), Exit> {
    state
        .save()
        .map_err(|e| Exit::failure(format!("cannot write {}: {e}", state.path.display())))
}

/// Why fetching one request stopped.
enum Stop {
    /// The source failed.
    Source(SourceError),
    /// Writing failed (push, journal, state): the run ends.
    Exit(Exit),
}

impl From<SourceError> for Stop {
    fn from(e: SourceError) -> Stop {
        Stop::Source(e)
    }
}

impl From<Exit> for Stop {
    fn from(e: Exit) -> Stop {
        Stop::Exit(e)
    }
}

fn out_of_range(e: crate::sink::OutOfRange) -> SourceError {
    SourceError::Invalid(e.to_string())
}

/// The stamping and cut of one request's readings.
struct Cut<'a> {
    req: &'a Request,
    facts: &'a Facts,
    cutoff: i64,
    /// Intraday: the last instant written per day, in this run.
    through: BTreeMap<NaiveDate, i64>,
    /// The day whose bounds and watermark were looked up last (readings come in time order).
    day: Option<(NaiveDate, i64, i64, Option<i64>)>,
}

impl Cut<'_> {
    /// The timestamp to write `r` at, or `None` when it must not be written (outside the
    /// request's days, a day not final yet, not synced yet, or written before).
    fn stamp(&mut self, r: &Reading, book: &Book) -> Option<i64> {
        let cal = &self.facts.cal;
        match self.req.series {
            Series::Daily(_) => {
                let (day, ts) = match r.at {
                    At::Day(d) => (d, cal.day_start_ms(d)),
                    At::Instant(ms) => (cal.date_of_ms(ms), ms),
                };
                (day >= self.req.first && day <= self.req.last && self.facts.is_complete(day))
                    .then_some(ts)
            }
            Series::Intraday(resource, detail) => {
                let ms = match r.at {
                    At::Instant(ms) => ms,
                    At::Day(d) => cal.day_start_ms(d),
                };
                let (day, after) = match self.day {
                    Some((d, start, end, after)) if ms >= start && ms < end => (d, after),
                    _ => {
                        let d = cal.date_of_ms(ms);
                        let after = self.through.get(&d).copied().or_else(|| {
                            book.intraday_progress(d, resource.key())
                                .and_then(|p| p.through_ms)
                        });
                        self.day = Some((d, cal.day_start_ms(d), cal.day_end_ms(d), after));
                        (d, after)
                    }
                };
                if day < self.req.first
                    || day > self.req.last
                    || after.is_some_and(|a| ms <= a)
                    || ms + detail.span_ms() > self.cutoff
                {
                    return None;
                }
                self.through.insert(day, ms);
                if let Some(cur) = &mut self.day {
                    cur.3 = Some(ms);
                }
                Some(ms)
            }
        }
    }

    /// Intraday days written so far in this request, as partial progress.
    fn partial(&self) -> Vec<Record> {
        let Series::Intraday(resource, _) = self.req.series else {
            return Vec::new();
        };
        self.through
            .iter()
            .map(|(day, ms)| Record::Intraday {
                resource: resource.key().to_string(),
                day: *day,
                progress: Done {
                    status: Status::Partial,
                    through_ms: Some(*ms),
                },
            })
            .collect()
    }

    /// The progress of every day of the request once all of it was fetched.
    fn finished(&self, book: &Book) -> Vec<Record> {
        let days = self
            .req
            .first
            .iter_days()
            .take_while(|d| *d <= self.req.last);
        match self.req.series {
            Series::Daily(family) => days
                .filter(|d| self.facts.is_complete(*d))
                .map(|day| Record::Daily {
                    family: family.key().to_string(),
                    day,
                    progress: Done {
                        status: Status::Complete,
                        through_ms: None,
                    },
                })
                .collect(),
            Series::Intraday(resource, _) => days
                .filter(|d| self.facts.cal.day_start_ms(*d) <= self.cutoff)
                .map(|day| Record::Intraday {
                    resource: resource.key().to_string(),
                    day,
                    progress: Done {
                        status: if self.facts.is_complete(day) {
                            Status::Complete
                        } else {
                            Status::Partial
                        },
                        through_ms: self.through.get(&day).copied().or_else(|| {
                            book.intraday_progress(day, resource.key())
                                .and_then(|p| p.through_ms)
                        }),
                    },
                })
                .collect(),
        }
    }
}

/// An open run: lock held, state loaded, journal replayed, the account's calendar known.
pub struct Engine {
    /// The run options.
    pub opts: Run,
    /// The state file.
    pub state: StateFile,
    source: Box<dyn Source>,
    writer: Writer,
    /// What planning knows.
    pub facts: Facts,
    devices: Vec<Device>,
    skipped: HashSet<&'static str>,
    replayed: usize,
    _lock: RunLock,
}

impl Engine {
    /// Take the lock, load the state, let the source restore what it saved, push what the
    /// journal holds, and learn the account's time zone and the devices' last sync.
    ///
    /// Errors: exit 1 when the journal cannot be pushed, 75 while the source's saved pause
    /// lasts (no request is made), and the exits of [`SourceError`].
    pub fn open(run: Run, source: Box<dyn Source>, sink: Box<dyn Sink>) -> Result<Engine, Exit> {
        let mut e = Engine::assemble(run, source, sink)?;
        // Pushing what an earlier run fetched needs no request, so a saved pause does not
        // keep it waiting.
        //
        // It comes before the account binding is checked, on purpose: every journal file was
        // written by a run of this directory after its own check passed (or, in a directory
        // not bound yet, by the run whose account binds it next), so it holds the bound
        // account's data, formatted with this directory's `user` label. Pushing it with
        // another account's tokens present sends no request with them and writes nothing of
        // theirs; holding it back would only delay the bound account's data.
        if !e.opts.dry_run {
            e.replay()?;
        }
        e.source.ready().map_err(Exit::from)?;
        match e.prepare() {
            Ok(()) => {}
            Err(Stop::Source(err)) => return Err(e.fail(err)),
            // A foreign account: returned without saving, so the state stays as it was.
            Err(Stop::Exit(err)) => return Err(err),
        }
        Ok(e)
    }

    /// An engine that makes no request (for `backfill --plan`): the calendar of
    /// `SYNCBIT_TIMEZONE` or the cached account zone (UTC when neither is known), every past
    /// day taken as synced.
    ///
    /// Errors: the lock or the state file.
    pub fn offline(run: Run, source: Box<dyn Source>) -> Result<Engine, Exit> {
        let mut e = Engine::assemble(run, source, Box::new(crate::sink::Stdout))?;
        e.facts.last_sync_ms = Some(e.facts.now.timestamp_millis());
        Ok(e)
    }

    fn assemble(
        run: Run,
        mut source: Box<dyn Source>,
        sink: Box<dyn Sink>,
    ) -> Result<Engine, Exit> {
        crate::config::check_dir(&run.data_dir)?;
        let lock = lock_dir(&run.data_dir, run.lock_timeout)?;
        let state = StateFile::load(&run.data_dir).map_err(Exit::failure)?;
        source.restore(state.state.quota.get(source.id()));
        let now = Utc::now();
        let tz = run
            .timezone
            .or_else(|| {
                state
                    .state
                    .profile_timezone
                    .as_deref()
                    .and_then(|t| t.parse().ok())
            })
            .unwrap_or(chrono_tz::UTC);
        let facts = Facts {
            cal: Calendar::new(tz),
            now,
            last_sync_ms: None,
            first_day: state.state.member_since,
        };
        let writer = Writer {
            source: source.id(),
            out: Out::Direct(sink),
            journal: Journal::new(&run.data_dir, now.format("%Y%m%dT%H%M%S%.3f").to_string()),
            batch: Batch::new(&run.user, now.timestamp_millis()),
            records: Vec::new(),
            paths: Vec::new(),
            dry_run: run.dry_run,
            spool: true,
            samples_written: 0,
        };
        Ok(Engine {
            opts: run,
            state,
            source,
            writer,
            facts,
            devices: Vec::new(),
            skipped: HashSet::new(),
            replayed: 0,
            _lock: lock,
        })
    }

    /// What the chosen source has written, for planning.
    pub fn book(&self) -> &Book {
        self.state.state.book(self.source.id())
    }

    /// Whether the user's time zone is known (configured, or read from the account before).
    pub fn zone_known(&self) -> bool {
        self.opts.timezone.is_some() || self.state.state.profile_timezone.is_some()
    }

    /// The source, for what it can tell without a request (usage, pace, its plan).
    pub fn source(&self) -> &dyn Source {
        self.source.as_ref()
    }

    /// Check that the tokens belong to the directory's account before anything else is
    /// asked, or bind a directory that is not bound yet (saved with the run's first save).
    ///
    /// Every run asks the source, because tokens can be swapped between two runs while the
    /// cached account facts are a day old; the API sources answer from their token file,
    /// without a request, when it carries the id.
    ///
    /// Errors: `Stop::Exit` 77 for another account's tokens, 1 when a bound directory's
    /// tokens cannot be told apart (nothing may be written then); the source's errors.
    fn check_binding(&mut self) -> Result<(), Stop> {
        use crate::state::Binding;
        let id = self.source.id();
        let owner = self.source.owner()?;
        let st = &mut self.state.state;
        let Some(owner) = owner else {
            if let Some(bound) = &st.account_id {
                return Err(Stop::Exit(Exit::failure(format!(
                    "{} did not say which account the tokens belong to, and {} belongs to account {bound}; \
                     nothing was written, the next run tries again",
                    self.source.name(),
                    self.opts.data_dir.display()
                ))));
            }
            return Ok(());
        };
        match st.binding(id, &owner) {
            Binding::Same => {}
            Binding::Unbound | Binding::Moved if self.opts.dry_run => {}
            Binding::Unbound => {
                crate::debug!(
                    "{} now belongs to {id} account {}",
                    self.opts.data_dir.display(),
                    owner.id
                );
                st.bind(id, &owner);
            }
            Binding::Moved => {
                crate::info!(
                    "{} account {} is the account this directory belongs to; the binding now uses its {id} id",
                    st.account_id_source.as_deref().unwrap_or(id),
                    st.account_id.as_deref().unwrap_or_default()
                );
                st.bind(id, &owner);
            }
            Binding::Foreign(bound_source, bound) => {
                return Err(Stop::Exit(Exit::new(
                    crate::error::NOPERM,
                    format!(
                        "the tokens belong to {id} account {}, but {} belongs to {bound_source} account {bound}; \
                         nothing was written\nuse this account's own data directory (or profile), log in here \
                         with account {bound} (`syncbit auth login`), or start this directory over for the new \
                         account with `syncbit auth login --rebind` (forgets its progress)",
                        owner.id,
                        self.opts.data_dir.display()
                    ),
                )));
            }
        }
        if !self.opts.dry_run {
            self.source.keep_owner();
        }
        Ok(())
    }

    fn prepare(&mut self) -> Result<(), Stop> {
        self.check_binding()?;
        let st = &mut self.state.state;
        let fresh = st.account_from(self.source.id())
            && st
                .profile_checked_at
                .is_some_and(|t| self.facts.now - t < Duration::hours(ACCOUNT_MAX_AGE_HOURS));
        if !(st.profile_timezone.is_some() && fresh) {
            // Also with SYNCBIT_TIMEZONE: the account gives its first day.
            match self.source.account() {
                Ok(account) => {
                    if let Some(old) = &st.profile_timezone
                        && *old != account.timezone
                    {
                        crate::info!(
                            "the account's time zone changed from {old} to {}",
                            account.timezone
                        );
                    }
                    st.profile_timezone = Some(account.timezone);
                    st.member_since = account.first_day;
                    st.profile_checked_at = Some(self.facts.now);
                    st.account_source = Some(self.source.id().to_string());
                }
                Err(SourceError::Forbidden(m)) if self.opts.timezone.is_some() => {
                    crate::warn!("{m}; using SYNCBIT_TIMEZONE without the account's first day");
                }
                Err(e) => return Err(e.into()),
            }
        }
        self.facts.first_day = st.member_since;
        if self.opts.timezone.is_none() {
            let name = st.profile_timezone.clone().unwrap_or_default();
            let tz = name.parse().map_err(|_| {
                SourceError::Invalid(format!(
                    "{} reports the time zone {name:?}, which syncbit does not know; set SYNCBIT_TIMEZONE",
                    self.source.name()
                ))
            })?;
            self.facts.cal = Calendar::new(tz);
        }
        if let (Some(forced), Some(account)) = (self.opts.timezone, st.profile_timezone.as_deref())
            && forced.name() != account
            && !st.book(self.source.id()).is_empty()
        {
            crate::warn!(
                "SYNCBIT_TIMEZONE={} differs from the account's zone {account}: days written before were \
                 stamped at {account} midnight, new ones at {} midnight",
                forced.name(),
                forced.name()
            );
        }
        crate::debug!("user time zone: {}", self.facts.cal.tz);
        match self.source.devices(&self.facts.cal) {
            Ok(devices) => {
                // The tracker's sync decides what is final, not a scale's or a phone's.
                let trackers: Vec<&Device> = devices.iter().filter(|d| d.is_tracker).collect();
                let deciding = if trackers.is_empty() {
                    devices.iter().collect()
                } else {
                    trackers
                };
                self.facts.last_sync_ms = deciding.iter().filter_map(|d| d.last_sync_ms).max();
                if let Some(ls) = self.facts.last_sync_ms
                    && ls > self.facts.now.timestamp_millis() + 60_000
                {
                    crate::warn!(
                        "{} reports a device sync in the future ({}); is the device's or this machine's clock wrong? Counting it as now",
                        self.source.name(),
                        DateTime::from_timestamp_millis(ls)
                            .unwrap_or_default()
                            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                    );
                }
                self.devices = devices;
            }
            Err(SourceError::Forbidden(m) | SourceError::Invalid(m)) => {
                crate::warn!(
                    "{m}; without the device's last sync time a day counts as complete one day after it ends"
                );
            }
            Err(e) => return Err(e.into()),
        }
        if self.facts.last_sync_ms.is_none() {
            crate::debug!("no device reported a last sync time");
        }
        Ok(())
    }

    /// Push and record the batches a previous run fetched but could not finish, one journal
    /// file at a time, through the same flush as the run's own batches.
    fn replay(&mut self) -> Result<(), Exit> {
        for (path, entry) in self.writer.journal.pending() {
            let w = &mut self.writer;
            w.batch.text.push_str(&entry.text);
            w.batch.samples += entry.samples;
            w.records.extend(entry.records);
            w.paths.push(path);
            // Records go to the book of the source that fetched them, also after a switch.
            let id = entry.source.as_deref().unwrap_or(self.source.id());
            let mut summary = Summary::default();
            w.flush(&mut self.state, id, &mut summary)?;
            self.replayed += summary.samples;
        }
        Ok(())
    }

    /// Save the state with what the source wants kept (not with `--dry-run`).
    fn save(&mut self) -> Result<(), Exit> {
        if self.opts.dry_run {
            return Ok(());
        }
        let id = self.source.id().to_string();
        match self.source.memo() {
            Some(m) => {
                self.state.state.quota.insert(id, m);
            }
            None => {
                self.state.state.quota.remove(&id);
            }
        }
        save(&self.state)
    }

    /// Save the state after a source error and turn it into the process exit (a signal's
    /// exit when the error came from cutting a retry short).
    fn fail(&mut self, e: SourceError) -> Exit {
        if let Err(err) = self.save() {
            return err;
        }
        match crate::interrupt::requested() {
            Some(code) => interrupted(code, self.replayed),
            None => Exit::from(e),
        }
    }

    /// The requests the source would make for `gaps`.
    pub fn requests(&self, gaps: &[Gap]) -> Vec<Request> {
        self.source.plan(gaps)
    }

    /// Fetch, stamp, journal, push and record what fills `gaps` (and, with `devices`, the
    /// devices' battery and last sync). Progress goes to a bar on a terminal, else to log
    /// lines, labelled `what`.
    ///
    /// A request that fails on its own (an answer that cannot be understood, server errors
    /// after retries) stays not done, is named in a warning and in [`Summary::failed`]; the
    /// others go on ([`failures`] turns them into the exit). A scope the authorization lacks
    /// skips its series for the run. A spent quota, a refused authorization, a source that is
    /// gone, unreachable or failing three requests in a row, a local failure, or SIGINT/SIGTERM
    /// stop the pass: what was fetched is written first.
    ///
    /// Errors: the exits of [`SourceError`]; 130/143 after a signal; exit 1 when a push fails
    /// (the batch waits in the journal for the next run).
    pub fn run(&mut self, gaps: &[Gap], devices: bool, what: &str) -> Result<Summary, Exit> {
        let requests = self.source.plan(gaps);
        let mut progress = Progress::new(requests.iter().map(|r| r.cost).sum(), what);
        let mut summary = Summary::default();
        let mut stop: Option<SourceError> = None;
        let mut stopped_by = None;
        let mut unavailable_in_a_row = 0;
        for req in &requests {
            if let Some(code) = crate::interrupt::requested() {
                stopped_by = Some(code);
                break;
            }
            let key = req.series.key();
            if self.skipped.contains(key) {
                continue;
            }
            let fetched = self.fetch(req, &mut summary);
            if let Err(Stop::Source(_)) = &fetched
                && let Some(code) = crate::interrupt::requested()
            {
                // The failure is the signal's doing (a cut retry): the request stays not done.
                stopped_by = Some(code);
                break;
            }
            if !matches!(fetched, Err(Stop::Source(SourceError::Unavailable(_)))) {
                unavailable_in_a_row = 0;
            }
            match fetched {
                Ok(()) => {}
                Err(Stop::Exit(e)) => {
                    progress.abandon();
                    let _ = self.save();
                    return Err(e);
                }
                Err(Stop::Source(SourceError::Forbidden(m))) => {
                    crate::warn!(
                        "{m}; skipping {key} for this run (turn it off in the configuration to save the request)"
                    );
                    self.skipped.insert(key);
                }
                Err(Stop::Source(SourceError::Unavailable(m)))
                    if unavailable_in_a_row + 1 >= UNAVAILABLE_IN_A_ROW =>
                {
                    stop = Some(SourceError::Unavailable(format!(
                        "{m}; {UNAVAILABLE_IN_A_ROW} requests in a row failed, so the run stops here"
                    )));
                    break;
                }
                Err(Stop::Source(e)) if !e.stops_run() => {
                    let name = describe(req);
                    crate::warn!(
                        "{name}: {e}; it stays not done and the next run fetches it again"
                    );
                    if let SourceError::Unavailable(_) = e {
                        unavailable_in_a_row += 1;
                        summary.failed_later = true;
                    }
                    summary.failed.push(name);
                }
                Err(Stop::Source(e)) => {
                    stop = Some(e);
                    break;
                }
            }
            progress.advance(req.cost);
        }
        if devices && stop.is_none() && stopped_by.is_none() {
            let (records, mut piece) = self.devices_piece().map_err(|e| self.fail(e))?;
            self.writer.queue(records, &mut piece)?;
        }
        let flushed = self
            .writer
            .flush(&mut self.state, self.source.id(), &mut summary);
        if let Some(e) = stop {
            progress.abandon();
            // The source's pause goes into the state even when the push failed, so that the
            // next run does not spend requests before the quota is back.
            let saved = self.save();
            flushed?;
            saved?;
            crate::info!(
                "{what}: stopped after {} written and {} to {}",
                count(summary.samples as u64, "sample"),
                count(self.source.usage().requests, "request"),
                self.source.name()
            );
            return Err(Exit::from(e));
        }
        if let Err(e) = flushed {
            progress.abandon();
            let _ = self.save();
            return Err(e);
        }
        if let Some(code) = stopped_by {
            progress.abandon();
            self.save()?;
            let replayed = std::mem::take(&mut self.replayed);
            return Err(interrupted(code, summary.samples + replayed));
        }
        progress.finish();
        if !self.opts.dry_run && summary.jobs_done > 0 {
            self.state.state.last_sync = Some(Utc::now());
        }
        self.save()?;
        let usage = self.source.usage();
        let replayed = std::mem::take(&mut self.replayed);
        crate::info!(
            "{what}: {} {}{}, {} to {}{}",
            count((summary.samples + replayed) as u64, "sample"),
            if self.opts.dry_run {
                "printed (dry run)"
            } else {
                "written"
            },
            if replayed > 0 {
                format!(" ({replayed} of them fetched by an earlier run)")
            } else {
                String::new()
            },
            count(usage.requests, "request"),
            self.source.name(),
            usage
                .budget_left
                .map(|b| format!(", {b} left in its quota"))
                .unwrap_or_default()
        );
        Ok(summary)
    }

    /// Fetch one request and queue (and, past [`BATCH_SAMPLES`], push) its samples.
    fn fetch(&mut self, req: &Request, summary: &mut Summary) -> Result<(), Stop> {
        let facts = self.facts;
        let id = self.source.id();
        let cal = facts.cal;
        let mut piece = Batch::new(&self.opts.user, facts.now.timestamp_millis());
        let mut cut = Cut {
            req,
            facts: &facts,
            cutoff: facts.cutoff_ms(),
            through: BTreeMap::new(),
            day: None,
        };
        for item in self.source.fetch(req, &cal)? {
            let r = item?;
            if let Some(ts) = cut.stamp(&r, self.state.state.book(id)) {
                piece
                    .add(r.metric, &r.labels, r.value, ts)
                    .map_err(out_of_range)?;
            }
            if piece.samples >= BATCH_SAMPLES {
                // A long response: push what it gave so far, with the intraday progress it
                // carries, so that no source has to hold a year in memory and a crash after
                // this push repeats none of it.
                self.writer.queue(cut.partial(), &mut piece)?;
                self.writer.flush(&mut self.state, id, summary)?;
            }
        }
        self.writer
            .queue(cut.finished(self.state.state.book(id)), &mut piece)?;
        if self.writer.batch.samples >= BATCH_SAMPLES {
            self.writer.flush(&mut self.state, id, summary)?;
        }
        Ok(())
    }

    /// Battery and last sync of the devices whose last sync was not written yet.
    fn devices_piece(&self) -> Result<(Vec<Record>, Batch), SourceError> {
        let mut batch = Batch::new(&self.opts.user, self.facts.now.timestamp_millis());
        let mut written = BTreeMap::new();
        for d in &self.devices {
            let Some(ls) = d.last_sync_ms else {
                continue;
            };
            if self.book().devices_written.get(&d.id) == Some(&ls) {
                continue;
            }
            let labels = [
                ("device_id", d.id.clone()),
                ("device_type", d.model.clone()),
            ];
            if let Some(b) = d.battery_percent {
                batch
                    .add(Metric::DeviceBatteryPercent, &labels, b, ls)
                    .map_err(out_of_range)?;
            }
            batch
                .add(
                    Metric::DeviceLastSyncTimestamp,
                    &labels,
                    (ls / 1000) as f64,
                    ls,
                )
                .map_err(out_of_range)?;
            written.insert(d.id.clone(), ls);
        }
        let records = if written.is_empty() {
            vec![]
        } else {
            vec![Record::Devices { written }]
        };
        Ok((records, batch))
    }

    /// Requests, samples, budget and the newest complete day per family so far, for the
    /// health metrics.
    pub fn stats(&self) -> crate::health::RunStats {
        let mut newest = Vec::new();
        let book = self.book();
        for (kind, map) in [("daily", &book.daily), ("intraday", &book.intraday)] {
            let mut best: BTreeMap<&str, NaiveDate> = Default::default();
            for (day, items) in map {
                for (k, p) in items {
                    if p.status == Status::Complete {
                        best.insert(k.as_str(), *day);
                    }
                }
            }
            for (k, d) in best {
                newest.push((kind, k.to_string(), self.facts.cal.day_start_ms(d) / 1000));
            }
        }
        let usage = self.source.usage();
        crate::health::RunStats {
            requests: usage.requests,
            samples: self.writer.samples_written,
            budget_left: usage.budget_left,
            newest_complete: newest,
            skipped: {
                let mut s: Vec<&'static str> = self.skipped.iter().copied().collect();
                s.sort();
                s
            },
        }
    }

    /// When the run started.
    pub fn now(&self) -> DateTime<Utc> {
        self.facts.now
    }

    /// An engine for a source that makes no request (an account export): lock, state, and
    /// the journal of earlier runs pushed; its own batches skip the journal, since what they
    /// hold can be read again from the export. `run.timezone` is the user's zone.
    ///
    /// Errors: the lock, the state file, or a journal that cannot be pushed (exit 1).
    pub fn open_offline(
        run: Run,
        source: Box<dyn Source>,
        sink: Box<dyn Sink>,
    ) -> Result<Engine, Exit> {
        let mut e = Engine::assemble(run, source, sink)?;
        // The journal of earlier runs is pushed in place: its files go once their batch is in.
        if !e.opts.dry_run {
            e.replay()?;
        }
        e.writer.spool = false;
        let placeholder = Out::Direct(Box::new(crate::sink::Stdout));
        if let Out::Direct(sink) = std::mem::replace(&mut e.writer.out, placeholder) {
            e.writer.out = Out::Thread(Pusher::start(sink));
        }
        Ok(e)
    }

    /// An empty batch for [`Engine::commit`].
    pub fn batch(&self) -> Batch {
        Batch::new(&self.opts.user, self.facts.now.timestamp_millis())
    }

    /// Queue `piece` with the progress it carries, pushing and recording once enough is
    /// queued.
    ///
    /// Errors: exit 1 when the push or the state fails (nothing of it is recorded).
    pub fn commit(
        &mut self,
        records: Vec<Record>,
        piece: &mut Batch,
        summary: &mut Summary,
    ) -> Result<(), Exit> {
        let id = self.source.id();
        self.writer.poll(&mut self.state, id, summary)?;
        self.writer.queue(records, piece)?;
        if self.writer.batch.samples >= IMPORT_BATCH_SAMPLES {
            self.writer.flush(&mut self.state, id, summary)?;
        }
        Ok(())
    }

    /// Push and record everything queued, and save the state.
    ///
    /// Errors: exit 1 when the push or the state fails.
    pub fn finish(&mut self, summary: &mut Summary) -> Result<(), Exit> {
        let id = self.source.id();
        self.writer.flush(&mut self.state, id, summary)?;
        self.writer.settle(&mut self.state, id, summary)?;
        if !self.opts.dry_run && summary.jobs_done > 0 {
            self.state.state.last_sync = Some(Utc::now());
        }
        self.save()
    }
}

/// The exit after SIGINT/SIGTERM, which stopped the run at a request boundary.
pub fn interrupted(code: u8, samples: usize) -> Exit {
    Exit::new(
        code,
        format!(
            "interrupted; {} written, progress saved; the next run resumes",
            count(samples as u64, "sample")
        ),
    )
}

/// A request in a message: `heart_rate 2024-05-01` or `activity 2024-01-01..2024-03-31`.
fn describe(req: &Request) -> String {
    if req.first == req.last {
        format!("{} {}", req.series.key(), req.first)
    } else {
        format!("{} {}..{}", req.series.key(), req.first, req.last)
    }
}
