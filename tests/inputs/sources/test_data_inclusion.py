"""data·inclusion structures export: both schema versions, download through the dataset description,
cache, offline.

FIXTURES: the structures below are invented (names end in « (fixture) »); the columns and codes are
those of the published schemas (v1: ``reseaux_porteurs``, ``horaires_accueil``; v0: ``typologie``,
``horaires_ouverture``).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from access30.base.errors import InputError, NetworkUnavailableError, SourceUnavailableError
from access30.inputs import hours as H
from access30.inputs.remote import structures_resource
from access30.inputs.sources.data_inclusion import (
    _codes,
    data_inclusion_cached,
    load_data_inclusion,
    normalise_structures,
    schema_version,
)

V1_COLUMNS = ["source", "id", "nom", "siret", "code_insee", "adresse", "code_postal", "commune", "longitude",
              "latitude", "horaires_accueil", "reseaux_porteurs"]
V1_ROWS = [
    ["dora", "d1", "CCAS de Quimper (fixture)", "26290232000011", "29232", "1 rue Fixture", "29000", "Quimper",
     "-4.1024", "47.9960", "Mo-Fr 08:30-12:00,13:30-17:00", "['ccas-cias']"],
    ["soliguide", "s1", "Centre communal d'action sociale de Quimper (fixture)", "", "29232", "", "", "",
     "-4.1025", "47.9961", "", '["ccas-cias", "communes"]'],
    ["dora", "d2", "Maison départementale des solidarités de Morlaix (fixture)", "", "29151", "", "", "",
     "", "", "", "{maisons-des-solidarites,departements}"],
    ["dora", "d3", "Centre départemental d'action sociale de Brest (fixture)", "", "29019", "", "", "",
     "-4.49", "48.39", "Mo-Fr 09:00-12:00", "['departements']"],
    ["dora", "d4", "MDPH du Finistère (fixture)", "", "29232", "", "", "", "-4.10", "47.99", "", "['departements']"],
    ["dora", "d5", "Centre social de Kerfixture (fixture)", "", "29019", "", "", "", "-4.50", "48.40", "",
     "['fcsf']"],
    ["dora", "d6", "PIMMS de Brest (fixture)", "", "29019", "", "", "", "-4.48", "48.39", "Lu 9h",
     "['pimms-mediation']"],
    ["dora", "d7", "Mission locale (fixture)", "", "29019", "", "", "", "-4.48", "48.39", "", "['mission-locale']"],
    ["dora", "d8", "France services de Fort-de-France (fixture)", "", "97209", "", "", "", "-61.07", "14.61", "",
     "['france-service']"],
    # Geocoded in La Réunion although in the Finistère: the point must be dropped.
    ["dora", "d9", "CCAS de Douarnenez (fixture)", "", "29046", "", "", "", "55.45", "-20.88", "", "['ccas-cias']"],
]
V0_COLUMNS = ["source", "id", "nom", "siret", "code_insee", "longitude", "latitude", "typologie", "horaires_ouverture"]
V0_ROWS = [
    ["dora", "a", "CCAS de Saint-Pierre (fixture)", "", "97416", "55.4778", "-21.3427", "CCAS", "Mo-Fr 08:00-12:00"],
    ["dora", "b", "Centre social Bagatelle (fixture)", "", "97420", "55.5833", "-20.9283", "CS", ""],
    ["dora", "c", "Association (fixture)", "", "97411", "55.45", "-20.88", "ASSO", ""],
    ["dora", "d", "France Services (fixture)", "", "", "55.4481", "-20.8795", "RFS", ""],
]


def _v1(tmp_path, name="FIXTURE_structures_v1.csv"):
    path = tmp_path / name
    pd.DataFrame(V1_ROWS, columns=V1_COLUMNS).to_csv(path, index=False)
    return path


def _v0(tmp_path):
    path = tmp_path / "FIXTURE_structures_v0.csv"
    pd.DataFrame(V0_ROWS, columns=V0_COLUMNS).to_csv(path, index=False)
    return path


def test_v1_export(tmp_path):
    result = load_data_inclusion("29", cache_dir=tmp_path / "cache", path=_v1(tmp_path))
    records = result.records.set_index("site_id")
    assert "schéma v1" in result.label
    assert records["type"].to_dict() == {
        "di-dora-d1": "ccas", "di-soliguide-s1": "ccas", "di-dora-d2": "polyvalence", "di-dora-d3": "polyvalence",
        "di-dora-d5": "centre_social", "di-dora-d6": "pimms", "di-dora-d9": "ccas"}
    # The MDPH (« departements » without a social-reception name) is set aside and said; the mission
    # locale is not a first-reception network at all.
    assert result.excluded["name"].tolist() == ["MDPH du Finistère (fixture)"]
    assert any(n.code == "data_inclusion_excluded" for n in result.notices)
    assert records.loc["di-soliguide-s1", "source_key"] == "data_inclusion:soliguide"
    assert records.loc["di-dora-d1", "source_ids"] == "data_inclusion:dora:d1"
    assert records.loc["di-dora-d1", "siret"] == "26290232000011"
    assert records.loc["di-dora-d1", "address"] == "1 rue Fixture, 29000 Quimper"
    read = H.read_hours(records.loc["di-dora-d1", "hours"], records.loc["di-dora-d1", "hours_format"])
    assert read.status == H.STATUS_KNOWN and read.hours.minutes_per_week() == 5 * (210 + 210)
    assert H.read_hours(records.loc["di-dora-d6", "hours"], "osm").status == H.STATUS_UNPARSED  # « Lu 9h »
    assert records.loc["di-dora-d2"].geometry is None  # no coordinates in the source
    assert "de toute mairie du département 29" in records.loc["di-dora-d9", "missing_reason"]
    assert len(result.sites) == 5
    other = load_data_inclusion("972", cache_dir=tmp_path / "cache")
    assert other.records["type"].tolist() == ["france_services"]


def test_v0_export_and_parquet(tmp_path):
    result = load_data_inclusion("974", cache_dir=tmp_path / "c0", path=_v0(tmp_path))
    assert "schéma v0" in result.label
    assert sorted(result.records["type"]) == ["ccas", "centre_social", "france_services"]
    # No commune code: placed in the département of the nearest town hall (Saint-Denis).
    assert result.records.set_index("site_id").loc["di-dora-d", "commune"] == ""
    assert result.records.set_index("site_id").loc["di-dora-a", "hours_format"] == "osm"
    # The Parquet resource holds real lists.
    frame = pd.DataFrame(V1_ROWS, columns=V1_COLUMNS)
    frame["reseaux_porteurs"] = frame["reseaux_porteurs"].map(_codes)
    frame["longitude"] = pd.to_numeric(frame["longitude"])
    frame["latitude"] = pd.to_numeric(frame["latitude"])
    parquet = tmp_path / "FIXTURE_structures.parquet"
    frame.to_parquet(parquet, index=False)
    from_parquet = load_data_inclusion("29", cache_dir=tmp_path / "c1", path=parquet)
    from_csv = load_data_inclusion("29", cache_dir=tmp_path / "c2", path=_v1(tmp_path))
    columns = ["site_id", "type", "commune", "hours", "siret"]
    pd.testing.assert_frame_equal(pd.DataFrame(from_parquet.records[columns]), pd.DataFrame(from_csv.records[columns]))


def test_download_through_dataset_description_then_offline(tmp_path):
    source = _v1(tmp_path)
    dataset = {"resources": [
        {"title": "services-inclusion-20261120.csv", "format": "csv", "url": "file:///nowhere.csv"},
        {"title": "structures-inclusion-20261120.xlsx", "format": "xlsx", "url": "file:///nowhere.xlsx"},
        {"title": "structures-inclusion-20261120.csv", "format": "csv", "url": source.as_uri(),
         "last_modified": "2026-11-20T04:12:00"},
    ]}
    api = tmp_path / "FIXTURE_dataset.json"
    api.write_text(json.dumps(dataset), encoding="utf-8")
    cache = tmp_path / "cache"
    assert not data_inclusion_cached(cache)
    result = load_data_inclusion("29", cache_dir=cache, api_url=api.as_uri())
    assert data_inclusion_cached(cache) and result.vintage == "2026-11-20"
    assert (cache / "data_inclusion" / "structures.csv").read_bytes() == source.read_bytes()
    again = load_data_inclusion("29", cache_dir=cache, api_url="http://127.0.0.1:9/")
    assert len(again.records) == len(result.records)
    assert structures_resource({"resources": dataset["resources"] + [
        {"title": "structures-inclusion.parquet", "format": "parquet", "url": "x"}]})["format"] == "parquet"
    with pytest.raises(SourceUnavailableError, match="ne propose plus"):
        structures_resource({"resources": dataset["resources"][:2]})


def test_offline_without_cache_says_what_to_do(tmp_path):
    cache = tmp_path / "cache"
    with pytest.raises(NetworkUnavailableError) as err:
        load_data_inclusion("29", cache_dir=cache, api_url="http://127.0.0.1:9/api/1/datasets/x/")
    message = str(err.value)
    assert "Sans connexion, téléchargez depuis un poste connecté le fichier « structures »" in message
    assert str(cache / "data_inclusion" / "structures.parquet") in message
    # A file placed there by hand is then read without any connection.
    _v1(cache / "data_inclusion", name="structures.csv")
    assert len(load_data_inclusion("29", cache_dir=cache, api_url="http://127.0.0.1:9/").records) == 7


def test_schema_detection_and_lists():
    assert schema_version(["Reseaux_porteurs", "nom"]) == "v1" and schema_version(["typologie"]) == "v0"
    with pytest.raises(InputError, match="export data·inclusion non reconnu"):
        schema_version(["nom", "adresse"])
    assert _codes("['ccas-cias', 'fcsf']") == ["ccas-cias", "fcsf"]
    assert _codes('["ccas-cias"]') == ["ccas-cias"] and _codes("{a,b}") == ["a", "b"]
    assert _codes("ccas-cias, fcsf") == ["ccas-cias", "fcsf"] and _codes(None) == [] and _codes("") == []
    kept, excluded, version = normalise_structures(pd.DataFrame(V1_ROWS, columns=V1_COLUMNS))
    assert version == "v1" and len(kept) == 8 and len(excluded) == 1  # 10 rows: mission locale and MDPH out
    assert kept.set_index("di_id").loc["d2", "networks"] == "maisons-des-solidarites ; departements"
