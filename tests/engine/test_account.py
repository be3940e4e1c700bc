"""The account: the seeds' scenarios, auto-add margin examples, cross accounting, fees."""

import pytest

import margincourse as mc


def conserved(account):
    return account.ledger().expected_wallet_balance() == pytest.approx(account.wallet_balance, abs=1e-9)


class TestSeedScenarios:
    """Seed 000: "100 USDT trade liquidates, 900 USDT remains untouched" (isolated) versus
    "100 USDT trade draws from remaining 900 USDT balance" (cross)."""

    def test_isolated_100_usdt_trade_is_liquidated_and_900_remain(self):
        account = mc.Account(1_000)
        position = account.open("BTCUSDT", "long", 0.02, 50_000, 10, "isolated")
        assert position.margin == 100 and account.available_balance == 900
        events = account.mark({"BTCUSDT": 40_000})
        assert [e.kind for e in events] == ["liquidation"]
        assert events[0].collateral_lost == 100
        assert account.wallet_balance == 900 and account.equity == 900
        assert conserved(account)

    def test_isolated_loss_is_capped_even_with_a_liquidation_fee_and_a_gap(self):
        account = mc.Account(1_000, liquidation_fee=0.0125)
        account.open("BTCUSDT", "long", 0.02, 50_000, 10, "isolated")
        [event] = account.mark({"BTCUSDT": 20_000}, gap=True)
        assert account.wallet_balance == 900
        assert event.price == 20_000
        assert event.insurance_fund_loss == pytest.approx(0.02 * (45_000 - 20_000))
        assert event.liquidation_fee == 0  # nothing left to pay it from
        assert conserved(account)

    def test_same_trade_in_cross_survives_a_deeper_move_and_can_lose_everything(self):
        # 100 USDT of margin at 50x: a 5,000 USDT position.
        isolated, cross = mc.Account(1_000), mc.Account(1_000)
        iso = isolated.open("BTCUSDT", "long", 0.1, 50_000, 50, "isolated")
        crs = cross.open("BTCUSDT", "long", 0.1, 50_000, 50, "cross")
        assert isolated.liquidation_price(iso) > 49_000
        assert cross.liquidation_price(crs) == pytest.approx(40_160.64, abs=0.01)

        isolated.mark({"BTCUSDT": 45_000})
        cross.mark({"BTCUSDT": 45_000})
        assert isolated.wallet_balance == 900 and not iso.is_open
        assert crs.is_open and cross.equity == pytest.approx(500)  # survived, but lost half the account

        events = cross.mark({"BTCUSDT": 40_000})
        assert [e.kind for e in events] == ["liquidation"]
        assert cross.wallet_balance == 0 and cross.equity == 0
        assert events[0].collateral_lost == pytest.approx(1_000)
        assert conserved(cross)

    def test_at_10x_the_cross_wallet_covers_the_whole_notional(self):
        account = mc.Account(1_000)
        position = account.open("BTCUSDT", "long", 0.02, 50_000, 10, "cross")
        assert account.liquidation_price(position) == 0.0
        assert account.mark({"BTCUSDT": 1_000}) == []
        assert account.equity == pytest.approx(1_000 - 0.02 * 49_000)


