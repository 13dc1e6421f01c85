"""Every output says how it was made, and ``access30 rerun`` makes it again: the same figures when nothing
changed, a refusal naming the file when an input changed, a warning when a package version differs.

On the offline demo (Saint-Brieuc – Loudéac) and a copy of its real France Services list as a user's file.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from openpyxl import load_workbook

from access30.base.record import read_record
from access30.cli import main
from tests.paths import REPO

DEMO = ["--territory", "st-brieuc-loudeac"]
FIGURES = ("population_covered", "share_covered", "mean_time_min", "median_time_min", "p90_time_min")


@pytest.fixture
def sites(tmp_path) -> Path:
    """A user's site file (a copy of the demo's France Services): the input a test changes."""
    path = tmp_path / "mes_lieux.csv"
    shutil.copyfile(REPO / "data" / "cotes_darmor" / "france_services_22.csv", path)
    return path


@pytest.fixture
def first(tmp_path, sites, monkeypatch):
    """``coverage`` on the demo with the user's file, threshold 20 (not the default), and its summary."""
    monkeypatch.setenv("ACCESS30_CACHE", str(tmp_path / "cache"))
    summary = tmp_path / "s.json"
    assert main(["coverage", *DEMO, "--sites", str(sites), "--threshold", "20", "--out", str(tmp_path / "c.gpkg"),
                 "--summary", str(summary), "--quiet"]) == 0
    return summary


def _json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_the_summary_says_how_it_was_made(first, sites):
    run = _json(first)["run"]
    assert run["command"] == "coverage" and run["argv"][:2] == ["access30", "coverage"]
    assert run["version"] and "commit" in run and set(run) >= {"started", "ended", "duration_s", "cwd"}
    assert run["options"]["coverage"]["threshold_min"] == 20.0 and run["options"]["study"]["mode"] == "drive"
    assert run["options"]["study"]["sites"] == str(sites) and run["arguments"]["threshold"] == 20.0
    assert run["options"]["coverage"]["workers_hours"] is False  # defaults included
    inputs = {Path(i["path"]).name: i for i in run["inputs"]}
    assert inputs["mes_lieux.csv"] == {"role": "study.sites", "path": str(sites), "size": sites.stat().st_size,
                                       "sha256": hashlib.sha256(sites.read_bytes()).hexdigest()}
    assert inputs["st_brieuc_loudeac.osm.pbf"]["role"] == "données intégrées"
    assert {"python", "osmnx", "highspy", "geopandas", "gtfs-kit", "dask"} <= set(run["packages"])
    assert any(s["line"].startswith("Réseau routier : extrait OpenStreetMap st_brieuc_loudeac") for s in run["sources"])


def test_rerun_gives_the_same_figures(first, tmp_path, capsys):
    capsys.readouterr()
    again = tmp_path / "s2.json"
    assert main(["rerun", str(first), "--summary", str(again)]) == 0
    printed = capsys.readouterr()
    assert "Relance du calcul du " in printed.out and "empreintes SHA-256 vérifiées" in printed.out
    assert "Attention" not in printed.err  # same versions
    before, after = _json(first), _json(again)
    for name in FIGURES:
        assert after[name] == before[name], name
    assert (tmp_path / "c-relance.gpkg").is_file()  # the output not given: beside the first one
    run = after["run"]
    assert run["argv"] == ["access30", "rerun", str(first), "--summary", str(again)]
    assert run["arguments"]["rerun_of"] == str(first) and run["options"] == before["run"]["options"]
    assert [i["sha256"] for i in run["inputs"]] == [i["sha256"] for i in before["run"]["inputs"]]


def test_rerun_refuses_when_an_input_changed_naming_the_file(first, sites, tmp_path, capsys):
    with open(sites, "a", encoding="utf-8") as handle:
        handle.write("\n")
    capsys.readouterr()
    assert main(["rerun", str(first), "--summary", str(tmp_path / "s2.json")]) == 2
    err = capsys.readouterr().err
    assert f"fichier d'entrée modifié depuis le calcul : {sites} : taille" in err
    assert "remettez le fichier d'origine" in err and "Traceback" not in err
    assert not (tmp_path / "s2.json").exists() and not (tmp_path / "c-relance.gpkg").exists()


def test_rerun_warns_when_a_package_version_differs(first, tmp_path, capsys):
    data = _json(first)
    data["run"]["packages"]["numpy"] = "1.0.0"
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(data), encoding="utf-8")
    capsys.readouterr()
    assert main(["rerun", str(edited), "--out", str(tmp_path / "e.gpkg"), "--summary", str(tmp_path / "e.json")]) == 0
    err = capsys.readouterr().err
    assert f"Attention : numpy : 1.0.0 au calcul, {np.__version__} maintenant" in err
    assert _json(tmp_path / "e.json")["population_covered"] == data["population_covered"]


def test_rerun_never_writes_over_what_it_reads(first, tmp_path, capsys):
    assert main(["rerun", str(first), "--summary", str(first)]) == 2
    assert "--summary" in capsys.readouterr().err and _json(first)["run"]["command"] == "coverage"


def test_suggest_and_report_are_made_again(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ACCESS30_CACHE", str(tmp_path / "cache"))
    summary = tmp_path / "sugg.json"
    assert main(["suggest", *DEMO, "--model", "maxcover", "--k", "2", "--candidates", "mairies",
                 "--out", str(tmp_path / "sugg.gpkg"), "--summary", str(summary), "--quiet"]) == 0
    first = _json(summary)
    assert first["run"]["options"]["suggest"]["k"] == 2 and first["run"]["options"]["suggest"]["sources"] == ["mairies"]
    assert main(["rerun", str(summary), "--quiet"]) == 0
    again = _json(tmp_path / "sugg-relance.json")
    assert again["suggested"] == first["suggested"] and again["run"]["command"] == "suggest"

    pack = tmp_path / "dossier"
    assert main(["report", *DEMO, "--out-dir", str(pack), "--date", "2025-01-15", "--quiet"]) == 0
    made = read_record(pack / "synthese.json")
    assert made.command == "report" and made.arguments["date"] == "2025-01-15"
    assert "Paramètres du calcul" in load_workbook(pack / "tableaux.xlsx").sheetnames
    assert main(["rerun", str(pack / "couverture.gpkg"), "--out-dir", str(tmp_path / "bis"), "--quiet"]) == 0
    for name in FIGURES:
        assert _json(tmp_path / "bis" / "synthese.json")[name] == _json(pack / "synthese.json")[name]
    capsys.readouterr()
