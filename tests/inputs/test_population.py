"""Population loaders on the real INSEE grids and commune layers."""

import numpy as np
import pandas as pd
import pytest
import shapely

from access30.base.errors import InputError
from access30.inputs.population import (
    decode_idcar,
    read_demand_layer,
    read_filosofi,
    read_xy_grid,
    spread_over_polygons,
)
from tests.paths import REPO


def test_filosofi_martinique_cells_and_totals(shared_data):
    demand = read_filosofi(shared_data / "martinique" / "filosofi2017_200m_972.csv")
    units = demand.units
    raw = pd.read_csv(shared_data / "martinique" / "filosofi2017_200m_972.csv", dtype={"lcog_geo": str})
    assert len(units) == 11_132
    assert demand.crs == "EPSG:5490"
    assert units["population"].sum() == pytest.approx(337_379.5, abs=0.01)
    assert units["poor_households"].sum() == pytest.approx(raw["Men_pauv"].sum())
    assert units["elderly_65p"].sum() == pytest.approx(raw["Ind_65_79"].sum() + raw["Ind_80p"].sum())
    assert units["single_parent_households"].sum() == pytest.approx(raw["Men_fmp"].sum())
    first = units.iloc[0]
    # CRS5490RES200mN1592600E728800: south-west corner (728800, 1592600), 200 m side.
    assert first["unit_id"] == "CRS5490RES200mN1592600E728800"
    assert shapely.equals(first.geometry, shapely.box(728800, 1592600, 729000, 1592800))
    assert (first["x"], first["y"]) == (728900.0, 1592700.0)
    assert first["commune"] == "97226"
    # Cells straddling communes list several codes: the first is kept. One source row has none.
    assert units["commune"].str.len().eq(5).sum() == 11_131
    assert (units["commune"] == "").sum() == 1


def test_reunion_households_grid(shared_data):
    demand = read_xy_grid(shared_data / "reunion" / "reunion_200m_households.csv.gz", crs="EPSG:2975",
                          population_column="houhold", equity={"poor_households": "phouhold"})
    assert len(demand.units) == 14_076
    assert demand.units["population"].sum() == pytest.approx(272_641, abs=1)
    assert demand.units["poor_households"].sum() == pytest.approx(85_910, abs=1)
    # Cell centres are ≡ 100 mod 200: the cells tile the 200 m lattice.
    bounds = demand.units.geometry.bounds
    assert ((bounds["minx"] % 200) == 0).all() and ((bounds["miny"] % 200) == 0).all()


def test_grid_in_degrees_is_refused(shared_data):
    with pytest.raises(InputError, match="degrés"):
        read_xy_grid(shared_data / "reunion" / "reunion_200m_households.csv.gz", crs="EPSG:4326",
                     population_column="houhold")


def test_malformed_cell_id_names_row():
    with pytest.raises(InputError) as info:
        decode_idcar(pd.Series(["CRS5490RES200mN1592600E728800", "CRS5490RES200mN15926E"]), "grid.csv")
    assert info.value.row == 2 and info.value.column == "Idcar_200m"


def test_spread_preserves_each_commune_population(shared_data):
    """Each commune keeps exactly its population: a cell on a border is one unit per commune (its piece),
    not one unit given to the largest commune (which put « 1 062 non couverts » in Uzel, 1 046 inhabitants)."""
    import geopandas as gpd

    communes = gpd.read_file(shared_data / "cotes_darmor" / "communes_22.gpkg")
    area = pd.read_csv(REPO / "data" / "cotes_darmor" / "demo_area_communes.csv", dtype={"code": str})
    communes = communes[communes["code"].isin(area["code"])]
    demand = spread_over_polygons(communes, "population_municipale", "EPSG:2154")
    assert demand.modelled and demand.kind == "modelled_grid"
    assert demand.total == pytest.approx(154_995, abs=1e-6)
    units = demand.units
    per_commune = units.groupby("commune")["population"].sum()
    expected = area.set_index("code")["population_municipale"]
    np.testing.assert_allclose(per_commune.reindex(expected.index), expected, rtol=1e-12)
    assert units["unit_id"].is_unique
    # A piece is the cell within its commune: inside that commune's outline and its cell, its point inside it.
    outlines = communes.to_crs("EPSG:2154").set_index("code").geometry
    cell = units["unit_id"].str.rsplit("_", n=1).str[0]
    assert (units["unit_id"].str.rsplit("_", n=1).str[1] == units["commune"]).all()
    assert cell.nunique() < len(units)  # some cells are cut by a border
    assert shapely.covers(units.geometry.to_numpy(), shapely.points(units["x"], units["y"])).all()
    assert shapely.covers(outlines.buffer(1e-3)[units["commune"]].to_numpy(), units.geometry.to_numpy()).all()
    pieces_area = units.geometry.area.groupby(cell).sum()
    assert (pieces_area <= 200 * 200 * (1 + 1e-9)).all()
    # A whole cell is routed from its centre, as before.
    whole = np.isclose(units.geometry.area, 200 * 200)
    assert np.allclose(units.loc[whole, "x"] % 200, 100) and np.allclose(units.loc[whole, "y"] % 200, 100)


