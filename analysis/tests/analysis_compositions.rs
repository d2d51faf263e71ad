//! Buffer compositions that cannot be built on a fund: the errors name the composition and the
//! analysis setting at fault, never the positions the buffer search adds on its own.

use std::path::Path;
use undertow_analysis::portfolio_liquidity::buffer::composition_fund;
use undertow_analysis::{check_inputs, AnalysisConfig, AnalysisError, StageId};
use undertow_host::fund::{build_fund, example_fund, Fund};

/// The error `check_inputs` gives for stage 3 on `fund` under `cfg`.
fn stage3_error(fund: &Fund, cfg: &AnalysisConfig) -> AnalysisError {
    check_inputs(fund, cfg, &[StageId::PortfolioLiquidity]).expect_err("a composition must fail")
}

#[test]
fn a_one_day_horizon_names_the_composition_and_the_setting() {
    // What `undertow run --horizon 1` does to the example: the buffer instruments settle in one
    // day, which a one-day run cannot hold.
    let mut fund = example_fund();
    fund.model.params.horizon = 1;
    let e = stage3_error(&fund, &AnalysisConfig::default());
    let msg = e.to_string();
    assert!(e.is_bad_input(), "{msg}");
    assert!(
        msg.contains("buffer composition \"use case 5/3/2\""),
        "{msg}"
    );
    assert!(
        msg.contains("buffer.sovereign.settlement_days = 1"),
        "{msg}"
    );
    assert!(!msg.contains("BUFFER_"), "{msg}");
}

/// A setting's path and how to break it.
type Case = (&'static str, fn(&mut AnalysisConfig));

#[test]
fn instrument_settings_the_fund_refuses_are_named() {
    let fund = example_fund();
    let cases: [Case; 4] = [
        ("buffer.sovereign.class", |c| {
            c.buffer.sovereign.class = Some("no such class".into())
        }),
        ("buffer.etf.adv", |c| c.buffer.etf.adv = 1e-300),
        ("buffer.etf.spread_bps", |c| {
            c.buffer.etf.spread_bps = 20_000.0
        }),
        ("buffer.sovereign.duration", |c| {
            c.buffer.sovereign.duration = 0.0
        }),
    ];
    for (setting, set) in cases {
        let mut cfg = AnalysisConfig::default();
        set(&mut cfg);
        let msg = stage3_error(&fund, &cfg).to_string();
        assert!(
            msg.contains("buffer composition \"use case 5/3/2\""),
            "{msg}"
        );
        assert!(msg.contains(setting), "{setting}: {msg}");
        assert!(!msg.contains("BUFFER_"), "{msg}");
    }
}

#[test]
fn a_fund_position_with_an_instrument_id_does_not_collide() {
    let mut spec = example_fund().spec.clone();
    spec.positions[0].id = "BUFFER_SOV".into();
    let fund = build_fund(spec, "collide.toml", Path::new("")).unwrap_or_else(|e| panic!("{e}"));
    let cfg = AnalysisConfig::default();
    for c in cfg
        .buffer
        .compositions(fund.model.params.initial_cash as f64)
    {
        let variant = composition_fund(&fund, &c, &cfg.buffer).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(variant.position_ids[0], "BUFFER_SOV");
    }
    check_inputs(&fund, &cfg, &[StageId::PortfolioLiquidity]).unwrap();
}
