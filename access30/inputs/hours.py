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
  both sets of slots (merged, and reported when they overlap).
* ``"osm"``: the OpenStreetMap ``opening_hours`` syntax, evaluated with the maintained
  ``opening-hours-py`` parser over a reference week without public holidays
  (:data:`REFERENCE_WEEK`). Rules that depend on the season are read for that week and reported.
  Periods the expression marks ``unknown`` stay unknown.

All four become one weekly representation, :class:`WeeklyHours`: intervals ``(day, open_minute,
close_minute)`` with day 0 = Monday … 6 = Sunday and minutes since midnight, the closing minute
excluded (a site closing at 12:00 is closed at 12:00). A site whose hours are missing or cannot be
read has *unknown* hours: :func:`open_at` answers ``None`` for it, never open nor closed, and
:func:`coverage_at` reports it apart.
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
from access30.base.moments import HoursError, clock_minute, day_index, normalise_day_text

#: Monday of the week over which OpenStreetMap expressions are evaluated: 6–12 October 2025 holds
#: no French public holiday and no school holiday.
REFERENCE_WEEK = date(2025, 10, 6)


#: Other weeks checked to tell whether an OSM expression changes with the season.
_SEASON_WEEKS = (date(2026, 1, 12), date(2026, 4, 27), date(2025, 7, 21))
#: A site is open to people at work when it is open after this minute on a weekday (17:30)…
WORKERS_EVENING_MINUTE = 17 * 60 + 30
#: …or at any time on these days (Saturday, Sunday).
WORKERS_WEEKEND_DAYS = (5, 6)

HOURS_FORMATS = ("france_services", "mairie_json", "osm", "fr_text")
STATUS_KNOWN = "connus"
STATUS_MISSING = "non renseignés"
STATUS_UNPARSED = "illisibles"

_SLOT = re.compile(r"^\s*(\d{1,2})\s*[:hH]\s*(\d{2})?\s*[-–à]\s*(\d{1,2})\s*[:hH]\s*(\d{2})?\s*$")


@dataclass(frozen=True)
class WeeklyHours:
    """Opening hours over one week.

    Attributes
    ----------
    open : tuple of (day, start, end)
        Open intervals, sorted and merged; day 0 is Monday, ``start``/``end`` minutes since
        midnight, ``end`` excluded (at most 1440).
    unknown : tuple of (day, start, end)
        Intervals whose state the source leaves unknown (OSM ``unknown``).
    notes : tuple of str
        What was corrected or assumed while reading, in French.
    """

    open: tuple[tuple[int, int, int], ...]
    unknown: tuple[tuple[int, int, int], ...] = ()
    notes: tuple[str, ...] = ()

    def is_open(self, day: int, minute: int) -> bool | None:
        """True/False at a moment of the week, None when the source says the state is unknown."""
        if any(d == day and s <= minute < e for d, s, e in self.open):
            return True
        if any(d == day and s <= minute < e for d, s, e in self.unknown):
            return None
        return False

    def minutes_per_week(self) -> int:
        """Total open minutes in the week."""
        return sum(e - s for _, s, e in self.open)


@dataclass(frozen=True)
class SiteHours:
    """The hours of one site as read: ``status`` is one of :data:`STATUS_KNOWN`,
    :data:`STATUS_MISSING`, :data:`STATUS_UNPARSED`; ``hours`` is None unless known."""

    status: str
    hours: WeeklyHours | None = None
    reason: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)


# --------------------------------------------------------------------------------------------
# Parsing


def _merge(intervals: list[tuple[int, int, int]]) -> tuple[tuple[tuple[int, int, int], ...], bool]:
    """Sort and merge overlapping or touching intervals; also say whether any overlapped."""
    merged: list[list[int]] = []
    overlapped = False
    for day, start, end in sorted(intervals):
        if merged and merged[-1][0] == day and start <= merged[-1][2]:
            overlapped |= start < merged[-1][2]
            merged[-1][2] = max(merged[-1][2], end)
        else:
            merged.append([day, start, end])
    return tuple(tuple(m) for m in merged), overlapped


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
    merged, overlapped = _merge(intervals)
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
    merged, overlapped = _merge(intervals)
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
    return _merge(found[State.OPEN])[0], _merge(found[State.UNKNOWN])[0]


