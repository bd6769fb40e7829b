"""Money with an origin: tagged balances are conserved, circular revenue by origin kind matches
hand-computed cases, and payoffs are group-consistent (``aimarket.money``)."""

from __future__ import annotations

from collections import defaultdict
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aimarket import money
from aimarket.ledger import ROW_COLUMNS, Ledger, credit_account
from aimarket.metrics import FINANCING

FIRMS = ("M", "G", "L1", "L2", "V")
GROUPS = {"L2": "G"}  # G controls L2


def assert_same_circular(ledger: Ledger) -> None:
    """The circular shares from the rows' origin columns equal the ledger's accumulated ones."""
    share, by_origin = money.circular_from_rows(ledger.rows)
    assert share == pytest.approx(money.circular_share(ledger))
    assert by_origin == pytest.approx(money.circular_by_origin(ledger))


def toy_ledger(record: bool = True) -> Ledger:
    ledger = Ledger(record=record)
    for name in FIRMS:
        ledger.open(name, 100.0 if name in ("M", "G", "V") else 0.0)
    for sector in ("end_users", "outside_investors", "suppliers"):
        ledger.open(sector)
    ledger.group_of = lambda name: GROUPS.get(name, name)
    ledger.vendors = frozenset({"V"})
    return ledger


def test_circular_share_by_origin_matches_a_hand_computed_case():
    ledger = toy_ledger()
    ledger.transfer("M", "L1", 10.0, "equity", "D1")
    ledger.transfer("M", credit_account("L1", "M"), 5.0, "equity_credits", "D1")
    ledger.transfer("G", "L2", 20.0, "group_funding")
    ledger.transfer("end_users", "L1", 10.0, "model_revenue")  # L1: 10 M equity + 10 own
    assert ledger.pay("L1", "M", 15.0, "compute") == 15.0  # 5 credits, then 5 equity + 5 own
    ledger.pay("L2", "G", 8.0, "compute")  # all group funding
    ledger.transfer("end_users", "M", 7.0, "compute")  # enterprise demand: not circular
    ledger.pay("L1", "G", 4.0, "compute")  # 2 of M's equity + 2 own: G's own money now
    by_origin = money.circular_by_origin(ledger)
    revenue = 15 + 8 + 7 + 4
    assert by_origin["credits"] == pytest.approx(5 / revenue)
    assert by_origin["equity"] == pytest.approx(5 / revenue)
    assert by_origin["group_funding"] == pytest.approx(8 / revenue)
    assert by_origin["vendor_financing"] == by_origin["own"] == 0.0
    assert money.circular_share(ledger) == pytest.approx(18 / revenue)
    assert_same_circular(ledger)
    assert money.circular_by_deal(ledger) == pytest.approx({"D1": 10.0})
    assert money.circular_revenue_of(ledger) == pytest.approx({"M": 10.0, "G": 8.0})
    assert ledger.tags("G") == {}
    assert ledger.tags("L1") == pytest.approx({("M", "equity", "D1"): 3.0})
    # captive: G's revenue from its own lab; M's credits and its equity come home
    assert money.captive_share(ledger) == pytest.approx(18 / revenue)
    with_captive = money.cloud_shares(ledger)
    without = money.cloud_shares(ledger, captive=False)
    assert with_captive == pytest.approx({"M": 22 / revenue, "G": 12 / revenue})
    assert without == pytest.approx({"M": 12 / 16, "G": 4 / 16})
    # M's money that came back (10) is not profit; G's group round trip (8) nets out
    profit = money.payoffs(ledger, FIRMS, FINANCING)
    assert profit["M"] == pytest.approx(22 - 10)
    assert profit["G"] == pytest.approx(12 - 8)
    assert profit["L2"] == pytest.approx(0.0)
    assert profit["L1"] == pytest.approx(10 - 19)  # revenue 10, compute 19 (its own cost)


def test_a_parent_funding_its_own_lab_shows_zero_group_profit_from_the_round_trip():
    ledger = toy_ledger()
    ledger.transfer("G", "L2", 30.0, "group_funding")
    ledger.pay("L2", "G", 30.0, "compute")
    profit = money.payoffs(ledger, FIRMS, FINANCING)
    assert profit["G"] == pytest.approx(0.0) and profit["L2"] == pytest.approx(0.0)
    assert money.circular_by_origin(ledger)["group_funding"] == pytest.approx(1.0)
    # the old rule counted the round trip as the parent's profit
    old_rule = sum(
        v for (who, kind), v in ledger.net.items() if who == "G" and kind not in FINANCING
    )
    assert old_rule == pytest.approx(30.0)


def test_a_labs_own_earnings_spent_at_its_parent_are_circular_but_still_profit():
    ledger = toy_ledger()
    ledger.transfer("end_users", "L2", 10.0, "model_revenue")
    ledger.pay("L2", "G", 10.0, "compute")
    assert money.circular_by_origin(ledger)["own"] == pytest.approx(1.0)
    profit = money.payoffs(ledger, FIRMS, FINANCING)
    assert profit["G"] + profit["L2"] == pytest.approx(10.0)  # the group earned it from users


