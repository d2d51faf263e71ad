"""The wheel gives the CLI's results bit for bit on the same fund and seed."""

import subprocess

import pyarrow as pa
import pytest

import undertow
from compare import assert_json_equal, assert_records_equal, load_json, strip_timing

SCENARIOS = 600
SEED = 7


@pytest.fixture(scope="module")
def both(cli, tmp_path_factory):
    """The same run through the CLI and through Python, analysis included."""
    out = tmp_path_factory.mktemp("cli")
    subprocess.run(
        [str(cli), "run", "--scenarios", str(SCENARIOS), "--seed", str(SEED),
         "--backend", "cpu", "--out", str(out)],
        check=True, capture_output=True,
    )
    result = undertow.run(undertow.example_fund(), scenarios=SCENARIOS, seed=SEED, backend="cpu")
    return out, result


def test_scenarios_table_equals_the_cli_csv(both):
    out, result = both
    assert isinstance(result.scenarios, pa.Table)
    assert_records_equal(result.scenarios, out / "scenarios.csv")
    assert_records_equal(result.scenarios_unconditional, out / "scenarios_unconditional.csv")


def test_summary_equals_summary_json(both):
    out, result = both
    assert_json_equal(strip_timing(result.summary), strip_timing(load_json(out / "summary.json")))
    assert result.findings == load_json(out / "summary.json")["findings"]
    assert len(result.findings) > 0


def test_write_gives_the_cli_files(both, tmp_path):
    out, result = both
    result.write(tmp_path)
    cli_files = sorted(p.name for p in out.iterdir())
    assert sorted(p.name for p in tmp_path.iterdir()) == cli_files
    for name in ("scenarios.csv", "scenarios_unconditional.csv"):
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name
    assert_json_equal(
        strip_timing(load_json(tmp_path / "summary.json")),
        strip_timing(load_json(out / "summary.json")),
    )


def test_report_and_notebook_views(both):
    _, result = both
    page = result.report_html()
    assert page.lstrip().lower().startswith("<!doctype html")
    assert "Quantum Multi-Strategy Fund" in result._repr_html_()
    assert result.to_pandas().shape == (SCENARIOS, result.scenarios.num_columns)


def test_the_record_comparator_catches_one_flipped_bit(both):
    out, result = both
    table = result.scenarios
    col = table.schema.get_field_index("paid")
    values = table.column(col).to_numpy().copy()
    values.view("uint32")[3] ^= 1
    corrupted = table.set_column(col, "paid", pa.array(values))
    with pytest.raises(AssertionError, match="paid"):
        assert_records_equal(corrupted, out / "scenarios.csv")


def test_the_json_comparator_catches_a_changed_number(both):
    out, _ = both
    want = strip_timing(load_json(out / "summary.json"))
    got = strip_timing(load_json(out / "summary.json"))
    got["headline"]["coverage"] = float.fromhex(want["headline"]["coverage"].hex()) + 1e-15
    with pytest.raises(AssertionError, match="coverage"):
        assert_json_equal(got, want)
