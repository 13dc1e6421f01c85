"""Download code, exercised offline with local files and an unreachable address."""

import pytest

from access30.base.download import download_file, download_osm_extract, osm_extract_url
from access30.base.errors import InputError, NetworkUnavailableError


def test_region_of_departement():
    assert osm_extract_url("22").endswith("/france/bretagne-latest.osm.pbf")
    assert osm_extract_url("972").endswith("/france/martinique-latest.osm.pbf")
    assert osm_extract_url("2a").endswith("/france/corse-latest.osm.pbf")
    with pytest.raises(InputError):
        osm_extract_url("99")


def test_download_local_file_is_byte_identical(tmp_path, shared_data):
    source = shared_data / "osm" / "saint_barthelemy.osm.pbf"
    target = download_file(source.as_uri(), tmp_path / "copy.osm.pbf")
    assert target.read_bytes() == source.read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["copy.osm.pbf"]  # no temporary file left


def test_offline_download_fails_clearly(tmp_path):
    with pytest.raises(NetworkUnavailableError, match="Téléchargement impossible"):
        download_file("http://127.0.0.1:9/bretagne-latest.osm.pbf", tmp_path / "x.osm.pbf", timeout_s=5)
    assert not list(tmp_path.iterdir())


def test_existing_extract_is_reused(tmp_path):
    existing = tmp_path / "bretagne-latest.osm.pbf"
    existing.write_bytes(b"already here")
    assert download_osm_extract("22", tmp_path) == existing
