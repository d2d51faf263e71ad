//! A set of output files that appear together: each written to a temporary beside its target,
//! all renamed only once every one is complete. Dropped uncommitted, the set removes its
//! temporaries, and the output folder too when it created it (and it is empty), so that a failed
//! run leaves nothing new behind and earlier outputs untouched.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use undertow_host::atomic::AtomicFile;
use undertow_host::output::ScenarioCsv;

use crate::error::{Context, EngineError};

/// The per-scenario records' file.
pub const SCENARIOS_CSV: &str = "scenarios.csv";

/// The unconditional mixture's per-scenario records (the same columns as [`SCENARIOS_CSV`]).
pub const SCENARIOS_UNCONDITIONAL_CSV: &str = "scenarios_unconditional.csv";

/// The run's summary file.
pub const SUMMARY_JSON: &str = "summary.json";

/// Output files pending in one folder.
pub(crate) struct Pending {
    dir: PathBuf,
    /// Whether the folder was created for these outputs (removed again on failure).
    created: bool,
    files: Vec<(PathBuf, Box<dyn Commit>)>,
    /// Written last on commit, with every file's hash, when set.
    manifest: Option<crate::manifest::Manifest>,
}

/// A file written to a temporary that takes its name on commit.
trait Commit {
    fn commit(self: Box<Self>) -> std::io::Result<()>;
}

impl Commit for AtomicFile {
    fn commit(self: Box<Self>) -> std::io::Result<()> {
        AtomicFile::commit(*self)
    }
}

impl Commit for ScenarioCsv {
    fn commit(self: Box<Self>) -> std::io::Result<()> {
        ScenarioCsv::commit(*self)
    }
}

impl Pending {
    /// Starts a set of outputs in `dir`, creating the folder when needed.
    pub fn new(dir: &Path) -> Result<Pending, EngineError> {
        let created = !dir.exists();
        std::fs::create_dir_all(dir).context(|| format!("creating {}", dir.display()))?;
        Ok(Pending {
            dir: dir.to_path_buf(),
            created,
            files: Vec::new(),
            manifest: None,
        })
    }

    /// Writes `name` in full to its temporary with `write`.
    pub fn file(
        &mut self,
        name: &str,
        write: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
    ) -> Result<(), EngineError> {
        crate::cancel::check()?;
        let path = self.dir.join(name);
        let what = || format!("writing {}", path.display());
        let mut file = AtomicFile::create(&path).context(what)?;
        write(file.writer()).context(what)?;
        self.files.push((path, Box::new(file)));
        Ok(())
    }

    /// Writes `scenarios.csv` in full with `write`, which is given the open file.
    pub fn scenarios_csv(
        &mut self,
        write: impl FnOnce(&mut ScenarioCsv) -> std::io::Result<()>,
    ) -> Result<(), EngineError> {
        self.scenarios_csv_named(SCENARIOS_CSV, write)
    }

    /// Writes a per-scenario records file `name` (the columns of `scenarios.csv`) in full.
    pub fn scenarios_csv_named(
        &mut self,
        name: &str,
        write: impl FnOnce(&mut ScenarioCsv) -> std::io::Result<()>,
    ) -> Result<(), EngineError> {
        crate::cancel::check()?;
        let path = self.dir.join(name);
        let what = || format!("writing {}", path.display());
        let mut csv = ScenarioCsv::create(&path).context(what)?;
        let written = write(&mut csv);
        crate::cancel::check()?;
        written.context(what)?;
        self.files.push((path, Box::new(csv)));
        Ok(())
    }

    /// Writes `value` as pretty JSON with a final newline.
    pub fn json(&mut self, name: &str, value: &impl Serialize) -> Result<(), EngineError> {
        self.file(name, |w| {
            serde_json::to_writer_pretty(&mut *w, value).map_err(std::io::Error::other)?;
            writeln!(w)
        })
    }

