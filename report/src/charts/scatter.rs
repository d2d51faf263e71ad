//! Grouped scatter plots (colour by one grouping, marker shape by another) with error bars, and
//! where to put a legend so that it hides the fewest points.

use plotters::prelude::*;

use super::{
    draw, extent, frame, legend, padded, Axis, Chart, Ctx, DrawResult, Meta, HEIGHT, INK, PALETTE,
    WIDTH,
};
use crate::ReportError;

/// A point of a grouped scatter: colour group, shape group, filled or hollow, optional error bar.
pub(crate) struct ScatterPoint {
    pub x: f64,
    pub y: f64,
    pub err: Option<f64>,
    pub color_group: usize,
    pub shape_group: usize,
    pub filled: bool,
}

/// A scatter with colours for one grouping (`color_names`) and marker shapes for another
/// (`shape_names`: circle, triangle, square, cross), error bars of ±`err`.
pub(crate) fn scatter(
    meta: Meta,
    points: Vec<ScatterPoint>,
    color_names: Vec<String>,
    shape_names: Vec<String>,
    y_fmt: fn(f64) -> String,
) -> Result<Chart, ReportError> {
    let pts: Vec<ScatterPoint> = points
        .into_iter()
        .filter(|p| p.x.is_finite() && p.y.is_finite())
        .collect();
    let (xlo, xhi) = padded(extent(pts.iter().map(|p| p.x)), 0.08, true);
    let (ylo, yhi) = padded(
        extent(pts.iter().flat_map(|p| {
            let e = p.err.filter(|e| e.is_finite()).unwrap_or(0.0);
            [p.y - e, p.y + e]
        })),
        0.08,
        true,
    );
    // The legend goes where it hides the fewest points and error bars.
    let marks: Vec<(f64, f64)> = pts
        .iter()
        .flat_map(|p| {
            let e = p.err.filter(|e| e.is_finite()).unwrap_or(0.0);
            [(p.x, p.y), (p.x, p.y + e), (p.x, p.y + e / 2.0)]
        })
        .collect();
    let legend_at = quiet_corner(&marks, (xlo, xhi), (ylo.max(0.0), yhi));
    draw(meta, (WIDTH, HEIGHT + 40), move |root, meta| {
        root.fill(&WHITE)?;
        let x = Axis::numeric(xlo, xhi, 10, |v| format!("{v:.0}"));
        let y = Axis::numeric(ylo.max(0.0), yhi, 8, y_fmt);
        let mut chart = frame(root, meta, x, y, 78)?;
        for p in &pts {
            let color = PALETTE[p.color_group % PALETTE.len()];
            if let Some(e) = p.err.filter(|e| e.is_finite() && *e > 0.0) {
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(p.x, (p.y - e).max(0.0)), (p.x, p.y + e)],
                    color.mix(0.6).stroke_width(1),
                )))?;
            }
            let style = if p.filled {
                color.filled()
            } else {
                color.stroke_width(2)
            };
            marker(&mut chart, (p.x, p.y), p.shape_group, style)?;
        }
        for (i, name) in color_names.iter().enumerate() {
            let c = PALETTE[i % PALETTE.len()];
            chart
                .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
                .label(name.as_str())
                .legend(move |(x, y)| Circle::new((x + 9, y), 5, c.filled()));
        }
        for (i, name) in shape_names.iter().enumerate() {
            let anno = chart.draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?;
            anno.label(name.as_str());
            match i % 4 {
                0 => anno.legend(|(x, y)| {
                    EmptyElement::at((x, y)) + Circle::new((9, 0), 5, INK.filled())
                }),
                1 => anno.legend(|(x, y)| {
                    EmptyElement::at((x, y)) + TriangleMarker::new((9, 0), 6, INK.filled())
                }),
                2 => anno.legend(|(x, y)| {
                    EmptyElement::at((x, y)) + Rectangle::new([(4, -5), (14, 5)], INK.filled())
                }),
                _ => anno.legend(|(x, y)| {
                    EmptyElement::at((x, y)) + Cross::new((9, 0), 5, INK.stroke_width(2))
                }),
            };
        }
        legend(&mut chart, legend_at)
    })
}

/// The corner of the plot (a box of 40% of its width and height) holding the fewest of
/// `points`; ties go to the upper right, then upper left.
pub(crate) fn quiet_corner(
    points: &[(f64, f64)],
    (xlo, xhi): (f64, f64),
    (ylo, yhi): (f64, f64),
) -> SeriesLabelPosition {
    let frac = |v: f64, lo: f64, hi: f64| (v - lo) / (hi - lo);
    let corners = [
        (SeriesLabelPosition::UpperRight, 0.6, 1.0, 0.6, 1.0),
        (SeriesLabelPosition::UpperLeft, 0.0, 0.4, 0.6, 1.0),
        (SeriesLabelPosition::LowerRight, 0.6, 1.0, 0.0, 0.4),
        (SeriesLabelPosition::LowerLeft, 0.0, 0.4, 0.0, 0.4),
    ];
    let mut best = (usize::MAX, SeriesLabelPosition::UpperRight);
    for (pos, x0, x1, y0, y1) in corners {
        let n = points
            .iter()
            .filter(|(x, y)| {
                let (fx, fy) = (frac(*x, xlo, xhi), frac(*y, ylo, yhi));
                fx >= x0 && fx <= x1 && fy >= y0 && fy <= y1
            })
            .count();
        if n < best.0 {
            best = (n, pos);
        }
    }
    best.1
}

fn marker<'a, 'b: 'a>(
    chart: &mut Ctx<'a, 'b>,
    p: (f64, f64),
    shape: usize,
    style: ShapeStyle,
) -> DrawResult {
    match shape % 4 {
        0 => {
            chart.draw_series(std::iter::once(Circle::new(p, 6, style)))?;
        }
        1 => {
            chart.draw_series(std::iter::once(TriangleMarker::new(p, 7, style)))?;
        }
        2 => {
            chart.draw_series(std::iter::once(
                EmptyElement::at(p) + Rectangle::new([(-5, -5), (5, 5)], style),
            ))?;
        }
        _ => {
            chart.draw_series(std::iter::once(Cross::new(p, 6, style)))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_legend_avoids_the_points() {
        let pick =
            |pts: &[(f64, f64)]| format!("{:?}", quiet_corner(pts, (0.0, 10.0), (0.0, 10.0)));
        assert_eq!(pick(&[]), "UpperRight");
        assert_eq!(pick(&[(9.0, 9.0)]), "UpperLeft");
        assert_eq!(pick(&[(9.0, 9.0), (1.0, 9.0)]), "LowerRight");
        assert_eq!(pick(&[(9.0, 9.0), (1.0, 9.0), (9.0, 1.0)]), "LowerLeft");
    }
}
