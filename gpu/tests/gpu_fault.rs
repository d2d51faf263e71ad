//! A failure while running a chunk comes back as a typed error naming the chunk and its
//! scenarios, never a panic; tested with the injected fault of `GpuRunOptions::fail_chunk`.

use undertow_gpu::testing::gpu_or_skip;
use undertow_gpu::{GpuError, GpuRunOptions, GpuSimulator};
use undertow_host::fund::example_fund;
use undertow_host::run::scenario_block;

#[test]
fn an_injected_device_loss_names_the_chunk_and_its_scenarios() {
    let Some(ctx) = gpu_or_skip("an_injected_device_loss_names_the_chunk_and_its_scenarios") else {
        return;
    };
    let mut fund = example_fund();
    fund.model.params.horizon = 5;
    let seed = 7;
    let scenarios = scenario_block(&fund, seed, 100..250);
    let sim = GpuSimulator::new(ctx).unwrap();
    let opts = GpuRunOptions {
        max_scenarios_per_chunk: Some(64),
        ..Default::default()
    };
    // Without the fault the same chunking runs through: three chunks, 150 records.
    let ok = sim.run(&fund.model, &scenarios, 100, seed, &opts).unwrap();
    assert_eq!(ok.len(), 150);

    let faulty = GpuRunOptions {
        fail_chunk: Some(1),
        ..opts
    };
    let err = sim
        .run(&fund.model, &scenarios, 100, seed, &faulty)
        .unwrap_err();
    match &err {
        GpuError::Chunk {
            index: 1,
            first_scenario: 164,
            count: 64,
            source,
        } => assert!(matches!(**source, GpuError::DeviceLost { .. }), "{source}"),
        other => panic!("not the chunk's error: {other:?}"),
    }
    assert_eq!(err.to_string(), "GPU chunk 1 (scenarios 164..228)");
    let cause = std::error::Error::source(&err).map(|c| c.to_string());
    assert!(
        cause
            .as_deref()
            .unwrap_or("")
            .starts_with("GPU device lost (injected)"),
        "{cause:?}"
    );
}
