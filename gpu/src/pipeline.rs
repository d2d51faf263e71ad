//! Compute pipelines from the shader crate's [`PipelineSpec`]s, and bind groups for them, with
//! shader and binding mistakes returned as [`GpuError::Validation`] instead of panicking.
//!
//! Pipelines use wgpu's automatic layout (derived from the shader's bindings), so a stage's
//! bindings are declared once, in its WGSL.

use undertow_shaders::PipelineSpec;

use super::device::{GpuContext, GpuError};

/// A compiled compute pipeline and the spec it came from (entry point, workgroup size).
#[derive(Debug)]
pub struct ComputeKernel {
    pub spec: PipelineSpec,
    pub pipeline: wgpu::ComputePipeline,
}

impl ComputeKernel {
    /// Composes, compiles and links `spec`'s module. A shader that does not validate comes back
    /// as [`GpuError::Validation`] carrying naga's diagnostic.
    pub fn new(ctx: &GpuContext, spec: &PipelineSpec) -> Result<Self, GpuError> {
        let source = spec.source();
        let pipeline = ctx.scoped(&format!("building pipeline `{}`", spec.name), || {
            let module = ctx
                .device
                .create_shader_module(wgpu::ShaderModuleDescriptor {
                    label: Some(spec.name),
                    source: wgpu::ShaderSource::Wgsl(source.into()),
                });
            ctx.device
                .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                    label: Some(spec.name),
                    layout: None,
                    module: &module,
                    entry_point: Some(spec.entry_point),
                    compilation_options: wgpu::PipelineCompilationOptions::default(),
                    cache: None,
                })
        })?;
        Ok(Self {
            spec: *spec,
            pipeline,
        })
    }

    /// A bind group for group `group` binding `resources[i]` at binding `i`.
    pub fn bind_group(
        &self,
        ctx: &GpuContext,
        group: u32,
        resources: &[wgpu::BindingResource<'_>],
    ) -> Result<wgpu::BindGroup, GpuError> {
        let label = format!("{} group {group}", self.spec.name);
        ctx.scoped(&format!("binding `{label}`"), || {
            let layout = self.pipeline.get_bind_group_layout(group);
            let entries: Vec<wgpu::BindGroupEntry<'_>> = resources
                .iter()
                .enumerate()
                .map(|(i, resource)| wgpu::BindGroupEntry {
                    binding: i as u32,
                    resource: resource.clone(),
                })
                .collect();
            ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some(&label),
                layout: &layout,
                entries: &entries,
            })
        })
    }

    /// Workgroups needed for `invocations` invocations along x, refused when above the device's
    /// per-dimension limit (the chunk planner keeps chunks below it).
    pub fn workgroups_for(&self, ctx: &GpuContext, invocations: u32) -> Result<u32, GpuError> {
        let groups = invocations.div_ceil(self.spec.workgroup_size);
        let limit = ctx.limits.max_compute_workgroups_per_dimension;
        if groups > limit {
            return Err(GpuError::Limit {
                what: format!(
                    "dispatching `{}` over {invocations} invocations",
                    self.spec.name
                ),
                needed: u64::from(groups),
                limit_name: "max_compute_workgroups_per_dimension",
                limit: u64::from(limit),
            });
        }
        Ok(groups)
    }
}
