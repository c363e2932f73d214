//! Far-field monitors: radiated intensity over directions at one wavelength.
//!
//! - 2D runs: a line plot of the power per unit angle against the angle from
//!   +y (the NA axis in 2D), positive towards +x, from -180 to 180 degrees;
//!   the NA cone, when the monitor has one, as dashed lines at
//!   +-asin(NA / n).
//! - 3D runs: the power per unit solid angle over the direction cosines
//!   (kx/k, ky/k), one disc per hemisphere (upper kz > 0, lower kz < 0, both
//!   seen from +z so that x and y keep their directions), with the NA
//!   circle of radius NA / n on the upper one (the NA is about +z).
//!
//! An open far-field plane (`direction`) has one hemisphere: one disc in 3D,
//! half the angles in 2D; its NA is about the plane's projection direction
//! and the footer gives its capture angle (beyond which the plane did not see
//! the emission).
//!
//! The file stores one (theta, phi) per direction (theta from +z, phi from
//! +x; docs/output-format.md). The writer's directions lie on rings of
//! equal theta (midpoint rule); each pixel takes the value of the nearest
//! direction: the nearest ring in theta, then the nearest phi on it. No
//! interpolation, as for field maps: a coarse angular grid shows as such.

use std::f64::consts::{FRAC_PI_2, PI, TAU};
use std::path::Path;

use ndarray::Array2;

use super::figure::{self, ColorScale, Colormap, Heatmap, Image, MapFigure, Overlay, Panel, PlotFigure, Series};
use super::result::wavelength_index;
use super::{fmt_num, PlotError};
use crate::output::{self, FarFieldData, FileSummary, MonitorSummary};

/// Cells per side of a hemisphere map over [-1, 1] (about one per pixel).
const DISC_CELLS: usize = 400;
/// NA marks: dashed lines (2D) or a circle (3D).
const NA_COLOR: [u8; 3] = [0, 200, 255];
const NA_COLOR_2D: [u8; 3] = [214, 39, 40];

pub(super) fn far_field_plot(
    path: &Path,
    file: &str,
    s: &FileSummary,
    m: &MonitorSummary,
    wavelength_um: Option<f64>,
) -> Result<(Image, String), PlotError> {
    let index = wavelength_index(m, wavelength_um)?;
    let d = output::read_far_field(path, &m.name)?;
    if d.theta_rad.is_empty() {
        return Err(PlotError::invalid(
            format!("--monitor {}", m.name),
            "the monitor holds no directions",
        ));
    }
    let wl = d.wavelengths_um[index];
    let title = format!("{file}: far field `{}` at λ = {} µm", m.name, fmt_num(wl));
    let footer = footer(&d, index, s.dimensions == 3);
    let image = if s.dimensions == 3 {
        hemispheres(&d, index, &title, &footer)?
    } else {
        angle_plot(&d, index, &title, &footer)?
    };
    Ok((image, format!("monitor `{}`: far-field intensity at wavelength {wl} um", m.name)))
}

/// The NA cone's half angle (rad) in the medium, when the monitor has an NA.
fn na_half_angle(d: &FarFieldData) -> Option<f64> {
    d.na.map(|na| (na / d.n_background).clamp(0.0, 1.0).asin())
}

fn footer(d: &FarFieldData, f: usize, three_d: bool) -> String {
    let mut parts = Vec::new();
    if let (Some(na), Some(frac), Some(half)) = (d.na, d.na_fraction.as_ref(), na_half_angle(d)) {
        let about = match &d.plane {
            Some((axis, s)) => format!("{}{axis}", if *s < 0.0 { "-" } else { "+" }),
            None if three_d => "+z".into(),
            None => "+y".into(),
        };
        parts.push(format!(
            "NA {} about {about} (n = {}, ±{}°): {} % of the radiated power",
            fmt_num(na),
            fmt_num(d.n_background),
            fmt_num((half.to_degrees() * 10.0).round() / 10.0),
            fmt_num((frac[f] * 1000.0).round() / 10.0)
        ));
    }
    match &d.plane {
        Some(_) => {
            parts.push(format!("hemisphere {} (plane flux {})", fmt_num(d.total[f]), fmt_num(d.flux[f])));
            if let Some(a) = d.capture_angle_deg {
                parts.push(format!("captured to {}°", fmt_num(a.round())));
            }
        }
        None => parts.push(format!(
            "radiated {} (flux out of the box {})",
            fmt_num(d.total[f]),
            fmt_num(d.flux[f])
        )),
    }
    parts.join("    ")
}

