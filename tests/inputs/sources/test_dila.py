"""DILA « Annuaire de l'administration – base de données locales »: download once, cache, offline.

The export (~350 MB) cannot be fetched here. The tests build a tiny ``.tar.bz2`` from a JSON written
from the documented schema (FIXTURE: invented offices, real field names) and read it through the same
code path: download from a ``file://`` address, read once into per-département Parquet, then offline.
"""

from __future__ import annotations

import io
import json
import tarfile

import pytest

from access30.base.cache import ensure, lookup
from access30.base.errors import InputError, NetworkUnavailableError
from access30.base.fetch import DownloadInterrupted, partial_path
from access30.inputs import hours as H
from access30.inputs.remote import dila_file
from access30.inputs.sources.dila import DILA_PIVOTS, dila_cached, dila_hours, load_dila, normalise_dila

TUE = 1


def _plage(first, last, d1, f1, d2="", f2="", comment=""):
    return {"nom_jour_debut": first, "nom_jour_fin": last, "valeur_heure_debut_1": d1, "valeur_heure_fin_1": f1,
            "valeur_heure_debut_2": d2, "valeur_heure_fin_2": f2, "commentaire": comment}


# FIXTURE written from the documented schema: names and ids are invented for the test.
FIXTURE_SERVICES = [
    {"id": "fixture-ccas-brest", "nom": "CCAS de Brest (fixture)", "siret": "262 900 019 00010",
     "code_insee_commune": "29019",
     "pivot": [{"type_service_local": "ccas", "code_insee_commune": ["29019"]}],
     "adresse": [{"type_adresse": "Adresse postale", "numero_voie": "BP 1", "code_postal": "29200",
                  "nom_commune": "Brest", "longitude": "", "latitude": ""},
                 {"type_adresse": "Adresse", "numero_voie": "1 rue de la Fixture", "code_postal": "29200",
                  "nom_commune": "Brest", "longitude": "-4.4861", "latitude": "48.3904"}],
     "plage_ouverture": [_plage("Lundi", "Vendredi", "08:30:00", "12:00:00", "13:30:00", "17:00:00"),
                         _plage("Samedi", "Samedi", "09:00:00", "12:00:00", comment="sur rendez-vous")]},
    # The directory's API gives the nested fields as JSON text: read the same way.
    {"id": "fixture-cdas-morlaix", "nom": "CDAS de Morlaix (fixture)", "code_insee_commune": "29151",
     "pivot": json.dumps([{"type_service_local": "cdas", "code_insee_commune": ["29151", "29023"]}]),
     "adresse": json.dumps([{"type_adresse": "Adresse", "numero_voie": "2 rue Fixture", "code_postal": "29600",
                             "nom_commune": "Morlaix"}]),
     "plage_ouverture": "[]"},
    {"id": "fixture-fs", "nom": "France services (fixture)", "code_insee_commune": "29232",
     "pivot": [{"type_service_local": "france_services", "code_insee_commune": ["29232"]},
               {"type_service_local": "ccas", "code_insee_commune": ["29232"]}],
     "adresse": [{"type_adresse": "Adresse", "longitude": "-4.1024", "latitude": "47.9960"}]},
    # Geocoded in La Réunion although in the Finistère: the point must be dropped, not kept.
    {"id": "fixture-bad-point", "nom": "Centre social (fixture)", "code_insee_commune": "29046",
     "pivot": [{"type_service_local": "centre_social", "code_insee_commune": ["29046"]}],
     "adresse": [{"type_adresse": "Adresse", "longitude": "55.4481", "latitude": "-20.8795"}]},
    {"id": "fixture-caf", "nom": "CAF (fixture)", "code_insee_commune": "29019",
     "pivot": [{"type_service_local": "caf", "code_insee_commune": ["29019"]}],
     "adresse": [{"type_adresse": "Adresse", "longitude": "-4.48", "latitude": "48.39"}]},
    {"id": "fixture-ccas-972", "nom": "CCAS du Lamentin (fixture)", "code_insee_commune": "97213",
     "pivot": [{"type_service_local": "cias", "code_insee_commune": ["97213"]}],
     "adresse": [{"type_adresse": "Adresse", "longitude": "-61.0030", "latitude": "14.6154"}]},
]


def _archive(tmp_path, services=FIXTURE_SERVICES, member="2026-11-20_fixture-data.gouv_local.json"):
    data = json.dumps({"service": services}, ensure_ascii=False).encode("utf-8")
    path = tmp_path / "FIXTURE_all_latest.tar.bz2"
    with tarfile.open(path, "w:bz2") as tar:
        info = tarfile.TarInfo("2026-11-20_fixture-data.gouv_commune/29019.json")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"{}"))
        info = tarfile.TarInfo(member)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return path


