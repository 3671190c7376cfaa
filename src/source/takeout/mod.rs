//! The account export (Google Takeout of Fitbit data) as a source: no account, no quota, no
//! request; its "requests" are the export's files.
//!
//! An import is one pass over the files the [`Plan`] chose (one encoding per family, as
//! `shared/reference/takeout.md` prescribes):
//! - intraday files (heart rate, steps, distance, calories) are read one at a time; each file's
//!   samples are one unit for the engine, recorded by path, size and CRC-32 once
//!   VictoriaMetrics accepted them;
//! - daily values (from daily files, and the day totals of the minute series) are gathered in
//!   a small table while the files are read (a 12-year account has about 4,400 days) and
//!   written per family at the end, recorded as ranges of days.
//!
//! Time rules: UTC stamps are instants; local wall-clock stamps go through the user's zone
//! with the calendar's DST rules; date labels (`MM/DD/YY 00:00:00`, `…T00:00:00Z`, bare dates)
//! are local dates, stamped at local midnight like every daily value. Nothing dated after the
//! export date (the newest local date of any intraday record, dated resting-heart-rate record
//! or sleep log) is written: daily files are padded with placeholders up to a year ahead.

pub mod archive;
pub mod files;
mod parse;
pub mod scan;

use chrono::NaiveDate;
use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use crate::calendar::Calendar;
use crate::engine::{Engine, Record, Summary};
use crate::error::Exit;
use crate::metrics::Metric;
use crate::source::{
    Account, Device, Gap, Readings, Request, Resource, Source, SourceError, Usage,
};
use crate::state::Book;
use archive::{Export, Member};
pub use files::Family;
use files::{Kind, classify, name_date};
use parse::{DayOf, Days, daily, intraday, label_name, newest_date, profile_timezone};

/// The key of the state file's entries of imports.
pub const ID: &str = "google-takeout";

/// Why rows were not written, in the summary's words.
pub mod reason {
    /// Dated after the export date (daily files are padded up to a year ahead).
    pub const PADDING: &str = "padding after the export date";
    /// A placeholder for "no data": `date: null` / `0.0`, `NaN`, `-1.0`, an empty value.
    pub const PLACEHOLDER: &str = "placeholder";
    /// A row that cannot be read.
    pub const MALFORMED: &str = "malformed";
    /// A second data source's rows of a day another source recorded more of.
    pub const DUPLICATE_SOURCE: &str = "duplicate source";
    /// An instant that already has a sample in the same file.
    pub const DUPLICATE_INSTANT: &str = "duplicate instant";
    /// Written before, by an earlier import or by a live source.
    pub const WRITTEN: &str = "written before";
    /// A sleep log already read from another file.
    pub const DUPLICATE_LOG: &str = "sleep log in two files";
    /// Outside `--from`/`--to`.
    pub const OUTSIDE: &str = "outside --from/--to";
    /// A timestamp before 2007 or after tomorrow.
    pub const IMPLAUSIBLE: &str = "timestamp before 2007 or in the future";
    /// A local time that does not exist (the hour skipped by a DST change).
    pub const NONEXISTENT: &str = "local time skipped by DST";
}

/// What an import did for one family.
#[derive(Debug, Default)]
pub struct Tally {
    /// The encoding read.
    pub encoding: &'static str,
    /// Files read.
    pub files: u64,
    /// Files with no record (header-only, `no data`, `[]`, empty).
    pub empty_files: u64,
    /// Files not read again: written whole by an earlier import.
    pub unchanged: u64,
    /// Samples written (or printed with `--dry-run`).
    pub samples: u64,
    /// Rows not written, by reason ([`reason`]).
    pub skipped: BTreeMap<&'static str, u64>,
    /// `file:line` of malformed rows (the first 20).
    pub malformed: Vec<String>,
    /// Files that could not be read, with why.
    pub failed: Vec<String>,
}

impl Tally {
    fn skip(&mut self, why: &'static str, n: u64) {
        if n > 0 {
            *self.skipped.entry(why).or_default() += n;
        }
    }

    fn bad(&mut self, path: &str, line: usize) {
        self.skip(reason::MALFORMED, 1);
        if self.malformed.len() < 20 {
            self.malformed.push(format!("{path}:{line}"));
        }
    }
}

