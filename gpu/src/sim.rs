//! The GPU backend of the simulation: the WGSL twin of the kernel, one dispatch per stage per
//! simulated day, every day of a chunk recorded in one submission.
//!
//! Scenario state lives in one storage buffer per chunk, structure-of-arrays
//! (`word = slot * chunk_count + scenario`). Buffers are sized for the largest chunk the planner
//! allows and reused chunk after chunk, so memory stays bounded whatever the scenario count.

use undertow_kernel::layout::Layout;
use undertow_kernel::liquidation::{BISECTION_STEPS, MIN_COST_STEPS, NET_TO_GROSS_STEPS};
use undertow_kernel::params::strategy;
use undertow_kernel::{FundModel, ScenarioOutput, ScenarioParams};
use undertow_shaders::{compose, simulation, PipelineSpec, SIMULATION_MODULES};

use super::buffers::{storage_from_slice, storage_zeroed};
use super::device::{GpuContext, GpuError};
use super::plan::{plan_chunks, ChunkLimits, ChunkRequest, PerScenarioBuffer};
use super::readback::read_buffer_range;
use undertow_host::cpu::key_of;

/// Loop iterations one invocation of one stage may run. lavapipe silently stops a loop after
/// 65,535 iterations per invocation (all loops together); the margin covers estimate error.
pub const LOOP_BUDGET: u64 = 60_000;

/// Workgroup size of every simulation entry point (`WORKGROUP` in `simulate.wgsl`).
pub const WORKGROUP: u32 = 64;

/// Per-dispatch header: which chunk, which day. WGSL twin: `Dispatch` in `ctx.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct Dispatch {
    pub n: u32,
    pub first_index: u32,
    pub key_lo: u32,
    pub key_hi: u32,
    pub day: u32,
    pub days: u32,
    pub _pad0: u32,
    pub _pad1: u32,
}

const _: () = assert!(std::mem::size_of::<Dispatch>() == 32);

/// An upper bound on the loop iterations of the busiest stage for one scenario-day, counting the
/// Philox rounds inside each draw. Pure, so it is tested without a GPU.
pub fn stage_loop_estimate(model: &FundModel) -> u64 {
    let p = &model.params;
    let positions = p.n_positions as u64;
    let holders = (p.n_segments + p.n_large) as u64;
    let ring = p.ring as u64;
    let philox = 10;
    let market = positions * (2 * philox + 2);
    let investors = 3 * positions + 2 * ring + holders * (2 * ring + philox + 2) + 8 * ring;
    let liquidation = liquidation_passes(p.strategy) * positions + 8 * ring + 16;
    let metrics = 6 * positions + holders * (ring + 1) + 8 * ring + 64;
    let init = Layout::new(p).len as u64 + positions + holders;
    market
        .max(investors)
        .max(liquidation)
        .max(metrics)
        .max(init)
        + 64
}

/// The liquidation stage's passes over the positions on a day with something to sell
/// (`liquidation.wgsl`): the terms, the caps, the swing estimate and the booking, plus the
/// strategy's own. `min_cost`: the bracket's ends, its net proceeds at the top,
/// [`MIN_COST_STEPS`] steps and the allocation; `pro_rata`: its two ends, [`BISECTION_STEPS`]
/// steps and the allocation; `balanced`: four passes for the style-drift caps, then `min_cost`;
/// `waterfall`: two sweeps, each position at most one net-to-gross inversion.
pub fn liquidation_passes(strategy_code: u32) -> u64 {
    let min_cost = MIN_COST_STEPS as u64 + 3;
    let own = match strategy_code {
        strategy::WATERFALL => 2 + NET_TO_GROSS_STEPS as u64,
        strategy::BALANCED => 4 + min_cost,
        strategy::PRO_RATA => BISECTION_STEPS as u64 + 3,
        _ => min_cost,
    };
    4 + own
}

/// The per-scenario buffers of a simulation chunk: state, scenario parameters, outputs.
pub fn per_scenario_buffers(model: &FundModel) -> [PerScenarioBuffer; 3] {
    let lay = Layout::new(&model.params);
    [
        PerScenarioBuffer {
            name: "state",
            bytes_per_scenario: lay.len as u64 * 4,
        },
        PerScenarioBuffer {
            name: "scenarios",
            bytes_per_scenario: size_of::<ScenarioParams>() as u64,
        },
        PerScenarioBuffer {
            name: "outputs",
            bytes_per_scenario: size_of::<ScenarioOutput>() as u64,
        },
    ]
}

