//! Incoherent emitters (micro-LEDs): one deterministic dipole per run, at
//! each position and orientation of the active region, with powers summed
//! over the runs. Several coherent dipoles in one run interfere and are not
//! an LED (MEEP's Custom_Source tutorial; CASES.md case 10).
//!
//! Every run starts from zero fields on the same GPU set-up (buffers, bind
//! groups, pipelines, port modes): only the dipole's sample moves
//! ([`crate::sim::Prepared::move_dipole`], [`crate::gpu::GpuStepper::restart`]).
//!
//! # Symmetry
//! Declared mirror planes through the active region's centre halve the runs
//! per plane: positions on the far side are skipped and the mirrored image
//! of their near-side twin stands in for them. Scalar powers are invariant
//! under the mirror when each monitor maps onto itself (checked when the
//! scene is read); far-field patterns are mirrored direction by direction
//! and the two faces of a closed flux box normal to the plane are swapped.
//! Powers of single guided modes are invariant for modes that are even or odd
//! under the mirror; for a degenerate pair (HE11 x and y of a round fiber) only
//! the pair's sum is.
//!
//! # Report
//! Per wavelength, efficiencies are powers divided by the emitted (source)
//! power of the same runs. Over the spectrum each is averaged with the
//! emitter's intrinsic spectrum S (a Gaussian of the given FWHM in
//! wavelength) as total power over total power:
//! eta = sum_i S_i P_x,i / |W_i|^2 dw_i / sum_i S_i P_src,i / |W_i|^2 dw_i,
//! W the spectrum of the pulse that drove the runs, so the emitter's own
//! spectrum, not the pulse's, weighs the wavelengths and a Purcell-enhanced
//! wavelength counts with its enhanced emission.

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::monitor::dft::{face_flux, MonitorData, MonitorResult};

/// An incoherent emitter as the scene describes it (grid coordinates).
#[derive(Clone, Debug, PartialEq)]
pub struct Led {
    /// Name (for the report), and the index of its dipole in the simulation's sources.
    pub name: String,
    pub source: usize,
    /// Dipole positions (um, grid coordinates).
    pub positions_um: Vec<[f64; 3]>,
    /// Unit dipole orientations.
    pub orientations: Vec<[f64; 3]>,
    /// Mirror planes: (axis, coordinate in um).
    pub mirrors: Vec<(usize, f64)>,
    /// Emission spectrum: centre and FWHM (um).
    pub wavelength_um: f64,
    pub bandwidth_um: f64,
    /// The port it feeds (others count as crosstalk) and the flux monitor
    /// whose power counts as extracted.
    pub target_port: Option<String>,
    pub extraction_monitor: Option<String>,
    /// The source-power monitor the scene adds for it.
    pub power_monitor: String,
}

/// One run of an emitter: a dipole and how many runs it stands for.
#[derive(Clone, Debug, PartialEq)]
pub struct LedRun {
    pub position_um: [f64; 3],
    pub orientation: [f64; 3],
    /// Mirror images it stands for besides itself: bit k set = also the
    /// image under mirrors[k] (and combinations).
    pub images: Vec<Vec<usize>>,
}

impl Led {
    /// The runs to do: positions on the near side (or on) each mirror plane,
    /// each standing for its images across the planes it is not on.
    pub fn runs(&self, tolerance_um: f64) -> Vec<LedRun> {
        let mut out = Vec::new();
        for p in &self.positions_um {
            if self.mirrors.iter().any(|&(a, c)| p[a] < c - tolerance_um) {
                continue; // its mirror image is run instead
            }
            let off: Vec<usize> = (0..self.mirrors.len())
                .filter(|&k| {
                    let (a, c) = self.mirrors[k];
                    p[a] > c + tolerance_um
                })
                .collect();
            // Every subset of the planes it is off: the identity and each image.
            let images: Vec<Vec<usize>> = (0..1usize << off.len())
                .map(|bits| {
                    off.iter()
                        .enumerate()
                        .filter(|(i, _)| bits >> i & 1 == 1)
                        .map(|(_, k)| *k)
                        .collect()
                })
                .collect();
            for o in &self.orientations {
                out.push(LedRun {
                    position_um: *p,
                    orientation: *o,
                    images: images.clone(),
                });
            }
        }
        out
    }

