//! Drawing: colour maps of 2D arrays with axes in um and a colour bar, line
//! plots, and PNG encoding. Knows nothing about scenes or result files.
//!
//! Text uses DejaVu Sans compiled into the binary (the `dejavu` crate through
//! plotters' `ab_glyph` feature), so no system font library is needed.

use std::io::BufWriter;
use std::path::Path;
use std::sync::Once;

use ndarray::Array2;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::PlotError;

/// The font family name fonts are registered under.
const FONT: &str = "sans-serif";

/// Side (px) of the plot area of the largest panel when it is square; other
/// panels share its scale (px per um). See [`panel_sizes`].
pub const PANEL_PX: f64 = 500.0;
/// Smallest and largest extent (px) of a panel's plot area: thinner domains
/// are stretched to stay visible, longer ones shrunk.
pub const PANEL_MIN_PX: u32 = 120;
pub const PANEL_MAX_PX: u32 = 1400;
/// Layout (px): figure title, panel caption, y tick labels and description,
/// x tick labels and description, gap right of a panel, colour bar column,
/// footer (legend) line.
const TITLE_H: u32 = 40;
/// Room left of the y axis description (rotated text reaches a little past its box).
const LEFT_MARGIN: u32 = 8;
const CAPTION_H: u32 = 30;
const Y_AXIS_W: u32 = 80;
const X_AXIS_H: u32 = 58;
const PANEL_GAP: u32 = 28;
const COLORBAR_W: u32 = 24;
const COLORBAR_AXIS_W: u32 = 100;
const COLORBAR_COL: u32 = 16 + COLORBAR_W + COLORBAR_AXIS_W + 14;
const FOOTER_H: u32 = 30;
/// Each further footer line.
const FOOTER_LINE_H: u32 = 22;
/// Line plots: plot area size.
const LINE_W: u32 = 720;
const LINE_H: u32 = 420;

const TITLE_PT: f64 = 21.0;
const CAPTION_PT: f64 = 18.0;
const DESC_PT: f64 = 18.0;
const TICK_PT: f64 = 15.0;
const LABEL_PT: f64 = 15.0;

/// An RGB image.
#[derive(Clone, Debug)]
pub struct Image {
    pub width: u32,
    pub height: u32,
    /// Row-major RGB, 3 bytes per pixel.
    pub rgb: Vec<u8>,
}

impl Image {
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 3] {
        let i = 3 * (y as usize * self.width as usize + x as usize);
        [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
    }

    /// Write the image as an 8-bit RGB PNG.
    pub fn write_png(&self, path: &Path) -> Result<(), PlotError> {
        let io = |source: std::io::Error| PlotError::Write {
            path: path.to_path_buf(),
            source,
        };
        let file = std::fs::File::create(path).map_err(io)?;
        let mut enc = png::Encoder::new(BufWriter::new(file), self.width, self.height);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().map_err(|e| io(std::io::Error::other(e)))?;
        w.write_image_data(&self.rgb).map_err(|e| io(std::io::Error::other(e)))?;
        w.finish().map_err(|e| io(std::io::Error::other(e)))
    }
}

/// Colour maps, each a table of evenly spaced control points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Colormap {
    /// White (low) to near black (high), as MEEP draws permittivity.
    Greys,
    /// Black - purple - orange - pale yellow (matplotlib's inferno), for |E|^2.
    Inferno,
    /// Blue (negative) - white (zero) - red (positive) (matplotlib's RdBu_r),
    /// for signed fields; use a range symmetric about zero.
    RedBlue,
}

impl Colormap {
    fn table(self) -> &'static [[u8; 3]] {
        match self {
            Colormap::Greys => &[[255, 255, 255], [160, 160, 160], [40, 40, 40]],
            Colormap::Inferno => &[
                [0, 0, 4],
                [31, 12, 72],
                [85, 15, 109],
                [136, 34, 106],
                [186, 54, 85],
                [227, 89, 51],
                [249, 140, 10],
                [249, 201, 50],
                [252, 255, 164],
            ],
            Colormap::RedBlue => &[
                [5, 48, 97],
                [33, 102, 172],
                [67, 147, 195],
                [146, 197, 222],
                [247, 247, 247],
                [244, 165, 130],
                [214, 96, 77],
                [178, 24, 43],
                [103, 0, 31],
            ],
        }
    }

    /// Colour of `t` in [0, 1] (clamped; NaN is mid grey).
    pub fn color(self, t: f64) -> [u8; 3] {
        if t.is_nan() {
            return [128, 128, 128];
        }
        let tab = self.table();
        let x = t.clamp(0.0, 1.0) * (tab.len() - 1) as f64;
        let i = (x.floor() as usize).min(tab.len() - 2);
        let f = x - i as f64;
        let (a, b) = (tab[i], tab[i + 1]);
        [0, 1, 2].map(|k| (a[k] as f64 + f * (b[k] as f64 - a[k] as f64)).round() as u8)
    }
}

