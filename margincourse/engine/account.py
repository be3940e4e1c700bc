"""A futures account: one USDT wallet, positions in isolated or cross margin mode.

This is the thin stateful layer over :mod:`margincourse.engine.formulas`: it keeps the
wallet, the positions and the last mark price of each symbol, and asks the pure
formulas for every number. The rules it follows, with their sources:

* **One-way mode**: at most one position per symbol. Opening more of the same side,
  mode and leverage adds to it (the entry price becomes the size-weighted average,
  and margin, tier and liquidation price are recomputed); the other side must be
  closed first.
* **Isolated** [BINANCE-LIQ, BYBIT-LIQ]: the position's margin is moved out of the
  cross wallet into its own bucket at open. It is liquidated when
  ``margin + UPNL <= maintenance margin``; the liquidation takes that bucket and
  nothing else.
* **Cross** [BINANCE-LIQ]: all cross positions share the cross wallet (the wallet
  minus the isolated buckets) and each other's unrealized PnL. They are
  liquidated together when
  ``cross wallet + sum(cross UPNL) <= sum(cross maintenance margin)``.
* **Liquidation settles at the bankruptcy price** [BYBIT-BANKRUPTCY, BINANCE-PROTOCOL]:
  the trader loses the whole collateral behind the position. What is left between
  the execution price and the bankruptcy price pays the liquidation fee and then
  goes to the insurance fund; a loss beyond the collateral (a gap past the
  bankruptcy price) is covered by the insurance fund, so the wallet never goes
  below zero. Both amounts are recorded in the :class:`~margincourse.engine.events.Ledger`.
  ``liquidation="stepped"`` cuts an isolated position above the lowest risk tier down a
  tier instead (Bybit's documented process, :mod:`~margincourse.engine.liquidation`). A
  finite ``insurance_fund`` (a balance) runs dry: what it cannot cover is passed to the
  opposing ``counterparties`` by auto-deleveraging (:mod:`~margincourse.engine.adl`).
* **Funding** (:meth:`apply_funding`, ``run(..., funding=...)``): each open position pays
  or receives position value x rate at funding times; a charge comes from where the
  exchange documents it (:mod:`~margincourse.engine.funding`). Off unless rates are given.
* **Auto-add margin** (isolated only): when the mark reaches the liquidation price,
  margin is moved in from the available balance instead, again and again while
  the balance lasts. ``auto_add_rule="initial_margin"`` adds the position's initial
  margin each time, capped at 1x leverage [BYBIT-AMR];
  ``auto_add_rule="maintenance_margin"`` adds the maintenance margin at that price
  [BTCEX-AUTO]. Either way the isolated loss cap is gone: the whole available
  balance can be drained into one position.
* **Fees**: ``taker_fee`` (a rate) is charged on the notional of every open and
  close, from the cross wallet; ``liquidation_fee`` (a rate) on the notional
  liquidated, from the liquidated collateral only.
* **Available balance** = ``cross wallet + min(0, cross UPNL) - cross initial margin``
  (floored at 0). Unrealized *profit* is not spendable here; some exchanges allow it.

Sources: see :mod:`margincourse.engine.formulas` and, for liquidation settlement,
[BYBIT-BANKRUPTCY] Bybit Help Center, "Bankruptcy Price (USDT Contract)": "Upon
liquidation, the liquidated position will be closed at the Bankruptcy Price ... If the
liquidated position has its final liquidation price better than the bankruptcy
price, the excess margin will be contributed to the Insurance Fund";
[BINANCE-PROTOCOL] Binance FAQ, "Binance Futures Liquidation Protocols" (liquidation
fee charged on the amount liquidated; remaining collateral to the insurance fund);
[BYBIT-AMR] Bybit Help Center, "Auto-Margin Replenishment (USDT Contracts)".
"""

from __future__ import annotations

import copy as _copy

