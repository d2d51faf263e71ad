//! Drawing one scenario (MODEL.md section 2): the family, the copula pair, each class's shock from
//! its kind and the scenario's severity, timing, the correlation regime, redemption and funding
//! shocks. Every draw comes from a generator seeded by `(seed, index)` alone.
//!
//! How severity flows: the copula gives two uniforms `(u_m, u_r)`. The family maps `u_m` into its
//! band of market severity `s` in [0, 1] with an increasing function, so the copula's rank
//! dependence between market and redemption stress survives. Each class's severity is `s` scaled
//! by how exposed its kind is to the family's shock, plus a little class-level noise; the class's
//! depth cut, spread widening and so on sit at that point of their configured ranges. `u_r` picks
//! the point of the redemption ranges.
//!
//! Crowding and recovery ranges are the family's: a class's crowding sits at its class severity
//! in the family's `crowding` range; the scenario's recovery share is a uniform draw in the
//! family's `recovery` range, the last draw of the scenario's stream (so that it leaves every
//! earlier draw as it was). The `calm` family draws nothing: no shock at all.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use undertow_kernel::{sflag, ScenarioParams, MAX_CLASSES};

use super::config::{MarketRanges, ScenarioConfig, Span};
use super::copula::SeverityCopula;
use super::shape::{ClassKind, FundShape};
use super::{family, regime, replay};

/// The six market parameters of one class in one scenario.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClassShock {
    /// Depth reduction `D`.
    pub depth_cut: f64,
    /// Spread widening multiple `W`.
    pub spread_mult: f64,
    /// Volume reduction `U`.
    pub volume_cut: f64,
    /// Total log return over the ramp `R`.
    pub price_shock: f64,
    /// Volatility multiple `M`.
    pub vol_mult: f64,
    /// Crowding `chi`: share of the class's normal ADV sold by other holders at full stress.
    pub crowding: f64,
}

impl ClassShock {
    /// No shock at all: what unused class slots and unscripted classes carry.
    pub const NEUTRAL: ClassShock = ClassShock {
        depth_cut: 0.0,
        spread_mult: 1.0,
        volume_cut: 0.0,
        price_shock: 0.0,
        vol_mult: 1.0,
        crowding: 0.0,
    };
}

/// Ranges of a cash-like class (money-market funds, T-bills). Fixed rather than configurable:
/// these instruments are the buffer, and a stress that made them illiquid would be a different
/// model (see docs/scenarios.md). The point in each range follows the class's severity.
pub struct CashLikeRanges {
    pub depth_cut: Span<f64>,
    pub spread_mult: Span<f64>,
    pub volume_cut: Span<f64>,
    pub price_shock: Span<f64>,
    pub vol_mult: Span<f64>,
    pub crowding: Span<f64>,
}

pub const CASH_LIKE: CashLikeRanges = CashLikeRanges {
    depth_cut: Span(0.0, 0.1),
    spread_mult: Span(1.0, 1.5),
    volume_cut: Span(0.0, 0.1),
    price_shock: Span(-0.002, 0.0),
    vol_mult: Span(1.0, 1.5),
    crowding: Span(0.0, 0.0),
};

/// How exposed each risk kind is to a family's shock: a class's severity is this times the
/// scenario's market severity (capped at 1). Order: equity, fixed income, credit, alternative.
pub const SENSITIVITY_MARKET_WIDE: [f64; 4] = [1.0, 0.6, 0.9, 0.8];
/// Flight to quality: credit is hit hardest (over 1: it reaches the top of its ranges before the
/// rest of the market does); fixed income, dominated by sovereigns, stays comparatively liquid.
pub const SENSITIVITY_FLIGHT_TO_QUALITY: [f64; 4] = [0.8, 0.3, 1.2, 0.7];
/// Funding shock: dealer balance sheets and repo are what tighten, so bond markets lose the most
/// liquidity.
pub const SENSITIVITY_FUNDING: [f64; 4] = [0.6, 0.8, 0.9, 0.7];

/// Index of a risk kind in the sensitivity tables; `None` for cash-like classes.
fn risk_index(kind: ClassKind) -> Option<usize> {
    match kind {
        ClassKind::Equity => Some(0),
        ClassKind::FixedIncome => Some(1),
        ClassKind::Credit => Some(2),
        ClassKind::Alternative => Some(3),
        ClassKind::CashLike => None,
    }
}