/// How values map to colours, and the colour bar's label.
#[derive(Clone, Debug)]
pub struct ColorScale {
    pub map: Colormap,
    pub min: f64,
    pub max: f64,
    pub label: String,
}

impl ColorScale {
    fn t(&self, v: f64) -> f64 {
        if self.max > self.min {
            (v - self.min) / (self.max - self.min)
        } else {
            0.5
        }
    }
}

/// Values on a rectilinear grid of cells: `values[[j, i]]` fills
/// [x_edges[i], x_edges[i+1]) x [y_edges[j], y_edges[j+1]) (um).
#[derive(Clone, Debug)]
pub struct Heatmap {
    pub x_edges: Vec<f64>,
    pub y_edges: Vec<f64>,
    pub values: Array2<f64>,
}

impl Heatmap {
    /// Cells centred on sample positions `xs`, `ys` (um, ascending): edges
    /// half-way between samples, the outer ones half a spacing out (`dx` for
    /// a single sample).
    pub fn from_centres(xs: &[f64], ys: &[f64], dx: f64, values: Array2<f64>) -> Heatmap {
        Heatmap {
            x_edges: edges(xs, dx),
            y_edges: edges(ys, dx),
            values,
        }
    }
    fn value_at(&self, x: f64, y: f64) -> Option<f64> {
        let i = cell_of(&self.x_edges, x)?;
        let j = cell_of(&self.y_edges, y)?;
        self.values.get([j, i]).copied()
    }
}

fn edges(c: &[f64], dx: f64) -> Vec<f64> {
    match c.len() {
        0 => Vec::new(),
        1 => vec![c[0] - 0.5 * dx, c[0] + 0.5 * dx],
        n => {
            let mut e = Vec::with_capacity(n + 1);
            e.push(c[0] - 0.5 * (c[1] - c[0]));
            e.extend(c.windows(2).map(|w| 0.5 * (w[0] + w[1])));
            e.push(c[n - 1] + 0.5 * (c[n - 1] - c[n - 2]));
            e
        }
    }
}

/// Index of the cell of ascending `edges` that holds `x`.
fn cell_of(edges: &[f64], x: f64) -> Option<usize> {
    if edges.len() < 2 || !(x >= edges[0] && x <= edges[edges.len() - 1]) {
        return None;
    }
    let k = edges.partition_point(|&e| e <= x);
    Some(k.saturating_sub(1).min(edges.len() - 2))
}

/// Something drawn over a panel's map, in the panel's coordinates (um).
#[derive(Clone, Debug)]
pub enum Overlay {
    /// A translucent filled box (PML regions).
    Shade {
        x: (f64, f64),
        y: (f64, f64),
        color: [u8; 3],
        alpha: f64,
    },
    /// A box outline; a zero extent draws a line, both zero a point. With a
    /// fill, the inside is tinted (`alpha`).
    Outline {
        x: (f64, f64),
        y: (f64, f64),
        color: [u8; 3],
        fill_alpha: f64,
        label: Option<String>,
    },
    /// Polylines (a circle, the outline of index steps), each a list of
    /// points; a label goes at the first point of the first line.
    Lines {
        lines: Vec<Vec<(f64, f64)>>,
        color: [u8; 3],
        width: u32,
        label: Option<String>,
    },
    /// Cells of a rectilinear grid (`mask[[j, i]]` covers `[x_edges[i],
    /// x_edges[i+1]) x [y_edges[j], y_edges[j+1])`, um) drawn with diagonal
    /// hatching in `color`: over a solid fill of `fill` when given, else
    /// over the map (which stays visible between the hatch lines). Metals.
    Cells {
        x_edges: Vec<f64>,
        y_edges: Vec<f64>,
        mask: Array2<bool>,
        color: [u8; 3],
        fill: Option<[u8; 3]>,
    },
    /// A small dot (radius 3 px, no rim), e.g. each dipole of an LED.
    Dot { x: f64, y: f64, color: [u8; 3] },
    /// A marker (a dot with a white rim) and an optional label.
    Marker {
        x: f64,
        y: f64,
        color: [u8; 3],
        label: Option<String>,
    },
}

/// One map: axes ranges (um), labels, the values and what is drawn over them.
#[derive(Clone, Debug)]
pub struct Panel {
    pub caption: String,
    pub x_desc: String,
    pub y_desc: String,
    pub x_range: (f64, f64),
    pub y_range: (f64, f64),
    pub map: Heatmap,
    pub overlays: Vec<Overlay>,
}

/// Panels side by side sharing one colour scale.
#[derive(Clone, Debug)]
pub struct MapFigure {
    pub title: String,
    pub panels: Vec<Panel>,
    pub scale: ColorScale,
    /// A line under the panels (a legend of the overlay colours).
    pub footer: Option<String>,
}