    /// Runs without symmetry (for comparison).
    pub fn run_count_without_symmetry(&self) -> usize {
        self.positions_um.len() * self.orientations.len()
    }
}

/// The summable part of one monitor's result.
#[derive(Clone, Debug)]
enum Sum {
    SourcePower {
        power: Vec<f64>,
        spectrum: Vec<num_complex::Complex64>,
    },
    Flux {
        flux: Vec<f64>,
        /// Per face: (axis, sign, flux per wavelength).
        faces: Vec<(usize, f64, Vec<f64>)>,
    },
    Mode {
        n_eff: Vec<Vec<f64>>,
        forward: Vec<Vec<f64>>,
        backward: Vec<Vec<f64>>,
        flux: Vec<f64>,
    },
    FarField {
        theta: Vec<f64>,
        phi: Vec<f64>,
        weight: Vec<f64>,
        intensity: Vec<Vec<f64>>,
        flux: Vec<f64>,
        total: Vec<f64>,
        na: Option<f64>,
        na_power: Option<Vec<f64>>,
        n_background: f64,
        plane: Option<crate::monitor::farfield::FarFieldPlane>,
    },
    Acceptance {
        na: f64,
        core_size: f64,
        accepted: Vec<f64>,
        core_flux: Vec<f64>,
        flux: Vec<f64>,
    },
}

/// Per run, the headline numbers (for the per-run table of the result file).
#[derive(Clone, Debug)]
pub struct RunSummary {
    pub position_um: [f64; 3],
    pub orientation: [f64; 3],
    pub images: usize,
    /// Per monitor name: its power per wavelength (source power, flux, forward
    /// power of all guided modes, or far-field total), with the images this
    /// run stands for; for a closed flux box also "NAME.xmin" ... per face.
    pub powers: BTreeMap<String, Vec<f64>>,
    /// Per mode monitor: forward power in each guided mode [wavelength][mode],
    /// images included.
    pub modes: BTreeMap<String, Vec<Vec<f64>>>,
}

/// Incoherent sums of monitor results over an emitter's runs.
#[derive(Clone, Debug, Default)]
pub struct Accumulator {
    wavelengths: BTreeMap<String, Vec<f64>>,
    sums: BTreeMap<String, Sum>,
    order: Vec<String>,
    pub runs: Vec<RunSummary>,
}

fn add(into: &mut [f64], from: &[f64]) {
    for (a, b) in into.iter_mut().zip(from) {
        *a += b;
    }
}

fn add2(into: &mut [Vec<f64>], from: &[Vec<f64>]) {
    for (a, b) in into.iter_mut().zip(from) {
        add(a, b);
    }
}

/// "xmin", "xmax", ... for a face normal to `axis` facing `sign`.
pub fn face_label(axis: usize, sign: f64) -> String {
    format!("{}{}", ["x", "y", "z"][axis], if sign < 0.0 { "min" } else { "max" })
}

/// For each direction k, the index of its mirror image across `axis`.
fn mirror_directions(theta: &[f64], phi: &[f64], axis: usize) -> Result<Vec<usize>> {
    let dir = |k: usize| [theta[k].sin() * phi[k].cos(), theta[k].sin() * phi[k].sin(), theta[k].cos()];
    let all: Vec<[f64; 3]> = (0..theta.len()).map(dir).collect();
    all.iter()
        .map(|d| {
            let mut m = *d;
            m[axis] = -m[axis];
            all.iter()
                .position(|e| (0..3).all(|i| (e[i] - m[i]).abs() < 1e-6))
                .ok_or_else(|| Error::invalid("symmetry", format!("{d:?}"), "the far-field directions are not mirror-symmetric"))
        })
        .collect()
}

