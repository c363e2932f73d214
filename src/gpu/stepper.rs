//! The GPU stepper: field buffers live on the device for the whole run; all
//! buffers, pipelines and bind groups are made once in `GpuStepper::new`; the
//! step loop only records dispatches, many steps per submission, and reads
//! back nothing but the probe samples of that submission.
//!
//! One step, in order (the CPU twin in src/cpu/mod.rs does the same):
//! polarize (dispersive media), update_h with its CPML terms, inject_h
//! (magnetic currents, one dispatch per layer), update_e with its CPML terms,
//! correct (dispersive media), inject (one dispatch per source layer),
//! record_probes, DFT accumulate (and flush every FLUSH_EVERY steps).
//! The CPML is folded into the Yee kernels (shaders/yee.wgsl): per cell the
//! same operations in the same order as the twin's interior pass followed by
//! one CPML pass per axis, without re-reading the fields.

use std::sync::{Arc, Mutex};

use wgpu::util::DeviceExt;

use num_complex::Complex64;

use crate::error::{Error, Result};
use crate::grid::{Component, Grid};
use crate::monitor::dft::{phase_table, FLUSH_EVERY};
use crate::sim::{source_waveforms, Fields, Prepared, Stepper};

use super::context::GpuContext;

/// Most steps recorded per submission (and probe samples per readback).
pub const MAX_STEPS_PER_SUBMISSION: usize = 256;

/// Cell updates per submission on a software adapter. Mesa's GL driver runs a
/// submission while holding the context lock, and wgpu gives up on a lock
/// held for more than 6 s, so a submission must stay well under that
/// (~0.5 s at llvmpipe's ~20 M cell-updates/s). It also keeps progress
/// reports and Ctrl-C responsive.
const SOFTWARE_CELL_UPDATES_PER_SUBMISSION: usize = 10_000_000;

/// Device memory a run needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryEstimate {
    pub total_bytes: u64,
    /// The largest single buffer (it must fit one storage binding).
    pub largest_buffer_bytes: u64,
}

/// The device memory `GpuStepper::new` will allocate for `p` (within a few KiB).
pub fn memory_estimate(p: &Prepared) -> MemoryEstimate {
    let n = p.grid.cells() as u64;
    let active = Component::ALL.iter().filter(|c| c.is_active(p.grid.dims)).count() as u64;
    let e_active = (0..3).filter(|&a| Component::electric(a).is_active(p.grid.dims)).count() as u64;
    let fields = active * n * 4;
    let coeffs = e_active * n * 4 * if p.ca.is_some() { 2 } else { 1 };
    let psi: u64 = (0..3)
        .map(|a| 16 * crate::cpu::slab_cells(&p.grid, a, p.pml[a].layers()) as u64)
        .sum();
    let dft = p.dft.accumulators as u64 * 16 + p.dft.samples.len() as u64 * 24;
    let sources: u64 = p.source_layers.iter().chain(&p.magnetic_layers).map(|l| l.len() as u64 * 16).sum();
    let snapshots: u64 = p.dft.snapshot_plans().map(|(_, c)| c.len() as u64 * 16).sum();
    let dispersion = p.dispersion.states as u64 * 8 + p.dispersion.samples.len() as u64 * 32;
    let largest = (n * 4).max(p.dft.accumulators as u64 * 8).max(psi);
    MemoryEstimate {
        total_bytes: fields + coeffs + psi + dft + sources + snapshots + dispersion,
        largest_buffer_bytes: largest,
    }
}

/// Steps per submission for a grid of `cells` on this adapter.
pub fn steps_per_submission(ctx: &GpuContext, cells: usize) -> usize {
    if ctx.adapter.device_type == wgpu::DeviceType::Cpu {
        (SOFTWARE_CELL_UPDATES_PER_SUBMISSION / cells.max(1)).clamp(1, MAX_STEPS_PER_SUBMISSION)
    } else {
        MAX_STEPS_PER_SUBMISSION
    }
}

/// Keep in sync with `Params` in shaders/yee.wgsl.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub struct YeeParams {
    /// nx, ny, nz, unused.
    pub n: [u32; 4],
    /// ch = dt / dx, unused...
    pub coef: [f32; 4],
    /// Per axis: lo layers, first cell of the hi slab, layers of both slabs,
    /// offset of the axis' profile in the profile buffer (f32 elements).
    pub pml: [[u32; 4]; 3],
    /// psi block length (slab box cells) per axis, unused.
    pub pml_total: [u32; 4],
    /// First cell of the box this dispatch covers, unused.
    pub origin: [u32; 4],
    /// Extents of that box, unused.
    pub ext: [u32; 4],
}

/// Keep in sync with `Params` in shaders/sources.wgsl and shaders/probes.wgsl.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub struct CountParams {
    pub count: u32,
    pub profiles: u32,
    pub _pad: [u32; 2],
}

pub const YEE_WGSL: &str = include_str!("../../shaders/yee.wgsl");
pub const SOURCES_WGSL: &str = include_str!("../../shaders/sources.wgsl");
pub const PROBES_WGSL: &str = include_str!("../../shaders/probes.wgsl");
pub const DFT_WGSL: &str = include_str!("../../shaders/dft.wgsl");
pub const DISPERSION_WGSL: &str = include_str!("../../shaders/dispersion.wgsl");

/// Keep in sync with `Params` in shaders/dispersion.wgsl.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub struct DispersionParams {
    pub count: u32,
    pub _pad: [u32; 2],
    pub dx_over_dt: f32,
}

/// Workgroup shape of update_h / update_e (keep in sync with shaders/yee.wgsl).
const YEE_WG: [u32; 3] = [64, 4, 1];

struct Dispatch {
    bind: wgpu::BindGroup,
    groups: [u32; 3],
}

/// One box of the grid for update_h / update_e: its entry in the Yee params
/// buffer (dynamic offset), its workgroups, and whether it lies outside the
/// y and z CPML slabs (then the kernels built without those terms run it).
struct YeeBox {
    offset: u32,
    groups: [u32; 3],
    bulk: bool,
}

/// Cells along x from which a CPU adapter runs the x slabs as boxes of their own.
const SPLIT_X_MIN_NX: usize = 512;

/// Whether a split dispatch gives the x slabs boxes of their own.
fn splits_x(shape: [usize; 3], pml_x: bool) -> bool {
    pml_x && shape[0] >= SPLIT_X_MIN_NX
}

/// (origin, extents, bulk) of one box.
type BoxSpec = ([usize; 3], [usize; 3], bool);

