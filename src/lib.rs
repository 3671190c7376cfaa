//! syncbit: copies Fitbit data into VictoriaMetrics, one fetch → format → push pass per run.
//!
//! Layout: [`cli`] and [`cmd`] (what the user asks for), [`source`] (where data comes from),
//! [`metrics`] (what it becomes), [`sink`] (where it goes), [`state`] (what we remember), all
//! joined by the [`pipeline`].

#[macro_use]
pub mod log;

pub mod calendar;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod error;
pub mod format;
pub mod fsutil;
pub mod health;
pub mod metrics;
pub mod pipeline;
pub mod sink;
pub mod source;
pub mod state;
