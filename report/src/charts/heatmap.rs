//! Heat maps on two categorical axes, with a colour bar, outlined cells and an overlay line.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::{
    draw, extent, finite2, frame, nice_ticks, text_style, Area, Axis, Chart, DrawResult, Meta,
    GRID, HEIGHT, INK, WIDTH,
};
use crate::ReportError;

/// A cell to outline on a heat map.
pub(crate) struct Highlight {
    pub x: usize,
    pub y: usize,
    pub name: String,
    pub color: RGBColor,
}

/// A heat map: `cells[yi][xi]` coloured on a linear scale from the minimum to the maximum value
/// (missing cells grey), each cell labelled with `cell_fmt`; a colour bar on the right labelled
/// `scale_label`; optional outlined cells and an overlay line in cell-index coordinates.
#[allow(clippy::too_many_arguments)]
pub(crate) fn heatmap(
    meta: Meta,
    x_names: Vec<String>,
    y_names: Vec<String>,
    cells: Vec<Vec<Option<f64>>>,
    cell_fmt: fn(f64) -> String,
    scale_label: String,
    highlights: Vec<Highlight>,
    overlay: Option<(String, Vec<(f64, f64)>)>,
) -> Result<Chart, ReportError> {
    let (vlo, vhi) = nonempty_scale(extent(cells.iter().flatten().flatten().copied()));
    let size = (WIDTH, HEIGHT + 80);
    draw(meta, size, move |root, meta| {
        root.fill(&WHITE)?;
        let (main, bar) = root.split_horizontally(size.0 - 180);
        let x = Axis::categories(x_names);
        let y = Axis::categories(y_names);
        let mut chart = frame(&main, meta, x, y, 96)?;
        let mut rects = Vec::new();
        let mut labels = Vec::new();
        for (yi, row) in cells.iter().enumerate() {
            for (xi, v) in row.iter().enumerate() {
                let (xf, yf) = (xi as f64, yi as f64);
                let corners = [(xf - 0.5, yf - 0.5), (xf + 0.5, yf + 0.5)];
                let mut r = match v {
                    Some(v) => Rectangle::new(corners, ramp((v - vlo) / (vhi - vlo)).filled()),
                    None => Rectangle::new(corners, GRID.filled()),
                };
                r.set_margin(1, 1, 1, 1);
                rects.push(r);
                let (text, dark) = match v {
                    Some(v) => (cell_fmt(*v), (v - vlo) / (vhi - vlo) > 0.55),
                    None => ("n/a".to_string(), false),
                };
                let color: &'static RGBColor = if dark { &WHITE } else { &INK };
                labels.push(Text::new(
                    text,
                    (xf, yf),
                    text_style(12, color, HPos::Center, VPos::Center),
                ));
            }
        }
        chart.draw_series(rects)?;
        chart.draw_series(labels)?;
        let mut keys = Vec::new();
        for h in &highlights {
            let (xf, yf, d) = (h.x as f64, h.y as f64, 0.45);
            chart.draw_series(std::iter::once(PathElement::new(
                vec![
                    (xf - d, yf - d),
                    (xf + d, yf - d),
                    (xf + d, yf + d),
                    (xf - d, yf + d),
                    (xf - d, yf - d),
                ],
                h.color.stroke_width(4),
            )))?;
            keys.push((h.name.clone(), h.color, false));
        }
        if let Some((name, pts)) = &overlay {
            let pts: Vec<(f64, f64)> = pts.iter().copied().filter(finite2).collect();
            if !pts.is_empty() {
                chart.draw_series(LineSeries::new(pts.clone(), INK.stroke_width(2)))?;
                chart.draw_series(pts.iter().map(|p| Circle::new(*p, 3, INK.filled())))?;
                keys.push((name.clone(), INK, true));
            }
        }
        colour_bar(&bar, vlo, vhi, &scale_label, cell_fmt, &keys)
    })
}

fn nonempty_scale(ext: Option<(f64, f64)>) -> (f64, f64) {
    let (lo, hi) = ext.unwrap_or((0.0, 1.0));
    if hi - lo > 1e-12 {
        (lo, hi)
    } else {
        (lo - 0.5, hi + 0.5)
    }
}

/// A sequential colour ramp from pale yellow through green to dark blue, `t` in [0, 1].
pub(crate) fn ramp(t: f64) -> RGBColor {
    const STOPS: [(f64, [f64; 3]); 4] = [
        (0.0, [255.0, 247.0, 188.0]),
        (0.35, [127.0, 205.0, 187.0]),
        (0.7, [44.0, 127.0, 184.0]),
        (1.0, [37.0, 52.0, 148.0]),
    ];
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    for w in STOPS.windows(2) {
        let ((t0, c0), (t1, c1)) = (w[0], w[1]);
        if t <= t1 {
            let f = (t - t0) / (t1 - t0);
            let mix = |k: usize| (c0[k] + f * (c1[k] - c0[k])).round() as u8;
            return RGBColor(mix(0), mix(1), mix(2));
        }
    }
    RGBColor(37, 52, 148)
}

/// The colour bar of a heat map, labelled, with a key below it for outlined cells (`false`) and
/// overlay lines (`true`).
fn colour_bar(
    area: &Area<'_>,
    lo: f64,
    hi: f64,
    label: &str,
    fmt: fn(f64) -> String,
    keys: &[(String, RGBColor, bool)],
) -> DrawResult {
    let (_, height) = area.dim_in_pixel();
    let key_space = 30 + 24 * keys.len() as u32;
    let mut bar = ChartBuilder::on(area)
        .margin_top(60)
        .margin_bottom(66 + key_space)
        .margin_right(120)
        .margin_left(6)
        .build_cartesian_2d(0.0..1.0, lo..hi)?;
    let steps = 48;
    let step = (hi - lo) / steps as f64;
    bar.draw_series((0..steps).map(|k| {
        let a = lo + step * k as f64;
        // Each band overlaps the next by half a step so that no seam shows between them.
        let b = (a + step * 1.5).min(hi);
        Rectangle::new(
            [(0.0, a), (1.0, b)],
            ramp((a + step / 2.0 - lo) / (hi - lo)).filled(),
        )
    }))?;
    let ticks = nice_ticks(lo, hi, 6);
    bar.draw_series(ticks.iter().map(|t| {
        Text::new(
            fmt(*t),
            (1.15, *t),
            text_style(12, &INK, HPos::Left, VPos::Center),
        )
    }))?;
    area.draw(&Text::new(
        label.to_string(),
        (4, 30),
        text_style(13, &INK, HPos::Left, VPos::Top),
    ))?;
    let top = height as i32 - 50 - 24 * keys.len() as i32;
    for (k, (name, color, line)) in keys.iter().enumerate() {
        let y = top + 24 * k as i32;
        let style = color.stroke_width(if *line { 3 } else { 4 });
        let path = if *line {
            vec![(4, y), (26, y)]
        } else {
            vec![(4, y - 8), (26, y - 8), (26, y + 8), (4, y + 8), (4, y - 8)]
        };
        area.draw(&PathElement::new(path, style))?;
        area.draw(&Text::new(
            name.clone(),
            (32, y),
            text_style(12, &INK, HPos::Left, VPos::Center),
        ))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ramp_runs_from_pale_to_dark() {
        let lum = |c: RGBColor| 0.3 * c.0 as f64 + 0.59 * c.1 as f64 + 0.11 * c.2 as f64;
        assert!(lum(ramp(0.0)) > lum(ramp(0.5)));
        assert!(lum(ramp(0.5)) > lum(ramp(1.0)));
        assert_eq!(ramp(f64::NAN), ramp(0.0));
    }
}