/// The chunks a run of `n` scenarios of `model` takes on a device with `limits`. Pure: the
/// tests plan a million scenarios against real devices' limits without a GPU.
pub fn plan_simulation(
    model: &FundModel,
    n: u32,
    limits: ChunkLimits,
    max_scenarios_per_chunk: Option<u32>,
) -> Result<Vec<super::plan::Chunk>, GpuError> {
    let buffers = per_scenario_buffers(model);
    Ok(plan_chunks(&ChunkRequest {
        n_scenarios: n,
        buffers: &buffers,
        workgroup_size: WORKGROUP,
        limits,
        max_scenarios_per_chunk,
    })?)
}

/// Options of a GPU run.
#[derive(Clone, Copy, Debug, Default)]
pub struct GpuRunOptions {
    /// Plan chunks against these limits instead of the device's (tests exercise chunking with
    /// artificially small limits).
    pub limits: Option<ChunkLimits>,
    /// At most this many scenarios per chunk.
    pub max_scenarios_per_chunk: Option<u32>,
    /// Diagnostic: run every day of a chunk in a single dispatch. For a fund large enough (the
    /// tests split the example into 100 positions; lavapipe unrolls the fixed-step loops, so the
    /// 16-position example stays under the cap) this exceeds lavapipe's loop cap and returns
    /// wrong numbers without an error, which the CPU comparison must catch.
    pub single_dispatch: bool,
    /// Fault injection (tests, and the documented debug variable [`FAIL_CHUNK_ENV`]): chunk
    /// `k` of each call (from 0) fails before dispatch with an injected
    /// [`GpuError::DeviceLost`], wrapped in [`GpuError::Chunk`] like a real failure.
    pub fail_chunk: Option<usize>,
}

/// Debug variable: inject a device loss at this chunk of every GPU call (see
/// [`GpuRunOptions::fail_chunk`]). Unset in production; read by [`GpuRunOptions::from_env`].
pub const FAIL_CHUNK_ENV: &str = "UNDERTOW_GPU_FAIL_CHUNK";
/// Debug variable: at most this many scenarios per GPU chunk, so that small runs have several
/// chunks (see [`GpuRunOptions::max_scenarios_per_chunk`]).
pub const MAX_CHUNK_ENV: &str = "UNDERTOW_GPU_MAX_CHUNK";

impl GpuRunOptions {
    /// The default options with the debug variables [`FAIL_CHUNK_ENV`] and [`MAX_CHUNK_ENV`]
    /// applied; both unset gives exactly the defaults. A value that is not a number is an error
    /// naming the variable and the value.
    pub fn from_env() -> Result<GpuRunOptions, String> {
        fn read<T: std::str::FromStr>(name: &str) -> Result<Option<T>, String> {
            match std::env::var(name) {
                Err(_) => Ok(None),
                Ok(v) => v.trim().parse().map(Some).map_err(|_| {
                    format!("environment variable {name}: {v:?} is not a non-negative integer")
                }),
            }
        }
        let max: Option<u32> = read(MAX_CHUNK_ENV)?;
        if max == Some(0) {
            return Err(format!(
                "environment variable {MAX_CHUNK_ENV}: 0 (must be at least 1)"
            ));
        }
        Ok(GpuRunOptions {
            fail_chunk: read(FAIL_CHUNK_ENV)?,
            max_scenarios_per_chunk: max,
            ..GpuRunOptions::default()
        })
    }
}

/// The simulation pipelines on one device.
pub struct GpuSimulator {
    pub ctx: GpuContext,
    layout: wgpu::BindGroupLayout,
    init: wgpu::ComputePipeline,
    day: Vec<wgpu::ComputePipeline>,
    finish: wgpu::ComputePipeline,
    whole_run: wgpu::ComputePipeline,
    /// The options of runs through the [`undertow_host::backend::Backend`] trait.
    pub(crate) backend_options: GpuRunOptions,
}

fn whole(b: &wgpu::Buffer) -> wgpu::BindingResource<'_> {
    b.as_entire_binding()
}

fn entry(binding: u32, kind: wgpu::BufferBindingType, dynamic: bool) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty: kind,
            has_dynamic_offset: dynamic,
            min_binding_size: None,
        },
        count: None,
    }
}

