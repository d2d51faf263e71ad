//! GPU device set-up, in one place: which backends and adapter to use (from `WGPU_BACKEND` and
//! `WGPU_ADAPTER_NAME`), the device and queue, and how wgpu's errors become [`GpuError`]s.
//!
//! wgpu reports most mistakes asynchronously, through the device: a bad shader or binding does
//! not fail the call that made it but raises an error later, and the default handler for errors
//! nobody captured panics. [`GpuContext`] replaces that handler with one that records the error,
//! wraps fallible calls in error scopes ([`GpuContext::scoped`]), and watches for device loss, so
//! that no runtime failure on the GPU path panics: each comes back as a typed error.
//!
//! `pollster::block_on` appears only here and in the readback helper, at the edges where the
//! synchronous host meets wgpu's futures.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use super::plan::ChunkLimits;

/// Environment variable that picks the adapter by a case-insensitive substring of its name.
pub const ADAPTER_NAME_ENV: &str = "WGPU_ADAPTER_NAME";
/// Environment variable that picks the backends (wgpu's own: `vulkan,metal,dx12,gl`).
pub const BACKEND_ENV: &str = "WGPU_BACKEND";

/// Everything that can go wrong on the GPU path.
#[derive(Debug, thiserror::Error)]
pub enum GpuError {
    /// No adapter matched the request; the message lists what was found.
    #[error("no GPU adapter: {0}")]
    NoAdapter(String),
    /// The adapter refused a device.
    #[error("requesting a device from adapter `{adapter}`: {source}")]
    RequestDevice {
        adapter: String,
        #[source]
        source: wgpu::RequestDeviceError,
    },
    /// wgpu rejected an operation: a bug in a shader, a binding or a buffer's use.
    #[error("GPU validation error while {context}: {message}")]
    Validation { context: String, message: String },
    /// The device ran out of memory.
    #[error("GPU out of memory while {context}: {message}")]
    OutOfMemory { context: String, message: String },
    /// The driver failed for a reason that is not the caller's mistake.
    #[error("internal GPU error while {context}: {message}")]
    Internal { context: String, message: String },
    /// The device is gone (driver reset, watchdog, unplugged); nothing more can run on it.
    #[error("GPU device lost ({reason}): {message}")]
    DeviceLost { reason: String, message: String },
    /// Reading a buffer back to the host failed.
    #[error("reading back {context}: {message}")]
    Map { context: String, message: String },
    /// Waiting for submitted work failed.
    #[error("waiting for the GPU: {0}")]
    Poll(#[from] wgpu::PollError),
    /// A buffer or dispatch would exceed one of the device's limits.
    #[error("{what} needs {needed}, above the device's {limit_name} of {limit}")]
    Limit {
        what: String,
        needed: u64,
        limit_name: &'static str,
        limit: u64,
    },
    /// The scenarios cannot be split into chunks that fit the device.
    #[error(transparent)]
    Plan(#[from] super::plan::PlanError),
    /// A chunk of a run failed (device loss, a failed allocation or validation, a readback):
    /// which chunk of the call, and which scenarios (global indices) it held. The cause is the
    /// [`std::error::Error::source`], not repeated in the message.
    #[error(
        "GPU chunk {index} (scenarios {first_scenario}..{})",
        *first_scenario + *count as u64
    )]
    Chunk {
        index: usize,
        first_scenario: u64,
        count: u32,
        #[source]
        source: Box<GpuError>,
    },
}

/// Which backends to open and which adapter to prefer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdapterRequest {
    /// Backends to enumerate adapters on.
    pub backends: wgpu::Backends,
    /// Case-insensitive substring the adapter's name must contain.
    pub name: Option<String>,
}

impl Default for AdapterRequest {
    /// Vulkan, Metal, DX12 (and WebGPU in a browser), any adapter. OpenGL is left out unless
    /// asked for: its compute support is a downlevel subset, and on headless machines probing
    /// EGL is slow and noisy.
    fn default() -> Self {
        Self {
            backends: wgpu::Backends::PRIMARY,
            name: None,
        }
    }
}

