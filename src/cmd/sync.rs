//! `syncbit sync`: daily summaries of the recent days that are not complete yet.

use crate::cli::Global;
use crate::error::Exit;
use crate::pipeline::{Job, Pipeline};

/// Run `sync`; with `ENABLE_INTRADAY_COLLECTION=true` also the intraday pass.
pub fn run(g: &Global) -> Result<(), Exit> {
    let cfg = crate::config::load(g, true, true)?;
    crate::health::run(&cfg, "sync", |stats| {
        let mut p = Pipeline::open(cfg.clone(), Some(0))?;
        let result = pass(&mut p);
        *stats = p.stats();
        result
    })
}

fn pass(p: &mut Pipeline) -> Result<(), Exit> {
    let with_intraday = p.cfg.intraday_with_sync;
    let mut jobs = p.plan_daily(&p.recent_days(false));
    if p.cfg.collect_devices {
        jobs.push(Job::Devices);
    }
    p.run(jobs, "sync")?;
    if with_intraday {
        let jobs = super::sync_intraday::plan(p);
        p.run(jobs, "sync-intraday")?;
    }
    Ok(())
}
