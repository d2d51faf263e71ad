// Where each piece of a scenario's state lives: scalar slots, then the arrays whose offsets the
// host passes in the `Layout` uniform. The state is structure-of-arrays: word `slot * n + k` holds
// slot `slot` of scenario `k` of the chunk, so neighbouring invocations read neighbouring words.
//
// Rust twin: `kernel/src/layout.rs` (a shaders test checks every constant against it).

// Length of the trailing-flow rings (covers the 30-day windows).
const TRAIL: u32 = 32u;
const SLOT_CASH: u32 = 0u;
const SLOT_DEBT: u32 = 1u;
const SLOT_SHARES: u32 = 2u;
const SLOT_ARREARS: u32 = 3u;
const SLOT_NAV: u32 = 4u;
const SLOT_NU: u32 = 5u;
const SLOT_NU_PEAK: u32 = 6u;
const SLOT_NU_PREV: u32 = 7u;
const SLOT_ALR_PREV: u32 = 8u;
const SLOT_GATE_PREV: u32 = 9u;
const SLOT_GATE_DAYS_LEFT: u32 = 10u;
const SLOT_STRESS_PREV: u32 = 11u;
const SLOT_G: u32 = 12u;
const SLOT_G_PREV: u32 = 13u;
const SLOT_ACC_TODAY_CASH: u32 = 14u;
const SLOT_ACC_TODAY: u32 = 15u;
const SLOT_GATE_TODAY: u32 = 16u;
const SLOT_SHORTFALL_TODAY: u32 = 17u;
const SLOT_NAV_PNL: u32 = 18u;
const SLOT_CUM_ACC_CASH: u32 = 19u;
const SLOT_REQ_SHARES: u32 = 20u;
const SLOT_ACC_SHARES: u32 = 21u;
const SLOT_LARGE_NOTICES: u32 = 22u;
const SLOT_REQUESTED: u32 = 23u;
const SLOT_ACCEPTED: u32 = 24u;
const SLOT_PAID: u32 = 25u;
const SLOT_GATE_DAYS: u32 = 26u;
const SLOT_FIRST_GATE: u32 = 27u;
const SLOT_SHORTFALL_PEAK: u32 = 28u;
const SLOT_FIRST_SHORTFALL: u32 = 29u;
const SLOT_COST_SPREAD: u32 = 30u;
const SLOT_COST_IMPACT: u32 = 31u;
const SLOT_MAX_DD: u32 = 32u;
const SLOT_MIN_ALR: u32 = 33u;
const SLOT_MIN_CASH: u32 = 34u;
const SLOT_BUFFER_EXHAUSTED: u32 = 35u;
const SLOT_PEAK_FUNDING: u32 = 36u;
const SLOT_SWING_INCOME: u32 = 37u;
const SLOT_FIRST_ILLIQUID: u32 = 38u;
const SLOT_EVENT_DAY: u32 = 39u;
const SLOT_PORTFOLIO_SOLD: u32 = 40u;
const SLOT_IN_KIND: u32 = 41u;
const SLOT_FUNDING_COST: u32 = 42u;
const SLOT_ILLIQUID_SHARE: u32 = 43u;
const SLOT_CUM_OUTFLOW: u32 = 44u;
const SLOT_CUM_REQUESTED: u32 = 48u;
const SLOT_CUM_COST: u32 = 52u;
const SLOT_EW_FIRST: u32 = 56u;
const SLOT_RCV_TOTAL: u32 = 70u;
const SLOT_PAY_TOTAL: u32 = 71u;
const SLOT_COUNT: u32 = 72u;

// Offsets of the array parts of the state. Rust twin: `kernel::layout::Layout`.
struct Layout {
    n_positions: u32,
    n_holders: u32,
    ring: u32,
    hold: u32,
    log_price: u32,
    price: u32,
    perm: u32,
    perm_cum: u32,
    trans: u32,
    adapt: u32,
    last_sale: u32,
    lq_half_spread: u32,
    lq_scale: u32,
    lq_depth: u32,
    lq_offset: u32,
    lq_cap: u32,
    lq_penalty: u32,
    lq_sale: u32,
    lq_inv_depth: u32,
    lq_inv_scale: u32,
    receivables: u32,
    payables: u32,
    req_trail: u32,
    acc_trail: u32,
    held: u32,
    due: u32,
    queued: u32,
    queue: u32,
    gone: u32,
    len: u32,
    _pad1: u32,
    _pad2: u32,
}