impl AdapterRequest {
    /// The request the environment makes: `WGPU_BACKEND` (as wgpu parses it, e.g. `vulkan` or
    /// `vulkan,gl`) and `WGPU_ADAPTER_NAME`; defaults where unset.
    pub fn from_env() -> Self {
        let backends = wgpu::Backends::from_env().unwrap_or(Self::default().backends);
        let name = std::env::var(ADAPTER_NAME_ENV)
            .ok()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty());
        Self { backends, name }
    }
}

/// One adapter as `undertow devices` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdapterSummary {
    pub name: String,
    pub backend: wgpu::Backend,
    pub device_type: wgpu::DeviceType,
    /// Driver name and version details, as the driver reports them (may be empty).
    pub driver: String,
    pub driver_info: String,
    /// Whether it runs compute shaders (downlevel GL adapters may not).
    pub compute: bool,
    /// Whether [`GpuContext::new`] would pick it under the current environment.
    pub selected: bool,
}

impl AdapterSummary {
    fn of(adapter: &wgpu::Adapter) -> Self {
        let info = adapter.get_info();
        let compute = adapter
            .get_downlevel_capabilities()
            .flags
            .contains(wgpu::DownlevelFlags::COMPUTE_SHADERS);
        Self {
            name: info.name,
            backend: info.backend,
            device_type: info.device_type,
            driver: info.driver,
            driver_info: info.driver_info,
            compute,
            selected: false,
        }
    }
}

impl fmt::Display for AdapterSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} [{}, {}",
            self.name,
            self.backend,
            device_type_name(self.device_type)
        )?;
        let driver = [self.driver.as_str(), self.driver_info.as_str()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        if !driver.is_empty() {
            write!(f, ", driver {driver}")?;
        }
        if !self.compute {
            write!(f, ", no compute shaders")?;
        }
        write!(f, "]")
    }
}

/// A short, stable name for a device type.
pub fn device_type_name(t: wgpu::DeviceType) -> &'static str {
    match t {
        wgpu::DeviceType::DiscreteGpu => "discrete GPU",
        wgpu::DeviceType::IntegratedGpu => "integrated GPU",
        wgpu::DeviceType::VirtualGpu => "virtual GPU",
        wgpu::DeviceType::Cpu => "software (CPU)",
        wgpu::DeviceType::Other => "other",
    }
}

/// Rank of a device type, lower preferred: real GPUs first (discrete, integrated, virtual), a
/// software rasteriser such as lavapipe last, because it is only a stand-in for tests.
fn device_type_rank(t: wgpu::DeviceType) -> u8 {
    match t {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Other => 3,
        wgpu::DeviceType::Cpu => 4,
    }
}

/// Rank of a backend among adapters of the same type: the native compute APIs before GL.
fn backend_rank(b: wgpu::Backend) -> u8 {
    match b {
        wgpu::Backend::Vulkan | wgpu::Backend::Metal | wgpu::Backend::Dx12 => 0,
        wgpu::Backend::Gl => 1,
        _ => 2,
    }
}

/// Picks an adapter among `adapters`: only those that run compute shaders and, when `name` is
/// given, whose name contains it (case-insensitively); among those the best device type, then
/// the best backend, then the first enumerated. Pure, so the policy is tested without a GPU.
pub fn choose_adapter(adapters: &[AdapterSummary], name: Option<&str>) -> Option<usize> {
    let wanted = name.map(str::to_lowercase);
    adapters
        .iter()
        .enumerate()
        .filter(|(_, a)| a.compute)
        .filter(|(_, a)| {
            wanted
                .as_deref()
                .is_none_or(|w| a.name.to_lowercase().contains(w))
        })
        // `min_by_key` keeps the first of equal keys: enumeration order breaks ties.
        .min_by_key(|(_, a)| (device_type_rank(a.device_type), backend_rank(a.backend)))
        .map(|(i, _)| i)
}

