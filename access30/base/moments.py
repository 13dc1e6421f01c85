"""Moments of the week: day names in French and English, clock times, and « mardi 18:00 » parsed as (day, minute)."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

from access30.base.errors import InputError

DAY_NAMES_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


DAY_NAMES_EN = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


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
