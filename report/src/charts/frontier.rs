//! The buffer frontier: compositions, the efficient frontier, marked points and a target line.

use plotters::prelude::*;

use super::{
    draw, extent, finite2, frame, legend, padded, Axis, Chart, Meta, HEIGHT, MUTED, PALETTE, WIDTH,
};
use crate::ReportError;

/// A marked point on a scatter chart.
pub(crate) struct Mark {
    pub name: String,
    pub color: RGBColor,
    pub point: (f64, f64),
}

/// The buffer frontier: every composition (grey), the frontier (a line through the frontier
/// compositions in cost order), named points, and an optional horizontal target line.
pub(crate) fn frontier(
    meta: Meta,
    all: Vec<(f64, f64)>,
    front: Vec<(f64, f64)>,
    marks: Vec<Mark>,
    target: Option<(String, f64)>,
    y_fmt: fn(f64) -> String,
) -> Result<Chart, ReportError> {
    let xs = all
        .iter()
        .chain(&front)
        .chain(marks.iter().map(|m| &m.point))
        .map(|p| p.0);
    let ys = all
        .iter()
        .chain(&front)
        .chain(marks.iter().map(|m| &m.point))
        .map(|p| p.1)
        .chain(target.iter().map(|t| t.1));
    let (xlo, xhi) = padded(extent(xs), 0.05, true);
    let (ylo, yhi) = padded(extent(ys), 0.05, false);
    draw(meta, (WIDTH, HEIGHT + 40), move |root, meta| {
        root.fill(&WHITE)?;
        let x = Axis::numeric(xlo, xhi, 10, |v| format!("{v:.0}"));
        let y = Axis::numeric(ylo, yhi.min(105.0).max(ylo + 1.0), 8, y_fmt);
        let mut chart = frame(root, meta, x, y, 78)?;
        let grey = MUTED;
        chart
            .draw_series(
                all.iter()
                    .filter(|p| finite2(p))
                    .map(|p| Circle::new(*p, 4, grey.filled())),
            )?
            .label("composition searched")
            .legend(move |(x, y)| Circle::new((x + 9, y), 4, grey.filled()));
        let mut front: Vec<(f64, f64)> = front.into_iter().filter(finite2).collect();
        front.sort_by(|a, b| a.0.total_cmp(&b.0));
        let blue = PALETTE[0];
        chart
            .draw_series(LineSeries::new(front.clone(), blue.stroke_width(2)))?
            .label("efficient frontier")
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], blue.stroke_width(2))
            });
        chart.draw_series(front.iter().map(|p| Circle::new(*p, 3, blue.filled())))?;
        if let Some((name, t)) = &target {
            let red = PALETTE[3];
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(xlo, *t), (xhi, *t)],
                    8,
                    5,
                    red.stroke_width(1),
                ))?
                .label(name.as_str())
                .legend(move |at| line_sample!(at, red, true));
        }
        for m in marks.iter().filter(|m| finite2(&m.point)) {
            let c = m.color;
            chart
                .draw_series(std::iter::once(Circle::new(m.point, 8, c.stroke_width(3))))?
                .label(m.name.as_str())
                .legend(move |(x, y)| Circle::new((x + 9, y), 6, c.stroke_width(3)));
        }
        legend(&mut chart, SeriesLabelPosition::LowerRight)
    })
}
