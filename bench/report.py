"""Collected samples, their ratios (trioquart over the others, the baseline over raw), the
stdout table and the JSON file."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench.apps import BASELINE, SUBJECT
from bench.stats import Sample, Summary


@dataclass(frozen=True)
class Target:
    """A goal from the issues: trioquart at least ``min_ratio`` x raw, at most ``max_ratio`` x
    raw, or at most ``max_value``. ``min_ratio_for`` gives other minimum ratios for some
    scenarios (by name)."""

    min_ratio: float | None = None
    max_value: float | None = None
    max_ratio: float | None = None
    min_ratio_for: tuple[tuple[str, float], ...] = ()

    def describe(self, unit: str) -> str:
        """The goal in words."""
        if self.min_ratio is not None:
            others = "".join(f"; {name}: {ratio:g}x" for name, ratio in self.min_ratio_for)
            return f"{SUBJECT} >= {self.min_ratio:g}x raw{others}"
        if self.max_ratio is not None:
            return f"{SUBJECT} <= {self.max_ratio:.3g}x raw"
        return f"{SUBJECT} <= {self.max_value:g} {unit}"

    def met(self, subject: float, raw: float | None, scenario: str = "") -> bool | None:
        """Whether the goal is met in ``scenario`` (None: no raw figure to compare with)."""
        if self.min_ratio is not None:
            minimum = dict(self.min_ratio_for).get(scenario, self.min_ratio)
            return None if not raw else subject / raw >= minimum
        if self.max_ratio is not None:
            return None if not raw else subject / raw <= self.max_ratio
        return self.max_value is None or subject <= self.max_value


@dataclass(frozen=True)
class Group:
    """One table: scenarios measured the same way, in one unit."""

    key: str
    title: str
    unit: str
    higher_is_better: bool = True
    target: Target | None = None
    #: The figures are already ratios to raw's in the same round (raw's are all 1).
    relative: bool = False
    #: Whether a rate is of operations, so that ``+us/op vs raw`` means something.
    per_op: bool = True
    #: The contenders every figure is divided by: a row per contender (the servers stage)
    #: instead of a row per scenario with trioquart's ratios.
    references: tuple[str, ...] = ()
    #: Goals shown beside such rows: (contender, reference, the most its ratio may be).
    ratio_goals: tuple[tuple[str, str, float], ...] = ()


@dataclass
class Results:
    """Samples per group, scenario and contender, in the order they were first added."""

    contenders: list[str]
    groups: list[Group] = field(default_factory=list)
    samples: dict[str, dict[str, dict[str, list[Sample]]]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    def add(self, group: Group, scenario: str, contender: str, sample: Sample) -> None:
        """Record one sample."""
        if group.key not in self.samples:
            self.groups.append(group)
            self.samples[group.key] = {}
        by_contender = self.samples[group.key].setdefault(scenario, {})
        by_contender.setdefault(contender, []).append(sample)

    def summaries(self, group: Group) -> dict[str, dict[str, Summary]]:
        """Scenario -> contender -> summary of its samples."""
        return {
            scenario: {name: Summary.of(samples) for name, samples in by_contender.items()}
            for scenario, by_contender in self.samples[group.key].items()
        }


#: The names of the ratio columns: ``tq/raw``, ``tq/before``, ``before/raw``...
_SHORT = {SUBJECT: "tq", BASELINE: "before"}


def ratio_pairs(contenders: Sequence[str]) -> list[tuple[str, str]]:
    """The ratios to show: trioquart over each other contender, then the baseline over raw."""
    pairs = [(SUBJECT, name) for name in contenders if name != SUBJECT and SUBJECT in contenders]
    if BASELINE in contenders and "raw" in contenders:
        pairs.append((BASELINE, "raw"))
    return pairs


def ratio_label(pair: tuple[str, str]) -> str:
    """A ratio's column header."""
    return "/".join(_SHORT.get(name, name) for name in pair)


def ratios(summaries: dict[str, Summary], pairs: Sequence[tuple[str, str]]) -> dict[str, float]:
    """``a/b`` of the medians for each pair ``(a, b)`` that has both figures."""
    return {
        f"{a}/{b}": summaries[a].median / summaries[b].median
        for a, b in pairs
        if a in summaries and b in summaries and summaries[b].median
    }


def overhead_us(summaries: dict[str, Summary]) -> float | None:
    """Microseconds per operation that trioquart adds to raw ASGI (rates only)."""
    subject, raw = summaries.get(SUBJECT), summaries.get("raw")
    if subject is None or raw is None or not subject.median or not raw.median:
        return None
    return 1e6 / subject.median - 1e6 / raw.median


def _number(value: float) -> str:
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"


def present(results: Results, group: Group) -> list[str]:
    """The contenders with a figure in ``group`` (the raw app has no route table, say)."""
    found = {name for by_contender in results.samples[group.key].values() for name in by_contender}
    return [name for name in results.contenders if name in found]


def _cell(summary: Summary | None) -> str:
    if summary is None:
        return "n/a"
    spread = (summary.high - summary.low) / 2 / summary.median * 100 if summary.median else 0.0
    text = _number(summary.median)
    if summary.count > 1:
        text += f" ±{spread:.0f}%"
    if summary.extras.get("errors"):
        text += " !"
    return text


