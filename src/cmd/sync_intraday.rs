//! `syncbit sync-intraday`: intraday series of the recent days that are not complete yet.

use crate::cli::Global;
use crate::config::Needs;
use crate::engine::plan;
use crate::error::Exit;

/// Run `sync-intraday`.
pub fn run(g: &Global) -> Result<(), Exit> {
    let cfg = crate::config::load(
        g,
        Needs {
            credentials: true,
            sink: true,
        },
    )?;
    crate::health::run(&cfg, "sync-intraday", |stats| {
        let mut e = super::open(&cfg, Some(0))?;
        let gaps = plan::sync_intraday(e.book(), &e.facts, &e.opts);
        let result = e
            .run(&gaps, false, "sync-intraday")
            .and_then(|s| crate::engine::failures(&[&s]));
        *stats = e.stats();
        result
    })
}
