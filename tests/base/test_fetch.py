"""The download engine against a real local HTTP server: progress, resume, checks, mirror, French errors."""

import builtins
import errno
import hashlib
import json
import socket
from pathlib import Path

import pytest

import access30.base.fetch
from access30.base.errors import InputError, NetworkUnavailableError
from access30.base.fetch import (
    DownloadInterrupted,
    DownloadsForbidden,
    ServerUnreachable,
    _FrenchBar,
    _reason,
    download_settings,
    fetch,
    fetch_json,
    format_check,
    mirrored_url,
    partial_path,
)
from access30.base.fmt import fmt_bytes
from tests.http_server import closed_port, corrupted, http_server, touch_later  # noqa: F401
from tests.paths import SHARED_DATA

SHARED = SHARED_DATA
PBF = SHARED / "osm" / "st_brieuc_loudeac.osm.pbf"
REGION = "europe/france/bretagne-latest.osm.pbf"
GEOFABRIK = "https://download.geofabrik.de/" + REGION


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def served(http_server):  # noqa: F811
    http_server.put(REGION, PBF)
    return http_server


def get(server, tmp_path, **kwargs):
    kwargs.setdefault("what", "réseau routier OpenStreetMap (bretagne)")
    kwargs.setdefault("mirror", "")
    return fetch(server.url(REGION), tmp_path / "osm" / "bretagne-latest.osm.pbf", **kwargs)


def test_first_download_with_progress(served, tmp_path, capsys):
    result = get(served, tmp_path, validate=format_check("pbf"), sha256=sha(PBF.read_bytes()))
    assert result.path.read_bytes() == PBF.read_bytes()
    assert (result.size, result.sha256, result.resumed_from) == (PBF.stat().st_size, sha(PBF.read_bytes()), 0)
    assert result.last_modified  # the server's date: the vintage of a « -latest » file
    assert "réseau routier OpenStreetMap (bretagne)" in capsys.readouterr().err
    assert sorted(p.name for p in result.path.parent.iterdir()) == ["bretagne-latest.osm.pbf"]


def test_no_progress_is_silent(served, tmp_path, capsys):
    get(served, tmp_path, progress=False)
    assert capsys.readouterr().err == ""


def test_dropped_connection_keeps_part_and_next_call_resumes(served, tmp_path, capsys):
    size = PBF.stat().st_size
    served.drop_once[REGION] = 0.5
    resumes = "téléchargement interrompu.*relancez la même commande, le téléchargement reprendra"
    with pytest.raises(DownloadInterrupted, match=resumes) as caught:
        get(served, tmp_path)
    assert isinstance(caught.value, NetworkUnavailableError)
    part = partial_path(tmp_path / "osm" / "bretagne-latest.osm.pbf")
    assert part.stat().st_size == size // 2 == caught.value.received
    assert not (tmp_path / "osm" / "bretagne-latest.osm.pbf").exists()

    result = get(served, tmp_path)
    assert served.log[-1] == (REGION, f"bytes={size // 2}-", 206)
    assert result.resumed_from == size // 2
    assert result.sha256 == sha(PBF.read_bytes()) == sha(result.path.read_bytes())
    assert not part.exists()
    assert "(reprise)" in capsys.readouterr().err


def test_resume_starts_again_when_the_file_changed_on_the_server(served, tmp_path):
    served.drop_once[REGION] = 0.3
    with pytest.raises(DownloadInterrupted):
        get(served, tmp_path)
    new = PBF.read_bytes()[::-1]
    touch_later(served.put(REGION, new))  # another version: If-Range no longer matches, the server sends it all
    result = get(served, tmp_path)
    assert served.log[-1][2] == 200 and served.log[-1][1].startswith("bytes=")
    assert result.resumed_from == 0
    assert result.path.read_bytes() == new


def test_resume_starts_again_when_the_server_ignores_range(served, tmp_path):
    served.drop_once[REGION] = 0.5
    with pytest.raises(DownloadInterrupted):
        get(served, tmp_path)
    served.ignore_range = True
    result = get(served, tmp_path)
    assert served.log[-1][2] == 200
    assert result.resumed_from == 0 and result.sha256 == sha(PBF.read_bytes())


def test_whole_part_left_by_a_crash_is_finished_without_downloading(served, tmp_path):
    destination = tmp_path / "osm" / "bretagne-latest.osm.pbf"
    destination.parent.mkdir()
    partial_path(destination).write_bytes(PBF.read_bytes())
    Path(str(partial_path(destination)) + ".json").write_text(json.dumps({"url": served.url(REGION)}))
    result = get(served, tmp_path)
    assert served.log[-1][2] == 416
    assert result.sha256 == sha(PBF.read_bytes()) and destination.is_file()


