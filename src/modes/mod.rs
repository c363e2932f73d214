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
