"""The one double-entry ledger through which every money transfer in a run passes.

Accounts hold USD bn. Firms have a cash account named after the firm; the world outside the
modelled firms is a set of explicit sectors (end users, outside investors, suppliers and energy,
government). Compute and chip *credits* are earmarked money: the account ``credit:HOLDER@ISSUER``
can only be spent on the issuer's product, so revenue paid out of credits (money the seller
itself put in) is measured exactly as *circular* revenue. Every transfer moves an amount from one
account to another, so the sum over all accounts never changes.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection

from aimarket.errors import SimulationError

SECTORS = ("end_users", "outside_investors", "suppliers", "government")


CREDIT_PREFIX = "credit:"


def credit_account(holder: str, issuer: str) -> str:
    """Name of the account holding credits of ``holder`` spendable only on ``issuer``."""
    return f"{CREDIT_PREFIX}{holder}@{issuer}"


class Ledger:
    """Balances (USD bn) and, when ``record`` is set, every transfer as a row."""

    def __init__(self, record: bool = False) -> None:
        self._balance: dict[str, float] = defaultdict(float)
        self._issuers: dict[str, list[str]] = defaultdict(list)  # credit holder -> issuers
        self._holder: dict[str, str] = {}  # credit account -> its holder (others own themselves)
        self.record = record
        self.rows: list[tuple[int, str, str, float, str]] = []
        self.tick = 0
        self.flows: dict[str, float] = defaultdict(float)  # this tick, USD bn by kind
        self.totals: dict[str, float] = defaultdict(float)  # whole run, USD bn by kind
        #: whole run, USD bn received minus paid by (owner, kind); cash and credits together
        self.net: dict[tuple[str, str], float] = defaultdict(float)

    def open(self, account: str, balance: float = 0.0) -> None:
        """Create ``account`` with an opening balance (USD bn), before the first tick."""
        if account in self._balance:
            raise ValueError(f"account {account!r} exists")
        self._balance[account] = float(balance)

    def balance(self, account: str) -> float:
        return self._balance.get(account, 0.0)

    def total(self) -> float:
        """Sum over all accounts, USD bn: constant for the whole run."""
        return sum(self._balance.values())

    def start_tick(self, tick: int) -> None:
        self.tick = tick
        self.flows = defaultdict(float)

    def transfer(self, source: str, target: str, amount: float, kind: str) -> None:
        """Move ``amount`` USD bn (>= 0) from ``source`` to ``target``, labelled ``kind``."""
        if not 0.0 <= amount < math.inf:  # negative, infinite or NaN
            raise SimulationError(
                f"month {self.tick}: mechanism {kind!r} produced the amount {amount} (USD bn,"
                f" must be finite and >= 0) from {source} to {target}; the inputs are outside"
                " the range where the model is defined"
            )
        if amount == 0 or source == target:
            return
        balance, holder = self._balance, self._holder
        if target not in balance and target.startswith(CREDIT_PREFIX):
            owner, issuer = target.removeprefix(CREDIT_PREFIX).split("@")
            self._issuers[owner].append(issuer)
            holder[target] = owner
        balance[source] -= amount
        balance[target] += amount
        self.flows[kind] += amount
        self.totals[kind] += amount
        payer, payee = holder.get(source, source), holder.get(target, target)
        if payer != payee:
            net = self.net
            net[(payer, kind)] -= amount
            net[(payee, kind)] += amount
        if self.record:
            self.rows.append((self.tick, source, target, amount, kind))

    def pay(
        self, payer: str, payee: str, amount: float, kind: str, *, cash_limit: bool = True
    ) -> float:
        """``payer`` buys ``amount`` USD bn of ``payee``'s product: credits on ``payee`` first.

        The part paid from credits is labelled ``KIND_credit`` (circular revenue). With
        ``cash_limit`` the cash part never overdraws the payer's cash. Returns the amount paid.
        """
        credits = f"{CREDIT_PREFIX}{payer}@{payee}"  # credit_account(payer, payee)
        from_credit = min(amount, max(self._balance.get(credits, 0.0), 0.0))
        if from_credit:  # a zero transfer changes nothing (NaN or negative still raise)
            self.transfer(credits, payee, from_credit, f"{kind}_credit")
        rest = amount - from_credit
        if cash_limit:
            rest = min(rest, max(self._balance.get(payer, 0.0), 0.0))
        self.transfer(payer, payee, rest, kind)
        return from_credit + rest

    def spendable(self, payer: str, payee: str) -> float:
        """Cash plus credits on ``payee`` that ``payer`` can spend with ``payee`` (USD bn)."""
        return max(self.balance(payer), 0.0) + max(self.balance(credit_account(payer, payee)), 0.0)

    def owner(self, account: str) -> str:
        """Who owns ``account``: the holder of a credit account, else the account itself."""
        return self._holder.get(account, account)

    def net_of(self, name: str, exclude: Collection[str] = ()) -> float:
        """USD bn ``name`` received minus paid over the run (cash and credits), except ``exclude``
        kinds."""
        return sum(v for (who, kind), v in self.net.items() if who == name and kind not in exclude)

    def credits_of(self, holder: str) -> dict[str, float]:
        """Credit balances of ``holder`` by issuer (USD bn)."""
        balances = {i: self._balance[credit_account(holder, i)] for i in self._issuers[holder]}
        return {issuer: bal for issuer, bal in balances.items() if bal > 1e-12}
