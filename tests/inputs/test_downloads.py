"""A département's sources downloaded into the cache (access30.inputs.downloads), against a real local
HTTP server.

The server lays files out as the real ones (Geofabrik, INSEE, DILA, data.gouv.fr, GitHub) and is
reached through the mirror setting. Real files where they exist: the demo OSM extract, the ANCT France
Services list (its published SHA-256 is checked); stand-ins for the big national files: a real GTFS zip
for the INSEE archive, and handmade bz2 and Parquet files (named ``handmade_*``).
"""

import bz2
import json
import os
from urllib.parse import urlsplit

import pandas as pd
import pytest

from access30.base.cache import SOURCES, clear, entries, lookup, manifest_path, record, verify
from access30.base.download import osm_extract_url
from access30.base.errors import InputError
from access30.base.record import file_sha256
from access30.inputs.downloads import FRANCE_SERVICES_URL, download_sources, parse_sources
from access30.inputs.remote import DI_API, DILA_URL, FILOSOFI_VINTAGES
from tests.http_server import closed_port, http_server  # noqa: F401
from tests.paths import SHARED_DATA

SHARED = SHARED_DATA
PBF = SHARED / "osm" / "st_brieuc_loudeac.osm.pbf"
FRANCE_SERVICES = SHARED / "france" / "france_services_2024-08-01.csv"
GTFS_ZIP = SHARED / "gtfs" / "car_jaune_974.gtfs.zip"


MANIFEST = "manifest.json"


