//! Bar charts: stacked bars, horizontal grouped bars and waterfalls.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::{
    draw, extent, frame, legend, padded, swatch, text_style, Axis, Chart, Meta, HEIGHT, INK,
    PALETTE, WIDTH,
};
use crate::ReportError;

/// Stacked bars: one bar per category, `stacks[k].values[i]` the k-th segment of bar `i`.
pub(crate) fn stacked_bars(
    meta: Meta,
    categories: Vec<String>,
    stacks: Vec<(String, RGBColor, Vec<f64>)>,
    scale: f64,
    y_fmt: fn(f64) -> String,
) -> Result<Chart, ReportError> {
    let n = categories.len();
    let totals: Vec<f64> = (0..n)
        .map(|i| {
            stacks
                .iter()
                .map(|s| {
                    s.2.get(i)
                        .copied()
                        .filter(|v| v.is_finite())
                        .unwrap_or(0.0)
                        .max(0.0)
                        * scale
                })
                .sum()
        })
        .collect();
    let (_, yhi) = padded(extent(totals.iter().copied()), 0.04, true);
    draw(meta, (WIDTH, HEIGHT), move |root, meta| {
        root.fill(&WHITE)?;
        let x = Axis::categories(categories);
        let y = Axis::numeric(0.0, yhi, 8, y_fmt);
        let mut chart = frame(root, meta, x, y, 78)?;
        let mut base = vec![0.0; n];
        for (name, color, values) in &stacks {
            let color = *color;
            let mut rects = Vec::new();
            let mut labels = Vec::new();
            for (i, b) in base.iter_mut().enumerate() {
                let v = values
                    .get(i)
                    .copied()
                    .filter(|v| v.is_finite())
                    .unwrap_or(0.0)
                    .max(0.0)
                    * scale;
                if v > 0.0 {
                    let mut r = Rectangle::new(
                        [(i as f64 - 0.5, *b), (i as f64 + 0.5, *b + v)],
                        color.filled(),
                    );
                    r.set_margin(0, 0, 40, 40);
                    rects.push(r);
                    if v >= yhi * 0.05 {
                        labels.push(Text::new(
                            y_fmt(v),
                            (i as f64, *b + v / 2.0),
                            text_style(13, &WHITE, HPos::Center, VPos::Center),
                        ));
                    }
                }
                *b += v;
            }
            chart
                .draw_series(rects)?
                .label(name.as_str())
                .legend(move |at| swatch(at, color.filled()));
            chart.draw_series(labels)?;
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight)
    })
}

/// One group of horizontal bars (one bar per category) in [`hbars`].
pub(crate) struct BarGroup {
    pub name: String,
    pub color: RGBColor,
    pub values: Vec<Option<f64>>,
}

/// Horizontal grouped bars: categories top to bottom, `groups` side by side within a category,
/// `notes[i]` written at the end of category `i`'s bars.
pub(crate) fn hbars(
    meta: Meta,
    categories: Vec<String>,
    groups: Vec<BarGroup>,
    notes: Vec<String>,
    x_fmt: fn(f64) -> String,
) -> Result<Chart, ReportError> {
    let n = categories.len();
    let (_, xhi) = padded(
        extent(
            groups
                .iter()
                .flat_map(|g| g.values.iter().flatten().copied()),
        ),
        0.25,
        true,
    );
    let height = (120 + 34 * n as u32).max(HEIGHT);
    // Categories run top to bottom: category i sits at y = n − 1 − i.
    let names: Vec<String> = categories.iter().rev().cloned().collect();
    draw(meta, (WIDTH, height), move |root, meta| {
        root.fill(&WHITE)?;
        let x = Axis::numeric(0.0, xhi, 10, x_fmt);
        let y = Axis::categories(names);
        let mut chart = frame(root, meta, x, y, 190)?;
        let k = groups.len().max(1) as f64;
        let thick = 0.8 / k;
        for (g, group) in groups.iter().enumerate() {
            let color = group.color;
            let bars: Vec<_> = group
                .values
                .iter()
                .enumerate()
                .take(n)
                .filter_map(|(i, v)| v.filter(|v| v.is_finite()).map(|v| (i, v.max(0.0))))
                .map(|(i, v)| {
                    let yc = (n - 1 - i) as f64 + 0.4 - thick * (g as f64 + 0.5);
                    Rectangle::new(
                        [(0.0, yc - thick / 2.0 * 0.9), (v, yc + thick / 2.0 * 0.9)],
                        color.filled(),
                    )
                })
                .collect();
            chart
                .draw_series(bars)?
                .label(group.name.as_str())
                .legend(move |at| swatch(at, color.filled()));
        }
        let ends: Vec<f64> = (0..n)
            .map(|i| {
                groups
                    .iter()
                    .filter_map(|g| g.values.get(i).copied().flatten())
                    .filter(|v| v.is_finite())
                    .fold(0.0, f64::max)
            })
            .collect();
        chart.draw_series(notes.iter().enumerate().take(n).map(|(i, note)| {
            Text::new(
                note.clone(),
                (ends[i] + xhi * 0.01, (n - 1 - i) as f64),
                text_style(12, &INK, HPos::Left, VPos::Center),
            )
        }))?;
        legend(&mut chart, SeriesLabelPosition::LowerRight)
    })
}

