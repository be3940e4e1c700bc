"""What happens to an account, as frozen records: liquidations, margin top-ups, closes, funding.

:meth:`margincourse.Account.mark` returns the events a price move caused, in
order, and ``account.events`` keeps all of them. Each record carries the numbers
a learner needs to check the story by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..basics.formatting import money, usdt


class _Immutable:
    """Frozen records are their own copies (pandas deep-copies ``DataFrame.attrs`` often)."""

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self


@dataclass(frozen=True)
class Ledger(_Immutable):
    """Where every USDT of the account went.

    The account keeps this identity at every step (the tests check it)::

        wallet_balance = deposits + realized_pnl + funding - trading_fees - liquidation_fees
                         - insurance_fund_contribution + insurance_fund_loss + adl_shortfall

    ``insurance_fund_contribution`` is margin left over when a position is
    liquidated at a price better than its bankruptcy price: the exchange keeps it.
    ``insurance_fund_loss`` is the opposite: a loss beyond the collateral (a gap
    past the bankruptcy price) that the exchange's insurance fund absorbs, so the
    wallet never goes below zero. ``funding`` is the net funding received (negative
    when paid). ``adl_shortfall`` is the part of such a loss a finite insurance fund
    could not cover: auto-deleveraging passed it to opposing traders (zero unless the
    account models its insurance fund as finite).
    """

    deposits: float
    realized_pnl: float
    trading_fees: float
    liquidation_fees: float
    insurance_fund_contribution: float
    insurance_fund_loss: float
    funding: float = 0.0
    adl_shortfall: float = 0.0

    def expected_wallet_balance(self) -> float:
        """The wallet balance this ledger accounts for."""
        return (
            self.deposits
            + self.realized_pnl
            + self.funding
            - self.trading_fees
            - self.liquidation_fees
            - self.insurance_fund_contribution
            + self.insurance_fund_loss
            + self.adl_shortfall
        )


@dataclass(frozen=True)
class LiquidationEvent(_Immutable):
    """The exchange force-closed a position.

    ``price`` is where the liquidation was executed: the liquidation price when the
    mark moved there continuously, or a worse price when it gapped past it.
    ``collateral_lost`` is what the trader's wallet lost in this event (for an
    isolated position: its whole margin, never more). With a finite insurance fund,
    ``insurance_fund_loss`` is the part of a loss beyond the collateral the fund paid and
    ``adl_shortfall`` the rest, passed to opposing traders by auto-deleveraging.
    """

    time: Any
    position_id: int
    symbol: str
    side: str
    mode: str
    size: float
    entry_price: float
    price: float
    liquidation_price: float
    bankruptcy_price: float
    realized_pnl: float
    liquidation_fee: float
    insurance_fund_contribution: float
    insurance_fund_loss: float
    collateral_lost: float
    wallet_after: float
    adl_shortfall: float = 0.0

    kind = "liquidation"

    def describe(self) -> str:
        """One line for a timeline or a lesson."""
        text = (
            f"{self.symbol} {self.side} {self.mode} liquidated at {money(self.price)} "
            f"(liq. price {money(self.liquidation_price)}): lost {usdt(self.collateral_lost)}"
        )
        if self.insurance_fund_loss > 0:
            text += f", insurance fund covered {money(self.insurance_fund_loss)}"
        if self.adl_shortfall > 0:
            text += f", auto-deleveraging covered {money(self.adl_shortfall)}"
        return text


@dataclass(frozen=True)
class MarginAddedEvent(_Immutable):
    """Margin moved from the available balance into an isolated position.

    ``automatic`` is True when auto-add margin did it, just before the position
    would have been liquidated at ``price``.
    """

    time: Any
    position_id: int
    symbol: str
    side: str
    amount: float
    price: float
    liquidation_price_before: float
    liquidation_price_after: float
    margin_after: float
    automatic: bool

    kind = "margin_added"

    def describe(self) -> str:
        """One line for a timeline or a lesson."""
        how = "auto-added" if self.automatic else "added"
        return (
            f"{self.symbol} {self.side}: {how} {usdt(self.amount)} margin at {money(self.price)}; "
            f"liq. price {money(self.liquidation_price_before)} -> {money(self.liquidation_price_after)}"
        )


@dataclass(frozen=True)
class CloseEvent(_Immutable):
    """The trader closed a position at ``price``."""

    time: Any
    position_id: int
    symbol: str
    side: str
    mode: str
    size: float
    entry_price: float
    price: float
    realized_pnl: float
    fee: float
    wallet_after: float

    kind = "close"

    def describe(self) -> str:
        """One line for a timeline or a lesson."""
        return (
            f"{self.symbol} {self.side} {self.mode} closed at {money(self.price)}: "
            f"PnL {usdt(self.realized_pnl, sign=True)}, fee {money(self.fee)}"
        )


@dataclass(frozen=True)
class FundingEvent(_Immutable):
    """A position paid or received funding at a funding time.

    ``amount`` is the cash flow settled (negative when paid): ``wallet_change`` moved
    in or out of the cross wallet (the available balance), ``margin_change`` out of the
    position's own margin (isolated) when the available balance could not pay. ``unpaid``
    is the part of a charge nothing could pay (Bitget: never charged below the
    maintenance margin). See :mod:`margincourse.engine.funding`.
    """

    time: Any
    position_id: int
    symbol: str
    side: str
    mode: str
    size: float
    mark_price: float
    funding_rate: float
    amount: float
    wallet_change: float
    margin_change: float
    unpaid: float
    margin_after: float
    wallet_after: float

    kind = "funding"

    def describe(self) -> str:
        """One line for a timeline or a lesson."""
        verb = "paid" if self.amount < 0 else "received"
        text = (
            f"{self.symbol} {self.side} {self.mode} {verb} {usdt(abs(self.amount))} funding "
            f"(rate {self.funding_rate * 100:.4f} % at {money(self.mark_price)})"
        )
        if self.margin_change < 0:
            text += f", {money(-self.margin_change)} of it from the position margin"
        if self.unpaid > 0:
            text += f", {money(self.unpaid)} not charged"
        return text


@dataclass(frozen=True)
class PartialLiquidationEvent(_Immutable):
    """The exchange reduced a position to a lower risk tier instead of closing it whole.

    Bybit's documented process above the lowest tier (see
    :mod:`margincourse.engine.liquidation`): the part closed executes at ``price``, its
    PnL and the liquidation fee stay in the position's margin, and the smaller position
    needs less maintenance margin (``maintenance_margin_released``).
    """

    time: Any
    position_id: int
    symbol: str
    side: str
    size_before: float
    size_closed: float
    size_after: float
    price: float
    tier_before: int
    tier_after: int
    realized_pnl: float
    liquidation_fee: float
    maintenance_margin_released: float
    margin_after: float
    liquidation_price_before: float
    liquidation_price_after: float
    wallet_after: float

    kind = "partial_liquidation"

    def describe(self) -> str:
        """One line for a timeline or a lesson."""
        return (
            f"{self.symbol} {self.side} reduced from tier {self.tier_before} to {self.tier_after} at "
            f"{money(self.price)}: closed {self.size_closed:g} of {self.size_before:g}, PnL "
            f"{usdt(self.realized_pnl, sign=True)}; liq. price {money(self.liquidation_price_before)} -> "
            f"{money(self.liquidation_price_after)}"
        )


@dataclass(frozen=True)
class AutoDeleveragingEvent(_Immutable):
    """A loss beyond the collateral that a finite insurance fund could not cover.

    ``shortfall`` is the loss beyond the collateral; the fund paid
    ``insurance_fund_used``; the rest was covered by closing opposing profitable
    positions at ``bankruptcy_price`` (``fills``, records of
    :func:`margincourse.deleverage`), and ``uncovered`` is what no modelled counterparty
    could take. See :mod:`margincourse.engine.adl`.
    """

    time: Any
    position_id: int
    symbol: str
    side: str
    size: float
    price: float
    bankruptcy_price: float
    shortfall: float
    insurance_fund_used: float
    insurance_fund_after: float
    fills: tuple
    uncovered: float

    kind = "auto_deleveraging"

    def describe(self) -> str:
        """One line for a timeline or a lesson."""
        text = (
            f"{self.symbol} {self.side}: insurance fund paid {money(self.insurance_fund_used)} of a "
            f"{money(self.shortfall)} shortfall; auto-deleveraged {len(self.fills)} opposing position(s) "
            f"at {money(self.bankruptcy_price)}"
        )
        if self.uncovered > 0:
            text += f", {money(self.uncovered)} uncovered"
        return text
