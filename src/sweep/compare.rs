//! `lumen compare`: the key metrics of several designs side by side, and a
//! plot of one metric against wavelength (one line per design) or against a
//! swept parameter (one line per wavelength).
//!
//! A design is a result file (`.h5`; its scalar results as in a summary
//! table) or a row of a summary table (`.csv`). The metrics are the summary
//! table's result columns (`trans.ratio@0.6um`, ...), so a table and a file
//! compare alike.

use std::path::{Path, PathBuf};

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::table::{metrics_from_file, split_metric, Table, STATUS_INCOMPLETE, STATUS_OK};
use super::{fmt_f64, SweepError};
use crate::plot::Image;

/// One column of the comparison.
#[derive(Clone, Debug)]
pub struct Design {
    pub label: String,
    /// The file it came from.
    pub source: PathBuf,
    /// `ok`, `incomplete`, ... as in a summary table.
    pub status: String,
    pub wall_time_s: Option<f64>,
    /// Parameter (column, cell) of a summary-table row; empty for a file.
    pub params: Vec<(String, String)>,
    pub metrics: Vec<(String, f64)>,
}

impl Design {
    /// Its name in a plot legend: the parameter values of a table row, else the label.
    pub fn legend(&self) -> String {
        if self.params.is_empty() {
            self.label.clone()
        } else {
            self.params.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join(", ")
        }
    }

    pub fn metric(&self, name: &str) -> Option<f64> {
        self.metrics.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }
}

/// Read the designs of result files (`.h5`) and summary tables (`.csv`, one
/// design per row that has results).
pub fn load(inputs: &[PathBuf]) -> Result<Vec<Design>, SweepError> {
    let mut out = Vec::new();
    let stems: Vec<String> = inputs
        .iter()
        .map(|p| p.file_stem().map_or_else(String::new, |s| s.to_string_lossy().into_owned()))
        .collect();
    let unique = |i: usize| stems.iter().filter(|s| **s == stems[i]).count() == 1;
    let several_tables = inputs.iter().filter(|p| is_csv(p)).count() > 1;
    for (i, path) in inputs.iter().enumerate() {
        // Whatever is wrong with an input is the user's to fix (exit code 2).
        let bad = |e: SweepError| SweepError::Request(e.to_string());
        if is_csv(path) {
            let t = Table::read_csv(path).map_err(bad)?;
            for r in t.rows.into_iter().filter(|r| !r.metrics.is_empty()) {
                out.push(Design {
                    label: if several_tables {
                        format!("{}:{}", stems[i], r.variant)
                    } else {
                        r.variant.clone()
                    },
                    source: path.clone(),
                    status: r.status,
                    wall_time_s: r.wall_time_s,
                    params: t.params.iter().cloned().zip(r.params).collect(),
                    metrics: r.metrics,
                });
            }
        } else {
            let (s, metrics) = metrics_from_file(path).map_err(|e| bad(e.into()))?;
            out.push(Design {
                label: if unique(i) { stems[i].clone() } else { path.display().to_string() },
                source: path.clone(),
                status: if s.complete { STATUS_OK } else { STATUS_INCOMPLETE }.into(),
                wall_time_s: Some(s.wall_time_s),
                params: Vec::new(),
                metrics,
            });
        }
    }
    if out.is_empty() {
        return Err(SweepError::Request(
            "no results to compare (summary tables with no completed rows?)".into(),
        ));
    }
    Ok(out)
}

fn is_csv(p: &Path) -> bool {
    p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"))
}

/// Metric names in order of first appearance.
pub fn metric_names(designs: &[Design]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for d in designs {
        for (n, _) in &d.metrics {
            if !out.contains(n) {
                out.push(n.clone());
            }
        }
    }
    out
}

/// `MONITOR.QUANTITY` of the metrics, in order of first appearance.
pub fn quantities(designs: &[Design]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in metric_names(designs) {
        if let Some((q, _)) = split_metric(&n) {
            if !out.iter().any(|o| o == q) {
                out.push(q.to_string());
            }
        }
    }
    out
}

