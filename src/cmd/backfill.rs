//! `syncbit backfill`: past days, daily (date-range requests) and optionally intraday (one
//! request per resource and day, newest first); resumable; `--plan` prints the cost first.

use chrono::{Duration, NaiveDate};

use crate::cli::{BackfillArgs, Global};
use crate::config::parse_date;
use crate::error::Exit;
use crate::pipeline::{Job, Pipeline};
use crate::source::{Family, Resource};

/// Requests per hour of the Fitbit Web API when the API has not said.
const HOURLY_LIMIT: u64 = 150;

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
    // Before any request: a window that ends today or later has nothing to backfill. (The
    // user's zone is not known yet; UTC tomorrow is the latest "today" anywhere.)
    let latest_today = chrono::Utc::now().date_naive() + Duration::days(1);
    for (name, d) in [("--from", from), ("--to", to)] {
        if let Some(d) = d
            && d >= latest_today
        {
            return Err(Exit::usage(format!(
                "{name} {d} is not in the past; backfill covers days before today"
            )));
        }
    }
    if a.plan {
        let cfg = crate::config::load(g, false, false)?;
        let p = Pipeline::offline(cfg)?;
        print!("{}", plan_text(&p, a, from, to));
        return Ok(());
    }
    let cfg = crate::config::load(g, true, true)?;
    if a.days.is_none()
        && from.is_none()
        && let Some(d) = cfg.backfill_start
        && d >= latest_today
    {
        return Err(Exit::usage(format!(
            "BACKFILL_START_DATE={d} is not in the past; backfill covers days before today"
        )));
    }
    crate::health::run(&cfg, "backfill", |stats| {
        let mut p = Pipeline::open(cfg.clone(), a.reserve)?;
        let result = pass(&mut p, a, from, to);
        *stats = p.stats();
        result
    })
}

/// The days of the windows, skipping days before the account's first day.
fn days(p: &Pipeline, (first, last): (NaiveDate, NaiveDate)) -> Vec<NaiveDate> {
    // Fitbit's first trackers shipped in 2009; nothing is written before 2007-01-01.
    let floor = p
        .member_since()
        .unwrap_or(NaiveDate::MIN)
        .max(NaiveDate::from_ymd_opt(2007, 1, 1).expect("date"));
    first
        .max(floor)
        .iter_days()
        .take_while(|d| *d <= last)
        .collect()
}

fn jobs(
    p: &Pipeline,
    a: &BackfillArgs,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    skip_done: bool,
) -> Vec<Job> {
    let (daily, intraday) = windows(a, p, from, to);
    let mut jobs = p.plan_daily_with(&days(p, daily), skip_done);
    if let Some(w) = intraday {
        jobs.extend(p.plan_intraday_with(&days(p, w), skip_done));
    }
    jobs
}

