"""Opening hours written as French text, weekly or over the four-week cycle.

Weekly: ``"lundi-vendredi 9h-12h,13h30-17h; samedi 9h-12h"``. Not weekly — weeks of the month and
week parity, read over the cycle of :mod:`access30.base.moments` (week ``k`` = the ``k+1``-th
occurrence of each weekday; odd ISO weeks are weeks 1 and 3 of the cycle):

* « 1er et 3e mardi 9h-12h », « le 2e jeudi du mois 14h-17h », « dernier vendredi du mois 9h-12h »
  (the last = the 4th week of the cycle), « 1er mardi 9h-12h et 3e jeudi 14h-17h »;
* « mardi 9h-12h, semaines paires » (weeks 2 and 4), « semaines impaires : jeudi 14h-17h »
  (weeks 1 and 3), « semaine A » / « semaine B » (odd / even);
* « un mardi sur deux 9h-12h », « une semaine sur deux », « tous les 15 jours »: which weeks is not
  said; weeks 1 and 3 (the odd ones) are assumed, and a note says so;
* « mardi matin », « jeudi après-midi », « vendredi toute la journée »: 9h-12h, 14h-17h, both
  (assumed, a note says so);
* « lundi-vendredi 9h-12h ; fermé le 2e mardi »: a closing with weeks removes those days' hours in
  those weeks (a closing without weeks, « mardi fermé », adds nothing, as before).

A « 5e mardi » has no week in the cycle: it is left out with a note, and a schedule that opens only
then is *outside the cycle* (:class:`OutsideCycle`), reported as unknown hours, never as closed.
"""

from __future__ import annotations

import re

from access30.base.moments import (
    CYCLE_WEEKS,
    EVEN_WEEKS,
    ODD_WEEKS,
    HoursError,
    clock_minute,
    day_index,
    normalise_day_text,
)
from access30.inputs.schedule import WeeklyHours, hours_from_weeks, merge_intervals

ALL_WEEKS = frozenset(range(CYCLE_WEEKS))

_CLOSED = ("ferme", "fermee", "closed")
# Accents are removed before matching (« à » is read as « a »).
_RANGE = re.compile(r"^(?:du\s+)?(?P<first>[a-z.]+)(?:\s*[-–]\s*|\s+au?\s+)(?P<last>[a-z.]+)$")
_SLOT = re.compile(r"^(?:de\s+)?(?P<start>\d{1,2}\s*(?:[:h]\s*\d{0,2})?)(?:\s*[-–]\s*|\s+a\s+)"
                   r"(?P<end>\d{1,2}\s*(?:[:h]\s*\d{0,2})?)$")
_ORDINAL = (r"(?:[1-5]\s*(?:ere|er|re|eme|e|nd|nde)|premiere?|deuxieme|seconde?|troisieme|quatrieme|cinquieme|"
            r"derniere?)")
#: Where the hours of a rule start: a number that is not an ordinal (« 9h », not « 3e »), or « fermé ».
_SLOT_START = re.compile(r"(?<![\w])\d{1,2}(?![\d])(?!\s*(?:ere|er|re|eme|e|nd|nde)\b)|\b(?:"
                         + "|".join(_CLOSED) + r")\b")
_ORDINAL_NUMBER = {"premier": 1, "premiere": 1, "deuxieme": 2, "second": 2, "seconde": 2, "troisieme": 3,
                   "quatrieme": 4, "cinquieme": 5, "dernier": -1, "derniere": -1}
_PARITY = re.compile(r"\(?\s*(?:les\s+|en\s+)?semaines?\s+(?P<kind>paires?|impaires?)\s*\)?")
_AB = re.compile(r"\(?\s*(?:en\s+)?semaines?\s+(?P<kind>[ab])\b(?!\s*\d)\s*\)?")
_EVERY_OTHER = re.compile(r"\(?\s*\b(?:une?|1)\s+(?P<what>[a-z]+)\s+sur\s+(?:deux|2)\b\s*\)?|"
                          r"\(?\s*\b(?:tous|toutes)\s+les\s+(?:quinze|15|14)\s+jours\b\s*\)?")
_OF_MONTH = re.compile(r"\b(?:du|de\s+chaque|de|par|chaque)\s+mois\b")
_WORDS = (("toute la journee", "9h-12h,14h-17h"), ("journee", "9h-12h,14h-17h"), ("apres-midi", "14h-17h"),
          ("apres midi", "14h-17h"), ("aprem", "14h-17h"), ("matinee", "9h-12h"), ("matin", "9h-12h"))
_WORDS_NOTE = "« matin » lu 9h-12h, « après-midi » 14h-17h (horaires supposés)"
_OTHER_NOTE = ("« un … sur deux » ou « tous les 15 jours » : 1re et 3e semaines du cycle supposées "
               "(semaines impaires)")