/// The quantity plotted by default: the first normalised flux (`.ratio`),
/// else the first flux, else the first.
pub fn default_quantity(designs: &[Design]) -> Option<String> {
    let q = quantities(designs);
    [".ratio", ".flux"]
        .iter()
        .find_map(|suffix| q.iter().find(|n| n.ends_with(suffix)).cloned())
        .or_else(|| q.first().cloned())
}

/// 6 significant digits.
fn short(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return fmt_f64(v);
    }
    let mag = v.abs().log10().floor() as i32;
    if (-3..5).contains(&mag) {
        format!("{:.*}", (5 - mag).max(0) as usize, v)
    } else {
        format!("{v:.5e}")
    }
}

/// The side-by-side table: a row per metric, a column per design; `*`
/// marks the largest value of each metric row.
pub fn table_text(designs: &[Design]) -> String {
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut head = vec!["".to_string()];
    head.extend(designs.iter().map(|d| d.label.clone()));
    rows.push(head);
    let mut params: Vec<&str> = Vec::new();
    for d in designs {
        for (p, _) in &d.params {
            if !params.contains(&p.as_str()) {
                params.push(p);
            }
        }
    }
    for p in params {
        let mut r = vec![p.to_string()];
        r.extend(
            designs
                .iter()
                .map(|d| d.params.iter().find(|(n, _)| n == p).map(|(_, v)| v.clone()).unwrap_or_default()),
        );
        rows.push(r);
    }
    let mut status = vec!["status".to_string()];
    status.extend(designs.iter().map(|d| d.status.clone()));
    rows.push(status);
    let mut wall = vec!["wall_time_s".to_string()];
    wall.extend(designs.iter().map(|d| d.wall_time_s.map(|w| format!("{w:.2}")).unwrap_or_default()));
    rows.push(wall);
    for m in metric_names(designs) {
        let vals: Vec<Option<f64>> = designs.iter().map(|d| d.metric(&m)).collect();
        let present = vals.iter().flatten().filter(|v| v.is_finite()).count();
        let best = vals
            .iter()
            .flatten()
            .copied()
            .filter(|v| v.is_finite())
            .fold(f64::NEG_INFINITY, f64::max);
        let mut r = vec![m.clone()];
        r.extend(vals.iter().map(|v| match v {
            Some(x) if present > 1 && *x == best => format!("{}*", short(*x)),
            Some(x) => short(*x),
            None => "-".into(),
        }));
        rows.push(r);
    }
    let ncol = rows[0].len();
    let widths: Vec<usize> = (0..ncol)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in &rows {
        let line: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(c, s)| {
                if c == 0 {
                    format!("{s:<w$}", w = widths[c])
                } else {
                    format!("{s:>w$}", w = widths[c])
                }
            })
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    if designs.len() > 1 {
        out.push_str("(* the largest value of the row)\n");
    }
    out
}

/// One line of a plot.
struct Series {
    label: String,
    points: Vec<(f64, f64)>,
}

