"""Shipped inventories (972, 974, 29), their hours and the Finistère sectorisation, on the real files."""

from __future__ import annotations

import pandas as pd
import pytest

from access30.base.errors import InputError
from access30.inputs import hours as H
from access30.inputs.sites import SITE_TYPES, normalise_type
from access30.inputs.sources.sectors import load_sectors, read_sectors
from access30.inputs.sources.shipped import (
    SHIPPED,
    hours_format_of,
    load_inventory,
    read_inventory,
    site_id_of,
    translate_qa_note,
)
from tests.paths import REPO

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def test_shipped_files_are_the_shared_ones(shared_data):
    for name in ("premier_accueil_972.csv", "premier_accueil_974.csv", "cdas_29.csv", "cdas_29_secteurs.csv",
                 "qa_notes.csv"):
        assert (REPO / "data" / "inventories" / name).read_bytes() == \
            (shared_data / "inventories" / name).read_bytes(), name


def test_martinique_inventory():
    result = load_inventory("972")
    records = result.records
    assert len(records) == 36
    assert records["type"].value_counts().to_dict() == {"ccas": 34, "autre": 2}
    # One CCAS per commune of Martinique.
    assert records.loc[records["type"] == "ccas", "commune"].nunique() == 34
    assert len(result.sites) == 34
    missing = result.without_coordinates.set_index("commune")
    assert sorted(missing.index) == ["97224", "97230"]  # Saint-Joseph, Trinité
    # The reason comes from qa_notes.csv, in French, with the dropped coordinates.
    assert "hors du 972" in missing.loc["97230", "missing_reason"]
    assert "lat=43.752901 lon=7.308664" in missing.loc["97230", "missing_reason"]
    assert "code commune déduit du nom (97224)" in missing.loc["97224", "missing_reason"]
    sites = result.sites
    assert list(sites.columns[:8]) == ["site_id", "name", "type", "commune", "address", "hours", "hours_format",
                                       "source"]
    assert sites.crs.to_epsg() == 4326 and sites["site_id"].is_unique
    assert sites.geometry.x.between(-61.3, -60.8).all() and sites.geometry.y.between(14.3, 14.9).all()
    assert (sites["source_ids"].str.startswith("inventaire:mednum-hub-antilles:Structure-")).all()
    assert (sites["hours"] == "").all()  # the source gives no hours: none invented
    assert any(n.code == "sans_coordonnees" and n.count == 2 for n in result.notices)


def test_reunion_inventory():
    result = load_inventory("974")
    types = result.records["type"].value_counts().to_dict()
    assert types == {"ccas": 25, "centre_social": 3}
    assert "centre_social" in SITE_TYPES and normalise_type("centre social") == "centre_social"
    missing = result.without_coordinates
    assert missing["name"].tolist() == ["CCAS Saint André"]
    assert "pas de coordonnées dans la source" in missing["missing_reason"].iloc[0]
    antenna = result.sites.set_index("site_id").loc["cnfs-637f1992cda0b706f03db9eb"]
    assert antenna["hours_format"] == "osm" and antenna["commune"] == "97414"
    read = H.read_hours(antenna["hours"], antenna["hours_format"])
    assert read.status == H.STATUS_KNOWN
    assert read.hours.open[:2] == ((MON, 8 * 60, 12 * 60), (MON, 13 * 60, 16 * 60))
    assert read.hours.minutes_per_week() == 5 * 7 * 60


def test_finistere_cdas_and_their_hours():
    result = load_inventory("29")
    records = result.records.set_index("site_id")
    assert len(records) == 16 and (records["type"] == "polyvalence").all()
    assert sorted(result.without_coordinates["site_id"]) == [
        "cdas_brest_lambezellec", "cdas_brest_saint_marc", "cdas_concarneau", "cdas_quimperle"]
    # Borrowed coordinates are flagged on the site itself.
    assert "fiche DILA 2016 pmi-29019-02" in records.loc["cdas_brest_bellevue", "qa_note"]
    assert any(n.code == "coordinates_borrowed" and n.count == 12 for n in result.notices)
    # Every real hours text is read (the four with no point too).
    report = H.hours_report(result.records)
    assert (report["status"] == H.STATUS_KNOWN).all(), report[report["status"] != H.STATUS_KNOWN]
    minutes = dict(zip(report["site_id"], report["open_minutes_per_week"]))
    assert minutes["cdas_quimper"] == 5 * (195 + 210)          # 8h45-12h, 13h30-17h
    assert minutes["cdas_landerneau"] == 210 + 4 * (180 + 210)  # Monday afternoon only
    assert minutes["cdas_lesneven"] == 5 * (180 + 210) - 60     # Thursday from 14h30
    landerneau = H.read_hours(records.loc["cdas_landerneau", "hours"], "fr_text").hours
    assert not landerneau.is_open(MON, 10 * 60) and landerneau.is_open(MON, 14 * 60)
    assert landerneau.is_open(TUE, 10 * 60) and not landerneau.is_open(SAT, 10 * 60)
    lesneven = H.read_hours(records.loc["cdas_lesneven", "hours"], "fr_text").hours
    assert not lesneven.is_open(THU, 14 * 60) and lesneven.is_open(THU, 14 * 60 + 30)
    assert lesneven.is_open(FRI, 14 * 60)
    # open_at sees them: on Monday at 10:00 the 15 CDAS open all day are open, Landerneau is not.
    opened = H.open_at(result.records, MON, 10 * 60)
    assert int(sum(o is True for o in opened)) == 15


