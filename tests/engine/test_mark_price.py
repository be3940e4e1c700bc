"""How the mark price is built (Binance "Mark Price", Bybit "Mark Price Calculation (Perpetual Contract)")."""

import numpy as np
import pytest

from margincourse import MarginInputError
from margincourse.engine.mark_price import funding_basis_price, mark_price, moving_average_basis_price


def test_price_1_reproduces_aevos_worked_example():
    """Aevo, "Perpetual Futures Mark Pricing": index 2,000, last funding rate 0.005, 0.5 h to an hourly
    funding: Price 1 = 2,000 x (1 + 0.005 x 0.5) = 2,005."""
    assert funding_basis_price(2_000, 0.005, 0.5, funding_interval_hours=1) == pytest.approx(2_005)


def test_price_1_decays_to_the_index_at_funding_time():
    assert funding_basis_price(50_000, 0.0003, 0) == 50_000
    assert funding_basis_price(50_000, 0.0003, 8) == pytest.approx(50_000 * 1.0003)
    assert funding_basis_price(50_000, -0.0003, 4) == pytest.approx(50_000 * (1 - 0.00015))


def test_price_2_is_index_plus_basis():
    assert moving_average_basis_price(50_000, -25) == 49_975


def test_mark_is_the_median_of_the_three():
    # Price 1 = 50,001.25, Price 2 = 50,015; the last price decides only when it lies between them
    assert mark_price(50_000, 0.0001, 2, 15, 50_030) == pytest.approx(50_015)
    assert mark_price(50_000, 0.0001, 2, 15, 48_000) == pytest.approx(50_001.25)
    assert mark_price(50_000, 0.0001, 2, 15, 50_008) == pytest.approx(50_008)


def test_vectorised_over_last_prices():
    lasts = np.array([40_000, 50_005, 60_000])
    out = mark_price(50_000, 0.0001, 2, 15, lasts)
    assert out.tolist() == pytest.approx([50_001.25, 50_005, 50_015])


@pytest.mark.parametrize("kwargs, name", [
    (dict(index_price=0), "index_price"),
    (dict(hours_until_funding=-1), "hours_until_funding"),
    (dict(hours_until_funding=9), "hours_until_funding"),
    (dict(last_price=-5), "last_price"),
    (dict(moving_average_basis=-60_000), "moving_average_basis"),
    (dict(last_funding_rate="a lot"), "last_funding_rate"),
])
def test_bad_input_is_refused_naming_the_parameter(kwargs, name):
    args = dict(index_price=50_000, last_funding_rate=0.0001, hours_until_funding=2, moving_average_basis=15,
                last_price=50_030)
    args.update(kwargs)
    with pytest.raises(MarginInputError, match=name):
        mark_price(**args)
