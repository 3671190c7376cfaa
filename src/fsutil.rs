//! Atomic file writes and the per-data-directory run lock.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{Exit, TEMPFAIL};

/// Write `bytes` to `path` so that a crash leaves either the old or the new content, never a
/// mix: temp file in the same directory, fsync, rename, fsync of the directory. The file gets
/// mode 0600 (tokens and state are private).
///
/// Errors: the directory is missing or not writable, or the disk is full.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".syncbit-")
        .suffix(".tmp")
        .permissions(fs::Permissions::from_mode(0o600))
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    File::open(dir)?.sync_all()?;
    Ok(())
}

/// Create `dir` (mode 0700) with its parents when it does not exist yet.
pub fn ensure_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// An exclusive lock on `<data dir>/syncbit.lock`, held until dropped. The kernel releases it
/// when the process dies, so a crash never leaves it stuck.
pub struct RunLock {
    _file: File,
    /// The lock file.
    pub path: PathBuf,
}

/// Take the run lock of `dir`, waiting up to `timeout` for another run to finish.
///
/// Errors: exit 75 naming the holder's pid when the wait times out; exit 1 when the lock file
/// cannot be opened.
pub fn lock_dir(dir: &Path, timeout: Duration) -> Result<RunLock, Exit> {
    let path = dir.join("syncbit.lock");
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&path)
        .map_err(|e| Exit::failure(format!("cannot open lock file {}: {e}", path.display())))?;
    let start = Instant::now();
    let mut said = false;
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(fs::TryLockError::WouldBlock) if start.elapsed() < timeout => {
                if !said {
                    said = true;
                    let pid = fs::read_to_string(&path).unwrap_or_default();
                    crate::info!(
                        "waiting up to {} s for another syncbit run (pid {}) to release {}",
                        timeout.as_secs(),
                        pid.trim(),
                        path.display()
                    );
                }
                if let Some(code) = crate::interrupt::requested() {
                    return Err(Exit::new(
                        code,
                        format!("interrupted while waiting for {}", path.display()),
                    ));
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(fs::TryLockError::WouldBlock) => {
                let pid = fs::read_to_string(&path).unwrap_or_default();
                let pid = pid.trim();
                let pid = if pid.is_empty() { "unknown" } else { pid };
                return Err(Exit::new(
                    TEMPFAIL,
                    format!(
                        "another syncbit run (pid {pid}) holds {}; try again later",
                        path.display()
                    ),
                ));
            }
            Err(fs::TryLockError::Error(e)) => {
                return Err(Exit::failure(format!(
                    "cannot lock {}: {e}",
                    path.display()
                )));
            }
        }
    }
    // Record our pid for the message another run prints; the lock, not this text, is the truth.
    let _ = file.set_len(0);
    let _ = write!(file, "{}", std::process::id());
    Ok(RunLock { _file: file, path })
}