/// The shock of a risk class at severity `s` in [0, 1], without crowding (0): crowding ranges
/// are the family's ([`with_crowding`]).
pub fn risk_class_shock(ranges: &MarketRanges, kind: ClassKind, s: f64) -> ClassShock {
    let price = match kind {
        ClassKind::Equity => ranges.price_shock.equity,
        ClassKind::FixedIncome => ranges.price_shock.fixed_income,
        ClassKind::Credit => ranges.price_shock.credit,
        ClassKind::Alternative => ranges.price_shock.alternative,
        ClassKind::CashLike => return cash_like_shock(s),
    };
    ClassShock {
        depth_cut: ranges.depth_cut.lerp(s),
        spread_mult: ranges.spread_mult.lerp_log(s),
        volume_cut: ranges.volume_cut.lerp(s),
        // `[worst, mildest]`: severity moves the shock from the mild end toward the worst.
        price_shock: price.lerp(1.0 - s),
        vol_mult: ranges.vol_mult.lerp_log(s),
        crowding: 0.0,
    }
}

/// `shock` with the crowding of a class of `kind` at severity `s` in the family's range (a
/// cash-like class keeps its own, 0).
pub fn with_crowding(
    mut shock: ClassShock,
    kind: ClassKind,
    crowding: Span<f64>,
    s: f64,
) -> ClassShock {
    if kind != ClassKind::CashLike {
        shock.crowding = crowding.lerp(s);
    }
    shock
}

/// The shock of a cash-like class at severity `s`.
pub fn cash_like_shock(s: f64) -> ClassShock {
    let r = &CASH_LIKE;
    ClassShock {
        depth_cut: r.depth_cut.lerp(s),
        spread_mult: r.spread_mult.lerp(s),
        volume_cut: r.volume_cut.lerp(s),
        price_shock: r.price_shock.lerp(1.0 - s),
        vol_mult: r.vol_mult.lerp(s),
        crowding: r.crowding.lerp(s),
    }
}

/// A record with every class slot neutral and everything else zero.
pub(super) fn neutral_params() -> ScenarioParams {
    let mut p = ScenarioParams::default();
    for c in 0..MAX_CLASSES {
        set_class(&mut p, c, &ClassShock::NEUTRAL);
    }
    p
}

pub(super) fn set_class(p: &mut ScenarioParams, c: usize, shock: &ClassShock) {
    p.depth_cut[c] = shock.depth_cut as f32;
    p.spread_mult[c] = shock.spread_mult as f32;
    p.volume_cut[c] = shock.volume_cut as f32;
    p.price_shock[c] = shock.price_shock as f32;
    p.vol_mult[c] = shock.vol_mult as f32;
    p.crowding[c] = shock.crowding as f32;
}

/// The per-scenario random generator: ChaCha8 keyed by the run seed, one stream per scenario
/// index, so that scenario `k` is the same whatever else is generated and in whatever order.
pub fn scenario_rng(seed: u64, index: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(index);
    rng
}

/// The families drawn from distributions (the replays are fixed tables).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Random {
    MarketWide,
    AssetClassSpecific,
    FlightToQuality,
    FundingLiquidityShock,
}

/// What a family weight selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Drawn {
    Random(Random),
    /// A historical replay, by index into [`replay::REPLAYS`].
    Replay(usize),
    /// No market shock.
    Calm,
}

/// The nine drawable families, in the order of [`super::FamilyWeights::entries`].
const DRAWN: [Drawn; 9] = [
    Drawn::Random(Random::MarketWide),
    Drawn::Random(Random::AssetClassSpecific),
    Drawn::Random(Random::FlightToQuality),
    Drawn::Random(Random::FundingLiquidityShock),
    Drawn::Replay(0),
    Drawn::Replay(1),
    Drawn::Replay(2),
    Drawn::Replay(3),
    Drawn::Calm,
];

/// A categorical distribution over fixed weights, sampled by inversion of one uniform.
#[derive(Clone, Debug)]
struct Categorical<const N: usize> {
    /// Cumulative normalised weights; `None` when every weight is zero (or not a number).
    cumulative: Option<[f64; N]>,
}