impl Accumulator {
    /// Add one run's monitor results, with their mirror images.
    pub fn add(&mut self, run: &LedRun, mirrors: &[(usize, f64)], results: &[MonitorResult], d_area: f64) -> Result<()> {
        let mut powers = BTreeMap::new();
        let mut modes = BTreeMap::new();
        for r in results {
            let (wl, sum, power) = match &r.data {
                MonitorData::SourcePower {
                    wavelengths_um,
                    power,
                    source_spectrum,
                } => (
                    wavelengths_um,
                    Sum::SourcePower {
                        power: power.clone(),
                        spectrum: source_spectrum.clone(),
                    },
                    power.clone(),
                ),
                MonitorData::Flux {
                    wavelengths_um,
                    flux,
                    faces,
                } => (
                    wavelengths_um,
                    Sum::Flux {
                        flux: flux.clone(),
                        faces: faces
                            .iter()
                            .map(|f| (f.axis, f.sign, face_flux(f, d_area, wavelengths_um.len())))
                            .collect(),
                    },
                    flux.clone(),
                ),
                MonitorData::Mode {
                    wavelengths_um,
                    n_eff,
                    forward,
                    backward,
                    flux,
                    ..
                } => (
                    wavelengths_um,
                    Sum::Mode {
                        n_eff: n_eff.clone(),
                        forward: forward.clone(),
                        backward: backward.clone(),
                        flux: flux.clone(),
                    },
                    forward.iter().map(|m| m.iter().sum()).collect(),
                ),
                MonitorData::FarField {
                    wavelengths_um,
                    theta,
                    phi,
                    weight,
                    intensity,
                    flux,
                    total,
                    na,
                    na_fraction,
                    n_background,
                    plane,
                    ..
                } => (
                    wavelengths_um,
                    Sum::FarField {
                        theta: theta.clone(),
                        phi: phi.clone(),
                        weight: weight.clone(),
                        intensity: intensity.clone(),
                        flux: flux.clone(),
                        total: total.clone(),
                        na: *na,
                        na_power: na_fraction.as_ref().map(|f| f.iter().zip(total).map(|(a, b)| a * b).collect()),
                        n_background: *n_background,
                        plane: plane.clone(),
                    },
                    total.clone(),
                ),
                MonitorData::Acceptance {
                    wavelengths_um,
                    na,
                    core_size,
                    accepted,
                    core_flux,
                    flux,
                } => (
                    wavelengths_um,
                    Sum::Acceptance {
                        na: *na,
                        core_size: *core_size,
                        accepted: accepted.clone(),
                        core_flux: core_flux.clone(),
                        flux: flux.clone(),
                    },
                    accepted.clone(),
                ),
                MonitorData::DftFields { .. } | MonitorData::Snapshot { .. } => {
                    return Err(Error::invalid(
                        format!("monitors.{}", r.name),
                        "a field monitor",
                        "field and snapshot monitors record one dipole's coherent fields; they are not summed over an LED's runs",
                    ))
                }
            };
            // The run and its images.
            let mut total = sum.clone();
            for image in run.images.iter().filter(|i| !i.is_empty()) {
                let mut m = sum.clone();
                for &k in image {
                    mirror(&mut m, mirrors[k].0)?;
                }
                merge(&mut total, &m);
            }
            let scale = |v: &[f64]| v.iter().map(|x| x * run.images.len() as f64).collect::<Vec<f64>>();
            powers.insert(r.name.clone(), scale(&power));
            if let Sum::Mode { forward, .. } = &total {
                modes.insert(r.name.clone(), forward.clone());
            }
            // Each face of a closed flux box (the power leaving through it).
            if let Sum::Flux { faces, .. } = &total {
                if faces.len() > 1 {
                    for (axis, sign, p) in faces {
                        powers.insert(format!("{}.{}", r.name, face_label(*axis, *sign)), p.clone());
                    }
                }
            }
            match self.sums.get_mut(&r.name) {
                Some(s) => merge(s, &total),
                None => {
                    self.order.push(r.name.clone());
                    self.wavelengths.insert(r.name.clone(), wl.clone());
                    self.sums.insert(r.name.clone(), total);
                }
            }
        }
        self.runs.push(RunSummary {
            position_um: run.position_um,
            orientation: run.orientation,
            images: run.images.len(),
            powers,
            modes,
        });
        Ok(())
    }

