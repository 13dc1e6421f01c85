"""« Lieux d'accueil » in the app: the listing of ``access30 sites``, its tables and its downloads."""

from __future__ import annotations

from access30.app import places
from access30.cli import main


def test_the_app_listing_and_download_are_those_of_the_sites_command(tmp_path):
    out = tmp_path / "lieux_29.csv"
    assert main(["sites", "--departement", "29", "--out", str(out), "--quiet"]) == 0
    found = places.listing("29")
    assert places.listing_file(found, ".csv") == out.read_bytes()
    table = places.places_table(found.sites)
    assert len(table) == len(found.sites) and table["Commune"].str.len().gt(0).all()
    assert (table["Communes du secteur"] != "").sum() == 12  # the Finistère's located CDAS and their sectors
    report = places.report_table(found)
    assert "Inventaire livré" in set(report.iloc[:, 0])
    assert places.listing_file(found, ".xlsx")[:2] == b"PK" and places.listing_file(found, ".gpkg")[:6] == b"SQLite"
