"""Test plugin: two hyperscaler strategies identical but for cash burnt on useless R&D.

Both build a fixed amount each month, keep their price and make no chips in-house, so R&D
(which only matures in-house chips) changes nothing but the spender's cash: ``test-wasteful``
earns exactly ``rd_bn`` less per month than ``test-steady``, whatever the seed.
"""

from aimarket.strategies import register
from aimarket.strategies.base import HyperscalerDecision, Param, Strategy


@register
class Steady(Strategy):
    name = "test-steady"
    agent_type = "hyperscaler"
    description = "builds 0.02 GW of shells a month as cash allows, keeps its price"
    classifier = {"uses": ["own price"], "stochastic": False, "adaptive": False}
    params = {"rd_bn": Param(0.0, "USD bn/month", "in-house chip R&D spend", ge=0)}

    def decide(self, obs, rng):
        build_gw = min(0.02, max(obs.cash_bn - self.p["rd_bn"], 0.0) / obs.build_cost_per_gw)
        return HyperscalerDecision(build_gw=build_gw, price=obs.price, rd_bn=self.p["rd_bn"])


@register
class Wasteful(Steady):
    name = "test-wasteful"
    description = "as test-steady, plus 0.5 USD bn a month of useless R&D"
    params = {"rd_bn": Steady.params["rd_bn"].with_default(0.5)}
