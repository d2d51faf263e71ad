//! Stage 3's settings: the buffer search (its instruments, grid, named compositions and
//! objective) and the liquidity-aware portfolio construction's constraints.

use serde::Serialize;

use crate::setting::{bad, check_days, check_scenarios, list, ConfigError};
use undertow_format::text::pct;
use undertow_host::fund::spec::PriceRoute;
use undertow_host::fund::ClassKind;

/// Weights of the buffer ranking's objective.
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct ObjectiveWeights {
    pub safety: f64,
    pub opportunity_cost: f64,
    pub operational: f64,
}

impl Default for ObjectiveWeights {
    fn default() -> Self {
        ObjectiveWeights {
            safety: 0.6,
            opportunity_cost: 0.3,
            operational: 0.1,
        }
    }
}

/// A buffer composition: fractions of NAV in cash, short sovereigns and liquid ETFs.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Composition {
    pub label: String,
    pub cash: f64,
    pub sovereign: f64,
    pub etf: f64,
}

impl Composition {
    pub fn new(label: &str, cash: f64, sovereign: f64, etf: f64) -> Composition {
        Composition {
            label: label.to_string(),
            cash,
            sovereign,
            etf,
        }
    }

    pub fn total(&self) -> f64 {
        self.cash + self.sovereign + self.etf
    }

    /// "8% cash + 5% sovereigns + 4% ETFs".
    pub fn describe(&self) -> String {
        let mut parts = vec![format!("{} cash", pct(self.cash))];
        if self.sovereign > 0.0 {
            parts.push(format!("{} sovereigns", pct(self.sovereign)));
        }
        if self.etf > 0.0 {
            parts.push(format!("{} ETFs", pct(self.etf)));
        }
        parts.join(" + ")
    }

    pub(crate) fn same_mix(&self, other: &Composition) -> bool {
        (self.cash - other.cash).abs() < 1e-9
            && (self.sovereign - other.sovereign).abs() < 1e-9
            && (self.etf - other.etf).abs() < 1e-9
    }
}

/// A buffer instrument the search adds to the fund (the cash tier is the fund's `cash`).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct BufferInstrument {
    pub id: String,
    pub label: String,
    /// The fund class it joins; `None` picks the fund's first class of `kind`. Buffer positions
    /// join existing classes so that the scenario records stay the same for every composition.
    pub class: Option<String>,
    pub kind: ClassKind,
    /// Average daily traded value, currency.
    pub adv: f64,
    pub spread_bps: f64,
    pub vol_annual: f64,
    pub impact: f64,
    pub settlement_days: u32,
    pub duration: f64,
    pub convexity: f64,
    #[serde(skip)]
    pub price_route: PriceRoute,
    pub repo_eligible: bool,
    /// Expected annual yield (total return) of the instrument, for its opportunity cost.
    pub annual_yield: f64,
}

impl BufferInstrument {
    /// Short-duration (1–3 year) government bonds and bills: the deepest market there is.
    pub fn short_sovereigns() -> BufferInstrument {
        BufferInstrument {
            id: "BUFFER_SOV".to_string(),
            label: "short sovereigns (1-3y)".to_string(),
            class: None,
            kind: ClassKind::FixedIncome,
            adv: 100e9,
            spread_bps: 1.0,
            vol_annual: 0.015,
            impact: 0.2,
            settlement_days: 1,
            duration: 1.9,
            convexity: 5.0,
            price_route: PriceRoute::Rate,
            repo_eligible: true,
            annual_yield: 0.0425,
        }
    }

    /// Broad, heavily traded index ETFs (cash equitisation: the buffer keeps market exposure,
    /// so it earns close to the portfolio but loses value in a sell-off).
    pub fn liquid_etfs() -> BufferInstrument {
        BufferInstrument {
            id: "BUFFER_ETF".to_string(),
            label: "liquid index ETFs".to_string(),
            class: None,
            kind: ClassKind::Equity,
            adv: 25e9,
            spread_bps: 1.0,
            vol_annual: 0.16,
            impact: 0.5,
            settlement_days: 1,
            duration: 0.0,
            convexity: 0.0,
            price_route: PriceRoute::None,
            repo_eligible: false,
            annual_yield: 0.055,
        }
    }
}

