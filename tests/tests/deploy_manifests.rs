//! The scale-out recipes (`deploy/`, docs/scale-out.md) hold what the docs rely on: every file
//! under `deploy/k8s` and `deploy/aws-batch` is parsed (YAML or JSON) and checked — a Kubernetes
//! Indexed Job whose `completions` equals its `UNDERTOW_SHARDS`, running `undertow run` into a
//! shared volume that the merge Job (`undertow merge`) reads; an AWS Batch array whose
//! `arrayProperties.size` equals the job definition's `UNDERTOW_SHARDS`, and a merge that depends
//! on the whole array — the Slurm script's `#SBATCH --array` against its shard count, the
//! Dockerfile's build from the repository, and `bash -n` on every shell script. Each checker
//! has a test that feeds it a corrupted manifest and sees it refuse.

use serde::Deserialize;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A parsed manifest: the file it came from (for messages) and one YAML/JSON document.
#[derive(Clone, Debug)]
struct Doc {
    file: String,
    value: Value,
}

/// Every document of every file in `dir`: `.yaml`/`.yml` (several documents each allowed) and
/// `.json`; any other file is an error, so nothing under the directory goes unchecked.
fn load_dir(dir: &Path) -> Result<Vec<Doc>, String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .map(|entry| entry.map(|e| e.path()).map_err(|e| e.to_string()))
        .collect::<Result<_, _>>()?;
    files.sort();
    let mut docs = Vec::new();
    for path in files {
        let file = path
            .strip_prefix(root())
            .unwrap_or(&path)
            .display()
            .to_string();
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{file}: {e}"))?;
        docs.extend(parse(&file, &text)?);
    }
    if docs.is_empty() {
        return Err(format!("{}: no manifests", dir.display()));
    }
    Ok(docs)
}

fn parse(file: &str, text: &str) -> Result<Vec<Doc>, String> {
    let doc = |value| Doc {
        file: file.to_string(),
        value,
    };
    if file.ends_with(".json") {
        let value: Value = serde_json::from_str(text).map_err(|e| format!("{file}: {e}"))?;
        Ok(vec![doc(value)])
    } else if file.ends_with(".yaml") || file.ends_with(".yml") {
        let mut out = Vec::new();
        for d in serde_yaml_ng::Deserializer::from_str(text) {
            let value = Value::deserialize(d).map_err(|e| format!("{file}: {e}"))?;
            if !value.is_null() {
                out.push(doc(value));
            }
        }
        Ok(out)
    } else {
        Err(format!(
            "{file}: not a manifest (.yaml, .yml or .json expected)"
        ))
    }
}

// ---- small typed reads that name the file and the path ----------------------------------------

fn at<'a>(doc: &'a Doc, v: &'a Value, path: &str) -> Result<&'a Value, String> {
    v.pointer(path)
        .ok_or_else(|| format!("{}: {path} is missing", doc.file))
}

fn str_at<'a>(doc: &'a Doc, v: &'a Value, path: &str) -> Result<&'a str, String> {
    at(doc, v, path)?
        .as_str()
        .ok_or_else(|| format!("{}: {path} is not a string", doc.file))
}

fn u64_at(doc: &Doc, v: &Value, path: &str) -> Result<u64, String> {
    at(doc, v, path)?
        .as_u64()
        .ok_or_else(|| format!("{}: {path} is not a whole number", doc.file))
}

fn array_at<'a>(doc: &'a Doc, v: &'a Value, path: &str) -> Result<&'a Vec<Value>, String> {
    at(doc, v, path)?
        .as_array()
        .ok_or_else(|| format!("{}: {path} is not a list", doc.file))
}

fn strings(doc: &Doc, v: &Value, path: &str) -> Result<Vec<String>, String> {
    array_at(doc, v, path)?
        .iter()
        .map(|s| {
            s.as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("{}: {path} holds a non-string", doc.file))
        })
        .collect()
}

/// The value of `NAME` in a Kubernetes or Batch `env`/`environment` list (`{name, value}`).
fn env_value(doc: &Doc, list: Option<&Value>, name: &str) -> Result<Option<String>, String> {
    let Some(list) = list else { return Ok(None) };
    let list = list
        .as_array()
        .ok_or_else(|| format!("{}: the environment is not a list", doc.file))?;
    for e in list {
        if e.get("name").and_then(Value::as_str) == Some(name) {
            return e
                .get("value")
                .and_then(Value::as_str)
                .map(|s| Some(s.to_string()))
                .ok_or_else(|| format!("{}: {name} has no string value", doc.file));
        }
    }
    Ok(None)
}

/// The argument after `flag` in a command.
fn flag_value(command: &[String], flag: &str) -> Option<String> {
    command
        .iter()
        .position(|a| a == flag)
        .and_then(|i| command.get(i + 1).cloned())
}

