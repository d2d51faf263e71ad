//! The analysis stages' plain reruns on the GPU (issue 13, `--stage-reruns gpu`): the portfolio
//! liquidity stage's compositions and the reverse stress grid run on the adapter there is
//! (lavapipe in CI), `summary.json` says so per stage, and their results agree with the CPU's
//! within the `f32` tolerance: costs to a relative 1e-3, coverages and failure probabilities to a
//! couple of knife-edge scenarios. The comparison is shown to fail on a corrupted result. A GPU
//! failing during the stages (injected) leaves them on the CPU with a notice and exactly the
//! CPU's results.
//!
//! Every test skips loudly without an adapter and fails when `UNDERTOW_REQUIRE_GPU=1`.

use undertow_analysis::{AnalysisSummary, StageId};
use undertow_engine::fund::FundOverrides;
use undertow_engine::{run, AnalysisSettings, RunOutcome, RunRequest, StageReruns};
use undertow_gpu::testing::gpu_or_skip;
use undertow_host::backend::cpu_backend;
use undertow_host::cpu::DEFAULT_CHUNK;
use undertow_host::fund::{example_fund, Fund};

/// The tests of this file one at a time: one sets the GPU's fault-injection variable, which every
/// GPU opened meanwhile would read.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Scenarios each composition and each reverse stress point is rerun on.
const STAGE_SCENARIOS: u64 = 40;
const PER_POINT: u64 = 4;

fn fund() -> Fund {
    FundOverrides {
        horizon: Some(45),
        strategy: None,
    }
    .apply(example_fund())
    .unwrap()
}

fn request(stage_reruns: StageReruns) -> RunRequest {
    RunRequest {
        scenarios: 120,
        seed: 7,
        paths: 2,
        threads: Some(2),
        analysis: Some(AnalysisSettings {
            stage_scenarios: Some(STAGE_SCENARIOS),
            reverse_stress_per_point: PER_POINT,
            attribution_scenarios: STAGE_SCENARIOS,
            ..AnalysisSettings::default()
        }),
        unconditional: false,
        stage_reruns,
    }
}

fn analyse(stage_reruns: StageReruns) -> RunOutcome {
    let cpu = cpu_backend(Some(2), DEFAULT_CHUNK).unwrap();
    run(&fund(), &request(stage_reruns), &cpu, |_| {}).unwrap()
}

fn analysis(o: &RunOutcome) -> &AnalysisSummary {
    o.summary.analysis.as_ref().unwrap()
}

/// Whether the GPU's stage results agree with the CPU's: each composition's costs within a
/// relative `1e-3` (plus `1e-6` bps), its coverage within `flips` scenarios of `n`, and each
/// reverse stress probability within `flips` of the point's scenarios. The first disagreement
/// as text.
fn stages_agree(cpu: &AnalysisSummary, gpu: &AnalysisSummary, flips: f64) -> Result<(), String> {
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-3 * a.abs().max(b.abs()) + 1e-6;
    let (c, g) = (
        cpu.portfolio_liquidity.as_ref().ok_or("no CPU stage 3")?,
        gpu.portfolio_liquidity.as_ref().ok_or("no GPU stage 3")?,
    );
    if c.buffer.results.len() != g.buffer.results.len() {
        return Err("composition counts differ".into());
    }
    for (a, b) in c.buffer.results.iter().zip(&g.buffer.results) {
        let coverage = (a.coverage - b.coverage).abs() * STAGE_SCENARIOS as f64;
        if a.label != b.label || coverage > flips + 1e-9 {
            return Err(format!(
                "{}: coverage {} against {}",
                a.label, a.coverage, b.coverage
            ));
        }
        if !close(a.expected_cost_bps, b.expected_cost_bps)
            || !close(a.cost_p99_bps, b.cost_p99_bps)
        {
            return Err(format!(
                "{}: costs {} / {} bps against {} / {} bps",
                a.label, a.expected_cost_bps, a.cost_p99_bps, b.expected_cost_bps, b.cost_p99_bps
            ));
        }
    }
    let (c, g) = (
        &cpu.redemption_policy
            .as_ref()
            .ok_or("no CPU stage 5")?
            .reverse_stress,
        &gpu.redemption_policy
            .as_ref()
            .ok_or("no GPU stage 5")?
            .reverse_stress,
    );
    for (row_c, row_g) in c.failure_probability.iter().zip(&g.failure_probability) {
        for (a, b) in row_c.iter().zip(row_g) {
            if (a - b).abs() * PER_POINT as f64 > flips + 1e-9 {
                return Err(format!("reverse stress probability {a} against {b}"));
            }
        }
    }
    Ok(())
}

