"""Auto-deleveraging (ADL): who pays when the insurance fund cannot cover a bankrupt position.

When a liquidated position cannot be closed at its bankruptcy price (the price gapped past
it), the loss beyond its collateral is the insurance fund's. When the fund cannot cover it,
the exchange closes opposing profitable positions against the bankrupt one, **at the
bankruptcy price of the liquidated order**, ranked by profit and leverage
[BINANCE-ADL, BYBIT-ADL]. The money works out exactly: a bankrupt long of ``Q`` with
bankruptcy price ``BP``, marked at ``P < BP``, loses ``Q x (BP - P)`` beyond its
collateral; a short closed at ``BP`` instead of ``P`` realizes ``q x (BP - P)`` less profit
than its mark said. What the bankrupt side lost beyond its collateral is what the fund paid
plus what the deleveraged winners did not receive (:func:`deleverage`).

Rankings (:func:`adl_ranking`), computed separately for longs and shorts, highest first:

* ``rule="binance"`` [BINANCE-ADL], "LeveragePnL":
  ``Pnl Percent = max(0, Unrealized Profit) / max(1, Wallet Balance)``,
  ``Margin Ratio = Maintenance Margin / (Wallet Balance + Unrealized Profit)`` (0 when
  that balance is <= 0), ``Leverage Pnl = Pnl Percent x Margin Ratio``. The maintenance
  margin is taken from the shipped Binance tier table of the counterparty's symbol.
* ``rule="bybit"`` [BYBIT-ADL]: Bybit says only that the ranking "is derived in order of
  highest profit and effective leverage use"; the formula was not in the pages read, so
  this uses the documented minimum in the form BitMEX publishes for the same idea:
  ``PnL percentage x effective leverage`` (divided instead when the PnL is negative), with
  ``PnL percentage = UPNL / entry value`` and ``effective leverage = mark value /
  (wallet balance + UPNL)`` (mark value over the distance to the bankruptcy value).

Modelled minimum, stated: the insurance fund pays first, as far as its balance goes; the
rest of the bankrupt quantity is matched against opposing positions that are in profit at
the mark, best-ranked first, each closed in part or whole; fees on ADL are left out; what no
modelled counterparty can take is reported as ``uncovered`` (an exchange would go further
down its queue).

Sources
-------
[BINANCE-ADL] Binance FAQ, "What Is Auto-Deleveraging (ADL) and How Does It Work"
    (2019-09-09), https://www.binance.com/en/support/faq/360033525471 : "the final step
    taken only when the Insurance Fund cannot accept the bankrupt client's positions";
    "More profitable and higher leveraged traders will be liquidated first"; positions
    "closed out at the bankruptcy price of the initial liquidated order"; the
    "Calculation of Liquidation Priority Ranking" above (read in a public copy of the page).
[BYBIT-ADL] Bybit Help Center, "What is Auto-Deleveraging (ADL)?",
    https://help.bybit.com/hc/en-us/articles/900000031623 , and "Auto-Deleveraging (ADL)
    Mechanism" (2024-09-06): "The auto deleveraging ranking is derived in order of highest
    profit and effective leverage use"; "The opposing order of selected trader will be
    deleveraged at the bankruptcy price of the liquidated order".
[BITMEX-ADL] BitMEX, "Auto-Deleveraging" (read in a public copy): "Ranking = PNL
    Percentage * Effective Leverage (if PNL percentage > 0) = PNL Percentage / Effective
    Leverage (if PNL percentage < 0)", "Effective Leverage = abs(Mark Value) / (Mark Value -
    Bankrupt Value)".
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import pandas as pd

from ..basics.errors import MarginInputError, check_choice, check_non_negative, check_positive
from . import formulas
from .specs import contract, tier_table

__all__ = [
    "Counterparty", "AdlFill", "DeleverageResult", "adl_ranking", "deleverage", "check_counterparties", "ADL_RULES",
]

ADL_RULES = ("binance", "bybit")


@dataclass(frozen=True)
class Counterparty:
    """Another trader's position, as ADL sees it.

    ``wallet_balance`` is the collateral behind it: the isolated margin, or the cross
    wallet balance. Sizes are in the base asset (BTC for BTCUSDT).
    """

    name: str
    side: str
    size: float
    entry_price: float
    wallet_balance: float
    symbol: str = "BTCUSDT"

    def __post_init__(self):
        check_choice("side", self.side, formulas.SIDES)
        contract(self.symbol)
        object.__setattr__(self, "size", check_positive(f"size of {self.name}", self.size))
        object.__setattr__(self, "entry_price", check_positive(f"entry_price of {self.name}", self.entry_price))
        wallet = check_positive(f"wallet_balance of {self.name}", self.wallet_balance)
        object.__setattr__(self, "wallet_balance", wallet)

    def unrealized_pnl(self, price) -> float:
        """``side x size x (price - entry)``."""
        return formulas.side_sign(self.side) * self.size * (price - self.entry_price)


def _score(c, price, rule):
    upnl = c.unrealized_pnl(price)
    balance = c.wallet_balance + upnl
    if rule == "binance":
        mm = tier_table(c.symbol, "binance").maintenance_margin(c.size * price)
        margin_ratio = mm / balance if balance > 0 else 0.0
        return max(0.0, upnl) / max(1.0, c.wallet_balance) * margin_ratio
    pnl_pct = upnl / (c.size * c.entry_price)
    if balance <= 0:
        return -math.inf
    leverage = c.size * price / balance
    return pnl_pct * leverage if pnl_pct > 0 else pnl_pct / leverage


def check_counterparties(counterparties):
    """``counterparties`` as a tuple of :class:`Counterparty` with different names, or an error."""
    if isinstance(counterparties, Counterparty) or not hasattr(counterparties, "__iter__"):
        raise MarginInputError(f"counterparties must be a list of Counterparty, got {counterparties!r}")
    items = tuple(counterparties)
    bad = [c for c in items if not isinstance(c, Counterparty)]
    if bad:
        raise MarginInputError(f"counterparties must be a list of Counterparty, got {bad[0]!r} in it")
    names = [c.name for c in items]
    if len(set(names)) != len(names):
        raise MarginInputError(f"counterparties must have different names, got {names}")
    return items


def adl_ranking(counterparties, mark_price, *, rule="binance") -> pd.DataFrame:
    """The ADL queue at ``mark_price``: one row per position, ranked within its side.

    Columns ``name``, ``side``, ``unrealized PnL``, ``score`` and ``rank`` (1 = first to
    be deleveraged); sorted by side, then rank. Ties keep the order given.

    Three shorts against a bankrupt long, BTC marked at 50,000 (Binance's LeveragePnL):
    ``a`` is in profit at 10x, ``b`` in the same profit at 2x, ``c`` at a loss:

    >>> shorts = [Counterparty("a", "short", 1, 60_000, 6_000), Counterparty("b", "short", 1, 60_000, 30_000),
    ...           Counterparty("c", "short", 1, 45_000, 4_500)]
    >>> adl_ranking(shorts, 50_000)[["name", "rank"]].values.tolist()
    [['a', 1], ['b', 2], ['c', 3]]
    """
    rule = check_choice("rule", rule, ADL_RULES)
    items = check_counterparties(counterparties)
    price = check_positive("mark_price", mark_price)
    rows = [dict(name=c.name, side=c.side, upnl=c.unrealized_pnl(price), score=_score(c, price, rule), order=i)
            for i, c in enumerate(items)]
    frame = pd.DataFrame(rows, columns=["name", "side", "upnl", "score", "order"])
    frame = frame.sort_values(["side", "score", "order"], ascending=[True, False, True], kind="stable")
    frame["rank"] = frame.groupby("side").cumcount() + 1
    frame = frame.drop(columns="order").rename(columns={"upnl": "unrealized PnL"})
    return frame.reset_index(drop=True)


@dataclass(frozen=True)
class AdlFill:
    """One counterparty closed (in part or whole) at the bankruptcy price."""

    name: str
    side: str
    rank: int
    score: float
    size_before: float
    quantity: float
    price: float
    realized_pnl: float
    forgone_profit: float
    size_after: float


@dataclass(frozen=True)
class DeleverageResult:
    """What :func:`deleverage` did: the fund's part, the counterparties closed, what is left.

    ``shortfall == insurance_fund_used + sum(f.forgone_profit for f in fills) +
    uncovered_shortfall`` (money conserved).
    """

    side: str
    quantity: float
    bankruptcy_price: float
    price: float
    shortfall: float
    insurance_fund_before: float
    insurance_fund_used: float
    insurance_fund_after: float
    quantity_to_fund: float
    quantity_deleveraged: float
    fills: tuple
    uncovered_quantity: float
    uncovered_shortfall: float

    def to_frame(self) -> pd.DataFrame:
        """The fills as a table, one row per counterparty closed."""
        columns = [f.name for f in dataclasses.fields(AdlFill)]
        return pd.DataFrame([dataclasses.astuple(f) for f in self.fills], columns=columns)

    def counterparties_after(self, counterparties) -> tuple:
        """``counterparties`` with the deleveraged sizes taken off (closed ones dropped).

        A position closed in part keeps the same share of its collateral (``wallet_balance``
        scaled with its size): a modelling choice, the pages do not say.
        """
        left = {f.name: f.size_after for f in self.fills}
        out = []
        for c in check_counterparties(counterparties):
            if c.name in left and c.side != self.side:
                if left[c.name] > 1e-12:
                    out.append(dataclasses.replace(c, size=left[c.name],
                                                   wallet_balance=c.wallet_balance * left[c.name] / c.size))
                continue
            out.append(c)
        return tuple(out)


def deleverage(side, quantity, bankruptcy_price, price, insurance_fund, counterparties, *, symbol="BTCUSDT",
               rule="binance") -> DeleverageResult:
    """Settle a bankrupt position: the insurance fund first, then ADL against opposing winners.

    ``side`` and ``quantity`` are the bankrupt position's, ``bankruptcy_price`` its
    bankruptcy price, ``price`` the mark the market offers (past the bankruptcy price for a
    shortfall), ``insurance_fund`` the fund's balance (>= 0), ``counterparties`` other
    traders' positions (:class:`Counterparty`; only those on the other side, in
    ``symbol``, and in profit at ``price`` can be deleveraged).

    The shortfall is ``quantity x (BP - P)`` for a long (``(P - BP)`` for a short). The fund
    takes over ``used / (BP - P)`` of the quantity (its loss: ``used``); the rest is matched
    against the counterparties best-ranked first (:func:`adl_ranking`), each closed at
    ``BP``: its realized PnL is ``side x q x (BP - entry)`` and it forgoes
    ``q x |P - BP|`` of what its mark showed [BINANCE-ADL, BYBIT-ADL].

    A 2 BTC long bankrupt at 49,000 while BTC is marked at 48,000 is 2,000 USDT short; the
    fund holds 500, so 1.5 BTC go to ADL: short ``a`` (ranked first) gives 1 BTC, ``b`` 0.5:

    >>> shorts = [Counterparty("b", "short", 1, 60_000, 30_000), Counterparty("a", "short", 1, 60_000, 6_000)]
    >>> result = deleverage("long", 2, 49_000, 48_000, 500, shorts)
    >>> result.shortfall, result.insurance_fund_after, result.quantity_deleveraged
    (2000.0, 0.0, 1.5)
    >>> [(f.name, f.quantity, f.realized_pnl, f.forgone_profit) for f in result.fills]
    [('a', 1.0, 11000.0, 1000.0), ('b', 0.5, 5500.0, 500.0)]
    """
    sign = formulas.side_sign(side)
    check_choice("side", side, formulas.SIDES)
    quantity = check_positive("quantity", quantity)
    bankruptcy_price = check_positive("bankruptcy_price", bankruptcy_price)
    price = check_positive("price", price)
    fund = check_non_negative("insurance_fund", insurance_fund)
    rule = check_choice("rule", rule, ADL_RULES)
    contract(symbol)
    items = check_counterparties(counterparties)
    gap = max(sign * (bankruptcy_price - price), 0.0)
    shortfall = quantity * gap
    used = min(fund, shortfall)
    to_fund = quantity if used >= shortfall else used / gap
    remaining = quantity - to_fund
    candidates = [c for c in items if c.side != side and c.symbol == symbol and c.unrealized_pnl(price) > 0]
    scores = {id(c): _score(c, price, rule) for c in candidates}
    ranked = sorted(candidates, key=lambda c: -scores[id(c)])  # stable: ties keep the order given
    fills = []
    for rank, c in enumerate(ranked, start=1):
        if remaining <= 1e-12:
            break
        take = min(c.size, remaining)
        remaining -= take
        fills.append(AdlFill(
            name=c.name, side=c.side, rank=rank, score=scores[id(c)], size_before=c.size, quantity=take,
            price=bankruptcy_price, realized_pnl=formulas.side_sign(c.side) * take * (bankruptcy_price - c.entry_price),
            forgone_profit=take * gap, size_after=c.size - take,
        ))
    remaining = max(remaining, 0.0) if remaining > 1e-12 else 0.0
    return DeleverageResult(
        side=side, quantity=quantity, bankruptcy_price=bankruptcy_price, price=price, shortfall=shortfall,
        insurance_fund_before=fund, insurance_fund_used=used, insurance_fund_after=fund - used,
        quantity_to_fund=to_fund, quantity_deleveraged=quantity - to_fund, fills=tuple(fills),
        uncovered_quantity=remaining, uncovered_shortfall=remaining * gap,
    )