/// The boxes the Yee kernels are dispatched over.
/// On a GPU one box, the grid: a warp whose cells all lie outside the slabs
/// skips the CPML branch. A CPU adapter (llvmpipe, lavapipe) runs both sides
/// of a branch under a lane mask, so there the cells outside every slab are
/// one box run by kernels built without CPML code, and the slabs are up to
/// six more boxes that do not overlap: the y slabs (whole x and z), the z
/// slabs within the y interior, the x slabs within the y and z interior.
/// An x slab box is a few cells wide, so most lanes of its 64-wide workgroup
/// rows idle; that pays only for long rows (measured on llvmpipe: 2D 2048^2
/// 1.25x faster with x split, 3D 128^3 1.45x slower): below
/// [`SPLIT_X_MIN_NX`] cells along x the x slabs stay in the bulk box, whose
/// kernels then keep the x CPML code.
fn yee_boxes(shape: [usize; 3], pml: &[[u32; 4]; 3], split: bool) -> Vec<BoxSpec> {
    let split_x = splits_x(shape, pml[0][2] > 0);
    let lo = |a: usize| if a == 0 && !split_x { 0 } else { pml[a][0] as usize };
    // First cell of the hi slab (n when the axis has none, or x is not split).
    let hi = |a: usize| {
        if pml[a][2] == 0 || (a == 0 && !split_x) {
            shape[a]
        } else {
            pml[a][1] as usize
        }
    };
    if !split || (!split_x && pml[1][2] == 0 && pml[2][2] == 0) {
        return vec![([0; 3], shape, false)];
    }
    let mut boxes = Vec::new();
    let mut push = |origin: [usize; 3], end: [usize; 3], bulk: bool| {
        if (0..3).all(|a| end[a] > origin[a]) {
            boxes.push((origin, [end[0] - origin[0], end[1] - origin[1], end[2] - origin[2]], bulk));
        }
    };
    let n = shape;
    push([lo(0), lo(1), lo(2)], [hi(0), hi(1), hi(2)], true);
    push([0, 0, 0], [n[0], lo(1), n[2]], false);
    push([0, hi(1), 0], [n[0], n[1], n[2]], false);
    push([0, lo(1), 0], [n[0], hi(1), lo(2)], false);
    push([0, lo(1), hi(2)], [n[0], hi(1), n[2]], false);
    push([0, lo(1), lo(2)], [lo(0), hi(1), hi(2)], false);
    push([hi(0), lo(1), lo(2)], [n[0], hi(1), hi(2)], false);
    boxes
}

struct Probes {
    bind: wgpu::BindGroup,
    record: wgpu::Buffer,
    readback: wgpu::Buffer,
    count: usize,
    groups: u32,
}

/// Running DFT resources.
struct Dft {
    accumulate: Dispatch,
    flush: Dispatch,
    phase: wgpu::Buffer,
    partial: wgpu::Buffer,
    total: wgpu::Buffer,
    accumulators: usize,
}

/// One snapshot monitor: gathered by the probe kernel into `frame`.
struct Snapshot {
    bind: wgpu::BindGroup,
    frame: wgpu::Buffer,
    readback: wgpu::Buffer,
    every: usize,
    count: usize,
}

/// Bind group layouts and compute pipelines, compiled once per context and
/// kind of run (2D/3D, polarisation, conductivity) and shared by every
/// stepper on that context: a sweep's variants reuse them.
pub struct Kernels {
    yee_bgl: wgpu::BindGroupLayout,
    src_bgl: wgpu::BindGroupLayout,
    probe_bgl: wgpu::BindGroupLayout,
    dft_bgl: wgpu::BindGroupLayout,
    disp_bgl: wgpu::BindGroupLayout,
    step_bgl: wgpu::BindGroupLayout,
    update_h: wgpu::ComputePipeline,
    update_e: wgpu::ComputePipeline,
    /// The same kernels built without the y and z CPML terms, and without
    /// the x ones when the x slabs have boxes of their own (for the bulk box).
    update_h_bulk: wgpu::ComputePipeline,
    update_e_bulk: wgpu::ComputePipeline,
    inject: wgpu::ComputePipeline,
    inject_h: wgpu::ComputePipeline,
    mirror_h: wgpu::ComputePipeline,
    record: wgpu::ComputePipeline,
    accumulate: wgpu::ComputePipeline,
    flush: wgpu::ComputePipeline,
    polarize: wgpu::ComputePipeline,
    correct: wgpu::ComputePipeline,
}

/// The kind of run a set of kernels is specialised for: the override
/// constants of yee.wgsl, [TWO_D, TM, TE, HAS_LOSS, PERIODIC_X, PERIODIC_Y,
/// PERIODIC_Z, PML_X, PML_Y, PML_Z], whether the bulk box of a split
/// dispatch leaves out the x slabs (then its kernels drop the x CPML code too)
/// and GRADED (a graded mesh: stretch factors in `prof`).
pub type KernelKey = [bool; 12];

const KERNEL_CONSTANTS: [&str; 10] = [
    "TWO_D",
    "TM",
    "TE",
    "HAS_LOSS",
    "PERIODIC_X",
    "PERIODIC_Y",
    "PERIODIC_Z",
    "PML_X",
    "PML_Y",
    "PML_Z",
];