impl GpuSimulator {
    /// Compiles the simulation module and its pipelines (once; outside any timed loop).
    pub fn new(ctx: GpuContext) -> Result<GpuSimulator, GpuError> {
        let source = compose(SIMULATION_MODULES);
        let read = wgpu::BufferBindingType::Storage { read_only: true };
        let write = wgpu::BufferBindingType::Storage { read_only: false };
        let uniform = wgpu::BufferBindingType::Uniform;
        let (layout, pipelines) = ctx.scoped("compiling the simulation shaders", || {
            let module = ctx
                .device
                .create_shader_module(wgpu::ShaderModuleDescriptor {
                    label: Some("undertow simulation"),
                    source: wgpu::ShaderSource::Wgsl(source.into()),
                });
            let layout = ctx
                .device
                .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                    label: Some("undertow simulation bindings"),
                    entries: &[
                        entry(0, read, false),
                        entry(1, read, false),
                        entry(2, read, false),
                        entry(3, read, false),
                        entry(4, read, false),
                        entry(5, read, false),
                        entry(6, write, false),
                        entry(7, write, false),
                        entry(8, read, false),
                        entry(9, uniform, true),
                    ],
                });
            let pipeline_layout =
                ctx.device
                    .create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                        label: Some("undertow simulation"),
                        bind_group_layouts: &[Some(&layout)],
                        immediate_size: 0,
                    });
            let make = |spec: &PipelineSpec| {
                ctx.device
                    .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                        label: Some(spec.name),
                        layout: Some(&pipeline_layout),
                        module: &module,
                        entry_point: Some(spec.entry_point),
                        compilation_options: Default::default(),
                        cache: None,
                    })
            };
            let day: Vec<_> = simulation::DAY.iter().map(make).collect();
            let pipelines = (
                make(&simulation::INIT),
                day,
                make(&simulation::FINISH),
                make(&simulation::WHOLE_RUN),
            );
            (layout, pipelines)
        })?;
        let (init, day, finish, whole_run) = pipelines;
        Ok(GpuSimulator {
            ctx,
            layout,
            init,
            day,
            finish,
            whole_run,
            backend_options: GpuRunOptions::default(),
        })
    }

    /// The same simulator, its runs through the `Backend` trait using `opts` (chunk limits,
    /// fault injection).
    pub fn with_backend_options(mut self, opts: GpuRunOptions) -> GpuSimulator {
        self.backend_options = opts;
        self
    }

    /// Simulates `scenarios` (the first has index `first_index`) for `seed`.
    pub fn run(
        &self,
        model: &FundModel,
        scenarios: &[ScenarioParams],
        first_index: u64,
        seed: u64,
        opts: &GpuRunOptions,
    ) -> Result<Vec<ScenarioOutput>, GpuError> {
        let ctx = &self.ctx;
        if scenarios.is_empty() {
            return Ok(Vec::new());
        }
        check_loop_budget(model, opts)?;
        let limits = opts.limits.unwrap_or_else(|| ctx.chunk_limits());
        let chunks = plan_simulation(
            model,
            scenarios.len() as u32,
            limits,
            opts.max_scenarios_per_chunk,
        )?;
        let capacity = chunks.iter().map(|c| c.count).max().unwrap_or(0) as u64;
        let bufs = self.buffers(model, capacity)?;
        let key = key_of(seed);
        let mut results = Vec::with_capacity(scenarios.len());
        for (index, chunk) in chunks.iter().enumerate() {
            let range = chunk.start as usize..(chunk.start + chunk.count) as usize;
            let first = first_index + chunk.start as u64;
            let in_chunk = |source: GpuError| GpuError::Chunk {
                index,
                first_scenario: first,
                count: chunk.count,
                source: Box::new(source),
            };
            if opts.fail_chunk == Some(index) {
                return Err(in_chunk(GpuError::DeviceLost {
                    reason: "injected".into(),
                    message: format!("fault injected at chunk {index} ({FAIL_CHUNK_ENV})"),
                }));
            }
            let outs = self
                .run_chunk(&bufs, &scenarios[range], first as u32, key, opts)
                .map_err(in_chunk)?;
            results.extend(outs);
        }
        Ok(results)
    }

    /// The buffers of one run, sized for `capacity` scenarios, bound to the pipelines' layout.
    fn buffers(&self, model: &FundModel, capacity: u64) -> Result<RunBuffers, GpuError> {
        let ctx = &self.ctx;
        let lay = Layout::new(&model.params);
        let per_scenario = per_scenario_buffers(model);
        let fund = storage_from_slice(ctx, "fund", std::slice::from_ref(&model.params))?;
        let positions = storage_from_slice(ctx, "positions", &model.positions)?;
        let segments = storage_from_slice(ctx, "segments", &model.segments)?;
        let large = storage_from_slice(ctx, "large investors", &model.large)?;
        let order = storage_from_slice(ctx, "waterfall order", &model.waterfall_order)?;
        let layout_record = storage_from_slice(ctx, "layout", std::slice::from_ref(&lay))?;
        let scenario_buf = storage_zeroed(
            ctx,
            "scenarios",
            capacity * per_scenario[1].bytes_per_scenario,
        )?;
        let state = storage_zeroed(ctx, "state", capacity * per_scenario[0].bytes_per_scenario)?;
        let outputs = storage_zeroed(
            ctx,
            "outputs",
            capacity * per_scenario[2].bytes_per_scenario,
        )?;

        // One header per day at the device's uniform offset alignment, bound with a dynamic offset.
        let horizon = model.params.horizon;
        let stride = (size_of::<Dispatch>() as u64)
            .next_multiple_of(ctx.limits.min_uniform_buffer_offset_alignment.max(4) as u64);
        let header_count = horizon.max(1) as u64;
        let headers = ctx.scoped("creating the dispatch headers", || {
            ctx.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("dispatch headers"),
                size: stride * header_count,
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        })?;
        let bound = [
            &fund,
            &positions,
            &segments,
            &large,
            &order,
            &scenario_buf,
            &state,
            &outputs,
            &layout_record,
        ];
        let bind_group = ctx.scoped("binding the simulation buffers", || {
            let mut entries: Vec<wgpu::BindGroupEntry> = bound
                .iter()
                .enumerate()
                .map(|(binding, b)| wgpu::BindGroupEntry {
                    binding: binding as u32,
                    resource: whole(b),
                })
                .collect();
            entries.push(wgpu::BindGroupEntry {
                binding: 9,
                resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                    buffer: &headers,
                    offset: 0,
                    size: wgpu::BufferSize::new(size_of::<Dispatch>() as u64),
                }),
            });
            ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("undertow simulation"),
                layout: &self.layout,
                entries: &entries,
            })
        })?;
        Ok(RunBuffers {
            scenarios: scenario_buf,
            outputs,
            headers,
            stride,
            horizon,
            bind_group,
            _kept: vec![
                fund,
                positions,
                segments,
                large,
                order,
                state,
                layout_record,
            ],
        })
    }

    /// Simulates one chunk (`scenarios`, the first with index `first_index`) and reads its
    /// outputs back.
    fn run_chunk(
        &self,
        bufs: &RunBuffers,
        scenarios: &[ScenarioParams],
        first_index: u32,
        key: [u32; 2],
        opts: &GpuRunOptions,
    ) -> Result<Vec<ScenarioOutput>, GpuError> {
        let ctx = &self.ctx;
        let count = scenarios.len() as u32;
        let (stride, horizon) = (bufs.stride, bufs.horizon);
        let header_count = horizon.max(1) as u64;
        ctx.queue
            .write_buffer(&bufs.scenarios, 0, bytemuck::cast_slice(scenarios));
        let mut bytes = vec![0u8; (stride * header_count) as usize];
        for t in 0..header_count as u32 {
            let d = Dispatch {
                n: count,
                first_index,
                key_lo: key[0],
                key_hi: key[1],
                day: t,
                days: if opts.single_dispatch { horizon } else { 1 },
                ..Default::default()
            };
            let at = (t as u64 * stride) as usize;
            bytes[at..at + size_of::<Dispatch>()].copy_from_slice(bytemuck::bytes_of(&d));
        }
        ctx.queue.write_buffer(&bufs.headers, 0, &bytes);

        let groups = count.div_ceil(WORKGROUP);
        let mut encoder = ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("chunk"),
            });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("chunk"),
                timestamp_writes: None,
            });
            let mut dispatch = |pipeline: &wgpu::ComputePipeline, day: u32| {
                pass.set_pipeline(pipeline);
                pass.set_bind_group(0, &bufs.bind_group, &[(day as u64 * stride) as u32]);
                pass.dispatch_workgroups(groups, 1, 1);
            };
            dispatch(&self.init, 0);
            if opts.single_dispatch {
                dispatch(&self.whole_run, 0);
            } else {
                for t in 0..horizon {
                    for stage in &self.day {
                        dispatch(stage, t);
                    }
                }
            }
            dispatch(&self.finish, 0);
        }
        let submission = ctx.submit("simulating a chunk", encoder)?;
        ctx.wait(Some(submission))?;
        read_buffer_range::<ScenarioOutput>(ctx, &bufs.outputs, 0, count as u64)
    }
}