def table(results: Results, group: Group) -> list[list[str]]:
    """One group as rows of cells, header first: medians (± half the range in %), ratios."""
    if group.references:
        return reference_table(results, group)
    columns = present(results, group)
    pairs = ratio_pairs(columns)
    per_op = group.higher_is_better and group.per_op and "raw" in columns and not group.relative
    header = ["scenario", *columns, *map(ratio_label, pairs)]
    if per_op:
        header.append("+us/op vs raw")
    if group.target is not None:
        header.append(f"target: {group.target.describe(group.unit)}")
    rows = [header]
    for scenario, by_contender in results.summaries(group).items():
        row = [scenario, *(_cell(by_contender.get(name)) for name in columns)]
        found = ratios(by_contender, pairs)
        row += [f"{found[f'{a}/{b}']:.2f}x" if f"{a}/{b}" in found else "n/a" for a, b in pairs]
        if per_op:
            extra = overhead_us(by_contender)
            row.append("n/a" if extra is None else f"{extra:+.1f}")
        if group.target is not None:
            row.append(_verdict(group, scenario, by_contender))
        rows.append(row)
    return rows


def reference_pairs(group: Group, contenders: Sequence[str]) -> list[tuple[str, str]]:
    """Each contender over each of the group's references."""
    return [(name, reference) for reference in group.references for name in contenders]


def reference_table(results: Results, group: Group) -> list[list[str]]:
    """A group with references as rows of cells, header first: a row naming each scenario,
    then one per contender with its median, its ratios to each reference and its goals."""
    names = present(results, group)
    header = ["contender", group.unit, *(f"x {ref}" for ref in group.references)]
    if group.ratio_goals:
        header.append("target")
    rows = [header]
    for scenario, by_contender in results.summaries(group).items():
        rows.append([scenario, *([""] * (len(header) - 1))])
        found = ratios(by_contender, reference_pairs(group, names))
        for name in (name for name in names if name in by_contender):
            row = [name, _cell(by_contender[name])]
            row += [
                f"{found[f'{name}/{ref}']:.2f}x" if f"{name}/{ref}" in found else "n/a"
                for ref in group.references
            ]
            if group.ratio_goals:
                row.append(
                    "; ".join(
                        f"<= {most:.3g}x {ref}: {_goal_verdict(found.get(f'{name}/{ref}'), most)}"
                        for who, ref, most in group.ratio_goals
                        if who == name
                    )
                )
            rows.append(row)
    return rows


def _goal_verdict(ratio: float | None, most: float) -> str:
    if ratio is None:
        return "n/a"
    return "met" if ratio <= most else "NOT met"


def heading(group: Group) -> str:
    """A group's title with its unit."""
    better = "higher" if group.higher_is_better else "lower"
    return f"{group.title}, {group.unit} ({better} is better)"


def render(results: Results) -> str:
    """The human-readable tables, aligned for a terminal."""
    lines: list[str] = []
    for group in results.groups:
        lines += ["", heading(group), *_align(table(results, group))]
    if any(
        summary.extras.get("errors")
        for group in results.groups
        for by_contender in results.summaries(group).values()
        for summary in by_contender.values()
    ):
        lines += ["", "! the load generator saw errors in that run (see the JSON file)"]
    if results.skipped:
        lines.append("")
    lines += [f"{name} skipped: {reason}" for name, reason in results.skipped.items()]
    return "\n".join(lines)


def markdown(results: Results, machine_line: str) -> str:
    """The same tables in Markdown, ready for ``docs/performance.md``, then the machine line."""
    lines: list[str] = []
    for group in results.groups:
        rows = table(results, group)
        lines += ["", f"{_escape(heading(group))}:", ""]
        lines.append("| " + " | ".join(rows[0]) + " |")
        lines.append("|---|" + "---:|" * (len(rows[0]) - 1))
        lines += ["| " + " | ".join(_escape(cell) for cell in row) + " |" for row in rows[1:]]
    lines += ["", machine_line]
    return "\n".join(lines)


def _escape(cell: str) -> str:
    return cell.replace("|", "\\|").replace("<", "\\<")


def _verdict(group: Group, scenario: str, by_contender: dict[str, Summary]) -> str:
    assert group.target is not None
    subject, raw = by_contender.get(SUBJECT), by_contender.get("raw")
    if subject is None:
        return "n/a"
    met = group.target.met(subject.median, raw.median if raw else None, scenario)
    return {True: "met", False: "NOT met", None: "n/a"}[met]


def _align(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]


def to_json(results: Results, meta: dict[str, object]) -> dict[str, object]:
    """Everything measured: every sample, the summaries, the ratios and the targets."""
    pairs = ratio_pairs(results.contenders)
    groups = []
    for group in results.groups:
        scenarios = {}
        for scenario, by_contender in results.summaries(group).items():
            raw_samples = results.samples[group.key][scenario]
            scenarios[scenario] = {
                "contenders": {
                    name: {**asdict(summary), "samples": [s.value for s in raw_samples[name]]}
                    for name, summary in by_contender.items()
                },
                "ratios": ratios(
                    by_contender,
                    reference_pairs(group, list(by_contender)) if group.references else pairs,
                ),
                "overhead_us_vs_raw": (
                    overhead_us(by_contender)
                    if group.higher_is_better and group.per_op and not group.relative
                    else None
                ),
                "target_met": _verdict(group, scenario, by_contender) if group.target else None,
            }
        groups.append({**asdict(group), "scenarios": scenarios})
    return {**meta, "contenders": results.contenders, "skipped": results.skipped, "groups": groups}


def write_json(document: dict[str, object], directory: Path, stamp: str) -> Path:
    """Write ``bench-<stamp>.json`` under ``directory`` (created if needed); return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"bench-{stamp}.json"
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path
