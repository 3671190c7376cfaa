//! Shared helpers for the end-to-end tests: a fake Fitbit Web API ([`sim`]), a real
//! VictoriaMetrics ([`vm`]) and a clean command line for the `syncbit` binary.
#![allow(dead_code)]

pub mod google_sim;
pub mod sim;
pub mod vm;

use std::process::Command;

/// `syncbit` with a clean environment: only `PATH` and `HOME` are kept, `TZ` is unset and
/// `LANG=C`.
pub fn syncbit() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_syncbit"));
    c.env_clear();
    for k in ["PATH", "HOME"] {
        if let Some(v) = std::env::var_os(k) {
            c.env(k, v);
        }
    }
    c.env("LANG", "C");
    c
}
