//! Full-vector cross-section modes (src/modes/vector.rs) against exact
//! results: step-index fibre modes (scalar LP and exact vector eigenvalue
//! equations), the slab limit of a wide rectangular guide, the power
//! normalisation / orthogonality of the computed modes, and the measure of
//! how much a window perturbs them (`VectorMode::edge_fraction`).

use lumen_fdtd::modes::slab::{SlabPolarization, SlabProfile};
use lumen_fdtd::modes::vector::{CrossSection, VectorMode};
use std::f64::consts::PI;
use std::time::Instant;

// ---------------------------------------------------------------- Bessel --

/// J_n(x) from Bessel's integral J_n(x) = (1/2pi) int_{-pi}^{pi}
/// cos(n t - x sin t) dt (A&S 9.1.21). The integrand is periodic and entire,
/// so the trapezoid rule converges geometrically; 128 points are exact to
/// rounding for |x| < 20.
fn bessel_j(n: i32, x: f64) -> f64 {
    let m = 128;
    let h = 2.0 * PI / m as f64;
    (0..m)
        .map(|k| {
            let t = -PI + k as f64 * h;
            (n as f64 * t - x * t.sin()).cos()
        })
        .sum::<f64>()
        * h
        / (2.0 * PI)
}

/// K_n(x), x > 0, from K_n(x) = int_0^inf exp(-x cosh t) cosh(n t) dt
/// (A&S 9.6.24). The integrand is even, analytic and decays doubly
/// exponentially, so the trapezoid rule with step 1/64 is exact to rounding.
fn bessel_k(n: i32, x: f64) -> f64 {
    let h: f64 = 1.0 / 64.0;
    let mut sum = 0.5 * (-x).exp();
    let mut t = h;
    loop {
        let term = (-x * t.cosh()).exp() * (n as f64 * t).cosh();
        sum += term;
        if term < 1e-18 * sum {
            break;
        }
        t += h;
    }
    sum * h
}

fn jp(n: i32, x: f64) -> f64 {
    bessel_j(n - 1, x) - n as f64 / x * bessel_j(n, x)
}

fn kp(n: i32, x: f64) -> f64 {
    -bessel_k(n - 1, x) - n as f64 / x * bessel_k(n, x)
}

#[test]
fn bessel_functions_match_abramowitz_stegun_tables() {
    // A&S Table 9.1 (J) and 9.8 (K, via e^x K_n(x)) values to 10 digits.
    let cases = [
        (bessel_j(0, 1.0), 0.7651976866),
        (bessel_j(1, 1.0), 0.4400505857),
        (bessel_j(0, 2.0), 0.2238907791),
        (bessel_j(1, 2.0), 0.5767248078),
        (bessel_j(2, 3.0), 0.4860912606),
        (bessel_k(0, 1.0), 0.4210244382),
        (bessel_k(1, 1.0), 0.6019072302),
        (bessel_k(0, 2.0), 0.1138938727),
        (bessel_k(1, 2.0), 0.1398658818),
        (bessel_k(2, 1.0), 1.624838899),
    ];
    for (got, want) in cases {
        assert!((got - want).abs() < 2e-9, "Bessel value {got} vs table {want}");
    }
}

// ------------------------------------------------------ fibre analytics --

/// A step-index fibre: core index n1, cladding n2, radius a (um).
#[derive(Clone, Copy)]
struct Fiber {
    n1: f64,
    n2: f64,
    a: f64,
    wavelength: f64,
}

impl Fiber {
    fn k0(&self) -> f64 {
        2.0 * PI / self.wavelength
    }
    fn v(&self) -> f64 {
        self.k0() * self.a * (self.n1 * self.n1 - self.n2 * self.n2).sqrt()
    }
    /// (u, w) for an effective index.
    fn uw(&self, n: f64) -> (f64, f64) {
        let ka = self.k0() * self.a;
        (ka * (self.n1 * self.n1 - n * n).sqrt(), ka * (n * n - self.n2 * self.n2).sqrt())
    }

