"""Coverage to the assigned (sector) site, on the demo with hand-made sectorisations.

The demo has no sectorisation of its own; the sectors below are hand-made for the test (labelled
as such): every commune served by every site (assigned = nearest), every commune served by one
far site, and a sectorisation naming a site that does not exist.
"""

from __future__ import annotations

import numpy as np
import pytest

from access30.coverage.sectors import assigned_coverage


def test_served_by_every_site_is_the_nearest(demo_study, demo_routing, demo_result):
    ids = demo_study.sites["site_id"].astype(str).tolist()
    communes = demo_result.units["commune"].astype(str).unique()
    sectors = {c: ids for c in communes}  # hand-made: every site serves every commune
    out = assigned_coverage(demo_study, demo_routing, demo_result, sectors, "secteurs_test.csv")
    nearest = demo_result.units["time_min"].to_numpy(dtype=float)
    assigned = out.units["assigned_min"].to_numpy(dtype=float)
    finite = np.isfinite(nearest) & np.isfinite(assigned)
    np.testing.assert_allclose(assigned[finite], nearest[finite], atol=1e-6)  # same joins, same times
    s = out.summary
    assert s.population_gap == pytest.approx(0.0, abs=1e-6)
    assert s.population_covered_assigned == pytest.approx(demo_result.summary.population_covered)
    assert s.population_nearest_elsewhere == 0 and not out.notices


def test_one_far_site_for_everyone_widens_the_gap(demo_study, demo_routing, demo_result):
    sites = demo_study.sites.reset_index(drop=True)
    far = sites.index[sites["name"] == "France services Le Mené"][0]  # the south-east corner
    site = str(sites["site_id"].iloc[far])
    communes = demo_result.units["commune"].astype(str).unique()
    sectors = {c: [site] for c in communes[1:]}  # hand-made; the first commune has no sector
    out = assigned_coverage(demo_study, demo_routing, demo_result, sectors, "secteurs_test.csv")
    nearest = demo_result.units["time_min"].to_numpy(dtype=float)
    assigned = out.units["assigned_min"].to_numpy(dtype=float)
    has = ~np.isnan(assigned)
    assert (assigned[has] >= nearest[has] - 1e-6).all()  # the nearest site is never farther than one's own
    assert np.isnan(assigned[demo_result.units["commune"].astype(str).to_numpy() == communes[0]]).all()
    s = out.summary
    assert s.population_gap > 10_000 and s.share_covered_assigned < s.share_covered_nearest
    assert s.communes_without_sector == (communes[0],)
    assert out.communes["gap"].iloc[0] == out.communes["gap"].max()  # largest gap first
    assert abs(out.communes["gap"].sum() - s.population_gap) < 1e-6
    assert any(n.code == "sector_missing" for n in out.notices)


def test_a_sector_site_that_does_not_exist_is_said(demo_study, demo_routing, demo_result):
    communes = demo_result.units["commune"].astype(str).unique()
    sectors = {c: ["cdas-inconnu"] for c in communes}  # hand-made: no such site
    out = assigned_coverage(demo_study, demo_routing, demo_result, sectors, "secteurs_test.csv")
    s = out.summary
    assert s.sites_unknown == ("cdas-inconnu",) and s.population_covered_assigned == 0
    assert s.population_sector_unknown == pytest.approx(demo_result.summary.population_total)
    # An id that matches no site is « inconnu », not a known site « sans position sur le réseau ».
    assert s.sites_unlocated == () and s.population_sector_unlocated == 0
    notice = next(n for n in out.notices if n.code == "sector_unknown")
    assert "cdas-inconnu" in notice.message and "inconnu" in notice.message
    assert not any("sans position" in n.message or n.code == "sector_unlocated" for n in out.notices)


def test_every_output_carries_the_sector_figures(demo_study, demo_routing, demo_result, tmp_path):
    import io
    import json

    from pypdf import PdfReader

    from access30.cli.text import format_report
    from access30.coverage.sectors import with_sectors
    from access30.outputs.export import write_summary
    from access30.outputs.report import pdf_bytes
    from access30.outputs.tables import all_tables, csv_frame

    sites = demo_study.sites.reset_index(drop=True)
    site = str(sites.loc[sites["name"] == "France services Le Mené", "site_id"].iloc[0])
    sectors = {c: [site] for c in demo_result.units["commune"].astype(str).unique()}  # hand-made
    result = with_sectors(demo_result, demo_study, demo_routing, sectors, "secteurs_test.csv")
    s = result.sectors.summary
    text = format_report(result)
    assert "Rattachement aux secteurs (secteurs_test.csv)" in text and "écart" in text
    write_summary(result, tmp_path / "s.json")
    data = json.loads((tmp_path / "s.json").read_text())
    assert data["sectors"]["population_gap"] == pytest.approx(s.population_gap)
    table = csv_frame(all_tables(result, demo_study)["Secteurs"])
    assert table["Écart (habitants)"].sum() == pytest.approx(round(s.population_gap), abs=len(table))
    pages = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf_bytes(result, demo_study))).pages)
    assert "Rattachement aux secteurs" in pages


def test_coverage_with_a_sectors_file_reports_both_figures(demo_study, tmp_path, capsys):
    import json

    import pandas as pd

    from access30.cli import main

    codes = sorted(demo_study.demand.units["commune"].astype(str).unique())
    # Hand-made sectorisation (labelled): the west of the demo to Saint-Brieuc's France Services, the rest to Le Mené's.
    table = pd.DataFrame({"code_insee": codes, "site_id": ["fs-133" if i % 2 else "fs-135" for i in range(len(codes))]})
    path = tmp_path / "handmade_sectors.csv"
    table.to_csv(path, index=False)
    summary = tmp_path / "s.json"
    code = main(["coverage", "--sectors", str(path), "--out", str(tmp_path / "c.gpkg"), "--summary", str(summary)])
    out = capsys.readouterr().out
    assert code == 0
    data = json.loads(summary.read_text())
    assert data["sectors"]["source"] == "handmade_sectors.csv"
    assert any("OpenStreetMap" in line for line in data["sources"])  # every source, with its vintage
    assert any("millésime 2017" in line for line in data["sources"])
    assert data["sectors"]["population_covered_assigned"] < data["population_covered"]
    assert "Rattachement aux secteurs (handmade_sectors.csv)" in out
    bad = tmp_path / "bad_sectors.csv"
    bad.write_text("commune,lieu\n22001,fs-133\n")
    assert main(["coverage", "--sectors", str(bad), "--out", str(tmp_path / "d.gpkg")]) == 2
    assert "code commune INSEE" in capsys.readouterr().err
    assert main(["suggest", "--sectors", str(path), "--k", "1", "--out", str(tmp_path / "e.gpkg")]) == 2


def test_the_finistere_sectorisation_is_shipped():
    from access30.inputs.sources.sectors import commune_sites

    table = commune_sites("29")
    assert table["site_id"].nunique() == 16 and table["code_insee"].nunique() >= 270
    assert table.loc[table["code_insee"] == "29019", "split"].all()  # Brest, shared between four CDAS
