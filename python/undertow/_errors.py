"""The exceptions the native module raises (defined here so that they can subclass the
built-in ones)."""


class UndertowError(Exception):
    """Base class of every undertow error."""


class FundError(UndertowError, ValueError):
    """Bad input: a fund the fund file's rules refuse, or a bad argument. The message names the
    file, field and value; ``field``/``value`` hold the first problem's, ``issues`` every one
    (dicts with ``file``, ``field``, ``value``, ``reason``)."""

    field = None
    value = None
    issues = ()


class GpuError(UndertowError, RuntimeError):
    """The GPU asked for is not there, or it failed while running."""
