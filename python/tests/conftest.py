"""Shared fixtures: the CLI binary built by cargo (the reference the wheel must match)."""

import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def cli() -> pathlib.Path:
    """`undertow` as cargo built it: $UNDERTOW_CLI, else target/debug, else target/release.
    Missing is a failure, not a skip: CI builds it before these tests run."""
    candidates = [os.environ.get("UNDERTOW_CLI")] if os.environ.get("UNDERTOW_CLI") else []
    candidates += [ROOT / "target" / "debug" / "undertow", ROOT / "target" / "release" / "undertow"]
    for c in candidates:
        if c and pathlib.Path(c).is_file():
            return pathlib.Path(c)
    pytest.fail("no undertow binary: run `cargo build -p undertow-cli` first (or set UNDERTOW_CLI)")
