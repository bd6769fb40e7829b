"""The ledger conserves money and labels circular revenue exactly."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aimarket.errors import SimulationError
from aimarket.ledger import Ledger, credit_account

names = st.sampled_from(["a", "b", "c", "end_users", "suppliers"])


@given(st.lists(st.tuples(names, names, st.floats(0, 1e3)), max_size=60))
def test_transfers_conserve_the_total(transfers):
    ledger = Ledger(record=True)
    for name in ("a", "b", "c"):
        ledger.open(name, 100.0)
    for source, target, amount in transfers:
        ledger.transfer(source, target, amount, "x")
    assert abs(ledger.total() - 300.0) < 1e-6
    net = {n: 0.0 for n in ("a", "b", "c")}
    for _, source, target, amount, _ in ledger.rows:
        net[source] = net.get(source, 0.0) - amount
        net[target] = net.get(target, 0.0) + amount
    for name in ("a", "b", "c"):
        assert abs(ledger.balance(name) - (100.0 + net[name])) < 1e-6


def test_pay_spends_credits_first_and_labels_them_circular():
    ledger = Ledger()
    ledger.open("cloud", 50.0)
    ledger.open("lab", 1.0)
    ledger.transfer("cloud", credit_account("lab", "cloud"), 3.0, "equity_credits")
    paid = ledger.pay("lab", "cloud", 3.5, "compute")
    assert paid == 3.5
    assert ledger.flows["compute_credit"] == 3.0
    assert ledger.flows["compute"] == 0.5
    assert ledger.balance(credit_account("lab", "cloud")) == 0.0


def test_pay_never_overdraws_cash():
    ledger = Ledger()
    ledger.open("lab", 1.0)
    ledger.open("cloud", 0.0)
    assert ledger.pay("lab", "cloud", 5.0, "compute") == 1.0
    assert ledger.balance("lab") == 0.0


@pytest.mark.parametrize("amount", [-1.0, float("nan"), float("inf")])
def test_negative_or_non_finite_transfer_stops_the_run_naming_mechanism_month_and_firms(amount):
    ledger = Ledger()
    ledger.start_tick(5)
    with pytest.raises(SimulationError, match=r"month 5: mechanism 'capex' .* from a to b"):
        ledger.transfer("a", "b", amount, "capex")
    assert ledger.total() == 0 and not ledger.flows


def _grid_ledger(record: bool) -> Ledger:
    ledger = Ledger(record=record)
    for name, cash in (("h1", 40.0), ("h2", 7.0), ("h3", 0.0), ("c1", 1.0), ("c2", 0.0)):
        ledger.open(name, cash)
    ledger.open("suppliers")
    ledger.transfer("h1", "c1", 0.1, "chips")  # keys already in use keep their places
    return ledger


@given(
    st.lists(st.floats(0.0, 3.0), min_size=6, max_size=6),
    st.lists(st.floats(0.01, 0.9), min_size=6, max_size=6),
)
def test_pay_grid_is_pay_then_transfer_cell_by_cell_bit_for_bit(amounts, cost_shares):
    """The chip market's batch settlement changes every balance, counter, net position (and
    key order) and row exactly as paying cell by cell in row-major order would."""
    buyers, sellers = ["h1", "h2", "h3"], ["c1", "c2"]
    paid = np.array(amounts).reshape(3, 2)
    cells = paid > 0
    costs = paid * np.array(cost_shares).reshape(3, 2)
    one, batch = _grid_ledger(True), _grid_ledger(True)
    applied = batch.pay_grid(
        buyers, sellers, cells, paid, "chips", costs, "suppliers", "chip_production"
    )
    for i, j in zip(*np.nonzero(cells), strict=True):
        got = one.pay(buyers[i], sellers[j], paid[i, j], "chips")
        if got != paid[i, j]:
            assert not applied  # a payment cut by the cash limit: pay one by one instead
            return
        one.transfer(sellers[j], "suppliers", costs[i, j], "chip_production")
    assert applied
    assert list(batch._balance.items()) == list(one._balance.items())
    for mine, theirs in ((batch.flows, one.flows), (batch.totals, one.totals)):
        assert list(mine.items()) == list(theirs.items())
    assert list(batch.net.items()) == list(one.net.items())
    assert batch.rows == one.rows


def test_pay_grid_leaves_credits_to_pay_one_by_one():
    ledger = _grid_ledger(False)
    ledger.transfer("c1", credit_account("h1", "c1"), 0.5, "chip_credits")
    before = dict(ledger._balance)
    cells = np.array([[True]])
    assert not ledger.pay_grid(
        ["h1"], ["c1"], cells, np.array([[1.0]]), "chips", np.array([[0.5]]), "suppliers", "x"
    )
    assert dict(ledger._balance) == before
