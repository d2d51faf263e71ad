//! `manifest.json`: beside a run's outputs, what produced them — the SHA-256 of the fund file's
//! bytes (of the built-in example's TOML when there is no file), the seed, the version, the
//! model's switches, the command line — and the SHA-256 of every output file. `undertow report
//! --from DIR` checks a directory against its manifest before reading it ([`verify`]).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::EngineError;

/// The manifest's file name.
pub const MANIFEST_JSON: &str = "manifest.json";

/// What the caller knows of how a run was asked for (the CLI fills it; a library caller may
/// leave it empty).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Provenance {
    /// The fund file's path as given (`None`: the built-in example).
    pub fund_path: Option<String>,
    /// SHA-256 (hex) of the fund file's bytes, or of the built-in example's TOML.
    pub fund_sha256: Option<String>,
    /// The command line, program name first.
    pub command_line: Vec<String>,
}

/// `manifest.json`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// The `undertow` version that wrote the outputs.
    pub version: String,
    pub command_line: Vec<String>,
    pub fund: FundHash,
    pub seed: u64,
    /// The model's mechanism switches in force, by their fund-file names.
    pub switches: BTreeMap<String, bool>,
    /// Every output file beside the manifest, by name, with its SHA-256 (hex).
    pub files: BTreeMap<String, String>,
}

/// The fund a run read.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FundHash {
    /// The fund file's path as given, or `null` for the built-in example.
    pub path: Option<String>,
    /// SHA-256 (hex) of its bytes (of the built-in example's TOML when `path` is `null`).
    pub sha256: Option<String>,
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 (hex) of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// SHA-256 (hex) of a file's bytes, read in blocks.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

/// The fund's provenance for a run that loads `path` (the built-in example when `None`), with
/// the command line: the fund file's bytes hashed (a file that cannot be read is bad input, as
/// loading it would be).
pub fn provenance(
    path: Option<&Path>,
    command_line: Vec<String>,
) -> Result<Provenance, EngineError> {
    let bytes = match path {
        Some(p) => {
            std::fs::read(p).map_err(|e| EngineError::BadInput(format!("{}: {e}", p.display())))?
        }
        None => undertow_host::fund::example_fund_toml().into_bytes(),
    };
    Ok(Provenance {
        fund_path: path.map(|p| p.display().to_string()),
        fund_sha256: Some(sha256(&bytes)),
        command_line,
    })
}

/// What [`verify`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verified {
    /// No `manifest.json` (a run written before manifests): nothing could be checked.
    NoManifest,
    /// Every listed file still there matches; `missing` lists those removed since (the report
    /// reads `summary.json` alone, so `scenarios.csv` or a stage table may be deleted).
    Checked { missing: Vec<String> },
}

/// Checks `dir` against its `manifest.json`: bad input naming the file when `summary.json` is
/// missing or a listed output's bytes changed. `report.html` is not checked (`undertow report`
/// rebuilds it).
pub fn verify(dir: &Path) -> Result<Verified, EngineError> {
    let path = dir.join(MANIFEST_JSON);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Verified::NoManifest),
        Err(e) => return Err(EngineError::BadInput(format!("{}: {e}", path.display()))),
    };
    let manifest: Manifest = serde_json::from_str(&text)
        .map_err(|e| EngineError::BadInput(format!("{}: {e}", path.display())))?;
    if !manifest.files.contains_key(crate::SUMMARY_JSON) {
        return Err(EngineError::BadInput(format!(
            "{}: files: lists no {}",
            path.display(),
            crate::SUMMARY_JSON
        )));
    }
    let mut missing = Vec::new();
    for (name, want) in &manifest.files {
        if name == undertow_report::REPORT_FILE {
            continue;
        }
        if Path::new(name).components().count() != 1 {
            return Err(EngineError::BadInput(format!(
                "{}: files: `{name}` is not a file name",
                path.display()
            )));
        }
        let file = dir.join(name);
        match sha256_file(&file) {
            Ok(got) if &got == want => {}
            Ok(got) => {
                return Err(EngineError::BadInput(format!(
                    "{}: changed since the run wrote it (SHA-256 {got}, {} says {want})",
                    file.display(),
                    path.display()
                )))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && name != crate::SUMMARY_JSON => {
                missing.push(name.clone());
            }
            Err(e) => {
                return Err(EngineError::BadInput(format!(
                    "{}: listed in {} but cannot be read: {e}",
                    file.display(),
                    path.display()
                )))
            }
        }
    }
    Ok(Verified::Checked { missing })
}
