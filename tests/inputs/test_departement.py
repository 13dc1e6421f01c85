"""Any département by its code: national lists, town-hall checks, network from a file or the cache."""

import json

import pandas as pd
import pytest

from access30.base.departements import is_departement_code
from access30.cli import main
from access30.inputs.assemble import departement_study
from access30.inputs.communes import departement_communes


def test_codes():
    assert is_departement_code("22") and is_departement_code("2A") and is_departement_code("972")
    assert not is_departement_code("99") and not is_departement_code("st-brieuc-loudeac")


def test_lost_longitude_signs_of_22_are_restored():
    communes, fixes = departement_communes("22")
    assert len(communes) == 344 and communes["population_municipale"].sum() == 598_814
    # shared/data/SOURCES.md: these two town halls lost the minus sign of their longitude.
    assert [line.split()[0] for line in fixes] == ["22319", "22362"]
    treguier = communes.set_index("code").loc["22362"]
    assert treguier["mairie_lon"] == pytest.approx(-3.2309)
    assert communes.geometry.x.between(-3.7, -1.9).all()


def test_departement_study_with_a_local_network(tmp_path, shared_data, capsys):
    """All of 22 with the demo extract (its middle only): it runs, and says how many people lie outside."""
    out, summary = tmp_path / "d22.gpkg", tmp_path / "d22.json"
    code = main(["coverage", "--territory", "22", "--network", str(shared_data / "osm" / "st_brieuc_loudeac.osm.pbf"),
                 "--partial-network", "--max-access-m", "12000", "--out", str(out), "--summary", str(summary),
                 "--quiet"])
    assert code == 0
    s = json.loads(summary.read_text())
    assert s["population_total"] == 598_814 and s["cells_total"] == 344
    mairies = pd.read_csv(shared_data / "cotes_darmor" / "mairies_22.csv")
    ccas = int((mairies["population_municipale"] >= 1500).sum())
    fs = len(pd.read_csv(shared_data / "cotes_darmor" / "france_services_22.csv"))
    assert s["sites_by_type"] == {"mairie": ccas, "france_services": fs} and s["sites_total"] == ccas + fs
    # Most of 22 is far from this small extract: said first, with the figures. There, residents reach a site
    # only by an estimated straight leg (within --max-access-m), to the town halls off the network too.
    assert s["notices"][0].startswith("Attention : ") and "habitants sur 598 814" in s["notices"][0]
    assert "sauf ceux qu'un trajet d'approche estimé mène à un lieu d'accueil proche" in s["notices"][0]
    assert 0 < s["sites_on_network"] < s["sites_total"]
    assert s["population_covered"] + s["population_uncovered"] + s["population_no_road"] == pytest.approx(598_814)
    # The two town halls with a lost minus sign are listed.
    assert s["notices"][1].startswith("2 mairies mal géolocalisées dans la liste nationale : 22319 ")


def test_departement_sites_are_the_national_lists(shared_data):
    from access30.inputs.inventories import InventoryScope, load_inventories

    communes, fixes = departement_communes("22")
    sites, _ = load_inventories(("france_services", "mairies"),
                                InventoryScope("22", town_halls=communes, fixes=tuple(fixes)))
    mairies = pd.read_csv(shared_data / "cotes_darmor" / "mairies_22.csv")
    ccas = int((mairies["population_municipale"] >= 1500).sum())
    fs = len(pd.read_csv(shared_data / "cotes_darmor" / "france_services_22.csv"))
    assert sites["type"].value_counts().to_dict() == {"mairie": ccas, "france_services": fs}
    # The two town halls with a lost minus sign are back in Brittany.
    assert sites.geometry.x.between(-3.7, -1.9).all()


def test_paris_lyon_marseille_are_their_arrondissements():
    """Paris has no town-hall point in the national list: its 20 arrondissements carry its people."""
    communes, fixes = departement_communes("75")
    assert len(communes) == 20 and communes["population_municipale"].sum() == 2_187_526
    assert communes.geometry.x.between(2.2, 2.5).all() and communes.geometry.y.between(48.8, 48.92).all()
    assert fixes[0].startswith("75056 Paris : sans point de mairie")


def test_departement_study_offline_is_a_clear_error(tmp_path):
    from access30.base.errors import NetworkUnavailableError

    with pytest.raises(NetworkUnavailableError, match="département 29"):
        departement_study("29", cache_dir=tmp_path)
