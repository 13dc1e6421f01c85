"""The national batch on a real dask.distributed LocalCluster, offline.

The networks folder holds the real offline extract of the demo (Saint-Brieuc – Loudéac, main roads)
named ``22.osm.pbf``; the Finistère (29) has no extract, so, offline, it must fail on its own while
22 completes.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from access30.base.errors import InputError
from access30.cli import main
from access30.national.batch import DONE, FAILED, BatchOptions, departement_task, parse_departements, run_batch
from tests.paths import REPO

pytest.importorskip("distributed")
SHARED = REPO.parent / "shared" / "data"


@pytest.fixture(scope="module")
def networks(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("networks")
    shutil.copy(SHARED / "osm" / "st_brieuc_loudeac.osm.pbf", folder / "22.osm.pbf")
    return folder


@pytest.fixture(scope="module")
def first_run(networks, tmp_path_factory):
    out = tmp_path_factory.mktemp("batch")
    cache = tmp_path_factory.mktemp("empty_cache")
    code = main(["batch", "--departements", "22,29", "--networks-dir", str(networks), "--partial-network",
                 "--out-dir", str(out), "--cache-dir", str(cache), "--workers", "2", "--quiet"])
    return code, out, cache


def test_a_failing_departement_is_reported_and_the_others_complete(first_run):
    code, out, _ = first_run
    assert code == 1  # the exit status counts the départements that failed
    table = pd.read_csv(out / "national.csv")
    rows = table.set_index("Département")
    assert rows.loc[22, "Statut"] == DONE and rows.loc[29, "Statut"] == FAILED
    assert "29.osm.pbf" in rows.loc[29, "Erreur"] and "--networks-dir" in rows.loc[29, "Erreur"]
    for name in ("national.csv", "national.xlsx", "national.gpkg", "national.png"):
        assert (out / name).stat().st_size > 0, name
    import geopandas as gpd

    layer = gpd.read_file(out / "national.gpkg", layer="departements")
    assert len(layer) == 101 and layer.loc[layer["code"] == "22", "status"].iloc[0] == DONE


def test_the_national_row_equals_a_single_coverage_run(first_run, networks, tmp_path):
    _, out, cache = first_run
    row = json.loads((out / "departements" / "22.json").read_text())
    summary = tmp_path / "s.json"
    assert main(["coverage", "--departement", "22", "--network", str(networks / "22.osm.pbf"), "--partial-network",
                 "--out", str(tmp_path / "c.gpkg"), "--summary", str(summary), "--quiet"]) == 0
    single = json.loads(summary.read_text())
    for key in ("population_total", "population_covered", "share_covered", "mean_time_min", "median_time_min",
                "p90_time_min", "estimated_time_share"):
        assert row[key] == pytest.approx(single[key]), key
    assert row["sites"] == single["sites_on_network"]
    # Any site (neighbouring départements' within 20 km) can only cover more people.
    assert row["population_covered_any_site"] >= row["population_covered"] and row["neighbour_sites"] > 0
    assert any("Population" in line for line in row["sources"])


def test_resume_skips_finished_work(first_run, networks):
    _, out, cache = first_run
    before = (out / "departements" / "22.json").stat().st_mtime_ns
    run = run_batch(["22", "29"], BatchOptions(networks_dir=networks, partial_network=True, cache_dir=cache), out,
                    engine="local", resume=True, progress=False)
    assert run.skipped == ["22"] and run.ran == ["29"]  # a failed one is tried again
    assert (out / "departements" / "22.json").stat().st_mtime_ns == before
    assert list(run.table["code"]) == ["22", "29"]


def _dies_once(code, options, marker):
    """Task wrapper for the test: the worker process dies the first time, as an out-of-memory kill would."""
    if not os.path.exists(marker):
        Path(marker).write_text("killed once")
        os._exit(1)
    return departement_task(code, options)


def test_a_killed_workers_task_is_retried(networks, tmp_path):
    from functools import partial

    marker = str(tmp_path / "killed")
    run = run_batch(["22"], BatchOptions(networks_dir=networks, partial_network=True, cache_dir=tmp_path), tmp_path,
                    engine="dask", workers=1, task=partial(_dies_once, marker=marker), progress=False)
    assert Path(marker).exists() and run.failed == []
    assert run.table.loc[0, "status"] == DONE


def test_departement_lists_are_checked():
    assert parse_departements("22, 2a,972,22") == ["22", "2A", "972"]
    assert len(parse_departements("all")) == 101
    with pytest.raises(InputError, match="code de département inconnu « 20 »"):
        parse_departements("22,20")
    with pytest.raises(SystemExit):  # a national batch has no feed per département: road modes only
        main(["batch", "--departements", "22", "--mode", "transit", "--out-dir", "x"])


# --------------------------------------------------------------------------- issue 23: a resumed batch mixes runs
# One real batch of the Côtes-d'Armor (22) at 30 min by car on the demo extract, engine « local »; each test
# resumes a copy of its folder with one thing changed.


def _batch(out: Path, networks: Path, cache: Path, *extra: str) -> int:
    return main(["batch", "--departements", "22", "--networks-dir", str(networks), "--partial-network",
                 "--out-dir", str(out), "--cache-dir", str(cache), "--engine", "local", *extra])


@pytest.fixture(scope="module")
def base_30min(networks, tmp_path_factory):
    out = tmp_path_factory.mktemp("batch30")
    cache = tmp_path_factory.mktemp("empty_cache30")
    assert _batch(out, networks, cache, "--quiet") == 0
    return out, cache


@pytest.fixture
def resumed(base_30min, tmp_path):
    """A copy of the 30-minute batch's folder, and the cache it used."""
    out, cache = base_30min
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    return copy, cache


