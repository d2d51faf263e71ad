//! The GPU path's infrastructure: device set-up, the chunk planner, buffers, pipelines and
//! readback. The simulation stages themselves are WGSL in `undertow-shaders`.
//!
//! How a sweep runs on the GPU: [`plan::plan_chunks`] splits the scenarios into chunks that fit
//! the device; for each chunk, per-scenario state lives in storage buffers laid out
//! structure-of-arrays (`word = slot * chunk_count + scenario`, so neighbouring invocations touch
//! neighbouring words), each simulated day is one dispatch, and all days are recorded in one
//! command encoder and one submission; outputs come back through [`readback::read_buffer`].
//! One dispatch per day keeps every invocation's loops short: lavapipe silently stops a loop
//! after 65,535 iterations, and real GPUs have watchdogs.
//!
//! Architecture invariant: nothing here panics on a runtime failure. wgpu's errors, including
//! the asynchronous ones, become [`GpuError`]s (see [`device`]).

pub mod backend;
pub mod buffers;
pub mod device;
pub mod pipeline;
pub mod plan;
pub mod readback;
pub mod sim;
pub mod testing;

pub use backend::{hardware_gpu_present, open_backend, GPU_BLOCK};
pub use buffers::{storage_from_slice, storage_zeroed, uniform_from_value, UniformRecords};
pub use device::{list_adapters, AdapterRequest, AdapterSummary, GpuContext, GpuError};
pub use pipeline::ComputeKernel;
pub use plan::{plan_chunks, Chunk, ChunkLimits, ChunkRequest, PerScenarioBuffer, PlanError};
pub use readback::{read_buffer, read_buffer_range};
pub use sim::{GpuRunOptions, GpuSimulator, FAIL_CHUNK_ENV, MAX_CHUNK_ENV};