type RenderResult<T> = Result<T, PlotError>;

fn err<E: std::fmt::Debug>(e: E) -> PlotError {
    PlotError::Render(format!("{e:?}"))
}

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // DejaVu Sans is a valid TrueType font; a failure here would be a
        // packaging bug, and text would then be missing, not wrong.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
    });
}

fn rgb(c: [u8; 3]) -> RGBColor {
    RGBColor(c[0], c[1], c[2])
}

fn font(size: f64) -> TextStyle<'static> {
    (FONT, size).into_font().color(&BLACK)
}

/// Colour of map cells without a value (outside the map, or NaN).
pub const NO_DATA: [u8; 3] = [200, 200, 200];

/// Period (px) of the hatching of [`Overlay::Cells`].
pub const HATCH_PX: i32 = 8;

/// Plot-area sizes (px) of panels spanning `extents` (um): one scale for all,
/// such that the largest panel has the area of a PANEL_PX square, each side
/// clamped to [PANEL_MIN_PX, PANEL_MAX_PX].
pub fn panel_sizes(extents: &[(f64, f64)]) -> Vec<(u32, u32)> {
    let largest = extents.iter().map(|(w, h)| w * h).fold(0.0, f64::max);
    let s = if largest > 0.0 { PANEL_PX / largest.sqrt() } else { 1.0 };
    let side = |l: f64| ((l * s).round() as u32).clamp(PANEL_MIN_PX, PANEL_MAX_PX);
    extents.iter().map(|(w, h)| (side(*w), side(*h))).collect()
}

/// The image size (px) a [`MapFigure`] with panels of these extents gets
/// (with a one-line footer or none).
pub fn map_figure_size(extents: &[(f64, f64)], footer: bool) -> (u32, u32) {
    map_figure_size_lines(extents, usize::from(footer))
}

/// [`map_figure_size`] with a footer of `lines` lines (its text split at '\n').
pub fn map_figure_size_lines(extents: &[(f64, f64)], lines: usize) -> (u32, u32) {
    let sizes = panel_sizes(extents);
    let w: u32 = sizes.iter().map(|(w, _)| LEFT_MARGIN + Y_AXIS_W + w + PANEL_GAP).sum::<u32>() + COLORBAR_COL;
    let h = sizes.iter().map(|s| s.1).max().unwrap_or(PANEL_MIN_PX);
    (
        w,
        TITLE_H + CAPTION_H + h + X_AXIS_H + FOOTER_LINE_H * lines as u32 + if lines > 0 { FOOTER_H - FOOTER_LINE_H } else { 0 },
    )
}

/// Where the plot area of panel `i` lies in the image of a [`MapFigure`]
/// with panels of these extents: (left, top, width, height) in pixels.
pub fn panel_rect(extents: &[(f64, f64)], i: usize) -> (u32, u32, u32, u32) {
    let sizes = panel_sizes(extents);
    let left: u32 = sizes[..i].iter().map(|(w, _)| LEFT_MARGIN + Y_AXIS_W + w + PANEL_GAP).sum();
    (left + LEFT_MARGIN + Y_AXIS_W, TITLE_H + CAPTION_H, sizes[i].0, sizes[i].1)
}

/// Tick label text for values spanning `range`: enough decimals to tell the
/// ticks apart, scientific notation for very small or large numbers.
fn tick_format(range: (f64, f64)) -> impl Fn(&f64) -> String {
    let span = (range.1 - range.0).abs();
    let big = range.0.abs().max(range.1.abs());
    let sci = big > 0.0 && !(1e-2..1e5).contains(&big);
    let decimals = if span > 0.0 {
        (1.0 - (span / 5.0).log10().floor()).clamp(0.0, 6.0) as usize
    } else {
        2
    };
    move |v: &f64| {
        let v = if v.abs() < 1e-9 * big { 0.0 } else { *v };
        if sci && v != 0.0 {
            let s = format!("{v:.2e}");
            match s.split_once('e') {
                Some((m, e)) => format!("{}e{e}", trim_zeros(m)),
                None => s,
            }
        } else {
            trim_zeros(&format!("{v:.decimals$}")).to_string()
        }
    }
}

/// "1.50" -> "1.5", "2.00" -> "2", "-0" -> "0".
fn trim_zeros(s: &str) -> &str {
    let t = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    };
    if t == "-0" {
        "0"
    } else {
        t
    }
}

