"""The outputs of « hors les murs »: the wait in the report's files, and a round's workbook, layers and PDF.

On the demo: the wait (``--wait``) in the JSON, the workbook (« Attente », « Attente par commune »), the
CSV tables and the PDF; a fortnightly round's schedule over the four weeks of the cycle (week A in weeks 1
and 3, week B in 2 and 4) and its files.
"""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from openpyxl import load_workbook

from access30.coverage.engine import route
from access30.coverage.options import CoverageOptions, RunOptions
from access30.coverage.run import run
from access30.inputs.assemble import StudyRequest, assemble_study
from access30.outputs.export import summary_json
from access30.outputs.outreach import (
    cycle_schedule,
    tour_layers,
    tour_pdf_bytes,
    tour_summary,
    tour_tables,
    write_tour_xlsx,
)
from access30.outputs.report import pdf_bytes
from access30.outputs.tables import all_tables, csv_frame, xlsx_bytes
from access30.suggest.tour import TourOptions, plan_tour, tour_wait

DEMO = "st-brieuc-loudeac"


def pdf_text(data: bytes, tmp_path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext absent")
    path = tmp_path / "r.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


@pytest.fixture(scope="module")
def waited():
    return run(RunOptions(StudyRequest(territory=DEMO), CoverageOptions(30, wait=True)))


def test_the_wait_in_the_json_the_workbook_and_the_csv(waited):
    result = waited.result
    summary = summary_json(result)
    assert summary["wait"]["population_in_reach"] == pytest.approx(result.summary.population_covered)
    assert "p90_wait_days" in summary["wait"]["definitions"]
    tables = all_tables(result, waited.study)
    figures = tables["Attente"].frame.set_index("Indicateur")["Valeur"]
    assert figures["Attente moyenne (jours)"] == pytest.approx(result.wait.mean_wait_days)
    assert figures["Ouverture chaque semaine"] == pytest.approx(1.0)
    assert len(tables["Attente par commune"].frame) == len(result.wait.communes)
    csv = csv_frame(tables["Attente"])
    assert "jours" in set(csv["Unité"]) and "%" in set(csv["Unité"])
    book = load_workbook(io.BytesIO(xlsx_bytes(result, waited.study)))
    assert {"Attente", "Attente par commune"} <= set(book.sheetnames)


def test_the_wait_in_the_report_pdf(waited, tmp_path):
    text = pdf_text(pdf_bytes(waited.result, waited.study), tmp_path)
    assert "Attente d'une ouverture" in text and "Ouverture chaque semaine" in text
    assert "Attente moyenne" in text and "jour" in text


@pytest.fixture(scope="module")
def fortnightly():
    options = RunOptions(StudyRequest(territory=DEMO, mode="walk"), CoverageOptions(30))
    study = assemble_study(options.study)
    routing = route(study)
    plan = plan_tour(study, routing, options, TourOptions(half_days=2, weeks=2, time_limit_s=60))
    return study, plan, *tour_wait(study, routing, plan)


def test_a_fortnightly_round_over_the_four_weeks_of_the_cycle(fortnightly):
    _, plan, before, after = fortnightly
    schedule = cycle_schedule(plan)
    assert len(schedule) == 4  # one working day a week, four weeks
    a = plan.stops[plan.stops["week"] == "A"]["name"].iloc[0]
    b = plan.stops[plan.stops["week"] == "B"]["name"].iloc[0]
    assert a in schedule["Matin"].iloc[0] and a in schedule["Matin"].iloc[2]
    assert b in schedule["Matin"].iloc[1] and b in schedule["Matin"].iloc[3]
    # Each stop opens every other week: the newly covered wait at least a fortnight's gap.
    assert after.population_fortnightly == pytest.approx(plan.objective, abs=1.0)
    assert before.population_fortnightly == 0


def test_a_rounds_files_say_what_they_count(fortnightly, tmp_path):
    study, plan, before, after = fortnightly
    summary = tour_summary(plan, before, after)
    assert summary["weeks"] == 2 and all(s["hours"]["osm"].startswith("week 0") for s in summary["stops"])
    assert summary["wait_after"]["population_fortnightly"] > 0 and "communes" not in summary["wait_after"]
    tables = tour_tables(plan, before, after)
    wait = tables["Attente"].frame.set_index("Indicateur")
    assert wait.loc["Ouverture chaque quinzaine", "Avec la tournée"] > 0
    write_tour_xlsx(plan, tmp_path / "t.xlsx", before, after)
    assert load_workbook(tmp_path / "t.xlsx").sheetnames == ["Tournée", "Emploi du temps", "Arrêts", "Attente"]
    layers = tour_layers(plan, study)
    assert layers["carreaux_servis"]["newly_covered"].sum() > 0
    assert len(layers["arrets_tournee"]) == 4  # twice the stops of the half-days
    text = pdf_text(tour_pdf_bytes(plan, study, before, after), tmp_path)
    assert "semaines impaires" in text and "semaines paires" in text and "(impaire), semaine A" in text
    assert "Ouverture chaque quinzaine" in text
