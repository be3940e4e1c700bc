"""The engine: the money math of USDT-margined futures.

Contract specs and risk tiers (as data), the pure formulas, the account and its
events, price paths, replays over candles, daily settlement and the copy-trading
simulation. The engine imports nothing from :mod:`margincourse.course` or
:mod:`margincourse.grading`: both are built on it.
"""
