"""Opening hours: the three source formats on the real site lists, and coverage at a given moment."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from access30.base import moments
from access30.base.errors import InputError
from access30.coverage import hours as lens
from access30.coverage.compare import TOTAL_CODE, compare_modes, compare_results
from access30.coverage.engine import run_coverage
from access30.inputs import hours as H
from access30.inputs.sites import load_france_services, load_mairies
from tests.paths import REPO

DATA = REPO.parent / "shared" / "data"
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def hm(text: str) -> int:
    h, m = text.split(":")
    return int(h) * 60 + int(m)


@pytest.fixture(scope="module")
def fs_all():
    """Every France Services of the ANCT list of 1 August 2024 (2,845 sites)."""
    return load_france_services(DATA / "france" / "france_services_2024-08-01.csv")


@pytest.fixture(scope="module")
def fs():
    frames = [load_france_services(DATA / p) for p in
              ("cotes_darmor/france_services_22.csv", "martinique/france_services_972.csv",
               "reunion/france_services_974.csv")]
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def mairies():
    frames = [load_mairies(DATA / p, min_population=0)[0] for p in
              ("cotes_darmor/mairies_22.csv", "martinique/mairies_972.csv", "reunion/mairies_974.csv")]
    return pd.concat(frames, ignore_index=True)


def one(sites: pd.DataFrame, **match) -> pd.DataFrame:
    mask = np.ones(len(sites), dtype=bool)
    for column, value in match.items():
        mask &= (sites[column] == value).to_numpy()
    assert mask.sum() == 1, match
    return sites[mask]


# ------------------------------------------------------------------ real lists: everything is read


def test_every_real_france_services_value_is_read(fs_all):
    report = H.hours_report(fs_all)
    counts = report["status"].value_counts().to_dict()
    # 2,797 sites with hours, 48 with every day empty (unknown), none unreadable.
    assert counts == {H.STATUS_KNOWN: 2797, H.STATUS_MISSING: 48}
    # Independent check of the unknown count on the raw file.
    raw = pd.read_csv(DATA / "france" / "france_services_2024-08-01.csv", dtype=str, keep_default_na=False)
    days = [c for c in raw.columns if c.startswith("h_")]
    assert int((raw[days] == "").all(axis=1).sum()) == 48
    # Corrections are reported, not hidden: zero-length slots and overlapping slots.
    assert report["notes"].str.contains("00:00 - 00:00").sum() > 20
    assert report["notes"].str.contains("chevauchent").sum() > 20


def test_real_local_lists_counts(fs, mairies):
    fs_report = H.hours_report(fs)
    assert len(fs) == 34 + 20 + 29
    assert (fs_report["status"] == H.STATUS_UNPARSED).sum() == 0
    # Three France Services give no hours at all: one antenna in 22, two sites in Réunion.
    unknown = fs.loc[(fs_report["status"] != H.STATUS_KNOWN).to_numpy(), "name"].tolist()
    assert sorted(unknown) == ["France services Tréguier - Antenne de Penvenan",
                               "France services de Saint-Benoît - Maison de Quartier de Chemin de Ceinture",
                               "France services de Trois Bassins"]
    m_report = H.hours_report(mairies)
    assert len(mairies) == 344 + 34 + 24
    assert (m_report["status"] == H.STATUS_KNOWN).all()


def test_saint_brieuc_france_services(fs):
    site = one(fs, name="France services Saint-Brieuc")  # 08:00-12:00 / 13:00-16:00, Wed morning only
    assert H.open_at(site, TUE, hm("10:00"))[0] is True
    assert H.open_at(site, TUE, hm("18:00"))[0] is False
    assert H.open_at(site, TUE, hm("12:30"))[0] is False  # lunch break
    assert H.open_at(site, TUE, hm("12:00"))[0] is False  # closing minute excluded
    assert H.open_at(site, TUE, hm("08:00"))[0] is True   # opening minute included
    assert H.open_at(site, WED, hm("14:00"))[0] is False
    assert H.open_at(site, SAT, hm("10:00"))[0] is False
    assert H.open_at(site, SUN, hm("10:00"))[0] is False
    assert H.open_for_workers(site)[0] is False


def test_martinique_and_reunion_france_services(fs):
    dorothy = one(fs, name="France services de Fort-de-France - Dorothy")  # Saturday 09:00-13:00, no Wednesday
    assert H.open_at(dorothy, SAT, hm("10:00"))[0] is True
    assert H.open_at(dorothy, WED, hm("10:00"))[0] is False
    assert H.open_for_workers(dorothy)[0] is True
    # Saint-Pierre (974): "00:00 - 00:00 / 08:00 - 15:00 / 08:00 - 16:00 / 08:00 - 16:00" every day.
    st_pierre = one(fs, name="France services Saint-Pierre")
    assert H.open_at(st_pierre, MON, hm("15:30"))[0] is True
    assert H.open_at(st_pierre, MON, hm("16:00"))[0] is False
    assert H.open_at(st_pierre, MON, hm("00:00"))[0] is False  # the empty 00:00 slot is not "open at midnight"
    # AORA Médiation (974), Tuesday "00:00 - 00:00 / 15:30 - 17:00".
    aora = one(fs, name="France services de Saint-Louis - AORA Médiation")
    assert H.open_at(aora, TUE, hm("10:00"))[0] is False
    assert H.open_at(aora, TUE, hm("16:00"))[0] is True
    assert H.open_at(aora, MON, hm("10:00"))[0] is True
    # Trois Bassins gives no hours: unknown, never open nor closed.
    trois = one(fs, name="France services de Trois Bassins")
    assert H.open_at(trois, TUE, hm("10:00"))[0] is None
    assert H.open_for_workers(trois)[0] is None


def test_mairies(mairies):
    possession = one(mairies, site_id="mairie-97408")  # lundi-jeudi 08:00-16:30, samedi 08:00-12:00
    assert H.open_at(possession, THU, hm("16:00"))[0] is True
    assert H.open_at(possession, FRI, hm("16:00"))[0] is False  # vendredi until 15:30
    assert H.open_at(possession, SAT, hm("10:00"))[0] is True
    assert H.open_for_workers(possession)[0] is True
    ajoupa = one(mairies, site_id="mairie-97201")  # lundi-mardi 07:30-13:30, 15:00-17:30
    assert H.open_at(ajoupa, TUE, hm("16:00"))[0] is True
    assert H.open_at(ajoupa, TUE, hm("17:30"))[0] is False
    assert H.open_at(ajoupa, WED, hm("16:00"))[0] is False
    assert H.open_for_workers(ajoupa)[0] is False  # closes at 17:30: not after
    allineuc = one(mairies, site_id="mairie-22001")  # lundi-mardi and jeudi-vendredi, no mercredi
    assert H.open_at(allineuc, MON, hm("17:45"))[0] is True
    assert H.open_at(allineuc, WED, hm("10:00"))[0] is False
    assert H.open_for_workers(allineuc)[0] is True  # open until 18:00


def test_open_at_matches_a_plain_reading_of_the_raw_file(fs):
    """Independent check: re-read the Côtes-d'Armor CSV with string operations only."""
    raw = pd.read_csv(DATA / "cotes_darmor" / "france_services_22.csv", dtype=str, keep_default_na=False)
    sites = fs[fs["site_id"].isin("fs-" + raw["id_fs"])].set_index("site_id").loc["fs-" + raw["id_fs"]].reset_index()
    days = ["h_lundi", "h_mardi", "h_mercredi", "h_jeudi", "h_vendredi", "h_samedi"]
    for day, column in enumerate(days):
        for minute in range(0, 1440, 30):
            expected = []
            for text in raw[column]:
                slots = [s.split(" - ") for s in text.split(" / ") if s]
                expected.append(any(hm(a) <= minute < hm(b) for a, b in slots))
            got = H.open_at(sites, day, minute)
            all_empty = (raw[days] == "").all(axis=1).to_numpy()
            assert all(g is None for g in got[all_empty])
            assert [bool(g) for g in got[~all_empty]] == list(np.asarray(expected)[~all_empty])


