"""Type stubs for undertow (the native module's classes and the package's functions)."""

from os import PathLike
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Union

import pyarrow

__version__: str

Progress = Union[None, str, Callable[[int, int], Any]]

class UndertowError(Exception): ...

class FundError(UndertowError, ValueError):
    field: Optional[str]
    value: Optional[str]
    issues: List[Dict[str, str]]

class GpuError(UndertowError, RuntimeError): ...

class Fund:
    """A validated fund (the fund file's rules)."""

    @staticmethod
    def from_toml(path: Union[str, PathLike]) -> "Fund": ...
    @staticmethod
    def from_dict(d: Dict[str, Any]) -> "Fund": ...
    def to_toml(self) -> str: ...
    def replace(self, rebalance: bool = True, **fields: Any) -> "Fund": ...
    @property
    def name(self) -> str: ...
    @property
    def cash(self) -> float: ...
    @property
    def horizon_days(self) -> int: ...
    @property
    def aum(self) -> float: ...
    @property
    def source(self) -> str: ...

class Result:
    """A finished run in memory; nothing is written until `write`."""

    @property
    def scenarios(self) -> pyarrow.Table: ...
    @property
    def scenarios_unconditional(self) -> Optional[pyarrow.Table]: ...
    def to_pandas(self) -> Any: ...
    def to_polars(self) -> Any: ...
    @property
    def summary(self) -> Dict[str, Any]: ...
    @property
    def findings(self) -> List[Dict[str, Any]]: ...
    @property
    def notices(self) -> List[str]: ...
    @property
    def fund(self) -> Fund: ...
    def report_html(self) -> str: ...
    def write(self, dir: Union[str, PathLike]) -> None: ...
    def _repr_html_(self) -> str: ...

def example_fund() -> Fund: ...
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
) -> Result: ...
def sweep(
    funds: Union[Iterable[Fund], Mapping[str, Fund]],
    scenarios: int = 10_000,
    seed: int = 1,
    backend: str = "auto",
    threads: Optional[int] = None,
    progress: Progress = None,
) -> pyarrow.Table: ...
def calibrate_flows(
    fund: Union[str, PathLike],
    flows: Union[str, PathLike],
    market: Optional[Union[str, PathLike]] = None,
    out: Optional[Union[str, PathLike]] = None,
) -> Dict[str, Any]: ...
def backtest(
    fund: Union[str, PathLike],
    flows: Union[str, PathLike],
    market: Optional[Union[str, PathLike]] = None,
    draws: int = 2000,
    seed: int = 1,
    out_dir: Optional[Union[str, PathLike]] = None,
) -> Dict[str, Any]: ...
