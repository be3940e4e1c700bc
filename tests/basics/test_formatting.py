"""The course's one number formatter (margincourse/basics/formatting.py).

The functions replace about ten local formatters (f-strings such as ``f"{x:,.2f} USDT"``
and helpers in the lessons and the command line) without changing what a learner
reads, so each is checked against the f-string it replaces, for any number; the one
difference is on purpose: a value that rounds to zero is written without a minus sign.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from margincourse.basics import errors
from margincourse.basics.formatting import money, number, percent, usd, usdt

finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False)
decimals = st.integers(min_value=0, max_value=6)


def _rounds_to_zero(value, places):
    return round(value, places) == 0


@given(finite, decimals, st.booleans())
def test_amounts_read_like_the_f_strings_they_replace(value, places, sign):
    if _rounds_to_zero(value, places):
        return
    plain = f"{value:{'+' if sign else ''},.{places}f}"
    assert money(value, places, sign=sign) == plain
    assert usdt(value, places, sign=sign) == f"{plain} USDT"
    assert usd(value, places, sign=sign) == f"{plain} USD"


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), decimals, st.booleans())
def test_percent_reads_like_the_f_strings_it_replaces(fraction, places, sign):
    if _rounds_to_zero(fraction * 100, places):
        return
    assert percent(fraction, places, sign=sign) == f"{fraction * 100:{'+' if sign else ''},.{places}f} %"


@pytest.mark.parametrize("value", [-0.0, -0.001, -1e-9, 0.0])
def test_a_value_that_rounds_to_zero_has_no_minus_sign(value):
    assert money(value) == "0.00"
    assert usdt(value, 0) == "0 USDT"
    assert percent(value / 100) == "0.00 %"
    assert money(value, sign=True) == "+0.00"
    assert number(value, decimals=2) == "0"


def test_the_examples_of_the_module():
    assert usdt(1_234.56) == "1,234.56 USDT"
    assert usd(12_000, 0) == "12,000 USD"
    assert money(45_180.7234) == "45,180.72"
    assert percent(-0.0964) == "-9.64 %"
    assert percent(0.1, 1) == "10.0 %"
    assert number(0.996) == "0.996"


def test_numpy_numbers_read_like_python_numbers():
    assert usdt(np.float64(1_000.5)) == usdt(1_000.5) == "1,000.50 USDT"
    assert money(np.int64(50_000), 0) == "50,000"
    assert number(np.float32(0.5)) == "0.5"


@pytest.mark.parametrize("value, text", [
    (60_000, "60,000"),
    (60_000.0, "60,000"),
    (0.004, "0.004"),
    (1 / 3, "0.33333333"),
    (0.000123456789123, "0.0001234567891"),
    (-2.5, "-2.5"),
    (True, "True"),
    (float("nan"), "nan"),
    (float("inf"), "inf"),
    ("x", "'x'"),
    (None, "None"),
])
def test_number_is_what_the_error_messages_show(value, text):
    assert number(value) == text
    assert errors.fmt(value) == text  # the error messages' name for it, kept for the modules that use it


@pytest.mark.parametrize("value, text", [
    (0.02, "0.02"),
    (50_000.0, "50,000"),
    (100, "100"),
    (0.0099999999999, "0.01"),
    (1.23456789012, "1.2345678901"),
    (8e-05, "0.00008"),
    (-1e-12, "0"),
])
def test_number_with_decimals_drops_the_needless_zeros(value, text):
    assert number(value, decimals=10) == text


def test_number_with_no_decimals_keeps_the_zeros_of_a_whole_number():
    assert number(100.4, decimals=0) == "100"
    assert number(-0.4, decimals=0) == "0"
    assert math.isnan(float(number(float("nan"), decimals=2)))