impl<const N: usize> Categorical<N> {
    fn new(weights: [f64; N]) -> Self {
        let clean = weights.map(|w| if w.is_finite() && w > 0.0 { w } else { 0.0 });
        let total: f64 = clean.iter().sum();
        if total <= 0.0 {
            return Categorical { cumulative: None };
        }
        let mut cumulative = [0.0; N];
        let mut acc = 0.0;
        for (c, w) in cumulative.iter_mut().zip(clean) {
            acc += w;
            *c = acc / total;
        }
        Categorical {
            cumulative: Some(cumulative),
        }
    }

    /// The category of uniform `u` and where `u` falls inside it, as a fraction in [0, 1].
    /// Zero-weight categories are never chosen; with no weight at all, category 0.
    fn pick(&self, u: f64) -> (usize, f64) {
        let Some(cum) = &self.cumulative else {
            return (0, u);
        };
        let mut lo = 0.0;
        let mut last_positive = 0;
        for (i, &hi) in cum.iter().enumerate() {
            if hi > lo {
                if u < hi {
                    return (i, ((u - lo) / (hi - lo)).clamp(0.0, 1.0));
                }
                last_positive = i;
            }
            lo = hi;
        }
        // Only reached when rounding left the last cumulative weight a hair below 1.
        (last_positive, 1.0)
    }
}

/// Draws scenarios for one fund under one configuration. Build once, then call
/// [`ScenarioGenerator::scenario`] for any index, from any thread.
#[derive(Clone, Debug)]
pub struct ScenarioGenerator {
    cfg: ScenarioConfig,
    /// Class kinds in kernel index order (at most `MAX_CLASSES`).
    kinds: Vec<ClassKind>,
    horizon: u32,
    copula: SeverityCopula,
    families: Categorical<9>,
    tiers: Categorical<3>,
}

