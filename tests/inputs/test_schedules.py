"""Schedules that are not weekly (issue 29): the four-week cycle, OSM nth weekdays and week parity,
French text forms, what a moment answers, capacity by weekly hours, walk-in columns, refusals."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from opening_hours import OpeningHours

from access30.base import moments
from access30.base.errors import InputError
from access30.coverage.fca import opening_hours_capacity
from access30.inputs import hours as H
from access30.inputs import hours_fr, schedule
from access30.inputs.sites import WALK_IN_NAMES, read_sites

TUE, THU = 1, 3
NINE_TO_NOON = (TUE, 540, 720)


def handmade_sites(*rows: tuple[str, str]) -> pd.DataFrame:
    """Hand-made site table: (hours, hours_format) per site."""
    n = len(rows)
    return pd.DataFrame({"site_id": [f"t{i}" for i in range(n)], "name": [f"test {i}" for i in range(n)],
                         "hours": [r[0] for r in rows], "hours_format": [r[1] for r in rows]})


# ---- the cycle -------------------------------------------------------------------------------

def test_the_reference_cycle_is_four_whole_weeks_from_a_monday_odd_week_first():
    start = moments.REFERENCE_CYCLE
    assert start.weekday() == 0 and start.day == 1
    assert (start + timedelta(days=28)).day == 1  # a month of exactly four weeks
    assert start.isocalendar().week % 2 == 1 and moments.ODD_WEEKS == (0, 2)
    assert moments.CYCLE_MINUTES == 28 * 1440
    assert moments.format_weeks((0, 2)) == "1re et 3e semaines du cycle" and moments.format_weeks(range(4)) == \
        "chaque semaine"


CYCLE_OSM = {
    "Tu[1,3] 09:00-12:00": (True, False, True, False),
    "Tu[2] 09:00-12:00": (False, True, False, False),
    "Tu[-1] 09:00-12:00": (False, False, False, True),
    "week 1-53/2 Tu 09:00-12:00": (True, False, True, False),
    "week 2-52/2 Tu 09:00-12:00": (False, True, False, True),
    "Mo-Fr 09:00-12:00; Tu[2] off": (True, True, True, True),
    "Tu[1-3] 09:00-12:00; Th[4] 14:00-17:00": (True, True, True, True),
}


@pytest.mark.parametrize("expression, weeks", CYCLE_OSM.items())
def test_osm_cycle_equals_the_library_at_every_quarter_hour_of_the_reference_cycle(expression, weeks):
    """opening-hours-py evaluates nth weekdays and week steps on real dates; the cycle is exactly that."""
    read = H.read_hours(expression, "osm")
    assert read.status == H.STATUS_KNOWN and not read.hours.weekly
    assert read.hours.weeks_open() == weeks
    oh = OpeningHours(expression)
    start = datetime.combine(moments.REFERENCE_CYCLE, datetime.min.time())
    for step in range(0, moments.CYCLE_MINUTES, 15):
        week, rest = divmod(step, moments.WEEK_MINUTES)
        day, minute = divmod(rest, 1440)
        moment = start + timedelta(minutes=step)
        assert read.hours.is_open_in(week, day, minute) is oh.is_open(moment), (expression, moment)


@pytest.mark.parametrize("text, osm", [
    ("1er et 3e mardi 9h-12h", "Tu[1,3] 09:00-12:00"),
    ("le 1er et le 3e mardi du mois de 9h à 12h", "Tu[1,3] 09:00-12:00"),
    ("le 2e mardi du mois 9h-12h", "Tu[2] 09:00-12:00"),
    ("dernier mardi du mois 9h-12h", "Tu[-1] 09:00-12:00"),
    ("mardi 9h-12h, semaines impaires", "week 1-53/2 Tu 09:00-12:00"),
    ("mardi matin, semaines paires", "week 2-52/2 Tu 09:00-12:00"),
    ("semaines paires : mardi 9h-12h", "week 2-52/2 Tu 09:00-12:00"),
    ("mardi 9h-12h (semaine B)", "week 2-52/2 Tu 09:00-12:00"),
    ("un mardi sur deux 9h-12h", "week 1-53/2 Tu 09:00-12:00"),
    ("tous les 15 jours le mardi 9h-12h", "week 1-53/2 Tu 09:00-12:00"),
    ("lundi-vendredi 9h-12h ; fermé le 2e mardi", "Mo-Fr 09:00-12:00; Tu[2] off"),
    ("1er, 2e et 3e mardis 9h-12h ; 4e jeudi après-midi", "Tu[1-3] 09:00-12:00; Th[4] 14:00-17:00"),
])
def test_french_text_reads_as_the_same_cycle_as_osm(text, osm):
    french, reference = H.read_hours(text, "fr_text"), H.read_hours(osm, "osm")
    assert french.status == H.STATUS_KNOWN, french.reason
    assert french.hours.weeks() == reference.hours.weeks() and french.hours.open == reference.hours.open
    assert H.guess_hours_format(text) == "fr_text"


def test_french_text_forms_and_their_notes():
    two = hours_fr.parse_fr_text("1er mardi 9h-12h et 3e jeudi 14h-17h")
    assert two.cycle == (((TUE, 540, 720),), (), ((THU, 840, 1020),), ())
    assumed = hours_fr.parse_fr_text("un mardi sur deux 9h-12h")
    assert any("1re et 3e semaines du cycle supposées" in n for n in assumed.notes)
    words = hours_fr.parse_fr_text("mardi matin et jeudi après-midi")
    assert words.weekly and words.open == (NINE_TO_NOON, (THU, 840, 1020))
    assert any("« matin » lu 9h-12h" in n for n in words.notes)
    fifth = hours_fr.parse_fr_text("1er et 5e mardi 9h-12h")
    assert fifth.weeks_open() == (True, False, False, False) and any("5e jour du mois" in n for n in fifth.notes)
    # Weekly text is read as before: one week, no cycle.
    weekly = hours_fr.parse_fr_text("lundi-vendredi 9h-12h,13h30-17h")
    assert weekly.weekly and weekly.minutes_per_week() == 5 * (180 + 210)


def test_a_schedule_with_no_opening_in_the_cycle_is_unknown_and_off_is_never_open():
    """A 5th weekday opens at real dates outside the cycle: unknown, never counted closed; ``off`` is never open."""
    for text, kind in [("Tu[5] 09:00-12:00", "osm"), ("5e mardi 9h-12h", "fr_text"), ("Jul-Aug Mo 09:00-12:00", "osm")]:
        read = H.read_hours(text, kind)
        assert read.status == H.STATUS_OUTSIDE_CYCLE and read.hours is None, text
        assert "hors du cycle" in read.reason
    assert H.guess_hours_format("5e mardi 9h-12h") == "fr_text"
    off = H.read_hours("off", "osm")
    assert off.status == H.STATUS_KNOWN and off.hours.cycle_intervals().size == 0
    sites = handmade_sites(("Tu[5] 09:00-12:00", "osm"), ("off", "osm"))
    assert list(H.open_at(sites, TUE, 600)) == [None, False]


def test_a_moment_open_in_some_weeks_only_is_answered_apart():
    sites = handmade_sites(("Tu[1,3] 09:00-12:00", "osm"), ("Tu 09:00-12:00", "osm"), ("mardi 9h-12h semaines paires",
                                                                                        "fr_text"),
                           ("1er jeudi 17h-19h", "fr_text"), ("", ""))
    assert list(H.open_at(sites, TUE, 600)) == [schedule.SOME_WEEKS, True, schedule.SOME_WEEKS, False, None]
    assert list(H.open_at(sites, TUE, 800)) == [False, False, False, False, None]
    assert list(H.open_for_workers(sites)) == [False, False, False, schedule.SOME_WEEKS, None]
    report = H.hours_report(sites)
    assert list(report["weeks"]) == ["1re et 3e semaines du cycle", "chaque semaine", "2e et 4e semaines du cycle",
                                     "1re semaine du cycle", ""]
    assert list(report["open_minutes_per_week"])[:4] == [90, 180, 90, 30]


def test_capacity_by_weekly_hours_averages_the_cycle():
    """A fortnightly 3 h permanence weighs 1.5 weekly hours; a monthly one 0.75."""
    sites = handmade_sites(("week 1-53/2 Tu 09:00-12:00", "osm"), ("2e jeudi 14h-17h", "fr_text"),
                           ("Mo-Fr 09:00-12:00", "osm"))
    assert list(opening_hours_capacity(sites).values) == [1.5, 0.75, 15.0]


def test_cycle_intervals_join_across_midnight_and_weeks():
    hours = H.read_hours("Su 22:00-24:00; Mo 00:00-02:00", "osm").hours
    spans = hours.cycle_intervals()
    # Sunday 22:00 of week k runs into Monday 02:00 of week k+1 (the cycle's first Monday stays apart).
    assert spans[0].tolist() == [0, 120] and spans[1].tolist() == [6 * 1440 + 1320, 7 * 1440 + 120]
    assert spans.shape == (5, 2)


# ---- site lists: refusals and the walk-in column ---------------------------------------------

def _handmade_csv(tmp_path, rows: list[dict], name: str = "handmade_lieux.csv"):
    base = {"nom": "", "type": "ccas", "longitude": -2.76, "latitude": 48.51}
    frame = pd.DataFrame([{**base, "nom": f"Lieu {i + 1}", "longitude": -2.76 + 0.01 * i, **row}
                          for i, row in enumerate(rows)])
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def test_a_permanence_that_cannot_be_read_is_refused_naming_the_row(tmp_path):
    path = _handmade_csv(tmp_path, [{"horaires": "lundi-vendredi 9h-12h"}, {"horaires": "1er et 3e mardi 9h-12h"},
                                    {"horaires": "1er et 3e mardo 9h-12h"}])
    with pytest.raises(InputError) as error:
        read_sites(path)
    assert (error.value.row, error.value.column) == (3, "horaires")
    assert "mardo" in error.value.problem and "1er et 3e mardi 9h-12h" in error.value.fix
    # Hours merely unreadable (no weeks named) stay unknown and reported apart, as before.
    ok = _handmade_csv(tmp_path, [{"horaires": "Sur rendez-vous"}, {"horaires": "Tu[1,3] 09:00-12:00"}], "ok.csv")
    sites, _ = read_sites(ok)
    assert list(sites["hours_format"]) == ["osm", "osm"] and H.read_hours(sites["hours"][1], "osm").hours.cycle


@pytest.mark.parametrize("header", ["horaires_sans_rdv", "Horaires sans rendez-vous", "Accueil sans RDV",
                                    "walk-in hours", "walk_in_hours"])
def test_the_walk_in_column_is_read_under_its_french_and_english_names(tmp_path, header):
    assert header in WALK_IN_NAMES or header.lower() in [n.lower() for n in WALK_IN_NAMES]
    path = _handmade_csv(tmp_path, [{"horaires": "Mo-Fr 09:00-17:00", header: "mardi 9h-12h"},
                                    {"horaires": "Mo-Fr 09:00-17:00", header: "Sur rendez-vous uniquement"},
                                    {"horaires": "Mo-Fr 09:00-17:00", header: ""}])
    sites, _ = read_sites(path)
    assert list(sites[H.WALK_IN_HOURS]) == ["mardi 9h-12h", "Sur rendez-vous uniquement", ""]
    assert list(sites[H.WALK_IN_FORMAT]) == ["fr_text", H.APPOINTMENT_ONLY, ""]
    parsed, assumed = H.walk_in_hours(sites)
    assert list(assumed) == [False, False, True]
    assert parsed[0].hours.open == (NINE_TO_NOON,)
    assert parsed[1].status == H.STATUS_KNOWN and parsed[1].hours.cycle_intervals().size == 0
    assert parsed[2].hours.minutes_per_week() == 5 * 480  # its opening hours stand for walk-in hours


def test_an_unreadable_walk_in_cell_is_refused_naming_the_row(tmp_path):
    path = _handmade_csv(tmp_path, [{"horaires": "Mo-Fr 09:00-17:00", "horaires_sans_rdv": "mardi 9h-12h"},
                                    {"horaires": "Mo-Fr 09:00-17:00", "horaires_sans_rdv": "le matin"}])
    with pytest.raises(InputError) as error:
        read_sites(path)
    assert (error.value.row, error.value.column) == (2, "horaires_sans_rdv")
    assert "sur rendez-vous uniquement" in error.value.fix


def test_a_list_without_walk_in_column_has_no_walk_in_columns(tmp_path):
    sites, _ = read_sites(_handmade_csv(tmp_path, [{"horaires": "Mo-Fr 09:00-17:00"}]))
    assert H.WALK_IN_HOURS not in sites.columns
    parsed, assumed = H.walk_in_hours(sites)
    assert assumed.all() and parsed[0].hours.minutes_per_week() == 2400
    assert np.array_equal(H.walk_in_hours(sites.iloc[:0])[1], np.zeros(0, dtype=bool))
