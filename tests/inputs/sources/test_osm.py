"""Social offices read from OpenStreetMap with pyosmium: the real extracts, and a hand-made fixture."""

from __future__ import annotations

import pytest

from access30.base.errors import InputError
from access30.inputs.sources.osm import read_osm, type_from_name
from tests.paths import REPO

FIXTURE = REPO / "tests" / "fixtures" / "FIXTURE_social_facilities.osm"


@pytest.mark.parametrize("name", ["liechtenstein.osm.pbf", "paris_bss.osm.pbf", "saint_barthelemy.osm.pbf",
                                  "st_brieuc_loudeac.osm.pbf"])
def test_real_extracts_have_none(shared_data, name):
    # Counted on 2026-11-25 with a full scan: none of the four extracts carries amenity=social_facility
    # or office=government, so the reader must find nothing (and say nothing was set aside).
    result = read_osm(shared_data / "osm" / name)
    assert result.records.empty and result.excluded.empty
    assert list(result.sites.columns[:8]) == ["site_id", "name", "type", "commune", "address", "hours",
                                              "hours_format", "source"]
    if name == "liechtenstein.osm.pbf":
        assert result.vintage == "2015-07-27"  # replication timestamp of the header
    else:
        assert result.vintage.startswith("date d'extraction inconnue")


def test_fixture_nodes_ways_and_exclusions():
    result = read_osm(FIXTURE)
    records = result.records.set_index("site_id")
    assert records["type"].to_dict() == {"osm-n1": "ccas", "osm-n3": "centre_social", "osm-n5": "ccas",
                                         "osm-n6": "autre", "osm-w100": "polyvalence"}
    ccas = records.loc["osm-n1"]
    assert ccas["address"] == "1 Rue Fixture, 29200 Brest" and ccas["hours_format"] == "osm"
    assert ccas["source_ids"] == "osm:node/1" and ccas["source_key"] == "osm"
    # The way is placed at the centroid of its closed outline.
    way = records.loc["osm-w100"].geometry
    assert way.x == pytest.approx(-4.479) and way.y == pytest.approx(48.401)
    assert records.loc["osm-n6", "name"] == "Lieu sans nom (OpenStreetMap, nœud 6)"
    assert sorted(result.excluded["name"]) == ["Centre des finances (fixture)", "EHPAD des Fixtures"]
    assert "social_facility=nursing_home" in result.excluded.set_index("name").loc["EHPAD des Fixtures", "reason"]
    assert any(n.code == "osm_relations" and n.count == 1 for n in result.notices)
    in_29 = read_osm(FIXTURE, departement="29")
    assert "osm-n6" not in set(in_29.records["site_id"]) and len(in_29.records) == 4
    assert any(n.code == "osm_outside" and n.count == 1 for n in in_29.notices)


def test_type_from_name_and_errors(tmp_path):
    assert type_from_name("Centre Communal d'Action Sociale de Rennes") == "ccas"
    assert type_from_name("Maison départementale des solidarités du Pays de Brest") == "polyvalence"
    assert type_from_name("CDAS de Quimper") == "polyvalence"
    assert type_from_name("Espace France Services de Carhaix") == "france_services"
    assert type_from_name("Centre socioculturel Le Fixture") == "centre_social"
    assert type_from_name("Banque alimentaire") == ""
    with pytest.raises(InputError, match="introuvable"):
        read_osm(tmp_path / "missing.osm.pbf")
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(b"not a pbf at all")
    with pytest.raises(InputError, match="illisible"):
        read_osm(bad)