/// Draw a figure of maps.
pub fn render_maps(fig: &MapFigure) -> RenderResult<Image> {
    register_font();
    let extents: Vec<(f64, f64)> = fig
        .panels
        .iter()
        .map(|p| (p.x_range.1 - p.x_range.0, p.y_range.1 - p.y_range.0))
        .collect();
    let sizes = panel_sizes(&extents);
    let lines: Vec<&str> = fig.footer.as_deref().map_or(Vec::new(), |f| f.lines().collect());
    let (width, height) = map_figure_size_lines(&extents, lines.len());
    let mut rgb = vec![255u8; (width * height * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        root.draw_text(
            &fig.title,
            &font(TITLE_PT).pos(Pos::new(HPos::Center, VPos::Center)),
            (width as i32 / 2, TITLE_H as i32 / 2),
        )
        .map_err(err)?;
        let mut x0 = 0i32;
        let plot_h = sizes.iter().map(|s| s.1).max().unwrap_or(PANEL_MIN_PX);
        for (p, &(pw, ph)) in fig.panels.iter().zip(&sizes) {
            let w = (LEFT_MARGIN + Y_AXIS_W + pw + PANEL_GAP) as i32;
            let area = root.clone().shrink((x0, TITLE_H as i32), (w as u32, CAPTION_H + ph + X_AXIS_H));
            draw_panel(&area, p, &fig.scale, pw)?;
            x0 += w;
        }
        let cb = root
            .clone()
            .shrink((x0 + 16, (TITLE_H + CAPTION_H) as i32), (COLORBAR_W + COLORBAR_AXIS_W + 14, plot_h));
        draw_colorbar(&cb, &fig.scale)?;
        // The footer's lines, the last one where a one-line footer goes.
        for (k, line) in lines.iter().enumerate() {
            let up = (lines.len() - 1 - k) as u32 * FOOTER_LINE_H;
            root.draw_text(
                line,
                &font(LABEL_PT).pos(Pos::new(HPos::Left, VPos::Center)),
                (16, (height - FOOTER_H / 2 - up) as i32),
            )
            .map_err(err)?;
        }
        root.present().map_err(err)?;
    }
    Ok(Image { width, height, rgb })
}

fn draw_panel<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, p: &Panel, scale: &ColorScale, pw: u32) -> RenderResult<()> {
    area.draw_text(
        &p.caption,
        &font(CAPTION_PT).pos(Pos::new(HPos::Center, VPos::Center)),
        ((LEFT_MARGIN + Y_AXIS_W + pw / 2) as i32, CAPTION_H as i32 / 2),
    )
    .map_err(err)?;
    let mut chart = ChartBuilder::on(area)
        .margin_top(CAPTION_H)
        .margin_left(LEFT_MARGIN)
        .margin_right(PANEL_GAP)
        .x_label_area_size(X_AXIS_H)
        .y_label_area_size(Y_AXIS_W)
        .build_cartesian_2d(p.x_range.0..p.x_range.1, p.y_range.0..p.y_range.1)
        .map_err(err)?;
    let xf = tick_format(p.x_range);
    let yf = tick_format(p.y_range);
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(&p.x_desc)
        .y_desc(&p.y_desc)
        .x_labels(7)
        .y_labels(7)
        .x_label_formatter(&xf)
        .y_label_formatter(&yf)
        .label_style(font(TICK_PT))
        .axis_desc_style(font(DESC_PT))
        .draw()
        .map_err(err)?;

    // The map, one value lookup per pixel (cells smaller than a pixel are
    // sampled at pixel centres).
    let plot = chart.plotting_area();
    let (xr, yr) = plot.get_pixel_range();
    let (nx, ny) = ((xr.end - xr.start) as f64, (yr.end - yr.start) as f64);
    let pixels = plot.strip_coord_spec();
    for py in 0..(yr.end - yr.start) {
        let y = p.y_range.1 - (py as f64 + 0.5) / ny * (p.y_range.1 - p.y_range.0);
        for px in 0..(xr.end - xr.start) {
            let x = p.x_range.0 + (px as f64 + 0.5) / nx * (p.x_range.1 - p.x_range.0);
            let c = match p.map.value_at(x, y) {
                Some(v) if !v.is_nan() => scale.map.color(scale.t(v)),
                _ => NO_DATA,
            };
            pixels.draw_pixel((px, py), &rgb(c)).map_err(err)?;
        }
    }

    // Hatched cells (metals) over the map, pixel by pixel as the map.
    for o in &p.overlays {
        if let Overlay::Cells {
            x_edges,
            y_edges,
            mask,
            color,
            fill,
        } = o
        {
            for py in 0..(yr.end - yr.start) {
                let y = p.y_range.1 - (py as f64 + 0.5) / ny * (p.y_range.1 - p.y_range.0);
                let Some(j) = cell_of(y_edges, y) else { continue };
                for px in 0..(xr.end - xr.start) {
                    let x = p.x_range.0 + (px as f64 + 0.5) / nx * (p.x_range.1 - p.x_range.0);
                    let Some(i) = cell_of(x_edges, x) else { continue };
                    if !mask.get([j, i]).copied().unwrap_or(false) {
                        continue;
                    }
                    // Diagonal lines 2 px wide every HATCH_PX px.
                    if (px + py).rem_euclid(HATCH_PX) < 2 {
                        pixels.draw_pixel((px, py), &rgb(*color)).map_err(err)?;
                    } else if let Some(f) = fill {
                        pixels.draw_pixel((px, py), &rgb(*f)).map_err(err)?;
                    }
                }
            }
        }
    }

    // Overlays: shades first, then outlines and markers, labels last so that
    // no line crosses a label.
    let clamp_x = |x: f64| x.clamp(p.x_range.0, p.x_range.1);
    let clamp_y = |y: f64| y.clamp(p.y_range.0, p.y_range.1);
    let mut labels: Vec<((i32, i32), String, [u8; 3])> = Vec::new();
    for o in &p.overlays {
        if let Overlay::Shade { x, y, color, alpha } = o {
            let r = Rectangle::new(
                [(clamp_x(x.0), clamp_y(y.0)), (clamp_x(x.1), clamp_y(y.1))],
                rgb(*color).mix(*alpha).filled(),
            );
            plot.draw(&r).map_err(err)?;
        }
    }
    for o in &p.overlays {
        match o {
            Overlay::Shade { .. } | Overlay::Cells { .. } => {}
            Overlay::Outline {
                x,
                y,
                color,
                fill_alpha,
                label,
            } => {
                let (a, b) = ((clamp_x(x.0), clamp_y(y.0)), (clamp_x(x.1), clamp_y(y.1)));
                let (pa, pb) = (chart.backend_coord(&a), chart.backend_coord(&b));
                let style = ShapeStyle::from(&rgb(*color)).stroke_width(3);
                if (pa.0 - pb.0).abs() <= 1 && (pa.1 - pb.1).abs() <= 1 {
                    plot.draw(&Circle::new(a, 5, style.filled())).map_err(err)?;
                } else if (pa.0 - pb.0).abs() <= 1 || (pa.1 - pb.1).abs() <= 1 {
                    plot.draw(&PathElement::new(vec![a, b], style)).map_err(err)?;
                } else {
                    if *fill_alpha > 0.0 {
                        plot.draw(&Rectangle::new([a, b], rgb(*color).mix(*fill_alpha).filled()))
                            .map_err(err)?;
                    }
                    plot.draw(&Rectangle::new([a, b], style)).map_err(err)?;
                }
                if let Some(l) = label {
                    let top_left = chart.backend_coord(&(a.0.min(b.0), a.1.max(b.1)));
                    labels.push(((top_left.0 + 4, top_left.1 + 4), l.clone(), *color));
                }
            }
            Overlay::Lines {
                lines,
                color,
                width,
                label,
            } => {
                let style = ShapeStyle::from(&rgb(*color)).stroke_width(*width);
                for l in lines {
                    let pts: Vec<(f64, f64)> = l.iter().map(|&(x, y)| (clamp_x(x), clamp_y(y))).collect();
                    plot.draw(&PathElement::new(pts, style)).map_err(err)?;
                }
                if let (Some(l), Some(&first)) = (label, lines.first().and_then(|l| l.first())) {
                    let c = chart.backend_coord(&(clamp_x(first.0), clamp_y(first.1)));
                    labels.push(((c.0 + 4, c.1 + 4), l.clone(), *color));
                }
            }
            Overlay::Dot { x, y, color } => {
                if *x >= p.x_range.0 && *x <= p.x_range.1 && *y >= p.y_range.0 && *y <= p.y_range.1 {
                    plot.draw(&Circle::new((*x, *y), 3, rgb(*color).filled())).map_err(err)?;
                }
            }
            Overlay::Marker { x, y, color, label } => {
                if *x < p.x_range.0 || *x > p.x_range.1 || *y < p.y_range.0 || *y > p.y_range.1 {
                    continue;
                }
                plot.draw(&Circle::new((*x, *y), 7, WHITE.filled())).map_err(err)?;
                plot.draw(&Circle::new((*x, *y), 5, rgb(*color).filled())).map_err(err)?;
                if let Some(l) = label {
                    let c = chart.backend_coord(&(*x, *y));
                    labels.push(((c.0 + 9, c.1 + 4), l.clone(), *color));
                }
            }
        }
    }
    // Labels inside the plot area, on a white box, in their overlay's colour;
    // a label that would cover one already placed moves down below it.
    let (ax0, ay0) = area.get_base_pixel();
    let right = xr.end - ax0;
    let bottom = yr.end - ay0;
    let mut placed: Vec<(i32, i32, i32, i32)> = Vec::new();
    for ((x, y), text, color) in labels {
        let c = rgb(color);
        let style = font(LABEL_PT).color(&c);
        let (tw, th) = area.estimate_text_size(&text, &style).map_err(err)?;
        let (tw, th) = (tw as i32, th as i32);
        let x = (x - ax0).min(right - tw - 6).max(xr.start - ax0 + 2);
        let mut y = (y - ay0).min(bottom - th - 6).max(yr.start - ay0 + 2);
        while let Some(r) = placed
            .iter()
            .find(|r| x < r.0 + r.2 + 4 && r.0 < x + tw + 4 && y < r.1 + r.3 + 4 && r.1 < y + th + 4)
        {
            y = r.1 + r.3 + 6;
        }
        placed.push((x, y, tw, th));
        area.draw(&Rectangle::new(
            [(x - 2, y - 2), (x + tw + 3, y + th + 3)],
            WHITE.mix(0.85).filled(),
        ))
        .map_err(err)?;
        area.draw_text(&text, &style, (x, y)).map_err(err)?;
    }
    Ok(())
}

