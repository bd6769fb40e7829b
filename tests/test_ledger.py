"""The ledger conserves money and labels circular revenue exactly."""

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
    for _, source, target, amount, *_ in ledger.rows:
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
