//! `calibrate market` on constructed data: ADV, spread, volatility and the window ratios come
//! back as their closed forms; a corrupted input moves them and the check fails; the fund file
//! written keeps the user's file and passes the fund file's rules.

use approx::assert_relative_eq;
use undertow_calibrate::market::{
    apply_market_fit, fit_market, parse_market_csv, MarketFit, StressWindow,
};

const A: f64 = 0.01; // calm daily move
const S: f64 = 0.002; // calm spread, fraction of mid
const V: f64 = 1000.0; // calm volume, units
const K: f64 = 4.0; // spread multiple in the window
const M: f64 = 3.0; // move multiple in the window
const U: f64 = 0.5; // volume multiple in the window
const CALM: usize = 101; // calm rows (100 returns)
const WIN: usize = 20; // window rows

fn start() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap()
}

/// Calm rows then the window's rows; closes alternate 100 and 100 exp(move). `volume_scale`
/// multiplies every calm volume (a corruption when not 1).
fn history(volume_scale: f64) -> String {
    let mut text = String::from("date,id,close,volume,bid,ask\n");
    for t in 0..CALM + WIN {
        let date = start() + chrono::Duration::days(t as i64);
        let stressed = t >= CALM;
        let (mv, s, vol) = if stressed {
            (M * A, K * S, U * V)
        } else {
            (A, S, V * volume_scale)
        };
        for id in ["X", "Y"] {
            let close = if t % 2 == 0 { 100.0 } else { 100.0 * mv.exp() };
            let bid = close * (1.0 - s / 2.0);
            let ask = close * (1.0 + s / 2.0);
            text.push_str(&format!("{date},{id},{close},{vol},{bid},{ask}\n"));
        }
    }
    text
}

fn window() -> StressWindow {
    let from = start() + chrono::Duration::days(CALM as i64);
    let to = start() + chrono::Duration::days((CALM + WIN - 1) as i64);
    StressWindow::parse(&format!("sell_off:{from}..{to}"), "--stress-window").unwrap()
}

fn fit(text: &str) -> MarketFit {
    let h = parse_market_csv(text, "m.csv").unwrap();
    fit_market(&h, &[window()], &[]).unwrap()
}

/// The closed forms the constructed history must give.
fn check(f: &MarketFit) -> Result<(), String> {
    let close_mean = |rows: usize, first: usize, mv: f64| {
        let odd = (first..first + rows).filter(|t| t % 2 == 1).count() as f64;
        (100.0 * (rows as f64 - odd) + 100.0 * mv.exp() * odd) / rows as f64
    };
    let adv = V * close_mean(CALM, 0, A);
    // 100 alternating returns +-a: mean 0, sample variance 100 a^2 / 99.
    let vol = (100.0 * A * A / 99.0 * 252.0).sqrt();
    let volume_mult = U * close_mean(WIN, CALM, M * A) / close_mean(CALM, 0, A);
    let expect = [
        ("adv", f.positions[0].adv.value, adv),
        ("spread_bps", f.positions[0].spread_bps.value, S * 1e4),
        ("vol_annual", f.positions[0].vol_annual.value, vol),
        (
            "spread_mult",
            f.positions[0].windows[0].spread_mult.value,
            K,
        ),
        ("vol_mult", f.positions[0].windows[0].vol_mult.value, M),
        (
            "volume_mult",
            f.positions[0].windows[0].volume_mult.value,
            volume_mult,
        ),
        (
            "volume_cut",
            f.positions[0].windows[0].volume_cut.value,
            1.0 - volume_mult,
        ),
    ];
    for (name, got, want) in expect {
        if ((got - want) / want).abs() > 1e-6 {
            return Err(format!("{name}: {got} against {want}"));
        }
    }
    Ok(())
}

#[test]
fn calm_values_and_window_ratios_are_recovered_exactly() {
    let f = fit(&history(1.0));
    check(&f).unwrap();
    assert_eq!(f.calm_days, CALM);
    let p = &f.positions[0];
    assert_eq!(p.adv.n, CALM);
    assert_eq!(p.vol_annual.n, CALM - 1);
    assert_eq!(p.windows[0].vol_mult.n, WIN - 1);
    // A constant spread has no sampling error.
    assert!(p.spread_bps.se < 1e-9, "{}", p.spread_bps.se);
    assert_relative_eq!(p.windows[0].spread_mult.se, 0.0, epsilon = 1e-9);
    // vol se: sigma / sqrt(2 (n - 1)).
    assert_relative_eq!(
        p.vol_annual.se,
        p.vol_annual.value / (2.0 * 99.0f64).sqrt(),
        max_relative = 1e-12
    );
    // Depth from Amihud: calm illiquidity / window illiquidity = U / M (up to the closes'
    // alternation), and (1 - U)(1 - D) = that, so D = 1 - 1 / M.
    let d = p.windows[0].depth_cut.value;
    assert!((d - (1.0 - 1.0 / M)).abs() < 0.01, "depth cut {d}");
    // Ranges over the two (identical) positions.
    let r = |name: &str| f.ranges.iter().find(|r| r.field == name).unwrap().clone();
    assert_relative_eq!(r("spread_mult").lo, K, max_relative = 1e-9);
    assert_relative_eq!(r("vol_mult").hi, M, max_relative = 1e-9);
    assert_eq!(r("spread_mult").n, 2);
}

