"""Lesson 3's stepped-liquidation dashboard and its auto-deleveraging section (lesson3_deeper.py).

The numbers come from the engine (mc.liquidation_comparison, mc.stepped_liquidation, mc.Account
with a finite insurance fund, mc.adl_ranking); these tests check that the lesson lays them out
faithfully, that money adds up in what it shows, and that what the notebook says in words holds.
"""

from __future__ import annotations

import math
from pathlib import Path

import nbformat
import pytest

import margincourse as mc
from margincourse.course.lessons import lesson3, lesson3_deeper as deeper

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "03_liquidation.ipynb"


def _markdown():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    return "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")


# ----------------------------------------------------------------------------- stepped liquidation


def test_the_path_dips_and_recovers():
    path = deeper.stepped_path(0.15)
    assert path[0] == 60_000 and path.min() == pytest.approx(51_000) and path[-1] == pytest.approx(57_000)
    assert path.argmin() == deeper.STEPS_PER_LEG


@pytest.mark.parametrize("size", deeper.BIG_SIZES)
@pytest.mark.parametrize("dip", [0.10, 0.15])
@pytest.mark.parametrize("fee", [0.0, deeper.BINANCE_FEE])
def test_outcome_is_the_engines_and_the_margin_adds_up(size, dip, fee):
    outcome = deeper.stepped_outcome(size, dip, fee)
    margin = mc.initial_margin(size, 60_000, 10)
    assert outcome["margin"] == pytest.approx(margin)
    engine = mc.liquidation_comparison("long", 60_000, size, margin, deeper.stepped_path(dip), liquidation_fee=fee)
    assert outcome["comparison"].equals(engine)
    for name, shares in deeper.margin_shares(outcome).items():
        assert sum(shares.values()) == pytest.approx(margin, rel=1e-12), name
        assert shares["kept by the trader"] >= 0 and shares["lost in the market"] >= 0
    whole = deeper.margin_shares(outcome)["whole"]
    assert whole["kept by the trader"] == 0  # closed whole, the margin is gone


def test_the_lowest_tier_goes_whole_either_way():
    outcome = deeper.stepped_outcome(0.5, 0.15)
    assert outcome["comparison"].loc["whole"].equals(outcome["comparison"].loc["stepped"])
    assert list(outcome["steps"]["stepped"]["kind"]) == ["whole"]


def test_what_the_lesson_says_after_the_dashboard():
    # "On a shallow dip the stepped long keeps a little of its position"
    shallow = deeper.stepped_outcome(20.0, 0.10)
    steps = shallow["steps"]["stepped"]
    assert list(steps["kind"]) == ["partial", "partial"]
    assert 0 < shallow["comparison"].loc["stepped", "size left"] < 1
    assert deeper.margin_shares(shallow)["stepped"]["kept by the trader"] > 0
    # "on a deeper one ... the rest goes whole"
    deep = deeper.stepped_outcome(20.0, 0.15)
    assert deep["steps"]["stepped"]["kind"].iloc[-1] == "whole"
    assert deep["comparison"].loc["stepped", "size left"] == 0
    # "With Binance's 1.25 % fee, tiers whose rate is below the fee are not stepped at all"
    tiers = mc.tier_table("BTCUSDT", "binance")
    for size in deeper.BIG_SIZES[1:]:
        with_fee = deeper.stepped_outcome(size, 0.20, deeper.BINANCE_FEE)["steps"]["stepped"]
        rate = tiers.tier_for(size * with_fee["price"].iloc[0]).mmr
        assert (with_fee["kind"].iloc[0] == "partial") is (rate > deeper.BINANCE_FEE), size
    text = _markdown()
    assert "keeps a little of its position" in text and "rest goes whole" in text


def test_dashboard_readout_lists_every_step_and_the_money():
    board = lesson3.stepped_dashboard()
    readout = board.readout
    steps = deeper.stepped_outcome(20.0, 0.10)["steps"]["stepped"]
    cuts = [label for label in readout if label.startswith("stepped, cut")]
    assert len(cuts) == len(steps)
    assert readout[cuts[0]] == f"{steps['size closed'].iloc[0]:,.4f} BTC (tier 3 -> 2)"
    assert readout["liquidated whole"].startswith("all 20 BTC at 54,305.5")
    kept = deeper.margin_shares(deeper.stepped_outcome(20.0, 0.10))["stepped"]["kept by the trader"]
    assert readout["kept by the trader (whole | stepped)"] == f"0.00 | {kept:,.2f} USDT"


def test_dashboard_moves_only_its_artists_and_every_choice_works():
    board = lesson3.stepped_dashboard()
    first = board._png
    for size in deeper.BIG_SIZES:
        for dip in deeper.DIPS:
            for fee in deeper.FEES:
                readout = board.set(size=size, dip=dip, fee=fee)
                assert board.message == "" and "kept by the trader (whole | stepped)" in readout
    board.set(size=300.0, dip=0.2)
    assert board._png != first
    board.set(size=20.0, dip=0.10, fee="none")
    assert board._png == first


def test_no_liquidation_is_said_so():
    board = lesson3.stepped_dashboard()
    readout = deeper._readout(deeper.stepped_outcome(0.5, 0.05), 0.5)
    assert readout["liquidated?"].startswith("no")
    assert board.readout  # the default has a liquidation


