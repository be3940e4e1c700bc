"""What happens to an account, as frozen records: liquidations, margin top-ups, closes.

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

        wallet_balance = deposits + realized_pnl - trading_fees - liquidation_fees
                         - insurance_fund_contribution + insurance_fund_loss

    ``insurance_fund_contribution`` is margin left over when a position is
    liquidated at a price better than its bankruptcy price: the exchange keeps it.
    ``insurance_fund_loss`` is the opposite: a loss beyond the collateral (a gap
    past the bankruptcy price) that the exchange's insurance fund absorbs, so the
    wallet never goes below zero.
    """

    deposits: float
    realized_pnl: float
    trading_fees: float
    liquidation_fees: float
    insurance_fund_contribution: float
    insurance_fund_loss: float

    def expected_wallet_balance(self) -> float:
        """The wallet balance this ledger accounts for."""
        return (
            self.deposits
            + self.realized_pnl
            - self.trading_fees
            - self.liquidation_fees
            - self.insurance_fund_contribution
            + self.insurance_fund_loss
        )


@dataclass(frozen=True)
class LiquidationEvent(_Immutable):
    """The exchange force-closed a position.

    ``price`` is where the liquidation was executed: the liquidation price when the
    mark moved there continuously, or a worse price when it gapped past it.
    ``collateral_lost`` is what the trader's wallet lost in this event (for an
    isolated position: its whole margin, never more).
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

    kind = "liquidation"

    def describe(self) -> str:
        """One line for a timeline or a lesson."""
        text = (
            f"{self.symbol} {self.side} {self.mode} liquidated at {money(self.price)} "
            f"(liq. price {money(self.liquidation_price)}): lost {usdt(self.collateral_lost)}"
        )
        if self.insurance_fund_loss > 0:
            text += f", insurance fund covered {money(self.insurance_fund_loss)}"
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
