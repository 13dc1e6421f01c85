"""Convention-ready exports: every produced file is opened again and checked against the computation.

Runs on the offline demo (Saint-Brieuc – Loudéac) at 20 min by car, where it has zones blanches, with a
real suggestion (maximum coverage, 2 new sites among the town halls), so that every layer, sheet and
report section is exercised; at 30 min by car the demo covers everyone, and the outputs say so
(test_outputs_when_nobody_is_beyond_say_so).
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from openpyxl import load_workbook
from PIL import Image
from pypdf import PdfReader

from access30.base.errors import InputError
from access30.base.record import read_record
from access30.cli import main
from access30.coverage.engine import evaluate, route
from access30.coverage.options import CoverageOptions, RunOptions
from access30.coverage.rules import class_colours, class_labels, time_class
from access30.coverage.run import begin_record
from access30.inputs.assemble import StudyRequest, load_study
from access30.outputs.export import uncovered_zones, write_gpkg
from access30.outputs.maps import png_bytes, write_png
from access30.outputs.report import fr_pct, pdf_bytes, write_pdf
from access30.outputs.tables import SHEETS, write_csv_tables, write_xlsx, xlsx_bytes
from access30.suggest.candidates import build_candidates
from access30.suggest.suggestion import suggest_sites

DAY = date(2025, 1, 15)
#: The threshold of the module's demo outputs: 2,177 people beyond it, in several zones.
T = 20.0


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    study = load_study("st-brieuc-loudeac")
    routing = route(study)
    result = evaluate(study, routing, T)
    candidates, _ = build_candidates(study, ("mairies",))
    suggestion = suggest_sites(study, routing, "maxcover", 2, T, candidates=candidates)
    out = tmp_path_factory.mktemp("report")
    zones = uncovered_zones(result, study.communes)
    record = begin_record("report", RunOptions(StudyRequest(territory="st-brieuc-loudeac"),
                                               CoverageOptions(threshold_min=T)),
                          argv=["access30", "report", "--out-dir", str(out)]).add_study(study).finish()
    write_gpkg(result, out / "couverture.gpkg", study.communes, suggestion=suggestion, record=record)
    write_xlsx(result, out / "tableaux.xlsx", study, suggestion, zones, DAY, record)
    write_csv_tables(result, out, study, suggestion, zones, DAY, record)
    write_png(result, out / "carte.png", study, 900, 700, suggestion)
    write_pdf(result, out / "rapport.pdf", study, suggestion, report_date=DAY, zones=zones, record=record)
    return study, result, suggestion, zones, out


def not_covered(result) -> float:
    return float(result.summary["population_uncovered"] + result.summary["population_no_road"])


# --- GeoPackage -------------------------------------------------------------------------------

def test_gpkg_layers_open_cleanly_and_sum_to_the_summary(demo):
    study, result, suggestion, _, out = demo
    path = out / "couverture.gpkg"
    layers = dict(pyogrio.list_layers(path))
    assert set(layers) == {"cells", "sites", "communes", "epci", "zones_non_couvertes", "suggestions", "run"}
    assert layers["run"] is None  # a table: how the result was made (test_run_record_in_every_output)
    for name in (name for name in layers if name != "run"):
        info = pyogrio.read_info(path, layer=name)
        assert info["crs"] is not None, name
        assert all(len(f) <= 30 for f in info["fields"]), name
        frame = gpd.read_file(path, layer=name, engine="pyogrio")
        assert frame.geom_type.nunique() == 1, (name, frame.geom_type.unique())
    s = result.summary
    cells = gpd.read_file(path, layer="cells", engine="pyogrio")
    assert cells["population"].sum() == pytest.approx(s["population_total"], rel=1e-9)
    assert cells.loc[cells["covered"] == 1, "population"].sum() == pytest.approx(s["population_covered"], rel=1e-9)
    communes = gpd.read_file(path, layer="communes", engine="pyogrio")
    assert communes["not_covered"].sum() == pytest.approx(not_covered(result), rel=1e-9)
    epci = gpd.read_file(path, layer="epci", engine="pyogrio")
    assert epci["covered"].sum() == pytest.approx(s["population_covered"], rel=1e-9)
    suggested = gpd.read_file(path, layer="suggestions", engine="pyogrio")
    assert len(suggested) == len(suggestion.suggested) >= 1
    assert suggested["population_newly_covered"].sum() == pytest.approx(
        suggestion.population_covered_after - suggestion.population_covered_before, rel=1e-6)


def test_uncovered_zones_are_the_dissolved_uncovered_cells(demo):
    _, result, _, _, out = demo
    s = result.summary
    zones = gpd.read_file(out / "couverture.gpkg", layer="zones_non_couvertes", engine="pyogrio")
    assert (zones.geom_type == "Polygon").all()
    assert zones["population"].sum() == pytest.approx(not_covered(result), rel=1e-9)
    no_road = zones["status"] == "sans accès routier"
    assert zones.loc[no_road, "population"].sum() == pytest.approx(s["population_no_road"], rel=1e-9)
    assert zones["units"].sum() == s["cells_uncovered"] + s["cells_no_road"]
    # Independent geometry check: the zones cover exactly the union of the uncovered cells, and two
    # zones of the same status never touch (otherwise they would have been merged).
    out_cells = result.units[result.units["status"] != "covered"]
    assert zones.union_all().symmetric_difference(out_cells.union_all()).area < 1.0
    for status, part in zones.groupby("status"):
        geoms = part.geometry.to_list()
        for i in range(len(geoms)):
            for j in range(i + 1, len(geoms)):
                assert geoms[i].distance(geoms[j]) > 0 or geoms[i].intersection(geoms[j]).length == 0
    assert list(zones["population"]) == sorted(zones["population"], reverse=True)


@pytest.mark.parametrize("threshold", [5.0, 10.0])
def test_zones_of_whole_communes_are_those_of_their_cells(demo, threshold):
    """Communes uncovered as a whole merge as their shape (:func:`commune_shapes`): the same zones, figures and
    outlines as the cells merged one by one; the EPCI made of commune shapes are those of their cells."""
    from access30.outputs.export import commune_shapes, dissolve_units, epci_shapes

    study = demo[0]
    result = evaluate(study, route(study), threshold)
    shapes = commune_shapes(result.units)
    out = result.units[result.units["status"] != "covered"]
    counts = out["commune"].value_counts()
    whole = [c for c, n in counts.items() if n == int(shapes.set_index("commune").loc[c, "units"])]
    assert whole, "no commune uncovered as a whole: the case is not exercised"
    fast, slow = uncovered_zones(result, study.communes, shapes), uncovered_zones(result, study.communes)
    assert len(fast) == len(slow)
    columns = ["status", "population", "units", "commune"]
    pd.testing.assert_frame_equal(fast[columns], slow[columns])
    assert fast.union_all().symmetric_difference(slow.union_all()).area < 1.0
    epci = epci_shapes(result.units, shapes).set_index("epci")
    for code, shape in dissolve_units(result.units, "epci").set_index("epci").geometry.items():
        assert epci.geometry[code].symmetric_difference(shape).area < 1.0


def test_zones_keep_the_units_of_no_known_commune(demo):
    """Units whose commune is unknown (NaN) are merged into the zones like the others: the zones still hold every
    uncovered inhabitant."""
    from dataclasses import replace

    from access30.outputs.export import zones_of

    study, result, _, _, _ = demo
    units = result.units.copy()
    out = np.flatnonzero((units["status"] != "covered").to_numpy())[:40]
    units["commune"] = units["commune"].astype(object)
    units.iloc[out, units.columns.get_loc("commune")] = np.nan
    zones = zones_of(replace(result, units=units), study.communes).zones
    assert zones["population"].sum() == pytest.approx(not_covered(result), rel=1e-9)


def test_zones_made_once_give_the_same_files(demo, tmp_path):
    """The zones blanches made once (:func:`zones_of`, as the app and ``report`` do for their files) give the
    GeoPackage the same layers as made inside it; their size is counted for the app's bounded job memory."""
    from access30.outputs.export import zones_of

    study, result, _, zones, _ = demo
    made = zones_of(result, study.communes)
    pd.testing.assert_frame_equal(made.zones.drop(columns="geometry"), zones.drop(columns="geometry"))
    assert made.nbytes > 16 * len(zones)
    write_gpkg(result, tmp_path / "once.gpkg", study.communes, zones=made)
    write_gpkg(result, tmp_path / "inside.gpkg", study.communes)
    for layer in ("communes", "epci", "zones_non_couvertes"):
        once = gpd.read_file(tmp_path / "once.gpkg", layer=layer, engine="pyogrio")
        inside = gpd.read_file(tmp_path / "inside.gpkg", layer=layer, engine="pyogrio")
        pd.testing.assert_frame_equal(once.drop(columns="geometry"), inside.drop(columns="geometry"))
        assert once.geometry.geom_equals(inside.geometry).all(), layer