    /// The summed monitors, as monitor results (for the result file and plots).
    pub fn results(&self) -> Vec<MonitorResult> {
        self.order
            .iter()
            .map(|name| {
                let wavelengths_um = self.wavelengths[name].clone();
                let data = match &self.sums[name] {
                    Sum::SourcePower { power, spectrum } => MonitorData::SourcePower {
                        wavelengths_um,
                        power: power.clone(),
                        source_spectrum: spectrum.clone(),
                    },
                    Sum::Flux { flux, .. } => MonitorData::Flux {
                        wavelengths_um,
                        flux: flux.clone(),
                        faces: Vec::new(),
                    },
                    Sum::Mode {
                        n_eff,
                        forward,
                        backward,
                        flux,
                    } => MonitorData::Mode {
                        wavelengths_um,
                        n_eff: n_eff.clone(),
                        forward: forward.clone(),
                        backward: backward.clone(),
                        // Incoherent sums have powers, not amplitudes.
                        forward_amplitude: Vec::new(),
                        backward_amplitude: Vec::new(),
                        flux: flux.clone(),
                    },
                    Sum::FarField {
                        theta,
                        phi,
                        weight,
                        intensity,
                        flux,
                        total,
                        na,
                        na_power,
                        n_background,
                        plane,
                    } => MonitorData::FarField {
                        wavelengths_um,
                        theta: theta.clone(),
                        phi: phi.clone(),
                        weight: weight.clone(),
                        intensity: intensity.clone(),
                        flux: flux.clone(),
                        total: total.clone(),
                        na: *na,
                        na_fraction: na_power.as_ref().map(|p| p.iter().zip(total).map(|(a, b)| a / b).collect()),
                        n_background: *n_background,
                        // Incoherent sums keep the total only (the report has the source power).
                        polarized: None,
                        plane: plane.clone(),
                        source_fraction: None,
                    },
                    Sum::Acceptance {
                        na,
                        core_size,
                        accepted,
                        core_flux,
                        flux,
                    } => MonitorData::Acceptance {
                        wavelengths_um,
                        na: *na,
                        core_size: *core_size,
                        accepted: accepted.clone(),
                        core_flux: core_flux.clone(),
                        flux: flux.clone(),
                    },
                };
                MonitorResult { name: name.clone(), data }
            })
            .collect()
    }

    /// Per-face power of a summed closed flux box: (axis, sign, per wavelength).
    pub fn faces(&self, name: &str) -> Option<&[(usize, f64, Vec<f64>)]> {
        match self.sums.get(name) {
            Some(Sum::Flux { faces, .. }) => Some(faces),
            _ => None,
        }
    }
}

fn mirror(s: &mut Sum, axis: usize) -> Result<()> {
    match s {
        Sum::Flux { faces, .. } => {
            for f in faces.iter_mut() {
                if f.0 == axis {
                    f.1 = -f.1;
                }
            }
        }
        Sum::FarField { theta, phi, intensity, .. } => {
            let map = mirror_directions(theta, phi, axis)?;
            for row in intensity.iter_mut() {
                let old = row.clone();
                for (k, j) in map.iter().enumerate() {
                    row[*j] = old[k];
                }
            }
        }
        // Powers through a plane centred on the mirror planes (checked) are their own images.
        Sum::SourcePower { .. } | Sum::Mode { .. } | Sum::Acceptance { .. } => {}
    }
    Ok(())
}