impl ScenarioGenerator {
    /// Never fails: an invalid configuration is not rejected here (call
    /// [`ScenarioConfig::validate`] first to report it) but cannot make the generator panic.
    pub fn new<'a>(fund: impl Into<FundShape<'a>>, cfg: &ScenarioConfig) -> Self {
        let fund = fund.into();
        let kinds = fund
            .classes
            .iter()
            .take(MAX_CLASSES)
            .map(|c| c.kind)
            .collect();
        let mix = &cfg.market_wide.mix;
        ScenarioGenerator {
            cfg: cfg.clone(),
            kinds,
            horizon: fund.horizon,
            copula: SeverityCopula::new(&cfg.copula),
            families: Categorical::new(cfg.weights.entries().map(|(_, w)| w)),
            tiers: Categorical::new([mix.moderate, mix.severe, mix.extreme]),
        }
    }

    /// Scenario `index` of the run with `seed`.
    pub fn scenario(&self, seed: u64, index: u64) -> ScenarioParams {
        let mut rng = scenario_rng(seed, index);
        let (which, _) = self.families.pick(rng.random::<f64>());
        let (u_m, u_r) = self.copula.sample(&mut rng);
        match DRAWN[which] {
            Drawn::Replay(i) => {
                replay::replay_params(&replay::REPLAYS[i], &self.kinds, &self.cfg, self.horizon)
            }
            Drawn::Random(drawn) => self.random_family(drawn, u_m, u_r, &mut rng),
            Drawn::Calm => calm_params(&self.cfg, self.horizon),
        }
    }

    /// A market-wide scenario at the given severities, for reverse stress tests: market severity
    /// `s` and redemption severity `r`, both in [0, 1] (clamped; not a number reads as 0), drawn
    /// by the same machinery as the `market_wide` family, with the copula's pair replaced by
    /// `(s, r)`.
    ///
    /// `s` is the scenario's market severity itself (each class's severity is its kind's
    /// sensitivity times `s`, plus the class noise), not a point inside a tier's band; `r` is the
    /// point of the redemption ranges (`severity`, `mult`, `large_mult`). The family code is the
    /// market-wide tier whose band holds `s`.
    ///
    /// Monotone by construction: every random draw (class noise, timing, the regime's uniform)
    /// comes from `(seed, index)` and none depends on the severities, so with `(seed, index)`
    /// fixed, raising `s` never lowers a class's depth cut, spread widening, volume cut,
    /// volatility multiple, crowding, regime or funding shock nor raises its price shock, and
    /// raising `r` never lowers the redemption severity or multipliers (for ranges given low to
    /// high, as the defaults are).
    pub fn at_severity(
        &self,
        seed: u64,
        index: u64,
        market_severity: f64,
        redemption_severity: f64,
    ) -> ScenarioParams {
        let unit = |x: f64| if x.is_nan() { 0.0 } else { x.clamp(0.0, 1.0) };
        let (s, r) = (unit(market_severity), unit(redemption_severity));
        // One band covering [0, 1] drawn with certainty: the market-wide branch then maps the
        // uniform `s` to market severity `s` exactly (`Span(0, 1).lerp(s) = s`).
        let mut exact = self.clone();
        exact.cfg.market_wide.severity.moderate = Span(0.0, 1.0);
        exact.tiers = Categorical::new([1.0, 0.0, 0.0]);
        let mut rng = scenario_rng(seed, index);
        let mut p = exact.random_family(Random::MarketWide, s, r, &mut rng);
        let bands = &self.cfg.market_wide.severity;
        p.family = if s >= bands.extreme.lo() {
            family::MARKET_WIDE_EXTREME
        } else if s >= bands.severe.lo() {
            family::MARKET_WIDE_SEVERE
        } else {
            family::MARKET_WIDE_MODERATE
        };
        p
    }

    /// A scenario of a family drawn from distributions: its class shocks, then timing, regime,
    /// redemption and funding shocks, from the copula pair `(u_m, u_r)` and the scenario's stream.
    fn random_family(
        &self,
        drawn: Random,
        u_m: f64,
        u_r: f64,
        rng: &mut ChaCha8Rng,
    ) -> ScenarioParams {
        let cfg = &self.cfg;
        let mut p = neutral_params();
        let n = self.kinds.len();
        // Class-level noise, one draw per class slot in use, drawn for every family alike.
        let mut noise = [0.0f64; MAX_CLASSES];
        for z in noise.iter_mut().take(n) {
            let draw: f64 = StandardNormal.sample(rng);
            *z = cfg.market.class_dispersion * draw;
        }
        let (s, systemic) = self.family_shocks(drawn, u_m, &noise, rng, &mut p);
        p.market_severity = s as f32;

        let t = &cfg.timing;
        p.onset = uniform_days(rng, t.onset).min(self.horizon.saturating_sub(1));
        p.ramp = uniform_days(rng, t.ramp).max(1);
        p.plateau = uniform_days(rng, t.plateau);
        p.half_life = t.half_life.lerp(rng.random::<f64>()).max(1e-3) as f32;

        // Regime: binomial(2, systemic severity), so calm scenarios are mostly "normal", extreme
        // ones mostly "crisis", and the middle mostly "stressed".
        let u: f64 = rng.random();
        let x = systemic.clamp(0.0, 1.0);
        p.regime = if u < (1.0 - x) * (1.0 - x) {
            regime::NORMAL
        } else if u < 1.0 - x * x {
            regime::STRESSED
        } else {
            regime::CRISIS
        };
        p.rho = cfg.regimes.rho(p.regime) as f32;

        let red = &cfg.redemption;
        p.redemption_severity = red.severity.lerp(u_r) as f32;
        p.redemption_mult = red.mult.lerp_log(u_r) as f32;
        p.large_mult = red.large_mult.lerp_log(u_r) as f32;

        if drawn == Random::FundingLiquidityShock {
            let fls = &cfg.funding_liquidity_shock;
            p.funding_shock = fls.funding_shock.lerp(u_m) as f32;
            p.haircut_addon = fls.haircut_addon.lerp(u_m) as f32;
        } else {
            p.funding_shock = cfg.funding.shock.lerp(x) as f32;
            p.haircut_addon = cfg.funding.haircut_addon.lerp(x) as f32;
        }
        // Last draw of the stream: adding it left every earlier draw as it was.
        p.recovery = self.family_ranges(drawn).1.lerp(rng.random::<f64>()) as f32;
        p
    }

    /// The family's crowding and recovery ranges.
    fn family_ranges(&self, drawn: Random) -> (Span<f64>, Span<f64>) {
        let cfg = &self.cfg;
        match drawn {
            Random::MarketWide => (cfg.market_wide.crowding, cfg.market_wide.recovery),
            Random::AssetClassSpecific => (
                cfg.asset_class_specific.crowding,
                cfg.asset_class_specific.recovery,
            ),
            Random::FlightToQuality => (
                cfg.flight_to_quality.crowding,
                cfg.flight_to_quality.recovery,
            ),
            Random::FundingLiquidityShock => (
                cfg.funding_liquidity_shock.crowding,
                cfg.funding_liquidity_shock.recovery,
            ),
        }
    }

    /// The family's code and every class's shock, drawn from market uniform `u_m` and the
    /// class noise. Returns the scenario's market severity `s` and the systemic severity that
    /// drives the regime and background funding stress (for a one-class event the market as a
    /// whole is calmer than `s`).
    fn family_shocks(
        &self,
        drawn: Random,
        u_m: f64,
        noise: &[f64; MAX_CLASSES],
        rng: &mut ChaCha8Rng,
        p: &mut ScenarioParams,
    ) -> (f64, f64) {
        let cfg = &self.cfg;
        let n = self.kinds.len();
        let severity_of = |sens: f64, s: f64, c: usize| (sens * s + noise[c]).clamp(0.0, 1.0);
        let crowding = self.family_ranges(drawn).0;
        // A risk class's shock at severity `sc`, with the family's crowding.
        let shock_at = |kind: ClassKind, sc: f64| {
            with_crowding(risk_class_shock(&cfg.market, kind, sc), kind, crowding, sc)
        };

        match drawn {
            Random::MarketWide => {
                let (tier, t) = self.tiers.pick(u_m);
                let bands = &cfg.market_wide.severity;
                let (code, band) = match tier {
                    0 => (family::MARKET_WIDE_MODERATE, bands.moderate),
                    1 => (family::MARKET_WIDE_SEVERE, bands.severe),
                    _ => (family::MARKET_WIDE_EXTREME, bands.extreme),
                };
                let s = band.lerp(t);
                p.family = code;
                for (c, &kind) in self.kinds.iter().enumerate() {
                    let sens = risk_index(kind).map_or(1.0, |k| SENSITIVITY_MARKET_WIDE[k]);
                    set_class(p, c, &shock_at(kind, severity_of(sens, s, c)));
                }
                (s, s)
            }
            Random::AssetClassSpecific => {
                let acs = &cfg.asset_class_specific;
                let s = acs.severity.lerp(u_m);
                p.family = family::ASSET_CLASS_SPECIFIC;
                // The hit class is a risk class when the fund has one: a "cash-like crisis" is
                // not what this family is for.
                let risk: Vec<usize> = (0..n)
                    .filter(|&c| risk_index(self.kinds[c]).is_some())
                    .collect();
                let pool: Vec<usize> = if risk.is_empty() {
                    (0..n).collect()
                } else {
                    risk
                };
                let hit = if pool.is_empty() {
                    None
                } else {
                    Some(pool[rng.random_range(0..pool.len())])
                };
                let mut sum = 0.0;
                for (c, &kind) in self.kinds.iter().enumerate() {
                    let sc = if Some(c) == hit {
                        s
                    } else {
                        severity_of(acs.others_scale, s, c)
                    };
                    sum += sc;
                    set_class(p, c, &shock_at(kind, sc));
                }
                let mean = if n > 0 {
                    sum / n as f64
                } else {
                    acs.others_scale * s
                };
                (s, mean)
            }
            Random::FlightToQuality => {
                let ftq = &cfg.flight_to_quality;
                let s = ftq.severity.lerp(u_m);
                p.family = family::FLIGHT_TO_QUALITY;
                p.flags |= sflag::DURATION_ROUTE;
                // Yields fall further and spreads widen more as severity rises.
                let dy = ftq.rate_shock.lerp(1.0 - u_m);
                let ds = ftq.credit_spread_shock.lerp(u_m);
                p.rate_shock = dy as f32;
                p.credit_spread_shock = ds as f32;
                for (c, &kind) in self.kinds.iter().enumerate() {
                    let sens = risk_index(kind).map_or(1.0, |k| SENSITIVITY_FLIGHT_TO_QUALITY[k]);
                    let mut shock = shock_at(kind, severity_of(sens, s, c));
                    // Class-level price moves follow the duration route too, for positions that
                    // carry no route flag of their own (first order: no convexity at class level).
                    match kind {
                        ClassKind::FixedIncome => {
                            shock.price_shock = -ftq.reference_duration_fixed_income * dy
                        }
                        ClassKind::Credit => {
                            shock.price_shock = -ftq.reference_duration_credit * (dy + ds)
                        }
                        _ => {}
                    }
                    set_class(p, c, &shock);
                }
                (s, s)
            }
            Random::FundingLiquidityShock => {
                let fls = &cfg.funding_liquidity_shock;
                let s = fls.severity.lerp(u_m);
                p.family = family::FUNDING_LIQUIDITY_SHOCK;
                for (c, &kind) in self.kinds.iter().enumerate() {
                    let sens = risk_index(kind).map_or(1.0, |k| SENSITIVITY_FUNDING[k]);
                    set_class(p, c, &shock_at(kind, severity_of(sens, s, c)));
                }
                (s, s)
            }
        }
    }
}

