//! Planning as pure functions: from the state, the user's calendar, the clock, the run options
//! and what the account reports, to the [`Gap`]s a run should fill. `sync`, `sync-intraday` and
//! `backfill` differ only here; no function in this file makes a request or reads a file.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::calendar::Calendar;
use crate::config::Run;
use crate::source::{Family, Gap, Series};
use crate::state::{Book, Status};

/// No wearable data predates 2007: nothing is ever planned before 2007-01-01.
pub const FIRST_POSSIBLE_DAY: NaiveDate = match NaiveDate::from_ymd_opt(2007, 1, 1) {
    Some(d) => d,
    None => panic!("valid date"),
};

/// Recent runs look back at most this many days (today included).
pub const RECENT_DAYS: i64 = 7;

/// What planning knows about the user and the clock.
#[derive(Clone, Copy, Debug)]
pub struct Facts {
    /// The user's calendar.
    pub cal: Calendar,
    /// When the run started.
    pub now: DateTime<Utc>,
    /// The newest tracker sync, ms since the epoch (`None`: no device reported one).
    pub last_sync_ms: Option<i64>,
    /// The account's first day, when known.
    pub first_day: Option<NaiveDate>,
}

impl Facts {
    /// The user's calendar date now.
    pub fn today(&self) -> NaiveDate {
        self.cal.today(self.now)
    }

    /// Whether `day` is final: the tracker synced past its end (or, without device
    /// information, the day ended more than 24 hours ago). A sync reported in the future (a
    /// device clock ahead) counts as now: no day is final before it ends.
    pub fn is_complete(&self, day: NaiveDate) -> bool {
        let end = self.cal.day_end_ms(day);
        match self.last_sync_ms {
            Some(ls) => ls.min(self.now.timestamp_millis()) >= end,
            None => end + 86_400_000 <= self.now.timestamp_millis(),
        }
    }

    /// The newest instant whose data may be written: the tracker's last sync, else 24 hours
    /// ago (an API zero-fills minutes that have not synced; writing those zeros would hide the
    /// real values behind the watermark).
    pub fn cutoff_ms(&self) -> i64 {
        let now = self.now.timestamp_millis();
        match self.last_sync_ms {
            Some(ls) => ls.min(now),
            None => now - 86_400_000,
        }
    }

    /// The earliest day that can hold data: the account's first day, never before 2007.
    pub fn floor(&self) -> NaiveDate {
        self.first_day
            .unwrap_or(FIRST_POSSIBLE_DAY)
            .max(FIRST_POSSIBLE_DAY)
    }
}

/// Whether the book has `series` complete on `day`.
pub fn done(state: &Book, series: Series, day: NaiveDate) -> bool {
    let p = match series {
        Series::Daily(f) => state.daily_progress(day, f.key()),
        Series::Intraday(r, _) => state.intraday_progress(day, r.key()),
    };
    p.is_some_and(|p| p.status == Status::Complete)
}

/// Contiguous runs of `days` (any order, duplicates allowed), newest run first.
pub fn runs(mut days: Vec<NaiveDate>) -> Vec<(NaiveDate, NaiveDate)> {
    days.sort();
    days.dedup();
    let mut out: Vec<(NaiveDate, NaiveDate)> = Vec::new();
    for d in days {
        match out.last_mut() {
            Some((_, end)) if *end + Duration::days(1) == d => *end = d,
            _ => out.push((d, d)),
        }
    }
    out.reverse();
    out
}

/// Recent days for `sync`/`sync-intraday`: yesterday and (with `include_today`) today, plus the
/// days since the oldest day this kind of data was ever written, at most a week back. Oldest
/// first.
pub fn recent_days(
    state: &Book,
    facts: &Facts,
    include_today: bool,
    intraday: bool,
) -> Vec<NaiveDate> {
    let today = facts.today();
    let yesterday = today.pred_opt().expect("date");
    let map = if intraday {
        &state.intraday
    } else {
        &state.daily
    };
    let oldest_known = map.keys().next().copied().or(if intraday {
        None
    } else {
        state.daily_complete_through
    });
    let week_ago = today - Duration::days(RECENT_DAYS - 1);
    let first = match oldest_known {
        Some(d) => d.max(week_ago).min(yesterday),
        None => yesterday,
    };
    let last = if include_today { today } else { yesterday };
    let floor = facts.first_day.unwrap_or(NaiveDate::MIN);
    first
        .iter_days()
        .take_while(|d| *d <= last)
        .filter(|d| *d >= floor)
        .collect()
}

