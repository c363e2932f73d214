//! Checks of meaning: set-ups that are well-formed and run, but whose results
//! would be meaningless (errors) or are dubious (warnings). The rules are in
//! docs/scene-format.md, "Checks of meaning".

use std::f64::consts::LN_2;

use super::error::{Doc, Warning};
use super::schema::{MonitorSpec, SourceSpec, SourceType};
use super::{Build, SceneError};
use crate::grid::Component;
use crate::led::Led;
use crate::modes::EDGE_POWER_LIMIT;
use crate::monitor::dft::MonitorPlan;
use crate::monitor::mode::PortMode;
use crate::monitor::{MonitorKind, Region};
use crate::sim::{Prepared, Simulation};
use crate::source::{SourceShape, TimeProfile};

/// A source or monitor closer than this many cells to a PML is warned about:
/// the CPML's conductivity grows from its inner face, and its small
/// reflections and evanescent tails are strongest there.
pub const PML_MARGIN_CELLS: f64 = 3.0;
/// Below this fraction of its peak, a source's power spectrum is taken as
/// carrying no power: a monitor there divides f32 round-off (about 1e-7 of
/// the peak fields, 1e-14 of the peak power) by a spectrum that is itself
/// round-off, so its ratios are noise.
pub const SPECTRUM_FLOOR: f64 = 1e-6;
/// Monitor wavelengths at least this factor away from every source's centre
/// wavelength are warned about (a unit slip, or a source that is not the one
/// meant).
pub const WAVELENGTH_FACTOR: f64 = 10.0;
/// Wavelengths from this value (um) up look like nanometres: lumen is for
/// optics, and 100 um is already far infrared.
const NM_LIKE_UM: f64 = 100.0;
/// Fewer grid cells than this per wavelength in a dielectric are warned
/// about: the Yee scheme's wavenumber along an axis is then off by about
/// (pi / N)^2 / 6 (at 8 and Courant 0.5: 2.1% in vacuum, 2.7% in n = 2.45; the
/// warning gives the exact figure, [`crate::grid::Grid::axial_wavenumber_ratio`]),
/// which shifts every
/// resonance and thin-film fringe by as much. MEEP advises at least 8
/// pixels per wavelength in the highest index; Tidy3D's automatic grid uses
/// 10 or more.
pub const MIN_CELLS_PER_WAVELENGTH: f64 = 8.0;
/// Positions within this much (um) of a boundary count as on it.
const TOL: f64 = 1e-9;

const AXES: [&str; 3] = ["x", "y", "z"];

/// Ascending numbers as ranges: [3, 5, 6, 7] -> "3, 5-7".
fn ranges(numbers: &[usize]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < numbers.len() {
        let mut j = i;
        while j + 1 < numbers.len() && numbers[j + 1] == numbers[j] + 1 {
            j += 1;
        }
        parts.push(if j == i {
            numbers[i].to_string()
        } else {
            format!("{}-{}", numbers[i], numbers[j])
        });
        i = j + 1;
    }
    parts.join(", ")
}

/// Scene coordinates of a grid point, to 4 decimals: "[0.1, -0.25]".
fn at_um(b: &Build, p: &[f64; 3]) -> String {
    let v: Vec<String> = (0..b.d).map(|a| format!("{}", (b.to_scene(a, p[a]) * 1e4).round() / 1e4)).collect();
    format!("[{}]", v.join(", "))
}

/// What the checks read: the conversion context, the converted simulation
/// and the specs the keys come from.
pub(super) struct Ctx<'a> {
    pub b: &'a Build<'a>,
    pub sim: &'a Simulation,
    pub monitor_specs: &'a [MonitorSpec],
    pub source_specs: &'a [SourceSpec],
    /// Per probe, the index of its `[[monitors]]` entry.
    pub probe_monitor: &'a [usize],
    pub led: Option<&'a Led>,
    /// Per object of the structure, its `[[geometry]]` entry.
    pub object_entry: &'a [usize],
}

/// The hint for a wavelength that looks like nanometres, or "".
fn nm_hint(um: f64) -> String {
    if um >= NM_LIKE_UM {
        format!(" ({um} um: did you mean {} um? nanometres written as micrometres)", um / 1000.0)
    } else {
        String::new()
    }
}

/// The hint for monitor wavelengths that all look like nanometres, or "".
fn nm_hint_all(wavelengths: &[f64]) -> String {
    let lo = wavelengths.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = wavelengths.iter().copied().fold(0.0, f64::max);
    if lo < NM_LIKE_UM {
        String::new()
    } else if lo == hi {
        nm_hint(lo)
    } else {
        format!(
            " ({lo}-{hi} um: did you mean {}-{} um? nanometres written as micrometres)",
            lo / 1000.0,
            hi / 1000.0
        )
    }
}

