//! The GPU side: adapter and device (`context`), buffers, pipelines and the
//! batched step loop (`stepper`). Shaders live in `shaders/`.

pub mod context;
pub mod stepper;

pub use context::{AdapterRequest, GpuContext};
pub use stepper::GpuStepper;