def test_cells_cut_at_borders_merge_like_the_general_union():
    """A modelled grid's cells and pieces merge fast; pieces GEOS refuses as « incorrectly noded » (a vertex on
    a neighbour's edge, as cutting at two outlines can leave) fall back to the general union, never an error."""
    from shapely.geometry import Polygon, box

    from access30.outputs.export import is_cell_grid, union_of_cells

    whole, piece = box(0, 0, 200, 200), Polygon([(200, 0), (330, 0), (330, 200), (200, 200), (200, 90)])
    parts = np.array([whole, piece, box(0, 200, 200, 400)])
    assert is_cell_grid(parts)
    merged = union_of_cells(parts)
    assert merged.is_valid and merged.area == pytest.approx(200 * 200 * 2 + 130 * 200)
    assert merged.symmetric_difference(parts[0].union(parts[1]).union(parts[2])).area < 1e-6
    assert not is_cell_grid(np.array([box(0, 0, 200, 200), box(0, 0, 500, 10)]))  # wider than a cell


# --- Workbook and CSV -------------------------------------------------------------------------

def test_xlsx_sheets_values_formats_and_frozen_headers(demo):
    study, result, suggestion, zones, out = demo
    wb = load_workbook(out / "tableaux.xlsx")
    assert wb.sheetnames == list(SHEETS)
    for ws in wb:
        assert ws.freeze_panes == "A2", ws.title
        assert ws["A1"].font.bold, ws.title
        assert ws.column_dimensions["A"].width >= 10, ws.title
    syn = {row[0].value: row[1] for row in wb["Synthèse"].iter_rows(min_row=2)}
    share = syn["Part de la population couverte"]
    assert share.value == pytest.approx(result.summary["share_covered"], rel=1e-12)
    assert share.number_format == "0.0%"
    assert syn["Population couverte"].number_format == "#,##0"
    # People are whole numbers in the workbook (modelled populations rounded to the inhabitant).
    assert syn["Population couverte"].value == round(result.summary["population_covered"])
    assert syn["Gain (habitants nouvellement couverts)"].value == round(
        suggestion.population_covered_after - suggestion.population_covered_before)

    ws = wb["Communes"]
    header = [c.value for c in ws[1]]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(result.communes)
    col = {name: i for i, name in enumerate(header)}
    uncovered = [r[col["Population non couverte"]] for r in rows]
    assert all(isinstance(v, int) for v in uncovered)
    assert sum(uncovered) == pytest.approx(not_covered(result), abs=0.5 * len(rows))
    assert uncovered == sorted(uncovered, reverse=True)
    top = result.communes.sort_values("not_covered", ascending=False).iloc[0]
    assert rows[0][col["Commune"]] == top["nom"]
    assert rows[0][col["Part couverte"]] == pytest.approx(top["share_covered"])
    assert ws.cell(row=2, column=col["Part couverte"] + 1).number_format == "0.0%"
    assert ws.cell(row=2, column=col["Temps moyen (min)"] + 1).number_format == "0.0"
    assert isinstance(rows[0][col["Unités de population"]], int)

    zone_rows = list(wb["Zones non couvertes"].iter_rows(min_row=2, values_only=True))
    assert len(zone_rows) == len(zones)
    assert sum(r[2] for r in zone_rows) == pytest.approx(not_covered(result), abs=0.5 * len(zone_rows))
    site_rows = list(wb["Lieux d'accueil"].iter_rows(min_row=2, values_only=True))
    assert len(site_rows) == len(result.sites)
    # Every inhabitant is in the catchment of exactly one site, except those with no route at all.
    assert sum(r[6] for r in site_rows) == pytest.approx(
        result.summary["population_total"] - result.summary["population_no_road"]
        - result.summary["population_unreachable"], abs=0.5 * len(site_rows))
    sugg = wb["Suggestions"]
    names = [r[[c.value for c in sugg[1]].index("Nom")] for r in sugg.iter_rows(min_row=2, values_only=True)]
    assert names == suggestion.suggested["name"].tolist()
    sources = [r[1] for r in wb["Sources et méthode"].iter_rows(min_row=2, values_only=True)]
    assert all(line in sources for line in study.sources)


