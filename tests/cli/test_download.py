"""``access30 download`` and ``access30 cache`` against a real local HTTP server reached through
ACCESS30_MIRROR, laid out as Geofabrik (the demo extract served as ``europe/france/bretagne-latest.osm.pbf``);
offline, every download path fails at once saying what to fetch by hand and where to put it.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from access30.base.cache import entries, lookup
from access30.base.fetch import partial_path
from access30.cli import main
from tests.http_server import closed_port, http_server  # noqa: F401
from tests.paths import REPO, SHARED_DATA

PBF = SHARED_DATA / "osm" / "st_brieuc_loudeac.osm.pbf"
REGION = "europe/france/bretagne-latest.osm.pbf"
SHA = hashlib.sha256(PBF.read_bytes()).hexdigest()


@pytest.fixture
def mirror(http_server, tmp_path, monkeypatch):  # noqa: F811
    """The demo extract served where Geofabrik serves Brittany, the server set as ACCESS30_MIRROR, an empty cache."""
    http_server.put("miroir/" + REGION, PBF)
    monkeypatch.setenv("ACCESS30_MIRROR", http_server.url("miroir/"))
    monkeypatch.setenv("ACCESS30_CACHE", str(tmp_path / "cache"))
    return http_server


def test_download_with_progress_then_already_cached_at_once(mirror, tmp_path, capsys):
    assert main(["download", "--departement", "22", "--only", "network"]) == 0
    out, err = capsys.readouterr()
    assert "réseau routier OpenStreetMap (bretagne) : 100 %" in err and "178,5 ko sur 178,5 ko" in err  # progress
    assert "✓ réseau routier OpenStreetMap (Geofabrik) : téléchargé — bretagne-latest.osm.pbf, 178,5 ko" in out
    assert f"SHA-256 {SHA}" in out
    cached = tmp_path / "cache" / "osm" / "bretagne-latest.osm.pbf"
    assert cached.read_bytes() == PBF.read_bytes() and mirror.log[-1] == ("miroir/" + REGION, "", 200)
    assert main(["download", "--departement", "29", "--only", "network"]) == 0  # same region
    out, err = capsys.readouterr()
    assert "déjà en cache" in out and err == "" and len(mirror.log) == 1  # nothing asked of the server


def test_quiet_download_shows_no_progress(mirror, capsys):
    assert main(["download", "--departement", "22", "--only", "network", "--quiet"]) == 0
    assert capsys.readouterr().err == ""


def test_the_mirror_option_wins_over_the_setting(mirror, monkeypatch, capsys):
    monkeypatch.setenv("ACCESS30_MIRROR", f"http://127.0.0.1:{closed_port()}/")
    assert main(["download", "--departement", "22", "--only", "network", "--mirror", mirror.url("miroir/")]) == 0
    assert "téléchargé" in capsys.readouterr().out
    assert main(["download", "--departement", "22", "--mirror", "ftp://miroir/"]) == 2
    assert "adresse de miroir « ftp://miroir/ » invalide" in capsys.readouterr().err


def test_an_interrupted_download_resumes(mirror, tmp_path, capsys):
    mirror.drop_once["miroir/" + REGION] = 0.5  # the server closes the connection halfway
    assert main(["download", "--departement", "22", "--only", "network"]) == 1
    out = capsys.readouterr().out
    assert "✗ réseau routier OpenStreetMap (Geofabrik) : échec" in out and "téléchargement interrompu" in out
    assert "relancez la même commande, le téléchargement reprendra" in out
    part = partial_path(tmp_path / "cache" / "osm" / "bretagne-latest.osm.pbf")
    assert part.stat().st_size == PBF.stat().st_size // 2
    assert main(["download", "--departement", "22", "--only", "network"]) == 0
    assert mirror.log[-1] == ("miroir/" + REGION, f"bytes={PBF.stat().st_size // 2}-", 206)
    assert "(reprise)" in capsys.readouterr().err
    assert lookup("network", "22", tmp_path / "cache").sha256 == SHA and not part.exists()


def test_a_download_killed_halfway_resumes(mirror, tmp_path):
    """The command itself killed (SIGKILL) in the middle of the transfer: the next run asks for the rest only."""
    mirror.slow["miroir/" + REGION] = 0.15
    env = {**os.environ, "ACCESS30_MIRROR": mirror.url("miroir/"), "ACCESS30_CACHE": str(tmp_path / "cache")}
    command = [sys.executable, "-m", "access30.cli", "download", "--departement", "22", "--only", "network"]
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    part = partial_path(tmp_path / "cache" / "osm" / "bretagne-latest.osm.pbf")
    deadline = time.monotonic() + 60
    while not (part.is_file() and part.stat().st_size > 0) and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    kept = part.stat().st_size
    assert 0 < kept < PBF.stat().st_size
    mirror.slow.clear()
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert mirror.log[-1] == ("miroir/" + REGION, f"bytes={kept}-", 206)
    assert (tmp_path / "cache" / "osm" / "bretagne-latest.osm.pbf").read_bytes() == PBF.read_bytes()


def test_cache_lists_each_file_with_its_checksum_and_clears(mirror, tmp_path, capsys):
    assert main(["cache"]) == 0
    assert "Aucun fichier enregistré" in capsys.readouterr().out
    main(["download", "--departement", "22", "--only", "network", "--quiet"])
    capsys.readouterr()
    assert main(["cache"]) == 0
    out = capsys.readouterr().out
    assert "- network — réseau routier OpenStreetMap (bretagne)" in out
    assert "bretagne-latest.osm.pbf ; 178,5 ko ; départements 22, 29, 35, 56 ; millésime 20" in out
    assert f"SHA-256 {SHA} ; présent" in out and "téléchargé le " in out
    assert "source : https://download.geofabrik.de/" + REGION in out  # the original address, not the mirror's
    assert main(["cache", "--verify"]) == 0 and "vérifié (empreinte identique)" in capsys.readouterr().out
    cached = tmp_path / "cache" / "osm" / "bretagne-latest.osm.pbf"
    stat = cached.stat()
    cached.write_bytes(PBF.read_bytes()[::-1])
    os.utime(cached, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert main(["cache", "--verify"]) == 1 and "contenu modifié" in capsys.readouterr().out
    assert main(["cache", "--clear", "network"]) == 0
    assert "1 fichier supprimé du cache (178,5 ko)" in capsys.readouterr().out
    assert entries(tmp_path / "cache") == [] and not cached.exists()


def test_offline_every_source_fails_at_once_and_the_command_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ACCESS30_CACHE", str(tmp_path / "cache"))
    assert main(["download", "--departement", "22"]) == 1
    out = capsys.readouterr().out
    assert out.count("✗ ") == 5 and "placez le fichier ici" in out and "les autres sont gardées" in out


def test_offline_a_departement_study_says_what_to_fetch_and_where(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ACCESS30_CACHE", str(tmp_path / "cache"))
    assert main(["coverage", "--territory", "29", "--out", str(tmp_path / "c.gpkg")]) == 2
    err = capsys.readouterr().err
    assert "Réseau routier de « département 29 » indisponible" in err and "téléchargement impossible" in err
    assert f"placez le fichier ici : {tmp_path / 'cache' / 'osm' / 'bretagne-latest.osm.pbf'}" in err
    assert "--network" in err and "Traceback" not in err


def test_a_study_downloads_a_missing_network_on_first_use(mirror, tmp_path, capsys):
    """« coverage » for a département fetches its region's extract the same way (progress, cache, record)."""
    summary = tmp_path / "d22.json"
    assert main(["coverage", "--territory", "22", "--partial-network", "--max-access-m", "12000",
                 "--out", str(tmp_path / "d22.gpkg"), "--summary", str(summary)]) == 0
    assert "réseau routier OpenStreetMap (bretagne) : 100 %" in capsys.readouterr().err
    s = json.loads(summary.read_text(encoding="utf-8"))
    assert s["sources"][0].startswith("Réseau routier : extrait OpenStreetMap bretagne-latest.osm.pbf (Geofabrik")
    network = next(i for i in s["run"]["inputs"] if i["role"] == "cache:network")
    assert network["sha256"] == SHA
    source = next(x for x in s["run"]["sources"] if x["source"] == "network")
    assert source["url"] == "https://download.geofabrik.de/" + REGION and source["fetched"]
    # The grid, DILA and data·inclusion are not served: said, and the study runs without them.
    assert any("placez le fichier ici" in n for n in s["notices"])
