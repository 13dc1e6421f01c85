"""``access30 tour`` and ``--walk-in``/``--wait`` end to end on the demo, outputs read back as a planner would.

The issue's « done when »: the round on foot written with ``--schedule-out``, given back to ``access30
coverage --sites … --sites-builtin france_services,mairies``, covers the promised population within one
resident. The GeoPackage, the JSON, the workbook and the PDF (its text through ``pdftotext``) are
opened and checked: each stop serves someone, near it, and every figure is the plan's.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import openpyxl
import pyogrio
import pytest

from access30.cli import main
from access30.cli.parser import build_parser
from access30.cli.tour import TOUR_OUTPUTS
from access30.network.modes import get_mode

DEMO = ["--territory", "st-brieuc-loudeac"]


@pytest.fixture(scope="module")
def walk_tour(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tour")
    paths = {name: folder / name for name in ("t.gpkg", "t.json", "p.csv", "t.xlsx", "t.pdf")}
    code = main(["tour", *DEMO, "--mode", "walk", "--half-days", "4", "--out", str(paths["t.gpkg"]),
                 "--summary", str(paths["t.json"]), "--schedule-out", str(paths["p.csv"]),
                 "--xlsx", str(paths["t.xlsx"]), "--pdf", str(paths["t.pdf"]), "--quiet"])
    assert code == 0
    return paths, json.loads(paths["t.json"].read_text(encoding="utf-8"))["tour"]


def test_the_schedule_given_back_to_coverage_covers_the_promised_population(walk_tour, tmp_path):
    paths, tour = walk_tour
    assert tour["optimal"] and tour["gap"] == 0.0 and len(tour["stops"]) == 4
    summary = tmp_path / "c.json"
    assert main(["coverage", *DEMO, "--mode", "walk", "--sites", str(paths["p.csv"]), "--sites-builtin",
                 "france_services,mairies", "--out", str(tmp_path / "c.gpkg"), "--summary", str(summary),
                 "--quiet"]) == 0
    covered = json.loads(summary.read_text(encoding="utf-8"))["population_covered"]
    assert covered == pytest.approx(tour["population_covered_after"], abs=1.0)
    assert tour["population_covered_after"] > tour["population_covered_before"] + 1000


def test_the_json_says_each_stop_and_what_it_counts(walk_tour):
    paths, tour = walk_tour
    for stop in tour["stops"]:
        for key in ("day", "half_day", "name", "lon", "lat", "drive_from_base_min", "population_newly_covered",
                    "population_nearest", "communes_served"):
            assert stop[key] not in (None, ""), key
        assert stop["hours"]["fr"].startswith(stop["day"]) and stop["hours"]["osm"][:2] in ("Mo", "Tu", "We", "Th")
        assert stop["drive_from_base_min"] <= 60 and stop["population_nearest"] > 0  # each stop serves someone
    assert sum(s["population_newly_covered"] for s in tour["stops"]) == pytest.approx(tour["population_newly_covered"])
    assert tour["wait_after"]["population_in_reach"] == pytest.approx(tour["population_covered_after"])
    assert tour["wait_before"]["population_in_reach"] == pytest.approx(tour["population_covered_before"])
    assert {"population_covered_before", "stops.population_nearest"} <= set(tour["definitions"])
    assert json.loads(paths["t.json"].read_text(encoding="utf-8"))["run"]["command"] == "tour"


def test_the_geopackage_stops_routes_and_the_cells_each_stop_serves_near_it(walk_tour):
    paths, tour = walk_tour
    gpkg = paths["t.gpkg"]
    assert {"arrets_tournee", "trajets_equipe", "carreaux_servis", "base_equipe", "run"} <= {
        name for name, _ in pyogrio.list_layers(gpkg)}
    stops = pyogrio.read_dataframe(gpkg, layer="arrets_tournee")
    routes = pyogrio.read_dataframe(gpkg, layer="trajets_equipe")
    cells = pyogrio.read_dataframe(gpkg, layer="carreaux_servis")
    assert len(stops) == 4 and len(routes) == 2  # two days, a morning and an afternoon stop each
    assert cells.loc[cells["newly_covered"] == 1, "population"].sum() == pytest.approx(tour["population_newly_covered"])
    assert set(cells["stop"]) == set(stops["order"])  # every stop is the nearest of some residents
    assert (cells["time_min"] <= 30 + 0.01).all()
    # Near: on foot within 30 min, nobody is farther, as the crow flies, than 30 min at the fastest walking pace.
    metres = cells.to_crs(2154).geometry.centroid
    located = stops.set_index("order").to_crs(2154).geometry
    distance = metres.distance(located.reindex(cells["stop"]).reset_index(drop=True))
    fastest = max(get_mode("walk").access_speed_kmh, 5.0) * 1000 / 60  # metres a minute
    assert distance.max() <= 30 * fastest + 200  # 200 m: half a cell's diagonal and the stop's join
    assert np.isclose(cells.groupby("stop")["population"].sum().sort_index().to_numpy(),
                      stops.sort_values("order")["population_nearest"].to_numpy()).all()


def test_the_workbook_and_the_pdf_read_as_a_planner_reads_them(walk_tour):
    paths, tour = walk_tour
    book = openpyxl.load_workbook(paths["t.xlsx"])
    assert book.sheetnames == ["Tournée", "Emploi du temps", "Arrêts", "Attente", "Paramètres du calcul"]
    schedule = list(book["Emploi du temps"].values)
    assert len(schedule) == 1 + 4 * 2  # four weeks of the cycle, two working days each
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext absent")
    text = subprocess.run(["pdftotext", "-layout", str(paths["t.pdf"]), "-"], capture_output=True, text=True,
                          check=True).stdout
    for words in ("Présence hors les murs", "Emploi du temps sur les quatre semaines", "Semaine du cycle",
                  "Attente d'une ouverture — avec la tournée", "Communes servies", "optimum prouvé"):
        assert words in text, words
    for stop in tour["stops"]:
        assert stop["name"] in text


def test_a_round_with_nobody_to_bring_within_reach_says_so(tmp_path, capsys):
    """By car at 30 min the demo covers everyone: no stop, said, never an empty list of stops."""
    summary = tmp_path / "t.json"
    assert main(["tour", *DEMO, "--out", str(tmp_path / "t.gpkg"), "--summary", str(summary)]) == 0
    printed = capsys.readouterr().out
    assert "Arrêts : aucun proposé" in printed and "Arrêts (+" not in printed
    assert "personne à couvrir : tous les habitants sont déjà à portée d'un lieu existant" in printed
    tour = json.loads(summary.read_text(encoding="utf-8"))["tour"]
    assert tour["stops"] == [] and tour["population_covered_after"] == tour["population_covered_before"]


def test_walk_in_and_wait_on_coverage(tmp_path, capsys):
    out, summary = tmp_path / "w.gpkg", tmp_path / "w.json"
    assert main(["coverage", *DEMO, "--mode", "walk", "--walk-in", "--wait", "--out", str(out), "--summary",
                 str(summary)]) == 0
    printed = capsys.readouterr().out
    assert "Attente d'une ouverture (horaires sans rendez-vous" in printed and "90e centile" in printed
    data = json.loads(summary.read_text(encoding="utf-8"))
    wait = data["wait"]
    assert wait["walk_in"] and wait["population_in_reach"] == pytest.approx(data["population_covered"])
    assert wait["share_weekly"] == pytest.approx(1.0) and 0 < wait["mean_wait_days"] < wait["p90_wait_days"] < 3
    assert "mean_wait_days" in wait["definitions"] and wait["communes"]
    cells = pyogrio.read_dataframe(out, layer="cells")
    reached = cells["wait_frequency"] == "chaque semaine"
    assert cells.loc[reached, "population"].sum() == pytest.approx(wait["population_in_reach"])
    assert "attente_communes" in {name for name, _ in pyogrio.list_layers(out)}


def test_refusals_before_anything_is_computed(tmp_path, capsys):
    out = tmp_path / "r.gpkg"
    (tmp_path / "c.csv").write_text("identifiant,nom,longitude,latitude\n", encoding="utf-8")  # handmade, read
    cases = [
        (["tour", *DEMO, "--half-days", "15"], "--half-days", "au plus 14"),
        (["tour", *DEMO, "--half-days", "0"], "--half-days", "impossible"),
        (["tour", *DEMO, "--stop-hours", "5"], "--stop-hours", "de 0,5 à 4"),
        (["tour", *DEMO, "--candidates", ","], "--candidates", "aucun lieu candidat"),
        (["tour", *DEMO, "--candidates", str(tmp_path / "nope.csv")], "--candidates", "introuvable"),
        (["tour", *DEMO, "--max-drive-min", "0"], "--max-drive-min", "positif"),
        (["tour", *DEMO, "--max-cells", "10"], "--max-cells", "cells"),
        (["tour", *DEMO, "--sectors", str(tmp_path / "s.csv")], "--sectors", "tour"),
        (["tour", *DEMO, "--candidates", str(tmp_path / "c.csv"), "--schedule-out", str(tmp_path / "c.csv")],
         "--schedule-out", "fichier lu"),
        (["tour", *DEMO, "--mode", "transit", "--gtfs", "x.zip"], "--mode", "la tournée"),
        (["coverage", *DEMO, "--mode", "transit", "--gtfs", "x.zip", "--wait"], "--wait", "transports en commun"),
        (["coverage", *DEMO, "--walk-in", "--capacity", "hours"], "--capacity", "--walk-in"),
    ]
    for args, option, words in cases:
        assert main([*args, "--out", str(out), "--quiet"]) == 2, args
        error = capsys.readouterr().err
        assert option in error and words in error and "Traceback" not in error, (args, error)
        assert not out.exists()


def test_walk_in_and_wait_without_readable_hours_are_refused(tmp_path, capsys):
    sites = tmp_path / "handmade_sites_sans_horaires.csv"
    sites.write_text("identifiant,nom,type,longitude,latitude\nx1,Lieu A,ccas,-2.76,48.51\n", encoding="utf-8")
    for option, words in (("--walk-in", "horaires_sans_rdv"), ("--wait", "attente")):
        code = main(["coverage", *DEMO, "--sites", str(sites), "--sites-builtin", "", option,
                     "--out", str(tmp_path / "n.gpkg"), "--quiet"])
        error = capsys.readouterr().err
        assert code == 2 and words in error and option in error, error
        assert not (tmp_path / "n.gpkg").exists()


def test_every_output_of_the_command_is_an_option_of_its_parser():
    args = build_parser().parse_args(["tour", *DEMO, "--base=-2.76,48.51", "--out", "t.gpkg"])
    assert args.base == "-2.76,48.51"
    assert all(hasattr(args, attribute) for attribute, _ in TOUR_OUTPUTS.values())


def test_rerun_makes_the_same_round_again(walk_tour):
    paths, tour = walk_tour
    assert main(["rerun", str(paths["t.json"]), "--quiet"]) == 0
    again = json.loads(paths["t.json"].with_name("t-relance.json").read_text(encoding="utf-8"))
    assert again["run"]["command"] == "tour" and again["run"]["arguments"]["rerun_of"]
    assert again["tour"]["stops"] == tour["stops"]
    for name in ("t-relance.gpkg", "p-relance.csv", "t-relance.xlsx", "t-relance.pdf"):
        assert (paths["t.json"].parent / name).exists(), name
