//! `syncbit sync`: daily values of the recent days that are complete and not written yet, and
//! the devices' battery and last sync.

use crate::cli::Global;
use crate::config::Needs;
use crate::engine::{Engine, plan};
use crate::error::Exit;

/// Run `sync`; with `ENABLE_INTRADAY_COLLECTION=true` also the intraday pass.
pub fn run(g: &Global) -> Result<(), Exit> {
    let cfg = crate::config::load(
        g,
        Needs {
            credentials: true,
            sink: true,
        },
    )?;
    crate::health::run(&cfg, "sync", |stats| {
        let mut e = super::open(&cfg, Some(0))?;
        let result = pass(&mut e);
        *stats = e.stats();
        result
    })
}

fn pass(e: &mut Engine) -> Result<(), Exit> {
    let gaps = plan::sync(e.book(), &e.facts, &e.opts);
    let daily = e.run(&gaps, e.opts.collect_devices, "sync")?;
    // A request that failed on its own does not keep the intraday pass from running.
    let intraday = if e.opts.intraday_with_sync {
        let gaps = plan::sync_intraday(e.book(), &e.facts, &e.opts);
        Some(e.run(&gaps, false, "sync-intraday")?)
    } else {
        None
    };
    let mut passes = vec![&daily];
    passes.extend(intraday.as_ref());
    crate::engine::failures(&passes)
}