fn draw_colorbar<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, s: &ColorScale) -> RenderResult<()> {
    let (lo, hi) = if s.max > s.min {
        (s.min, s.max)
    } else {
        (s.min - 0.5, s.min + 0.5)
    };
    let mut chart = ChartBuilder::on(area)
        .right_y_label_area_size(COLORBAR_AXIS_W)
        .margin_right(14)
        .margin_top(1)
        .margin_bottom(1)
        .build_cartesian_2d(0.0..1.0, lo..hi)
        .map_err(err)?;
    let f = tick_format((lo, hi));
    chart
        .configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .set_tick_mark_size(LabelAreaPosition::Right, 5)
        .y_labels(8)
        .y_label_formatter(&f)
        .label_style(font(TICK_PT))
        .axis_desc_style(font(DESC_PT))
        .y_desc(&s.label)
        .draw()
        .map_err(err)?;
    let plot = chart.plotting_area();
    let (xr, yr) = plot.get_pixel_range();
    let n = (yr.end - yr.start).max(1);
    let pixels = plot.strip_coord_spec();
    for py in 0..n {
        let v = hi - (py as f64 + 0.5) / n as f64 * (hi - lo);
        let c = rgb(s.map.color(s.t(v)));
        for px in 0..(xr.end - xr.start) {
            pixels.draw_pixel((px, py), &c).map_err(err)?;
        }
    }
    plot.draw(&Rectangle::new([(0.0, lo), (1.0, hi)], BLACK.stroke_width(1)))
        .map_err(err)?;
    Ok(())
}

