"""Opening hours of reception points, and coverage at a given moment of the week.

A site list carries its hours as the source gave them (``sites.hours``) with their format
(``sites.hours_format``):

* ``"france_services"``: JSON of per-day text from the ANCT list,
  ``{"lundi": "08:00 - 12:00 / 13:30 - 17:00", …, "samedi": ""}``. A day left empty is closed
  (the list has no Sunday column: Sunday is closed); a site with every day empty has unknown hours.
  Zero-length ``00:00 - 00:00`` slots (a form default in the source) are dropped, and overlapping
  slots (one per counter) are merged; both are reported.
* ``"mairie_json"``: the DILA directory's day ranges, ``[["lundi", "jeudi", [["08:00:00",
  "12:00:00"]]], …]``. Days not listed are closed; an empty list means unknown hours.
* ``"fr_text"``: plain French text as written in directories and departmental websites,
  ``"lundi-vendredi 9h-12h,13h30-17h; samedi 9h-12h"``: rules separated by ``;``, each a list of
  days or day ranges followed by slots. Days not named are closed; a day named in two rules gets
  both sets of slots (merged, and reported when they overlap). Weeks of the month and week parity
  (« 1er et 3e mardi 9h-12h », « mardi matin, semaines paires », « un jeudi sur deux ») are read
  by :mod:`access30.inputs.hours_fr`.
* ``"osm"``: the OpenStreetMap ``opening_hours`` syntax, evaluated with the maintained
  ``opening-hours-py`` parser, which evaluates nth weekdays (``Tu[1,3]``, ``Tu[-1]``) and week
  ranges with a step (``week 1-53/2``) on real dates: over the reference cycle when the weeks
  differ, else over a reference week without public holidays (:data:`REFERENCE_WEEK`). Rules that
  depend on the season are read for that week and reported. Periods the expression marks
  ``unknown`` stay unknown.
* ``"sur_rdv"``: a walk-in cell saying « sur rendez-vous uniquement » (never open without appointment).

All become one representation, :class:`~access30.inputs.schedule.WeeklyHours`: intervals ``(day,
open_minute, close_minute)`` with day 0 = Monday … 6 = Sunday and minutes since midnight, the
closing minute excluded (a site closing at 12:00 is closed at 12:00), and, for a schedule that is
not weekly, the intervals of each week of the four-week cycle (:mod:`access30.base.moments`). A site
whose hours are missing or cannot be read has *unknown* hours: :func:`open_at` answers ``None`` for
it, never open nor closed, and :func:`coverage_at` reports it apart; one open at that moment in some
weeks of the cycle only gets :data:`~access30.inputs.schedule.SOME_WEEKS`, reported apart too. A
schedule with no opening in the cycle is *unknown* when it opens at other dates (a 5th weekday of
the month: :data:`STATUS_OUTSIDE_CYCLE`), and *never open* when it opens at no date (``off``).
The optional walk-in hours (« sans rendez-vous ») of a user's list are read by :func:`walk_in_hours`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

import numpy as np
import pandas as pd
from opening_hours import OpeningHours, ParserError, State

from access30.base.errors import InputError
from access30.base.fmt import plural
from access30.base.moments import (
    CYCLE_WEEKS,
    REFERENCE_CYCLE,
    HoursError,
    clock_minute,
    day_index,
    format_weeks,
    normalise_day_text,
)
from access30.inputs.hours_fr import OutsideCycle, looks_not_weekly, parse_fr_text
from access30.inputs.schedule import SOME_WEEKS, WeeklyHours, hours_from_weeks, merge_intervals

#: Monday of the week over which OpenStreetMap expressions are evaluated: 6–12 October 2025 holds
#: no French public holiday and no school holiday.
REFERENCE_WEEK = date(2025, 10, 6)


#: Other weeks checked to tell whether an OSM expression changes with the season.
_SEASON_WEEKS = (date(2026, 1, 12), date(2026, 4, 27), date(2025, 7, 21))
#: A site is open to people at work when it is open after this minute on a weekday (17:30)…
WORKERS_EVENING_MINUTE = 17 * 60 + 30
#: …or at any time on these days (Saturday, Sunday).
WORKERS_WEEKEND_DAYS = (5, 6)

HOURS_FORMATS = ("france_services", "mairie_json", "osm", "fr_text", "sur_rdv")
STATUS_KNOWN = "connus"
STATUS_MISSING = "non renseignés"
STATUS_UNPARSED = "illisibles"
#: Hours that open only outside the four-week cycle (a 5th weekday of the month): unknown, never closed.
STATUS_OUTSIDE_CYCLE = "hors du cycle"

_SLOT = re.compile(r"^\s*(\d{1,2})\s*[:hH]\s*(\d{2})?\s*[-–à]\s*(\d{1,2})\s*[:hH]\s*(\d{2})?\s*$")


@dataclass(frozen=True)
class SiteHours:
    """The hours of one site as read: ``status`` is one of :data:`STATUS_KNOWN`,
    :data:`STATUS_MISSING`, :data:`STATUS_UNPARSED`, :data:`STATUS_OUTSIDE_CYCLE`; ``hours`` is None
    unless known."""

    status: str
    hours: WeeklyHours | None = None
    reason: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)


# --------------------------------------------------------------------------------------------
# Parsing


def _day_slots(text: str, day: int) -> tuple[list[tuple[int, int, int]], int]:
    """Intervals of one France Services day (``"08:00 - 12:00 / 13:30 - 17:00"``) and the number
    of zero-length ``00:00 - 00:00`` slots dropped."""
    slots, empty = [], 0
    for part in str(text).split("/"):
        if not part.strip():
            continue
        match = _SLOT.match(part)
        if not match:
            raise HoursError(f"créneau « {part.strip()} » illisible (attendu « 08:00 - 12:00 »)")
        h1, m1, h2, m2 = (int(g or 0) for g in match.groups())
        if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59:
            raise HoursError(f"créneau « {part.strip()} » : heure impossible")
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if start == end == 0:
            empty += 1
            continue
        if end <= start:
            raise HoursError(f"créneau « {part.strip()} » : fermeture avant l'ouverture")
        slots.append((day, start, end))
    return slots, empty


def parse_france_services(text: str) -> WeeklyHours | None:
    """Read France Services per-day hours (JSON object of French day names to slot text).

    Returns
    -------
    WeeklyHours or None
        None when every day is empty (hours not given).

    Raises
    ------
    HoursError
        When the JSON or a slot cannot be read.
    """
    try:
        days = json.loads(text)
    except (TypeError, ValueError):
        raise HoursError("horaires France Services : JSON illisible") from None
    if not isinstance(days, dict):
        raise HoursError("horaires France Services : objet {jour: créneaux} attendu")
    intervals, empty = [], 0
    for name, value in days.items():
        slots, dropped = _day_slots(value or "", day_index(name))
        intervals += slots
        empty += dropped
    if not intervals:
        return None
    merged, overlapped = merge_intervals(intervals)
    notes = []
    if empty:
        notes.append(plural(empty, "créneau vide « 00:00 - 00:00 » ignoré", "créneaux vides « 00:00 - 00:00 » ignorés"))
    if overlapped:
        notes.append("créneaux qui se chevauchent fusionnés")
    return WeeklyHours(merged, notes=tuple(notes))


def parse_mairie_json(text: str) -> WeeklyHours | None:
    """Read the DILA directory's hours: ``[[first_day, last_day, [[open, close], …]], …]``.

    A day range may wrap over the weekend (``["samedi", "lundi", …]``). Returns None for an empty
    list (hours not given).

    Raises
    ------
    HoursError
        When the JSON, a day name or a time cannot be read, or a slot closes before it opens.
    """
    try:
        ranges = json.loads(text)
    except (TypeError, ValueError):
        raise HoursError("horaires de mairie : JSON illisible") from None
    if not isinstance(ranges, list):
        raise HoursError("horaires de mairie : liste de plages de jours attendue")
    intervals = []
    for item in ranges:
        if not (isinstance(item, list) and len(item) == 3 and isinstance(item[2], list)):
            raise HoursError(f"plage « {item} » illisible (attendu [jour, jour, [[ouverture, fermeture]]])")
        first, last = day_index(item[0]), day_index(item[1])
        days = [(first + k) % 7 for k in range((last - first) % 7 + 1)]
        for slot in item[2]:
            if not (isinstance(slot, list) and len(slot) == 2):
                raise HoursError(f"créneau « {slot} » illisible")
            start, end = clock_minute(slot[0]), clock_minute(slot[1])
            if end <= start:
                raise HoursError(f"créneau {slot[0]}–{slot[1]} : fermeture avant l'ouverture")
            intervals += [(d, start, end) for d in days]
    if not intervals:
        return None
    merged, overlapped = merge_intervals(intervals)
    return WeeklyHours(merged, notes=("créneaux qui se chevauchent fusionnés",) if overlapped else ())


def _osm_week(expression, monday: date) -> tuple[tuple, tuple]:
    start = datetime.combine(monday, datetime.min.time())
    stop = start + timedelta(days=7)
    found: dict[State, list[tuple[int, int, int]]] = {State.OPEN: [], State.UNKNOWN: []}
    for begin, end, state, _comment in expression.intervals(start, stop):
        if state not in found:
            continue
        begin, end = max(begin, start), min(end, stop)
        # Split at midnights into (day, start, end) pieces.
        while begin < end:
            midnight = datetime.combine(begin.date() + timedelta(days=1), datetime.min.time())
            piece_end = min(end, midnight)
            day = (begin.date() - monday).days
            s = begin.hour * 60 + begin.minute
            e = 1440 if piece_end == midnight else piece_end.hour * 60 + piece_end.minute
            if e > s:
                found[state].append((day, s, e))
            begin = piece_end
    return merge_intervals(found[State.OPEN])[0], merge_intervals(found[State.UNKNOWN])[0]


def _osm_cycle(expression, monday: date) -> tuple[list[tuple], tuple]:
    """Open intervals of each week of a four-week cycle from ``monday``, and the unknown ones (all weeks)."""
    weeks = [_osm_week(expression, monday + timedelta(days=7 * k)) for k in range(CYCLE_WEEKS)]
    return [w[0] for w in weeks], merge_intervals([iv for w in weeks for iv in w[1]])[0]


def _opens_in_year(expression, year: int) -> bool:
    start = datetime(year, 1, 1)
    return any(state == State.OPEN for _, _, state, _ in expression.intervals(start, datetime(year + 1, 1, 1)))


def parse_osm(text: str, reference_week: date = REFERENCE_WEEK) -> WeeklyHours | None:
    """Read an OpenStreetMap ``opening_hours`` expression, weekly or over the four-week cycle.

    The expression is first evaluated over the reference cycle (:data:`~access30.base.moments.REFERENCE_CYCLE`,
    1–28 February 2027): when its four weeks differ (``Tu[1,3]``, ``week 1-53/2``, ``Tu[-1]``), the
    schedule is that cycle; otherwise it is weekly and read over ``reference_week``, as before.

    Parameters
    ----------
    text : str
        E.g. ``"Mo-Fr 08:30-12:00,13:30-17:00; Sa 09:00-12:00; PH off"``, ``"Tu[1,3] 09:00-12:00"``.
    reference_week : date
        Monday of the week evaluated for a weekly schedule (default :data:`REFERENCE_WEEK`, no public holiday).

    Returns
    -------
    WeeklyHours or None
        None for an empty expression. When a weekly expression gives other hours in January, April
        or July than in the reference week, a note says so; a cycle is read for February (its
        seasonal rules, if any, for that month).

    Raises
    ------
    HoursError
        When ``opening-hours-py`` cannot parse the expression.
    OutsideCycle
        When the expression opens in the year but never in the reference cycle nor the reference
        week (a 5th weekday of the month, another season): unknown, never read as closed.

    Examples
    --------
    >>> parse_osm("Tu[1,3] 09:00-12:00").weeks_open()
    (True, False, True, False)
    >>> parse_osm("week 1-53/2 Tu 09:00-12:00").minutes_per_week()
    90.0
    """
    if not str(text).strip():
        return None
    try:
        expression = OpeningHours(str(text))
    except (ParserError, SyntaxError, ValueError, RuntimeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise HoursError(f"syntaxe opening_hours non reconnue ({first})") from None
    weeks, cycle_unknown = _osm_cycle(expression, REFERENCE_CYCLE)
    if any(w != weeks[0] for w in weeks):
        return hours_from_weeks(weeks, cycle_unknown)
    opened, unknown = _osm_week(expression, reference_week)
    if not opened and not weeks[0] and not unknown and _opens_in_year(expression, REFERENCE_CYCLE.year):
        raise OutsideCycle("ouvert seulement hors du cycle de référence de quatre semaines (un 5e jour du mois, "
                           "ou une autre période de l'année)")
    notes = []
    if any(_osm_week(expression, week) != (opened, unknown) for week in _SEASON_WEEKS):
        notes.append(f"horaires variables selon la période : semaine du {reference_week:%d/%m/%Y} retenue")
    return WeeklyHours(opened, unknown, tuple(notes))


def parse_appointment_only(text: str) -> WeeklyHours:
    """A walk-in cell saying « sur rendez-vous uniquement »: known, never open without appointment."""
    return WeeklyHours((), notes=())


_PARSERS = {"france_services": parse_france_services, "mairie_json": parse_mairie_json, "osm": parse_osm,
            "fr_text": parse_fr_text, "sur_rdv": parse_appointment_only}


def guess_hours_format(text: str) -> str:
    """The format of hours a planner typed: ``"osm"`` (``Mo-Fr 09:00-12:00``) when it reads as the
    OpenStreetMap syntax, ``"fr_text"`` (``lundi-vendredi 9h-12h``) when it reads as French text, else
    ``"osm"`` (so that the reason given is the OpenStreetMap parser's); ``""`` for no hours."""
    if not str(text).strip():
        return ""
    if read_hours(text, "osm").status != STATUS_UNPARSED:
        return "osm"
    return "fr_text" if read_hours(text, "fr_text").status in (STATUS_KNOWN, STATUS_OUTSIDE_CYCLE) else "osm"


@lru_cache(maxsize=65_536)
def read_hours(text: str, hours_format: str) -> SiteHours:
    """Read one site's hours in any supported format, never raising.

    Parameters
    ----------
    text : str
        The ``hours`` value.
    hours_format : str
        One of :data:`HOURS_FORMATS`, or "" when the source gives no hours.

    Returns
    -------
    SiteHours
        ``STATUS_MISSING`` when there are no hours, ``STATUS_UNPARSED`` (with the reason) when they
        cannot be read, else ``STATUS_KNOWN`` with the :class:`WeeklyHours`.
    """
    text = "" if text is None or (isinstance(text, float) and np.isnan(text)) else str(text)
    if not text.strip() or text.strip().lower() in ("nan", "none", "null", "[]", "{}"):
        return SiteHours(STATUS_MISSING, reason="horaires non renseignés")
    if hours_format not in _PARSERS:
        return SiteHours(STATUS_UNPARSED, reason=f"format d'horaires « {hours_format} » inconnu "
                                                 f"(formats lus : {', '.join(HOURS_FORMATS)})")
    try:
        hours = _PARSERS[hours_format](text)
    except OutsideCycle as exc:
        return SiteHours(STATUS_OUTSIDE_CYCLE, reason=str(exc))
    except HoursError as exc:
        return SiteHours(STATUS_UNPARSED, reason=str(exc))
    if hours is None:
        return SiteHours(STATUS_MISSING, reason="horaires non renseignés (aucun jour ouvert indiqué)")
    return SiteHours(STATUS_KNOWN, hours, notes=hours.notes)


def site_hours(sites: pd.DataFrame) -> list[SiteHours]:
    """:func:`read_hours` of every site (``hours``/``hours_format`` columns; missing columns mean
    unknown hours)."""
    return [read_hours(t, f) for t, f in zip(_column(sites, "hours"), _column(sites, "hours_format"))]


def _column(sites: pd.DataFrame, name: str) -> list[str]:
    """A text column of the site table, "" where missing (built-in rows merged with a user's file get NaN)."""
    if name not in sites.columns:
        return [""] * len(sites)
    return ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in sites[name]]