def _row(out: Path) -> dict:
    return json.loads((out / "departements" / "22.json").read_text(encoding="utf-8"))


def test_each_row_records_its_options_and_fingerprinted_inputs(base_30min, networks):
    out, cache = base_30min
    run = _row(out)["run"]
    assert run["options"]["threshold_min"] == 30 and run["options"]["mode"] == "drive"
    assert run["options"]["partial_network"] is True and run["options"]["buffer_m"] == 20_000
    inputs = {i["role"]: i for i in run["inputs"]}
    extract = networks / "22.osm.pbf"
    assert inputs["reseau"]["path"] == str(extract) and inputs["reseau"]["size"] == extract.stat().st_size
    import hashlib

    assert inputs["reseau"]["sha256"] == hashlib.sha256(extract.read_bytes()).hexdigest()
    assert inputs["communes"]["size"] > 0 and len(inputs["communes"]["sha256"]) == 64
    # Not in the (empty) cache: recorded as absent, so that a grid downloaded later counts as a change.
    assert inputs["population"]["size"] is None and str(cache) in inputs["population"]["path"]
    assert "29" in run["neighbours"] and "inventaire:29" in inputs  # the Finistère's CDAS count as any site
    # The row's full run record: how it was made, as every other output says it.
    record = run["record"]
    assert record["command"] == "batch" and record["argv"][:2] == ["access30", "batch"]
    assert record["options"]["batch"]["threshold_min"] == 30 and record["options"]["study"]["departement"] == "22"
    assert record["arguments"] == {"departement": "22"} and record["version"]
    assert {"python", "osmnx", "highspy", "geopandas", "gtfs-kit", "dask"} <= set(record["packages"])
    read = {i["path"]: i for i in record["inputs"]}
    assert read[str(extract)]["sha256"] == inputs["reseau"]["sha256"] and read[str(extract)]["role"] == "study.network"
    assert any(i["role"] == "données intégrées" and i["path"].endswith("communes_population.csv.gz")
               for i in record["inputs"])
    assert record["duration_s"] > 0 and record["ended"] >= record["started"]
    assert any(s["line"].startswith("Réseau routier : 22.osm.pbf") for s in record["sources"])


def test_resume_with_the_same_options_reuses_and_says_so(resumed, networks, capsys):
    out, cache = resumed
    before = (out / "departements" / "22.json").stat().st_mtime_ns
    assert _batch(out, networks, cache, "--resume") == 0
    said = capsys.readouterr().out
    assert "Reprise : 1 département repris (mêmes paramètres, mêmes fichiers d'entrée), 0 recalculé" in said
    assert (out / "departements" / "22.json").stat().st_mtime_ns == before


def test_resume_with_another_threshold_recomputes(resumed, networks, capsys):
    out, cache = resumed
    at_30 = _row(out)
    assert _batch(out, networks, cache, "--resume", "--threshold", "5") == 0
    said = capsys.readouterr().out
    assert "1 recalculé" in said and "22 : seuil différent : 30 → 5" in said
    at_5 = _row(out)
    assert at_5["run"]["options"]["threshold_min"] == 5
    assert at_5["population_covered"] < at_30["population_covered"]  # not the 30-minute figure
    national = pd.read_csv(out / "national.csv").set_index("Département")
    assert national.loc[22, "Population couverte"] == pytest.approx(at_5["population_covered"], abs=1)


def test_resume_with_another_mode_recomputes(resumed, networks, capsys):
    out, cache = resumed
    assert _batch(out, networks, cache, "--resume", "--mode", "walk") == 0
    said = capsys.readouterr().out
    assert "22 : mode différent : voiture → à pied" in said
    assert _row(out)["run"]["options"]["mode"] == "walk"