/// A line plot of y(x), e.g. a spectrum.
#[derive(Clone, Debug)]
pub struct LineFigure {
    pub title: String,
    pub x_desc: String,
    pub y_desc: String,
    pub points: Vec<(f64, f64)>,
}

/// The image size (px) of a [`LineFigure`].
pub fn line_figure_size() -> (u32, u32) {
    plot_figure_size(false)
}

/// Draw a line plot (points marked; one point is a marker alone).
pub fn render_line(fig: &LineFigure) -> RenderResult<Image> {
    render_plot(&PlotFigure {
        title: fig.title.clone(),
        x_desc: fig.x_desc.clone(),
        y_desc: fig.y_desc.clone(),
        series: vec![Series {
            label: None,
            color: LINE_BLUE,
            points: fig.points.clone(),
            dashed: false,
            markers: true,
        }],
        vlines: Vec::new(),
        x_range: None,
        log_y: false,
        footer: None,
    })
}

/// The colour of a single line.
pub const LINE_BLUE: [u8; 3] = [31, 90, 200];

/// Distinct line colours (matplotlib's tab10, without its grey).
pub const SERIES_COLORS: [[u8; 3]; 9] = [
    [31, 119, 180],
    [255, 127, 14],
    [44, 160, 44],
    [214, 39, 40],
    [148, 103, 189],
    [140, 86, 75],
    [227, 119, 194],
    [188, 189, 34],
    [23, 190, 207],
];

/// One curve of a [`PlotFigure`]. Points with a non-finite y (or y <= 0 on
/// a log axis) break the line.
#[derive(Clone, Debug)]
pub struct Series {
    /// Its legend entry; none: not in the legend.
    pub label: Option<String>,
    pub color: [u8; 3],
    pub points: Vec<(f64, f64)>,
    pub dashed: bool,
    /// A dot on each point.
    pub markers: bool,
}

/// Curves y(x) on shared axes, with a legend when a curve has a label.
#[derive(Clone, Debug)]
pub struct PlotFigure {
    pub title: String,
    pub x_desc: String,
    pub y_desc: String,
    pub series: Vec<Series>,
    /// Vertical dashed lines at these x, in this colour, e.g. an NA cone.
    pub vlines: Vec<(f64, [u8; 3])>,
    /// The x axis range; default: the data's, padded by 5 %.
    pub x_range: Option<(f64, f64)>,
    /// A logarithmic y axis (ticks at powers of ten).
    pub log_y: bool,
    /// A line of text under the plot.
    pub footer: Option<String>,
}

/// The image size (px) of a [`PlotFigure`] without a legend.
pub fn plot_figure_size(footer: bool) -> (u32, u32) {
    (
        LEFT_MARGIN + Y_AXIS_W + 20 + LINE_W + PANEL_GAP,
        TITLE_H + LINE_H + X_AXIS_H + 10 + if footer { FOOTER_H } else { 0 },
    )
}

