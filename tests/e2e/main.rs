//! End-to-end tests of the syncbit binary against a simulated Fitbit API and a real
//! VictoriaMetrics.

mod auth;
mod backfill;
mod binding;
mod boundary;
mod completeness;
mod continuity;
mod coverage_gaps;
mod daily;
mod failures;
mod formatting;
mod google;
mod gsim_selftest;
mod harness;
mod import;
mod intraday;
mod newuser;
mod ops;
mod packaging;
mod profiles;
mod scale;
mod sim_selftest;
mod support;
mod takeout_gen_selftest;
mod vmagent;
mod vmauth;