/// One bar of a waterfall: a total (drawn from zero) or a step (drawn from the running total).
pub(crate) struct Step {
    pub name: String,
    pub value: f64,
    pub total: bool,
}

/// A waterfall: totals from zero, steps floating from the running total (increases in one colour,
/// decreases in another), each bar labelled with `value_fmt` of its value.
pub(crate) fn waterfall(
    meta: Meta,
    steps: Vec<Step>,
    scale: f64,
    y_fmt: fn(f64) -> String,
    value_fmt: fn(f64) -> String,
) -> Result<Chart, ReportError> {
    let mut running = 0.0;
    let mut spans = Vec::new();
    for s in &steps {
        let v = if s.value.is_finite() {
            s.value * scale
        } else {
            0.0
        };
        let (a, b) = if s.total {
            (0.0, v)
        } else {
            (running, running + v)
        };
        running = b;
        spans.push((a, b, v));
    }
    let (ylo, yhi) = padded(extent(spans.iter().flat_map(|s| [s.0, s.1])), 0.1, true);
    let names: Vec<String> = steps.iter().map(|s| s.name.clone()).collect();
    let totals: Vec<bool> = steps.iter().map(|s| s.total).collect();
    draw(meta, (WIDTH, HEIGHT + 20), move |root, meta| {
        root.fill(&WHITE)?;
        let x = Axis::categories(names);
        let y = Axis::numeric(ylo, yhi, 8, y_fmt);
        let mut chart = frame(root, meta, x, y, 78)?;
        let (up, down, total) = (PALETTE[3], PALETTE[2], RGBColor(90, 98, 110));
        let mut series: [Vec<Rectangle<(f64, f64)>>; 3] = [Vec::new(), Vec::new(), Vec::new()];
        let mut labels = Vec::new();
        for (i, (a, b, v)) in spans.iter().enumerate() {
            let kind = if totals[i] {
                2
            } else if *v >= 0.0 {
                0
            } else {
                1
            };
            let color = [up, down, total][kind];
            let mut r =
                Rectangle::new([(i as f64 - 0.5, *a), (i as f64 + 0.5, *b)], color.filled());
            r.set_margin(0, 0, 14, 14);
            series[kind].push(r);
            let top = a.max(*b);
            labels.push(Text::new(
                value_fmt(*v / scale),
                (i as f64, top),
                text_style(12, &INK, HPos::Center, VPos::Bottom),
            ));
        }
        let names = ["adds to outflow", "reduces outflow", "total"];
        for (kind, rects) in series.into_iter().enumerate() {
            if rects.is_empty() {
                continue;
            }
            let color = [up, down, total][kind];
            chart
                .draw_series(rects)?
                .label(names[kind])
                .legend(move |at| swatch(at, color.filled()));
        }
        chart.draw_series(labels)?;
        legend(&mut chart, SeriesLabelPosition::UpperLeft)
    })
}
