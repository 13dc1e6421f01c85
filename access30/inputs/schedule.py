"""Opening hours over a week or over the four-week cycle: :class:`WeeklyHours`.

A weekly schedule is a tuple of intervals ``(day, open_minute, close_minute)`` (day 0 = Monday,
minutes since midnight, the closing minute excluded). A schedule that is not weekly (« 1er et 3e
mardi », « semaines paires », OSM ``Tu[1,3]`` or ``week 1-53/2``) keeps, besides, the intervals of
each week of the cycle (:mod:`access30.base.moments`: four weeks, week ``k`` the ``k+1``-th
occurrence of each weekday in the month, weeks alternating odd and even). Its ``open`` intervals
are then those open *every* week of the cycle, so that every reader of a week (the moment and
workers' lenses, public transport) counts a site open only when it is open whatever the week; the
moments open only some weeks are :attr:`WeeklyHours.some_weeks`, and
:meth:`WeeklyHours.minutes_per_week` averages the cycle (a fortnightly 3 h permanence weighs 1.5 h).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from access30.base.moments import CYCLE_MINUTES, CYCLE_WEEKS, DAY_MINUTES, WEEK_MINUTES

Interval = tuple[int, int, int]

#: What :meth:`WeeklyHours.is_open` (and :func:`access30.inputs.hours.open_at`) answer for a moment
#: open in some weeks of the cycle only (« certaines semaines »).
SOME_WEEKS = "some_weeks"


def merge_intervals(intervals) -> tuple[tuple[Interval, ...], bool]:
    """Sort and merge overlapping or touching intervals of a week; also say whether any overlapped."""
    merged: list[list[int]] = []
    overlapped = False
    for day, start, end in sorted(intervals):
        if merged and merged[-1][0] == day and start <= merged[-1][2]:
            overlapped |= start < merged[-1][2]
            merged[-1][2] = max(merged[-1][2], end)
        else:
            merged.append([day, start, end])
    return tuple(tuple(m) for m in merged), overlapped


def week_mask(intervals) -> np.ndarray:
    """One boolean per minute of the week, true where an interval is open."""
    mask = np.zeros(WEEK_MINUTES, dtype=bool)
    for day, start, end in intervals:
        mask[day * DAY_MINUTES + start:day * DAY_MINUTES + end] = True
    return mask


def mask_intervals(mask: np.ndarray) -> tuple[Interval, ...]:
    """The intervals of a week's minute mask (cut at midnight), sorted."""
    out = []
    for day in range(7):
        row = np.concatenate([[False], mask[day * DAY_MINUTES:(day + 1) * DAY_MINUTES], [False]])
        edges = np.flatnonzero(np.diff(row.astype(np.int8)))
        out += [(day, int(s), int(e)) for s, e in zip(edges[::2], edges[1::2])]
    return tuple(out)