/// Every adapter on the requested backends, in enumeration order, with the one
/// [`GpuContext::new`] would pick marked `selected`. Empty when there is none.
pub fn list_adapters(request: &AdapterRequest) -> Vec<AdapterSummary> {
    let instance = new_instance(request.backends);
    let adapters = pollster::block_on(instance.enumerate_adapters(request.backends));
    let mut summaries: Vec<AdapterSummary> = adapters.iter().map(AdapterSummary::of).collect();
    if let Some(i) = choose_adapter(&summaries, request.name.as_deref()) {
        summaries[i].selected = true;
    }
    summaries
}

fn new_instance(backends: wgpu::Backends) -> wgpu::Instance {
    // Debug and validation flags still come from the environment (`WGPU_DEBUG`, `WGPU_VALIDATION`).
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
    desc.backends = backends;
    wgpu::Instance::new(desc)
}

/// Errors the device raised outside any error scope, and whether it was lost. Written by wgpu's
/// callbacks (any thread), read by [`GpuContext::check`].
#[derive(Debug, Default)]
struct ErrorSink {
    uncaptured: Mutex<Vec<wgpu::Error>>,
    lost: Mutex<Option<(wgpu::DeviceLostReason, String)>>,
}

/// Locks a mutex even if a thread panicked while holding it: the data is a list of messages,
/// still meaningful, and error reporting must not itself panic.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The device and everything needed to use it: created once, in [`GpuContext::new`].
#[derive(Debug)]
pub struct GpuContext {
    pub instance: wgpu::Instance,
    pub adapter: wgpu::Adapter,
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    /// The adapter's description (name, backend, type, driver).
    pub info: wgpu::AdapterInfo,
    /// The limits the device was created with: the adapter's own, so large chunks are possible.
    pub limits: wgpu::Limits,
    errors: Arc<ErrorSink>,
}

impl GpuContext {
    /// Opens the adapter the environment asks for (see [`AdapterRequest::from_env`]).
    pub fn new() -> Result<Self, GpuError> {
        Self::with_request(&AdapterRequest::from_env())
    }

    /// Opens the adapter `request` asks for, blocking until the device is ready.
    pub fn with_request(request: &AdapterRequest) -> Result<Self, GpuError> {
        pollster::block_on(Self::open(request))
    }

