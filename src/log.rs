//! One-line log messages on stderr, filtered by level.
//!
//! Levels follow syslog order. When stderr is the systemd journal (`JOURNAL_STREAM` set) each
//! line starts with the sd-daemon `<N>` priority prefix so `journalctl -p` can filter it.

use std::sync::atomic::{AtomicU8, Ordering};

/// Log levels, most severe first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Something failed.
    Error = 3,
    /// Something is off but the run goes on.
    Warn = 4,
    /// Normal progress (the default).
    Info = 6,
    /// Details for troubleshooting (`-v`).
    Debug = 7,
}

static MAX: AtomicU8 = AtomicU8::new(Level::Info as u8);
static JOURNAL: AtomicU8 = AtomicU8::new(0);

/// Set the most verbose level that is printed.
pub fn init(max: Level) {
    MAX.store(max as u8, Ordering::Relaxed);
    JOURNAL.store(
        u8::from(std::env::var_os("JOURNAL_STREAM").is_some()),
        Ordering::Relaxed,
    );
}

/// Whether `level` is printed.
pub fn enabled(level: Level) -> bool {
    (level as u8) <= MAX.load(Ordering::Relaxed)
}

/// Print one line at `level` (use the macros).
pub fn write(level: Level, msg: std::fmt::Arguments) {
    if !enabled(level) {
        return;
    }
    let text = msg.to_string();
    let text = text.replace('\n', " ");
    if JOURNAL.load(Ordering::Relaxed) == 1 {
        eprintln!("<{}>{}", level as u8, text);
    } else {
        let tag = match level {
            Level::Error => "error: ",
            Level::Warn => "warning: ",
            Level::Info | Level::Debug => "",
        };
        eprintln!("syncbit: {tag}{text}");
    }
}

/// Log at error level.
#[macro_export]
macro_rules! error { ($($t:tt)*) => { $crate::log::write($crate::log::Level::Error, format_args!($($t)*)) } }
/// Log at warning level.
#[macro_export]
macro_rules! warn { ($($t:tt)*) => { $crate::log::write($crate::log::Level::Warn, format_args!($($t)*)) } }
/// Log at info level.
#[macro_export]
macro_rules! info { ($($t:tt)*) => { $crate::log::write($crate::log::Level::Info, format_args!($($t)*)) } }
/// Log at debug level.
#[macro_export]
macro_rules! debug { ($($t:tt)*) => { $crate::log::write($crate::log::Level::Debug, format_args!($($t)*)) } }