fn merge(into: &mut Sum, from: &Sum) {
    match (into, from) {
        (Sum::SourcePower { power, .. }, Sum::SourcePower { power: p, .. }) => add(power, p),
        (Sum::Flux { flux, faces }, Sum::Flux { flux: f, faces: g }) => {
            add(flux, f);
            for face in faces.iter_mut() {
                if let Some(o) = g.iter().find(|o| o.0 == face.0 && o.1 == face.1) {
                    add(&mut face.2, &o.2);
                }
            }
        }
        (
            Sum::Mode {
                forward, backward, flux, ..
            },
            Sum::Mode {
                forward: f,
                backward: b,
                flux: x,
                ..
            },
        ) => {
            add2(forward, f);
            add2(backward, b);
            add(flux, x);
        }
        (
            Sum::FarField {
                intensity,
                flux,
                total,
                na_power,
                ..
            },
            Sum::FarField {
                intensity: i,
                flux: f,
                total: t,
                na_power: n,
                ..
            },
        ) => {
            add2(intensity, i);
            add(flux, f);
            add(total, t);
            if let (Some(a), Some(b)) = (na_power.as_mut(), n) {
                add(a, b);
            }
        }
        (
            Sum::Acceptance {
                accepted, core_flux, flux, ..
            },
            Sum::Acceptance {
                accepted: a,
                core_flux: c,
                flux: f,
                ..
            },
        ) => {
            add(accepted, a);
            add(core_flux, c);
            add(flux, f);
        }
        _ => {}
    }
}

/// One row of the coupling report.
#[derive(Clone, Debug, PartialEq)]
pub struct ReportRow {
    /// "0.450" um, or "spectrum" for the average over the emission spectrum.
    pub label: String,
    /// Emitted power at this wavelength (NaN on the spectrum row).
    pub source_power: f64,
    pub extraction: Option<f64>,
    /// Per port: (name, fundamental, all guided modes, crosstalk dB vs the target port).
    pub ports: Vec<(String, f64, f64, Option<f64>)>,
    /// Per far-field monitor with an NA: (name, fraction of the far field within the NA,
    /// and that power over the source power).
    pub na: Vec<(String, f64, f64)>,
}

