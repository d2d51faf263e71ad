//! The WGSL Philox (`shaders/wgsl/philox.wgsl`) against its Rust twin (`kernel/src/philox.rs`):
//! the generator and the 16-bit-halves multiply bit for bit, uniforms bit for bit, normals within
//! [`NORMAL_ABS_TOL`]. Runs the `philox_probe` pipeline over the Random123 known answers, a grid
//! of `(scenario, day, stream, i)` counters like the simulation's, and thousands of random ones.

use bytemuck::{Pod, Zeroable};
use undertow_gpu::testing::gpu_or_skip;
use undertow_gpu::{
    read_buffer, storage_from_slice, storage_zeroed, ComputeKernel, GpuContext, GpuError,
};
use undertow_kernel::philox;
use undertow_shaders::probes::PHILOX_PROBE;

/// Host twin of `PhiloxCase` in `shaders/wgsl/probes/philox_probe.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
struct PhiloxCase {
    counter: [u32; 4],
    key: [u32; 2],
    mul: [u32; 2],
}

/// Host twin of `PhiloxResult` in `shaders/wgsl/probes/philox_probe.wgsl` (WGSL puts the
/// `vec4`s at offsets 0, 16, 32 and the `vec2` at 48: the same as this packed layout).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
struct PhiloxResult {
    block: [u32; 4],
    uniforms: [f32; 4],
    normals: [f32; 4],
    mulhilo: [u32; 2],
    normal_i: f32,
    uniform_i: f32,
}

const _: () = assert!(size_of::<PhiloxCase>() == 32);
const _: () = assert!(size_of::<PhiloxResult>() == 64);

/// Normals may differ from the CPU's f32 by this much (absolute). WGSL's `log`, `sqrt`, `cos` and
/// `sin` are not correctly rounded and differ between drivers, so Box-Muller's output can move by
/// a few ulps of the largest normal (|z| < 5.8, ulp 4.8e-7); everything before them (the Philox
/// block and the 23-bit uniform) is exact, so nothing larger can come from the generator.
const NORMAL_ABS_TOL: f32 = 2e-6;