class OutsideCycle(HoursError):
    """A schedule that opens only outside the four-week cycle (a 5th weekday of the month)."""


def _ordinal_week(token: str) -> int | None:
    """Cycle week of an ordinal (« 1er » → 0, « dernier » → 3); None for a 5th."""
    token = token.replace(" ", "")
    number = int(token[0]) if token[0].isdigit() else _ORDINAL_NUMBER[token]
    if number == -1:
        return CYCLE_WEEKS - 1
    return None if number > CYCLE_WEEKS else number - 1


def _day(word: str) -> int:
    try:
        return day_index(word)
    except HoursError:
        if word.endswith("s"):  # « les mardis »
            return day_index(word[:-1])
        raise


def _days(text: str) -> tuple[list[tuple[int, frozenset]], bool]:
    """Days of ``"lundi-vendredi"``, ``"lundi, mercredi et vendredi"``, ``"1er et 3e mardi"``, each with
    its weeks of the cycle; and whether a 5th weekday was left out."""
    out: list[tuple[int, frozenset]] = []
    pending: list[int | None] = []
    fifth = False
    for item in re.split(r"\s*(?:,|/|\bet\b)\s*", text.strip()):
        item = re.sub(r"^(?:(?:le|les|la|chaque|tous les|toutes les)\s+)+", "", item.strip())
        if not item:
            continue
        while True:
            match = re.match(rf"^({_ORDINAL})\b\s*", item)
            if not match:
                break
            pending.append(_ordinal_week(match.group(1)))
            item = item[match.end():]
        if not item:
            continue
        if pending:
            weeks = frozenset(w for w in pending if w is not None)
            fifth |= any(w is None for w in pending)
            pending = []
        else:
            weeks = ALL_WEEKS
        match = _RANGE.match(item)
        if match:
            first, last = _day(match.group("first")), _day(match.group("last"))
            out += [((first + k) % 7, weeks) for k in range((last - first) % 7 + 1)]
        else:
            out.append((_day(item), weeks))
    if pending:
        raise HoursError(f"jours « {text.strip()} » : rang de semaine sans jour")
    if not out:
        raise HoursError(f"jours « {text.strip()} » illisibles")
    return out, fifth


def _rule_weeks(rule: str) -> tuple[str, frozenset, list[str]]:
    """A rule without its week qualifier (parity, « un … sur deux »), the weeks it names, notes."""
    weeks, notes = ALL_WEEKS, []
    match = _PARITY.search(rule)
    if match:
        weeks = frozenset(ODD_WEEKS if match.group("kind").startswith("i") else EVEN_WEEKS)
        rule = rule[:match.start()] + " " + rule[match.end():]
    match = _AB.search(rule)
    if match:
        weeks &= frozenset(ODD_WEEKS if match.group("kind") == "a" else EVEN_WEEKS)
        rule = rule[:match.start()] + " " + rule[match.end():]
    match = _EVERY_OTHER.search(rule)
    if match:
        weeks &= frozenset(ODD_WEEKS)
        notes.append(_OTHER_NOTE)
        what = match.group("what") or ""
        keep = "" if what in ("", "semaine", "fois") else what  # « un mardi sur deux » keeps « mardi »
        rule = rule[:match.start()] + f" {keep} " + rule[match.end():]
    rule = _OF_MONTH.sub(" ", rule)
    return " ".join(rule.split()).strip(" ,:-–"), weeks, notes


def _slot(part: str) -> tuple[int, int]:
    slot = _SLOT.match(part)
    if not slot:
        raise HoursError(f"créneau « {part} » illisible (attendu « 9h-12h » ou « 13h30-17h »)")
    start = clock_minute(slot.group("start").replace(" ", ""))
    end = clock_minute(slot.group("end").replace(" ", ""))
    if end <= start:
        raise HoursError(f"créneau « {part} » : fermeture avant l'ouverture")
    return start, end


def _split_head(text: str) -> tuple[str, str] | None:
    """(days, hours) of ``"1er et 3e mardi 9h-12h"``; None when no hour starts."""
    match = _SLOT_START.search(text)
    if not match:
        return None
    head = re.sub(r"(?:\s*:)?(?:\s+de)?\s*$", "", text[:match.start()])
    return head, text[match.start():].strip()


