"""Undertow from Python: liquidity stress cascades for multi-asset funds.

>>> import undertow
>>> fund = undertow.example_fund()
>>> result = undertow.run(fund, scenarios=2_000, seed=1)
>>> result.summary["headline"]["coverage"]      # doctest: +SKIP
>>> result.scenarios                              # a pyarrow.Table, no copy

See docs/python.md.
"""

from typing import Any, Callable, Iterable, Mapping, Optional, Union

from . import _native
from ._errors import FundError, GpuError, UndertowError
from ._native import Fund, Result, backtest, calibrate_flows, example_fund

__all__ = [
    "Fund",
    "Result",
    "example_fund",
    "run",
    "sweep",
    "calibrate_flows",
    "backtest",
    "UndertowError",
    "FundError",
    "GpuError",
    "__version__",
]

__version__ = _native.__version__

Progress = Union[None, str, Callable[[int, int], Any]]


def _progress(progress: Progress, what: str):
    """A callable(done, total) for `progress`, and a closer. "tqdm" draws a tqdm bar."""
    if progress is None or callable(progress):
        return progress, lambda: None
    if progress == "tqdm":
        try:
            from tqdm.auto import tqdm
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise FundError("argument progress: 'tqdm' needs the tqdm package") from e
        bar = tqdm(total=0, unit="scenarios", desc=what)

        def update(done: int, total: int) -> None:
            if bar.total != total:
                bar.total = total
            bar.n = done
            bar.refresh()

        return update, bar.close
    raise FundError(
        f"argument progress: {progress!r} (expected None, a callable(done, total) or 'tqdm')"
    )


def run(
    fund: Fund,
    scenarios: int = 10_000,
    seed: int = 1,
    backend: str = "auto",
    threads: Optional[int] = None,
    analysis: bool = True,
    unconditional: bool = True,
    progress: Progress = None,
    paths: int = 200,
    stage_reruns: str = "auto",
) -> Result:
    """Runs `fund` exactly as ``undertow run`` does: `scenarios` scenarios from `seed` on
    `backend` ("auto", "cpu" or "gpu"), the analysis stages unless `analysis` is False, the
    unconditional mixture unless `unconditional` is False, the stages' plain reruns where
    `stage_reruns` says (as ``--stage-reruns``: "auto" uses the GPU when the sweep runs on a
    hardware one). The GIL is released while it runs; Ctrl-C raises KeyboardInterrupt and
    returns nothing. `progress`: a callable(done, total) called on this thread, or "tqdm"."""
    callback, close = _progress(progress, "undertow run")
    try:
        return _native.run(
            fund,
            scenarios=scenarios,
            seed=seed,
            backend=backend,
            threads=threads,
            analysis=analysis,
            unconditional=unconditional,
            progress=callback,
            paths=paths,
            stage_reruns=stage_reruns,
        )
    finally:
        close()


def sweep(
    funds: Union[Iterable[Fund], Mapping[str, Fund]],
    scenarios: int = 10_000,
    seed: int = 1,
    backend: str = "auto",
    threads: Optional[int] = None,
    progress: Progress = None,
):
    """Sweeps every fund (a list, or a dict of name to fund) on the same seed and scenario
    indices (common random numbers: scenario i draws the same market and flows in every
    variant whose scenario configuration is the same), the stress library alone. Returns one
    pyarrow.Table with a ``variant`` column (the dict key, or the list position as text)."""
    callback, close = _progress(progress, "undertow sweep")
    try:
        return _native.sweep(
            funds if isinstance(funds, Mapping) else list(funds),
            scenarios=scenarios,
            seed=seed,
            backend=backend,
            threads=threads,
            progress=callback,
        )
    finally:
        close()


