//! The stages' plain reruns on a device (issue 13, `--stage-reruns gpu`): a simulator view with a
//! device sends exactly the reruns asked through `Simulator::run_on_device` there (the buffer
//! compositions, the cash-only search, the reverse stress grid) and nothing else; device records
//! are memoised apart from the CPU's; a stage whose device fails is rerun whole on the CPU and
//! says so. The device here is a stand-in `Backend` on the CPU that can count, corrupt or fail:
//! the real GPU is compared in `tests/tests/gpu_vs_cpu.rs`.

mod support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use support::small_config;

use undertow_analysis::sim::{same_outputs, Simulator};
use undertow_analysis::{
    run_analysis, run_analysis_on, AnalysisConfig, AnalysisInputs, AnalysisSummary, StageId,
    SweepOrigin,
};
use undertow_host::backend::{Backend, BackendError};
use undertow_host::cpu::CpuBackend;
use undertow_host::fund::{example_fund, Fund};
use undertow_host::run::scenario_block;
use undertow_kernel::{FundModel, ScenarioOutput, ScenarioParams};

const SEED: u64 = 11;

/// What the stand-in device does to the CPU's records.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// Hands them back unchanged.
    Exact,
    /// Every scenario falls short: what a device computing garbage would hand back.
    Corrupt,
    /// Fails from its `nth` call on (0: every call).
    FailFrom(u64),
}

struct Device {
    cpu: CpuBackend,
    mode: Mode,
    calls: AtomicU64,
}

impl Device {
    fn new(mode: Mode) -> Arc<Device> {
        Arc::new(Device {
            cpu: CpuBackend::new(Some(1), 16).unwrap(),
            mode,
            calls: AtomicU64::new(0),
        })
    }
    fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }
}

impl Backend for Device {
    fn describe(&self) -> String {
        "stand-in device".into()
    }
    fn kind(&self) -> &'static str {
        "gpu"
    }
    fn preferred_block(&self) -> u64 {
        64
    }
    fn simulate(
        &self,
        model: &FundModel,
        scenarios: &[ScenarioParams],
        first_index: u64,
        seed: u64,
    ) -> Result<Vec<ScenarioOutput>, BackendError> {
        let call = self.calls.fetch_add(1, Ordering::Relaxed);
        let mut outs = self.cpu.run::<f32>(model, scenarios, first_index, seed);
        match self.mode {
            Mode::Exact => {}
            Mode::Corrupt => outs.iter_mut().for_each(|o| {
                o.shortfall = 1.0;
                o.first_shortfall_day = 0.0;
            }),
            Mode::FailFrom(n) if call >= n => {
                return Err(BackendError::Failed {
                    backend: "stand-in device".into(),
                    source: "device lost (injected)".into(),
                })
            }
            Mode::FailFrom(_) => {}
        }
        Ok(outs)
    }
}

struct Setup {
    fund: Fund,
    sweep: Vec<ScenarioOutput>,
    cfg: AnalysisConfig,
}

fn setup() -> Setup {
    let fund = example_fund();
    let scenarios = scenario_block(&fund, SEED, 0..60);
    let sweep = CpuBackend::new(Some(2), 16)
        .unwrap()
        .run::<f32>(&fund.model, &scenarios, 0, SEED);
    Setup {
        fund,
        sweep,
        cfg: small_config(),
    }
}

const TARGETS: [StageId; 2] = [StageId::PortfolioLiquidity, StageId::RedemptionPolicy];

fn analyse(s: &Setup, device: Option<Arc<dyn Backend>>) -> AnalysisSummary {
    let inputs = AnalysisInputs {
        fund: &s.fund,
        base_outputs: &s.sweep,
        seed: SEED,
    };
    run_analysis_on(
        inputs,
        SweepOrigin::Other,
        &s.cfg,
        &TARGETS,
        Some(2),
        device,
    )
    .unwrap()
}

/// The stages' reports, less how the stages ran (seconds, counters, devices).
fn reports(s: &AnalysisSummary) -> serde_json::Value {
    let mut v = serde_json::to_value(s).unwrap();
    v.as_object_mut().unwrap().remove("stages");
    v
}

fn stage(s: &AnalysisSummary, id: StageId) -> &undertow_analysis::StageRun {
    s.stages.iter().find(|r| r.stage == id).unwrap()
}

