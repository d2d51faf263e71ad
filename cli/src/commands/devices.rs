//! `undertow devices`: the GPU adapters wgpu can see.

use undertow_gpu::device::{list_adapters, AdapterRequest};

/// Lists the adapters (the `WGPU_BACKEND` / `WGPU_ADAPTER_NAME` request applied).
pub fn devices() -> anyhow::Result<()> {
    let request = AdapterRequest::from_env();
    let adapters = list_adapters(&request);
    if adapters.is_empty() {
        println!(
            "no GPU adapters found (backends {:?}); the CPU backend is always available",
            request.backends
        );
    }
    for a in adapters {
        println!("{a}");
    }
    Ok(())
}
