"""Concentration with partial ownership (modified HHI) and the vertical foreclosure arithmetic.

Pure functions; no model state. Sources: O'Brien & Salop (2000), *Antitrust Law Journal* 67
(MHHI); 2023 US Merger Guidelines, Guideline 5 (vertical foreclosure: ability and incentive),
Guideline 8 (series of acquisitions), Guideline 11 (partial ownership).

Ownership of a layer's firm ``j`` is given by a control map ``gamma[j] = {owner: weight}``
(weights sum to 1) and a financial-interest map ``beta[j] = {owner: fraction}``. A firm absent
from the maps controls itself and owns itself in full (``gamma = beta = {j: 1}``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

Ownership = Mapping[str, Mapping[str, float]]


def mhhi(
    shares: Mapping[str, float],
    gamma: Ownership | None = None,
    beta: Ownership | None = None,
) -> float:
    """O'Brien–Salop modified HHI in points (0–10,000) of firm ``shares`` (fractions).

    ``MHHI = HHI + Σ_j Σ_{k≠j} s_j s_k (Σ_i γ_ij β_ik) / (Σ_i γ_ij β_ij)``: the weight firm
    ``j``'s controllers give to firm ``k``'s profit relative to ``j``'s own.
    """
    gamma, beta = gamma or {}, beta or {}
    positive = [f for f, s in shares.items() if s > 0]
    owners_of = {o for maps in (gamma, beta) for j in positive for o in maps.get(j) or ()}
    # a firm that no one else holds and that holds no one only adds its own squared share
    firms = [f for f in positive if f in gamma or f in beta or f in owners_of]
    involved = set(firms)
    alone = sum(shares[f] ** 2 for f in positive if f not in involved)
    if not firms:
        return 10_000.0 * alone
    g = [gamma.get(j) or {j: 1.0} for j in firms]
    b = [beta.get(j) or {j: 1.0} for j in firms]
    s = np.array([shares[f] for f in firms])
    ratio = _single_control_ratio(g, b)
    if ratio is None:
        owners = {o: n for n, o in enumerate({o: None for m in (*g, *b) for o in m})}
        G, B = _matrix(g, owners), _matrix(b, owners)
        cross = np.einsum("ji,ki->jk", G, B)  # [j, k]: weight j's controllers put on k's profit
        own = np.diag(cross).copy()
        np.fill_diagonal(cross, 0.0)
        # controllers with no interest in j: the ratio is undefined; counted as 0
        ratio = np.divide(cross, own[:, None], out=np.zeros_like(cross), where=own[:, None] > 0)
    return float(10_000.0 * (alone + s @ s + s @ ratio @ s))


def _matrix(rows: list[Mapping[str, float]], columns: Mapping[str, int]) -> np.ndarray:
    """Dense firm x owner matrix of the weights in ``rows`` (owner -> column index)."""
    out = np.zeros((len(rows), len(columns)))
    for j, row in enumerate(rows):
        for o, w in row.items():
            out[j, columns[o]] = w
    return out


def _single_control_ratio(
    g: list[Mapping[str, float]], b: list[Mapping[str, float]]
) -> np.ndarray | None:
    """The matrix ``ratio`` of ``mhhi`` when each firm has one controller with all the control
    (``ownership`` gives that) and the interests are finite and non-negative, else None.

    Then ``cross[j, k]`` is firm k's interest held by j's controller (the matrix product
    picks it exactly), so only those entries are computed, with the same divisions."""
    control = []
    for gj in g:
        if len(gj) != 1 or 1.0 not in gj.values():
            return None
        control.append(next(iter(gj)))
    controlled: dict[str, list[int]] = {}
    for j, o in enumerate(control):
        controlled.setdefault(o, []).append(j)
    own = [bj.get(o, 0.0) for bj, o in zip(b, control, strict=True)]
    rows, cols, values = [], [], []
    for k, bk in enumerate(b):
        for o, w in bk.items():
            if not 0 <= w < math.inf:
                return None
            for j in controlled.get(o, ()):
                if j != k and own[j] > 0:
                    rows.append(j)
                    cols.append(k)
                    values.append(w / own[j])
    ratio = np.zeros((len(b), len(b)))
    ratio[rows, cols] = values
    return ratio


def controller(stakes: Mapping[str, float], control_stake: float) -> str:
    """The single controller of a firm: its largest holder if at least ``control_stake``
    (ties broken by name), else '' (the firm controls itself)."""
    stake, owner = max(
        ((s, o) for o, s in stakes.items()), key=lambda x: (x[0], x[1]), default=(0.0, "")
    )
    return owner if stake >= control_stake else ""


def ownership(
    cap_tables: Mapping[str, Mapping[str, float]], control_stake: float
) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """Control and financial-interest maps from labs' cap tables (``lab -> {holder: stake}``).

    A lab's controller (``controller``) has all its control (γ = 1); without one the lab's own
    dispersed holders control it. Financial interest β is each holder's stake; the residual
    (1 − Σ stakes) is held by the lab's own holders (key: the lab), who hold nothing elsewhere.
    """
    gamma: dict[str, dict[str, float]] = {}
    beta: dict[str, dict[str, float]] = {}
    for lab, stakes in cap_tables.items():
        gamma[lab], beta[lab] = owned(lab, stakes, control_stake)
    return gamma, beta


def owned(
    lab: str, stakes: Mapping[str, float], control_stake: float
) -> tuple[dict[str, float], dict[str, float]]:
    """One lab's control and financial-interest maps (``ownership``) from its cap table."""
    held = {o: s for o, s in stakes.items() if s > 0}
    residual = max(1.0 - sum(held.values()), 0.0)
    boss = controller(held, control_stake)
    return {boss or lab: 1.0}, held | ({lab: residual} if residual > 0 else {})