    /// Highest root in (n2, n1) of a pole-free dispersion function, by
    /// scanning and bisection.
    fn highest_root(&self, f: impl Fn(f64, f64) -> f64) -> f64 {
        let g = |n: f64| {
            let (u, w) = self.uw(n);
            f(u, w)
        };
        let steps = 4000;
        let (lo, hi) = (self.n2, self.n1);
        let at = |k: usize| hi - (hi - lo) * (k as f64 + 0.5) / steps as f64;
        for k in 0..steps - 1 {
            let (a, b) = (at(k), at(k + 1));
            if g(a).signum() != g(b).signum() {
                let (mut a, mut b) = (a, b);
                for _ in 0..80 {
                    let m = 0.5 * (a + b);
                    if g(m).signum() == g(a).signum() {
                        a = m;
                    } else {
                        b = m;
                    }
                }
                return 0.5 * (a + b);
            }
        }
        panic!("no root found");
    }

    /// Weakly guiding LP_lm (Gloge 1971; Snyder & Love eq. 14-6):
    /// u J_{l-1}(u) / J_l(u) = -w K_{l-1}(w) / K_l(w), cleared of poles.
    fn lp(&self, l: i32) -> f64 {
        self.highest_root(|u, w| u * bessel_j(l - 1, u) * bessel_k(l, w) + w * bessel_k(l - 1, w) * bessel_j(l, u))
    }
    /// TE_0m (Snyder & Love Table 12-3): J1/(u J0) + K1/(w K0) = 0.
    fn te0(&self) -> f64 {
        self.highest_root(|u, w| bessel_j(1, u) * w * bessel_k(0, w) + bessel_k(1, w) * u * bessel_j(0, u))
    }
    /// TM_0m: n1^2 J1/(u J0) + n2^2 K1/(w K0) = 0.
    fn tm0(&self) -> f64 {
        let (e1, e2) = (self.n1 * self.n1, self.n2 * self.n2);
        self.highest_root(|u, w| e1 * bessel_j(1, u) * w * bessel_k(0, w) + e2 * bessel_k(1, w) * u * bessel_j(0, u))
    }
    /// Hybrid modes of order nu (Snyder & Love Table 12-3; Okamoto eq. 3.31):
    /// (J'/(uJ) + K'/(wK)) (n1^2 J'/(uJ) + n2^2 K'/(wK))
    ///   = nu^2 (1/u^2 + 1/w^2) (n1^2/u^2 + n2^2/w^2),
    /// multiplied through by (u w J K)^2. Its highest root is HE_{nu,1}.
    fn hybrid(&self, nu: i32) -> f64 {
        let (e1, e2) = (self.n1 * self.n1, self.n2 * self.n2);
        let m = nu as f64;
        self.highest_root(|u, w| {
            let (j, k) = (bessel_j(nu, u), bessel_k(nu, w));
            let (a, b) = (jp(nu, u) * w * k, kp(nu, w) * u * j);
            (a + b) * (e1 * a + e2 * b) - m * m * (1.0 / (u * u) + 1.0 / (w * w)) * (e1 / (u * u) + e2 / (w * w)) * (u * w * j * k).powi(2)
        })
    }
}

/// Rasterises the fibre centred in an n x n window of cell d, with sub-cell
/// averaging: each sample's cell (d x d around its own position) is
/// supersampled 24 x 24 for the core fill fraction f. En (along the axis,
/// tangential to the interface) gets the arithmetic mean <eps>; the in-plane
/// Eu, Ev get the diagonal of the anisotropic interface average (Kottke et
/// al., PRE 77, 036611 (2008)): 1/eps_uu = nu^2 <1/eps> + (1 - nu^2) / <eps>
/// with nu the u-component of the interface normal (radial direction).
fn fiber_section(f: &Fiber, n: usize, d: f64) -> CrossSection {
    let (e1, e2) = (f.n1 * f.n1, f.n2 * f.n2);
    let c = 0.5 * n as f64 * d;
    let ss = 24;
    let sample = |x: f64, y: f64, comp: usize| -> f64 {
        let mut inside = 0;
        for a in 0..ss {
            for b in 0..ss {
                let px = x + ((a as f64 + 0.5) / ss as f64 - 0.5) * d - c;
                let py = y + ((b as f64 + 0.5) / ss as f64 - 0.5) * d - c;
                if px * px + py * py < f.a * f.a {
                    inside += 1;
                }
            }
        }
        let fill = inside as f64 / (ss * ss) as f64;
        let mean = fill * e1 + (1.0 - fill) * e2;
        if comp == 2 || fill == 0.0 || fill == 1.0 {
            return mean;
        }
        let inv_mean = fill / e1 + (1.0 - fill) / e2;
        let (rx, ry) = (x - c, y - c);
        let r = rx.hypot(ry).max(1e-12);
        let nn = if comp == 0 { rx / r } else { ry / r };
        1.0 / (nn * nn * inv_mean + (1.0 - nn * nn) / mean)
    };
    let mut eps = [vec![0.0; n * n], vec![0.0; n * n], vec![0.0; n * n]];
    for iv in 0..n {
        for iu in 0..n {
            let (x, y) = (iu as f64 * d, iv as f64 * d);
            eps[0][iu + n * iv] = sample(x + 0.5 * d, y, 0);
            eps[1][iu + n * iv] = sample(x, y + 0.5 * d, 1);
            eps[2][iu + n * iv] = sample(x, y, 2);
        }
    }
    CrossSection {
        nu: n,
        nv: n,
        du: d,
        dv: d,
        eps,
    }
}

