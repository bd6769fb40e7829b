"""Deal clauses: how a deal restricts where its target buys compute, in one place.

A clause is one ``Exclusivity`` member; it knows whether it binds, how strict it is against the
other clauses, which clouds it leaves its target, whether its holder is served first, what it
becomes when loosened and how it is shown. Adding a clause is adding a member here and its row in
each property.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum


class Exclusivity(StrEnum):
    """How a deal restricts where the target buys compute (or chips)."""

    NONE = "none"  # the target buys anywhere
    ROFR = "rofr"  # right of first refusal: the investor's free capacity first, then anywhere
    EXCLUSIVE = "exclusive"  # only from the investor

    @property
    def binds(self) -> bool:
        """True for a clause that restricts its target while in force."""
        return self is not Exclusivity.NONE

    @property
    def strictness(self) -> int:
        """Rank among clauses: the strictest clause in force is the one that binds a lab."""
        return _STRICTNESS[self]

    @property
    def first_refusal(self) -> bool:
        """The holder's capacity is offered to the target first (before other clouds)."""
        return self is Exclusivity.ROFR

    @property
    def label(self) -> str:
        """How the clause is shown in reports and the explorer."""
        return _LABELS[self]

    def looser(self) -> Exclusivity:
        """The clause after one renegotiation step (exclusive -> ROFR -> none)."""
        return Exclusivity.ROFR if self is Exclusivity.EXCLUSIVE else Exclusivity.NONE

    def allowed(self, partner: str, clouds: Sequence[str]) -> list[str]:
        """Clouds a target bound by this clause to ``partner`` may buy compute from."""
        return [partner] if self is Exclusivity.EXCLUSIVE else list(clouds)


_STRICTNESS = {Exclusivity.NONE: 0, Exclusivity.ROFR: 1, Exclusivity.EXCLUSIVE: 2}
_LABELS = {
    Exclusivity.NONE: "no clause",
    Exclusivity.ROFR: "right of first refusal",
    Exclusivity.EXCLUSIVE: "exclusive",
}
