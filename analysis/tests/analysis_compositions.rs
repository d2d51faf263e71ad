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
fn a_one_day_horizon_is_not_refused_but_a_setting_beyond_the_horizon_is() {
    // What `undertow run --horizon 1` does to a fund that settles the same day: the standard
    // buffer instruments settle in one day, so the buffer search does not apply; the run goes on
    // (the stage says so, `engine/tests/unusual_funds.rs`).
    let mut fund = example_fund();
    fund.model.params.horizon = 1;
    let cfg = AnalysisConfig::default();
    check_inputs(&fund, &cfg, &[StageId::PortfolioLiquidity]).unwrap();
    let why = undertow_analysis::portfolio_liquidity::buffer::not_applicable(&fund, &cfg.buffer);
    assert!(why.unwrap().starts_with("not applicable: "));

    // On a longer horizon, an instrument the user set to settle beyond it is their setting's
    // error, named by the setting and the composition, never by the positions the search adds.
    let mut fund = example_fund();
    fund.model.params.horizon = 5;
    let mut cfg = AnalysisConfig::default();
    cfg.buffer.sovereign.settlement_days = 5;
    let e = stage3_error(&fund, &cfg);
    let msg = e.to_string();
    assert!(e.is_bad_input(), "{msg}");
    assert!(msg.contains("buffer composition \""), "{msg}");
    assert!(
        msg.contains("buffer.sovereign.settlement_days = 5"),
        "{msg}"
    );
    assert!(!msg.contains("BUFFER_"), "{msg}");
}

/// A change to the settings, named by the setting it breaks.
type Breakage = (&'static str, fn(&mut AnalysisConfig));

#[test]
fn instrument_settings_the_fund_refuses_are_named() {
    let fund = example_fund();
    let cases: [Breakage; 4] = [
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
