//! Units and conversions.
//!
//! Lengths are in micrometres (um). Internally c = eps0 = mu0 = 1, so the time
//! unit is the time light takes to cross 1 um, 1 um/c = 3.33564 fs, and a
//! frequency f is measured in c/um, i.e. f = 1/wavelength_um in vacuum.
//! Conductivity sigma is in units of eps0 * c / um (1 unit = 2654.4 S/m).

/// Speed of light in um/fs.
pub const C_UM_PER_FS: f64 = 0.299_792_458;
/// Internal time unit (1 um / c) in femtoseconds.
pub const FS_PER_TIME_UNIT: f64 = 1.0 / C_UM_PER_FS;
/// One internal conductivity unit (eps0 * c / 1 um) in S/m.
pub const SIEMENS_PER_M_PER_UNIT: f64 = 8.854_187_812_8e-12 * 299_792_458.0 / 1e-6;

/// Vacuum frequency (c/um) of a wavelength in um.
pub fn frequency_of_wavelength_um(wavelength_um: f64) -> f64 {
    1.0 / wavelength_um
}

/// Internal time units to femtoseconds.
pub fn time_to_fs(t: f64) -> f64 {
    t * FS_PER_TIME_UNIT
}

/// Femtoseconds to internal time units.
pub fn fs_to_time(t_fs: f64) -> f64 {
    t_fs / FS_PER_TIME_UNIT
}

/// Conductivity (internal units) that gives a medium of index `n` an
/// extinction coefficient `k` at `wavelength_um`: sigma = 2 omega n k eps0.
pub fn conductivity_for_extinction(n: f64, k: f64, wavelength_um: f64) -> f64 {
    2.0 * std::f64::consts::TAU * frequency_of_wavelength_um(wavelength_um) * n * k
}

/// Conductivity in S/m to internal units.
pub fn conductivity_from_si(sigma_s_per_m: f64) -> f64 {
    sigma_s_per_m / SIEMENS_PER_M_PER_UNIT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_unit_is_3_33564_fs() {
        assert!((FS_PER_TIME_UNIT - 3.335_640_95).abs() < 1e-6);
        assert!((fs_to_time(time_to_fs(2.5)) - 2.5).abs() < 1e-12);
    }

    #[test]
    fn conductivity_unit_matches_eps0_c_per_um() {
        assert!((SIEMENS_PER_M_PER_UNIT - 2654.418).abs() < 1e-2);
        assert!((conductivity_from_si(2654.418) - 1.0).abs() < 1e-5);
    }
}

/// A length, time or ratio for people: at most `digits` significant digits,
/// no trailing zeros, no float noise (1/60 um prints as 0.0166667, 0.5 as 0.5).
pub fn short(x: f64, digits: usize) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let mag = x.abs().log10().floor() as i32;
    let decimals = (digits as i32 - 1 - mag).max(0) as usize;
    let s = format!("{x:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}
