//! `syncbit sync-intraday`: intraday series of the recent days that are not complete yet.

use crate::cli::Global;
use crate::error::Exit;
use crate::pipeline::{Job, Pipeline};

/// The intraday jobs of the recent days, newest day first.
pub fn plan(p: &Pipeline) -> Vec<Job> {
    p.plan_intraday(&p.recent_days(true))
}

/// Run `sync-intraday`.
pub fn run(g: &Global) -> Result<(), Exit> {
    let cfg = crate::config::load(g, true, true)?;
    crate::health::run(&cfg, "sync-intraday", |stats| {
        let mut p = Pipeline::open(cfg.clone(), Some(0))?;
        let jobs = plan(&p);
        let result = p.run(jobs, "sync-intraday").map(|_| ());
        *stats = p.stats();
        result
    })
}