@dataclass(frozen=True)
class WeeklyHours:
    """Opening hours over one week, or over the four-week cycle when the weeks differ.

    Attributes
    ----------
    open : tuple of (day, start, end)
        Intervals open every week (of the cycle), sorted and merged; day 0 is Monday,
        ``start``/``end`` minutes since midnight, ``end`` excluded (at most 1440).
    unknown : tuple of (day, start, end)
        Intervals whose state the source leaves unknown (OSM ``unknown``), in some week.
    notes : tuple of str
        What was corrected or assumed while reading, in French.
    cycle : tuple of tuples of (day, start, end)
        The open intervals of each of the :data:`~access30.base.moments.CYCLE_WEEKS` weeks of the
        cycle when they are not all alike; empty for a weekly schedule.

    Examples
    --------
    >>> hours = hours_from_weeks([[(1, 540, 720)], [], [(1, 540, 720)], []])  # « 1er et 3e mardi 9h-12h »
    >>> hours.weekly, hours.open, hours.minutes_per_week()
    (False, (), 90.0)
    >>> hours.is_open(1, 600)
    'some_weeks'
    """

    open: tuple[Interval, ...]
    unknown: tuple[Interval, ...] = ()
    notes: tuple[str, ...] = ()
    cycle: tuple[tuple[Interval, ...], ...] = ()

    @property
    def weekly(self) -> bool:
        """True when every week of the cycle is the same."""
        return not self.cycle

    def weeks(self) -> tuple[tuple[Interval, ...], ...]:
        """The open intervals of each week of the cycle."""
        return self.cycle if self.cycle else (self.open,) * CYCLE_WEEKS

    @property
    def some_weeks(self) -> tuple[Interval, ...]:
        """Intervals open in some weeks of the cycle but not every week (empty for a weekly schedule)."""
        if not self.cycle:
            return ()
        union = np.logical_or.reduce([week_mask(w) for w in self.cycle])
        return mask_intervals(union & ~week_mask(self.open))

    def is_open(self, day: int, minute: int):
        """True (open every week), :data:`SOME_WEEKS` (open some weeks of the cycle only), None (the
        source says the state is unknown) or False, at a moment of the week."""
        if any(d == day and s <= minute < e for d, s, e in self.open):
            return True
        if any(d == day and s <= minute < e for d, s, e in self.some_weeks):
            return SOME_WEEKS
        if any(d == day and s <= minute < e for d, s, e in self.unknown):
            return None
        return False

    def is_open_in(self, week: int, day: int, minute: int) -> bool:
        """Open at a moment of a given week of the cycle (0 to 3)."""
        return any(d == day and s <= minute < e for d, s, e in self.weeks()[week % CYCLE_WEEKS])

    def minutes_per_week(self) -> float:
        """Open minutes in a week, averaged over the cycle (an int for a weekly schedule)."""
        if not self.cycle:
            return sum(e - s for _, s, e in self.open)
        return sum(e - s for week in self.cycle for _, s, e in week) / CYCLE_WEEKS

    def weeks_open(self) -> tuple[bool, ...]:
        """Whether each week of the cycle has an opening."""
        return tuple(bool(week) for week in self.weeks())

    def cycle_intervals(self) -> np.ndarray:
        """Open intervals over the cycle as ``(start, end)`` minutes from the cycle's first Monday
        00:00, sorted, intervals touching across midnight joined; shape (n, 2), int64."""
        rows = [(w * WEEK_MINUTES + d * DAY_MINUTES + s, w * WEEK_MINUTES + d * DAY_MINUTES + e)
                for w, week in enumerate(self.weeks()) for d, s, e in week]
        return join_intervals(np.asarray(rows, dtype=np.int64).reshape(-1, 2))


def join_intervals(intervals: np.ndarray) -> np.ndarray:
    """Union of ``(start, end)`` intervals: sorted, overlapping or touching ones joined."""
    if intervals.size == 0:
        return intervals.reshape(0, 2)
    intervals = intervals[np.argsort(intervals[:, 0], kind="stable")]
    reach = np.maximum.accumulate(intervals[:, 1])
    new = np.concatenate([[True], intervals[1:, 0] > reach[:-1]])
    starts = intervals[new, 0]
    group = np.cumsum(new) - 1
    ends = np.zeros(starts.size, dtype=intervals.dtype)
    np.maximum.at(ends, group, intervals[:, 1])
    return np.column_stack([starts, ends])


def hours_from_weeks(weeks, unknown=(), notes=()) -> WeeklyHours:
    """The schedule of per-week intervals (one list per week of the cycle): weekly when every week is
    the same, else with its :attr:`~WeeklyHours.cycle` and, as ``open``, what is open every week.

    Parameters
    ----------
    weeks : sequence of :data:`~access30.base.moments.CYCLE_WEEKS` lists of (day, start, end)
    unknown : sequence of (day, start, end)
    notes : sequence of str
    """
    if len(weeks) != CYCLE_WEEKS:
        raise ValueError(f"{CYCLE_WEEKS} weeks expected")
    merged = [merge_intervals(w)[0] for w in weeks]
    unknown = merge_intervals(unknown)[0]
    if all(w == merged[0] for w in merged):
        return WeeklyHours(merged[0], unknown, tuple(notes))
    every = np.logical_and.reduce([week_mask(w) for w in merged])
    return WeeklyHours(mask_intervals(every), unknown, tuple(notes), tuple(merged))


def cycle_share(hours: WeeklyHours) -> float:
    """Share of the cycle's minutes that are open."""
    spans = hours.cycle_intervals()
    return float((spans[:, 1] - spans[:, 0]).sum()) / CYCLE_MINUTES if spans.size else 0.0
