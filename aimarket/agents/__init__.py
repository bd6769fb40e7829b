"""Agent types, declared once: each entry ties a type's scenario spec, agent class, strategy
protocol, the market layer it supplies and the per-agent output columns it fills.

A new agent type is its module here (spec-driven agent class with ``observe``), its strategies
(``aimarket.strategies``: observation, decision and built-ins) and one ``AgentType`` entry; the
model builds, schedules and records it from this table. Entries are in creation order, which
fixes the order agents draw their luck streams from the model's generator.
"""

from __future__ import annotations

from dataclasses import dataclass

from aimarket import scenario
from aimarket.agents.base import Firm
from aimarket.agents.chipmaker import Chipmaker
from aimarket.agents.hyperscaler import Hyperscaler
from aimarket.agents.lab import Lab
from aimarket.agents.open_source import OpenSourceProject
from aimarket.regulation import Regulator
from aimarket.strategies import base as protocol

#: Per-agent output columns (``agents.parquet``), besides ``tick``, ``agent`` and ``type``.
AGENT_COLUMNS = (
    "cash",
    "credits",
    "price",
    "capacity_eff_gw",
    "capability",
    "usage_share",
    "revenue",
    "valuation",
    "providers",
    "largest_holder_stake",
    "status",
)


@dataclass(frozen=True)
class AgentType:
    """One agent type. ``layer``: the concentration layer its firms supply (None: none);
    ``columns``: the ``AGENT_COLUMNS`` it fills (others are NaN); ``columns=()`` and
    ``firm=False`` keep it out of the per-agent table and the ledger (regulators)."""

    spec: type[scenario.Agent]  # its ``agent_type`` names the type, e.g. "lab"
    agent: type
    observation: type
    decision: type
    layer: str | None
    columns: tuple[str, ...]
    firm: bool = True

    @property
    def name(self) -> str:
        """The type's name, e.g. ``lab`` (strategies are registered under it)."""
        return self.spec.agent_type

    @property
    def group(self) -> str:
        """The scenario list holding agents of this type, e.g. ``labs``."""
        return next(g for g, t in scenario.AGENT_GROUPS.items() if t == self.name)


AGENT_TYPES: tuple[AgentType, ...] = (
    AgentType(
        scenario.Hyperscaler,
        Hyperscaler,
        protocol.HyperscalerObs,
        protocol.HyperscalerDecision,
        "cloud",
        ("cash", "credits", "price", "capacity_eff_gw", "revenue"),
    ),
    AgentType(
        scenario.Lab,
        Lab,
        protocol.LabObs,
        protocol.LabDecision,
        "models",
        (
            "cash",
            "credits",
            "price",
            "capability",
            "usage_share",
            "revenue",
            "valuation",
            "providers",
            "largest_holder_stake",
            "status",
        ),
    ),
    AgentType(
        scenario.Chipmaker,
        Chipmaker,
        protocol.ChipmakerObs,
        protocol.ChipmakerDecision,
        "chips",
        ("cash", "credits", "price"),
    ),
    AgentType(
        scenario.OpenSource,
        OpenSourceProject,
        protocol.OpenSourceObs,
        protocol.OpenSourceDecision,
        None,
        ("cash", "credits"),
    ),
    AgentType(
        scenario.Regulator,
        Regulator,
        protocol.RegulatorObs,
        protocol.RegulatorDecision,
        None,
        (),
        firm=False,
    ),
)
BY_NAME = {t.name: t for t in AGENT_TYPES}

__all__ = [
    "AGENT_COLUMNS",
    "AGENT_TYPES",
    "BY_NAME",
    "AgentType",
    "Chipmaker",
    "Firm",
    "Hyperscaler",
    "Lab",
    "OpenSourceProject",
    "Regulator",
]
