//! Rasterisation throughput: a hexagonal bundle of fibers (cladding and core
//! cylinders along z) on a 3D grid, with and without subpixel smoothing.
//!
//! ```text
//! cargo run --release --example raster_throughput -- [MCELLS] [RINGS]
//! ```
//!
//! MCELLS (default 100) is the grid size in millions of cells (a cube);
//! RINGS (default 9: 271 fibers, 542 cylinders) sets the bundle. Prints the
//! time and the throughput in cells (all three E components) per second.

use std::time::Instant;

use lumen_fdtd::{Dimensions, Grid, Lattice, Medium, Object, Shape, Structure};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mcells: f64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(100.0);
    let rings: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(9);
    let res = 20.0;
    let n = (mcells * 1e6).cbrt().round();
    let l = n / res;
    let grid = Grid::new([l, l, l], res, 0.5, Dimensions::Three).expect("grid");
    // Fill the cross-section: 2 rings + 1 pitches across the bundle's half width.
    let pitch = l / (2.0 * rings as f64 + 2.0);
    let c = [l / 2.0, l / 2.0, l / 2.0];
    let lattice = Lattice::hexagonal(pitch, rings);
    let structure = Structure::new(Medium::index(1.0)).with_array(
        vec![
            Object::new(
                Shape::cylinder(c, [0.0, 0.0, 1.0], 0.45 * pitch, f64::INFINITY),
                Medium::index(1.444),
            ),
            Object::new(Shape::cylinder(c, [0.0, 0.0, 1.0], 0.2 * pitch, f64::INFINITY), Medium::index(1.46)),
        ],
        &lattice,
    );
    let copies: usize = structure.objects.iter().map(|o| o.copies.len()).sum();
    println!(
        "grid {} x {} x {} = {:.1} M cells, {copies} cylinders ({} fibers, pitch {pitch:.2} um = {:.1} cells), {} threads",
        grid.nx,
        grid.ny,
        grid.nz,
        grid.cells() as f64 / 1e6,
        lattice.len(),
        pitch * res,
        rayon::current_num_threads()
    );
    for smoothing in [false, true] {
        let s = structure.clone().with_smoothing(smoothing);
        let t = Instant::now();
        let m = s.rasterize(&grid).expect("rasterise");
        let dt = t.elapsed().as_secs_f64();
        let pure = [1.0, 1.444f64 * 1.444, 1.46f64 * 1.46].map(|e| e as f32);
        let cut = m.eps[0].iter().filter(|e| !pure.contains(e)).count();
        println!(
            "smoothing {:5}: {dt:6.2} s, {:7.1} M cells/s ({cut} smoothed Ex samples)",
            smoothing,
            grid.cells() as f64 / dt / 1e6
        );
    }
}