impl Kernels {
    fn new(dev: &wgpu::Device, key: KernelKey) -> Kernels {
        let module = |label: &str, src: &str| {
            dev.create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(label),
                source: wgpu::ShaderSource::Wgsl(src.into()),
            })
        };
        // The Yee kernels index only inside their arrays: cell indices are
        // checked against the grid (and the grid against the buffers, which
        // are made from it), neighbours are chosen in range with select(),
        // psi and profile indices come from layers < the slab's layers (see
        // the header of yee.wgsl). So they go without the per-access bounds
        // checks wgpu would add; every other check stays on. The sample-list
        // kernels (sources, probes, DFT, dispersion) index with host data and
        // keep all checks: they touch few cells.
        let mut trusted = wgpu::ShaderRuntimeChecks::checked();
        trusted.bounds_checks = false;
        // SAFETY: see above; yee.wgsl has no loops.
        let yee_mod = unsafe {
            dev.create_shader_module_trusted(
                wgpu::ShaderModuleDescriptor {
                    label: Some("yee.wgsl"),
                    source: wgpu::ShaderSource::Wgsl(YEE_WGSL.into()),
                },
                trusted,
            )
        };
        let src_mod = module("sources.wgsl", SOURCES_WGSL);
        let probe_mod = module("probes.wgsl", PROBES_WGSL);
        let dft_mod = module("dft.wgsl", DFT_WGSL);
        let disp_mod = module("dispersion.wgsl", DISPERSION_WGSL);

        let layout = |label: &str, entries: &[wgpu::BindGroupLayoutEntry]| {
            dev.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some(label),
                entries,
            })
        };
        let yee_bgl = layout(
            "yee",
            &[
                wgpu::BindGroupLayoutEntry {
                    binding: 0,
                    visibility: wgpu::ShaderStages::COMPUTE,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Uniform,
                        has_dynamic_offset: true,
                        min_binding_size: wgpu::BufferSize::new(std::mem::size_of::<YeeParams>() as u64),
                    },
                    count: None,
                },
                storage(1, false),
                storage(2, false),
                storage(3, false),
                storage(4, false),
                storage(5, false),
                storage(6, false),
                storage(7, true),
                storage(8, true),
                storage(9, true),
                storage(10, true),
                storage(11, true),
                storage(12, true),
                storage(13, false),
                storage(14, false),
                storage(15, false),
                storage(16, true),
            ],
        );
        let src_bgl = layout(
            "sources",
            &[
                storage(0, false),
                storage(1, false),
                storage(2, false),
                storage(3, true),
                storage(4, true),
                storage(5, true),
                storage(6, true),
                storage(7, true),
                uniform(8, false),
            ],
        );
        let probe_bgl = layout(
            "probes",
            &[
                storage(0, true),
                storage(1, true),
                storage(2, true),
                storage(3, true),
                storage(4, true),
                storage(5, true),
                storage(6, true),
                storage(7, false),
                uniform(8, false),
            ],
        );
        let dft_bgl = layout(
            "dft",
            &[
                storage(0, true),
                storage(1, true),
                storage(2, true),
                storage(3, true),
                storage(4, true),
                storage(5, true),
                storage(6, true),
                storage(7, true),
                storage(8, false),
                storage(9, false),
                uniform(10, false),
            ],
        );
        let disp_bgl = layout(
            "dispersion",
            &[
                storage(0, false),
                storage(1, false),
                storage(2, false),
                storage(3, true),
                storage(4, true),
                storage(5, true),
                storage(6, true),
                storage(7, true),
                storage(8, false),
                uniform(9, false),
            ],
        );
        let step_bgl = layout("step", &[uniform(0, true)]);

        let pipeline =
            |label: &str, m: &wgpu::ShaderModule, entry: &str, bgls: &[Option<&wgpu::BindGroupLayout>], constants: &[(&str, f64)]| {
                let pl = dev.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                    label: Some(label),
                    bind_group_layouts: bgls,
                    immediate_size: 0,
                });
                dev.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                    label: Some(label),
                    layout: Some(&pl),
                    module: m,
                    entry_point: Some(entry),
                    compilation_options: wgpu::PipelineCompilationOptions {
                        constants,
                        zero_initialize_workgroup_memory: false,
                    },
                    cache: None,
                })
            };
        let b = |v: bool| if v { 1.0 } else { 0.0 };
        let mut yee_consts: Vec<(&str, f64)> = KERNEL_CONSTANTS.iter().zip(key).map(|(name, v)| (*name, b(v))).collect();
        yee_consts.push(("GRADED", b(key[11])));
        let bulk_drops = |name: &str| name == "PML_Y" || name == "PML_Z" || (name == "PML_X" && key[10]);
        let update_h = pipeline("update_h", &yee_mod, "update_h", &[Some(&yee_bgl)], &yee_consts);
        let update_e = pipeline("update_e", &yee_mod, "update_e", &[Some(&yee_bgl)], &yee_consts);
        let bulk_consts: Vec<(&str, f64)> = yee_consts
            .iter()
            .map(|&(name, v)| (name, if bulk_drops(name) { 0.0 } else { v }))
            .collect();
        let update_h_bulk = pipeline("update_h (no CPML)", &yee_mod, "update_h", &[Some(&yee_bgl)], &bulk_consts);
        let update_e_bulk = pipeline("update_e (no CPML)", &yee_mod, "update_e", &[Some(&yee_bgl)], &bulk_consts);
        let inject = pipeline("inject", &src_mod, "inject", &[Some(&src_bgl), Some(&step_bgl)], &[]);
        let inject_h = pipeline("inject_h", &src_mod, "inject_h", &[Some(&src_bgl), Some(&step_bgl)], &[]);
        let mirror_h = pipeline("mirror_h", &src_mod, "mirror_h", &[Some(&src_bgl), Some(&step_bgl)], &[]);
        let record = pipeline(
            "record_probes",
            &probe_mod,
            "record_probes",
            &[Some(&probe_bgl), Some(&step_bgl)],
            &[],
        );
        let accumulate = pipeline("dft accumulate", &dft_mod, "accumulate", &[Some(&dft_bgl), Some(&step_bgl)], &[]);
        let flush = pipeline("dft flush", &dft_mod, "flush", &[Some(&dft_bgl), Some(&step_bgl)], &[]);
        let polarize = pipeline("polarize", &disp_mod, "polarize", &[Some(&disp_bgl)], &[]);
        let correct = pipeline("correct", &disp_mod, "correct", &[Some(&disp_bgl)], &[]);
        Kernels {
            yee_bgl,
            src_bgl,
            probe_bgl,
            dft_bgl,
            disp_bgl,
            step_bgl,
            update_h,
            update_e,
            update_h_bulk,
            update_e_bulk,
            inject,
            inject_h,
            mirror_h,
            record,
            accumulate,
            flush,
            polarize,
            correct,
        }
    }
}

/// The context's kernels for `key`, compiled on first use.
fn kernels(ctx: &GpuContext, key: KernelKey) -> Arc<Kernels> {
    let mut cache = ctx.kernels.lock().unwrap_or_else(|e| e.into_inner());
    cache.entry(key).or_insert_with(|| Arc::new(Kernels::new(&ctx.device, key))).clone()
}

pub struct GpuStepper {
    ctx: Arc<GpuContext>,
    p: Prepared,
    grid: Grid,
    active: [bool; 6],
    fields: Vec<wgpu::Buffer>,
    k: Arc<Kernels>,
    yee: wgpu::BindGroup,
    yee_boxes: Vec<YeeBox>,
    sources: Vec<Dispatch>,
    magnetic: Vec<Dispatch>,
    /// A folded grid's ghost H samples (Prepared::mirror_cells).
    mirror: Option<Dispatch>,
    wave: Option<wgpu::Buffer>,
    probes: Option<Probes>,
    dft: Option<Dft>,
    /// Dispersive media.
    dispersion: Option<Dispatch>,
    snapshot_list: Vec<Snapshot>,
    snapshot_frames: Vec<Vec<(usize, Vec<f32>)>>,
    step_bind: wgpu::BindGroup,
    step_stride: u32,
    batch: usize,
    steps: usize,
    series: Vec<Vec<f32>>,
    /// Source cell buffers (electric layers, then magnetic), the DFT sample
    /// list, and the state a restart zeroes (CPML, polarisation, DFT sums).
    source_cells: Vec<wgpu::Buffer>,
    dft_samples: Option<wgpu::Buffer>,
    state: Vec<wgpu::Buffer>,
    // Buffers referenced only through bind groups, kept alive with the stepper.
    _keep: Vec<wgpu::Buffer>,
    error: Arc<Mutex<Option<String>>>,
}

fn storage(binding: u32, read_only: bool) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Storage { read_only },
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    }
}