# --------------------------------------------------------------------------------------------
# Walk-in hours (« accueil sans rendez-vous »)

#: Site table columns of the walk-in hours (optional: only a user's file with such a column has them).
WALK_IN_HOURS, WALK_IN_FORMAT = "walk_in_hours", "walk_in_format"
#: A walk-in cell saying there is no walk-in reception (« sur rendez-vous uniquement », « aucun »).
_NO_WALK_IN = re.compile(r"^(?:(?:uniquement|seulement)\s+)?sur\s+(?:rendez\s*-?\s*vous|rdv)(?:\s+(?:uniquement|"
                         r"seulement))?$|^(?:aucun|aucune|non|jamais|neant|off|closed|ferme|pas d accueil sans "
                         r"(?:rendez\s*-?\s*vous|rdv))$")
#: The format of a walk-in cell that says there is none: read as never open.
APPOINTMENT_ONLY = "sur_rdv"


def no_walk_in(text: str) -> bool:
    """True for a walk-in cell that says there is none (« sur rendez-vous uniquement », « aucun », « off »)."""
    plain = " ".join(re.sub(r"[^a-z0-9-]+", " ", normalise_day_text(text)).split())
    return bool(_NO_WALK_IN.match(plain))


def walk_in_format(text: str) -> str:
    """The format of a walk-in cell: :data:`APPOINTMENT_ONLY` when it says there is none, else as
    :func:`guess_hours_format`."""
    if str(text).strip() and no_walk_in(str(text)):
        return APPOINTMENT_ONLY
    return guess_hours_format(text)


