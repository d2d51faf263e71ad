//! The synthetic market history shipped as `examples/market_history.csv`: a deterministic
//! generator of daily `date,id,close,volume,bid,ask` rows for a fund's positions, calm at the
//! fund file's own ADV, spread and volatility, with two stress episodes. **Synthetic**: no row is
//! an observed price. `cargo run -p undertow-calibrate --example market_history` writes the file
//! (docs/market-data.md, "The example file").
//!
//! The model, per position `i` (calm values `adv_i`, `s_i` (spread), `sigma_i` from the fund file)
//! and business day `t` (Monday to Friday; no holiday calendar), with `h(t)` in [0, 1] the
//! episodes' stress profile (0 outside them, rising linearly from the episode's start to its peak
//! and falling linearly to its end, scaled by the episode's peak):
//!
//! - spread `s_i (1 + (W_k - 1) h) exp(0.15 z)` (median 1: the calm median spread is `s_i`), `W_k` the class kind's multiple
//!   (equity 4, fixed income 3, credit 5, alternative 3.5, cash-like 1.2);
//! - log return `sigma_i / sqrt(252) (1 + (V - 1) h) z + dR(t)`, `V` = 3, and `dR` the episode's
//!   price path: a fall of `R_k h` (equity -0.30, fixed income -0.04, credit -0.15, alternative
//!   -0.20, cash-like 0) as `h` rises, of which a share (`recovery`) is won back as `h` falls;
//! - volume (units) `adv_i / close (1 + 1.0 h)` while `h` rises (the sell-off's surge),
//!   `adv_i / close (1 - 0.5 h)` while it falls (depth drying up), times `exp(0.3 z - 0.045)`;
//! - `z` independent standard normals from a SplitMix64 stream per position (seed 2020), through
//!   Box-Muller. Prices start at 100 and are written to 4 decimals, volumes to whole units.

use std::fmt::Write as _;

use chrono::{Datelike, NaiveDate, Weekday};
use undertow_host::fund::{ClassKind, Fund};

/// One stress episode of the synthetic history.
#[derive(Clone, Copy, Debug)]
pub struct Episode {
    pub name: &'static str,
    pub start: NaiveDate,
    pub peak: NaiveDate,
    pub end: NaiveDate,
    /// `h` at the peak, in (0, 1].
    pub height: f64,
    /// Share of the fall won back by the end.
    pub recovery: f64,
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid constant date")
}

/// The shipped episodes: a March-2020-like one and a milder autumn-2022 one.
pub fn example_episodes() -> Vec<Episode> {
    vec![
        Episode {
            name: "covid_2020",
            start: ymd(2020, 2, 24),
            peak: ymd(2020, 3, 23),
            end: ymd(2020, 4, 30),
            height: 1.0,
            recovery: 0.6,
        },
        Episode {
            name: "autumn_2022",
            start: ymd(2022, 9, 23),
            peak: ymd(2022, 10, 12),
            end: ymd(2022, 10, 31),
            height: 0.4,
            recovery: 0.8,
        },
    ]
}

/// First and last dates of the shipped history.
pub const EXAMPLE_FIRST: (i32, u32, u32) = (2018, 1, 2);
pub const EXAMPLE_LAST: (i32, u32, u32) = (2023, 12, 29);
/// The generator's seed for the shipped file.
pub const EXAMPLE_SEED: u64 = 2020;

/// Business days (Monday to Friday) from `first` to `last`, both included.
pub fn business_days(first: NaiveDate, last: NaiveDate) -> Vec<NaiveDate> {
    first
        .iter_days()
        .take_while(|d| *d <= last)
        .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        .collect()
}

/// The stress profile `h(t)` and whether it is rising, summed over the episodes (they do not
/// overlap).
pub fn profile(date: NaiveDate, episodes: &[Episode]) -> (f64, bool) {
    for e in episodes {
        if date >= e.start && date <= e.end {
            let x = |a: NaiveDate, b: NaiveDate| (b - a).num_days() as f64;
            if date <= e.peak {
                return (
                    e.height * x(e.start, date) / x(e.start, e.peak).max(1.0),
                    true,
                );
            }
            return (e.height * x(date, e.end) / x(e.peak, e.end).max(1.0), false);
        }
    }
    (0.0, false)
}