/// Legend layout (px): gap between the plot's column and the legend box,
/// padding inside the box, line sample length, gap to the text, row height.
const LEGEND_GAP: u32 = 4;
const LEGEND_PAD: u32 = 10;
const LEGEND_SAMPLE: u32 = 24;
const LEGEND_TEXT_GAP: u32 = 8;
const LEGEND_ROW: u32 = 24;

/// Where things lie in the image of a [`PlotFigure`] (px, (left, top,
/// width, height)). The legend is a box right of the plot area, never over
/// the data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlotLayout {
    pub width: u32,
    pub height: u32,
    pub plot_area: (u32, u32, u32, u32),
    /// None when no curve has a label.
    pub legend: Option<(u32, u32, u32, u32)>,
}

/// The layout [`render_plot`] draws `fig` with.
pub fn plot_layout(fig: &PlotFigure) -> PlotLayout {
    register_font();
    let (w0, height) = plot_figure_size(fig.footer.is_some());
    let plot_area = (LEFT_MARGIN + Y_AXIS_W + 20, TITLE_H, LINE_W, LINE_H);
    let labels: Vec<&str> = fig.series.iter().filter_map(|s| s.label.as_deref()).collect();
    if labels.is_empty() {
        return PlotLayout {
            width: w0,
            height,
            plot_area,
            legend: None,
        };
    }
    let style = font(LABEL_PT);
    // Text width as the font lays it out (a rough guess if it cannot: 9 px a character).
    let text_w = labels
        .iter()
        .map(|l| style.font.box_size(l).map_or(9 * l.chars().count() as u32, |b| b.0))
        .max()
        .unwrap_or(0);
    let box_w = 2 * LEGEND_PAD + LEGEND_SAMPLE + LEGEND_TEXT_GAP + text_w;
    let box_h = 2 * LEGEND_PAD + LEGEND_ROW * labels.len() as u32;
    PlotLayout {
        width: w0 + LEGEND_GAP + box_w + 12,
        height: height.max(TITLE_H + box_h + 10),
        plot_area,
        legend: Some((w0 + LEGEND_GAP, TITLE_H, box_w, box_h)),
    }
}

/// The points of `s` as drawn (log10 y on a log axis), split where a
/// value cannot be drawn.
fn drawable_runs(s: &Series, log_y: bool) -> Vec<Vec<(f64, f64)>> {
    let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for &(x, y) in &s.points {
        let y = if log_y {
            if y > 0.0 {
                y.log10()
            } else {
                f64::NAN
            }
        } else {
            y
        };
        if x.is_finite() && y.is_finite() {
            if let Some(r) = runs.last_mut() {
                r.push((x, y));
            }
        } else if runs.last().is_some_and(|r| !r.is_empty()) {
            runs.push(Vec::new());
        }
    }
    runs.retain(|r| !r.is_empty());
    runs
}

