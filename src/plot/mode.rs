//! Guided modes: the power per mode of a `mode` monitor against wavelength,
//! and [`mode_map`], a mode's profile on a waveguide cross-section (for
//! `lumen modes`).
//!
//! A `mode` monitor is drawn as lines over wavelength: per mode, the power
//! going forward (solid) and backward (dashed) in one colour, and the total
//! flux through the port (grey) for reference. The y axis is logarithmic when
//! the positive values span more than two decades (backward powers are often
//! orders of magnitude below forward ones); values <= 0 then leave a gap.
//! The legend names each mode as the slab solver does (a 2D TM run
//! decomposes into TE modes, a TE run into TM modes) with its n_eff at the
//! middle wavelength.

use std::path::Path;

use ndarray::Array2;

use super::figure::{self, ColorScale, Colormap, Heatmap, Image, MapFigure, Overlay, Panel, PlotFigure, Series, SERIES_COLORS};
use super::{fmt_num, PlotError};
use crate::output::{self, FileSummary, MonitorSummary};

/// Colour of the total port flux.
const FLUX_GREY: [u8; 3] = [70, 70, 70];
/// Colour of the index-step outline over a mode map.
pub const OUTLINE_COLOR: [u8; 3] = [0, 200, 255];

pub(super) fn mode_plot(path: &Path, file: &str, s: &FileSummary, m: &MonitorSummary) -> Result<(Image, String), PlotError> {
    let d = output::read_mode(path, &m.name)?;
    let nf = d.wavelengths_um.len();
    if nf == 0 {
        return Err(PlotError::invalid(
            format!("--monitor {}", m.name),
            "the monitor records no wavelengths",
        ));
    }
    let family = match s.polarization.as_str() {
        "tm" => Some("TE"),
        "te" => Some("TM"),
        _ => None,
    };
    let mid = (nf - 1) / 2;
    let line = |col: &[f64]| -> Vec<(f64, f64)> { d.wavelengths_um.iter().copied().zip(col.iter().copied()).collect() };
    let markers = nf <= 30;
    let mut series = Vec::new();
    for k in 0..d.n_eff.ncols() {
        let color = SERIES_COLORS[k % SERIES_COLORS.len()];
        let n_eff = d.n_eff.column(k);
        // n_eff at the middle wavelength, or at the nearest one where the mode is guided.
        let guided = (0..nf).filter(|&f| n_eff[f].is_finite()).min_by_key(|&f| f.abs_diff(mid));
        let name = crate::modes::mode_name(k, family);
        let label = match guided {
            Some(f) if f == mid => format!("{name}: n_eff {}", fmt_num(round4(n_eff[f]))),
            Some(f) => format!("{name}: n_eff {} at {} µm", fmt_num(round4(n_eff[f])), fmt_num(d.wavelengths_um[f])),
            None => format!("{name}: not guided"),
        };
        series.push(Series {
            label: Some(label),
            color,
            points: line(&d.forward.column(k).to_vec()),
            dashed: false,
            markers,
        });
        series.push(Series {
            label: None,
            color,
            points: line(&d.backward.column(k).to_vec()),
            dashed: true,
            markers,
        });
    }
    series.push(Series {
        label: Some("port flux".into()),
        color: FLUX_GREY,
        points: line(&d.flux),
        dashed: false,
        markers,
    });
    let positive: Vec<f64> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .filter(|v| v.is_finite() && *v > 0.0)
        .collect();
    let lo = positive.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = positive.iter().copied().fold(0.0, f64::max);
    let log_y = !positive.is_empty() && hi > 100.0 * lo;
    let mut footer = format!(
        "solid: forward (along the port direction); dashed: backward; n_eff at λ = {} µm",
        fmt_num(d.wavelengths_um[mid])
    );
    if log_y {
        footer.push_str("; values ≤ 0 not drawn");
    }
    let image = figure::render_plot(&PlotFigure {
        title: format!("{file}: power per guided mode `{}`", m.name),
        x_desc: "wavelength (µm)".into(),
        y_desc: "power (flux units)".into(),
        series,
        vlines: Vec::new(),
        x_range: None,
        log_y,
        footer: Some(footer),
    })?;
    Ok((
        image,
        format!(
            "monitor `{}`: forward and backward power of {} guided modes over {nf} wavelengths{}",
            m.name,
            d.n_eff.ncols(),
            if log_y { " (log scale)" } else { "" }
        ),
    ))
}

fn round4(v: f64) -> f64 {
    (v * 1e4).round() / 1e4
}

