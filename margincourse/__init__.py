"""margincourse: the margin math of USDT-margined crypto futures, for a Jupyter course.

Import it as ``mc`` and call everything from the top level::

    import margincourse as mc
    mc.liquidation_price("long", 50_000, 0.02, 100, 0.004)
"""

from .errors import MarginInputError
from .margin import (
    bankruptcy_price,
    bybit_liquidation_price,
    initial_margin,
    liquidation_price,
    liquidation_price_for_tiers,
    maintenance_margin,
    margin_ratio,
    notional,
    round_to_tick,
    side_sign,
    unrealized_pnl,
)
from .specs import ContractSpec, RiskTier, TierTable, contract, exchanges, symbols, tier_table
from .account import Account, Position
from .events import CloseEvent, Ledger, LiquidationEvent, MarginAddedEvent
from .paths import generate_path, load_klines, scenario, scenarios
from .replay import run
from .checks import exercise
from .settlement import margin_account, settlement_summary
from . import copytrading
from .copytrading import FollowerSettings, MasterStrategy
from .progress import progress

__version__ = "0.1.0"
