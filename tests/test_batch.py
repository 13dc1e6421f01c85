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

from access.batch import DONE, FAILED, BatchOptions, departement_task, parse_departements, run_batch
from access.cli import main
from access.errors import InputError

pytest.importorskip("distributed")
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


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