/// Draw curves on shared axes. A log y axis is drawn as log10(y) on a
/// linear axis with ticks labelled 10^k.
pub fn render_plot(fig: &PlotFigure) -> RenderResult<Image> {
    register_font();
    let layout = plot_layout(fig);
    let (width, height) = (layout.width, layout.height);
    let (w0, _) = plot_figure_size(fig.footer.is_some());
    let runs: Vec<Vec<Vec<(f64, f64)>>> = fig.series.iter().map(|s| drawable_runs(s, fig.log_y)).collect();
    let all = || runs.iter().flatten().flatten();
    let range = |v: &mut dyn Iterator<Item = f64>| {
        let (lo, hi) = v.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(x), b.max(x)));
        if !(lo.is_finite() && hi.is_finite()) {
            (0.0, 1.0)
        } else if hi > lo {
            let pad = 0.05 * (hi - lo);
            (lo - pad, hi + pad)
        } else {
            let pad = if lo != 0.0 { 0.05 * lo.abs() } else { 0.5 };
            (lo - pad, hi + pad)
        }
    };
    let xr = fig.x_range.unwrap_or_else(|| range(&mut all().map(|p| p.0)));
    let yr = if fig.log_y {
        // Whole decades, so that ticks fall on powers of ten.
        let (lo, hi) = range(&mut all().map(|p| p.1));
        (lo.floor(), hi.ceil().max(lo.floor() + 1.0))
    } else {
        range(&mut all().map(|p| p.1))
    };
    let mut rgbbuf = vec![255u8; (width * height * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgbbuf, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        root.draw_text(
            &fig.title,
            &font(TITLE_PT).pos(Pos::new(HPos::Center, VPos::Center)),
            (width as i32 / 2, TITLE_H as i32 / 2),
        )
        .map_err(err)?;
        // The chart's column: the plot area at `layout.plot_area`, the
        // legend to its right.
        let body_h = TITLE_H + LINE_H + X_AXIS_H + 10;
        let body = root.clone().shrink((0, 0), (w0, body_h));
        let mut chart = ChartBuilder::on(&body)
            .margin_top(TITLE_H)
            .margin_left(LEFT_MARGIN)
            .margin_right(PANEL_GAP)
            .margin_bottom(10)
            .x_label_area_size(X_AXIS_H)
            .y_label_area_size(Y_AXIS_W + 20)
            .build_cartesian_2d(xr.0..xr.1, yr.0..yr.1)
            .map_err(err)?;
        let xf = tick_format(xr);
        let linear_yf = tick_format(yr);
        let log_yf = |v: &f64| {
            let p = 10f64.powf(*v);
            if (v - v.round()).abs() < 1e-9 {
                format!("1e{}", v.round() as i64)
            } else {
                format!("{p:.1e}")
            }
        };
        let yf: &dyn Fn(&f64) -> String = if fig.log_y { &log_yf } else { &linear_yf };
        let decades = (yr.1 - yr.0).round() as usize;
        chart
            .configure_mesh()
            .x_desc(&fig.x_desc)
            .y_desc(&fig.y_desc)
            .x_labels(8)
            .y_labels(if fig.log_y { (decades + 1).clamp(2, 9) } else { 8 })
            .x_label_formatter(&xf)
            .y_label_formatter(&yf)
            .label_style(font(TICK_PT))
            .axis_desc_style(font(DESC_PT))
            .light_line_style(RGBColor(235, 235, 235))
            .bold_line_style(RGBColor(215, 215, 215))
            // Evenly spaced minor lines would mislead on a log axis.
            .y_max_light_lines(if fig.log_y { 0 } else { 10 })
            .draw()
            .map_err(err)?;
        for &(x, c) in &fig.vlines {
            if x >= xr.0 && x <= xr.1 {
                chart
                    .draw_series(DashedLineSeries::new([(x, yr.0), (x, yr.1)], 8, 5, rgb(c).stroke_width(2)))
                    .map_err(err)?;
            }
        }
        for (s, runs) in fig.series.iter().zip(&runs) {
            let color = rgb(s.color);
            let style = color.stroke_width(2);
            for r in runs {
                if s.dashed {
                    chart
                        .draw_series(DashedLineSeries::new(r.iter().copied(), 8, 5, style))
                        .map_err(err)?;
                } else {
                    chart.draw_series(LineSeries::new(r.iter().copied(), style)).map_err(err)?;
                }
            }
            let single = runs.iter().all(|r| r.len() == 1);
            chart
                .draw_series(
                    runs.iter()
                        .flatten()
                        .filter(|_| s.markers || single)
                        .map(|&p| Circle::new(p, 4, color.filled())),
                )
                .map_err(err)?;
        }
        if let Some((lx, ly, lw, lh)) = layout.legend {
            let (lx, ly) = (lx as i32, ly as i32);
            root.draw(&Rectangle::new(
                [(lx, ly), (lx + lw as i32 - 1, ly + lh as i32 - 1)],
                RGBColor(160, 160, 160),
            ))
            .map_err(err)?;
            let labelled = fig.series.iter().filter_map(|s| s.label.as_ref().map(|l| (s, l)));
            for (k, (s, label)) in labelled.enumerate() {
                let y = ly + (LEGEND_PAD + LEGEND_ROW * k as u32 + LEGEND_ROW / 2) as i32;
                let x = lx + LEGEND_PAD as i32;
                let style = rgb(s.color).stroke_width(2);
                let sample = LEGEND_SAMPLE as i32;
                if s.dashed {
                    root.draw(&PathElement::new(vec![(x, y), (x + sample / 3, y)], style))
                        .map_err(err)?;
                    root.draw(&PathElement::new(vec![(x + 2 * sample / 3, y), (x + sample, y)], style))
                        .map_err(err)?;
                } else {
                    root.draw(&PathElement::new(vec![(x, y), (x + sample, y)], style)).map_err(err)?;
                }
                if s.markers {
                    root.draw(&Circle::new((x + sample / 2, y), 4, rgb(s.color).filled()))
                        .map_err(err)?;
                }
                root.draw_text(
                    label,
                    &font(LABEL_PT).pos(Pos::new(HPos::Left, VPos::Center)),
                    (x + sample + LEGEND_TEXT_GAP as i32, y),
                )
                .map_err(err)?;
            }
        }
        if let Some(f) = &fig.footer {
            root.draw_text(
                f,
                &font(LABEL_PT).pos(Pos::new(HPos::Left, VPos::Center)),
                (16, (height - FOOTER_H / 2) as i32),
            )
            .map_err(err)?;
        }
        root.present().map_err(err)?;
    }
    Ok(Image {
        width,
        height,
        rgb: rgbbuf,
    })
}