def walk_in_hours(sites: pd.DataFrame) -> tuple[list[SiteHours], np.ndarray]:
    """The walk-in hours of every site, and which of them are assumed.

    A site with a walk-in value (:data:`WALK_IN_HOURS`) has those hours (« sur rendez-vous uniquement »:
    never open without appointment; unreadable: unknown). A site without one (no such column, an
    empty cell, a built-in site) is assumed to receive without appointment whenever it is open: its
    opening hours stand for its walk-in hours, and the mask says so (the lens says it in a notice).

    Returns
    -------
    parsed : list of SiteHours
    assumed : ndarray of bool
        True where the opening hours stand for the walk-in hours.
    """
    texts, formats = _column(sites, WALK_IN_HOURS), _column(sites, WALK_IN_FORMAT)
    opening = site_hours(sites)
    assumed = np.array([not t.strip() for t in texts], dtype=bool)
    parsed = [opening[i] if assumed[i] else read_hours(t, f or walk_in_format(t))
              for i, (t, f) in enumerate(zip(texts, formats))]
    return parsed, assumed


def check_schedule(text: str, hours_format: str, path, row: int, column: str, walk_in: bool = False) -> None:
    """Refuse hours a planner typed that cannot be read when they cannot be left unknown quietly.

    Unreadable opening hours are unknown and reported apart, except when they name weeks of the
    month or week parity (« 1er et 3e mardi », « semaines paires », ``Tu[1,3]``): a permanence the
    planner meant, that would otherwise be silently lost. A walk-in cell (``walk_in``) must always
    be readable, or say « sur rendez-vous uniquement ».

    Raises
    ------
    InputError
        Naming the file, the row (1-based, header excluded) and the column, with the reason.
    """
    read = read_hours(text, hours_format)
    if read.status != STATUS_UNPARSED or not (walk_in or looks_not_weekly(text)):
        return
    examples = ("« 1er et 3e mardi 9h-12h », « mardi 9h-12h, semaines paires », « un jeudi sur deux 14h-17h » "
                "ou, en syntaxe OpenStreetMap, « Tu[1,3] 09:00-12:00 », « week 1-53/2 Th 14:00-17:00 »")
    if walk_in:
        examples += " ; « sur rendez-vous uniquement » s'il n'y a pas d'accueil sans rendez-vous"
    raise InputError(f"horaires « {text.strip()} » illisibles ({read.reason})", f"écrivez par ex. {examples}",
                     path=path, row=row, column=column)


