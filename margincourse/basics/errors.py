"""The one error the course raises, and the checks that raise it.

Every refusal in ``margincourse`` is a :class:`MarginInputError`, a subclass of
:class:`ValueError`, whose message names the parameter, the value it got and the
range it allows, for example::

    leverage must be between 1 and 125 for BTCUSDT at 60,000 USDT notional, got 200

The checks run before anything changes, so a refused call leaves every object
exactly as it was.
"""

from __future__ import annotations

import math
from typing import Iterable

import numpy as np

from .formatting import number as fmt  # the error messages' numbers; other modules import it from here too

__all__ = ["MarginInputError"]


class MarginInputError(ValueError):
    """A value given to ``margincourse`` is outside what the formula or the exchange allows."""


def _as_number(name: str, value) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(
        value, (int, float, np.integer, np.floating)
    ):
        raise MarginInputError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if math.isnan(value):
        raise MarginInputError(f"{name} must be a number, got NaN")
    if math.isinf(value):
        raise MarginInputError(f"{name} must be finite, got {value}")
    return value


def check_positive(name: str, value) -> float:
    """Return ``value`` as a float, or raise if it is not a finite number above zero."""
    value = _as_number(name, value)
    if value <= 0:
        raise MarginInputError(f"{name} must be greater than 0, got {fmt(value)}")
    return value


def check_non_negative(name: str, value) -> float:
    """Return ``value`` as a float, or raise if it is not a finite number of at least zero."""
    value = _as_number(name, value)
    if value < 0:
        raise MarginInputError(f"{name} must be 0 or more, got {fmt(value)}")
    return value


def check_finite(name: str, value) -> float:
    """Return ``value`` as a float, or raise if it is NaN, infinite or not a number."""
    return _as_number(name, value)


def check_between(name: str, value, low: float, high: float, *, high_inclusive=True, context="") -> float:
    """Return ``value`` as a float, or raise if it lies outside ``[low, high]`` (or ``[low, high)``)."""
    value = _as_number(name, value)
    too_high = value > high if high_inclusive else value >= high
    if value < low or too_high:
        upper = fmt(high) if high_inclusive else f"below {fmt(high)}"
        raise MarginInputError(
            f"{name} must be between {fmt(low)} and {upper}{context}, got {fmt(value)}"
        )
    return value


def check_choice(name: str, value, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise naming the allowed ones."""
    choices = tuple(choices)
    if not isinstance(value, str) or value not in choices:
        allowed = " or ".join(repr(c) for c in choices)
        raise MarginInputError(f"{name} must be {allowed}, got {value!r}")
    return value


def as_float_array(name: str, value) -> np.ndarray:
    """Convert a scalar or array-like to a float array, refusing NaN, infinities and non-numbers."""
    try:
        raw = np.asarray(value)
        if raw.dtype.kind not in "iuf":  # no strings, objects or booleans
            raise TypeError
        array = raw.astype(float, copy=False)
    except (TypeError, ValueError):
        raise MarginInputError(f"{name} must be a number or an array of numbers, got {value!r}") from None
    if not np.isfinite(array).all():
        bad = array[~np.isfinite(array)].flat[0]
        raise MarginInputError(f"{name} must be finite numbers, got {bad}")
    return array


def check_broadcast(**arrays) -> tuple:
    """The common shape of the arguments, or an error naming the ones that do not fit together."""
    try:
        return np.broadcast_shapes(*(np.shape(a) for a in arrays.values()))
    except ValueError:
        shapes = ", ".join(f"{name} {np.shape(a)}" for name, a in arrays.items() if np.ndim(a))
        raise MarginInputError(f"array arguments must have shapes that broadcast together, got {shapes}") from None


def check_array_positive(name: str, array: np.ndarray) -> None:
    """Raise if any element of ``array`` is zero or negative."""
    if array.size and not (array > 0).all():
        raise MarginInputError(f"{name} must be greater than 0, got {fmt(array[array <= 0].flat[0])}")


def check_array_range(name: str, array: np.ndarray, low: float, high: float, *, high_inclusive=True) -> None:
    """Raise if any element of ``array`` lies outside ``[low, high]`` (or ``[low, high)``)."""
    bad = (array < low) | ((array > high) if high_inclusive else (array >= high))
    if array.size and bad.any():
        upper = fmt(high) if high_inclusive else f"below {fmt(high)}"
        raise MarginInputError(f"{name} must be between {fmt(low)} and {upper}, got {fmt(array[bad].flat[0])}")