/// Refuses a model whose busiest stage would run more loop iterations per invocation than
/// lavapipe allows, unless the run is one dispatch anyway.
fn check_loop_budget(model: &FundModel, opts: &GpuRunOptions) -> Result<(), GpuError> {
    let estimate = stage_loop_estimate(model);
    if estimate > LOOP_BUDGET && !opts.single_dispatch {
        return Err(GpuError::Limit {
            what: format!(
                "one stage of one scenario-day ({} positions, {} holders)",
                model.params.n_positions,
                model.params.n_segments + model.params.n_large
            ),
            needed: estimate,
            limit_name: "loop iterations per invocation (lavapipe stops loops at 65,535)",
            limit: LOOP_BUDGET,
        });
    }
    Ok(())
}

/// The buffers of one run, reused chunk after chunk.
struct RunBuffers {
    /// The chunk's scenario records, written before each chunk.
    scenarios: wgpu::Buffer,
    /// The chunk's output records, read back after each chunk.
    outputs: wgpu::Buffer,
    /// One dispatch header per day, `stride` bytes apart.
    headers: wgpu::Buffer,
    stride: u64,
    horizon: u32,
    bind_group: wgpu::BindGroup,
    /// The other bound buffers, alive as long as the bind group is used.
    _kept: Vec<wgpu::Buffer>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use undertow_kernel::testing::{fund, position, quiet_params};