def with_stake(
    cap_tables: Mapping[str, Mapping[str, float]], investor: str, target: str, new: float
) -> dict[str, dict[str, float]]:
    """Cap tables after ``investor`` buys a new stake ``new`` (fraction of the post-money) in
    ``target``: every holding is diluted by ``1 − new``, the investor's grows by ``new``."""
    out = {lab: dict(t) for lab, t in cap_tables.items()}
    table = {o: s * (1 - new) for o, s in out.get(target, {}).items()}
    table[investor] = table.get(investor, 0.0) + new
    out[target] = table
    return out


@dataclass(frozen=True, slots=True)
class Foreclosure:
    """Monthly profit arithmetic of input foreclosure by the investor (USD bn per month).

    ``gain``: the investor's share of the target's extra downstream margin, plus the upstream
    margin on the target's extra purchases, when rivals lose the compute (or chips) they bought
    from the investor and cannot replace ``unreplaced`` of it; the target recaptures rivals' lost
    sales in proportion to its share (logit proportional diversion). ``cost``: the upstream
    margin on the sales to rivals the investor gives up.
    """

    gain_bn: float
    cost_bn: float

    @property
    def pays(self) -> bool:
        return self.gain_bn > self.cost_bn


def foreclosure(
    upstream_share: float,
    target_share: float,
    interest: float,
    downstream_revenue_bn: float,
    upstream_revenue_bn: float,
    margin_down: float,
    margin_up: float,
    unreplaced: float,
) -> Foreclosure:
    """Does withholding supply from the target's rivals pay the investor? (USD bn/month)

    ``upstream_share``: investor's share of the upstream layer; ``target_share``: target's share
    downstream (its share of upstream purchases assumed equal); ``interest``: investor's
    financial interest in the target after the deal; revenues: the two layers' monthly totals.
    """
    lost_rival_sales = upstream_share * upstream_revenue_bn * (1 - target_share)
    rival_revenue_lost = upstream_share * unreplaced * downstream_revenue_bn * (1 - target_share)
    recaptured = rival_revenue_lost * target_share
    inputs_per_revenue = upstream_revenue_bn / max(downstream_revenue_bn, 1e-9)
    gain = recaptured * (interest * margin_down + margin_up * inputs_per_revenue)
    return Foreclosure(gain_bn=gain, cost_bn=margin_up * lost_rival_sales)
