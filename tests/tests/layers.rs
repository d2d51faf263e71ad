//! The architecture's invariants, checked on the source tree (ARCHITECTURE.md, "Invariants"):
//!
//! - the crate graph states the layers: each crate depends only on the crates and libraries its
//!   layer allows (the kernel on no GPU or threading library, the report on no simulation, ...);
//! - only the kernel reads state words: outside `kernel/`, no code names a state slot, and only
//!   the GPU backend (which uploads the layout record and sizes its buffers) may hold a `Layout`;
//! - no non-test function runs over 150 lines, outside the kernel's stage twins.
//!
//! Each check is a pure function over text with a test that feeds it a violation.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The `[dependencies]` (not dev-dependencies) of a crate's manifest, by name.
fn dependencies(manifest: &str) -> BTreeSet<String> {
    let value: toml::Table = manifest.parse().expect("a manifest parses");
    value
        .get("dependencies")
        .and_then(|d| d.as_table())
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default()
}

/// What each crate may depend on (`None`: no rule), and what it must not.
enum Rule {
    Only(&'static [&'static str]),
    Not(&'static [&'static str]),
}

const RULES: &[(&str, Rule)] = &[
    ("kernel", Rule::Only(&["bytemuck", "num-traits"])),
    ("format", Rule::Only(&[])),
    (
        "report",
        Rule::Only(&["serde_json", "plotters", "undertow-format"]),
    ),
    (
        "host",
        Rule::Not(&[
            "wgpu",
            "pollster",
            "plotters",
            "undertow-shaders",
            "undertow-gpu",
            "undertow-analysis",
            "undertow-report",
            "undertow-engine",
        ]),
    ),
    (
        "gpu",
        Rule::Not(&[
            "rayon",
            "plotters",
            "undertow-analysis",
            "undertow-report",
            "undertow-engine",
        ]),
    ),
    (
        "analysis",
        Rule::Not(&[
            "wgpu",
            "pollster",
            "plotters",
            "undertow-shaders",
            "undertow-gpu",
            "undertow-report",
            "undertow-engine",
        ]),
    ),
    (
        "calibrate",
        Rule::Not(&[
            "wgpu",
            "pollster",
            "plotters",
            "undertow-shaders",
            "undertow-gpu",
            "undertow-analysis",
            "undertow-report",
            "undertow-engine",
        ]),
    ),
    ("engine", Rule::Not(&["clap", "indicatif", "anyhow"])),
    // The Python wheel wraps the engine (and what it re-exports), never the CLI's crates.
    ("python", Rule::Not(&["clap", "indicatif", "undertow-cli"])),
];

/// The rule's breaches for one crate's dependencies.
fn breaches(krate: &str, deps: &BTreeSet<String>, rule: &Rule) -> Vec<String> {
    match rule {
        Rule::Only(allowed) => deps
            .iter()
            .filter(|d| !allowed.contains(&d.as_str()))
            .map(|d| format!("{krate} depends on {d}, outside its layer ({allowed:?})"))
            .collect(),
        Rule::Not(banned) => deps
            .iter()
            .filter(|d| banned.contains(&d.as_str()))
            .map(|d| format!("{krate} depends on {d}, which its layer must not"))
            .collect(),
    }
}

#[test]
fn the_crate_graph_keeps_the_layers() {
    let mut all = Vec::new();
    for (krate, rule) in RULES {
        let manifest = std::fs::read_to_string(root().join(krate).join("Cargo.toml"))
            .unwrap_or_else(|e| panic!("{krate}/Cargo.toml: {e}"));
        all.extend(breaches(krate, &dependencies(&manifest), rule));
    }
    assert!(all.is_empty(), "{}", all.join("\n"));
}

#[test]
fn a_dependency_across_layers_is_caught() {
    let manifest = "[package]\nname = \"x\"\n[dependencies]\nserde_json = \"1\"\nwgpu = \"30\"\n[dev-dependencies]\ntempfile = \"3\"\n";
    let deps = dependencies(manifest);
    assert_eq!(deps.len(), 2, "dev-dependencies are not counted");
    let rule = Rule::Only(&["serde_json", "plotters", "undertow-format"]);
    assert_eq!(breaches("report", &deps, &rule).len(), 1);
    assert_eq!(breaches("host", &deps, &Rule::Not(&["wgpu"])).len(), 1);
    assert!(breaches("host", &deps, &Rule::Not(&["pollster"])).is_empty());
}

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n == "target") {
                continue;
            }
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The library and binary sources of the crates above the kernel (tests and benches are free to
/// build states by hand).
fn sources_above_kernel() -> Vec<(String, String)> {
    let mut files = Vec::new();
    for krate in [
        "format", "host", "gpu", "analysis", "report", "engine", "cli",
    ] {
        rust_files(&root().join(krate).join("src"), &mut files);
    }
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (
                p.strip_prefix(root()).unwrap_or(&p).display().to_string(),
                text,
            )
        })
        .collect()
}