/// Daily gaps: per family, the days of `days` that are complete and (with `skip_done`) not
/// written yet, as runs, newest first.
pub fn daily_gaps(
    state: &Book,
    facts: &Facts,
    families: &[Family],
    days: &[NaiveDate],
    skip_done: bool,
) -> Vec<Gap> {
    let mut gaps = Vec::new();
    for &f in families {
        let series = Series::Daily(f);
        let missing = days
            .iter()
            .copied()
            .filter(|d| facts.is_complete(*d) && !(skip_done && done(state, series, *d)))
            .collect();
        gaps.extend(runs(missing).into_iter().map(|(first, last)| Gap {
            series,
            first,
            last,
        }));
    }
    gaps
}

/// Intraday gaps: per resource of the run options, the days of `days` that have begun before
/// the cutoff and (with `skip_done`) are not complete yet, as runs, newest first. A partial day
/// is a gap again: only its samples after the last one written are written.
pub fn intraday_gaps(
    state: &Book,
    facts: &Facts,
    run: &Run,
    days: &[NaiveDate],
    skip_done: bool,
) -> Vec<Gap> {
    let cutoff = facts.cutoff_ms();
    let mut gaps = Vec::new();
    for &r in &run.intraday_resources {
        let series = Series::Intraday(r, run.detail(r));
        let missing = days
            .iter()
            .copied()
            .filter(|d| facts.cal.day_start_ms(*d) <= cutoff)
            .filter(|d| !(skip_done && done(state, series, *d)))
            .collect();
        gaps.extend(runs(missing).into_iter().map(|(first, last)| Gap {
            series,
            first,
            last,
        }));
    }
    gaps
}

/// `sync`: the recent complete days' daily values not written yet.
pub fn sync(state: &Book, facts: &Facts, run: &Run) -> Vec<Gap> {
    let days = recent_days(state, facts, run.include_today, false);
    daily_gaps(state, facts, &run.families, &days, true)
}

/// `sync-intraday`: the recent days' intraday series not complete yet.
pub fn sync_intraday(state: &Book, facts: &Facts, run: &Run) -> Vec<Gap> {
    let days = recent_days(state, facts, run.include_today, true);
    intraday_gaps(state, facts, run, &days, true)
}

/// What `backfill` was asked for.
#[derive(Clone, Copy, Debug, Default)]
pub struct Window {
    /// `--days N`: the N days before today.
    pub days: Option<u32>,
    /// `--from`.
    pub from: Option<NaiveDate>,
    /// `--to` (at most yesterday).
    pub to: Option<NaiveDate>,
    /// `--intraday` or `ENABLE_INTRADAY_BACKFILL`.
    pub intraday: bool,
}

/// The inclusive day windows a backfill covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Windows {
    /// Daily data.
    pub daily: (NaiveDate, NaiveDate),
    /// Intraday data, when asked for.
    pub intraday: Option<(NaiveDate, NaiveDate)>,
}

/// The windows of a backfill. Without `--days`/`--from`: daily from `BACKFILL_START_DATE`, else
/// the account's first day, else 30 days back; intraday `INTRADAY_BACKFILL_DAYS` back.
pub fn backfill_windows(facts: &Facts, run: &Run, w: &Window) -> Windows {
    let today = facts.today();
    let yesterday = today - Duration::days(1);
    let last = w.to.unwrap_or(yesterday).min(yesterday);
    let (daily_first, intra_first) = if let Some(n) = w.days {
        let first = today - Duration::days(i64::from(n.max(1)));
        (first, first)
    } else if let Some(first) = w.from {
        (first, first)
    } else {
        (
            run.backfill_start
                .or(facts.first_day)
                .unwrap_or(today - Duration::days(30)),
            today - Duration::days(i64::from(run.intraday_backfill_days)),
        )
    };
    Windows {
        daily: (daily_first, last),
        intraday: w.intraday.then_some((intra_first, last)),
    }
}