/// The merge's input directories: the arguments after `merge` up to the first flag.
fn merge_inputs(command: &[String]) -> Vec<String> {
    command
        .iter()
        .skip(2)
        .take_while(|a| !a.starts_with("--"))
        .cloned()
        .collect()
}

/// A directory as `(volume, path inside the volume)`.
type OnVolume = (String, String);

/// `(volume, path inside the volume)` of `path` under one of `mounts` (mount path, volume name).
fn on_volume(path: &str, mounts: &[(String, String)]) -> Option<OnVolume> {
    mounts
        .iter()
        .filter(|(mount, _)| {
            let mount = mount.trim_end_matches('/');
            path == mount || path.starts_with(&format!("{mount}/"))
        })
        .max_by_key(|(mount, _)| mount.len())
        .map(|(mount, volume)| {
            let rest = path[mount.trim_end_matches('/').len()..].trim_matches('/');
            (volume.clone(), rest.to_string())
        })
}

fn command_kind(doc: &Doc, command: &[String], what: &str) -> Result<String, String> {
    match command {
        [bin, sub, ..] if bin == "undertow" && (sub == "run" || sub == "merge") => Ok(sub.clone()),
        _ => Err(format!(
            "{}: {what}'s command {command:?} is neither `undertow run` nor `undertow merge`",
            doc.file
        )),
    }
}

// ---- Kubernetes --------------------------------------------------------------------------------

/// What the Kubernetes recipe amounts to once checked.
#[derive(Debug, PartialEq)]
struct K8sPlan {
    shards: u64,
    /// (claim, path in the claim) the shards write to and the merge reads.
    shards_dir: OnVolume,
}

/// A Job's single container: its command, its volume mounts resolved to (mount path, volume
/// source), where the volume source is the PVC's claim name.
struct K8sContainer {
    command: Vec<String>,
    env: Option<Value>,
    mounts: Vec<(String, String)>,
}

fn k8s_container(doc: &Doc) -> Result<K8sContainer, String> {
    let v = &doc.value;
    let containers = array_at(doc, v, "/spec/template/spec/containers")?;
    if containers.len() != 1 {
        return Err(format!(
            "{}: a Job of this recipe has one container, found {}",
            doc.file,
            containers.len()
        ));
    }
    let c = &containers[0];
    let command = strings(doc, c, "/command")?;
    let mut claims = Vec::new();
    for vol in array_at(doc, v, "/spec/template/spec/volumes")? {
        let name = str_at(doc, vol, "/name")?;
        if let Some(claim) = vol.pointer("/persistentVolumeClaim/claimName") {
            let claim = claim.as_str().ok_or_else(|| {
                format!("{}: volume {name}'s claimName is not a string", doc.file)
            })?;
            claims.push((name.to_string(), claim.to_string()));
        }
    }
    let mut mounts = Vec::new();
    for m in array_at(doc, c, "/volumeMounts")? {
        let name = str_at(doc, m, "/name")?;
        let path = str_at(doc, m, "/mountPath")?;
        let claim = claims
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, c)| c.clone())
            .ok_or_else(|| {
                format!(
                    "{}: volumeMount {name} names no persistentVolumeClaim volume of the Pod",
                    doc.file
                )
            })?;
        mounts.push((path.to_string(), claim));
    }
    Ok(K8sContainer {
        command,
        env: c.get("env").cloned(),
        mounts,
    })
}

