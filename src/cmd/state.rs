//! `syncbit state show|reset`.

use std::collections::BTreeMap;

use crate::cli::{Global, StateCommand};
use crate::error::Exit;
use crate::fsutil::lock_dir;
use crate::state::{Book, StateFile, Status};

/// Run `state show` or `state reset`.
pub fn run(g: &Global, c: &StateCommand) -> Result<(), Exit> {
    let cfg = crate::config::load(g, crate::config::Needs::default())?;
    let data_dir = &cfg.run.data_dir;
    match c {
        StateCommand::Show { json } => {
            // Read-only: no lock, nothing created; an atomic rename never shows a torn file.
            let sf = StateFile::load(data_dir).map_err(Exit::failure)?;
            if *json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&sf.state).expect("state serializes")
                );
            } else {
                print!("{}", describe(&sf));
                let journal = crate::engine::journal::Journal::new(data_dir, String::new());
                let (files, samples) = journal.waiting();
                if files > 0 {
                    println!(
                        "waiting in {}: {} with {}, fetched but not pushed yet (the next run writes them)",
                        journal.dir().display(),
                        crate::engine::progress::count(files as u64, "batch"),
                        crate::engine::progress::count(samples as u64, "sample"),
                    );
                }
            }
        }
        StateCommand::Reset { daily, intraday } => {
            crate::config::check_dir(data_dir)?;
            let _lock = lock_dir(data_dir, cfg.run.lock_timeout)?;
            let (d, i) = match (daily, intraday) {
                (false, false) => (true, true),
                (d, i) => (*d, *i),
            };
            if cfg.run.dry_run {
                println!(
                    "dry run: would forget {} progress in {}",
                    if d && i {
                        "all"
                    } else if d {
                        "daily"
                    } else {
                        "intraday"
                    },
                    data_dir.join(crate::state::STATE_FILE).display()
                );
                return Ok(());
            }
            let mut sf = StateFile::load_or_set_aside(data_dir).map_err(Exit::failure)?;
            // Every source's progress: a reset is about what to fetch again, from any source.
            let ids: Vec<String> = sf.state.books().map(|(id, _)| id.to_string()).collect();
            for id in ids {
                let book = sf.state.book_mut(&id);
                if d {
                    book.daily.clear();
                    book.daily_complete_through = None;
                    book.devices_written.clear();
                }
                if i {
                    book.intraday.clear();
                }
            }
            sf.save()
                .map_err(|e| Exit::failure(format!("cannot write {}: {e}", sf.path.display())))?;
            crate::info!(
                "forgot {} progress in {}; data in VictoriaMetrics stays",
                match (d, i) {
                    (true, true) => "daily and intraday",
                    (true, false) => "daily",
                    _ => "intraday",
                },
                sf.path.display()
            );
        }
    }
    Ok(())
}

fn describe_book(b: &Book) -> String {
    let mut out = String::new();
    if let Some(d) = b.daily_complete_through {
        out += &format!("daily complete through {d} (migrated)\n");
    }
    for (title, map) in [("daily", &b.daily), ("intraday", &b.intraday)] {
        let mut rows: BTreeMap<&str, (usize, usize, Option<chrono::NaiveDate>)> = BTreeMap::new();
        for (day, items) in map {
            for (k, p) in items {
                let row = rows.entry(k.as_str()).or_default();
                match p.status {
                    Status::Complete => {
                        row.0 += 1;
                        row.2 = Some(*day);
                    }
                    Status::Partial => row.1 += 1,
                }
            }
        }
        out += &format!("{title}:\n");
        if rows.is_empty() {
            out += "  nothing written yet\n";
        }
        for (k, (c, p, newest)) in rows {
            out += &format!(
                "  {k:<16} {c:>5} complete, {p} partial, newest complete {}\n",
                newest.map(|d| d.to_string()).unwrap_or_else(|| "-".into())
            );
        }
    }
    out
}

/// A human summary: per family/resource, complete and partial day counts and the newest
/// complete day.
pub fn describe(sf: &StateFile) -> String {
    let s = &sf.state;
    let mut out = format!("state file: {}\n", sf.path.display());
    out += &format!(
        "time zone: {}\n",
        s.profile_timezone.as_deref().unwrap_or("(not read yet)")
    );
    if let Some(t) = s.last_sync {
        out += &format!("last run that wrote data: {}\n", t.to_rfc3339());
    }
    for (source, memo) in &s.quota {
        if let Some(t) = memo.get("rate_limited_until").and_then(|t| t.as_str()) {
            out += &format!("rate limit of {source}: paused until {t}\n");
        }
    }
    let books: Vec<(&str, &Book)> = s.books().filter(|(_, b)| !b.is_empty()).collect();
    let books = if books.is_empty() {
        vec![s.books().next().expect("the first book")]
    } else {
        books
    };
    let several = books.len() > 1;
    for (id, book) in books {
        if several {
            out += &format!("source {id}:\n");
        }
        out += &describe_book(book);
    }
    out
}
