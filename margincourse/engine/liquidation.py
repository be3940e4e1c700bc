"""Liquidation: whole at the bankruptcy price (the default), or stepped down the risk tiers.

**Whole** [BYBIT-BANKRUPTCY, BINANCE-PROTOCOL]: the position is closed and settled at
its bankruptcy price: the trader loses the whole collateral behind it; what the execution
price leaves above the bankruptcy price pays the liquidation fee (a rate on the notional
liquidated) and then goes to the insurance fund; a loss past the bankruptcy price (a gap)
is the insurance fund's (:func:`whole_liquidation`). With a finite insurance fund, what it
cannot pay goes to auto-deleveraging (:mod:`margincourse.engine.adl`).

**Stepped** [BYBIT-LIQ-PROCESS, BYBIT-RISK-LIMIT, BINANCE-PROTOCOL]: Bybit liquidates a
position of the lowest tier whole, but for "traders under the second or higher margin
tier" the engine tries "to lower the margin tier to lower the margin requirement": it
submits "a FillOrKill order of the difference between the current position value and
the lower margin tier value which satisfies the margin requirement"; "if the position is
still in liquidation, this position shall be taken over by the liquidation engine at the
bankruptcy price". Binance likewise "avoids full liquidation of a user's position
whenever possible": one large order, then "if the user is margin compliant after
calculating the realized losses and liquidation fee deductions, the liquidation will
stop". :func:`reduce_to_lower_tier` is one such step: the position is cut to just below
the highest lower tier's cap at which, after the PnL of the part closed and the
liquidation fee on it, ``margin + UPNL > maintenance margin`` again. The part closed
executes at the liquidation price; its PnL and fee stay in the position's margin (the
collateral stays with the position in liquidation), and the smaller position needs less
maintenance margin, so its liquidation price moves away. Neither page gives a numeric
example of a step; the examples below are ours.

:func:`stepped_liquidation` follows one isolated position along a price path and returns
every step; :func:`liquidation_comparison` puts the whole and the stepped outcome side by
side (lesson 3's dashboard). ``Account(..., liquidation="stepped")`` does the same inside
the account, for isolated positions (cross positions are always liquidated whole here).

Sources
-------
[BYBIT-LIQ-PROCESS] Bybit Help Center, "Liquidation Process (USDT Contract)",
    https://help.bybit.com/hc/en-us/articles/900000167723-Liquidation-Process-USDT-Contract-
[BYBIT-RISK-LIMIT] Bybit Help Center, "Risk Limit (Perpetual and Futures Contracts)"
    (2024-09-06): "For traders with higher risk limits, Bybit employs a laddered liquidation
    process ... This approach prevents an immediate full liquidation".
[BINANCE-PROTOCOL] Binance FAQ, "Binance Futures Liquidation Protocols",
    https://www.binance.com/en/support/faq/360033525271 (as copied by TraderWagon's
    "Liquidation Protocol" page).
[BYBIT-BANKRUPTCY] Bybit Help Center, "Bankruptcy Price (USDT Contract)".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..basics.errors import MarginInputError, check_between, check_choice, check_positive
from . import adl, formulas
from .events import AutoDeleveragingEvent, LiquidationEvent, PartialLiquidationEvent
from .specs import TierTable, contract, tier_table

__all__ = [
    "LIQUIDATION_MODES",
    "LiquidationStep",
    "whole_liquidation",
    "reduce_to_lower_tier",
    "stepped_liquidation",
    "liquidation_comparison",
]

LIQUIDATION_MODES = ("whole", "stepped")


def whole_liquidation(side, entry_price, size, margin, price, liquidation_fee=0.0):
    """``(realized_pnl, fee, to_insurance_fund, insurance_fund_pays)`` of closing a position whole.

    ``left = margin + side x Q x (price - EP)``; the fee is ``rate x Q x price`` but never
    more than what is left; the rest goes to the insurance fund; a negative ``left`` is
    the fund's loss [BYBIT-BANKRUPTCY, BINANCE-PROTOCOL]. The trader loses ``margin``.

    At Binance's 10x example (0.02 BTC long at 50,000 USDT, 100 USDT of margin) liquidated
    at 45,180.72 with a 1.25 % fee, the 3.61 USDT left all goes to the fee; a gap to
    40,000 costs the insurance fund 100 USDT:

    >>> [round(x, 4) for x in whole_liquidation("long", 50_000, 0.02, 100, 45_180.72, 0.0125)]
    [-96.3856, 3.6144, 0.0, 0.0]
    >>> whole_liquidation("long", 50_000, 0.02, 100, 40_000)
    (-200.0, 0.0, 0.0, 100.0)
    """
    pnl = formulas.side_sign(side) * size * (price - entry_price)
    left = margin + pnl
    fee = min(liquidation_fee * size * price, max(left, 0.0))
    return pnl, fee, max(left - fee, 0.0), max(-left, 0.0)


@dataclass(frozen=True)
class LiquidationStep:
    """One partial liquidation: the position cut down to a lower risk tier at ``price``."""

    price: float
    size_before: float
    size_closed: float
    size_after: float
    tier_before: int
    tier_after: int
    realized_pnl: float
    liquidation_fee: float
    maintenance_margin_before: float
    maintenance_margin_after: float
    margin_after: float

    @property
    def maintenance_margin_released(self) -> float:
        """How much less maintenance margin the smaller position needs at ``price``."""
        return self.maintenance_margin_before - self.maintenance_margin_after


def _size_below(cap, price, contract_size):
    """The largest whole number of contracts whose notional at ``price`` is below ``cap``."""
    contracts = math.floor(cap / price / contract_size * (1 + 1e-12))
    while contracts > 0 and contracts * contract_size * price >= cap:
        contracts -= 1
    return round(contracts * contract_size, 12)


def reduce_to_lower_tier(side, entry_price, size, margin, price, tiers, contract_size, liquidation_fee=0.0):
    """The step the liquidation engine takes at ``price``, or None when the position must go whole.

    Tries the tiers below the position's current one from the highest down; for each, cuts
    the position to the largest whole number of contracts below that tier's cap, books the
    PnL of the part closed and the liquidation fee on it in the margin, and keeps the first
    cut after which ``margin + UPNL > maintenance margin`` [BYBIT-LIQ-PROCESS]. None for a
    position in the lowest tier, or when no lower tier is enough.

    A 20 BTC long at 60,000 USDT (1.2 million notional, Binance tier 3) with 120,000 USDT
    of margin (10x) is liquidated at 54,305.49; the engine sells 8.9514 BTC there, down to
    tier 2 (below 600,000 USDT), and the 11.0486 BTC left need 3,159.72 USDT less
    maintenance margin:

    >>> binance = tier_table("BTCUSDT", "binance")
    >>> lp = formulas.liquidation_price_for_tiers("long", 60_000, 20, 120_000, binance)
    >>> step = reduce_to_lower_tier("long", 60_000, 20, 120_000, lp, binance, 0.0001)
    >>> step.tier_before, step.tier_after, step.size_closed, step.size_after
    (3, 2, 8.9514, 11.0486)
    >>> round(step.realized_pnl, 2), round(step.maintenance_margin_released, 2)
    (-50973.88, 3159.72)
    """
    if not isinstance(tiers, TierTable):
        raise MarginInputError(f"tiers must be a TierTable such as mc.tier_table('BTCUSDT', 'binance'), got {tiers!r}")
    sign = formulas.side_sign(side)
    tier_before = tiers.tier_for(size * price).tier
    mm_before = tiers.maintenance_margin(size * price)
    upnl = sign * size * (price - entry_price)
    for below in range(tier_before - 1, 0, -1):
        size_after = _size_below(tiers.tiers[below - 1].cap, price, contract_size)
        if size_after <= 0:
            return None
        closed = round(size - size_after, 12)
        pnl = sign * closed * (price - entry_price)
        fee = liquidation_fee * closed * price
        margin_after = margin + pnl - fee
        mm_after = tiers.maintenance_margin(size_after * price)
        if margin_after > 0 and margin_after + (upnl - pnl) > mm_after:
            return LiquidationStep(
                price=price, size_before=size, size_closed=closed, size_after=size_after,
                tier_before=tier_before, tier_after=tiers.tier_for(size_after * price).tier,
                realized_pnl=pnl, liquidation_fee=fee, maintenance_margin_before=mm_before,
                maintenance_margin_after=mm_after, margin_after=margin_after,
            )
    return None


def _check_path(prices):
    try:
        path = np.asarray(prices, dtype=float).ravel()
    except (TypeError, ValueError):
        raise MarginInputError(f"prices must be a sequence of mark prices, got {prices!r}") from None
    if path.size == 0 or not np.isfinite(path).all() or (path <= 0).any():
        raise MarginInputError(f"prices must be one or more finite mark prices above 0, got {prices!r}")
    return path


def _walk(side, entry_price, size, margin, path, tiers, contract_size, fee_rate, stepped):
    """The events of one isolated position along ``path`` (continuous moves), as dicts."""
    sign = formulas.side_sign(side)

    def breached(q, m, price):
        return m + sign * q * (price - entry_price) <= tiers.maintenance_margin(q * price)

    rows, previous = [], entry_price
    for price in path:
        while size > 0 and breached(size, margin, price):
            lp = formulas.liquidation_price_for_tiers(side, entry_price, size, max(margin, 1e-12), tiers)
            trigger = previous if breached(size, margin, previous) else lp
            step = reduce_to_lower_tier(side, entry_price, size, margin, trigger, tiers, contract_size, fee_rate)
            if stepped and step is not None:
                size, margin = step.size_after, step.margin_after
                after = formulas.liquidation_price_for_tiers(side, entry_price, size, margin, tiers)
                rows.append(dict(kind="partial", price=trigger, tier_before=step.tier_before,
                                 tier_after=step.tier_after,
                                 size_before=step.size_before, size_closed=step.size_closed, size_after=size,
                                 realized_pnl=step.realized_pnl, fee=step.liquidation_fee,
                                 released=step.maintenance_margin_released, margin_after=margin, lp_after=after,
                                 to_fund=0.0, fund_pays=0.0))
                continue
            pnl, fee, to_fund, fund_pays = whole_liquidation(side, entry_price, size, margin, trigger, fee_rate)
            rows.append(dict(kind="whole", price=trigger, tier_before=tiers.tier_for(size * trigger).tier, tier_after=0,
                             size_before=size, size_closed=size, size_after=0.0, realized_pnl=pnl, fee=fee,
                             released=tiers.maintenance_margin(size * trigger), margin_after=0.0, lp_after=math.nan,
                             to_fund=to_fund, fund_pays=fund_pays))
            size, margin = 0.0, 0.0
        previous = price
    return rows, size, margin


STEP_COLUMNS = {
    "kind": "kind", "price": "price", "tier_before": "tier before", "tier_after": "tier after",
    "size_before": "size before", "size_closed": "size closed", "size_after": "size after",
    "realized_pnl": "realized PnL", "fee": "liquidation fee", "released": "maintenance margin released",
    "margin_after": "margin after", "lp_after": "liquidation price after", "to_fund": "to insurance fund",
    "fund_pays": "insurance fund pays",
}


def _checked(side, entry_price, size, margin, symbol, exchange, liquidation_fee):
    check_choice("side", side, formulas.SIDES)
    spec = contract(symbol)
    size = spec.check_size(size)
    entry_price = check_positive("entry_price", entry_price)
    margin = check_positive("margin", margin)
    fee_rate = check_between("liquidation_fee", liquidation_fee, 0, 0.1)
    return spec, entry_price, size, margin, tier_table(symbol, exchange), fee_rate


def stepped_liquidation(side, entry_price, size, margin, prices, *, symbol="BTCUSDT", exchange="binance",
                        liquidation_fee=0.0, stepped=True) -> pd.DataFrame:
    """Every liquidation of one isolated position along a path of mark prices, one row each.

    The mark moves continuously from the entry price through ``prices``; each time it
    reaches the liquidation price the engine takes one step (:func:`reduce_to_lower_tier`),
    or closes the position whole when no lower tier helps (``stepped=False``: always
    whole). Columns: ``kind`` ("partial" or "whole"), ``price``, ``tier before``,
    ``tier after`` (0 once closed), ``size before``, ``size closed``, ``size after``,
    ``realized PnL``, ``liquidation fee``, ``maintenance margin released``,
    ``margin after``, ``liquidation price after`` (NaN once closed), ``to insurance fund``,
    ``insurance fund pays``. ``Account(..., liquidation="stepped")`` gives the same steps.

    The 10x BTCUSDT long of :func:`reduce_to_lower_tier` on a fall to 40,000: two steps
    down to tier 1 (each moves the liquidation price only a little, because the margin
    balance stays what it was and only the maintenance margin falls), then the rest whole:

    >>> steps = stepped_liquidation("long", 60_000, 20, 120_000, [56_000, 50_000, 40_000])
    >>> steps[["kind", "price", "tier before", "tier after", "size after"]].round(2)
          kind     price  tier before  tier after  size after
    0  partial  54305.49            3           2       11.05
    1  partial  54018.07            2           1        0.93
    2    whole  51052.31            1           0        0.00
    """
    spec, entry_price, size, margin, tiers, fee_rate = _checked(side, entry_price, size, margin, symbol, exchange,
                                                                liquidation_fee)
    if not isinstance(stepped, bool):
        raise MarginInputError(f"stepped must be True or False, got {stepped!r}")
    rows, _, _ = _walk(side, entry_price, size, margin, _check_path(prices), tiers, spec.contract_size, fee_rate,
                       stepped)
    frame = pd.DataFrame(rows, columns=list(STEP_COLUMNS)).rename(columns=STEP_COLUMNS)
    return frame.astype({"tier before": int, "tier after": int})


def liquidation_comparison(side, entry_price, size, margin, prices, *, symbol="BTCUSDT", exchange="binance",
                           liquidation_fee=0.0) -> pd.DataFrame:
    """Whole versus stepped liquidation of the same position on the same path, one row each.

    Columns: ``liquidations`` (how many), ``first at`` (price of the first), ``size closed``,
    ``size left``, ``realized PnL``, ``liquidation fees``, ``to insurance fund``,
    ``insurance fund pays``, ``margin left``, ``equity left`` (margin left plus the open
    remainder's PnL at the last price) and ``collateral lost`` (margin minus equity left).

    The same long on a dip to 52,000 and back to 56,000: liquidated whole it loses all
    120,000 USDT; stepped, 0.9256 BTC survive the dip with 8,471 USDT of margin:

    >>> table = liquidation_comparison("long", 60_000, 20, 120_000, [56_000, 52_000, 56_000])
    >>> table[["liquidations", "size left", "margin left", "collateral lost"]].round(2)
                 liquidations  size left  margin left  collateral lost
    liquidation
    whole                   1       0.00          0.0         120000.0
    stepped                 2       0.93       8471.0         115231.4
    """
    spec, entry_price, size, margin, tiers, fee_rate = _checked(side, entry_price, size, margin, symbol, exchange,
                                                                liquidation_fee)
    path = _check_path(prices)
    sign = formulas.side_sign(side)
    summary = {}
    for name, stepped in (("whole", False), ("stepped", True)):
        rows, left, margin_left = _walk(side, entry_price, size, margin, path, tiers, spec.contract_size, fee_rate,
                                        stepped)
        equity = margin_left + sign * left * (path[-1] - entry_price) if left > 0 else 0.0
        summary[name] = {
            "liquidations": len(rows),
            "first at": rows[0]["price"] if rows else math.nan,
            "size closed": size - left,
            "size left": left,
            "realized PnL": sum(r["realized_pnl"] for r in rows),
            "liquidation fees": sum(r["fee"] for r in rows),
            "to insurance fund": sum(r["to_fund"] for r in rows),
            "insurance fund pays": sum(r["fund_pays"] for r in rows),
            "margin left": margin_left,
            "equity left": equity,
            "collateral lost": margin - equity,
        }
    table = pd.DataFrame.from_dict(summary, orient="index")
    table.index.name = "liquidation"
    return table


ADL_RULE = "binance"
"""The ADL ranking the account uses: Binance's (Bitget's was not among the pages read)."""


class Liquidations:
    """How an :class:`~margincourse.engine.account.Account` settles liquidations: a part of it kept here.

    Only ``Account`` inherits it; its methods read and change the account's private state
    and follow the rules in the notes above and in the account's module notes.
    """

    def _liquidate_isolated(self, p, price, lp, time):
        bankruptcy = formulas.bankruptcy_price(p._side, p._entry_price, p._size, max(p._margin, 1e-12))
        pnl, fee, contribution, shortfall = whole_liquidation(
            p._side, p._entry_price, p._size, p._margin, price, self._liquidation_fee
        )
        lost = p._margin
        fund_loss, adl_part, adl_event = self._book_liquidation(p, price, pnl, fee, contribution, shortfall, time)
        self._retire(p)
        event = LiquidationEvent(
            time=time, position_id=p._id, symbol=p._symbol, side=p._side, mode=p._mode, size=p._size,
            entry_price=p._entry_price, price=price, liquidation_price=lp, bankruptcy_price=bankruptcy,
            realized_pnl=pnl, liquidation_fee=fee, insurance_fund_contribution=contribution,
            insurance_fund_loss=fund_loss, collateral_lost=lost, wallet_after=self.wallet_balance,
            adl_shortfall=adl_part,
        )
        return [event] if adl_event is None else [event, adl_event]

    def _step_down(self, p, price, lp, time, events) -> bool:
        """One stepped-liquidation step at ``price`` (appended to ``events``), or False if none helps."""
        step = reduce_to_lower_tier(p._side, p._entry_price, p._size, p._margin, price, p._tiers,
                                    contract(p._symbol).contract_size, self._liquidation_fee)
        if step is None:
            return False
        p._size, p._margin = step.size_after, step.margin_after
        self._realized_pnl += step.realized_pnl
        self._liquidation_fees += step.liquidation_fee
        if self._insurance_fund is not None:
            self._insurance_fund += step.liquidation_fee
        events.append(PartialLiquidationEvent(
            time=time, position_id=p._id, symbol=p._symbol, side=p._side, size_before=step.size_before,
            size_closed=step.size_closed, size_after=step.size_after, price=price, tier_before=step.tier_before,
            tier_after=step.tier_after, realized_pnl=step.realized_pnl, liquidation_fee=step.liquidation_fee,
            maintenance_margin_released=step.maintenance_margin_released, margin_after=step.margin_after,
            liquidation_price_before=lp, liquidation_price_after=self._lp(p), wallet_after=self.wallet_balance,
        ))
        return True

    def _liquidate_cross(self, start, target, time):
        cross = [p for p in self._positions if p._mode == "cross"]
        mm0, balance0 = self._cross_state(start)
        if balance0 <= mm0:
            prices = dict(start)  # already breached where the move began: executed there
        else:
            prices = self._cross_trigger_prices(start, target)
        lps = {p._id: self._lp_at(p, prices) for p in cross}
        bankruptcy = {p._id: self._bankruptcy_at(p, prices) for p in cross}
        order = sorted(cross, key=lambda p: -self._upnl(p, prices[p._symbol]))  # profits first
        events = []
        for i, p in enumerate(order):
            before = self.wallet_balance
            price = prices[p._symbol]
            pnl = self._upnl(p, price)
            left = self._cross_wallet + pnl
            fee = min(self._liquidation_fee * p._size * price, max(left, 0.0))
            shortfall = max(-left, 0.0)
            last = i == len(order) - 1
            contribution = max(left - fee, 0.0) if last else 0.0
            fund_loss, adl_part, adl_event = self._book_liquidation(p, price, pnl, fee, contribution, shortfall, time)
            self._cross_wallet = 0.0 if last else max(left - fee, 0.0)
            self._retire(p)
            events.append(
                LiquidationEvent(
                    time=time, position_id=p._id, symbol=p._symbol, side=p._side, mode=p._mode, size=p._size,
                    entry_price=p._entry_price, price=price, liquidation_price=lps[p._id],
                    bankruptcy_price=bankruptcy[p._id], realized_pnl=pnl, liquidation_fee=fee,
                    insurance_fund_contribution=contribution, insurance_fund_loss=fund_loss,
                    collateral_lost=before - self.wallet_balance, wallet_after=self.wallet_balance,
                    adl_shortfall=adl_part,
                )
            )
            if adl_event is not None:
                events.append(adl_event)
        return events

    def _cross_trigger_prices(self, start, target):
        """Prices on the straight path start -> target where the cross account reaches maintenance."""
        symbols = {p._symbol for p in self._positions if p._mode == "cross"}

        def at(t):
            return {s: start[s] + t * (target[s] - start[s]) if s in symbols else target[s] for s in target}

        low, high = 0.0, 1.0  # healthy at 0, breached at 1
        for _ in range(80):
            mid = 0.5 * (low + high)
            mm, balance = self._cross_state(at(mid))
            if balance <= mm:
                high = mid
            else:
                low = mid
        return at(high)

    def _lp_at(self, p, prices):
        saved = self._marks
        self._marks = dict(saved, **prices)
        try:
            return self._lp(p)
        finally:
            self._marks = saved

    def _bankruptcy_at(self, p, prices):
        others = [q for q in self._positions if q._mode == "cross" and q is not p]
        upnl = sum(self._upnl(q, prices[q._symbol]) for q in others)
        return formulas.bankruptcy_price(p._side, p._entry_price, p._size, max(self._cross_wallet, 1e-12), upnl)

    def _book_liquidation(self, p, price, pnl, fee, contribution, shortfall, time):
        """Book a liquidation: ``(paid by the insurance fund, passed to ADL, ADL event or None)``.

        An endless fund (the default) pays every shortfall. A finite one collects the
        liquidation fee and the leftover collateral (Binance: "The insurance fund will collect
        liquidation fees") and pays what its balance allows; the rest goes to ADL.
        """
        self._realized_pnl += pnl
        self._liquidation_fees += fee
        self._insurance_contribution += contribution
        if self._insurance_fund is None:
            self._insurance_loss += shortfall
            return shortfall, 0.0, None
        self._insurance_fund += fee + contribution
        if shortfall <= self._insurance_fund:
            self._insurance_fund -= shortfall
            self._insurance_loss += shortfall
            return shortfall, 0.0, None
        bankruptcy = price + p._sign * shortfall / p._size  # where the collateral is exactly gone
        result = adl.deleverage(p._side, p._size, bankruptcy, price, self._insurance_fund, self._counterparties,
                                symbol=p._symbol, rule=ADL_RULE)
        self._counterparties = result.counterparties_after(self._counterparties)
        used = min(result.insurance_fund_used, shortfall)
        self._insurance_fund -= used
        self._insurance_loss += used
        self._adl_shortfall += shortfall - used
        event = AutoDeleveragingEvent(
            time=time, position_id=p._id, symbol=p._symbol, side=p._side, size=p._size, price=price,
            bankruptcy_price=bankruptcy, shortfall=shortfall, insurance_fund_used=used,
            insurance_fund_after=self._insurance_fund, fills=result.fills, uncovered=result.uncovered_shortfall,
        )
        return used, shortfall - used, event