fn check_k8s(docs: &[Doc]) -> Result<K8sPlan, String> {
    let mut claims = Vec::new();
    let mut run: Option<(u64, OnVolume)> = None;
    let mut merge: Option<(Vec<OnVolume>, OnVolume)> = None;
    for doc in docs {
        let v = &doc.value;
        let api = str_at(doc, v, "/apiVersion")?;
        let kind = str_at(doc, v, "/kind")?;
        match (api, kind) {
            ("v1", "PersistentVolumeClaim") => {
                claims.push(str_at(doc, v, "/metadata/name")?.to_string());
                continue;
            }
            ("batch/v1", "Job") => {}
            _ => {
                return Err(format!(
                    "{}: apiVersion {api:?} kind {kind:?}: expected batch/v1 Job or v1 PersistentVolumeClaim",
                    doc.file
                ))
            }
        }
        let c = k8s_container(doc)?;
        match command_kind(doc, &c.command, "the container")?.as_str() {
            "run" => {
                if run.is_some() {
                    return Err(format!("{}: a second `undertow run` Job", doc.file));
                }
                let mode = str_at(doc, v, "/spec/completionMode")?;
                if mode != "Indexed" {
                    return Err(format!(
                        "{}: spec.completionMode is {mode:?}: the shards need Indexed (JOB_COMPLETION_INDEX)",
                        doc.file
                    ));
                }
                let completions = u64_at(doc, v, "/spec/completions")?;
                let parallelism = u64_at(doc, v, "/spec/parallelism")?;
                if completions == 0 || parallelism == 0 || parallelism > completions {
                    return Err(format!(
                        "{}: completions {completions}, parallelism {parallelism}: want 1 <= parallelism <= completions",
                        doc.file
                    ));
                }
                let shards = env_value(doc, c.env.as_ref(), "UNDERTOW_SHARDS")?
                    .ok_or_else(|| format!("{}: no UNDERTOW_SHARDS in the env", doc.file))?;
                if shards != completions.to_string() {
                    return Err(format!(
                        "{}: UNDERTOW_SHARDS is {shards:?} but completions is {completions}: shard K/N needs N = completions",
                        doc.file
                    ));
                }
                if c.command.iter().any(|a| a.starts_with("--shard")) {
                    return Err(format!(
                        "{}: the Indexed Job passes --shard: K/N must come from JOB_COMPLETION_INDEX/UNDERTOW_SHARDS",
                        doc.file
                    ));
                }
                let out = flag_value(&c.command, "--out")
                    .ok_or_else(|| format!("{}: `undertow run` has no --out", doc.file))?;
                let dir = on_volume(&out, &c.mounts)
                    .ok_or_else(|| format!("{}: --out {out} is on no mounted volume", doc.file))?;
                run = Some((completions, dir));
            }
            _ => {
                if merge.is_some() {
                    return Err(format!("{}: a second `undertow merge` Job", doc.file));
                }
                if v.pointer("/spec/completionMode").and_then(Value::as_str) == Some("Indexed")
                    || v.pointer("/spec/completions")
                        .and_then(Value::as_u64)
                        .unwrap_or(1)
                        != 1
                {
                    return Err(format!(
                        "{}: the merge runs once (completions 1, not Indexed)",
                        doc.file
                    ));
                }
                let inputs = merge_inputs(&c.command);
                if inputs.is_empty() {
                    return Err(format!(
                        "{}: `undertow merge` names no shard directory",
                        doc.file
                    ));
                }
                let inputs = inputs
                    .iter()
                    .map(|i| {
                        on_volume(i, &c.mounts).ok_or_else(|| {
                            format!("{}: merge input {i} is on no mounted volume", doc.file)
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let out = flag_value(&c.command, "--out")
                    .ok_or_else(|| format!("{}: `undertow merge` has no --out", doc.file))?;
                let out = on_volume(&out, &c.mounts).ok_or_else(|| {
                    format!(
                        "{}: the merge's --out {out} is on no mounted volume",
                        doc.file
                    )
                })?;
                merge = Some((inputs, out));
            }
        }
    }
    let (shards, shards_dir) = run.ok_or("deploy/k8s: no Job runs `undertow run`")?;
    let (inputs, merged) = merge.ok_or("deploy/k8s: no Job runs `undertow merge`")?;
    if !inputs.contains(&shards_dir) {
        return Err(format!(
            "deploy/k8s: the merge reads {inputs:?} but the shards write {shards_dir:?} (claim, path)"
        ));
    }
    if merged == shards_dir {
        return Err("deploy/k8s: the merge writes into the shards' directory".into());
    }
    for (claim, _) in inputs.iter().chain([&shards_dir, &merged]) {
        if !claims.contains(claim) {
            return Err(format!(
                "deploy/k8s: claim {claim:?} has no PersistentVolumeClaim manifest (have {claims:?})"
            ));
        }
    }
    Ok(K8sPlan { shards, shards_dir })
}

// ---- AWS Batch ---------------------------------------------------------------------------------

#[derive(Debug, PartialEq)]
struct BatchPlan {
    size: u64,
}

/// A Batch job definition's command, environment and mounts (container path, volume identity:
/// the EFS file system and access point, or the host path).
struct BatchDefinition {
    name: String,
    command: Vec<String>,
    env: Option<Value>,
    mounts: Vec<(String, String)>,
    parameters: Option<Value>,
}

fn batch_definition(doc: &Doc) -> Result<BatchDefinition, String> {
    let v = &doc.value;
    let c = at(doc, v, "/containerProperties")?;
    let mut volumes = Vec::new();
    for vol in array_at(doc, c, "/volumes")? {
        let name = str_at(doc, vol, "/name")?;
        let identity = if let Some(efs) = vol.get("efsVolumeConfiguration") {
            format!(
                "efs:{}:{}:{}",
                str_at(doc, efs, "/fileSystemId")?,
                efs.pointer("/authorizationConfig/accessPointId")
                    .and_then(Value::as_str)
                    .unwrap_or(""),
                efs.get("rootDirectory")
                    .and_then(Value::as_str)
                    .unwrap_or("/")
            )
        } else if let Some(host) = vol.pointer("/host/sourcePath") {
            format!("host:{}", host.as_str().unwrap_or(""))
        } else {
            return Err(format!(
                "{}: volume {name} is neither EFS nor a host path",
                doc.file
            ));
        };
        volumes.push((name.to_string(), identity));
    }
    let mut mounts = Vec::new();
    for m in array_at(doc, c, "/mountPoints")? {
        let source = str_at(doc, m, "/sourceVolume")?;
        let path = str_at(doc, m, "/containerPath")?;
        let identity = volumes
            .iter()
            .find(|(n, _)| n == source)
            .map(|(_, i)| i.clone())
            .ok_or_else(|| format!("{}: mountPoint {source} names no volume", doc.file))?;
        mounts.push((path.to_string(), identity));
    }
    Ok(BatchDefinition {
        name: str_at(doc, v, "/jobDefinitionName")?.to_string(),
        command: strings(doc, c, "/command")?,
        env: c.get("environment").cloned(),
        mounts,
        parameters: v.get("parameters").cloned(),
    })
}

/// Every `Ref::name` in the command is a parameter the definition or the submission gives.
fn refs_resolved(doc: &Doc, def: &BatchDefinition, submit: Option<&Value>) -> Result<(), String> {
    for a in &def.command {
        if let Some(name) = a.strip_prefix("Ref::") {
            let given = def.parameters.as_ref().and_then(|p| p.get(name)).is_some()
                || submit
                    .and_then(|s| s.pointer(&format!("/parameters/{name}")))
                    .is_some();
            if !given {
                return Err(format!("{}: Ref::{name} has no parameter", doc.file));
            }
        }
    }
    Ok(())
}

fn check_batch(docs: &[Doc]) -> Result<BatchPlan, String> {
    let mut run_def: Option<(Doc, BatchDefinition)> = None;
    let mut merge_def: Option<(Doc, BatchDefinition)> = None;
    let mut submits = Vec::new();
    for doc in docs {
        let v = &doc.value;
        if v.get("containerProperties").is_some() {
            if str_at(doc, v, "/type")? != "container" {
                return Err(format!("{}: type is not \"container\"", doc.file));
            }
            let def = batch_definition(doc)?;
            let slot = match command_kind(doc, &def.command, "the job definition")?.as_str() {
                "run" => &mut run_def,
                _ => &mut merge_def,
            };
            if slot.is_some() {
                return Err(format!(
                    "{}: a second job definition for {:?}",
                    doc.file, def.command
                ));
            }
            *slot = Some((doc.clone(), def));
        } else if v.get("jobDefinition").is_some() {
            submits.push(doc.clone());
        } else {
            return Err(format!(
                "{}: neither a job definition (containerProperties) nor a submission (jobDefinition)",
                doc.file
            ));
        }
    }
    let (run_doc, run) =
        run_def.ok_or("deploy/aws-batch: no job definition runs `undertow run`")?;
    let (merge_doc, merge) =
        merge_def.ok_or("deploy/aws-batch: no job definition runs `undertow merge`")?;

    let def_shards = env_value(&run_doc, run.env.as_ref(), "UNDERTOW_SHARDS")?
        .ok_or_else(|| format!("{}: no UNDERTOW_SHARDS in the environment", run_doc.file))?;
    if run.command.iter().any(|a| a.starts_with("--shard")) {
        return Err(format!(
            "{}: the array job passes --shard: K/N must come from AWS_BATCH_JOB_ARRAY_INDEX/UNDERTOW_SHARDS",
            run_doc.file
        ));
    }
    let out = flag_value(&run.command, "--out")
        .ok_or_else(|| format!("{}: `undertow run` has no --out", run_doc.file))?;
    let shards_dir = on_volume(&out, &run.mounts)
        .ok_or_else(|| format!("{}: --out {out} is on no mounted volume", run_doc.file))?;
    let inputs = merge_inputs(&merge.command)
        .iter()
        .map(|i| {
            on_volume(i, &merge.mounts).ok_or_else(|| {
                format!(
                    "{}: merge input {i} is on no mounted volume",
                    merge_doc.file
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if !inputs.contains(&shards_dir) {
        return Err(format!(
            "{}: the merge reads {inputs:?} but the shards write {shards_dir:?} (volume, path)",
            merge_doc.file
        ));
    }

    let mut size = None;
    let mut merge_submitted = false;
    for doc in &submits {
        let v = &doc.value;
        let def = str_at(doc, v, "/jobDefinition")?;
        if def == run.name {
            let n = u64_at(doc, v, "/arrayProperties/size")?;
            if !(2..=10_000).contains(&n) {
                return Err(format!(
                    "{}: arrayProperties.size {n} is outside AWS Batch's 2 to 10,000",
                    doc.file
                ));
            }
            if def_shards != n.to_string() {
                return Err(format!(
                    "{}: arrayProperties.size is {n} but {} sets UNDERTOW_SHARDS to {def_shards:?}",
                    doc.file, run_doc.file
                ));
            }
            if let Some(over) = env_value(
                doc,
                v.pointer("/containerOverrides/environment"),
                "UNDERTOW_SHARDS",
            )? {
                if over != n.to_string() {
                    return Err(format!(
                        "{}: arrayProperties.size is {n} but containerOverrides sets UNDERTOW_SHARDS to {over:?}",
                        doc.file
                    ));
                }
            }
            refs_resolved(&run_doc, &run, Some(v))?;
            size = Some(n);
        } else if def == merge.name {
            if v.get("arrayProperties").is_some() {
                return Err(format!("{}: the merge is not an array job", doc.file));
            }
            let deps = array_at(doc, v, "/dependsOn")?;
            let [dep] = deps.as_slice() else {
                return Err(format!(
                    "{}: the merge depends on exactly one job (the array), found {}",
                    doc.file,
                    deps.len()
                ));
            };
            str_at(doc, dep, "/jobId")?;
            if let Some(kind) = dep.get("type") {
                // N_TO_N pairs child i with child i of an array of the same size and
                // SEQUENTIAL chains one array's own children: the merge is one job that
                // needs every child, which is a dependency on the array's id without a type.
                return Err(format!(
                    "{}: dependsOn type {kind}: the merge needs every shard, a dependency on the array job id without a type",
                    doc.file
                ));
            }
            refs_resolved(&merge_doc, &merge, Some(v))?;
            merge_submitted = true;
        } else {
            return Err(format!(
                "{}: jobDefinition {def:?} is neither {:?} nor {:?}",
                doc.file, run.name, merge.name
            ));
        }
    }
    if !merge_submitted {
        return Err("deploy/aws-batch: no submission of the merge".into());
    }
    let size = size.ok_or("deploy/aws-batch: no submission of the shards' array job")?;
    Ok(BatchPlan { size })
}

// ---- Slurm -------------------------------------------------------------------------------------

/// The `#SBATCH --array=0-(N-1)` of the shard script against its default shard count
/// (`UNDERTOW_SHARDS:-N`), and where the shards go against where the merge reads.
fn check_sbatch(shards_script: &str, merge_script: &str) -> Result<u64, String> {
    let directives: Vec<&str> = shards_script
        .lines()
        .filter_map(|l| l.trim().strip_prefix("#SBATCH"))
        .map(str::trim)
        .collect();
    let array = directives
        .iter()
        .find_map(|d| d.strip_prefix("--array="))
        .ok_or("undertow-shards.sbatch: no #SBATCH --array line")?;
    let (first, last) = array
        .split_once('-')
        .ok_or_else(|| format!("undertow-shards.sbatch: --array={array} is not a range 0-(N-1)"))?;
    let (first, last): (u64, u64) = match (first.parse(), last.parse()) {
        (Ok(f), Ok(l)) => (f, l),
        _ => {
            return Err(format!(
                "undertow-shards.sbatch: --array={array} is not a range of whole numbers"
            ))
        }
    };
    let default = shards_script
        .split("UNDERTOW_SHARDS:-")
        .nth(1)
        .and_then(|rest| rest.split('}').next())
        .and_then(|n| n.parse::<u64>().ok())
        .ok_or("undertow-shards.sbatch: no default shard count ${UNDERTOW_SHARDS:-N}")?;
    if first != 0 || last + 1 != default {
        return Err(format!(
            "undertow-shards.sbatch: --array={array} but the default shard count is {default}: the array must be 0-{}",
            default.saturating_sub(1)
        ));
    }
    let shards_out = "--out \"$shared/shards\"";
    if !shards_script.contains(shards_out) || !shards_script.contains("args=(run ") {
        return Err(format!(
            "undertow-shards.sbatch: no `undertow run ... {shards_out}`"
        ));
    }
    if !merge_script.contains("merge \"$shared/shards\"") {
        return Err("merge.sbatch: the merge does not read \"$shared/shards\"".into());
    }
    Ok(default)
}

// ---- Dockerfile --------------------------------------------------------------------------------

fn check_dockerfile(text: &str) -> Result<(), String> {
    let lines: Vec<String> = text
        .replace("\\\n", " ")
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let stages: Vec<&String> = lines.iter().filter(|l| l.starts_with("FROM ")).collect();
    if stages.len() < 2 {
        return Err(format!(
            "Dockerfile: {} stage(s), want a build and a runtime stage",
            stages.len()
        ));
    }
    if !stages[0].starts_with("FROM rust:") {
        return Err(format!(
            "Dockerfile: the build stage is {:?}, not a rust image",
            stages[0]
        ));
    }
    let last = stages[stages.len() - 1];
    if !(last.starts_with("FROM debian:") && last.contains("-slim")) {
        return Err(format!(
            "Dockerfile: the runtime stage is {last:?}, not debian slim"
        ));
    }
    if !lines.iter().any(|l| {
        l.starts_with("RUN ")
            && l.contains("cargo build --release")
            && l.contains("-p undertow-cli")
    }) {
        return Err("Dockerfile: no `cargo build --release -p undertow-cli`".into());
    }
    if !lines.iter().any(|l| l.starts_with("COPY --from=")) {
        return Err("Dockerfile: the runtime stage copies nothing from the build".into());
    }
    for l in &lines {
        let lower = l.to_lowercase();
        if lower.contains("curl ")
            || lower.contains("wget ")
            || (l.starts_with("ADD ") && lower.contains("://"))
        {
            return Err(format!("Dockerfile: downloads a binary: {l:?}"));
        }
    }
    Ok(())
}

// ---- shell -------------------------------------------------------------------------------------

fn bash_n(name: &str, text: &str) -> Result<(), String> {
    let out = Command::new("bash")
        .arg("-n")
        .arg("-c")
        .arg(text)
        .arg(name)
        .output()
        .map_err(|e| format!("bash: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{name}: bash -n: {}",
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn shell_scripts() -> Vec<PathBuf> {
    let mut out = vec![root().join(".ci/run"), root().join(".ci/slurm-e2e")];
    for entry in std::fs::read_dir(root().join("deploy/slurm")).expect("deploy/slurm") {
        let path = entry.expect("entry").path();
        if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("sh" | "sbatch")
        ) {
            out.push(path);
        }
    }
    out.sort();
    out
}

// ---- the recipes as committed ------------------------------------------------------------------

fn k8s_docs() -> Vec<Doc> {
    load_dir(&root().join("deploy/k8s")).unwrap()
}

fn batch_docs() -> Vec<Doc> {
    load_dir(&root().join("deploy/aws-batch")).unwrap()
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn k8s_manifests_hold_what_the_docs_rely_on() {
    let plan = check_k8s(&k8s_docs()).unwrap();
    assert!(plan.shards >= 1);
    assert_eq!(plan.shards_dir.1, "shards");
}

#[test]
fn batch_manifests_hold_what_the_docs_rely_on() {
    let plan = check_batch(&batch_docs()).unwrap();
    assert!((2..=10_000).contains(&plan.size));
}

#[test]
fn sbatch_array_matches_its_shard_count() {
    let n = check_sbatch(
        &read("deploy/slurm/undertow-shards.sbatch"),
        &read("deploy/slurm/merge.sbatch"),
    )
    .unwrap();
    assert!(n >= 1);
    let submit = read("deploy/slurm/submit.sh");
    assert!(
        submit.contains("--array=\"0-$((shards - 1))\""),
        "submit.sh: the array is not 0-(N-1)"
    );
    assert!(
        submit.contains("--dependency=\"afterok:$array_job\""),
        "submit.sh: no afterok chain"
    );
    assert!(
        submit.contains("sbatch --parsable"),
        "submit.sh: job ids not parsable"
    );
}

#[test]
fn dockerfile_builds_from_the_repository() {
    check_dockerfile(&read("deploy/Dockerfile")).unwrap();
}

#[test]
fn every_shell_script_parses() {
    let scripts = shell_scripts();
    assert!(scripts.len() >= 5, "{scripts:?}");
    for path in scripts {
        let text = std::fs::read_to_string(&path).unwrap();
        bash_n(&path.display().to_string(), &text).unwrap();
    }
}

#[test]
fn every_file_under_deploy_k8s_and_aws_batch_is_a_manifest() {
    let err = parse("deploy/k8s/notes.txt", "hello").unwrap_err();
    assert!(err.contains("not a manifest"), "{err}");
    let err = parse("x.yaml", "a: [1, 2").unwrap_err();
    assert!(err.starts_with("x.yaml"), "{err}");
    let err = parse("x.json", "{\"a\": }").unwrap_err();
    assert!(err.starts_with("x.json"), "{err}");
    let two = parse("x.yaml", "a: 1\n---\nb: 2\n").unwrap();
    assert_eq!(two.len(), 2);
    assert_eq!(two[1].value, json!({"b": 2}));
}

// ---- each check refuses a corrupted manifest --------------------------------------------------

/// The committed documents with `edit` applied to the first one whose file ends with `file`.
fn corrupted(docs: Vec<Doc>, file: &str, edit: impl FnOnce(&mut Value)) -> Vec<Doc> {
    let mut docs = docs;
    let doc = docs
        .iter_mut()
        .find(|d| d.file.ends_with(file))
        .unwrap_or_else(|| panic!("no {file}"));
    edit(&mut doc.value);
    docs
}

fn refused_k8s(file: &str, edit: impl FnOnce(&mut Value), says: &str) {
    let err = check_k8s(&corrupted(k8s_docs(), file, edit)).unwrap_err();
    assert!(err.contains(says), "expected {says:?} in {err:?}");
}

fn refused_batch(file: &str, edit: impl FnOnce(&mut Value), says: &str) {
    let err = check_batch(&corrupted(batch_docs(), file, edit)).unwrap_err();
    assert!(err.contains(says), "expected {says:?} in {err:?}");
}

const SHARD_CONTAINER: &str = "/spec/template/spec/containers/0";

#[test]
fn k8s_checker_refuses_completions_unlike_undertow_shards() {
    refused_k8s(
        "shards-job.yaml",
        |v| {
            let c = v.pointer_mut("/spec/completions").unwrap();
            *c = json!(c.as_u64().unwrap() + 1);
        },
        "UNDERTOW_SHARDS is",
    );
    refused_k8s(
        "shards-job.yaml",
        |v| {
            *v.pointer_mut(&format!("{SHARD_CONTAINER}/env")).unwrap() = json!([]);
        },
        "no UNDERTOW_SHARDS",
    );
}

#[test]
fn k8s_checker_refuses_a_job_that_is_not_indexed() {
    refused_k8s(
        "shards-job.yaml",
        |v| *v.pointer_mut("/spec/completionMode").unwrap() = json!("NonIndexed"),
        "completionMode",
    );
    refused_k8s(
        "shards-job.yaml",
        |v| {
            let c = v.pointer_mut("/spec/parallelism").unwrap();
            *c = json!(1000);
        },
        "parallelism",
    );
}

#[test]
fn k8s_checker_refuses_a_wrong_api_version_or_kind() {
    refused_k8s(
        "shards-job.yaml",
        |v| v["apiVersion"] = json!("batch/v1beta1"),
        "expected batch/v1 Job",
    );
    refused_k8s(
        "merge-job.yaml",
        |v| v["kind"] = json!("CronJob"),
        "expected batch/v1 Job",
    );
}

#[test]
fn k8s_checker_refuses_commands_that_are_not_run_and_merge() {
    refused_k8s(
        "shards-job.yaml",
        |v| {
            *v.pointer_mut(&format!("{SHARD_CONTAINER}/command/1"))
                .unwrap() = json!("bench");
        },
        "neither `undertow run` nor `undertow merge`",
    );
    refused_k8s(
        "merge-job.yaml",
        |v| {
            *v.pointer_mut(&format!("{SHARD_CONTAINER}/command/1"))
                .unwrap() = json!("run");
        },
        // merge-job.yaml sorts first: a run Job without the Indexed mode.
        "completionMode",
    );
    refused_k8s(
        "shards-job.yaml",
        |v| {
            let cmd = v
                .pointer_mut(&format!("{SHARD_CONTAINER}/command"))
                .unwrap();
            cmd.as_array_mut().unwrap().push(json!("--shard=0/8"));
        },
        "passes --shard",
    );
}

#[test]
fn k8s_checker_refuses_volume_mounts_that_do_not_match() {
    // The merge reads another directory than the one the shards write.
    refused_k8s(
        "merge-job.yaml",
        |v| {
            *v.pointer_mut(&format!("{SHARD_CONTAINER}/command/2"))
                .unwrap() = json!("/shared/other");
        },
        "the merge reads",
    );
    // The shards mount the volume elsewhere, so --out is on no volume.
    refused_k8s(
        "shards-job.yaml",
        |v| {
            *v.pointer_mut(&format!("{SHARD_CONTAINER}/volumeMounts/0/mountPath"))
                .unwrap() = json!("/data");
        },
        "is on no mounted volume",
    );
    // The merge's Pod uses another claim.
    refused_k8s(
        "merge-job.yaml",
        |v| {
            *v.pointer_mut("/spec/template/spec/volumes/0/persistentVolumeClaim/claimName")
                .unwrap() = json!("elsewhere");
        },
        "the merge reads",
    );
    // A claim that no manifest creates.
    let docs: Vec<Doc> = k8s_docs()
        .into_iter()
        .filter(|d| d.value["kind"] != "PersistentVolumeClaim")
        .collect();
    let err = check_k8s(&docs).unwrap_err();
    assert!(err.contains("has no PersistentVolumeClaim"), "{err}");
}

#[test]
fn batch_checker_refuses_a_size_unlike_undertow_shards() {
    refused_batch(
        "submit-shards.json",
        |v| {
            let s = v.pointer_mut("/arrayProperties/size").unwrap();
            *s = json!(s.as_u64().unwrap() + 1);
        },
        "UNDERTOW_SHARDS to",
    );
    refused_batch(
        "submit-shards.json",
        |v| {
            *v.pointer_mut("/containerOverrides/environment/0/value")
                .unwrap() = json!("3");
        },
        "containerOverrides sets UNDERTOW_SHARDS",
    );
    refused_batch(
        "submit-shards.json",
        |v| *v.pointer_mut("/arrayProperties/size").unwrap() = json!(10_001),
        "outside AWS Batch's 2 to 10,000",
    );
    refused_batch(
        "shards-job-definition.json",
        |v| *v.pointer_mut("/containerProperties/environment").unwrap() = json!([]),
        "no UNDERTOW_SHARDS",
    );
}

#[test]
fn batch_checker_refuses_a_merge_that_does_not_wait_for_every_shard() {
    refused_batch(
        "submit-merge.json",
        |v| v["dependsOn"][0]["type"] = json!("N_TO_N"),
        "dependsOn type",
    );
    refused_batch(
        "submit-merge.json",
        |v| v["dependsOn"] = json!([]),
        "exactly one job",
    );
    refused_batch(
        "submit-merge.json",
        |v| {
            v.as_object_mut()
                .unwrap()
                .remove("dependsOn")
                .map(drop)
                .unwrap()
        },
        "/dependsOn is missing",
    );
}

#[test]
fn batch_checker_refuses_mismatched_volumes_and_commands() {
    refused_batch(
        "merge-job-definition.json",
        |v| {
            *v.pointer_mut("/containerProperties/volumes/0/efsVolumeConfiguration/fileSystemId")
                .unwrap() = json!("fs-other");
        },
        "the merge reads",
    );
    refused_batch(
        "shards-job-definition.json",
        |v| {
            *v.pointer_mut("/containerProperties/mountPoints/0/containerPath")
                .unwrap() = json!("/mnt");
        },
        "is on no mounted volume",
    );
    refused_batch(
        "shards-job-definition.json",
        |v| {
            let cmd = v.pointer_mut("/containerProperties/command").unwrap();
            cmd.as_array_mut().unwrap().push(json!("Ref::threads"));
        },
        "Ref::threads has no parameter",
    );
    refused_batch(
        "merge-job-definition.json",
        |v| *v.pointer_mut("/containerProperties/command/0").unwrap() = json!("sh"),
        "neither `undertow run` nor `undertow merge`",
    );
}

#[test]
fn sbatch_checker_refuses_an_array_unlike_its_shard_count() {
    let script = read("deploy/slurm/undertow-shards.sbatch");
    let merge = read("deploy/slurm/merge.sbatch");
    let n = check_sbatch(&script, &merge).unwrap();
    let array = format!("--array=0-{}", n - 1);
    assert!(script.contains(&array));
    for wrong in [
        format!("--array=0-{n}"),
        format!("--array=1-{n}"),
        "--array=0-x".into(),
    ] {
        let err = check_sbatch(&script.replace(&array, &wrong), &merge).unwrap_err();
        assert!(err.contains("--array="), "{wrong}: {err}");
    }
    let err = check_sbatch(&script.replace("#SBATCH --array", "# --array"), &merge).unwrap_err();
    assert!(err.contains("no #SBATCH --array"), "{err}");
    let err = check_sbatch(
        &script,
        &merge.replace("$shared/shards", "$shared/elsewhere"),
    )
    .unwrap_err();
    assert!(err.contains("merge.sbatch"), "{err}");
}

#[test]
fn dockerfile_checker_refuses_a_download_or_a_single_stage() {
    let text = read("deploy/Dockerfile");
    let err = check_dockerfile(&format!(
        "{text}\nRUN curl -L https://example.com/undertow -o /u\n"
    ))
    .unwrap_err();
    assert!(err.contains("downloads a binary"), "{err}");
    let single: String = text
        .lines()
        .filter(|l| !l.starts_with("FROM debian"))
        .collect::<Vec<_>>()
        .join("\n");
    let err = check_dockerfile(&single).unwrap_err();
    assert!(
        err.contains("runtime stage") || err.contains("stage(s)"),
        "{err}"
    );
    let err = check_dockerfile(&text.replace("-p undertow-cli", "-p undertow-engine")).unwrap_err();
    assert!(err.contains("cargo build"), "{err}");
}

#[test]
fn bash_n_refuses_a_broken_script() {
    let err = bash_n("broken.sh", "if true; then\n  echo unterminated\n").unwrap_err();
    assert!(err.contains("broken.sh"), "{err}");
}
