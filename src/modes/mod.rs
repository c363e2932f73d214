//! Mode solvers: guided modes of waveguide cross-sections.
//!
//! - [`slab`]: exact modes of layered (1D) index profiles, for 2D runs and
//!   planar stacks.
//! - [`vector`]: full-vector finite-difference modes of a 2D cross-section
//!   on the FDTD's own Yee lattice (fibres, channel and rib guides), with
//!   transverse and longitudinal E and H normalised to unit flux.
//!
//! # Mode numbering
//! One convention everywhere (run output, plots, `lumen modes`, result
//! files, sweep tables, the mode source's `mode` key): guided modes are
//! numbered from 1 in order of decreasing n_eff, **mode 1 is the
//! fundamental** (MEEP's `band_num` and Lumerical's "mode 1" count the same
//! way). Where the modes form a polarisation family (a 2D slab: a TM run, Ez,
//! couples to the slab's TE modes, a TE run to its TM modes) the textbook
//! name follows in brackets, counted from 0 as slab-waveguide texts do:
//! `mode 1 (TE0)`, `mode 2 (TE1)`. A 3D port's modes are hybrid: no family
//! name, their dominant E component is reported beside them instead. Arrays
//! in result files keep mode k in column k - 1 and say so.

pub mod report;
pub mod slab;
pub mod vector;

use crate::grid::{Dimensions, Polarization};

/// A port's mode is perturbed by its window beyond this fraction of its
/// power. 2D: the exact slab profile's power beyond the line's ends (what
/// the port cannot see, and the overlap the cut profiles lose their
/// orthogonality by). 3D: the mode's power within a quarter of the
/// cladding wavelength (lambda / 4 n_edge, [`edge_band_um`]) of the
/// window's edge, where the solver's walls (src/modes/vector.rs,
/// "Boundary") squeeze its tail. Calibration of the 3D measure
/// (tests/fiber_modes.rs, `window_edge_power_flags_the_perturbed_modes`): a
/// step-index fibre (n 1.50 / 1.45, radius 1.2 um, 450 nm, 20 cells/um,
/// 24 guided modes) in a 3.4 um window against the same fibre in an 8 um
/// one: the 8 modes above this fraction (1.1-1.3%) differ from the wide
/// window's by 2.3-2.9% of their power, the 16 below it (at most 0.3%) by
/// at most 0.43%; in the wide window every mode stays below 0.05%.
/// A port whose plane carries much more radiation than guided power (a
/// neighbouring fibre's crosstalk) projects that radiation onto such modes.
pub const EDGE_POWER_LIMIT: f64 = 5e-3;

/// The width of the band along a window's edge that [`EDGE_POWER_LIMIT`]
/// counts: a quarter wavelength in the medium at the edge.
pub fn edge_band_um(wavelength_um: f64, n_edge: f64) -> f64 {
    wavelength_um / (4.0 * n_edge)
}

/// Fraction of a mode's power (its flux density per sample, u-fastest over
/// nu x nv samples of sizes d_um) on samples within `band_um` of the
/// window's edge. An extent of 1 (a 2D port's line along z) has no edge.
pub fn edge_power_fraction(density: &[f64], nu: usize, nv: usize, d_um: [f64; 2], band_um: f64) -> f64 {
    let near = |i: usize, n: usize, d: f64| n > 1 && (i.min(n - 1 - i) as f64 + 0.5) * d < band_um;
    let (mut edge, mut total) = (0.0, 0.0);
    for iv in 0..nv {
        for iu in 0..nu {
            let s = density[iu + nu * iv];
            total += s;
            if near(iu, nu, d_um[0]) || near(iv, nv, d_um[1]) {
                edge += s;
            }
        }
    }
    if total > 0.0 {
        (edge / total).abs()
    } else {
        0.0
    }
}

/// The polarisation family of a run's guided modes: `"TE"` for a 2D TM run
/// (Ez), `"TM"` for a 2D TE run (Hz), none in 3D (hybrid modes).
pub fn family(dims: Dimensions) -> Option<&'static str> {
    match dims {
        Dimensions::Two(Polarization::Tm) => Some("TE"),
        Dimensions::Two(Polarization::Te) => Some("TM"),
        Dimensions::Three => None,
    }
}

/// The name of the guided mode in column `index` (0-based) of a mode table:
/// `mode 1 (TE0)` with a family, `mode 1` without (see the module docs).
pub fn mode_name(index: usize, family: Option<&str>) -> String {
    match family {
        Some(f) => format!("mode {} ({f}{index})", index + 1),
        None => format!("mode {}", index + 1),
    }
}

#[cfg(test)]
mod numbering {
    use super::*;

    #[test]
    fn fundamental_is_mode_1_with_the_textbook_family_name() {
        assert_eq!(mode_name(0, family(Dimensions::Two(Polarization::Tm))), "mode 1 (TE0)");
        assert_eq!(mode_name(1, family(Dimensions::Two(Polarization::Te))), "mode 2 (TM1)");
        assert_eq!(mode_name(2, family(Dimensions::Three)), "mode 3");
    }
}
