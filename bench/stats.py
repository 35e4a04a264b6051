"""Samples and their summaries (median and spread)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass
class Sample:
    """One measurement: a primary value and optional extras (latency percentiles...)."""

    value: float
    extras: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Summary:
    """Median and spread of the samples of one scenario for one contender."""

    median: float
    low: float
    high: float
    q1: float
    q3: float
    count: int
    extras: dict[str, float]

    @classmethod
    def of(cls, samples: Sequence[Sample]) -> Summary:
        """Summarise samples; extras are summarised by their median."""
        values = sorted(sample.value for sample in samples)
        if len(values) >= 2:
            q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
        else:
            q1 = q3 = values[0]
        keys = {key for sample in samples for key in sample.extras}
        extras = {
            key: statistics.median(s.extras[key] for s in samples if key in s.extras)
            for key in sorted(keys)
        }
        return cls(statistics.median(values), values[0], values[-1], q1, q3, len(values), extras)


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of already sorted values (0 < fraction <= 1)."""
    if not sorted_values:
        return float("nan")
    rank = max(0, min(len(sorted_values) - 1, round(fraction * len(sorted_values)) - 1))
    return sorted_values[rank]