def test_step_table_is_the_engines_steps():
    table = deeper.stepped_table(20.0, 0.15).frame
    steps = mc.stepped_liquidation("long", 60_000, 20, 120_000, deeper.stepped_path(0.15))
    assert len(table) == len(steps)
    assert list(table["closed (BTC)"]) == [f"{round(x, 4):,.4f}".rstrip("0").rstrip(".") for x in steps["size closed"]]
    assert table["tier"].iloc[-1] == "1 -> closed" and table["next liquidation at"].iloc[-1] == "-"


def test_stepped_deeper_is_collapsed_and_quotes_the_pages():
    section = lesson3.stepped_deeper()
    html = section._repr_markdown_()
    assert html.startswith("<details>") and html.endswith("</details>")
    text = repr(section)
    for title in ("Liquidation Process (USDT Contract)", "Binance Futures Liquidation Protocols",
                  "Bankruptcy Price (USDT Contract)"):
        assert title in text
    assert "lowest risk-limit tier that is the whole position" in text  # correction 2


# ----------------------------------------------------------------------------- auto-deleveraging


def test_adl_run_closes_the_top_ranked_shorts_at_the_bankruptcy_price():
    account, liquidation, adl = deeper.adl_run()
    assert liquidation.bankruptcy_price == pytest.approx(47_500)
    assert adl.shortfall == pytest.approx(2 * (47_500 - 45_000))
    ranking = mc.adl_ranking(deeper.ADL_COUNTERPARTIES, 45_000)
    assert [f.name for f in adl.fills] == list(ranking["name"][:2])
    assert all(f.price == pytest.approx(47_500) for f in adl.fills)
    assert account.ledger().expected_wallet_balance() == pytest.approx(account.wallet_balance)


@pytest.mark.parametrize("fund", [0.0, 1_000.0, 4_999.0, 6_000.0])
def test_conservation_table_adds_up(fund):
    frame = deeper.adl_conservation(fund).frame
    values = [float(v.replace(",", "")) for v in frame["USDT"]]
    shortfall, parts, total = values[0], values[1:-1], values[-1]
    assert shortfall == pytest.approx(5_000)
    assert sum(parts) == pytest.approx(total) == pytest.approx(shortfall)
    assert values[1] == pytest.approx(min(fund, 5_000))  # the fund pays first, as far as it goes
    deleveraged = [label for label in frame.index if "profit not received" in label]
    assert (len(deleveraged) == 0) is (fund >= 5_000)


def test_what_the_lesson_says_about_the_ranking():
    # "C (20x) goes first and A (10x) second, although B (2x) holds three times A's profit"
    ranking = mc.adl_ranking(deeper.ADL_COUNTERPARTIES, deeper.ADL_GAP_PRICE)
    assert list(ranking["name"][:3]) == ["C (20x)", "A (10x)", "B (2x)"]
    profit = dict(zip(ranking["name"], ranking["unrealized PnL"]))
    assert profit["B (2x)"] == pytest.approx(3 * profit["A (10x)"])
    bybit = mc.adl_ranking(deeper.ADL_COUNTERPARTIES, deeper.ADL_GAP_PRICE, rule="bybit")
    assert list(bybit["name"][:3]) == ["C (20x)", "A (10x)", "B (2x)"]  # "comes third on both"
    for c in deeper.ADL_COUNTERPARTIES:  # the names say the leverage: wallet = size x entry / leverage
        leverage = int(c.name.split("(")[1].rstrip("x)"))
        assert c.wallet_balance == pytest.approx(c.size * c.entry_price / leverage)
    assert "C (20x) goes first and A (10x) second, although B (2x) holds three times A's profit" in _markdown()


def test_ranking_table_shows_the_engines_scores():
    frame = deeper.adl_ranking_table().frame
    assert list(frame["Binance rank"]) == [2, 3, 1, 4]  # A, B, C, D in the order given
    by_hand = 7_000 / 2_600 * (45_000 * 0.004) / (2_600 + 7_000)  # C: Pnl Percent x Margin Ratio (tier 1)
    assert float(frame.loc["C (20x)", "Binance Leverage Pnl"]) == pytest.approx(by_hand, abs=5e-5)


def test_adl_deeper_says_what_is_documented_and_what_is_not():
    text = repr(lesson3.adl_deeper())
    assert "What Is Auto-Deleveraging (ADL) and How Does It Work?" in text
    assert "Leverage Pnl = Pnl Percent x Margin Ratio" in text
    assert "give no formula" in text and "BitMEX" in text  # Bybit's formula is not claimed
    assert "simulates this" in text


def test_the_lesson_no_longer_says_what_issue_12_corrected():
    text = _markdown()
    assert "does not simulate ADL" not in text
    assert "paid in full" not in text.replace("not always paid in full", "")
    assert "Bybit settles a liquidated position at its bankruptcy price." not in text
    assert "as far as it can" in text  # the fund pays a gap only as far as its balance goes


def test_every_number_in_the_ranking_text_is_finite():
    frame = deeper.adl_ranking_table().frame
    for value in frame["PnL % x eff. leverage"]:
        assert math.isfinite(float(value))
