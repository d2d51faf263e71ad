//! Sharded runs (`undertow run --shard K/N`) and their exact merge (`undertow merge`).
//!
//! A scenario's result depends only on the seed and its index, so a sweep of `n` scenarios
//! splits into index ranges: shard `K` of `N` sweeps `[K·n/N, (K+1)·n/N)` of both scenario sets
//! ([`ShardSpec::range`]) and writes one shard directory `shard-KKKKK-of-NNNNN/`
//! ([`ShardSpec::dir_name`]) atomically ([`StagedDir`]): its records in Arrow IPC
//! ([`records`]), the fan-chart paths it owns, the fund as TOML and `manifest.json`
//! ([`ShardManifest`]). [`merge`] checks the shards' manifests, rebuilds the full set of
//! records and calls [`crate::run::finish`], the same function a single run ends with: a merge
//! of shards equals a single run, byte for byte apart from timing fields.
//!
//! Without `--shard`, K and N come from the environment ([`ShardSpec::from_env`]).

pub mod merge;
pub mod records;

use std::collections::BTreeMap;
use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use undertow_host::backend::Backend;
use undertow_host::fund::{fund_to_toml, parse_fund, Fund};
use undertow_host::output::switch_map;
use undertow_host::run::{scenario_block, trace_paths};
use undertow_kernel::ScenarioOutput;

use crate::error::{Context, EngineError};
use crate::run::{sweep_sets, RunRequest};
use crate::settings::AnalysisSettings;

pub use merge::{combine, merge, stress_records, Merged, StressRecords};

/// The most shards a sweep may be split into (the directory name has five digits).
pub const MAX_SHARDS: u64 = 99_999;

/// The shard's `manifest.json` format, checked by the merge.
pub const SHARD_FORMAT: &str = "undertow-shard/1";

/// Files of a shard directory.
pub const STRESS_ARROW: &str = "stress.arrow";
pub const UNCONDITIONAL_ARROW: &str = "unconditional.arrow";
pub const PATHS_ARROW: &str = "paths.arrow";
pub const FUND_TOML: &str = "fund.toml";

/// Shard `k` (0-based) of `n`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ShardSpec {
    pub k: u64,
    pub n: u64,
}

/// The environment variables a shard's index and count come from, first match wins: (index,
/// count, what sets the count).
pub const ENV_SOURCES: [(&str, &str); 3] = [
    ("SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT"),
    ("JOB_COMPLETION_INDEX", "UNDERTOW_SHARDS"),
    ("AWS_BATCH_JOB_ARRAY_INDEX", "UNDERTOW_SHARDS"),
];

impl ShardSpec {
    /// A shard, checked: bad input (naming `what` with the values) unless `1 <= n <=
    /// MAX_SHARDS` and `k < n`.
    pub fn new(k: u64, n: u64, what: &dyn Fn() -> String) -> Result<ShardSpec, EngineError> {
        if n == 0 || n > MAX_SHARDS {
            return Err(EngineError::BadInput(format!(
                "{}: the shard count must be within 1..={MAX_SHARDS}",
                what()
            )));
        }
        if k >= n {
            return Err(EngineError::BadInput(format!(
                "{}: the shard index must be below the count (0-based)",
                what()
            )));
        }
        Ok(ShardSpec { k, n })
    }

    /// `--shard K/N`.
    pub fn parse(text: &str) -> Result<ShardSpec, EngineError> {
        let what = || format!("flag --shard: `{text}`");
        let bad = || EngineError::BadInput(format!("{}: expected K/N, e.g. 0/4", what()));
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let k: u64 = k.trim().parse().map_err(|_| bad())?;
        let n: u64 = n.trim().parse().map_err(|_| bad())?;
        ShardSpec::new(k, n, &what)
    }

