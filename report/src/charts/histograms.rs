//! Overlaid histograms drawn as step lines, with their means.

use plotters::prelude::*;

use super::{draw, extent, frame, legend, padded, Axis, Chart, Meta, HEIGHT, WIDTH};
use crate::ReportError;

/// Histograms as step lines over shared bin `edges`: `shares[i]` is the share of scenarios in
/// `[edges[i], edges[i+1])`; `mean`, when given, is drawn as a dashed vertical line.
pub(crate) struct Histogram {
    pub name: String,
    pub color: RGBColor,
    pub shares: Vec<f64>,
    pub mean: Option<f64>,
}

/// Overlaid histograms (step lines) with their means.
pub(crate) fn histograms(
    meta: Meta,
    edges: Vec<f64>,
    series: Vec<Histogram>,
    scale: f64,
    y_fmt: fn(f64) -> String,
) -> Result<Chart, ReportError> {
    let (xlo, xhi) = padded(extent(edges.iter().copied()), 0.0, false);
    let (_, yhi) = padded(
        extent(
            series
                .iter()
                .flat_map(|s| s.shares.iter().map(|v| v * scale)),
        ),
        0.08,
        true,
    );
    draw(meta, (WIDTH, HEIGHT), move |root, meta| {
        root.fill(&WHITE)?;
        let x = Axis::numeric(xlo, xhi, 12, |v| format!("{v:.0}"));
        let y = Axis::numeric(0.0, yhi, 8, y_fmt);
        let mut chart = frame(root, meta, x, y, 78)?;
        for s in &series {
            let color = s.color;
            let mut pts = Vec::new();
            for (i, w) in edges.windows(2).enumerate() {
                let v = s.shares.get(i).copied().unwrap_or(0.0) * scale;
                if !(w[0].is_finite() && w[1].is_finite() && v.is_finite()) {
                    continue;
                }
                if pts.is_empty() {
                    pts.push((w[0], 0.0));
                }
                pts.push((w[0], v));
                pts.push((w[1], v));
            }
            if let Some(last) = pts.last().copied() {
                pts.push((last.0, 0.0));
            }
            chart
                .draw_series(LineSeries::new(pts, color.stroke_width(2)))?
                .label(s.name.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
                });
            if let Some(m) = s.mean.filter(|m| m.is_finite() && *m >= xlo && *m <= xhi) {
                chart.draw_series(DashedLineSeries::new(
                    vec![(m, 0.0), (m, yhi * 0.97)],
                    6,
                    4,
                    color.stroke_width(1),
                ))?;
            }
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight)
    })
}
