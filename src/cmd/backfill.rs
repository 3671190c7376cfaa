//! `syncbit backfill`: past days, daily and optionally intraday, newest first; resumable;
//! `--plan` prints the cost first without making a request.

use chrono::{Duration, NaiveDate};

use crate::cli::{BackfillArgs, Global};
use crate::config::{Needs, parse_date};
use crate::engine::Engine;
use crate::engine::plan::{self, Window};
use crate::error::Exit;
use crate::source::{Request, Series};

fn window(a: &BackfillArgs, e: &Engine, from: Option<NaiveDate>, to: Option<NaiveDate>) -> Window {
    Window {
        days: a.days,
        from,
        to,
        intraday: a.intraday || e.opts.intraday_backfill,
    }
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
    let cfg = crate::config::load(
        g,
        Needs {
            credentials: !a.plan,
            sink: !a.plan,
        },
    )?;
    if a.days.is_none()
        && from.is_none()
        && let Some(d) = cfg.run.backfill_start
        && d >= latest_today
    {
        return Err(Exit::usage(format!(
            "BACKFILL_START_DATE={d} is not in the past; backfill covers days before today"
        )));
    }
    // What the run would refuse, --plan refuses too, before any request.
    let e = Engine::offline(cfg.run.clone(), super::open_source(&cfg, a.reserve))?;
    check(&e, a, from, to)?;
    if a.plan {
        if !e.zone_known() {
            crate::warn!(
                "the user's time zone is not known yet (no run has read the account); planning in UTC"
            );
        }
        print!("{}", plan_text(&e, a, from, to));
        return Ok(());
    }
    drop(e);
    crate::health::run(&cfg, "backfill", |stats| {
        let mut e = super::open(&cfg, a.reserve)?;
        let result = pass(&mut e, a, from, to);
        *stats = e.stats();
        result
    })
}

/// The refusals of a backfill: a reserve not below the quota window, a window that ends before
/// it starts.
///
/// Errors: exit 2.
fn check(
    e: &Engine,
    a: &BackfillArgs,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<(), Exit> {
    if let (Some(r), Some(size)) = (a.reserve, e.source().quota_size())
        && r >= size
    {
        return Err(Exit::usage(format!(
            "--reserve {r} leaves nothing to backfill: {} allows {size} requests per window; accepted: 0 to {}",
            e.source().name(),
            size - 1
        )));
    }
    let (d0, d1) = plan::backfill_windows(&e.facts, &e.opts, &window(a, e, from, to)).daily;
    if d0 > d1 {
        return Err(Exit::usage(format!(
            "nothing to backfill: the window starts {d0}, after yesterday ({d1}); check \
             BACKFILL_START_DATE or --from"
        )));
    }
    Ok(())
}

fn pass(
    e: &mut Engine,
    a: &BackfillArgs,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<(), Exit> {
    let w = window(a, e, from, to);
    let gaps = plan::backfill(e.book(), &e.facts, &e.opts, &w, true);
    let todo: u64 = e.requests(&gaps).iter().map(|r| r.cost).sum();
    let windows = plan::backfill_windows(&e.facts, &e.opts, &w);
    let (d0, d1) = windows.daily;
    // Again with the account's zone, which may put "yesterday" a day earlier.
    check(e, a, from, to)?;
    if let Some(first) = e.facts.first_day
        && d0 < first
    {
        crate::info!("days before the account's first day ({first}) have no data and are skipped");
    }
    crate::info!(
        "backfill: daily {d0}..{d1}{}: {todo} requests to do",
        windows
            .intraday
            .map(|(a, b)| format!(", intraday {a}..{b}"))
            .unwrap_or_default()
    );
    let summary = e.run(&gaps, false, "backfill")?;
    crate::engine::failures(&[&summary])
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
/// rest takes under the source's quota.
pub fn plan_text(
    e: &Engine,
    a: &BackfillArgs,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> String {
    let w = window(a, e, from, to);
    let windows = plan::backfill_windows(&e.facts, &e.opts, &w);
    let st = e.book();
    let todo_reqs = e.requests(&plan::backfill(st, &e.facts, &e.opts, &w, true));
    let all_reqs = e.requests(&plan::backfill(st, &e.facts, &e.opts, &w, false));
    let key = |r: &Request| -> (u8, &'static str) {
        match r.series {
            Series::Daily(f) => (0, f.key()),
            Series::Intraday(r, _) => (1, r.key()),
        }
    };
    let mut rows: Vec<(u8, &'static str, u64, u64)> = Vec::new();
    for f in &e.opts.families {
        rows.push((0, f.key(), 0, 0));
    }
    if windows.intraday.is_some() {
        for r in &e.opts.intraday_resources {
            rows.push((1, r.key(), 0, 0));
        }
    }
    for (list, all) in [(&all_reqs, true), (&todo_reqs, false)] {
        for r in list {
            if let Some(row) = rows.iter_mut().find(|row| (row.0, row.1) == key(r)) {
                if all {
                    row.2 += r.cost;
                } else {
                    row.3 += r.cost;
                }
            }
        }
    }
    let mut out = String::from("backfill plan (no request made)\n");
    if a.days.is_none()
        && from.is_none()
        && e.opts.backfill_start.is_none()
        && e.facts.first_day.is_none()
    {
        out += "  note: the account's first day is not known until a run reads the profile; \
                the daily window below is the last 30 days (set BACKFILL_START_DATE, or run \
                `syncbit sync` once)\n";
    }
    let n_days = |(a, b): (NaiveDate, NaiveDate)| (b - a).num_days().max(-1) + 1;
    out += &format!(
        "  daily    {}..{} ({} days)\n",
        windows.daily.0,
        windows.daily.1,
        n_days(windows.daily)
    );
    if let Some(w) = windows.intraday {
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
    // Every run reads the devices, and the account when it has not been read for a day.
    let housekeeping = e.source().account_calls();
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
    out += &format!(
        "{} requests to do, {}\n",
        thousands(left),
        e.source().pace(left)
    );
    out
}
