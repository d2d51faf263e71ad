//! The early-warning indicator that warns earliest (`redemption_policy.early_warning.longest_lead`
//! in `summary.json`), quoted by the report under the lead-time chart.

use serde::Serialize;

use super::early_warning::{shared_series, EarlyWarningRow};
use undertow_kernel::indicator;

/// The indicator with the longest median lead time.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LongestLead {
    pub indicator: String,
    /// Median lead, business days: at the calibrated threshold on the held-out half, else at the
    /// fund's own threshold on every scenario.
    pub days: f64,
    /// Held-out hit rate at the calibrated threshold (`None` when the indicator has none).
    pub hit_rate: Option<f64>,
}

/// Whether the row's indicator may be credited with a lead: it shares no series with the event
/// or a gate trigger ([`shared_series`]; an unknown name is not credited).
fn credited(r: &EarlyWarningRow) -> bool {
    indicator::NAMES
        .iter()
        .position(|n| *n == r.indicator)
        .is_some_and(|k| shared_series(k).is_none())
}

/// The credited indicator whose median lead (at the calibrated threshold held out, else at the
/// fund's own) is longest; on a tie the first; `None` when no credited indicator has a lead
/// time. Indicators sharing a series with the event or a gate trigger are skipped.
pub fn longest_lead(rows: &[EarlyWarningRow]) -> Option<LongestLead> {
    let finite = |x: Option<f64>| x.filter(|v| v.is_finite());
    let mut longest: Option<LongestLead> = None;
    for r in rows.iter().filter(|r| credited(r)) {
        // A calibrated indicator counts its held-out lead only (no fallback to the fund's own
        // threshold when it warned of nothing held out).
        let lead = if r.best_threshold.is_some() {
            finite(r.best_median_lead_days)
        } else {
            finite(r.median_lead_days)
        };
        let Some(days) = lead else {
            continue;
        };
        if longest.as_ref().is_none_or(|l| days > l.days) {
            longest = Some(LongestLead {
                indicator: r.indicator.to_string(),
                days,
                hit_rate: r.best_hit_rate,
            });
        }
    }
    longest
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redemption_policy::early_warning::Direction;

    fn row(name: &'static str, lead: Option<f64>, best_lead: Option<f64>) -> EarlyWarningRow {
        row_with(name, lead, best_lead, None)
    }

    fn row_with(
        name: &'static str,
        lead: Option<f64>,
        best_lead: Option<f64>,
        calibrated_without_lead: Option<f64>,
    ) -> EarlyWarningRow {
        EarlyWarningRow {
            indicator: name,
            direction: Direction::Above,
            enabled: true,
            threshold: 0.05,
            hit_rate: 0.5,
            false_alarm_rate: 0.2,
            median_lead_days: lead,
            mean_lead_days: lead,
            best_threshold: best_lead.map(|_| 0.07).or(calibrated_without_lead),
            best_hit_rate: best_lead.map(|_| 0.4),
            best_false_alarm_rate: best_lead.map(|_| 0.1),
            best_median_lead_days: best_lead,
            best_mean_lead_days: best_lead,
            levels: Vec::new(),
        }
    }

    #[test]
    fn the_longest_lead_prefers_the_calibrated_one_and_the_first_on_a_tie() {
        let rows = [
            row("queued_redemptions", Some(9.0), Some(2.0)),
            row("large_investor_notices", Some(4.0), None),
            row("top10_share", None, Some(4.0)),
            row("investor_hhi", None, None),
        ];
        // queued counts 2 (calibrated), notices 4 (its own), top-10 4 (a tie: notices stay).
        let l = longest_lead(&rows).unwrap();
        assert_eq!(
            (l.indicator.as_str(), l.days, l.hit_rate),
            ("large_investor_notices", 4.0, None)
        );
        let l = longest_lead(&rows[2..]).unwrap();
        assert_eq!(
            (l.indicator.as_str(), l.hit_rate),
            ("top10_share", Some(0.4))
        );
        assert_eq!(longest_lead(&rows[3..]), None);
        assert_eq!(
            longest_lead(&[row("spread_index", Some(f64::NAN), None)]),
            None
        );
    }

    #[test]
    fn flagged_indicators_are_never_credited_with_the_longest_lead() {
        // requests_30d is the gate's trigger series and nav_drawdown the event's: however long
        // their leads, the credited depth index is the answer.
        let rows = [
            row("requests_30d", None, Some(30.0)),
            row("nav_drawdown", None, Some(25.0)),
            row("depth_index", None, Some(3.0)),
            row("not_an_indicator", None, Some(40.0)),
        ];
        let l = longest_lead(&rows).unwrap();
        assert_eq!((l.indicator.as_str(), l.days), ("depth_index", 3.0));
        assert_eq!(longest_lead(&rows[..2]), None);
        // Calibrated but silent held out: its own threshold's lead is not a fallback.
        let silent = [row_with("volume_index", Some(50.0), None, Some(0.3))];
        assert_eq!(longest_lead(&silent), None);
    }
}