def hours_report(sites: pd.DataFrame) -> pd.DataFrame:
    """One row per site: ``site_id``, ``name``, ``hours_format``, ``status``, ``reason``, ``notes``,
    ``open_minutes_per_week`` (NaN unless known; averaged over the cycle), ``weeks`` (the weeks of the
    cycle with an opening, « chaque semaine » or « 1re et 3e semaines du cycle ») — what was read and
    what could not be."""
    parsed = site_hours(sites)
    return pd.DataFrame({
        "site_id": sites["site_id"].astype(str).to_numpy() if "site_id" in sites.columns else np.arange(len(sites)),
        "name": sites["name"].astype(str).to_numpy() if "name" in sites.columns else "",
        "hours_format": sites["hours_format"].astype(str).to_numpy() if "hours_format" in sites.columns else "",
        "status": [p.status for p in parsed],
        "reason": [p.reason for p in parsed],
        "notes": ["; ".join(p.notes) for p in parsed],
        "open_minutes_per_week": [p.hours.minutes_per_week() if p.hours else np.nan for p in parsed],
        "weeks": [format_weeks([k for k, o in enumerate(p.hours.weeks_open()) if o]) if p.hours else ""
                  for p in parsed],
    })


def _interval_arrays(parsed: list[SiteHours], which: str) -> tuple[np.ndarray, ...]:
    rows = [(i, d, s, e) for i, p in enumerate(parsed) if p.hours is not None
            for d, s, e in getattr(p.hours, which)]
    arr = np.asarray(rows, dtype=np.int64).reshape(-1, 4)
    return arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3]