fn solve(cs: &CrossSection, wavelength: f64, m: usize) -> Vec<VectorMode> {
    let t = Instant::now();
    let modes = cs.modes(wavelength, m).expect("mode solve");
    println!(
        "  solved {} x {} window in {:.2} s: n_eff {:?}",
        cs.nu,
        cs.nv,
        t.elapsed().as_secs_f64(),
        modes.iter().map(|m| (m.n_eff * 1e6).round() / 1e6).collect::<Vec<_>>()
    );
    modes
}

/// Classifies the LP11-group vector modes by their field pattern: TE01 has
/// a purely azimuthal E (zero radial E, so Hn carries it and e_n ~ 0), TM01
/// a purely radial E (e_n large, h_n ~ 0); HE21 has both. Returns indices
/// (te, tm, he21a, he21b) into `group`.
fn classify_lp11(group: &[&VectorMode]) -> (usize, usize, usize, usize) {
    let ratio = |m: &VectorMode| {
        let en: f64 = m.e_n.iter().map(|x| x * x).sum();
        let hn: f64 = m.h_n.iter().map(|x| x * x).sum();
        en / (en + hn)
    };
    let mut idx: Vec<usize> = (0..4).collect();
    idx.sort_by(|&a, &b| ratio(group[a]).total_cmp(&ratio(group[b])));
    (idx[0], idx[3], idx[1], idx[2])
}

/// Fibre A (n1 = 1.50, n2 = 1.45, V = 3.5): LP01 and LP11 against the
/// weakly-guiding relation and the six vector modes against the exact
/// equations. Tolerance 1e-3 in n_eff (the issue's requirement). The
/// vector errors are the discretisation error at a / dx = 14.5 (measured
/// ~4e-5); the LP errors are dominated by the weak-guidance approximation
/// itself (LP01 - HE11 = 2e-4, LP11 - HE21 = 4.6e-4 at this contrast).
#[test]
fn step_index_fiber_lp_and_vector_modes() {
    let f = Fiber {
        n1: 1.50,
        n2: 1.45,
        a: 0.0,
        wavelength: 1.0,
    };
    let na = (f.n1 * f.n1 - f.n2 * f.n2).sqrt();
    let f = Fiber {
        a: 3.5 / (f.k0() * na),
        ..f
    };
    println!("fibre A: a = {:.4} um, V = {:.3}", f.a, f.v());
    let (lp01, lp11) = (f.lp(0), f.lp(1));
    let (he11, te01, tm01, he21) = (f.hybrid(1), f.te0(), f.tm0(), f.hybrid(2));
    println!("  analytic LP01 {lp01:.6} LP11 {lp11:.6}; HE11 {he11:.6} TE01 {te01:.6} TM01 {tm01:.6} HE21 {he21:.6}");
    let d = 0.1;
    let n = 132; // 13.2 um window: >= 5 um of cladding (8 decay lengths of LP11) around the core
    let modes = solve(&fiber_section(&f, n, d), f.wavelength, 6);
    assert_eq!(modes.len(), 6, "V = 3.5 guides HE11 x2, TE01, TM01, HE21 x2");

    let mut worst_lp: f64 = 0.0;
    let mut worst_vec: f64 = 0.0;
    for m in &modes[..2] {
        worst_lp = worst_lp.max((m.n_eff - lp01).abs());
        worst_vec = worst_vec.max((m.n_eff - he11).abs());
    }
    let group: Vec<&VectorMode> = modes[2..6].iter().collect();
    for m in &group {
        worst_lp = worst_lp.max((m.n_eff - lp11).abs());
    }
    let (ite, itm, ia, ib) = classify_lp11(&group);
    for (i, want, name) in [(ite, te01, "TE01"), (itm, tm01, "TM01"), (ia, he21, "HE21"), (ib, he21, "HE21")] {
        let err = group[i].n_eff - want;
        println!("  {name}: n_eff {:.6} exact {want:.6} error {err:+.2e}", group[i].n_eff);
        worst_vec = worst_vec.max(err.abs());
    }
    println!("  HE11: {:.6} / {:.6} exact {he11:.6}", modes[0].n_eff, modes[1].n_eff);
    println!("  worst |error|: LP {worst_lp:.2e}, vector {worst_vec:.2e}");
    assert!(worst_lp < 1e-3, "LP error {worst_lp:e}");
    assert!(worst_vec < 1e-3, "vector error {worst_vec:e}");
}

