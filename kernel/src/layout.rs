//! Where each piece of a scenario's state lives: a flat array of words, scalars first, then the
//! per-position, ring and per-holder arrays.
//!
//! The CPU keeps one `Vec<T>` per scenario; the GPU keeps the same slots structure-of-arrays
//! (`word = slot * n_scenarios + scenario`), so neighbouring invocations read neighbouring words.
//! WGSL twin: `shaders/wgsl/layout.wgsl` (the offsets arrive there in a uniform record).

use crate::params::{FundParams, HORIZONS, N_INDICATORS};

/// Length of the trailing-flow rings (covers the 30-day windows).
pub const TRAIL: u32 = 32;

/// Scalar slots. Money in initial-NAV units; days and counters as exact floats.
pub mod slot {
    pub const CASH: u32 = 0;
    pub const DEBT: u32 = 1;
    /// Shares outstanding `N`.
    pub const SHARES: u32 = 2;
    /// Unpaid redemption payables carried forward.
    pub const ARREARS: u32 = 3;
    /// Today's NAV at valuation (after settlement), then at the end of the day.
    pub const NAV: u32 = 4;
    /// Today's NAV per share at valuation: redemptions are struck at it.
    pub const NU: u32 = 5;
    /// Highest end-of-day NAV per share so far.
    pub const NU_PEAK: u32 = 6;
    /// End-of-day NAV per share of the previous day.
    pub const NU_PREV: u32 = 7;
    /// End-of-day ALR of the previous day.
    pub const ALR_PREV: u32 = 8;
    /// 1 when a gate was active on the previous dealing day.
    pub const GATE_PREV: u32 = 9;
    /// Dealing days the current gate must still stay on.
    pub const GATE_DAYS_LEFT: u32 = 10;
    /// Stress composite at the end of the previous day.
    pub const STRESS_PREV: u32 = 11;
    /// Stress profile today and yesterday.
    pub const G: u32 = 12;
    pub const G_PREV: u32 = 13;
    /// Accepted redemption value today (cash part), handed from policy to liquidation.
    pub const ACC_TODAY_CASH: u32 = 14;
    /// Accepted redemption value today (all, including in kind), for crowding and OUT5.
    pub const ACC_TODAY: u32 = 15;
    /// 1 when the gate is active today.
    pub const GATE_TODAY: u32 = 16;
    /// 1 when a shortfall arose today.
    pub const SHORTFALL_TODAY: u32 = 17;
    /// Independent NAV audit: initial NAV plus every profit and loss.
    pub const NAV_PNL: u32 = 18;
    /// Cumulative accepted cash redemptions (for buffer exhaustion).
    pub const CUM_ACC_CASH: u32 = 19;
    /// Share counters for the conservation audit.
    pub const REQ_SHARES: u32 = 20;
    pub const ACC_SHARES: u32 = 21;
    /// Large investors that have served notice so far.
    pub const LARGE_NOTICES: u32 = 22;

    // Output accumulators (MODEL.md section 5).
    pub const REQUESTED: u32 = 23;
    pub const ACCEPTED: u32 = 24;
    pub const PAID: u32 = 25;
    pub const GATE_DAYS: u32 = 26;
    pub const FIRST_GATE: u32 = 27;
    pub const SHORTFALL_PEAK: u32 = 28;
    pub const FIRST_SHORTFALL: u32 = 29;
    pub const COST_SPREAD: u32 = 30;
    pub const COST_IMPACT: u32 = 31;
    pub const MAX_DD: u32 = 32;
    pub const MIN_ALR: u32 = 33;
    pub const MIN_CASH: u32 = 34;
    pub const BUFFER_EXHAUSTED: u32 = 35;
    pub const PEAK_FUNDING: u32 = 36;
    pub const SWING_INCOME: u32 = 37;
    pub const FIRST_ILLIQUID: u32 = 38;
    pub const EVENT_DAY: u32 = 39;
    pub const PORTFOLIO_SOLD: u32 = 40;
    pub const IN_KIND: u32 = 41;
    pub const FUNDING_COST: u32 = 42;
    pub const ILLIQUID_SHARE: u32 = 43;
    /// Horizon snapshots: cumulative accepted outflow, requested outflow and cost.
    pub const CUM_OUTFLOW: u32 = 44;
    pub const CUM_REQUESTED: u32 = CUM_OUTFLOW + 4;
    pub const CUM_COST: u32 = CUM_REQUESTED + 4;
    /// First breach day of each early-warning indicator.
    pub const EW_FIRST: u32 = CUM_COST + 4;
    /// Running totals of the receivable and payable rings (kept in step with every change, so
    /// that valuation need not sum the rings).
    pub const RCV_TOTAL: u32 = EW_FIRST + super::N_INDICATORS as u32;
    pub const PAY_TOTAL: u32 = RCV_TOTAL + 1;
    /// Number of scalar slots.
    pub const COUNT: u32 = PAY_TOTAL + 1;
}

