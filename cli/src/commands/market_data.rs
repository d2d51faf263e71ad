//! `undertow calibrate market`: calls the engine, prints the fit table and the ranges, says what
//! it wrote.

use undertow_engine::market_data::{calibrate_market as run, MarketCalibrationRequest};

use crate::args::CalibrateMarketArgs;

/// Calibrates, writes (with `--out`), prints.
pub fn calibrate_market(args: &CalibrateMarketArgs) -> anyhow::Result<()> {
    let out = {
        // Under the write lock (reading and fitting take moments): a signal cannot end the
        // process between the fund file's rename and the fit report's.
        let _writing = crate::interrupt::writing();
        run(&MarketCalibrationRequest {
            market: args.market.clone(),
            fund: args.fund.clone(),
            windows: args.stress_windows.clone(),
            out: args.out.clone(),
        })?
    };
    let f = &out.fit;
    println!(
        "{}: {} days ({} to {}), {} calm; windows: {}",
        f.file,
        f.days,
        f.first_date,
        f.last_date,
        f.calm_days,
        if f.windows.is_empty() {
            "none (no ratios, no ranges)".to_string()
        } else {
            f.windows
                .iter()
                .map(|w| format!("{} {}..{}", w.name, w.from, w.to))
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    println!(
        "  {:<12} {:>16} {:>10} {:>14} {:>10} {:>8} {:>15}",
        "position", "ADV", "± se", "spread bp", "± se", "vol", "± se"
    );
    for p in &f.positions {
        println!(
            "  {:<12} {:>16.4e} {:>10.2e} {:>14.2} {:>10.2} {:>8.4} {:>15.4}",
            p.id,
            p.adv.value,
            p.adv.se,
            p.spread_bps.value,
            p.spread_bps.se,
            p.vol_annual.value,
            p.vol_annual.se
        );
    }
    for w in f.windows.iter().map(|w| w.name.as_str()) {
        println!(
            "  window {w}: {:<12} {:>12} {:>12} {:>12} {:>12}",
            "position", "spread ×", "volume ×", "vol ×", "depth cut"
        );
        for p in &f.positions {
            if let Some(r) = p.windows.iter().find(|r| r.window == w) {
                println!(
                    "  {:<20} {:>6.2}±{:<5.2} {:>6.2}±{:<5.2} {:>6.2}±{:<5.2} {:>6.2}±{:<5.2}",
                    p.id,
                    r.spread_mult.value,
                    r.spread_mult.se,
                    r.volume_mult.value,
                    r.volume_mult.se,
                    r.vol_mult.value,
                    r.vol_mult.se,
                    r.depth_cut.value,
                    r.depth_cut.se
                );
            }
        }
    }
    for r in &f.ranges {
        println!(
            "  scenarios.market.{:<12} [{:.3}, {:.3}]  (min {}, max {}; {} estimates)",
            r.field, r.lo, r.hi, r.lo_from, r.hi_from, r.n
        );
    }
    if !out.missing.is_empty() {
        println!(
            "  not in the market file (values kept): {}",
            out.missing.join(", ")
        );
    }
    match &out.written {
        Some((fund, json)) => println!("wrote {} and {}", fund.display(), json.display()),
        None => println!("nothing written (no --out)"),
    }
    Ok(())
}
