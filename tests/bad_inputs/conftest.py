"""Shared fixtures of the bad-input catalogue.

Input files are written in ``tmp_path`` by each test. Those derived from the real demo data
(commune populations at the town hall, France Services of the area) say so; those made by hand to
show one fault are named ``handmade_*``.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from access30.cli import main
from tests.paths import DEMO_AREA

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
DEMO_PBF = SHARED / "osm" / "st_brieuc_loudeac.osm.pbf"


@pytest.fixture(scope="session")
def demo_communes() -> gpd.GeoDataFrame:
    """The 42 real communes of the demo area (outline, population, town-hall point), WGS84."""
    communes = gpd.read_file(SHARED / "cotes_darmor" / "communes_22.gpkg").to_crs("EPSG:4326")
    codes = pd.read_csv(DEMO_AREA, dtype=str)["code"]
    communes = communes[communes["code"].astype(str).isin(codes)].reset_index(drop=True)
    assert len(communes) == 42
    return communes


@pytest.fixture(scope="session")
def population_table(demo_communes) -> pd.DataFrame:
    """Real commune populations placed at a point inside each commune (lon/lat, WGS84)."""
    points = demo_communes.geometry.representative_point()
    return pd.DataFrame({"code": demo_communes["code"].astype(str), "nom": demo_communes["nom"],
                         "lon": points.x.round(6), "lat": points.y.round(6),
                         "population_municipale": demo_communes["population_municipale"].astype(int)})


@pytest.fixture(scope="session")
def sites_table() -> pd.DataFrame:
    """The real France Services of the demo area as a plain ``name,type,lon,lat`` table."""
    fs = pd.read_csv(SHARED / "cotes_darmor" / "france_services_22.csv", dtype=str)
    table = pd.DataFrame({"name": fs["lib_fs"], "type": "france_services",
                          "lon": fs["longitude"].astype(float), "lat": fs["latitude"].astype(float)})
    # Keep those of the demo area (within the network's bounding box).
    box = table["lon"].between(-2.96, -2.50) & table["lat"].between(48.20, 48.55)
    return table[box].reset_index(drop=True)


def write_csv(frame: pd.DataFrame, path: Path, **kwargs) -> Path:
    frame.to_csv(path, index=False, **kwargs)
    return path


def run_cli(capsys, args: list[str]) -> tuple[int, str, str]:
    """Run ``access30`` in-process; return (exit code, stdout, stderr)."""
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(autouse=True)
def _demo_network_read_once(monkeypatch):
    """Read (and bridge) the real demo extract once per session instead of once per case.

    Only the unchanged demo file is cached; every other network file (the broken and hand-made ones)
    goes through the real reader each time.
    """
    import access30.inputs.territory as territory
    import access30.network.roads as network_module

    real_read, real_bridge = network_module.read_pbf, network_module.bridge_gaps

    def read_pbf(path, mode="drive", partial=False):
        if Path(path).resolve() != DEMO_PBF.resolve():
            return real_read(path, mode=mode, partial=partial)
        key = ("read", mode, partial)
        if key not in _NETWORKS:
            _NETWORKS[key] = real_read(path, mode=mode, partial=partial)
        return _NETWORKS[key]

    def bridge_gaps(network, *args, **kwargs):
        for key, value in list(_NETWORKS.items()):
            if value is network and not args and not kwargs:
                bridged_key = ("bridged",) + key[1:]
                if bridged_key not in _NETWORKS:
                    _NETWORKS[bridged_key] = real_bridge(network)
                return _NETWORKS[bridged_key]
        return real_bridge(network, *args, **kwargs)

    monkeypatch.setattr(territory, "read_pbf", read_pbf)
    monkeypatch.setattr(territory, "bridge_gaps", bridge_gaps)


_NETWORKS: dict = {}