/// The days of a window that can hold data (from the account's first day, never before 2007).
pub fn days_in(facts: &Facts, (first, last): (NaiveDate, NaiveDate)) -> Vec<NaiveDate> {
    first
        .max(facts.floor())
        .iter_days()
        .take_while(|d| *d <= last)
        .collect()
}

/// `backfill`: daily gaps of the daily window, then intraday gaps of the intraday window.
/// With `skip_done` false, every day counts as missing (what the whole window costs).
pub fn backfill(state: &Book, facts: &Facts, run: &Run, w: &Window, skip_done: bool) -> Vec<Gap> {
    let windows = backfill_windows(facts, run, w);
    let mut gaps = daily_gaps(
        state,
        facts,
        &run.families,
        &days_in(facts, windows.daily),
        skip_done,
    );
    if let Some(iw) = windows.intraday {
        gaps.extend(intraday_gaps(
            state,
            facts,
            run,
            &days_in(facts, iw),
            skip_done,
        ));
    }
    gaps
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{Detail, Resource};
    use crate::state::Progress;
    use chrono::TimeZone;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn run() -> Run {
        Run {
            data_dir: "/nonexistent".into(),
            user: "u".into(),
            timezone: None,
            include_today: true,
            families: vec![Family::Activity, Family::Heart],
            collect_devices: true,
            intraday_with_sync: false,
            intraday_detail: Detail::Min1,
            heart_rate_detail: Detail::Sec1,
            intraday_resources: vec![Resource::Steps, Resource::HeartRate],
            intraday_backfill: false,
            intraday_backfill_days: 30,
            backfill_start: None,
            dry_run: false,
            lock_timeout: std::time::Duration::from_secs(1),
        }
    }

    /// Facts at local `now` ("YYYY-MM-DD HH:MM") in `tz`, the tracker synced `synced_min_ago`
    /// minutes before (None: no device information).
    fn facts(tz: &str, now: &str, synced_min_ago: Option<i64>) -> Facts {
        let tz: chrono_tz::Tz = tz.parse().unwrap();
        let local = chrono::NaiveDateTime::parse_from_str(now, "%Y-%m-%d %H:%M").unwrap();
        let now = tz
            .from_local_datetime(&local)
            .earliest()
            .unwrap()
            .with_timezone(&Utc);
        Facts {
            cal: Calendar::new(tz),
            now,
            last_sync_ms: synced_min_ago.map(|m| (now - Duration::minutes(m)).timestamp_millis()),
            first_day: None,
        }
    }

    fn complete() -> Progress {
        Progress {
            status: Status::Complete,
            through_ms: None,
        }
    }

    fn gap(series: Series, first: &str, last: &str) -> Gap {
        Gap {
            series,
            first: d(first),
            last: d(last),
        }
    }

    const ACT: Series = Series::Daily(Family::Activity);
    const HEART: Series = Series::Daily(Family::Heart);
    const STEPS: Series = Series::Intraday(Resource::Steps, Detail::Min1);
    const HR: Series = Series::Intraday(Resource::HeartRate, Detail::Sec1);

    #[test]
    fn sync_on_a_fresh_state_plans_yesterday_once_it_is_complete() {
        let f = facts("Europe/Berlin", "2024-05-10 08:00", Some(5));
        let gaps = sync(&Book::default(), &f, &run());
        assert_eq!(
            gaps,
            vec![
                gap(ACT, "2024-05-09", "2024-05-09"),
                gap(HEART, "2024-05-09", "2024-05-09")
            ]
        );
    }

    #[test]
    fn sync_skips_yesterday_until_the_tracker_synced_past_its_end() {
        // Last sync 23:30 yesterday: yesterday is not complete yet.
        let f = facts("Europe/Berlin", "2024-05-10 08:00", Some(8 * 60 + 30));
        assert!(sync(&Book::default(), &f, &run()).is_empty());
    }

    #[test]
    fn sync_catches_up_missed_days_at_most_a_week_back() {
        let f = facts("Europe/Berlin", "2024-05-20 08:00", Some(1));
        let mut st = Book::default();
        // Written once, long ago: the catch-up window starts a week back.
        st.daily
            .entry(d("2024-04-01"))
            .or_default()
            .insert("activity".into(), complete());
        let gaps = sync(&st, &f, &run());
        assert_eq!(gaps[0], gap(ACT, "2024-05-14", "2024-05-19"));
        assert_eq!(gaps[1], gap(HEART, "2024-05-14", "2024-05-19"));
    }

    #[test]
    fn sync_leaves_out_days_already_complete_and_splits_runs() {
        let f = facts("UTC", "2024-05-20 08:00", Some(1));
        let mut st = Book::default();
        for day in ["2024-05-14", "2024-05-17"] {
            st.daily
                .entry(d(day))
                .or_default()
                .insert("activity".into(), complete());
        }
        let acts: Vec<Gap> = sync(&st, &f, &run())
            .into_iter()
            .filter(|g| g.series == ACT)
            .collect();
        assert_eq!(
            acts,
            vec![
                gap(ACT, "2024-05-18", "2024-05-19"),
                gap(ACT, "2024-05-15", "2024-05-16")
            ]
        );
    }

    #[test]
    fn without_device_information_a_day_is_complete_24_hours_after_it_ends() {
        let early = facts("UTC", "2024-05-10 23:00", None);
        assert!(sync(&Book::default(), &early, &run()).is_empty());
        let late = facts("UTC", "2024-05-11 00:30", None);
        // Yesterday (05-10) ended 30 minutes ago: not yet; 05-09 is outside the recent window
        // of a fresh state.
        assert!(sync(&Book::default(), &late, &run()).is_empty());
        let mut st = Book::default();
        st.daily
            .entry(d("2024-05-08"))
            .or_default()
            .insert("heart".into(), complete());
        let gaps = sync(&st, &late, &run());
        assert!(
            gaps.contains(&gap(ACT, "2024-05-08", "2024-05-09")),
            "{gaps:?}"
        );
        assert!(
            gaps.contains(&gap(HEART, "2024-05-09", "2024-05-09")),
            "{gaps:?}"
        );
    }

    #[test]
    fn sync_intraday_plans_yesterday_and_today_up_to_the_cutoff() {
        let f = facts("America/New_York", "2024-05-10 08:00", Some(30));
        let gaps = sync_intraday(&Book::default(), &f, &run());
        assert_eq!(
            gaps,
            vec![
                gap(STEPS, "2024-05-09", "2024-05-10"),
                gap(HR, "2024-05-09", "2024-05-10")
            ]
        );
    }

    #[test]
    fn sync_intraday_without_today_and_with_a_partial_day_left_over() {
        let f = facts("UTC", "2024-05-10 08:00", Some(30));
        let mut r = run();
        r.include_today = false;
        let mut st = Book::default();
        // An interrupted run left 05-08 partial and 05-09 complete for steps.
        st.intraday.entry(d("2024-05-08")).or_default().insert(
            "steps".into(),
            Progress {
                status: Status::Partial,
                through_ms: Some(1),
            },
        );
        st.intraday
            .entry(d("2024-05-09"))
            .or_default()
            .insert("steps".into(), complete());
        let gaps = sync_intraday(&st, &f, &r);
        assert_eq!(
            gaps,
            vec![
                gap(STEPS, "2024-05-08", "2024-05-08"),
                gap(HR, "2024-05-08", "2024-05-09")
            ]
        );
    }

    #[test]
    fn today_is_not_planned_before_the_tracker_synced_into_it() {
        // Last sync 23:50 yesterday: today has nothing synced.
        let f = facts("UTC", "2024-05-10 00:20", Some(30));
        let gaps = sync_intraday(&Book::default(), &f, &run());
        assert_eq!(gaps[0], gap(STEPS, "2024-05-09", "2024-05-09"));
    }

    #[test]
    fn dst_spring_forward_day_in_new_york_is_complete_after_its_23_hours() {
        // 2024-03-10 has 23 hours in New York; its end is 2024-03-11 04:00 UTC.
        let f = facts("America/New_York", "2024-03-11 00:10", Some(5));
        assert!(f.is_complete(d("2024-03-10")));
        assert_eq!(
            f.cal.day_end_ms(d("2024-03-10")) - f.cal.day_start_ms(d("2024-03-10")),
            23 * 3_600_000
        );
        let gaps = sync(&Book::default(), &f, &run());
        assert_eq!(gaps[0], gap(ACT, "2024-03-10", "2024-03-10"));
        let early = facts("America/New_York", "2024-03-10 23:50", Some(1));
        assert!(!early.is_complete(d("2024-03-10")));
    }

    #[test]
    fn dst_days_in_lord_howe_half_hour_shift() {
        // Lord Howe moves by 30 minutes: 2024-04-07 has 24.5 hours, 2024-10-06 has 23.5.
        let f = facts("Australia/Lord_Howe", "2024-10-08 09:00", Some(1));
        let len = |day: &str| f.cal.day_end_ms(d(day)) - f.cal.day_start_ms(d(day));
        assert_eq!(len("2024-04-07"), 24 * 3_600_000 + 1_800_000);
        assert_eq!(len("2024-10-06"), 23 * 3_600_000 + 1_800_000);
        let w = Window {
            from: Some(d("2024-10-05")),
            ..Window::default()
        };
        let gaps = backfill(&Book::default(), &f, &run(), &w, true);
        assert_eq!(gaps[0], gap(ACT, "2024-10-05", "2024-10-07"));
    }

    #[test]
    fn backfill_days_window_and_intraday_window() {
        let f = facts("UTC", "2024-05-10 08:00", Some(1));
        let w = Window {
            days: Some(3),
            intraday: true,
            ..Window::default()
        };
        let win = backfill_windows(&f, &run(), &w);
        assert_eq!(win.daily, (d("2024-05-07"), d("2024-05-09")));
        assert_eq!(win.intraday, Some((d("2024-05-07"), d("2024-05-09"))));
        let gaps = backfill(&Book::default(), &f, &run(), &w, true);
        assert_eq!(gaps.len(), 4);
        assert_eq!(gaps[2], gap(STEPS, "2024-05-07", "2024-05-09"));
    }

    #[test]
    fn backfill_without_a_window_uses_start_date_then_first_day_then_30_days() {
        let mut f = facts("UTC", "2024-05-10 08:00", Some(1));
        let mut r = run();
        let w = Window::default();
        assert_eq!(backfill_windows(&f, &r, &w).daily.0, d("2024-04-10"));
        f.first_day = Some(d("2023-01-15"));
        assert_eq!(backfill_windows(&f, &r, &w).daily.0, d("2023-01-15"));
        r.backfill_start = Some(d("2024-01-01"));
        assert_eq!(backfill_windows(&f, &r, &w).daily.0, d("2024-01-01"));
        r.intraday_backfill_days = 5;
        let wi = Window {
            intraday: true,
            ..w
        };
        assert_eq!(
            backfill_windows(&f, &r, &wi).intraday,
            Some((d("2024-05-05"), d("2024-05-09")))
        );
    }

    #[test]
    fn backfill_never_plans_days_before_the_account_or_2007() {
        let mut f = facts("UTC", "2024-05-10 08:00", Some(1));
        f.first_day = Some(d("2024-05-05"));
        let w = Window {
            from: Some(d("2024-01-01")),
            ..Window::default()
        };
        let gaps = backfill(&Book::default(), &f, &run(), &w, true);
        assert_eq!(gaps[0], gap(ACT, "2024-05-05", "2024-05-09"));
        f.first_day = None;
        let old = Window {
            from: Some(d("1999-01-01")),
            to: Some(d("2007-01-03")),
            ..Window::default()
        };
        let gaps = backfill(&Book::default(), &f, &run(), &old, true);
        assert_eq!(gaps[0], gap(ACT, "2007-01-01", "2007-01-03"));
    }

    #[test]
    fn backfill_to_is_capped_at_yesterday_and_an_inverted_window_plans_nothing() {
        let f = facts("UTC", "2024-05-10 08:00", Some(1));
        let w = Window {
            from: Some(d("2024-05-08")),
            to: Some(d("2024-06-01")),
            ..Window::default()
        };
        assert_eq!(
            backfill_windows(&f, &run(), &w).daily,
            (d("2024-05-08"), d("2024-05-09"))
        );
        let inverted = Window {
            from: Some(d("2024-05-09")),
            to: Some(d("2024-05-01")),
            ..Window::default()
        };
        assert!(backfill(&Book::default(), &f, &run(), &inverted, true).is_empty());
    }

    #[test]
    fn backfill_resumes_an_interrupted_run_and_counts_all_without_skip_done() {
        let f = facts("UTC", "2024-05-10 08:00", Some(1));
        let mut st = Book::default();
        // The interrupted run finished the newest ten days of activity, nothing of heart.
        for k in 1..=10 {
            st.daily
                .entry(d("2024-05-10") - Duration::days(k))
                .or_default()
                .insert("activity".into(), complete());
        }
        let w = Window {
            days: Some(30),
            ..Window::default()
        };
        let gaps = backfill(&st, &f, &run(), &w, true);
        assert_eq!(
            gaps,
            vec![
                gap(ACT, "2024-04-10", "2024-04-29"),
                gap(HEART, "2024-04-10", "2024-05-09")
            ]
        );
        let all = backfill(&st, &f, &run(), &w, false);
        assert_eq!(all[0], gap(ACT, "2024-04-10", "2024-05-09"));
    }

    #[test]
    fn migrated_state_marks_old_days_done() {
        let f = facts("UTC", "2024-05-10 08:00", Some(1));
        let st = Book {
            daily_complete_through: Some(d("2024-05-07")),
            ..Book::default()
        };
        let gaps = sync(&st, &f, &run());
        assert_eq!(gaps[0], gap(ACT, "2024-05-08", "2024-05-09"));
    }

    #[test]
    fn recent_days_respect_the_first_day() {
        let mut f = facts("UTC", "2024-05-10 08:00", Some(1));
        f.first_day = Some(d("2024-05-10"));
        let days = recent_days(&Book::default(), &f, true, true);
        assert_eq!(days, vec![d("2024-05-10")]);
    }

    #[test]
    fn a_sync_reported_in_the_future_never_makes_today_final() {
        let mut f = facts("UTC", "2024-05-10 12:00", Some(0));
        f.last_sync_ms = Some(f.now.timestamp_millis() + 13 * 3_600_000);
        assert!(!f.is_complete(d("2024-05-10")));
        assert!(f.is_complete(d("2024-05-09")));
        assert_eq!(f.cutoff_ms(), f.now.timestamp_millis());
        let gaps = sync(&Book::default(), &f, &run());
        assert_eq!(gaps[0], gap(ACT, "2024-05-09", "2024-05-09"));
    }

    #[test]
    fn runs_are_newest_first() {
        let r = runs(vec![
            d("2024-01-03"),
            d("2024-01-01"),
            d("2024-01-02"),
            d("2024-01-05"),
        ]);
        assert_eq!(
            r,
            vec![
                (d("2024-01-05"), d("2024-01-05")),
                (d("2024-01-01"), d("2024-01-03"))
            ]
        );
    }

    #[test]
    fn the_host_zone_never_matters() {
        // The same instant is a different user day in Kolkata and Los Angeles.
        let now = Utc.with_ymd_and_hms(2024, 5, 10, 20, 0, 0).unwrap();
        for (tz, yesterday) in [
            ("Asia/Kolkata", "2024-05-10"),
            ("America/Los_Angeles", "2024-05-09"),
        ] {
            let f = Facts {
                cal: Calendar::new(tz.parse().unwrap()),
                now,
                last_sync_ms: Some(now.timestamp_millis()),
                first_day: None,
            };
            let gaps = sync(&Book::default(), &f, &run());
            assert_eq!(gaps[0], gap(ACT, yesterday, yesterday), "{tz}");
        }
    }
}
