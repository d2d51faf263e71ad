//! The report's charts, drawn as inline SVG with `plotters`.
//!
//! Every chart here takes plain numbers (the sections read them from the summary) and returns a
//! [`Chart`]: its id, title, axis labels, the one line saying what to read from it, and the SVG.
//! Both axes are `f64` axes with explicit tick positions ([`Axis`]): numeric axes get "nice" steps
//! (1, 2, 2.5 or 5 × 10^k), categorical axes put category `i` at `x = i` with the cell spanning
//! `[i − ½, i + ½]`, and log axes are linear axes over `ln x` with ticks labelled `x`. Points that
//! are not finite are dropped before drawing, and every range is padded to a non-empty span, so
//! no coordinate is ever NaN.
//!
//! Text is written as SVG `<text>` (plotters escapes it) and laid out by the browser; plotters'
//! own text metrics (used only to size label areas) are a fixed-width estimate, as no font is
//! loaded here.

use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::fmt::esc;
use super::ReportError;

/// A legend sample for a line: two segments, with a gap between them when the line is dashed.
macro_rules! line_sample {
    ($at:expr, $color:expr, $dashed:expr) => {{
        let (a, b) = if $dashed { (7, 11) } else { (9, 9) };
        EmptyElement::at($at)
            + PathElement::new(vec![(0, 0), (a, 0)], $color.stroke_width(2))
            + PathElement::new(vec![(b, 0), (18, 0)], $color.stroke_width(2))
    }};
}

/// The font family written into the SVG; the page's CSS maps chart text to the system font stack.
const FONT: &str = "sans-serif";
/// Default chart size in SVG user units (pixels at 100%).
const WIDTH: u32 = 920;
const HEIGHT: u32 = 440;

/// Colours (Tableau 10), in the order series get them.
pub(crate) const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];
const INK: RGBColor = RGBColor(33, 37, 41);
const GRID: RGBColor = RGBColor(226, 229, 233);
const MUTED: RGBColor = RGBColor(160, 166, 173);

/// What a chart is and how to read it.
#[derive(Clone, Debug)]
pub(crate) struct Meta {
    pub id: &'static str,
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    /// One line: what to read from the chart.
    pub read: String,
}

impl Meta {
    pub fn new(
        id: &'static str,
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
        read: impl Into<String>,
    ) -> Meta {
        Meta {
            id,
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            read: read.into(),
        }
    }
}

/// A drawn chart.
#[derive(Clone, Debug)]
pub(crate) struct Chart {
    pub meta: Meta,
    /// `<svg class="chart" ...>...</svg>`, ready to inline.
    pub svg: String,
}

/// One axis: its range, tick positions and labels.
pub(crate) struct Axis {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
    label: Box<dyn Fn(f64) -> String>,
}

impl Axis {
    /// A numeric axis over `[lo, hi]` with about `target` nicely spaced ticks.
    pub fn numeric(
        lo: f64,
        hi: f64,
        target: usize,
        label: impl Fn(f64) -> String + 'static,
    ) -> Axis {
        let (lo, hi) = nonempty(lo, hi);
        Axis {
            lo,
            hi,
            ticks: nice_ticks(lo, hi, target),
            label: Box::new(label),
        }
    }

