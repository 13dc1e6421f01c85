"""``access30 sites``: a département's built-in first-reception places, for review, without network.

On the real shipped inventories (``data/inventories``, copies of ``../shared/data/inventories``) and
the national France Services list; DILA and data·inclusion are not in the (empty) test cache.
"""

import geopandas as gpd
import pandas as pd
import pytest

from access30.cli import main
from access30.inputs.sources.listing import LISTING_HEADERS


@pytest.fixture(autouse=True)
def empty_cache(tmp_path, monkeypatch):
    """No downloaded source: the listing must work offline, from the shipped files only."""
    monkeypatch.setenv("ACCESS30_CACHE", str(tmp_path / "cache"))


def _listing(tmp_path, code, capsys, suffix=".csv"):
    out = tmp_path / f"lieux_{code}{suffix}"
    assert main(["sites", "--departement", code, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    if suffix == ".csv":
        table = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig", sep=";")
        assert {"nom", "longitude", "latitude", "code_insee"} <= set(table.columns)  # French headers, « ; »
        return table.rename(columns={v: k for k, v in LISTING_HEADERS.items()}), printed
    return out, printed


def _shipped(shared_data, name):
    return pd.read_csv(shared_data / "inventories" / name, dtype=str, keep_default_na=False)


def test_martinique_lists_the_34_ccas_and_the_20_france_services(tmp_path, capsys, shared_data):
    table, printed = _listing(tmp_path, "972", capsys)
    shipped = _shipped(shared_data, "premier_accueil_972.csv")
    assert (shipped["type"] == "ccas").sum() == 34
    ccas = table[table["type"] == "ccas"]
    assert len(ccas) == 34 and (table["type"] == "france_services").sum() == 20
    assert set(ccas["name"]) == set(shipped.loc[shipped["type"] == "ccas", "name"])
    # Two CCAS without coordinates in the source: kept, flagged, with the reason, never guessed.
    missing = ccas[ccas["coordinates"] == "sans coordonnées"]
    assert sorted(missing["commune"]) == ["97224", "97230"]
    assert (missing["lon"] == "").all() and (missing["missing_reason"] != "").all()
    assert "mairie" not in set(table["type"])  # a real CCAS list: no town-hall stand-in
    # Every place says where it comes from and of which vintage.
    assert table["source_ids"].str.len().gt(0).all() and table["vintage"].str.len().gt(0).all()
    assert "Inventaire livré" in printed and "34 CCAS/CIAS (dont 2 sans coordonnées)" in printed
    assert "20 France Services" in printed and "fiches CCAS du 2023-04-19" in printed
    assert "absent du cache" in printed  # DILA, data·inclusion: offline, said, not an error


def test_reunion_lists_the_24_ccas_the_antenna_and_3_centres_sociaux(tmp_path, capsys):
    table, printed = _listing(tmp_path, "974", capsys)
    ccas = table[table["type"] == "ccas"]
    assert len(ccas) == 25  # 24 CCAS and the antenna of La Rivière (Saint-Louis)
    assert (ccas["commune"] == "97414").sum() == 2 and "CCAS DE LA RIVIERE" in set(ccas["name"])
    assert ccas["commune"].nunique() == 24
    assert (table["type"] == "centre_social").sum() == 3
    assert table.loc[table["coordinates"] == "sans coordonnées", "name"].tolist() == ["CCAS Saint André"]
    assert "3 centres sociaux" in printed and "25 CCAS/CIAS (dont 1 sans coordonnées)" in printed


def test_finistere_lists_the_16_cdas_with_their_sector_communes(tmp_path, capsys):
    table, printed = _listing(tmp_path, "29", capsys)
    cdas = table[table["source_ids"].str.startswith("inventaire:annuaire-api:")]
    assert len(cdas) == 16 and (cdas["type"] == "polyvalence").all()
    missing = cdas[cdas["coordinates"] == "sans coordonnées"]
    assert sorted(missing["site_id"]) == ["cdas_brest_lambezellec", "cdas_brest_saint_marc", "cdas_concarneau",
                                          "cdas_quimperle"]
    assert (missing["missing_reason"] != "").all()
    # Every CDAS, placed or not, with the communes of its sector; Brest (29019) is split between four.
    assert cdas["sector_communes"].str.len().gt(0).all()
    assert cdas["sector_communes"].str.contains("29019").sum() == 4
    quimper = cdas.set_index("site_id").loc["cdas_quimper"]
    assert len(quimper["sector_communes"].split(" ; ")) == 16 and quimper["hours_format"] == "fr_text"
    # No CCAS list for 29: town halls of 1,500+ inhabitants stand in, and this is said.
    assert (table["type"] == "mairie").sum() == 147
    assert "16 services sociaux départementaux (dont 4 sans coordonnées)" in printed
    assert "représentent les CCAS" in printed and "Sectorisation : 278 communes" in printed


def test_xlsx_and_gpkg_outputs(tmp_path, capsys):
    xlsx, _ = _listing(tmp_path, "29", capsys, ".xlsx")
    sheets = pd.read_excel(xlsx, sheet_name=None)
    assert {"Lieux", "Sans coordonnées", "Bilan par source", "Secteurs", "Millésimes"} <= set(sheets)
    assert len(sheets["Sans coordonnées"]) == 4
    gpkg, _ = _listing(tmp_path, "972", capsys, ".gpkg")
    assert len(gpd.read_file(gpkg, layer="lieux")) == 54  # the two CCAS without a point are in their own layer
    assert not list(tmp_path.glob(".*part*"))


def test_only_some_lists(tmp_path, capsys):
    out = tmp_path / "fs.csv"
    assert main(["sites", "--departement", "972", "--sites-builtin", "france_services", "--out", str(out),
                 "--quiet"]) == 0
    assert set(pd.read_csv(out, sep=";")["type"]) == {"france_services"}
    assert capsys.readouterr().out.strip() == f"Liste écrite : {out}"


@pytest.mark.parametrize("args, message", [
    (["--departement", "99"], "département « 99 » inconnu"),
    (["--departement", "972", "--sites-builtin", "pharmacies"], "liste intégrée inconnue : pharmacies"),
    (["--departement", "972", "--out-suffix", ".shp"], "extension « .shp » non prise en charge"),
    (["--departement", "972", "--out-in", "missing/"], "le dossier de sortie n'existe pas"),
    (["--departement", "972", "--out-in", "file/"], "le dossier de sortie n'est pas un dossier"),
])
def test_input_errors(tmp_path, capsys, args, message):
    out = tmp_path / "lieux.csv"
    if "--out-suffix" in args:
        out, args = out.with_suffix(args[-1]), args[:-2]
    elif "--out-in" in args:
        parent = tmp_path / args[-1].rstrip("/")
        if args[-1] == "file/":
            parent.write_text("not a folder")
        out, args = parent / "lieux.csv", args[:-2]
    assert main(["sites", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not out.exists()


def test_a_list_asked_for_that_the_departement_lacks_is_said(tmp_path, capsys):
    """premier_accueil exists for 972, 974 and 29 only: asked for 22, the listing says it gives nothing
    (not « 0 lieu » unexplained); the town halls whose longitude sign was restored are quoted in French."""
    assert main(["sites", "--departement", "22", "--sites-builtin", "premier_accueil",
                 "--out", str(tmp_path / "l.csv")]) == 0
    out = capsys.readouterr().out
    assert "Lieux de premier accueil : aucune liste intégrée pour le département 22" in out
    from access30.inputs.communes import departement_communes

    _, fixes = departement_communes("22")
    assert any("(3,5651 → -3,5651)" in fix for fix in fixes)
