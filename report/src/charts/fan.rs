//! Fan charts: per-day quantile bands of a path and its median.

use plotters::prelude::*;

use super::{draw, extent, frame, legend, padded, swatch, Axis, Chart, Meta, HEIGHT, WIDTH};
use crate::ReportError;

/// Fan chart: per-day 5–95% and 25–75% bands and the median. `bands[d] = [q05, q25, q50, q75,
/// q95]` for day `d + 1`; values are multiplied by `scale` (100 for percentages).
pub(crate) fn fan(
    meta: Meta,
    bands: &[[f64; 5]],
    scale: f64,
    y_fmt: fn(f64) -> String,
    color: RGBColor,
    legend_at: SeriesLabelPosition,
) -> Result<Chart, ReportError> {
    let days: Vec<(f64, [f64; 5])> = bands
        .iter()
        .enumerate()
        .filter(|(_, b)| b.iter().all(|v| v.is_finite()))
        .map(|(i, b)| ((i + 1) as f64, b.map(|v| v * scale)))
        .collect();
    let n = days.last().map_or(1.0, |d| d.0);
    let (ylo, yhi) = padded(
        extent(days.iter().flat_map(|d| [d.1[0], d.1[4]])),
        0.06,
        false,
    );
    draw(meta, (WIDTH, HEIGHT), move |root, meta| {
        root.fill(&WHITE)?;
        let x = Axis::numeric(1.0, n.max(2.0), 10, |v| format!("{v:.0}"));
        let y = Axis::numeric(ylo, yhi, 8, y_fmt);
        let mut chart = frame(root, meta, x, y, 78)?;
        let band = |lo: usize, hi: usize| -> Vec<(f64, f64)> {
            days.iter()
                .map(|(d, b)| (*d, b[hi]))
                .chain(days.iter().rev().map(|(d, b)| (*d, b[lo])))
                .collect()
        };
        let outer = color.mix(0.18);
        let inner = color.mix(0.38);
        chart
            .draw_series(std::iter::once(Polygon::new(band(0, 4), outer.filled())))?
            .label("5–95% of scenarios")
            .legend(move |at| swatch(at, outer.filled()));
        chart
            .draw_series(std::iter::once(Polygon::new(band(1, 3), inner.filled())))?
            .label("25–75%")
            .legend(move |at| swatch(at, inner.filled()));
        chart
            .draw_series(LineSeries::new(
                days.iter().map(|(d, b)| (*d, b[2])),
                color.stroke_width(2),
            ))?
            .label("median")
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
            });
        legend(&mut chart, legend_at)
    })
}