def test_csv_tables_match_the_computation(demo):
    _, result, _, _, out = demo
    communes = pd.read_csv(out / "communes.csv", encoding="utf-8-sig", dtype={"Code commune": str}, sep=";",
                           decimal=",")
    assert communes["Population non couverte"].sum() == pytest.approx(not_covered(result), abs=0.5 * len(communes))
    assert communes["Population"].map(lambda v: float(v).is_integer()).all()
    assert not (out / "communes.csv").read_text(encoding="utf-8-sig").count("inf")
    merged = communes.merge(result.communes, left_on="Code commune", right_on="commune")
    assert len(merged) == len(result.communes)
    assert np.allclose(merged["Part couverte (%)"], 100 * merged["share_covered"], atol=1e-3)
    synthese = pd.read_csv(out / "synthese.csv", encoding="utf-8-sig", sep=";")
    value = synthese.set_index("Indicateur").loc["Part de la population couverte", "Valeur"]
    assert float(value.replace(",", ".")) == pytest.approx(100 * result.summary["share_covered"], abs=1e-3)
    assert (out / "suggestions.csv").exists() and (out / "zones_non_couvertes.csv").exists()


def test_xlsx_without_suggestion_says_so(demo):
    study, result, _, _, _ = demo
    import io

    wb = load_workbook(io.BytesIO(xlsx_bytes(result, study)))
    assert "Aucune suggestion" in wb["Suggestions"]["A2"].value
    assert "Nouveaux lieux suggérés" not in [r[0].value for r in wb["Synthèse"].iter_rows(min_row=2)]