    /// Writes a CSV table: its header, then its rows.
    pub fn table(&mut self, t: &undertow_analysis::tables::Table) -> Result<(), EngineError> {
        self.file(t.file, |w| {
            writeln!(w, "{}", t.header.join(","))?;
            for row in &t.rows {
                writeln!(w, "{}", row.join(","))?;
            }
            Ok(())
        })
    }

    /// Writes `manifest` (its `files` filled in) as `manifest.json` on commit.
    pub fn manifest(&mut self, manifest: crate::manifest::Manifest) {
        self.manifest = Some(manifest);
    }

    /// Renames every file to its name, in the order written; then, when a manifest was asked
    /// for, hashes each and writes `manifest.json`, renamed last (a folder whose files changed
    /// without it is refused by `undertow report`).
    pub fn commit(mut self) -> Result<(), EngineError> {
        // The last point at which a stop leaves nothing: the renames that follow are quick.
        crate::cancel::check()?;
        let files = std::mem::take(&mut self.files);
        let names: Vec<PathBuf> = files.iter().map(|(p, _)| p.clone()).collect();
        for (path, file) in files {
            file.commit()
                .context(|| format!("writing {}", path.display()))?;
        }
        if let Some(mut manifest) = self.manifest.take() {
            for path in &names {
                let name = path.file_name().unwrap_or_default().to_string_lossy();
                let hash = crate::manifest::sha256_file(path)
                    .context(|| format!("hashing {}", path.display()))?;
                manifest.files.insert(name.into_owned(), hash);
            }
            let path = self.dir.join(crate::manifest::MANIFEST_JSON);
            let what = || format!("writing {}", path.display());
            let mut file = AtomicFile::create(&path).context(what)?;
            serde_json::to_writer_pretty(&mut *file.writer(), &manifest)
                .map_err(std::io::Error::other)
                .and_then(|()| writeln!(file.writer()))
                .context(what)?;
            file.commit().context(what)?;
        }
        self.created = false;
        Ok(())
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        // The temporaries go first (each AtomicFile removes its own), then the folder if it is
        // ours and empty.
        self.files.clear();
        if self.created {
            let _ = std::fs::remove_dir(&self.dir);
        }
    }
}

/// Checks, before anything runs, that the outputs can go to `dir` (the `--out` flag), creating
/// nothing: bad input naming the flag and the path when something that is not a folder is there
/// or on the way there, or when the folder (or the nearest existing folder above it, where it
/// would be created) cannot be written.
pub fn check_out(dir: &Path) -> Result<(), EngineError> {
    let bad = |why: String| EngineError::BadInput(format!("flag --out: {}: {why}", dir.display()));
    if dir.as_os_str().is_empty() {
        return Err(bad("an empty path".into()));
    }
    // Up from `dir` to the first thing that exists: it must be a folder we may write in.
    let mut at = dir;
    let mut first_error = None;
    loop {
        match std::fs::metadata(at) {
            Ok(m) if !m.is_dir() => {
                return Err(bad(if at == dir {
                    "exists and is not a folder".into()
                } else {
                    format!("{} is not a folder", at.display())
                }));
            }
            Ok(_) => {
                if let Some(e) = first_error {
                    return Err(bad(e));
                }
                return probe(at).map_err(|e| {
                    bad(if at == dir {
                        format!("cannot write there: {e}")
                    } else {
                        format!("cannot create a folder in {}: {e}", at.display())
                    })
                });
            }
            Err(e) => {
                use std::io::ErrorKind::{NotADirectory, NotFound};
                if !matches!(e.kind(), NotFound | NotADirectory) {
                    first_error.get_or_insert_with(|| e.to_string());
                }
                at = match at.parent() {
                    Some(p) if p.as_os_str().is_empty() => Path::new("."),
                    Some(p) => p,
                    None => return Err(bad(first_error.unwrap_or_else(|| e.to_string()))),
                };
            }
        }
    }
}

/// Creates and removes a file in `dir`: whether the process may write there.
fn probe(dir: &Path) -> std::io::Result<()> {
    let path = dir.join(format!(".undertow-write-check-{}", std::process::id()));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)?;
    std::fs::remove_file(&path)
}
