"""margincourse: the margin math of USDT-margined crypto futures, for a Jupyter course.

Import it as ``mc`` and call everything from the top level::

    import margincourse as mc
    mc.liquidation_price("long", 50_000, 0.02, 100, 0.004)

This flat face is what notebooks use; behind it the package has three rooms
(see CONTRIBUTING.md): :mod:`margincourse.engine` (the money math),
:mod:`margincourse.course` (figures, dashboards, lessons) and
:mod:`margincourse.grading` (checks, answer keys, progress, the grader), all
standing on :mod:`margincourse.basics`.
"""

from .basics.errors import MarginInputError
from .course.progress_view import progress
from .course.question_bank import question_bank
from .engine import copytrading, settlement
from .engine.account import Account, Position
from .engine.adl import AdlFill, Counterparty, DeleverageResult, adl_ranking, deleverage
from .engine.copytrading import FollowerSettings, MasterStrategy
from .engine.events import (
    AutoDeleveragingEvent,
    CloseEvent,
    FundingEvent,
    Ledger,
    LiquidationEvent,
    MarginAddedEvent,
    PartialLiquidationEvent,
)
from .engine.formulas import (
    bankruptcy_price,
    bybit_liquidation_price,
    hedge_mode_liquidation_price,
    initial_margin,
    liquidation_price,
    liquidation_price_for_tiers,
    maintenance_margin,
    margin_ratio,
    notional,
    order_cost,
    round_to_tick,
    side_sign,
    unrealized_pnl,
)
from .engine.collateral import collateral_value, liquidation_price_with_coin_collateral
from .engine.mark_price import funding_basis_price, mark_price, moving_average_basis_price
from .engine.funding import FundingRule, cap_funding_rate, funding_payment, funding_rule, funding_times
from .engine.liquidation import liquidation_comparison, reduce_to_lower_tier, stepped_liquidation
from .engine.paths import generate_path, load_klines, scenario, scenarios
from .engine.replay import run
from .engine.settlement import margin_account, settlement_summary
from .engine.specs import ContractSpec, RiskTier, TierTable, contract, exchanges, symbols, tier_table
from .grading.checks import exercise

__version__ = "0.1.0"

__all__ = [
    # errors
    "MarginInputError",
    # position math (engine.formulas)
    "notional", "initial_margin", "maintenance_margin", "unrealized_pnl", "margin_ratio", "side_sign",
    "liquidation_price", "liquidation_price_for_tiers", "bankruptcy_price", "bybit_liquidation_price",
    "round_to_tick", "hedge_mode_liquidation_price", "order_cost",
    # the mark price, collateral with a haircut (engine.mark_price, engine.collateral)
    "mark_price", "funding_basis_price", "moving_average_basis_price", "collateral_value",
    "liquidation_price_with_coin_collateral",
    # contracts and risk tiers (engine.specs)
    "ContractSpec", "RiskTier", "TierTable", "contract", "tier_table", "symbols", "exchanges",
    # the account (engine.account, engine.events, engine.replay)
    "Account", "Position", "Ledger", "LiquidationEvent", "MarginAddedEvent", "CloseEvent", "run",
    # funding, stepped liquidation, auto-deleveraging (engine.funding, engine.liquidation, engine.adl)
    "funding_payment", "funding_rule", "funding_times", "cap_funding_rate", "FundingRule", "FundingEvent",
    "stepped_liquidation", "liquidation_comparison", "reduce_to_lower_tier", "PartialLiquidationEvent",
    "Counterparty", "adl_ranking", "deleverage", "DeleverageResult", "AdlFill", "AutoDeleveragingEvent",
    # price paths (engine.paths)
    "generate_path", "scenario", "scenarios", "load_klines",
    # copy trading and daily settlement
    "copytrading", "MasterStrategy", "FollowerSettings", "settlement", "margin_account", "settlement_summary",
    # exercises, progress and every question of the course
    "exercise", "progress", "question_bank",
]