def test_corrupt_file_refused_by_checksum_and_removed(served, tmp_path):
    served.corrupt.add(REGION)
    assert format_check("pbf")(served.put("copy.pbf", corrupted(PBF.read_bytes()))) is None  # still looks like PBF
    with pytest.raises(InputError, match="refusé, corrompu.*SHA-256.*supprimé.*relancez ; si l'erreur se répète, "
                                         "téléchargez https?://.* et placez le fichier ici"):
        get(served, tmp_path, sha256=sha(PBF.read_bytes()), validate=format_check("pbf"))
    assert list((tmp_path / "osm").iterdir()) == []


def test_web_page_refused_by_format(http_server, tmp_path):  # noqa: F811
    http_server.put(REGION, b"<!DOCTYPE html><html><body>Authentification requise (proxy)</body></html>")
    with pytest.raises(InputError, match="ce n'est pas un extrait OpenStreetMap .osm.pbf : page web"):
        get(http_server, tmp_path, validate=format_check("pbf"))
    assert list((tmp_path / "osm").iterdir()) == []


def test_size_checked(served, tmp_path):
    with pytest.raises(InputError, match="taille reçue .* au lieu de 12 octets"):
        get(served, tmp_path, expected_size=12)


def test_404_says_not_found_and_what_to_do(http_server, tmp_path):  # noqa: F811
    http_server.put(REGION, PBF)
    http_server.missing.add(REGION)
    with pytest.raises(InputError, match="introuvable sur le serveur \\(HTTP 404.*placez le fichier ici : "
                                         ".*bretagne-latest.osm.pbf"):
        get(http_server, tmp_path)
    assert list((tmp_path / "osm").iterdir()) == []


def test_offline_fails_at_once_in_french(tmp_path):
    url = f"http://127.0.0.1:{closed_port()}/{REGION}"
    with pytest.raises(ServerUnreachable, match="réseau routier OpenStreetMap \\(bretagne\\) : téléchargement "
                                                "impossible .*\\(connexion refusée.*placez le fichier ici") as caught:
        fetch(url, tmp_path / "x.osm.pbf", what="réseau routier OpenStreetMap (bretagne)", mirror="")
    assert isinstance(caught.value, NetworkUnavailableError) and caught.value.host.startswith("127.0.0.1:")
    assert list(tmp_path.iterdir()) == []


def test_connection_failures_in_french():
    assert "nom de serveur introuvable" in _reason(socket.gaierror(-2, "Name or service not known"), 60)
    assert "pas de réponse en 60 s" == _reason(TimeoutError("timed out"), 60)


def test_mirror_keeps_the_path():
    assert mirrored_url(GEOFABRIK, "http://127.0.0.1:8123/m/") == "http://127.0.0.1:8123/m/" + REGION
    assert mirrored_url(GEOFABRIK, "http://127.0.0.1:8123/m") == "http://127.0.0.1:8123/m/" + REGION
    assert mirrored_url(GEOFABRIK, "https://miroir.prefecture.invalid") == "https://miroir.prefecture.invalid/" + REGION
    assert mirrored_url("https://www.data.gouv.fr/api/1/datasets/x/?a=1", "http://h/") == "http://h/api/1/datasets/x/?a=1"
    assert mirrored_url(GEOFABRIK, "") == GEOFABRIK
    with pytest.raises(InputError, match="adresse de miroir « ftp://h/ » invalide"):
        mirrored_url(GEOFABRIK, "ftp://h/")


def test_mirror_from_the_environment(served, tmp_path, monkeypatch):
    served.put("m/" + REGION, PBF)
    monkeypatch.setenv("ACCESS30_MIRROR", served.url("m/"))
    assert mirrored_url(GEOFABRIK) == served.url("m/" + REGION)
    result = fetch(GEOFABRIK, tmp_path / "b.osm.pbf", what="réseau", progress=False)
    assert result.url == served.url("m/" + REGION) and served.log[-1][0] == "m/" + REGION
    assert result.sha256 == sha(PBF.read_bytes())
    assert mirrored_url(GEOFABRIK, "") == GEOFABRIK  # "" turns the mirror off


def test_mirror_missing_file_names_both_addresses(http_server, tmp_path):  # noqa: F811
    with pytest.raises(InputError, match=f"HTTP 404.*miroir.*téléchargez {GEOFABRIK} \\(ou depuis le miroir"):
        fetch(GEOFABRIK, tmp_path / "b.osm.pbf", what="réseau", mirror=http_server.url("m/"))


def test_full_disk_refused_before_downloading(served, tmp_path, monkeypatch):
    monkeypatch.setattr(access30.base.fetch.shutil, "disk_usage", lambda path: type("U", (), {"free": 1000})())
    with pytest.raises(InputError, match="place insuffisante.* 1,0 ko libres"):
        get(served, tmp_path)


def test_write_error_is_french(served, tmp_path):
    blocker = tmp_path / "osm"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(InputError, match="écriture impossible pendant le téléchargement"):
        get(served, tmp_path)


