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
//!
//! This module holds what every chart shares (axes, ranges, the frame, legends, the SVG wrapper);
//! each kind of chart has a file of its own: `fan`, `lines`, `bars` (stacked, horizontal grouped,
//! waterfall), `frontier`, `histograms`, `heatmap` and `scatter`.

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

mod bars;
mod fan;
mod frontier;
mod heatmap;
mod histograms;
mod lines;
mod scatter;

pub(crate) use bars::{hbars, stacked_bars, waterfall, BarGroup, Step};
pub(crate) use fan::fan;
pub(crate) use frontier::{frontier, Mark};
pub(crate) use heatmap::{heatmap, Highlight};
pub(crate) use histograms::{histograms, Histogram};
pub(crate) use lines::{lines, Line, Stroke};
pub(crate) use scatter::{scatter, ScatterPoint};

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

/// A legend sample for a filled series: a box of `style` at the legend entry.
fn swatch(at: (i32, i32), style: ShapeStyle) -> Rectangle<(i32, i32)> {
    Rectangle::new([(at.0, at.1 - 6), (at.0 + 18, at.1 + 6)], style)
}

fn finite2(p: &(f64, f64)) -> bool {
    p.0.is_finite() && p.1.is_finite()
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
}