def test_download_read_once_then_offline(tmp_path):
    archive = _archive(tmp_path)
    cache = tmp_path / "cache"
    assert not dila_cached(cache)
    result = load_dila("29", cache_dir=cache, url=archive.as_uri())
    assert dila_cached(cache)
    assert (cache / "dila" / "all_latest.tar.bz2").read_bytes() == archive.read_bytes()
    assert sorted(p.name for p in (cache / "dila").glob("dila_*.parquet")) == ["dila_29.parquet", "dila_972.parquet"]
    assert not list((cache / "dila").glob(".*part*"))  # no temporary file left
    records = result.records.set_index("site_id")
    assert set(records.index) == {"dila-fixture-ccas-brest", "dila-fixture-cdas-morlaix", "dila-fixture-fs",
                                  "dila-fixture-bad-point"}  # the CAF is not a first-reception office
    assert result.vintage == "2026-11-20" and "export du 2026-11-20" in result.label
    brest = records.loc["dila-fixture-ccas-brest"]
    assert brest["type"] == "ccas" and brest["siret"] == "26290001900010"
    assert brest["address"] == "1 rue de la Fixture, 29200 Brest"  # the physical address, not the PO box
    assert (brest.geometry.x, brest.geometry.y) == (-4.4861, 48.3904)
    assert brest["hours_format"] == "mairie_json" and brest["hours_comment"] == "sur rendez-vous"
    read = H.read_hours(brest["hours"], brest["hours_format"])
    assert read.status == H.STATUS_KNOWN and read.hours.minutes_per_week() == 5 * (210 + 210) + 180
    assert read.hours.is_open(TUE, 9 * 60) and not read.hours.is_open(TUE, 12 * 60 + 30)
    morlaix = records.loc["dila-fixture-cdas-morlaix"]
    assert morlaix["type"] == "polyvalence" and morlaix.geometry is None
    assert morlaix["served_communes"] == "29023 ; 29151" and morlaix["hours"] == ""
    assert records.loc["dila-fixture-fs", "type"] == "ccas"  # CCAS wins over France Services
    assert records.loc["dila-fixture-fs", "dila_pivot"] == "ccas ; france_services"
    bad = records.loc["dila-fixture-bad-point"]
    assert bad.geometry is None and "de toute mairie du département 29" in bad["missing_reason"]
    assert any(n.code == "dila_outside" for n in result.notices)
    assert len(result.sites) == 2 and len(result.without_coordinates) == 2
    # Offline afterwards: the cache answers, the unreachable address is never tried.
    again = load_dila("972", cache_dir=cache, url="http://127.0.0.1:9/all_latest.tar.bz2")
    assert again.records["type"].tolist() == ["ccas"]
    empty = load_dila("22", cache_dir=cache, url="http://127.0.0.1:9/x")
    assert empty.records.empty and empty.notices[0].code == "dila_empty"


def test_offline_without_cache_says_what_to_do(tmp_path):
    cache = tmp_path / "cache"
    with pytest.raises(NetworkUnavailableError) as err:
        load_dila("29", cache_dir=cache, url="http://127.0.0.1:9/all_latest.tar.bz2")
    message = str(err.value)
    assert message.startswith("Annuaire de l'administration (DILA, ~350 Mo) : téléchargement impossible")
    assert f"placez le fichier ici : {cache / 'dila' / 'all_latest.tar.bz2'}" in message
    assert not (cache / "dila" / "all_latest.tar.bz2").exists()


def test_archive_given_by_hand_and_bad_archives(tmp_path):
    archive = _archive(tmp_path)
    result = load_dila("972", cache_dir=tmp_path / "c", archive=archive)
    assert result.records["site_id"].tolist() == ["dila-fixture-ccas-972"]
    bad = tmp_path / "bad.tar.bz2"
    bad.write_bytes(b"not an archive")
    with pytest.raises(InputError, match="archive de l'Annuaire de l'administration illisible"):
        load_dila("29", cache_dir=tmp_path / "d", archive=bad)
    no_json = _archive(tmp_path, member="readme.txt")
    with pytest.raises(InputError, match="aucun fichier"):
        load_dila("29", cache_dir=tmp_path / "e", archive=no_json)
    with pytest.raises(InputError, match="introuvable"):
        load_dila("29", cache_dir=tmp_path / "f", archive=tmp_path / "missing.tar.bz2")


def test_hours_and_pivots():
    text, comment = dila_hours([_plage("Lundi", "Jeudi", "08:00:00", "12:00:00"),
                                _plage("Vendredi", "", "08:00:00", ""), "junk"])
    assert json.loads(text) == [["lundi", "jeudi", [["08:00:00", "12:00:00"]]]] and comment == ""
    assert dila_hours([]) == ("", "")
    assert set(DILA_PIVOTS.values()) == {"ccas", "polyvalence", "centre_social", "france_services", "mairie"}
    frame = normalise_dila([{"id": "x", "nom": "Mairie (fixture)", "pivot": [
        {"type_service_local": "mairie", "code_insee_commune": ["97411"]}]}])
    # No commune code of its own: the département comes from the communes it serves.
    assert frame[["type", "commune", "departement"]].values.tolist() == [["mairie", "97411", "974"]]


def test_broken_transfer_leaves_nothing_under_the_final_name_and_resumes(tmp_path, monkeypatch):
    """A server on the loopback announces 1,000 bytes and sends 10: the download fails clearly, nothing
    lies under the final name, and the 10 bytes are kept for the next run to resume from."""
    import http.server
    import threading

    class Short(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's naming)
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"0123456789")

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Short)
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    monkeypatch.delenv("ACCESS30_MIRROR")
    remote = dila_file(tmp_path, f"http://127.0.0.1:{server.server_port}/all_latest.tar.bz2")
    try:
        with pytest.raises(DownloadInterrupted, match="interrompu après 10 octets sur 1,0 ko.*reprendra"):
            ensure(remote, cache_dir=tmp_path, progress=False, timeout_s=10)
    finally:
        thread.join(timeout=10)
        server.server_close()
    assert not remote.destination.exists() and partial_path(remote.destination).read_bytes() == b"0123456789"
    assert lookup("dila", None, tmp_path) is None