# ------------------------------------------------------------------ formats and edge cases (hand-made)


def sites_of(*rows: tuple[str, str]) -> pd.DataFrame:
    """Hand-made site table (edge cases only): (hours, hours_format) per site."""
    return pd.DataFrame({"site_id": [f"t{i}" for i in range(len(rows))],
                         "name": [f"test {i}" for i in range(len(rows))],
                         "hours": [r[0] for r in rows], "hours_format": [r[1] for r in rows]})


REFERENCE = datetime.combine(H.REFERENCE_WEEK, datetime.min.time())
OSM_EXPRESSIONS = [
    "Mo-Fr 08:30-12:00,13:30-17:00; Sa 09:00-12:00",
    "Mo,We,Fr 09:00-18:30; PH off",
    "Tu-Sa 10:00-19:00; Mo 14:00-19:00",
    "Fr 22:00-02:00",
    "24/7",
    "Mo-Fr 09:00-12:00; Sa 10:00+",
    "Mo-Su 07:00-21:00; Su 09:00-12:00",
]


@pytest.mark.parametrize("expression", OSM_EXPRESSIONS)
def test_osm_against_opening_hours_library(expression):
    """open_at equals the library's own is_open at every quarter hour of the reference week."""
    from opening_hours import OpeningHours

    oh = OpeningHours(expression)
    sites = sites_of((expression, "osm"))
    for step in range(0, 7 * 1440, 15):
        moment = REFERENCE + timedelta(minutes=step)
        assert H.open_at(sites, step // 1440, step % 1440)[0] is oh.is_open(moment), (expression, moment)


def test_osm_unknown_and_unreadable():
    sites = sites_of(("Mo-Fr 09:00-12:00; We unknown", "osm"), ("lundi 9h-12h", "osm"), ("", "osm"),
                     ("Mo-Fr 09:00-17:00", "weird"))
    assert list(H.open_at(sites, WED, hm("10:00"))) == [None, None, None, None]
    assert list(H.open_at(sites, TUE, hm("10:00"))) == [True, None, None, None]
    assert list(H.open_at(sites, TUE, hm("14:00"))) == [False, None, None, None]
    report = H.hours_report(sites)
    assert list(report["status"]) == [H.STATUS_KNOWN, H.STATUS_UNPARSED, H.STATUS_MISSING, H.STATUS_UNPARSED]
    assert "opening_hours" in report["reason"][1]
    assert "weird" in report["reason"][3]


def test_osm_seasonal_rules_are_flagged():
    hours = H.parse_osm("Jul-Aug Mo-Fr 10:00-12:00; Sep-Jun Mo-Fr 09:00-17:00")
    assert hours.open[0] == (0, hm("09:00"), hm("17:00"))
    assert any("variables selon la période" in n for n in hours.notes)
    assert not H.parse_osm("Mo-Fr 09:00-17:00").notes


def test_france_services_and_mairie_edge_cases():
    fs_text = json.dumps({"lundi": "08:00 - 12:00", "mardi": "9h00 - 12h30 / 14h - 17h", "mercredi": ""})
    bad_fs = json.dumps({"lundi": "08:00 à midi"})
    backwards = json.dumps({"lundi": "17:00 - 09:00"})
    wrap = json.dumps([["samedi", "lundi", [["10:00:00", "12:00:00"]]]])
    sites = sites_of((fs_text, "france_services"), (bad_fs, "france_services"), (backwards, "france_services"),
                     (wrap, "mairie_json"), ("[]", "mairie_json"), ("{not json", "mairie_json"))
    assert list(H.open_at(sites, TUE, hm("14:30"))) == [True, None, None, False, None, None]
    assert list(H.open_at(sites, SUN, hm("11:00"))) == [False, None, None, True, None, None]
    assert list(H.open_at(sites, MON, hm("11:00"))) == [True, None, None, True, None, None]
    assert list(H.open_at(sites, TUE, hm("11:00"))) == [True, None, None, False, None, None]
    status = list(H.hours_report(sites)["status"])
    assert status == [H.STATUS_KNOWN, H.STATUS_UNPARSED, H.STATUS_UNPARSED, H.STATUS_KNOWN, H.STATUS_MISSING,
                      H.STATUS_UNPARSED]


@pytest.mark.parametrize("text, expected", [
    ("mardi 18:00", (1, 1080)), ("Tuesday 18:00", (1, 1080)), ("sam. 10h", (5, 600)),
    ("Mercredi 9h30", (2, 570)), ("dimanche 0:00", (6, 0)), ("fri 23:59", (4, 1439)),
    ((3, 600), (3, 600)), (datetime(2025, 10, 9, 14, 45), (3, 885)),
])
def test_parse_when(text, expected):
    assert moments.parse_when(text) == expected


@pytest.mark.parametrize("text", ["mardo 18:00", "mardi", "mardi 25:00", "mardi 24:00", "18:00", "lundi 12:75"])
def test_parse_when_rejects(text):
    with pytest.raises(InputError) as err:
        moments.parse_when(text)
    assert err.value.column == "--at"


# ------------------------------------------------------------------ coverage at a moment (demo territory)


def test_coverage_at_keeps_only_open_sites(demo_study, demo_routing, demo_result):
    result = lens.coverage_at(demo_study, demo_routing, "mardi 18:00")
    open_now = H.open_at(demo_study.sites, TUE, hm("18:00"))
    assert result.summary["sites_open"] == int(sum(o is True for o in open_now)) == len(result.sites)
    assert set(result.sites["site_id"]) == set(demo_study.sites.loc[[o is True for o in open_now], "site_id"])
    assert result.summary["sites_open"] + result.summary["sites_closed"] + result.summary["sites_hours_unknown"] == 32
    # Same figures as routing the open sites from scratch.
    fresh = run_coverage(demo_study.with_sites(demo_study.sites.loc[[o is True for o in open_now]]), 30.0)
    np.testing.assert_allclose(result.units["time_min"], fresh.units["time_min"])
    assert result.summary["share_covered"] == pytest.approx(fresh.summary["share_covered"])
    assert result.summary["share_covered"] < demo_result.summary["share_covered"]
    # Reusing the routing or not gives the same answer.
    again = lens.coverage_at(demo_study, None, (TUE, hm("18:00")))
    np.testing.assert_allclose(again.units["time_min"], result.units["time_min"])


def test_coverage_at_tuesday_morning_and_sunday(demo_study, demo_routing, demo_result):
    morning = lens.coverage_at(demo_study, demo_routing, "mardi 10:00")
    assert morning.summary["sites_open"] > 20
    assert np.all(morning.units["time_min"].to_numpy() >= demo_result.units["time_min"].to_numpy() - 1e-9)
    sunday = lens.coverage_at(demo_study, demo_routing, "dimanche 11:00")
    assert sunday.summary["sites_open"] == 0
    assert sunday.summary["population_covered"] == 0
    assert sunday.summary["share_covered"] == 0
    assert lens.coverage_at(demo_study, None, "sunday 11:00").summary["population_covered"] == 0


def test_unknown_hours_reported_apart(demo_study, demo_routing):
    # Edge case: blank the hours of the Saint-Brieuc France Services (hand-made change of real data).
    sites = demo_study.sites.copy()
    target = (sites["name"] == "France services Saint-Brieuc").to_numpy()
    sites.loc[target, "hours"] = ""
    study = demo_study.with_sites(sites)
    result = lens.coverage_at(study, demo_routing, "mardi 10:00")
    assert result.summary["sites_hours_unknown"] == 1
    assert "France services Saint-Brieuc" not in set(result.sites["name"])
    notice = [n for n in result.notices if n.code == "hours_unknown"]
    assert len(notice) == 1 and notice[0].count == 1 and "Saint-Brieuc" in notice[0].message
    # Upper bound: as if it were open, which it really is on Tuesday at 10:00.
    real = lens.coverage_at(demo_study, demo_routing, "mardi 10:00")
    assert result.summary["share_covered_if_unknown_open"] == pytest.approx(real.summary["share_covered"])
    assert result.summary["share_covered"] <= real.summary["share_covered"]


def test_workers_summary(demo_study, demo_routing, demo_result):
    table = lens.workers_summary(demo_study, demo_routing, 30.0, demo_result)
    total = table[table["commune"] == TOTAL_CODE].iloc[0]
    workers = lens.coverage_for_workers(demo_study, demo_routing, 30.0)
    assert total["population_share_all_hours"] == pytest.approx(demo_result.summary["share_covered"])
    assert total["population_share_workers_hours"] == pytest.approx(workers.summary["share_covered"])
    assert len(table) == demo_result.communes.shape[0] + 1
    assert (table["population_gap"] >= -1e-12).all()  # fewer sites can only cover fewer people
    # Per-commune figures add up to the total.
    body = table[table["commune"] != TOTAL_CODE]
    assert (body["population"] * body["population_share_workers_hours"]).sum() == pytest.approx(
        workers.summary["population_covered"])


# ------------------------------------------------------------------ car versus foot


def test_compare_modes_demo(demo_study, demo_result):
    from access30.inputs.assemble import load_study

    walk = run_coverage(load_study(mode="walk"), 30.0)
    table = compare_modes(demo_result, walk)
    total = table[table["commune"] == TOTAL_CODE].iloc[0]
    assert total["population_share_drive"] == pytest.approx(demo_result.summary["share_covered"])
    assert total["population_share_walk"] == pytest.approx(walk.summary["share_covered"])
    assert total["population_share_walk"] < total["population_share_drive"]
    # Same residents, walking is slower everywhere on this network.
    assert np.all(walk.units["time_min"].to_numpy() >= demo_result.units["time_min"].to_numpy() - 1e-9)
    assert (table["population_gap"] >= -1e-12).all()
    with pytest.raises(ValueError):
        compare_modes(walk, demo_result)


def test_compare_results_equity_columns():
    """Hand-made fixture: four units in two communes with equity counts, shares computed by hand."""
    from types import SimpleNamespace

    from access30.coverage.result import CoverageResult

    def result(status, mode):
        units = pd.DataFrame({
            "unit_id": ["a", "b", "c", "d"], "commune": ["1", "1", "2", "2"],
            "population": [100.0, 50.0, 30.0, 20.0], "poor_households": [10.0, 30.0, 0.0, 0.0],
            "single_parent_households": [2.0, 2.0, 1.0, 3.0], "elderly_65p": [20.0, 0.0, 5.0, 5.0],
            "status": status})
        communes = pd.DataFrame({"commune": ["1", "2"], "nom": ["Un", "Deux"]})
        return CoverageResult(units=units, sites=None, communes=communes, epci=pd.DataFrame(), equity=pd.DataFrame(),
                              summary=SimpleNamespace(travel_mode=mode), notices=[], threshold_min=30.0)

    drive = result(["covered", "covered", "covered", "uncovered"], "drive")
    walk = result(["covered", "uncovered", "no_road", "uncovered"], "walk")
    table = compare_modes(drive, walk).set_index("commune")
    assert list(table.index) == ["1", "2", TOTAL_CODE]  # commune 1 loses 50 people on foot, commune 2 loses 30
    assert table.loc["1", "nom"] == "Un"
    assert table.loc["1", "poor_households_share_drive"] == pytest.approx(1.0)
    assert table.loc["1", "poor_households_share_walk"] == pytest.approx(10 / 40)
    assert np.isnan(table.loc["2", "poor_households_share_drive"])  # no poor household there
    assert table.loc["2", "elderly_65p_share_drive"] == pytest.approx(0.5)
    assert table.loc["2", "elderly_65p_share_walk"] == pytest.approx(0.0)
    assert table.loc[TOTAL_CODE, "single_parent_households_share_walk"] == pytest.approx(2 / 8)
    assert table.loc[TOTAL_CODE, "population_gap"] == pytest.approx((180 - 100) / 200)
    with pytest.raises(ValueError):
        compare_results(drive, result(["covered"] * 4, "walk").__class__(
            units=walk.units.iloc[::-1], sites=None, communes=walk.communes, epci=None, equity=None,
            summary={}, notices=[], threshold_min=30.0))


# ------------------------------------------------------------------ command line


def test_cli_at_and_workers_hours(tmp_path):
    from access30.cli import main

    # Commune populations at their town halls (--demand mairies) keep the run short.
    runs = {"at": ["--at", "mardi 18:00"], "workers": ["--workers-hours"], "all": []}
    data = {}
    for key, extra in runs.items():
        summary = tmp_path / f"{key}.json"
        assert main(["coverage", "--demand", "mairies", "--out", str(tmp_path / f"{key}.gpkg"),
                     "--summary", str(summary), "--quiet", *extra]) == 0
        data[key] = json.loads(summary.read_text())
    assert "mardi à 18:00" in json.dumps(data["at"], ensure_ascii=False)
    assert "actifs" in json.dumps(data["workers"], ensure_ascii=False)
    assert data["at"]["sites_total"] < data["workers"]["sites_total"] < data["all"]["sites_total"] == 32
    assert data["at"]["share_covered"] <= data["workers"]["share_covered"] <= data["all"]["share_covered"]
    assert main(["coverage", "--out", str(tmp_path / "x.gpkg"), "--at", "mardo 18:00", "--quiet"]) == 2


@pytest.mark.parametrize("lens", [["--at", "mardi 18:00"], ["--workers-hours"]])
def test_a_site_list_without_hours_cannot_answer_a_moment(tmp_path, capsys, lens):
    """The planner's own list has no hours column: a moment cannot be answered (never « 0,0 % couverts »)."""
    from access30.cli import main
    from tests import input_files as F

    code = main(["coverage", *F.NETWORK_OPTIONS, "--population", str(F.population_points_csv(tmp_path)),
                 "--population-column", "population_municipale", "--sites", str(F.sites_csv_english(tmp_path)),
                 "--out", str(tmp_path / "x.gpkg"), "--quiet", *lens])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "aucun lieu d'accueil n'a d'horaires d'ouverture lisibles (29 lieux lus)" in err
    assert "colonne « horaires »" in err and not (tmp_path / "x.gpkg").exists()


def test_a_planner_list_with_hours_in_french_or_osm_syntax(tmp_path, capsys):
    """Hours typed in the planner's own list, in French text or in OpenStreetMap syntax, both count."""
    from access30.cli import main
    from tests import input_files as F

    sites = pd.read_csv(F.sites_csv_english(tmp_path))
    texts = ["du lundi au vendredi de 9h à 12h et de 14h à 17h", "Mo-Fr 08:30-12:00,13:30-17:00",
             "lundi, mercredi et vendredi 8h30-12h ; samedi 9h-12h", "Lun-Ven 17h-19h", "Sur rendez-vous"]
    sites["horaires"] = [texts[i % len(texts)] for i in range(len(sites))]
    path = tmp_path / "lieux_horaires.csv"
    sites.to_csv(path, index=False)
    summary = tmp_path / "s.json"
    code = main(["coverage", *F.NETWORK_OPTIONS, "--population", str(F.population_points_csv(tmp_path)),
                 "--population-column", "population_municipale", "--sites", str(path),
                 "--out", str(tmp_path / "x.gpkg"), "--summary", str(summary), "--quiet", "--at", "mardi 18:00"])
    assert code == 0, capsys.readouterr().err
    hours = json.loads(summary.read_text(encoding="utf-8"))  # the hours lens keys, flattened
    unknown = sum(1 for i in range(len(sites)) if i % len(texts) == 4)
    open_at_18 = sum(1 for i in range(len(sites)) if i % len(texts) == 3)  # only « Lun-Ven 17h-19h »
    assert (hours["sites_open"], hours["sites_hours_unknown"]) == (open_at_18, unknown)