/// 2D: intensity against the angle from +y.
fn angle_plot(d: &FarFieldData, f: usize, title: &str, footer: &str) -> Result<Image, PlotError> {
    let mut points: Vec<(f64, f64)> = d
        .phi_rad
        .iter()
        .zip(d.intensity.row(f))
        .map(|(&phi, &u)| (angle_from_y_deg(phi), u))
        .collect();
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    // The NA cone about +y, or about -y for a plane projecting that way.
    let down = matches!(&d.plane, Some((axis, s)) if axis == "y" && *s < 0.0);
    let vlines = match na_half_angle(d) {
        Some(h) if down => vec![(h.to_degrees() - 180.0, NA_COLOR_2D), (180.0 - h.to_degrees(), NA_COLOR_2D)],
        Some(h) => vec![(-h.to_degrees(), NA_COLOR_2D), (h.to_degrees(), NA_COLOR_2D)],
        None => Vec::new(),
    };
    let markers = points.len() <= 60;
    figure::render_plot(&PlotFigure {
        title: title.to_string(),
        x_desc: "angle from +y, towards +x (°)".into(),
        y_desc: "power per unit angle (per rad)".into(),
        series: vec![Series {
            label: None,
            color: figure::LINE_BLUE,
            points,
            dashed: false,
            markers,
        }],
        vlines,
        x_range: Some((-180.0, 180.0)),
        log_y: false,
        footer: Some(footer.to_string()),
    })
}

/// The angle (degrees, in (-180, 180]) from +y towards +x of the in-plane
/// direction at azimuth `phi` (rad) from +x.
pub(super) fn angle_from_y_deg(phi: f64) -> f64 {
    let a = (FRAC_PI_2 - phi).to_degrees().rem_euclid(360.0);
    if a > 180.0 {
        a - 360.0
    } else {
        a
    }
}

/// Directions grouped by theta: rings of (phi, direction index) sorted by phi.
struct Rings {
    theta: Vec<f64>,
    rings: Vec<Vec<(f64, usize)>>,
}

impl Rings {
    fn new(theta: &[f64], phi: &[f64]) -> Rings {
        let mut order: Vec<usize> = (0..theta.len()).collect();
        order.sort_by(|&a, &b| theta[a].total_cmp(&theta[b]));
        let (mut t, mut rings): (Vec<f64>, Vec<Vec<(f64, usize)>>) = (Vec::new(), Vec::new());
        for k in order {
            match t.last() {
                Some(&last) if (theta[k] - last).abs() <= 1e-9 => {}
                _ => {
                    t.push(theta[k]);
                    rings.push(Vec::new());
                }
            }
            if let Some(r) = rings.last_mut() {
                r.push((phi[k].rem_euclid(TAU), k));
            }
        }
        for r in &mut rings {
            r.sort_by(|a, b| a.0.total_cmp(&b.0));
        }
        Rings { theta: t, rings }
    }

    /// Index of the direction nearest (theta, phi): nearest ring, then
    /// nearest azimuth on it (around the circle).
    fn nearest(&self, theta: f64, phi: f64) -> usize {
        let i = self.theta.partition_point(|&t| t < theta);
        let ring = match (i.checked_sub(1), self.theta.get(i)) {
            (Some(a), Some(&b)) if (theta - self.theta[a]) <= (b - theta) => a,
            (Some(a), None) => a,
            _ => i.min(self.theta.len() - 1),
        };
        let r = &self.rings[ring];
        let phi = phi.rem_euclid(TAU);
        let j = r.partition_point(|p| p.0 < phi);
        let around = |a: f64| {
            let d = (a - phi).abs();
            d.min(TAU - d)
        };
        let (before, after) = (r[(j + r.len() - 1) % r.len()], r[j % r.len()]);
        if around(before.0) <= around(after.0) {
            before.1
        } else {
            after.1
        }
    }
}

