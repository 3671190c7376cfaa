//! The journal (`DATA_DIR/spool/`): every fetched batch is written here, with the progress it
//! carries, before it is pushed; its file is removed only after the sink accepted it and the
//! state recorded its progress. A run that finds files here (VictoriaMetrics was down, the
//! process was killed) pushes and records them before anything else, so no request is
//! repeated for data already fetched, and nothing unpushed is ever marked done.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::fsutil::{atomic_write, ensure_dir};
use crate::state::Progress;

/// Progress that becomes true once its batch is pushed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Record {
    /// A daily family of one day.
    Daily {
        family: String,
        day: NaiveDate,
        progress: Progress,
    },
    /// An intraday resource of one day.
    Intraday {
        resource: String,
        day: NaiveDate,
        progress: Progress,
    },
    /// A file of an account export, written whole (or, with `window`, the samples of those
    /// local days); `through_ms` is its last instant written.
    File {
        path: String,
        size: u64,
        crc: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        through_ms: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        window: Option<(NaiveDate, NaiveDate)>,
    },
    /// Daily values of an import family written for `first..=last`.
    Days {
        family: String,
        first: NaiveDate,
        last: NaiveDate,
    },
    /// Device metrics written up to these last-sync instants.
    Devices {
        /// Device id → last sync, ms since the epoch.
        written: BTreeMap<String, i64>,
    },
}

/// One journal file: Prometheus text and the progress it carries.
#[derive(Serialize, Deserialize)]
pub struct Entry {
    /// The id of the source whose progress the records are (absent in files of version 0.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Progress to record once the text is pushed.
    pub records: Vec<Record>,
    /// Prometheus text lines.
    pub text: String,
    /// Number of samples in `text`.
    pub samples: usize,
}

/// The journal of one data directory.
pub struct Journal {
    dir: PathBuf,
    stamp: String,
    seq: u32,
}

impl Journal {
    /// The journal in `data_dir/spool`; new files are named after `stamp` (the run's start) and
    /// a sequence number, so they sort in the order they were written.
    pub fn new(data_dir: &Path, stamp: String) -> Journal {
        Journal {
            dir: data_dir.join("spool"),
            stamp,
            seq: 0,
        }
    }

    /// The folder, for messages.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Write an entry before its text is pushed.
    ///
    /// Errors: the folder or file cannot be written (message names the path).
    pub fn write(
        &mut self,
        source: &str,
        records: &[Record],
        text: &str,
        samples: usize,
    ) -> Result<PathBuf, String> {
        self.seq += 1;
        let path = self
            .dir
            .join(format!("{}-{:06}.json", self.stamp, self.seq));
        let body = serde_json::to_vec(&Entry {
            source: Some(source.to_string()),
            records: records.to_vec(),
            text: text.to_string(),
            samples,
        })
        .map_err(|e| e.to_string())?;
        ensure_dir(&self.dir)
            .and_then(|_| atomic_write(&path, &body))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(path)
    }

    /// The entries left by earlier runs, oldest first. An unreadable file is reported and
    /// removed (it cannot be pushed; its requests are made again because nothing was recorded).
    pub fn pending(&self) -> Vec<(PathBuf, Entry)> {
        self.read(true)
    }

    fn read(&self, remove_bad: bool) -> Vec<(PathBuf, Entry)> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        let mut out = Vec::new();
        for f in files {
            match std::fs::read(&f)
                .ok()
                .and_then(|b| serde_json::from_slice::<Entry>(&b).ok())
            {
                Some(e) => out.push((f, e)),
                None if remove_bad => {
                    crate::warn!("ignoring unreadable journal file {}", f.display());
                    let _ = std::fs::remove_file(&f);
                }
                None => {}
            }
        }
        out
    }

    /// Files and samples waiting to be pushed, read without changing anything.
    pub fn waiting(&self) -> (usize, usize) {
        let pending = self.read(false);
        (pending.len(), pending.iter().map(|(_, e)| e.samples).sum())
    }

    /// Forget entries whose batch was pushed and recorded.
    pub fn commit(paths: &mut Vec<PathBuf>) {
        for p in paths.drain(..) {
            let _ = std::fs::remove_file(p);
        }
    }
}