/// What `--plan` shows, and what the import reads.
pub struct Plan {
    /// Per family: the chosen encoding's first kind, and every file (index into the export's
    /// members) with its kind.
    files: BTreeMap<Family, (Kind, Vec<(usize, Kind)>)>,
    /// Per minute or second series read from the classic JSON: the newest CSV twins, whose
    /// samples after the JSON's last record are read too (a real export's JSON ends the day
    /// before the export date, its CSV does not).
    tails: BTreeMap<Family, Vec<(usize, Kind)>>,
    /// The zone of `Your Profile/Profile.csv`, when the export has one.
    pub profile_zone: Option<String>,
}

/// One family of a plan, for `--plan`.
pub struct PlanRow {
    /// The family.
    pub family: Family,
    /// The encoding it is read from.
    pub encoding: &'static str,
    /// Files.
    pub files: usize,
    /// Bytes of those files.
    pub bytes: u64,
    /// The dates in the first and last file names.
    pub span: Option<(NaiveDate, NaiveDate)>,
    /// Samples it should give, roughly.
    pub estimate: u64,
}

impl Plan {
    /// Choose one encoding per wanted family (the preferred one when the export has it), and
    /// read the profile's zone.
    ///
    /// A family an earlier import (`earlier`, the state's import book) read from one encoding
    /// keeps it while this export has it: an export's parts imported one by one must not
    /// write a family twice, once from each encoding.
    pub fn new(export: &Export, earlier: &Book) -> Plan {
        let mut before: HashMap<Family, bool> = HashMap::new();
        for path in earlier.files.keys() {
            if let Some(k) = classify(path)
                && let Some(f) = k.family()
            {
                // A CSV tail is read along with the JSON: any preferred file decides.
                *before.entry(f).or_insert(false) |= k.preferred();
            }
        }
        let mut found: BTreeMap<Family, (Vec<(Kind, usize)>, bool)> = BTreeMap::new();
        let mut profile = None;
        for (i, m) in export.members.iter().enumerate() {
            let Some(kind) = classify(&m.path) else {
                continue;
            };
            if kind == Kind::Profile {
                profile = Some(i);
                continue;
            }
            let Some(f) = kind.family() else {
                continue;
            };
            let e = found.entry(f).or_default();
            e.0.push((kind, i));
            e.1 |= kind.preferred();
        }
        let mut tails = BTreeMap::new();
        let files = found
            .into_iter()
            .filter_map(|(f, (kinds, has_preferred))| {
                let preferred = match before.get(&f) {
                    Some(&p) if p != has_preferred && kinds.iter().any(|(k, _)| k.preferred() == p) => {
                        crate::warn!(
                            "{}: an earlier import read the other encoding; keeping it, so that nothing is written twice",
                            f.key()
                        );
                        p
                    }
                    _ => has_preferred,
                };
                let (chosen, other): (Vec<_>, Vec<_>) = kinds
                    .into_iter()
                    .partition(|(k, _)| k.preferred() == preferred);
                let kind = chosen.first()?.0;
                if preferred && f.resource().is_some() && f != Family::Calories {
                    let newest = chosen
                        .iter()
                        .filter_map(|(_, i)| name_date(export.members[*i].name()))
                        .max();
                    let from = newest.and_then(|d| d.pred_opt());
                    let tail: Vec<(usize, Kind)> = other
                        .into_iter()
                        .filter(|(_, i)| {
                            name_date(export.members[*i].name()).is_some_and(|d| Some(d) >= from)
                        })
                        .map(|(k, i)| (i, k))
                        .collect();
                    if !tail.is_empty() {
                        tails.insert(f, tail);
                    }
                }
                Some((f, (kind, chosen.into_iter().map(|(k, i)| (i, k)).collect())))
            })
            .collect();
        let profile_zone = profile.and_then(|i| {
            let text = export.small_file(&export.members[i].path, 1 << 20)?;
            profile_timezone(&mut text.as_slice())
        });
        Plan {
            files,
            tails,
            profile_zone,
        }
    }

