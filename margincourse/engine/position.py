"""A position: what an :class:`~margincourse.engine.account.Account` holds in one contract.

A position records its side, margin mode, leverage, size, average entry price and
(in isolated mode) the margin in its own bucket. It computes nothing that depends
on the mark price: the account asks the pure formulas of
:mod:`margincourse.engine.formulas` for those numbers.
"""

from __future__ import annotations

from ..basics.errors import fmt

__all__ = ["Position", "MODES", "AUTO_ADD_RULES"]

MODES = ("isolated", "cross")
"""The margin modes: each position's own bucket, or one wallet shared by all cross positions."""

AUTO_ADD_RULES = ("initial_margin", "maintenance_margin")
"""How much auto-add margin moves in: Bybit's initial margin, or BTCEX's maintenance margin."""


class Position:
    """One open (or closed) position in an :class:`Account`; read-only for its users.

    The account updates it in place, so a position you hold always shows the
    current size, entry price and margin. Ask the account for figures that depend
    on the mark price: ``account.liquidation_price(position)``,
    ``account.unrealized_pnl(position)``, ``account.margin_ratio(position)``.
    """

    __slots__ = (
        "_id", "_symbol", "_side", "_mode", "_leverage", "_auto_add_margin",
        "_size", "_entry_price", "_margin", "_is_open", "_sign", "_tiers", "_funding",
    )

    def __init__(self, position_id, symbol, side, mode, leverage, auto_add_margin, size, entry_price, margin, tiers):
        self._id = position_id
        self._symbol = symbol
        self._side = side
        self._mode = mode
        self._leverage = leverage
        self._auto_add_margin = auto_add_margin
        self._size = size
        self._entry_price = entry_price
        self._margin = margin
        self._is_open = True
        self._sign = 1 if side == "long" else -1
        self._tiers = tiers
        self._funding = 0.0

    id = property(lambda self: self._id, doc="A number unique within the account.")
    symbol = property(lambda self: self._symbol, doc="The contract, e.g. 'BTCUSDT'.")
    side = property(lambda self: self._side, doc="'long' or 'short'.")
    mode = property(lambda self: self._mode, doc="'isolated' or 'cross'.")
    leverage = property(lambda self: self._leverage, doc="The leverage setting the position was opened with.")
    auto_add_margin = property(lambda self: self._auto_add_margin, doc="Whether auto-add margin is on (isolated only).")
    size = property(lambda self: self._size, doc="Size in the base asset (BTC for BTCUSDT).")
    entry_price = property(lambda self: self._entry_price, doc="Size-weighted average entry price.")
    is_open = property(lambda self: self._is_open, doc="False once closed or liquidated.")
    tiers = property(lambda self: self._tiers, doc="The risk-tier table that applies to it.")

    @property
    def margin(self) -> float:
        """Isolated: the margin in the position's bucket. Cross: the initial margin at entry."""
        return self._margin

    @property
    def funding(self) -> float:
        """Net funding this position has received so far (negative when it has paid), in USDT."""
        return self._funding

    @property
    def entry_notional(self) -> float:
        """``size x entry price`` in USDT."""
        return self._size * self._entry_price

    @property
    def label(self) -> str:
        """A readable name such as ``'BTCUSDT long isolated'``."""
        return f"{self._symbol} {self._side} {self._mode}"

    def __repr__(self):
        state = "" if self._is_open else ", closed"
        return (
            f"Position(#{self._id} {self.label}, size={fmt(self._size)}, "
            f"entry_price={fmt(round(self._entry_price, 8))}, leverage={fmt(self._leverage)}, "
            f"margin={fmt(round(self._margin, 8))}{state})"
        )
