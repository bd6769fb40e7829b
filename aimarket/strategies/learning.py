"""Roth–Erev reinforcement learning over a menu of strategies, for any agent type.

The learner's actions are strategies of its own agent type, each named in ``menu`` as
``"name"`` or ``"name:key=value,key=value"`` (values read as TOML values). Every
``period_months`` it reinforces the arm it played with the payoff it earned over the period and
draws the next arm from its propensities (modified Roth–Erev, Nicolaisen et al. 2001):

    q_j <- (1 - phi) q_j + (1 - eps) x          if j is the arm played
    q_j <- (1 - phi) q_j + eps q_j / (N - 1)    otherwise
    P(j) = q_j / sum_k q_k

The payoff ``x`` is the change in the agent's value over the period (``agent_value``), rescaled
to [0, 1] by the lowest and highest payoffs it has seen. At every draw it announces the arm drawn
(event ``learner_choice``: cause the menu entry, value its probability) and every arm's choice
probability (events ``learner_probability``), so batches show what the learners converge to.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from aimarket.dotted import parse_value
from aimarket.strategies.base import (
    ChipmakerObs,
    HyperscalerObs,
    LabObs,
    OpenSourceObs,
    Param,
    ParamError,
    RegulatorObs,
    Strategy,
)
from aimarket.strategies.registry import AGENT_TYPES, REGISTRY, make, register


def parse_arm(agent_type: str, entry: str) -> Strategy:
    """``"name"`` or ``"name:key=value,..."`` -> a fresh strategy of ``agent_type``."""
    name, _, spec = entry.partition(":")
    params: dict[str, Any] = {}
    for item in filter(None, (s.strip() for s in spec.split(","))):
        key, eq, raw = item.partition("=")
        if not eq:
            raise ValueError(f"menu entry {entry!r}: expected key=value, got {item!r}")
        params[key.strip()] = parse_value(raw.strip())
    if name.strip() == RothErev.name:
        raise ValueError(f"menu entry {entry!r}: a learner cannot learn over learners")
    return make(agent_type, name.strip(), params)


def agent_value(obs: Any) -> float:
    """The stock whose change over a period is the learner's payoff.

    Hyperscaler, chipmaker: cash + stakes in labs at current valuations (USD bn); lab: cash +
    compute credits + its own valuation (USD bn); open-weight project: minus its lag (months).
    Regulators are handled by the learner as a flow (``RothErev.decide``).
    """
    if isinstance(obs, HyperscalerObs | ChipmakerObs):
        return obs.cash_bn + obs.holdings_bn
    if isinstance(obs, LabObs):
        return obs.cash_bn + sum(obs.credits_bn.values()) + obs.valuation_bn
    if isinstance(obs, OpenSourceObs):
        return -obs.lag_months
    raise TypeError(f"no value defined for {type(obs).__name__}")


class RothErev(Strategy):
    """Learns which menu strategy pays by reinforcement of its own payoffs."""

    name = "roth-erev"
    description = "Roth-Erev reinforcement learning over a menu of strategies of its type"
    classifier = {
        "uses": ["own payoff", "menu strategies' inputs"],
        "stochastic": True,
        "adaptive": True,
    }
    params = {
        "menu": Param([], "strategy names", "arms: 'name' or 'name:key=value,...'"),
        "phi": Param(0.1, "1/period", "recency: share of propensity forgotten a period, < 1"),
        "epsilon": Param(0.05, "fraction", "experimentation: reinforcement spilled to other arms"),
        "period_months": Param(6, "months", "months an arm is played before it is reinforced"),
        "initial_propensity": Param(
            1.0, "rescaled payoff (0-1)", "starting propensity of every arm"
        ),
    }

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        p = self.p
        for key, ok, need in (
            ("menu", bool(p["menu"]), "at least one strategy"),
            ("phi", 0 <= p["phi"] < 1, "0 <= phi < 1"),
            ("epsilon", 0 <= p["epsilon"] <= 1, "0 <= epsilon <= 1"),
            ("period_months", p["period_months"] >= 1, "at least 1"),
            ("initial_propensity", p["initial_propensity"] > 0, "above 0"),
        ):
            if not ok:
                raise ParamError(key, f"strategy {self.name!r}: {key} needs {need}")
        try:
            self.arms = [parse_arm(self.agent_type, entry) for entry in p["menu"]]
        except (KeyError, ValueError) as err:
            raise ParamError("menu", f"strategy {self.name!r}: {err.args[0]}") from None
        self.propensity = np.full(len(self.arms), float(p["initial_propensity"]))
        self.arm: int | None = None
        self.months = 0
        self.start_value = 0.0
        self.concentration_loss = 0.0  # regulators: minus the summed mean bloc HHI / 10,000
        self.seen = (np.inf, -np.inf)  # lowest and highest payoff so far
        self.pending: list[tuple[str, str, float]] = []  # announcements not yet collected

    @property
    def probabilities(self) -> np.ndarray:
        return self.propensity / self.propensity.sum()

    def value(self, obs: Any) -> float:
        if isinstance(obs, RegulatorObs):
            hhi = obs.bloc_hhi.values()
            self.concentration_loss -= float(np.mean(list(hhi))) / 10_000 if hhi else 0.0
            return self.concentration_loss
        return agent_value(obs)

    def reinforce(self, payoff: float) -> None:
        """Update propensities after the arm played earned ``payoff`` (its value change)."""
        low, high = min(self.seen[0], payoff), max(self.seen[1], payoff)
        self.seen = (low, high)
        x = (payoff - low) / (high - low) if high > low else 0.0
        phi, eps, n = self.p["phi"], self.p["epsilon"], len(self.arms)
        spill = self.propensity * (eps / (n - 1) if n > 1 else 0.0)
        spill[self.arm] = (1 - eps) * x
        self.propensity = (1 - phi) * self.propensity + spill

    def decide(self, obs: Any, rng: np.random.Generator) -> Any:
        value = self.value(obs)
        if self.arm is None or self.months >= self.p["period_months"]:
            if self.arm is not None:
                self.reinforce(value - self.start_value)
            probabilities = self.probabilities
            self.arm = int(rng.choice(len(self.arms), p=probabilities))
            self.start_value, self.months = value, 0
            menu = self.p["menu"]
            self.pending.append(("learner_choice", menu[self.arm], float(probabilities[self.arm])))
            self.pending += [
                ("learner_probability", m, float(q))
                for m, q in zip(menu, probabilities, strict=True)
            ]
        self.months += 1
        return self.arms[self.arm].decide(obs, rng)

    def announcements(self) -> list[tuple[str, str, float]]:
        done, self.pending = self.pending, []
        return done


def register_learners() -> None:
    """Register ``roth-erev`` for every agent type, its default menu every built-in of the type
    (read from the registry: installed plugins are not loaded yet)."""
    for agent_type in AGENT_TYPES:
        built_in = sorted(name for kind, name in REGISTRY if kind == agent_type)
        cls = type(
            f"RothErev_{agent_type}",
            (RothErev,),
            {
                "agent_type": agent_type,
                "params": {
                    **RothErev.params,
                    "menu": Param(built_in, "strategy names", RothErev.params["menu"].meaning),
                },
                "__module__": __name__,
            },
        )
        globals()[cls.__name__] = register(cls)
