"""Merging sources (dedupe rule, priority, report) and the per-département listing, on the real
inventories and France Services list; the second source of each merge case is a labelled FIXTURE
written in the records format (invented offices, names ending in « (fixture) »)."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest

from access30.base.errors import InputError
from access30.inputs.inventories import list_sites
from access30.inputs.sources._common import SourceResult, make_records, name_similarity, normalise_name
from access30.inputs.sources.listing import france_services_source, write_listing
from access30.inputs.sources.merge import merge_sources, report_fr
from access30.inputs.sources.shipped import load_inventory


def fixture_source(key: str, rows: list[dict]) -> SourceResult:
    """FIXTURE records of a second source (``key``), written by hand for the merge tests."""
    frame = pd.DataFrame(rows)
    columns = {c: frame[c].fillna("").to_numpy() for c in frame.columns if c not in ("lon", "lat")}
    columns.setdefault("source", f"{key} (fixture)")
    columns.setdefault("source_ids", (f"{key}:" + frame["site_id"]).to_numpy())
    records = make_records(columns, frame.get("lon", pd.Series(np.nan, index=frame.index)).to_numpy(),
                           frame.get("lat", pd.Series(np.nan, index=frame.index)).to_numpy(), key)
    return SourceResult(key, f"{key} (fixture)", records, vintage="fixture")


def test_names_are_compared_normalised():
    assert normalise_name("Centre Communal d'Action Sociale (CCAS) du Robert") == "ccas robert"
    assert normalise_name("C.C.A.S. - Le Robert") != ""
    assert name_similarity("CCAS St-Denis", "Centre communal d'action sociale de Saint Denis") == 1.0
    assert name_similarity("France services Le Lorrain", "Maison France Services du Lorrain") == 1.0
    assert name_similarity("CDAS Brest Bellevue", "CDAS Brest Saint-Marc") < 0.8
    assert name_similarity("", "CCAS") == 0.0


def test_merge_real_martinique_with_a_second_source():
    inventory = load_inventory("972")
    robert = inventory.sites.set_index("site_id").loc["mednum-hub-antilles-Structure-82"]
    # 20 m north of the inventory's CCAS du Robert (1 degree of latitude is ~110.6 km).
    dila = fixture_source("dila", [
        {"site_id": "dila-robert", "name": "Centre communal d'action sociale - Le Robert (fixture)", "type": "ccas",
         "commune": "97222", "siret": "26972220000011", "hours": '[["lundi", "vendredi", [["08:00", "12:00"]]]]',
         "hours_format": "mairie_json", "lon": robert.geometry.x, "lat": robert.geometry.y + 20 / 110_600},
        # Trinité has no point in the inventory: the directory's record of the same commune gives it one.
        {"site_id": "dila-trinite", "name": "CCAS de Trinité (fixture)", "type": "ccas", "commune": "97230",
         "lon": -60.9639, "lat": 14.7389},
        # Same place as the CCAS du Robert but another type: never merged.
        {"site_id": "dila-fs-robert", "name": "France services du Robert (fixture)", "type": "france_services",
         "commune": "97222", "lon": robert.geometry.x, "lat": robert.geometry.y},
    ])
    merged = merge_sources([dila, inventory])  # order of the list does not matter: the priority does
    sites = merged.sites.set_index("site_id")
    # 34 placed by the inventory, Trinité placed by the directory, the France Services: 36; Saint-Joseph left.
    assert len(sites) == 36 and len(merged.without_coordinates) == 1
    kept = sites.loc["mednum-hub-antilles-Structure-82"]
    assert kept["name"] == robert["name"] and kept["sources"] == "inventaire ; dila"  # the inventory wins
    assert kept["source_ids"] == "inventaire:mednum-hub-antilles:Structure-82 ; dila:dila-robert"
    assert kept.geometry.equals(robert.geometry) and kept["geometry_source"] == "inventaire"
    # …but takes the hours and the SIRET it lacks from the directory, and says so.
    assert kept["hours_source"] == "dila" and kept["hours_format"] == "mairie_json"
    assert kept["siret"] == "26972220000011"
    trinite = sites.loc["mednum-hub-antilles-Structure-89"]
    assert trinite["geometry_source"] == "dila" and (trinite.geometry.x, trinite.geometry.y) == (-60.9639, 14.7389)
    assert "dila-fs-robert" in sites.index
    rules = merged.matches.set_index("merged_source_id")["rule"].to_dict()
    assert rules == {"dila:dila-robert": "proximité", "dila:dila-trinite": "même commune"}  # the inventory has no SIRET
    assert merged.matches.set_index("merged_source_id").loc["dila:dila-robert", "distance_m"] == pytest.approx(
        20, abs=1)
    report = merged.report.set_index(["source", "type"])
    assert report.loc[("inventaire", "ccas"), ["found", "without_point", "kept", "kept_without_point",
                                               "point_from_other_source"]].tolist() == [34, 2, 33, 1, 1]
    assert report.loc[("dila", "ccas"), ["found", "merged", "kept"]].tolist() == [2, 2, 0]
    assert report.loc[("ensemble", "ccas"),
                      ["found", "merged", "kept", "kept_without_point"]].tolist() == [36, 2, 33, 1]
    french = report_fr(merged.report)
    assert {"Source", "Type de lieu", "Trouvés", "Fusionnés (doublons)", "Sans coordonnées"} <= set(french.columns)
    assert any(n.code == "point_from_other_source" and n.count == 1 for n in merged.notices)


def test_sibling_sites_are_not_chained():
    # Two distinct CDAS of one source, 30 m apart, and one record of another source between them:
    # it merges with the closer one only; a SIRET shared by siblings 5 km apart merges nothing.
    base = {"type": "polyvalence", "commune": "29019"}
    inventory = fixture_source("inventaire", [
        {**base, "site_id": "a", "name": "CDAS Brest Nord (fixture)", "lon": -4.4860, "lat": 48.4000},
        {**base, "site_id": "b", "name": "CDAS Brest Nord annexe (fixture)", "lon": -4.4856, "lat": 48.4000},
        {**base, "site_id": "c", "name": "CDAS Brest Sud (fixture)", "siret": "22290001000011",
         "lon": -4.48, "lat": 48.35},
    ])
    dila = fixture_source("dila", [
        {**base, "site_id": "d", "name": "CDAS Brest Nord (fixture)", "lon": -4.4859, "lat": 48.4000},
        {**base, "site_id": "e", "name": "CDAS Brest Est (fixture)", "siret": "22290001000011",
         "lon": -4.42, "lat": 48.39},
    ])
    merged = merge_sources([inventory, dila])
    assert sorted(merged.sites["site_id"]) == ["a", "b", "c", "e"]
    assert (merged.matches[["kept_site_id", "merged_source_id", "rule"]].values.tolist()
            == [["a", "dila:d", "proximité"]])


def test_listing_martinique_reunion_finistere():
    martinique = list_sites("972", cache_dir="/nonexistent-cache-for-tests")
    assert martinique.counts() == {"autre": 2, "ccas": 32, "france_services": 20}
    assert sorted(martinique.without_coordinates["commune"]) == ["97224", "97230"]  # 34 CCAS in all
    assert "mairie" not in martinique.counts()  # a real CCAS list exists: no town-hall stand-in
    assert set(martinique.vintages["source"]) == {"Inventaire livré", "France Services (ANCT)"}
    assert any(n.code == "dila_not_cached" for n in martinique.notices)

    reunion = list_sites("974", cache_dir="/nonexistent-cache-for-tests")
    assert reunion.counts() == {"ccas": 24, "centre_social": 3, "france_services": 29}
    assert reunion.without_coordinates["name"].tolist() == ["CCAS Saint André"]

    finistere = list_sites("29", cache_dir="/nonexistent-cache-for-tests")
    counts = finistere.counts()
    assert counts["polyvalence"] == 12 and counts["france_services"] == 33
    assert counts["mairie"] == 147  # no CCAS list for 29: town halls of 1,500+ inhabitants stand in
    assert any(n.code == "ccas_proxy" for n in finistere.notices)
    assert sorted(finistere.without_coordinates["site_id"]) == [
        "cdas_brest_lambezellec", "cdas_brest_saint_marc", "cdas_concarneau", "cdas_quimperle"]
    quimper = finistere.sites.set_index("site_id").loc["cdas_quimper"]
    served = quimper["sector_communes"].split(" ; ")
    assert len(served) == 16 and "29232" in served and quimper["hours_format"] == "fr_text"
    assert finistere.sectors is not None and finistere.sectors.sites_by_commune["29019"][0] == "cdas_brest_bellevue"
    assert not finistere.sectors.issues["problem"].isin(["lieu inconnu", "lieu sans secteur"]).any()
    # A France Services in Quimper stays in: a misplaced town hall of the national list (Loyat, 56,
    # placed in Quimper) must not make it look outside the département.
    assert "fs-170" in set(finistere.sites["site_id"])


def test_france_services_source_is_the_national_list():
    result = france_services_source("972")
    assert len(result.records) == 20 and result.records["source_ids"].str.startswith("anct:").all()
    assert result.vintage == "2024-08-01"
    assert france_services_source("975").records.empty  # Saint-Pierre-et-Miquelon: none in the list


def test_write_listing(tmp_path):
    listing = list_sites("29", cache_dir=tmp_path / "cache")
    csv = write_listing(listing, tmp_path / "lieux.csv")
    table = pd.read_csv(csv, dtype={"code_insee": str}, encoding="utf-8-sig", sep=";", decimal=",")
    assert len(table) == len(listing.sites) + 4
    assert table.loc[table["coordonnées"] == "sans coordonnées", "longitude"].isna().all()
    assert table["type (en clair)"].str.len().gt(0).all() and table["longitude"].dtype == float  # decimal commas
    assert not re.search(r"(^|;)-?inf(;|$)", csv.read_text(encoding="utf-8-sig"), re.M)  # « infantile » is fine
    xlsx = write_listing(listing, tmp_path / "lieux.xlsx")
    sheets = pd.read_excel(xlsx, sheet_name=None)
    assert {"Lieux", "Sans coordonnées", "Bilan par source", "Secteurs", "Millésimes"} <= set(sheets)
    assert len(sheets["Secteurs"]) == 281
    gpkg = write_listing(listing, tmp_path / "lieux.gpkg")
    layers = dict(pyogrio.list_layers(gpkg))
    assert layers["lieux"] == "Point" and "bilan" in layers and "secteurs" in layers
    assert len(gpd.read_file(gpkg, layer="lieux")) == len(listing.sites)
    assert not list(tmp_path.glob(".*part*"))
    with pytest.raises(InputError, match="format de sortie « .shp »"):
        write_listing(listing, tmp_path / "lieux.shp")
