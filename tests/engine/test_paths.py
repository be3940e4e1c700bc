"""Price paths: the seeded generator, scenarios and the kline loader."""

import io

import numpy as np
import pytest

import margincourse as mc


def test_same_seed_same_path_other_seed_other_path():
    a, b, c = mc.generate_path(500, seed=7), mc.generate_path(500, seed=7), mc.generate_path(500, seed=8)
    assert a.equals(b)
    assert not a.equals(c)


def test_candles_are_consistent_and_on_the_tick():
    path = mc.generate_path(20_000, seed=1)
    o, h, l, c = (path[k].to_numpy() for k in ("open", "high", "low", "close"))
    assert (l <= np.minimum(o, c)).all() and (h >= np.maximum(o, c)).all() and (l > 0).all()
    assert np.allclose(np.round(o / 0.1) * 0.1, o)
    assert (o[1:] == c[:-1]).all()
    assert path.index.is_monotonic_increasing and str(path.index.tz) == "UTC"


def test_generator_has_the_documented_volatility_and_fat_tails():
    path = mc.generate_path(525_600, seed=5, jumps_per_year=0)
    returns = np.diff(np.log(path["close"].to_numpy()))
    annualised = returns.std() * np.sqrt(525_600)
    assert annualised == pytest.approx(0.6, rel=0.05)
    standardised = returns / returns.std()
    kurtosis = np.mean(standardised**4)
    assert kurtosis > 6  # a normal law has 3


def test_jumps_add_large_moves():
    calm = mc.generate_path(525_600, seed=9, jumps_per_year=0)
    jumpy = mc.generate_path(525_600, seed=9, jumps_per_year=50, jump_volatility=0.05)
    big = lambda p: (np.abs(np.diff(np.log(p["close"].to_numpy()))) > 0.03).sum()
    assert big(jumpy) > big(calm) + 10


@pytest.mark.parametrize("name", sorted(mc.scenarios()))
def test_every_scenario_is_valid_candles(name):
    path = mc.scenario(name, start_price=60_000, n=100)
    assert len(path) == 100
    o, h, l, c = (path[k].to_numpy() for k in ("open", "high", "low", "close"))
    assert (l <= np.minimum(o, c)).all() and (h >= np.maximum(o, c)).all()


def test_wick_scenario_recovers():
    path = mc.scenario("wick_down_30", start_price=60_000, n=100)
    assert path["low"].min() == pytest.approx(42_000)
    assert path["close"].iloc[-1] == 60_000


BINANCE_ROWS = """1704067200000,42283.58,42554.57,42261.02,42475.23,1271.68108,1704070799999,53957463.4,54059,652.08,27668483.2,0
1704070800000,42475.23,42775.00,42431.65,42613.56,1196.37856,1704074399999,50978541.3,50958,593.43,25284393.5,0
1704074400000,42613.57,42638.41,42364.84,42481.00,710.17388,1704077999999,30189045.1,35616,318.56,13543520.7,0
"""


def test_loads_binance_headerless_kline_files():
    path = mc.load_klines(io.StringIO(BINANCE_ROWS))
    assert list(path.columns) == ["open", "high", "low", "close", "volume"]
    assert str(path.index[0]) == "2024-01-01 00:00:00+00:00"
    assert path["close"].iloc[-1] == 42_481.00


def test_loads_files_with_a_header(tmp_path):
    file = tmp_path / "klines.csv"
    file.write_text("open_time,open,high,low,close,volume,trades\n"
                    "2024-01-01T00:00:00Z,100,110,90,105,1.5,3\n"
                    "2024-01-01T00:01:00Z,105,106,100,101,2.5,4\n")
    before = file.read_bytes()
    path = mc.load_klines(file)
    assert path["high"].tolist() == [110, 106]
    assert file.read_bytes() == before


def test_loaded_klines_run_an_account():
    path = mc.load_klines(io.StringIO(BINANCE_ROWS))
    account = mc.Account(1_000)
    account.open("BTCUSDT", "long", 0.1, 42_283.5, 125, "isolated")
    timeline = account.run(path)
    # 125x: liquidation near 42,113.7, below every low in these three hours
    assert (timeline["events"] == "").all()
    assert account.equity == pytest.approx(1_000 + 0.1 * (42_481.00 - 42_283.5))