/// The grid of compositions searched besides the named ones.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct BufferGrid {
    pub cash: Vec<f64>,
    pub sovereign: Vec<f64>,
    pub etf: Vec<f64>,
}

impl Default for BufferGrid {
    fn default() -> Self {
        BufferGrid {
            cash: vec![0.03, 0.05, 0.07, 0.09, 0.11, 0.13],
            sovereign: vec![0.0, 0.03, 0.06],
            etf: vec![0.0, 0.03],
        }
    }
}

/// Stage 3, the buffer search.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct BufferConfig {
    /// Scenarios simulated per composition (the first ones of the run, same seed).
    pub scenarios: u64,
    /// Coverage, survival and costs are measured over this many days.
    pub horizon_days: u32,
    /// Coverage a composition must reach to count as meeting the target.
    pub target_coverage: f64,
    pub weights: ObjectiveWeights,
    /// Expected annual yield of cash (money-market rate).
    pub cash_yield: f64,
    pub sovereign: BufferInstrument,
    pub etf: BufferInstrument,
    pub grid: BufferGrid,
    /// Compositions of the use case, searched by name in addition to the grid. The fund's own
    /// static cash buffer is always added first.
    pub named: Vec<Composition>,
    /// Keep the buffer tiers the fund file gives its own holdings (by default they count as
    /// investments, so that each composition's buffer is exactly what it says).
    pub keep_fund_tiers: bool,
    /// Keep the fund's gates on while measuring coverage. Off by default: coverage asks whether
    /// the buffer alone meets the redemptions, and a gate that defers them (fired by the volume of
    /// requests whatever the buffer) would cap every composition's coverage at the same level.
    pub with_gates: bool,
}

/// The seed's recommended composition: 8% cash, 5% short sovereigns, 4% liquid ETFs.
pub fn seed_recommendation() -> Composition {
    Composition::new("use case recommendation", 0.08, 0.05, 0.04)
}

/// The four compositions the use case searched ("liquid credit" read as the liquid-ETF tier).
pub fn use_case_compositions() -> Vec<Composition> {
    vec![
        Composition::new("use case 5/3/2", 0.05, 0.03, 0.02),
        Composition::new("use case 7/5/3", 0.07, 0.05, 0.03),
        Composition::new("use case 10/7/5", 0.10, 0.07, 0.05),
        Composition::new("use case 15/10/5", 0.15, 0.10, 0.05),
    ]
}

impl Default for BufferConfig {
    fn default() -> Self {
        let mut named = use_case_compositions();
        named.push(seed_recommendation());
        BufferConfig {
            scenarios: 2_000,
            horizon_days: 30,
            target_coverage: 0.985,
            weights: ObjectiveWeights::default(),
            cash_yield: 0.04,
            sovereign: BufferInstrument::short_sovereigns(),
            etf: BufferInstrument::liquid_etfs(),
            grid: BufferGrid::default(),
            named,
            keep_fund_tiers: false,
            with_gates: false,
        }
    }
}