@pytest.mark.parametrize("text, expected", [
    ("lundi-vendredi 9h-12h,13h30-17h", ((MON, 540, 720), (MON, 810, 1020))),
    ("du lundi au vendredi de 9h à 12h et de 14h à 17h", ((MON, 540, 720), (MON, 840, 1020))),
    ("samedi-lundi 10h-12h", ((MON, 600, 720), (SAT, 600, 720), (SUN, 600, 720))),
    ("lundi, mercredi et vendredi : 08:30-12:00 ; mardi fermé", ((MON, 510, 720), (WED, 510, 720), (FRI, 510, 720))),
    ("Lun. - Mar. 9h - 12h", ((MON, 540, 720), (TUE, 540, 720))),
])
def test_fr_text_hours(text, expected):
    assert H.parse_fr_text(text).open[:len(expected)] == expected


def test_fr_text_hours_errors_and_overlaps():
    assert H.read_hours("lundi 9h-12h; lundi 11h-14h", "fr_text").notes == ("créneaux qui se chevauchent fusionnés",)
    for text, reason in [("lundi 9h-midi", "créneau « 9h-midi » illisible"), ("lundy 9h-12h", "jour « lundy » inconnu"),
                         ("lundi 12h-9h", "fermeture avant l'ouverture"), ("lundi", "sans horaire"),
                         ("mardi 25h-26h", "impossible")]:
        read = H.read_hours(text, "fr_text")
        assert read.status == H.STATUS_UNPARSED and reason in read.reason, (text, read.reason)
    assert "fr_text" in H.HOURS_FORMATS
    assert H.read_hours("", "fr_text").status == H.STATUS_MISSING


def test_helpers():
    assert site_id_of("annuaire-api:data/29/cdas_brest_bellevue.yaml") == "cdas_brest_bellevue"
    assert site_id_of("ultra-num:row36") == "ultra-num-row36"
    assert hours_format_of("lundi-vendredi 9h-12h") == "fr_text"
    assert hours_format_of("Mo-Fr 08:00-12:00") == "osm" and hours_format_of(" ") == ""
    assert translate_qa_note("no coordinates in source") == "pas de coordonnées dans la source"
    assert translate_qa_note("something new").startswith("note de contrôle : ")
    assert load_inventory("22") is None
    with pytest.raises(InputError, match="département « 99 » inconnu"):
        load_inventory("99")
    assert set(SHIPPED) == {"972", "974", "29"}


def test_bad_inventory_files(tmp_path):
    header = "name,type,lon,lat,code_insee,source_id,hours_raw\n"
    cases = {
        "type « crèche » inconnu": "A,crèche,1,45,01001,x:1,\n",
        "en double": "A,ccas,1,45,01001,x:1,\nB,ccas,1,45,01001,x:1,\n",
        "coordonnée non numérique": "A,ccas,abc,45,01001,x:1,\n",
        "nom vide": " ,ccas,1,45,01001,x:1,\n",
    }
    for message, body in cases.items():
        path = tmp_path / "inv.csv"
        path.write_text(header + body, encoding="utf-8")
        with pytest.raises(InputError, match=message):
            read_inventory(path)
    path.write_text("name,type\nA,ccas\n", encoding="utf-8")
    with pytest.raises(InputError, match="colonne lon absente"):
        read_inventory(path)


def test_finistere_sectors():
    inventory = load_inventory("29")
    sectors = load_sectors("29", sites=inventory.records)
    table = sectors.table
    assert len(table) == 281 and table["code_insee"].nunique() == 278
    # Brest is split between its four CDAS: a legitimate split, one row per site.
    assert sectors.sites_by_commune["29019"] == ("cdas_brest_bellevue", "cdas_brest_lambezellec",
                                                 "cdas_brest_rive_droite", "cdas_brest_saint_marc")
    assert sectors.splits["code_insee"].tolist() == ["29019"]
    assert table.loc[table["code_insee"] == "29019", "split"].all()
    assert not table.loc[table["code_insee"] != "29019", "split"].any()
    assert sectors.sites_by_commune["29232"] == ("cdas_quimper",)
    # Every site id is a real CDAS, each serves at least one commune.
    assert not sectors.issues["problem"].isin(["lieu inconnu", "lieu sans secteur", "ligne en double"]).any()
    # The file (2019-2020) predates two commune mergers in the national list: reported, not patched.
    issues = sectors.issues.set_index("code_insee")["problem"].to_dict()
    assert issues == {"29007": "commune sans secteur", "29129": "commune hors de la liste du département",
                      "29219": "commune hors de la liste du département"}
    assert any(n.code == "sector_split" and "29019 Brest (4 lieux)" in n.message for n in sectors.notices)


def test_user_sectors_file_is_checked(tmp_path):
    sites = pd.DataFrame({"site_id": ["mds-a", "mds-b", "mds-c"]})
    path = tmp_path / "secteurs.csv"
    path.write_text("code_insee;site_id\n29019;mds-a\n29019;mds-b\n29232;mds-x\n29232;mds-x\n", encoding="utf-8")
    sectors = read_sectors(path, sites=sites)
    problems = sorted(zip(sectors.issues["problem"], sectors.issues["site_id"]))
    assert problems == [("lieu inconnu", "mds-x"), ("lieu sans secteur", "mds-c"), ("ligne en double", "mds-x")]
    assert sectors.sites_by_commune == {"29019": ("mds-a", "mds-b"), "29232": ("mds-x",)}
    path.write_text("code_insee,site_id\n2901,mds-a\n", encoding="utf-8")
    with pytest.raises(InputError, match="code commune « 2901 » mal formé") as err:
        read_sectors(path)
    assert err.value.row == 1
    path.write_text("code_insee,site_id\n29019, \n", encoding="utf-8")
    with pytest.raises(InputError, match="identifiant de lieu vide"):
        read_sectors(path)
    path.write_text("commune,lieu\n29019,a\n", encoding="utf-8")
    with pytest.raises(InputError, match="code commune INSEE absente"):
        read_sectors(path)
