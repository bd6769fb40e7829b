"""Clearing mechanisms shared by the markets, as pure array functions (docs/ODD.md).

- ``allocate``: capacity-constrained allocation of buyers' demand over the sellers each buyer may
  use. Used by the compute spot market (labs and non-lab buyers over clouds) and the chip market
  (clouds over chipmakers). Linear in the number of (buyer, seller) pairs.
- ``softmax``: logit choice probabilities.
"""

from __future__ import annotations

import numpy as np


def softmax(u: np.ndarray) -> np.ndarray:
    """Logit choice probabilities of utilities ``u`` (numerically stable)."""
    e = np.exp(u - u.max())
    return e / e.sum()


def allocate(
    capacity: np.ndarray,
    demand: np.ndarray,
    pair_buyer: np.ndarray,
    pair_seller: np.ndarray,
    pair_weight: np.ndarray,
    pair_first: np.ndarray | None = None,
    rounds: int = 4,
) -> np.ndarray:
    """Allocate ``demand`` (per buyer) over sellers' ``capacity``; returns the amount per pair.

    Each round a buyer spreads its unmet demand over its allowed sellers that still have spare
    capacity, in proportion to ``pair_weight``; an oversubscribed seller serves every request
    pro rata. Pairs flagged ``pair_first`` (a right of first refusal) are served in a round of
    their own before the others. Unmet demand after the last round stays unmet.
    """
    cap = capacity.astype(float).copy()
    left = demand.astype(float).copy()
    alloc = np.zeros(len(pair_buyer))
    n_buyers, n_sellers = len(demand), len(capacity)
    first = np.zeros(len(pair_buyer), bool) if pair_first is None else pair_first
    buyers_with_first = np.bincount(pair_buyer[first], minlength=n_buyers) > 0
    stages = [first | ~buyers_with_first[pair_buyer]] if first.any() else []
    stages += [np.ones(len(pair_buyer), bool)] * rounds
    for usable in stages:
        open_pair = usable & (cap[pair_seller] > 1e-12) & (left[pair_buyer] > 1e-12)
        if not open_pair.any():
            break
        w = np.where(open_pair, pair_weight, 0.0)
        wsum = np.bincount(pair_buyer, w, minlength=n_buyers)
        share = np.divide(w, wsum[pair_buyer], out=np.zeros_like(w), where=wsum[pair_buyer] > 0)
        request = share * left[pair_buyer]
        asked = np.bincount(pair_seller, request, minlength=n_sellers)
        fill = np.divide(cap, asked, out=np.ones_like(cap), where=(asked > cap) & (asked > 0))
        got = request * np.minimum(fill, 1.0)[pair_seller]
        alloc += got
        cap = np.maximum(cap - np.bincount(pair_seller, got, minlength=n_sellers), 0.0)
        left = np.maximum(left - np.bincount(pair_buyer, got, minlength=n_buyers), 0.0)
    return alloc