#[test]
fn an_exact_device_gives_the_cpu_reports_and_serves_only_the_plain_reruns() {
    let s = setup();
    let inputs = AnalysisInputs {
        fund: &s.fund,
        base_outputs: &s.sweep,
        seed: SEED,
    };
    let cpu = run_analysis(inputs, &s.cfg, &TARGETS, Some(2)).unwrap();
    let device = Device::new(Mode::Exact);
    let on = analyse(&s, Some(device.clone()));
    assert_eq!(reports(&cpu), reports(&on));
    for id in TARGETS {
        let (c, d) = (stage(&cpu, id), stage(&on, id));
        assert_eq!(d.device.as_deref(), Some("stand-in device"), "{id:?}");
        assert!(d.device_scenario_days > 0, "{id:?}");
        assert!(
            d.device_scenario_days <= d.simulated_scenario_days,
            "{id:?}"
        );
        assert!(d.device_fallback.is_none());
        // The same reruns asked; only where they ran differs.
        assert_eq!(c.reruns, d.reruns, "{id:?}");
        assert!(c.device.is_none() && c.device_scenario_days == 0);
    }
    // The buffer search simulates every composition on the device, and the cash-only search
    // at least its two ends; the policy stage's followed variants never go there.
    let comps = s
        .cfg
        .buffer
        .compositions(s.fund.model.params.initial_cash as f64)
        .len() as u64;
    let policy = stage(&on, StageId::RedemptionPolicy);
    assert!(policy.device_scenario_days < policy.simulated_scenario_days);
    let grid = (s.cfg.reverse_stress.market_severity.len()
        * s.cfg.reverse_stress.redemption_severity.len()) as u64;
    assert!(device.calls() >= comps + 2 + grid, "{}", device.calls());
    // Stages without device reruns say nothing of a device.
    let market = stage(&on, StageId::MarketLiquidity);
    assert!(market.device.is_none() && market.device_scenario_days == 0);
    let json = serde_json::to_value(market).unwrap();
    assert!(json.get("device").is_none() && json.get("device_scenario_days").is_none());
}

#[test]
fn a_corrupted_device_changes_the_stages_that_read_it() {
    let s = setup();
    let exact = analyse(&s, Some(Device::new(Mode::Exact)));
    let corrupt = analyse(&s, Some(Device::new(Mode::Corrupt)));
    let (e, c) = (
        exact.portfolio_liquidity.as_ref().unwrap(),
        corrupt.portfolio_liquidity.as_ref().unwrap(),
    );
    // Every scenario falling short on the device: no composition covers anything.
    assert!(e.buffer.results.iter().any(|r| r.coverage > 0.0));
    assert!(c.buffer.results.iter().all(|r| r.coverage == 0.0));
    let (e, c) = (
        &exact.redemption_policy.as_ref().unwrap().reverse_stress,
        &corrupt.redemption_policy.as_ref().unwrap().reverse_stress,
    );
    assert_ne!(e.failure_probability, c.failure_probability);
    assert!(c.failure_probability.iter().flatten().all(|&p| p == 1.0));
    // The liquidity needs read the sweep, never the device.
    assert_eq!(
        serde_json::to_value(&exact.portfolio_liquidity.as_ref().unwrap().needs).unwrap(),
        serde_json::to_value(&corrupt.portfolio_liquidity.as_ref().unwrap().needs).unwrap()
    );
}

#[test]
fn a_failing_device_leaves_the_whole_stage_on_the_cpu_and_says_so() {
    let s = setup();
    let cpu = analyse(&s, None);
    // Failing at once, and failing part way through a stage (after some compositions ran on
    // the device): either way every record of the stage is the CPU's.
    for from in [0, 5] {
        let on = analyse(&s, Some(Device::new(Mode::FailFrom(from))));
        assert_eq!(reports(&cpu), reports(&on), "failing from call {from}");
        for id in TARGETS {
            let r = stage(&on, id);
            assert!(r.device.is_none(), "{id:?}");
            assert_eq!(r.device_scenario_days, 0, "{id:?}");
            let why = r.device_fallback.as_deref().unwrap_or_default();
            assert!(
                why.contains("stand-in device") && why.contains("device lost (injected)"),
                "{id:?}: {why}"
            );
            assert!(why.contains("rerun on the CPU"), "{why}");
        }
    }
}

#[test]
fn device_records_are_memoised_apart_from_the_cpus() {
    let s = setup();
    let scenarios = scenario_block(&s.fund, SEED, 0..24);
    let sim = Simulator::new(Some(2)).unwrap();
    let cpu = sim.run(&s.fund.model, &scenarios, 0, SEED);
    let device = Device::new(Mode::Corrupt);
    let view = sim.on_device(device.clone());
    assert_eq!(view.device().as_deref(), Some("stand-in device"));
    // Not served from the CPU's memo: the device's own (corrupted) records.
    let a = view
        .run_on_device(&s.fund.model, &scenarios, 0, SEED)
        .unwrap();
    assert!(!same_outputs(&a, &cpu));
    assert!(a.iter().all(|o| o.shortfall == 1.0));
    // Asked again: served from the device's memo, not simulated.
    let b = view
        .run_on_device(&s.fund.model, &scenarios, 0, SEED)
        .unwrap();
    assert!(same_outputs(&a, &b));
    assert_eq!(device.calls(), 1);
    let w = view.work();
    assert_eq!((w.reruns, w.reruns_shared, w.device_reruns), (2, 1, 2));
    assert_eq!(
        w.device_scenario_days,
        24 * s.fund.model.params.horizon as u64
    );
    // And the CPU's memo still holds the CPU's records; a view without a device runs there.
    assert!(same_outputs(
        &sim.run(&s.fund.model, &scenarios, 0, SEED),
        &cpu
    ));
    let plain = sim.view();
    assert!(plain.device().is_none());
    assert!(same_outputs(
        &plain
            .run_on_device(&s.fund.model, &scenarios, 0, SEED)
            .unwrap(),
        &cpu
    ));
    assert_eq!(device.calls(), 1);
    // A failure is handed back, not hidden.
    let failing = sim.on_device(Device::new(Mode::FailFrom(0)));
    let other = scenario_block(&s.fund, SEED, 0..8);
    assert!(failing
        .run_on_device(&s.fund.model, &other, 0, SEED)
        .is_err());
}
