"""The records reach pyarrow without a copy."""

import time

import pyarrow as pa

import undertow
from undertow import _native


def test_a_run_table_shares_the_rust_buffers():
    r = undertow.run(undertow.example_fund(), scenarios=300, seed=3, backend="cpu",
                     analysis=False, unconditional=False)
    table = r.scenarios
    column = table.schema.get_field_index("paid")
    seen = table.column(column).chunks[0].buffers()[1].address
    assert seen == r._buffer_address(column)
    # A second export hands over the same buffers again.
    assert r.scenarios.column(column).chunks[0].buffers()[1].address == seen


def test_a_million_records_export_without_a_copy():
    n = 1_000_000
    before = pa.total_allocated_bytes()
    start = time.perf_counter()
    table, address, built, exported = _native._export_probe(n, 2)
    seconds = time.perf_counter() - start
    assert table.num_rows == n
    assert table.column(2).chunks[0].buffers()[1].address == address
    # The table's bytes (tens of MB) live in Rust's allocations, not pyarrow's pool.
    assert table.nbytes > 50 * n
    assert pa.total_allocated_bytes() - before < 1_000_000
    print(f"1,000,000 records: {built * 1000:.1f} ms to build the columns, "
          f"{exported * 1000:.1f} ms to export, {seconds * 1000:.1f} ms in all")


def test_the_address_check_can_fail():
    table, address, _, _ = _native._export_probe(1000, 2)
    copied = pa.Table.from_arrays(
        [pa.array(table.column(2).to_numpy().copy())], names=["x"]
    )
    assert copied.column(0).chunks[0].buffers()[1].address != address
