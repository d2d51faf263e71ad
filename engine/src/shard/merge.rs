//! `undertow merge DIR... --out OUT`: the shards' manifests checked against each other, their
//! records put back in index order, and the run finished exactly as a single run finishes
//! ([`crate::run::finish`]). Every refusal is bad input naming the shard directory.

use std::ops::Range;
use std::path::{Path, PathBuf};

use undertow_host::run::{fan_from_paths, TracedPath};
use undertow_kernel::ScenarioOutput;

use super::records::{read_paths, read_records};
use super::{
    reload_fund, ShardManifest, ShardSpec, FUND_TOML, PATHS_ARROW, SHARD_FORMAT, STRESS_ARROW,
    UNCONDITIONAL_ARROW,
};
use crate::error::EngineError;
use crate::manifest::{Provenance, MANIFEST_JSON};
use crate::run::{finish, RunOutcome, RunRequest, StageReruns, Swept};

/// A merge, in memory: the run it rebuilds (write it with [`RunOutcome::write`]) and the shard
/// directories it read, in index order.
pub struct Merged {
    pub outcome: RunOutcome,
    pub shards: Vec<PathBuf>,
}

/// One shard directory and its manifest.
struct Shard {
    dir: PathBuf,
    manifest: ShardManifest,
}

fn refuse(dir: &Path, why: impl std::fmt::Display) -> EngineError {
    EngineError::BadInput(format!("shard {}: {why}", dir.display()))
}