    /// The same plan for `families` only.
    pub fn only(&self, families: &[Family]) -> Plan {
        let keep = |f: &Family| families.contains(f);
        Plan {
            files: self
                .files
                .iter()
                .filter(|(f, _)| keep(f))
                .map(|(f, v)| (*f, v.clone()))
                .collect(),
            tails: self
                .tails
                .iter()
                .filter(|(f, _)| keep(f))
                .map(|(f, v)| (*f, v.clone()))
                .collect(),
            profile_zone: self.profile_zone.clone(),
        }
    }

    /// Per family: encoding, files, bytes, the span of their names and an estimate of samples.
    pub fn rows(&self, export: &Export) -> Vec<PlanRow> {
        self.files
            .iter()
            .map(|(f, (kind, idx))| {
                let members: Vec<&Member> = idx.iter().map(|(i, _)| &export.members[*i]).collect();
                let bytes = members.iter().map(|m| m.size).sum();
                let dates: Vec<NaiveDate> =
                    members.iter().filter_map(|m| name_date(m.name())).collect();
                let span = dates
                    .iter()
                    .min()
                    .zip(dates.iter().max())
                    .map(|(a, b)| (*a, *b));
                let mut estimate = bytes / kind.bytes_per_sample();
                if f.total().is_some() {
                    estimate += span
                        .map(|(a, b)| (b - a).num_days() as u64 + 30)
                        .unwrap_or(0);
                }
                PlanRow {
                    family: *f,
                    encoding: kind.encoding(),
                    files: members.len(),
                    bytes,
                    span,
                    estimate,
                }
            })
            .collect()
    }

    /// Whether any family has files.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The export date: the newest local date of any intraday record, dated resting-heart-rate
    /// record or sleep log (only the newest files of the intraday families are read for it).
    /// `None` when the export has none of them.
    pub fn export_date(&self, export: &Export, cal: &Calendar) -> Option<NaiveDate> {
        self.survey(export, cal).export_date
    }

    /// One pass over the files that decide the export date, and over the intraday CSV files
    /// to choose each local day's data source across files (a local day spans two files).
    pub fn survey(&self, export: &Export, cal: &Calendar) -> Survey {
        let mut wanted: HashMap<usize, Kind> = HashMap::new();
        let mut csv: HashMap<usize, Kind> = HashMap::new();
        for (kind, idx) in self.files.values() {
            if matches!(
                kind,
                Kind::HeartRateCsv | Kind::StepsCsv | Kind::DistanceCsv | Kind::CaloriesCsv
            ) {
                csv.extend(idx.iter().copied());
            }
            match kind {
                Kind::RestingJson | Kind::RestingCsv | Kind::SleepJson => {
                    wanted.extend(idx.iter().copied());
                }
                k if k.family().and_then(Family::resource).is_some() => {
                    let newest = idx
                        .iter()
                        .filter_map(|(i, _)| name_date(export.members[*i].name()))
                        .max();
                    wanted.extend(
                        idx.iter()
                            .filter(|(i, _)| name_date(export.members[*i].name()) == newest)
                            .copied(),
                    );
                }
                _ => {}
            }
        }
        let by_path: HashMap<&str, Kind> = wanted
            .iter()
            .map(|(i, k)| (export.members[*i].path.as_str(), *k))
            .collect();
        let csv_path: HashMap<&str, Kind> = csv
            .iter()
            .map(|(i, k)| (export.members[*i].path.as_str(), *k))
            .collect();
        let mut newest: Option<NaiveDate> = None;
        let mut through: HashMap<Family, i64> = HashMap::new();
        let mut counts: HashMap<Family, HashMap<(NaiveDate, String), u64>> = HashMap::new();
        let _ = export.each(
            &|m| by_path.contains_key(m.path.as_str()) || csv_path.contains_key(m.path.as_str()),
            &mut |m, r| {
                let mut buf = Vec::with_capacity(m.size.min(MAX_FILE) as usize);
                if Read::take(&mut *r, MAX_FILE).read_to_end(&mut buf).is_err() {
                    return Ok(());
                }
                if let Some(k) = by_path.get(m.path.as_str()) {
                    if let Some(d) = newest_date(*k, &buf, cal) {
                        newest = newest.max(Some(d));
                    }
                    if let Some(f) = k.family().filter(|f| self.tails.contains_key(f))
                        && let Some(t) = parse::newest_instant(&buf)
                    {
                        let e = through.entry(f).or_insert(t);
                        *e = (*e).max(t);
                    }
                }
                if let Some(f) = csv_path.get(m.path.as_str()).and_then(|k| k.family()) {
                    parse::count_sources(&buf, cal, counts.entry(f).or_default());
                }
                Ok(())
            },
        );
        let sources = counts
            .into_iter()
            .map(|(f, c)| (f, parse::most_rows(c)))
            .collect();
        Survey {
            export_date: newest,
            sources,
            through,
        }
    }
}