#[test]
fn stage_reruns_on_the_gpu_agree_with_the_cpu_and_say_where_they_ran() {
    let name = "stage_reruns_on_the_gpu_agree_with_the_cpu_and_say_where_they_ran";
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    if gpu_or_skip(name).is_none() {
        return;
    }
    let cpu = analyse(StageReruns::Cpu);
    let gpu = analyse(StageReruns::Gpu);
    assert!(gpu.notices.is_empty(), "{:?}", gpu.notices);
    for id in [StageId::PortfolioLiquidity, StageId::RedemptionPolicy] {
        let (c, g) = (
            analysis(&cpu)
                .stages
                .iter()
                .find(|s| s.stage == id)
                .unwrap(),
            analysis(&gpu)
                .stages
                .iter()
                .find(|s| s.stage == id)
                .unwrap(),
        );
        let device = g.device.as_deref().unwrap_or_default();
        assert!(device.starts_with("gpu: "), "{id:?}: {device:?}");
        assert!(g.device_scenario_days > 0, "{id:?}");
        assert!(g.device_fallback.is_none(), "{id:?}");
        assert_eq!(c.reruns, g.reruns, "{id:?}");
        assert!(c.device.is_none() && c.device_scenario_days == 0, "{id:?}");
    }
    // The stages that read no device rerun are the CPU's, bit for bit.
    let json = |o: &RunOutcome, f: fn(&AnalysisSummary) -> serde_json::Value| f(analysis(o));
    for part in [
        (|a: &AnalysisSummary| serde_json::to_value(&a.investor_behaviour).unwrap())
            as fn(&AnalysisSummary) -> serde_json::Value,
        |a| serde_json::to_value(&a.liquidation_design).unwrap(),
        |a| serde_json::to_value(&a.market_liquidity).unwrap(),
        |a| serde_json::to_value(&a.redemption_policy.as_ref().unwrap().gate_grid).unwrap(),
    ] {
        assert_eq!(json(&cpu, part), json(&gpu, part));
    }
    // The sweep itself ran on the CPU either way.
    assert_eq!(
        bytemuck::cast_slice::<_, u8>(&cpu.outputs),
        bytemuck::cast_slice::<_, u8>(&gpu.outputs)
    );
    let (c, g) = (analysis(&cpu), analysis(&gpu));
    stages_agree(c, g, 2.0).unwrap_or_else(|e| panic!("GPU stages against the CPU's: {e}"));

    // The comparison can fail: a composition's coverage three scenarios off, a cost off by a
    // relative 1%, a reverse stress probability one point's worth of scenarios off.
    let mut bad = g.clone();
    let r = &mut bad.portfolio_liquidity.as_mut().unwrap().buffer.results[1];
    r.coverage += 3.0 / STAGE_SCENARIOS as f64;
    assert!(stages_agree(c, &bad, 2.0).is_err());
    let mut bad = g.clone();
    let r = &mut bad.portfolio_liquidity.as_mut().unwrap().buffer.results[0];
    r.expected_cost_bps = r.expected_cost_bps * 1.01 + 1e-3;
    assert!(stages_agree(c, &bad, 2.0).is_err());
    let mut bad = g.clone();
    let p = &mut bad.redemption_policy.as_mut().unwrap().reverse_stress;
    p.failure_probability[0][0] = 1.0 - p.failure_probability[0][0];
    assert!(stages_agree(c, &bad, 0.0).is_err());
}

#[test]
fn a_gpu_failing_in_the_stages_leaves_them_on_the_cpu_with_a_notice() {
    let name = "a_gpu_failing_in_the_stages_leaves_them_on_the_cpu_with_a_notice";
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    if gpu_or_skip(name).is_none() {
        return;
    }
    let cpu = analyse(StageReruns::Cpu);
    // The injected device loss (the documented debug variable) applies to the stages' GPU.
    std::env::set_var(undertow_gpu::FAIL_CHUNK_ENV, "0");
    let failed = analyse(StageReruns::Gpu);
    std::env::remove_var(undertow_gpu::FAIL_CHUNK_ENV);
    let strip = |o: &RunOutcome| {
        let mut v = serde_json::to_value(analysis(o)).unwrap();
        v.as_object_mut().unwrap().remove("stages");
        v
    };
    assert_eq!(strip(&cpu), strip(&failed));
    for id in [StageId::PortfolioLiquidity, StageId::RedemptionPolicy] {
        let s = analysis(&failed)
            .stages
            .iter()
            .find(|s| s.stage == id)
            .unwrap();
        assert!(s.device.is_none(), "{id:?}");
        let why = s.device_fallback.as_deref().unwrap_or_default();
        assert!(why.contains("injected"), "{id:?}: {why}");
        assert!(
            failed
                .notices
                .iter()
                .any(|n| n.starts_with(&format!("stage {}: GPU reruns failed", id.name()))),
            "{:?}",
            failed.notices
        );
    }
}