fn uniform(binding: u32, dynamic: bool) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Uniform,
            has_dynamic_offset: dynamic,
            min_binding_size: if dynamic { wgpu::BufferSize::new(16) } else { None },
        },
        count: None,
    }
}

fn entry(binding: u32, buf: &wgpu::Buffer) -> wgpu::BindGroupEntry<'_> {
    wgpu::BindGroupEntry {
        binding,
        resource: buf.as_entire_binding(),
    }
}

/// Workgroup counts for `threads` threads in groups of `size`, folded into
/// two dimensions to stay under the 65535 per-dimension limit.
fn linear_groups(threads: usize, size: usize) -> [u32; 3] {
    let groups = threads.div_ceil(size).max(1);
    let x = groups.min(65535);
    [x as u32, groups.div_ceil(x) as u32, 1]
}

impl GpuStepper {
    pub fn new(ctx: Arc<GpuContext>, p: &Prepared) -> Result<GpuStepper> {
        let batch = steps_per_submission(&ctx, p.grid.cells());
        Self::with_batch(ctx, p, batch)
    }

    /// A stepper that records `batch` steps per submission.
    pub fn with_batch(ctx: Arc<GpuContext>, p: &Prepared, batch: usize) -> Result<GpuStepper> {
        let batch = batch.max(1);
        let error = Arc::new(Mutex::new(None::<String>));
        {
            let e = error.clone();
            ctx.device.on_uncaptured_error(Arc::new(move |err: wgpu::Error| {
                if let Ok(mut slot) = e.lock() {
                    slot.get_or_insert_with(|| err.to_string());
                }
            }));
        }
        let scope = ctx.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let built = Self::build(ctx.clone(), p, batch, error.clone());
        let scoped = pollster::block_on(scope.pop());
        let stepper = built?;
        if let Some(e) = scoped {
            return Err(Error::Gpu(format!("setting up the GPU stepper: {e}")));
        }
        Ok(stepper)
    }