def _tri_state(known: np.ndarray, yes: np.ndarray, maybe: np.ndarray, some: np.ndarray | None = None) -> np.ndarray:
    """Object array: True where ``yes`` (every week), :data:`SOME_WEEKS` where ``some`` (some weeks of
    the cycle only), None where unknown (not known, or only ``maybe``), else False."""
    some = np.zeros(known.size, dtype=bool) if some is None else some
    out = np.full(known.size, None, dtype=object)
    out[known & yes] = True
    out[known & ~yes & some] = SOME_WEEKS
    out[known & ~yes & ~some & ~maybe] = False
    return out


# --------------------------------------------------------------------------------------------
# Queries


def open_at(sites: pd.DataFrame, day: int, minute: int) -> np.ndarray:
    """Which sites are open at a moment of the week.

    Parameters
    ----------
    sites : DataFrame
        Site table with ``hours`` and ``hours_format``.
    day : int
        0 = Monday … 6 = Sunday.
    minute : int
        Minutes since midnight (0–1439).

    Returns
    -------
    ndarray of object
        ``True`` (open, every week of the cycle), :data:`SOME_WEEKS` (open then in some weeks of the
        cycle only: « 1er et 3e mardi », « semaines paires »), ``False`` (closed) or ``None`` (hours
        unknown or unreadable, or marked unknown at that moment): unknown hours are never assumed
        open or closed.
    """
    if not (0 <= int(day) <= 6 and 0 <= int(minute) < 1440):
        raise InputError(f"moment hors semaine (jour {day}, minute {minute})",
                         "jour de 0 (lundi) à 6 (dimanche), minute de 0 à 1439")
    parsed = site_hours(sites)
    n = len(parsed)
    known = np.array([p.status == STATUS_KNOWN for p in parsed], dtype=bool)

    def hit(which: str) -> np.ndarray:
        site, d, s, e = _interval_arrays(parsed, which)
        inside = (d == day) & (s <= minute) & (minute < e)
        return np.bincount(site[inside], minlength=n) > 0

    return _tri_state(known, hit("open"), hit("unknown"), hit("some_weeks"))