fn centre_um(p: &TimeProfile) -> f64 {
    match *p {
        TimeProfile::GaussianPulse { wavelength_um, .. } | TimeProfile::Continuous { wavelength_um, .. } => wavelength_um,
    }
}

/// Power spectrum of a pulse at wavelength `um`, relative to its peak:
/// exp(-(2 pi (f - f0) tau)^2) with tau = sqrt(ln 2) / (pi FWHM) (see
/// [`TimeProfile`]); None for a continuous wave (a line: no floor applies).
fn relative_power(p: &TimeProfile, um: f64) -> Option<f64> {
    match *p {
        TimeProfile::GaussianPulse {
            wavelength_um,
            fwhm_frequency,
        } => {
            let df = 1.0 / um - 1.0 / wavelength_um;
            Some((-4.0 * LN_2 * (df / fwhm_frequency).powi(2)).exp())
        }
        TimeProfile::Continuous { .. } => None,
    }
}

/// A source's spectrum in words; `written` is its `wavelength_um` as
/// written (a band's centre frequency gives another centre wavelength).
fn describe(i: usize, p: &TimeProfile, written: f64) -> String {
    match *p {
        TimeProfile::GaussianPulse {
            wavelength_um,
            fwhm_frequency,
        } => {
            let (f0, h) = (1.0 / wavelength_um, fwhm_frequency / 2.0);
            let lo = 1.0 / (f0 + h);
            let hi = if f0 > h { format!("{:.4}", 1.0 / (f0 - h)) } else { "inf".into() };
            format!(
                "sources.{i}: a pulse at {wavelength_um:.4} um, half power over {lo:.4}-{hi} um{}",
                nm_hint(written)
            )
        }
        TimeProfile::Continuous { wavelength_um, .. } => format!("sources.{i}: continuous at {wavelength_um} um{}", nm_hint(written)),
    }
}