def test_spread_keeps_a_commune_given_in_two_rows_as_one_piece_per_cell():
    """Two rows of one code (a commune in two parts) meeting in a cell give one piece of that code."""
    import geopandas as gpd
    from shapely.geometry import box

    parts = gpd.GeoDataFrame({"code": ["22001", "22001", "22002"], "pop": [30.0, 10.0, 60.0]},
                             geometry=[box(0, 0, 100, 200), box(100, 0, 300, 200), box(300, 0, 400, 200)],
                             crs="EPSG:2154")
    units = spread_over_polygons(parts, "pop", "EPSG:2154").units
    assert units["unit_id"].tolist() == ["2154_0_0_22001", "2154_200_0_22001", "2154_200_0_22002"]
    assert units["population"].tolist() == pytest.approx([30.0 + 5.0, 5.0, 60.0])
    assert units.geometry.iloc[0].equals(box(0, 0, 200, 200))


def test_commune_layer_as_points(shared_data):
    demand = read_demand_layer(shared_data / "cotes_darmor" / "communes_22.gpkg", "population_municipale",
                               spread_polygons=False)
    assert len(demand.units) == 344
    assert demand.total == 598_814
    assert demand.crs == "EPSG:2154"
    assert demand.kind == "polygons"
    inside = shapely.contains_xy(demand.units.geometry.to_numpy(), demand.units["x"], demand.units["y"])
    assert inside.all()


def test_commune_polygons_are_spread_over_a_modelled_grid(shared_data):
    """By default polygons are spread over a 200 m grid, labelled modelled, every inhabitant kept."""
    demand = read_demand_layer(shared_data / "cotes_darmor" / "communes_22.gpkg", "population_municipale")
    assert demand.modelled and demand.kind == "modelled_grid" and "modélisé" in demand.population_label
    assert demand.total == pytest.approx(598_814)
    per_commune = demand.units.groupby("commune")["population"].sum()
    assert len(per_commune) == 344 and per_commune.min() > 0


def test_town_hall_demand_moves_the_misplaced_demo_halls():
    from access30.inputs.population import town_hall_demand
    from access30.inputs.territory import get_territory, load_communes

    communes = load_communes(get_territory("st-brieuc-loudeac"))
    demand = town_hall_demand(communes)
    assert demand.total == 154_995 and len(demand.units) == 42
    # shared/data/SOURCES.md: 4 town-hall points of the former 46-commune area lie outside their commune; two of
    # those communes are in the area (Merléac and Saint-Fiacre are not: less than half of their land is in it).
    assert {line.split()[0] for line in demand.notes} == {"22068", "22165"}
    outlines = communes.to_crs(demand.crs).set_index("code").geometry
    assert all(pt.within(outlines[c]) for pt, c in zip(demand.units.geometry, demand.units["commune"]))


def test_straddling_cells_take_the_commune_of_their_centre(shared_data):
    import geopandas as gpd

    from access30.inputs.population import assign_communes

    demand = read_filosofi(shared_data / "martinique" / "filosofi2017_200m_972.csv")
    communes = gpd.read_file(shared_data / "martinique" / "communes_972_datafrance.gpkg")
    settled = assign_communes(demand, communes)
    codes = demand.units["commune_codes"].astype(str)
    single = codes.str.len() == 5
    # Single-code cells keep the INSEE code; straddling ones get one of their listed codes or the
    # commune under their centre.
    assert (settled.units.loc[single, "commune"] == demand.units.loc[single, "commune"]).all()
    multi = settled.units[codes.str.len() > 5]
    listed = [c in all_codes for c, all_codes in zip(multi["commune"], codes[codes.str.len() > 5])]
    assert sum(listed) / len(listed) > 0.95
    assert (settled.units["commune"] != "").all()