/// Fibre B (n1 = 1.8, n2 = 1.45, V = 3.5): strong guidance, where the
/// scalar LP picture fails by far more than 1e-3 and the LP11 group splits
/// by ~1e-2, so matching TE01, TM01, HE21 and HE11 within 1e-3 each is a
/// sharp test of the vector (polarisation) terms of the operator.
#[test]
fn high_contrast_fiber_vector_modes() {
    let f = Fiber {
        n1: 1.8,
        n2: 1.45,
        a: 0.0,
        wavelength: 1.0,
    };
    let na = (f.n1 * f.n1 - f.n2 * f.n2).sqrt();
    let f = Fiber {
        a: 3.5 / (f.k0() * na),
        ..f
    };
    let (he11, te01, tm01, he21, lp11) = (f.hybrid(1), f.te0(), f.tm0(), f.hybrid(2), f.lp(1));
    println!("fibre B: a = {:.4} um, V = {:.3}", f.a, f.v());
    println!(
        "  analytic HE11 {he11:.6} TE01 {te01:.6} TM01 {tm01:.6} HE21 {he21:.6} (LP11 {lp11:.6}, LP01 {:.6})",
        f.lp(0)
    );
    let d = 0.025;
    // 3.75 um window, 1.35 um of cladding (~5 decay lengths a/w of TM01);
    // a 4.25 um window changes no n_eff by more than 1e-6.
    let n = 150; // 3.75 um window: 1.47 um cladding = 8 decay lengths of the LP11 group
    let modes = solve(&fiber_section(&f, n, d), f.wavelength, 6);
    assert_eq!(modes.len(), 6);
    let group: Vec<&VectorMode> = modes[2..6].iter().collect();
    let (ite, itm, ia, ib) = classify_lp11(&group);
    let mut worst: f64 = 0.0;
    for (m, want, name) in [
        (modes[0].clone(), he11, "HE11"),
        (modes[1].clone(), he11, "HE11"),
        (group[ite].clone(), te01, "TE01"),
        (group[itm].clone(), tm01, "TM01"),
        (group[ia].clone(), he21, "HE21"),
        (group[ib].clone(), he21, "HE21"),
    ] {
        let err = m.n_eff - want;
        println!("  {name}: n_eff {:.6} exact {want:.6} error {err:+.2e}", m.n_eff);
        worst = worst.max(err.abs());
    }
    println!("  worst |error| {worst:.2e}; TE01 - TM01 split {:.2e}", te01 - tm01);
    assert!((te01 - tm01).abs() > 5e-3, "contrast too weak for a sharp test");
    assert!(worst < 1e-3, "vector error {worst:e}");
}

