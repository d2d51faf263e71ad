"""Errors are exceptions that name the field and value."""

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib

import pytest

import undertow
from undertow import FundError, GpuError, UndertowError


def example_dict():
    return tomllib.loads(undertow.example_fund().to_toml())


def test_the_exception_classes():
    assert issubclass(FundError, ValueError) and issubclass(FundError, UndertowError)
    assert issubclass(GpuError, RuntimeError) and issubclass(GpuError, UndertowError)


def test_replace_names_the_field_and_value():
    with pytest.raises(FundError) as e:
        undertow.example_fund().replace(horizon_days=0)
    assert e.value.field == "fund.horizon_days"
    assert e.value.value == "0"
    assert "fund.horizon_days = 0" in str(e.value)


def test_from_dict_names_the_position_field():
    d = example_dict()
    d["positions"][2]["weight"] = -0.25
    with pytest.raises(FundError) as e:
        undertow.Fund.from_dict(d)
    assert any(i["field"].startswith("positions[2].weight") and i["value"] == "-0.25"
               for i in e.value.issues), e.value.issues


def test_from_dict_round_trips_the_example():
    f = undertow.Fund.from_dict(example_dict())
    assert f.to_toml().split("\n", 1)[1] == undertow.example_fund().to_toml().split("\n", 1)[1]


def test_unknown_keys_are_named():
    with pytest.raises(FundError, match="cashh"):
        undertow.example_fund().replace(cashh=0.1)
    d = example_dict()
    d["fund"]["cashh"] = 0.1
    with pytest.raises(FundError, match="cashh"):
        undertow.Fund.from_dict(d)


def test_from_toml_names_the_file(tmp_path):
    with pytest.raises(FundError, match="nowhere.toml"):
        undertow.Fund.from_toml(tmp_path / "nowhere.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text(undertow.example_fund().to_toml().replace("cash = ", "cash = -", 1))
    with pytest.raises(FundError) as e:
        undertow.Fund.from_toml(bad)
    assert "bad.toml" in str(e.value) and "fund.cash" in str(e.value)


def test_run_arguments_are_named():
    f = undertow.example_fund()
    with pytest.raises(FundError, match="argument scenarios: 0"):
        undertow.run(f, scenarios=0)
    with pytest.raises(FundError, match="quantum"):
        undertow.run(f, scenarios=10, backend="quantum")
    with pytest.raises(FundError, match="argument threads"):
        undertow.run(f, scenarios=10, threads=0, analysis=False)
    with pytest.raises(FundError, match="argument stage_reruns: unknown choice `tpu`"):
        undertow.run(f, scenarios=10, stage_reruns="tpu")


def test_replace_cash_rebalances_and_validates():
    f = undertow.example_fund().replace(cash=0.15)
    assert f.cash == 0.15
    weights = [p["weight"] for p in tomllib.loads(f.to_toml())["positions"]]
    assert abs(sum(weights) + 0.15 - 1.0) < 1e-9
    with pytest.raises(FundError, match="fund.cash"):
        undertow.example_fund().replace(cash=0.15, rebalance=False)
