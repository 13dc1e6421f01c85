"""Site loaders on the real France Services and mairies lists, and coordinate checks."""

import json

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from access30.base.errors import InputError
from access30.inputs.sites import check_territory, load_france_services, load_mairies, read_sites

# The 17 town-hall points of 22 that lie outside their own commune (shared/data/SOURCES.md), less
# Hénansal's (22077), which is on the boundary line, within the outlines' precision (50 m): kept.
MISPLACED_22 = {"22319", "22362", "22293", "22273", "22289", "22165", "22161", "22068", "22217", "22261",
                "22149", "22008", "22295", "22320", "22347", "22315"}


def test_france_services_22(shared_data):
    sites = load_france_services(shared_data / "france" / "france_services_2024-08-01.csv", ["22"])
    assert len(sites) == 34
    assert (sites["type"] == "france_services").all()
    saint_brieuc = sites[sites["site_id"] == "fs-133"].iloc[0]
    assert saint_brieuc["name"] == "France services Saint-Brieuc"
    assert json.loads(saint_brieuc["hours"])["mercredi"] == "08:00 - 12:00"
    assert saint_brieuc.geometry.x == pytest.approx(-2.74538)


def test_unknown_departement_is_an_error(shared_data):
    with pytest.raises(InputError, match="aucune France Services"):
        load_france_services(shared_data / "france" / "france_services_2024-08-01.csv", ["99"])


def test_mairies_misplaced_points_are_detected_and_moved(shared_data):
    communes = gpd.read_file(shared_data / "cotes_darmor" / "communes_22.gpkg")
    sites, notices = load_mairies(shared_data / "cotes_darmor" / "mairies_22.csv", min_population=0,
                                  communes=communes)
    assert len(sites) == 344
    moved = {line.split()[0] for line in notices[0].details}
    assert moved == MISPLACED_22
    outlines = communes.to_crs(2154).set_index("code").geometry
    points = sites.to_crs(2154).geometry
    gap = [outlines[code].distance(pt) for pt, code in zip(points, sites["commune"])]
    assert max(gap) <= 50.0  # every town hall in its commune, or on its boundary line (Hénansal)


def test_mairies_ccas_threshold_matches_population(shared_data):
    raw = pd.read_csv(shared_data / "cotes_darmor" / "mairies_22.csv", dtype={"code": str})
    sites, _ = load_mairies(shared_data / "cotes_darmor" / "mairies_22.csv")
    assert len(sites) == int((raw["population_municipale"] >= 1500).sum())
    national, _ = load_mairies(shared_data / "france" / "communes_population.csv", ["22"])
    assert sorted(national["site_id"]) == sorted(sites["site_id"])


def _write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def test_user_csv_with_types(tmp_path):
    path = _write(tmp_path / "lieux.csv", "name,type,lon,lat\nMDS Saint-Brieuc,MDS,-2.76,48.51\n"
                                          "CCAS Plérin,ccas,-2.77,48.53\nAsso X,inconnu,-2.70,48.50\n")
    sites, notices = read_sites(path)
    assert list(sites["type"]) == ["polyvalence", "ccas", "autre"]
    assert notices and notices[0].code == "unknown_site_type"


def test_lambert93_declared_as_wgs84(tmp_path):
    path = _write(tmp_path / "l93.csv", "name,lon,lat\nA,274000,6839000\n")
    with pytest.raises(InputError) as info:
        read_sites(path)
    assert "EPSG:2154" in str(info.value) and info.value.row == 1


def test_swapped_coordinates_detected(tmp_path):
    path = _write(tmp_path / "swap.csv", "name,lon,lat\nA,48.51,-2.76\nB,48.53,-2.77\n")
    sites, _ = read_sites(path)
    area = shapely.box(-3.7, 48.0, -1.9, 48.9)
    with pytest.raises(InputError, match="inversées"):
        check_territory(sites, area, path)
