"""Copy modes: how big the follower's copy of each master order is.

Exchanges let a follower choose how its orders are sized from the master's
(``FollowerSettings(copy_mode=...)``); the follower's own leverage and margin mode
then decide the margin behind them. The three modes modelled here:

``"fixed_ratio"`` (the default)
    The follower's orders are the master's times a fixed ratio, the ratio of the
    follower's investment to the master's account. In this course the ratio is folded
    into :attr:`MasterStrategy.first_order`: it is the master's first order *already
    scaled to the follower's account* (100 USDT of BTC), so the follower's order ``k``
    of a cycle is exactly the master's scaled order, ``2**k`` times the first. Binance
    ("Fixed Ratio: you can set a total portfolio investment amount, and the system
    will proportionally copy trades based on the amount you entered") and OKX's smart
    copy ("your order amount is based on the ratio of the trader's margin to account
    equity") work this way. Binance's rules say how: the copy's order cost is "min
    (amount ratio * copier margin balance, ...)", the amount ratio being "Lead
    Trader's Order Cost / Lead Trader's Margin Balance" ("Binance Copy Trading Rules"),
    so the ratio moves with both margin balances; this model holds it fixed.
``"fixed_amount"``
    Every copied order gets the same margin, ``copy_amount`` USDT, whatever the
    master's order size: its size is ``copy_amount x leverage / price``, rounded down
    to whole contracts (0.0001 BTC), so the follower does *not* double with the
    master. Binance ("Fixed Amount: you can set a fixed amount per trade"; "Cost per
    Order (Fixed Amount Mode): Margin per order") and Bitget ("Fixed amount: it
    represents the margin cost per copy trade"; "Margin = price / leverage x number of
    positions") work this way.
``"multiplier"``
    The follower's order is ``copy_multiplier`` times the master's *quantity*,
    rounded down to whole contracts. The master's quantity is what
    :class:`MasterStrategy` places: in this mode :attr:`MasterStrategy.first_order`
    is read as the master's *own* first order (USDT of BTC on the master's account,
    not scaled to the follower), and its order ``k`` is ``2**k`` times that. Bitget
    ("Multiplier: it represents a multiplier relationship between each copied trade
    and the trader's trades") and OKX's proportional copy trading ("the multiplier
    will be applied to the lead trader's order value") work this way.

Fixed ratio and multiplier are the same family (a constant multiple of the master's
orders); they differ in who sets the multiple (the account sizes, or the follower)
and in rounding: a fixed ratio rounds once, on the scaled first order (at least one
contract), a multiplier rounds every order. ``copy_multiplier=1`` copies the log's
orders exactly, so it gives the fixed-ratio result to the last bit (a test checks it).

In every mode an order too small for one whole contract is not copied (a third-party
exchange page says it plainly: "If the set amount is too small (not enough to buy 1
contract), the copy trade will fail"), and the copy rules of
:mod:`~margincourse.engine.copytrading.follower` apply unchanged: the budget, the
available balance and the risk tier may skip an order, and a skipped order ends the
copying of its cycle.

What the mode changes
---------------------
A fixed-ratio copy of a martingale doubles with the master, so the margin behind
one cycle grows like ``2**(doublings + 1) - 1`` first orders; a fixed amount puts
up one ``copy_amount`` per order, so an isolated copy can lose at most about
``(doublings + 1) x copy_amount`` in a cycle (plus fees). On the same seeded paths,
isolated at 10x with the whole account behind the copies:

>>> from margincourse.engine.copytrading import FollowerSettings, price_paths, simulate_many
>>> paths = price_paths(100, 2_160, seed=7)
>>> by_ratio = FollowerSettings("isolated", 10, None)   # first orders of 100 USDT, doubling
>>> by_amount = FollowerSettings("isolated", 10, None, copy_mode="fixed_amount", copy_amount=10.0)
>>> ratio, amount = simulate_many(paths, MasterStrategy(), [by_ratio, by_amount], every=24)
>>> float(ratio.paths["worst_trade"].min().round(2)), float(amount.paths["worst_trade"].min().round(2))
(-511.71, -39.63)
>>> int(ratio.paths["liquidations"].sum()), int(amount.paths["liquidations"].sum())
(49, 153)

The fixed amount is liquidated three times as often (its adds do not pull the
average entry down much, so the copy stays at about 10x), but each cycle costs it at
most some 40 USDT, against more than 500 for the doubling copy.

The money behind the copies
---------------------------
Exchanges keep copied money apart: Binance's copy-trading account "is independent
from the Binance Futures account", Bitget's "diverse follow" uses "a unified fund
pool", OKX's smart copy uses "dedicated funds". In this model the follower's account
is :attr:`FollowerSettings.starting_balance` and the part put behind this trader is
``budget_per_trader`` (the investment): to model a copy account that holds only the
money moved into it, set ``starting_balance`` to that money (then a cross-mode
liquidation takes the copy account, not the rest of the follower's wealth).

Sources (exchange help pages, read in stored copies)
----------------------------------------------------
* Binance, "How to Use Copy Trading on Binance Futures?" (FAQ, 2023-08-22),
  https://www.binance.com/en/support/announcement/how-to-use-copy-trading-on-binance-futures-0b3a91eea664402f812fe41358c8a206
  (Fixed Amount, Fixed Ratio, cost per order, the follower's margin mode and leverage).
* Binance, "Binance Copy Trading Rules" (last updated 2024-10-24),
  https://www.binance.com/en/support/faq/binance-copy-trading-rules-30f1e3a2835345e0b8ffc87f261a8256
  (Fixed Ratio: the order cost from the lead trader's order cost over its margin balance).
* Binance, "Frequently Asked Questions on Binance Futures Copy Trading",
  https://www.binance.bh/en-BH/support/faq/frequently-asked-questions-on-binance-futures-copy-trading-6ed0995daf0b42d5816beaf1e31ca09d
  (the copy modes; the copy-trading account is independent).
* Bitget, "Bitget copy trading: Follower's margin (Copy mode)" (2022-07-05),
  https://www.bitgetapp.com/support/articles/8165390937113 (fixed amount, multiplier,
  fixed quantity; margin = price / leverage x quantity).
* Bitget, "Bitget Copy Trading: Updated Guidelines for Futures Copy Trading Followers"
  (2023-12-12), https://www.bitget.live/en/support/articles/12560603800577 (fixed
  amount or multiplier; a unified fund pool).
* OKX, "Copy traders: Introduction to proportional copy trading" (2024-09-11), read
  only as its summary in a mirrored copy of OKX's help search (the multiplier applied
  to the lead trader's order value); OKX, "What's smart sync and how do I use it?",
  help page ``/help/copy-traders-introduction-to-smart-sync-trld``, read in a
  mirrored copy (smart copy: the ratio of the trader's margin to equity, dedicated
  funds); OKX, "Copy traders FAQ", https://www.okx.com/help/11310532705421 (a copy
  fails on insufficient funds; a lead trader's close closes the copies).
* Bybit, "Copy Mode and Parameter Settings (Copy Trading)" (2024-02-04),
  https://bybitglobal.com/en-US/help-center/bybitHC_Article?id=000001907, and "How to
  Get Started With Copy Trading (Followers)",
  https://www.bybit.com/en/help-center/article?id=000001557 (the investment, the
  choice of a copy mode, which cannot be switched while copying): the stored copies
  did not include the modes' definitions, so no mode here rests on Bybit.
* Hotcoin, "Copy Modes", https://www.hotcoins1.com/en_US/support/Copy-Modes (an order
  below one contract is not copied).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...basics.errors import MarginInputError, check_choice, check_positive
from ..specs import contract
from .candles import SYMBOL
from .lanes import EventTable, _positions
from .master import ADD, OPEN, ROLL, MasterStrategy

COPY_MODES = ("fixed_ratio", "fixed_amount", "multiplier")


def check_copy_mode(copy_mode, copy_amount, copy_multiplier):
    """Refuse a copy mode that is not one of :data:`COPY_MODES`, or a missing or stray ``copy_amount``
    / ``copy_multiplier`` (each is required by its own mode and refused by the others)."""
    check_choice("copy_mode", copy_mode, COPY_MODES)
    for name, value, mode, what in (("copy_amount", copy_amount, "fixed_amount", "USDT of margin per copied order"),
                                    ("copy_multiplier", copy_multiplier, "multiplier", "times the master's quantity")):
        if copy_mode == mode:
            if value is None:
                raise MarginInputError(f"{name} must be given ({what}) when copy_mode is {mode!r}, got None")
            check_positive(name, value)
        elif value is not None:
            raise MarginInputError(f"{name} must be None unless copy_mode is {mode!r} "
                                   f"(copy_mode is {copy_mode!r}), got {value!r}")


def copy_order_sizes(settings, master_size, price, symbol=SYMBOL) -> np.ndarray:
    """The follower's order sizes (BTC) for master orders of ``master_size`` BTC at ``price``.

    ``fixed_ratio``: the master's (scaled) orders themselves; ``fixed_amount``:
    ``floor(copy_amount x leverage / (price x contract size))`` contracts;
    ``multiplier``: ``floor(copy_multiplier x master contracts)`` contracts. 0 where the
    master buys nothing, or where the copy would be less than one contract.

    >>> from margincourse.engine.copytrading import FollowerSettings
    >>> amount = FollowerSettings(leverage=10, copy_mode="fixed_amount", copy_amount=10.0)
    >>> copy_order_sizes(amount, [0.0016, 0.0032], [60_000.0, 57_000.0]).round(4).tolist()
    [0.0016, 0.0017]
    >>> half = FollowerSettings(copy_mode="multiplier", copy_multiplier=0.7)
    >>> copy_order_sizes(half, [0.0016, 0.0032], [60_000.0, 57_000.0]).round(4).tolist()
    [0.0011, 0.0022]
    """
    return _order_sizes(_sizing(settings), master_size, price, contract(symbol).contract_size)


def _order_sizes(key, master_size, price, contract_size) -> np.ndarray:
    """:func:`copy_order_sizes` for a sizing ``key`` of :func:`_sizing`."""
    master_size = np.asarray(master_size, dtype=float)
    if key is None:
        return master_size
    mode, value, leverage = key
    if mode == "multiplier":
        contracts = np.floor(value * np.round(master_size / contract_size) + 1e-9)
    else:
        contracts = np.floor(value * leverage / (np.asarray(price, dtype=float) * contract_size) + 1e-9)
    return np.where(master_size > 0, contracts, 0.0) * contract_size


def copy_ladder(strategy: MasterStrategy, settings, start_price) -> pd.DataFrame:
    """A cycle's orders if the price only falls from ``start_price``: the master's, the follower's
    copy of each (in ``settings``' copy mode) and the margin the copy puts up, order by order and
    in total. The margins of a full cycle add up to the most an isolated copy can lose in it
    (plus fees).

    Fixed ratio doubles with the master; a fixed amount puts up about the same margin each time:

    >>> from margincourse.engine.copytrading import FollowerSettings
    >>> master = MasterStrategy(first_order=100.0, doublings=5)
    >>> copy_ladder(master, FollowerSettings("isolated", 10), 60_000)[["price", "copy margin (USDT)"]]
         price  copy margin (USDT)
    0  60000.0                9.60
    1  57000.0               18.24
    2  54150.0               34.66
    3  51442.5               65.85
    4  48870.4              125.11
    5  46426.9              237.71
    >>> fixed = FollowerSettings("isolated", 10, copy_mode="fixed_amount", copy_amount=10.0)
    >>> copy_ladder(master, fixed, 60_000)["margin in the cycle (USDT)"].tolist()
    [9.6, 19.29, 29.04, 38.81, 48.59, 58.33]
    """
    ladder = strategy.ladder(start_price)
    prices = ladder["price"].to_numpy()
    master = strategy.order_sizes(prices[0])
    copy = copy_order_sizes(settings, master, prices, strategy.symbol)
    margin = copy * prices / settings.leverage
    return pd.DataFrame({"order": ladder["order"], "price": prices, "master size (BTC)": master.round(8),
                         "copy size (BTC)": copy.round(8), "copy margin (USDT)": margin.round(2),
                         "margin in the cycle (USDT)": np.cumsum(margin).round(2)})


def _sizing(settings):
    """What decides the copy's order sizes: ``None`` for a fixed ratio (the master's log as it is),
    else the mode and its number (and, for a fixed amount, the leverage)."""
    if settings.copy_mode == "multiplier":
        return ("multiplier", float(settings.copy_multiplier), None)
    if settings.copy_mode == "fixed_amount":
        return ("fixed_amount", float(settings.copy_amount), float(settings.leverage))
    return None


def _copy_table(master: EventTable, key, tiers, contract_size) -> EventTable:
    """The master's events with the follower's own orders (sizing ``key`` of :func:`_sizing`) and
    the follower's position after each of them, if it copies the cycle in full.

    The position is recomputed order by order with :meth:`margincourse.Account.open`'s
    arithmetic (the first order of a cycle at its price, each add by the size-weighted
    average). An order of less than one contract cannot be copied: its allowed
    leverage is set to 0, so the follower skips it.
    """
    buys = master.buys()
    q = np.where(buys, _order_sizes(key, master.buy_size, master.buy_price, contract_size), 0.0)
    first = (master.kind == OPEN) | (master.kind == ROLL)
    add = master.kind == ADD
    price = master.buy_price
    size, entry = np.zeros(q.shape), np.ones(q.shape)
    held_size, held_entry = np.zeros(q.shape[1]), np.ones(q.shape[1])
    for e in range(master.n_events):
        total = q[e] + held_size
        grown = (held_size * held_entry + q[e] * price[e]) / np.where(total > 0, total, 1.0)
        size[e] = np.where(first[e], q[e], np.where(add[e], total, held_size))
        entry[e] = np.where(first[e], price[e], np.where(add[e] & (total > 0), grown, held_entry))
        held_size, held_entry = size[e], entry[e]
    fills = buys & (q > 0)
    columns = _positions(fills, price, q, size, entry, tiers)
    columns["max_leverage"] = np.where(buys & ~fills, 0.0, columns["max_leverage"])
    return EventTable(kind=master.kind, candle=master.candle, price=master.price, stretch_low=master.stretch_low,
                      stretch_start=master.stretch_start, stretch_level=master.stretch_level,
                      stretch_end_low=master.stretch_end_low, **columns)