/// What a first pass over an export found.
#[derive(Debug, Default)]
pub struct Survey {
    /// The export date, when the export has a record that tells it.
    pub export_date: Option<NaiveDate>,
    /// Per intraday family read from CSV: each local day's data source (the one with the most
    /// rows that day, over all files).
    pub sources: HashMap<Family, HashMap<NaiveDate, String>>,
    /// Per series read from the classic JSON: its newest instant, ms (the CSV tail starts
    /// after it).
    pub through: HashMap<Family, i64>,
}

/// What an import is asked to do.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Only local days from.
    pub from: Option<NaiveDate>,
    /// Only local days up to (inclusive).
    pub to: Option<NaiveDate>,
}

impl Options {
    fn window(&self) -> Option<(NaiveDate, NaiveDate)> {
        (self.from.is_some() || self.to.is_some()).then(|| {
            (
                self.from.unwrap_or(NaiveDate::MIN),
                self.to.unwrap_or(NaiveDate::MAX),
            )
        })
    }
    fn contains(&self, d: NaiveDate) -> bool {
        self.from.is_none_or(|f| d >= f) && self.to.is_none_or(|t| d <= t)
    }
}

/// What an import did.
#[derive(Debug, Default)]
pub struct Report {
    /// Per family.
    pub families: BTreeMap<Family, Tally>,
    /// The export date used.
    pub export_date: Option<NaiveDate>,
    /// What the engine wrote.
    pub summary: Summary,
    /// Stopped by SIGINT/SIGTERM (the exit code).
    pub interrupted: Option<u8>,
    /// Bytes read.
    pub bytes: u64,
}

impl Report {
    /// Whether some rows or files could not be imported.
    pub fn incomplete(&self) -> bool {
        self.families
            .values()
            .any(|t| t.skipped.contains_key(reason::MALFORMED) || !t.failed.is_empty())
    }
}

/// Progress written by the live sources: a day complete, or intraday written through an
/// instant.
struct Live<'a> {
    books: Vec<&'a Book>,
}