def path_of(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


@pytest.fixture
def mirror(http_server, tmp_path_factory):  # noqa: F811
    """The server, serving every source at the path of its real address."""
    made = tmp_path_factory.mktemp("handmade")
    http_server.put(path_of(osm_extract_url("22")), PBF)
    http_server.put(path_of(FILOSOFI_VINTAGES["2021"].url), GTFS_ZIP)
    http_server.put(path_of(DILA_URL), bz2.compress((SHARED / "cotes_darmor" / "mairies_22.csv").read_bytes()))
    parquet = made / "handmade_structures.parquet"
    pd.read_csv(SHARED / "cotes_darmor" / "france_services_22.csv", dtype=str).to_parquet(parquet)
    http_server.put("di/structures.parquet", parquet)
    http_server.put(path_of(DI_API), json.dumps({"resources": [
        {"title": "structures-inclusion-2025-05-01", "format": "parquet",
         "url": "https://data-inclusion.example.invalid/di/structures.parquet",
         "last_modified": "2025-05-01T06:12:00", "filesize": parquet.stat().st_size},
        {"title": "services-inclusion", "format": "parquet", "url": "https://x.invalid/services.parquet"},
    ]}).encode())
    http_server.put(path_of(FRANCE_SERVICES_URL), FRANCE_SERVICES)
    return http_server


def download(mirror, cache, **kwargs):
    kwargs.setdefault("progress", False)
    return download_sources("22", cache_dir=cache, mirror=mirror.base, **kwargs)


def test_every_source_downloaded_and_listed_in_the_manifest(mirror, tmp_path):
    cache = tmp_path / "cache"
    outcomes = download(mirror, cache)
    assert [(o.source, o.status) for o in outcomes] == [(s, "ok") for s in SOURCES], [str(o) for o in outcomes]
    listed = {e.source: e for e in entries(cache)}
    assert set(listed) == set(SOURCES)
    for entry in listed.values():
        assert entry.sha256 == file_sha256(entry.path) and entry.size == entry.path.stat().st_size
        assert entry.path.is_relative_to(cache.resolve()) and entry.fetched
    network = listed["network"]
    assert network.path == (cache / "osm" / "bretagne-latest.osm.pbf").resolve()
    assert network.departements == ("22", "29", "35", "56")
    assert network.url == osm_extract_url("22")  # the original address, not the mirror's
    assert network.sha256 == file_sha256(PBF)
    assert listed["grid"].vintage == "2021" and listed["grid"].departements == ()
    assert listed["data_inclusion"].vintage == "2025-05-01"
    assert listed["data_inclusion"].path.name == "structures.parquet"
    assert listed["dila"].path == (cache / "dila" / "all_latest.tar.bz2").resolve()
    assert listed["france_services"].vintage == "2024-08-01"
    assert "aucune liste plus récente n'est publiée à une adresse stable" in str(outcomes[-1])
    raw = json.loads(manifest_path(cache).read_text(encoding="utf-8"))
    assert {item["path"] for item in raw["entries"]} >= {"osm/bretagne-latest.osm.pbf", "dila/all_latest.tar.bz2"}
    leftovers = [p.name for p in cache.rglob("*") if p.is_file() and not p.name.startswith(".access30-")]
    assert sorted(leftovers) == sorted([MANIFEST] + [e.path.name for e in listed.values()])  # no temporary file


def test_second_request_is_already_cached_at_once(mirror, tmp_path):
    cache = tmp_path / "cache"
    download(mirror, cache)
    requests = len(mirror.log)
    again = download(mirror, cache)
    assert [o.status for o in again] == ["cached"] * len(SOURCES)
    assert all("déjà en cache" in str(o) for o in again)
    assert len(mirror.log) == requests  # nothing asked of the server
    assert lookup("network", "29", cache).path.name == "bretagne-latest.osm.pbf"  # same Geofabrik region
    assert lookup("network", "44", cache) is None


def test_one_failure_does_not_stop_the_others(mirror, tmp_path):
    mirror.missing.add(path_of(DILA_URL))
    outcomes = {o.source: o for o in download(mirror, tmp_path / "cache")}
    assert outcomes["dila"].status == "failed" and not outcomes["dila"].ok
    assert "introuvable sur le serveur" in outcomes["dila"].message
    assert "placez le fichier ici" in outcomes["dila"].message
    assert all(o.ok for key, o in outcomes.items() if key != "dila")
    assert lookup("dila", "22", tmp_path / "cache") is None


def test_offline_every_source_fails_at_once_with_what_to_do(tmp_path):
    outcomes = download_sources("22", cache_dir=tmp_path / "cache", mirror=f"http://127.0.0.1:{closed_port()}/",
                                progress=False)
    assert [o.status for o in outcomes] == ["failed"] * len(SOURCES)
    assert "connexion refusée" in outcomes[0].message
    assert all("injoignable" in o.message for o in outcomes[1:])
    assert all("placez" in o.message and "poste connecté" in o.message for o in outcomes)
    assert "structures" in outcomes[3].message and "data_inclusion" in outcomes[3].message


def test_grid_not_published_for_guadeloupe(tmp_path):
    (outcome,) = download_sources("971", only=("grid",), cache_dir=tmp_path, mirror="http://127.0.0.1:9/")
    assert outcome.status == "unavailable"
    assert "ne publie pas de carroyage Filosofi pour Guadeloupe" in str(outcome)


def test_file_placed_by_hand_is_checked_and_recorded(tmp_path):
    cache = tmp_path / "cache"
    placed = cache / "france_services" / "liste-fs-20240801.csv"
    placed.parent.mkdir(parents=True)
    placed.write_bytes(FRANCE_SERVICES.read_bytes())
    offline = f"http://127.0.0.1:{closed_port()}/"
    (outcome,) = download_sources("22", only=["france_services"], cache_dir=cache, mirror=offline)
    assert outcome.status == "cached" and "placé à la main" in outcome.message
    assert outcome.entry.manual and outcome.entry.sha256 == file_sha256(FRANCE_SERVICES)
    assert lookup("france_services", "974", cache) == outcome.entry  # a national list


def test_wrong_file_placed_by_hand_is_refused(tmp_path):
    cache = tmp_path / "cache"
    placed = cache / "france_services" / "liste-fs-20240801.csv"
    placed.parent.mkdir(parents=True)
    placed.write_bytes((SHARED / "cotes_darmor" / "france_services_22.csv").read_bytes())
    offline = f"http://127.0.0.1:{closed_port()}/"
    (outcome,) = download_sources("22", only="france_services", cache_dir=cache, mirror=offline)
    assert outcome.status == "failed"
    assert "refusé (empreinte SHA-256 différente" in outcome.message and "connexion refusée" in outcome.message
    assert entries(cache) == []


def test_verify_and_lookup_after_a_change(mirror, tmp_path):
    cache = tmp_path / "cache"
    download(mirror, cache, only=("network",))
    entry = lookup("network", "22", cache)
    assert verify(entry) is None
    stat = entry.path.stat()
    data = bytearray(entry.path.read_bytes())
    data[-1] ^= 0xFF
    entry.path.write_bytes(bytes(data))
    os.utime(entry.path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same size and time: a lookup trusts it
    assert lookup("network", "22", cache) == entry
    assert "contenu modifié" in verify(entry)
    with open(entry.path, "ab") as handle:
        handle.write(b"\0")
    assert lookup("network", "22", cache) is None
    assert "taille" in verify(entry)
    entry.path.unlink()
    assert "fichier absent" in verify(entry)


def test_same_file_touched_keeps_its_origin(mirror, tmp_path):
    cache = tmp_path / "cache"
    (first,) = download(mirror, cache, only=("network",))
    os.utime(first.entry.path, ns=(0, first.entry.mtime_ns + 5_000_000_000))  # e.g. copied with its content intact
    (again,) = download_sources("22", only=("network",), cache_dir=cache, mirror=f"http://127.0.0.1:{closed_port()}/")
    assert again.status == "cached" and not again.entry.manual and "vérifié à nouveau" in again.message
    assert (again.entry.fetched, again.entry.url) == (first.entry.fetched, first.entry.url)
    assert [e.source for e in entries(cache)] == ["network"]


def test_refresh_downloads_again(mirror, tmp_path):
    cache = tmp_path / "cache"
    download(mirror, cache, only=("france_services",))
    (outcome,) = download(mirror, cache, only=("france_services",), refresh=True)
    assert outcome.status == "ok"
    assert [e.source for e in entries(cache)] == ["france_services"]  # replaced, not duplicated


def test_clear_removes_files_and_entries_and_says_so(mirror, tmp_path):
    cache = tmp_path / "cache"
    download(mirror, cache)
    leftover = cache / "dila" / "old.tar.bz2.part"
    leftover.write_bytes(b"BZh")
    derived = cache / "dila" / "dila_22.parquet"  # what the loader derives from the archive
    derived.write_bytes(b"PAR1")
    dila = lookup("dila", "22", cache)
    cleared = clear("dila", cache)
    assert [e.source for e in cleared.entries] == ["dila"] and cleared.size == dila.size
    assert not dila.path.exists() and not leftover.exists()
    text = str(cleared)
    assert text.startswith("1 fichier supprimé du cache") and "all_latest.tar.bz2" in text
    assert "téléchargement partiel supprimé : old.tar.bz2.part" in text
    assert not derived.exists() and "1 fichier tiré des sources supprimé (tables par département, index) : " \
                                    "dila_22.parquet" in text
    assert {e.source for e in entries(cache)} == set(SOURCES) - {"dila"}
    (cache / "network_drive_0123456789abcdef.graphml").write_text("<graphml/>")  # an older version's network
    everything = clear("all", cache)
    assert "network_drive_0123456789abcdef.graphml" in str(everything)
    assert len(everything.entries) == 4 and entries(cache) == []
    assert [p.name for p in cache.rglob("*") if p.is_file()] in (["manifest.json", ".access30-manifest.lock"],
                                                                 [".access30-manifest.lock", "manifest.json"])
    assert str(clear("all", cache)) == "Rien à supprimer du cache."
    with pytest.raises(InputError, match="source « osm » inconnue"):
        clear("osm", cache)


def test_unreadable_manifest_is_rebuilt_from_the_files_in_place(mirror, tmp_path):
    cache = tmp_path / "cache"
    download(mirror, cache, only=("network",))
    manifest_path(cache).write_text("{not json", encoding="utf-8")
    assert entries(cache) == []
    (outcome,) = download_sources("22", only=("network",), cache_dir=cache, mirror=f"http://127.0.0.1:{closed_port()}/")
    assert outcome.status == "cached" and outcome.entry.sha256 == file_sha256(PBF)


def test_record_computes_the_checksum_when_not_given(tmp_path):
    copy = tmp_path / "handmade_copy.csv"
    copy.write_bytes(b"a,b\n1,2\n")
    entry = record("france_services", copy, url="https://example.invalid/x.csv", vintage="2024", cache_dir=tmp_path)
    assert entry.sha256 == file_sha256(copy) and entries(tmp_path) == [entry]
    assert "France entière" in entry.line() and "millésime 2024" in entry.line()


def test_bad_requests_refused_before_anything(tmp_path):
    with pytest.raises(InputError, match="adresse de miroir"):
        download_sources("22", cache_dir=tmp_path, mirror="miroir.local")
    with pytest.raises(InputError, match="source « osm » inconnue"):
        download_sources("22", only=("osm",), cache_dir=tmp_path)
    with pytest.raises(InputError, match="département « 99 » inconnu"):
        download_sources("99", cache_dir=tmp_path)
    with pytest.raises(InputError, match="millésime Filosofi « 2020 » inconnu"):
        download_sources("22", cache_dir=tmp_path, filosofi_vintage="2020")
    assert not any(tmp_path.iterdir())


def test_sources_asked_by_name():
    assert parse_sources(None) == SOURCES
    assert parse_sources(" grid,network ") == ("network", "grid")  # in the order they are downloaded
    with pytest.raises(InputError, match="option « --only » : source « osm » inconnue — sources : network, grid"):
        parse_sources("network,osm")
    with pytest.raises(InputError, match="source « , » inconnue"):
        parse_sources(",")
