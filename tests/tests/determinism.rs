//! A scenario's result depends only on the seed and its index: not on threads, chunk sizes or how
//! the index range is split into shards.

use undertow_host::cpu::CpuBackend;
use undertow_tests::{bits, example_sweep};

#[test]
fn identical_for_any_thread_count_and_chunk_size() {
    let (fund, scenarios) = example_sweep(600, 5);
    let reference =
        CpuBackend::new(Some(1), 600)
            .unwrap()
            .run::<f32>(&fund.model, &scenarios, 0, 5);
    for (threads, chunk) in [(2, 1), (2, 7), (1, 64), (3, 33)] {
        let b = CpuBackend::new(Some(threads), chunk).unwrap();
        let got = b.run::<f32>(&fund.model, &scenarios, 0, 5);
        assert_eq!(
            bits(&got),
            bits(&reference),
            "threads {threads}, chunk {chunk}"
        );
    }
}

#[test]
fn identical_for_any_shard_split() {
    let (fund, scenarios) = example_sweep(500, 9);
    let b = CpuBackend::new(Some(2), 16).unwrap();
    let whole = b.run::<f32>(&fund.model, &scenarios, 0, 9);
    let mut sharded = b.run::<f32>(&fund.model, &scenarios[..123], 0, 9);
    sharded.extend(b.run::<f32>(&fund.model, &scenarios[123..], 123, 9));
    assert_eq!(bits(&sharded), bits(&whole));
}

#[test]
fn a_different_seed_gives_different_results() {
    let (fund, scenarios) = example_sweep(200, 9);
    let b = CpuBackend::new(Some(2), 16).unwrap();
    let a = b.run::<f32>(&fund.model, &scenarios, 0, 9);
    let c = b.run::<f32>(&fund.model, &scenarios, 0, 10);
    assert_ne!(bits(&a), bits(&c));
}
