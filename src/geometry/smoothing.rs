//! Subpixel smoothing: the effective permittivity of a Yee cell that an
//! interface cuts (Farjadpour et al., Opt. Lett. 31, 2972 (2006); Oskooi et
//! al., Opt. Lett. 34, 2778 (2009); MEEP's default).
//!
//! For a cell with interface normal n and the permittivity averaged over the
//! cell, each E component c gets
//!
//! ```text
//! 1 / eps_c = n_c^2 <1/eps> + (1 - n_c^2) / <eps>
//! ```
//!
//! i.e. the harmonic mean for the field across the interface and the
//! arithmetic mean for the field along it. Only the diagonal of MEEP's
//! tensor is kept (one value per Yee component), which is what a
//! per-component update can use.

/// Fraction of the cell [-1/2, 1/2]^D (cell units) where `n . u <= t`, for a
/// unit normal with `n.len() == D` (only the first `dims` entries are used).
/// The probability that a sum of independent uniform variables on
/// [-w_i/2, w_i/2] (w_i = |n_i|) stays below t: a box spline, evaluated by
/// inclusion-exclusion. Exact for any orientation.
pub fn cube_cdf(n: &[f64], t: f64) -> f64 {
    // Widths below 1e-5 act as zero: dropping them moves the result by at
    // most their size, and keeps 1 / prod(w) from amplifying round-off.
    let mut w = [0.0f64; 3];
    let mut k = 0;
    for &x in n {
        if x.abs() > 1e-5 {
            w[k] = x.abs();
            k += 1;
        }
    }
    if k == 0 {
        return if t >= 0.0 { 1.0 } else { 0.0 };
    }
    let w = &w[..k];
    let total: f64 = w.iter().sum();
    let x = t + total / 2.0;
    if x <= 0.0 {
        return 0.0;
    }
    if x >= total {
        return 1.0;
    }
    let mut s = 0.0;
    for mask in 0..(1u32 << k) {
        let shift: f64 = (0..k).filter(|i| mask & (1 << i) != 0).map(|i| w[i]).sum();
        let v = x - shift;
        if v > 0.0 {
            let term = v.powi(k as i32);
            s += if mask.count_ones() % 2 == 0 { term } else { -term };
        }
    }
    let fact = [1.0, 1.0, 2.0, 6.0][k];
    let prod: f64 = w.iter().product();
    (s / (fact * prod)).clamp(0.0, 1.0)
}

/// Fraction of the cell (cell units) with `lo < n . u < hi`.
pub fn fill_fraction(n: &[f64], lo: f64, hi: f64) -> f64 {
    let upper = if hi == f64::INFINITY { 1.0 } else { cube_cdf(n, hi) };
    let lower = if lo == f64::NEG_INFINITY { 0.0 } else { cube_cdf(n, lo) };
    (upper - lower).clamp(0.0, 1.0)
}

/// The effective permittivity of one component from the cell averages
/// <eps> and <1/eps> and the normal's component `n_c` along it.
#[inline]
pub fn effective(mean: f64, mean_inverse: f64, n_c: f64) -> f64 {
    let n2 = (n_c * n_c).min(1.0);
    1.0 / (n2 * mean_inverse + (1.0 - n2) / mean)
}

/// Two media with fill fraction `f` of `eps_in`: the effective permittivity
/// of a component whose direction has component `n_c` along the normal.
pub fn two_media(eps_in: f64, eps_out: f64, f: f64, n_c: f64) -> f64 {
    let mean = f * eps_in + (1.0 - f) * eps_out;
    let mean_inverse = f / eps_in + (1.0 - f) / eps_out;
    effective(mean, mean_inverse, n_c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cube_cdf_against_sampling() {
        let normals: [&[f64]; 5] = [
            &[1.0, 0.0],
            &[0.6, 0.8],
            &[0.0, 0.0, 1.0],
            &[0.48, 0.6, 0.64],
            &[0.3, 1e-7, (1.0f64 - 0.09).sqrt()],
        ];
        for n in normals {
            let d = n.len();
            let m = if d == 2 { 400 } else { 60 };
            for t in [-0.7, -0.3, -0.05, 0.0, 0.12, 0.4, 0.69] {
                let mut inside = 0usize;
                let mut total = 0usize;
                let c = |i: usize| (i as f64 + 0.5) / m as f64 - 0.5;
                for i in 0..m {
                    for j in 0..m {
                        for k in 0..if d == 3 { m } else { 1 } {
                            let u = [c(i), c(j), if d == 3 { c(k) } else { 0.0 }];
                            let s: f64 = (0..d).map(|a| n[a] * u[a]).sum();
                            inside += (s <= t) as usize;
                            total += 1;
                        }
                    }
                }
                let want = inside as f64 / total as f64;
                let got = cube_cdf(n, t);
                assert!((got - want).abs() < 4.0 / m as f64, "n {n:?} t {t}: {got} vs sampled {want}");
            }
        }
        // Symmetry: F(t) + F(-t) = 1.
        for t in [0.05, 0.2, 0.6] {
            let n = [0.48, 0.6, 0.64];
            assert!((cube_cdf(&n, t) + cube_cdf(&n, -t) - 1.0).abs() < 1e-12);
        }
    }

    #[test]
    fn effective_permittivity_limits() {
        let (a, b) = (12.25, 1.0);
        // Along the interface: arithmetic mean; across: harmonic mean.
        assert!((two_media(a, b, 0.3, 0.0) - (0.3 * a + 0.7 * b)).abs() < 1e-12);
        assert!((two_media(a, b, 0.3, 1.0) - 1.0 / (0.3 / a + 0.7 / b)).abs() < 1e-12);
        assert!((two_media(a, b, 1.0, 0.5) - a).abs() < 1e-12);
    }
}
