use lumen_fdtd::monitor::dft::{MonitorData, MonitorResult};
use lumen_fdtd::output::{self, RunRecord};
use lumen_fdtd::{Component, Dimensions, Grid};
use ndarray::Array4;
use num_complex::Complex64;
#[test]
fn big() {
    let grid = Grid::new([2.0, 2.0, 1.0], 20.0, 0.5, Dimensions::Three).unwrap();
    let n = (10, 64, 128, 128);
    let ez = Array4::from_shape_fn(n, |(f, k, j, i)| Complex64::from_polar(1.0 / (1.0 + (i + j + k) as f64), 0.01 * (f * i + j * k) as f64));
    let pos = [vec![0.0; 128], vec![0.0; 128], vec![0.0; 64]];
    let frames = Array4::from_shape_fn((50, 1, 256, 256), |(t, _, j, i)| ((t + i) as f32 * 0.01).sin() * ((j as f32) * 0.02).cos());
    let monitors = vec![
        MonitorResult { name: "f".into(), data: MonitorData::DftFields { wavelengths_um: vec![0.5; 10], components: vec![(Component::Ez, pos, ez)] } },
        MonitorResult { name: "s".into(), data: MonitorData::Snapshot { component: Component::Ez, positions: [vec![0.0; 256], vec![0.0; 256], vec![0.0]], times: vec![0.0; 50], frames } },
    ];
    let rec = RunRecord { program_version: "x", scene_text: "", scene_path: "", grid: &grid, origin_offset_um: [0.0; 3], steps: 1, wall_time_s: 0.0, adapter: "", complete: true, stop_reason: "", probes: &[], monitors: &monitors, normalized: &[] };
    let p = std::path::Path::new("/tmp/h5build/big.h5");
    let t = std::time::Instant::now();
    output::write(p, &rec).unwrap();
    eprintln!("write {:.2} s, {} MB", t.elapsed().as_secs_f64(), std::fs::metadata(p).unwrap().len() >> 20);
}
