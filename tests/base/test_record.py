"""The run record (access30.base.record): fingerprints, what a run read, versions, JSON round trip,
changed inputs refused, typed options rebuilt.

Hand-made files (``handmade_*``) where a test changes bytes; real files elsewhere.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pytest

import access30.base.record as record_module
from access30.base.cache import record as record_in_cache
from access30.base.errors import InputError
from access30.base.record import (
    KEY_PACKAGES,
    RunRecord,
    check_inputs,
    check_versions,
    code_version,
    collecting,
    file_fingerprint,
    note_cache_entry,
    note_file,
    options_record,
    package_versions,
    read_record,
    refuse_changed_inputs,
    restore,
    same_content,
    version_warnings,
)
from access30.base.settings import NATIONAL_COMMUNES, data_path
from access30.coverage.options import CapacityOptions, CoverageOptions, RunOptions
from access30.inputs.assemble import StudyRequest
from tests.paths import REPO, SHARED_DATA

SITES = SHARED_DATA / "cotes_darmor" / "france_services_22.csv"


@pytest.fixture
def inputs(tmp_path):
    """Copies of real input files that a test may change."""
    sites = tmp_path / "france_services_22.csv"
    shutil.copyfile(SITES, sites)
    outlines = tmp_path / "communes_22.gpkg"
    shutil.copyfile(SHARED_DATA / "cotes_darmor" / "communes_22.gpkg", outlines)
    return sites, outlines


# --- fingerprints (the national batch's rows use them too) ------------------------------------


def test_fingerprint_of_a_real_file():
    assert file_fingerprint(SITES) == {"path": str(SITES), "size": 13_523,
                                       "sha256": "cd96e3a523bcf15c8c62629e812b23013f6b03d890d2a6f65c20aa0f93e67ee0"}


def test_a_fingerprint_is_path_size_and_sha256_and_a_missing_file_is_recorded_as_absent(tmp_path):
    path = tmp_path / "handmade_input.bin"
    path.write_bytes(b"x" * 3_000_000)  # several chunks
    assert file_fingerprint(path, "reseau") == {"role": "reseau", "path": str(path), "size": 3_000_000,
                                                "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    assert file_fingerprint(tmp_path / "absent.bin") == {"path": str(tmp_path / "absent.bin"), "size": None,
                                                         "sha256": None}


def test_a_fingerprint_is_hashed_once_while_the_file_is_unchanged(tmp_path, monkeypatch):
    path = tmp_path / "handmade_input.bin"
    path.write_bytes(b"abc")
    first = file_fingerprint(path)
    opened = []
    real_open = open
    monkeypatch.setattr(record_module, "open", lambda *a, **k: opened.append(a) or real_open(*a, **k), raising=False)
    assert file_fingerprint(path) == first and opened == []  # from the process's memory
    path.write_bytes(b"abd")  # same size, new content and modification time
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 1_000_000_000))
    assert file_fingerprint(path)["sha256"] == hashlib.sha256(b"abd").hexdigest() and len(opened) == 1


def test_fingerprint_of_a_layer_a_folder_and_a_relative_path(inputs, tmp_path, monkeypatch):
    sites, outlines = inputs
    assert file_fingerprint(f"{outlines}:communes")["sha256"] == file_fingerprint(outlines)["sha256"]
    folder = file_fingerprint(tmp_path)
    assert folder["size"] == sites.stat().st_size + outlines.stat().st_size
    monkeypatch.chdir(tmp_path)
    assert file_fingerprint("france_services_22.csv")["path"] == str(sites)  # absolute
    assert same_content(file_fingerprint(sites), file_fingerprint(SITES))  # same bytes, elsewhere


def test_options_are_recorded_as_json(tmp_path):
    from access30.national.batch import BatchOptions

    found = options_record(BatchOptions(threshold_min=5, networks_dir=tmp_path))
    assert found["threshold_min"] == 5 and found["networks_dir"] == str(tmp_path)
    assert json.loads(json.dumps(found)) == found
    nested = options_record(RunOptions(StudyRequest(sites=Path("a.csv"), sites_builtin=("mairies",)),
                                       CoverageOptions(capacity=CapacityOptions("agents"))))
    assert nested["study"]["sites"] == "a.csv" and nested["study"]["sites_builtin"] == ["mairies"]
    assert nested["coverage"]["capacity"] == {"spec": "agents", "unit": None, "people_per_unit": None,
                                              "overload": None}


# --- what a run read --------------------------------------------------------------------------


def test_built_in_data_and_noted_files_are_collected(tmp_path):
    with collecting() as outer:
        with collecting() as inner:
            path = data_path(NATIONAL_COMMUNES)
            note_file(tmp_path / "dila_22.parquet", "cache:dila")
        entry = record_in_cache("dila", SITES, url="https://example.invalid/all_latest.tar.bz2", vintage="2026-01-05",
                                label="Annuaire de l'administration (DILA)", cache_dir=tmp_path)
        note_cache_entry(entry)
    assert inner.files == {str(path): "données intégrées", str(tmp_path / "dila_22.parquet"): "cache:dila"}
    assert outer.files == inner.files and inner.sources == []
    assert outer.sources[0]["vintage"] == "2026-01-05" and outer.sources[0]["fetched"] == entry.fetched
    note_file(tmp_path / "x", "outside")  # outside any block: nothing happens


# --- versions ---------------------------------------------------------------------------------


def test_versions_and_commit_compared():
    made = RunRecord.begin("coverage", {})
    assert check_versions(made) == [] and version_warnings(made) == []
    made.packages["numpy"] = "1.0.0"
    made.packages["retired-package"] = "0.1"
    assert check_versions(made) == [("numpy", "1.0.0", np.__version__), ("retired-package", "0.1", None)]
    assert version_warnings(made)[0] == (f"numpy : 1.0.0 au calcul, {np.__version__} maintenant : les chiffres "
                                         "peuvent différer")
    if made.commit:  # run from a clone
        made.commit = "0" * 40
        assert check_versions(made)[-1] == ("commit", "0" * 40, code_version()["commit"])


def test_package_versions():
    versions = package_versions()
    assert list(versions) == ["python", *KEY_PACKAGES]
    assert versions["numpy"] == np.__version__ and versions["python"].count(".") == 2
    assert {"osmnx", "highspy", "geopandas", "gtfs-kit", "dask"} <= set(versions)


def test_code_version_reads_git_when_run_from_a_clone():
    top = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--show-toplevel"], capture_output=True, text=True)
    code = code_version()
    assert code["version"]
    if top.returncode == 0 and Path(top.stdout.strip()) == REPO:
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True)
        assert code["commit"] == head.stdout.strip() and isinstance(code["dirty"], bool)


def test_code_version_without_git_or_outside_a_clone(tmp_path, monkeypatch):
    assert record_module._git_state(tmp_path) == (None, None)
    monkeypatch.setenv("PATH", str(tmp_path))  # no git on the PATH
    assert code_version()["commit"] is None and code_version()["dirty"] is None


# --- the record -------------------------------------------------------------------------------


def test_options_with_their_files_round_trip_to_json_and_back(inputs, tmp_path, monkeypatch):
    sites, outlines = inputs
    monkeypatch.chdir(tmp_path)
    options = RunOptions(StudyRequest(territory="22", sites=Path("france_services_22.csv"), cache_dir=tmp_path,
                                      sites_builtin=("mairies", "france_services")),
                         CoverageOptions(threshold_min=20.0, capacity=CapacityOptions("agents", people_per_unit=1e3)))
    made = RunRecord.begin("coverage", {"study": options.study, "coverage": options.coverage},
                           argv=["access30", "coverage", "--threshold", "20"],
                           arguments={"threshold": np.float64(20), "out": Path("x.gpkg"), "when": date(2025, 6, 1),
                                      "nan": float("nan")})
    made.add_source("dila", "Annuaire", vintage="2026-01-05", fetched="2026-01-06T10:00:00+01:00")
    made.finish()
    data = json.loads(json.dumps(made.to_dict()))
    assert data["record_version"] == 1 and data["command"] == "coverage" and data["cwd"] == str(tmp_path)
    assert data["options"]["study"]["sites"] == str(sites)  # made absolute: found again from any folder
    assert data["options"]["study"]["mode"] == "drive"  # defaults included
    assert data["arguments"] == {"threshold": 20.0, "out": "x.gpkg", "when": "2025-06-01", "nan": None}
    assert [(i["role"], i["path"], i["size"]) for i in data["inputs"]] == [("study.sites", str(sites), 13_523)]
    assert data["duration_s"] >= 0 and data["ended"] >= data["started"]
    again = RunRecord.from_dict(data)
    assert again == made and again.to_dict() == data
    rebuilt = RunOptions(restore(StudyRequest, data["options"]["study"]), restore(CoverageOptions,
                                                                               data["options"]["coverage"]))
    assert rebuilt == RunOptions(StudyRequest(territory="22", sites=sites, cache_dir=tmp_path,
                                              sites_builtin=("mairies", "france_services")), options.coverage)
    lines = made.lines()
    assert lines[0].startswith("Calcul : couverture (access30 coverage), access30 ")
    assert lines[1] == "Commande : access30 coverage --threshold 20"
    assert any(line.startswith(f"Fichier lu (study.sites) : {sites} — 13\u202f523 octets, SHA-256 cd96e3a5")
               for line in lines)
    assert "Source : Annuaire, millésime 2026-01-05, téléchargé le 2026-01-06" in lines
    rows = made.rows()
    assert ("Option", "study.threshold_min", "20") not in rows and ("Option", "coverage.threshold_min", "20") in rows
    assert ("Option", "study.sites_builtin", "mairies, france_services") in rows
    assert ("Option", "commande.nan", "—") in rows and ("Logiciel", "numpy", np.__version__) in rows


def test_changed_inputs_are_found_and_refused_naming_the_file(inputs, tmp_path):
    sites, outlines = inputs
    made = RunRecord.begin("coverage", {"study": StudyRequest(sites=sites, communes=outlines)})
    made.add_input(tmp_path / "grid.parquet", "cache:grid")  # absent at the time
    assert check_inputs(made) == []
    refuse_changed_inputs(made)
    with open(sites, "ab") as handle:
        handle.write(b"x")
    (change,) = check_inputs(made)
    assert change.path == str(sites) and str(change).endswith("taille 13\u202f524 octets au lieu de 13\u202f523")
    with pytest.raises(InputError, match=f"fichier d'entrée modifié depuis le calcul : {sites} : taille"):
        refuse_changed_inputs(made)
    data = bytearray(outlines.read_bytes())
    data[200] ^= 0xFF
    outlines.write_bytes(bytes(data))
    (tmp_path / "grid.parquet").write_bytes(b"PAR1")
    reasons = [c.reason for c in check_inputs(made)]
    assert reasons[1:] == ["contenu modifié (même taille, empreinte SHA-256 différente)",
                           "fichier apparu depuis le calcul (absent alors)"]
    with pytest.raises(InputError, match=r"\(et 2 autres : communes_22.gpkg, grid.parquet\)"):
        refuse_changed_inputs(made)
    sites.unlink()
    assert check_inputs(made)[0].reason == "fichier absent"


def test_app_record_and_bad_record_files(tmp_path):
    made = RunRecord.begin("app", {"study": StudyRequest(territory="reunion")}, arguments={"seuil": 30}).finish()
    assert made.argv is None and made.lines()[1] == "Lancé depuis l'application"
    summary = tmp_path / "synthese.json"
    summary.write_text(json.dumps({"population_covered": 1, "run": made.to_dict()}), encoding="utf-8")
    assert read_record(summary) == made  # the « run » of a summary
    bad = {"absent.json": None, "bad.json": "{", "list.json": "[1, 2]", "old.json": '{"population_covered": 3}',
           "other.json": '{"name": "pas un journal"}', "newer.json": '{"record_version": 99, "command": "coverage", '
                                                                     '"options": {}}',
           "inputs.json": '{"command": "coverage", "options": {}, "inputs": [{"size": 1}]}',
           "kinds.json": '{"command": "coverage", "options": []}'}
    expected = {"absent.json": "journal d'exécution introuvable", "bad.json": "journal d'exécution illisible",
                "list.json": "ce n'est pas un journal d'exécution", "old.json": "version d'access30 antérieure",
                "other.json": "ce n'est pas un journal d'exécution", "newer.json": "format plus récent",
                "inputs.json": "un fichier d'entrée sans chemin", "kinds.json": "« options » n'a pas la forme"}
    for name, text in bad.items():
        if text is not None:
            (tmp_path / name).write_text(text, encoding="utf-8")
        with pytest.raises(InputError, match=expected[name]) as caught:
            read_record(tmp_path / name)
        assert f"fichier « {name} »" in str(caught.value)
    with pytest.raises(InputError, match="c'est un dossier"):
        read_record(tmp_path)


@dataclass(frozen=True)
class _Handmade:
    """Typed options of every kind restore meets."""

    path: Path | None = None
    pairs: tuple[tuple[str, Path], ...] = ()
    names: tuple[str, ...] | None = None
    number: float = 1.0
    count: int | None = None
    flag: bool = False
    nested: CapacityOptions | None = None
    extra: dict = field(default_factory=dict)


def test_restore_rebuilds_every_kind_and_refuses_a_wrong_one():
    data = {"path": "/a/b.csv", "pairs": [["mairies", "/a/m.csv"]], "names": ["x", "y"], "number": 2, "count": None,
            "flag": True, "nested": {"spec": "hours", "unit": None}, "unknown": 1}
    assert restore(_Handmade, data) == _Handmade(Path("/a/b.csv"), (("mairies", Path("/a/m.csv")),), ("x", "y"), 2.0,
                                                 None, True, CapacityOptions("hours"))
    assert restore(_Handmade, {}) == _Handmade()
    for name, value in (("number", "trente"), ("flag", "oui"), ("path", 3), ("pairs", [["a"]]), ("nested", 5)):
        with pytest.raises(InputError, match=f"option « {name} » illisible dans le journal d'exécution"):
            restore(_Handmade, {name: value})
    with pytest.raises(InputError, match="options illisibles"):
        restore(_Handmade, [])