impl Ctx<'_> {
    fn doc(&self) -> &Doc<'_> {
        self.b.doc
    }

    /// Key of the `[[monitors]]` entry named `name`.
    fn monitor_index(&self, name: &str) -> Option<usize> {
        self.monitor_specs.iter().position(|s| s.name() == name)
    }

    /// All checks; errors first come first, warnings are appended.
    pub fn check(&self, prepared: &Prepared, warnings: &mut Vec<Warning>) -> Result<(), SceneError> {
        self.pml(warnings)?;
        self.spectra(warnings)?;
        self.resolution(warnings);
        self.ports(prepared, warnings);
        self.far_field(prepared)?;
        Ok(())
    }

    // ---- Port windows ----------------------------------------------------

    /// A mode port whose guided modes the window perturbs: more than
    /// [`EDGE_POWER_LIMIT`] of a mode's power within a quarter cladding
    /// wavelength of a 3D window's edge, or beyond a 2D line's ends
    /// ([`PortMode::edge_fraction`]); their powers are off with them.
    fn ports(&self, prepared: &Prepared, warnings: &mut Vec<Warning>) {
        for plan in &prepared.dft.monitors {
            let MonitorPlan::Mode {
                name,
                wavelengths_um,
                modes,
                ..
            } = plan
            else {
                continue;
            };
            let Some(i) = self.monitor_index(name) else { continue };
            let peak = |f: &[(usize, &PortMode)]| f.iter().map(|(_, m)| m.edge_fraction).fold(0.0, f64::max);
            // The wavelength with the most such modes (then the largest fraction).
            let worst = modes
                .modes
                .iter()
                .zip(wavelengths_um)
                .map(|(at, &wl)| {
                    let flagged: Vec<(usize, &PortMode)> =
                        at.iter().enumerate().filter(|(_, m)| m.edge_fraction > EDGE_POWER_LIMIT).collect();
                    (wl, at.len(), flagged)
                })
                .filter(|(_, _, f)| !f.is_empty())
                .max_by(|a, b| a.2.len().cmp(&b.2.len()).then(peak(&a.2).total_cmp(&peak(&b.2))));
            let Some((wl, guided, flagged)) = worst else { continue };
            let numbers = ranges(&flagged.iter().map(|(k, _)| k + 1).collect::<Vec<_>>());
            let n_eff = flagged.iter().map(|(_, m)| m.n_eff);
            let (lo, hi) = (n_eff.clone().fold(f64::MAX, f64::min), n_eff.fold(0.0, f64::max));
            let n_eff = if hi - lo < 5e-5 {
                format!("{lo:.4}")
            } else {
                format!("{lo:.4}-{hi:.4}")
            };
            let which = if flagged.len() == 1 { "mode" } else { "modes" };
            let (where_, why) = if self.b.d == 3 {
                (
                    "within a quarter wavelength of the window's edge",
                    "the window's walls squeeze their tails, which moves their profiles by a few % of their power",
                )
            } else {
                ("beyond the line's ends", "the port sees their profiles cut there")
            };
            let verb = if self.b.d == 3 { "carry" } else { "have" };
            warnings.push(self.doc().warning(
                format!("monitors.{i}.size_um"),
                format!(
                    "mode port `{name}`: {} of its {guided} guided modes at {wl:.4} um ({which} {numbers}, n_eff {n_eff}) {verb} up to {:.1}% of their power {where_} (more than {:.1}%): {why}, so the powers projected onto them are off by about as much (more where the port carries much more radiation than guided power, as a neighbouring guide's); make the window larger, or count fewer modes (`modes`)",
                    flagged.len(),
                    100.0 * peak(&flagged),
                    100.0 * EDGE_POWER_LIMIT,
                ),
            ));
        }
    }

    // ---- PML -------------------------------------------------------------

    /// Interior bounds along axis a (grid um) and each side's PML cells.
    fn slab(&self, a: usize, side: usize) -> (usize, f64) {
        let cells = self.sim.boundaries.pml_cells(a, side);
        let l = self.b.grid.size_um()[a];
        let dx = self.b.grid.dx;
        (cells, if side == 0 { cells as f64 * dx } else { l - cells as f64 * dx })
    }

    fn slab_name(&self, a: usize, side: usize) -> String {
        let (cells, edge) = self.slab(a, side);
        let scene = self.b.to_scene(a, edge);
        let (ax, end, rel) = (AXES[a], ["min", "max"][side], ["<", ">"][side]);
        format!("the {ax}{end} PML ({cells} cells, {ax} {rel} {scene:.4} um)")
    }

    /// The side whose PML holds x (strictly), if any.
    fn in_pml(&self, a: usize, x: f64) -> Option<usize> {
        (0..2).find(|&side| {
            let (cells, edge) = self.slab(a, side);
            cells > 0 && if side == 0 { x < edge - TOL } else { x > edge + TOL }
        })
    }

    /// The side whose PML is within the margin of x, and the distance in cells.
    fn near_pml(&self, a: usize, x: f64) -> Option<(usize, f64)> {
        let dx = self.b.grid.dx;
        (0..2).find_map(|side| {
            let (cells, edge) = self.slab(a, side);
            let dist = if side == 0 { x - edge } else { edge - x } / dx;
            (cells > 0 && dist < PML_MARGIN_CELLS - TOL).then_some((side, dist.max(0.0)))
        })
    }

    /// A point (or the position of a plane along its normal `axes`):
    /// inside a PML is an error, within the margin a warning.
    fn point(&self, key: &str, what: &str, p: &[f64; 3], axes: &[usize], warnings: &mut Vec<Warning>) -> Result<(), SceneError> {
        for &a in axes {
            let scene = self.b.to_scene(a, p[a]);
            if let Some(side) = self.in_pml(a, p[a]) {
                return Err(self.doc().invalid(
                    key,
                    format!("{what} outside the PML (the absorbing layers: results there are meaningless)"),
                    format!("{} = {scene:.4} um, inside {}", AXES[a], self.slab_name(a, side)),
                ));
            }
            if let Some((side, cells)) = self.near_pml(a, p[a]) {
                warnings.push(self.doc().warning(
                    key,
                    format!(
                        "{what} at {} = {scene:.4} um is {cells:.1} cells from {}: keep it at least {PML_MARGIN_CELLS} cells away (the PML's absorption and reflections disturb it there)",
                        AXES[a],
                        self.slab_name(a, side)
                    ),
                ));
            }
        }
        Ok(())
    }

    /// A monitor region: its position along each zero-size axis as a point;
    /// its extent along the other axes reaching into a PML is an error for a
    /// closed box (`closed`) and a warning for a plane (`warn_extent`).
    fn region(
        &self,
        key: &str,
        what: &str,
        r: &Region,
        closed: bool,
        warn_extent: bool,
        warnings: &mut Vec<Warning>,
    ) -> Result<(), SceneError> {
        let d = self.b.d;
        let dx = self.b.grid.dx;
        let flat: Vec<usize> = (0..d).filter(|&a| r.max_um[a] - r.min_um[a] < 0.5 * dx).collect();
        let mid = [0, 1, 2].map(|a| 0.5 * (r.min_um[a] + r.max_um[a]));
        self.point(key, what, &mid, &flat, warnings)?;
        for a in (0..d).filter(|a| !flat.contains(a)) {
            for (side, x) in [(0, r.min_um[a]), (1, r.max_um[a])] {
                if self.in_pml(a, x) != Some(side) {
                    if closed {
                        if let Some((s, cells)) = self.near_pml(a, x).filter(|(s, _)| *s == side) {
                            warnings.push(self.doc().warning(
                                key,
                                format!(
                                    "{what}'s face at {} = {:.4} um is {cells:.1} cells from {}: keep it at least {PML_MARGIN_CELLS} cells away",
                                    AXES[a],
                                    self.b.to_scene(a, x),
                                    self.slab_name(a, s)
                                ),
                            ));
                        }
                    }
                    continue;
                }
                if closed {
                    return Err(self.doc().invalid(
                        key,
                        format!(
                            "{what} outside the PML (a closed surface with a face in the absorbing layers measures nothing meaningful)"
                        ),
                        format!(
                            "a face at {} = {:.4} um, inside {}",
                            AXES[a],
                            self.b.to_scene(a, x),
                            self.slab_name(a, side)
                        ),
                    ));
                }
                if warn_extent {
                    warnings.push(self.doc().warning(
                        key,
                        format!(
                            "{what} reaches into {} (to {} = {:.4} um): the part inside is attenuated and counts less than it should; end it at the PML",
                            self.slab_name(a, side),
                            AXES[a],
                            self.b.to_scene(a, x)
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    fn pml(&self, warnings: &mut Vec<Warning>) -> Result<(), SceneError> {
        let all: Vec<usize> = (0..self.b.d).collect();
        for (i, src) in self.sim.sources.iter().enumerate() {
            let key = format!("sources.{i}");
            if let Some(led) = self.led.filter(|l| l.source == i) {
                let by_points = self.source_specs.get(i).is_some_and(|s| s.points_um.is_some());
                for (j, p) in led.positions_um.iter().enumerate() {
                    let k = if by_points {
                        format!("{key}.points_um.{j}")
                    } else {
                        format!("{key}.center_um")
                    };
                    self.point(&k, "an LED dipole", p, &all, warnings)?;
                }
                continue;
            }
            match &src.shape {
                SourceShape::Point { position_um } => self.point(&format!("{key}.position_um"), "a dipole", position_um, &all, warnings)?,
                // Plane sources may cross a transverse PML (as in MEEP); only
                // their plane's own position counts.
                SourceShape::Region { min_um, max_um } => {
                    let r = Region {
                        min_um: *min_um,
                        max_um: *max_um,
                    };
                    self.region(&format!("{key}.center_um"), "a source", &r, false, false, warnings)?
                }
                SourceShape::Mode { region, .. } => {
                    self.region(&format!("{key}.center_um"), "a mode source", region, false, false, warnings)?
                }
                SourceShape::Sheet { .. } | SourceShape::Samples { .. } => {}
            }
        }
        for (p, &i) in self.sim.probes.iter().zip(self.probe_monitor) {
            self.point(&format!("monitors.{i}.position_um"), "a probe", &p.position_um, &all, warnings)?;
        }
        for m in &self.sim.monitors {
            let Some(i) = self.monitor_index(&m.name) else { continue };
            let key = format!("monitors.{i}.center_um");
            let d = self.b.d;
            match &m.kind {
                MonitorKind::Flux { region, .. } => {
                    let closed = (0..d).all(|a| region.max_um[a] - region.min_um[a] >= 0.5 * self.b.grid.dx);
                    let what = if closed { "a closed flux box" } else { "a flux plane" };
                    self.region(&key, what, region, closed, true, warnings)?
                }
                MonitorKind::Mode { region, .. } => self.region(&key, "a mode port", region, false, true, warnings)?,
                MonitorKind::Acceptance { region, .. } => self.region(&key, "an acceptance plane", region, false, true, warnings)?,
                MonitorKind::FarField {
                    region, open_plane: None, ..
                } => self.region(&key, "a far-field box", region, true, true, warnings)?,
                MonitorKind::FarField { region, .. } => self.region(&key, "a far-field plane", region, false, true, warnings)?,
                // Field maps may show the PML; only a plane's own position counts.
                MonitorKind::DftFields { region, .. } => self.region(&key, "a field monitor's plane", region, false, false, warnings)?,
                MonitorKind::Snapshot { region, .. } => self.region(&key, "a snapshot's plane", region, false, false, warnings)?,
                MonitorKind::SourcePower { .. } => {}
            }
        }
        Ok(())
    }

    // ---- Spectra ---------------------------------------------------------

    fn spectra(&self, warnings: &mut Vec<Warning>) -> Result<(), SceneError> {
        let profiles: Vec<(usize, TimeProfile)> = self.sim.sources.iter().map(|s| s.profile).enumerate().collect();
        if profiles.is_empty() {
            return Ok(());
        }
        // Per monitor: its spectrum key, the sources it is compared with, its wavelengths.
        type Checked<'w> = (String, Vec<(usize, TimeProfile)>, &'w [f64]);
        let mut lists: Vec<Checked> = Vec::new();
        let key_of = |base: String, list: bool| format!("{base}.{}", if list { "wavelengths_um" } else { "wavelength_range_um" });
        for m in &self.sim.monitors {
            let (own, wavelengths) = match &m.kind {
                MonitorKind::Flux { wavelengths_um, .. }
                | MonitorKind::Mode { wavelengths_um, .. }
                | MonitorKind::Acceptance { wavelengths_um, .. }
                | MonitorKind::FarField { wavelengths_um, .. }
                | MonitorKind::DftFields { wavelengths_um, .. } => (None, wavelengths_um),
                MonitorKind::SourcePower { source, wavelengths_um } => (Some(*source), wavelengths_um),
                MonitorKind::Snapshot { .. } => continue,
            };
            let key = match (self.monitor_index(&m.name), self.led) {
                (Some(i), _) => {
                    let list = match &self.monitor_specs[i] {
                        MonitorSpec::Dft(s) => s.spectrum().list.is_some(),
                        MonitorSpec::Flux(s) => s.spectrum().list.is_some(),
                        MonitorSpec::Mode(s) => s.spectrum().list.is_some(),
                        MonitorSpec::FarField(s) => s.spectrum().list.is_some(),
                        MonitorSpec::Acceptance(s) => s.spectrum().list.is_some(),
                        MonitorSpec::SourcePower(s) => s.spectrum().list.is_some(),
                        MonitorSpec::Probe(_) | MonitorSpec::Snapshot(_) => continue,
                    };
                    key_of(format!("monitors.{i}"), list)
                }
                // An LED's own source-power monitor: the LED's spectrum keys.
                (None, Some(l)) => {
                    let list = self.source_specs.get(l.source).is_some_and(|s| s.spectrum().list.is_some());
                    key_of(format!("sources.{}", l.source), list)
                }
                (None, None) => continue,
            };
            let srcs = match own {
                Some(s) => profiles.iter().filter(|(i, _)| *i == s).copied().collect(),
                None => profiles.clone(),
            };
            lists.push((key, srcs, wavelengths));
        }
        for (key, srcs, wavelengths) in lists {
            let written = |i: usize, p: &TimeProfile| self.source_specs.get(i).map_or(centre_um(p), |s| s.wavelength_um);
            let sources: Vec<String> = srcs.iter().map(|(i, p)| describe(*i, p, written(*i, p))).collect();
            let hint = nm_hint_all(wavelengths);
            let sources = sources.join("; ");
            // Error: a wavelength where no pulse carries power (CW sources
            // have no floor: they are lines).
            if srcs.iter().all(|(_, p)| matches!(p, TimeProfile::GaussianPulse { .. })) {
                let worst = wavelengths
                    .iter()
                    .map(|&w| (w, srcs.iter().filter_map(|(_, p)| relative_power(p, w)).fold(0.0, f64::max)))
                    .min_by(|a, b| a.1.total_cmp(&b.1));
                if let Some((w, power)) = worst.filter(|(_, p)| *p < SPECTRUM_FLOOR) {
                    return Err(self.doc().invalid(
                        key,
                        format!("wavelengths where the sources' spectrum carries power (at least {SPECTRUM_FLOOR:e} of its peak; results elsewhere are ratios of noise)"),
                        format!("{w} um{hint}, where it is {power:.1e} of its peak ({sources})"),
                    ));
                }
            }
            // Warning: wavelengths an order of magnitude from every source's centre.
            let far = wavelengths
                .iter()
                .map(|&w| {
                    let r = srcs
                        .iter()
                        .map(|(_, p)| (w / centre_um(p)).max(centre_um(p) / w))
                        .fold(f64::INFINITY, f64::min);
                    (w, r)
                })
                .max_by(|a, b| a.1.total_cmp(&b.1));
            if let Some((w, r)) = far.filter(|(_, r)| *r >= WAVELENGTH_FACTOR) {
                warnings.push(self.doc().warning(
                    key,
                    format!("{w} um{hint} is {r:.0}x away from the sources' wavelengths ({sources})"),
                ));
            }
        }
        // A source wavelength much larger than the domain (nm written as um
        // everywhere at once).
        let l = self.b.grid.size_um();
        let largest = l[..self.b.d].iter().copied().fold(0.0, f64::max);
        for (i, p) in &profiles {
            let w = self.source_specs.get(*i).map_or(centre_um(p), |s| s.wavelength_um);
            if w >= WAVELENGTH_FACTOR * largest {
                warnings.push(self.doc().warning(
                    format!("sources.{i}.wavelength_um"),
                    format!(
                        "{w} um{} is {:.0}x the domain's largest size ({largest} um)",
                        nm_hint(w),
                        w / largest
                    ),
                ));
            }
        }
        Ok(())
    }

    // ---- Resolution ------------------------------------------------------

    /// Each dielectric (background and every geometry entry) sampled with
    /// fewer than [`MIN_CELLS_PER_WAVELENGTH`] cells per wavelength in it,
    /// at the shortest wavelength a monitor asks for (or a source's centre).
    fn resolution(&self, warnings: &mut Vec<Warning>) {
        let monitored = self
            .sim
            .monitors
            .iter()
            .flat_map(|m| match &m.kind {
                MonitorKind::Flux { wavelengths_um, .. }
                | MonitorKind::Mode { wavelengths_um, .. }
                | MonitorKind::Acceptance { wavelengths_um, .. }
                | MonitorKind::FarField { wavelengths_um, .. }
                | MonitorKind::DftFields { wavelengths_um, .. }
                | MonitorKind::SourcePower { wavelengths_um, .. } => wavelengths_um.clone(),
                MonitorKind::Snapshot { .. } => Vec::new(),
            })
            .fold(f64::INFINITY, f64::min);
        let lambda = if monitored.is_finite() {
            monitored
        } else {
            self.sim.sources.iter().map(|s| centre_um(&s.profile)).fold(f64::INFINITY, f64::min)
        };
        if !lambda.is_finite() || lambda <= 0.0 {
            return;
        }
        let res = 1.0 / self.b.grid.dx;
        let structure = &self.sim.structure;
        // The highest dielectric index of each key (a stack's layers share one).
        let mut worst: Vec<(String, f64)> = Vec::new();
        let media = std::iter::once(("simulation.background".to_string(), &structure.background)).chain(
            structure
                .objects
                .iter()
                .zip(self.object_entry)
                .map(|(o, &entry)| (format!("geometry.{entry}.material"), &o.medium)),
        );
        for (key, m) in media {
            let eps = m.permittivity(1.0 / lambda);
            // Metals (Re eps < 0) have no wavelength inside; their skin depth is another matter.
            if eps.re <= 0.0 {
                continue;
            }
            let n = eps.sqrt().re;
            match worst.iter_mut().find(|w| w.0 == key) {
                Some(w) => w.1 = w.1.max(n),
                None => worst.push((key, n)),
            }
        }
        for (key, n) in worst {
            let cells = lambda / n * res;
            if cells < MIN_CELLS_PER_WAVELENGTH {
                let what = match self.b.grid.axial_wavenumber_ratio(n, lambda) {
                    Some(r) => format!(
                        "the grid's wavenumber along an axis there is {:.1}% off, which shifts resonances and thin-film fringes by as much",
                        100.0 * (r - 1.0)
                    ),
                    None => "that is beyond the grid's cutoff: no wave propagates there on this grid".to_string(),
                };
                let needed = (MIN_CELLS_PER_WAVELENGTH * n / lambda).ceil();
                warnings.push(self.doc().warning(
                    key,
                    format!(
                        "n = {n:.3} at {} um is sampled with {cells:.1} cells per wavelength at {res} cells/um{}: {what}; use at least {MIN_CELLS_PER_WAVELENGTH} cells per wavelength (simulation.resolution >= {needed}), or check convergence",
                        (lambda * 1e4).round() / 1e4,
                        if self.b.grid.is_graded() {
                            " on the base cells (simulation.refine makes the graded axis finer only in its ranges)"
                        } else {
                            ""
                        },
                    ),
                ));
            }
        }
    }

    // ---- Far field -------------------------------------------------------

    fn far_field(&self, prepared: &Prepared) -> Result<(), SceneError> {
        for m in &self.sim.monitors {
            let MonitorKind::FarField { region, open_plane, .. } = &m.kind else {
                continue;
            };
            let Some(i) = self.monitor_index(&m.name) else { continue };
            match open_plane.map(|o| o.direction) {
                None => {
                    self.encloses(i, region)?;
                    self.exterior(i, region, prepared)?;
                }
                Some(s) => {
                    let d = self.b.d;
                    let Some(a) = (0..d).find(|&a| region.max_um[a] - region.min_um[a] < 0.5 * self.b.grid.dx) else {
                        continue;
                    };
                    self.behind(i, region, a, s)?;
                    self.half_space(i, region, a, s, prepared)?;
                }
            }
        }
        Ok(())
    }

    fn box_text(&self, r: &Region) -> String {
        let axes: Vec<String> = (0..self.b.d)
            .map(|a| {
                format!(
                    "{} in [{:.4}, {:.4}]",
                    AXES[a],
                    self.b.to_scene(a, r.min_um[a]),
                    self.b.to_scene(a, r.max_um[a])
                )
            })
            .collect();
        format!("{} um", axes.join(", "))
    }

    /// Every source strictly inside the box.
    fn encloses(&self, i: usize, r: &Region) -> Result<(), SceneError> {
        let d = self.b.d;
        let inside = |p: &[f64; 3]| (0..d).all(|a| r.min_um[a] + TOL < p[a] && p[a] < r.max_um[a] - TOL);
        let scene = |p: &[f64; 3]| at_um(self.b, p);
        for (j, src) in self.sim.sources.iter().enumerate() {
            let corners: Vec<[f64; 3]> = match (&src.shape, self.led.filter(|l| l.source == j)) {
                (_, Some(l)) => l.positions_um.clone(),
                (SourceShape::Point { position_um }, None) => vec![*position_um],
                (SourceShape::Region { min_um, max_um }, None) => vec![*min_um, *max_um],
                (SourceShape::Mode { region, .. }, None) => vec![region.min_um, region.max_um],
                (SourceShape::Sheet { points_um, .. }, None) => points_um.clone(),
                (SourceShape::Samples { .. }, None) => vec![],
            };
            if let Some(p) = corners.iter().find(|p| !inside(p)) {
                let what = if self.source_specs.get(j).is_some_and(|s| s.kind == SourceType::Led) {
                    "an LED dipole"
                } else {
                    "a point"
                };
                return Err(self.doc().invalid(
                    format!("monitors.{i}.center_um"),
                    format!(
                        "a far-field box that encloses every source (the projection counts only what radiates from inside): {}",
                        self.box_text(r)
                    ),
                    format!("sources.{j}: {what} at {} um outside it", scene(p)),
                ));
            }
        }
        Ok(())
    }

    /// Every source strictly behind an open plane (on the side it does not
    /// project into).
    fn behind(&self, i: usize, r: &Region, a: usize, s: f64) -> Result<(), SceneError> {
        let pos = 0.5 * (r.min_um[a] + r.max_um[a]);
        let scene = |p: &[f64; 3]| at_um(self.b, p);
        for (j, src) in self.sim.sources.iter().enumerate() {
            let points: Vec<[f64; 3]> = match (&src.shape, self.led.filter(|l| l.source == j)) {
                (_, Some(l)) => l.positions_um.clone(),
                (SourceShape::Point { position_um }, None) => vec![*position_um],
                (SourceShape::Region { min_um, max_um }, None) => vec![*min_um, *max_um],
                (SourceShape::Mode { region, .. }, None) => vec![region.min_um, region.max_um],
                (SourceShape::Sheet { points_um, .. }, None) => points_um.clone(),
                (SourceShape::Samples { .. }, None) => vec![],
            };
            if let Some(p) = points.iter().find(|p| (p[a] - pos) * s > -TOL) {
                return Err(self.doc().invalid(
                    format!("monitors.{i}.center_um"),
                    format!(
                        "an open far-field plane with every source behind it (the plane projects what crosses it towards {}{}): {}",
                        if s > 0.0 { "+" } else { "-" },
                        AXES[a],
                        self.box_text(r)
                    ),
                    format!("sources.{j}: a point at {} um on the projected side", scene(p)),
                ));
            }
        }
        Ok(())
    }

    /// The domain outside the box (PML included) must be one homogeneous,
    /// lossless, non-dispersive medium: the medium the projection assumes.
    fn exterior(&self, i: usize, r: &Region, prepared: &Prepared) -> Result<(), SceneError> {
        let g = &prepared.grid;
        let d = self.b.d;
        let outside = |ijk: [usize; 3]| {
            (0..d).any(|a| {
                let c = (ijk[a] as f64 + 0.5) * g.dx;
                c < r.min_um[a] || c > r.max_um[a]
            })
        };
        let expected = format!(
            "a far-field box in one homogeneous, lossless, non-dispersive medium that also fills everything outside it up to the domain's edges (the projection assumes that medium all the way out): {}",
            self.box_text(r)
        );
        self.homogeneous(i, r, prepared, &outside, &expected, "outside the box", "on it")
    }

    /// An open plane: the half-space it projects into, from the plane
    /// (included) to the domain's edge and across the whole domain (PML
    /// included), must be one homogeneous, lossless, non-dispersive medium.
    fn half_space(&self, i: usize, r: &Region, a: usize, s: f64, prepared: &Prepared) -> Result<(), SceneError> {
        let g = &prepared.grid;
        let pos = 0.5 * (r.min_um[a] + r.max_um[a]);
        // Cells whose centre lies within half a cell of the plane or beyond it.
        let beyond = |ijk: [usize; 3]| ((ijk[a] as f64 + 0.5) * g.dx - pos) * s > -0.5 * g.dx;
        let expected = format!(
            "an open far-field plane in one homogeneous, lossless, non-dispersive medium that fills the half-space it projects into (towards {}{}) up to the domain's edges: {}",
            if s > 0.0 { "+" } else { "-" },
            AXES[a],
            self.box_text(r)
        );
        self.homogeneous(i, r, prepared, &beyond, &expected, "in that half-space", "at the plane")
    }

    /// The medium at the region's min corner fills every cell `inside` picks.
    #[allow(clippy::too_many_arguments)]
    fn homogeneous(
        &self,
        i: usize,
        r: &Region,
        prepared: &Prepared,
        outside: &dyn Fn([usize; 3]) -> bool,
        expected: &str,
        where_: &str,
        reference: &str,
    ) -> Result<(), SceneError> {
        let g = &prepared.grid;
        let mat = &prepared.materials;
        let n = g.shape();
        // The medium on the box: the Yee sample nearest its min corner.
        let corner = [0, 1, 2].map(|a| ((r.min_um[a] / g.dx).floor() as usize).min(n[a] - 1));
        let comps: Vec<Component> = (0..3).map(Component::electric).filter(|c| c.is_active(g.dims)).collect();
        let at = |ijk: [usize; 3]| at_um(self.b, &ijk.map(|i| (i as f64 + 0.5) * g.dx));
        let fail = |found: String| self.doc().invalid(format!("monitors.{i}"), expected.to_string(), found);
        let eps0 = mat.eps[comps[0].axis()][g.index(corner[0], corner[1], corner[2])];
        let dispersive: std::collections::HashSet<(u32, u32)> = prepared.dispersion.samples.iter().map(|s| (s.index, s.comp)).collect();
        for k in 0..n[2] {
            for j in 0..n[1] {
                for ii in 0..n[0] {
                    let ijk = [ii, j, k];
                    if !outside(ijk) {
                        continue;
                    }
                    let idx = g.index(ii, j, k);
                    for c in &comps {
                        let e = mat.eps[c.axis()][idx];
                        if (e - eps0).abs() > 1e-6 * e.abs().max(eps0.abs()) {
                            return Err(fail(format!(
                                "permittivity {e} at {} um {where_}, {eps0} {reference} (index {:.4} vs {:.4})",
                                at(ijk),
                                (e as f64).sqrt(),
                                (eps0 as f64).sqrt()
                            )));
                        }
                        if mat.sigma[c.axis()].get(idx).is_some_and(|&s| s != 0.0) {
                            return Err(fail(format!("a lossy medium at {} um {where_}", at(ijk))));
                        }
                        if !dispersive.is_empty() && dispersive.contains(&(idx as u32, c.axis() as u32)) {
                            return Err(fail(format!("a dispersive medium at {} um {where_}", at(ijk))));
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// The warning for `lumen run --reference` on a scene driven by point
/// sources (dipoles, an LED): "flux / incident flux" is then no transmission.
pub(super) fn reference_warnings(scene: &super::Scene) -> Vec<Warning> {
    let Ok(root) = toml::de::DeTable::parse(&scene.text) else {
        return Vec::new();
    };
    let file = scene.path.display().to_string();
    let doc = Doc {
        file: &file,
        text: &scene.text,
        root,
        sets: &[],
    };
    if scene.flux_normalization.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, s) in scene.simulation.sources.iter().enumerate() {
        let led = scene.led.as_ref().is_some_and(|l| l.source == i);
        if led || matches!(s.shape, SourceShape::Point { .. }) {
            out.push(doc.warning(
                format!("sources.{i}.type"),
                format!(
                    "normalised by a reference run, but a {} radiates in all directions: \"flux / incident flux\" is not a transmission (use a `source_power` monitor and divide by the power the source delivers)",
                    if led { "LED's dipole" } else { "point dipole" }
                ),
            ));
        }
    }
    out
}
