"""Moments of the week and of the four-week cycle: day names in French and English, clock times,
« mardi 18:00 » parsed as (day, minute), and the cycle over which schedules that are not weekly are read.

The cycle
---------
A permanence « le 1er et le 3e mardi » or « les semaines paires » is not weekly. Schedules are read
over a cycle of :data:`CYCLE_WEEKS` weeks (:data:`CYCLE_MINUTES` minutes, from a Monday 00:00):
week ``k`` (0 to 3) holds the ``k+1``-th occurrence of every weekday in the month (days 1–7, 8–14,
15–21, 22–28), and the weeks alternate odd and even (week 0 is odd). The calendar behind it is
:data:`REFERENCE_CYCLE`, 1–28 February 2027: a month of exactly four weeks starting on a Monday
(ISO weeks 5 to 8, no public holiday), so that an OpenStreetMap expression evaluated over those real
dates gives the cycle directly (``Tu[1,3]`` opens in weeks 0 and 2, ``week 1-53/2`` in weeks 0 and
2, ``week 2-52/2`` in weeks 1 and 3, ``Tu[-1]`` in week 3). A fifth occurrence (days 29–31) has no
week in the cycle: what opens only then is outside it.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from access30.base.errors import InputError

DAY_NAMES_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


DAY_NAMES_EN = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


#: Weeks of the cycle over which schedules are read.
CYCLE_WEEKS = 4
DAY_MINUTES = 1440
WEEK_MINUTES = 7 * DAY_MINUTES
#: Minutes of the cycle (28 days).
CYCLE_MINUTES = CYCLE_WEEKS * WEEK_MINUTES
#: Monday of the reference cycle: 1–28 February 2027, ISO weeks 5 (odd) to 8, exactly four of each
#: weekday, no French public holiday.
REFERENCE_CYCLE = date(2027, 2, 1)
#: Cycle weeks of the odd ISO weeks (« semaines impaires », OSM ``week 1-53/2``) and of the even ones.
ODD_WEEKS, EVEN_WEEKS = (0, 2), (1, 3)

_DAY_ALIASES: dict[str, int] = {}
for _i, (_fr, _en) in enumerate(zip(DAY_NAMES_FR, DAY_NAMES_EN)):
    _DAY_ALIASES.update({_fr: _i, _fr[:3]: _i, _en: _i, _en[:3]: _i, _en[:2]: _i})
_DAY_ALIASES.update({"tues": 1, "thur": 3, "thurs": 3})


_CLOCK = re.compile(r"^\s*(\d{1,2})(?:\s*[:hH]\s*(\d{2})?)?(?:\s*:\s*(\d{2}))?\s*$")


class HoursError(ValueError):
    """Opening hours that cannot be read (the message says why, in French)."""


def normalise_day_text(text: str) -> str:
    """A day name or text reduced for matching: no accents, lower case, no final dot."""
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return text.strip().lower().rstrip(".")


def day_index(name: str) -> int:
    """Day number (0 = Monday) of a French or English day name or abbreviation.

    Raises
    ------
    HoursError
        When the name is not a day.
    """
    key = normalise_day_text(name)
    if key not in _DAY_ALIASES:
        raise HoursError(f"jour « {name} » inconnu")
    return _DAY_ALIASES[key]


def clock_minute(text: str, end: bool = False) -> int:
    """Minutes since midnight of ``"08:00"``, ``"08:00:00"``, ``"8h30"``, ``"18h"``."""
    match = _CLOCK.match(str(text))
    if not match:
        raise HoursError(f"heure « {text} » illisible")
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour > 24 or minute > 59 or (hour == 24 and minute):
        raise HoursError(f"heure « {text} » impossible")
    return hour * 60 + minute


def parse_when(when) -> tuple[int, int]:
    """A moment of the week from ``"mardi 18:00"``, ``"tuesday 6:30"``, ``"sam 10h"``, a
    ``datetime`` or a ``(day, minute)`` pair.

    Returns
    -------
    (day, minute)
        Day 0 = Monday, minutes since midnight.

    Raises
    ------
    InputError
        When the text is not a day name followed by a time.
    """
    if isinstance(when, datetime):
        return when.weekday(), when.hour * 60 + when.minute
    if isinstance(when, tuple) and len(when) == 2:
        day, minute = int(when[0]), int(when[1])
        if 0 <= day <= 6 and 0 <= minute < 1440:
            return day, minute
        raise InputError(f"moment {when} hors semaine", "jour de 0 (lundi) à 6 (dimanche), minute de 0 à 1439")
    fix = "écrivez un jour et une heure, par ex. --at \"mardi 18:00\" (ou \"tuesday 18:00\")"
    parts = str(when).replace(",", " ").split()
    if len(parts) < 2:
        raise InputError(f"moment « {when} » incomplet", fix, column="--at")
    try:
        day = day_index(parts[0])
        minute = clock_minute(" ".join(parts[1:]).replace(" ", ""))
    except HoursError as exc:
        raise InputError(f"moment « {when} » illisible ({exc})", fix, column="--at") from None
    if minute >= 1440:
        raise InputError(f"moment « {when} » : heure hors de la journée", fix, column="--at")
    return day, minute


def format_when(day: int, minute: int) -> str:
    """``"mardi 18:00"``."""
    return f"{DAY_NAMES_FR[day]} {minute // 60:02d}:{minute % 60:02d}"


def format_weeks(weeks) -> str:
    """The weeks of the cycle in French: ``(0, 2)`` → « 1re et 3e semaines du cycle »."""
    weeks = sorted({int(w) for w in weeks})
    if len(weeks) == CYCLE_WEEKS:
        return "chaque semaine"
    names = [("1re" if w == 0 else f"{w + 1}e") for w in weeks]
    if len(names) == 1:
        return f"{names[0]} semaine du cycle"
    return ", ".join(names[:-1]) + f" et {names[-1]} semaines du cycle"