    /// The shard the environment names, with the variables it came from ("SLURM_ARRAY_TASK_ID/
    /// SLURM_ARRAY_TASK_COUNT"); `None` when no index variable is set. `lookup` reads a
    /// variable (`std::env::var(name).ok()` in the binary); an empty value counts as unset. An
    /// index without its count, a value that is not a whole number, or an index not below the
    /// count is bad input naming the variable and its value.
    pub fn from_env(
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<(ShardSpec, String)>, EngineError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        for (index_var, count_var) in ENV_SOURCES {
            let Some(index) = get(index_var) else {
                continue;
            };
            let number = |var: &str, value: &str| -> Result<u64, EngineError> {
                value.trim().parse::<u64>().map_err(|_| {
                    EngineError::BadInput(format!(
                        "environment {var}={value:?}: not a whole number"
                    ))
                })
            };
            let k = number(index_var, &index)?;
            let count = get(count_var).ok_or_else(|| {
                EngineError::BadInput(format!(
                    "environment {index_var}={index} is set but {count_var} is not: the shard \
                     count is needed"
                ))
            })?;
            let n = number(count_var, &count)?;
            if index_var == "SLURM_ARRAY_TASK_ID" {
                if let Some(min) = get("SLURM_ARRAY_TASK_MIN").filter(|m| m.trim() != "0") {
                    return Err(EngineError::BadInput(format!(
                        "environment SLURM_ARRAY_TASK_MIN={min}: the array must be --array=0-(N-1)"
                    )));
                }
            }
            let what = || format!("environment {index_var}={index}, {count_var}={count}");
            let spec = ShardSpec::new(k, n, &what)?;
            return Ok(Some((spec, format!("{index_var}/{count_var}"))));
        }
        Ok(None)
    }

    /// The scenario indices of this shard in a sweep of `scenarios`: `[k·n/N, (k+1)·n/N)`.
    pub fn range(&self, scenarios: u64) -> Range<u64> {
        let at = |k: u64| ((k as u128 * scenarios as u128) / self.n as u128) as u64;
        at(self.k)..at(self.k + 1)
    }

    /// `shard-KKKKK-of-NNNNN`.
    pub fn dir_name(&self) -> String {
        format!("shard-{:05}-of-{:05}", self.k, self.n)
    }

    /// The shard a directory name is for (`shard-00002-of-00004`), if it is one.
    pub fn from_dir_name(name: &str) -> Option<ShardSpec> {
        let rest = name.strip_prefix("shard-")?;
        let (k, n) = rest.split_once("-of-")?;
        let digits = |s: &str| s.len() == 5 && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(k) || !digits(n) {
            return None;
        }
        ShardSpec::new(k.parse().ok()?, n.parse().ok()?, &String::new).ok()
    }
}

impl std::fmt::Display for ShardSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

/// The shard's `manifest.json`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ShardManifest {
    /// [`SHARD_FORMAT`].
    pub format: String,
    /// The `undertow` version that wrote the shard.
    pub version: String,
    pub command_line: Vec<String>,
    pub shard: ShardRange,
    /// Where K/N came from: `--shard` or the environment variables.
    pub shard_source: String,
    pub fund: ShardFund,
    pub seed: u64,
    /// The model's mechanism switches in force, by their fund-file names.
    pub switches: BTreeMap<String, bool>,
    pub backend: ShardBackend,
    /// The run flags that change results.
    pub flags: RunFlags,
    /// Seconds the shard's stress-library sweep took (a merge's `run.seconds` is their sum).
    pub seconds: f64,
    /// Seconds the shard's unconditional-mixture sweep took (0 when not swept).
    pub unconditional_seconds: f64,
    /// What the run told the user (a GPU fallback, say).
    pub notices: Vec<String>,
    /// Every file beside the manifest, by name, with its SHA-256 (hex).
    pub files: BTreeMap<String, String>,
}

/// The shard's place in the sweep.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ShardRange {
    pub k: u64,
    pub n: u64,
    /// First scenario index of the shard.
    pub first: u64,
    /// One past the last.
    pub end: u64,
    /// Scenarios of the whole sweep.
    pub scenarios: u64,
}

/// The fund a shard ran.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ShardFund {
    /// The fund file's path as given, or `null` for the built-in example.
    pub path: Option<String>,
    /// SHA-256 (hex) of the fund file's bytes (of the built-in example's TOML).
    pub sha256: Option<String>,
    /// The fund's `source` as the summary names it.
    pub source: String,
    /// SHA-256 (hex) of `fund.toml`: the fund as simulated, overrides applied.
    pub toml_sha256: String,
}

/// What swept the shard.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ShardBackend {
    /// `Backend::describe` (`summary.json`'s `run.backend`).
    pub description: String,
    /// "cpu" or "gpu".
    pub kind: String,
    /// The float type of the records: "f32" on every backend a run uses.
    pub float: String,
}

/// The run flags that change results (`--threads`, `--chunk`, `--backend` do not).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RunFlags {
    pub scenarios: u64,
    pub paths: usize,
    pub unconditional: bool,
    /// `--horizon` (already in `fund.toml`).
    pub horizon: Option<u32>,
    /// `--strategy` (already in `fund.toml`).
    pub strategy: Option<String>,
    /// The analysis settings; `null` with `--no-analysis`.
    pub analysis: Option<AnalysisFlags>,
}

