//! `undertow validate`: the same scenarios on the GPU and the CPU, and how well they agree.

use anyhow::bail;
use undertow_engine::{backend, fund, measure, run, FundOverrides};
use undertow_host::backend::BackendChoice;
use undertow_host::cpu::DEFAULT_CHUNK;

use crate::args::ValidateArgs;

/// Prints the GPU's agreement with the CPU reference (and the `f32` error bound); fails when
/// they do not agree.
pub fn validate(args: &ValidateArgs) -> anyhow::Result<()> {
    let overrides = FundOverrides {
        horizon: args.horizon,
        strategy: None,
    };
    let fund = overrides.apply(fund::load(args.fund.as_deref())?)?;
    run::check_scenarios(args.scenarios)?;
    let (gpu, _) = backend::open(BackendChoice::Gpu, None, DEFAULT_CHUNK)?;
    eprintln!("validating on {}", gpu.describe());
    let a = measure::agreement(&fund, args.scenarios, args.seed, gpu.as_ref())?;
    println!(
        "{} — {} scenarios × {} days",
        fund.name, args.scenarios, fund.model.params.horizon
    );
    println!("GPU against CPU (f32):\n{}", a.gpu_vs_cpu);
    println!(
        "f32 against f64 on the CPU (bounds the f32 error):\n{}",
        a.f32_vs_f64
    );
    if !a.gpu_vs_cpu.passed {
        bail!("the GPU does not agree with the CPU reference");
    }
    Ok(())
}
