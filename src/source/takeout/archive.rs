//! An account export as one tree of files, whatever it came as: a directory, `.zip` files (the
//! parts of a split export are one tree), or a `.tgz`. Zip members and tar entries are read as
//! streams; nothing is unpacked to disk.
//!
//! Every file is named by its path below the product root (`Takeout/Fitbit/` or
//! `Takeout/Google Health/`, found at any depth), so that the same file has the same name in a
//! zip, a tgz and the unpacked tree, and the import's progress carries over between them.

use std::cell::RefCell;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

/// The top folders of a product root. A file is part of the export when one of its path's
/// components is one of these; what comes before it is the root.
const TOP_FOLDERS: &[&str] = &[
    "Global Export Data",
    "Physical Activity_GoogleData",
    "Health Fitness Data_GoogleData",
    "Heart Rate Variability",
    "Oxygen Saturation (SpO2)",
    "Temperature",
    "Sleep Score",
    "Your Profile",
    "Active Zone Minutes (AZM)",
    "Daily Readiness",
    "Stress Score",
    "Biometrics",
];

/// One file of the export.
#[derive(Clone, Debug)]
pub struct Member {
    /// Path below the product root, `/`-separated, e.g. `Global Export Data/steps-2026-03-18.json`.
    pub path: String,
    /// Bytes, uncompressed.
    pub size: u64,
    /// CRC-32 of the content, when the archive states it (zip); else computed on reading.
    pub crc: Option<u32>,
    at: Location,
}

impl Member {
    /// The file name (the last component of the path).
    pub fn name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }
}

#[derive(Clone, Debug)]
enum Location {
    File(PathBuf),
    Zip { part: usize, index: usize },
    Tar,
}

/// Why an export cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// Nothing in it looks like an export.
    #[error("{0}")]
    NotExport(String),
    /// It cannot be read.
    #[error("{0}")]
    Io(String),
}

/// The export: its files, and the open archives they live in.
pub struct Export {
    /// Every file below a product root, in path order (for a `.tgz`: in archive order).
    pub members: Vec<Member>,
    zips: Vec<(PathBuf, RefCell<zip::ZipArchive<BufReader<File>>>)>,
    tgz: Option<PathBuf>,
    /// A `.tgz`'s `Your Profile/Profile.csv`, read while listing.
    profile: Option<Vec<u8>>,
}

/// What an export must look like, for messages.
pub const EXPECTED: &str = "a Google Takeout export of Fitbit data (a folder, .zip parts or a .tgz with its \
     Takeout/Fitbit/ or Takeout/Google Health/ folder, holding e.g. Global Export Data/ or \
     Physical Activity_GoogleData/), or the JSON files of the older Fitbit export \
     (heart_rate-YYYY-MM-DD.json, …)";

/// The path of `full` below its product root, or `None` when it is not in one.
fn below_root(full: &str) -> Option<String> {
    let parts: Vec<&str> = full.split(['/', '\\']).filter(|p| !p.is_empty()).collect();
    match parts.iter().position(|p| TOP_FOLDERS.contains(p)) {
        Some(top) => (top + 1 < parts.len()).then(|| parts[top..].join("/")),
        // The account export from before Google (`MyFitbitData/<name>/user-site-export/`),
        // or its files loose in a folder: the same JSON files as `Global Export Data/`.
        None => {
            let name = *parts.last()?;
            let classic = name.to_ascii_lowercase().ends_with(".json")
                && super::files::classify(name).is_some();
            classic.then(|| format!("Global Export Data/{name}"))
        }
    }
}

/// The path below the product root of a tar entry that is an export file to read.
fn tar_member(entry: &tar::Entry<'_, impl Read>) -> Option<String> {
    if !entry.header().entry_type().is_file() {
        return None;
    }
    let below = below_root(&entry.path().ok()?.to_string_lossy())?;
    (!ignored(&below)).then_some(below)
}

/// A reader that fails with the error that kept a file from being opened, so that the error
/// spoils that file only, as one that breaks while it is read.
struct Unopened(Option<io::Error>);

impl Read for Unopened {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        Err(self
            .0
            .take()
            .unwrap_or_else(|| io::Error::other("cannot be opened")))
    }
}

