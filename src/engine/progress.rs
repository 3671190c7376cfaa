//! What a run shows while it works: a progress bar on a terminal, else (the journal) a log line
//! at every tenth of a long run.

use std::io::IsTerminal;

/// Progress over the API calls of one pass.
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
    what: String,
    total: u64,
    done: u64,
}

impl Progress {
    /// Progress over `total` calls, labelled `what` (the command).
    pub fn new(total: u64, what: &str) -> Progress {
        let bar = (total >= 2
            && std::io::stderr().is_terminal()
            && crate::log::enabled(crate::log::Level::Info))
        .then(|| {
            let bar = indicatif::ProgressBar::new(total);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{prefix} [{bar:30}] {pos}/{len} requests, eta {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.set_prefix(what.to_string());
            bar
        });
        Progress {
            bar,
            what: what.to_string(),
            total,
            done: 0,
        }
    }

    /// `cost` more calls are done.
    pub fn advance(&mut self, cost: u64) {
        let before = self.done;
        self.done += cost;
        if let Some(b) = &self.bar {
            b.inc(cost);
        } else {
            let tenth = (self.total / 10).max(1);
            if self.total >= 50 && self.done / tenth != before / tenth {
                crate::info!(
                    "{}: {} of {} requests done",
                    self.what,
                    self.done,
                    self.total
                );
            }
        }
    }

    /// The pass ended early: leave the bar where it stopped.
    pub fn abandon(&self) {
        if let Some(b) = &self.bar {
            b.abandon();
        }
    }

    /// The pass is done: remove the bar.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// `n` with the noun in singular or plural: `1 request`, `3 requests`.
pub fn count(n: impl Into<u64>, noun: &str) -> String {
    let n = n.into();
    match (n, noun.ends_with(['s', 'h'])) {
        (1, _) => format!("1 {noun}"),
        (_, true) => format!("{n} {noun}es"),
        _ => format!("{n} {noun}s"),
    }
}