/// Random123's known-answer vectors (MODEL.md section 0): counter, key, expected block.
const KNOWN_ANSWERS: [([u32; 4], [u32; 2], [u32; 4]); 3] = [
    (
        [0, 0, 0, 0],
        [0, 0],
        [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8],
    ),
    (
        [u32::MAX; 4],
        [u32::MAX; 2],
        [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
    ),
    (
        [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
        [0xa4093822, 0x299f31d0],
        [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
    ),
];

/// Multiplier operands where a 16-bit-halves multiply goes wrong if a carry is dropped.
const MUL_EDGES: [u32; 12] = [
    0,
    1,
    2,
    0xFFFF,
    0x1_0000,
    0x1_FFFF,
    0x7FFF_FFFF,
    0x8000_0000,
    0xFFFF_0000,
    0xFFFF_FFFF,
    0xD251_1F53, // Philox M0
    0xCD9E_8D57, // Philox M1
];

/// splitmix64: a tiny, dependency-free source of test inputs.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn pair(&mut self) -> [u32; 2] {
        let z = self.next();
        [z as u32, (z >> 32) as u32]
    }
}

/// The cases: known answers first, then a grid of simulation-like counters, then random ones.
/// Every pair of multiplier edges appears once; the other cases multiply random words.
fn cases() -> Vec<PhiloxCase> {
    let mut rng = SplitMix(0x5EED_F00D_DBA1_1CE5);
    let mut cases: Vec<PhiloxCase> = KNOWN_ANSWERS
        .iter()
        .map(|&(counter, key, _)| PhiloxCase {
            counter,
            key,
            mul: [0, 0],
        })
        .collect();
    let run_key = philox::key_of_seed(42, 7);
    for scenario in [0, 1, 2, 63, 64, 1000, 65_535, 65_536, 1 << 24, u32::MAX] {
        for day in (0..90).step_by(7).chain([89]) {
            for stream in [
                philox::stream::MARKET,
                philox::stream::IDIO,
                philox::stream::FLOWS,
                philox::stream::LARGE,
            ] {
                for i in [0, 1, 2, 3, 4, 5, 7, 8, 13, 1023] {
                    cases.push(PhiloxCase {
                        counter: [scenario, day, stream, i],
                        key: run_key,
                        mul: [0, 0],
                    });
                }
            }
        }
    }
    for _ in 0..8192 {
        let [a, b] = rng.pair();
        let [c, d] = rng.pair();
        cases.push(PhiloxCase {
            counter: [a, b, c, d],
            key: rng.pair(),
            mul: [0, 0],
        });
    }
    // Multiplier operands: all edge pairs, then random pairs.
    let mut edge_pairs = MUL_EDGES
        .iter()
        .flat_map(|&a| MUL_EDGES.iter().map(move |&b| [a, b]));
    for case in &mut cases {
        case.mul = edge_pairs.next().unwrap_or_else(|| rng.pair());
    }
    cases
}

/// What the GPU should produce for `case`, computed by the Rust twin in f32.
fn cpu_result(case: &PhiloxCase) -> PhiloxResult {
    let block = philox::philox4x32_10(case.counter, case.key);
    let (hi, lo) = philox::mulhilo_16(case.mul[0], case.mul[1]);
    let [scenario, day, stream, i] = case.counter;
    PhiloxResult {
        block,
        uniforms: block.map(philox::uniform::<f32>),
        normals: philox::normal4::<f32>(case.counter, case.key),
        mulhilo: [hi, lo],
        normal_i: philox::normal_at::<f32>(case.key, scenario, day, stream, i),
        uniform_i: philox::uniform_at::<f32>(case.key, scenario, day, stream, i),
    }
}

/// Every disagreement between `gpu` and the CPU, as one line each (case, field, both values,
/// tolerance), and the largest normal error seen.
fn compare(cases: &[PhiloxCase], gpu: &[PhiloxResult]) -> (Vec<String>, f32) {
    let mut bad = Vec::new();
    let mut max_normal_err = 0f32;
    if cases.len() != gpu.len() {
        bad.push(format!("{} cases but {} results", cases.len(), gpu.len()));
    }
    for (n, (case, got)) in cases.iter().zip(gpu).enumerate() {
        let want = cpu_result(case);
        let at = format!(
            "case {n} (counter {:08x?}, key {:08x?})",
            case.counter, case.key
        );
        if got.block != want.block {
            bad.push(format!(
                "{at}: block gpu {:08x?} cpu {:08x?} (exact)",
                got.block, want.block
            ));
        }
        let product = u64::from(case.mul[0]) * u64::from(case.mul[1]);
        let native = [(product >> 32) as u32, product as u32];
        if got.mulhilo != want.mulhilo || got.mulhilo != native {
            bad.push(format!(
                "{at}: mulhilo_16({:#x}, {:#x}) gpu {:08x?} cpu {:08x?} native {:08x?} (exact)",
                case.mul[0], case.mul[1], got.mulhilo, want.mulhilo, native
            ));
        }
        let gpu_bits = got.uniforms.map(f32::to_bits);
        if gpu_bits != want.uniforms.map(f32::to_bits) {
            bad.push(format!(
                "{at}: uniforms gpu {:?} cpu {:?} (exact)",
                got.uniforms, want.uniforms
            ));
        }
        if got.uniform_i.to_bits() != want.uniform_i.to_bits() {
            bad.push(format!(
                "{at}: uniform_at gpu {} cpu {} (exact)",
                got.uniform_i, want.uniform_i
            ));
        }
        let normals = got
            .normals
            .iter()
            .zip(&want.normals)
            .map(|(g, w)| ("normal4", *g, *w));
        for (field, g, w) in normals.chain([("normal_at", got.normal_i, want.normal_i)]) {
            let err = (g - w).abs();
            // NaN compares false: count it as a failure, not as a pass.
            if err.is_nan() || err > NORMAL_ABS_TOL {
                bad.push(format!(
                    "{at}: {field} gpu {g} cpu {w} |diff| {err:e} > tolerance {NORMAL_ABS_TOL:e}"
                ));
            }
            max_normal_err = max_normal_err.max(err);
        }
    }
    (bad, max_normal_err)
}

fn run_probe(ctx: &GpuContext, cases: &[PhiloxCase]) -> Result<Vec<PhiloxResult>, GpuError> {
    let kernel = ComputeKernel::new(ctx, &PHILOX_PROBE)?;
    let input = storage_from_slice(ctx, "philox cases", cases)?;
    let output = storage_zeroed(
        ctx,
        "philox results",
        (cases.len() * size_of::<PhiloxResult>()) as u64,
    )?;
    let bind_group = kernel.bind_group(
        ctx,
        0,
        &[input.as_entire_binding(), output.as_entire_binding()],
    )?;
    let workgroups = kernel.workgroups_for(ctx, cases.len() as u32)?;
    let mut encoder = ctx
        .device
        .create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("philox probe"),
        });
    {
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("philox probe"),
            timestamp_writes: None,
        });
        pass.set_pipeline(&kernel.pipeline);
        pass.set_bind_group(0, &bind_group, &[]);
        pass.dispatch_workgroups(workgroups, 1, 1);
    }
    ctx.submit("running the philox probe", encoder)?;
    read_buffer(ctx, &output)
}

#[test]
fn wgsl_philox_matches_the_rust_twin() {
    let Some(ctx) = gpu_or_skip("wgsl_philox_matches_the_rust_twin") else {
        return;
    };
    let cases = cases();
    let gpu = run_probe(&ctx, &cases).unwrap_or_else(|e| panic!("philox probe failed: {e}"));

    // The known answers, directly against Random123's values.
    for (n, &(_, _, expected)) in KNOWN_ANSWERS.iter().enumerate() {
        assert_eq!(gpu[n].block, expected, "known-answer vector {n}");
    }
    let (bad, max_normal_err) = compare(&cases, &gpu);
    eprintln!(
        "philox probe: {} cases, {} mismatches, largest normal error {max_normal_err:e} (tolerance {NORMAL_ABS_TOL:e})",
        cases.len(),
        bad.len()
    );
    if !bad.is_empty() {
        for line in bad.iter().take(20) {
            eprintln!("  {line}");
        }
        panic!(
            "{} disagreements between WGSL and Rust Philox (first 20 above)",
            bad.len()
        );
    }
}

