"""Shared fixtures: scenario data built from the shipped symmetric scenario."""

from __future__ import annotations

import copy

import pytest

from aimarket.scenario import Scenario, load_scenario


@pytest.fixture(scope="session")
def symmetric() -> Scenario:
    return load_scenario("symmetric")


def variant(base: Scenario, **changes: object) -> Scenario:
    """A copy of ``base`` with top-level tables replaced or extended (plain dict edits)."""
    data = copy.deepcopy(base.data)
    data.update(changes)
    return Scenario.from_data(data, origin="<test>")
