"""How the course writes a number: one function per kind of number a learner reads.

===========================  =====================  ======================================
call                         reads                  used for
===========================  =====================  ======================================
``usdt(1234.5)``             ``1,234.50 USDT``      an amount of money in USDT
``usd(12000, 0)``            ``12,000 USD``         an amount of money in US dollars
``money(45180.72)``          ``45,180.72``          a price, or money in a column that
                                                    names its unit
``percent(-0.0964)``         ``-9.64 %``            a fraction (0.05 means 5 %)
``number(0.996)``            ``0.996``              any other number: no needless zeros
===========================  =====================  ======================================

``decimals`` says how many decimals to show; ``sign=True`` writes a ``+`` before a
positive number. A value that rounds to zero is written without a minus sign
(``0.00``, never ``-0.00``).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["money", "number", "percent", "usd", "usdt"]


def _fixed(value, decimals, sign):
    """``value`` with thousands separators and ``decimals`` decimals; -0 is written 0."""
    return f"{round(value, decimals) + 0.0:{'+' if sign else ''},.{decimals}f}"


def money(value, decimals=2, *, sign=False) -> str:
    """A price or an amount of money, without its unit: thousands separators, fixed decimals.

    >>> money(45_180.7234)
    '45,180.72'
    >>> money(50_000, 0), money(-0.001), money(12.5, sign=True)
    ('50,000', '0.00', '+12.50')
    """
    return _fixed(value, decimals, sign)


def usdt(value, decimals=2, *, sign=False) -> str:
    """An amount of money in USDT.

    >>> usdt(1_234.56)
    '1,234.56 USDT'
    >>> usdt(100, 0), usdt(-3.2, sign=True)
    ('100 USDT', '-3.20 USDT')
    """
    return f"{_fixed(value, decimals, sign)} USDT"


def usd(value, decimals=2, *, sign=False) -> str:
    """An amount of money in US dollars (the traditional futures of lesson 7).

    >>> usd(12_000, 0)
    '12,000 USD'
    """
    return f"{_fixed(value, decimals, sign)} USD"


def percent(fraction, decimals=2, *, sign=False) -> str:
    """A fraction as a percentage: ``0.05`` is ``5.00 %``.

    >>> percent(-0.0964)
    '-9.64 %'
    >>> percent(0.1, 1), percent(0.0125, sign=True)
    ('10.0 %', '+1.25 %')
    """
    return f"{_fixed(fraction * 100, decimals, sign)} %"


def number(value, decimals=None) -> str:
    """Any number with thousands separators and no needless zeros (what error messages show).

    Whole numbers have no decimals; others show up to 8 decimals (10 significant digits
    below 0.001), or at most ``decimals`` when given. Something that is not a number is
    shown as its ``repr``.

    >>> number(60_000), number(0.996), number(1_234.5), number(0.00012345678912)
    ('60,000', '0.996', '1,234.5', '0.0001234567891')
    >>> number(2 / 3), number(2 / 3, decimals=3), number("x")
    ('0.66666667', '0.667', "'x'")
    """
    if isinstance(value, (bool, np.bool_)):
        return str(value)
    if not isinstance(value, (int, float, np.integer, np.floating)):
        return repr(value)
    value = float(value)
    if math.isnan(value) or math.isinf(value):
        return str(value)
    if decimals is not None:
        text = f"{value:,.{decimals}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return "0" if text == "-0" else text
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.10g}" if abs(value) < 1e-3 else f"{value:,.8f}".rstrip("0").rstrip(".")