# --- PDF ----------------------------------------------------------------------------------------

def _pdf_text(path_or_bytes) -> str:
    import io

    source = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    text = "\n".join(page.extract_text() for page in PdfReader(source).pages)
    return re.sub(r"[\u00a0\u202f ]+", " ", text)


def test_pdf_contains_the_headline_figures_and_worst_communes(demo):
    study, result, suggestion, _, out = demo
    reader = PdfReader(out / "rapport.pdf")
    assert 4 <= len(reader.pages) <= 10
    text = _pdf_text(out / "rapport.pdf")
    share = fr_pct(result.summary["share_covered"]).replace("\u00a0", " ")
    assert re.fullmatch(r"\d{1,3},\d %", share)
    assert share in text
    worst = result.communes.sort_values("not_covered", ascending=False).head(3)["nom"]
    flat = text.replace("\n", " ")
    for name in worst:
        assert name in flat
    assert "15 janvier 2025" in text
    assert "réseau partiel" in flat.lower()
    assert "Population modélisée" in flat
    for name in suggestion.suggested["name"]:
        assert name in flat
    for line in study.sources:
        assert line.split(":")[0] in flat
    assert "seuil inclus" in flat
    gain = f"{suggestion.population_covered_after - suggestion.population_covered_before:,.0f}".replace(",", " ")
    assert gain in flat


