"""Contract specifications and risk tiers, loaded from the data files shipped in the package.

Nothing numeric that an exchange can change is written in code: contract sizes,
ticks, maximum leverage and every risk-tier table live in ``margincourse/data/``,
each file naming its source and the date it was taken from it. This module turns
those files into frozen dataclasses.

A **risk tier** (Binance calls it a *leverage bracket*, Bitget a *position tier*) is a
range of position notional with its own maximum leverage, maintenance margin rate
(MMR) and maintenance amount (``cum``). Larger positions need a higher rate and
allow less leverage. The maintenance amount makes the requirement continuous
where one tier meets the next [BINANCE-MM]::

    cum_1 = 0
    cum_n = cum_(n-1) + floor_n x (MMR_n - MMR_(n-1))

so ``floor_n x MMR_(n-1) - cum_(n-1) == floor_n x MMR_n - cum_n``: crossing a tier
boundary never makes the maintenance margin jump.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import numpy as np

from ..basics.errors import MarginInputError, check_between, check_positive, fmt

__all__ = [
    "ContractSpec",
    "RiskTier",
    "TierTable",
    "contract",
    "symbols",
    "exchanges",
    "tier_table",
]

DATA = resources.files("margincourse.engine") / "data"


@dataclass(frozen=True)
class ContractSpec:
    """What one perpetual contract is: its unit of size, price tick and leverage cap."""

    symbol: str
    base: str
    quote: str
    contract_size: float
    tick_size: float
    max_leverage: float
    source: str
    as_of: str

    def check_size(self, size, name="size") -> float:
        """Return ``size`` if it is a positive whole number of contracts, else raise."""
        size = check_positive(name, size)
        contracts = size / self.contract_size
        if abs(contracts - round(contracts)) > 1e-9 * max(1.0, contracts):
            raise MarginInputError(
                f"{name} must be a whole number of {self.symbol} contracts of "
                f"{fmt(self.contract_size)} {self.base}, got {fmt(size)}"
            )
        return size


@dataclass(frozen=True)
class RiskTier:
    """One bracket of a risk-tier table: notional from ``floor`` (inclusive) to ``cap`` (exclusive)."""

    tier: int
    floor: float
    cap: float
    max_leverage: float
    mmr: float
    maintenance_amount: float


@dataclass(frozen=True)
class TierTable:
    """An exchange's risk tiers for one symbol, with where and when they were published."""

    exchange: str
    exchange_name: str
    symbol: str
    source: str
    as_of: str
    tiers: tuple[RiskTier, ...]
    maintenance_fee_rate: float = 0.0
    notes: str = ""
    _columns: tuple = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        floors, caps, mmrs, amounts, leverages = (
            np.array([getattr(t, name) for t in self.tiers], dtype=float)
            for name in ("floor", "cap", "mmr", "maintenance_amount", "max_leverage")
        )
        columns = (floors, caps, mmrs + self.maintenance_fee_rate, amounts, leverages)
        for column in columns:
            column.flags.writeable = False
        object.__setattr__(self, "_columns", columns)

    def columns(self):
        """``(floors, caps, rates, maintenance_amounts)`` as read-only numpy arrays.

        ``rates`` are the maintenance margin rates the exchange applies, including
        ``maintenance_fee_rate`` where the exchange folds a fee into them (Bitget adds a
        fixed 0.06 % to every tier's rate: the "transaction fee rate" of its announcement
        "Bitget to update maintenance margin calculation for classic account futures", the
        "liquidation fee rate ... set at 0.0006" of its "Announcement on liquidation risk
        management"; it does not follow the trader's own taker fee).
        """
        return self._columns[:4]

    def lookup(self, notional):
        """Vectorised tier lookup: ``(rate, maintenance_amount, max_leverage)`` for each notional.

        A notional above the last cap gets the last tier (the exchange would not let
        the position open there, but a price rally can carry it there).
        """
        floors = self._columns[0]
        index = np.clip(np.searchsorted(floors, notional, side="right") - 1, 0, len(floors) - 1)
        return self._columns[2][index], self._columns[3][index], self._columns[4][index]

    def tier_for(self, notional) -> RiskTier:
        """The tier that holds this notional (USDT)."""
        notional = check_positive("notional", notional)
        floors = self._columns[0]
        index = int(np.clip(np.searchsorted(floors, notional, side="right") - 1, 0, len(floors) - 1))
        return self.tiers[index]

    def maintenance_margin(self, notional):
        """``notional x rate - cum`` with each notional's own tier (vectorised) [BINANCE-MM]."""
        notional = np.asarray(notional, dtype=float)
        rate, amount, _ = self.lookup(notional)
        result = notional * rate - amount
        return float(result) if result.ndim == 0 else result

    def max_notional(self) -> float:
        """The largest notional the table allows."""
        return self.tiers[-1].cap

    def check_leverage(self, leverage, notional) -> float:
        """Return ``leverage`` if this notional's tier allows it, else raise a teaching error."""
        notional = check_positive("notional", notional)
        if notional >= self.max_notional():
            raise MarginInputError(
                f"notional must be below {fmt(self.max_notional())} USDT for {self.symbol} "
                f"on {self.exchange_name}, got {fmt(notional)}"
            )
        tier = self.tier_for(notional)
        return check_between(
            "leverage", leverage, 1, tier.max_leverage,
            context=f" for {self.symbol} at {fmt(round(notional, 2))} USDT notional (tier {tier.tier})",
        )

    def to_frame(self):
        """The table as a pandas DataFrame, one row per tier (for lessons and reports)."""
        import pandas as pd

        frame = pd.DataFrame([t.__dict__ for t in self.tiers]).set_index("tier")
        return frame.rename(
            columns={
                "floor": "notional from (USDT)",
                "cap": "notional to (USDT)",
                "max_leverage": "max leverage",
                "mmr": "maintenance margin rate",
                "maintenance_amount": "maintenance amount (USDT)",
            }
        )