/// Draw a non-negative quantity on a cross-section (e.g. |E|^2 of a
/// waveguide mode) as a PNG at `path`.
///
/// - `u_um`, `v_um`: sample positions (um, strictly ascending) along the
///   horizontal and vertical axes of the picture; each sample is drawn as a
///   cell centred on it, edges half-way between samples.
/// - `values`: u fastest, `values[iu + u_um.len() * iv]`. The colour scale
///   runs from 0 to the largest value (black - purple - yellow); negative
///   values are drawn as 0, NaN as "no data" grey.
/// - `eps`: when given (same layout), the outline of the index steps is drawn
///   over the map in cyan: a line along every cell edge across which eps
///   changes (by more than 1e-6 relative). A smoothed interface, whose
///   cells take intermediate values, shows as two lines one cell apart.
/// - `title` goes above, `footer` (one line) below. The axes are labelled
///   "u (µm)" and "v (µm)": say in the title which scene axes they are.
///
/// The image is laid out as other maps (`figure::map_figure_size` with a
/// footer, one panel spanning the cells' extent).
pub fn mode_map(
    path: &Path,
    title: &str,
    footer: &str,
    u_um: &[f64],
    v_um: &[f64],
    values: &[f64],
    eps: Option<&[f64]>,
) -> Result<(), PlotError> {
    mode_map_image(title, footer, u_um, v_um, values, eps)?.write_png(path)
}

/// [`mode_map`] without writing: the picture.
pub fn mode_map_image(
    title: &str,
    footer: &str,
    u_um: &[f64],
    v_um: &[f64],
    values: &[f64],
    eps: Option<&[f64]>,
) -> Result<Image, PlotError> {
    let (nu, nv) = (u_um.len(), v_um.len());
    for (name, p) in [("u_um", u_um), ("v_um", v_um)] {
        if p.is_empty() {
            return Err(PlotError::invalid(format!("mode map {name}"), "no positions"));
        }
        if let Some(i) = (0..p.len()).find(|&i| !p[i].is_finite() || (i > 0 && p[i] <= p[i - 1])) {
            return Err(PlotError::invalid(
                format!("mode map {name}"),
                format!("positions must be finite and strictly ascending; value {i} is {}", p[i]),
            ));
        }
    }
    let want = nu * nv;
    for (name, len) in [("values", Some(values.len())), ("eps", eps.map(<[f64]>::len))] {
        if let Some(len) = len {
            if len != want {
                return Err(PlotError::invalid(
                    format!("mode map {name}"),
                    format!("{len} values for {nu} x {nv} positions (u x v); expected {want}"),
                ));
            }
        }
    }
    let spacing = |p: &[f64]| if p.len() > 1 { p[1] - p[0] } else { f64::NAN };
    let single = [spacing(u_um), spacing(v_um)].into_iter().find(|s| s.is_finite()).unwrap_or(1.0);
    let map = Heatmap::from_centres(
        u_um,
        v_um,
        single,
        Array2::from_shape_fn((nv, nu), |(j, i)| values[i + nu * j].max(0.0)),
    );
    let peak = values.iter().copied().filter(|v| v.is_finite()).fold(0.0, f64::max);
    let mut overlays = Vec::new();
    if let Some(eps) = eps {
        overlays.push(Overlay::Lines {
            lines: index_steps(&map.x_edges, &map.y_edges, eps),
            color: OUTLINE_COLOR,
            width: 2,
            label: None,
        });
    }
    let range = |e: &[f64]| (e[0], e[e.len() - 1]);
    figure::render_maps(&MapFigure {
        title: title.to_string(),
        panels: vec![Panel {
            caption: String::new(),
            x_desc: "u (µm)".into(),
            y_desc: "v (µm)".into(),
            x_range: range(&map.x_edges),
            y_range: range(&map.y_edges),
            map,
            overlays,
        }],
        scale: ColorScale {
            map: Colormap::Inferno,
            min: 0.0,
            max: if peak > 0.0 { peak } else { 1.0 },
            label: "value".into(),
        },
        footer: Some(footer.to_string()),
    })
}

/// Cell edges across which `eps` (u fastest over the cells of `xe` x `ye`)
/// changes, merged into straight runs.
pub(super) fn index_steps(xe: &[f64], ye: &[f64], eps: &[f64]) -> Vec<Vec<(f64, f64)>> {
    let (nu, nv) = (xe.len() - 1, ye.len() - 1);
    let at = |i: usize, j: usize| eps[i + nu * j];
    let differs = |a: f64, b: f64| (a - b).abs() > 1e-6 * a.abs().max(b.abs());
    let mut lines = Vec::new();
    // Vertical edges between columns i and i + 1, merged along v.
    for i in 0..nu.saturating_sub(1) {
        let mut start: Option<usize> = None;
        for j in 0..=nv {
            let step = j < nv && differs(at(i, j), at(i + 1, j));
            match (step, start) {
                (true, None) => start = Some(j),
                (false, Some(s)) => {
                    lines.push(vec![(xe[i + 1], ye[s]), (xe[i + 1], ye[j])]);
                    start = None;
                }
                _ => {}
            }
        }
    }
    // Horizontal edges between rows j and j + 1, merged along u.
    for j in 0..nv.saturating_sub(1) {
        let mut start: Option<usize> = None;
        for i in 0..=nu {
            let step = i < nu && differs(at(i, j), at(i, j + 1));
            match (step, start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => {
                    lines.push(vec![(xe[s], ye[j + 1]), (xe[i], ye[j + 1])]);
                    start = None;
                }
                _ => {}
            }
        }
    }
    lines
}

