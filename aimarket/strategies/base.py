"""Strategy protocol: an observation goes in, typed decisions come out.

The observation is the boundary of what an agent may know: its own state, public prices and
shares, offers addressed to it and public deal facts. Strategies never see the model or other
agents. Every strategy class declares a ``name``, an ``agent_type``, a one-line ``description``,
a ``classifier`` (what information it uses, whether it is stochastic or adaptive) and its
``params`` (``Param``: default, unit, meaning, type and bounds; values are validated on
construction, so a scenario, ``--set``, a sweep or a learner's menu cannot pass a wrong type or an
out-of-range value).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
from pydantic import ConfigDict, Field, TypeAdapter, ValidationError

from aimarket.clauses import Exclusivity


@dataclass(frozen=True, slots=True)
class Param:
    """A strategy parameter: default, unit, meaning, and its type and bounds.

    The type is the default's (``bool``, ``int``, ``float``, ``str``, ``list`` of strings) unless
    ``kind`` is given (e.g. ``float`` for a continuous quantity with a whole-number default).
    Numbers must be finite and within ``ge``/``gt``/``le``/``lt``; strings one of ``choices``
    when given; lists have at least ``min_items`` entries. Booleans are never numbers.
    """

    default: Any
    unit: str
    meaning: str
    kind: type | None = None
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None
    choices: tuple[str, ...] = ()
    min_items: int = 0

    @property
    def type(self) -> type:
        return self.kind or type(self.default)

    def with_default(self, default: Any) -> Param:
        """The same declaration with another default (for a strategy refining its parent's)."""
        return replace(self, default=default)

    def validate(self, value: Any) -> Any:
        """``value`` checked and converted (an int for a float); ``ValueError`` naming the need."""
        try:
            return _adapter(
                self.type, self.ge, self.gt, self.le, self.lt, self.choices, self.min_items
            ).validate_python(value)
        except ValidationError:
            raise ValueError(f"must be {self.describe()} (got {value!r})") from None

    def describe(self) -> str:
        """The type and bounds in words: ``a number >= 0``, ``a whole number in [1, 12]``."""
        if self.type is bool:
            return "true or false"
        if self.type is str:
            return f"one of {', '.join(self.choices)}" if self.choices else "a string"
        if self.type is list:
            least = f" (at least {self.min_items})" if self.min_items else ""
            return f"a list of strings{least}"
        noun = "a whole number" if self.type is int else "a number"
        bounds = self.bounds()
        return f"{noun} in {bounds}" if bounds[:1] in ("[", "(") else f"{noun} {bounds}".rstrip()

    def bounds(self) -> str:
        """Bounds as written in the docs: ``[0, 1]``, ``(0, 1)``, ``>= 0``, ``> 0``, or ``''``."""
        low = (self.ge, "[", ">=") if self.ge is not None else (self.gt, "(", ">")
        high = (self.le, "]", "<=") if self.le is not None else (self.lt, ")", "<")
        if low[0] is not None and high[0] is not None:
            return f"{low[1]}{_num(low[0])}, {_num(high[0])}{high[1]}"
        if low[0] is not None:
            return f"{low[2]} {_num(low[0])}"
        if high[0] is not None:
            return f"{high[2]} {_num(high[0])}"
        return ""


def _num(x: float) -> str:
    return f"{x:g}"


@functools.cache
def _adapter(
    kind: type,
    ge: float | None,
    gt: float | None,
    le: float | None,
    lt: float | None,
    choices: tuple[str, ...],
    min_items: int,
) -> TypeAdapter:
    """A strict pydantic validator (no bool for numbers, no text for either) for one type."""
    strict = ConfigDict(strict=True, allow_inf_nan=False)
    if kind is bool or kind is str:
        annotation: Any = Literal[choices] if choices else kind
    elif kind is list:
        annotation = Annotated[list[str], Field(min_length=min_items)]
    elif kind in (int, float):
        annotation = Annotated[kind, Field(ge=ge, gt=gt, le=le, lt=lt)]
    else:
        raise TypeError(f"strategy parameters are bool, int, float, str or list, not {kind}")
    return TypeAdapter(annotation, config=strict)


@dataclass(frozen=True, slots=True)
class RaiseInfo:
    """A lab's public fundraising round."""

    lab: str
    ask_bn: float  # USD bn sought
    valuation_bn: float  # USD bn pre-money
    capability: float  # OOM
    restricted_to: str  # cloud holding an exclusive/ROFR clause over the lab, '' if none
    controlled_by: str  # agent holding a controlling stake, '' if none
    compute_gw: float = 0.0  # eff-GW of compute it used last month (serving and training)


@dataclass(frozen=True, slots=True)
class DealView:
    """Public facts of a deal the observer is party to."""

    id: str
    investor: str
    target: str
    exclusivity: Exclusivity
    commit_gw: float  # eff-GW/month
    exit_penalty_bn: float
    months_left: int
    loosen_requested: bool
    loosen_refused: bool


@dataclass(frozen=True, slots=True)
class OfferView:
    """An offer addressed to the observer."""

    id: str
    investor: str
    investor_type: str  # hyperscaler | chipmaker
    amount_bn: float
    credit_share: float
    exclusivity: Exclusivity
    duration_months: int
    exit_penalty_bn: float
    commit_gw: float
    inhouse_chip_share: float
    stake: float  # fraction of the lab acquired at the current valuation
    investor_capacity_eff_gw: float  # the investor's installed compute (0 for chipmakers)
    stake_after: float = 0.0  # the investor's stake in the lab once the deal closes (fraction)
    commit_price: float = 0.0  # USD bn per eff-GW-month of the committed compute


@dataclass(frozen=True, slots=True)
class PublicInfo:
    """What every agent sees at the start of a tick."""

    tick: int
    frontier_capability: float  # OOM
    open_capability: float  # OOM
    compute_prices: Mapping[str, float]  # USD bn per eff-GW-month by cloud
    chip_prices: Mapping[str, float]  # USD bn per GW by chipmaker
    chip_performance: Mapping[str, float]  # eff-GW per GW by chipmaker
    model_shares: Mapping[str, float]  # usage share by lab (open-weight share excluded)
    cloud_shares: Mapping[str, float]  # compute revenue share by cloud
    raising: tuple[RaiseInfo, ...]
    usage_growth_per_month: float  # observed growth factor of model usage
    open_projects: tuple[str, ...] = ()  # open-weight projects (may be sponsored)
    recent_rulings: tuple[RulingView, ...] = ()  # merger-review rulings in the last months

    def blocked(self, investor: str, target: str) -> bool:
        """A deal of ``investor`` for ``target`` was blocked and its cooling period runs."""
        return any(
            r.verdict == Verdict.BLOCK
            and r.investor == investor
            and r.target == target
            and r.until > self.tick
            for r in self.recent_rulings
        )


@dataclass(frozen=True, slots=True)
class HyperscalerObs:
    public: PublicInfo
    name: str
    cash_bn: float
    capacity_eff_gw: float
    capacity_gw: float
    pipeline_gw: float  # shells under construction
    waiting_gw: float  # ready shells waiting for chips
    build_lead_months: int
    keep_per_month: float  # share of installed capacity still in service a month later
    efficiency_new: float  # eff-GW per GW of the best merchant chip now
    demand_history: tuple[float, ...]  # eff-GW requested from it per month, oldest first
    committed_gw: float  # eff-GW/month under contract
    price: float
    opex_per_eff_gw: float  # USD bn per eff-GW-month
    build_cost_per_gw: float  # USD bn per GW (shell + merchant chips)
    inhouse_maturity: float
    inhouse_cost_per_gw: float
    inhouse_capacity_gw: float
    inhouse_commit_share: float  # share of its contracts promised on own chips
    backed_labs: tuple[str, ...]  # labs in which it holds a stake
    deals: tuple[DealView, ...]
    loosen_requests: tuple[DealView, ...]  # requests from labs to loosen a clause
    shortfall_by_lab: dict[str, float]  # eff-GW its partner labs could not get from it
    holdings_bn: float = 0.0  # its stakes in labs at their current valuations, USD bn
    revenue_by_lab: dict[str, float] = field(default_factory=dict)  # USD bn last month, by lab
    capacity_cost_per_eff_gw: float = 0.0  # USD bn per eff-GW-month: long-run cost of new capacity


@dataclass(frozen=True, slots=True)
class LabObs:
    public: PublicInfo
    name: str
    cash_bn: float
    credits_bn: dict[str, float]  # by issuer
    capability: float
    price: float  # USD bn per usage unit
    usage_share: float
    revenue_bn: float  # last month
    spend_bn: float  # USD bn: last month's compute spend
    staff_cost_bn: float
    serving_need_gw: float  # eff-GW needed last month to serve its users
    training_gw: float  # eff-GW it trained with last month
    planned_training_gw: float  # eff-GW its last training budget was meant to buy
    maintenance_gw: float  # eff-GW of training that just offsets obsolescence of its models
    expected_compute_price: float  # USD bn per eff-GW-month where it may buy
    reference_compute_price: float  # market average
    shortfall_history: tuple[float, ...]  # unmet share of desired compute, oldest first
    valuation_bn: float
    controlled_by: str
    deals: tuple[DealView, ...]
    offers: tuple[OfferView, ...]
    serving_cost_per_unit: float = 0.0  # USD bn per usage unit at its expected compute price
    price_unit_bn: float = 1.0  # USD bn per usage unit: the fixed unit of users' price sensitivity


@dataclass(frozen=True, slots=True)
class ChipmakerObs:
    public: PublicInfo
    name: str
    cash_bn: float
    supply_gw: float
    max_supply_growth_per_month: float
    price: float
    unit_cost: float
    demand_history: tuple[float, ...]  # GW ordered per month
    sales_by_cloud: dict[str, float] = field(default_factory=dict)  # GW sold, last 12 months
    backed_labs: tuple[str, ...] = ()  # labs in which it holds a stake
    holdings_bn: float = 0.0  # its stakes in labs at their current valuations, USD bn


@dataclass(frozen=True, slots=True)
class OpenSourceObs:
    public: PublicInfo
    name: str
    cash_bn: float
    lag_months: float
    mean_funding_bn: float = 0.0  # USD bn/month of training bought, mean of the last 12 months
    sponsorship_bn: float = 0.0  # USD bn received from hyperscalers this month
    min_lag_months: float = 1.0  # own lag curve (3.3.7): lag with unlimited funding
    base_lag_months: float = 12.0  # lag with no funding
    funding_scale_bn_per_month: float = 0.5  # funding closing 63 % of the gap


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """What a regulator knows about a notified deal (docs/ODD.md 3.3.14).

    Horizontal: modified HHI (O'Brien–Salop; control and financial interest separated) by layer
    without and with the deal. Serial (2023 Merger Guidelines, Guideline 8): the same with the
    investor's stakes as they were ``serial_window_months`` ago and with all its deals under
    review applied. Vertical (Guideline 5): the related-layer shares, whether the deal gives the
    investor control or a binding clause over the target, and the monthly profit arithmetic of
    foreclosure. ``capped_*``: the same with the stake capped just below control. Shares are the
    regulators' market definition: the cloud layer without captive revenue.
    """

    deal_id: str
    investor: str
    target: str
    amount_bn: float
    stake_after: float
    exclusivity: Exclusivity
    tie_by_control: bool  # the investor controls the target after the deal
    tie_by_clause: bool  # the deal's clause binds the target to the investor
    pre_mhhi: dict[str, float]  # MHHI points by layer without the deal
    post_mhhi: dict[str, float]  # with the deal
    combined_share: dict[str, float]  # parties' combined share by layer (control groups)
    gatekeeper_involved: bool
    stake_before: float = 0.0  # the investor's stake in the target before the deal (fraction)
    control_before: bool = False  # the investor controlled the target before the deal
    capped_post_mhhi: dict[str, float] = field(default_factory=dict)  # stake capped below control
    serial_pre_mhhi: dict[str, float] = field(default_factory=dict)  # window start, by layer
    serial_post_mhhi: dict[str, float] = field(default_factory=dict)  # all its deals applied
    capped_serial_post_mhhi: dict[str, float] = field(default_factory=dict)
    serial_deals: int = 1  # the investor's stake increases in the window plus its pending deals
    upstream_layer: str = ""  # layer the investor sells in that the target buys from ('' none)
    upstream_share: float = 0.0  # investor's share of the upstream layer (fraction)
    downstream_share: float = 0.0  # models share of the target's post-deal control group
    foreclosure_gain_bn: float = 0.0  # USD bn/month the investor gains by foreclosing rivals
    foreclosure_cost_bn: float = 0.0  # USD bn/month of upstream margin it gives up doing so
    prior_blocks: int = 0  # blocks of this investor-target pair in the cooling period, any agency

    @property
    def ability(self) -> bool:
        """The deal gives the investor control or a binding clause, so the ability to foreclose
        (Guideline 5); a follow-on by a firm already in control adds none."""
        new_control = self.tie_by_control and not self.control_before
        return bool(self.upstream_layer) and (new_control or self.exclusivity.binds)

    @property
    def foreclosure_share(self) -> float:
        """Share of the related product the deal could foreclose: the investor's share of the
        upstream layer (input foreclosure) or the target group's share of purchases from it
        (customer foreclosure, taken equal to its models share), whichever is larger."""
        return max(self.upstream_share, self.downstream_share) if self.ability else 0.0

    @property
    def foreclosure_pays(self) -> bool:
        return self.foreclosure_gain_bn > self.foreclosure_cost_bn


@dataclass(frozen=True, slots=True)
class RulingView:
    """A merger-review ruling, public record (``PublicInfo.recent_rulings``)."""

    tick: int
    regulator: str
    deal_id: str
    investor: str
    target: str
    kind: str  # deal kind
    exclusivity: Exclusivity
    verdict: str  # Verdict
    grounds: str  # theories of harm, '+'-joined: horizontal, serial, vertical; '' none
    until: int  # month before which an identical deal is not re-proposed (blocks)


@dataclass(frozen=True, slots=True)
class ClauseInForce:
    """An exclusivity or right-of-first-refusal clause in force: public record."""

    deal_id: str
    investor: str
    target: str
    exclusivity: Exclusivity
    gatekeeper_involved: bool  # a firm the observing regulator designated is a party


@dataclass(frozen=True, slots=True)
class RegulatorObs:
    public: PublicInfo
    name: str
    cases_due: tuple[CaseFacts, ...]
    bloc_hhi: dict[str, float]  # by layer, this month (cloud layer without captive revenue)
    months_concentrated: dict[str, int]  # consecutive months above the investigation HHI
    # (layers) or the investigation vertical share (pairs such as 'cloud-models')
    clauses: tuple[ClauseInForce, ...] = ()
    vertical_share: dict[str, float] = field(default_factory=dict)  # by pair, this month


@dataclass(slots=True)
class OfferTerms:
    """An investment a firm proposes to a lab."""

    target: str
    amount_bn: float
    credit_share: float = 0.0
    exclusivity: Exclusivity = Exclusivity.NONE
    duration_months: int = 48
    exit_penalty_bn: float = 0.0
    commit_gw: float = 0.0
    inhouse_chip_share: float = 0.0
    commit_price: float | None = None  # USD bn per eff-GW-month; set by bargaining when None


@dataclass(slots=True)
class HyperscalerDecision:
    build_gw: float = 0.0  # new shells ordered, GW
    inhouse_share: float = 0.0  # fraction of chip orders made in-house
    rd_bn: float = 0.0  # in-house chip R&D this month, USD bn
    price: float | None = None  # reserve: least it sells spot compute for, USD bn/eff-GW-month
    offers: list[OfferTerms] = field(default_factory=list)
    loosen: dict[str, bool] = field(default_factory=dict)  # deal id -> agree to loosen
    match_bn: dict[str, float] = field(default_factory=dict)  # lab -> USD bn it would pay to
    # match a rival's offer that would end its right of first refusal over the lab
    sponsor_bn: dict[str, float] = field(
        default_factory=dict
    )  # open project -> USD bn (others: ignored)


@dataclass(slots=True)
class LabDecision:
    price: float | None = None  # USD bn per usage unit
    training_budget_bn: float = 0.0  # USD bn to spend on training compute this month
    raise_bn: float = 0.0  # USD bn sought from investors (0 = not raising)
    accept: list[str] = field(default_factory=list)  # offer ids
    surplus_bn: dict[str, float] = field(default_factory=dict)  # accepted offer id -> USD bn it
    # is worth to the lab: what a first-refusal holder must pay to match it
    request_loosen: list[str] = field(default_factory=list)  # deal ids
    break_deals: dict[str, str] = field(default_factory=dict)  # deal id -> cause (pays penalty)


@dataclass(slots=True)
class ChipmakerDecision:
    price: float | None = None  # USD bn per GW
    expand_gw: float = 0.0  # added production capacity, GW/month
    offers: list[OfferTerms] = field(default_factory=list)
    priority: list[str] = field(default_factory=list)  # clouds served first from its supply


@dataclass(slots=True)
class OpenSourceDecision:
    spend_bn: float = 0.0  # USD bn spent on training compute this month


class Verdict:
    CLEAR = "clear"
    REMEDY = "remedy"  # clear without the exclusivity clause
    CAP = "cap_stake"  # clear with the stake capped just below control
    ACCESS = "access"  # clear with an access commitment (no clause; target buys from any cloud)
    BLOCK = "block"
    REMEDIES = (REMEDY, CAP, ACCESS)


@dataclass(slots=True)
class RegulatorDecision:
    verdicts: dict[str, str] = field(default_factory=dict)  # deal id -> Verdict
    investigate: list[str] = field(default_factory=list)  # layers to open an investigation on
    strip: list[str] = field(default_factory=list)  # deal ids whose clause is removed (ex-ante)
    grounds: dict[str, str] = field(default_factory=dict)  # deal id -> theories of harm


def rounds_to_back(
    public: PublicInfo,
    investor: str,
    backed: tuple[str, ...],
    max_labs: int,
    capability_gap: float,
    budget: float,
    amount: Callable[[RaiseInfo], float],
    may_back: Callable[[RaiseInfo], bool],
) -> list[tuple[RaiseInfo, float]]:
    """Raising labs an investor backs and the USD bn it offers each, most capable first.

    A lab qualifies if no other firm controls it, no deal of the investor for it was blocked
    within the cooling period (``PublicInfo.blocked``), ``may_back`` accepts it and it is within
    ``capability_gap`` OOM of the frontier; new labs only while it backs fewer than ``max_labs``
    (follow-ons always); each offer is ``amount(round)`` capped by what is left of ``budget``
    and made only above USD 0.05 bn.
    """
    room = max_labs - len(backed)
    chosen = []
    for r in sorted(public.raising, key=lambda r: -r.capability):
        follow_on = r.lab in backed
        if (not follow_on and room <= 0) or r.controlled_by not in ("", investor):
            continue
        if public.blocked(investor, r.lab):  # cooling period after a block: no re-proposal
            continue
        if not may_back(r) or r.capability < public.frontier_capability - capability_gap:
            continue
        offer = min(amount(r), budget)
        if offer <= 0.05:
            continue
        chosen.append((r, offer))
        budget -= offer
        room -= 0 if follow_on else 1
    return chosen


class ParamError(ValueError):
    """A bad strategy parameter; ``key`` names it (scenario errors point at
    ``strategy_params.<key>``)."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


class Strategy:
    """Base class: subclasses set the class attributes and implement ``decide``."""

    name: ClassVar[str]
    agent_type: ClassVar[str]
    description: ClassVar[str]
    classifier: ClassVar[dict[str, Any]] = {}
    params: ClassVar[dict[str, Param]] = {}

    def __init__(self, **params: Any) -> None:
        unknown = sorted(set(params) - set(self.params))
        if unknown:
            raise ParamError(unknown[0], f"unknown parameter for strategy {self.name!r}")
        checked = {}
        for key, value in params.items():
            try:
                checked[key] = self.params[key].validate(value)
            except ValueError as err:
                raise ParamError(key, str(err)) from None
        self.p = {k: checked.get(k, spec.default) for k, spec in self.params.items()}

    def decide(self, obs: Any, rng: np.random.Generator) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def announcements(self) -> list[tuple[str, str, float]]:
        """Events about its own choices since the last call, as ``(kind, cause, value)``; the
        model adds them to the public event record after each month's decisions. None here."""
        return []
