"""The one double-entry ledger through which every money transfer in a run passes.

Accounts hold USD bn. Firms have a cash account named after the firm; the world outside the
modelled firms is a set of explicit sectors (end users, outside investors, suppliers and energy,
government). Compute and chip *credits* are earmarked money: the account ``credit:HOLDER@ISSUER``
can only be spent on the issuer's product. Every transfer moves an amount from one account to
another, so the sum over all accounts never changes.

**Money with an origin.** A firm account's balance is split into *tagged* buckets keyed
``(origin, origin kind, deal)`` plus the holder's *own* money (the rest of the balance):

- an investment-type transfer (``ORIGIN_KINDS``: equity, credits, group funding, outside equity,
  community funding, sponsorship; a chipmaker's equity is ``vendor_financing``) tags the whole
  amount in the target with the payer as origin (the payer's money is its own, whatever its
  history);
- any other transfer is a payment: tagged money reaching its origin's group *comes home*
  (circular) and becomes the receiver's own money, like the payer's own money and any other
  earned revenue; vendor financing (``PASS_THROUGH``) paid to a firm outside its origin's group
  keeps its tag, so a chipmaker's investment spent by a lab at a cloud and returning as chip
  sales is traced over the second hand (other tagged money can come home only in one hop in
  this model: a lab spending its investor's money at the investor); sectors hold no tags;
- **spending rule (pro rata):** a transfer draws on the source's tagged buckets and its own money
  (if positive) in proportion to their balances; beyond them (an overdraft) it draws on own money.

Each part drawn is one recorded row (the parts of one transfer share its serial number
``transfer``) with its ``origin`` (the firm or sector whose money it is),
``origin_kind`` (``own`` for the payer's own money) and the group labels of source, target and
origin at the time (``group_of``, supplied by the model; identity by default). Revenue whose
origin's group is the receiver's group is *circular*; *captive* if it is circular or paid by a
member of the receiver's group; a payment with financing money coming home is *internal*
(``aimarket.money`` turns these into metrics and group-consistent payoffs).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable

from aimarket.errors import SimulationError

SECTORS = ("end_users", "outside_investors", "suppliers", "government")
_SECTORS = frozenset(SECTORS)

CREDIT_PREFIX = "credit:"

#: Ledger kind of an investment-type transfer -> origin kind of the money it puts in the target.
ORIGIN_KINDS = {
    "equity": "equity",
    "equity_credits": "credits",
    "group_funding": "group_funding",
    "equity_outside": "outside",
    "community_funding": "outside",
    "sponsorship": "sponsorship",
}
VENDOR_FINANCING = "vendor_financing"  # origin kind of a chipmaker's (``vendors``) equity cash
OWN = "own"  # origin kind of a payer's own money (earnings, opening cash)
#: Origin kinds whose tag passes through payments to firms outside the origin's group.
PASS_THROUGH = frozenset({VENDOR_FINANCING})
#: Origin kinds whose outflow is financing: when such money comes home as revenue it is the
#: investor's money returning, not profit (``aimarket.money.payoffs``).
FINANCING_ORIGINS = frozenset({"equity", "credits", "group_funding", VENDOR_FINANCING})

#: Columns of a recorded row (``Ledger.rows``) and of ``ledger.parquet``.
ROW_COLUMNS = (
    "tick",
    "source",
    "target",
    "amount",
    "kind",
    "origin",
    "origin_kind",
    "deal",
    "source_group",
    "target_group",
    "origin_group",
    "transfer",
)

_EPS = 1e-9  # USD bn: a tagged bucket below this (USD 1) becomes own money


def credit_account(holder: str, issuer: str) -> str:
    """Name of the account holding credits of ``holder`` spendable only on ``issuer``."""
    return f"{CREDIT_PREFIX}{holder}@{issuer}"


def _identity(name: str) -> str:
    return name


class Ledger:
    """Balances (USD bn) and, when ``record`` is set, every transfer part as a row
    (``ROW_COLUMNS``)."""

    def __init__(self, record: bool = False) -> None:
        self._balance: dict[str, float] = defaultdict(float)
        self._issuers: dict[str, list[str]] = defaultdict(list)  # credit holder -> issuers
        self._holder: dict[str, str] = {}  # credit account -> its holder (others own themselves)
        #: account -> {(origin, origin kind, deal): USD bn} tagged money (own money: the rest)
        self._tags: dict[str, dict[tuple[str, str, str], float]] = {}
        self.record = record
        self.rows: list[tuple] = []
        self.transfers = 0  # transfers recorded so far (serial number of the next one)
        self.tick = 0
        #: name -> its group label at the time of a transfer (a lab's controller, else itself)
        self.group_of: Callable[[str], str] = _identity
        self.vendors: frozenset[str] = frozenset()  # firms whose equity is vendor financing
        self.flows: dict[str, float] = defaultdict(float)  # this tick, USD bn by kind
        self.totals: dict[str, float] = defaultdict(float)  # whole run, USD bn by kind
        #: whole run, USD bn received minus paid by (owner, kind); cash and credits together
        self.net: dict[tuple[str, str], float] = defaultdict(float)
        #: USD bn received by (receiver, kind): this tick and the whole run
        self.received_flows: dict[tuple[str, str], float] = defaultdict(float)
        self.received: dict[tuple[str, str], float] = defaultdict(float)
        #: USD bn of circular receipts (origin in the receiver's group, payer not the receiver)
        #: by (receiver, kind, origin kind): this tick and the whole run; by deal for the run
        self.circular_flows: dict[tuple[str, str, str], float] = defaultdict(float)
        self.circular: dict[tuple[str, str, str], float] = defaultdict(float)
        self.circular_by_deal: dict[str, float] = defaultdict(float)
        #: USD bn of captive receipts (payer or origin in the receiver's group) by (receiver,
        #: kind): this tick and the whole run
        self.captive_flows: dict[tuple[str, str], float] = defaultdict(float)
        self.captive: dict[tuple[str, str], float] = defaultdict(float)
        #: whole run, USD bn by (firm, kind) received minus paid in *internal* flows: payments
        #: made with financing money (``FINANCING_ORIGINS``) that comes home to its origin's
        #: group, for the receiver, and for the payer too if it is in that group
        self.internal: dict[tuple[str, str], float] = defaultdict(float)

    def open(self, account: str, balance: float = 0.0) -> None:
        """Create ``account`` with an opening balance (USD bn, own money), before the first
        tick."""
        if account in self._balance:
            raise ValueError(f"account {account!r} exists")
        self._balance[account] = float(balance)

    def balance(self, account: str) -> float:
        return self._balance.get(account, 0.0)

    def total(self) -> float:
        """Sum over all accounts, USD bn: constant for the whole run."""
        return sum(self._balance.values())

    def tags(self, account: str) -> dict[tuple[str, str, str], float]:
        """Tagged money in ``account``, USD bn by (origin, origin kind, deal)."""
        return dict(self._tags.get(account, {}))

    def start_tick(self, tick: int) -> None:
        self.tick = tick
        self.flows = defaultdict(float)
        self.received_flows = defaultdict(float)
        self.circular_flows = defaultdict(float)
        self.captive_flows = defaultdict(float)

    def _draw(
        self, source: str, amount: float, payer: str
    ) -> list[tuple[tuple[str, str, str], float]]:
        """Parts of ``amount`` drawn from ``source`` by the pro-rata rule, tags updated."""
        tags = self._tags.get(source)
        if not tags:
            return [((payer, OWN, ""), amount)]
        tagged = sum(tags.values())
        pool = tagged + max(self._balance[source] - tagged, 0.0)
        share = min(1.0, amount / pool) if pool > 0 else 0.0
        parts = []
        drawn = 0.0
        for key, value in list(tags.items()):
            take = value * share
            left = value - take
            if left > _EPS:
                tags[key] = left
            else:  # spent, or dust left: merged into own money
                del tags[key]
            drawn += take
            parts.append((key, take))
        if not tags:
            del self._tags[source]
        if amount - drawn > 1e-12 * amount:
            parts.append(((payer, OWN, ""), amount - drawn))
        return parts

    def transfer(self, source: str, target: str, amount: float, kind: str, deal: str = "") -> None:
        """Move ``amount`` USD bn (>= 0) from ``source`` to ``target``, labelled ``kind``;
        ``deal`` names the deal an investment-type transfer belongs to."""
        if not 0.0 <= amount < math.inf:  # negative, infinite or NaN
            raise SimulationError(
                f"month {self.tick}: mechanism {kind!r} produced the amount {amount} (USD bn,"
                f" must be finite and >= 0) from {source} to {target}; the inputs are outside"
                " the range where the model is defined"
            )
        if amount == 0 or source == target:
            return
        if target not in self._balance and target.startswith(CREDIT_PREFIX):
            holder, issuer = target.removeprefix(CREDIT_PREFIX).split("@")
            self._issuers[holder].append(issuer)
            self._holder[target] = holder
        payer, payee = self.owner(source), self.owner(target)
        parts = self._draw(source, amount, payer)
        if self.record:
            self._rows(source, target, kind, parts)
        self._balance[source] -= amount
        self._balance[target] += amount
        self.flows[kind] += amount
        self.totals[kind] += amount
        if payer == payee:
            return
        self.net[(payer, kind)] -= amount
        self.net[(payee, kind)] += amount
        sector = payee in _SECTORS
        invest = ORIGIN_KINDS.get(kind)
        if not sector:
            self.received_flows[(payee, kind)] += amount
            self.received[(payee, kind)] += amount
        if invest is not None:  # the whole amount becomes the payer's money in the target
            if not sector:
                if invest == "equity" and payer in self.vendors:
                    invest = VENDOR_FINANCING
                self._tag(target, (payer, invest, deal), amount)
            return
        if sector or payer in _SECTORS:  # no tags to pass on, nothing circular or captive
            return
        group_of = self.group_of
        g_payer, g_payee = group_of(payer), group_of(payee)
        intra = g_payer == g_payee
        captive = amount if intra else 0.0
        for key, part in parts:
            origin, okind, tag_deal = key
            g_origin = g_payer if origin == payer else group_of(origin)
            if g_origin == g_payee:  # money of the receiver's group: circular
                self.circular_flows[(payee, kind, okind)] += part
                self.circular[(payee, kind, okind)] += part
                if tag_deal:
                    self.circular_by_deal[tag_deal] += part
                if okind in FINANCING_ORIGINS:  # financing come home: not profit
                    self.internal[(payee, kind)] += part
                    if intra:
                        self.internal[(payer, kind)] -= part
                if not intra:
                    captive += part
            elif okind in PASS_THROUGH:  # vendor financing passes through
                self._tag(target, key, part)
        if captive > 0:
            self.captive_flows[(payee, kind)] += captive
            self.captive[(payee, kind)] += captive

    def _tag(self, account: str, key: tuple[str, str, str], amount: float) -> None:
        tags = self._tags.get(account)
        if tags is None:
            tags = self._tags[account] = {}
        tags[key] = tags.get(key, 0.0) + amount

    def _rows(
        self,
        source: str,
        target: str,
        kind: str,
        parts: list[tuple[tuple[str, str, str], float]],
    ) -> None:
        payer = self.owner(source)
        g_source, g_target = self.group_of(payer), self.group_of(self.owner(target))
        serial = self.transfers
        self.transfers += 1
        for (origin, okind, deal), part in parts:
            g_origin = g_source if origin == payer else self.group_of(origin)
            self.rows.append(
                (
                    self.tick,
                    source,
                    target,
                    part,
                    kind,
                    origin,
                    okind,
                    deal,
                    g_source,
                    g_target,
                    g_origin,
                    serial,
                )
            )

    def pay(
        self, payer: str, payee: str, amount: float, kind: str, *, cash_limit: bool = True
    ) -> float:
        """``payer`` buys ``amount`` USD bn of ``payee``'s product: credits on ``payee`` first.

        The part paid from credits is labelled ``KIND_credit``. With ``cash_limit`` the cash part
        never overdraws the payer's cash. Returns the amount paid.
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

    def credits_of(self, holder: str) -> dict[str, float]:
        """Credit balances of ``holder`` by issuer (USD bn)."""
        balances = {i: self._balance[credit_account(holder, i)] for i in self._issuers[holder]}
        return {issuer: bal for issuer, bal in balances.items() if bal > 1e-12}
