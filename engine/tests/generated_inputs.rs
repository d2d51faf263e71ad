//! Generated fund files: the valid example mutated (a key deleted, a value retyped, negated,
//! NaN, ±inf, 1e300, the text truncated, a table duplicated). Each must either be refused with a
//! `FundError` that names the field, never a panic, or build into a fund whose run gives every
//! output finite.

use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestCaseError};
use toml::Value;
use undertow_engine::{run, RunRequest};
use undertow_host::backend::cpu_backend;
use undertow_host::fund::{
    example_fund_toml, parse_fund, Fund, FundError, MAX_ANNUAL_RETURN, MAX_CONVEXITY, MAX_DURATION,
    MAX_IMPACT, MAX_VOL_ANNUAL,
};

const SOURCE: &str = "fund.toml";

/// The example fund file as a TOML tree.
fn example_tree() -> Value {
    toml::from_str(&example_fund_toml()).expect("the example parses")
}

/// Every leaf's path in `v`: table keys and array indices.
fn leaves(v: &Value, path: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    match v {
        Value::Table(t) => {
            for (k, child) in t {
                path.push(Step::Key(k.clone()));
                leaves(child, path, out);
                path.pop();
            }
        }
        Value::Array(a) if a.iter().any(|x| x.is_table()) => {
            for (i, child) in a.iter().enumerate() {
                path.push(Step::Index(i));
                leaves(child, path, out);
                path.pop();
            }
        }
        _ => out.push(path.clone()),
    }
}

#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