    fn build(ctx: Arc<GpuContext>, p: &Prepared, batch: usize, error: Arc<Mutex<Option<String>>>) -> Result<GpuStepper> {
        let g = &p.grid;
        let dev = &ctx.device;
        let n = g.cells();
        let field_bytes = (n * 4) as u64;
        ctx.check_binding("one field component array", field_bytes)?;
        if g.nz > ctx.limits.max_compute_workgroups_per_dimension as usize {
            return Err(Error::ExceedsDeviceLimit {
                what: format!("nz = {}", g.nz),
                requested_bytes: g.nz as u64,
                limit_bytes: ctx.limits.max_compute_workgroups_per_dimension as u64,
                limit_name: "workgroups per dimension".into(),
                adapter: ctx.adapter.to_string(),
            });
        }
        let dims = g.dims;
        let active = Component::ALL.map(|c| c.is_active(dims));
        let mut keep = Vec::new();
        let mut state: Vec<wgpu::Buffer> = Vec::new();
        let dummy = |label: &str| {
            dev.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: 16,
                usage: wgpu::BufferUsages::STORAGE,
                mapped_at_creation: false,
            })
        };
        let fields: Vec<wgpu::Buffer> = Component::ALL
            .iter()
            .map(|c| {
                if active[c.index()] {
                    dev.create_buffer(&wgpu::BufferDescriptor {
                        label: Some(c.name()),
                        size: field_bytes,
                        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
                        mapped_at_creation: false,
                    })
                } else {
                    dummy(c.name())
                }
            })
            .collect();
        let init = |label: &str, data: &[u8], usage: wgpu::BufferUsages| {
            dev.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some(label),
                contents: data,
                usage,
            })
        };
        let st = wgpu::BufferUsages::STORAGE;
        let un = wgpu::BufferUsages::UNIFORM;
        let cb: Vec<wgpu::Buffer> = (0..3)
            .map(|a| {
                if active[a] {
                    init("cb", bytemuck::cast_slice(&p.cb[a]), st)
                } else {
                    dummy("cb (unused)")
                }
            })
            .collect();
        let ca: Vec<wgpu::Buffer> = (0..3)
            .map(|a| match &p.ca {
                Some(ca) if active[a] => init("ca", bytemuck::cast_slice(&ca[a]), st),
                _ => dummy("ca (unused)"),
            })
            .collect();

        // Layouts and pipelines: compiled once per context and kind of run.
        let three = dims.count() == 3;
        let periodic = |a: usize| a >= dims.count() || p.boundaries.periodic(a);
        let has_pml = |a: usize| (a < dims.count()) && p.pml[a].layers() > 0;
        let split = ctx.adapter.device_type == wgpu::DeviceType::Cpu;
        let key: KernelKey = [
            !three,
            dims.has_tm(),
            dims.has_te(),
            p.ca.is_some(),
            periodic(0),
            periodic(1),
            periodic(2),
            has_pml(0),
            has_pml(1),
            has_pml(2),
            split && splits_x(g.shape(), has_pml(0)),
            g.is_graded(),
        ];
        let k = kernels(&ctx, key);
        let (yee_bgl, src_bgl, probe_bgl, dft_bgl, disp_bgl, step_bgl) =
            (&k.yee_bgl, &k.src_bgl, &k.probe_bgl, &k.dft_bgl, &k.disp_bgl, &k.step_bgl);

        // CPML: psi over each axis' slab box (x fastest, [psi_e1 | psi_e2 |
        // psi_h1 | psi_h2]) and the profiles of all axes in one buffer.
        let mut pml = [[0u32; 4]; 3];
        let mut pml_total = [0u32; 4];
        let mut profiles: Vec<f32> = Vec::new();
        let mut psi: Vec<wgpu::Buffer> = Vec::new();
        for a in 0..3 {
            if !has_pml(a) {
                psi.push(dummy("cpml psi (unused)"));
                continue;
            }
            let prof = &p.pml[a];
            let n_a = g.shape()[a];
            let layers = prof.layers();
            let mut ext = g.shape();
            ext[a] = layers;
            let total: usize = ext.iter().product();
            pml[a] = [
                prof.lo as u32,
                (n_a - (layers - prof.lo)) as u32,
                layers as u32,
                profiles.len() as u32,
            ];
            pml_total[a] = total as u32;
            profiles.extend(prof.coeffs.iter().flatten().copied());
            ctx.check_binding("CPML auxiliary fields", (4 * total * 4) as u64)?;
            let buf = dev.create_buffer(&wgpu::BufferDescriptor {
                label: Some("cpml psi"),
                size: (4 * total * 4) as u64,
                usage: st | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
            state.push(buf.clone());
            psi.push(buf);
        }
        // A graded mesh's stretch factors follow the profiles:
        // [y backward | y forward | z backward | z forward] (yee.wgsl GRADED).
        let grade_at = profiles.len() as u32;
        if g.is_graded() {
            for a in [1, 2] {
                for w in g.stretch(a) {
                    profiles.extend(w);
                }
            }
        }
        let prof_buf = if profiles.is_empty() {
            dummy("cpml profile (unused)")
        } else {
            init("cpml profile", bytemuck::cast_slice(&profiles), st)
        };

        // Field update (with the CPML folded in), one params entry per box.
        let boxes = yee_boxes(g.shape(), &pml, split);
        let params_size = std::mem::size_of::<YeeParams>();
        let params_stride = (params_size as u32).next_multiple_of(ctx.limits.min_uniform_buffer_offset_alignment) as usize;
        let mut yee_data = vec![0u8; boxes.len() * params_stride];
        let mut yee_boxes = Vec::new();
        for (b, (origin, ext, bulk)) in boxes.iter().enumerate() {
            let u = |v: [usize; 3]| [v[0] as u32, v[1] as u32, v[2] as u32, 0];
            let params = YeeParams {
                n: [g.nx as u32, g.ny as u32, g.nz as u32, grade_at],
                coef: [p.ch, 0.0, 0.0, 0.0],
                pml,
                pml_total,
                origin: u(*origin),
                ext: u(*ext),
            };
            let o = b * params_stride;
            yee_data[o..o + params_size].copy_from_slice(bytemuck::bytes_of(&params));
            yee_boxes.push(YeeBox {
                offset: o as u32,
                groups: [
                    ext[0].div_ceil(YEE_WG[0] as usize) as u32,
                    ext[1].div_ceil(YEE_WG[1] as usize) as u32,
                    ext[2].div_ceil(YEE_WG[2] as usize) as u32,
                ],
                bulk: *bulk,
            });
        }
        let yee_ubuf = init("yee params", &yee_data, un);
        let mut yee_entries = vec![wgpu::BindGroupEntry {
            binding: 0,
            resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                buffer: &yee_ubuf,
                offset: 0,
                size: wgpu::BufferSize::new(params_size as u64),
            }),
        }];
        for (i, f) in fields.iter().enumerate() {
            yee_entries.push(entry(1 + i as u32, f));
        }
        for a in 0..3 {
            yee_entries.push(entry(7 + a as u32, &cb[a]));
            yee_entries.push(entry(10 + a as u32, &ca[a]));
            yee_entries.push(entry(13 + a as u32, &psi[a]));
        }
        yee_entries.push(entry(16, &prof_buf));
        let yee = dev.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("yee"),
            layout: yee_bgl,
            entries: &yee_entries,
        });
        keep.push(yee_ubuf);
        keep.push(prof_buf);
        keep.extend(psi);

        // The per-step uniform: entry s holds s, bound with a dynamic offset.
        let step_stride = ctx.limits.min_uniform_buffer_offset_alignment.max(16);
        let mut step_data = vec![0u8; batch * step_stride as usize];
        for s in 0..batch {
            let o = s * step_stride as usize;
            step_data[o..o + 4].copy_from_slice(&(s as u32).to_le_bytes());
        }
        let step_buf = init("step index", &step_data, un);
        let step_bind = dev.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("step"),
            layout: step_bgl,
            entries: &[wgpu::BindGroupEntry {
                binding: 0,
                resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                    buffer: &step_buf,
                    offset: 0,
                    size: wgpu::BufferSize::new(16),
                }),
            }],
        });
        keep.push(step_buf);

        // Sources.
        let mut sources = Vec::new();
        let wave = if p.profiles.is_empty() {
            None
        } else {
            Some(dev.create_buffer(&wgpu::BufferDescriptor {
                label: Some("source waveforms"),
                size: (batch * p.profiles.len() * 4) as u64,
                usage: st | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            }))
        };
        let mut magnetic = Vec::new();
        let mut source_cells = Vec::new();
        if let Some(wave) = &wave {
            // Electric layers drive E (bindings 0-2) with cb; magnetic ones H with ch.
            let all = p
                .source_layers
                .iter()
                .map(|l| (l, 0))
                .chain(p.magnetic_layers.iter().map(|l| (l, 3)));
            for (layer, f0) in all {
                let cells = init("source cells", bytemuck::cast_slice(layer), st | wgpu::BufferUsages::COPY_DST);
                let params = CountParams {
                    count: layer.len() as u32,
                    profiles: p.profiles.len() as u32,
                    _pad: [p.ch.to_bits(), 0],
                };
                let ubuf = init("source params", bytemuck::bytes_of(&params), un);
                let bind = dev.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some("sources"),
                    layout: src_bgl,
                    entries: &[
                        entry(0, &fields[f0]),
                        entry(1, &fields[f0 + 1]),
                        entry(2, &fields[f0 + 2]),
                        entry(3, &cb[0]),
                        entry(4, &cb[1]),
                        entry(5, &cb[2]),
                        entry(6, &cells),
                        entry(7, wave),
                        entry(8, &ubuf),
                    ],
                });
                let d = Dispatch {
                    bind,
                    groups: linear_groups(layer.len(), 64),
                };
                if f0 == 0 {
                    sources.push(d);
                } else {
                    magnetic.push(d);
                }
                source_cells.push(cells);
                keep.push(ubuf);
            }
        }
        let mirror = match (&wave, p.mirror_cells.is_empty()) {
            (_, true) => None,
            (None, false) => {
                return Err(Error::invalid(
                    "symmetry",
                    "a folded grid without sources",
                    "sources in a mirror-symmetric run",
                ));
            }
            (Some(wave), false) => {
                let cells = init("mirror cells", bytemuck::cast_slice(&p.mirror_cells), st);
                let params = CountParams {
                    count: p.mirror_cells.len() as u32,
                    profiles: p.profiles.len() as u32,
                    _pad: [0, 0],
                };
                let ubuf = init("mirror params", bytemuck::bytes_of(&params), un);
                let bind = dev.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some("mirror"),
                    layout: src_bgl,
                    entries: &[
                        entry(0, &fields[3]),
                        entry(1, &fields[4]),
                        entry(2, &fields[5]),
                        entry(3, &cb[0]),
                        entry(4, &cb[1]),
                        entry(5, &cb[2]),
                        entry(6, &cells),
                        entry(7, wave),
                        entry(8, &ubuf),
                    ],
                });
                keep.push(cells);
                keep.push(ubuf);
                Some(Dispatch {
                    bind,
                    groups: linear_groups(p.mirror_cells.len(), 64),
                })
            }
        };

        // Probes.
        let probes = if p.probes.is_empty() {
            None
        } else {
            let count = p.probes.len();
            let bytes = (batch * count * 4) as u64;
            ctx.check_binding("probe record", bytes)?;
            let cells = init("probe cells", bytemuck::cast_slice(&p.probes), st);
            let record = dev.create_buffer(&wgpu::BufferDescriptor {
                label: Some("probe record"),
                size: bytes,
                usage: st | wgpu::BufferUsages::COPY_SRC,
                mapped_at_creation: false,
            });
            let readback = dev.create_buffer(&wgpu::BufferDescriptor {
                label: Some("probe readback"),
                size: bytes,
                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
            let params = CountParams {
                count: count as u32,
                profiles: 0,
                _pad: [0; 2],
            };
            let ubuf = init("probe params", bytemuck::bytes_of(&params), un);
            let mut entries: Vec<wgpu::BindGroupEntry> = fields.iter().enumerate().map(|(i, f)| entry(i as u32, f)).collect();
            entries.extend([entry(6, &cells), entry(7, &record), entry(8, &ubuf)]);
            let bind = dev.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("probes"),
                layout: probe_bgl,
                entries: &entries,
            });
            keep.extend([cells, ubuf]);
            Some(Probes {
                bind,
                record,
                readback,
                count,
                groups: count.div_ceil(64) as u32,
            })
        };

        // Dispersive media.
        let dispersion = if p.dispersion.samples.is_empty() {
            None
        } else {
            let d = &p.dispersion;
            ctx.check_binding("polarisation state", (d.states * 8) as u64)?;
            let samples = init("dispersive samples", bytemuck::cast_slice(&d.samples), st);
            let coeffs = init("pole coefficients", bytemuck::cast_slice(&d.coeffs), st);
            let pstate = dev.create_buffer(&wgpu::BufferDescriptor {
                label: Some("polarisation state"),
                size: (d.states * 8) as u64,
                usage: st | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
            state.push(pstate.clone());
            let params = DispersionParams {
                count: d.samples.len() as u32,
                _pad: [0; 2],
                dx_over_dt: (g.dx / g.dt) as f32,
            };
            let ubuf = init("dispersion params", bytemuck::bytes_of(&params), un);
            let bind = dev.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("dispersion"),
                layout: disp_bgl,
                entries: &[
                    entry(0, &fields[0]),
                    entry(1, &fields[1]),
                    entry(2, &fields[2]),
                    entry(3, &cb[0]),
                    entry(4, &cb[1]),
                    entry(5, &cb[2]),
                    entry(6, &samples),
                    entry(7, &coeffs),
                    entry(8, &pstate),
                    entry(9, &ubuf),
                ],
            });
            keep.extend([samples, coeffs, pstate, ubuf]);
            Some(Dispatch {
                bind,
                groups: linear_groups(d.samples.len(), 64),
            })
        };

        // Running DFTs.
        let mut dft_samples = None;
        let dft = if p.dft.accumulators == 0 {
            None
        } else {
            let acc_bytes = (p.dft.accumulators * 8) as u64;
            ctx.check_binding("DFT accumulators", acc_bytes)?;
            let samples = init(
                "dft samples",
                bytemuck::cast_slice(&p.dft.samples),
                st | wgpu::BufferUsages::COPY_DST,
            );
            let phase = dev.create_buffer(&wgpu::BufferDescriptor {
                label: Some("dft phase"),
                size: (batch * p.dft.freqs.len() * 16) as u64,
                usage: st | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
            let acc_buf = |label: &str| {
                dev.create_buffer(&wgpu::BufferDescriptor {
                    label: Some(label),
                    size: acc_bytes,
                    usage: st | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                })
            };
            let partial = acc_buf("dft partial");
            let total = acc_buf("dft total");
            state.extend([partial.clone(), total.clone()]);
            let mut binds = Vec::new();
            for count in [p.dft.samples.len(), p.dft.accumulators] {
                let params = CountParams {
                    count: count as u32,
                    profiles: p.dft.freqs.len() as u32,
                    _pad: [0; 2],
                };
                let ubuf = init("dft params", bytemuck::bytes_of(&params), un);
                let mut entries: Vec<wgpu::BindGroupEntry> = fields.iter().enumerate().map(|(i, f)| entry(i as u32, f)).collect();
                entries.extend([
                    entry(6, &samples),
                    entry(7, &phase),
                    entry(8, &partial),
                    entry(9, &total),
                    entry(10, &ubuf),
                ]);
                binds.push(dev.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some("dft"),
                    layout: dft_bgl,
                    entries: &entries,
                }));
                keep.push(ubuf);
            }
            dft_samples = Some(samples.clone());
            keep.push(samples);
            let flush_bind = binds.pop().expect("two bind groups");
            let acc_bind = binds.pop().expect("two bind groups");
            Some(Dft {
                accumulate: Dispatch {
                    bind: acc_bind,
                    groups: linear_groups(p.dft.samples.len(), 64),
                },
                flush: Dispatch {
                    bind: flush_bind,
                    groups: linear_groups(p.dft.accumulators, 64),
                },
                phase,
                partial,
                total,
                accumulators: p.dft.accumulators,
            })
        };

        // Snapshots reuse the probe kernel with their own cells and frame buffer.
        let mut snapshot_list = Vec::new();
        for (every, cells) in p.dft.snapshot_plans() {
            let bytes = (cells.len() * 4) as u64;
            ctx.check_binding("snapshot frame", bytes)?;
            let cbuf = init("snapshot cells", bytemuck::cast_slice(cells), st);
            let frame = dev.create_buffer(&wgpu::BufferDescriptor {
                label: Some("snapshot frame"),
                size: bytes,
                usage: st | wgpu::BufferUsages::COPY_SRC,
                mapped_at_creation: false,
            });
            let readback = dev.create_buffer(&wgpu::BufferDescriptor {
                label: Some("snapshot readback"),
                size: bytes,
                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
            let params = CountParams {
                count: cells.len() as u32,
                profiles: 0,
                _pad: [0; 2],
            };
            let ubuf = init("snapshot params", bytemuck::bytes_of(&params), un);
            let mut entries: Vec<wgpu::BindGroupEntry> = fields.iter().enumerate().map(|(i, f)| entry(i as u32, f)).collect();
            entries.extend([entry(6, &cbuf), entry(7, &frame), entry(8, &ubuf)]);
            let bind = dev.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("snapshot"),
                layout: probe_bgl,
                entries: &entries,
            });
            keep.extend([cbuf, ubuf]);
            snapshot_list.push(Snapshot {
                bind,
                frame,
                readback,
                every,
                count: cells.len(),
            });
        }
        let snapshot_frames = vec![Vec::new(); snapshot_list.len()];

        Ok(GpuStepper {
            p: p.clone(),
            grid: g.clone(),
            active,
            fields,
            k,
            yee,
            yee_boxes,
            sources,
            magnetic,
            mirror,
            source_cells,
            dft_samples,
            state,
            wave,
            probes,
            dft,
            snapshot_list,
            snapshot_frames,
            dispersion,
            step_bind,
            step_stride,
            batch,
            steps: 0,
            series: vec![Vec::new(); p.probes.len()],
            _keep: keep.into_iter().chain(cb).chain(ca).collect(),
            error,
            ctx,
        })
    }

    /// Steps recorded per submission.
    pub fn steps_per_submission(&self) -> usize {
        self.batch
    }

    /// Start again from zero fields, with the sources and DFT samples of
    /// `p`, reusing every buffer, bind group and pipeline. `p` must be this
    /// stepper's set-up with sources moved in place
    /// ([`Prepared::move_dipole`]): same grid, same number of samples in
    /// every source layer and DFT list (checked). Probe series, snapshots and
    /// DFT sums start afresh.
    pub fn restart(&mut self, p: &Prepared) -> Result<()> {
        self.p.check_restart(p)?;
        for (buf, layer) in self.source_cells.iter().zip(p.source_layers.iter().chain(&p.magnetic_layers)) {
            self.ctx.queue.write_buffer(buf, 0, bytemuck::cast_slice(layer));
        }
        if let Some(b) = &self.dft_samples {
            self.ctx.queue.write_buffer(b, 0, bytemuck::cast_slice(&p.dft.samples));
        }
        let mut enc = self
            .ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("restart") });
        for (c, f) in self.fields.iter().enumerate() {
            if self.active[c] {
                enc.clear_buffer(f, 0, None);
            }
        }
        for b in &self.state {
            enc.clear_buffer(b, 0, None);
        }
        self.ctx.queue.submit([enc.finish()]);
        self.wait()?;
        self.check_error()?;
        self.p.source_layers.clone_from(&p.source_layers);
        self.p.magnetic_layers.clone_from(&p.magnetic_layers);
        self.p.profiles.clone_from(&p.profiles);
        self.p.delays.clone_from(&p.delays);
        self.p.dft = p.dft.clone();
        self.steps = 0;
        for s in &mut self.series {
            s.clear();
        }
        for f in &mut self.snapshot_frames {
            f.clear();
        }
        Ok(())
    }

    /// The adapter this stepper runs on.
    pub fn context(&self) -> &Arc<GpuContext> {
        &self.ctx
    }

    /// Record one half step of the field update over every box.
    fn encode_yee(&self, pass: &mut wgpu::ComputePass<'_>, edge: &wgpu::ComputePipeline, bulk: &wgpu::ComputePipeline) {
        for b in &self.yee_boxes {
            pass.set_pipeline(if b.bulk { bulk } else { edge });
            pass.set_bind_group(0, &self.yee, &[b.offset]);
            pass.dispatch_workgroups(b.groups[0], b.groups[1], b.groups[2]);
        }
    }

    /// Record one full time step; `s` is the step's place in the submission
    /// and `n` its number in the run.
    fn encode_step(&self, pass: &mut wgpu::ComputePass<'_>, s: usize, n: usize) {
        if let Some(d) = &self.dispersion {
            pass.set_pipeline(&self.k.polarize);
            pass.set_bind_group(0, &d.bind, &[]);
            pass.dispatch_workgroups(d.groups[0], d.groups[1], d.groups[2]);
        }
        self.encode_yee(pass, &self.k.update_h, &self.k.update_h_bulk);
        let offset = [(s as u32) * self.step_stride];
        if !self.magnetic.is_empty() {
            pass.set_pipeline(&self.k.inject_h);
            pass.set_bind_group(1, &self.step_bind, &offset);
            for d in &self.magnetic {
                pass.set_bind_group(0, &d.bind, &[]);
                pass.dispatch_workgroups(d.groups[0], d.groups[1], d.groups[2]);
            }
        }
        if let Some(d) = &self.mirror {
            pass.set_pipeline(&self.k.mirror_h);
            pass.set_bind_group(0, &d.bind, &[]);
            pass.set_bind_group(1, &self.step_bind, &offset);
            pass.dispatch_workgroups(d.groups[0], d.groups[1], d.groups[2]);
        }
        self.encode_yee(pass, &self.k.update_e, &self.k.update_e_bulk);
        if let Some(d) = &self.dispersion {
            pass.set_pipeline(&self.k.correct);
            pass.set_bind_group(0, &d.bind, &[]);
            pass.dispatch_workgroups(d.groups[0], d.groups[1], d.groups[2]);
        }
        if !self.sources.is_empty() {
            pass.set_pipeline(&self.k.inject);
            pass.set_bind_group(1, &self.step_bind, &offset);
            for d in &self.sources {
                pass.set_bind_group(0, &d.bind, &[]);
                pass.dispatch_workgroups(d.groups[0], d.groups[1], d.groups[2]);
            }
        }
        if let Some(pr) = &self.probes {
            pass.set_pipeline(&self.k.record);
            pass.set_bind_group(0, &pr.bind, &[]);
            pass.set_bind_group(1, &self.step_bind, &offset);
            pass.dispatch_workgroups(pr.groups, 1, 1);
        }
        if let Some(d) = &self.dft {
            pass.set_pipeline(&self.k.accumulate);
            pass.set_bind_group(0, &d.accumulate.bind, &[]);
            pass.set_bind_group(1, &self.step_bind, &offset);
            let [x, y, z] = d.accumulate.groups;
            pass.dispatch_workgroups(x, y, z);
            if (n + 1).is_multiple_of(FLUSH_EVERY) {
                pass.set_pipeline(&self.k.flush);
                pass.set_bind_group(0, &d.flush.bind, &[]);
                let [x, y, z] = d.flush.groups;
                pass.dispatch_workgroups(x, y, z);
            }
        }
    }

    fn check_error(&self) -> Result<()> {
        let e = self.error.lock().map_err(|_| Error::Gpu("error slot poisoned".into()))?.take();
        match e {
            Some(e) => Err(Error::Gpu(e)),
            None => Ok(()),
        }
    }

    fn wait(&self) -> Result<()> {
        self.ctx
            .device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| Error::Gpu(e.to_string()))?;
        Ok(())
    }

    /// Copy a buffer to the host through a mappable staging buffer.
    fn read_buffer(&self, src: &wgpu::Buffer, staging: &wgpu::Buffer, bytes: u64) -> Result<Vec<f32>> {
        let mut enc = self
            .ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("readback") });
        enc.copy_buffer_to_buffer(src, 0, staging, 0, bytes);
        self.ctx.queue.submit([enc.finish()]);
        map_read(&self.ctx, staging, bytes)
    }
}

