"""The walk-in lens (« accueil sans rendez-vous », issue 29) on the demo, with hand-made walk-in hours."""

from __future__ import annotations

import pandas as pd
import pytest

from access30.coverage.engine import evaluate, route
from access30.coverage.options import WALK_IN, CoverageOptions, RunOptions
from access30.coverage.run import coverage_result
from access30.coverage.walkin import coverage_walk_in, walk_in_available, walk_in_study
from access30.inputs import hours as H
from access30.inputs.assemble import StudyRequest, assemble_study

WEEKLY_MEAN_D = 165 ** 2 / 2 / 168 / 24  # Tuesday 9–12 every week (tests/coverage/test_wait.py)


def handmade_walk_in(study, texts: list[str]):
    """The demo's sites with a walk-in column: ``texts`` for the first sites, empty for the others."""
    sites = study.sites.copy()
    cells = texts + [""] * (len(sites) - len(texts))
    sites[H.WALK_IN_HOURS] = cells
    sites[H.WALK_IN_FORMAT] = [H.walk_in_format(t) if t else "" for t in cells]
    return study.with_sites(sites)


def test_appointment_only_sites_do_not_count(demo_study, demo_routing):
    fs = (demo_study.sites["type"] == "france_services").to_numpy()
    sites = demo_study.sites.copy()
    sites[H.WALK_IN_HOURS] = ["sur rendez-vous uniquement" if f else "" for f in fs]
    study = demo_study.with_sites(sites)
    result = coverage_walk_in(study, demo_routing, 30)
    others = demo_study.with_sites(demo_study.sites[~fs])
    expected = evaluate(others, route(others), 30).summary.population_covered
    assert result.summary.population_covered == pytest.approx(expected, rel=1e-12)
    hours = result.summary.hours
    assert hours.walk_in and hours.sites_open == int((~fs).sum()) and hours.sites_closed == int(fs.sum())
    assert hours.sites_walk_in_assumed == int((~fs).sum())
    notice = next(n for n in result.notices if n.code == "walk_in_assumed")
    assert "leurs horaires d'ouverture sont comptés comme horaires sans rendez-vous" in notice.message
    assert "passerait de" in notice.message and " à 0,0\u202f%" in notice.message  # the others by appointment only


def test_a_built_in_study_counts_its_opening_hours_and_says_so(demo_study, demo_routing, demo_result):
    result = coverage_walk_in(demo_study, demo_routing, 30)
    assert result.summary.population_covered == pytest.approx(demo_result.summary.population_covered, rel=1e-12)
    assert result.summary.hours.sites_walk_in_assumed == len(demo_study.sites)
    assert any(n.code == "walk_in_assumed" for n in result.notices)


def test_walk_in_hours_replace_the_opening_hours_at_a_moment(demo_study, demo_routing):
    """A site open on Tuesday but receiving without appointment 9–10:30 only is closed to walk-ins at 11:00."""
    study = handmade_walk_in(demo_study, ["Tu 09:00-10:30", "1er et 3e mardi 9h-12h"])
    walk, assumed = walk_in_study(study)
    assert list(walk.sites["hours"][:2]) == ["Tu 09:00-10:30", "1er et 3e mardi 9h-12h"] and assumed[2:].all()
    assert list(walk_in_available(study)[:2]) == [True, True]
    at_11 = coverage_result(study, demo_routing, RunOptions(coverage=CoverageOptions(at="mardi 11:00", walk_in=True)))
    plain = coverage_result(study, demo_routing, RunOptions(coverage=CoverageOptions(at="mardi 11:00")))
    hours = at_11.summary.hours
    assert hours.walk_in and "sans rendez-vous le mardi à 11:00" in hours.when
    assert hours.sites_open_some_weeks == 1  # the 1st-and-3rd-Tuesday permanence, counted apart
    assert any(n.code == "hours_some_weeks" for n in at_11.notices)
    opening = H.open_at(demo_study.sites.iloc[:2], 1, 660)
    assert opening[0] is True  # open on Tuesday at 11:00…
    # …but not without appointment (the first), or some weeks only (the second).
    assert plain.summary.hours.sites_open - hours.sites_open == sum(o is True for o in opening)
    assert hours.share_covered_if_some_weeks_open >= at_11.summary.share_covered


def test_the_options_and_the_wait_on_walk_in_hours(demo_study, demo_routing):
    """All sites receive without appointment on Tuesdays 9–12 only: the wait is the hand-computed one."""
    study = handmade_walk_in(demo_study, ["Tu 09:00-12:00"] * len(demo_study.sites))
    options = CoverageOptions(walk_in=True, wait=True)
    assert options.lens == WALK_IN and CoverageOptions(walk_in=True, at="mardi 10:00").lens == "moment"
    result = coverage_result(study, demo_routing, RunOptions(coverage=options))
    assert result.wait.walk_in and result.wait.mean_wait_days == pytest.approx(WEEKLY_MEAN_D, rel=1e-12)
    assert result.summary.hours.sites_walk_in_assumed == 0
    assert not any(n.code == "walk_in_assumed" for n in result.notices)
    plain = coverage_result(study, demo_routing, RunOptions(coverage=CoverageOptions(wait=True)))
    assert plain.wait.mean_wait_days < 1  # the opening hours of France Services and town halls


def test_a_user_list_with_a_walk_in_column_merged_with_the_built_in_sites(tmp_path):
    path = tmp_path / "handmade_permanences.csv"
    pd.DataFrame({"nom": ["Permanence Uzel", "Permanence Merdrignac"], "type": ["hors les murs", "hors les murs"],
                  "longitude": [-2.84, -2.41], "latitude": [48.28, 48.19],
                  "horaires": ["1er et 3e mardi 9h-12h", "Tu[2,4] 14:00-17:00"],
                  "Horaires sans RDV": ["1er mardi 9h-12h", "sur rendez-vous uniquement"]}).to_csv(path, index=False)
    study = assemble_study(StudyRequest(territory="st-brieuc-loudeac", sites=path))
    added = study.sites[study.sites["name"].str.startswith("Permanence")]
    assert list(added[H.WALK_IN_FORMAT]) == ["fr_text", H.APPOINTMENT_ONLY]
    _, assumed = walk_in_study(study)
    assert int((~assumed).sum()) == 2  # the built-in sites (NaN in the column) are assumed
    available = walk_in_available(study)
    assert list(available[added.index]) == [True, False]
