//! Small helpers that create the buffers a compute pass binds, from `Pod` data, with their size
//! checked against the device's limits first and any rejection returned as a [`GpuError`].

use bytemuck::Pod;

use super::device::{GpuContext, GpuError};

/// Usage of every storage buffer the helpers create: bindable, and copyable both ways so that it
/// can be filled, cleared, copied out of a chunk and read back.
pub const STORAGE_USAGE: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE
    .union(wgpu::BufferUsages::COPY_SRC)
    .union(wgpu::BufferUsages::COPY_DST);

/// Rounds a size up to wgpu's copy alignment (4 bytes), the granularity buffers are sized in.
pub fn align_to_copy(bytes: u64) -> u64 {
    bytes.next_multiple_of(wgpu::COPY_BUFFER_ALIGNMENT)
}

/// A storage buffer holding `data`. An empty slice still gets one zeroed element, because a
/// binding may not be empty (a fund with no large investors still binds their array).
pub fn storage_from_slice<T: Pod>(
    ctx: &GpuContext,
    label: &str,
    data: &[T],
) -> Result<wgpu::Buffer, GpuError> {
    let bytes: &[u8] = bytemuck::cast_slice(data);
    let size = align_to_copy((bytes.len() as u64).max(size_of::<T>() as u64).max(4));
    buffer_with_contents(ctx, label, bytes, size, STORAGE_USAGE)
}

/// A zeroed storage buffer of at least `bytes` bytes (rounded up to the copy alignment; never
/// empty). wgpu zero-initialises every buffer, so no clearing pass is needed.
pub fn storage_zeroed(ctx: &GpuContext, label: &str, bytes: u64) -> Result<wgpu::Buffer, GpuError> {
    let size = align_to_copy(bytes.max(4));
    check_size(ctx, label, size, STORAGE_USAGE)?;
    ctx.scoped(&format!("creating buffer `{label}`"), || {
        ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size,
            usage: STORAGE_USAGE,
            mapped_at_creation: false,
        })
    })
}

/// A uniform buffer holding one record.
pub fn uniform_from_value<T: Pod>(
    ctx: &GpuContext,
    label: &str,
    value: &T,
) -> Result<wgpu::Buffer, GpuError> {
    let bytes = bytemuck::bytes_of(value);
    let size = align_to_copy((bytes.len() as u64).max(4));
    let usage = wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST;
    buffer_with_contents(ctx, label, bytes, size, usage)
}

/// Several small uniform records in one buffer, each at a multiple of the device's
/// `min_uniform_buffer_offset_alignment`, so that each can be bound on its own: one bind group
/// per record. This is how per-dispatch headers (which chunk, which day) reach the shader when
/// all of a sweep's dispatches are recorded before one submission.
#[derive(Debug)]
pub struct UniformRecords {
    pub buffer: wgpu::Buffer,
    /// Distance between records, in bytes.
    pub stride: u64,
    /// Bytes of one record.
    pub record_size: u64,
    /// Number of records.
    pub len: usize,
}

impl UniformRecords {
    /// Lays `records` out at the device's uniform offset alignment.
    pub fn new<T: Pod>(ctx: &GpuContext, label: &str, records: &[T]) -> Result<Self, GpuError> {
        let record_size = align_to_copy((size_of::<T>() as u64).max(4));
        let alignment = u64::from(ctx.limits.min_uniform_buffer_offset_alignment).max(4);
        let stride = record_size.next_multiple_of(alignment);
        let size = stride * (records.len().max(1) as u64);
        if record_size > ctx.limits.max_uniform_buffer_binding_size {
            return Err(GpuError::Limit {
                what: format!("a record of `{label}`"),
                needed: record_size,
                limit_name: "max_uniform_buffer_binding_size",
                limit: ctx.limits.max_uniform_buffer_binding_size,
            });
        }
        let mut bytes = vec![0u8; size as usize];
        for (i, record) in records.iter().enumerate() {
            let at = i * stride as usize;
            bytes[at..at + size_of::<T>()].copy_from_slice(bytemuck::bytes_of(record));
        }
        let usage = wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST;
        let buffer = buffer_with_contents(ctx, label, &bytes, size, usage)?;
        Ok(Self {
            buffer,
            stride,
            record_size,
            len: records.len(),
        })
    }

    /// The binding of record `i` (`i < len`).
    pub fn binding(&self, i: usize) -> wgpu::BindingResource<'_> {
        wgpu::BindingResource::Buffer(wgpu::BufferBinding {
            buffer: &self.buffer,
            offset: i as u64 * self.stride,
            size: wgpu::BufferSize::new(self.record_size),
        })
    }
}

/// Refuses a buffer the device cannot create or bind, before wgpu would reject it.
fn check_size(
    ctx: &GpuContext,
    label: &str,
    size: u64,
    usage: wgpu::BufferUsages,
) -> Result<(), GpuError> {
    let mut checks = vec![("max_buffer_size", ctx.limits.max_buffer_size)];
    if usage.contains(wgpu::BufferUsages::STORAGE) {
        checks.push((
            "max_storage_buffer_binding_size",
            ctx.limits.max_storage_buffer_binding_size,
        ));
    }
    for (limit_name, limit) in checks {
        if size > limit {
            return Err(GpuError::Limit {
                what: format!("buffer `{label}`"),
                needed: size,
                limit_name,
                limit,
            });
        }
    }
    Ok(())
}

/// Creates a buffer of `size` bytes (a multiple of 4, at least `contents.len()`) that starts
/// with `contents` and is zero after, by mapping it at creation: no staging copy.
fn buffer_with_contents(
    ctx: &GpuContext,
    label: &str,
    contents: &[u8],
    size: u64,
    usage: wgpu::BufferUsages,
) -> Result<wgpu::Buffer, GpuError> {
    debug_assert!(size >= contents.len() as u64 && align_to_copy(size) == size);
    check_size(ctx, label, size, usage)?;
    let context = format!("creating buffer `{label}`");
    let buffer = ctx.scoped(&context, || {
        ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size,
            usage,
            mapped_at_creation: true,
        })
    })?;
    {
        let mut view = buffer.get_mapped_range_mut(..).map_err(|e| GpuError::Map {
            context: context.clone(),
            message: e.to_string(),
        })?;
        view.slice(..contents.len()).copy_from_slice(contents);
    }
    buffer.unmap();
    Ok(buffer)
}