/// Map `bytes` of a MAP_READ buffer, copy them out and unmap.
fn map_read(ctx: &GpuContext, buf: &wgpu::Buffer, bytes: u64) -> Result<Vec<f32>> {
    let slice = buf.slice(0..bytes);
    let (tx, rx) = std::sync::mpsc::channel();
    slice.map_async(wgpu::MapMode::Read, move |r| {
        let _ = tx.send(r);
    });
    ctx.device
        .poll(wgpu::PollType::wait_indefinitely())
        .map_err(|e| Error::Gpu(e.to_string()))?;
    rx.recv()
        .map_err(|e| Error::Gpu(format!("map callback lost: {e}")))?
        .map_err(|e| Error::Gpu(format!("mapping a readback buffer: {e}")))?;
    let out = {
        let view = slice.get_mapped_range().map_err(|e| Error::Gpu(format!("{e}")))?;
        bytemuck::cast_slice::<u8, f32>(&view).to_vec()
    };
    buf.unmap();
    Ok(out)
}

impl Stepper for GpuStepper {
    fn run(&mut self, steps: usize) -> Result<()> {
        let mut left = steps;
        while left > 0 {
            // End a submission wherever a snapshot is due.
            let mut b = left.min(self.batch);
            for sn in &self.snapshot_list {
                b = b.min(sn.every - self.steps % sn.every);
            }
            if let Some(wave) = &self.wave {
                let w = source_waveforms(&self.p.profiles, &self.p.delays, self.grid.dt, self.steps, b);
                self.ctx.queue.write_buffer(wave, 0, bytemuck::cast_slice(&w));
            }
            if let Some(d) = &self.dft {
                let ph = phase_table(&self.p.dft.freqs, self.grid.dt, self.steps, b);
                self.ctx.queue.write_buffer(&d.phase, 0, bytemuck::cast_slice(&ph));
            }
            let done = self.steps + b;
            let due: Vec<usize> = (0..self.snapshot_list.len())
                .filter(|&k| done.is_multiple_of(self.snapshot_list[k].every))
                .collect();
            let mut enc = self
                .ctx
                .device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("steps") });
            {
                let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                    label: Some("steps"),
                    timestamp_writes: None,
                });
                for s in 0..b {
                    self.encode_step(&mut pass, s, self.steps + s);
                }
                for &k in &due {
                    let sn = &self.snapshot_list[k];
                    pass.set_pipeline(&self.k.record);
                    pass.set_bind_group(0, &sn.bind, &[]);
                    pass.set_bind_group(1, &self.step_bind, &[0]);
                    pass.dispatch_workgroups(sn.count.div_ceil(64) as u32, 1, 1);
                }
            }
            for &k in &due {
                let sn = &self.snapshot_list[k];
                enc.copy_buffer_to_buffer(&sn.frame, 0, &sn.readback, 0, (sn.count * 4) as u64);
            }
            if let Some(pr) = &self.probes {
                let bytes = (b * pr.count * 4) as u64;
                enc.copy_buffer_to_buffer(&pr.record, 0, &pr.readback, 0, bytes);
                self.ctx.queue.submit([enc.finish()]);
                let rec = map_read(&self.ctx, &pr.readback, bytes)?;
                for s in 0..b {
                    for (p, series) in self.series.iter_mut().enumerate() {
                        series.push(rec[s * pr.count + p]);
                    }
                }
            } else {
                self.ctx.queue.submit([enc.finish()]);
            }
            for &k in &due {
                let sn = &self.snapshot_list[k];
                let frame = map_read(&self.ctx, &sn.readback, (sn.count * 4) as u64)?;
                self.snapshot_frames[k].push((done, frame));
            }
            self.check_error()?;
            self.steps += b;
            left -= b;
        }
        self.wait()?;
        self.check_error()
    }

    fn steps_done(&self) -> usize {
        self.steps
    }

    fn fields(&mut self) -> Result<Fields> {
        let bytes = (self.grid.cells() * 4) as u64;
        let staging = self.ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("field readback"),
            size: bytes,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut comps: [Vec<f32>; 6] = Default::default();
        for c in 0..6 {
            if self.active[c] {
                comps[c] = self.read_buffer(&self.fields[c], &staging, bytes)?;
            }
        }
        self.check_error()?;
        Ok(Fields {
            grid: self.grid.clone(),
            comps,
        })
    }

    fn probe_series(&self) -> &[Vec<f32>] {
        &self.series
    }

    fn dft_sums(&mut self) -> Result<Vec<Complex64>> {
        let Some(d) = &self.dft else { return Ok(Vec::new()) };
        let bytes = (d.accumulators * 8) as u64;
        let staging = self.ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("dft readback"),
            size: bytes,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let total = self.read_buffer(&d.total, &staging, bytes)?;
        let partial = self.read_buffer(&d.partial, &staging, bytes)?;
        self.check_error()?;
        Ok(total
            .chunks_exact(2)
            .zip(partial.chunks_exact(2))
            .map(|(t, p)| Complex64::new(t[0] as f64 + p[0] as f64, t[1] as f64 + p[1] as f64))
            .collect())
    }

    fn snapshots(&self) -> &[Vec<(usize, Vec<f32>)>] {
        &self.snapshot_frames
    }

    fn prepared(&self) -> &Prepared {
        &self.p
    }
}

