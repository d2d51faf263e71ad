//! `undertow bench`: CPU and GPU throughput on the same workload.

use undertow_engine::measure::{self, Workload};
use undertow_engine::{backend, fund, EngineError, FundOverrides};
use undertow_host::backend::{Backend, BackendChoice};
use undertow_host::cpu::DEFAULT_CHUNK;

use crate::args::BenchArgs;

/// Prints one backend's fastest time and throughput, and with repeats the median and slowest.
fn line(backend: &dyn Backend, times: &Times, size: f64) {
    line_named(&backend.describe(), times, size);
}

fn line_named(name: &str, times: &Times, size: f64) {
    println!(
        "  {:<60} {:>8.3}s  {:.3e} scenario-day-positions/s",
        name,
        times.best(),
        size / times.best()
    );
    if times.0.len() > 1 {
        println!(
            "    fastest of {} runs; median {:.3}s ({:.3e}/s), slowest {:.3}s",
            times.0.len(),
            times.median(),
            size / times.median(),
            times.slowest()
        );
    }
}

/// The most repeats `--repeat` takes.
pub const MAX_REPEAT: u64 = 1000;

/// One backend's timings of the same workload, sorted.
struct Times(Vec<f64>);

impl Times {
    fn of(repeat: u64, mut time: impl FnMut() -> anyhow::Result<f64>) -> anyhow::Result<Times> {
        let mut t = (0..repeat)
            .map(|_| time())
            .collect::<anyhow::Result<Vec<_>>>()?;
        t.sort_by(f64::total_cmp);
        Ok(Times(t))
    }

    fn best(&self) -> f64 {
        self.0[0]
    }

    fn slowest(&self) -> f64 {
        self.0[self.0.len() - 1]
    }

    fn median(&self) -> f64 {
        let n = self.0.len();
        if n % 2 == 1 {
            self.0[n / 2]
        } else {
            0.5 * (self.0[n / 2 - 1] + self.0[n / 2])
        }
    }
}

/// Times the CPU, then the GPU when there is one (and `--cpu-only` is not given), each
/// `--repeat` times; ratios compare the fastest runs.
pub fn bench(args: &BenchArgs) -> anyhow::Result<()> {
    if args.repeat == 0 || args.repeat > MAX_REPEAT {
        return Err(EngineError::BadInput(format!(
            "flag --repeat: {} is outside 1..={MAX_REPEAT}",
            args.repeat
        ))
        .into());
    }
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
    let cpu_t = Times::of(args.repeat, || Ok(work.time(&cpu)?))?;
    line(&cpu, &cpu_t, work.size());
    if args.f64 {
        let wide_t = Times::of(args.repeat, || Ok(work.time_f64(&cpu)))?;
        let name = format!("{} in f64", cpu.describe());
        line_named(&name, &wide_t, work.size());
        println!(
            "  f64 / f32 time ratio: {:.2}",
            wide_t.best() / cpu_t.best()
        );
    }
    if args.cpu_only {
        return Ok(());
    }
    match backend::open(BackendChoice::Gpu, None, DEFAULT_CHUNK) {
        Ok((gpu, _)) => {
            let gpu_t = Times::of(args.repeat, || Ok(work.time(gpu.as_ref())?))?;
            line(gpu.as_ref(), &gpu_t, work.size());
            println!(
                "  GPU / CPU throughput ratio: {:.2}",
                cpu_t.best() / gpu_t.best()
            );
        }
        Err(e) => println!("  gpu: not measured ({:#})", anyhow::Error::from(e)),
    }
    Ok(())
}
