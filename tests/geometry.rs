//! Geometry and rasterisation on the CPU (no GPU needed):
//! - every shape fills its analytic volume (3D) or cross-section area (2D),
//!   to 0.3% with subpixel smoothing; staircasing is shown for comparison;
//! - later objects override earlier ones; arrays and groups; stacks;
//! - smoothing gives each component of a cut cell the analytic average of
//!   Farjadpour et al. (harmonic across, arithmetic along the interface),
//!   checked against fill fractions computed independently;
//! - the medium array is the staircase sample with smoothing on or off,
//!   except next to a dispersive medium, where cut cells name a mixture whose
//!   weights are the exact fill fractions along the faces (staircase across);
//! - rasterisation throughput (300 cylinders);
//! - scene files: every shape, arrays, groups, stacks and their errors.

use std::time::Instant;

use lumen_fdtd::scene;
use lumen_fdtd::{Dimensions, Grid, Lattice, Medium, Object, Polarization, Shape, Stack, Structure};

/// A weak contrast: eps - 1 = DELTA * fill to O(DELTA^2) whether a cell
/// averages arithmetically or harmonically, so summing (eps - 1) / DELTA
/// over the samples measures the volume a shape fills.
const DELTA: f64 = 1e-3;

fn grid3(size: f64, res: f64) -> Grid {
    Grid::new([size; 3], res, 0.5, Dimensions::Three).unwrap()
}

fn grid2(size: f64, res: f64, pol: Polarization) -> Grid {
    Grid::new([size, size, 0.0], res, 0.5, Dimensions::Two(pol)).unwrap()
}

/// Volume (3D) or area (2D) filled, from component `a`'s permittivity.
fn filled(shape: &Shape, grid: &Grid, smoothing: bool, a: usize) -> f64 {
    let s = Structure::new(Medium::VACUUM)
        .with(shape.clone(), Medium::lossy(1.0 + DELTA, 0.0))
        .with_smoothing(smoothing);
    let m = s.rasterize(grid).unwrap();
    let dv = grid.dx.powi(grid.dims.count() as i32);
    m.eps[a].iter().map(|&e| (e as f64 - 1.0) / DELTA).sum::<f64>() * dv
}

fn shoelace(v: &[[f64; 2]]) -> f64 {
    (0..v.len())
        .map(|i| {
            let (a, b) = (v[i], v[(i + 1) % v.len()]);
            a[0] * b[1] - b[0] * a[1]
        })
        .sum::<f64>()
        .abs()
        / 2.0
}

#[test]
fn shapes_fill_their_volume_in_3d() {
    use std::f64::consts::PI;
    let grid = grid3(2.0, 20.0);
    let c = [1.013, 0.987, 1.021];
    let poly = vec![[0.3, 0.35], [1.7, 0.5], [1.1, 1.0], [1.6, 1.62], [0.4, 1.5]];
    let cases: Vec<(&str, Shape, f64)> = vec![
        ("sphere", Shape::sphere(c, 0.63), 4.0 / 3.0 * PI * 0.63f64.powi(3)),
        (
            "ellipsoid",
            Shape::ellipsoid(c, [0.7, 0.45, 0.36]),
            4.0 / 3.0 * PI * 0.7 * 0.45 * 0.36,
        ),
        ("oblique cylinder", Shape::cylinder(c, [1.0, 0.5, 0.3], 0.3, 1.1), PI * 0.09 * 1.1),
        ("frustum", Shape::cone(c, [0.0, 0.0, 1.0], 0.6, 0.25, 0.9), {
            let (r1, r2, h) = (0.6, 0.25, 0.9);
            PI * h / 3.0 * (r1 * r1 + r1 * r2 + r2 * r2)
        }),
        (
            "tilted frustum",
            Shape::cone(c, [0.2, 1.0, 0.1], 0.3, 0.55, 1.0),
            PI * 1.0 / 3.0 * (0.09 + 0.3 * 0.55 + 0.55f64.powi(2)),
        ),
        (
            "prism",
            Shape::prism(1, poly.clone(), [0.317, 1.611]),
            shoelace(&poly) * (1.611 - 0.317),
        ),
        ("box", Shape::cuboid([0.213, 0.31, 0.47], [1.377, 1.52, 1.69]), 1.164 * 1.21 * 1.22),
    ];
    for (name, shape, want) in cases {
        for a in 0..3 {
            let smooth = filled(&shape, &grid, true, a);
            let stair = filled(&shape, &grid, false, a);
            let (es, et) = (smooth / want - 1.0, stair / want - 1.0);
            eprintln!("{name:16} E{}: smoothed {es:+.2e}, staircase {et:+.2e}", ["x", "y", "z"][a]);
            assert!(es.abs() < 1e-3, "{name}: smoothed volume {smooth:.5} vs {want:.5}");
            assert!(et.abs() < 0.1, "{name}: staircase volume {stair:.5} vs {want:.5}");
        }
    }
}

