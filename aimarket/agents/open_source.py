"""Open-weight model projects: trail the frontier by a lag that funding shortens."""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any, ClassVar

import mesa
import numpy as np

from aimarket.agents.base import Firm
from aimarket.context import Context
from aimarket.strategies.base import OpenSourceDecision, OpenSourceObs

if TYPE_CHECKING:
    from aimarket.information import Information


class OpenSourceProject(Firm):
    """An open-weight model project: trails the frontier by a lag that funding shortens."""

    agent_type: ClassVar[str] = "open_source"

    def __init__(self, model: mesa.Model, spec: Any, ctx: Context) -> None:
        super().__init__(model, spec, ctx)
        self.funding: deque[float] = deque([spec.community_funding_bn_per_month] * 12, maxlen=12)
        self.sponsorship = 0.0  # USD bn received from hyperscalers this month
        self.spend_plan = 0.0  # USD bn of training compute it plans to buy this month

    def receive_community_funding(self) -> None:
        """This month's funding from sponsors outside the model."""
        self.ctx.ledger.transfer(
            "outside_investors",
            self.name,
            self.spec.community_funding_bn_per_month,
            "community_funding",
        )

    def apply(self, d: OpenSourceDecision) -> None:
        """Carry out this month's decision: its training spend."""
        self.spend_plan = max(d.spend_bn, 0.0)

    @property
    def lag_months(self) -> float:
        """Lag = min + (base - min) * exp(-mean monthly funding / funding scale)."""
        s = self.spec
        mean = float(np.mean(self.funding))
        return s.min_lag_months + (s.base_lag_months - s.min_lag_months) * np.exp(
            -mean / s.funding_scale_bn_per_month
        )

    def observe(self, info: Information) -> OpenSourceObs:
        s = self.spec
        return OpenSourceObs(
            public=info.public,
            name=self.name,
            cash_bn=self.cash,
            lag_months=self.lag_months,
            mean_funding_bn=float(np.mean(self.funding)),
            sponsorship_bn=self.sponsorship,
            min_lag_months=s.min_lag_months,
            base_lag_months=s.base_lag_months,
            funding_scale_bn_per_month=s.funding_scale_bn_per_month,
        )
