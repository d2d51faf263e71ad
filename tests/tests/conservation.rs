//! Conservation every day on thousands of random scenarios of the example fund (MODEL.md 8):
//! the balance-sheet NAV equals the independent profit-and-loss audit, NAV per share times shares
//! is NAV, paid ≤ accepted ≤ requested, no NaN, no negative holdings.

use undertow_host::cpu::key_of;
use undertow_kernel::{simulate_traced, switch, DayTrace, Real, Workspace};
use undertow_tests::example_sweep;

fn check_day(d: &DayTrace, scenario: usize, tol: f64) {
    let ctx = || format!("scenario {scenario}, day {}: {d:?}", d.day);
    let fields = [
        d.nav,
        d.nav_audit,
        d.cash,
        d.holdings,
        d.receivables,
        d.payables,
        d.debt,
        d.shares,
    ];
    assert!(
        fields.iter().all(|v| v.is_finite()),
        "NaN or infinity: {}",
        ctx()
    );
    let balance = d.cash + d.holdings + d.receivables - d.payables - d.arrears - d.debt;
    assert!(
        (balance - d.nav).abs() <= tol,
        "balance sheet {balance} != NAV: {}",
        ctx()
    );
    assert!(
        (d.nav_audit - d.nav).abs() <= tol,
        "P&L audit {} != NAV: {}",
        d.nav_audit,
        ctx()
    );
    assert!(
        (d.nav_per_share * d.shares - d.nav).abs() <= tol,
        "NAV per share x shares != NAV: {}",
        ctx()
    );
    assert!(
        d.accepted_shares <= d.requested_shares * (1.0 + 1e-9) + 1e-12,
        "accepted > requested: {}",
        ctx()
    );
    assert!(d.paid <= d.accepted + tol, "paid > accepted: {}", ctx());
    assert!(d.min_holding >= -1e-9, "negative holding: {}", ctx());
    assert!(
        d.debt >= -1e-12 && d.arrears >= -1e-12 && d.shares > 0.0,
        "{}",
        ctx()
    );
}

fn conservation<T: Real>(n: u64, tol: f64, switches: Option<u32>) {
    let (mut fund, scenarios) = example_sweep(n, 11);
    if let Some(s) = switches {
        fund.model.params.switches = s;
    }
    let mut ws = Workspace::<T>::new(&fund.model);
    let mut days = 0usize;
    for (k, sc) in scenarios.iter().enumerate() {
        simulate_traced(&fund.model, sc, k as u32, key_of(11), &mut ws, |d| {
            check_day(d, k, tol);
            days += 1;
        });
    }
    assert_eq!(days, n as usize * fund.model.params.horizon as usize);
}

#[test]
fn conservation_holds_every_day_in_f64() {
    conservation::<f64>(3000, 1e-9, None);
}

#[test]
fn conservation_holds_every_day_in_f32() {
    conservation::<f32>(1000, 2e-4, None);
}

#[test]
fn conservation_holds_with_every_option_on() {
    let all = switch::DEFAULT | switch::IN_KIND | switch::INVESTOR_GATE | switch::IDIO_NOISE;
    conservation::<f64>(1000, 1e-9, Some(all));
}

#[test]
fn the_audit_catches_a_leak() {
    // A day whose cash is off by one basis point must fail the check.
    let d = DayTrace {
        nav: 1.0,
        nav_audit: 1.0,
        nav_per_share: 1.0,
        shares: 1.0,
        cash: 1.0001,
        ..Default::default()
    };
    let r = std::panic::catch_unwind(|| check_day(&d, 0, 1e-9));
    assert!(r.is_err());
}