/// The guided modes of a 2D port (a line) at one wavelength, as a PNG at
/// `path`: each mode's transverse E against position along the port, scaled
/// to a peak |E| of 1 (signs as solved: the largest sample positive), and the
/// refractive index along the line, dashed grey, scaled from its lowest
/// (0) to its highest value (1), the range given in the footer.
///
/// - `pos_um`: sample positions (um, strictly ascending);
/// - `modes`: (legend name, E at each position);
/// - `eps`: relative permittivity at the positions (none: no index line).
pub fn mode_profile(path: &Path, title: &str, pos_um: &[f64], modes: &[(String, Vec<f64>)], eps: Option<&[f64]>) -> Result<(), PlotError> {
    mode_profile_image(title, pos_um, modes, eps)?.write_png(path)
}

/// [`mode_profile`] without writing: the picture.
pub fn mode_profile_image(title: &str, pos_um: &[f64], modes: &[(String, Vec<f64>)], eps: Option<&[f64]>) -> Result<Image, PlotError> {
    if let Some(i) = (0..pos_um.len()).find(|&i| !pos_um[i].is_finite() || (i > 0 && pos_um[i] <= pos_um[i - 1])) {
        return Err(PlotError::invalid(
            "mode profile positions",
            format!("must be finite and strictly ascending; value {i} is {}", pos_um[i]),
        ));
    }
    let lens = modes.iter().map(|(_, e)| e.len()).chain(eps.map(<[f64]>::len));
    if let Some(len) = lens.into_iter().find(|&l| l != pos_um.len()) {
        return Err(PlotError::invalid(
            "mode profile",
            format!("{len} values for {} positions", pos_um.len()),
        ));
    }
    let mut series: Vec<Series> = modes
        .iter()
        .enumerate()
        .map(|(k, (name, e))| {
            let peak = e.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            let scale = if peak > 0.0 { 1.0 / peak } else { 0.0 };
            Series {
                label: Some(name.clone()),
                color: SERIES_COLORS[k % SERIES_COLORS.len()],
                points: pos_um.iter().zip(e).map(|(&x, &v)| (x, v * scale)).collect(),
                dashed: false,
                markers: false,
            }
        })
        .collect();
    let mut footer = "E along the port line, each mode scaled to a peak |E| of 1".to_string();
    if let Some(eps) = eps {
        let n: Vec<f64> = eps.iter().map(|e| e.max(0.0).sqrt()).collect();
        let lo = n.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = n.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let span = if hi > lo { hi - lo } else { 1.0 };
        footer = format!(
            "{footer}; dashed grey: refractive index, {} (0) to {} (1)",
            fmt_num(round4(lo)),
            fmt_num(round4(hi))
        );
        series.push(Series {
            label: Some("index (scaled)".into()),
            color: FLUX_GREY,
            points: pos_um.iter().zip(&n).map(|(&x, &v)| (x, (v - lo) / span)).collect(),
            dashed: true,
            markers: false,
        });
    }
    figure::render_plot(&PlotFigure {
        title: title.to_string(),
        x_desc: "position along the port (µm)".into(),
        y_desc: "E (peak 1)".into(),
        series,
        vlines: Vec::new(),
        x_range: None,
        log_y: false,
        footer: Some(footer),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_steps_outline_a_block() {
        // 4 x 3 cells of unit size, a 2 x 1 block at cells (1..3, 1).
        let xe: Vec<f64> = (0..=4).map(f64::from).collect();
        let ye: Vec<f64> = (0..=3).map(f64::from).collect();
        let mut eps = vec![1.0; 12];
        eps[1 + 4] = 4.0;
        eps[2 + 4] = 4.0;
        let mut lines = index_steps(&xe, &ye, &eps);
        lines.sort_by(|a, b| a.partial_cmp(b).unwrap());
        assert_eq!(
            lines,
            vec![
                vec![(1.0, 1.0), (1.0, 2.0)],
                vec![(1.0, 1.0), (3.0, 1.0)],
                vec![(1.0, 2.0), (3.0, 2.0)],
                vec![(3.0, 1.0), (3.0, 2.0)],
            ]
        );
        assert!(index_steps(&xe, &ye, &[2.0; 12]).is_empty());
    }

    #[test]
    fn bad_shapes_are_refused_with_the_numbers() {
        let e = mode_map_image("t", "f", &[0.0, 1.0], &[0.0], &[1.0], None).unwrap_err();
        assert!(e.to_string().contains("1 values for 2 x 1"), "{e}");
        let e = mode_map_image("t", "f", &[0.0, 0.0], &[0.0], &[1.0, 1.0], None).unwrap_err();
        assert!(e.to_string().contains("strictly ascending"), "{e}");
        let e = mode_map_image("t", "f", &[0.0], &[0.0], &[1.0], Some(&[1.0, 2.0])).unwrap_err();
        assert!(e.to_string().contains("mode map eps"), "{e}");
    }
}
