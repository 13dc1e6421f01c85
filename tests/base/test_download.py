"""Where a département's road network is published (access30.base.download): the Geofabrik regions."""

import pytest

from access30.base.departements import REGION_OF_DEPARTEMENT
from access30.base.download import network_file, osm_extract_url
from access30.base.errors import InputError


def test_region_of_departement():
    assert osm_extract_url("22").endswith("/france/bretagne-latest.osm.pbf")
    assert osm_extract_url("972").endswith("/france/martinique-latest.osm.pbf")
    assert osm_extract_url("2a").endswith("/france/corse-latest.osm.pbf")
    with pytest.raises(InputError, match="département « 99 » inconnu"):
        osm_extract_url("99")
    assert len(REGION_OF_DEPARTEMENT) == 101


def test_the_extract_is_a_file_of_the_cache(tmp_path):
    remote = network_file("29", tmp_path)
    assert remote.destination == tmp_path.resolve() / "osm" / "bretagne-latest.osm.pbf"
    assert remote.departements == ("22", "29", "35", "56") and remote.kind == "pbf" and remote.source == "network"
    assert "placez le fichier ici : " + str(remote.destination) in remote.by_hand()