/// [`AnalysisSettings`] as the manifest records them.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct AnalysisFlags {
    pub stage_scenarios: Option<u64>,
    pub reverse_stress_per_point: u64,
    pub attribution_scenarios: u64,
    pub target: f64,
    pub buffer_horizon: Option<u32>,
}

impl From<&AnalysisSettings> for AnalysisFlags {
    fn from(a: &AnalysisSettings) -> Self {
        AnalysisFlags {
            stage_scenarios: a.stage_scenarios,
            reverse_stress_per_point: a.reverse_stress_per_point,
            attribution_scenarios: a.attribution_scenarios,
            target: a.target,
            buffer_horizon: a.buffer_horizon,
        }
    }
}

impl From<&AnalysisFlags> for AnalysisSettings {
    fn from(a: &AnalysisFlags) -> Self {
        AnalysisSettings {
            stage_scenarios: a.stage_scenarios,
            reverse_stress_per_point: a.reverse_stress_per_point,
            attribution_scenarios: a.attribution_scenarios,
            target: a.target,
            buffer_horizon: a.buffer_horizon,
        }
    }
}

/// How a shard was asked for, beyond the request: what the caller knows.
#[derive(Clone, Debug, Default)]
pub struct ShardContext {
    /// The fund's provenance (path, SHA-256 of its bytes) and the command line.
    pub provenance: crate::manifest::Provenance,
    /// Where K/N came from (`--shard`, or the environment variables).
    pub shard_source: String,
    /// `--horizon` and `--strategy`, recorded for the merge's checks.
    pub overrides: crate::FundOverrides,
}