struct SplitMix(u64);

impl SplitMix {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in (0, 1).
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let u = self.uniform();
        let v = self.uniform();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

fn kind_shape(kind: ClassKind) -> (f64, f64) {
    // (spread multiple W, price fall R at h = 1)
    match kind {
        ClassKind::Equity => (4.0, -0.30),
        ClassKind::FixedIncome => (3.0, -0.04),
        ClassKind::Credit => (5.0, -0.15),
        ClassKind::Alternative => (3.5, -0.20),
        ClassKind::CashLike => (1.2, 0.0),
    }
}

/// Volatility multiple at `h` = 1.
pub const SYNTHETIC_VOL_MULT: f64 = 3.0;

/// The synthetic history of `fund`'s positions as CSV text (header included).
pub fn synthetic_market_csv(
    fund: &Fund,
    dates: &[NaiveDate],
    episodes: &[Episode],
    seed: u64,
) -> String {
    let n_pos = fund.spec.positions.len();
    let mut rows: Vec<Vec<String>> = vec![Vec::with_capacity(n_pos); dates.len()];
    for (i, p) in fund.spec.positions.iter().enumerate() {
        let kind = fund
            .classes
            .iter()
            .find(|c| c.name == p.class)
            .map(|c| c.kind)
            .unwrap_or(ClassKind::Equity);
        let (w, fall) = kind_shape(kind);
        let mut rng = SplitMix(seed ^ (0xA5A5_0000_0000_0000u64.wrapping_add(i as u64 * 7919)));
        let s0 = p.spread_bps * 1e-4;
        let daily_vol = p.vol_annual / 252f64.sqrt();
        let mut log_p = 100f64.ln();
        let mut level_prev = 0.0;
        for (t, &date) in dates.iter().enumerate() {
            let (h, rising) = profile(date, episodes);
            // The episodes' price level: the fall as h rises, part won back as it falls.
            let mut level = 0.0;
            for e in episodes {
                if date < e.start {
                    continue;
                }
                let (he, up) = profile(date, std::slice::from_ref(e));
                level += if date > e.end {
                    fall * e.height * (1.0 - e.recovery)
                } else if up {
                    fall * he
                } else {
                    fall * e.height * (1.0 - e.recovery * (1.0 - he / e.height))
                };
            }
            let z_r = rng.normal();
            let z_s = rng.normal();
            let z_v = rng.normal();
            if t > 0 {
                log_p += daily_vol * (1.0 + (SYNTHETIC_VOL_MULT - 1.0) * h) * z_r;
            }
            log_p += level - level_prev;
            level_prev = level;
            let close = (log_p.exp() * 1e4).round() / 1e4;
            let spread = s0 * (1.0 + (w - 1.0) * h) * (0.15 * z_s).exp();
            let vol_mult = if rising { 1.0 + h } else { 1.0 - 0.5 * h };
            let volume = (p.adv / close * vol_mult * (0.3 * z_v - 0.045).exp()).round();
            let bid = (close * (1.0 - 0.5 * spread) * 1e4).round() / 1e4;
            let ask = (close * (1.0 + 0.5 * spread) * 1e4).round() / 1e4;
            rows[t].push(format!(
                "{date},{},{close:.4},{volume:.0},{bid:.4},{ask:.4}",
                p.id
            ));
        }
    }
    let mut out = String::with_capacity(dates.len() * n_pos * 52);
    out.push_str("date,id,close,volume,bid,ask\n");
    for day in rows {
        for r in day {
            let _ = writeln!(out, "{r}");
        }
    }
    out
}

/// The shipped example file's text: the built-in example fund, 2018-01-02 to 2023-12-29.
pub fn example_market_csv() -> String {
    let fund = undertow_host::fund::example_fund();
    let (y0, m0, d0) = EXAMPLE_FIRST;
    let (y1, m1, d1) = EXAMPLE_LAST;
    let dates = business_days(ymd(y0, m0, d0), ymd(y1, m1, d1));
    synthetic_market_csv(&fund, &dates, &example_episodes(), EXAMPLE_SEED)
}
