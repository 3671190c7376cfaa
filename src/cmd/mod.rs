//! One file per subcommand; each plans its jobs and hands them to the pipeline.

pub mod auth;
pub mod backfill;
pub mod state;
pub mod sync;
pub mod sync_intraday;