def _groups(rule: str) -> list[tuple[str, list[str] | None]]:
    """The (days, slots) groups of a rule (``None`` slots: closed)."""
    split = _split_head(rule)
    if split is None:
        raise HoursError(f"règle « {rule} » sans horaire (attendu « lundi-vendredi 9h-12h »)")
    head, rest = split
    if not head.strip() and rest.split()[0] in _CLOSED:  # « fermé le 2e mardi »
        return [(re.sub(r"^(?:" + "|".join(_CLOSED) + r")\b\s*", "", rest), None)]
    if rest in _CLOSED:
        return [(head, None)]
    groups: list[tuple[str, list[str] | None]] = [(head, [])]
    for part in re.split(r"\s*(?:,|/|\bet\b)\s*", rest):
        if not part:
            continue
        if _SLOT.match(part):
            groups[-1][1].append(part)
            continue
        more = _split_head(part)  # « 9h-12h et jeudi 14h-17h »: a new group of days
        if more is None or not more[0].strip() or not _SLOT.match(more[1]):
            raise HoursError(f"créneau « {part} » illisible (attendu « 9h-12h » ou « 13h30-17h »)")
        groups.append((more[0], [more[1]]))
    return groups


def parse_fr_text(text: str) -> WeeklyHours | None:
    """Read opening hours written as French text, weekly or over the four-week cycle.

    Rules are separated by ``;`` (or new lines). Each rule names days (a day, a range such as
    ``lundi-vendredi`` or ``du lundi au vendredi`` — a range may wrap over the weekend — or a list
    joined by ``,`` or ``et``, each possibly with its ranks in the month, « 1er et 3e mardi »)
    followed by slots separated by ``,``, ``/`` or ``et`` (``9h-12h``, ``13h30-17h``,
    ``08:45-12:00``, ``de 9h à 12h``, « matin », « après-midi »), or by ``fermé``; a rule may carry
    its weeks (« semaines paires », « un mardi sur deux »; see the module docstring). A day named in
    two rules gets the slots of both (merged; reported when they overlap). Days never named are
    closed.

    Returns
    -------
    WeeklyHours or None
        None for empty text; a schedule with its :attr:`~WeeklyHours.cycle` when the weeks differ.

    Raises
    ------
    HoursError
        When a day, a slot or a time cannot be read, or a slot closes before it opens.
    OutsideCycle
        When every opening falls on a 5th weekday of the month (outside the cycle).

    Examples
    --------
    >>> parse_fr_text("1er et 3e mardi 9h-12h").cycle[0]
    ((1, 540, 720),)
    >>> parse_fr_text("mardi 9h-12h, semaines paires").weeks_open()
    (False, True, False, True)
    """
    text = normalise_day_text(text)
    if not text:
        return None
    weeks: list[list] = [[] for _ in range(CYCLE_WEEKS)]
    closings: list[tuple[int, frozenset]] = []
    notes: list[str] = []
    fifth = overlapped = False
    for rule in re.split(r"\s*[;\n]\s*", text):
        if not rule:
            continue
        for word, slots in _WORDS:
            if re.search(rf"\b{word}\b", rule):
                rule = re.sub(rf"\b{word}\b", f" {slots} ", rule)
                notes.append(_WORDS_NOTE)
        rule, rule_weeks, found = _rule_weeks(rule)
        notes += found
        for head, slots in _groups(rule):
            days, skipped = _days(head)
            fifth |= skipped
            if slots is None:
                if rule_weeks != ALL_WEEKS or any(w != ALL_WEEKS for _, w in days):
                    closings += [(d, w & rule_weeks) for d, w in days]
                continue
            intervals = [_slot(part) for part in slots]
            for day, day_weeks in days:
                for week in sorted(day_weeks & rule_weeks):
                    weeks[week] += [(day, s, e) for s, e in intervals]
    for day, closed in closings:
        for week in closed:
            weeks[week] = [iv for iv in weeks[week] if iv[0] != day]
    for week in weeks:
        overlapped |= merge_intervals(week)[1]
    if fifth:
        notes.append("5e jour du mois hors du cycle de quatre semaines : non compté")
    if not any(weeks):
        if fifth:
            raise OutsideCycle("ouvert seulement un 5e jour du mois, hors du cycle de quatre semaines")
        return None
    if overlapped:
        notes.append("créneaux qui se chevauchent fusionnés")
    return hours_from_weeks(weeks, notes=tuple(dict.fromkeys(notes)))


#: Words that say a schedule is not weekly (ranks in the month, parity, « sur deux »), to tell a
#: permanence the planner meant from hours merely unreadable.
_NOT_WEEKLY = re.compile(rf"\b{_ORDINAL}\b|semaines?\s+(?:paires?|impaires?|[ab]\b)|\bsur\s+(?:deux|2)\b|"
                         r"\b(?:15|quinze)\s+jours\b|\bmois\b|\[\s*-?\d|\bweek\b")


def looks_not_weekly(text: str) -> bool:
    """True when hours text names weeks of the month or week parity (French or OSM)."""
    return bool(_NOT_WEEKLY.search(normalise_day_text(text)))