fn pass(
    p: &mut Pipeline,
    a: &BackfillArgs,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<(), Exit> {
    let jobs = jobs(p, a, from, to, true);
    let todo: u64 = jobs.iter().map(|j| p.cost(*j)).sum();
    let ((d0, d1), intraday) = windows(a, p, from, to);
    if d0 > d1 {
        return Err(Exit::usage(format!(
            "nothing to backfill: the window starts {d0}, after yesterday ({d1}); check \
             BACKFILL_START_DATE or --from"
        )));
    }
    if let Some(first) = p.member_since()
        && d0 < first
    {
        crate::info!("days before the account's first day ({first}) have no data and are skipped");
    }
    crate::info!(
        "backfill: daily {d0}..{d1}{}: {todo} requests to do",
        intraday
            .map(|(a, b)| format!(", intraday {a}..{b}"))
            .unwrap_or_default()
    );
    p.run(jobs, "backfill")?;
    Ok(())
}

/// `n` with thousands separators.
fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The `--plan` report: requests per family and resource, done and to do, and the time the
/// rest takes at the hourly budget less the reserve.
pub fn plan_text(
    p: &Pipeline,
    a: &BackfillArgs,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> String {
    let (daily, intraday) = windows(a, p, from, to);
    let todo_jobs = jobs(p, a, from, to, true);
    let all_jobs = jobs(p, a, from, to, false);
    let key = |j: &Job| -> Option<(u8, &'static str)> {
        match j {
            Job::Daily(f, _) | Job::DailyRange(f, _, _) => Some((0, f.key())),
            Job::Intraday(r, _) => Some((1, r.key())),
            Job::Devices => None,
        }
    };
    let mut rows: Vec<(u8, &'static str, u64, u64)> = Vec::new();
    for f in &p.cfg.families {
        rows.push((0, Family::key(*f), 0, 0));
    }
    if intraday.is_some() {
        for r in &p.cfg.intraday_resources {
            rows.push((1, Resource::key(*r), 0, 0));
        }
    }
    for (list, col) in [(&all_jobs, 2), (&todo_jobs, 3)] {
        for j in list {
            if let Some(k) = key(j)
                && let Some(row) = rows.iter_mut().find(|r| (r.0, r.1) == k)
            {
                if col == 2 {
                    row.2 += p.cost(*j);
                } else {
                    row.3 += p.cost(*j);
                }
            }
        }
    }
    let mut out = String::from("backfill plan (no request made)\n");
    if a.days.is_none()
        && from.is_none()
        && p.cfg.backfill_start.is_none()
        && p.member_since().is_none()
    {
        out += "  note: the account's first day is not known until a run reads the profile; \
                the daily window below is the last 30 days (set BACKFILL_START_DATE, or run \
                `syncbit sync` once)\n";
    }
    let n_days = |(a, b): (NaiveDate, NaiveDate)| (b - a).num_days().max(-1) + 1;
    out += &format!(
        "  daily    {}..{} ({} days)\n",
        daily.0,
        daily.1,
        n_days(daily)
    );
    if let Some(w) = intraday {
        out += &format!("  intraday {}..{} ({} days)\n", w.0, w.1, n_days(w));
    }
    out += &format!(
        "  {:<24} {:>9} {:>9} {:>9}\n",
        "family / resource", "requests", "done", "to do"
    );
    let (mut total, mut left) = (0, 0);
    for (kind, name, all, todo) in &rows {
        let label = if *kind == 0 {
            format!("{name} (daily)")
        } else {
            format!("{name} (intraday)")
        };
        out += &format!(
            "  {label:<24} {:>9} {:>9} {:>9}\n",
            thousands(*all),
            thousands(all.saturating_sub(*todo)),
            thousands(*todo)
        );
        total += all;
        left += todo;
    }
    // Every run reads devices.json, and the profile when it has not been read for a day.
    let housekeeping = 2;
    out += &format!(
        "  {:<24} {:>9} {:>9} {:>9}\n",
        "profile + devices", housekeeping, 0, housekeeping
    );
    total += housekeeping;
    left += housekeeping;
    out += &format!(
        "  {:<24} {:>9} {:>9} {:>9}\n",
        "total",
        thousands(total),
        thousands(total.saturating_sub(left)),
        thousands(left)
    );
    let limit = p
        .state
        .state
        .budget
        .and_then(|b| b.limit)
        .unwrap_or(HOURLY_LIMIT);
    let reserve = crate::source::fitbit::client::effective_reserve(a.reserve, Some(limit));
    let rate = limit.saturating_sub(reserve).max(1);
    // What the current hour still allows, when a run saved the budget.
    let now_left = p
        .state
        .state
        .budget
        .filter(|b| b.resets_at > p.now)
        .map(|b| b.remaining.saturating_sub(reserve));
    let when = match now_left {
        Some(avail) if left <= avail => "fits in what is left of this hour's budget".to_string(),
        Some(avail) => format!(
            "about {} h after this hour's remaining {avail}",
            (left - avail).div_ceil(rate)
        ),
        None if left <= rate => "fits in one hour's budget".to_string(),
        None => format!("about {} h", left.div_ceil(rate)),
    };
    out += &format!(
        "{} requests to do, {when} at {rate} requests/h ({limit} per hour, reserve {reserve})\n",
        thousands(left),
    );
    out
}
