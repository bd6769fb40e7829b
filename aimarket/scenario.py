"""Scenario files: declarative TOML validated against a typed schema.

A scenario names its start month and horizon, the agents of each type with their parameters and
strategies, deals in force at the start, exogenous events and market parameters. Every field's
description gives its unit in brackets. ``extends = "NAME"`` inherits from another scenario;
lists of named tables (agents, deals) merge element by element on ``name``/``id``. Files never
execute code: they are parsed with ``tomllib`` and validated, unknown keys rejected. Reading a
file and its ``extends`` chain (no schema, fast) is ``aimarket.scenario_files``.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from aimarket import strategies
from aimarket.clauses import Exclusivity
from aimarket.dotted import set_key, value_at
from aimarket.errors import ScenarioError
from aimarket.ledger import CREDIT_PREFIX, SECTORS
from aimarket.scenario_files import MAX_DEPTH as MAX_DEPTH  # re-exported: the file limits
from aimarket.scenario_files import MAX_FILE_BYTES as MAX_FILE_BYTES
from aimarket.scenario_files import SCENARIO_DIR as SCENARIO_DIR
from aimarket.scenario_files import _read, _resolve_path
from aimarket.scenario_files import list_scenarios as list_scenarios

Month = Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
NonNeg = Annotated[float, Field(ge=0.0)]
Pos = Annotated[float, Field(gt=0.0)]
Params = dict[str, Any]  # typed and bounded by the strategy's declaration (strategies.base.Param)
MAX_TICKS = 1200  # [months] longest horizon (100 years)
MAX_AGENTS = 2000  # agents of all types in one scenario
MAX_ITEMS = 10_000  # deals, events and shocks together
RESERVED = frozenset(SECTORS)  # ledger sectors; names may also not look like credit accounts


class Spec(BaseModel):
    """Strict: unknown keys refused, numbers finite, no booleans or text for numbers."""

    model_config = ConfigDict(
        extra="forbid", validate_assignment=True, strict=True, allow_inf_nan=False
    )


def _f(default: Any, description: str, **kw: Any) -> Any:
    return Field(default, description=description, **kw)


class Technology(Spec):
    chip_efficiency_growth_per_year: float = _f(
        1.4, "[x/yr] growth of effective compute per GW of new merchant chips", gt=1.0
    )
    algorithmic_halving_months: float = _f(
        8.0, "[months] time for training compute needed for a fixed capability to halve", gt=0
    )
    inference_efficiency_growth_per_year: float = _f(
        3.0, "[x/yr] fall in serving compute needed per usage unit (algorithms, serving)", ge=1.0
    )
    capability_decay_per_month: float = _f(
        0.03, "[1/month] fraction of a lab's capability stock that becomes obsolete", ge=0, lt=1
    )
    research_noise: NonNeg = _f(
        0.3, "[sd of log] month-to-month luck in turning training compute into capability"
    )
    construction_delay_months: NonNeg = _f(
        2.0, "[months] mean extra delay (Poisson) of a data-centre shell beyond its lead time"
    )
    prehistory_frontier_growth_oom_per_month: float = _f(
        0.06, "[OOM/month] frontier capability growth assumed before the start (for open lag)", ge=0
    )


class Market(Spec):
    usage_units: Pos = _f(
        1.0, "[usage units/month] potential model usage at the start; 1 unit needs 1 eff-GW-month"
    )
    demand_growth_per_year: float = _f(
        3.0,
        "[x/yr] initial growth of potential model usage",
        gt=0,
    )
    long_run_demand_growth_per_year: float = _f(
        1.3, "[x/yr] long-run growth of potential model usage", gt=0
    )
    demand_growth_fade_months: Pos = _f(
        60.0, "[months] time constant of the fade from demand_growth_per_year to the long run"
    )
    demand_noise: NonNeg = _f(0.05, "[sd of log] monthly shock to potential model usage growth")
    capability_weight: NonNeg = _f(2.0, "[utility/OOM] users' valuation of capability (logit)")
    price_sensitivity: Pos = _f(
        2.0,
        "[utility per start serving cost] price coefficient of end users; prices are USD bn per"
        " usage unit, measured in the serving cost at the start (a fixed money unit)",
    )
    no_ai_utility: float = _f(-1.0, "[utility] value of using no model (outside good)")
    open_serving_markup: NonNeg = _f(
        0.3, "[fraction] cost of self-hosting an open model over the raw compute cost"
    )
    enterprise_compute_gw: NonNeg = _f(
        2.0, "[eff-GW] non-lab demand for AI cloud compute at the start and at the start price"
    )
    enterprise_growth_per_year: float = _f(1.5, "[x/yr] growth of non-lab compute demand", gt=0)
    enterprise_price_elasticity: NonNeg = _f(
        1.0, "[-] constant price elasticity of non-lab compute demand"
    )
    cloud_price_sensitivity: NonNeg = _f(
        4.0, "[utility per relative price] how strongly buyers split spot demand by cloud price"
    )
    chip_price_sensitivity: NonNeg = _f(
        4.0,
        "[utility per relative price] how strongly clouds split chip orders by price/performance",
    )
    spot_price_adjust: Fraction = _f(
        0.5,
        "[fraction/month] share of the log gap between compute requested and a cloud's capacity"
        " its spot price closes each month (ASSUMPTION: 1 clears budget-limited demand at once)",
    )
    cloud_cost_of_capital_per_year: float = _f(
        1.09,
        "[x/yr] clouds' gross cost of capital, recovering capacity capex (ASSUMPTION: ~9 % WACC)",
        gt=1.0,
    )
    shortfall_value: NonNeg = _f(
        1.0,
        "[USD per USD] loss a lab bears per USD of compute it needs but cannot buy, in contract"
        " bargaining (ASSUMPTION: the compute's price again)",
    )
    cloud_bargaining_weight: Fraction = _f(
        0.5,
        "[fraction] cloud's share of the gain from a compute contract in Nash bargaining"
        " (ASSUMPTION: symmetric)",
    )
    max_providers: int = _f(3, "[count] most clouds a lab buys spot compute from in a month", ge=1)
    outside_capital_bn_per_month: NonNeg = _f(
        3.0,
        "[USD bn/month] capacity of the venture and late-stage market: the most outside investors"
        " put into labs in a month, whatever the returns",
    )
    outside_capital_growth_per_year: float = _f(
        1.0,
        "[x/yr] growth of the monthly outside capital pool (1 = constant; a shock to it restarts it)",
        gt=0,
    )
    required_return_per_year: float = _f(
        1.25, "[x/yr] investors' required gross return on lab equity (discount rate)", gt=1.0
    )
    operating_margin: Fraction = _f(
        0.3, "[fraction] long-run operating cash flow per USD of lab revenue in valuations"
    )
    long_run_growth_per_year: float = _f(
        1.1, "[x/yr] revenue growth a lab's shown growth fades toward in valuations", gt=0
    )
    growth_fade_months: Pos = _f(
        24.0, "[months] time constant of the fade from shown to long-run revenue growth"
    )
    valuation_horizon_months: int = _f(
        120, "[months] explicit forecast horizon of a valuation (Gordon value after it)", ge=1
    )
    growth_shown_months: int = _f(
        12, "[months] window over which a lab's shown revenue growth is measured", ge=1, le=24
    )
    max_growth_shown_per_year: float = _f(
        10.0, "[x/yr] most revenue growth investors extrapolate from a lab's record", gt=1.0
    )

    @model_validator(mode="after")
    def _discount_beats_growth(self) -> Market:
        if self.long_run_growth_per_year >= self.required_return_per_year:
            raise ValueError(
                "long_run_growth_per_year: must be below required_return_per_year"
                " (else a valuation is infinite)"
            )
        return self

    capability_value_bn_per_oom: NonNeg = _f(
        40.0, "[USD bn/OOM] lab valuation per order of magnitude of capability above open models"
    )
    min_valuation_bn: Pos = _f(1.0, "[USD bn] floor of a lab's pre-money valuation")
    group_funding_share: Fraction = _f(
        0.05,
        "[fraction/month] most of its cash a lab's controlling holder puts into the lab in a month"
        " (only when that pays it: docs/ODD.md, capital market)",
    )
    control_stake: Fraction = _f(
        0.25, "[fraction] stake that ties target to investor in a bloc (material influence)"
    )
    bloc_ties: list[Literal["exclusive", "rofr"]] = _f(
        ["exclusive"], "[-] contract clauses that tie a lab to its cloud in a bloc"
    )
    outside_supply_elasticity: NonNeg = _f(
        5.0,
        "[fraction of the ask per excess value per USD] share of a round outside investors fund"
        " for each USD of value above the price a USD invested buys (ASSUMPTION: a round priced"
        " 20 % below its value is fully funded, one at its value gets nothing)",
    )
    funding_horizon_months: int = _f(
        24,
        "[months] horizon over which a controlling holder or a buyer counts its margin on the"
        " compute the lab buys from it (ASSUMPTION: half a typical 48-month compute contract)",
        ge=1,
    )
    entry_cost_bn: NonNeg = _f(
        0.0,
        "[USD bn] what a listed entrant (labs[].enters) pays to enter; from its month it enters"
        " once its expected value as a follower is at least this (ASSUMPTION: 0, entry as listed;"
        " a frontier team and first model cost ~1 bn and more)",
    )
    distress_months: int = _f(
        3,
        "[months] consecutive months a lab may be unable to pay before it is sold or exits"
        " (ASSUMPTION: a quarter, the time a rescue round or a sale process takes)",
        ge=1,
    )


class Monopoly(Spec):
    layers: list[Literal["cloud", "models", "chips"]] = _f(
        ["cloud", "models"], "[-] layers watched by the monopoly-like test"
    )
    share_threshold: Fraction = _f(0.5, "[fraction] top bloc share that counts as dominant")
    hhi_threshold: float = _f(5000.0, "[HHI points] bloc HHI that counts as dominant", ge=0, le=1e4)
    sustain_months: int = _f(
        12, "[months] consecutive months of dominance to be monopoly-like", ge=1
    )
    vertical_pairs: list[Literal["cloud-models", "chips-cloud"]] = _f(
        ["cloud-models", "chips-cloud"],
        "[-] adjacent layer pairs watched by the vertical monopoly-like test",
    )
    vertical_share_threshold: Fraction = _f(
        0.4,
        "[fraction] share a bloc must hold in both layers of a pair to count as vertically"
        " dominant (ASSUMPTION; 2023 US Merger Guidelines, Guideline 5, reads a foreclosure"
        " share above 50 % alone as sufficient, the EU Non-Horizontal Guidelines' safe harbour"
        " is 30 %)",
    )


class Regime(Spec):
    open_dominant_share: Fraction = _f(
        0.5,
        "[fraction] open-weight usage share (of model usage) above which a run is open-dominant",
    )
    exclusive_bloc_share: Fraction = _f(
        0.5, "[fraction] model usage share of labs under exclusive clauses for exclusive-blocs"
    )


class Agent(Spec):
    name: str = Field(description="[-] unique agent name", min_length=1)
    strategy: str = _f("default", "[-] registered strategy name")
    strategy_params: Params = _f({}, "[-] parameters of the strategy (see `aimarket strategies`)")
    cash_bn: NonNeg = _f(10.0, "[USD bn] cash at the start")


class Supplier(Agent):
    firms: int = _f(
        1,
        "[count] independent firms the agent stands for; >1 makes it an atomistic fringe whose share"
        " concentration measures split equally among them while it is in no bloc",
        ge=1,
    )


class Hyperscaler(Supplier):
    agent_type: ClassVar[str] = "hyperscaler"
    capacity_gw: NonNeg = _f(1.0, "[GW] installed AI data-centre capacity with chips")
    capacity_efficiency: Pos = _f(1.0, "[eff-GW/GW] effective compute per GW of the installed base")
    pipeline_gw: NonNeg = _f(0.5, "[GW] shells under construction at the start (spread evenly)")
    build_lead_months: int = _f(
        21, "[months] from ordering a data-centre shell to it being ready", ge=1
    )
    shell_cost_bn_per_gw: NonNeg = _f(
        15.0, "[USD bn/GW] building, power and cooling, paid at order"
    )
    opex_bn_per_gw_month: NonNeg = _f(0.08, "[USD bn/GW-month] energy and operations")
    depreciation_per_year: Fraction = _f(
        0.15, "[1/yr] share of installed capacity retired each year"
    )
    compute_price: Pos = _f(1.2, "[USD bn/eff-GW-month] posted compute price at the start")
    other_income_bn_per_month: NonNeg = _f(
        5.0, "[USD bn/month] operating cash flow of the group's non-AI businesses"
    )
    cloud_affinity: Pos = _f(1.0, "[-] relative brand/installed-base weight with non-lab buyers")
    inhouse_maturity: Fraction = _f(
        0.0, "[0-1] in-house chip programme maturity; own-chip performance relative to merchant"
    )
    inhouse_rd_scale_bn: Pos = _f(
        2.0, "[USD bn/month] R&D spend at which maturity closes 63 % of its gap in a month"
    )
    inhouse_cost_bn_per_gw: NonNeg = _f(18.0, "[USD bn/GW] foundry cost of own chips")
    inhouse_capacity_gw_per_month: NonNeg = _f(0.05, "[GW/month] most own chips made per month")


class Lab(Agent):
    agent_type: ClassVar[str] = "lab"
    capability: float = _f(1.0, "[OOM] log10 of the lab's effective training-compute stock")
    price: Pos = _f(
        2.0, "[start serving cost] opening price per usage unit, in units of the start serving cost"
    )
    staff_cost_bn_per_month: NonNeg = _f(0.1, "[USD bn/month] salaries and other non-compute costs")
    cap_table: dict[str, Fraction] = _f(
        {}, "[fraction] stakes held by agents; the rest is held by founders and outside investors"
    )
    enters: Month | None = _f(
        None,
        "[YYYY-MM] month the lab enters; before it, it neither trains, sells, pays, raises nor"
        " receives offers (none: from the start)",
    )
    revenue_growth_per_year: float | None = _f(
        None,
        "[x/yr] revenue growth it showed in the year before the start, which investors see until"
        " the run has a year of its record (none: the market's long-run growth)",
        gt=0,
    )


class Chipmaker(Supplier):
    agent_type: ClassVar[str] = "chipmaker"
    supply_gw_per_month: NonNeg = _f(0.3, "[GW/month] accelerator production capacity")
    supply_growth_per_year: float = _f(1.5, "[x/yr] most growth of production capacity", ge=1.0)
    price_bn_per_gw: Pos = _f(35.0, "[USD bn/GW] list price of accelerators")
    unit_cost_bn_per_gw: NonNeg = _f(8.0, "[USD bn/GW] production cost paid to foundries")
    performance: Pos = _f(1.0, "[eff-GW/GW] effective compute per GW of its chips at the start")
    lock_in: NonNeg = _f(
        2.0, "[utility per unit share] software-ecosystem pull: switching friction away from it"
    )


class OpenSource(Agent):
    agent_type: ClassVar[str] = "open_source"
    base_lag_months: Pos = _f(12.0, "[months] lag behind the frontier with no funding")
    min_lag_months: NonNeg = _f(1.0, "[months] lag with unlimited funding")
    funding_scale_bn_per_month: Pos = _f(
        0.5, "[USD bn/month] funding that closes 63 % of the gap between base and min lag"
    )
    community_funding_bn_per_month: NonNeg = _f(
        0.2, "[USD bn/month] funding from sponsors outside the model (community, other firms)"
    )


class Regulator(Agent):
    agent_type: ClassVar[str] = "regulator"
    cash_bn: NonNeg = _f(0.0, "[USD bn] regulators hold no money")
    notify_amount_bn: NonNeg = _f(0.5, "[USD bn] deal size above which a deal is notified")
    notify_stake: Fraction = _f(0.1, "[fraction] stake above which a deal is notified")
    review_months: int = _f(2, "[months] length of a review", ge=0)
    caseload: int = _f(4, "[count] reviews handled at once; more wait in a queue", ge=1)
    investigation_hhi: float = _f(
        2500.0, "[HHI points] bloc HHI that triggers a market investigation"
    )
    investigation_months: int = _f(18, "[months] length of a market investigation", ge=1)
    investigation_vertical_share: Fraction = _f(
        0.4,
        "[fraction] share one bloc holds in both layers of an adjacent pair that counts toward a"
        " vertical market investigation (ASSUMPTION; as monopoly.vertical_share_threshold)",
    )
    gatekeepers: list[str] = _f([], "[-] firms designated as gatekeepers (ex-ante rules)")
    serial_window_months: int = _f(
        24,
        "[months] look-back over which one investor's acquisitions are judged together (2023 US"
        " Merger Guidelines, Guideline 8; EU Merger Regulation Art. 5(2): two years)",
        ge=0,
    )
    cooling_months: int = _f(
        24,
        "[months] after a block, an identical deal (investor, target, kind, clause) is not"
        " proposed again (ASSUMPTION)",
        ge=0,
    )
    foreclosure_margin_up: Fraction = _f(
        0.5, "[fraction] upstream (compute, chips) margin in the foreclosure test (ASSUMPTION)"
    )
    foreclosure_margin_down: Fraction = _f(
        0.5, "[fraction] downstream (model) margin in the foreclosure test (ASSUMPTION)"
    )
    foreclosure_unreplaced: Fraction = _f(
        0.5,
        "[fraction] of foreclosed supply rivals cannot replace within a year (ASSUMPTION)",
    )


class DealSpec(Spec):
    id: str = Field(description="[-] unique deal id", min_length=1)
    kind: Literal["investment", "compute", "chip_supply"] = _f("investment", "[-] deal type")
    investor: str = Field(description="[-] investor or seller (agent name)")
    target: str = Field(description="[-] target or buyer (agent name)")
    amount_bn: NonNeg = _f(0.0, "[USD bn] equity investment")
    credit_share: Fraction = _f(0.0, "[fraction] share of the amount paid as credits")
    exclusivity: Exclusivity = _f(
        Exclusivity.NONE, "[-] clause: none, rofr or exclusive", strict=False
    )
    duration_months: int = _f(48, "[months] term", ge=1)
    exit_penalty_bn: NonNeg = _f(0.0, "[USD bn] paid by the target to break early")
    commit_gw: NonNeg = _f(0.0, "[eff-GW/month] take-or-pay compute (chips: GW/month)")
    commit_price: float | None = _f(
        None, "[USD bn/eff-GW-month; chips: USD bn/GW] contract price; none = list price", gt=0
    )
    inhouse_chip_share: Fraction = _f(
        0.0, "[fraction] of committed compute on the investor's chips"
    )
    stake: Fraction | None = _f(None, "[fraction] stake acquired; none = amount/post-money")


class InitialDeal(DealSpec):
    start: Month | None = _f(None, "[YYYY-MM] when the deal began (default: scenario start)")


class Event(DealSpec):
    month: Month = Field(description="[YYYY-MM] when the event happens")
    type: Literal["offer", "deal"] = _f(
        "offer", "[-] offer: the target's strategy decides; deal: signed, goes to review"
    )


class Shock(Spec):
    month: Month = Field(description="[YYYY-MM] when the parameters change")
    set: dict[str, float | int | str | bool] = Field(
        description="[-] dotted keys of technology/market parameters and their new values"
    )


class ScenarioSpec(Spec):
    name: str = Field(description="[-] scenario name", min_length=1)
    description: str = _f("", "[-] one-line description")
    question: str = _f("", "[-] the question the scenario answers")
    extends: str | None = _f(None, "[-] parent scenario (resolved before validation)")
    start: Month = _f("2024-01", "[YYYY-MM] calendar month of tick 0")
    ticks: int = _f(84, "[months] horizon", ge=1, le=MAX_TICKS)
    technology: Technology = _f(Technology(), "technology trends")
    market: Market = _f(Market(), "market parameters")
    monopoly: Monopoly = _f(Monopoly(), "monopoly-like test")
    regime: Regime = _f(Regime(), "regime classification")
    hyperscalers: list[Hyperscaler] = _f([], "cloud providers")
    labs: list[Lab] = _f([], "AI labs")
    chipmakers: list[Chipmaker] = _f([], "merchant chipmakers")
    open_source: list[OpenSource] = _f([], "open-weight model projects")
    regulators: list[Regulator] = _f([], "competition authorities")
    deals: list[InitialDeal] = _f([], "deals in force at the start")
    events: list[Event] = _f([], "offers and deals entering at a date")
    shocks: list[Shock] = _f([], "exogenous parameter changes at a date")
    sweep: dict[str, list[float | int | str | bool]] = _f({}, "[-] default sweep: key -> values")

    @model_validator(mode="after")
    def _names_resolve(self) -> ScenarioSpec:
        firms = [
            a.name for a in (*self.hyperscalers, *self.labs, *self.chipmakers, *self.open_source)
        ]
        names = firms + [r.name for r in self.regulators]
        if len(names) > MAX_AGENTS:
            raise ValueError(f"{len(names)} agents: at most {MAX_AGENTS} are allowed")
        dupes = {n for n, k in Counter(names).items() if k > 1}
        if dupes:
            raise ValueError(f"duplicate agent names: {sorted(dupes)}")
        for name in names:
            if name in RESERVED or name.startswith(CREDIT_PREFIX) or "@" in name:
                raise ValueError(
                    f"agent name {name!r} is reserved (ledger sectors {', '.join(SECTORS)};"
                    f" no {CREDIT_PREFIX!r} prefix or '@')"
                )
        if not self.labs or not self.hyperscalers:
            raise ValueError("a scenario needs at least one lab and one hyperscaler")
        known = set(firms)
        for regulator in self.regulators:
            for firm in regulator.gatekeepers:
                if firm not in known:
                    raise ValueError(
                        f"regulators.{regulator.name}.gatekeepers: unknown firm {firm!r}"
                    )
        for lab in self.labs:
            for owner in lab.cap_table:
                if owner not in known:
                    raise ValueError(f"labs.{lab.name}.cap_table: unknown agent {owner!r}")
            if sum(lab.cap_table.values()) > 1.0 + 1e-9:
                raise ValueError(f"labs.{lab.name}.cap_table: stakes sum above 1")
        names = {
            group: {a.name for a in getattr(self, group)}
            for group in ("hyperscalers", "labs", "chipmakers")
        }
        roles = {  # deal kind -> (investor groups, target groups)
            "investment": (("hyperscalers", "chipmakers"), ("labs",)),
            "compute": (("hyperscalers",), ("labs",)),
            "chip_supply": (("chipmakers",), ("hyperscalers",)),
        }
        enters = {lab.name: lab.enters for lab in self.labs if lab.enters}
        for lab in self.labs:
            if lab.enters is not None and lab.enters < self.start:
                raise ValueError(
                    f"labs.{lab.name}.enters: {lab.enters} is before the start {self.start}"
                    " (leave it out for a lab present from the start)"
                )
        items = len(self.deals) + len(self.events) + len(self.shocks)
        if items > MAX_ITEMS:
            raise ValueError(f"{items} deals, events and shocks: at most {MAX_ITEMS} are allowed")
        ids = Counter(d.id for d in (*self.deals, *self.events))
        dupes = sorted(i for i, k in ids.items() if k > 1)
        if dupes:
            raise ValueError(f"duplicate deal ids (deals and events): {dupes}")
        for d in self.deals:
            if d.start is not None and d.start > self.start:
                raise ValueError(
                    f"deals.{d.id}.start: {d.start} is after the scenario start {self.start}"
                    " (a deal that begins later is an event)"
                )
            if d.start is not None and _months(self.start) - _months(d.start) >= d.duration_months:
                raise ValueError(
                    f"deals.{d.id}.start: a deal of {d.duration_months} months from {d.start}"
                    f" has ended by the start {self.start}"
                )
        for group, dated in (("events", self.events), ("shocks", self.shocks)):
            for i, e in enumerate(dated):
                if e.month < self.start:
                    label = getattr(e, "id", i)
                    raise ValueError(
                        f"{group}.{label}.month: {e.month} is before the start {self.start}"
                    )
        _check_shocks(self)
        for group, items in (("deals", self.deals), ("events", self.events)):
            for d in items:
                month = getattr(d, "month", self.start)
                if d.target in enters and month < enters[d.target]:
                    raise ValueError(
                        f"{group}.{d.id}.target: {d.target!r} enters in {enters[d.target]},"
                        f" after {month}"
                    )
                for role, allowed in zip(("investor", "target"), roles[d.kind], strict=True):
                    name = getattr(d, role)
                    if name not in known:
                        raise ValueError(f"{group}.{d.id}.{role}: unknown agent {name!r}")
                    if not any(name in names[g] for g in allowed):
                        raise ValueError(
                            f"{group}.{d.id}.{role}: {name!r} cannot be the {role} of a deal of "
                            f"kind {d.kind} (must be one of the {' or '.join(allowed)})"
                        )
        return self


def _months(month: str) -> int:
    """``YYYY-MM`` as a month count."""
    year, mon = month.split("-")
    return int(year) * 12 + int(mon) - 1


SHOCKABLE = {"technology": Technology, "market": Market}


def _check_shocks(spec: ScenarioSpec) -> None:
    """Every shock sets existing technology/market parameters to valid values, applied in date
    order on top of the previous ones (as the model applies them)."""
    state = {"technology": spec.technology.model_dump(), "market": spec.market.model_dump()}
    for i, shock in sorted(enumerate(spec.shocks), key=lambda x: x[1].month):
        for key, value in shock.set.items():
            group, _, field = key.partition(".")
            model = SHOCKABLE.get(group)
            if model is None or field not in model.model_fields:
                raise ValueError(
                    f"shocks.{i}.set.{key}: unknown key (technology.NAME or market.NAME)"
                )
            try:
                model.model_validate({**state[group], field: value})
            except ValidationError as err:
                raise ValueError(
                    f"shocks.{i}.set.{key}: {err.errors()[0]['msg']} (got {value!r})"
                ) from None
            state[group][field] = value


def _strategy_at(data: dict, key: str) -> str | None:
    """The strategy (``default`` resolved) named at ``key`` if it is an agent's ``strategy``."""
    group = key.split(".")[0]
    if not key.endswith(".strategy") or group not in AGENT_GROUPS:
        return None
    name = value_at(data, key)
    return strategies.DEFAULTS[AGENT_GROUPS[group]] if name == "default" else name