    #[test]
    fn a_million_example_scenarios_fit_lavapipe_and_h100_limits() {
        let model = undertow_host::fund::example_fund().model;
        let lavapipe = ChunkLimits {
            max_storage_buffer_binding_size: 128 << 20,
            max_buffer_size: (2 << 30) - 1,
            max_workgroups_per_dim: 65_535,
        };
        let h100 = ChunkLimits {
            max_storage_buffer_binding_size: (4 << 30) - 4,
            max_buffer_size: 1 << 40,
            max_workgroups_per_dim: 65_535,
        };
        let bytes = per_scenario_buffers(&model);
        for limits in [lavapipe, h100] {
            let chunks = plan_simulation(&model, 1_000_000, limits, None).unwrap();
            assert_eq!(
                chunks.iter().map(|c| c.count as u64).sum::<u64>(),
                1_000_000
            );
            let mut next = 0;
            for c in &chunks {
                assert_eq!(c.start, next);
                next += c.count;
                assert!(c.count.div_ceil(WORKGROUP) <= limits.max_workgroups_per_dim);
                for b in &bytes {
                    let size = b.bytes_per_scenario * c.count as u64;
                    assert!(size <= limits.max_storage_buffer_binding_size);
                    assert!(size <= limits.max_buffer_size);
                }
            }
        }
    }

    #[test]
    fn loop_estimate_grows_with_positions_and_guards_large_funds() {
        let small = fund(
            quiet_params(90),
            0.1,
            (0..16)
                .map(|_| position(0.9 / 16.0, 1.0, 0.001, 0.01, 0.5))
                .collect(),
            vec![],
        );
        let big = fund(
            quiet_params(90),
            0.1,
            (0..4000)
                .map(|_| position(0.9 / 4000.0, 1.0, 0.001, 0.01, 0.5))
                .collect(),
            vec![],
        );
        assert!(stage_loop_estimate(&small) < LOOP_BUDGET / 10);
        assert!(stage_loop_estimate(&big) > LOOP_BUDGET);
        assert!(stage_loop_estimate(&big) > stage_loop_estimate(&small));
    }

    /// Each strategy's passes are counted: `balanced` runs four of its own before `min_cost`'s.
    /// All of them now stay below the market stage's 22 passes a position, so that stage bounds
    /// every strategy alike: 2,700 positions fit with each, 2,800 with none.
    #[test]
    fn loop_estimate_counts_each_strategys_passes() {
        let with = |code: u32, n: usize| {
            let mut p = quiet_params(90);
            p.strategy = code;
            let positions = (0..n)
                .map(|_| position(0.9 / n as f32, 1.0, 0.001, 0.01, 0.5))
                .collect();
            stage_loop_estimate(&fund(p, 0.1, positions, vec![]))
        };
        assert_eq!(liquidation_passes(strategy::MIN_COST), 17);
        assert_eq!(liquidation_passes(strategy::PRO_RATA), 19);
        assert_eq!(liquidation_passes(strategy::BALANCED), 21);
        assert_eq!(liquidation_passes(strategy::WATERFALL), 14);
        for code in [
            strategy::MIN_COST,
            strategy::PRO_RATA,
            strategy::BALANCED,
            strategy::WATERFALL,
        ] {
            assert!(liquidation_passes(code) < 22, "strategy {code}");
            assert!(with(code, 2_700) <= LOOP_BUDGET, "strategy {code}");
            assert!(with(code, 2_800) > LOOP_BUDGET, "strategy {code}");
        }
    }
}
