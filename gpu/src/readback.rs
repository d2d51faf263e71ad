//! The one way results come back from the GPU: copy a storage buffer (or a range of it) into a
//! `MAP_READ` staging buffer, map it, wait, and collect it into a `Vec<T>`.
//!
//! A storage buffer cannot be mapped on most devices, hence the staging copy. The copy is
//! recorded after everything already submitted, so the values read are those left by all prior
//! work on the queue.

use std::sync::mpsc;

use bytemuck::Pod;

use super::device::{GpuContext, GpuError};

/// Reads all of `buffer` back as `T`s (trailing bytes that do not make a whole `T` are
/// ignored). The buffer needs `COPY_SRC` usage.
pub fn read_buffer<T: Pod>(ctx: &GpuContext, buffer: &wgpu::Buffer) -> Result<Vec<T>, GpuError> {
    let count = match size_of::<T>() as u64 {
        0 => 0,
        elem => buffer.size() / elem,
    };
    read_buffer_range(ctx, buffer, 0, count)
}

/// Reads `count` elements of type `T` starting at element `first` of `buffer`.
pub fn read_buffer_range<T: Pod>(
    ctx: &GpuContext,
    buffer: &wgpu::Buffer,
    first: u64,
    count: u64,
) -> Result<Vec<T>, GpuError> {
    let label = "a buffer";
    let fail = |message: String| GpuError::Map {
        context: label.to_owned(),
        message,
    };
    let elem = size_of::<T>() as u64;
    if elem == 0 {
        return Err(fail("zero-sized element type".to_owned()));
    }
    if count == 0 {
        return Ok(Vec::new());
    }
    let (offset, len) = first
        .checked_mul(elem)
        .zip(count.checked_mul(elem))
        .ok_or_else(|| {
            fail(format!(
                "elements {first} + {count} overflow the address space"
            ))
        })?;
    let end = offset
        .checked_add(len)
        .filter(|&end| end <= buffer.size())
        .ok_or_else(|| {
            fail(format!(
                "bytes {offset}..{} lie beyond the buffer's {} bytes",
                offset.saturating_add(len),
                buffer.size()
            ))
        })?;
    if !buffer.usage().contains(wgpu::BufferUsages::COPY_SRC) {
        return Err(fail("the buffer lacks COPY_SRC usage".to_owned()));
    }
    // Copies move whole 4-byte words: widen the range to words and trim after mapping.
    let align = wgpu::COPY_BUFFER_ALIGNMENT;
    let copy_start = offset - offset % align;
    let copy_end = end.next_multiple_of(align);
    if copy_end > buffer.size() {
        return Err(fail(format!(
            "the buffer's size {} is not a multiple of {align} bytes",
            buffer.size()
        )));
    }
    let copy_len = copy_end - copy_start;

    let staging = ctx.scoped("creating a readback staging buffer", || {
        ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("readback staging"),
            size: copy_len,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        })
    })?;
    let mut encoder = ctx
        .device
        .create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("readback copy"),
        });
    encoder.copy_buffer_to_buffer(buffer, copy_start, &staging, 0, copy_len);
    let submission = ctx.submit("copying a buffer for readback", encoder)?;

    let (sender, receiver) = mpsc::channel();
    staging.map_async(wgpu::MapMode::Read, .., move |result| {
        // The receiver outlives the wait below; a failed send only means we gave up already.
        let _ = sender.send(result);
    });
    ctx.wait(Some(submission))?;
    match receiver.try_recv() {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(fail(e.to_string())),
        Err(_) => {
            // No answer after the wait: the device is likely gone; say so if it is.
            ctx.check("mapping a readback buffer")?;
            return Err(fail("the mapping did not complete".to_owned()));
        }
    }
    let values = {
        let view = staging
            .get_mapped_range(..)
            .map_err(|e| fail(e.to_string()))?;
        let start = (offset - copy_start) as usize;
        // `pod_collect_to_vec` copies, so the mapped bytes need not be aligned for `T`.
        bytemuck::pod_collect_to_vec::<u8, T>(&view[start..start + len as usize])
    };
    staging.unmap();
    Ok(values)
}