    async fn open(request: &AdapterRequest) -> Result<Self, GpuError> {
        if request.backends.is_empty() {
            return Err(GpuError::NoAdapter(format!(
                "{BACKEND_ENV} names no backend this build supports"
            )));
        }
        let instance = new_instance(request.backends);
        let mut adapters = instance.enumerate_adapters(request.backends).await;
        let summaries: Vec<AdapterSummary> = adapters.iter().map(AdapterSummary::of).collect();
        let Some(index) = choose_adapter(&summaries, request.name.as_deref()) else {
            return Err(GpuError::NoAdapter(no_adapter_message(request, &summaries)));
        };
        let adapter = adapters.swap_remove(index);
        let info = adapter.get_info();
        let limits = adapter.limits();
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("undertow"),
                required_features: wgpu::Features::empty(),
                required_limits: limits.clone(),
                experimental_features: wgpu::ExperimentalFeatures::disabled(),
                memory_hints: wgpu::MemoryHints::Performance,
                trace: wgpu::Trace::Off,
            })
            .await
            .map_err(|source| GpuError::RequestDevice {
                adapter: info.name.clone(),
                source,
            })?;

        let errors = Arc::new(ErrorSink::default());
        // Without this handler, an error raised outside an error scope panics inside wgpu.
        let sink = Arc::clone(&errors);
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            lock(&sink.uncaptured).push(e);
        }));
        let sink = Arc::clone(&errors);
        device.set_device_lost_callback(move |reason, message| {
            *lock(&sink.lost) = Some((reason, message));
        });

        Ok(Self {
            instance,
            adapter,
            device,
            queue,
            info,
            limits,
            errors,
        })
    }

    /// The adapter, summarised as `undertow devices` shows it.
    pub fn summary(&self) -> AdapterSummary {
        AdapterSummary {
            selected: true,
            ..AdapterSummary::of(&self.adapter)
        }
    }

    /// The limits that matter to the chunk planner.
    pub fn chunk_limits(&self) -> ChunkLimits {
        ChunkLimits::from_wgpu(&self.limits)
    }

    /// Fails if the device was lost or raised an error outside any scope since the last check
    /// (the first such error is returned, the rest dropped). `context` says what was being done.
    pub fn check(&self, context: &str) -> Result<(), GpuError> {
        if let Some((reason, message)) = lock(&self.errors.lost).clone() {
            return Err(GpuError::DeviceLost {
                reason: format!("{reason:?}"),
                message,
            });
        }
        let mut uncaptured = lock(&self.errors.uncaptured);
        if uncaptured.is_empty() {
            return Ok(());
        }
        let first = uncaptured.remove(0);
        uncaptured.clear();
        Err(from_wgpu_error(first, context))
    }

    /// Runs `f` inside error scopes and returns its result, or the first validation,
    /// out-of-memory or internal error its wgpu calls raised. Use it around anything that can be
    /// rejected: shader and pipeline creation, buffer creation, encoding and submission.
    ///
    /// wgpu 30's error scopes are per thread: `f` must make its wgpu calls on this thread.
    pub fn scoped<T>(&self, context: &str, f: impl FnOnce() -> T) -> Result<T, GpuError> {
        let oom = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let internal = self.device.push_error_scope(wgpu::ErrorFilter::Internal);
        let validation = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let value = f();
        // Scopes pop innermost first. Popping resolves at once on native backends.
        let errors = [
            pollster::block_on(validation.pop()),
            pollster::block_on(internal.pop()),
            pollster::block_on(oom.pop()),
        ];
        if let Some(e) = errors.into_iter().flatten().next() {
            return Err(from_wgpu_error(e, context));
        }
        self.check(context)?;
        Ok(value)
    }

    /// Finishes `encoder` and submits it, reporting any error in the recorded commands.
    pub fn submit(
        &self,
        context: &str,
        encoder: wgpu::CommandEncoder,
    ) -> Result<wgpu::SubmissionIndex, GpuError> {
        self.scoped(context, || self.queue.submit([encoder.finish()]))
    }

    /// Blocks until the work of `submission` (or, with `None`, everything submitted) is done.
    pub fn wait(&self, submission: Option<wgpu::SubmissionIndex>) -> Result<(), GpuError> {
        self.device.poll(wgpu::PollType::Wait {
            submission_index: submission,
            timeout: None,
        })?;
        self.check("waiting for submitted work")
    }
}

// The context is shared across threads (rayon workers, a progress thread): keep it Send + Sync.
const _: fn() = || {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<GpuContext>();
    assert_send_sync::<GpuError>();
};

fn no_adapter_message(request: &AdapterRequest, found: &[AdapterSummary]) -> String {
    let mut msg = format!("none on backends {:?}", request.backends);
    if let Some(name) = &request.name {
        msg.push_str(&format!(
            " whose name contains `{name}` ({ADAPTER_NAME_ENV})"
        ));
    }
    msg.push_str(" that runs compute shaders");
    if found.is_empty() {
        msg.push_str("; no adapters found at all (on Linux CI, install Mesa's lavapipe: mesa-vulkan-drivers)");
    } else {
        msg.push_str("; found: ");
        let list: Vec<String> = found.iter().map(ToString::to_string).collect();
        msg.push_str(&list.join("; "));
    }
    msg
}