/// The comparison plot: `quantity` (default [`default_quantity`]) against
/// wavelength, one line per design; or, with `x` (a parameter column of a
/// summary table), against that parameter, one line per wavelength and
/// combination of the other parameters' values; `wavelengths_um`, if not
/// empty, keeps only the recorded wavelength nearest each of them.
/// Returns the image and a description of what it shows.
pub fn plot(designs: &[Design], quantity: Option<&str>, x: Option<&str>, wavelengths_um: &[f64]) -> Result<(Image, String), SweepError> {
    let available = quantities(designs);
    let q = match quantity {
        Some(q) => q.to_string(),
        None => default_quantity(designs)
            .ok_or_else(|| SweepError::Request("the inputs have no flux or source_power results to plot".into()))?,
    };
    if !available.contains(&q) {
        return Err(SweepError::Request(format!(
            "--metric {q}: not among the inputs' metrics: {}",
            available.join(", ")
        )));
    }
    let at = |d: &Design| -> Vec<(f64, f64)> {
        let mut p: Vec<(f64, f64)> = d
            .metrics
            .iter()
            .filter_map(|(n, v)| split_metric(n).filter(|(mq, _)| *mq == q).map(|(_, w)| (w, *v)))
            .collect();
        p.sort_by(|a, b| a.0.total_cmp(&b.0));
        if !wavelengths_um.is_empty() {
            let nearest = |w: f64| p.iter().map(|q| q.0).min_by(|a, b| (a - w).abs().total_cmp(&(b - w).abs()));
            let keep: Vec<f64> = wavelengths_um.iter().filter_map(|&w| nearest(w)).collect();
            p.retain(|q| keep.contains(&q.0));
        }
        p
    };
    let (series, x_desc, title) = match x {
        None => (
            designs
                .iter()
                .map(|d| Series {
                    label: d.legend(),
                    points: at(d),
                })
                .collect::<Vec<_>>(),
            "wavelength (um)".to_string(),
            format!("{q} vs wavelength"),
        ),
        Some(param) => {
            let mut series: Vec<Series> = Vec::new();
            let sources: Vec<&PathBuf> = designs.iter().map(|d| &d.source).fold(Vec::new(), |mut v, s| {
                if !v.contains(&s) {
                    v.push(s);
                }
                v
            });
            for d in designs {
                let Some((_, cell)) = d.params.iter().find(|(n, _)| n == param) else {
                    return Err(SweepError::Request(format!(
                        "--x {param}: {} has no parameter column `{param}`{}",
                        d.source.display(),
                        if d.params.is_empty() {
                            String::new()
                        } else {
                            format!(" (it has {})", d.params.iter().map(|p| p.0.as_str()).collect::<Vec<_>>().join(", "))
                        }
                    )));
                };
                let xv: f64 = cell
                    .parse()
                    .map_err(|_| SweepError::Request(format!("--x {param}: `{cell}` (variant {}) is not a number", d.label)))?;
                // One line per wavelength and per value of the other parameters.
                let others: Vec<String> = d
                    .params
                    .iter()
                    .filter(|(n, _)| n != param)
                    .map(|(n, v)| format!("{n}={v}"))
                    .collect();
                for (w, y) in at(d) {
                    let mut label = format!("{w} um");
                    if !others.is_empty() {
                        label = format!("{}, {label}", others.join(", "));
                    }
                    if sources.len() > 1 {
                        label = format!(
                            "{}: {label}",
                            d.source.file_stem().map_or_else(String::new, |s| s.to_string_lossy().into_owned())
                        );
                    }
                    match series.iter_mut().find(|s| s.label == label) {
                        Some(s) => s.points.push((xv, y)),
                        None => series.push(Series {
                            label,
                            points: vec![(xv, y)],
                        }),
                    }
                }
            }
            for s in &mut series {
                s.points.sort_by(|a, b| a.0.total_cmp(&b.0));
            }
            (series, param.to_string(), format!("{q} vs {param}"))
        }
    };
    let image = render(&title, &x_desc, &q, &series).map_err(SweepError::Plot)?;
    Ok((
        image,
        format!("{title}, {} line{}", series.len(), if series.len() == 1 { "" } else { "s" }),
    ))
}

const W: u32 = 960;
const H: u32 = 600;
/// Legends longer than this are left out (the lines stay).
const MAX_LEGEND: usize = 16;
/// Tableau 10.
const PALETTE: [(u8, u8, u8); 10] = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
];
const FONT: &str = "sans-serif";

fn register_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    // The same font as `crate::plot` registers (DejaVu Sans, compiled in).
    ONCE.call_once(|| {
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
    });
}

fn range(v: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = v
        .filter(|x| x.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(x), b.max(x)));
    if !(lo.is_finite() && hi.is_finite()) {
        (0.0, 1.0)
    } else if hi > lo {
        let pad = 0.05 * (hi - lo);
        (lo - pad, hi + pad)
    } else {
        let pad = if lo != 0.0 { 0.05 * lo.abs() } else { 0.5 };
        (lo - pad, hi + pad)
    }
}

