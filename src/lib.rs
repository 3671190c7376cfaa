//! syncbit: copies Fitbit data into VictoriaMetrics, one fetch → format → push pass per run.
//!
//! Layout: [`cli`] and [`cmd`] (what the user asks for), the [`engine`] (plan → fetch → format
//! → journal → push → record), [`source`] (where data comes from), [`metrics`] and [`format`]
//! (what it becomes), [`sink`] (where it goes), [`state`] (what we remember). See
//! ARCHITECTURE.md.

#[macro_use]
pub mod log;

pub mod calendar;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod engine;
pub mod error;
pub mod format;
pub mod fsutil;
pub mod health;
pub mod interrupt;
pub mod metrics;
pub mod sink;
pub mod source;
pub mod state;
