"""Exercise 5's copy-mode questions (q8-q11): the expected values by hand, and each named mistake recognised."""

import pytest

from margincourse.engine.copytrading import FollowerSettings, MasterStrategy, copy_order_sizes
from margincourse.grading.answer_key import lesson5 as key

QUESTIONS = {q.id: q for q in key.QUESTIONS}
PRICES = (50_000, 47_500, 45_125)
# 50 USDT of margin at 10x is 500 USDT of BTC per order, rounded down to whole 0.0001 BTC contracts
FIXED = (0.0100, 0.0105, 0.0110)


def test_the_orders_are_the_masters_martingale_of_the_engine():
    assert MasterStrategy(first_order=500.0, doublings=2).ladder(50_000)["price"].tolist() == list(PRICES)
    assert key.MASTER.order_sizes(50_000).round(4).tolist() == [size for _, size in key.ORDERS]


def test_q8_a_fixed_amount_puts_up_about_the_same_margin_each_time():
    q = QUESTIONS["q8"]
    by_hand = sum(size * price / 10 for size, price in zip(FIXED, PRICES))  # 50 + 49.875 + 49.6375
    assert q.reference() == pytest.approx(by_hand, abs=1e-9) and q.reference() == pytest.approx(149.5125)
    assert q.evaluate(149.51) == (True, "correct.")
    for wrong, words in ((350.0, "doubled with the master"), (325.5, "a fixed ratio"), (150.0, "whole number")):
        correct, message = q.evaluate(wrong)
        assert not correct and words in message, (wrong, message)


def test_q9_the_masters_take_profit_is_measured_from_its_own_average_not_yours():
    q = QUESTIONS["q9"]
    master_entry = (0.01 * 50_000 + 0.02 * 47_500 + 0.04 * 45_125) / 0.07  # 46,500
    sell = master_entry * 1.05  # 48,825, on the tick already
    copy_entry = sum(s * p for s, p in zip(FIXED, PRICES)) / sum(FIXED)
    assert "48,825.0 USDT" in q.prompt
    assert q.reference() == pytest.approx(sum(FIXED) * (sell - copy_entry), abs=1e-6)
    assert copy_entry > master_entry and 0 < q.reference() < 0.07 * (sell - master_entry) / 3
    correct, message = q.evaluate(sum(FIXED) * (sell - master_entry))
    assert not correct and "master's average entry" in message
    correct, message = q.evaluate(0.07 * (sell - master_entry))
    assert not correct and "doubles with the master" in message


def test_q10_a_multiplier_scales_the_size_and_your_own_leverage_sets_the_margin():
    q = QUESTIONS["q10"]
    size = 0.2 * 0.04  # 80 contracts
    assert q.reference() == pytest.approx(size * 45_125 / 4)  # 90.25
    settings = FollowerSettings(leverage=4, copy_mode="multiplier", copy_multiplier=0.2)
    assert float(copy_order_sizes(settings, 0.04, 45_125)) == pytest.approx(size)
    for wrong, words in ((0.2 * 0.04 * 45_125 / 25, "times the master's margin"), (size * 45_125, "notional"),
                         (0.04 * 45_125 / 4, "the master's whole order")):
        correct, message = q.evaluate(wrong)
        assert not correct and words in message, (wrong, message)


def test_q11_the_copy_trading_account_is_not_the_whole_exchange_balance():
    q = QUESTIONS["q11"]
    letters = q.letters()
    right = next(letter for letter, option in letters.items() if option == q.answer)
    assert "copy trading" in q.answer and "Futures wallet" in q.answer
    assert q.evaluate(right)[0]
    whole = next(letter for letter, option in letters.items() if option.startswith("your whole exchange balance"))
    correct, message = q.evaluate(whole)
    assert not correct and "Frequently Asked Questions on Binance Futures Copy Trading" in message
    # the wrong options' feedback points to the source without saying the right option
    for letter, option in letters.items():
        if option != q.answer:
            assert "300 USDT" not in q.evaluate(letter)[1]