class TestAutoAddMargin:
    def test_btcex_worked_example(self):
        """BTCEX Help Center, "Auto Margin Addition Function": 1.5 BTC long @ 25,000, 10x, 200 USDT
        available. Liquidation price 22,590.3; the added amount is the maintenance margin at that
        price, 135.5418 USDT (BTCEX used the price cut to 22,590.3); new liquidation price 22,499.6."""
        account = mc.Account(3_750 + 200, auto_add_rule="maintenance_margin")
        position = account.open("BTCUSDT", "long", 1.5, 25_000, 10, "isolated", auto_add_margin=True)
        assert int(account.liquidation_price(position) * 10) / 10 == 22_590.3
        events = account.mark({"BTCUSDT": 22_550})
        first = events[0]
        assert first.kind == "margin_added" and first.automatic
        assert first.amount == pytest.approx(135.5418, abs=1e-3)
        assert int(first.liquidation_price_after * 10) / 10 == 22_499.6
        assert position.is_open and account.available_balance == pytest.approx(200 - first.amount)

    def test_bybit_rule_adds_the_initial_margin_until_the_balance_is_gone(self):
        """Bybit, "Auto-Margin Replenishment": 10,000 USDT, 5 BTC long @ 8,000 at 10x (4,000 USDT
        margin). Each time the liquidation price is reached the initial margin (4,000) is added, or
        all that is left. The whole account ends up inside the position, then it is liquidated."""
        account = mc.Account(10_000)
        position = account.open("BTCUSDT", "long", 5, 8_000, 10, "isolated", auto_add_margin=True)
        events = account.mark({"BTCUSDT": 5_000})
        assert [(e.kind, round(getattr(e, "amount", 0))) for e in events] == [
            ("margin_added", 4_000), ("margin_added", 2_000), ("liquidation", 0)
        ]
        assert events[-1].collateral_lost == pytest.approx(10_000)
        assert account.wallet_balance == 0 and not position.is_open
        assert conserved(account)

    def test_without_auto_add_the_same_crash_costs_only_the_position_margin(self):
        account = mc.Account(10_000)
        account.open("BTCUSDT", "long", 5, 8_000, 10, "isolated")
        account.mark({"BTCUSDT": 5_000})
        assert account.wallet_balance == pytest.approx(6_000)

    def test_auto_add_stops_at_1x(self):
        account = mc.Account(100_000)
        position = account.open("BTCUSDT", "long", 1, 10_000, 2, "isolated", auto_add_margin=True)
        account.mark({"BTCUSDT": 100})
        assert position.is_open and position.margin == pytest.approx(10_000)
        assert account.liquidation_price(position) <= 0

    def test_max_loss_shows_the_cap_and_how_auto_add_removes_it(self):
        account = mc.Account(1_000)
        capped = account.open("BTCUSDT", "long", 0.02, 50_000, 10, "isolated")
        assert account.max_loss(capped) == 100
        account.set_auto_add_margin(capped, True)
        assert account.max_loss(capped) == 100 + 900
        cross = mc.Account(1_000)
        position = cross.open("BTCUSDT", "long", 0.02, 50_000, 10, "cross")
        assert cross.max_loss(position) == 1_000

    def test_a_cross_long_cannot_lose_more_than_its_notional_a_cross_short_can_take_the_wallet(self):
        account = mc.Account(1_000)
        small_long = account.open("BTCUSDT", "long", 0.004, 50_000, 2, "cross")  # 200 USDT of BTC
        assert account.max_loss(small_long) == pytest.approx(200)
        account.mark({"BTCUSDT": 0.1})  # the price all but vanishes: no liquidation, the loss is the notional
        assert small_long.is_open and account.equity == pytest.approx(1_000 - 200 + 0.0004, abs=1e-6)
        shorts = mc.Account(1_000)
        short = shorts.open("BTCUSDT", "short", 0.004, 50_000, 2, "cross")
        assert shorts.max_loss(short) == 1_000

    def test_manual_add_margin_moves_the_liquidation_price_away(self):
        account = mc.Account(1_000)
        position = account.open("BTCUSDT", "long", 0.02, 50_000, 10, "isolated")
        before = account.liquidation_price(position)
        event = account.add_margin(position, 100)
        assert event.liquidation_price_before == pytest.approx(before)
        assert account.liquidation_price(position) == pytest.approx(40_160.64, abs=0.01)
        assert account.liquidation_price(position) < before
        assert position.margin == 200 and account.available_balance == 800 and account.wallet_balance == 1_000


