"""Blocs: firms tied by controlling stakes or binding clauses, and concentration by bloc.

A *bloc* is a connected group of firms tied by control or binding clauses; bloc shares are the
sums of their members' shares. Each lab is tied to at most one firm (``ties``): its controller
(largest holder, at least ``market.control_stake``), else the holder of its strictest binding
clause named in ``market.bloc_ties``. So a minority stake in another firm's lab never chains
two investors into one bloc; minority stakes enter concentration as financial interests
(``aimarket.concentration.mhhi``). A supplier agent standing for an atomistic fringe (``firms`` > 1) counts
as that many equal firms while it is in no bloc. Blocs are found by union-find over the ties, in
time linear in the number of ties.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from aimarket.concentration import controller

LAYERS = ("cloud", "models", "chips")
#: Adjacent layer pairs (upstream-downstream) of the vertical monopoly-like test.
PAIRS = ("cloud-models", "chips-cloud")


def vertical_share(a: Mapping[str, float], b: Mapping[str, float]) -> tuple[float, str]:
    """The largest share a bloc holds in *both* of two layers (the smaller of its two shares),
    and that bloc's label ('' if none), from bloc shares ``a`` and ``b`` (fractions)."""
    best = max(((min(s, b.get(k, 0.0)), k) for k, s in a.items()), default=(0.0, ""))
    return (best[0], best[1]) if best[0] > 0 else (0.0, "")


def hhi(shares: Iterable[float]) -> float:
    """Herfindahl–Hirschman index in points (0–10,000) of shares given as fractions."""
    s = np.fromiter(shares, float)
    return float(10_000.0 * np.sum(s * s))


def ties(
    cap_tables: Mapping[str, Mapping[str, float]],
    control_stake: float,
    clause_holder: Mapping[str, str],
    firms: Iterable[str],
) -> list[tuple[str, str]]:
    """Tie edges ``(owner, lab)``: each lab to its controller, else to the firm whose binding
    clause (in ``market.bloc_ties``) holds it (``clause_holder``: lab -> firm, '' if none)."""
    known = set(firms)
    out = []
    for lab, stakes in cap_tables.items():
        owner = controller({o: s for o, s in stakes.items() if o in known}, control_stake)
        owner = owner or clause_holder.get(lab, "")
        if owner:
            out.append((owner, lab))
    return out


