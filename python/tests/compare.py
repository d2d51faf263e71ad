"""Comparators between the wheel's results and the CLI's files, bit for bit."""

import csv
import json
import math

import numpy as np

# Run facts that differ between two runs of the same thing (wall-clock time; the stages' work
# counters, which depend on whether the sweep's records could be read: docs/performance.md).
TIMING_KEYS = {"seconds", "throughput", "simulated_scenario_days", "reruns", "reruns_shared"}


def csv_columns(path):
    """The CSV's columns by name, as text."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    return {name: [r[i] for r in body] for i, name in enumerate(header)}


def assert_records_equal(table, csv_path):
    """Every record column of `table` (pyarrow) equals the CSV's, bit for bit (float32 words
    compared as integers, so -0.0 and NaN payloads count too)."""
    cols = csv_columns(csv_path)
    assert table.num_rows == len(cols["index"]), "row counts differ"
    compared = 0
    for name in table.schema.names:
        if name in ("_pad",):
            continue
        assert name in cols, f"column {name} missing from {csv_path}"
        got = table.column(name).to_numpy()
        if name in ("index", "family"):
            want = np.array([int(v) for v in cols[name]], dtype=got.dtype)
            np.testing.assert_array_equal(got, want, err_msg=name)
        else:
            want = np.array([float(v) for v in cols[name]], dtype=np.float64).astype(np.float32)
            bad = np.nonzero(got.view(np.uint32) != want.view(np.uint32))[0]
            assert bad.size == 0, f"{name}: row {bad[:5]} differs: {got[bad[:5]]} vs {want[bad[:5]]}"
        compared += 1
    assert compared >= 10


def strip_timing(value):
    """`value` (summary JSON) without its wall-clock fields."""
    if isinstance(value, dict):
        return {k: strip_timing(v) for k, v in value.items() if k not in TIMING_KEYS}
    if isinstance(value, list):
        return [strip_timing(v) for v in value]
    return value


def assert_json_equal(got, want, path="$"):
    """Equal JSON values; floats bit for bit (NaN equal to NaN). Names the first difference."""
    if isinstance(want, dict):
        assert isinstance(got, dict) and got.keys() == want.keys(), f"{path}: keys differ"
        for k in want:
            assert_json_equal(got[k], want[k], f"{path}.{k}")
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), f"{path}: lengths differ"
        for i, (g, w) in enumerate(zip(got, want)):
            assert_json_equal(g, w, f"{path}[{i}]")
    elif isinstance(want, float) and isinstance(got, float):
        same = (math.isnan(got) and math.isnan(want)) or got.hex() == want.hex()
        assert same, f"{path}: {got!r} != {want!r}"
    else:
        assert got == want and type(got) is type(want), f"{path}: {got!r} != {want!r}"


def load_json(path):
    with open(path) as f:
        return json.load(f)