#[test]
fn shapes_take_their_z0_cross_section_in_2d() {
    use std::f64::consts::PI;
    let grid = grid2(3.0, 30.0, Polarization::Te);
    let c = [1.513, 1.487, 0.0];
    let poly = vec![[0.3, 0.35], [2.7, 0.5], [1.1, 1.4], [2.6, 2.62], [0.4, 2.5]];
    let cases: Vec<(&str, Shape, f64)> = vec![
        ("sphere -> disc", Shape::sphere(c, 0.83), PI * 0.83 * 0.83),
        ("ellipsoid -> ellipse", Shape::ellipsoid(c, [1.1, 0.6, 0.2]), PI * 1.1 * 0.6),
        (
            "cylinder along z -> disc",
            Shape::cylinder(c, [0.0, 0.0, 1.0], 0.77, 0.5),
            PI * 0.77 * 0.77,
        ),
        (
            "cylinder along x -> strip",
            Shape::cylinder(c, [1.0, 0.0, 0.0], 0.41, 1.7),
            0.82 * 1.7,
        ),
        (
            "cone along y -> trapezoid",
            Shape::cone(c, [0.0, 1.0, 0.0], 1.0, 0.45, 1.3),
            (2.0 + 0.9) / 2.0 * 1.3,
        ),
        (
            "polygon",
            Shape::prism(2, poly.clone(), [f64::NEG_INFINITY, f64::INFINITY]),
            shoelace(&poly),
        ),
        // A box keeps its x-y rectangle whatever its z extent.
        ("box off z = 0", Shape::cuboid([0.41, 0.52, 3.0], [2.23, 1.97, 4.0]), 1.82 * 1.45),
    ];
    for (name, shape, want) in cases {
        for a in 0..2 {
            let smooth = filled(&shape, &grid, true, a);
            let stair = filled(&shape, &grid, false, a);
            eprintln!(
                "{name:26} E{}: smoothed {:+.2e}, staircase {:+.2e}",
                ["x", "y"][a],
                smooth / want - 1.0,
                stair / want - 1.0
            );
            assert!((smooth / want - 1.0).abs() < 3e-4, "{name}: smoothed area {smooth:.5} vs {want:.5}");
        }
    }
}

#[test]
fn later_objects_win_and_arrays_repeat() {
    let grid = grid2(8.0, 20.0, Polarization::Tm);
    let clad = Medium::index(1.444);
    let core = Medium::index(1.46);
    // Claddings that overlap their neighbours (pitch < 2 r): a group is painted
    // member by member, so every core survives intact.
    let (pitch, r_clad, r_core) = (1.0, 0.6, 0.25);
    let c = [4.0, 4.0, 0.0];
    let lattice = Lattice::hexagonal(pitch, 2);
    let s = Structure::new(Medium::VACUUM)
        .with_array(
            vec![
                Object::new(Shape::cylinder(c, [0.0, 0.0, 1.0], r_clad, f64::INFINITY), clad),
                Object::new(Shape::cylinder(c, [0.0, 0.0, 1.0], r_core, f64::INFINITY), core),
            ],
            &lattice,
        )
        .with_smoothing(false);
    assert_eq!(s.objects.len(), 2);
    assert_eq!(s.objects[1].copies.len(), 19);
    let m = s.rasterize(&grid).unwrap();
    let count = |id: u32| m.medium[2].iter().filter(|&&x| x == id).count();
    // Ez samples (at the cell corners in 2D) strictly inside some core, counted by brute force.
    let inside_cores = (0..grid.ny)
        .flat_map(|j| (0..grid.nx).map(move |i| (i, j)))
        .filter(|&(i, j)| {
            let (x, y) = (i as f64 * grid.dx, j as f64 * grid.dx);
            lattice
                .offsets()
                .iter()
                .any(|o| (x - c[0] - o[0]).powi(2) + (y - c[1] - o[1]).powi(2) < r_core * r_core - 1e-12)
        })
        .count();
    assert!(
        count(2).abs_diff(inside_cores) <= 19,
        "{} core samples, {inside_cores} expected",
        count(2)
    );
    // Every core copy is whole: sample each copy's centre and a point at 0.9 r.
    for o in lattice.offsets() {
        for p in [[c[0] + o[0], c[1] + o[1]], [c[0] + o[0] + 0.5 * r_core, c[1] + o[1]]] {
            let (i, j) = ((p[0] / grid.dx).round() as usize, (p[1] / grid.dx).round() as usize);
            assert_eq!(m.medium[2][grid.index(i, j, 0)], 2, "core at {p:?}");
        }
    }
    // A later shape overrides an earlier one.
    let s = Structure::new(Medium::VACUUM)
        .with_block([1.0, 1.0, 0.0], [7.0, 7.0, 1.0], Medium::index(2.0))
        .with(Shape::sphere([4.0, 4.0, 0.0], 1.0), Medium::index(3.0));
    let m = s.rasterize(&grid).unwrap();
    let at = |x: f64, y: f64| m.medium[2][grid.index((x / grid.dx) as usize, (y / grid.dx) as usize, 0)];
    assert_eq!((at(4.0, 4.0), at(2.0, 2.0), at(0.5, 0.5)), (2, 1, 0));
    // Row lattices are centred on the shape.
    let row = Object::new(Shape::sphere([4.0, 4.0, 0.0], 0.3), Medium::index(2.0)).repeated(&Lattice::row([2.0, 0.0, 0.0], 3));
    assert_eq!(row.copies, vec![[-2.0, 0.0, 0.0], [0.0, 0.0, 0.0], [2.0, 0.0, 0.0]]);
}