#[cfg(test)]
mod tests {
    use super::{splits_x, yee_boxes};

    /// The boxes of a split dispatch cover every cell exactly once, and the
    /// bulk box holds no cell of a slab whose code its kernels leave out
    /// (y and z always, x when the x slabs are split off).
    #[test]
    fn yee_boxes_tile_the_grid() {
        for n in [[20usize, 17, 9], [600, 7, 5]] {
            // [lo layers, first hi cell, layers, offset] per axis, as in the params.
            let slab = |lo: u32, hi: u32, n: usize| [lo, n as u32 - hi, lo + hi, 0];
            for pml in [
                [slab(3, 4, n[0]), slab(2, 2, n[1]), slab(1, 3, n[2])],
                [slab(3, 0, n[0]), [0, 0, 0, 0], slab(0, 2, n[2])],
                [[0, 0, 0, 0], slab(2, 2, n[1]), [0, 0, 0, 0]],
                [slab(3, 3, n[0]), [0, 0, 0, 0], [0, 0, 0, 0]],
            ] {
                let boxes = yee_boxes(n, &pml, true);
                let mut count = vec![0u8; n.iter().product()];
                for (o, e, bulk) in &boxes {
                    for k in o[2]..o[2] + e[2] {
                        for j in o[1]..o[1] + e[1] {
                            for i in o[0]..o[0] + e[0] {
                                count[i + n[0] * (j + n[1] * k)] += 1;
                                for (a, c) in [i, j, k].into_iter().enumerate() {
                                    let dropped = a > 0 || splits_x(n, pml[0][2] > 0);
                                    let inside = pml[a][2] == 0 || (c >= pml[a][0] as usize && c < pml[a][1] as usize);
                                    assert!(
                                        !*bulk || !dropped || inside,
                                        "bulk box holds slab cell {:?} ({n:?}, {pml:?})",
                                        [i, j, k]
                                    );
                                }
                            }
                        }
                    }
                }
                assert!(
                    count.iter().all(|&c| c == 1),
                    "cells covered {:?} times ({n:?}, {pml:?})",
                    count.iter().max()
                );
                assert!(boxes.iter().filter(|b| b.2).count() <= 1);
            }
        }
    }
}