def bloc_map(firms: Iterable[str], ties: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Firm -> bloc label (the alphabetically first member) from tie edges."""
    parent = {f: f for f in firms}

    def root(f: str) -> str:
        parent.setdefault(f, f)
        while parent[f] != f:
            parent[f] = parent[parent[f]]
            f = parent[f]
        return f

    for a, b in ties:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)  # the root is always the smallest member
    return {f: root(f) for f in parent}


def join_blocs(bloc_of: Mapping[str, str], a: str, b: str) -> dict[str, str]:
    """``bloc_of`` after a new tie between firms ``a`` and ``b`` (their blocs merge)."""
    la, lb = bloc_of.get(a, a), bloc_of.get(b, b)
    label = min(la, lb)
    merged = {f: (label if lab in (la, lb) else lab) for f, lab in bloc_of.items()}
    return merged | {a: label, b: label}


def bloc_shares(
    shares: Mapping[str, float],
    bloc_of: Mapping[str, str],
    fringe: Mapping[str, int] | None = None,
) -> dict[str, float]:
    """Shares summed over the members of each bloc.

    ``fringe`` maps an agent standing for many small firms to their number: while it is in no
    bloc with others, its share is split equally among them (keys ``NAME/1`` ... ``NAME/n``), so
    concentration and dominance see an atomistic fringe, not one firm.
    """
    out: dict[str, float] = {}
    for firm, share in shares.items():
        label = bloc_of.get(firm, firm)
        out[label] = out.get(label, 0.0) + share
    if fringe:
        sizes = Counter(bloc_of.values())
        for name, n in fringe.items():
            if n > 1 and name in out and sizes.get(name, 1) == 1:
                part = out.pop(name) / n
                out.update({f"{name}/{i}": part for i in range(1, n + 1)})
    return out


class Blocs:
    """The bloc structure of the month and each layer's shares it is measured on.

    ``layer_shares`` (fractions by firm, per layer) are last month's market results;
    ``review_shares`` the same under the regulators' market definition (the cloud layer without
    captive revenue: revenue from the cloud's own group or paid with its group's money, see
    ``aimarket.money``; the other layers as ``layer_shares``). ``bloc_of``, ``bloc_hhi`` and
    ``review_bloc_hhi`` are fixed between updates (start of the month and its end). Each layer's
    shares by firm and by bloc are computed once per change of any of them (all are replaced,
    the shares by ``measure``, never changed in place) and shared read-only.
    """

    def __init__(self, firms: Iterable[str], fringe: Mapping[str, int]) -> None:
        self.firms = tuple(firms)
        self.fringe = dict(fringe)
        self._cache: dict[tuple[str, bool, bool], Any] = {}
        self.version = 0  # counts ``measure`` calls (changes of the shares)
        self.layer_shares: dict[str, dict[str, float]] = {layer: {} for layer in LAYERS}
        self.review_shares: dict[str, dict[str, float]] = {layer: {} for layer in LAYERS}
        self.bloc_of: dict[str, str] = {f: f for f in self.firms}
        self.bloc_hhi: dict[str, float] = dict.fromkeys(LAYERS, 0.0)
        self.review_bloc_hhi: dict[str, float] = dict.fromkeys(LAYERS, 0.0)

    def measure(
        self, layer_shares: dict[str, dict[str, float]], review_shares: dict[str, dict[str, float]]
    ) -> None:
        """Replace both tables of shares (the month's market results) and drop what was cached
        on them."""
        self.layer_shares, self.review_shares = layer_shares, review_shares
        self._cache.clear()
        self.version += 1

    @property
    def bloc_of(self) -> dict[str, str]:
        return self._bloc_of

    @bloc_of.setter
    def bloc_of(self, value: dict[str, str]) -> None:
        self._bloc_of = value
        self._cache = {key: v for key, v in self._cache.items() if not key[1]}  # by firm stays

    def update(self, ties: Iterable[tuple[str, str]]) -> None:
        """Blocs from the ties in force, and their HHI per layer (both market definitions)."""
        self.bloc_of = bloc_map(self.firms, ties)
        self.bloc_hhi = self.hhi_by_layer(self.bloc_of)
        self.review_bloc_hhi = self.hhi_by_layer(self.bloc_of, review=True)

    def shares(
        self, layer: str, bloc_of: Mapping[str, str] | None = None, *, review: bool = False
    ) -> Mapping[str, float]:
        """Shares of ``layer`` by bloc (``bloc_of``: this month's blocs; ``{}``: by firm), a
        fringe split into its firms (read-only); ``review``: the regulators' market definition."""
        table = self.review_shares if review else self.layer_shares
        if bloc_of is not None and bloc_of:  # another bloc map: not cached
            return bloc_shares(table[layer], bloc_of, self.fringe)
        key = (layer, bloc_of is None, review)
        out = self._cache.get(key)
        if out is None:
            by = self.bloc_of if bloc_of is None else {}
            out = self._cache[key] = MappingProxyType(bloc_shares(table[layer], by, self.fringe))
        return out

    def vertical(self, pair: str, *, review: bool = False) -> tuple[float, str]:
        """``vertical_share`` of an adjacent pair ``UP-DOWN`` under this month's blocs."""
        key = (pair, True, review)
        out = self._cache.get(key)
        if out is None:
            up, down = pair.split("-")
            out = self._cache[key] = vertical_share(
                self.shares(up, review=review), self.shares(down, review=review)
            )
        return out

    def hhi_by_layer(self, bloc_of: Mapping[str, str], *, review: bool = False) -> dict[str, float]:
        """Bloc HHI (points) of every layer under the bloc map ``bloc_of``."""
        return {layer: hhi(self.shares(layer, bloc_of, review=review).values()) for layer in LAYERS}

    def members(self, label: str) -> set[str]:
        """Firms of the bloc labelled ``label``."""
        return {f for f, b in self.bloc_of.items() if b == label}