def open_for_workers(sites: pd.DataFrame, evening_minute: int = WORKERS_EVENING_MINUTE,
                     weekend_days: tuple[int, ...] = WORKERS_WEEKEND_DAYS) -> np.ndarray:
    """Which sites people in work can visit: open after 17:30 on a weekday, or on the weekend.

    Parameters
    ----------
    sites : DataFrame
        Site table with ``hours`` and ``hours_format``.
    evening_minute : int
        A weekday opening counts when the site is still open after this minute (1050 = 17:30).
    weekend_days : tuple of int
        Days on which any opening counts (Saturday and Sunday).

    Returns
    -------
    ndarray of object
        True (such an opening every week of the cycle), :data:`SOME_WEEKS` (in some weeks only),
        False, or None for unknown hours.
    """
    parsed = site_hours(sites)
    n = len(parsed)
    known = np.array([p.status == STATUS_KNOWN for p in parsed], dtype=bool)

    def hit(which: str) -> np.ndarray:
        site, d, s, e = _interval_arrays(parsed, which)
        fits = ((d < 5) & (e > evening_minute)) | np.isin(d, weekend_days)
        return np.bincount(site[fits], minlength=n) > 0

    return _tri_state(known, hit("open"), hit("unknown"), hit("some_weeks"))


# --------------------------------------------------------------------------------------------
# Coverage restricted to open sites
