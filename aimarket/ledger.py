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
from collections.abc import Collection, Sequence

import numpy as np

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
        self._opened_credits = False  # a credit account opened by ``open`` (``pay_grid``)
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
        self._opened_credits = self._opened_credits or account.startswith(CREDIT_PREFIX)

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

    def pay_grid(
        self,
        buyers: Sequence[str],
        sellers: Sequence[str],
        cells: np.ndarray,
        amounts: np.ndarray,
        kind: str,
        costs: np.ndarray,
        cost_to: str,
        cost_kind: str,
    ) -> bool:
        """Every buyer ``i`` pays seller ``j`` ``amounts[i, j]`` (USD bn) for each cell of the
        boolean array ``cells``, and the seller pays ``costs[i, j]`` of it on to ``cost_to``: the
        same, bit for bit, as ``pay(buyers[i], sellers[j], amounts[i, j], kind)`` then
        ``transfer(sellers[j], cost_to, costs[i, j], cost_kind)`` cell by cell in row-major
        order, in one pass of array sums (each account and counter adds the same terms in the
        same order). Only when that is so for every cell: no buyer pays from credits on a
        seller, no payment meets the cash limit, every amount and cost is positive and finite,
        and the parties are distinct cash accounts that exist. Otherwise it changes nothing and
        returns False (pay cell by cell then)."""
        if not cells.any():
            return True
        names = [*buyers, *sellers, cost_to]
        balance, net = self._balance, self.net
        if (
            self._opened_credits
            or len(set(names)) != len(names)
            or any(n not in balance or n in self._holder for n in names)
        ):
            return False
        paid, cost = amounts[cells], costs[cells]  # row-major
        if not (np.all((paid > 0) & (paid < math.inf)) and np.all((cost > 0) & (cost < math.inf))):
            return False
        issuers = set(sellers)
        for b in buyers:  # credits on a seller are spent first
            for issuer in self._issuers.get(b, ()):
                if issuer in issuers and not balance.get(credit_account(b, issuer), 0.0) <= 0:
                    return False
        # buyers' cash, cell by cell along each row; a payment above the cash left would be cut
        out = np.where(cells, -amounts, -0.0)  # adding -0.0 leaves every value as it is
        cash = np.add.accumulate(np.column_stack([[balance[b] for b in buyers], out]), axis=1)
        if np.any(cells & (np.maximum(cash[:, :-1], 0.0) < amounts)):
            return False
        inflow = np.where(cells, amounts, -0.0)
        outflow = np.where(cells, -costs, -0.0)
        n_buyers, n_sellers = amounts.shape
        by_buyer, by_seller = cells.any(axis=1), cells.any(axis=0)
        keys = [(buyers[i], kind) for i in np.flatnonzero(by_buyer)] + [
            (sellers[j], k) for j in np.flatnonzero(by_seller) for k in (kind, cost_kind)
        ]
        if any(k not in net for k in [*keys, (cost_to, cost_kind)]):  # new keys, first-use order
            for i, j in zip(*np.nonzero(cells), strict=True):
                for key in (
                    (buyers[i], kind),
                    (sellers[j], kind),
                    (sellers[j], cost_kind),
                    (cost_to, cost_kind),
                ):
                    if key not in net:
                        net[key] = 0.0
        for counter in (self.flows, self.totals):
            counter[kind] = np.add.accumulate(np.concatenate([[counter[kind]], paid]))[-1]
            counter[cost_kind] = np.add.accumulate(np.concatenate([[counter[cost_kind]], cost]))[-1]
        received = np.add.accumulate(np.concatenate([[balance[cost_to]], cost]))[-1]
        balance[cost_to] = received
        key = (cost_to, cost_kind)
        net[key] = np.add.accumulate(np.concatenate([[net[key]], cost]))[-1]
        net_paid = np.add.accumulate(
            np.column_stack([[net.get((b, kind), 0.0) for b in buyers], out]), axis=1
        )
        for i in np.flatnonzero(by_buyer):
            balance[buyers[i]] = cash[i, -1]
            net[(buyers[i], kind)] = net_paid[i, -1]
        seller_cash = np.empty((2 * n_buyers + 1, n_sellers))
        seller_cash[0] = [balance[s] for s in sellers]
        seller_cash[1::2], seller_cash[2::2] = inflow, outflow
        sales = np.vstack([[net.get((s, kind), 0.0) for s in sellers], inflow])
        costs_out = np.vstack([[net.get((s, cost_kind), 0.0) for s in sellers], outflow])
        seller_cash = np.add.accumulate(seller_cash, axis=0)[-1]
        sales = np.add.accumulate(sales, axis=0)[-1]
        costs_out = np.add.accumulate(costs_out, axis=0)[-1]
        for j in np.flatnonzero(by_seller):
            balance[sellers[j]] = seller_cash[j]
            net[(sellers[j], kind)] = sales[j]
            net[(sellers[j], cost_kind)] = costs_out[j]
        if self.record:
            for i, j in zip(*np.nonzero(cells), strict=True):
                self.rows.append((self.tick, buyers[i], sellers[j], amounts[i, j], kind))
                self.rows.append((self.tick, sellers[j], cost_to, costs[i, j], cost_kind))
        return True

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
