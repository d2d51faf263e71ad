//! Named historical replays: the 2008 global financial crisis, the 2013 taper tantrum, the March
//! 2020 dash for cash and the September 2022 UK gilt / LDI crisis, each a fixed table of shocks
//! per class kind plus timing, regime, redemption and funding shocks.
//!
//! The numbers and their sources are in docs/scenarios.md, which a test reads back and compares
//! with these tables, so that the documentation cannot drift from the code. A replay is one
//! deterministic parameter record; the kernel still draws market noise and investor behaviour on
//! top of it, so replays of the same episode differ from index to index only through those.

use undertow_kernel::{sflag, ScenarioParams, MAX_CLASSES};

use super::config::ScenarioConfig;
use super::family;
use super::generate::{neutral_params, set_class, ClassShock};
use super::regime;
use super::shape::ClassKind;

/// Keys of the class kinds in replay tables and in docs/scenarios.md, in table order.
pub const KIND_KEYS: [&str; 5] = [
    "equity",
    "fixed_income",
    "credit",
    "alternative",
    "cash_like",
];

/// Index of a class kind in a replay's `kinds` table.
pub fn kind_index(kind: ClassKind) -> usize {
    match kind {
        ClassKind::Equity => 0,
        ClassKind::FixedIncome => 1,
        ClassKind::Credit => 2,
        ClassKind::Alternative => 3,
        ClassKind::CashLike => 4,
    }
}

/// One historical episode, translated into the model's parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Replay {
    /// Family code ([`family`]).
    pub family: u32,
    pub title: &'static str,
    /// Ramp days: trading days from the last calm close to the worst point.
    pub ramp: u32,
    /// Plateau days: how long stress stayed near its worst.
    pub plateau: u32,
    /// Recovery half-life, days.
    pub half_life: f64,
    /// Correlation regime ([`regime`]); `rho` comes from the configuration's regimes.
    pub regime: u32,
    pub market_severity: f64,
    /// Sovereign yield change `dy` (positions with the rate route).
    pub rate_shock: f64,
    /// Credit-spread change (added to `dy` for positions with the spread route).
    pub credit_spread_shock: f64,
    pub redemption_mult: f64,
    pub redemption_severity: f64,
    pub large_mult: f64,
    pub funding_shock: f64,
    pub haircut_addon: f64,
    /// Share of the ramp's price fall recovered as the stress profile decays, from the episode's
    /// own path (docs/scenarios.md, section 7).
    pub recovery: f64,
    /// Class shocks by kind, in [`KIND_KEYS`] order. Crowding is the share of a class's normal
    /// ADV sold by other holders at full stress; the crowd only consumes depth (the replayed
    /// price path already holds the market-wide selling), so it does not move prices twice.
    pub kinds: [ClassShock; 5],
}

const fn shock(
    depth_cut: f64,
    spread_mult: f64,
    volume_cut: f64,
    price_shock: f64,
    vol_mult: f64,
    crowding: f64,
) -> ClassShock {
    ClassShock {
        depth_cut,
        spread_mult,
        volume_cut,
        price_shock,
        vol_mult,
        crowding,
    }
}