/// The comparator must fail on corrupted output; one that passes anything proves nothing.
/// Needs no GPU: the "GPU" results are the CPU's, corrupted one field at a time.
#[test]
fn the_comparator_catches_corrupted_results() {
    let cases: Vec<PhiloxCase> = cases().into_iter().take(200).collect();
    let clean: Vec<PhiloxResult> = cases.iter().map(cpu_result).collect();
    assert!(
        compare(&cases, &clean).0.is_empty(),
        "the CPU must agree with itself"
    );

    type Corruption = fn(&mut PhiloxResult);
    let corruptions: [(&str, Corruption); 7] = [
        ("one bit of the block", |r| r.block[2] ^= 1 << 17),
        ("the mulhilo low word", |r| {
            r.mulhilo[1] = r.mulhilo[1].wrapping_add(1)
        }),
        ("one ulp of a uniform", |r| {
            r.uniforms[3] = f32::from_bits(r.uniforms[3].to_bits() + 1)
        }),
        ("one ulp of uniform_at", |r| {
            r.uniform_i = f32::from_bits(r.uniform_i.to_bits() ^ 1)
        }),
        ("a normal beyond tolerance", |r| {
            r.normals[1] += 3.0 * NORMAL_ABS_TOL
        }),
        ("a NaN normal_at", |r| r.normal_i = f32::NAN),
        ("a normal far off", |r| r.normals[0] += 0.5),
    ];
    for (what, corrupt) in corruptions {
        let mut gpu = clean.clone();
        corrupt(&mut gpu[137]);
        let (bad, _) = compare(&cases, &gpu);
        assert_eq!(bad.len(), 1, "corrupting {what} gave {bad:?}");
        assert!(bad[0].starts_with("case 137"), "{}", bad[0]);
    }
    let (bad, _) = compare(&cases, &clean[..199]);
    assert!(!bad.is_empty(), "a short result list must fail");
}

/// The probe covers what it claims: the known answers, every multiplier edge pair, and
/// counters whose index crosses Philox block boundaries.
#[test]
fn the_cases_cover_the_edges() {
    let cases = cases();
    assert!(cases.len() > 10_000);
    for a in MUL_EDGES {
        for b in MUL_EDGES {
            assert!(
                cases.iter().any(|c| c.mul == [a, b]),
                "missing mulhilo edge pair {a:#x} x {b:#x}"
            );
        }
    }
    for (counter, key, _) in KNOWN_ANSWERS {
        assert!(cases.iter().any(|c| c.counter == counter && c.key == key));
    }
    assert!(cases.iter().any(|c| c.counter[3] % 4 == 3) && cases.iter().any(|c| c.counter[3] == 4));
}

/// A Rust transcription of `ln_open_unit` in `philox.wgsl`, to check the algorithm rather than a
/// driver: the WGSL computes the same operations, each correctly rounded except the division
/// (2.5 ulps in WGSL), so its error is close to this one.
fn ln_open_unit_mirror(u: f32) -> f32 {
    let d = 1.0 - u;
    let s = d / (2.0 - d);
    let s2 = s * s;
    let mut p = 1.0 / 11.0;
    for c in [1.0 / 9.0, 1.0 / 7.0, 1.0 / 5.0, 1.0 / 3.0, 1.0] {
        p = p * s2 + c;
    }
    if u > 0.75 {
        -2.0 * s * p
    } else {
        u.ln()
    }
}

/// Over every uniform the generator can produce above 3/4 (where the series replaces WGSL's
/// `log`), the series must match the f64 logarithm to within a few f32 ulps, relative.
#[test]
fn the_wgsl_log_series_is_accurate_for_every_uniform_above_three_quarters() {
    /// Relative error allowed: 4 ulps of f32.
    const MAX_REL_ERR: f64 = 4.0 / (1u64 << 24) as f64;
    let first = (3u32 << 21) - 1; // (k + 0.5) / 2^23 > 3/4 from here on
    let mut worst = (0.0f64, 0.0f32);
    for k in first..(1 << 23) {
        let u: f32 = philox::uniform(k << 9);
        if u <= 0.75 {
            continue;
        }
        let exact = f64::from(u).ln();
        let rel = ((f64::from(ln_open_unit_mirror(u)) - exact) / exact).abs();
        if rel > worst.0 {
            worst = (rel, u);
        }
    }
    eprintln!(
        "ln_open_unit series: worst relative error {:e} at u = {}",
        worst.0, worst.1
    );
    assert!(
        worst.0 <= MAX_REL_ERR,
        "relative error {:e} at u = {} > {MAX_REL_ERR:e}",
        worst.0,
        worst.1
    );
}