/// Files never opened: documentation, and the large files that hold no health data.
fn ignored(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let lower = name.to_ascii_lowercase();
    lower.contains("readme")
        || name.starts_with("UserActivityProbabilities")
        || name.starts_with("UserSensorCompressionToken")
}

impl Export {
    /// Open every path (directories, `.zip`, `.tgz`/`.tar.gz`) as one tree.
    ///
    /// Errors: [`OpenError::NotExport`] when no file of any path is below a product root, or a
    /// path is neither a directory nor an archive; [`OpenError::Io`] when one cannot be read.
    pub fn open(paths: &[PathBuf]) -> Result<Export, OpenError> {
        let mut e = Export {
            members: Vec::new(),
            zips: Vec::new(),
            tgz: None,
            profile: None,
        };
        for p in paths {
            let meta = std::fs::metadata(p).map_err(|err| {
                if err.kind() == io::ErrorKind::NotFound {
                    OpenError::NotExport(format!("{}: no such file or folder", p.display()))
                } else {
                    OpenError::Io(format!("cannot read {}: {err}", p.display()))
                }
            })?;
            let name = p.to_string_lossy().to_ascii_lowercase();
            if meta.is_dir() {
                e.walk(p, p)?;
            } else if name.ends_with(".zip") {
                e.add_zip(p)?;
            } else if name.ends_with(".tgz") || name.ends_with(".tar.gz") {
                if e.tgz.is_some() || paths.len() > 1 {
                    return Err(OpenError::NotExport(format!(
                        "{}: a .tgz export is read on its own; give it as the only path",
                        p.display()
                    )));
                }
                e.add_tgz(p)?;
            } else {
                return Err(OpenError::NotExport(format!(
                    "{} is not a folder, a .zip or a .tgz; expected {EXPECTED}",
                    p.display()
                )));
            }
        }
        if e.members.is_empty() {
            let given: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
            return Err(OpenError::NotExport(format!(
                "{} holds no Fitbit data; expected {EXPECTED}",
                given.join(", ")
            )));
        }
        if e.tgz.is_none() {
            // The same path twice: a file given twice (a zip and its unpacked tree) is read
            // once; two versions of it (two exports given together) are not mixed, the larger
            // one is read (an export's last day only grows).
            e.members
                .sort_by(|a, b| a.path.cmp(&b.path).then(b.size.cmp(&a.size)));
            let before = e.members.len();
            let mut versions = 0;
            e.members.dedup_by(|later, kept| {
                let same = later.path == kept.path;
                if same && later.size != kept.size {
                    versions += 1;
                }
                same
            });
            if versions > 0 {
                crate::warn!(
                    "{versions} of the {before} files are there in two versions (two exports given together?); the larger of each is read"
                );
            }
        }
        Ok(e)
    }

    fn walk(&mut self, base: &Path, dir: &Path) -> Result<(), OpenError> {
        let rd = std::fs::read_dir(dir)
            .map_err(|err| OpenError::Io(format!("cannot read {}: {err}", dir.display())))?;
        for entry in rd {
            let entry = entry
                .map_err(|err| OpenError::Io(format!("cannot read {}: {err}", dir.display())))?;
            let path = entry.path();
            // Symbolic links are followed: a tree assembled from links is a tree. One that
            // leads nowhere (or in a loop) is skipped, not the whole walk.
            let meta = match std::fs::metadata(&path) {
                Ok(m) => m,
                Err(err) => {
                    crate::warn!("skipping {}: {err}", path.display());
                    continue;
                }
            };
            if meta.is_dir() {
                self.walk(base, &path)?;
                continue;
            }
            let rel = path.strip_prefix(base).unwrap_or(&path).to_string_lossy();
            // A tree given at its product root has no root folder in its paths.
            let Some(below) = below_root(&rel) else {
                continue;
            };
            if ignored(&below) {
                continue;
            }
            let size = meta.len();
            self.members.push(Member {
                path: below,
                size,
                crc: None,
                at: Location::File(path),
            });
        }
        Ok(())
    }