/// Power normalisation and orthogonality (sum over samples of
/// Eu_i Hv_j - Ev_i Hu_j times du dv = delta_ij), and the near-degenerate
/// HE11 pair: equal n_eff (circle on a square grid: split < 1e-4) and
/// crossed polarisations.
#[test]
fn modes_are_power_normalised_and_orthogonal() {
    let f = Fiber {
        n1: 1.50,
        n2: 1.45,
        a: 0.0,
        wavelength: 1.0,
    };
    let na = (f.n1 * f.n1 - f.n2 * f.n2).sqrt();
    let f = Fiber {
        a: 3.5 / (f.k0() * na),
        ..f
    };
    let cs = fiber_section(&f, 100, 0.13);
    let modes = solve(&cs, f.wavelength, 6);
    assert_eq!(modes.len(), 6);
    let da = cs.du * cs.dv;
    let mut worst_norm: f64 = 0.0;
    let mut worst_cross: f64 = 0.0;
    for (i, a) in modes.iter().enumerate() {
        for (j, b) in modes.iter().enumerate() {
            let p: f64 = (0..cs.nu * cs.nv)
                .map(|k| a.e_t[0][k] * b.h_t[1][k] - a.e_t[1][k] * b.h_t[0][k])
                .sum::<f64>()
                * da;
            if i == j {
                worst_norm = worst_norm.max((p - 1.0).abs());
            } else {
                worst_cross = worst_cross.max(p.abs());
            }
        }
        // The sign convention: the largest transverse E sample is positive.
        let peak = a.e_t.iter().flatten().fold(0.0f64, |m, &e| if e.abs() > m.abs() { e } else { m });
        assert!(peak > 0.0);
    }
    let split = (modes[0].n_eff - modes[1].n_eff).abs();
    println!(
        "  |power - 1| {worst_norm:.1e}, |cross power| {worst_cross:.1e}, HE11 split {split:.1e}, u_fraction {:.4} / {:.4}",
        modes[0].u_fraction, modes[1].u_fraction
    );
    assert!(worst_norm < 1e-12, "normalisation (rounding only)");
    // Exact in exact arithmetic for distinct eigenvalues (the operator is
    // self-adjoint in this product); limited by residual / eigenvalue gap.
    assert!(worst_cross < 1e-6, "cross power {worst_cross:e}");
    assert!(split < 1e-4, "HE11 split {split:e}");
    assert!((modes[0].u_fraction + modes[1].u_fraction - 1.0).abs() < 0.02);
    // The solver rotates a degenerate pair to its most purely polarised basis.
    assert!(
        (modes[0].u_fraction - modes[1].u_fraction).abs() > 0.99,
        "HE11 pair should be u- and v-polarised"
    );

    // The fields satisfy the discrete Maxwell equations of the module docs
    // (this pins the En = i e_n, Hn = i h_n sign convention):
    //   h_n = -(d_u Ev - d_v Eu) / k0,  e_n = (d_u Hv - d_v Hu) / (k0 eps_n),
    //   beta Eu = k0 Hv + d_u e_n,      beta Hv = k0 eps_u Eu + d_v h_n,
    // with samples outside the window zero.
    let (nu, nv, du, dv) = (cs.nu, cs.nv, cs.du, cs.dv);
    let k0 = 2.0 * PI / f.wavelength;
    let at = |a: &[f64], iu: isize, iv: isize| {
        if iu < 0 || iv < 0 || iu >= nu as isize || iv >= nv as isize {
            0.0
        } else {
            a[iu as usize + nu * iv as usize]
        }
    };
    let mut worst_def: f64 = 0.0;
    let mut worst_eq: f64 = 0.0;
    for m in &modes {
        let beta = m.n_eff * k0;
        let [eu, ev] = &m.e_t;
        let [hu, hv] = &m.h_t;
        let escale = eu.iter().chain(ev).fold(0.0f64, |a, &b| a.max(b.abs()));
        let hscale = hu.iter().chain(hv).fold(0.0f64, |a, &b| a.max(b.abs()));
        for iv in 0..nv as isize {
            for iu in 0..nu as isize {
                let k = iu as usize + nu * iv as usize;
                let hn = -((at(ev, iu + 1, iv) - at(ev, iu, iv)) / du - (at(eu, iu, iv + 1) - at(eu, iu, iv)) / dv) / k0;
                let en = ((at(hv, iu, iv) - at(hv, iu - 1, iv)) / du - (at(hu, iu, iv) - at(hu, iu, iv - 1)) / dv) / (k0 * cs.eps[2][k]);
                worst_def = worst_def.max((hn - m.h_n[k]).abs() / escale).max((en - m.e_n[k]).abs() / hscale);
                let en_next = at(&m.e_n, iu + 1, iv);
                let hn_prev = at(&m.h_n, iu, iv - 1);
                worst_eq = worst_eq.max((beta * eu[k] - k0 * hv[k] - (en_next - m.e_n[k]) / du).abs() / (beta * escale));
                worst_eq = worst_eq.max((beta * hv[k] - k0 * cs.eps[0][k] * eu[k] - (m.h_n[k] - hn_prev) / dv).abs() / (beta * hscale));
            }
        }
    }
    println!("  discrete Maxwell: longitudinal-field residual {worst_def:.1e}, transverse-equation residual {worst_eq:.1e}");
    // e_n and h_n are computed from these formulas: rounding only.
    assert!(worst_def < 1e-12, "longitudinal fields {worst_def:e}");
    // The eigen-residual: the solver stops at 1e-10 relative on the
    // shift-inverted operator, which ||PQ - sigma|| / |beta^2 - sigma| may
    // amplify; measured 2.5e-11, bound 1e-8.
    assert!(worst_eq < 1e-8, "transverse equations {worst_eq:e}");
}

