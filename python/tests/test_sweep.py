"""Sweeps on common random numbers."""

import numpy as np
import pyarrow.compute as pc

import undertow

NEVER = -1.0


def coverage(table, variant):
    t = table.filter(pc.equal(table["variant"], variant))
    covered = (
        (t["buffer_exhausted_day"].to_numpy() == NEVER)
        & (t["shortfall"].to_numpy() <= 0.0)
        & (t["gate_days"].to_numpy() == 0.0)
    )
    return covered.mean(), t


def test_identical_variants_give_identical_columns():
    f = undertow.example_fund()
    table = undertow.sweep({"a": f, "b": f}, scenarios=400, seed=5, backend="cpu")
    assert table.num_rows == 800
    _, a = coverage(table, "a")
    _, b = coverage(table, "b")
    for name in a.schema.names[1:]:
        np.testing.assert_array_equal(a[name].to_numpy(), b[name].to_numpy(), err_msg=name)


def test_more_cash_covers_more_scenarios():
    f = undertow.example_fund()
    lo, hi = f.replace(cash=0.02), f.replace(cash=0.20)
    table = undertow.sweep([lo, hi], scenarios=1000, seed=5, backend="cpu")
    c_lo, t_lo = coverage(table, "0")
    c_hi, t_hi = coverage(table, "1")
    assert c_hi > c_lo
    # Common random numbers: scenario i draws the same family in both variants.
    np.testing.assert_array_equal(t_lo["family"].to_numpy(), t_hi["family"].to_numpy())
    # And the sweep's records are the run's.
    r = undertow.run(hi, scenarios=1000, seed=5, backend="cpu", analysis=False,
                     unconditional=False)
    np.testing.assert_array_equal(r.scenarios["paid"].to_numpy(), t_hi["paid"].to_numpy())


def test_progress_counts_every_variant():
    f = undertow.example_fund()
    seen = []
    undertow.sweep([f, f, f], scenarios=200, backend="cpu",
                   progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (600, 600)