    /// A categorical axis: category `i` at `i`, spanning `[i − ½, i + ½]`.
    pub fn categories(names: Vec<String>) -> Axis {
        let n = names.len().max(1);
        Axis {
            lo: -0.5,
            hi: n as f64 - 0.5,
            ticks: (0..names.len()).map(|i| i as f64).collect(),
            label: Box::new(move |v| {
                let i = v.round();
                if (v - i).abs() < 1e-6 && i >= 0.0 {
                    names.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            }),
        }
    }

    /// A log axis over `[lo, hi]` (both > 0) with ticks at `keys`: coordinates are `ln x`.
    pub fn log(lo: f64, hi: f64, keys: &[f64], label: impl Fn(f64) -> String + 'static) -> Axis {
        let lo = if lo > 0.0 && lo.is_finite() { lo } else { 1.0 };
        let hi = if hi > lo && hi.is_finite() {
            hi
        } else {
            lo * 10.0
        };
        Axis {
            lo: lo.ln(),
            hi: hi.ln(),
            ticks: keys.iter().filter(|k| **k > 0.0).map(|k| k.ln()).collect(),
            label: Box::new(move |v| label(v.exp())),
        }
    }
}

/// The axis is its own plotters coordinate: a linear map of `[lo, hi]` with our ticks (no light
/// mesh lines) and our labels.
impl Ranged for Axis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let f = (value - self.lo) / (self.hi - self.lo);
        let len = (limit.1 - limit.0) as f64;
        if !f.is_finite() {
            return limit.0;
        }
        // Clamp far outside points so that the cast to pixels never saturates.
        limit.0 + (len * f.clamp(-10.0, 10.0) + 1e-3).floor() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

impl ValueFormatter<f64> for Axis {
    fn format_ext(&self, value: &f64) -> String {
        (self.label)(*value)
    }
}

/// A span that is not empty and not NaN.
fn nonempty(lo: f64, hi: f64) -> (f64, f64) {
    let (lo, hi) = match (lo.is_finite(), hi.is_finite()) {
        (true, true) => (lo.min(hi), lo.max(hi)),
        (true, false) => (lo, lo + 1.0),
        (false, true) => (hi - 1.0, hi),
        (false, false) => (0.0, 1.0),
    };
    if hi - lo > 1e-12 * (1.0 + lo.abs().max(hi.abs())) {
        (lo, hi)
    } else {
        let pad = 0.1 * lo.abs().max(1e-3);
        (lo - pad, hi + pad)
    }
}

/// Ticks at multiples of 1, 2, 2.5 or 5 × 10^k, at most `target` of them, inside `[lo, hi]`.
pub(crate) fn nice_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    let span = hi - lo;
    let target = target.max(2) as f64;
    if span.is_nan() || span <= 0.0 || !span.is_finite() {
        return vec![lo];
    }
    let mag = 10f64.powf((span / target).log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| span / s <= target)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).ceil();
    let mut ticks = Vec::new();
    let mut k = 0.0;
    while (first + k) * step <= hi + step * 1e-9 && ticks.len() < 64 {
        let v = (first + k) * step;
        ticks.push(if v.abs() < step * 1e-9 { 0.0 } else { v });
        k += 1.0;
    }
    ticks
}

/// Minimum and maximum of the finite values, or `None` when there are none.
pub(crate) fn extent(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((a, b)) => Some((a.min(v), b.max(v))),
        })
}

/// `[lo, hi]` padded by `frac` of its span on each side; `zero` extends it to include 0.
pub(crate) fn padded(ext: Option<(f64, f64)>, frac: f64, zero: bool) -> (f64, f64) {
    let (mut lo, mut hi) = ext.unwrap_or((0.0, 1.0));
    if zero {
        lo = lo.min(0.0);
        hi = hi.max(0.0);
    }
    let (lo, hi) = nonempty(lo, hi);
    let pad = (hi - lo) * frac;
    let lo2 = if zero && lo >= 0.0 { lo } else { lo - pad };
    let hi2 = if zero && hi <= 0.0 { hi } else { hi + pad };
    (lo2, hi2)
}

type Area<'b> = DrawingArea<SVGBackend<'b>, Shift>;
type Ctx<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<Axis, Axis>>;
type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// Draws a chart of `width × height` with `body` and wraps it for the page.
fn draw(
    meta: Meta,
    size: (u32, u32),
    body: impl for<'b> FnOnce(&Area<'b>, &Meta) -> DrawResult,
) -> Result<Chart, ReportError> {
    let fail = |reason: String| ReportError::Chart {
        chart: meta.id.to_string(),
        reason,
    };
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, size).into_drawing_area();
        body(&root, &meta).map_err(|e| fail(e.to_string()))?;
        root.present().map_err(|e| fail(e.to_string()))?;
    }
    let svg = wrap_svg(&buf, &meta, size).ok_or_else(|| fail("unexpected SVG output".into()))?;
    Ok(Chart { meta, svg })
}

/// Replaces plotters' `<svg ...>` opening tag with the page's: class, id, accessible title, no
/// namespace URL (inline SVG in HTML needs none).
fn wrap_svg(raw: &str, meta: &Meta, (w, h): (u32, u32)) -> Option<String> {
    let rest = raw.strip_prefix("<svg ")?;
    let body = &rest[rest.find('>')? + 1..];
    Some(format!(
        "<svg class=\"chart\" id=\"chart-{id}\" data-chart=\"{id}\" width=\"{w}\" height=\"{h}\" \
         viewBox=\"0 0 {w} {h}\" role=\"img\" aria-labelledby=\"chart-{id}-title\">\
         <title id=\"chart-{id}-title\">{title}</title>{body}",
        id = meta.id,
        title = esc(&meta.title),
    ))
}