/// A rectangle much wider than tall tends to the slab: compare the
/// fundamental u- and v-polarised modes of a 6 um x 0.4 um, n = 2.0 core in
/// n = 1.45 with the effective index method built on the exact slab solver
/// (modes::slab): vertical slab (TE for E along u, TM for E along v) gives
/// n_slab, then a lateral slab of width W with core n_slab (TM for E along u,
/// normal to the side walls; TE for E along v). For W = 6 um the lateral
/// correction is 1.8e-3 (u-pol) and the measured residual 3e-4 / 5e-4
/// (u / v-pol) is the sum of the effective-index method's own error and the
/// discretisation (dv = 0.02 um, 20 cells across the core). Tolerance
/// 7.5e-4: well inside the lateral correction, so a solver that misses the
/// side walls' polarisation-dependent boundary conditions fails.
#[test]
fn wide_rectangle_tends_to_slab() {
    let (n1, n2, w, t, lambda) = (2.0, 1.45, 6.0, 0.4, 1.0);
    let (du, dv) = (0.05, 0.02);
    let (nu, nv) = (160usize, 130usize);
    let (uc, vc) = (0.5 * nu as f64 * du, 0.5 * nv as f64 * dv);
    // Exact area fractions of a rectangle (separable): overlap of the
    // sample's cell with the core along each axis.
    let overlap = |x: f64, h: f64, lo: f64, hi: f64| ((x + 0.5 * h).min(hi) - (x - 0.5 * h).max(lo)).clamp(0.0, h) / h;
    let (e1, e2) = (n1 * n1, n2 * n2);
    let mut eps = [vec![0.0; nu * nv], vec![0.0; nu * nv], vec![0.0; nu * nv]];
    for iv in 0..nv {
        for iu in 0..nu {
            for (c, (ou, ov)) in [(0.5, 0.0), (0.0, 0.5), (0.0, 0.0)].into_iter().enumerate() {
                let x = (iu as f64 + ou) * du;
                let y = (iv as f64 + ov) * dv;
                let fu = overlap(x, du, uc - 0.5 * w, uc + 0.5 * w);
                let fv = overlap(y, dv, vc - 0.5 * t, vc + 0.5 * t);
                let mean = |f: f64| f * e1 + (1.0 - f) * e2;
                // Axis-aligned interfaces (Kottke): arithmetic mean along the
                // component's direction, harmonic across interfaces normal to it.
                eps[c][iu + nu * iv] = match c {
                    0 => {
                        // Eu: interfaces normal to u are crossed harmonically.
                        let col_core = mean(fv); // along v (parallel to Eu): arithmetic
                        fu_mix_harm(fu, col_core, e2)
                    }
                    1 => {
                        let row_core = mean(fu);
                        fu_mix_harm(fv, row_core, e2)
                    }
                    _ => fu * mean(fv) + (1.0 - fu) * e2,
                };
            }
        }
    }
    let cs = CrossSection { nu, nv, du, dv, eps };
    let modes = solve(&cs, lambda, 10);
    let te = modes.iter().find(|m| m.u_fraction > 0.5).expect("u-polarised mode");
    let tm = modes.iter().find(|m| m.u_fraction < 0.5).expect("v-polarised mode");
    assert!(te.u_fraction > 0.98 && tm.u_fraction < 0.02, "{} {}", te.u_fraction, tm.u_fraction);

    let vert = SlabProfile::symmetric(n1, n2, t);
    let eim = |pv: SlabPolarization, pl: SlabPolarization| -> (f64, f64) {
        let ns = vert.modes(lambda, pv).expect("slab")[0].n_eff;
        let lat = SlabProfile::symmetric(ns, n2, w);
        (ns, lat.modes(lambda, pl).expect("slab")[0].n_eff)
    };
    let (ns_te, eim_te) = eim(SlabPolarization::Te, SlabPolarization::Tm);
    let (ns_tm, eim_tm) = eim(SlabPolarization::Tm, SlabPolarization::Te);
    let (err_te, err_tm) = (te.n_eff - eim_te, tm.n_eff - eim_tm);
    println!("  u-pol: {:.6} slab {ns_te:.6} EIM {eim_te:.6} error {err_te:+.2e}", te.n_eff);
    println!("  v-pol: {:.6} slab {ns_tm:.6} EIM {eim_tm:.6} error {err_tm:+.2e}", tm.n_eff);
    assert!(err_te.abs() < 7.5e-4 && err_tm.abs() < 7.5e-4);
}

