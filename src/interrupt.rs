//! SIGINT and SIGTERM during a run: the first one asks the run to stop at the next request
//! boundary (what was fetched is written and recorded, then the process exits 130 or 143); a
//! second one ends the process at once with the same code.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use signal_hook::consts::{SIGINT, SIGTERM};

/// Exit code after SIGINT (128 + 2).
pub const INTERRUPTED: u8 = 130;
/// Exit code after SIGTERM (128 + 15).
pub const TERMINATED: u8 = 143;

static FLAG: std::sync::OnceLock<Arc<AtomicUsize>> = std::sync::OnceLock::new();

/// Catch SIGINT and SIGTERM from now on (commands that run the engine call this).
pub fn install() {
    let flag = FLAG.get_or_init(|| Arc::new(AtomicUsize::new(0)));
    for (signal, code) in [(SIGINT, INTERRUPTED), (SIGTERM, TERMINATED)] {
        // A second signal while the first is being honoured ends the process at once.
        let armed = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let _ = signal_hook::flag::register_conditional_shutdown(
            signal,
            i32::from(code),
            armed.clone(),
        );
        let _ = signal_hook::flag::register(signal, armed);
        let _ = signal_hook::flag::register_usize(signal, flag.clone(), usize::from(code));
    }
}

/// The exit code of the signal that asked the run to stop, if one did.
pub fn requested() -> Option<u8> {
    FLAG.get()
        .map(|f| f.load(Ordering::Relaxed))
        .filter(|c| *c != 0)
        .map(|c| c as u8)
}

/// Sleep `d`, waking early when a stop is requested.
pub fn sleep(d: Duration) {
    let until = Instant::now() + d;
    while requested().is_none() {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        std::thread::sleep(left.min(Duration::from_millis(100)));
    }
}