fn from_wgpu_error(e: wgpu::Error, context: &str) -> GpuError {
    let context = context.to_owned();
    match e {
        wgpu::Error::Validation { description, .. } => GpuError::Validation {
            context,
            message: description,
        },
        wgpu::Error::OutOfMemory { source } => GpuError::OutOfMemory {
            context,
            message: source.to_string(),
        },
        wgpu::Error::Internal { description, .. } => GpuError::Internal {
            context,
            message: description,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adapter(name: &str, backend: wgpu::Backend, t: wgpu::DeviceType) -> AdapterSummary {
        AdapterSummary {
            name: name.into(),
            backend,
            device_type: t,
            driver: String::new(),
            driver_info: String::new(),
            compute: true,
            selected: false,
        }
    }

    #[test]
    fn prefers_real_gpus_over_software() {
        use wgpu::{Backend::*, DeviceType::*};
        let found = [
            adapter("llvmpipe (LLVM 15)", Vulkan, Cpu),
            adapter("Intel UHD 770", Vulkan, IntegratedGpu),
            adapter("NVIDIA H100", Vulkan, DiscreteGpu),
            adapter("virtio", Vulkan, VirtualGpu),
        ];
        assert_eq!(choose_adapter(&found, None), Some(2));
        assert_eq!(choose_adapter(&found[..2], None), Some(1));
        assert_eq!(
            choose_adapter(&[found[0].clone(), found[3].clone()], None),
            Some(1)
        );
        assert_eq!(
            choose_adapter(&found[..1], None),
            Some(0),
            "software beats nothing"
        );
    }

    #[test]
    fn name_filter_is_a_case_insensitive_substring_and_overrides_preference() {
        use wgpu::{Backend::*, DeviceType::*};
        let found = [
            adapter("NVIDIA H100", Vulkan, DiscreteGpu),
            adapter("llvmpipe (LLVM 15)", Vulkan, Cpu),
        ];
        assert_eq!(choose_adapter(&found, Some("LLVMPIPE")), Some(1));
        assert_eq!(choose_adapter(&found, Some("h100")), Some(0));
        assert_eq!(choose_adapter(&found, Some("radeon")), None);
    }

    #[test]
    fn skips_adapters_without_compute_and_prefers_native_backends() {
        use wgpu::{Backend::*, DeviceType::*};
        let mut gl_only = adapter("Mesa GL", Gl, DiscreteGpu);
        assert_eq!(
            choose_adapter(std::slice::from_ref(&gl_only), None),
            Some(0)
        );
        gl_only.compute = false;
        assert_eq!(choose_adapter(std::slice::from_ref(&gl_only), None), None);
        let found = [
            adapter("AMD RX (GL)", Gl, DiscreteGpu),
            adapter("AMD RX (Vulkan)", Vulkan, DiscreteGpu),
        ];
        assert_eq!(choose_adapter(&found, None), Some(1));
    }

    #[test]
    fn ties_go_to_the_first_enumerated() {
        use wgpu::{Backend::*, DeviceType::*};
        let found = [
            adapter("GPU 0", Vulkan, DiscreteGpu),
            adapter("GPU 1", Vulkan, DiscreteGpu),
        ];
        assert_eq!(choose_adapter(&found, None), Some(0));
    }

    #[test]
    fn no_adapter_message_lists_what_was_found() {
        use wgpu::{Backend::*, DeviceType::*};
        let request = AdapterRequest {
            backends: wgpu::Backends::VULKAN,
            name: Some("h100".into()),
        };
        let msg = no_adapter_message(&request, &[adapter("llvmpipe", Vulkan, Cpu)]);
        assert!(msg.contains("h100") && msg.contains("llvmpipe"), "{msg}");
        let msg = no_adapter_message(&request, &[]);
        assert!(msg.contains("lavapipe"), "{msg}");
    }
}
