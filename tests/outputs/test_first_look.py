"""What a planner reads first (issue 27): headline notices before the figures, honest shares, French CSVs,
export names, and the scenario report's wording."""

import io

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from access30.base.errors import headline_notices
from access30.base.settings import without_cache_root
from access30.cli.text import format_report
from access30.outputs.tables import Table, csv_frame, xlsx_bytes
from tests.paths import REPO


def test_workbook_and_csv_never_show_all_covered_while_someone_is_not(demo_study, demo_result):
    from dataclasses import replace

    summary = replace(demo_result.summary, share_covered=29_999 / 30_000)
    book = load_workbook(io.BytesIO(xlsx_bytes(replace(demo_result, summary=summary), demo_study)))
    sheet = book["Synthèse"]
    shares = [row[1].value for row in sheet.iter_rows(min_row=2) if row[0].value == "Part de la population couverte"]
    assert shares == [0.999]  # Excel shows 99,9 %, not 100,0 %
    table = Table(pd.DataFrame({"Part": [29_999 / 30_000, 1 / 30_000, 1.0]}), {"Part": "pct"})
    assert list(csv_frame(table).iloc[:, 0]) == [99.997, 0.003, 100.0]
    table = Table(pd.DataFrame({"Part": [0.9999996, 0.0000004]}), {"Part": "pct"})
    assert list(csv_frame(table).iloc[:, 0]) == [99.999, 0.001]


@pytest.fixture(scope="module")
def own_files_result(shared_data):
    """The Côtes-d'Armor communes as population (598 814) with the demo's partial network: most people lie
    outside it, and the times there are mostly estimated."""
    from access30.coverage.engine import evaluate, route
    from access30.inputs.assemble import StudyRequest, assemble_study

    study = assemble_study(StudyRequest(population=shared_data / "cotes_darmor" / "communes_22.gpkg",
                                        population_column="population_municipale", partial_network=True,
                                        network=shared_data / "osm" / "st_brieuc_loudeac.osm.pbf"))
    return study, evaluate(study, route(study), 30.0)


def _page_one(pdf: bytes) -> str:
    from pypdf import PdfReader

    return " ".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())


def test_notices_that_change_the_headline_come_before_it_everywhere(own_files_result):
    from access30.outputs.report import pdf_bytes

    study, result = own_files_result
    codes = [n.code for n in headline_notices(result.notices)]
    assert codes[0] == "population_outside_network" and "estimated" in codes  # 79 % of the mean time estimated
    assert "premier_accueil_absent" in codes  # no built-in first-reception list for the 22
    text = format_report(result)
    figure = text.index("Population couverte (≤")
    assert text.index("457 965 habitants sur 598 814") < figure and text.index("Part estimée") < figure
    assert text.count("457 965 habitants sur 598 814") == 1  # said once, first
    page = _page_one(pdf_bytes(result, study, map_png=_tiny_png()))
    assert page.index("À lire avant les chiffres") < page.index("457 965 habitants") < page.index("des habitants à 30")
    sheet = load_workbook(io.BytesIO(xlsx_bytes(result, study))).worksheets[0]
    first = [row[0].value for row in sheet.iter_rows(min_row=2)]
    assert first[:len(codes)] == ["AVERTISSEMENT"] * len(codes)
    assert "457 965 habitants" in sheet.cell(row=2, column=3).value


def test_the_demos_estimated_times_are_said_before_its_figures(demo_result):
    """The demo's partial network: most of each time is an estimate (96 %), the one headline notice."""
    assert [n.code for n in headline_notices(demo_result.notices)] == ["estimated"]
    text = format_report(demo_result)
    assert text.index("Part estimée") < text.index("Population couverte (≤") and text.count("Part estimée") == 1


def _tiny_png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def test_every_csv_opens_as_columns_in_a_french_excel(demo_study, demo_result, tmp_path):
    from access30.outputs.tables import cells_table, csv_bytes, write_csv_tables

    paths = write_csv_tables(demo_result, tmp_path, demo_study)
    cells = tmp_path / "cellules.csv"
    cells.write_bytes(csv_bytes(cells_table(demo_result)))
    for path in [*paths, cells]:
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), path.name  # UTF-8 with BOM
        text = raw.decode("utf-8-sig")
        header = text.splitlines()[0]
        assert ";" in header and "," not in header, path.name
        assert "inf" not in text.lower().replace("information", ""), path.name
    frame = pd.read_csv(cells, sep=";", decimal=",", encoding="utf-8-sig")
    assert {"Population", "Temps au lieu le plus proche (min)", "Situation"} <= set(frame.columns)
    assert frame["Temps au lieu le plus proche (min)"].dtype == float  # decimal commas read back as numbers
    assert frame["Population"].sum() == pytest.approx(demo_result.summary.population_total, rel=1e-6)
    unreachable = ~np.isfinite(demo_result.units["time_min"].to_numpy())
    assert frame["Temps au lieu le plus proche (min)"].isna().sum() == unreachable.sum()


