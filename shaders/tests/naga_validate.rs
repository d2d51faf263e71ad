//! Every composed WGSL module must parse and validate with naga, so that a broken shader fails
//! `cargo test` instead of a user's run; and the checker itself must reject broken shaders.

use naga::valid::{Capabilities, ValidationFlags, Validator};
use undertow_shaders::{compose, PIPELINES, SHARED_MODULES};

/// Parses and validates one WGSL source, as wgpu will when it creates the shader module.
/// Returns naga's diagnostic, rendered against the source, on failure.
fn check(source: &str) -> Result<naga::Module, String> {
    let module = naga::front::wgsl::parse_str(source).map_err(|e| e.emit_to_string(source))?;
    Validator::new(ValidationFlags::all(), Capabilities::default())
        .validate(&module)
        .map_err(|e| e.emit_to_string(source))?;
    Ok(module)
}

#[test]
fn shared_modules_validate_alone_and_together() {
    for (name, source) in SHARED_MODULES {
        if let Err(e) = check(source) {
            panic!("shared module {name}.wgsl does not validate:\n{e}");
        }
    }
    // Together, as stages compose them: no name may be declared twice.
    let all: Vec<&str> = SHARED_MODULES.iter().map(|(_, s)| *s).collect();
    if let Err(e) = check(&compose(&all)) {
        panic!("shared modules do not compose:\n{e}");
    }
}

#[test]
fn every_pipeline_validates_and_declares_its_entry_point() {
    assert!(!PIPELINES.is_empty());
    for spec in PIPELINES {
        let source = spec.source();
        let module = match check(&source) {
            Ok(m) => m,
            Err(e) => panic!("pipeline {} does not validate:\n{e}", spec.name),
        };
        let entry = module
            .entry_points
            .iter()
            .find(|ep| ep.name == spec.entry_point)
            .unwrap_or_else(|| {
                panic!(
                    "pipeline {}: no entry point {}",
                    spec.name, spec.entry_point
                )
            });
        assert_eq!(
            entry.stage,
            naga::ShaderStage::Compute,
            "pipeline {}",
            spec.name
        );
        assert_eq!(
            entry.workgroup_size,
            [spec.workgroup_size, 1, 1],
            "pipeline {}: the WGSL workgroup size disagrees with PipelineSpec::workgroup_size",
            spec.name
        );
    }
}

#[test]
fn pipeline_names_are_unique() {
    let mut names: Vec<&str> = PIPELINES.iter().map(|p| p.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), PIPELINES.len());
}

#[test]
fn compose_separates_parts_without_trailing_newlines() {
    let source = compose(&["const A: u32 = 1u;", "const B: u32 = A + 1u;"]);
    assert_eq!(source, "const A: u32 = 1u;\nconst B: u32 = A + 1u;\n");
    check(&source).expect("two one-line parts compose into a valid module");
}

/// A type error (a `vec2<u32>` returned as `u32`) is rejected: `check` does catch mistakes in
/// code that uses the shared modules.
#[test]
fn a_type_error_fails() {
    let bad = compose(&[
        undertow_shaders::PHILOX,
        "fn wrong() -> u32 { return mulhilo_16(1u, 2u); }",
    ]);
    let err = check(&bad).expect_err("returning vec2<u32> as u32 must not validate");
    assert!(err.contains("wrong") || err.contains("mulhilo_16"), "{err}");
}

/// Storing through a read-only storage binding parses fine and is caught only by the validator:
/// `check` runs the validator, not just the parser.
#[test]
fn a_validation_only_error_fails() {
    let bad = "@group(0) @binding(0) var<storage, read> params: array<u32>;
@compute @workgroup_size(64)
fn overwrite(@builtin(global_invocation_id) gid: vec3<u32>) {
    params[gid.x] = 0u;
}
";
    assert!(
        naga::front::wgsl::parse_str(bad).is_ok(),
        "the snippet must parse"
    );
    let err = check(bad).expect_err("a store to read-only storage must not validate");
    assert!(err.contains("overwrite"), "{err}");
}

/// The model's records hold `array<f32, N>` with a 4-byte stride, legal in storage buffers only:
/// binding one as a uniform must fail validation (this is why `params.wgsl` says "storage").
#[test]
fn params_records_cannot_be_uniforms() {
    let bad = compose(&[
        undertow_shaders::PARAMS,
        "@group(0) @binding(0) var<uniform> fund: FundParams;
@compute @workgroup_size(1)
fn read_fund() {
    let h = fund.horizon;
}
",
    ]);
    let err = check(&bad).expect_err("FundParams as a uniform must not validate");
    assert!(err.contains("stride") || err.contains("lignment"), "{err}");
    let good = bad.replace("var<uniform>", "var<storage, read>");
    check(&good).expect("FundParams as read-only storage validates");
}

/// An undeclared name in a shared module's caller fails: a stage composed without the module it
/// needs is caught.
#[test]
fn a_missing_module_fails() {
    let needs_philox = "fn draw() -> f32 { return uniform_f32(7u); }";
    check(needs_philox).expect_err("uniform_f32 is undeclared without philox.wgsl");
    check(&compose(&[undertow_shaders::PHILOX, needs_philox]))
        .expect("with philox.wgsl it validates");
}
