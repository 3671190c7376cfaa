//! `syncbit backfill`: past days, daily and optionally intraday; resumable.

use chrono::{Duration, NaiveDate};

use crate::cli::{BackfillArgs, Global};
use crate::config::parse_date;
use crate::error::Exit;
use crate::pipeline::{Job, Pipeline};

/// The inclusive day windows (daily, intraday) a backfill covers; `None` for intraday when it
/// is off.
fn windows(
    a: &BackfillArgs,
    p: &Pipeline,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> ((NaiveDate, NaiveDate), Option<(NaiveDate, NaiveDate)>) {
    let yesterday = p.today() - Duration::days(1);
    let intraday = a.intraday || p.cfg.intraday_backfill;
    let last = to.unwrap_or(yesterday).min(yesterday);
    if let Some(n) = a.days {
        let first = p.today() - Duration::days(i64::from(n.max(1)));
        return ((first, last), intraday.then_some((first, last)));
    }
    if let Some(first) = from {
        return ((first, last), intraday.then_some((first, last)));
    }
    let daily_first = p
        .cfg
        .backfill_start
        .or(p.member_since())
        .unwrap_or(p.today() - Duration::days(30));
    let intra_first = p.today() - Duration::days(i64::from(p.cfg.intraday_backfill_days));
    ((daily_first, last), intraday.then_some((intra_first, last)))
}

/// Run `backfill`.
pub fn run(g: &Global, a: &BackfillArgs) -> Result<(), Exit> {
    let from = a
        .from
        .as_deref()
        .map(|s| parse_date("--from", s))
        .transpose()?;
    let to = a.to.as_deref().map(|s| parse_date("--to", s)).transpose()?;
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err(Exit::usage(format!("--from {f} is after --to {t}")));
    }
    let cfg = crate::config::load(g, true, true)?;
    crate::health::run(&cfg, "backfill", |stats| {
        let mut p = Pipeline::open(cfg.clone(), a.reserve)?;
        let result = pass(&mut p, a, from, to);
        *stats = p.stats();
        result
    })
}

fn pass(
    p: &mut Pipeline,
    a: &BackfillArgs,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<(), Exit> {
    let ((d0, d1), intraday) = windows(a, p, from, to);
    let floor = p.member_since().unwrap_or(NaiveDate::MIN);
    let mut jobs = Vec::new();
    // Newest days first, so recent history arrives first.
    let mut day = d1;
    while day >= d0.max(floor) {
        for f in &p.cfg.families {
            jobs.push(Job::Daily(*f, day));
        }
        day -= Duration::days(1);
    }
    if let Some((i0, i1)) = intraday {
        let mut day = i1;
        while day >= i0.max(floor) {
            for r in &p.cfg.intraday_resources {
                jobs.push(Job::Intraday(*r, day));
            }
            day -= Duration::days(1);
        }
    }
    let todo = jobs.iter().filter(|j| !p.is_done(**j)).count();
    crate::info!(
        "backfill: daily {d0}..{d1}{}: {todo} of {} requests still to do",
        intraday
            .map(|(a, b)| format!(", intraday {a}..{b}"))
            .unwrap_or_default(),
        jobs.len()
    );
    p.run(jobs, "backfill")?;
    Ok(())
}