/// The four replays, in family-code order.
pub const REPLAYS: [Replay; 4] = [
    Replay {
        family: family::GFC_2008,
        title: "2008 global financial crisis (Lehman, September to December 2008)",
        ramp: 48,
        plateau: 75,
        half_life: 100.0,
        regime: regime::CRISIS,
        market_severity: 1.0,
        rate_shock: -0.015,
        credit_spread_shock: 0.035,
        redemption_mult: 2.0,
        redemption_severity: 0.9,
        large_mult: 2.0,
        funding_shock: 0.8,
        haircut_addon: 0.10,
        recovery: 0.0,
        kinds: [
            shock(0.80, 3.0, 0.30, -0.51, 3.2, 0.03),
            shock(0.70, 4.0, 0.40, 0.00, 2.5, 0.02),
            shock(0.90, 8.0, 0.60, -0.15, 4.0, 0.15),
            shock(0.90, 10.0, 0.80, -0.35, 2.5, 0.10),
            shock(0.10, 1.5, 0.10, -0.005, 1.5, 0.0),
        ],
    },
    Replay {
        family: family::TAPER_TANTRUM_2013,
        title: "2013 taper tantrum (May to September 2013)",
        ramp: 24,
        plateau: 50,
        half_life: 40.0,
        regime: regime::STRESSED,
        market_severity: 0.35,
        rate_shock: 0.010,
        credit_spread_shock: 0.004,
        redemption_mult: 1.5,
        redemption_severity: 0.5,
        large_mult: 1.0,
        funding_shock: 0.1,
        haircut_addon: 0.01,
        recovery: 0.6,
        kinds: [
            shock(0.30, 1.5, 0.10, -0.08, 1.6, 0.01),
            shock(0.50, 2.0, 0.30, -0.05, 2.0, 0.05),
            shock(0.50, 2.0, 0.30, -0.06, 1.8, 0.10),
            shock(0.30, 1.5, 0.10, -0.10, 1.5, 0.03),
            shock(0.00, 1.0, 0.00, 0.00, 1.0, 0.0),
        ],
    },
    Replay {
        family: family::DASH_FOR_CASH_2020,
        title: "March 2020 dash for cash (19 February to 23 March 2020)",
        ramp: 23,
        plateau: 3,
        half_life: 15.0,
        regime: regime::CRISIS,
        market_severity: 0.95,
        rate_shock: -0.008,
        credit_spread_shock: 0.030,
        redemption_mult: 2.0,
        redemption_severity: 1.0,
        large_mult: 2.0,
        funding_shock: 0.6,
        haircut_addon: 0.05,
        recovery: 0.75,
        kinds: [
            shock(0.90, 4.0, 0.30, -0.41, 5.7, 0.02),
            shock(0.90, 5.0, 0.30, -0.03, 3.0, 0.02),
            shock(0.90, 5.0, 0.50, -0.15, 4.0, 0.20),
            shock(0.90, 6.0, 0.70, -0.35, 3.5, 0.05),
            shock(0.30, 2.0, 0.20, -0.002, 1.5, 0.0),
        ],
    },
    Replay {
        family: family::UK_LDI_2022,
        title: "2022 UK gilt / LDI crisis (22 September to mid-October 2022)",
        ramp: 4,
        plateau: 12,
        half_life: 10.0,
        regime: regime::CRISIS,
        market_severity: 0.7,
        rate_shock: 0.012,
        credit_spread_shock: 0.005,
        redemption_mult: 2.0,
        redemption_severity: 0.7,
        large_mult: 3.0,
        funding_shock: 0.5,
        haircut_addon: 0.05,
        recovery: 0.9,
        kinds: [
            shock(0.40, 1.5, 0.10, -0.05, 1.5, 0.01),
            shock(0.90, 6.0, 0.50, -0.10, 4.0, 0.20),
            shock(0.70, 3.0, 0.50, -0.06, 2.0, 0.10),
            shock(0.50, 2.0, 0.30, -0.05, 1.5, 0.02),
            shock(0.10, 1.2, 0.10, 0.00, 1.2, 0.0),
        ],
    },
];

/// The replay with a family code, if the code is a replay's.
pub fn replay(code: u32) -> Option<&'static Replay> {
    REPLAYS.iter().find(|r| r.family == code)
}

/// The parameter record of a replay for a fund with these class kinds (in kernel order).
pub fn replay_params(
    r: &Replay,
    kinds: &[ClassKind],
    cfg: &ScenarioConfig,
    horizon: u32,
) -> ScenarioParams {
    let mut p = neutral_params();
    p.family = r.family;
    // Every replay moved rates and spreads: bond positions with a route flag follow them.
    p.flags = sflag::DURATION_ROUTE;
    p.onset = cfg.timing.replay_onset.min(horizon.saturating_sub(1));
    p.ramp = r.ramp.max(1);
    p.plateau = r.plateau;
    p.half_life = r.half_life as f32;
    p.regime = r.regime;
    p.rho = cfg.regimes.rho(r.regime) as f32;
    p.market_severity = r.market_severity as f32;
    p.rate_shock = r.rate_shock as f32;
    p.credit_spread_shock = r.credit_spread_shock as f32;
    p.redemption_mult = r.redemption_mult as f32;
    p.redemption_severity = r.redemption_severity as f32;
    p.large_mult = r.large_mult as f32;
    p.funding_shock = r.funding_shock as f32;
    p.haircut_addon = r.haircut_addon as f32;
    p.recovery = r.recovery as f32;
    for (c, &kind) in kinds.iter().take(MAX_CLASSES).enumerate() {
        set_class(&mut p, c, &r.kinds[kind_index(kind)]);
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replays_are_in_family_order_and_sane() {
        for (i, r) in REPLAYS.iter().enumerate() {
            assert_eq!(r.family, family::GFC_2008 + i as u32);
            assert!(family::is_replay(r.family));
            assert_eq!(replay(r.family), Some(r));
            for k in &r.kinds {
                assert!((0.0..1.0).contains(&k.depth_cut) && (0.0..1.0).contains(&k.volume_cut));
                assert!(k.spread_mult >= 1.0 && k.vol_mult >= 1.0 && k.crowding >= 0.0);
            }
            assert!((0.0..=1.0).contains(&r.redemption_severity));
            assert!((0.0..=1.0).contains(&r.funding_shock));
            assert!((0.0..=1.0).contains(&r.recovery));
            // Crowding is a share of normal ADV: well below one day's volume.
            assert!(r.kinds.iter().all(|k| k.crowding <= 0.5));
            assert_eq!(r.kinds[kind_index(ClassKind::CashLike)].crowding, 0.0);
            assert!(r.redemption_mult >= 1.0 && r.large_mult >= 1.0);
        }
        assert_eq!(replay(family::SCRIPTED), None);
    }
}