/// Integrals along the normal of a stack of layers: the component along the
/// layers averages arithmetically, the one across harmonically, so the
/// column sums of eps_x dx and dx / eps_z equal the exact integrals of eps
/// and 1/eps, whatever the cell boundaries (planar layers, two media a cell).
#[test]
fn stacks_average_exactly_along_and_across() {
    let res = 20.0;
    let grid = grid3(1.5, res);
    let layers = vec![
        (0.1234, Medium::index(1.45)),
        (0.0711, Medium::index(2.45)),
        (0.2029, Medium::lossy(4.0, 0.0)),
        (f64::INFINITY, Medium::index(1.2)),
    ];
    let stack = Stack {
        axis: 2,
        start_um: 0.4137,
        layers: layers.clone(),
    };
    let s = Structure::new(Medium::VACUUM).with_stack(&stack);
    let m = s.rasterize(&grid).unwrap();
    // Exact integrals over the span of the samples' cells: z in [0, nz dx] for
    // Ex (sample at k dx, cell [k - 1/2, k + 1/2] dx) shifted by half a cell.
    let eps_at = |z: f64| {
        let mut at = stack.start_um;
        if z < at {
            return 1.0;
        }
        for (t, med) in &layers {
            if z < at + t {
                return med.eps;
            }
            at += t;
        }
        1.0
    };
    let integral = |lo: f64, hi: f64, f: &dyn Fn(f64) -> f64| {
        let n = 200_000;
        (0..n).map(|i| f(lo + (hi - lo) * (i as f64 + 0.5) / n as f64)).sum::<f64>() * (hi - lo) / n as f64
    };
    let (i, j) = (7, 11);
    let dx = grid.dx;
    let nz = grid.nz;
    // Ex samples at z = k dx: cells from -dx/2 to (nz - 1/2) dx.
    let along: f64 = (0..nz).map(|k| m.eps[0][grid.index(i, j, k)] as f64).sum::<f64>() * dx;
    let want_along = integral(-0.5 * dx, (nz as f64 - 0.5) * dx, &eps_at);
    // Ez samples at z = (k + 1/2) dx: cells from 0 to nz dx.
    let across: f64 = (0..nz).map(|k| 1.0 / m.eps[2][grid.index(i, j, k)] as f64).sum::<f64>() * dx;
    let want_across = integral(0.0, nz as f64 * dx, &|z| 1.0 / eps_at(z));
    eprintln!("along: {along:.6} vs {want_along:.6}; across: {across:.6} vs {want_across:.6}");
    assert!(
        (along / want_along - 1.0).abs() < 1e-5,
        "sum eps_x dx = {along}, integral {want_along}"
    );
    assert!(
        (across / want_across - 1.0).abs() < 1e-5,
        "sum dx/eps_z = {across}, integral {want_across}"
    );
}

/// Fraction of the square [x0, x0 + dx] x [y0, y0 + dx] on the side
/// n . (p - p0) < 0 of a line, by clipping the square (independent of the
/// code under test).
fn clipped_fraction(x0: f64, y0: f64, dx: f64, n: [f64; 2], p0: [f64; 2]) -> f64 {
    let sq = [[x0, y0], [x0 + dx, y0], [x0 + dx, y0 + dx], [x0, y0 + dx]];
    let side = |p: [f64; 2]| n[0] * (p[0] - p0[0]) + n[1] * (p[1] - p0[1]);
    let mut out: Vec<[f64; 2]> = Vec::new();
    for k in 0..4 {
        let (a, b) = (sq[k], sq[(k + 1) % 4]);
        let (sa, sb) = (side(a), side(b));
        if sa < 0.0 {
            out.push(a);
        }
        if (sa < 0.0) != (sb < 0.0) {
            let t = sa / (sa - sb);
            out.push([a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])]);
        }
    }
    if out.len() < 3 {
        0.0
    } else {
        shoelace(&out) / (dx * dx)
    }
}