/// The coupling report: one row per wavelength of the emitter's source
/// power monitor, then the average over the emission spectrum.
pub fn report(led: &Led, acc: &Accumulator) -> Result<Vec<ReportRow>> {
    let results = acc.results();
    let find = |n: &str| results.iter().find(|r| r.name == n);
    let Some(MonitorData::SourcePower {
        wavelengths_um,
        power,
        source_spectrum,
    }) = find(&led.power_monitor).map(|r| &r.data)
    else {
        return Err(Error::invalid(
            "led",
            &led.power_monitor,
            "the emitter's source-power monitor is missing",
        ));
    };
    let nf = wavelengths_um.len();
    let same = |w: &[f64]| w.len() == nf && w.iter().zip(wavelengths_um).all(|(a, b)| (a - b).abs() < 1e-9);
    // Quantities per wavelength: Vec of (name, values).
    let extraction = match &led.extraction_monitor {
        Some(n) => match find(n).map(|r| &r.data) {
            Some(MonitorData::Flux {
                wavelengths_um: w, flux, ..
            }) if same(w) => Some(flux.clone()),
            _ => {
                return Err(Error::invalid(
                    "led.extraction_monitor",
                    n,
                    "must name a flux monitor with the emitter's wavelengths",
                ))
            }
        },
        None => None,
    };
    let mut ports = Vec::new();
    for r in &results {
        if let MonitorData::Mode {
            wavelengths_um: w,
            forward,
            ..
        } = &r.data
        {
            if same(w) {
                let fund: Vec<f64> = forward.iter().map(|m| m.first().copied().unwrap_or(0.0)).collect();
                let all: Vec<f64> = forward.iter().map(|m| m.iter().sum()).collect();
                ports.push((r.name.clone(), fund, all));
            }
        }
    }
    if let Some(t) = &led.target_port {
        if !ports.iter().any(|p| &p.0 == t) {
            return Err(Error::invalid(
                "led.target_port",
                t,
                "must name a mode monitor with the emitter's wavelengths",
            ));
        }
    }
    let mut nas = Vec::new();
    for r in &results {
        if let MonitorData::FarField {
            wavelengths_um: w,
            total,
            na_fraction: Some(frac),
            ..
        } = &r.data
        {
            if same(w) {
                nas.push((
                    r.name.clone(),
                    frac.clone(),
                    total.iter().zip(frac).map(|(t, f)| t * f).collect::<Vec<f64>>(),
                ));
            }
        }
    }
    // Spectral weights: S(lambda) dw / |W|^2, trapezoid in frequency.
    let sigma = led.bandwidth_um / (8.0 * 2.0f64.ln()).sqrt();
    let freqs: Vec<f64> = wavelengths_um.iter().map(|w| 1.0 / w).collect();
    let weights: Vec<f64> = (0..nf)
        .map(|i| {
            let s = (-(wavelengths_um[i] - led.wavelength_um).powi(2) / (2.0 * sigma * sigma)).exp();
            let lo = if i > 0 { freqs[i - 1] } else { freqs[i] };
            let hi = if i + 1 < nf { freqs[i + 1] } else { freqs[i] };
            let dw = if nf == 1 { 1.0 } else { 0.5 * (lo - hi).abs() };
            s * dw / source_spectrum[i].norm_sqr().max(1e-300)
        })
        .collect();
    let avg = |x: &[f64]| -> f64 {
        let num: f64 = x.iter().zip(&weights).map(|(a, w)| a * w).sum();
        let den: f64 = power.iter().zip(&weights).map(|(a, w)| a * w).sum();
        num / den
    };
    let target_all = |i: Option<usize>| -> Option<f64> {
        let t = led.target_port.as_ref()?;
        let p = ports.iter().find(|p| &p.0 == t)?;
        Some(match i {
            Some(i) => p.2[i],
            None => avg(&p.2),
        })
    };
    let row = |label: String, i: Option<usize>| -> ReportRow {
        let at = |x: &[f64]| match i {
            Some(i) => x[i] / power[i],
            None => avg(x),
        };
        let target = target_all(i);
        ReportRow {
            label,
            // Per wavelength only: over the spectrum the efficiencies are
            // ratios of weighted sums, not of a power at one wavelength.
            source_power: i.map_or(f64::NAN, |i| power[i]),
            extraction: extraction.as_deref().map(at),
            ports: ports
                .iter()
                .map(|(n, f, a)| {
                    let all = at(a);
                    let xt = match (&led.target_port, target) {
                        (Some(t), Some(tp)) if t != n => {
                            let mine = match i {
                                Some(i) => a[i],
                                None => avg(a),
                            };
                            Some(10.0 * (mine / tp).log10())
                        }
                        _ => None,
                    };
                    (n.clone(), at(f), all, xt)
                })
                .collect(),
            na: nas
                .iter()
                .map(|(n, frac, p)| {
                    let f = match i {
                        Some(i) => frac[i],
                        None => avg(p) / avg(&nas_total(&results, n)),
                    };
                    (n.clone(), f, at(p))
                })
                .collect(),
        }
    };
    let mut rows: Vec<ReportRow> = (0..nf).map(|i| row(format!("{:.4}", wavelengths_um[i]), Some(i))).collect();
    rows.push(row("spectrum".into(), None));
    Ok(rows)
}

