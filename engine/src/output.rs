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

/// The run's summary file.
pub const SUMMARY_JSON: &str = "summary.json";

/// Output files pending in one folder.
pub(crate) struct Pending {
    dir: PathBuf,
    /// Whether the folder was created for these outputs (removed again on failure).
    created: bool,
    files: Vec<(PathBuf, Box<dyn Commit>)>,
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
        })
    }

    /// Writes `name` in full to its temporary with `write`.
    pub fn file(
        &mut self,
        name: &str,
        write: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
    ) -> Result<(), EngineError> {
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
        let path = self.dir.join(SCENARIOS_CSV);
        let what = || format!("writing {}", path.display());
        let mut csv = ScenarioCsv::create(&path).context(what)?;
        write(&mut csv).context(what)?;
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

    /// Renames every file to its name, in the order written.
    pub fn commit(mut self) -> Result<(), EngineError> {
        for (path, file) in std::mem::take(&mut self.files) {
            file.commit()
                .context(|| format!("writing {}", path.display()))?;
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
