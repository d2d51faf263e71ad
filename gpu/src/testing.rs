//! Helpers for tests that need a GPU: open one or skip loudly, unless the environment demands a
//! GPU (CI sets `UNDERTOW_REQUIRE_GPU=1` after installing lavapipe), in which case no adapter is
//! a failure rather than a silent pass.

use std::io::Write;

use super::device::{GpuContext, GpuError};

/// Environment variable that turns a missing GPU from a skip into a test failure.
pub const REQUIRE_GPU_ENV: &str = "UNDERTOW_REQUIRE_GPU";

/// Whether the environment demands a GPU (`1`, `true` or `yes`).
pub fn gpu_required() -> bool {
    std::env::var(REQUIRE_GPU_ENV)
        .map(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes"))
        .unwrap_or(false)
}

/// Opens the GPU the environment selects for `test_name`, or returns `None` after printing a
/// `SKIP` line to stderr when there is none.
///
/// # Panics
/// When no device can be opened and [`REQUIRE_GPU_ENV`] is set: a test that must run on a GPU
/// fails instead of passing without one.
pub fn gpu_or_skip(test_name: &str) -> Option<GpuContext> {
    match GpuContext::new() {
        Ok(ctx) => {
            eprintln!("{test_name}: running on {}", ctx.summary());
            Some(ctx)
        }
        Err(e) if gpu_required() => {
            panic!("{test_name}: {REQUIRE_GPU_ENV} is set but no GPU device could be opened: {e}")
        }
        Err(GpuError::NoAdapter(why)) => {
            loud(&format!("SKIP (no GPU adapter): {test_name}: {why}"));
            None
        }
        Err(e) => {
            loud(&format!("SKIP (GPU unavailable): {test_name}: {e}"));
            None
        }
    }
}

/// Writes a line straight to the process's stderr. The test harness captures `eprintln!` and
/// shows it only for failing tests; a skip must be seen even though the test passes.
fn loud(line: &str) {
    // Nothing sensible to do if stderr is closed.
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}
