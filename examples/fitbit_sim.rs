//! The Fitbit Web API simulator as a stand-alone process (for the README demo).
//!
//! `cargo run --example fitbit_sim -- [--port N] [--timezone TZ] [--budget N] [--data-dir DIR]
//! [--ready-file PATH]`. With `--data-dir`, `DIR/fitbit_tokens.json` (mode 0600) receives valid
//! tokens for the simulator; the client id/secret are `SIMCLIENT` / `sim-secret`.

#[allow(dead_code)]
#[path = "../tests/e2e/support/sim.rs"]
mod sim;

use std::io::Write;

fn main() {
    let mut cfg = sim::SimConfig::default();
    let (mut port, mut data_dir, mut ready) = (0u16, None, None);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut val = || {
            args.next()
                .unwrap_or_else(|| die(&format!("{flag} needs a value")))
        };
        match flag.as_str() {
            "--port" => port = val().parse().unwrap_or_else(|_| die("bad --port")),
            "--timezone" => {
                let tz = val();
                if tz.parse::<chrono_tz::Tz>().is_err() {
                    die("bad --timezone");
                }
                cfg.timezone = tz;
            }
            "--budget" => cfg.budget = val().parse().unwrap_or_else(|_| die("bad --budget")),
            "--data-dir" => data_dir = Some(std::path::PathBuf::from(val())),
            "--ready-file" => ready = Some(val()),
            "-h" | "--help" => {
                println!(
                    "usage: fitbit_sim [--port N] [--timezone TZ] [--budget N] [--data-dir DIR] [--ready-file PATH]"
                );
                return;
            }
            other => die(&format!("unknown flag {other}")),
        }
    }
    let sim = sim::Sim::start_on_port(cfg, port);
    if let Some(dir) = data_dir {
        sim::write_private(&dir, "fitbit_tokens.json", &sim.token_json(false))
            .unwrap_or_else(|e| die(&e));
    }
    if let Some(p) = ready {
        std::fs::write(&p, sim.base_url()).unwrap_or_else(|e| die(&format!("{p}: {e}")));
    }
    println!("fitbit simulator listening on {}", sim.base_url());
    std::io::stdout().flush().ok();
    loop {
        std::thread::park();
    }
}

fn die(msg: &str) -> ! {
    eprintln!("fitbit_sim: {msg}");
    std::process::exit(2)
}