from . import adl, formulas, funding, replay
from ..basics.errors import (
    MarginInputError,
    check_between,
    check_choice,
    check_non_negative,
    check_positive,
    fmt,
)
from .events import CloseEvent, FundingEvent, Ledger, MarginAddedEvent
from .liquidation import LIQUIDATION_MODES, Liquidations
from .position import AUTO_ADD_RULES, MODES, Position
from .specs import contract, exchanges, tier_table

__all__ = ["Account", "Position"]

class Account(Liquidations):
    """A USDT-margined futures account.

    >>> acct = Account(1_000)
    >>> pos = acct.open("BTCUSDT", "long", 0.02, 50_000, leverage=10, mode="isolated")
    >>> acct.wallet_balance, acct.available_balance, pos.margin
    (1000.0, 900.0, 100.0)
    >>> round(acct.liquidation_price(pos), 2)
    45180.72
    >>> [e.describe() for e in acct.mark({"BTCUSDT": 45_000})]
    ['BTCUSDT long isolated liquidated at 45,180.72 (liq. price 45,180.72): lost 100.00 USDT']
    >>> acct.wallet_balance
    900.0
    """

    def __init__(
        self,
        balance,
        *,
        taker_fee=0.0,
        liquidation_fee=0.0,
        exchange="binance",
        auto_add_rule="initial_margin",
        liquidation="whole",
        insurance_fund=None,
        counterparties=(),
    ):
        self._cross_wallet = check_positive("balance", balance)
        self._taker_fee = check_between("taker_fee", taker_fee, 0, 0.01)
        self._liquidation_fee = check_between("liquidation_fee", liquidation_fee, 0, 0.1)
        self._exchange = check_choice("exchange", exchange, exchanges())
        self._auto_add_rule = check_choice("auto_add_rule", auto_add_rule, AUTO_ADD_RULES)
        self._liquidation = check_choice("liquidation", liquidation, LIQUIDATION_MODES)
        self._insurance_fund = None if insurance_fund is None else check_non_negative("insurance_fund", insurance_fund)
        self._counterparties = adl.check_counterparties(counterparties)
        if self._counterparties and insurance_fund is None:
            raise MarginInputError("counterparties need a finite insurance_fund: "
                                   "with an endless fund nobody is deleveraged")
        self._positions: list[Position] = []
        self._history: list[Position] = []
        self._marks: dict[str, float] = {}
        self._events: list = []
        self._next_id = 1
        self._deposits = self._cross_wallet
        self._realized_pnl = 0.0
        self._trading_fees = 0.0
        self._liquidation_fees = 0.0
        self._insurance_contribution = 0.0
        self._insurance_loss = 0.0
        self._funding = 0.0
        self._adl_shortfall = 0.0

    # ----------------------------------------------------------------- reading

    @property
    def wallet_balance(self) -> float:
        """Deposits plus realized PnL minus fees: the cross wallet plus every isolated bucket."""
        return self._cross_wallet + sum(p._margin for p in self._positions if p._mode == "isolated")

    @property
    def cross_wallet_balance(self) -> float:
        """The wallet minus the isolated buckets: what backs the cross positions."""
        return self._cross_wallet

    @property
    def equity(self) -> float:
        """Wallet balance plus the unrealized PnL of every open position (the margin balance)."""
        return self.wallet_balance + sum(self._upnl(p, self._marks[p._symbol]) for p in self._positions)

    @property
    def available_balance(self) -> float:
        """What can still back a new position or be added as margin (see the module notes)."""
        cross = [p for p in self._positions if p._mode == "cross"]
        upnl = sum(self._upnl(p, self._marks[p._symbol]) for p in cross)
        used = sum(p._size * self._marks[p._symbol] / p._leverage for p in cross)
        return max(0.0, self._cross_wallet + min(0.0, upnl) - used)

    @property
    def positions(self) -> tuple[Position, ...]:
        """The open positions, in the order they were opened."""
        return tuple(self._positions)

    @property
    def closed_positions(self) -> tuple[Position, ...]:
        """Positions closed or liquidated so far."""
        return tuple(self._history)

    @property
    def events(self) -> tuple:
        """Every liquidation, margin addition and close so far, in order."""
        return tuple(self._events)

    @property
    def marks(self) -> dict[str, float]:
        """The last mark price of each symbol the account has seen (a copy)."""
        return dict(self._marks)

    @property
    def taker_fee(self) -> float:
        return self._taker_fee

    @property
    def liquidation_fee(self) -> float:
        return self._liquidation_fee

    @property
    def exchange(self) -> str:
        return self._exchange

    @property
    def auto_add_rule(self) -> str:
        return self._auto_add_rule

    @property
    def liquidation(self) -> str:
        """``"whole"`` or ``"stepped"``: how isolated positions above the lowest tier are liquidated."""
        return self._liquidation

    @property
    def insurance_fund_balance(self) -> float | None:
        """The modelled insurance fund's balance, or None when it is taken as endless (the default)."""
        return self._insurance_fund

    @property
    def counterparties(self) -> tuple:
        """The opposing positions auto-deleveraging may close (:class:`margincourse.Counterparty`)."""
        return self._counterparties

    def ledger(self) -> Ledger:
        """Where the money went; ``ledger().expected_wallet_balance() == wallet_balance``."""
        return Ledger(
            deposits=self._deposits,
            realized_pnl=self._realized_pnl,
            trading_fees=self._trading_fees,
            liquidation_fees=self._liquidation_fees,
            insurance_fund_contribution=self._insurance_contribution,
            insurance_fund_loss=self._insurance_loss,
            funding=self._funding,
            adl_shortfall=self._adl_shortfall,
        )

    def copy(self) -> "Account":
        """An independent copy, for what-if questions that must not touch this account."""
        return _copy.deepcopy(self)

    def tiers(self, symbol: str):
        """The risk-tier table this account applies to ``symbol``."""
        return tier_table(symbol, self._exchange)

    def unrealized_pnl(self, position: Position, price=None) -> float:
        """``side x size x (mark - entry)`` at the last mark (or at ``price``)."""
        self._check_open(position)
        return self._upnl(position, self._price_arg(position, price))

    def maintenance_margin(self, position: Position, price=None) -> float:
        """``notional x MMR - cum`` at the last mark (or at ``price``), with that notional's tier."""
        self._check_open(position)
        return self._mm(position, self._price_arg(position, price))

    def margin_ratio(self, position: Position, price=None) -> float:
        """Maintenance margin / margin balance; liquidation at 1.0 [BINANCE-MM].

        Isolated: the position's own ratio. Cross: the ratio of all cross positions
        together (exchanges show one cross ratio), with this position at ``price``.
        """
        self._check_open(position)
        price = self._price_arg(position, price)
        if position._mode == "isolated":
            return formulas.margin_ratio(self._mm(position, price), position._margin + self._upnl(position, price))
        prices = dict(self._marks, **{position._symbol: price})
        mm, balance = self._cross_state(prices)
        return formulas.margin_ratio(mm, balance)

    def liquidation_price(self, position: Position) -> float:
        """The mark price of this position's symbol at which it is liquidated.

        Binance's one-way-mode formula with the tier taken at the liquidation price
        (:func:`margincourse.liquidation_price_for_tiers`). In cross mode the other cross
        positions are held at their last mark prices. A result <= 0 means price
        cannot fall far enough to liquidate this long.
        """
        self._check_open(position)
        return self._lp(position)

    def bankruptcy_price(self, position: Position) -> float:
        """The mark price at which the collateral behind the position is exactly used up."""
        self._check_open(position)
        if position._mode == "isolated":
            return formulas.bankruptcy_price(position._side, position._entry_price, position._size,
                                             max(position._margin, 1e-12))
        others = [p for p in self._positions if p._mode == "cross" and p is not position]
        upnl = sum(self._upnl(p, self._marks[p._symbol]) for p in others)
        return formulas.bankruptcy_price(
            position._side, position._entry_price, position._size, self._cross_wallet, upnl
        )

    def max_loss(self, position: Position) -> float:
        """The most this position can still take out of the wallet if price runs against it.

        This is the loss cap the course's source articles talk about, made visible:

        * isolated, auto-add off: its margin, nothing more (the cap);
        * isolated, auto-add on: its margin plus every top-up the available balance can
          still pay for (with ``auto_add_rule="initial_margin"`` up to 1x leverage):
          the cap is gone;
        * cross short: the whole cross wallet, which every cross position shares (the
          price has no ceiling);
        * cross long: the whole cross wallet or the position's notional at entry,
          whichever is smaller: the price cannot fall below zero, so a long cannot lose
          more than it paid for (a 2x long of 200 USDT in a 1,000 USDT wallet can lose
          200, never the other 800).

        Funding is charged from the available balance before the position's margin on
        Binance and Bybit, so it is not under the cap: the funding the position has already
        paid, net of what it received, is added (:attr:`Position.funding`). Future funding
        is not: its rates are not known. Trading fees to close come on top.
        """
        self._check_open(position)
        paid = max(0.0, -position._funding)
        if position._mode == "cross":
            if position._side == "long":
                return min(self._cross_wallet, position._size * position._entry_price) + paid
            return self._cross_wallet + paid
        loss = position._margin + paid
        if position._auto_add_margin:
            room = self.available_balance
            if self._auto_add_rule == "initial_margin":
                room = min(room, max(0.0, position._size * position._entry_price - position._margin))
            loss += room
        return loss

    def mark_price(self, symbol: str) -> float:
        """The last mark price seen for ``symbol``."""
        if symbol not in self._marks:
            raise MarginInputError(f"symbol must be one the account has a price for ({', '.join(self._marks) or 'none yet'}), got {symbol!r}")
        return self._marks[symbol]

    # ----------------------------------------------------------------- acting

    def open(self, symbol, side, size, price, leverage, mode, margin=None, auto_add_margin=False, *, time=None) -> Position:
        """Open a position (or add to the open one of the same side, mode and leverage).

        ``size`` is in the base asset and must be a whole number of contracts
        (0.0001 BTC for BTCUSDT). ``leverage`` must be allowed by the risk tier of the
        position's notional. In isolated mode ``margin`` defaults to the initial margin
        ``size x price / leverage`` and may be larger; cross positions take no margin
        argument (they share the wallet). The initial margin and the taker fee must fit
        in the available balance. Returns the position.
        """
        spec = contract(symbol)
        check_choice("side", side, formulas.SIDES)
        check_choice("mode", mode, MODES)
        size = spec.check_size(size)
        price = check_positive("price", price)
        if not isinstance(auto_add_margin, bool):
            raise MarginInputError(f"auto_add_margin must be True or False, got {auto_add_margin!r}")
        tiers = self.tiers(symbol)
        existing = self._open_position(symbol)
        total_size = size + (existing._size if existing else 0.0)
        leverage = check_between("leverage", leverage, 1, spec.max_leverage, context=f" for {symbol}")
        tiers.check_leverage(leverage, total_size * price)
        initial = size * price / leverage
        if mode == "cross":
            if margin is not None:
                raise MarginInputError(
                    f"margin must be None for a cross position (cross positions share the wallet), got {margin!r}"
                )
            if auto_add_margin:
                raise MarginInputError("auto_add_margin must be False in cross mode: it is an isolated-margin feature")
            margin = initial
        else:
            margin = initial if margin is None else check_positive("margin", margin)
            if margin < initial * (1 - 1e-12):
                raise MarginInputError(
                    f"margin must be at least the initial margin {fmt(round(initial, 8))} USDT "
                    f"(size x price / leverage), got {fmt(margin)}"
                )
        if existing is not None:
            self._check_can_add(existing, side, mode, leverage, auto_add_margin, price)
        fee = self._taker_fee * size * price
        available = self._available_with_mark(symbol, price)
        if margin + fee > available + 1e-9:
            raise MarginInputError(
                f"margin must fit in the available balance of {fmt(round(available, 8))} USDT "
                f"(with the {fmt(round(fee, 8))} USDT fee), got {fmt(round(margin, 8))}"
            )
        # -- everything is checked: change state
        self._marks[symbol] = price
        self._charge_trading_fee(fee)
        if mode == "isolated":
            self._cross_wallet -= margin
        if existing is not None:
            existing._entry_price = (existing._size * existing._entry_price + size * price) / total_size
            existing._size = total_size
            existing._margin += margin
            return existing
        position = Position(self._next_id, symbol, side, mode, leverage, auto_add_margin, size, price, margin, tiers)
        self._next_id += 1
        self._positions.append(position)
        return position

    def add_margin(self, position: Position, amount, *, time=None) -> MarginAddedEvent:
        """Move ``amount`` USDT from the available balance into an isolated position's margin."""
        self._check_open(position)
        if position._mode != "isolated":
            raise MarginInputError(
                "position must be an isolated position: cross positions already share the whole cross wallet"
            )
        amount = check_positive("amount", amount)
        available = self.available_balance
        if amount > available + 1e-9:
            raise MarginInputError(
                f"amount must be at most the available balance of {fmt(round(available, 8))} USDT, got {fmt(amount)}"
            )
        event = self._move_margin(position, amount, self._marks[position._symbol], time, automatic=False)
        self._events.append(event)
        return event

    def set_auto_add_margin(self, position: Position, enabled: bool) -> None:
        """Switch auto-add margin on or off for an isolated position."""
        self._check_open(position)
        if not isinstance(enabled, bool):
            raise MarginInputError(f"enabled must be True or False, got {enabled!r}")
        if position._mode != "isolated" and enabled:
            raise MarginInputError("position must be isolated: auto-add margin is an isolated-margin feature")
        position._auto_add_margin = enabled

    def close(self, position: Position, price, *, time=None) -> CloseEvent:
        """Close the whole position at ``price`` and settle its PnL into the wallet.

        Refused (with nothing changed) when the exchange would already have
        liquidated the position at that price: move the mark there with
        :meth:`mark` to see the liquidation instead.
        """
        self._check_open(position)
        price = check_positive("price", price)
        if self._breached_at(position, price):
            raise MarginInputError(
                f"price must be on the safe side of the liquidation price {fmt(round(self._lp(position), 2))} "
                f"to close {position.label} by hand, got {fmt(price)}; "
                f"call account.mark({{{position._symbol!r}: {fmt(price).replace(',', '_')}}}) to let the exchange liquidate it"
            )
        pnl = self._upnl(position, price)
        fee = self._taker_fee * position._size * price
        freed = position._margin if position._mode == "isolated" else 0.0
        if self._cross_wallet + freed + pnl < 0:
            raise MarginInputError(
                f"price must not realize a loss larger than the cross wallet: closing {position.label} at "
                f"{fmt(price)} realizes {fmt(round(pnl, 2))} USDT against a cross wallet of "
                f"{fmt(round(self._cross_wallet, 2))} USDT. Other positions' unrealized profit is not cash yet: "
                "close the profitable positions first"
            )
        fee = min(fee, self._cross_wallet + freed + pnl)  # a fee is never charged beyond the wallet
        self._marks[position._symbol] = price
        self._cross_wallet += freed + pnl - fee
        self._realized_pnl += pnl
        self._trading_fees += fee
        self._retire(position)
        event = CloseEvent(
            time=time, position_id=position._id, symbol=position._symbol, side=position._side,
            mode=position._mode, size=position._size, entry_price=position._entry_price,
            price=price, realized_pnl=pnl, fee=fee, wallet_after=self.wallet_balance,
        )
        self._events.append(event)
        return event

    def mark(self, prices, *, gap=False, time=None) -> list:
        """Move mark prices and let the exchange act: returns the events caused, in order.

        ``prices`` maps symbols to their new mark price. By default the move is taken
        as continuous, so a liquidation executes exactly at the liquidation price; with
        ``gap=True`` the price jumped, and liquidations execute at the new mark (a gap
        past the bankruptcy price is then a loss for the insurance fund).
        """
        new_prices = self._check_prices(prices)
        start = dict(self._marks)
        target = dict(self._marks, **new_prices)
        return self._move(target if gap else start, target, time)

    def step(self, candles, *, time=None) -> list:
        """Advance one candle: ``candles`` maps symbols to ``(open, high, low, close)``.

        Inside the candle each open position meets its adverse extreme (the low for a
        long, the high for a short), because the mark price passes there; the candle
        then ends at its close. A liquidation executes at the liquidation price, or at
        the open if the candle opened beyond it. Returns the events, in order.
        :func:`margincourse.run` does the same over many candles, vectorised.
        """
        if not isinstance(candles, dict) or not candles:
            raise MarginInputError(f"candles must be a dict of symbol -> (open, high, low, close), got {candles!r}")
        checked = {}
        for symbol, candle in candles.items():
            contract(symbol)
            if isinstance(candle, (str, bytes)) or not hasattr(candle, "__len__") or len(candle) != 4:
                raise MarginInputError(f"candle of {symbol} must be (open, high, low, close), got {candle!r}")
            o, h, l, c = (check_positive(f"{name} price of {symbol}", v) for name, v in zip(("open", "high", "low", "close"), candle))
            if not (h >= max(o, c, l) and l <= min(o, c)):
                raise MarginInputError(
                    f"candle of {symbol} must have low <= open, close <= high, got open={fmt(o)} high={fmt(h)} low={fmt(l)} close={fmt(c)}"
                )
            checked[symbol] = (o, h, l, c)
        opens = dict(self._marks, **{s: v[0] for s, v in checked.items()})
        self._marks = dict(opens)  # the candle starts at its open
        extremes = dict(opens)
        for p in self._positions:
            if p._symbol in checked:
                o, h, l, c = checked[p._symbol]
                extremes[p._symbol] = l if p._sign > 0 else h
        events = self._move(opens, extremes, time)
        self._marks.update({s: v[3] for s, v in checked.items()})
        return events

    def run(self, candles, symbol=None, *, funding=None):
        """Run this account over candles; see :func:`margincourse.run`."""
        return replay.run(self, candles, symbol, funding=funding)

    def apply_funding(self, rates, *, time=None) -> list:
        """Settle a funding time: each open position in a symbol of ``rates`` pays or receives.

        ``rates`` maps symbols to the rate settled now (a fraction from -1 to 1; 0.0001 is
        0.01 %), or is one rate for every open position. The cash flow is
        :func:`margincourse.funding_payment` at the symbol's last mark. A receipt goes to the
        wallet; a charge comes from where the account's exchange takes it
        (:func:`margincourse.funding_rule`): Binance from the available balance, then the
        position's margin; Bitget from the position's margin, never below its maintenance
        margin. A charge that leaves a position at or below its maintenance margin has it
        liquidated at the next mark. Returns one :class:`FundingEvent` per position.

        >>> acct = Account(1_000)
        >>> pos = acct.open("BTCUSDT", "long", 0.5, 60_000, 50, "isolated")
        >>> [e.describe() for e in acct.apply_funding({"BTCUSDT": 0.0001})]
        ['BTCUSDT long isolated paid 3.00 USDT funding (rate 0.0100 % at 60,000.00)']
        >>> acct.wallet_balance, pos.margin, acct.ledger().funding
        (997.0, 600.0, -3.0)
        """
        rates = funding.check_rates(rates, {p._symbol for p in self._positions})
        rule = funding.funding_rule(self._exchange).charged_from
        events = [self._settle_funding(p, rates[p._symbol], rule, time) for p in list(self._positions)
                  if p._symbol in rates]
        self._events.extend(events)
        return events

    # ----------------------------------------------------------------- internals

    def _check_prices(self, prices) -> dict[str, float]:
        if not isinstance(prices, dict) or not prices:
            raise MarginInputError(f"prices must be a dict of symbol -> mark price, got {prices!r}")
        checked = {}
        for symbol, price in prices.items():
            contract(symbol)
            checked[symbol] = check_positive(f"price of {symbol}", price)
        return checked

    def _price_arg(self, position, price):
        return self._marks[position._symbol] if price is None else check_positive("price", price)

    def _check_open(self, position):
        if not isinstance(position, Position) or not any(p is position for p in self._positions + self._history):
            raise MarginInputError(f"position must be a Position of this account, got {position!r}")
        if not position._is_open:
            raise MarginInputError(f"position must be open, got {position!r} (it was closed or liquidated)")

    def _open_position(self, symbol):
        return next((p for p in self._positions if p._symbol == symbol), None)

    def _check_can_add(self, existing, side, mode, leverage, auto_add_margin, price):
        if existing._side != side:
            raise MarginInputError(
                f"side must be {existing._side!r} while the account holds {existing!r} "
                f"(one-way mode: close it before opening a {side})"
            )
        if existing._mode != mode:
            raise MarginInputError(f"mode must be {existing._mode!r} to add to {existing!r}, got {mode!r}")
        if leverage != existing._leverage:
            raise MarginInputError(f"leverage must be {fmt(existing._leverage)} to add to {existing!r}, got {fmt(leverage)}")
        if auto_add_margin != existing._auto_add_margin:
            raise MarginInputError(
                f"auto_add_margin must be {existing._auto_add_margin} to add to {existing!r} "
                "(use account.set_auto_add_margin to change it)"
            )
        if self._breached_at(existing, price):
            raise MarginInputError(
                f"price must be on the safe side of the liquidation price {fmt(round(self._lp(existing), 2))} "
                f"to add to {existing.label}, got {fmt(price)}"
            )

    def _available_with_mark(self, symbol, price):
        saved = self._marks.get(symbol)
        self._marks[symbol] = price
        try:
            return self.available_balance
        finally:
            if saved is None:
                del self._marks[symbol]
            else:
                self._marks[symbol] = saved

    def _settle_funding(self, p, rate, rule, time):
        mark = self._marks[p._symbol]
        flow = funding.funding_payment(p._side, p._size, mark, rate)
        wallet_change, margin_change, unpaid = flow, 0.0, 0.0
        if flow < 0:
            isolated = p._mode == "isolated"
            available = self.available_balance
            if rule == "position_margin_down_to_maintenance":
                mm, balance = (self._mm(p, mark), p._margin + self._upnl(p, mark)) if isolated else \
                    self._cross_state(self._marks)
                margin, room = (p._margin if isolated else self._cross_wallet), balance - mm
            else:
                margin, room = (p._margin if isolated else self._cross_wallet - available), None
            taken, from_margin, unpaid = funding.charge_sources(rule, -flow, available=available, margin=margin,
                                                                room=room)
            wallet_change = -taken - (0.0 if isolated else from_margin)
            margin_change = -from_margin if isolated else 0.0
        self._cross_wallet += wallet_change
        p._margin += margin_change
        p._funding += wallet_change + margin_change
        self._funding += wallet_change + margin_change
        return FundingEvent(
            time=time, position_id=p._id, symbol=p._symbol, side=p._side, mode=p._mode, size=p._size,
            mark_price=mark, funding_rate=rate, amount=wallet_change + margin_change, wallet_change=wallet_change,
            margin_change=margin_change, unpaid=unpaid, wallet_after=self.wallet_balance,
            margin_after=p._margin if p._mode == "isolated" else self._cross_wallet,
        )

    def _charge_trading_fee(self, fee):
        self._cross_wallet -= fee
        self._trading_fees += fee

    @staticmethod
    def _upnl(p, price):
        return p._sign * p._size * (price - p._entry_price)

    @staticmethod
    def _mm(p, price):
        return p._tiers.maintenance_margin(p._size * price)

    def _cross_state(self, prices):
        """(sum of cross maintenance margin, cross margin balance) at ``prices``."""
        mm = 0.0
        balance = self._cross_wallet
        for p in self._positions:
            if p._mode == "cross":
                price = prices[p._symbol]
                mm += self._mm(p, price)
                balance += self._upnl(p, price)
        return mm, balance

    def _breached_at(self, position, price):
        if position._mode == "isolated":
            return position._margin + self._upnl(position, price) <= self._mm(position, price)
        mm, balance = self._cross_state(dict(self._marks, **{position._symbol: price}))
        return balance <= mm

    def _lp(self, p):
        if p._mode == "isolated":  # a margin emptied by funding counts as (almost) nothing
            return formulas.liquidation_price_for_tiers(p._side, p._entry_price, p._size, max(p._margin, 1e-12),
                                                        p._tiers)
        others = [q for q in self._positions if q._mode == "cross" and q is not p]
        other_mm = sum(self._mm(q, self._marks[q._symbol]) for q in others)
        other_upnl = sum(self._upnl(q, self._marks[q._symbol]) for q in others)
        return formulas.liquidation_price_for_tiers(
            p._side, p._entry_price, p._size, max(self._cross_wallet, 1e-12), p._tiers, other_mm, other_upnl
        )

    def _retire(self, position):
        position._is_open = False
        self._positions.remove(position)
        self._history.append(position)

    def _move_margin(self, position, amount, price, time, *, automatic, before=None):
        before = self._lp(position) if before is None else before
        self._cross_wallet -= amount
        position._margin += amount
        return MarginAddedEvent(
            time=time, position_id=position._id, symbol=position._symbol, side=position._side,
            amount=amount, price=price, liquidation_price_before=before,
            liquidation_price_after=self._lp(position), margin_after=position._margin, automatic=automatic,
        )

    def _auto_add_amount(self, position, price):
        if self._auto_add_rule == "maintenance_margin":
            wanted = self._mm(position, price)
        else:
            wanted = position._size * position._entry_price / position._leverage
            wanted = min(wanted, position._size * position._entry_price - position._margin)  # stop at 1x
        return min(wanted, self.available_balance)

    def _move(self, start, target, time):
        """Move marks from ``start`` to ``target`` and settle what the move triggers."""
        events = []
        for p in list(self._positions):
            if p._mode != "isolated":
                continue
            price = target[p._symbol]
            while self._breached_at(p, price):
                lp = self._lp(p)
                gapped = self._breached_at(p, start[p._symbol])
                trigger = start[p._symbol] if gapped else lp
                amount = self._auto_add_amount(p, trigger) if p._auto_add_margin else 0.0
                if amount > 1e-9:
                    events.append(self._move_margin(p, amount, trigger, time, automatic=True, before=lp))
                    continue
                if self._liquidation == "stepped" and self._step_down(p, trigger, lp, time, events):
                    continue
                events.extend(self._liquidate_isolated(p, trigger, lp, time))
                break
        self._marks.update(target)
        if any(p._mode == "cross" for p in self._positions):
            mm, balance = self._cross_state(target)
            if balance <= mm:
                events.extend(self._liquidate_cross(start, target, time))
        self._events.extend(events)
        return events

    def __repr__(self):
        return (
            f"Account(wallet_balance={self.wallet_balance:,.2f}, equity={self.equity:,.2f}, "
            f"available_balance={self.available_balance:,.2f}, positions={len(self._positions)})"
        )