def test_resume_with_a_changed_extract_recomputes_and_says_why(resumed, networks, tmp_path, capsys):
    out, cache = resumed
    changed = tmp_path / "networks"
    changed.mkdir()
    shutil.copy(networks / "22.osm.pbf", changed / "22.osm.pbf")
    # The same file in another folder is the same input: reused.
    before = (out / "departements" / "22.json").stat().st_mtime_ns
    assert _batch(out, changed, cache, "--resume") == 0
    assert "1 département repris" in capsys.readouterr().out
    assert (out / "departements" / "22.json").stat().st_mtime_ns == before
    with open(changed / "22.osm.pbf", "ab") as handle:
        handle.write(b"\0")
    _batch(out, changed, cache, "--resume")
    said = capsys.readouterr().out
    assert "22 : extrait modifié : 22.osm.pbf" in said
    assert _row(out)["run"]["inputs"][0]["size"] == (networks / "22.osm.pbf").stat().st_size + 1


def test_resume_recomputes_a_row_without_its_run_record(resumed, networks):
    out, cache = resumed
    row = _row(out)
    del row["run"]  # as written before issue 23
    (out / "departements" / "22.json").write_text(json.dumps(row), encoding="utf-8")
    calls = []

    def counted(code, options):
        calls.append(code)
        return departement_task(code, options)

    run = run_batch(["22"], BatchOptions(networks_dir=networks, partial_network=True, cache_dir=cache), out,
                    engine="local", resume=True, task=counted, progress=False)
    assert calls == ["22"] and run.reasons == {"22": "ligne sans paramètres (ancienne version)"}
    assert _row(out)["run"]["options"]["threshold_min"] == 30


def _hold_lock(out: Path, pid: int) -> Path:
    import socket

    from access30.national.batch import BATCH_LOCK

    lock = out / BATCH_LOCK
    lock.write_text(json.dumps({"pid": pid, "host": socket.gethostname(), "started": "2025-06-30T14:03:05"}))
    return lock


def test_a_second_batch_on_the_same_folder_is_refused(resumed, networks, capsys):
    out, cache = resumed
    lock = _hold_lock(out, os.getpid())  # a batch of this (live) process holds the folder
    before = {p.name: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    assert _batch(out, networks, cache, "--resume", "--threshold", "5") == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert f"un autre lot national écrit déjà dans le dossier « {out} »" in err
    assert f"processus {os.getpid()}" in err and "lancé le 2025-06-30 à 14:03:05" in err
    assert f"supprimez le fichier verrou {lock}" in err
    assert {p.name: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == before  # nothing written
    with pytest.raises(InputError, match="un autre lot national"):
        run_batch(["22"], BatchOptions(networks_dir=networks, partial_network=True, cache_dir=cache), out,
                  engine="local", resume=True, progress=False)
    assert lock.exists()  # still the other batch's


def test_a_stale_lock_is_taken_over_and_leftovers_removed(resumed, networks, capsys):
    import subprocess
    import sys

    out, cache = resumed
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    lock = _hold_lock(out, gone.pid)  # a batch killed without releasing its lock
    (out / ".national.part-x.xlsx").write_bytes(b"")  # killed while writing the national files
    (out / "departements" / ".22.part-abc123.json").write_text("{")
    (out / "notes.txt").write_text("à garder")
    assert _batch(out, networks, cache, "--resume") == 0
    said = capsys.readouterr().out
    assert f"Verrou d'un calcul interrompu repris (processus {gone.pid} arrêté" in said
    assert "2 fichiers temporaires d'un lot interrompu supprimés" in said and ".national.part-x.xlsx" in said
    assert not (out / ".national.part-x.xlsx").exists() and not (out / "departements" / ".22.part-abc123.json").exists()
    assert (out / "notes.txt").exists() and not lock.exists()
    assert [p.name for p in out.rglob("*.part-*")] == []


def test_the_lock_is_released_on_interrupt(resumed, networks):
    from access30.national.batch import BATCH_LOCK

    out, cache = resumed

    def interrupted(code, options):
        assert (out / BATCH_LOCK).exists()  # held while the tasks run
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batch(["22"], BatchOptions(networks_dir=networks, partial_network=True, cache_dir=cache), out,
                  engine="local", task=interrupted, progress=False)
    assert not (out / BATCH_LOCK).exists()


def test_national_outputs_hold_only_this_runs_rows(resumed, networks):
    out, cache = resumed
    # A row of another run (5 minutes) for the Finistère, written into the folder.
    other = _row(out)
    other.update(code="29", population_covered=1.0)
    other["run"]["options"]["threshold_min"] = 5.0
    (out / "departements" / "29.json").write_text(json.dumps(other), encoding="utf-8")
    run = run_batch(["22", "29"], BatchOptions(networks_dir=networks, partial_network=True, cache_dir=cache), out,
                    engine="local", resume=True, progress=False)
    assert run.skipped == ["22"] and run.reasons == {"29": "seuil différent : 5 → 30"}
    table = run.table.set_index("code")
    assert table.loc["29", "status"] == FAILED  # computed again (no extract offline), not the 5-minute row
