"""The command line end to end on real data: outputs read back and checked against the summary."""

import json

import pandas as pd
import pyogrio
import pytest

from access30.cli import main
from tests.paths import DEMO_AREA, REPO


def test_demo_writes_gpkg_and_summary(tmp_path, capsys):
    assert main(["demo", "--out-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    from datetime import date

    stem = f"access30_st-brieuc-loudeac_30min_{date.today().isoformat()}"  # territory, threshold, date
    summary = json.loads((tmp_path / f"{stem}.json").read_text())
    for key in ["population_total", "population_covered", "share_covered", "threshold_min", "cells_total",
                "cells_no_road", "sites_total", "network_nodes", "network_edges"]:
        assert key in summary
    gpkg = tmp_path / f"{stem}.gpkg"
    layers = {name for name, _ in pyogrio.list_layers(gpkg)}
    assert {"cells", "sites", "communes", "epci"} <= layers
    cells = pyogrio.read_dataframe(gpkg, layer="cells")
    assert len(cells) == summary["cells_total"]
    assert cells["population"].sum() == pytest.approx(summary["population_total"])
    assert cells.loc[cells["covered"] == 1, "population"].sum() == pytest.approx(summary["population_covered"])
    assert (cells["status"] == "sans accès routier").sum() == summary["cells_no_road"]
    assert cells.crs.to_epsg() == 2154
    sites = pyogrio.read_dataframe(gpkg, layer="sites")
    assert len(sites) == summary["sites_total"]
    communes = pyogrio.read_dataframe(gpkg, layer="communes")
    assert communes["covered"].sum() == pytest.approx(summary["population_covered"])
    # The terminal says what the figures are.
    share = f"{100 * summary['share_covered']:.1f}".replace(".", ",")
    assert share in out and "réseau partiel (routes principales)" in out and "modélisé" in out
    # Everyone within 30 min by car: said plainly, with where zones blanches show (issue 27).
    assert "Saint-Brieuc – Loudéac (Côtes-d'Armor, 42 communes)" in out
    assert summary["population_total"] == summary["population_covered"] == pytest.approx(154_995)
    assert ("Personne n'est au-delà de 30 min en voiture : aucune zone blanche à ce seuil. À 25 min, 600 habitants "
            "seraient au-delà (--threshold).") in out
    assert "à pied (--mode walk)" in out and "(--workers-hours)" in out
    assert "24\u202f779" not in out and "27\u202f354 carreaux ou morceaux de carreaux (modélisés)" in out


def test_demo_at_20_minutes_names_the_communes_beyond(tmp_path, capsys):
    """At 20 min the demo has zones blanches: no « Personne n'est au-delà », the communes named with true counts
    (Uzel: all its 1,046 inhabitants, never more)."""
    assert main(["coverage", "--territory", "st-brieuc-loudeac", "--threshold", "20",
                 "--out", str(tmp_path / "x.gpkg")]) == 0
    out = capsys.readouterr().out
    assert "Personne n'est au-delà" not in out
    assert "Population couverte (≤ 20 min, seuil inclus) : 152\u202f818 soit 98,6 %" in out
    assert ("Communes avec le plus d'habitants non couverts : Uzel 1\u202f046 ; Allineuc 395 ; Saint-Thélo 279 ; "
            "Penguily 170 ; Saint-Hervé 107") in out


def test_coverage_with_user_files(tmp_path, shared_data, capsys):
    """Commune polygons of the demo area with a population column, national lists of the département."""
    import geopandas as gpd

    communes = gpd.read_file(shared_data / "cotes_darmor" / "communes_22.gpkg")
    area = pd.read_csv(DEMO_AREA, dtype=str)["code"]
    polygons = tmp_path / "communes_demo_area.gpkg"  # the 42 real communes of the demo area
    communes[communes["code"].astype(str).isin(area)].to_file(polygons)
    out = tmp_path / "couverture.gpkg"
    code = main(["coverage", "--network", str(shared_data / "osm" / "st_brieuc_loudeac.osm.pbf"),
                 "--partial-network", "--max-access-m", "12000",
                 "--population", str(polygons), "--population-column", "population_municipale",
                 "--sites-builtin", "france_services,mairies", "--departement", "22",
                 "--threshold", "20", "--out", str(out), "--summary", str(tmp_path / "s.json"), "--quiet"])
    assert code == 0
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["threshold_min"] == 20
    assert summary["population_total"] == pytest.approx(154_995)  # the 42 communes, spread over a grid
    assert summary["population_modelled"] and "modélisé" in summary["population_label"]
    # The six of the demo area plus three within 12 km of the extract's convex hull.
    assert summary["sites_by_type"]["france_services"] == 9
    cells = pyogrio.read_dataframe(out, layer="cells")
    assert cells.loc[cells["covered"] == 1, "population"].sum() == pytest.approx(summary["population_covered"])


def test_population_far_beyond_the_network_is_said_with_the_figures(tmp_path, shared_data, capsys):
    """All of 22 with a network of its middle: the result says first how many people lie outside."""
    summary = tmp_path / "s.json"
    code = main(["coverage", "--network", str(shared_data / "osm" / "st_brieuc_loudeac.osm.pbf"),
                 "--partial-network", "--max-access-m", "12000",
                 "--population", str(shared_data / "cotes_darmor" / "communes_22.gpkg"),
                 "--population-column", "population_municipale", "--departement", "22",
                 "--out", str(tmp_path / "x.gpkg"), "--summary", str(summary)])
    out = capsys.readouterr().out
    assert code == 0
    warning = "347 831 habitants sur 598 814 (58,1 %, communes_22.gpkg) sont hors de l'emprise du réseau routier"
    assert out.index(warning) < out.index("Population couverte (≤")  # before the figures
    assert warning in json.loads(summary.read_text())["notices"][0]


def test_missing_file_is_a_clear_error(tmp_path, capsys):
    code = main(["coverage", "--network", str(tmp_path / "absent.osm.pbf"),
                 "--population", str(tmp_path / "absent.csv"), "--out", str(tmp_path / "x.gpkg")])
    err = capsys.readouterr().err
    assert code == 2
    assert "absent" in err and "Traceback" not in err


def test_unknown_territory(tmp_path, capsys):
    assert main(["coverage", "--territory", "atlantide", "--out", str(tmp_path / "x.gpkg")]) == 2
    assert "st-brieuc-loudeac" in capsys.readouterr().err


def test_an_output_never_replaces_an_input(tmp_path, capsys):
    """``--out`` naming the file given to ``--communes`` is refused before anything is written."""
    from tests import input_files as F

    outlines = F.population_polygons_gpkg(tmp_path)
    before = outlines.read_bytes()
    code = main(["coverage", *F.NETWORK_OPTIONS, "--population", str(F.population_points_csv(tmp_path)),
                 "--population-column", "population_municipale", "--sites", str(F.sites_csv_english(tmp_path)),
                 "--communes", str(outlines), "--out", str(outlines), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "le fichier de sortie est aussi un fichier lu (--communes)" in err
    assert outlines.read_bytes() == before


def test_output_piped_into_a_reader_that_stops_is_not_an_error(tmp_path):
    """« access30 sites … | head -1 »: the reader closes the pipe; no traceback, exit status 0."""
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-m", "access30.cli", "sites", "--departement", "22", "--out",
                                str(tmp_path / "lieux.csv")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               cwd=REPO)
    process.stdout.close()  # the reader is gone before the first line is printed
    err = process.stderr.read().decode()
    assert process.wait(timeout=300) == 0 and "Traceback" not in err and "BrokenPipe" not in err, err