/// The chart frame: title, label areas, the two axes, the mesh and axis descriptions.
fn frame<'a, 'b>(
    root: &'a Area<'b>,
    meta: &Meta,
    x: Axis,
    y: Axis,
    y_label_area: u32,
) -> Result<Ctx<'a, 'b>, Box<dyn std::error::Error>> {
    let mut chart = ChartBuilder::on(root)
        .caption(&meta.title, (FONT, 20).into_font().color(&INK))
        .margin(14)
        .margin_right(24)
        .x_label_area_size(52)
        .y_label_area_size(y_label_area)
        .build_cartesian_2d(x, y)?;
    chart
        .configure_mesh()
        .x_desc(meta.x_label.as_str())
        .y_desc(meta.y_label.as_str())
        .label_style((FONT, 13).into_font().color(&INK))
        .axis_desc_style((FONT, 14).into_font().color(&INK))
        .bold_line_style(GRID)
        .axis_style(MUTED)
        .draw()?;
    Ok(chart)
}

fn legend<'a, 'b: 'a>(chart: &mut Ctx<'a, 'b>, pos: SeriesLabelPosition) -> DrawResult {
    chart
        .configure_series_labels()
        .position(pos)
        .background_style(WHITE.mix(0.9))
        .border_style(GRID)
        .label_font((FONT, 13).into_font().color(&INK))
        .draw()?;
    Ok(())
}

fn text_style(size: u32, color: &'static RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
    TextStyle::from((FONT, size).into_font())
        .color(color)
        .pos(Pos::new(h, v))
}

fn finite2(p: &(f64, f64)) -> bool {
    p.0.is_finite() && p.1.is_finite()
}

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
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], outer.filled()));
        chart
            .draw_series(std::iter::once(Polygon::new(band(1, 3), inner.filled())))?
            .label("25–75%")
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], inner.filled()));
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
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 6), (x + 18, y + 6)], color.filled())
                });
            chart.draw_series(labels)?;
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight)
    })
}

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
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 6), (x + 18, y + 6)], color.filled())
                });
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
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 6), (x + 18, y + 6)], color.filled())
                });
        }
        chart.draw_series(labels)?;
        legend(&mut chart, SeriesLabelPosition::UpperLeft)
    })
}

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
    fn nice_ticks_cover_the_range_in_round_steps() {
        let t = nice_ticks(0.0, 1.0, 6);
        assert_eq!(t, vec![0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]);
        let t = nice_ticks(-3.2, 17.9, 8);
        assert!(t.len() <= 8 && t.len() >= 4, "{t:?}");
        assert!(t.iter().all(|v| *v >= -3.2 && *v <= 17.9));
    }

    #[test]
    fn ranges_are_never_empty_or_nan() {
        assert_eq!(nonempty(f64::NAN, f64::NAN), (0.0, 1.0));
        let (a, b) = nonempty(2.0, 2.0);
        assert!(a < 2.0 && b > 2.0);
        assert_eq!(
            extent([f64::NAN, 1.0, f64::INFINITY, -2.0]),
            Some((-2.0, 1.0))
        );
        assert_eq!(extent([f64::NAN]), None);
    }

    #[test]
    fn the_legend_avoids_the_points() {
        let pick =
            |pts: &[(f64, f64)]| format!("{:?}", quiet_corner(pts, (0.0, 10.0), (0.0, 10.0)));
        assert_eq!(pick(&[]), "UpperRight");
        assert_eq!(pick(&[(9.0, 9.0)]), "UpperLeft");
        assert_eq!(pick(&[(9.0, 9.0), (1.0, 9.0)]), "LowerRight");
        assert_eq!(pick(&[(9.0, 9.0), (1.0, 9.0), (9.0, 1.0)]), "LowerLeft");
    }

    #[test]
    fn ramp_runs_from_pale_to_dark() {
        let lum = |c: RGBColor| 0.3 * c.0 as f64 + 0.59 * c.1 as f64 + 0.11 * c.2 as f64;
        assert!(lum(ramp(0.0)) > lum(ramp(0.5)));
        assert!(lum(ramp(0.5)) > lum(ramp(1.0)));
        assert_eq!(ramp(f64::NAN), ramp(0.0));
    }

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