impl<'a> Live<'a> {
    /// The books of every source but imports.
    fn of(state: &'a crate::state::State) -> Live<'a> {
        Live {
            books: state
                .books()
                .filter(|(id, _)| *id != ID)
                .map(|(_, b)| b)
                .collect(),
        }
    }

    fn intraday(&self, r: Resource, day: NaiveDate) -> Option<Option<i64>> {
        self.books.iter().find_map(|b| {
            let p = b.intraday_progress(day, r.key())?;
            Some(match p.status {
                crate::state::Status::Complete => None,
                crate::state::Status::Partial => Some(p.through_ms.unwrap_or(i64::MIN)),
            })
        })
    }
    fn daily(&self, f: crate::source::Family, day: NaiveDate) -> bool {
        self.books.iter().any(|b| {
            b.daily_progress(day, f.key())
                .is_some_and(|p| p.status == crate::state::Status::Complete)
        })
    }
}

/// Import what `plan` chose into the engine's sink, and what it did. Progress goes to a bar
/// on a terminal, else to a log line at every tenth of the bytes. A SIGINT/SIGTERM stops it
/// between files ([`Report::interrupted`]) after writing what was read.
///
/// Errors: exit 1 when a push or the state fails, or an archive breaks off (what was accepted
/// before is recorded; the next run continues from there).
pub fn import(
    e: &mut Engine,
    export: &Export,
    plan: &Plan,
    export_date: NaiveDate,
    survey: &Survey,
    opts: &Options,
) -> (Report, Result<(), Exit>) {
    let mut report = Report {
        export_date: Some(export_date),
        ..Report::default()
    };
    let result = run(e, export, plan, export_date, survey, opts, &mut report);
    (report, result)
}

fn run(
    e: &mut Engine,
    export: &Export,
    plan: &Plan,
    export_date: NaiveDate,
    survey: &Survey,
    opts: &Options,
    report: &mut Report,
) -> Result<(), Exit> {
    let cal = e.facts.cal;
    // Per file: its family, kind, and for a CSV tail the instant its samples must follow.
    let mut kinds: HashMap<&str, (Family, Kind, Option<i64>)> = HashMap::new();
    for (f, (kind, idx)) in &plan.files {
        report.families.entry(*f).or_default().encoding = kind.encoding();
        for (i, k) in idx {
            kinds.insert(export.members[*i].path.as_str(), (*f, *k, None));
        }
    }
    for (f, tail) in &plan.tails {
        let Some(after) = survey.through.get(f) else {
            continue;
        };
        if plan.files.contains_key(f) {
            report.families.entry(*f).or_default().encoding =
                "JSON (Global Export Data), then its CSV twin after the JSON's last record";
            for (i, k) in tail {
                kinds.insert(export.members[*i].path.as_str(), (*f, *k, Some(*after)));
            }
        }
    }
    let sources = &survey.sources;
    let total: u64 = export
        .members
        .iter()
        .filter(|m| kinds.contains_key(m.path.as_str()))
        .map(|m| m.size)
        .sum();
    let mut progress = Bytes::new(total);
    let mut days = Days::default();
    // Daily values that cannot be trusted, per family and span of days (all of them when the
    // file's name has no date): one of the family's files could not be read. They are
    // neither written nor recorded, so the run with a repaired export writes them.
    let mut withheld: Vec<(Family, Option<(NaiveDate, NaiveDate)>)> = Vec::new();
    let mut failure: Option<Exit> = None;
    let mut buf: Vec<u8> = Vec::new();
    let result = export.each(&|m| kinds.contains_key(m.path.as_str()), &mut |m, r| {
        if failure.is_some() {
            return Ok(());
        }
        if let Some(code) = crate::interrupt::requested() {
            report.interrupted = Some(code);
            return Ok(());
        }
        let (family, kind, after) = kinds[m.path.as_str()];
        let prior = e.state.state.book(ID).files.get(&m.path).cloned();
        let tally = report.families.entry(family).or_default();
        let done_whole = |crc: u32| {
            prior
                .as_ref()
                .is_some_and(|p| p.size == m.size && p.crc == crc && p.windows.is_empty())
        };
        // A new version of a file written whole, in a windowed run: its record could not say
        // which of its samples were written, so it waits for a run over the whole export.
        if let (Some(p), Some(_)) = (&prior, opts.window())
            && p.windows.is_empty()
            && (m.crc.is_some_and(|c| c != p.crc) || p.size != m.size)
        {
            tally.failed.push(format!(
                "{}: a newer version of a file imported whole before; import without --from/--to to add it",
                m.path
            ));
            progress.advance(m.size, report.summary.samples);
            return Ok(());
        }
        // A file written whole before is read again only for the day totals it feeds.
        let needs_totals = family.total().is_some()
            && !covered(e.state.state.book(ID), family, m, export_date, opts);
        if m.crc.is_some_and(done_whole) && !needs_totals {
            tally.unchanged += 1;
            progress.advance(m.size, report.summary.samples);
            return Ok(());
        }
        buf.clear();
        let read = Read::take(&mut *r, MAX_FILE + 1).read_to_end(&mut buf);
        let too_large = buf.len() as u64 > MAX_FILE;
        if read.is_err() || too_large {
            let why = match read {
                Err(err) => format!("cannot be read: {err}"),
                Ok(_) => format!("larger than {} MB, not a Fitbit data file", MAX_FILE >> 20),
            };
            tally.failed.push(format!("{}: {why}", m.path));
            withheld.push((family, span_of(m)));
            buf = Vec::new();
            progress.advance(m.size, report.summary.samples);
            return Ok(());
        }
        report.bytes += buf.len() as u64;
        let crc = m.crc.unwrap_or_else(|| crc32fast::hash(&buf));
        let write = !done_whole(crc);
        if write {
            tally.files += 1;
        } else {
            tally.unchanged += 1;
            if !needs_totals {
                progress.advance(m.size, report.summary.samples);
                return Ok(());
            }
        }
        let parsed = if family.resource().is_some() {
            intraday(kind, &buf, &cal, tally, &m.path, sources.get(&family))
        } else {
            daily(kind, &buf, family, &mut days, tally, &m.path, export_date).map(|()| Vec::new())
        };
        let points = match parsed {
            Ok(p) => p,
            Err(why) => {
                tally.failed.push(format!("{}: {why}", m.path));
                withheld.push((family, span_of(m)));
                progress.advance(m.size, report.summary.samples);
                return Ok(());
            }
        };
        if let Some(resource) = family.resource() {
            let live = Live::of(&e.state.state);
            let mut piece = e.batch();
            let mut day_of = DayOf {
                cal: &cal,
                cur: None,
            };
            let mut last = i64::MIN;
            let mut day_sum: Option<(NaiveDate, f64)> = None;
            let mut through = None;
            let mut live_day: Option<(NaiveDate, Option<Option<i64>>)> = None;
            let (mut padding, mut outside, mut written, mut dup) = (0, 0, 0, 0);
            let metric = resource.metric();
            for (ms, v) in points {
                if after.is_some_and(|a| ms <= a) {
                    // The classic JSON has it.
                    continue;
                }
                let d = day_of.of(ms);
                if d > export_date {
                    padding += 1;
                    continue;
                }
                if !opts.contains(d) {
                    outside += 1;
                    continue;
                }
                if ms <= last {
                    dup += 1;
                    continue;
                }
                last = ms;
                if family.total().is_some() {
                    // The day's total is added to the table once per day, not per minute.
                    match &mut day_sum {
                        Some((sd, sum)) if *sd == d => *sum += v,
                        _ => {
                            if let (Some((sd, sum)), Some(t)) = (day_sum, family.total()) {
                                days.add(family, sd, t, "", sum);
                            }
                            day_sum = Some((d, v));
                        }
                    }
                }
                if !write {
                    continue;
                }
                if prior.as_ref().is_some_and(|p| p.has(d, ms)) {
                    written += 1;
                    continue;
                }
                let l = match live_day {
                    Some((ld, l)) if ld == d => l,
                    _ => {
                        let l = live.intraday(resource, d);
                        live_day = Some((d, l));
                        l
                    }
                };
                if l.is_some_and(|t| t.is_none_or(|t| ms <= t)) {
                    written += 1;
                    continue;
                }
                if piece.add(metric, &[], v, ms).is_err() {
                    tally.skip(reason::IMPLAUSIBLE, 1);
                    continue;
                }
                through = Some(ms);
            }
            if let (Some((sd, sum)), Some(t)) = (day_sum, family.total()) {
                days.add(family, sd, t, "", sum);
            }
            tally.skip(reason::PADDING, padding);
            tally.skip(reason::OUTSIDE, outside);
            tally.skip(reason::WRITTEN, written);
            tally.skip(reason::DUPLICATE_INSTANT, dup);
            if write {
                tally.samples += piece.samples as u64;
                let record = Record::File {
                    path: m.path.clone(),
                    size: m.size,
                    crc,
                    through_ms: through.max(prior.as_ref().and_then(|p| p.through_ms)),
                    window: opts.window(),
                };
                if let Err(x) = e.commit(vec![record], &mut piece, &mut report.summary) {
                    failure = Some(x);
                }
            }
        }
        progress.advance(m.size, report.summary.samples);
        Ok(())
    });
    if let Err(err) = result {
        progress.abandon();
        return Err(Exit::failure(format!(
            "cannot read the export: {err}; what was written so far is recorded, and the next run continues"
        )));
    }
    if let Some(x) = failure {
        progress.abandon();
        return Err(x);
    }
    if report.interrupted.is_none() {
        report.interrupted = crate::interrupt::requested();
    }
    if report.interrupted.is_none() {
        write_days(e, report, days, &withheld, export_date, opts)?;
    }
    e.finish(&mut report.summary)?;
    progress.finish();
    Ok(())
}

/// Files larger than this are not read (the largest real file is a few MB).
const MAX_FILE: u64 = 512 << 20;

/// The local days a file can hold, from the date in its name (chunks run up to a month from
/// it, and start up to a day earlier in local time); `None` when its name has no date.
fn span_of(m: &Member) -> Option<(NaiveDate, NaiveDate)> {
    let first = name_date(m.name())?;
    Some((
        first.pred_opt().unwrap_or(first),
        first + chrono::Days::new(32),
    ))
}

/// Whether every day a minute-series file can hold has its day total written already.
fn covered(book: &Book, f: Family, m: &Member, export_date: NaiveDate, opts: &Options) -> bool {
    let Some(first) = name_date(m.name()) else {
        return false;
    };
    // A file holds up to a month from its name's date, starting up to a day earlier in
    // local time.
    let from = first.pred_opt().unwrap_or(first);
    let to = (first + chrono::Days::new(32)).min(export_date);
    from.iter_days()
        .take_while(|d| *d <= to)
        .filter(|d| opts.contains(*d))
        .all(|d| book.imported_day(f.key(), d))
}

/// Write the gathered daily values, one unit per family.
fn write_days(
    e: &mut Engine,
    report: &mut Report,
    days: Days,
    withheld: &[(Family, Option<(NaiveDate, NaiveDate)>)],
    export_date: NaiveDate,
    opts: &Options,
) -> Result<(), Exit> {
    let cal = e.facts.cal;
    let mut by_family: BTreeMap<Family, Vec<(NaiveDate, Metric, &'static str, f64)>> =
        BTreeMap::new();
    for ((f, d, m, l), v) in days.0 {
        by_family.entry(f).or_default().push((d, m, l, v));
    }
    for (f, rows) in by_family {
        let tally = report.families.entry(f).or_default();
        let mut piece = e.batch();
        let mut written_days: Vec<NaiveDate> = Vec::new();
        let (mut before, mut outside, mut held) = (0, 0, 0);
        for (d, m, l, v) in rows {
            let spoiled = withheld
                .iter()
                .any(|(wf, span)| *wf == f && span.is_none_or(|(a, b)| a <= d && d <= b));
            if spoiled {
                held += 1;
                continue;
            }
            if d > export_date {
                tally.skip(reason::PADDING, 1);
                continue;
            }
            if cal.day_start_ms(d) < crate::sink::MIN_TS_MS {
                // Two-digit years of placeholders (before 2007, when Fitbit began).
                tally.skip(reason::PLACEHOLDER, 1);
                continue;
            }
            if !opts.contains(d) {
                outside += 1;
                continue;
            }
            let book = e.state.state.book(ID);
            let live = f
                .live()
                .is_some_and(|lf| Live::of(&e.state.state).daily(lf, d));
            if book.imported_day(f.key(), d) || live {
                before += 1;
                continue;
            }
            let labels: Vec<(&'static str, String)> = if l.is_empty() {
                Vec::new()
            } else {
                vec![(label_name(m), l.to_string())]
            };
            if piece.add(m, &labels, v, cal.day_start_ms(d)).is_err() {
                tally.skip(reason::IMPLAUSIBLE, 1);
                continue;
            }
            if written_days.last() != Some(&d) {
                written_days.push(d);
            }
        }
        tally.skip(reason::WRITTEN, before);
        tally.skip(reason::OUTSIDE, outside);
        if held > 0 {
            tally.failed.push(format!(
                "{held} daily values of the days its unreadable files cover are not written (a run with a repaired export writes them)"
            ));
        }
        tally.samples += piece.samples as u64;
        let records = ranges(&written_days)
            .into_iter()
            .map(|(first, last)| Record::Days {
                family: f.key().to_string(),
                first,
                last,
            })
            .collect();
        e.commit(records, &mut piece, &mut report.summary)?;
    }
    Ok(())
}

/// Sorted days as ranges of consecutive days.
fn ranges(days: &[NaiveDate]) -> Vec<(NaiveDate, NaiveDate)> {
    let mut out: Vec<(NaiveDate, NaiveDate)> = Vec::new();
    for d in days {
        match out.last_mut() {
            Some((_, b)) if b.succ_opt() == Some(*d) => *b = *d,
            _ => out.push((*d, *d)),
        }
    }
    out
}

/// A progress bar over bytes (with samples), or a log line at every tenth.
struct Bytes {
    bar: Option<indicatif::ProgressBar>,
    total: u64,
    done: u64,
}

impl Bytes {
    fn new(total: u64) -> Bytes {
        use std::io::IsTerminal;
        let bar = (std::io::stderr().is_terminal() && crate::log::enabled(crate::log::Level::Info))
            .then(|| {
                let bar = indicatif::ProgressBar::new(total);
                bar.set_style(
                    indicatif::ProgressStyle::with_template(
                        "import [{bar:30}] {bytes}/{total_bytes}, {msg}, eta {eta}",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                    .progress_chars("=> "),
                );
                bar
            });
        Bytes {
            bar,
            total,
            done: 0,
        }
    }

    fn advance(&mut self, bytes: u64, samples: usize) {
        let before = self.done;
        self.done += bytes;
        match &self.bar {
            Some(b) => {
                b.set_position(self.done);
                b.set_message(crate::engine::progress::count(samples as u64, "sample"));
            }
            None => {
                let tenth = (self.total / 10).max(1);
                if self.total >= 10 << 20 && self.done / tenth != before / tenth {
                    crate::info!(
                        "import: {} of {} MB read, {} written",
                        self.done >> 20,
                        self.total >> 20,
                        crate::engine::progress::count(samples as u64, "sample")
                    );
                }
            }
        }
    }

    fn abandon(&self) {
        if let Some(b) = &self.bar {
            b.abandon();
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// The export as the engine's source: it has no account, devices or quota, and is read by
/// [`import`], not through requests.
pub struct TakeoutSource;

impl Source for TakeoutSource {
    fn id(&self) -> &'static str {
        ID
    }
    fn name(&self) -> &'static str {
        "the account export"
    }
    fn restore(&mut self, _: Option<&serde_json::Value>) {}
    fn memo(&self) -> Option<serde_json::Value> {
        None
    }
    fn ready(&self) -> Result<(), SourceError> {
        Ok(())
    }
    fn account(&mut self) -> Result<Account, SourceError> {
        Ok(Account::default())
    }
    fn devices(&mut self, _: &Calendar) -> Result<Vec<Device>, SourceError> {
        Ok(Vec::new())
    }
    fn plan(&self, _: &[Gap]) -> Vec<Request> {
        Vec::new()
    }
    fn fetch<'a>(&'a mut self, _: &Request, _: &'a Calendar) -> Result<Readings<'a>, SourceError> {
        Err(SourceError::Local(
            "an export is read by syncbit import".into(),
        ))
    }
    fn usage(&self) -> Usage {
        Usage::default()
    }
    fn pace(&self, _: u64) -> String {
        "no quota (read from files)".into()
    }
    fn quota_size(&self) -> Option<u64> {
        None
    }
    fn account_calls(&self) -> u64 {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names() {
        assert_eq!(
            classify("Global Export Data/heart_rate-2026-04-08_TRIMMED_0400Z-0415Z.json"),
            Some(Kind::HeartRateJson)
        );
        assert_eq!(
            classify("Physical Activity_GoogleData/Heart Rate/heart_rate_2026-09-01.csv"),
            Some(Kind::HeartRateCsv)
        );
        assert_eq!(
            classify("Physical Activity_GoogleData/heart_rate_variability_2026-04-01.csv"),
            None
        );
        assert_eq!(
            classify("Physical Activity_GoogleData/calories_in_heart_rate_zone_2026-04-01.csv"),
            None
        );
        assert_eq!(
            classify("Global Export Data/moderately_active_minutes-2026-03-18.json"),
            Some(Kind::LevelJson("fairly_active"))
        );
        assert_eq!(
            classify(
                "Heart Rate Variability/Daily Heart Rate Variability Summary - 2026-04-(5).csv"
            ),
            Some(Kind::HrvDaily)
        );
        assert_eq!(
            classify("Global Export Data/estimated_oxygen_variation-2026-04-08.csv"),
            None
        );
        assert_eq!(
            name_date("steps-2026-03-18_TRIMMED_2026-04-06Z.json"),
            NaiveDate::from_ymd_opt(2026, 3, 18)
        );
        assert_eq!(
            name_date("Daily SpO2 - 2026-03-19-2026-04-14.csv"),
            NaiveDate::from_ymd_opt(2026, 3, 19)
        );
    }

    #[test]
    fn ranges_of_days() {
        let d = |n| NaiveDate::from_ymd_opt(2026, 1, n).unwrap();
        assert_eq!(
            ranges(&[d(1), d(2), d(3), d(5)]),
            vec![(d(1), d(3)), (d(5), d(5))]
        );
    }
}