#[test]
fn a_corrupted_history_fails_the_check() {
    // Calm volumes doubled: ADV doubles and the volume multiple halves.
    let f = fit(&history(2.0));
    let e = check(&f).unwrap_err();
    assert!(e.starts_with("adv"), "{e}");
}

#[test]
fn cash_like_positions_stay_out_of_the_ranges() {
    let h = parse_market_csv(&history(1.0), "m.csv").unwrap();
    let f = fit_market(&h, &[window()], &["Y".to_string()]).unwrap();
    assert_eq!(f.ranges[0].n, 1);
    assert!(f.positions[1].cash_like);
}

#[test]
fn bad_stress_windows_are_named() {
    for (text, reason) in [
        ("covid2020-03-01..2020-03-31", "no `:`"),
        (":2020-03-01..2020-03-31", "no name"),
        ("covid:2020-03-01-2020-03-31", "no `..`"),
        ("covid:2020-03-41..2020-03-31", "bad first date"),
        ("covid:2020-03-31..2020-03-01", "before the first"),
    ] {
        let e = StressWindow::parse(text, "--stress-window")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("--stress-window: "), "{e}");
        assert!(e.contains(reason), "{text}: {e}");
    }
    let h = parse_market_csv(&history(1.0), "m.csv").unwrap();
    let outside = StressWindow::parse("later:2030-01-01..2030-02-01", "w").unwrap();
    let e = fit_market(&h, &[outside], &[]).unwrap_err().to_string();
    assert!(e.contains("holds none of the file's dates"), "{e}");
}

#[test]
fn too_short_a_calm_history_is_refused() {
    let h = parse_market_csv(&history(1.0), "m.csv").unwrap();
    let all = StressWindow::parse("all:2019-01-01..2021-01-01", "w").unwrap();
    let e = fit_market(&h, &[all], &[]).unwrap_err().to_string();
    assert!(e.contains("calm rows"), "{e}");
}

#[test]
fn the_fund_file_keeps_the_users_text_and_gets_provenance() {
    let text = undertow_calibrate::market::synthetic::example_market_csv();
    let h = parse_market_csv(&text, "examples/market_history.csv").unwrap();
    let fund = undertow_host::fund::example_fund();
    h.check_ids(&fund).unwrap();
    let covid = StressWindow::parse("covid:2020-03-02..2020-04-09", "w").unwrap();
    let f = fit_market(&h, &[covid], &[]).unwrap();
    // Calm values come back near the example fund's own (the generator's calm inputs).
    for p in &f.positions {
        let spec = fund.spec.positions.iter().find(|s| s.id == p.id).unwrap();
        assert!((p.adv.value / spec.adv - 1.0).abs() < 0.05, "{} adv", p.id);
        assert!(
            (p.spread_bps.value / spec.spread_bps - 1.0).abs() < 0.05,
            "{} spread {} against {}",
            p.id,
            p.spread_bps.value,
            spec.spread_bps
        );
        assert!(
            (p.vol_annual.value / spec.vol_annual - 1.0).abs() < 0.1,
            "{} vol",
            p.id
        );
        assert!(p.windows[0].spread_mult.value > 1.5, "{}", p.id);
    }
    let toml = undertow_host::fund::example_fund_toml();
    let out = apply_market_fit(&toml, "fund.toml", std::path::Path::new("."), &f).unwrap();
    // The user's text is kept (the fund's header comment and an untouched field).
    assert!(out.starts_with(toml.lines().next().unwrap()));
    assert!(out.contains("impact = 0.6"));
    assert!(out.contains("# calibrated from market_history.csv: mean close x volume over"));
    assert!(out.contains("spread_mult = ["));
    let fund2 =
        undertow_host::fund::parse_fund(&out, "out.toml", std::path::Path::new(".")).unwrap();
    let eq = fund2
        .spec
        .positions
        .iter()
        .find(|p| p.id == "EQ_LARGE")
        .unwrap();
    let fit_eq = f.positions.iter().find(|p| p.id == "EQ_LARGE").unwrap();
    assert_relative_eq!(eq.adv, fit_eq.adv.value, max_relative = 1e-3);
    let r = f.ranges.iter().find(|r| r.field == "spread_mult").unwrap();
    assert_relative_eq!(
        fund2.scenarios.market.spread_mult.1,
        r.hi,
        max_relative = 1e-2
    );
}

#[test]
fn a_fund_without_position_tables_is_refused() {
    let f = fit(&history(1.0));
    let e = apply_market_fit(
        "[fund]\nname = \"x\"\n",
        "f.toml",
        std::path::Path::new("."),
        &f,
    )
    .unwrap_err()
    .to_string();
    assert!(e.starts_with("f.toml: no [[positions]] tables"), "{e}");
}