fn nas_total(results: &[MonitorResult], name: &str) -> Vec<f64> {
    results
        .iter()
        .find_map(|r| match &r.data {
            MonitorData::FarField { total, .. } if r.name == name => Some(total.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

/// The report as a text table.
pub fn format_report(led: &Led, rows: &[ReportRow], runs: usize, runs_without_symmetry: usize) -> String {
    let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    let mut s = format!(
        "Emitter `{}`: {} ({} x {}{}), spectrum {} um FWHM {} um\n",
        led.name,
        plural(runs, "dipole run"),
        plural(led.positions_um.len(), "position"),
        plural(led.orientations.len(), "orientation"),
        if runs < runs_without_symmetry {
            format!(", {runs_without_symmetry} without symmetry")
        } else {
            String::new()
        },
        led.wavelength_um,
        led.bandwidth_um
    );
    s += "Efficiencies are fractions of the emitted (source) power; crosstalk is dB relative to the target port.\n";
    let mut head = vec!["wavelength_um".to_string()];
    if rows.first().is_some_and(|r| r.extraction.is_some()) {
        head.push("extraction".into());
    }
    if let Some(r) = rows.first() {
        for (n, ..) in &r.ports {
            head.push(format!("{n}:fund"));
            head.push(format!("{n}:guided"));
            if led.target_port.as_ref().is_some_and(|t| t != n) {
                head.push(format!("{n}:xtalk_dB"));
            }
        }
        for (n, ..) in &r.na {
            head.push(format!("{n}:in_NA"));
            head.push(format!("{n}:NA/src"));
        }
    }
    let width = head.iter().map(|h| h.len()).max().unwrap_or(10).max(10);
    let line = |cells: &[String]| cells.iter().map(|c| format!("{c:>width$}")).collect::<Vec<_>>().join(" ") + "\n";
    s += &line(&head);
    for r in rows {
        let mut c = vec![r.label.clone()];
        if let Some(e) = r.extraction {
            c.push(format!("{e:.4}"));
        }
        for (_, f, a, x) in &r.ports {
            c.push(format!("{f:.4}"));
            c.push(format!("{a:.4}"));
            if let Some(x) = x {
                c.push(format!("{x:.1}"));
            }
        }
        for (_, f, p) in &r.na {
            c.push(format!("{f:.4}"));
            c.push(format!("{p:.4}"));
        }
        s += &line(&c);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn led(positions: Vec<[f64; 3]>, mirrors: Vec<(usize, f64)>) -> Led {
        Led {
            name: "led".into(),
            source: 0,
            positions_um: positions,
            orientations: vec![[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
            mirrors,
            wavelength_um: 0.45,
            bandwidth_um: 0.02,
            target_port: None,
            extraction_monitor: None,
            power_monitor: "p".into(),
        }
    }

    #[test]
    fn mirror_planes_halve_the_positions_and_count_images() {
        // 3 x 3 grid centred on (1, 1): a mirror at x = 1 keeps x >= 1 (6 positions).
        let pts: Vec<[f64; 3]> = (0..3)
            .flat_map(|i| (0..3).map(move |j| [0.5 + 0.5 * i as f64, 0.5 + 0.5 * j as f64, 0.0]))
            .collect();
        let l = led(pts.clone(), vec![(0, 1.0)]);
        let runs = l.runs(1e-6);
        assert_eq!(runs.len(), 6 * 2);
        let weight: usize = runs.iter().map(|r| r.images.len()).sum();
        assert_eq!(weight, 9 * 2, "every position is counted once");
        // Two planes: 4 positions (corner, two edges, centre), weights 4, 2, 2, 1.
        let l = led(pts, vec![(0, 1.0), (1, 1.0)]);
        let runs = l.runs(1e-6);
        assert_eq!(runs.len(), 4 * 2);
        let mut w: Vec<usize> = runs.iter().step_by(2).map(|r| r.images.len()).collect();
        w.sort();
        assert_eq!(w, vec![1, 2, 2, 4]);
    }

    #[test]
    fn far_field_mirror_maps_directions_onto_their_images() {
        let phi: Vec<f64> = (0..8).map(|k| k as f64 * std::f64::consts::TAU / 8.0).collect();
        let theta = vec![std::f64::consts::FRAC_PI_2; 8];
        let m = mirror_directions(&theta, &phi, 0).unwrap();
        // phi -> pi - phi: 0 <-> 4, 1 <-> 3, 2 fixed, 5 <-> 7, 6 fixed.
        assert_eq!(m, vec![4, 3, 2, 1, 0, 7, 6, 5]);
        let bad: Vec<f64> = (0..8).map(|k| 0.1 + k as f64 * std::f64::consts::TAU / 8.0).collect();
        assert!(mirror_directions(&theta, &bad, 0).is_err());
    }
}