    fn add_zip(&mut self, p: &Path) -> Result<(), OpenError> {
        let f = File::open(p)
            .map_err(|err| OpenError::Io(format!("cannot read {}: {err}", p.display())))?;
        let mut head = [0u8; 2];
        let looks_like_zip = File::open(p)
            .and_then(|mut f| f.read_exact(&mut head))
            .is_ok()
            && &head == b"PK";
        let mut z = zip::ZipArchive::new(BufReader::new(f)).map_err(|err| {
            if looks_like_zip {
                OpenError::Io(format!(
                    "{} is a damaged or incomplete zip ({err}); download that part again",
                    p.display()
                ))
            } else {
                OpenError::NotExport(format!(
                    "{} is not a readable zip ({err}); expected {EXPECTED}",
                    p.display()
                ))
            }
        })?;
        let part = self.zips.len();
        for index in 0..z.len() {
            let f = z.by_index_raw(index).map_err(|err| {
                OpenError::Io(format!(
                    "{}: cannot read member {index}: {err}",
                    p.display()
                ))
            })?;
            if f.is_dir() {
                continue;
            }
            let Some(below) = f.name().ok().and_then(|n| below_root(&n)) else {
                continue;
            };
            if ignored(&below) {
                continue;
            }
            self.members.push(Member {
                path: below,
                size: f.size(),
                crc: Some(f.crc32()),
                at: Location::Zip { part, index },
            });
        }
        self.zips.push((p.to_path_buf(), RefCell::new(z)));
        Ok(())
    }

    fn tar(p: &Path) -> Result<tar::Archive<flate2::read::GzDecoder<BufReader<File>>>, OpenError> {
        let f = File::open(p)
            .map_err(|err| OpenError::Io(format!("cannot read {}: {err}", p.display())))?;
        Ok(tar::Archive::new(flate2::read::GzDecoder::new(
            BufReader::new(f),
        )))
    }

    fn add_tgz(&mut self, p: &Path) -> Result<(), OpenError> {
        let bad = |err: io::Error| {
            OpenError::NotExport(format!(
                "{} is not a readable .tgz ({err}); expected {EXPECTED}",
                p.display()
            ))
        };
        let mut a = Self::tar(p)?;
        for entry in a.entries().map_err(bad)? {
            let mut entry = entry.map_err(bad)?;
            let Some(below) = tar_member(&entry) else {
                continue;
            };
            // A tgz cannot be read out of order: the profile (a few hundred bytes) is kept
            // now, so that no pass is spent on it.
            if below.ends_with("Your Profile/Profile.csv") {
                let mut text = Vec::new();
                (&mut entry)
                    .take(1 << 20)
                    .read_to_end(&mut text)
                    .map_err(bad)?;
                self.profile = Some(text);
            }
            self.members.push(Member {
                path: below,
                size: entry.size(),
                crc: None,
                at: Location::Tar,
            });
        }
        self.tgz = Some(p.to_path_buf());
        Ok(())
    }

    /// The content of the file at `path`, up to `limit` bytes (for a `.tgz` only the profile,
    /// which was kept while listing).
    pub fn small_file(&self, path: &str, limit: u64) -> Option<Vec<u8>> {
        if self.tgz.is_some() {
            return self.profile.clone();
        }
        let m = self.members.iter().find(|m| m.path == path)?;
        self.read(m, |r| {
            let mut v = Vec::new();
            r.take(limit).read_to_end(&mut v)?;
            Ok(v)
        })
        .ok()
    }

    /// Read one file (not for a `.tgz`: use [`Export::each`]). A file or member that cannot
    /// be opened gives `f` a reader that fails with why.
    ///
    /// Errors: those of `f`.
    pub fn read<R>(
        &self,
        m: &Member,
        f: impl FnOnce(&mut dyn Read) -> io::Result<R>,
    ) -> io::Result<R> {
        match &m.at {
            Location::File(p) => match File::open(p) {
                Ok(file) => f(&mut BufReader::with_capacity(256 * 1024, file)),
                Err(e) => f(&mut Unopened(Some(e))),
            },
            Location::Zip { part, index } => {
                let (_, z) = &self.zips[*part];
                let mut z = z.borrow_mut();
                match z.by_index(*index) {
                    Ok(mut file) => f(&mut file),
                    Err(e) => f(&mut Unopened(Some(io::Error::other(e)))),
                }
            }
            Location::Tar => Err(io::Error::other("a .tgz member is read in archive order")),
        }
    }