def test_vendor_financing_returns_as_chip_sales():
    ledger = toy_ledger()
    ledger.transfer("V", "L1", 10.0, "equity", "D9")
    ledger.pay("L1", "M", 10.0, "compute")  # M receives V's money, still tagged
    ledger.transfer("end_users", "M", 0.0, "compute")
    assert money.circular_share(ledger) == 0.0
    assert ledger.tags("M") == pytest.approx({("V", "vendor_financing", "D9"): 10.0})
    ledger.pay("M", "V", 22.0, "chips")  # M holds 100 own + 10 of V's: pro rata 2 come home
    assert money.circular_by_origin(ledger, kinds=money.CHIP_REVENUE) == pytest.approx(
        dict.fromkeys(money.ORIGIN_KINDS_REPORTED, 0.0) | {"vendor_financing": 2 / 22}
    )
    assert money.payoffs(ledger, FIRMS, FINANCING)["V"] == pytest.approx(20.0)
    assert money.circular_by_deal(ledger) == pytest.approx({"D9": 2.0})


def test_sectors_hold_no_tags_and_spending_past_the_tags_draws_own_money():
    ledger = toy_ledger()
    ledger.transfer("M", "L1", 10.0, "equity")
    ledger.transfer("L1", "suppliers", 4.0, "staff")
    assert ledger.tags("L1") == pytest.approx({("M", "equity", ""): 6.0})
    assert ledger.tags("suppliers") == {}
    ledger.transfer("L1", "suppliers", 8.0, "exit_penalty")  # overdraft: 6 tagged + 2 own
    assert ledger.tags("L1") == {}
    rows = [dict(zip(ROW_COLUMNS, r, strict=True)) for r in ledger.rows[-2:]]
    assert [(r["origin"], r["origin_kind"]) for r in rows] == [("M", "equity"), ("L1", "own")]
    assert [r["amount"] for r in rows] == pytest.approx([6.0, 2.0])


ACCOUNTS = [*FIRMS, credit_account("L1", "M"), credit_account("L2", "G"), "end_users", "suppliers"]
KINDS = ["equity", "equity_credits", "group_funding", "equity_outside", "compute", "staff", "chips"]
PAYERS = [*FIRMS, "end_users", "outside_investors"]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(PAYERS),
            st.sampled_from(ACCOUNTS),
            st.floats(0, 150),
            st.sampled_from([*KINDS, "pay"]),
            st.sampled_from(["", "D1", "D2"]),
        ),
        max_size=40,
    )
)
def test_tagged_ledger_conserves_money_and_its_accounts_agree(transfers):
    """Random transfers (and purchases that spend credits first) among firms, credit accounts
    and sectors, with L2 in G's group."""
    ledger = toy_ledger()
    opening = {a: ledger.balance(a) for a in [*ACCOUNTS, "outside_investors"]}
    total = ledger.total()
    for source, target, amount, kind, deal in transfers:
        if target.removeprefix("credit:").split("@")[0] == source:  # between its own accounts
            continue
        if kind == "pay":
            ledger.pay(source, target.split("@")[-1], amount, "compute")
        else:
            ledger.transfer(source, target, amount, kind, deal)
    assert ledger.total() == pytest.approx(total, abs=1e-6)
    whole: dict[int, float] = defaultdict(float)
    net: dict[str, float] = defaultdict(float)
    for r in ledger.rows:
        row = dict(zip(ROW_COLUMNS, r, strict=True))
        whole[row["transfer"]] += row["amount"]
        net[row["source"]] -= row["amount"]
        net[row["target"]] += row["amount"]
        assert row["amount"] >= 0
    assert len(whole) == ledger.transfers
    for account in [*ACCOUNTS, "outside_investors"]:
        assert ledger.balance(account) == pytest.approx(opening[account] + net[account], abs=1e-6)
        assert all(v >= 0 for v in ledger.tags(account).values())
    assert_same_circular(ledger)
    # stock-flow consistency of the group-consistent payoffs
    profit = money.payoffs(ledger, FIRMS, FINANCING)
    for firm in FIRMS:
        financing = sum(v for (w, k), v in ledger.net.items() if w == firm and k in FINANCING)
        closing = ledger.balance(firm) + sum(ledger.credits_of(firm).values())
        opened = opening[firm]
        assert profit[firm] + financing + money.internal_of(
            ledger, firm, FINANCING
        ) == pytest.approx(closing - opened, abs=1e-6)


def test_a_lab_belongs_to_its_controllers_group_or_else_to_a_majority_holder():
    class Lab:
        agent_type = "lab"

        def __init__(self, cap_table: dict[str, float], controller: str = "") -> None:
            self.cap_table, self._controller = cap_table, controller

        def controller(self) -> str:
            return self._controller

    firms = {
        "C": SimpleNamespace(agent_type="hyperscaler"),
        "A": Lab({"C": 0.3}, controller="C"),
        "B": Lab({"C": 0.6, "outside_investors": 0.4}),
        "D": Lab({"C": 0.2, "outside_investors": 0.8}),
    }
    group_of = money.group_resolver(firms)
    assert [group_of(n) for n in ("A", "B", "D", "C", "end_users")] == [
        "C",
        "C",
        "D",
        "C",
        "end_users",
    ]
