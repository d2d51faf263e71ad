//! A file that appears under its name only when complete: written to a temporary name beside the
//! target and renamed on [`AtomicFile::commit`], so a failed or interrupted run leaves no partial
//! output.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

/// A file that appears under its name only when [`AtomicFile::commit`] is called; dropped
/// uncommitted, its temporary is removed.
pub struct AtomicFile {
    target: PathBuf,
    temp: PathBuf,
    writer: Option<BufWriter<File>>,
}

impl AtomicFile {
    pub fn create(target: &Path) -> std::io::Result<AtomicFile> {
        let name = target.file_name().and_then(|n| n.to_str()).unwrap_or("out");
        let temp = target.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
        let writer = BufWriter::new(File::create(&temp)?);
        Ok(AtomicFile {
            target: target.to_path_buf(),
            temp,
            writer: Some(writer),
        })
    }

    pub fn writer(&mut self) -> &mut BufWriter<File> {
        self.writer.as_mut().expect("writer taken only by commit")
    }

    pub fn commit(mut self) -> std::io::Result<()> {
        let w = self.writer.take().expect("commit once");
        w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        std::fs::rename(&self.temp, &self.target)
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.writer.is_some() {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn atomic_file_appears_only_on_commit() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("x.json");
        {
            let mut f = AtomicFile::create(&target).unwrap();
            writeln!(f.writer(), "partial").unwrap();
            // dropped without commit
        }
        assert!(!target.exists());
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "temporary left behind"
        );
        let mut f = AtomicFile::create(&target).unwrap();
        writeln!(f.writer(), "whole").unwrap();
        f.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "whole\n");
    }
}
