//! Shared helpers for the end-to-end tests: a fake Fitbit Web API ([`sim`]), a real
//! VictoriaMetrics ([`vm`]), a synthetic Takeout export ([`takeout_gen`]) and a clean command
//! line for the `syncbit` binary.
#![allow(dead_code)]

pub mod google_sim;
pub mod sim;
pub mod takeout_gen;
pub mod vm;
pub mod vmproxy;

use std::process::Command;

/// `syncbit` with a clean environment: only `PATH` and `HOME` are kept, `TZ` is unset and
/// `LANG=C`. Under `cargo llvm-cov` the coverage variables are kept as well, so the runs of
/// the binary are counted (syncbit reads none of them).
pub fn syncbit() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_syncbit"));
    c.env_clear();
    for k in ["PATH", "HOME"] {
        if let Some(v) = std::env::var_os(k) {
            c.env(k, v);
        }
    }
    keep_coverage_env(&mut c);
    c.env("LANG", "C");
    c
}

/// Copies the variables `cargo llvm-cov` sets for the processes it runs (`LLVM_PROFILE_FILE`,
/// where an instrumented binary writes its profile, and `CARGO_LLVM_COV*`) into `c`, whose
/// environment was cleared. Nothing is copied outside a coverage run.
pub fn keep_coverage_env(c: &mut Command) {
    for (k, v) in std::env::vars_os() {
        let name = k.to_string_lossy();
        if name == "LLVM_PROFILE_FILE" || name.starts_with("CARGO_LLVM_COV") {
            c.env(&k, v);
        }
    }
}
