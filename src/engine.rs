//! The engine a run steps on: the WGSL kernels on a wgpu adapter, or the
//! native CPU engine ([`crate::cpu`]). Chosen once per command, in one place:
//! `--backend cpu|gpu|auto` on the command line, else `LUMEN_BACKEND`, else
//! `auto`.
//!
//! `auto` takes a hardware GPU adapter when there is one, and the native
//! engine when the only adapters are software rasterisers (Mesa's llvmpipe
//! and lavapipe, SwiftShader, Microsoft's WARP): on a CPU the native engine
//! is several times faster than the shaders running on a software adapter.
//! `auto` with `LUMEN_ADAPTER` set takes the adapter it names.

use std::str::FromStr;
use std::sync::Arc;

use crate::cpu::{CpuInfo, CpuStepper};
use crate::error::{Error, Result};
use crate::gpu::context::{list_adapters, AdapterSummary};
use crate::gpu::stepper::{memory_estimate, MemoryEstimate};
use crate::gpu::{AdapterRequest, GpuContext, GpuStepper};
use crate::sim::{Prepared, Stepper};

/// What the user asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Backend {
    #[default]
    Auto,
    Cpu,
    Gpu,
}

impl FromStr for Backend {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Backend, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Backend::Auto),
            "cpu" | "native" => Ok(Backend::Cpu),
            "gpu" | "wgpu" => Ok(Backend::Gpu),
            other => Err(format!("unknown backend `{other}`: expected cpu, gpu or auto")),
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backend::Auto => "auto",
            Backend::Cpu => "cpu",
            Backend::Gpu => "gpu",
        })
    }
}

impl Backend {
    /// The command line's choice, else `LUMEN_BACKEND`, else auto.
    pub fn resolve(cli: Option<Backend>) -> Result<Backend> {
        if let Some(b) = cli {
            return Ok(b);
        }
        match std::env::var("LUMEN_BACKEND") {
            Ok(v) if !v.trim().is_empty() => v
                .parse()
                .map_err(|e: String| Error::invalid("LUMEN_BACKEND", &v, e.replace("unknown backend", "a backend"))),
            _ => Ok(Backend::Auto),
        }
    }
}

/// Whether an adapter is a software rasteriser running on the CPU.
pub fn is_software(a: &AdapterSummary) -> bool {
    let name = a.name.to_ascii_lowercase();
    a.device_type == wgpu::DeviceType::Cpu
        || ["llvmpipe", "lavapipe", "swiftshader", "basic render driver", "warp"]
            .iter()
            .any(|s| name.contains(s))
}

/// An engine ready to make steppers.
#[derive(Clone)]
pub enum Engine {
    Cpu(CpuInfo),
    Gpu(Arc<GpuContext>),
}

/// A stepper a run can drive: the common stepping interface, plus a restart
/// on the same set-up (the runs of an incoherent emitter) and the number of
/// steps worth doing between two looks from the host.
pub trait RunStepper: Stepper + Send {
    fn restart(&mut self, p: &Prepared) -> Result<()>;
    fn steps_per_submission(&self) -> usize;
}

impl RunStepper for GpuStepper {
    fn restart(&mut self, p: &Prepared) -> Result<()> {
        GpuStepper::restart(self, p)
    }
    fn steps_per_submission(&self) -> usize {
        GpuStepper::steps_per_submission(self)
    }
}

/// Cell updates between two returns to the host on the native engine
/// (~0.1 s): progress, Ctrl-C and decay checks stay responsive.
const CPU_CELL_UPDATES_PER_CALL: usize = 20_000_000;

impl RunStepper for CpuStepper {
    fn restart(&mut self, p: &Prepared) -> Result<()> {
        CpuStepper::restart(self, p)
    }
    fn steps_per_submission(&self) -> usize {
        (CPU_CELL_UPDATES_PER_CALL / self.prepared().grid.cells().max(1)).clamp(1, 1024)
    }
}

/// The engine chosen, and why.
pub struct Selection {
    pub engine: Engine,
    pub reason: String,
}

impl Engine {
    /// Open the engine `backend` asks for.
    pub fn select(backend: Backend) -> Result<Selection> {
        let req = AdapterRequest::from_env();
        let gpu = |reason: String| -> Result<Selection> {
            Ok(Selection {
                engine: Engine::Gpu(GpuContext::new(&req)?),
                reason,
            })
        };
        let cpu = |reason: String| Selection {
            engine: Engine::Cpu(CpuInfo::detect()),
            reason,
        };
        match backend {
            Backend::Cpu => Ok(cpu("--backend cpu".into())),
            Backend::Gpu => gpu("--backend gpu".into()),
            Backend::Auto => {
                if let Some(name) = &req.name {
                    return gpu(format!("LUMEN_ADAPTER={name}"));
                }
                let adapters = list_adapters(req.backends);
                match adapters.iter().find(|a| !is_software(a)) {
                    Some(a) => gpu(format!("auto: hardware adapter {}", a.name)),
                    None if adapters.is_empty() => Ok(cpu("auto: no GPU adapter found".into())),
                    None => Ok(cpu(format!(
                        "auto: the only adapters are software rasterisers ({}); --backend gpu runs the shaders on them",
                        adapters
                            .iter()
                            .map(|a| format!("{} [{:?}]", a.name, a.backend))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))),
                }
            }
        }
    }

    /// A stepper for `p` on this engine.
    pub fn stepper(&self, p: &Prepared) -> Result<Box<dyn RunStepper>> {
        match self {
            Engine::Cpu(_) => {
                self.check_memory(p)?;
                Ok(Box::new(CpuStepper::new(p.clone())))
            }
            Engine::Gpu(ctx) => Ok(Box::new(GpuStepper::new(ctx.clone(), p)?)),
        }
    }

    /// "cpu" or "gpu".
    pub fn kind(&self) -> &'static str {
        match self {
            Engine::Cpu(_) => "cpu",
            Engine::Gpu(_) => "gpu",
        }
    }

    /// The engine as it is named in logs and result files.
    pub fn describe(&self) -> String {
        match self {
            Engine::Cpu(info) => info.to_string(),
            Engine::Gpu(ctx) => ctx.adapter.to_string(),
        }
    }

    /// The GPU context, when this is the GPU engine.
    pub fn gpu(&self) -> Option<&Arc<GpuContext>> {
        match self {
            Engine::Gpu(c) => Some(c),
            Engine::Cpu(_) => None,
        }
    }

    /// The memory a run of `p` needs and what this engine allows: (estimate,
    /// limit on the largest array, limit on the total, the limit's name).
    pub fn memory(&self, p: &Prepared) -> (MemoryEstimate, u64, u64, String) {
        let mem = memory_estimate(p);
        match self {
            Engine::Gpu(ctx) => {
                let per = ctx.limits.max_storage_buffer_binding_size.min(ctx.limits.max_buffer_size);
                (mem, per, u64::MAX, "storage binding".into())
            }
            Engine::Cpu(_) => {
                let avail = available_host_memory().unwrap_or(u64::MAX);
                (mem, avail, avail, "available host memory".into())
            }
        }
    }

    fn check_memory(&self, p: &Prepared) -> Result<()> {
        let (mem, _, total, name) = self.memory(p);
        if mem.total_bytes > total {
            return Err(Error::ExceedsDeviceLimit {
                what: "the run's fields, coefficients and monitors".into(),
                requested_bytes: mem.total_bytes,
                limit_bytes: total,
                limit_name: name,
                adapter: self.describe(),
            });
        }
        Ok(())
    }
}

/// MemAvailable from /proc/meminfo, in bytes (None where there is none).
pub fn available_host_memory() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = s.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