def test_pdf_without_suggestion_says_none_was_computed(demo):
    study, result, _, zones, _ = demo
    small_map = png_bytes(result, study, 600, 800, width_in=7.5)
    flat = _pdf_text(pdf_bytes(result, study, map_png=small_map, report_date=DAY, zones=zones)).replace("\n", " ")
    assert "Aucune simulation de nouveaux lieux" in flat


def test_outputs_when_nobody_is_beyond_say_so(demo, tmp_path):
    """At 30 min by car the demo covers everyone: no zone layer, the workbook and the report say why."""
    import io

    study = demo[0]
    routing = route(study)
    result = evaluate(study, routing, 30.0)
    assert not_covered(result) == 0 and result.summary["population_covered"] == pytest.approx(154_995)
    zones = uncovered_zones(result, study.communes)
    assert zones.empty
    layers = write_gpkg(result, tmp_path / "c.gpkg", study.communes)
    assert {"cells", "sites", "communes", "epci"} <= set(layers) and "zones_non_couvertes" not in layers
    wb = load_workbook(io.BytesIO(xlsx_bytes(result, study, zones=zones)))
    assert wb["Zones non couvertes"]["A2"].value == ("Aucune zone non couverte : toute la population est couverte "
                                                     "(au seuil ou en deçà).")
    small_map = png_bytes(result, study, 600, 800, width_in=7.5)
    asked = suggest_sites(study, routing, "maxcover", 3, 30.0, candidates=build_candidates(study, ("mairies",))[0])
    assert asked.suggested.empty
    flat = " ".join(_pdf_text(pdf_bytes(result, study, asked, map_png=small_map, report_date=DAY,
                                        zones=zones)).split())
    assert ("Aucune zone non couverte : toute la population est à 30 min ou moins d'un lieu d'accueil (seuil "
            "inclus).") in flat
    # The figure « 0 » above its label « habitant au-delà de 30 min » (French: singular for 0).
    assert "100,0 %" in flat and "d'un lieu d'accueil habitant au-delà de 30 min temps d'accès moyen" in flat
    # Page 1 says where people remain far; section 5 says why the simulation asked for suggests nothing.
    assert ("Aucun habitant n'est au-delà du seuil. À un seuil plus court, des habitants restent loin d'un lieu : "
            "à 25 min, 600 habitants seraient au-delà.") in flat
    assert ("Simulation de 3 nouveaux lieux (couverture maximale (k lieux)) : aucun lieu suggéré. Toute la "
            "population est déjà à 30 min ou moins d'un lieu d'accueil") in flat
    assert "Aucune simulation de nouveaux lieux" not in flat


# --- Run record -------------------------------------------------------------------------------

def test_run_record_in_every_output(demo):
    """The GPKG « run » table (its JSON row is the record), the « Paramètres du calcul » sheet and CSV, and the
    end of the PDF's method section say how the result was made: version, command, options, files, checksums."""
    study, _, _, _, out = demo
    table = pyogrio.read_dataframe(out / "couverture.gpkg", layer="run")
    made = read_record(out / "couverture.gpkg")
    assert table.iloc[-1]["element"] == "json" and made.command == "report"
    assert made.argv == ["access30", "report", "--out-dir", str(out)]
    rows = set(zip(table["rubrique"], table["element"], table["valeur"]))
    assert ("Option", "coverage.threshold_min", "20") in rows and ("Option", "study.mode", "drive") in rows
    pbf = next(i for i in made.inputs if i["path"].endswith("st_brieuc_loudeac.osm.pbf"))
    assert pbf["sha256"] == hashlib.sha256(Path(pbf["path"]).read_bytes()).hexdigest()
    assert ("Fichier lu", f"données intégrées : {pbf['path']}",
            f"178\u202f537 octets, SHA-256 {pbf['sha256']}") in rows
    ws = load_workbook(out / "tableaux.xlsx")["Paramètres du calcul"]
    sheet = [tuple(c.value for c in row) for row in ws.iter_rows()]
    assert sheet[0] == ("Rubrique", "Élément", "Valeur") and len(sheet) == len(table)  # header for the JSON row
    assert ("Logiciel", "numpy", np.__version__) in sheet
    csv = pd.read_csv(out / "parametres_calcul.csv", encoding="utf-8-sig", sep=";")
    assert list(csv.columns) == ["Rubrique", "Élément", "Valeur"] and len(csv) == len(sheet) - 1
    flat = _pdf_text(out / "rapport.pdf").replace("\n", " ")
    assert "Reproductibilité." in flat and "access30 rerun" in flat
    assert f"Commande : access30 report --out-dir {out}" in flat
    assert pbf["sha256"][:40] in flat.replace(" ", "")
    assert "Logiciels : python" in flat and f"numpy {np.__version__}" in flat