def _read_json(*parts):
    return json.loads(DATA.joinpath(*parts).read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def _contracts():
    raw = _read_json("contracts.json")
    return {
        symbol: ContractSpec(symbol=symbol, **spec) for symbol, spec in raw["contracts"].items()
    }


def symbols() -> tuple[str, ...]:
    """The symbols the course ships contract specs for."""
    return tuple(_contracts())


def contract(symbol: str) -> ContractSpec:
    """The contract spec of ``symbol`` (e.g. ``"BTCUSDT"``).

    >>> contract("BTCUSDT").contract_size, contract("BTCUSDT").tick_size
    (0.0001, 0.1)
    """
    specs = _contracts()
    if not isinstance(symbol, str) or symbol not in specs:
        raise MarginInputError(f"symbol must be one of {', '.join(specs)}, got {symbol!r}")
    return specs[symbol]


@lru_cache(maxsize=None)
def _tier_files():
    return {
        (raw["exchange"], raw["symbol"]): name
        for name, raw in (
            (entry.name, json.loads(entry.read_text(encoding="utf-8")))
            for entry in DATA.joinpath("tiers").iterdir()
            if entry.name.endswith(".json")
        )
    }


def exchanges(symbol: str | None = None) -> tuple[str, ...]:
    """The exchanges whose tier tables are shipped (for ``symbol``, if given)."""
    return tuple(sorted({ex for ex, sym in _tier_files() if symbol is None or sym == symbol}))


@lru_cache(maxsize=None)
def tier_table(symbol: str, exchange: str = "binance") -> TierTable:
    """The risk tiers ``exchange`` publishes for ``symbol``, as shipped in ``data/tiers/``.

    >>> table = tier_table("BTCUSDT", "binance")
    >>> table.tiers[0].max_leverage, table.tiers[0].mmr
    (125.0, 0.004)
    """
    files = _tier_files()
    if (exchange, symbol) not in files:
        known = ", ".join(f"{ex}/{sym}" for ex, sym in sorted(files))
        raise MarginInputError(f"exchange and symbol must be one of {known}, got {exchange}/{symbol}")
    raw = _read_json("tiers", files[(exchange, symbol)])
    tiers = tuple(
        RiskTier(
            tier=i + 1,
            floor=float(row["floor"]),
            cap=float(row["cap"]),
            max_leverage=float(row["max_leverage"]),
            mmr=float(row["mmr"]),
            maintenance_amount=float(row["maintenance_amount"]),
        )
        for i, row in enumerate(raw["tiers"])
    )
    return TierTable(
        exchange=raw["exchange"],
        exchange_name=raw["exchange_name"],
        symbol=raw["symbol"],
        source=raw["source"],
        as_of=raw["as_of"],
        tiers=tiers,
        maintenance_fee_rate=float(raw.get("maintenance_fee_rate", 0.0)),
        notes=raw.get("notes", ""),
    )