/// Cut cells of an oblique planar interface (one edge of a large polygon)
/// get 1/eps_c = n_c^2 <1/eps> + (1 - n_c^2)/<eps> with the exact fill
/// fraction, per component, in 2D TE (Ex, Ey) and in 3D (Ex, Ey, Ez).
#[test]
fn cut_cells_get_the_anisotropic_average() {
    let (e_in, e_out) = (12.25, 2.1025);
    let angle: f64 = 0.47; // rad; the edge's normal is (sin, -cos) rotated
    let dir = [angle.cos(), angle.sin()];
    let n = [dir[1], -dir[0]]; // outward normal of a counter-clockwise polygon along this edge
    let p0 = [0.31, 1.27];
    let far = 50.0;
    // A triangle whose first edge is the interface; the other vertices far away.
    let a = [p0[0] - far * dir[0], p0[1] - far * dir[1]];
    let b = [p0[0] + far * dir[0], p0[1] + far * dir[1]];
    let c = [p0[0] - far * n[0], p0[1] - far * n[1]];
    let tri = vec![a, b, c];
    for three in [false, true] {
        let grid = if three {
            grid3(2.0, 10.0)
        } else {
            grid2(2.0, 10.0, Polarization::Te)
        };
        let s = Structure::new(Medium::lossy(e_out, 0.0)).with(
            Shape::prism(2, tri.clone(), [f64::NEG_INFINITY, f64::INFINITY]),
            Medium::lossy(e_in, 0.0),
        );
        let m = s.rasterize(&grid).unwrap();
        let dx = grid.dx;
        let mut checked = 0;
        for a in 0..if three { 3 } else { 2 } {
            let o = lumen_fdtd::Component::electric(a).yee_offset();
            for j in 0..grid.ny {
                for i in 0..grid.nx {
                    let (x, y) = ((i as f64 + o[0]) * dx, (j as f64 + o[1]) * dx);
                    let f = clipped_fraction(x - dx / 2.0, y - dx / 2.0, dx, n, p0);
                    let n_c = if a < 2 { n[a] } else { 0.0 };
                    let mean = f * e_in + (1.0 - f) * e_out;
                    let mean_inv = f / e_in + (1.0 - f) / e_out;
                    let want = 1.0 / (n_c * n_c * mean_inv + (1.0 - n_c * n_c) / mean);
                    for k in 0..grid.nz {
                        let got = m.eps[a][grid.index(i, j, k)] as f64;
                        assert!(
                            (got / want - 1.0).abs() < 2e-6,
                            "3D {three} E{a} cell ({i},{j},{k}) fill {f:.4}: eps {got} vs {want}"
                        );
                    }
                    if f > 0.0 && f < 1.0 {
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 40, "only {checked} cut cells");
    }
}

/// A tilted plane (normal with three non-zero components), as the surface of
/// a huge cylinder: the 3D fill fractions against brute-force sampling.
#[test]
fn tilted_plane_in_3d() {
    let grid = grid3(1.0, 10.0);
    let n = {
        let v = [0.3f64, -0.5, 0.81];
        let l = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
        v.map(|x| x / l)
    };
    let big = 1.0e4;
    let p0 = [0.47, 0.52, 0.49];
    // A cylinder of radius `big` whose surface passes through p0 with outward normal n.
    let axis = {
        // Any direction normal to n.
        let t = [n[1], -n[0], 0.0];
        let l = (t[0] * t[0] + t[1] * t[1]).sqrt();
        t.map(|x| x / l)
    };
    let centre = [p0[0] - big * n[0], p0[1] - big * n[1], p0[2] - big * n[2]];
    let (e_in, e_out) = (4.0, 1.0);
    let s = Structure::new(Medium::lossy(e_out, 0.0)).with(Shape::cylinder(centre, axis, big, f64::INFINITY), Medium::lossy(e_in, 0.0));
    let m = s.rasterize(&grid).unwrap();
    let dx = grid.dx;
    let samples = 48;
    let mut checked = 0;
    for a in 0..3 {
        let o = lumen_fdtd::Component::electric(a).yee_offset();
        for k in 0..grid.nz {
            for j in 0..grid.ny {
                for i in 0..grid.nx {
                    let p = [(i as f64 + o[0]) * dx, (j as f64 + o[1]) * dx, (k as f64 + o[2]) * dx];
                    let dist = (0..3).map(|b| n[b] * (p[b] - p0[b])).sum::<f64>();
                    if dist.abs() > dx {
                        continue;
                    }
                    let mut inside = 0;
                    for s3 in 0..samples * samples * samples {
                        let u = [s3 % samples, (s3 / samples) % samples, s3 / (samples * samples)]
                            .map(|q| (q as f64 + 0.5) / samples as f64 - 0.5);
                        let d = dist + dx * (n[0] * u[0] + n[1] * u[1] + n[2] * u[2]);
                        inside += (d < 0.0) as usize;
                    }
                    let f = inside as f64 / (samples as f64).powi(3);
                    let mean = f * e_in + (1.0 - f) * e_out;
                    let mean_inv = f / e_in + (1.0 - f) / e_out;
                    let want = 1.0 / (n[a] * n[a] * mean_inv + (1.0 - n[a] * n[a]) / mean);
                    let got = m.eps[a][grid.index(i, j, k)] as f64;
                    // Sampling error of f ~ 1/samples; eps moves by at most 3 df.
                    assert!(
                        (got - want).abs() < 3.0 * 3.0 / samples as f64,
                        "E{a} ({i},{j},{k}): {got} vs {want} (f = {f})"
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 100);
}

#[test]
fn medium_is_the_centre_sample_with_or_without_smoothing() {
    let grid = grid3(2.0, 15.0);
    let s = Structure::new(Medium::index(1.5))
        .with_block([0.0, 0.0, 0.0], [2.0, 2.0, 0.77], Medium::index(1.45))
        .with(Shape::cone([1.0, 1.0, 1.0], [0.0, 0.0, 1.0], 0.7, 0.4, 0.46), Medium::index(2.45))
        .with_array(
            vec![Object::new(Shape::sphere([1.0, 1.0, 1.5], 0.18), Medium::index(1.6))],
            &Lattice::hexagonal(0.4, 1),
        );
    let smooth = s.rasterize(&grid).unwrap();
    let stair = s.clone().with_smoothing(false).rasterize(&grid).unwrap();
    let media = s.media();
    for a in 0..3 {
        assert_eq!(smooth.medium[a], stair.medium[a], "E{a}");
        for (e, &id) in stair.eps[a].iter().zip(&stair.medium[a]) {
            assert_eq!(*e, media[id as usize].eps as f32);
        }
        let changed = smooth.eps[a].iter().zip(&stair.eps[a]).filter(|(x, y)| x != y).count();
        assert!(changed > 500, "E{a}: smoothing changed only {changed} samples");
    }
}

/// 300 cylinders (a hexagonal bundle: 150 fibers of core and cladding, the
/// claddings less than a cell apart, so many cells hold two interfaces) on a
/// 3D grid of 3.4 M cells. Throughput in cells (three E components each)
/// per second. Measured on the 2-core machine, busy with other builds:
/// 9-15 M cells/s staircased, 1.5-2 M cells/s smoothed (this geometry is a
/// worst case for smoothing: examples/raster_throughput.rs, with fibers 2
/// cells apart, runs at ~10 M cells/s smoothed). The floors catch a
/// pathological slowdown, such as testing every shape at every cell
/// (300 x 3.4 M x 3 distance evaluations, ~0.1 M cells/s).
#[test]
fn rasterisation_throughput_300_cylinders() {
    let res = 20.0;
    let n = 150.0;
    let l = n / res;
    let grid = Grid::new([l, l, l], res, 0.5, Dimensions::Three).unwrap();
    let c = [l / 2.0; 3];
    // 7 rings = 169 fibers; keep the first 150 copies.
    let lattice = Lattice::hexagonal(l / 16.0, 7);
    let offsets: Vec<[f64; 3]> = lattice.offsets().into_iter().take(150).collect();
    let fiber = |r: f64, n: f64| Object {
        shape: Shape::cylinder(c, [0.0, 0.0, 1.0], r, f64::INFINITY),
        medium: Medium::index(n),
        copies: offsets.clone(),
    };
    let structure = Structure::new(Medium::VACUUM)
        .with_object(fiber(0.45 * l / 16.0, 1.444))
        .with_object(fiber(0.2 * l / 16.0, 1.46));
    for smoothing in [false, true] {
        let s = structure.clone().with_smoothing(smoothing);
        let t = Instant::now();
        let m = s.rasterize(&grid).unwrap();
        let dt = t.elapsed().as_secs_f64();
        let rate = grid.cells() as f64 / dt;
        eprintln!(
            "300 cylinders, {:.1} M cells, smoothing {smoothing}: {dt:.3} s = {:.1} M cells/s",
            grid.cells() as f64 / 1e6,
            rate / 1e6
        );
        assert_eq!(m.eps[0].len(), grid.cells());
        let floor = if smoothing { 0.5e6 } else { 2e6 };
        assert!(rate > floor, "rasterisation at {:.2} M cells/s", rate / 1e6);
    }
}

/// Library validation names the object and the bad value.
#[test]
fn invalid_shapes_are_refused() {
    let grid = grid3(1.0, 10.0);
    let bad = [
        (Shape::sphere([0.5; 3], -0.1), "objects[0].radii_um"),
        (Shape::cylinder([0.5; 3], [0.0; 3], 0.1, 1.0), "objects[0].axis"),
        (Shape::cone([0.5; 3], [0.0, 0.0, 1.0], 0.0, 0.0, 1.0), "objects[0].radius_um"),
        (Shape::prism(2, vec![[0.0, 0.0], [1.0, 0.0]], [0.0, 1.0]), "at least 3 vertices"),
        (
            Shape::prism(2, vec![[0.0, 0.0], [1.0, 1.0], [1.0, 0.0], [0.0, 0.5]], [0.0, 1.0]),
            "cross",
        ),
        (Shape::cuboid([0.0; 3], [1.0, -1.0, 1.0]), "min < max"),
    ];
    for (shape, needle) in bad {
        let e = Structure::default().with(shape, Medium::index(2.0)).rasterize(&grid).unwrap_err();
        assert!(e.to_string().contains(needle), "{e}");
    }
}

// ---- scene files ----

const SCENE_3D: &str = r#"[simulation]
size_um = [6.0, 6.0, 4.0]
resolution = 10

[materials.glass]
index = 1.45

[materials.gan]
index = 2.45

[materials.core]
index = 1.46

[[geometry]]
type = "stack"
axis = "z"
start_um = -3.0
layers = [ { material = "glass", thickness_um = 2.0 }, { material = "gan", thickness_um = 0.1 } ]

[[geometry]]
type = "cone"
center_um = [0.0, 0.0, -0.5]
axis = "z"
height_um = 1.0
radius_um = 1.0
sidewall_angle_deg = 60
material = "gan"

[[geometry]]
type = "sphere"
center_um = [0.0, 0.0, 0.5]
radius_um = 0.5
material = "glass"

[[geometry]]
type = "ellipsoid"
center_um = [2.0, 2.0, 0.5]
radii_um = [0.5, 0.3, 0.2]
material = "glass"

[[geometry]]
type = "polygon"
axis = "y"
vertices_um = [[-2.5, 0.0], [-1.5, 0.0], [-2.0, 1.0]]
height_um = 2.0
material = "gan"

[[geometry]]
type = "cylinder"
center_um = [2.0, -2.0, 0.0]
axis = [1.0, 1.0, 0.0]
radius_um = 0.2
height_um = 1.5
material = "glass"
array = { vectors_um = [[0.0, 0.0, 0.6]], counts = [3] }

[[geometry]]
type = "group"
array = { lattice = "hex", pitch_um = 0.5, rings = 1 }

[[geometry.shapes]]
type = "cylinder"
center_um = [-2.0, 2.0, 0.0]
radius_um = 0.22
material = "glass"

[[geometry.shapes]]
type = "cylinder"
center_um = [-2.0, 2.0, 0.0]
radius_um = 0.1
material = "core"

[run]
until_fs = 1
"#;

#[test]
fn scene_shapes_convert() {
    let s = scene::parse(SCENE_3D, "scene.toml", &[], false).unwrap_or_else(|e| panic!("{e}"));
    let objs = &s.simulation.structure.objects;
    // Stack (2 layers), cone, sphere, ellipsoid, polygon, cylinder row, group (2 members).
    assert_eq!(objs.len(), 9);
    assert!(s.simulation.structure.subpixel_smoothing);
    let off = s.origin_offset_um;
    assert_eq!(off, [3.0, 3.0, 2.0]);
    match &objs[1].shape {
        Shape::Box { min_um, max_um } => assert_eq!((min_um[2], max_um[2]), (1.0, 1.1)),
        other => panic!("{other:?}"),
    }
    match &objs[2].shape {
        Shape::Cone {
            center_um,
            radius_um,
            top_radius_um,
            ..
        } => {
            assert_eq!(*center_um, [3.0, 3.0, 1.5]);
            assert!((top_radius_um - (1.0 - 1.0 / 60f64.to_radians().tan())).abs() < 1e-12 && *radius_um == 1.0);
        }
        other => panic!("{other:?}"),
    }
    match &objs[5].shape {
        Shape::Prism(p) => {
            assert_eq!(p.axis(), 1);
            assert_eq!(p.vertices_um()[0], [0.5, 2.0]); // (x, z) + offsets
            assert_eq!(p.range_um(), [2.0, 4.0]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(objs[6].copies.len(), 3);
    assert_eq!(objs[6].copies[0], [0.0, 0.0, -0.6]);
    assert_eq!((objs[7].copies.len(), objs[8].copies.len()), (7, 7));
    assert_eq!(objs[8].medium.eps, 1.46 * 1.46);
    let off = scene::parse(SCENE_3D, "scene.toml", &["simulation.subpixel_smoothing=false".to_string()], false).unwrap();
    assert!(!off.simulation.structure.subpixel_smoothing);
    let empty = scene::parse(SCENE_3D, "scene.toml", &[], true).unwrap();
    assert!(empty.simulation.structure.objects.is_empty());
}

fn scene_error(text: &str) -> String {
    match scene::parse(text, "scene.toml", &[], false) {
        Ok(_) => panic!("expected an error for\n{text}"),
        Err(e) => e.to_string(),
    }
}

/// SCENE_3D with `old` replaced by `new` (which must occur once).
fn edit(old: &str, new: &str) -> String {
    assert_eq!(SCENE_3D.matches(old).count(), 1, "{old}");
    SCENE_3D.replace(old, new)
}

#[test]
fn scene_geometry_errors_name_line_and_key() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "radius_um = 0.5\nmaterial",
            "radius_um = -0.5\nmaterial",
            "scene.toml:32: geometry.2.radius_um: expected a positive number (um), found -0.5",
        ),
        (
            "sidewall_angle_deg = 60",
            "sidewall_angle_deg = 30",
            "scene.toml:26: geometry.1.sidewall_angle_deg: expected an angle of at least 45.00 deg for height_um = 1 and radius_um = 1 (the top radius would be negative), found 30",
        ),
        (
            "sidewall_angle_deg = 60",
            "sidewall_angle_deg = 60\ntop_radius_um = 0.5",
            "scene.toml:26: geometry.1.sidewall_angle_deg: expected either `top_radius_um` or `sidewall_angle_deg`, not both, found both",
        ),
        (
            "vertices_um = [[-2.5, 0.0], [-1.5, 0.0], [-2.0, 1.0]]",
            "vertices_um = [[-2.5, 0.0], [-1.5, 0.0]]",
            "scene.toml:44: geometry.4.vertices_um: expected a simple polygon (at least 3 distinct vertices, non-zero area, no crossing edges), found a polygon needs at least 3 vertices, found 2",
        ),
        (
            "vertices_um = [[-2.5, 0.0], [-1.5, 0.0], [-2.0, 1.0]]",
            "vertices_um = [[-2.5, 0.0], [-1.5, 1.0], [-1.5, 0.0], [-2.5, 0.5]]",
            "scene.toml:44: geometry.4.vertices_um: expected a simple polygon (at least 3 distinct vertices, non-zero area, no crossing edges), found edges 0 and 2 cross (a self-intersecting polygon)",
        ),
        (
            "vertices_um = [[-2.5, 0.0], [-1.5, 0.0], [-2.0, 1.0]]",
            "vertices_um = [[-2.5, 0.0], [-1.5], [-2.0, 1.0]]",
            "scene.toml:44: geometry.4.vertices_um.1: expected a vertex [x, z] of 2 finite numbers (um), found [-1.5]",
        ),
        (
            "radii_um = [0.5, 0.3, 0.2]",
            "radii_um = [0.5, 0.3]",
            "scene.toml:38: geometry.3.radii_um: expected 3 positive semi-axes [a, b, c] along x, y(, z) (um), found [0.5, 0.3]",
        ),
        (
            "axis = [1.0, 1.0, 0.0]",
            "axis = [0.0, 0.0, 0.0]",
            "scene.toml:51: geometry.5.axis: expected \"x\", \"y\", \"z\" or a non-zero direction [x, y, z], found [0, 0, 0]",
        ),
        (
            "counts = [3] }",
            "counts = [30] }",
            "scene.toml:55: geometry.5.array: expected an array whose copies all overlap the domain x in [-3, 3], y in [-3, 3], z in [-2, 2] um, found copy 0 of 30 (offset [0, 0, -8.7] um) entirely outside it",
        ),
        (
            "pitch_um = 0.5, rings = 1 }",
            "pitch_um = 0.5, rings = 1, counts = [2] }",
            "scene.toml:59: geometry.6.array.counts: expected no `counts` in a lattice = \"hex\" array, found a value",
        ),
        (
            "radius_um = 0.1\nmaterial = \"core\"",
            "radius_um = 0.1\nmaterial = \"cor\"",
            "scene.toml:71: geometry.6.shapes.1.material: expected one of the materials air, core, gan, glass, vacuum, found `cor`",
        ),
        (
            "type = \"sphere\"",
            "type = \"sphere\"\nheight_um = 2",
            "scene.toml:31: geometry.2.height_um: expected one of `type`, `center_um`, `radius_um`, `material`, `array`, found unknown key `height_um`",
        ),
        (
            "{ material = \"gan\", thickness_um = 0.1 }",
            "{ material = \"gan\", thickness_um = -0.1 }",
            "scene.toml:18: geometry.0.layers.1.thickness_um: expected a positive thickness (um; inf for the last layer runs to the end), found -0.1",
        ),
        (
            "center_um = [0.0, 0.0, 0.5]",
            "center_um = [0.0, 0.0, 9.5]",
            "scene.toml:31: geometry.2.center_um: expected a sphere that overlaps the domain x in [-3, 3], y in [-3, 3], z in [-2, 2] um, found a sphere entirely outside it (center_um = [0, 0, 9.5])",
        ),
        (
            "type = \"cylinder\"\ncenter_um = [-2.0, 2.0, 0.0]\nradius_um = 0.22\nmaterial = \"glass\"",
            "type = \"stack\"\nstart_um = 0.0\nlayers = []",
            "scene.toml:62: geometry.6.shapes.0.type: expected a shape (box, cylinder, sphere, ellipsoid, cone, polygon): groups hold no stacks, groups or layouts, found `stack`",
        ),
        (
            "type = \"cone\"",
            "type = \"pyramid\"",
            "scene.toml:21: geometry.1.type: expected one of `box`, `cylinder`, `sphere`, `ellipsoid`, `cone`, `frustum`, `polygon`, `prism`, `gds`, `stack`, `group`, found unknown value `pyramid`",
        ),
    ];
    for (old, new, want) in cases {
        let e = scene_error(&edit(old, new));
        assert_eq!(&e, want);
    }
}

#[test]
fn every_shape_in_2d() {
    let text = r#"[simulation]
size_um = [4.0, 3.0]
resolution = 20
polarization = "te"
subpixel_smoothing = false

[materials.gan]
index = 2.45

[[geometry]]
type = "stack"
axis = "y"
start_um = -2.0
layers = [ { material = "gan", thickness_um = 1.0 } ]

[[geometry]]
type = "cone"
center_um = [0.0, -0.5]
axis = "y"
height_um = 1.0
radius_um = 1.0
top_radius_um = 0.5
material = "gan"

[[geometry]]
type = "polygon"
vertices_um = [[1.0, 0.0], [1.8, 0.0], [1.4, 1.0]]
material = "gan"
array = { vectors_um = [[0.0, 0.5]], counts = [2] }

[run]
until_fs = 1
"#;
    let s = scene::parse(text, "scene.toml", &[], false).unwrap_or_else(|e| panic!("{e}"));
    assert!(!s.simulation.structure.subpixel_smoothing);
    assert_eq!(s.simulation.structure.objects.len(), 3);
    let e = scene_error(&text.replace("type = \"polygon\"", "type = \"polygon\"\nheight_um = 1.0"));
    assert_eq!(
        e,
        "scene.toml:27: geometry.2.height_um: expected no `height_um` in 2D (a polygon is its outline in the x-y plane), found a value"
    );
    let e = scene_error(&text.replace("axis = \"y\"\nstart_um", "axis = \"z\"\nstart_um"));
    assert_eq!(
        e,
        "scene.toml:12: geometry.0.axis: expected \"x\" or \"y\" in 2D (layers along z have no cross-section at z = 0), found z"
    );
}

/// A Drude box in a Lorentz glass, its faces inside cells: the samples the
/// faces cut name mixtures of both media (src/geometry/mod.rs, "Dispersive
/// media"). E along a face gets the exact share of each medium (to the
/// 1/1024 quantum), on an edge the product of the two faces' shares; E across
/// a face keeps its centre's medium; the dispersion plan gives a mixed
/// sample both media's poles, each scaled by its weight.
#[test]
fn dispersive_faces_make_mixtures() {
    use lumen_fdtd::dispersion::DispersionPlan;
    use lumen_fdtd::material::{Mixture, Pole};
    let res = 20.0;
    let dx = 1.0 / res;
    let grid = grid3(1.0, res);
    let glass = Medium::lossy(2.0, 0.0).with_pole(Pole::Lorentz {
        frequency: 1.0,
        gamma: 0.1,
        sigma: 0.5,
    });
    let metal = Medium::index(1.0).with_pole(Pole::Drude {
        frequency: 2.0,
        gamma: 0.1,
        sigma: 1.0,
    });
    // Faces at 0.3 of a cell past a node: y from 4.3 dx, z up to 12.3 dx.
    let s = Structure::new(glass.clone()).with_block([0.2, 4.3 * dx, 0.2], [0.8, 0.6, 12.3 * dx], metal.clone());
    let m = s.rasterize(&grid).unwrap();
    let named = s.media().len() as u32;
    let metal_weight = |a: usize, ijk: [usize; 3]| -> f64 {
        let id = m.medium[a][grid.index(ijk[0], ijk[1], ijk[2])];
        match id {
            0 => 0.0,
            1 => 1.0,
            _ => {
                let mix: &Mixture = &m.mixtures[(id - named) as usize];
                let q = mix.parts.iter().find(|p| p.0 == 1).map_or(0, |p| p.1);
                q as f64 / Mixture::SCALE as f64
            }
        }
    };
    let quantum = 1.0 / Mixture::SCALE as f64;
    // Ex (samples at y = j dx, z = k dx) on the top face: the cell [11.5, 12.5] dx
    // holds metal up to 12.3: 0.8. On the y = 4.3 dx face: cell [3.5, 4.5], 0.2.
    assert!(
        (metal_weight(0, [10, 10, 12]) - 0.8).abs() <= quantum,
        "{}",
        metal_weight(0, [10, 10, 12])
    );
    assert!(
        (metal_weight(0, [10, 4, 8]) - 0.2).abs() <= quantum,
        "{}",
        metal_weight(0, [10, 4, 8])
    );
    // On the edge, both faces along x: 0.8 x 0.2.
    assert!(
        (metal_weight(0, [10, 4, 12]) - 0.16).abs() <= quantum,
        "{}",
        metal_weight(0, [10, 4, 12])
    );
    // Ez (z = (k + 1/2) dx) across the top face: the staircase, by its centre.
    assert_eq!(metal_weight(2, [10, 10, 11]), 1.0);
    assert_eq!(metal_weight(2, [10, 10, 12]), 0.0, "centre 12.5 dx is above the face");
    // eps_inf of a mixed sample is the weighted mean.
    let idx = grid.index(10, 10, 12);
    assert!((m.eps[0][idx] as f64 - (0.8 * 1.0 + 0.2 * 2.0)).abs() < 2.0 * quantum);
    // The plan: the mixed Ex sample carries the glass's pole and the metal's.
    let plan = DispersionPlan::new(&grid, &s, &m).unwrap();
    let sample = plan
        .samples
        .iter()
        .find(|p| p.comp == 0 && p.index as usize == idx)
        .expect("a dispersive sample");
    assert_eq!(sample.npoles, 2);
    let whole = DispersionPlan::new(
        &grid,
        &Structure::new(metal.clone()),
        &Structure::new(metal).rasterize(&grid).unwrap(),
    )
    .unwrap();
    let drive = |c: &[f32; 4]| c[2] as f64;
    let mixed = &plan.coeffs[sample.pole0 as usize..(sample.pole0 + 2) as usize];
    // The metal's drive term (the last pole, media in order) is 0.8 of the pure metal's.
    assert!((drive(&mixed[1]) / drive(&whole.coeffs[0]) - 0.8).abs() < 2.0 * quantum);
}
