"""The app's exports: written in the background, and holding the same run record as the command line's."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from access30.app import exports
from access30.app.shared import Source
from access30.app.suggestions import Question
from access30.base.record import read_record
from access30.coverage.options import CoverageOptions, RunOptions
from access30.coverage.run import app_record, begin_record
from access30.inputs.assemble import StudyRequest
from access30.inputs.territory import DEFAULT_TERRITORY
from tests.app.test_app import open_tab, run_app

DEMO = Source(f"builtin|{DEFAULT_TERRITORY}", territory=DEFAULT_TERRITORY)


def _pdf_text(data: bytes) -> str:
    return re.sub(r"[\u00a0\u202f ]+", " ", "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages))


def test_run_options_are_the_command_lines(demo_study):
    options = exports.run_options(DEMO, "walk", 20, capacity=True)
    assert options.study == StudyRequest(territory=DEFAULT_TERRITORY, mode="walk")
    assert options.coverage.threshold_min == 20.0 and options.coverage.capacity.spec == "hours"
    question = Question("k", "cover", 3, 20.0, "population", ("cells",))
    made = exports.run_record(exports.run_options(DEMO, "drive", 20), demo_study, {"seuil (min)": 20}, question)
    assert made.options["suggest"]["model"] == "cover" and made.options["suggest"]["k"] is None
    assert made.command == "app" and made.arguments == {"seuil (min)": 20}


def test_export_prepared_through_the_app_holds_the_record(tmp_path, demo_study):
    at = open_tab(run_app(), "Export")
    for key in ("make_gpkg", "make_xlsx", "make_pdf"):
        at.button(key=key).click().run(timeout=300)
        assert not at.exception and not at.error
    gpkg = tmp_path / "app.gpkg"
    gpkg.write_bytes(at.session_state["file_gpkg"][1])
    made = read_record(gpkg)
    cli = begin_record("coverage", RunOptions(StudyRequest(territory=DEFAULT_TERRITORY),
                                              CoverageOptions(threshold_min=30.0))).add_study(demo_study).finish()
    assert made.command == "app" and made.argv is None
    assert made.options == cli.options  # the options the page's controls stand for: the command line's
    assert [(i["path"], i["sha256"]) for i in made.inputs] == [(i["path"], i["sha256"]) for i in cli.inputs]
    assert made.sources == cli.sources
    assert made.arguments["seuil (min)"] == 30.0 and made.arguments["territoire"] == DEFAULT_TERRITORY
    sheet = load_workbook(io.BytesIO(at.session_state["file_xlsx"][1]))["Paramètres du calcul"]
    values = [str(c.value) for row in sheet.iter_rows() for c in row]
    pbf = next(i for i in made.inputs if i["path"].endswith(".osm.pbf"))
    assert any(pbf["sha256"] in v for v in values) and any("application" in v for v in values)
    flat = _pdf_text(at.session_state["file_pdf"][1]).replace("\n", " ")
    assert "Reproductibilité." in flat and pbf["sha256"][:40] in flat.replace(" ", "")


def test_make_writes_the_record_it_is_given(tmp_path, demo_study, demo_result):
    made = app_record(exports.run_options(DEMO, "drive", 30), demo_study, {"scénario": "Essai"})
    gpkg = tmp_path / "made.gpkg"
    gpkg.write_bytes(exports.make("gpkg", demo_result, demo_study, record=made))
    assert read_record(gpkg).arguments == {"scénario": "Essai"}
    with pytest.raises(ValueError):
        exports.make("odt", demo_result, demo_study)