/// A finished shard, in memory: nothing is written until [`ShardOutcome::write`].
pub struct ShardOutcome {
    pub spec: ShardSpec,
    pub manifest: ShardManifest,
    /// `fund.toml`.
    pub fund_toml: String,
    /// The Arrow files, by name.
    pub files: Vec<(&'static str, Vec<u8>)>,
    /// What the user should be told.
    pub notices: Vec<String>,
}

/// Runs shard `spec` of `request` on `fund`: checks the request, sweeps the shard's range of
/// both sets, traces the fan-chart paths it owns, and encodes everything for the shard
/// directory. `progress(done)` counts the shard's scenarios (both sets).
pub fn run_shard(
    fund: &Fund,
    request: &RunRequest,
    spec: ShardSpec,
    context: &ShardContext,
    backend: &dyn Backend,
    mut progress: impl FnMut(u64),
) -> Result<ShardOutcome, EngineError> {
    request.check(fund)?;
    let fund_toml = fund_toml_checked(fund)?;
    let range = spec.range(request.scenarios);
    let swept = sweep_sets(fund, request, range.clone(), backend, &mut progress)?;
    check_finite(&swept.stress, range.start, "stress library")?;
    let traced_end = range.end.min(request.paths as u64).max(range.start);
    let traced = scenario_block(fund, request.seed, range.start..traced_end);
    let paths = trace_paths(&fund.model, &traced, range.start, request.seed);
    let arrow = |what: &str, r: Result<Vec<u8>, arrow_schema::ArrowError>| {
        r.context(|| format!("encoding the shard's {what} in Arrow"))
    };
    let mut files = vec![(
        STRESS_ARROW,
        arrow(
            STRESS_ARROW,
            records::write_records(range.start, &swept.stress, &swept.stress_families),
        )?,
    )];
    if let Some((outs, _)) = &swept.unconditional {
        check_finite(outs, range.start, "unconditional mixture")?;
        files.push((
            UNCONDITIONAL_ARROW,
            arrow(
                UNCONDITIONAL_ARROW,
                records::write_records(range.start, outs, &swept.unconditional_families),
            )?,
        ));
    }
    files.push((
        PATHS_ARROW,
        arrow(PATHS_ARROW, records::write_paths(range.start, &paths))?,
    ));
    let p = &context.provenance;
    let manifest = ShardManifest {
        format: SHARD_FORMAT.into(),
        version: env!("CARGO_PKG_VERSION").into(),
        command_line: p.command_line.clone(),
        shard: ShardRange {
            k: spec.k,
            n: spec.n,
            first: range.start,
            end: range.end,
            scenarios: request.scenarios,
        },
        shard_source: context.shard_source.clone(),
        fund: ShardFund {
            path: p.fund_path.clone(),
            sha256: p.fund_sha256.clone(),
            source: fund.source.clone(),
            toml_sha256: crate::manifest::sha256(fund_toml.as_bytes()),
        },
        seed: request.seed,
        switches: switch_map(fund.model.params.switches),
        backend: ShardBackend {
            description: backend.describe(),
            kind: backend.kind().into(),
            float: "f32".into(),
        },
        flags: RunFlags {
            scenarios: request.scenarios,
            paths: request.paths,
            unconditional: request.unconditional,
            horizon: context.overrides.horizon,
            strategy: context.overrides.strategy.clone(),
            analysis: request.analysis.as_ref().map(AnalysisFlags::from),
        },
        seconds: swept.seconds,
        unconditional_seconds: swept.unconditional_seconds,
        notices: swept.notices.clone(),
        files: BTreeMap::new(),
    };
    Ok(ShardOutcome {
        spec,
        manifest,
        fund_toml,
        files,
        notices: swept.notices,
    })
}

/// `fund` as a fund file, checked to read back to exactly the same fund (every field, floats
/// bit for bit), so that the merge simulates what the shards did.
pub fn fund_toml_checked(fund: &Fund) -> Result<String, EngineError> {
    let text = fund_to_toml(fund);
    let back = reload_fund(&text, &fund.source, Path::new(FUND_TOML))
        .map_err(|e| EngineError::failed("writing the fund as TOML", e.to_string()))?;
    if format!("{back:?}") != format!("{fund:?}") {
        return Err(EngineError::failed(
            "writing the fund as TOML",
            "the fund file written does not read back to the same fund",
        ));
    }
    Ok(text)
}

/// The fund a `fund.toml` describes, its `source` set back to the original's.
pub fn reload_fund(text: &str, source: &str, path: &Path) -> Result<Fund, EngineError> {
    let dir = path.parent().unwrap_or(Path::new(""));
    let mut fund = parse_fund(text, &path.display().to_string(), dir)
        .map_err(|e| EngineError::BadInput(e.to_string()))?;
    fund.source = source.to_string();
    Ok(fund)
}

/// Nothing non-finite goes into a shard: the first non-finite word is a failure naming the
/// scenario and the field.
fn check_finite(outputs: &[ScenarioOutput], first: u64, set: &str) -> Result<(), EngineError> {
    let names = undertow_kernel::output_field_names();
    for (i, o) in outputs.iter().enumerate() {
        if let Some(k) = o.as_words().iter().position(|w| !w.is_finite()) {
            return Err(EngineError::failed(
                "checking the outputs",
                format!(
                    "{set} scenario {}: {} is {}",
                    first + i as u64,
                    names.get(k).map(String::as_str).unwrap_or("?"),
                    o.as_words()[k]
                ),
            ));
        }
    }
    Ok(())
}

impl ShardOutcome {
    /// Writes the shard directory `dir/shard-KKKKK-of-NNNNN/` atomically ([`StagedDir`]),
    /// creating `dir` when missing and replacing an earlier run of the same shard. Returns
    /// the directory's path.
    pub fn write(&self, dir: &Path) -> Result<PathBuf, EngineError> {
        self.write_with(dir, || Ok(()))
    }