def _error_key(loc: tuple, data: dict) -> str:
    """Turn a pydantic error location into the dotted key a user writes."""
    out: list[str] = []
    node: Any = data
    for part in loc:
        if isinstance(part, int) and isinstance(node, list) and part < len(node):
            item = node[part]
            label = item.get("name", item.get("id", part)) if isinstance(item, dict) else part
            out.append(str(label))
            node = item
        else:
            out.append(str(part))
            node = node.get(part) if isinstance(node, dict) else None
    return ".".join(out) or "(top level)"


#: Scenario list -> agent type, for every list of agents in the schema (in schema order).
AGENT_GROUPS = {
    name: item.agent_type
    for name, f in ScenarioSpec.model_fields.items()
    if (args := get_args(f.annotation)) and isinstance(args[0], type) and issubclass(args[0], Agent)
    for item in args[:1]
}


def _check_strategies(spec: ScenarioSpec, origin: str) -> None:
    """Every agent names a registered strategy with known parameters."""
    for group, agent_type in AGENT_GROUPS.items():
        for agent in getattr(spec, group):
            try:
                strategies.make(agent_type, agent.strategy, dict(agent.strategy_params))
            except strategies.ParamError as err:
                raise ScenarioError(
                    f"{origin}: {group}.{agent.name}.strategy_params.{err.key}: {err.args[0]}"
                ) from None
            except (KeyError, TypeError, ValueError) as err:
                raise ScenarioError(
                    f"{origin}: {group}.{agent.name}.strategy: {err.args[0]}"
                ) from None