/// The path as a fund-file error writes it: `positions[3].adv`, `scenarios.market.depth_cut`.
fn dotted(path: &[Step]) -> String {
    let mut s = String::new();
    for step in path {
        match step {
            Step::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Step::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

fn get_mut<'a>(v: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    let mut cur = v;
    for step in path {
        cur = match (step, cur) {
            (Step::Key(k), Value::Table(t)) => t.get_mut(k)?,
            (Step::Index(i), Value::Array(a)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn remove(v: &mut Value, path: &[Step]) {
    let (last, parent) = path.split_last().expect("a leaf has a path");
    if let Some(p) = get_mut(v, parent) {
        match (last, p) {
            (Step::Key(k), Value::Table(t)) => {
                t.remove(k);
            }
            (Step::Index(i), Value::Array(a)) if *i < a.len() => {
                a.remove(*i);
            }
            _ => {}
        }
    }
}

/// What is done to one leaf.
#[derive(Clone, Debug)]
enum Mutation {
    Delete,
    Number(f64),
    Negate,
    Scale(f64),
    String,
    Bool,
    Array3,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        Just(Mutation::Delete),
        prop_oneof![
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(f64::NEG_INFINITY),
            Just(1e300),
            Just(-1e300),
            Just(0.0),
            Just(-1.0),
            Just(1e9),
            Just(1e6),
        ]
        .prop_map(Mutation::Number),
        Just(Mutation::Negate),
        prop_oneof![Just(10.0), Just(1e3), Just(1e-9)].prop_map(Mutation::Scale),
        Just(Mutation::String),
        Just(Mutation::Bool),
        Just(Mutation::Array3),
    ]
}

fn apply(tree: &mut Value, path: &[Step], m: &Mutation) {
    if let Mutation::Delete = m {
        remove(tree, path);
        return;
    }
    let Some(leaf) = get_mut(tree, path) else {
        return;
    };
    let number = |v: &Value| match v {
        Value::Integer(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    };
    let map_numbers = |v: &mut Value, f: &dyn Fn(f64) -> f64| match v {
        Value::Array(a) => {
            for x in a.iter_mut() {
                if let Some(n) = number(x) {
                    *x = Value::Float(f(n));
                }
            }
        }
        other => {
            if let Some(n) = number(other) {
                *other = Value::Float(f(n));
            }
        }
    };
    match m {
        Mutation::Delete => {}
        Mutation::Number(x) => *leaf = Value::Float(*x),
        Mutation::Negate => map_numbers(leaf, &|n| -n),
        Mutation::Scale(k) => map_numbers(leaf, &|n| n * k),
        Mutation::String => *leaf = Value::String("x".into()),
        Mutation::Bool => *leaf = Value::Boolean(true),
        Mutation::Array3 => *leaf = Value::Array(vec![Value::Float(1.0); 3]),
    }
}

/// TOML text for a tree (non-finite floats are written `nan`, `inf`).
fn text(tree: &Value) -> String {
    toml::to_string(tree).expect("a TOML tree serialises")
}

enum Outcome {
    Finite,
    /// Stopped by the final guard: the message names the scenario, the field and its inputs.
    Guarded(String),
}

/// Runs a built fund on a few scenarios, analysis off, CPU: finite outputs or the guard's stop.
fn run_outcome(fund: &Fund, scenarios: u64) -> Outcome {
    let backend = cpu_backend(Some(1), 64).expect("cpu backend");
    let request = RunRequest {
        scenarios,
        seed: 7,
        paths: 2,
        threads: Some(1),
        unconditional: false,
        analysis: None,
        stage_reruns: undertow_engine::StageReruns::Cpu,
    };
    match run(fund, &request, &backend, |_| {}) {
        Ok(outcome) => {
            for o in &outcome.outputs {
                let words: &[f32] = bytemuck::cast_slice(std::slice::from_ref(o));
                assert!(
                    words.iter().all(|w| w.is_finite()),
                    "a non-finite output passed the guard"
                );
            }
            Outcome::Finite
        }
        Err(e) => {
            assert!(!e.is_bad_input(), "a built fund refused by the run: {e}");
            let cause = std::error::Error::source(&e)
                .map(|s| s.to_string())
                .unwrap_or_default();
            assert_eq!(e.to_string(), "checking the outputs", "{cause}");
            Outcome::Guarded(cause)
        }
    }
}

/// Runs a built fund on a few scenarios, analysis off, CPU; every output must be finite.
fn run_finite(fund: &Fund, scenarios: u64) -> Result<(), TestCaseError> {
    let backend = cpu_backend(Some(1), 64).expect("cpu backend");
    let request = RunRequest {
        scenarios,
        seed: 7,
        paths: 2,
        threads: Some(1),
        unconditional: false,
        analysis: None,
        stage_reruns: undertow_engine::StageReruns::Cpu,
    };
    match run(fund, &request, &backend, |_| {}) {
        Ok(_) => Ok(()),
        Err(e) if e.is_bad_input() => Ok(()),
        Err(e) => Err(TestCaseError::fail(format!(
            "{e}: {:?}",
            std::error::Error::source(&e)
        ))),
    }
}

/// A refusal names the file and, when it is about one value, the field.
fn check_refusal(e: &FundError, field: Option<&str>) -> Result<(), TestCaseError> {
    let msg = e.to_string();
    prop_assert!(
        msg.contains(SOURCE),
        "the message does not name the file: {msg}"
    );
    if let Some(field) = field {
        // The leaf's own key, and the table it sits in.
        let key = field.rsplit(['.', ']']).next().unwrap_or(field);
        let head = field.split(['.', '[']).next().unwrap_or(field);
        // A renamed class is reported where the old name is used (`positions[0].class`).
        let renamed_class = head == "classes" && msg.contains(".class ");
        // A table-level check (weights summing to 1) names the table the leaf is in.
        let parent = field.rsplit_once('.').map(|(p, _)| p).unwrap_or(field);
        prop_assert!(
            (msg.contains(head) && msg.contains(key))
                || msg.contains(&format!("{parent} "))
                || renamed_class,
            "the message does not name the field {field}: {msg}"
        );
    }
    Ok(())
}

/// Counts cases for the report (printed with `--nocapture`).
fn leaves_of_example() -> Vec<Vec<Step>> {
    let mut out = Vec::new();
    leaves(&example_tree(), &mut Vec::new(), &mut out);
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// One leaf mutated: refused naming the field, or built and valid.
    #[test]
    fn a_mutated_leaf_is_refused_by_name_or_builds(pick in any::<prop::sample::Index>(), m in mutation()) {
        let all = leaves_of_example();
        let path = &all[pick.index(all.len())];
        let mut tree = example_tree();
        apply(&mut tree, path, &m);
        let t = text(&tree);
        match parse_fund(&t, SOURCE, Path::new("")) {
            Ok(_) => {}
            Err(e) => check_refusal(&e, Some(&dotted(path)))?,
        }
    }

    /// The text cut anywhere, or a table duplicated: refused (never a panic) or built.
    #[test]
    fn truncated_or_duplicated_text_is_refused_or_builds(cut in 0.0f64..1.0, dup in any::<bool>()) {
        let full = example_fund_toml();
        let t = if dup {
            let at = (full.len() as f64 * cut) as usize;
            let start = full[..at].rfind("\n[").map(|i| i + 1).unwrap_or(0);
            let end = full[start + 1..].find("\n[").map(|i| start + 1 + i + 1).unwrap_or(full.len());
            format!("{}{}", full, &full[start..end])
        } else {
            let mut at = (full.len() as f64 * cut) as usize;
            while !full.is_char_boundary(at) {
                at -= 1;
            }
            full[..at].to_string()
        };
        if let Err(e) = parse_fund(&t, SOURCE, Path::new("")) {
            check_refusal(&e, None)?;
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// A numeric leaf set to an extreme or mutated value: refused by name, or run to finite
    /// outputs.
    #[test]
    fn an_accepted_mutation_runs_to_finite_outputs(pick in any::<prop::sample::Index>(), m in mutation()) {
        let all: Vec<Vec<Step>> = leaves_of_example();
        let path = &all[pick.index(all.len())];
        let mut tree = example_tree();
        apply(&mut tree, path, &m);
        match parse_fund(&text(&tree), SOURCE, Path::new("")) {
            Ok(fund) => run_finite(&fund, 20)?,
            Err(e) => check_refusal(&e, Some(&dotted(path)))?,
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Up to four leaves mutated at once (scenario ranges, positions, settings together): refused
    /// naming one of them, or run to finite outputs.
    #[test]
    fn several_mutated_leaves_are_refused_by_name_or_run_to_finite_outputs(
        picks in prop::collection::vec((any::<prop::sample::Index>(), mutation()), 1..=4)
    ) {
        let all = leaves_of_example();
        let mut tree = example_tree();
        let mut paths = Vec::new();
        for (pick, m) in &picks {
            let path = &all[pick.index(all.len())];
            apply(&mut tree, path, m);
            paths.push(dotted(path));
        }
        match parse_fund(&text(&tree), SOURCE, Path::new("")) {
            Ok(fund) => run_finite(&fund, 20)?,
            Err(e) => {
                let msg = e.to_string();
                prop_assert!(msg.contains(SOURCE), "{msg}");
                prop_assert!(
                    paths.iter().any(|p| msg.contains(p.split(['.', '[']).next().unwrap_or(p))),
                    "the message names none of {paths:?}: {msg}"
                );
            }
        }
    }
}

/// Every position's extreme market numbers, alone and together: refused naming the field when
/// beyond a bound; at the bound, run to finite outputs or stopped by the final guard (a runtime
/// failure naming the scenario and the field), never a silent non-finite output.
#[test]
fn extreme_position_numbers_are_refused_or_run_to_finite_outputs() {
    let all_at_bounds: &[(&str, f64)] = &[
        ("vol_annual", MAX_VOL_ANNUAL),
        ("impact", MAX_IMPACT),
        ("duration", MAX_DURATION),
        ("convexity", MAX_CONVEXITY),
        ("alpha", MAX_ANNUAL_RETURN),
    ];
    let cases: &[&[(&str, f64)]] = &[
        &[("vol_annual", 1e9)],
        &[("vol_annual", MAX_VOL_ANNUAL)],
        &[("impact", 1e6)],
        &[("impact", MAX_IMPACT)],
        &[("duration", 1e6)],
        &[("duration", MAX_DURATION)],
        &[("duration", -MAX_DURATION)],
        &[("convexity", 1e6)],
        &[("convexity", MAX_CONVEXITY)],
        &[("convexity", -MAX_CONVEXITY)],
        &[("duration", -MAX_DURATION), ("convexity", MAX_CONVEXITY)],
        &[("duration", MAX_DURATION), ("convexity", MAX_CONVEXITY)],
        &[("alpha", 1e300)],
        &[("alpha", MAX_ANNUAL_RETURN)],
        &[("adv", 1e3)],
        all_at_bounds,
    ];
    let (mut finite, mut guarded, mut refused) = (0, 0, 0);
    for model in ["square_root", "linear", "threshold", "adaptive"] {
        for &case in cases {
            let mut tree = example_tree();
            tree["liquidation"]
                .as_table_mut()
                .unwrap()
                .insert("impact_model".into(), Value::String(model.into()));
            let n = tree["positions"].as_array().map(Vec::len).unwrap_or(0);
            for i in 0..n {
                let p = tree["positions"][i].as_table_mut().unwrap();
                for &(key, v) in case {
                    p.insert(key.into(), Value::Float(v));
                }
            }
            let beyond = case
                .iter()
                .any(|&(key, v)| all_at_bounds.iter().any(|&(k, b)| k == key && v.abs() > b));
            match parse_fund(&text(&tree), SOURCE, Path::new("")) {
                Ok(fund) => {
                    assert!(!beyond, "{model}: {case:?} is beyond a bound but accepted");
                    match run_outcome(&fund, 20) {
                        Outcome::Finite => finite += 1,
                        Outcome::Guarded(msg) => {
                            assert!(
                                msg.contains("scenarios.csv: scenario ") && msg.contains("family "),
                                "{model}: {case:?}: {msg}"
                            );
                            guarded += 1;
                        }
                    }
                }
                Err(e) => {
                    let msg = e.to_string();
                    assert!(
                        beyond,
                        "{model}: {case:?} is within the bounds but refused: {msg}"
                    );
                    assert!(
                        case.iter().any(|(key, _)| msg.contains(&format!(".{key}"))),
                        "{model}: {case:?}: {msg}"
                    );
                    refused += 1;
                }
            }
        }
    }
    eprintln!(
        "extreme numbers: {finite} finite runs, {guarded} stopped by the guard, {refused} refused"
    );
    assert!(finite > 0 && refused > 0);
}
