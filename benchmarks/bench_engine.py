"""Speed of the margin engine, printed as a markdown table with the machine it ran on.

    python benchmarks/bench_engine.py            # full sizes (the figures the issues set targets for)
    python benchmarks/bench_engine.py --quick    # small sizes, to check the script still runs

Targets (issue "The margin engine and the project's foundation", on a 2-core machine):
``liquidation_price`` over 10^6 positions in under 50 ms and at least 50x faster than a
Python loop over the scalar formula; one year of 1-minute candles (525,600) for an
account with two cross and two isolated positions in under 1 s.
Every figure is the median of several runs, measured in this run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import margincourse as mc  # noqa: E402
from common import report  # noqa: E402


def timed(function, repeat):
    times = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def bench_liquidation_price(n, loop_n, repeat):
    rng = np.random.default_rng(0)
    entry = rng.uniform(20_000, 100_000, n).round(1)
    size = rng.integers(1, 10_000, n) * 0.0001
    leverage = rng.integers(1, 126, n)
    wallet = size * entry / leverage
    mmr, cum = 0.004, 0.0
    vector_time, vector = timed(lambda: mc.liquidation_price("long", entry, size, wallet, mmr, cum), repeat)

    def bare_loop():
        out = [0.0] * loop_n
        for i in range(loop_n):
            q, ep, wb = float(size[i]), float(entry[i]), float(wallet[i])
            out[i] = (wb + cum - q * ep) / (q * mmr - q)
        return out

    def public_loop():
        return [mc.liquidation_price("long", float(entry[i]), float(size[i]), float(wallet[i]), mmr, cum)
                for i in range(loop_n)]

    bare_time, bare = timed(bare_loop, 1)
    public_time, public = timed(public_loop, 1)
    assert np.allclose(bare, vector[:loop_n]) and np.allclose(public, vector[:loop_n])
    scale = n / loop_n
    return vector_time, bare_time * scale, public_time * scale


def four_position_year(n):
    paths = {
        "BTCUSDT": mc.generate_path(n, seed=1, start_price=60_000),
        "ETHUSDT": mc.generate_path(n, seed=2, start_price=3_000, tick_size=0.01),
        "SOLUSDT": mc.generate_path(n, seed=3, start_price=150, tick_size=0.01),
        "BNBUSDT": mc.generate_path(n, seed=4, start_price=600, tick_size=0.01),
    }

    def make_account():
        account = mc.Account(50_000, taker_fee=0.0005, liquidation_fee=0.0125)
        account.open("BTCUSDT", "long", 0.5, 60_000, 10, "cross")
        account.open("ETHUSDT", "short", 5, 3_000, 10, "cross")
        account.open("SOLUSDT", "long", 100, 150, 20, "isolated")
        account.open("BNBUSDT", "short", 20, 600, 20, "isolated", auto_add_margin=True)
        return account

    return paths, make_account


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: check that the script runs")
    parser.add_argument("--out", help="also write the table to this markdown file")
    args = parser.parse_args(argv)
    n, loop_n, candles, repeat = (10_000, 1_000, 5_000, 2) if args.quick else (1_000_000, 100_000, 525_600, 5)

    vector_time, bare_loop_time, public_loop_time = bench_liquidation_price(n, loop_n, repeat)
    paths, make_account = four_position_year(candles)
    generate_time, _ = timed(lambda: mc.generate_path(candles, seed=1), max(1, repeat // 2))
    run_time, timeline = timed(lambda: make_account().run(paths), repeat)
    events = len(timeline.attrs["events"])

    rows = [
        ("`liquidation_price`, numpy arrays", f"{n:,} positions", f"{vector_time * 1e3:.1f} ms", "< 50 ms"),
        ("same, Python loop over the bare formula", f"{n:,} positions (timed on {loop_n:,}, scaled)",
         f"{bare_loop_time * 1e3:,.0f} ms", ""),
        ("same, Python loop calling `liquidation_price` on scalars", f"{n:,} positions (timed on {loop_n:,}, scaled)",
         f"{public_loop_time * 1e3:,.0f} ms", ""),
        ("speed-up of the arrays over the bare loop", "", f"{bare_loop_time / vector_time:,.0f}x", ">= 50x"),
        ("speed-up of the arrays over the scalar-call loop", "", f"{public_loop_time / vector_time:,.0f}x", ">= 50x"),
        ("`generate_path`, 1-minute candles", f"{candles:,} candles", f"{generate_time * 1e3:.0f} ms", ""),
        ("`Account.run`, 2 cross + 2 isolated positions", f"{candles:,} candles x 4 symbols, {events} events",
         f"{run_time * 1e3:.0f} ms", "< 1 s"),
    ]
    title = f"Margin engine benchmark{' (quick sizes)' if args.quick else ''}"
    report(title, ("what", "size", "median time", "target"), rows, out=args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