const _: () = assert!(HORIZONS.len() == 4);
const _: () = assert!(N_INDICATORS == 14);

/// Offsets of the array parts of the state for one fund's sizes. Bound as a uniform on the GPU;
/// WGSL twin: `Layout` in `shaders/wgsl/layout.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct Layout {
    pub n_positions: u32,
    pub n_holders: u32,
    pub ring: u32,
    /// Holdings `h_p` in units.
    pub hold: u32,
    /// Log prices `x_p`.
    pub log_price: u32,
    /// Prices `exp(x_p)`, set with the log price so that valuation needs no `exp`.
    pub price: u32,
    /// Permanent impact (log) to apply at the next day's price update.
    pub perm: u32,
    /// Cumulative permanent impact (log), for the mark-to-market loss.
    pub perm_cum: u32,
    /// Transient displacement (log) of the fund's own impact still in the price; it decays with
    /// `impact_half_life`.
    pub trans: u32,
    /// Adaptive model's decayed past selling `A_p`.
    pub adapt: u32,
    /// Yesterday's sale, for the adaptive update.
    pub last_sale: u32,
    /// Liquidation scratch: half spread, impact scale, depth, impact offset, cap, penalty, sale,
    /// and the reciprocals of depth and scale (the searches multiply by them).
    pub lq_half_spread: u32,
    pub lq_scale: u32,
    pub lq_depth: u32,
    pub lq_offset: u32,
    pub lq_cap: u32,
    pub lq_penalty: u32,
    pub lq_sale: u32,
    pub lq_inv_depth: u32,
    pub lq_inv_scale: u32,
    /// Receivables ring (sale proceeds by settlement day).
    pub receivables: u32,
    /// Payables ring (accepted redemptions by payment day).
    pub payables: u32,
    /// Trailing rings of requested and accepted redemption value per day.
    pub req_trail: u32,
    pub acc_trail: u32,
    /// Shares held by each holder (segments, then large investors).
    pub held: u32,
    /// Shares due for dealing (their notice has run), including gated deferrals.
    pub due: u32,
    /// Shares requested and still serving notice (the sum of the holder's queue).
    pub queued: u32,
    /// Shares queued by due day: `queue + holder * ring + day % ring`.
    pub queue: u32,
    /// Large investors that have served notice (0/1).
    pub gone: u32,
    /// Total words per scenario.
    pub len: u32,
    pub _pad1: u32,
    pub _pad2: u32,
}

const _: () = assert!(std::mem::size_of::<Layout>() == 4 * 32);

impl Layout {
    pub fn new(p: &FundParams) -> Layout {
        let np = p.n_positions;
        let nh = p.n_segments + p.n_large;
        let ring = p.ring;
        let mut at = slot::COUNT;
        let mut take = |n: u32| {
            let o = at;
            at += n;
            o
        };
        let hold = take(np);
        let log_price = take(np);
        let price = take(np);
        let perm = take(np);
        let perm_cum = take(np);
        let trans = take(np);
        let adapt = take(np);
        let last_sale = take(np);
        let lq_half_spread = take(np);
        let lq_scale = take(np);
        let lq_depth = take(np);
        let lq_offset = take(np);
        let lq_cap = take(np);
        let lq_penalty = take(np);
        let lq_sale = take(np);
        let lq_inv_depth = take(np);
        let lq_inv_scale = take(np);
        let receivables = take(ring);
        let payables = take(ring);
        let req_trail = take(TRAIL);
        let acc_trail = take(TRAIL);
        let held = take(nh);
        let due = take(nh);
        let queued = take(nh);
        let queue = take(nh * ring);
        let gone = take(p.n_large);
        Layout {
            n_positions: np,
            n_holders: nh,
            ring,
            hold,
            log_price,
            price,
            perm,
            perm_cum,
            trans,
            adapt,
            last_sale,
            lq_half_spread,
            lq_scale,
            lq_depth,
            lq_offset,
            lq_cap,
            lq_penalty,
            lq_sale,
            lq_inv_depth,
            lq_inv_scale,
            receivables,
            payables,
            req_trail,
            acc_trail,
            held,
            due,
            queued,
            queue,
            gone,
            len: at,
            _pad1: 0,
            _pad2: 0,
        }
    }
}