class Scenario:
    """A validated, fully resolved scenario."""

    def __init__(self, spec: ScenarioSpec, origin: str) -> None:
        _check_strategies(spec, origin)
        self.spec = spec
        self.origin = origin
        self.data: dict = spec.model_dump(mode="json", exclude={"extends"})
        canonical = json.dumps(self.data, sort_keys=True, separators=(",", ":"))
        self.content_hash = hashlib.sha256(canonical.encode()).hexdigest()

    @classmethod
    def from_data(cls, data: Mapping, origin: str = "<data>") -> Scenario:
        try:
            return cls(ScenarioSpec.model_validate(dict(data)), origin)
        except ValidationError as err:
            first = err.errors()[0]
            key = _error_key(first["loc"], dict(data))
            msg = first["msg"].removeprefix("Value error, ")
            if first["type"] == "extra_forbidden":
                msg = "unknown key"
            named, sep, reason = msg.partition(": ")
            if not first["loc"] and sep and " " not in named:  # a cross-check naming its key
                key, msg = named, reason
            raise ScenarioError(f"{origin}: {key}: {msg}") from None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def ticks(self) -> int:
        return self.spec.ticks

    @property
    def sweep(self) -> dict[str, list]:
        return dict(self.spec.sweep)

    def with_overrides(self, overrides: Mapping[str, Any]) -> Scenario:
        """A copy with dotted-key overrides applied and validated.

        Overriding an agent's ``strategy`` with another strategy resets its ``strategy_params``
        to the new strategy's defaults; parameters set by the same overrides apply on top (so
        strategies can be swept like any other value).
        """
        data = copy.deepcopy(self.data)
        strategy_first = sorted(overrides.items(), key=lambda kv: not kv[0].endswith(".strategy"))
        for key, value in strategy_first:
            self.check_key(key)
            old = _strategy_at(data, key)
            set_key(data, key, value, self.origin)
            if old is not None and old != _strategy_at(data, key):
                set_key(data, f"{key}_params", {}, self.origin)
        return Scenario.from_data(data, self.origin)

    def check_key(self, key: str) -> None:
        """Raise ``ScenarioError`` unless ``key`` names an existing scalar or list setting."""
        node = value_at(self.data, key)
        parent_is_params = ".strategy_params." in f".{key}"
        if node is None and not parent_is_params:
            raise ScenarioError(f"{self.origin}: {key}: unknown key")
        if isinstance(node, (dict, list)) and node and all(isinstance(x, dict) for x in node):
            raise ScenarioError(f"{self.origin}: {key}: names a table, not a value")


def load_scenario(source: str | Path, overrides: Mapping[str, Any] | None = None) -> Scenario:
    """Load, resolve and validate a scenario file (path or name in ``scenarios/``)."""
    path = _resolve_path(source)
    scenario = Scenario.from_data(_read(path), str(path))
    return scenario.with_overrides(overrides) if overrides else scenario


def slug(name: str) -> str:
    """A scenario name as a safe folder-name label (letters, digits, ``.``, ``_``, ``-``)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip(".-")[:80] or "scenario"