fn render(title: &str, x_desc: &str, y_desc: &str, series: &[Series]) -> Result<Image, String> {
    register_font();
    let e = |e: &dyn std::fmt::Debug| format!("{e:?}");
    let xr = range(series.iter().flat_map(|s| s.points.iter().map(|p| p.0)));
    let yr = range(series.iter().flat_map(|s| s.points.iter().map(|p| p.1)));
    let mut rgb = vec![255u8; (W * H * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (W, H)).into_drawing_area();
        root.fill(&WHITE).map_err(|x| e(&x))?;
        root.draw_text(
            title,
            &(FONT, 22).into_font().color(&BLACK).pos(Pos::new(HPos::Center, VPos::Center)),
            (W as i32 / 2, 20),
        )
        .map_err(|x| e(&x))?;
        let mut chart = ChartBuilder::on(&root)
            .margin_top(40)
            .margin_left(10)
            .margin_right(30)
            .margin_bottom(10)
            .x_label_area_size(55)
            .y_label_area_size(95)
            .build_cartesian_2d(xr.0..xr.1, yr.0..yr.1)
            .map_err(|x| e(&x))?;
        let fmt = |v: &f64| {
            let s = short(*v);
            if s.contains('e') {
                s
            } else if s.contains('.') {
                s.trim_end_matches('0').trim_end_matches('.').to_string()
            } else {
                s
            }
        };
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc(y_desc)
            .x_labels(8)
            .y_labels(8)
            .x_label_formatter(&fmt)
            .y_label_formatter(&fmt)
            .label_style((FONT, 15).into_font())
            .axis_desc_style((FONT, 17).into_font())
            .light_line_style(RGBColor(235, 235, 235))
            .bold_line_style(RGBColor(215, 215, 215))
            .draw()
            .map_err(|x| e(&x))?;
        for (i, s) in series.iter().enumerate() {
            let (r, g, b) = PALETTE[i % PALETTE.len()];
            let color = RGBColor(r, g, b);
            let pts: Vec<(f64, f64)> = s.points.iter().copied().filter(|(x, y)| x.is_finite() && y.is_finite()).collect();
            let drawn = chart
                .draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(2)))
                .map_err(|x| e(&x))?;
            if series.len() <= MAX_LEGEND {
                drawn
                    .label(s.label.clone())
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
            }
            // Markers only where they can be told apart.
            let markers = if pts.len() <= 40 { pts.as_slice() } else { &[] };
            chart
                .draw_series(markers.iter().map(|&p| Circle::new(p, 3, color.filled())))
                .map_err(|x| e(&x))?;
        }
        if series.len() <= MAX_LEGEND {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .background_style(WHITE.mix(0.85))
                .border_style(RGBColor(180, 180, 180))
                .label_font((FONT, 14).into_font())
                .draw()
                .map_err(|x| e(&x))?;
        }
        root.present().map_err(|x| e(&x))?;
    }
    Ok(Image { width: W, height: H, rgb })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn design(label: &str, metrics: &[(&str, f64)]) -> Design {
        Design {
            label: label.into(),
            source: PathBuf::from(format!("{label}.h5")),
            status: STATUS_OK.into(),
            wall_time_s: Some(1.0),
            params: vec![("gap".into(), if label == "a" { "0.1".into() } else { "0.2".into() })],
            metrics: metrics.iter().map(|(n, v)| (n.to_string(), *v)).collect(),
        }
    }

    #[test]
    fn table_marks_the_best_and_plot_draws() {
        let d = [
            design("a", &[("t.flux@0.5um", 1.0), ("t.ratio@0.5um", 0.5), ("t.ratio@0.6um", 0.4)]),
            design("b", &[("t.flux@0.5um", 2.0), ("t.ratio@0.5um", 0.7), ("t.ratio@0.6um", 0.3)]),
        ];
        let t = table_text(&d);
        assert!(t.contains("0.700000*"), "{t}");
        assert!(t.contains("0.400000*"), "{t}");
        assert_eq!(default_quantity(&d).as_deref(), Some("t.ratio"));
        let (img, what) = plot(&d, None, None, &[]).unwrap();
        assert_eq!((img.width, img.height), (W, H));
        assert!(what.contains("t.ratio vs wavelength"), "{what}");
        // Some pixels of the first two palette colours.
        let has = |c: (u8, u8, u8)| img.rgb.chunks(3).any(|p| p == [c.0, c.1, c.2]);
        assert!(has(PALETTE[0]) && has(PALETTE[1]));
        let (_, what) = plot(&d, Some("t.flux"), Some("gap"), &[0.52]).unwrap();
        // One line per (file, wavelength): a.h5 and b.h5 are two sources.
        assert!(what.contains("t.flux vs gap, 2 lines"), "{what}");
        assert!(plot(&d, Some("nope"), None, &[]).unwrap_err().to_string().contains("t.ratio"));
    }
}
