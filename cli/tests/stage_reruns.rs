//! `--stage-reruns` (issue 13): a value outside auto/cpu/gpu is bad input; `auto` with a CPU
//! sweep keeps every stage on the CPU; `gpu` sends the portfolio liquidity and redemption policy
//! stages' plain reruns to the adapter there is (lavapipe in CI) and `summary.json` names it, or,
//! with no adapter, says on stderr that the stages ran on the CPU. The GPU case skips loudly
//! without an adapter and fails when `UNDERTOW_REQUIRE_GPU=1`.

mod common;

use common::{assert_bad_input, json, text, undertow};
use undertow_gpu::testing::gpu_or_skip;

const SMALL: [&str; 12] = [
    "--backend",
    "cpu",
    "--scenarios",
    "80",
    "--horizon",
    "45",
    "--stage-scenarios",
    "20",
    "--reverse-stress-per-point",
    "2",
    "--attribution-scenarios",
    "20",
];

fn run(out: &std::path::Path, stage_reruns: &str) -> (serde_json::Value, String) {
    let mut args = vec!["run", "--stage-reruns", stage_reruns, "--out"];
    args.push(out.to_str().unwrap());
    args.extend(SMALL);
    let o = undertow(&args);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    (json(&out.join("summary.json")), err)
}

fn stage<'a>(summary: &'a serde_json::Value, key: &str) -> &'a serde_json::Value {
    summary["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stage"] == key)
        .unwrap_or_else(|| panic!("no stage {key}"))
}

#[test]
fn a_stage_reruns_value_outside_the_choices_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut args = vec!["run", "--stage-reruns", "tpu", "--out"];
    args.push(out.to_str().unwrap());
    args.extend(SMALL);
    assert_bad_input(&args, "--stage-reruns", &out);
}

#[test]
fn auto_with_a_cpu_sweep_keeps_the_stages_on_the_cpu() {
    let dir = tempfile::tempdir().unwrap();
    let (summary, _) = run(&dir.path().join("out"), "auto");
    for s in summary["stages"].as_array().unwrap() {
        assert!(s.get("device").is_none(), "{s}");
        assert!(s.get("device_scenario_days").is_none(), "{s}");
    }
}

#[test]
fn gpu_stage_reruns_name_the_adapter_in_the_summary() {
    let name = "gpu_stage_reruns_name_the_adapter_in_the_summary";
    let dir = tempfile::tempdir().unwrap();
    let present = gpu_or_skip(name).is_some();
    let (summary, err) = run(&dir.path().join("out"), "gpu");
    for key in ["portfolio_liquidity", "redemption_policy"] {
        let s = stage(&summary, key);
        if present {
            let device = s["device"].as_str().unwrap_or_default();
            assert!(device.starts_with("gpu: "), "{key}: {s}");
            assert!(
                s["device_scenario_days"].as_u64().unwrap_or(0) > 0,
                "{key}: {s}"
            );
        } else {
            assert!(s.get("device").is_none(), "{key}: {s}");
        }
    }
    if !present {
        assert!(err.contains("--stage-reruns gpu: no GPU opened"), "{err}");
    }
    // The stages without plain reruns never name a device.
    assert!(stage(&summary, "investor_behaviour")
        .get("device")
        .is_none());
}