def parse_osm(text: str, reference_week: date = REFERENCE_WEEK) -> WeeklyHours | None:
    """Read an OpenStreetMap ``opening_hours`` expression over a reference week.

    Parameters
    ----------
    text : str
        E.g. ``"Mo-Fr 08:30-12:00,13:30-17:00; Sa 09:00-12:00; PH off"``.
    reference_week : date
        Monday of the week evaluated (default :data:`REFERENCE_WEEK`, no public holiday).

    Returns
    -------
    WeeklyHours or None
        None for an empty expression. When the expression gives other hours in January, April or
        July than in the reference week, a note says so.

    Raises
    ------
    HoursError
        When ``opening-hours-py`` cannot parse the expression.
    """
    if not str(text).strip():
        return None
    try:
        expression = OpeningHours(str(text))
    except (ParserError, SyntaxError, ValueError, RuntimeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise HoursError(f"syntaxe opening_hours non reconnue ({first})") from None
    opened, unknown = _osm_week(expression, reference_week)
    notes = []
    if any(_osm_week(expression, week) != (opened, unknown) for week in _SEASON_WEEKS):
        notes.append(f"horaires variables selon la période : semaine du {reference_week:%d/%m/%Y} retenue")
    return WeeklyHours(opened, unknown, tuple(notes))


# Accents are removed before matching (« à » is read as « a »).
_FR_RANGE = re.compile(r"^(?:du\s+)?(?P<first>[a-z.]+)(?:\s*[-–]\s*|\s+au?\s+)(?P<last>[a-z.]+)$")
_FR_SLOT = re.compile(r"^(?:de\s+)?(?P<start>\d{1,2}\s*(?:[:h]\s*\d{0,2})?)(?:\s*[-–]\s*|\s+a\s+)"
                      r"(?P<end>\d{1,2}\s*(?:[:h]\s*\d{0,2})?)$")
_FR_CLOSED = ("ferme", "fermee", "closed")


def _fr_days(text: str) -> list[int]:
    """Days of ``"lundi-vendredi"``, ``"du lundi au jeudi"``, ``"lundi, mercredi et vendredi"``."""
    days: list[int] = []
    for item in re.split(r"\s*(?:,|/|\bet\b)\s*", text.strip()):
        if not item:
            continue
        match = _FR_RANGE.match(item)
        if match:
            first, last = day_index(match.group("first")), day_index(match.group("last"))
            days += [(first + k) % 7 for k in range((last - first) % 7 + 1)]
        else:
            days.append(day_index(item))
    if not days:
        raise HoursError(f"jours « {text.strip()} » illisibles")
    return days


def parse_fr_text(text: str) -> WeeklyHours | None:
    """Read opening hours written as French text: ``"lundi-vendredi 9h-12h,13h30-17h"``.

    Rules are separated by ``;`` (or new lines). Each rule names days (a day, a range such as
    ``lundi-vendredi`` or ``du lundi au vendredi`` — a range may wrap over the weekend — or a list
    joined by ``,`` or ``et``) followed by slots separated by ``,``, ``/`` or ``et`` (``9h-12h``,
    ``13h30-17h``, ``08:45-12:00``, ``de 9h à 12h``), or by ``fermé``. A day named in two rules gets
    the slots of both (merged; reported when they overlap). Days never named are closed.

    Returns
    -------
    WeeklyHours or None
        None for empty text.

    Raises
    ------
    HoursError
        When a day, a slot or a time cannot be read, or a slot closes before it opens.
    """
    text = normalise_day_text(text)
    if not text:
        return None
    intervals: list[tuple[int, int, int]] = []
    for rule in re.split(r"\s*[;\n]\s*", text):
        if not rule:
            continue
        # The day names end where the first time starts (or where « fermé » starts).
        match = re.search(r"\d|\b(?:" + "|".join(_FR_CLOSED) + r")\b", rule)
        if not match:
            raise HoursError(f"règle « {rule} » sans horaire (attendu « lundi-vendredi 9h-12h »)")
        head = re.sub(r"(?:\s*:)?(?:\s+de)?\s*$", "", rule[:match.start()])
        slots_text = rule[match.start():].strip()
        days = _fr_days(head)
        if slots_text in _FR_CLOSED:
            continue
        for part in re.split(r"\s*(?:,|/|\bet\b)\s*", slots_text):
            if not part:
                continue
            slot = _FR_SLOT.match(part)
            if not slot:
                raise HoursError(f"créneau « {part} » illisible (attendu « 9h-12h » ou « 13h30-17h »)")
            start = clock_minute(slot.group("start").replace(" ", ""))
            end = clock_minute(slot.group("end").replace(" ", ""))
            if end <= start:
                raise HoursError(f"créneau « {part} » : fermeture avant l'ouverture")
            intervals += [(d, start, end) for d in days]
    if not intervals:
        return None
    merged, overlapped = _merge(intervals)
    return WeeklyHours(merged, notes=("créneaux qui se chevauchent fusionnés",) if overlapped else ())


_PARSERS = {"france_services": parse_france_services, "mairie_json": parse_mairie_json, "osm": parse_osm,
            "fr_text": parse_fr_text}


def guess_hours_format(text: str) -> str:
    """The format of hours a planner typed: ``"osm"`` (``Mo-Fr 09:00-12:00``) when it reads as the
    OpenStreetMap syntax, ``"fr_text"`` (``lundi-vendredi 9h-12h``) when it reads as French text, else
    ``"osm"`` (so that the reason given is the OpenStreetMap parser's); ``""`` for no hours."""
    if not str(text).strip():
        return ""
    if read_hours(text, "osm").status != STATUS_UNPARSED:
        return "osm"
    return "fr_text" if read_hours(text, "fr_text").status == STATUS_KNOWN else "osm"


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
    except HoursError as exc:
        return SiteHours(STATUS_UNPARSED, reason=str(exc))
    if hours is None:
        return SiteHours(STATUS_MISSING, reason="horaires non renseignés (aucun jour ouvert indiqué)")
    return SiteHours(STATUS_KNOWN, hours, notes=hours.notes)


def site_hours(sites: pd.DataFrame) -> list[SiteHours]:
    """:func:`read_hours` of every site (``hours``/``hours_format`` columns; missing columns mean
    unknown hours)."""
    n = len(sites)
    texts = sites["hours"].astype(str).tolist() if "hours" in sites.columns else [""] * n
    formats = sites["hours_format"].astype(str).tolist() if "hours_format" in sites.columns else [""] * n
    return [read_hours(t, f) for t, f in zip(texts, formats)]


def hours_report(sites: pd.DataFrame) -> pd.DataFrame:
    """One row per site: ``site_id``, ``name``, ``hours_format``, ``status``, ``reason``, ``notes``,
    ``open_minutes_per_week`` (NaN unless known) — what was read and what could not be."""
    parsed = site_hours(sites)
    return pd.DataFrame({
        "site_id": sites["site_id"].astype(str).to_numpy() if "site_id" in sites.columns else np.arange(len(sites)),
        "name": sites["name"].astype(str).to_numpy() if "name" in sites.columns else "",
        "hours_format": sites["hours_format"].astype(str).to_numpy() if "hours_format" in sites.columns else "",
        "status": [p.status for p in parsed],
        "reason": [p.reason for p in parsed],
        "notes": ["; ".join(p.notes) for p in parsed],
        "open_minutes_per_week": [p.hours.minutes_per_week() if p.hours else np.nan for p in parsed],
    })


def _interval_arrays(parsed: list[SiteHours], which: str) -> tuple[np.ndarray, ...]:
    rows = [(i, d, s, e) for i, p in enumerate(parsed) if p.hours is not None
            for d, s, e in getattr(p.hours, which)]
    arr = np.asarray(rows, dtype=np.int64).reshape(-1, 4)
    return arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3]


def _tri_state(known: np.ndarray, yes: np.ndarray, maybe: np.ndarray) -> np.ndarray:
    """Object array: True where ``yes``, None where unknown (not known, or only ``maybe``), else False."""
    out = np.full(known.size, None, dtype=object)
    out[known & yes] = True
    out[known & ~yes & ~maybe] = False
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
        ``True`` (open), ``False`` (closed) or ``None`` (hours unknown or unreadable, or marked
        unknown at that moment): unknown hours are never assumed open or closed.
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

    return _tri_state(known, hit("open"), hit("unknown"))


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
        True, False, or None for unknown hours.
    """
    parsed = site_hours(sites)
    n = len(parsed)
    known = np.array([p.status == STATUS_KNOWN for p in parsed], dtype=bool)

    def hit(which: str) -> np.ndarray:
        site, d, s, e = _interval_arrays(parsed, which)
        fits = ((d < 5) & (e > evening_minute)) | np.isin(d, weekend_days)
        return np.bincount(site[fits], minlength=n) > 0

    return _tri_state(known, hit("open"), hit("unknown"))


# --------------------------------------------------------------------------------------------
# Coverage restricted to open sites
