//! Adapter selection and device creation.
//!
//! The best adapter wins: discrete GPU, then integrated, virtual, and last a
//! software rasteriser (Mesa lavapipe through Vulkan, llvmpipe through GL/EGL).
//! Users choose with `LUMEN_ADAPTER=<part of the name>` and
//! `WGPU_BACKEND=vulkan|gl|metal|dx12`, or through [`AdapterRequest`].
//! The device is created with the adapter's own limits, not WebGPU's
//! 128 MiB defaults.

use std::sync::Arc;

use crate::error::{Error, Result};

/// Which adapter to use.
#[derive(Clone, Debug)]
pub struct AdapterRequest {
    /// Case-insensitive substring of the adapter name (`LUMEN_ADAPTER`).
    pub name: Option<String>,
    /// Backends to consider (`WGPU_BACKEND`; all by default).
    pub backends: wgpu::Backends,
}

impl Default for AdapterRequest {
    fn default() -> Self {
        AdapterRequest::from_env()
    }
}

impl AdapterRequest {
    pub fn from_env() -> AdapterRequest {
        AdapterRequest {
            name: std::env::var("LUMEN_ADAPTER").ok().filter(|s| !s.is_empty()),
            backends: wgpu::Backends::from_env().unwrap_or(wgpu::Backends::all()),
        }
    }
}

/// Description of an adapter, for `lumen devices` and run logs.
#[derive(Clone, Debug)]
pub struct AdapterSummary {
    pub name: String,
    pub backend: wgpu::Backend,
    pub device_type: wgpu::DeviceType,
    pub driver: String,
    pub max_storage_buffer_binding_size: u64,
    pub max_buffer_size: u64,
    pub max_storage_buffers_per_shader_stage: u32,
    pub max_compute_invocations_per_workgroup: u32,
}

impl std::fmt::Display for AdapterSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({:?}, {:?})", self.name, self.backend, self.device_type)
    }
}

fn summarize(a: &wgpu::Adapter) -> AdapterSummary {
    let info = a.get_info();
    let l = a.limits();
    AdapterSummary {
        name: info.name,
        backend: info.backend,
        device_type: info.device_type,
        driver: format!("{} {}", info.driver, info.driver_info).trim().to_string(),
        max_storage_buffer_binding_size: l.max_storage_buffer_binding_size,
        max_buffer_size: l.max_buffer_size,
        max_storage_buffers_per_shader_stage: l.max_storage_buffers_per_shader_stage,
        max_compute_invocations_per_workgroup: l.max_compute_invocations_per_workgroup,
    }
}

fn rank(a: &wgpu::Adapter) -> (u8, u8) {
    let info = a.get_info();
    let t = match info.device_type {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Other => 3,
        wgpu::DeviceType::Cpu => 4,
    };
    // GL compute is the slowest path on the same hardware (measured: llvmpipe
    // ~2x slower than lavapipe), so native APIs first.
    let b = match info.backend {
        wgpu::Backend::Vulkan | wgpu::Backend::Metal | wgpu::Backend::Dx12 => 0,
        _ => 1,
    };
    (t, b)
}

fn instance(backends: wgpu::Backends) -> wgpu::Instance {
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
    desc.backends = backends;
    wgpu::Instance::new(desc)
}

/// Adapters that can run compute shaders, best first.
pub fn list_adapters(backends: wgpu::Backends) -> Vec<AdapterSummary> {
    let inst = instance(backends);
    let mut adapters = pollster::block_on(inst.enumerate_adapters(backends));
    adapters.retain(usable);
    adapters.sort_by_key(rank);
    adapters.iter().map(summarize).collect()
}

fn usable(a: &wgpu::Adapter) -> bool {
    a.get_downlevel_capabilities().flags.contains(wgpu::DownlevelFlags::COMPUTE_SHADERS)
}

/// An open device and queue on the chosen adapter.
pub struct GpuContext {
    pub adapter: AdapterSummary,
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub limits: wgpu::Limits,
    /// Compiled kernels per kind of run, reused by every stepper.
    pub(crate) kernels: std::sync::Mutex<std::collections::HashMap<super::stepper::KernelKey, Arc<super::stepper::Kernels>>>,
}

impl GpuContext {
    pub fn new(req: &AdapterRequest) -> Result<Arc<GpuContext>> {
        let inst = instance(req.backends);
        let mut adapters = pollster::block_on(inst.enumerate_adapters(req.backends));
        adapters.retain(usable);
        if adapters.is_empty() {
            return Err(Error::NoAdapter {
                detail: format!("backends {:?}", req.backends),
            });
        }
        adapters.sort_by_key(rank);
        let adapter = match &req.name {
            None => adapters.swap_remove(0),
            Some(want) => {
                let w = want.to_lowercase();
                match adapters.iter().position(|a| a.get_info().name.to_lowercase().contains(&w)) {
                    Some(i) => adapters.swap_remove(i),
                    None => {
                        let available = adapters.iter().map(|a| summarize(a).to_string()).collect::<Vec<_>>().join("; ");
                        return Err(Error::AdapterNotFound {
                            requested: want.clone(),
                            available,
                        });
                    }
                }
            }
        };
        let summary = summarize(&adapter);
        let limits = adapter.limits();
        let desc = wgpu::DeviceDescriptor {
            label: Some("lumen-fdtd"),
            required_features: wgpu::Features::empty(),
            required_limits: limits.clone(),
            experimental_features: wgpu::ExperimentalFeatures::disabled(),
            memory_hints: wgpu::MemoryHints::Performance,
            trace: wgpu::Trace::Off,
        };
        let (device, queue) = pollster::block_on(adapter.request_device(&desc)).map_err(|e| Error::DeviceRequest {
            adapter: summary.to_string(),
            detail: e.to_string(),
        })?;
        Ok(Arc::new(GpuContext {
            adapter: summary,
            device,
            queue,
            limits,
            kernels: Default::default(),
        }))
    }

    /// Check that one buffer of `bytes` fits in a storage binding.
    pub fn check_binding(&self, what: &str, bytes: u64) -> Result<()> {
        let limit = self.limits.max_storage_buffer_binding_size.min(self.limits.max_buffer_size);
        if bytes > limit {
            return Err(Error::ExceedsDeviceLimit {
                what: what.to_string(),
                requested_bytes: bytes,
                limit_bytes: limit,
                limit_name: "storage buffer binding".into(),
                adapter: self.adapter.to_string(),
            });
        }
        Ok(())
    }
}
