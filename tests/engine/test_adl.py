"""Auto-deleveraging: the ranking, the settlement of a bankrupt position, and the account's finite fund.

Documented rules (margincourse/engine/adl.py cites the pages): ADL only when the insurance
fund cannot cover a bankrupt position; opposing profitable positions are closed at the
bankruptcy price of the liquidated order, more profitable and higher leveraged first
(Binance: Leverage Pnl = Pnl Percent x Margin Ratio). Money is conserved: the loss beyond
the collateral equals what the fund paid plus what the deleveraged winners did not receive.
"""

from __future__ import annotations

import pytest

import margincourse as mc
from margincourse import Counterparty, MarginInputError


def shorts():
    return [
        Counterparty("low leverage", "short", 1.0, 60_000, 30_000),
        Counterparty("high leverage", "short", 1.0, 60_000, 6_000),
        Counterparty("losing", "short", 1.0, 45_000, 4_500),
        Counterparty("same side", "long", 1.0, 40_000, 4_000),
    ]


class TestRanking:
    def test_binance_leverage_pnl_by_hand(self):
        # Pnl Percent = max(0, UP) / max(1, WB); Margin Ratio = MM / (WB + UP); Leverage Pnl = product
        table = mc.adl_ranking(shorts(), 50_000)
        mm = 50_000 * 0.004  # Binance BTCUSDT tier 1 at 50,000 notional
        expected = {
            "high leverage": 10_000 / 6_000 * mm / 16_000,
            "low leverage": 10_000 / 30_000 * mm / 40_000,
            "losing": 0.0,
            "same side": 10_000 / 4_000 * mm / 14_000,
        }
        for row in table.itertuples():
            assert row.score == pytest.approx(expected[row.name], rel=1e-12)
        ranks = dict(zip(table["name"], table["rank"]))
        assert ranks == {"high leverage": 1, "low leverage": 2, "losing": 3, "same side": 1}

    def test_bybit_rule_ranks_profit_times_effective_leverage(self):
        table = mc.adl_ranking(shorts()[:3], 50_000, rule="bybit")
        score = dict(zip(table["name"], table["score"]))
        assert score["high leverage"] == pytest.approx(10_000 / 60_000 * 50_000 / 16_000)
        assert score["losing"] == -float("inf")  # its loss is beyond its collateral: last in the queue
        assert list(table["name"]) == ["high leverage", "low leverage", "losing"]

    def test_more_leverage_or_more_profit_ranks_first(self):
        for rule in ("binance", "bybit"):
            a = Counterparty("a", "short", 1, 60_000, 5_000)
            b = Counterparty("b", "short", 1, 60_000, 10_000)  # the same profit on more collateral
            c = Counterparty("c", "short", 1, 55_000, 5_000)  # less profit on the same collateral
            assert list(mc.adl_ranking([b, a], 50_000, rule=rule)["name"]) == ["a", "b"]
            assert list(mc.adl_ranking([c, a], 50_000, rule=rule)["name"]) == ["a", "c"]