    /// [`ShardOutcome::write`] with `before_rename` called once every file is written and
    /// before the directory takes its name (a failure there leaves nothing new: for tests of
    /// a run killed mid-way).
    #[doc(hidden)]
    pub fn write_with(
        &self,
        dir: &Path,
        before_rename: impl FnOnce() -> std::io::Result<()>,
    ) -> Result<PathBuf, EngineError> {
        crate::cancel::check()?;
        let mut staged = StagedDir::new(dir, &self.spec.dir_name())?;
        let mut manifest = self.manifest.clone();
        staged.file(FUND_TOML, self.fund_toml.as_bytes())?;
        manifest.files.insert(
            FUND_TOML.into(),
            crate::manifest::sha256(self.fund_toml.as_bytes()),
        );
        for (name, bytes) in &self.files {
            staged.file(name, bytes)?;
            manifest
                .files
                .insert((*name).into(), crate::manifest::sha256(bytes));
        }
        let json = serde_json::to_vec_pretty(&manifest)
            .context(|| "serialising the shard manifest".into())?;
        staged.file(crate::manifest::MANIFEST_JSON, &json)?;
        crate::cancel::check()?;
        staged.commit_with(before_rename)
    }
}

/// A directory built under a temporary name inside its parent and renamed into place when
/// complete: a run stopped before [`StagedDir::commit`] leaves no directory of the final name
/// (and, unless killed outright, no temporary either: dropping it removes it).
pub struct StagedDir {
    tmp: PathBuf,
    dest: PathBuf,
    done: bool,
}

impl StagedDir {
    /// Starts `parent/name`, creating `parent` when missing.
    pub fn new(parent: &Path, name: &str) -> Result<StagedDir, EngineError> {
        std::fs::create_dir_all(parent).context(|| format!("creating {}", parent.display()))?;
        let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp).context(|| format!("removing {}", tmp.display()))?;
        }
        std::fs::create_dir(&tmp).context(|| format!("creating {}", tmp.display()))?;
        Ok(StagedDir {
            tmp,
            dest: parent.join(name),
            done: false,
        })
    }

    /// Writes `name` inside the staged directory (flushed to disk).
    pub fn file(&mut self, name: &str, bytes: &[u8]) -> Result<(), EngineError> {
        let path = self.tmp.join(name);
        let what = || format!("writing {}", path.display());
        let mut f = std::fs::File::create(&path).context(what)?;
        f.write_all(bytes).context(what)?;
        f.sync_all().context(what)
    }

    /// Renames the directory into place, over an earlier one of the same name.
    pub fn commit(self) -> Result<PathBuf, EngineError> {
        self.commit_with(|| Ok(()))
    }

    /// [`StagedDir::commit`], calling `before_rename` first.
    pub fn commit_with(
        mut self,
        before_rename: impl FnOnce() -> std::io::Result<()>,
    ) -> Result<PathBuf, EngineError> {
        let what = || format!("writing {}", self.dest.display());
        before_rename().context(what)?;
        // A directory cannot be renamed over a non-empty one: the old one steps aside first,
        // and is removed once the new one is in place.
        let old = self
            .tmp
            .with_extension(format!("old-{}", std::process::id()));
        let had_old = match std::fs::rename(&self.dest, &old) {
            Ok(()) => true,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
            Err(e) => return Err(EngineError::failed(what(), e)),
        };
        if let Err(e) = std::fs::rename(&self.tmp, &self.dest) {
            if had_old {
                let _ = std::fs::rename(&old, &self.dest);
            }
            return Err(EngineError::failed(what(), e));
        }
        self.done = true;
        if had_old {
            std::fs::remove_dir_all(&old).context(|| format!("removing {}", old.display()))?;
        }
        Ok(self.dest.clone())
    }
}

impl Drop for StagedDir {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_dir_all(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_tile_the_sweep() {
        for scenarios in [0u64, 1, 7, 100, 1001] {
            for n in [1u64, 2, 3, 7, 13, 2000] {
                let mut next = 0;
                for k in 0..n {
                    let r = ShardSpec { k, n }.range(scenarios);
                    assert_eq!(r.start, next);
                    assert!(r.end >= r.start);
                    // Sizes differ by at most one.
                    assert!(r.end - r.start <= scenarios / n + 1);
                    next = r.end;
                }
                assert_eq!(next, scenarios);
            }
        }
        assert_eq!(ShardSpec { k: 2, n: 4 }.range(1000), 500..750);
        // No overflow at the largest counts.
        let r = ShardSpec {
            k: 99_998,
            n: 99_999,
        }
        .range(u32::MAX as u64);
        assert_eq!(r.end, u32::MAX as u64);
    }

    #[test]
    fn dir_names_round_trip() {
        let s = ShardSpec { k: 2, n: 4 };
        assert_eq!(s.dir_name(), "shard-00002-of-00004");
        assert_eq!(ShardSpec::from_dir_name("shard-00002-of-00004"), Some(s));
        for bad in [
            "shard-2-of-4",
            "shard-00004-of-00004",
            ".shard-00002-of-00004.tmp-1",
            "shard-0000a-of-00004",
            "shard-00000-of-00000",
        ] {
            assert_eq!(ShardSpec::from_dir_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_flag_parses_and_refuses() {
        assert_eq!(ShardSpec::parse("3/8").unwrap(), ShardSpec { k: 3, n: 8 });
        for bad in [
            "8/8", "9/8", "0/0", "-1/4", "a/4", "3", "3/", "1/100000", "",
        ] {
            let e = ShardSpec::parse(bad).unwrap_err();
            assert!(e.is_bad_input());
            assert!(e.to_string().contains("--shard"), "{e}");
            assert!(e.to_string().contains(bad), "{e}");
        }
    }
}