/// Lines that read or name state words: a state slot, or the layout outside the GPU backend.
fn state_word_reads(path: &str, text: &str) -> Vec<String> {
    let gpu = path.starts_with("gpu/");
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
        .filter(|(_, l)| {
            l.contains("slot::") || l.contains("ctx::St") || (!gpu && l.contains("layout::"))
        })
        .map(|(i, l)| format!("{path}:{}: {}", i + 1, l.trim()))
        .collect()
}

#[test]
fn only_the_kernel_reads_state_words() {
    let reads: Vec<String> = sources_above_kernel()
        .iter()
        .flat_map(|(p, t)| state_word_reads(p, t))
        .collect();
    assert!(
        reads.is_empty(),
        "state words read outside the kernel (use kernel::simulate_observed's view):\n{}",
        reads.join("\n")
    );
}

#[test]
fn a_state_word_read_is_caught() {
    let text = "use undertow_kernel::layout::Layout;\n// slot::CASH in a comment is fine\nlet x = st.get(slot::CASH);\n";
    assert_eq!(state_word_reads("analysis/src/sim.rs", text).len(), 2);
    assert_eq!(
        state_word_reads("gpu/src/sim.rs", "use undertow_kernel::layout::Layout;\n").len(),
        0,
        "the GPU backend uploads the layout record"
    );
}

/// Non-test functions longer than `limit` lines: `(lines, path:line name)`. Functions are found
/// by their `fn` line and closed by brace depth; everything from the first `#[cfg(test)]` on is
/// test code.
fn long_functions(path: &str, text: &str, limit: usize) -> Vec<(usize, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let end = lines
        .iter()
        .position(|l| l.trim_start().starts_with("#[cfg(test)]"))
        .unwrap_or(lines.len());
    let mut found = Vec::new();
    let mut i = 0;
    while i < end {
        let t = lines[i].trim_start();
        let is_fn = t.starts_with("fn ")
            || t.starts_with("pub fn ")
            || t.starts_with("pub(crate) fn ")
            || t.starts_with("pub(super) fn ")
            || t.starts_with("const fn ")
            || t.starts_with("pub const fn ");
        if !is_fn {
            i += 1;
            continue;
        }
        let name: String = t[t.find("fn ").unwrap() + 3..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let (mut depth, mut opened, mut j) = (0i64, false, i);
        while j < end {
            let l = lines[j];
            depth += l.matches('{').count() as i64 - l.matches('}').count() as i64;
            opened |= l.contains('{');
            if (opened && depth <= 0) || (!opened && l.trim_end().ends_with(';')) {
                break;
            }
            j += 1;
        }
        let n = j - i + 1;
        if opened && n > limit {
            found.push((n, format!("{path}:{} {name}", i + 1)));
        }
        i = j + 1;
    }
    found
}

/// The kernel's stage twins follow their WGSL line for line and may run long.
const TWINS_EXEMPT: &[&str] = &["kernel/src/metrics.rs"];

#[test]
fn no_function_runs_over_150_lines() {
    let mut files = Vec::new();
    for krate in [
        "kernel", "shaders", "format", "host", "gpu", "analysis", "report", "engine", "cli",
    ] {
        rust_files(&root().join(krate).join("src"), &mut files);
    }
    let mut long = Vec::new();
    for p in files {
        let rel = p.strip_prefix(root()).unwrap_or(&p).display().to_string();
        if TWINS_EXEMPT.contains(&rel.as_str()) || rel.ends_with("/tests.rs") {
            continue;
        }
        long.extend(long_functions(
            &rel,
            &std::fs::read_to_string(&p).unwrap(),
            150,
        ));
    }
    long.sort();
    assert!(
        long.is_empty(),
        "functions over 150 lines (split them into named steps):\n{}",
        long.iter()
            .map(|(n, w)| format!("{n} lines: {w}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn a_long_function_is_caught() {
    let mut text = String::from("pub fn short() {\n    1;\n}\n\nfn long() {\n");
    for _ in 0..150 {
        text.push_str("    let _ = { 1 };\n");
    }
    text.push_str("}\n\n#[cfg(test)]\nmod tests {\n    fn also_long() {\n");
    for _ in 0..200 {
        text.push_str("        x();\n");
    }
    text.push_str("    }\n}\n");
    let found = long_functions("x.rs", &text, 150);
    assert_eq!(found, vec![(152, "x.rs:5 long".to_string())]);
}