class TestDeleverage:
    def test_documented_example_fund_first_then_the_best_ranked_short(self):
        result = mc.deleverage("long", 2, 49_000, 48_000, 500, shorts())
        assert result.shortfall == 2_000 and result.insurance_fund_used == 500
        assert result.insurance_fund_after == 0 and result.quantity_to_fund == pytest.approx(0.5)
        assert [(f.name, f.quantity, f.price) for f in result.fills] == [
            ("high leverage", 1.0, 49_000), ("low leverage", 0.5, 49_000),
        ]
        fill = result.fills[0]
        assert fill.realized_pnl == pytest.approx(11_000)  # closed at the bankruptcy price, not at 48,000
        assert fill.forgone_profit == pytest.approx(1_000)
        assert result.uncovered_shortfall == 0

    def test_money_is_conserved(self):
        result = mc.deleverage("short", 3, 51_000, 53_500, 1_234, [
            Counterparty("l1", "long", 0.7, 40_000, 2_000), Counterparty("l2", "long", 5, 45_000, 90_000),
        ])
        paid_by_winners = sum(f.forgone_profit for f in result.fills)
        assert result.shortfall == pytest.approx(3 * 2_500)
        assert result.insurance_fund_used + paid_by_winners + result.uncovered_shortfall == pytest.approx(result.shortfall)
        assert sum(f.quantity for f in result.fills) == pytest.approx(result.quantity_deleveraged)

    def test_a_fund_that_covers_it_deleverages_nobody(self):
        result = mc.deleverage("long", 2, 49_000, 48_000, 5_000, shorts())
        assert result.fills == () and result.insurance_fund_after == 3_000

    def test_no_gap_no_shortfall(self):
        result = mc.deleverage("long", 2, 49_000, 49_500, 0, shorts())
        assert result.shortfall == 0 and result.fills == ()

    def test_not_enough_winners_leaves_an_uncovered_shortfall(self):
        result = mc.deleverage("long", 5, 49_000, 48_000, 0, shorts())
        assert [f.name for f in result.fills] == ["high leverage", "low leverage"]  # the losing short is not used
        assert result.uncovered_quantity == pytest.approx(3) and result.uncovered_shortfall == pytest.approx(3_000)

    def test_other_symbols_are_not_matched_and_remaining_counterparties_shrink(self):
        eth = Counterparty("eth short", "short", 10, 4_000, 4_000, symbol="ETHUSDT")
        result = mc.deleverage("long", 1.5, 49_000, 48_000, 0, shorts() + [eth])
        assert "eth short" not in [f.name for f in result.fills]
        after = {c.name: c for c in result.counterparties_after(shorts() + [eth])}
        assert "high leverage" not in after
        assert after["low leverage"].size == pytest.approx(0.5)
        assert after["low leverage"].wallet_balance == pytest.approx(15_000)
        assert after["eth short"] == eth and after["losing"].size == 1

    def test_result_as_a_table(self):
        frame = mc.deleverage("long", 2, 49_000, 48_000, 500, shorts()).to_frame()
        assert list(frame["name"]) == ["high leverage", "low leverage"]
        assert "forgone_profit" in frame.columns

    @pytest.mark.parametrize(
        "kwargs, match",
        [
            (dict(side="up"), "side must be 'long' or 'short'"),
            (dict(quantity=0), "quantity must be greater than 0"),
            (dict(bankruptcy_price=-1), "bankruptcy_price must be greater than 0"),
            (dict(price=float("nan")), "price must be a number"),
            (dict(insurance_fund=-1), "insurance_fund must be 0 or more"),
            (dict(counterparties=Counterparty("x", "short", 1, 1, 1)), "counterparties must be a list of Counterparty"),
            (dict(counterparties=[("x", "short")]), "counterparties must be a list of Counterparty"),
            (dict(counterparties=[Counterparty("x", "short", 1, 1, 1)] * 2), "counterparties must have different names"),
            (dict(rule="okx"), "rule must be 'binance' or 'bybit'"),
            (dict(symbol="DOGEUSDT"), "symbol must be one of"),
        ],
    )
    def test_bad_input_names_the_parameter(self, kwargs, match):
        args = dict(side="long", quantity=1, bankruptcy_price=49_000, price=48_000, insurance_fund=0,
                    counterparties=shorts()) | kwargs
        with pytest.raises(MarginInputError, match=match):
            mc.deleverage(**args)

    @pytest.mark.parametrize(
        "kwargs, match",
        [
            (dict(side="both"), "side must be 'long' or 'short'"),
            (dict(size=0), "size of c must be greater than 0"),
            (dict(entry_price="1"), "entry_price of c must be a number"),
            (dict(wallet_balance=-5), "wallet_balance of c must be greater than 0"),
            (dict(symbol="X"), "symbol must be one of"),
        ],
    )
    def test_bad_counterparty(self, kwargs, match):
        args = dict(name="c", side="short", size=1, entry_price=50_000, wallet_balance=1_000) | kwargs
        with pytest.raises(MarginInputError, match=match):
            Counterparty(**args)