/// Eps of a sample whose cell has fraction `f` of a column/row of mean
/// permittivity `core` and 1 - f of cladding `clad`, crossed normal to the
/// interface: harmonic mean.
fn fu_mix_harm(f: f64, core: f64, clad: f64) -> f64 {
    1.0 / (f / core + (1.0 - f) / clad)
}

#[test]
fn invalid_inputs_are_rejected() {
    let ok = CrossSection {
        nu: 4,
        nv: 4,
        du: 0.1,
        dv: 0.1,
        eps: [vec![1.0; 16], vec![1.0; 16], vec![1.0; 16]],
    };
    assert!(
        ok.modes(1.0, 1).expect("uniform window").is_empty(),
        "nothing is guided in a uniform window"
    );
    assert!(ok.modes(0.0, 1).is_err());
    assert!(ok.modes(1.0, 0).is_err());
    let mut bad = ok.clone();
    bad.eps[1][5] = -2.0;
    assert!(bad.modes(1.0, 1).is_err());
    let mut bad = ok.clone();
    bad.eps[2].pop();
    assert!(bad.modes(1.0, 1).is_err());
    let bad = CrossSection {
        du: f64::NAN,
        ..ok.clone()
    };
    assert!(bad.modes(1.0, 1).is_err());
}

/// Solve times for 100 x 100 and 200 x 200 windows (fibre A geometry):
/// `cargo test --test fiber_modes -- --ignored --nocapture timing`.
#[test]
#[ignore]
fn timing_windows() {
    let f = Fiber {
        n1: 1.50,
        n2: 1.45,
        a: 1.4504,
        wavelength: 1.0,
    };
    for n in [100usize, 200] {
        let d = 13.2 / n as f64;
        let cs = fiber_section(&f, n, d);
        solve(&cs, 1.0, 6);
    }
}

/// A graded-index (parabolic) multimode fiber from a scene file, solved on
/// its rasterised cross-section, against the principal mode groups of the
/// infinite parabolic profile (Okamoto, Fundamentals of Optical Waveguides,
/// 2nd ed., sec. 3.9; Snyder and Love ch. 16):
///   beta_m^2 = k0^2 n1^2 - 2 k0 n1 sqrt(2 Delta) m / a,  m = 1 (LP01), 2 (LP11).
/// n1 = 1.47, cladding 1.45, a = 5 um, lambda = 1 um: the modes' fields at
/// r = a are ~1e-3 of their peak, so truncating the parabola there moves
/// n_eff by ~1e-5; the 24-step staircase (smoothed; steps of ~1e-3 in n)
/// and the scalar approximation's polarisation corrections (~Delta (n1 - n2)
/// = 3e-4 at most, far less for the low groups) set the 1e-4 tolerance,
/// against 5.3e-3 between mode groups. Measured: 1.1e-5 and 1.8e-5.
#[test]
fn graded_index_fiber_mode_groups() {
    let text = r#"
[simulation]
dimensions = "3d"
size_um = [13.0, 13.0, 0.2]
resolution = 10
background = "clad"

[boundaries]
default = { type = "pml", thickness_um = 0.5 }
z = "periodic"

[materials.clad]
index = 1.45

[[geometry]]
type = "cylinder"
center_um = [0.0, 0.0, 0.0]
axis = "z"
radius_um = 5.0
material = "clad"
graded = { n_axis = 1.47, exponent = 2.0, steps = 24 }

[[sources]]
type = "dipole"
position_um = [0.0, 0.0, 0.0]
component = "Ex"
wavelength_um = 1.0
bandwidth_um = 0.1

[[monitors]]
name = "port"
type = "mode"
center_um = [0.0, 0.0, 0.0]
size_um = [12.0, 12.0, 0.0]
modes = 3
wavelengths_um = [1.0]

[run]
until_fs = 10
"#;
    let scene = lumen_fdtd::scene::parse(text, "graded.toml", &[], false).expect("scene");
    let n_eff = scene
        .prepared
        .dft
        .monitors
        .iter()
        .find_map(|m| match m {
            lumen_fdtd::monitor::dft::MonitorPlan::Mode { modes, .. } => Some(modes.n_eff()[0].clone()),
            _ => None,
        })
        .expect("mode port");
    let (n1, n2, a, k0) = (1.47f64, 1.45f64, 5.0f64, std::f64::consts::TAU);
    let s2d = ((n1 * n1 - n2 * n2) / (n1 * n1)).sqrt(); // sqrt(2 Delta)
    let group = |m: f64| (n1 * n1 - 2.0 * n1 * s2d * m / (k0 * a)).sqrt();
    eprintln!("n_eff {n_eff:?}; groups {:.6} {:.6}", group(1.0), group(2.0));
    assert!(n_eff.len() >= 3, "{n_eff:?}");
    // LP01 (two polarisations would be modes 0 and 1; LP11 follows).
    assert!((n_eff[0] - group(1.0)).abs() < 1e-4, "LP01 {:.6} vs {:.6}", n_eff[0], group(1.0));
    assert!((n_eff[1] - group(1.0)).abs() < 1e-4, "LP01' {:.6} vs {:.6}", n_eff[1], group(1.0));
    assert!((n_eff[2] - group(2.0)).abs() < 1e-4, "LP11 {:.6} vs {:.6}", n_eff[2], group(2.0));
}