    /// Call `f` for every file for which `wanted` holds, in the export's order (sorted paths,
    /// or for a `.tgz` the archive's order), with a reader of its content.
    ///
    /// Errors: the first error of `f`, or of reading an archive as a whole; an error reading
    /// one file is handed to `f` as that file's reader error.
    pub fn each(
        &self,
        wanted: &dyn Fn(&Member) -> bool,
        f: &mut dyn FnMut(&Member, &mut dyn Read) -> io::Result<()>,
    ) -> io::Result<()> {
        let Some(tgz) = &self.tgz else {
            for m in self.members.iter().filter(|m| wanted(m)) {
                if crate::interrupt::requested().is_some() {
                    break;
                }
                self.read(m, |r| f(m, r))?;
            }
            return Ok(());
        };
        let mut a = Self::tar(tgz).map_err(io::Error::other)?;
        let mut i = 0;
        for entry in a.entries()? {
            if crate::interrupt::requested().is_some() {
                break;
            }
            let mut entry = entry?;
            let Some(below) = tar_member(&entry) else {
                continue;
            };
            let Some(m) = self.members.get(i) else {
                break;
            };
            i += 1;
            if m.path == below && wanted(m) {
                f(m, &mut entry)?;
            }
        }
        Ok(())
    }
}

/// A reader that computes the CRC-32 of what passes through it.
pub struct Crc<R> {
    inner: R,
    hasher: crc32fast::Hasher,
}

impl<R: Read> Crc<R> {
    /// Wrap `inner`.
    pub fn new(inner: R) -> Self {
        Crc {
            inner,
            hasher: crc32fast::Hasher::new(),
        }
    }
    /// The CRC-32 of everything read so far.
    pub fn crc(&self) -> u32 {
        self.hasher.clone().finalize()
    }
}

impl<R: Read> Read for Crc<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_at_any_depth() {
        assert_eq!(
            below_root("x/Takeout/Fitbit/Global Export Data/steps-2026-01-01.json").as_deref(),
            Some("Global Export Data/steps-2026-01-01.json")
        );
        assert_eq!(
            below_root("Takeout/Google Health/Physical Activity_GoogleData/Heart Rate/heart_rate_2026-09-01.csv")
                .as_deref(),
            Some("Physical Activity_GoogleData/Heart Rate/heart_rate_2026-09-01.csv")
        );
        assert_eq!(
            below_root("Global Export Data/sleep-2026-01-01.json").as_deref(),
            Some("Global Export Data/sleep-2026-01-01.json")
        );
        assert_eq!(below_root("Takeout/Drive/notes.txt"), None);
        assert_eq!(
            below_root("MyFitbitData/Jane/user-site-export/heart_rate-2016-04-03.json").as_deref(),
            Some("Global Export Data/heart_rate-2016-04-03.json")
        );
        assert_eq!(below_root("Downloads/holiday-2016-04-03.json"), None);
        assert!(ignored("Physical Activity_GoogleData/steps_readme.txt"));
        assert!(ignored(
            "Global Export Data/UserActivityProbabilities_2026-01-01.csv"
        ));
    }

    #[test]
    fn a_file_that_cannot_be_opened_spoils_only_itself() {
        let t = tempfile::tempdir().unwrap();
        let ged = t.path().join("Global Export Data");
        std::fs::create_dir_all(&ged).unwrap();
        for n in ["sleep-2026-03-18.json", "steps-2026-03-18.json"] {
            std::fs::write(ged.join(n), "[]").unwrap();
        }
        let e = Export::open(&[t.path().to_path_buf()]).unwrap();
        std::fs::remove_file(ged.join("sleep-2026-03-18.json")).unwrap();
        let mut seen = Vec::new();
        e.each(&|_| true, &mut |m, r| {
            let mut v = Vec::new();
            seen.push((m.name().to_string(), r.read_to_end(&mut v).is_ok()));
            Ok(())
        })
        .unwrap();
        assert_eq!(
            seen,
            [
                ("sleep-2026-03-18.json".to_string(), false),
                ("steps-2026-03-18.json".to_string(), true)
            ]
        );
    }
}
