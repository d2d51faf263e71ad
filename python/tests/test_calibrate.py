"""calibrate_flows and backtest: the CLI's results, as dicts; files only when asked."""

import json
import pathlib
import subprocess

import pytest

import undertow
from compare import assert_json_equal

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture()
def fund_file(tmp_path):
    p = tmp_path / "fund.toml"
    p.write_text(undertow.example_fund().to_toml())
    return p


def test_calibrate_flows_equals_the_cli(cli, fund_file, tmp_path):
    flows, market = EXAMPLES / "flows_history.csv", EXAMPLES / "market_history.csv"
    out = tmp_path / "cli" / "calibrated.toml"
    subprocess.run([str(cli), "calibrate", "flows", "--flows", str(flows), "--market", str(market),
                    "--fund", str(fund_file), "--out", str(out)], check=True, capture_output=True)
    mine = tmp_path / "py" / "calibrated.toml"
    got = undertow.calibrate_flows(fund_file, flows, market=market, out=mine)
    assert isinstance(got["fund"], undertow.Fund)
    assert mine.read_text() == out.read_text() == got["toml"]
    want = json.loads((out.parent / "calibration.json").read_text())
    assert_json_equal(got["calibration"]["calibration"], want["calibration"])
    assert len(got["calibration"]["calibration"]["segments"]) == 6


def test_backtest_writes_only_when_asked(fund_file, tmp_path):
    got = undertow.backtest(fund_file, EXAMPLES / "flows_history.csv", draws=200, seed=3)
    assert "backtest" in got["backtest"] and got["html"]
    assert not (tmp_path / "backtest.json").exists()
    with pytest.raises(undertow.FundError, match="argument draws: 5"):
        undertow.backtest(fund_file, EXAMPLES / "flows_history.csv", draws=5)