impl BufferConfig {
    /// The compositions to evaluate: the fund's static cash buffer, the named ones, then the
    /// grid, without duplicates (the first label of a mix wins).
    pub fn compositions(&self, fund_cash: f64) -> Vec<Composition> {
        let mut all = vec![Composition::new(
            &format!("static {} cash", pct(fund_cash)),
            fund_cash,
            0.0,
            0.0,
        )];
        all.extend(self.named.iter().cloned());
        for &c in &self.grid.cash {
            for &s in &self.grid.sovereign {
                for &e in &self.grid.etf {
                    all.push(Composition::new("grid", c, s, e));
                }
            }
        }
        let mut unique: Vec<Composition> = Vec::new();
        for c in all {
            if !unique.iter().any(|u| u.same_mix(&c)) {
                unique.push(c);
            }
        }
        unique
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        check_scenarios("buffer.scenarios", self.scenarios, 1)?;
        check_days("buffer.horizon_days", self.horizon_days, 1)?;
        if !(self.target_coverage > 0.0 && self.target_coverage <= 1.0) {
            return Err(bad(
                "buffer.target_coverage",
                self.target_coverage,
                "must be in (0, 1] (a share of scenarios)",
            ));
        }
        let w = &self.weights;
        let ws = [w.safety, w.opportunity_cost, w.operational];
        if ws.iter().any(|x| !(*x >= 0.0 && x.is_finite())) || ws.iter().sum::<f64>() <= 0.0 {
            return Err(bad(
                "buffer.weights",
                list(&ws),
                "three weights (safety, opportunity cost, operational), none negative, not all zero",
            ));
        }
        for (name, y) in [
            ("buffer.cash_yield", self.cash_yield),
            ("buffer.sovereign.annual_yield", self.sovereign.annual_yield),
            ("buffer.etf.annual_yield", self.etf.annual_yield),
        ] {
            if !(y > -1.0 && y < 1.0) {
                return Err(bad(
                    name,
                    y,
                    "an annual yield as a fraction (0.04 = 4%), between -1 and 1",
                ));
            }
        }
        for (name, grid) in [
            ("buffer.grid.cash", &self.grid.cash),
            ("buffer.grid.sovereign", &self.grid.sovereign),
            ("buffer.grid.etf", &self.grid.etf),
        ] {
            if grid.iter().any(|x| !(0.0..1.0).contains(x)) {
                return Err(bad(
                    name,
                    list(grid),
                    "each weight must be in [0, 1) (a fraction of NAV)",
                ));
            }
        }
        for c in &self.named {
            for (part, v) in [("cash", c.cash), ("sovereign", c.sovereign), ("etf", c.etf)] {
                if !(0.0..1.0).contains(&v) {
                    return Err(bad(
                        &format!("buffer.named[{:?}].{part}", c.label),
                        v,
                        "must be in [0, 1) (a fraction of NAV)",
                    ));
                }
            }
        }
        for (name, inst) in [
            ("buffer.sovereign", &self.sovereign),
            ("buffer.etf", &self.etf),
        ] {
            if !(inst.adv > 0.0 && inst.adv.is_finite()) {
                return Err(bad(
                    &format!("{name}.adv"),
                    inst.adv,
                    "must be a positive amount per day",
                ));
            }
            if !(inst.spread_bps >= 0.0 && inst.vol_annual >= 0.0 && inst.impact >= 0.0) {
                return Err(bad(
                    &format!("{name}.spread_bps/vol_annual/impact"),
                    list(&[inst.spread_bps, inst.vol_annual, inst.impact]),
                    "must not be negative",
                ));
            }
        }
        Ok(())
    }
}

/// Liquidity-aware portfolio construction: the constraints of the use case.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ConstructionConfig {
    /// Most of NAV that may be illiquid (not sellable within 7 days).
    pub max_illiquid: f64,
    /// Least of NAV that must be daily-liquid (cash plus what sells in one day and settles by
    /// the redemption settlement date).
    pub min_daily_liquid: f64,
    /// Most of NAV in any one asset class.
    pub max_asset_class: f64,
    /// Least portfolio liquidity score (1 to 5).
    pub min_liquidity_score: f64,
    /// Keep the cash weight as it is (the buffer is the buffer search's decision); otherwise cash
    /// is one more weight to change.
    pub hold_cash: bool,
}

impl Default for ConstructionConfig {
    fn default() -> Self {
        ConstructionConfig {
            max_illiquid: 0.25,
            min_daily_liquid: 0.15,
            max_asset_class: 0.50,
            min_liquidity_score: 3.0,
            hold_cash: true,
        }
    }
}

impl ConstructionConfig {
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        for (name, v) in [
            ("construction.max_illiquid", self.max_illiquid),
            ("construction.min_daily_liquid", self.min_daily_liquid),
            ("construction.max_asset_class", self.max_asset_class),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(bad(name, v, "must be in [0, 1] (a fraction of NAV)"));
            }
        }
        if !(1.0..=5.0).contains(&self.min_liquidity_score) {
            return Err(bad(
                "construction.min_liquidity_score",
                self.min_liquidity_score,
                "must be in [1, 5] (the score's range)",
            ));
        }
        Ok(())
    }
}