class TestAccountWithAFiniteFund:
    def test_default_endless_fund_is_unchanged(self):
        account = mc.Account(1_000)
        account.open("BTCUSDT", "long", 0.02, 50_000, 10, "isolated")
        [event] = account.mark({"BTCUSDT": 40_000}, gap=True)
        assert event.insurance_fund_loss == pytest.approx(100) and event.adl_shortfall == 0
        assert account.insurance_fund_balance is None
        assert account.ledger().adl_shortfall == 0

    def test_the_fund_pays_what_it_can_and_adl_the_rest(self):
        cps = [Counterparty("s1", "short", 0.01, 60_000, 100), Counterparty("s2", "short", 0.05, 58_000, 2_000)]
        account = mc.Account(1_000, insurance_fund=5, counterparties=cps)
        account.open("BTCUSDT", "long", 0.02, 50_000, 10, "isolated")
        liquidation, adl = account.mark({"BTCUSDT": 40_000}, gap=True)
        assert liquidation.kind == "liquidation" and adl.kind == "auto_deleveraging"
        assert liquidation.insurance_fund_loss == pytest.approx(5) and liquidation.adl_shortfall == pytest.approx(95)
        assert adl.bankruptcy_price == pytest.approx(45_000) and adl.shortfall == pytest.approx(100)
        assert [(f.name, round(f.quantity, 6)) for f in adl.fills] == [("s1", 0.01), ("s2", 0.009)]
        assert sum(f.forgone_profit for f in adl.fills) == pytest.approx(95)
        assert account.wallet_balance == 900  # the isolated loss is still capped at the margin
        assert account.insurance_fund_balance == 0
        assert [(c.name, round(c.size, 6)) for c in account.counterparties] == [("s2", 0.041)]
        ledger = account.ledger()
        assert ledger.expected_wallet_balance() == pytest.approx(account.wallet_balance)
        assert ledger.insurance_fund_loss + ledger.adl_shortfall == pytest.approx(100)

    def test_liquidation_fees_and_leftover_margin_fill_the_fund(self):
        account = mc.Account(1_000, liquidation_fee=0.005, insurance_fund=0)
        account.open("BTCUSDT", "long", 0.02, 50_000, 10, "isolated")
        [event] = account.mark({"BTCUSDT": 40_000})  # continuous: executes at the liquidation price
        assert account.insurance_fund_balance == pytest.approx(event.liquidation_fee + event.insurance_fund_contribution)
        assert account.insurance_fund_balance == pytest.approx(100 + event.realized_pnl)

    def test_cross_bankruptcy_goes_to_adl_too(self):
        cps = [Counterparty("s", "short", 5, 60_000, 50_000)]
        account = mc.Account(1_000, insurance_fund=0, counterparties=cps)
        account.open("BTCUSDT", "long", 0.2, 50_000, 20, "cross")
        events = account.mark({"BTCUSDT": 40_000}, gap=True)
        assert [e.kind for e in events] == ["liquidation", "auto_deleveraging"]
        assert events[1].shortfall == pytest.approx(0.2 * 10_000 - 1_000)
        assert account.wallet_balance == 0
        assert account.ledger().expected_wallet_balance() == pytest.approx(0, abs=1e-9)

    def test_counterparties_without_a_finite_fund_are_refused(self):
        with pytest.raises(MarginInputError, match="counterparties need a finite insurance_fund"):
            mc.Account(1_000, counterparties=[Counterparty("s", "short", 1, 60_000, 1_000)])
        with pytest.raises(MarginInputError, match="insurance_fund must be 0 or more"):
            mc.Account(1_000, insurance_fund=-1)
        with pytest.raises(MarginInputError, match="counterparties must be a list of Counterparty"):
            mc.Account(1_000, insurance_fund=10, counterparties="s")
