"""Order statistics for small samples (medians and nearest-rank percentiles, no interpolation)."""

from __future__ import annotations

import math


def percentile(values: list[float], p: float) -> float:
    if not values:
        raise ValueError("no samples")
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: list[float]) -> float:
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no samples")
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def summary(values: list[float]) -> dict:
    return {
        "n": len(values),
        "median": median(values),
        "p99": percentile(values, 99),
        "min": min(values),
        "max": max(values),
    }