def test_a_scenarios_geopackage_says_so_and_its_columns_are_documented(demo_study, demo_routing, tmp_path):
    import pyogrio

    from access30.coverage import scenario as sc
    from access30.outputs.export import write_gpkg
    from tests.paths import REPO

    state = sc.add_site(demo_study, sc.start(demo_study, demo_routing), -2.9616519, 48.33565, "Essai", "ccas")
    # At 20 min, where the demo has zones blanches (at 30 min by car it has none, and no zone layer).
    result = sc.evaluate_scenario(demo_study, demo_routing, state, 20.0, name="Harmoye")
    path = tmp_path / "s.gpkg"
    assert "scenario" in write_gpkg(result, path, demo_study.communes)
    table = pyogrio.read_dataframe(path, layer="scenario")
    assert table["texte"].iloc[0].startswith("Scénario « Harmoye »") and "Ouverture" in table["texte"].iloc[1]
    docs = (REPO / "docs" / "outputs.md").read_text(encoding="utf-8")
    for layer in ("cells", "communes", "zones_non_couvertes"):
        for column in pyogrio.read_info(path, layer=layer)["fields"]:
            assert f"`{column}`" in docs, (layer, column)


def test_export_names_hold_the_territory_the_threshold_and_the_date():
    from datetime import date

    from access30.base.files import export_name

    first = export_name("st-brieuc-loudeac", 30, date(2026, 12, 7), ".pdf")
    assert first == "access30_st-brieuc-loudeac_30min_2026-12-07.pdf"
    assert export_name("Martinique (972)", 30, date(2026, 12, 7), ".pdf") != first  # no overwrite
    assert export_name("st-brieuc-loudeac", 20, date(2026, 12, 7), ".pdf") != first
    assert export_name("Saint-Brieuc – Loudéac", 30, "2026-12-07", ".csv", "communes") == \
        "access30_saint-brieuc-loudeac_30min_2026-12-07_communes.csv"


@pytest.fixture(scope="module")
def scenario_pdf(demo_study, demo_routing):
    """The scenario report of the issue: a site added at La Harmoye, suggestions computed on it; at 20 min,
    where the demo has people to cover (at 30 min by car it covers everyone)."""
    from pypdf import PdfReader

    from access30.coverage import scenario as sc
    from access30.coverage.options import CoverageOptions, RunOptions
    from access30.inputs.assemble import StudyRequest
    from access30.outputs.report import pdf_bytes
    from access30.suggest.run import SuggestOptions, run_suggestion

    state = sc.add_site(demo_study, sc.start(demo_study, demo_routing), -2.9616519, 48.33565, "Essai", "ccas")
    result = sc.evaluate_scenario(demo_study, demo_routing, state, 20.0, name="Harmoye")
    suggestion = run_suggestion(demo_study, demo_routing, RunOptions(StudyRequest(territory="st-brieuc-loudeac"),
                                                                     CoverageOptions(threshold_min=20.0)),
                                SuggestOptions(model="maxcover", k=2, sources=("mairies",), time_limit_s=30),
                                scenario=state, scenario_name="Harmoye")
    reader = PdfReader(io.BytesIO(pdf_bytes(result, demo_study, suggestion, map_png=_tiny_png())))
    return result, suggestion, [" ".join(page.extract_text().split()) for page in reader.pages]


def test_the_scenario_report_reads_right(scenario_pdf):
    result, suggestion, pages = scenario_pdf
    assert "Lire ce document" in pages[0]  # page 1 holds its end: no page of four lines
    assert all(len(page.split()) > 40 for page in pages[2:]), [len(p.split()) for p in pages]  # the map: page 2
    text = " ".join(pages)
    assert text.count("Population. ") == 1
    assert "en page suivante" not in text and "en section 3 (« Zones non couvertes »)" in text
    assert "5 communes sur 42 ont moins de 90 % de leurs habitants couverts" in text
    covered = f"{result.summary.population_covered:,.0f}".replace(",", " ")
    assert "sur le scénario « Harmoye »" in text and f"passerait de {covered} (scénario)" in text
    assert "Apport de chaque lieu" in text


def test_candidate_town_halls_are_not_said_to_be_of_1500_inhabitants(demo_study, scenario_pdf):
    from access30.outputs.tables import suggestions_table

    _, suggestion, _ = scenario_pdf
    types = set(suggestions_table(suggestion, demo_study).frame["Type"])
    assert types == {"Mairie (emplacement candidat, toute commune)"}


def test_the_app_never_shows_the_servers_cache_folder(tmp_path, monkeypatch):
    """The command line names the full folder (where to put a file by hand); the app shortens it."""
    from access30.inputs.inventories import InventoryScope, _cached
    from access30.inputs.sources.dila import dila_cached, load_dila

    monkeypatch.setenv("ACCESS30_CACHE", str(tmp_path / "srv_cache"))
    result = _cached(InventoryScope("22"), "dila", "Annuaire", dila_cached, load_dila)
    message = result.notices[0].message
    assert str(tmp_path / "srv_cache" / "dila") in message and result.notices[0].headline
    shown = without_cache_root(message)
    assert str(tmp_path) not in shown and "cache access30/dila" in shown
    assert "without_cache_root(notice.message)" in (REPO / "app.py").read_text(encoding="utf-8")
