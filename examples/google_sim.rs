//! The Google Health API simulator as a stand-alone process (for the README demo).
//!
//! `cargo run --example google_sim -- [--timezone TZ] [--first-day YYYY-MM-DD] [--data-dir DIR]
//! [--env-file PATH]`. With `--data-dir`, `DIR/google_tokens.json` (mode 0600) receives valid
//! tokens for the simulator. With `--env-file`, PATH receives the `GOOGLE_*` variables that
//! point syncbit at the simulator (written last: its presence means the simulator is up).

#[allow(dead_code)]
#[path = "../tests/e2e/support/google_sim.rs"]
mod google_sim;
// The simulators share the fixtures lookup.
#[allow(dead_code)]
#[path = "../tests/e2e/support/sim.rs"]
mod sim;

use std::io::Write;

fn main() {
    let mut cfg = google_sim::GoogleSimConfig::default();
    let (mut data_dir, mut env_file) = (None, None);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut val = || {
            args.next()
                .unwrap_or_else(|| die(&format!("{flag} needs a value")))
        };
        match flag.as_str() {
            "--timezone" => {
                let tz = val();
                if tz.parse::<chrono_tz::Tz>().is_err() {
                    die("bad --timezone");
                }
                cfg.timezone = tz;
            }
            "--first-day" => {
                cfg.first_day = chrono::NaiveDate::parse_from_str(&val(), "%Y-%m-%d")
                    .unwrap_or_else(|_| die("bad --first-day"))
            }
            "--data-dir" => data_dir = Some(std::path::PathBuf::from(val())),
            "--env-file" => env_file = Some(val()),
            "-h" | "--help" => {
                println!(
                    "usage: google_sim [--timezone TZ] [--first-day YYYY-MM-DD] [--data-dir DIR] [--env-file PATH]"
                );
                return;
            }
            other => die(&format!("unknown flag {other}")),
        }
    }
    let sim = google_sim::GoogleSim::start(cfg);
    if let Some(dir) = data_dir {
        sim::write_private(&dir, "google_tokens.json", &sim.token_json(false))
            .unwrap_or_else(|e| die(&e));
    }
    if let Some(p) = env_file {
        let text = format!(
            "GOOGLE_HEALTH_API_BASE_URL={}\nGOOGLE_TOKEN_URL={}\nGOOGLE_AUTH_URL={}\nGOOGLE_REVOKE_URL={}\nGOOGLE_CLIENT_ID={}\nGOOGLE_CLIENT_SECRET={}\n",
            sim.base_url(),
            sim.token_url(),
            sim.auth_url(),
            sim.revoke_url(),
            google_sim::CLIENT_ID,
            google_sim::CLIENT_SECRET
        );
        let tmp = format!("{p}.tmp");
        std::fs::write(&tmp, text)
            .and_then(|_| std::fs::rename(&tmp, &p))
            .unwrap_or_else(|e| die(&format!("{p}: {e}")));
    }
    println!("google health simulator listening on {}", sim.base_url());
    std::io::stdout().flush().ok();
    loop {
        std::thread::park();
    }
}

fn die(msg: &str) -> ! {
    eprintln!("google_sim: {msg}");
    std::process::exit(2)
}
