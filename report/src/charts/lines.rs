//! Line charts (solid or dashed series, optional markers) on numeric or log axes.

use plotters::prelude::*;

use super::{draw, finite2, frame, legend, Axis, Chart, Meta, HEIGHT, WIDTH};
use crate::ReportError;

/// How a line is drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Stroke {
    Solid,
    Dashed,
}

/// One series of a line chart.
pub(crate) struct Line {
    pub name: String,
    pub color: RGBColor,
    pub points: Vec<(f64, f64)>,
    pub stroke: Stroke,
    pub markers: bool,
}

/// A line chart on the given axes (log axes take `ln x` already: see [`Axis::log`]).
pub(crate) fn lines(
    meta: Meta,
    x: Axis,
    y: Axis,
    series: Vec<Line>,
    legend_at: SeriesLabelPosition,
) -> Result<Chart, ReportError> {
    draw(meta, (WIDTH, HEIGHT), move |root, meta| {
        root.fill(&WHITE)?;
        let mut chart = frame(root, meta, x, y, 78)?;
        for line in &series {
            let pts: Vec<(f64, f64)> = line.points.iter().copied().filter(finite2).collect();
            if pts.is_empty() {
                continue;
            }
            let color = line.color;
            let style = color.stroke_width(2);
            let anno = match line.stroke {
                Stroke::Solid => chart.draw_series(LineSeries::new(pts.clone(), style))?,
                Stroke::Dashed => {
                    chart.draw_series(DashedLineSeries::new(pts.clone(), 8, 5, style))?
                }
            };
            let dashed = line.stroke == Stroke::Dashed;
            anno.label(line.name.as_str())
                .legend(move |at| line_sample!(at, color, dashed));
            if line.markers {
                chart.draw_series(pts.iter().map(|p| Circle::new(*p, 4, color.filled())))?;
            }
        }
        legend(&mut chart, legend_at)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::PALETTE;

    #[test]
    fn chart_svg_has_title_axis_labels_and_marks() {
        let meta = Meta::new("t", "A <title>", "x (days)", "y (% of NAV)", "read");
        let chart = lines(
            meta,
            Axis::numeric(0.0, 10.0, 5, |v| format!("{v:.0}")),
            Axis::numeric(0.0, 1.0, 5, |v| format!("{v:.1}")),
            vec![Line {
                name: "s".into(),
                color: PALETTE[0],
                points: vec![(0.0, 0.0), (5.0, f64::NAN), (10.0, 1.0)],
                stroke: Stroke::Solid,
                markers: true,
            }],
            SeriesLabelPosition::UpperLeft,
        )
        .unwrap();
        assert!(chart.svg.starts_with("<svg class=\"chart\" id=\"chart-t\""));
        assert!(chart.svg.contains("A &lt;title&gt;"));
        assert!(chart.svg.contains("x (days)") && chart.svg.contains("y (% of NAV)"));
        assert!(chart.svg.contains("<polyline"));
        assert!(!chart.svg.contains("NaN") && !chart.svg.contains("http"));
    }
}