class TestCross:
    def test_two_cross_positions_share_the_wallet(self):
        account = mc.Account(1_000)
        btc = account.open("BTCUSDT", "long", 0.1, 60_000, 20, "cross")
        eth = account.open("ETHUSDT", "long", 1, 3_000, 20, "cross")
        alone = mc.Account(1_000)
        btc_alone = alone.open("BTCUSDT", "long", 0.1, 60_000, 20, "cross")
        # ETH's maintenance margin uses up part of the shared wallet: BTC liquidates sooner.
        assert account.liquidation_price(btc) > alone.liquidation_price(btc_alone)
        # A 200 USDT loss on ETH (whose maintenance margin falls by 0.80) moves BTC's liquidation price up.
        before = account.liquidation_price(btc)
        account.mark({"ETHUSDT": 2_800})
        assert account.liquidation_price(btc) == pytest.approx(before + (200 - 0.8) / (0.1 * (1 - 0.004)))
        assert eth.is_open

    def test_hedge_keeps_a_cross_account_alive(self):
        account = mc.Account(1_000)
        account.open("BTCUSDT", "long", 0.1, 60_000, 20, "cross")
        account.open("ETHUSDT", "short", 2, 3_000, 20, "cross")
        events = account.mark({"BTCUSDT": 54_000, "ETHUSDT": 2_700})  # both fall 10 %
        assert events == []
        assert account.equity == pytest.approx(1_000 - 600 + 600)

    def test_cross_liquidation_closes_all_cross_positions_and_spares_isolated_ones(self):
        account = mc.Account(2_000)
        iso = account.open("SOLUSDT", "long", 10, 150, 5, "isolated")
        account.open("BTCUSDT", "long", 0.1, 60_000, 20, "cross")
        account.open("ETHUSDT", "long", 1, 3_000, 20, "cross")
        events = account.mark({"BTCUSDT": 40_000})
        assert sorted(e.symbol for e in events) == ["BTCUSDT", "ETHUSDT"]
        assert account.positions == (iso,)
        assert account.cross_wallet_balance == 0
        assert account.wallet_balance == pytest.approx(iso.margin)
        assert conserved(account)

    def test_cross_liquidation_executes_where_the_account_crossed_maintenance(self):
        account = mc.Account(1_000)
        position = account.open("BTCUSDT", "long", 0.1, 50_000, 50, "cross")
        lp = account.liquidation_price(position)
        [event] = account.mark({"BTCUSDT": 30_000})
        assert event.price == pytest.approx(lp, rel=1e-9)
        assert event.insurance_fund_loss == 0


class TestFeesAndClosing:
    def test_taker_fee_on_open_and_close(self):
        account = mc.Account(1_000, taker_fee=0.0005)
        position = account.open("BTCUSDT", "long", 0.02, 50_000, 10, "isolated")
        assert account.ledger().trading_fees == pytest.approx(0.5)
        event = account.close(position, 55_000)
        assert event.realized_pnl == pytest.approx(100)
        assert event.fee == pytest.approx(0.55)
        assert account.wallet_balance == pytest.approx(1_000 + 100 - 0.5 - 0.55)
        assert conserved(account)

    def test_adding_to_a_position_averages_the_entry(self):
        account = mc.Account(10_000)
        position = account.open("BTCUSDT", "long", 0.1, 60_000, 10, "isolated")
        same = account.open("BTCUSDT", "long", 0.2, 57_000, 10, "isolated")
        assert same is position
        assert position.size == pytest.approx(0.3)
        assert position.entry_price == pytest.approx(58_000)
        assert position.margin == pytest.approx(600 + 1_140)

    def test_closing_beyond_the_liquidation_price_is_refused_and_changes_nothing(self):
        account = mc.Account(1_000)
        position = account.open("BTCUSDT", "long", 0.02, 50_000, 10, "isolated")
        with pytest.raises(mc.MarginInputError, match="price must be on the safe side of the liquidation price"):
            account.close(position, 40_000)
        assert position.is_open and account.wallet_balance == 1_000 and account.marks == {"BTCUSDT": 50_000}

    def test_events_are_kept_in_order(self):
        account = mc.Account(1_000)
        position = account.open("BTCUSDT", "long", 0.02, 50_000, 10, "isolated")
        account.add_margin(position, 50)
        account.close(position, 51_000)
        assert [e.kind for e in account.events] == ["margin_added", "close"]
        assert account.closed_positions == (position,)

    def test_copy_is_independent(self):
        account = mc.Account(1_000)
        account.open("BTCUSDT", "long", 0.02, 50_000, 10, "isolated")
        what_if = account.copy()
        what_if.mark({"BTCUSDT": 40_000})
        assert len(account.positions) == 1 and len(what_if.positions) == 0

    def test_bitget_account_uses_bitget_tiers(self):
        account = mc.Account(1_000, exchange="bitget")
        position = account.open("BTCUSDT", "long", 0.02, 50_000, 10, "isolated")
        assert account.maintenance_margin(position) == pytest.approx(1_000 * 0.0046)
        assert account.liquidation_price(position) == pytest.approx((100 - 1_000) / (0.02 * (0.0046 - 1)))