/// 3D: one disc per hemisphere over (kx/k, ky/k).
fn hemispheres(d: &FarFieldData, f: usize, title: &str, footer: &str) -> Result<Image, PlotError> {
    let rings = Rings::new(&d.theta_rad, &d.phi_rad);
    let u = d.intensity.row(f);
    let upper = d.theta_rad.iter().any(|&t| t < FRAC_PI_2);
    let lower = d.theta_rad.iter().any(|&t| t > FRAC_PI_2);
    let centres: Vec<f64> = (0..DISC_CELLS).map(|i| -1.0 + (i as f64 + 0.5) * 2.0 / DISC_CELLS as f64).collect();
    let disc = |up: bool| {
        let values = Array2::from_shape_fn((DISC_CELLS, DISC_CELLS), |(j, i)| {
            let (x, y) = (centres[i], centres[j]);
            let r = x.hypot(y);
            if r > 1.0 {
                return f64::NAN;
            }
            let theta = if up { r.asin() } else { PI - r.asin() };
            u[rings.nearest(theta, y.atan2(x))]
        });
        Heatmap::from_centres(&centres, &centres, 2.0 / DISC_CELLS as f64, values)
    };
    let mut panels = Vec::new();
    for (up, present) in [(true, upper), (false, lower)] {
        if !present {
            continue;
        }
        let mut overlays = Vec::new();
        // The NA is about +z, or about a plane's projection direction.
        let na_here = match &d.plane {
            Some((axis, s)) if axis == "z" => up == (*s > 0.0),
            Some(_) => false,
            None => up,
        };
        if let (true, Some(na), Some(half)) = (na_here, d.na, na_half_angle(d)) {
            let r = half.sin();
            let circle: Vec<(f64, f64)> = (0..=180)
                .map(|k| {
                    let a = TAU * k as f64 / 180.0;
                    (r * a.cos(), r * a.sin())
                })
                .collect();
            overlays.push(Overlay::Lines {
                lines: vec![circle],
                color: NA_COLOR,
                width: 2,
                label: Some(format!("NA {}", fmt_num(na))),
            });
        }
        panels.push(Panel {
            caption: if up {
                "upper hemisphere (kz > 0)".into()
            } else {
                "lower hemisphere (kz < 0), seen from +z".into()
            },
            x_desc: "kx / k".into(),
            y_desc: "ky / k".into(),
            x_range: (-1.0, 1.0),
            y_range: (-1.0, 1.0),
            map: disc(up),
            overlays,
        });
    }
    let max = u.iter().copied().filter(|v| v.is_finite()).fold(0.0, f64::max);
    figure::render_maps(&MapFigure {
        title: title.to_string(),
        panels,
        scale: ColorScale {
            map: Colormap::Inferno,
            min: 0.0,
            max: if max > 0.0 { max } else { 1.0 },
            label: "power per unit solid angle (per sr)".into(),
        },
        footer: Some(format!(
            "{footer}    {} directions in {} rings",
            d.theta_rad.len(),
            rings.theta.len()
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn angles_from_y() {
        assert!((angle_from_y_deg(FRAC_PI_2) - 0.0).abs() < 1e-12);
        assert!((angle_from_y_deg(0.0) - 90.0).abs() < 1e-12);
        assert!((angle_from_y_deg(PI) + 90.0).abs() < 1e-12);
        assert!((angle_from_y_deg(1.5 * PI) - 180.0).abs() < 1e-9);
    }

    #[test]
    fn nearest_direction_on_rings() {
        let dirs = crate::monitor::farfield::Directions::new(true, 6);
        let (t, p): (Vec<f64>, Vec<f64>) = dirs.angles.iter().copied().unzip();
        let rings = Rings::new(&t, &p);
        assert_eq!(rings.theta.len(), 6);
        for (k, &(th, ph)) in dirs.angles.iter().enumerate() {
            assert_eq!(rings.nearest(th + 0.01, ph - 0.01), k);
        }
        // Just below phi = 2 pi is nearest phi = 0.
        let k = rings.nearest(t[0], TAU - 0.01);
        assert!(p[k].abs() < 1e-12 && (t[k] - t[0]).abs() < 1e-12);
        // The pole is in the first ring, the south pole in the last.
        assert!((t[rings.nearest(0.0, 1.0)] - t[0]).abs() < 1e-12);
        assert!((t[rings.nearest(PI, 1.0)] - t[t.len() - 1]).abs() < 1e-12);
    }
}
