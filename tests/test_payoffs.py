"""Per-firm payoffs in the outcome record are stock-flow consistent with the ledger (financing and
flows internal to a group, ``aimarket.money.payoffs``, aside)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aimarket.metrics import FINANCING
from aimarket.model import AIMarket
from aimarket.money import internal_of
from aimarket.scenario import load_scenario


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), name=st.sampled_from(["baseline", "amazon-openai"]))
def test_payoff_plus_financing_is_the_change_in_cash_and_credits(seed, name):
    model = AIMarket(load_scenario(name), rng=seed, detail=True)
    opening = {n: model.ledger.balance(n) for n in model.firms}
    for _ in range(24):
        model.step()
    outcome = model.outcome()
    financing = dict.fromkeys(model.firms, 0.0)
    owner = model.ledger.owner
    for _, source, target, amount, kind, *_ in model.ledger.rows:
        if kind in FINANCING and owner(source) != owner(target):
            financing[owner(source)] = financing.get(owner(source), 0.0) - amount
            financing[owner(target)] = financing.get(owner(target), 0.0) + amount
    for n, firm in model.firms.items():
        closing = firm.cash + sum(model.ledger.credits_of(n).values())
        internal = internal_of(model.ledger, n, FINANCING)
        assert outcome[f"payoff.{n}"] + financing[n] + internal == pytest.approx(
            closing - opening[n], abs=1e-6
        )
        stakes = sum(lab.cap_table.get(n, 0.0) * model.ctx.valuation(lab) for lab in model.ctx.labs)
        assert outcome[f"value.{n}"] == pytest.approx(closing + stakes, abs=1e-9)
