//! `undertow bench`: CPU and GPU throughput on the same workload.

use undertow_engine::measure::{self, Workload};
use undertow_engine::{backend, fund, FundOverrides};
use undertow_host::backend::{Backend, BackendChoice};
use undertow_host::cpu::DEFAULT_CHUNK;

use crate::args::BenchArgs;

/// Prints one backend's time and throughput.
fn line(backend: &dyn Backend, seconds: f64, size: f64) {
    line_named(&backend.describe(), seconds, size);
}

fn line_named(name: &str, seconds: f64, size: f64) {
    println!(
        "  {:<60} {:>8.3}s  {:.3e} scenario-day-positions/s",
        name,
        seconds,
        size / seconds
    );
}

/// Times the CPU, then the GPU when there is one (and `--cpu-only` is not given).
pub fn bench(args: &BenchArgs) -> anyhow::Result<()> {
    let overrides = FundOverrides {
        horizon: args.horizon,
        strategy: None,
    };
    let mut fund = overrides.apply(fund::load(args.fund.as_deref())?)?;
    if let Some(n) = args.positions {
        fund = measure::split(&fund, n)?;
    }
    let work = Workload::new(&fund, args.scenarios)?;
    let cpu = measure::cpu(args.threads)?;
    let p = &fund.model.params;
    println!(
        "{} — {} scenarios × {} days × {} positions",
        fund.name, args.scenarios, p.horizon, p.n_positions
    );
    let cpu_s = work.time(&cpu)?;
    line(&cpu, cpu_s, work.size());
    if args.f64 {
        let wide_s = work.time_f64(&cpu);
        let name = format!("{} in f64", cpu.describe());
        line_named(&name, wide_s, work.size());
        println!("  f64 / f32 time ratio: {:.2}", wide_s / cpu_s);
    }
    if args.cpu_only {
        return Ok(());
    }
    match backend::open(BackendChoice::Gpu, None, DEFAULT_CHUNK) {
        Ok((gpu, _)) => {
            let gpu_s = work.time(gpu.as_ref())?;
            line(gpu.as_ref(), gpu_s, work.size());
            println!("  GPU / CPU throughput ratio: {:.2}", cpu_s / gpu_s);
        }
        Err(e) => println!("  gpu: not measured ({:#})", anyhow::Error::from(e)),
    }
    Ok(())
}
