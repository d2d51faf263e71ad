"""The GPU backend from Python: the wheel bundles it, and its records agree with the CPU's.

Without a GPU adapter this prints SKIP loudly; with UNDERTOW_REQUIRE_GPU=1 (CI sets it, after
installing lavapipe) a missing adapter is a failure, as in the Rust GPU tests."""

import os

import numpy as np
import pytest

import undertow

# Fields compared, and the comparator's tolerance: the GPU runs f32 like the CPU reference, but
# its reductions may round in another order (docs/validation.md, the comparator's tolerances).
FIELDS = ["requested", "paid", "cost_spread", "cost_impact", "mtm_loss", "nav_end", "min_cash"]
ABS_TOL = 1e-4
REL_TOL = 1e-3


def disagreements(cpu, gpu):
    """Names of the fields (and `family`, `gate_days`, `shortfall` flags) where `gpu` differs from
    `cpu` beyond the tolerance; empty when they agree."""
    bad = []
    if not np.array_equal(cpu["family"].to_numpy(), gpu["family"].to_numpy()):
        bad.append("family")
    for name in ["gate_days", "shortfall"]:
        if not np.array_equal(cpu[name].to_numpy() > 0, gpu[name].to_numpy() > 0):
            bad.append(name)
    for name in FIELDS:
        a, b = cpu[name].to_numpy(), gpu[name].to_numpy()
        if not np.allclose(a, b, rtol=REL_TOL, atol=ABS_TOL):
            bad.append(name)
    return bad


def gpu_run(fund, **kw):
    try:
        return undertow.run(fund, backend="gpu", **kw)
    except undertow.GpuError as e:
        if os.environ.get("UNDERTOW_REQUIRE_GPU") == "1":
            raise
        print(f"\n*** SKIP: no GPU adapter ({e}); set UNDERTOW_REQUIRE_GPU=1 to fail instead ***")
        pytest.skip("no GPU adapter")


def test_the_gpu_backend_agrees_with_the_cpu():
    f = undertow.example_fund()
    kw = dict(scenarios=300, seed=3, analysis=False, unconditional=False, paths=0)
    gpu = gpu_run(f, **kw)
    cpu = undertow.run(f, backend="cpu", **kw)
    assert gpu.summary["run"]["backend"].startswith("gpu: "), gpu.summary["run"]["backend"]
    assert disagreements(cpu.scenarios, gpu.scenarios) == []


def test_the_comparator_catches_a_corrupted_result():
    f = undertow.example_fund()
    kw = dict(scenarios=50, seed=3, analysis=False, unconditional=False, paths=0)
    cpu = undertow.run(f, backend="cpu", **kw).scenarios
    import pyarrow as pa

    nav = cpu["nav_end"].to_numpy().copy()
    nav[7] *= 1.01
    corrupted = cpu.set_column(cpu.schema.get_field_index("nav_end"), "nav_end", pa.array(nav))
    assert disagreements(cpu, corrupted) == ["nav_end"]
    assert disagreements(cpu, cpu) == []