# --- PNG ----------------------------------------------------------------------------------------

def test_png_has_the_requested_size_and_the_class_colours(demo):
    study, result, _, _, out = demo
    with Image.open(out / "carte.png") as im:
        assert im.size == (900, 700)
        pixels = np.asarray(im.convert("RGB")).reshape(-1, 3)
    assert len(np.unique(pixels, axis=0)) > 50
    assert (pixels != 255).any(axis=1).mean() > 0.2  # not blank
    classes = time_class(result.units["time_min"].to_numpy(), result.units["status"].to_numpy(), T)
    labels = class_labels(T)
    populated = np.bincount(classes, weights=result.units["population"].to_numpy(), minlength=len(labels)) > 0
    colours = class_colours(T)
    found = {tuple(p) for p in np.unique(pixels, axis=0)}
    for i, colour in enumerate(colours):
        rgb = tuple(int(colour[k:k + 2], 16) for k in (1, 3, 5))
        if populated[i]:
            assert rgb in found, labels[i]
    other = png_bytes(result, study, 1200, 1600)
    with Image.open(__import__("io").BytesIO(other)) as im:
        assert im.size == (1200, 1600)


def test_time_classes_are_inclusive_and_match_coverage(demo):
    # Hand-made edge cases: exactly 30:00 is in the last covered class.
    classes = time_class(np.array([0.0, 10.0, 30.0, 30.0 + 1e-6, np.inf, 5.0]),
                         np.array(["covered"] * 5 + ["no_road"]), 30.0)
    labels = class_labels(30.0)
    assert [labels[c] for c in classes] == ["0–10 min", "0–10 min", "20–30 min", "30–45 min", "> 45 min",
                                            "sans accès routier"]
    _, result, _, _, _ = demo
    classes = time_class(result.units["time_min"].to_numpy(), result.units["status"].to_numpy(), T)
    labels = class_labels(T)
    covered = result.units["population"].to_numpy()[classes <= labels.index("10–20 min")].sum()
    assert covered == pytest.approx(result.summary["population_covered"], rel=1e-12)


# --- CLI and atomic writes ----------------------------------------------------------------------

def test_cli_report_writes_every_file(tmp_path, capsys):
    code = main(["report", "--out-dir", str(tmp_path), "--map-size", "800x600", "--date", "2025-01-15", "--quiet"])
    assert code == 0
    for name in ("couverture.gpkg", "tableaux.xlsx", "carte.png", "rapport.pdf", "synthese.json", "communes.csv",
                 "epci.csv", "zones_non_couvertes.csv", "lieux_accueil.csv"):
        assert (tmp_path / name).stat().st_size > 0, name
    assert not any(".part-" in p.name for p in tmp_path.iterdir())
    with Image.open(tmp_path / "carte.png") as im:
        assert im.size == (800, 600)
    assert main(["report", "--out-dir", str(tmp_path / "x"), "--map-size", "huge"]) == 2
    assert "--map-size" in capsys.readouterr().err


def test_writes_refuse_a_missing_folder(demo):
    study, result, _, _, out = demo
    with pytest.raises(InputError):
        write_pdf(result, out / "absent" / "rapport.pdf", study, report_date=DAY)
    assert not (out / "absent").exists()
