//! The native engine allocates nothing in its step loop and its resident
//! memory stays flat over a long run (the speed issue asks: within 50 MB
//! after warm-up over 100 000 steps).
//!
//! A counting global allocator sees every heap allocation of this test
//! binary; the stepping happens on rayon's threads and on this one.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use lumen_fdtd::cpu::CpuStepper;
use lumen_fdtd::{
    Boundaries, Component, Dimensions, Grid, Medium, Monitor, MonitorKind, Polarization, Probe, Region, Simulation, Source, Stepper,
    Structure, TimeProfile,
};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// A 2D TM run with every per-step path busy: CPML on all sides, a
/// dispersive block, a dipole, a probe, flux and source-power DFTs.
fn stepper() -> CpuStepper {
    let dims = Dimensions::Two(Polarization::Tm);
    let grid = Grid::new([4.0, 4.0, 0.0], 16.0, 0.5, dims).unwrap();
    let drude = Medium::index(1.2).with_pole(lumen_fdtd::material::Pole::Drude {
        frequency: 0.8,
        gamma: 0.1,
        sigma: 1.0,
    });
    let pulse = TimeProfile::GaussianPulse {
        wavelength_um: 1.0,
        fwhm_frequency: 0.5,
    };
    let wl = vec![0.9, 1.0, 1.1];
    let p = Simulation::new(
        grid,
        Boundaries::pml(8),
        Structure::new(Medium::VACUUM).with_block([2.5, 1.0, -1.0], [3.0, 3.0, 1.0], drude),
    )
    .with_source(Source::point_dipole([1.5, 2.0, 0.0], [0.0, 0.0, 1.0], pulse))
    .with_probe(Probe::new(Component::Ez, [2.0, 2.2, 0.0]))
    .with_monitor(Monitor::new(
        "box",
        MonitorKind::Flux {
            region: Region {
                min_um: [1.0, 1.0, 0.0],
                max_um: [3.2, 3.0, 0.0],
            },
            wavelengths_um: wl.clone(),
            reverse: false,
        },
    ))
    .with_monitor(Monitor::new(
        "power",
        MonitorKind::SourcePower {
            source: 0,
            wavelengths_um: wl,
        },
    ))
    .prepare()
    .unwrap();
    assert!(!p.dispersion.samples.is_empty() && p.dft.accumulators > 0);
    CpuStepper::new(p)
}

#[test]
fn the_step_loop_allocates_nothing_and_memory_stays_flat() {
    let mut s = stepper();
    s.run(1000).unwrap();
    // Probe samples are kept for the whole run: give their vector room so
    // that its amortised growth does not count as an allocation here.
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    s.run(2000).unwrap();
    let during = ALLOCATIONS.load(Ordering::Relaxed) - before;
    // The probe series (one f32 per step) doubles its capacity a couple of
    // times; anything per step would be thousands.
    assert!(during <= 4, "{during} allocations in 2000 steps: the step loop allocates");

    if cfg!(target_os = "linux") {
        let warm = common::rss_bytes().expect("VmRSS");
        let mut peak = warm;
        for _ in 0..97 {
            s.run(1000).unwrap();
            peak = peak.max(common::rss_bytes().expect("VmRSS"));
        }
        assert_eq!(s.steps_done(), 100_000);
        let grown = peak.saturating_sub(warm);
        eprintln!("RSS after warm-up {} MB, peak {} MB over 100 000 steps", warm >> 20, peak >> 20);
        assert!(grown <= 50 << 20, "resident memory grew by {} MB over 100 000 steps", grown >> 20);
    }
}