/// The shard directories `inputs` name: each is a shard directory (it holds `manifest.json`)
/// or a directory holding shard directories (`shard-*-of-*`), taken in name order.
pub fn shard_dirs(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, EngineError> {
    if inputs.is_empty() {
        return Err(EngineError::BadInput(
            "merge: no shard directory given".into(),
        ));
    }
    let mut dirs = Vec::new();
    for input in inputs {
        if !input.is_dir() {
            return Err(EngineError::BadInput(format!(
                "merge: {}: not a directory",
                input.display()
            )));
        }
        if input.join(MANIFEST_JSON).exists() {
            dirs.push(input.clone());
            continue;
        }
        let entries = std::fs::read_dir(input)
            .map_err(|e| EngineError::BadInput(format!("merge: {}: {e}", input.display())))?;
        let mut found: Vec<PathBuf> = entries
            .filter_map(|e| e.ok())
            .filter(|e| {
                let name = e.file_name();
                let name = name.to_string_lossy();
                name.starts_with("shard-") && name.contains("-of-") && e.path().is_dir()
            })
            .map(|e| e.path())
            .collect();
        if found.is_empty() {
            return Err(EngineError::BadInput(format!(
                "merge: {}: neither a shard directory (no {MANIFEST_JSON}) nor a directory \
                 holding shard directories (shard-*-of-*)",
                input.display()
            )));
        }
        found.sort();
        dirs.extend(found);
    }
    Ok(dirs)
}

fn read_manifest(dir: &Path) -> Result<ShardManifest, EngineError> {
    let path = dir.join(MANIFEST_JSON);
    let text =
        std::fs::read_to_string(&path).map_err(|e| refuse(dir, format!("{MANIFEST_JSON}: {e}")))?;
    let m: ShardManifest = serde_json::from_str(&text)
        .map_err(|e| refuse(dir, format!("{MANIFEST_JSON} does not parse: {e}")))?;
    if m.format != SHARD_FORMAT {
        return Err(refuse(
            dir,
            format!(
                "{MANIFEST_JSON}: format {:?}, expected {SHARD_FORMAT:?}",
                m.format
            ),
        ));
    }
    let s = &m.shard;
    let spec = ShardSpec::new(s.k, s.n, &|| {
        format!("{MANIFEST_JSON}: shard {}/{}", s.k, s.n)
    })
    .map_err(|e| refuse(dir, e))?;
    let range = spec.range(s.scenarios);
    if (s.first, s.end) != (range.start, range.end) || s.scenarios != m.flags.scenarios {
        return Err(refuse(
            dir,
            format!(
                "{MANIFEST_JSON}: shard {spec} of {} scenarios covers {}..{}, not {}..{}",
                m.flags.scenarios, range.start, range.end, s.first, s.end
            ),
        ));
    }
    Ok(m)
}

/// Bad input naming `b`'s directory when it differs from `a` in anything that changes results.
fn check_same(a: &Shard, b: &Shard) -> Result<(), EngineError> {
    let (x, y) = (&a.manifest, &b.manifest);
    let differ = |what: &str, u: String, v: String| {
        refuse(
            &b.dir,
            format!("{what} {v} differs from {u} in {}", a.dir.display()),
        )
    };
    if x.version != y.version {
        return Err(differ("version", x.version.clone(), y.version.clone()));
    }
    if x.fund.sha256 != y.fund.sha256 || x.fund.toml_sha256 != y.fund.toml_sha256 {
        return Err(differ(
            "fund (SHA-256)",
            format!("{:?}/{}", x.fund.sha256, x.fund.toml_sha256),
            format!("{:?}/{}", y.fund.sha256, y.fund.toml_sha256),
        ));
    }
    if x.seed != y.seed {
        return Err(differ("seed", x.seed.to_string(), y.seed.to_string()));
    }
    if x.switches != y.switches {
        return Err(differ(
            "switches",
            format!("{:?}", x.switches),
            format!("{:?}", y.switches),
        ));
    }
    if x.flags != y.flags {
        return Err(differ(
            "run flags",
            format!("{:?}", x.flags),
            format!("{:?}", y.flags),
        ));
    }
    // GPU records agree with the CPU's within the validation tolerance, not bit for bit: a mix
    // of CPU and GPU shards would equal neither single run.
    if x.backend.kind != y.backend.kind {
        return Err(differ(
            "backend kind (pin --backend cpu or gpu on every shard)",
            x.backend.kind.clone(),
            y.backend.kind.clone(),
        ));
    }
    if x.backend.float != y.backend.float {
        return Err(differ(
            "backend float type",
            x.backend.float.clone(),
            y.backend.float.clone(),
        ));
    }
    Ok(())
}

/// Bad input unless the shards cover `target` exactly once: a missing shard or range (named by
/// its indices and, when every shard has the same count, its shard number), a shard given
/// twice, overlapping ranges, or a shard outside `target`. `shards` is sorted by range.
fn check_cover(shards: &[Shard], target: Range<u64>) -> Result<(), EngineError> {
    for pair in shards.windows(2) {
        let (a, b) = (&pair[0].manifest.shard, &pair[1].manifest.shard);
        if (a.k, a.n) == (b.k, b.n) {
            return Err(refuse(
                &pair[1].dir,
                format!(
                    "duplicated: shard {}/{} is also {}",
                    b.k,
                    b.n,
                    pair[0].dir.display()
                ),
            ));
        }
    }
    for s in shards {
        let r = &s.manifest.shard;
        if r.first < target.start || r.end > target.end {
            return Err(refuse(
                &s.dir,
                format!(
                    "scenarios {}..{} fall outside the range merged, {}..{}",
                    r.first, r.end, target.start, target.end
                ),
            ));
        }
    }
    let n = shards[0].manifest.shard.n;
    let scenarios = shards[0].manifest.shard.scenarios;
    if shards.iter().all(|s| s.manifest.shard.n == n) {
        let have: std::collections::BTreeSet<u64> =
            shards.iter().map(|s| s.manifest.shard.k).collect();
        let missing: Vec<String> = (0..n)
            .map(|k| ShardSpec { k, n })
            .filter(|spec| {
                let r = spec.range(scenarios);
                !have.contains(&spec.k) && r.start >= target.start && r.end <= target.end
            })
            .map(|spec| {
                let r = spec.range(scenarios);
                format!("{} (scenarios {}..{})", spec.dir_name(), r.start, r.end)
            })
            .collect();
        if !missing.is_empty() {
            let shown: Vec<&str> = missing.iter().take(20).map(String::as_str).collect();
            let more = missing.len().saturating_sub(shown.len());
            return Err(EngineError::BadInput(format!(
                "merge: {} of {n} shards missing: {}{}",
                missing.len(),
                shown.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            )));
        }
    }
    let mut next = target.start;
    let mut last: Option<&Shard> = None;
    for s in shards {
        let r = &s.manifest.shard;
        if r.first == r.end {
            continue;
        }
        if r.first > next {
            return Err(EngineError::BadInput(format!(
                "merge: scenarios {next}..{} missing (no shard covers them; the next one is {})",
                r.first,
                s.dir.display()
            )));
        }
        if r.first < next {
            let other = last
                .map(|l| l.dir.display().to_string())
                .unwrap_or_default();
            return Err(refuse(
                &s.dir,
                format!(
                    "overlapping ranges: scenarios {}..{} overlap {other} (up to {next})",
                    r.first, r.end
                ),
            ));
        }
        next = r.end;
        last = Some(s);
    }
    if next != target.end {
        return Err(EngineError::BadInput(format!(
            "merge: scenarios {next}..{} missing (no shard covers them)",
            target.end
        )));
    }
    Ok(())
}

/// The bytes of a shard's file, checked against the manifest's SHA-256.
fn read_checked(s: &Shard, name: &str) -> Result<Vec<u8>, EngineError> {
    let want = s
        .manifest
        .files
        .get(name)
        .ok_or_else(|| refuse(&s.dir, format!("{MANIFEST_JSON} lists no {name}")))?;
    let path = s.dir.join(name);
    let bytes = std::fs::read(&path).map_err(|e| refuse(&s.dir, format!("{name}: {e}")))?;
    let got = crate::manifest::sha256(&bytes);
    if &got != want {
        return Err(refuse(
            &s.dir,
            format!("{name} is corrupt or truncated (SHA-256 {got}, the manifest says {want})"),
        ));
    }
    Ok(bytes)
}

/// Every record of one set, in index order, and each scenario's family code.
fn gather(shards: &[Shard], name: &str) -> Result<(Vec<ScenarioOutput>, Vec<u32>), EngineError> {
    let mut outputs = Vec::new();
    let mut families = Vec::new();
    for s in shards {
        let bytes = read_checked(s, name)?;
        let r = &s.manifest.shard;
        let (o, f) = read_records(&bytes, r.first..r.end)
            .map_err(|e| refuse(&s.dir, format!("{name}: {e}")))?;
        outputs.extend(o);
        families.extend(f);
    }
    Ok((outputs, families))
}

/// The traced paths of scenarios `0..min(paths, scenarios)`, in order.
fn gather_paths(shards: &[Shard], paths: u64, days: usize) -> Result<Vec<TracedPath>, EngineError> {
    let mut out = Vec::new();
    for s in shards {
        let r = &s.manifest.shard;
        let end = r.end.min(paths).max(r.first);
        let bytes = read_checked(s, PATHS_ARROW)?;
        let p = read_paths(&bytes, r.first..end, days)
            .map_err(|e| refuse(&s.dir, format!("{PATHS_ARROW}: {e}")))?;
        out.extend(p);
    }
    Ok(out)
}

/// The shards `inputs` name, checked against each other and to cover `target` (the whole sweep
/// when `None`) exactly once, sorted by range.
fn load(inputs: &[PathBuf], target: Option<ShardSpec>) -> Result<Vec<Shard>, EngineError> {
    let mut shards = Vec::new();
    for dir in shard_dirs(inputs)? {
        let manifest = read_manifest(&dir)?;
        shards.push(Shard { dir, manifest });
    }
    for s in &shards[1..] {
        check_same(&shards[0], s)?;
    }
    shards.sort_by_key(|s| {
        let r = &s.manifest.shard;
        (r.first, r.end, r.n, r.k)
    });
    let scenarios = shards[0].manifest.flags.scenarios;
    let range = target.map_or(0..scenarios, |t| t.range(scenarios));
    check_cover(&shards, range)?;
    Ok(shards)
}

/// Merges the shard directories `inputs` (see [`shard_dirs`]): checks their manifests, reads
/// their records, and finishes the run as a single run would, with `threads` for the analysis
/// and its plain reruns on `stage_reruns` (the single run's choice, for the merge to equal it).
/// `command_line` goes into the output's `manifest.json`.
pub fn merge(
    inputs: &[PathBuf],
    threads: Option<usize>,
    stage_reruns: StageReruns,
    command_line: Vec<String>,
) -> Result<Merged, EngineError> {
    let shards = load(inputs, None)?;
    let m = shards[0].manifest.clone();
    let fund_dir = &shards[0].dir;
    let text = String::from_utf8(read_checked(&shards[0], FUND_TOML)?)
        .map_err(|e| refuse(fund_dir, format!("{FUND_TOML}: {e}")))?;
    let fund = reload_fund(&text, &m.fund.source, &fund_dir.join(FUND_TOML))
        .map_err(|e| refuse(fund_dir, e))?;
    let request = RunRequest {
        scenarios: m.flags.scenarios,
        seed: m.seed,
        paths: m.flags.paths,
        threads,
        analysis: m.flags.analysis.as_ref().map(Into::into),
        unconditional: m.flags.unconditional,
        stage_reruns,
    };
    request.check(&fund).map_err(|e| refuse(fund_dir, e))?;
    let (stress, _) = gather(&shards, STRESS_ARROW)?;
    let unconditional = if request.unconditional {
        let (outs, families) = gather(&shards, UNCONDITIONAL_ARROW)?;
        let mut counts = vec![0u64; undertow_host::scenarios::family::COUNT];
        for f in families {
            if let Some(c) = counts.get_mut(f as usize) {
                *c += 1;
            }
        }
        Some((outs, counts))
    } else {
        None
    };
    let days = fund.model.params.horizon as usize;
    let paths = gather_paths(&shards, request.paths as u64, days)?;
    let (backend, notices) = backends_and_notices(&shards);
    let swept = Swept {
        stress,
        fan: fan_from_paths(&paths),
        unconditional,
        backend,
        seconds: shards.iter().map(|s| s.manifest.seconds).sum(),
        notices,
    };
    let mut outcome = finish(&fund, &request, swept)?;
    outcome.provenance = Provenance {
        fund_path: m.fund.path.clone(),
        fund_sha256: m.fund.sha256.clone(),
        command_line,
    };
    Ok(Merged {
        outcome,
        shards: shards.into_iter().map(|s| s.dir).collect(),
    })
}

/// The stress library's records of the sweep that the shard directories `inputs` cover, checked
/// as [`merge`] checks them, with the fund's TOML, the seed and the count: what a stage command
/// that sweeps reads instead of sweeping (`optimize buffer --from-shards DIR...`).
pub struct StressRecords {
    pub fund_toml: String,
    /// The first shard directory (for messages).
    pub dir: PathBuf,
    pub seed: u64,
    pub scenarios: u64,
    /// Indices `0..scenarios`, in order.
    pub outputs: Vec<ScenarioOutput>,
}

/// Reads [`StressRecords`] from the shard directories `inputs` (see [`shard_dirs`]).
pub fn stress_records(inputs: &[PathBuf]) -> Result<StressRecords, EngineError> {
    let shards = load(inputs, None)?;
    let m = &shards[0].manifest;
    let dir = shards[0].dir.clone();
    let fund_toml = String::from_utf8(read_checked(&shards[0], FUND_TOML)?)
        .map_err(|e| refuse(&dir, format!("{FUND_TOML}: {e}")))?;
    let (outputs, _) = gather(&shards, STRESS_ARROW)?;
    Ok(StressRecords {
        fund_toml,
        dir,
        seed: m.seed,
        scenarios: m.flags.scenarios,
        outputs,
    })
}

/// Combines the shard directories `inputs`, which must cover shard `spec`'s range of the same
/// sweep exactly, into shard `spec` (`undertow merge --as-shard K/N`): the records and paths
/// concatenated, nothing recomputed. A step of a tree merge: the final merge reads fewer,
/// larger shards.
pub fn combine(
    inputs: &[PathBuf],
    spec: ShardSpec,
    command_line: Vec<String>,
) -> Result<super::ShardOutcome, EngineError> {
    let shards = load(inputs, Some(spec))?;
    let m = &shards[0].manifest;
    let range = spec.range(m.flags.scenarios);
    let fund_toml = String::from_utf8(read_checked(&shards[0], FUND_TOML)?)
        .map_err(|e| refuse(&shards[0].dir, format!("{FUND_TOML}: {e}")))?;
    let encode = |what: &str, r: Result<Vec<u8>, arrow_schema::ArrowError>| {
        r.map_err(|e| EngineError::failed(format!("encoding the shard's {what} in Arrow"), e))
    };
    let (stress, families) = gather(&shards, STRESS_ARROW)?;
    let mut files = vec![(
        STRESS_ARROW,
        encode(
            STRESS_ARROW,
            super::records::write_records(range.start, &stress, &families),
        )?,
    )];
    if m.flags.unconditional {
        let (outs, families) = gather(&shards, UNCONDITIONAL_ARROW)?;
        files.push((
            UNCONDITIONAL_ARROW,
            encode(
                UNCONDITIONAL_ARROW,
                super::records::write_records(range.start, &outs, &families),
            )?,
        ));
    }
    let fund = reload_fund(&fund_toml, &m.fund.source, &shards[0].dir.join(FUND_TOML))
        .map_err(|e| refuse(&shards[0].dir, e))?;
    let paths = gather_paths(
        &shards,
        m.flags.paths as u64,
        fund.model.params.horizon as usize,
    )?;
    files.push((
        PATHS_ARROW,
        encode(
            PATHS_ARROW,
            super::records::write_paths(range.start, &paths),
        )?,
    ));
    let (backend, notices) = backends_and_notices(&shards);
    let mut manifest = m.clone();
    manifest.command_line = command_line;
    manifest.shard = super::ShardRange {
        k: spec.k,
        n: spec.n,
        first: range.start,
        end: range.end,
        scenarios: m.flags.scenarios,
    };
    manifest.shard_source = format!("merge --as-shard of {} shards", shards.len());
    manifest.backend.description = backend;
    manifest.seconds = shards.iter().map(|s| s.manifest.seconds).sum();
    manifest.unconditional_seconds = shards
        .iter()
        .map(|s| s.manifest.unconditional_seconds)
        .sum();
    manifest.notices = notices.clone();
    manifest.files.clear();
    Ok(super::ShardOutcome {
        spec,
        manifest,
        fund_toml,
        files,
        notices,
    })
}

/// The shards' backend descriptions (distinct ones joined by ` + `) and their notices, each
/// prefixed by its shard directory.
fn backends_and_notices(shards: &[Shard]) -> (String, Vec<String>) {
    let mut backends: Vec<String> = Vec::new();
    let mut notices = Vec::new();
    for s in shards {
        for d in s.manifest.backend.description.split(" + ") {
            if !backends.iter().any(|b| b == d) {
                backends.push(d.to_string());
            }
        }
        for n in &s.manifest.notices {
            notices.push(format!("{}: {n}", s.dir.display()));
        }
    }
    (backends.join(" + "), notices)
}