/// The window-edge measure (src/modes/mod.rs, `EDGE_POWER_LIMIT`) against
/// what a window does to the modes: a step-index fibre (n 1.50 / 1.45,
/// radius 1.2 um, 450 nm: 24 guided modes, the last 8 within 0.009 of the
/// cladding index) solved in a 3.4 um window (0.5 um of cladding around the
/// core, as the ports of microled_array_3d.toml) and in an 8 um one. A
/// mode's error is the part of its power outside the span of the wide
/// window's modes of the same n_eff (within 2e-3: degenerate groups mix).
/// The measure must flag exactly the modes whose error exceeds 1% of their
/// power, and nothing in the wide window.
#[test]
fn window_edge_power_flags_the_perturbed_modes() {
    use lumen_fdtd::modes::EDGE_POWER_LIMIT;
    let f = Fiber {
        n1: 1.50,
        n2: 1.45,
        a: 1.2,
        wavelength: 0.45,
    };
    let d = 1.0 / 20.0;
    let (ns, nb) = (68usize, 160usize);
    let small = solve(&fiber_section(&f, ns, d), f.wavelength, 30);
    let wide = solve(&fiber_section(&f, nb, d), f.wavelength, 30);
    assert_eq!(small.len(), wide.len(), "the same guided modes");
    let off = (nb - ns) / 2;
    // Symmetrised power product of a small-window mode with a wide-window
    // one, over the small window (the wide one's samples shifted by `off`).
    let product = |a: &VectorMode, b: &VectorMode| -> f64 {
        let mut s = 0.0;
        for iv in 0..ns {
            for iu in 0..ns {
                let (i, j) = (iu + ns * iv, iu + off + nb * (iv + off));
                s += a.e_t[0][i] * b.h_t[1][j] - a.e_t[1][i] * b.h_t[0][j] + b.e_t[0][j] * a.h_t[1][i] - b.e_t[1][j] * a.h_t[0][i];
            }
        }
        0.5 * s * d * d
    };
    let (mut flagged, mut clean) = (0, 0);
    for (k, m) in small.iter().enumerate() {
        let kept: f64 = wide
            .iter()
            .filter(|w| (w.n_eff - m.n_eff).abs() < 2e-3)
            .map(|w| product(m, w).powi(2))
            .sum();
        let error = 1.0 - kept;
        println!(
            "  mode {:2}: n_eff {:.5}, edge power {:.2e}, error {error:.2e}",
            k + 1,
            m.n_eff,
            m.edge_fraction
        );
        if m.edge_fraction > EDGE_POWER_LIMIT {
            flagged += 1;
            assert!(error > 0.01, "mode {} flagged with an error of only {error:.2e}", k + 1);
        } else {
            clean += 1;
            assert!(error < 0.01, "mode {} not flagged with an error of {error:.2e}", k + 1);
        }
    }
    assert!(flagged >= 4 && clean >= 4, "{flagged} flagged, {clean} not");
    for w in &wide {
        assert!(
            w.edge_fraction < 0.1 * EDGE_POWER_LIMIT,
            "wide window: n_eff {} edge power {}",
            w.n_eff,
            w.edge_fraction
        );
    }
}