def test_fetch_json(http_server, tmp_path):  # noqa: F811
    http_server.put("api/1/datasets/x/", b'{"resources": []}')
    assert fetch_json(http_server.url("api/1/datasets/x/"), what="la description", mirror="") == {"resources": []}
    http_server.put("api/1/datasets/y/", b"<html>portail</html>")
    with pytest.raises(InputError, match="n'est pas du JSON"):
        fetch_json(http_server.url("api/1/datasets/y/"), what="la description", mirror="")


def test_format_checks_on_real_files(tmp_path):
    assert format_check("pbf")(PBF) is None
    assert format_check("zip")(SHARED / "gtfs" / "car_jaune_974.gtfs.zip") is None
    assert format_check("csv")(SHARED / "france" / "france_services_2024-08-01.csv") is None
    assert "ce n'est pas une archive .zip" in format_check("zip")(PBF)
    assert "ce n'est pas un extrait OpenStreetMap" in format_check("pbf")(SHARED / "gtfs" / "car_jaune_974.gtfs.zip")
    empty = tmp_path / "handmade_empty.csv"
    empty.write_bytes(b"")
    assert "fichier vide" in format_check("csv")(empty)


def test_fmt_bytes():
    assert fmt_bytes(512) == "512 octets"
    assert fmt_bytes(178_537) == "178,5 ko"
    assert fmt_bytes(312_456_789) == "312,5 Mo"


def test_disk_full_midway_keeps_the_part_and_a_new_run_resumes(served, tmp_path, monkeypatch):
    real_open = builtins.open

    class FullDisk:
        """A file that refuses bytes beyond the first 100 000 with ENOSPC."""

        def __init__(self, handle):
            self.handle, self.written = handle, 0

        def write(self, data):
            if self.written + len(data) > 100_000:
                raise OSError(errno.ENOSPC, "No space left on device")
            self.written += len(data)
            return self.handle.write(data)

        def flush(self):
            self.handle.flush()

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

    def full_open(path, mode="r", *args, **kwargs):
        handle = real_open(path, mode, *args, **kwargs)
        return FullDisk(handle) if str(path).endswith(".part") and ("w" in mode or "a" in mode) else handle

    monkeypatch.setattr(access30.base.fetch, "open", full_open, raising=False)
    with pytest.raises(InputError, match="disque plein pendant le téléchargement — libérez de la place.*reprendra"):
        get(served, tmp_path)
    part = partial_path(tmp_path / "osm" / "bretagne-latest.osm.pbf")
    kept = part.stat().st_size
    assert 0 < kept <= 100_000
    monkeypatch.undo()
    result = get(served, tmp_path)
    assert result.resumed_from == kept
    assert result.sha256 == sha(PBF.read_bytes())


def test_progress_bar_in_french_units(served, tmp_path, capsys):
    get(served, tmp_path)
    err = capsys.readouterr().err
    assert "réseau routier OpenStreetMap (bretagne) : 100 %" in err
    assert f"{fmt_bytes(PBF.stat().st_size)} sur {fmt_bytes(PBF.stat().st_size)}" in err
    assert "MB" not in err and "it/s" not in err
    line = _FrenchBar.format_meter(131_200_000, 312_500_000, 10.0, prefix="réseau")
    assert line.startswith("réseau : 42 % |████████") and "131,2 Mo sur 312,5 Mo, 13,1 Mo/s, reste" in line
    assert _FrenchBar.format_meter(5_000, None, 1.0, prefix="x") == "x : 5,0 ko reçus, 5,0 ko/s"


def test_download_settings_quiet_mirror_and_forbidden(served, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("ACCESS30_MIRROR")
    served.put("m/" + REGION, PBF)
    with download_settings(progress=False, mirror=served.url("m/")):
        result = fetch(GEOFABRIK, tmp_path / "a.osm.pbf", what="réseau")  # the --mirror option
    assert result.url == served.url("m/" + REGION) and capsys.readouterr().err == ""
    assert mirrored_url(GEOFABRIK) == GEOFABRIK  # the block is over
    with download_settings(forbidden="relance d'un calcul : le cache seulement"):
        with pytest.raises(DownloadsForbidden, match=r"absent du cache, et rien n'est téléchargé \(relance d'un "
                                                     "calcul.*placez le fichier ici : .*b.osm.pbf"):
            fetch(GEOFABRIK, tmp_path / "b.osm.pbf", what="réseau")
        with pytest.raises(DownloadsForbidden):
            fetch_json(served.url("api/"), what="la description")
    assert not (tmp_path / "b.osm.pbf").exists() and len(served.log) == 1
    with pytest.raises(InputError, match="adresse de miroir « miroir.local » invalide"):
        with download_settings(mirror="miroir.local"):
            pass


def test_local_files_are_not_mirrored(tmp_path):
    assert mirrored_url(PBF.as_uri(), "http://miroir.local/m/") == PBF.as_uri()
    result = fetch(PBF.as_uri(), tmp_path / "copy.osm.pbf", what="réseau", mirror="http://miroir.local/m/",
                   progress=False)
    assert result.sha256 == sha(PBF.read_bytes())
