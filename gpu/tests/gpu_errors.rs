//! Runtime failures on the GPU path come back as typed errors, never as panics: a shader that
//! does not compile, a wrong binding, an unreadable buffer, an adapter that is not there. Also
//! prints the adapters `undertow devices` would list.

use undertow_gpu::testing::gpu_or_skip;
use undertow_gpu::{
    list_adapters, read_buffer, read_buffer_range, storage_from_slice, storage_zeroed,
    AdapterRequest, ComputeKernel, GpuContext, GpuError,
};
use undertow_shaders::PipelineSpec;

#[test]
fn adapters_are_listed_and_a_missing_one_is_a_typed_error() {
    let request = AdapterRequest::from_env();
    let adapters = list_adapters(&request);
    eprintln!("adapters on {:?}:", request.backends);
    for a in &adapters {
        eprintln!("  {} {a}", if a.selected { "*" } else { " " });
    }
    assert!(adapters.iter().filter(|a| a.selected).count() <= 1);

    let absent = AdapterRequest {
        name: Some("no such adapter, surely".into()),
        ..request
    };
    match GpuContext::with_request(&absent) {
        Err(GpuError::NoAdapter(why)) => assert!(why.contains("no such adapter"), "{why}"),
        Err(other) => panic!("expected NoAdapter, got {other}"),
        Ok(ctx) => panic!("opened {} for a name that matches nothing", ctx.info.name),
    }
}

#[test]
fn a_broken_shader_is_a_validation_error() {
    let Some(ctx) = gpu_or_skip("a_broken_shader_is_a_validation_error") else {
        return;
    };
    const BROKEN: PipelineSpec = PipelineSpec {
        name: "broken",
        entry_point: "main",
        workgroup_size: 64,
        modules: &["@compute @workgroup_size(64) fn main() { let x: u32 = 1.5; }"],
    };
    match ComputeKernel::new(&ctx, &BROKEN) {
        Err(GpuError::Validation { context, message }) => {
            assert!(context.contains("broken"), "{context}");
            eprintln!("broken shader reported as: {message}");
        }
        Err(other) => panic!("expected a validation error, got {other}"),
        Ok(_) => panic!("a broken shader compiled"),
    }
    // The device is still usable afterwards.
    ComputeKernel::new(&ctx, &undertow_shaders::probes::PHILOX_PROBE)
        .expect("a good shader still builds");
}

#[test]
fn a_wrong_binding_is_a_validation_error() {
    let Some(ctx) = gpu_or_skip("a_wrong_binding_is_a_validation_error") else {
        return;
    };
    let kernel = ComputeKernel::new(&ctx, &undertow_shaders::probes::PHILOX_PROBE).unwrap();
    let only = storage_zeroed(&ctx, "lonely", 64).unwrap();
    // The probe has two bindings; give it one.
    match kernel.bind_group(&ctx, 0, &[only.as_entire_binding()]) {
        Err(GpuError::Validation { .. }) => {}
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[test]
fn readback_round_trips_and_refuses_bad_requests() {
    let Some(ctx) = gpu_or_skip("readback_round_trips_and_refuses_bad_requests") else {
        return;
    };
    let data: Vec<u32> = (0..1001).map(|i| i * 3 + 1).collect();
    let buffer = storage_from_slice(&ctx, "numbers", &data).unwrap();
    assert_eq!(read_buffer::<u32>(&ctx, &buffer).unwrap(), data);
    assert_eq!(
        read_buffer_range::<u32>(&ctx, &buffer, 10, 5).unwrap(),
        &data[10..15]
    );
    // Odd byte ranges are widened to whole words for the copy and trimmed after.
    let bytes: Vec<u8> = read_buffer_range(&ctx, &buffer, 5, 7).unwrap();
    assert_eq!(bytes, bytemuck::cast_slice::<u32, u8>(&data)[5..12]);
    // An empty slice still makes a bindable, readable buffer.
    let empty = storage_from_slice::<[f32; 8]>(&ctx, "no investors", &[]).unwrap();
    assert_eq!(
        read_buffer::<[f32; 8]>(&ctx, &empty).unwrap(),
        vec![[0.0; 8]]
    );

    assert!(matches!(
        read_buffer_range::<u32>(&ctx, &buffer, 1000, 2),
        Err(GpuError::Map { .. })
    ));
    let uniform = undertow_gpu::uniform_from_value(&ctx, "not copyable", &7u32).unwrap();
    match read_buffer::<u32>(&ctx, &uniform) {
        Err(GpuError::Map { message, .. }) => assert!(message.contains("COPY_SRC"), "{message}"),
        other => panic!("expected a map error, got {other:?}"),
    }
    // A buffer above the device's limit is refused before wgpu sees it.
    let too_big = ctx
        .limits
        .max_storage_buffer_binding_size
        .min(ctx.limits.max_buffer_size)
        + 4;
    assert!(matches!(
        storage_zeroed(&ctx, "huge", too_big),
        Err(GpuError::Limit { .. })
    ));
    ctx.check("after the refused requests")
        .expect("no stray errors");
}