/// A calm scenario: no market shock on any class, onset beyond the last simulated day (so the
/// stress profile `g` stays 0), redemption multipliers 1 and severity 0, no funding shock, no
/// recovery to make, the normal regime. Flows run at the segments' calm rates with the fund's
/// own flow noise; market noise is the normal regime's.
pub fn calm_params(cfg: &ScenarioConfig, horizon: u32) -> ScenarioParams {
    let mut p = neutral_params();
    p.family = family::CALM;
    p.onset = horizon;
    p.ramp = 1;
    p.plateau = 0;
    p.half_life = 1.0;
    p.regime = regime::NORMAL;
    p.rho = cfg.regimes.normal as f32;
    p.redemption_mult = 1.0;
    p.redemption_severity = 0.0;
    p.large_mult = 1.0;
    p
}

/// A whole number of days uniform on the span (either order).
fn uniform_days(rng: &mut ChaCha8Rng, span: Span<u32>) -> u32 {
    let (lo, hi) = (span.0.min(span.1), span.0.max(span.1));
    rng.random_range(lo..=hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categorical_respects_zero_weights_and_positions() {
        let c = Categorical::new([0.0, 1.0, 0.0, 3.0]);
        assert_eq!(c.pick(0.0), (1, 0.0));
        assert_eq!(c.pick(0.125).0, 1);
        assert!((c.pick(0.125).1 - 0.5).abs() < 1e-12);
        assert_eq!(c.pick(0.25).0, 3);
        assert_eq!(c.pick(0.999_999_9).0, 3);
        assert_eq!(c.pick(1.0), (3, 1.0));
        let none = Categorical::new([0.0, f64::NAN, -1.0]);
        assert_eq!(none.pick(0.3), (0, 0.3));
    }

    #[test]
    fn severity_moves_every_risk_field_toward_stress() {
        let ranges = MarketRanges::default();
        for kind in [
            ClassKind::Equity,
            ClassKind::FixedIncome,
            ClassKind::Credit,
            ClassKind::Alternative,
        ] {
            let mild = risk_class_shock(&ranges, kind, 0.0);
            let worst = risk_class_shock(&ranges, kind, 1.0);
            assert_eq!((mild.depth_cut, worst.depth_cut), (0.5, 0.95));
            assert!(
                (mild.spread_mult - 2.0).abs() < 1e-12 && (worst.spread_mult - 20.0).abs() < 1e-9
            );
            assert!(worst.price_shock < mild.price_shock, "{kind:?}");
            assert!(worst.vol_mult > mild.vol_mult);
            let crowd = Span(0.02, 0.25);
            let (c0, c1) = (
                with_crowding(mild, kind, crowd, 0.0).crowding,
                with_crowding(worst, kind, crowd, 1.0).crowding,
            );
            assert_eq!((c0, c1), (0.02, 0.25), "{kind:?}");
        }
        // Geometric interpolation: halfway between 2x and 20x is about 6.3x.
        let mid = risk_class_shock(&ranges, ClassKind::Equity, 0.5);
        assert!((mid.spread_mult - (2.0f64 * 20.0).sqrt()).abs() < 1e-9);
        let cash = cash_like_shock(1.0);
        assert!(cash.depth_cut <= 0.1 && cash.spread_mult <= 1.5 && cash.crowding == 0.0);
        let cash = with_crowding(cash, ClassKind::CashLike, Span(0.5, 1.0), 1.0);
        assert_eq!(cash.crowding, 0.0, "a cash-like class keeps no crowding");
    }
}
