"""Planners' files in every shape, written from the real demo data (nothing invented).

* ``communes``: the 42 real communes of the demo area (outline, legal population, town hall).
* ``grid``: each commune's legal population spread over a 200 m grid (the demo's own modelled grid),
  written in the INSEE Filosofi layouts (2017 upper-case ``Idcar_200m, Ind``; 2019/2021 lower-case
  ``idcar_200m, ind``): *derived*, so only the population column, no equity column is made up.
* ``sites``: the real France Services of the demo area and the real town halls of its communes of
  1,500+ inhabitants, with French type names, in every table and layer format.

Every file is written in a folder given by the test; names say what shape they show.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from tests.paths import DEMO_AREA

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
DEMO_PBF = SHARED / "osm" / "st_brieuc_loudeac.osm.pbf"
NETWORK_OPTIONS = ["--network", str(DEMO_PBF), "--partial-network", "--max-access-m", "12000"]


def demo_communes() -> gpd.GeoDataFrame:
    """The 42 real communes of the demo area (the project's list), WGS84."""
    communes = gpd.read_file(SHARED / "cotes_darmor" / "communes_22.gpkg").to_crs("EPSG:4326")
    codes = pd.read_csv(DEMO_AREA, dtype=str)["code"]
    return communes[communes["code"].astype(str).isin(codes)].reset_index(drop=True)


def demo_sites() -> pd.DataFrame:
    """Real France Services of the demo area and town halls of its communes of 1,500+ inhabitants."""
    fs = pd.read_csv(SHARED / "cotes_darmor" / "france_services_22.csv", dtype=str)
    fs = fs[fs["longitude"].astype(float).between(-2.96, -2.50) & fs["latitude"].astype(float).between(48.20, 48.55)]
    communes = demo_communes()
    halls = communes[communes["population_municipale"].astype(float) >= 1500]
    return pd.concat([
        pd.DataFrame({"nom": fs["lib_fs"], "type": "Maison France Services", "adresse": fs["adresse"],
                      "longitude": fs["longitude"].astype(float), "latitude": fs["latitude"].astype(float)}),
        pd.DataFrame({"nom": "Mairie de " + halls["nom"], "type": "Centre communal d'action sociale",
                      "adresse": "Mairie, " + halls["nom"],
                      "longitude": halls["mairie_lon"].astype(float), "latitude": halls["mairie_lat"].astype(float)}),
    ], ignore_index=True)


# --------------------------------------------------------------------------- population files
def population_points_csv(folder: Path) -> Path:
    """Communes at their town hall, population_municipale (CSV, lon/lat)."""
    c = demo_communes()
    frame = pd.DataFrame({"code": c["code"], "nom": c["nom"], "longitude": c["mairie_lon"].astype(float),
                          "latitude": c["mairie_lat"].astype(float),
                          "population_municipale": c["population_municipale"]})
    path = folder / "communes_mairies.csv"
    frame.to_csv(path, index=False)
    return path


def population_points_xlsx(folder: Path) -> Path:
    """The same as a workbook, French headers, a title line above the table."""
    c = demo_communes()
    frame = pd.DataFrame({"Code INSEE": c["code"], "Commune": c["nom"],
                          "Longitude (WGS84)": c["mairie_lon"].astype(float),
                          "Latitude (WGS84)": c["mairie_lat"].astype(float),
                          "Population municipale": c["population_municipale"].astype(int)})
    path = folder / "communes_mairies.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame([["Populations légales des communes de la zone"]]).to_excel(writer, index=False, header=False)
        frame.to_excel(writer, index=False, startrow=2)
    return path


def population_polygons_gpkg(folder: Path) -> Path:
    """Commune outlines with population_municipale (GeoPackage)."""
    path = folder / "communes.gpkg"
    demo_communes().to_file(path)
    return path


def whole_cells(units: pd.DataFrame) -> pd.DataFrame:
    """A modelled grid's units put back together by cell (a Filosofi grid has one row per cell): ``east``,
    ``north`` (from the piece's ``unit_id``, ``EPSG_east_north_commune``), the population summed, the
    commune of the largest piece."""
    parts = units["unit_id"].str.split("_", expand=True)
    frame = pd.DataFrame({"east": parts[1].astype(int).to_numpy(), "north": parts[2].astype(int).to_numpy(),
                          "population": units["population"].to_numpy(), "commune": units["commune"].to_numpy()})
    frame = frame.sort_values("population", ascending=False, kind="stable")
    return frame.groupby(["east", "north"], sort=True).agg(population=("population", "sum"),
                                                           commune=("commune", "first")).reset_index()


def population_grid(folder: Path, vintage: str = "2017", suffix: str = ".csv") -> Path:
    """The demo's modelled grid in an INSEE Filosofi layout (derived from the legal populations)."""
    from access30.inputs.population import spread_over_polygons

    cells = whole_cells(spread_over_polygons(demo_communes(), "population_municipale", "EPSG:2154").units)
    east, north = cells["east"], cells["north"]
    ids = "CRS2154RES200mN" + north.astype(str) + "E" + east.astype(str)
    if vintage == "2017":
        frame = pd.DataFrame({"Idcar_200m": ids, "Ind": cells["population"].round(6), "lcog_geo": cells["commune"]})
    else:
        frame = pd.DataFrame({"idcar_200m": ids, "ind": cells["population"].round(6), "lcog_geo": cells["commune"]})
    path = folder / f"Filosofi{vintage}_carreaux_200m{suffix}"
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        squares = shapely.box(east, north, east + 200, north + 200)
        gpd.GeoDataFrame(frame, geometry=squares, crs="EPSG:2154").to_file(path)
    return path


def population_points_thousands(folder: Path, mark: str = "\u00a0") -> Path:
    """A spreadsheet's French CSV export: semicolons, decimal commas, populations written « 1 234 »
    (``mark`` = no-break space, narrow no-break space, space) or « 1.234 » (``mark`` = ".")."""
    c = demo_communes()
    frame = pd.DataFrame({"Code commune": c["code"], "Nom": c["nom"], "Longitude": c["mairie_lon"].astype(float),
                          "Latitude": c["mairie_lat"].astype(float),
                          "Population municipale": [f"{int(v):,}".replace(",", mark)
                                                    for v in c["population_municipale"]]})
    path = folder / f"communes_milliers_{ord(mark):04x}.csv"
    frame.to_csv(path, sep=";", decimal=",", index=False)
    return path


def population_polygons_invalid(folder: Path) -> Path:
    """Commune outlines in Lambert-93 as a GIS export may leave them: the first one self-intersecting
    (two of its vertices swapped), the others single Polygons rather than MultiPolygons."""
    import shapely

    c = demo_communes().to_crs("EPSG:2154")
    c["geometry"] = [g.geoms[0] if len(g.geoms) == 1 else g for g in c.geometry]
    ring = list(shapely.get_exterior_ring(shapely.get_parts(c.geometry.iloc[0])[0]).coords)
    ring[1], ring[3] = ring[3], ring[1]
    c.loc[0, "geometry"] = shapely.Polygon(ring)
    assert not c.geometry.iloc[0].is_valid
    path = folder / "communes_l93_invalides.geojson"
    c.to_file(path, driver="GeoJSON")
    return path


def population_polygons_iris(folder: Path) -> Path:
    """IRIS-like polygons: each real commune cut in two at its centroid, its legal population shared by
    area, in INSEE census columns (``CODE_IRIS``, ``INSEE_COM``, ``P21_POP``), Lambert-93 Shapefile."""
    import shapely

    rows = []
    for _, commune in demo_communes().to_crs("EPSG:2154").iterrows():
        xmin, ymin, xmax, ymax = commune.geometry.bounds
        middle = commune.geometry.centroid.x
        halves = [commune.geometry.intersection(shapely.box(xmin - 1, ymin - 1, middle, ymax + 1)),
                  commune.geometry.intersection(shapely.box(middle, ymin - 1, xmax + 1, ymax + 1))]
        for i, half in enumerate(halves):
            rows.append({"CODE_IRIS": f"{commune['code']}{i + 1:04d}", "INSEE_COM": commune["code"],
                         "P21_POP": float(commune["population_municipale"]) * half.area / commune.geometry.area,
                         "geometry": half})
    folder = folder / "iris"
    folder.mkdir(exist_ok=True)
    path = folder / "iris.shp"
    gpd.GeoDataFrame(rows, crs="EPSG:2154").to_file(path)
    return path


def population_grid_laea(folder: Path) -> Path:
    """The demo's modelled grid in the Filosofi 2019/2021 CSV layout of metropolitan France: cell ids in
    ETRS89-LAEA (``CRS3035RES200m…``), lower-case columns, equity columns ``men``, ``men_pauv`` and
    the ``ind_snv`` income column (derived from the population, to show the layout only)."""
    from access30.inputs.population import spread_over_polygons

    cells = whole_cells(spread_over_polygons(demo_communes(), "population_municipale", "EPSG:3035").units)
    east, north = cells["east"], cells["north"]
    frame = pd.DataFrame({"idcar_200m": "CRS3035RES200mN" + north.astype(str) + "E" + east.astype(str),
                          "ind": cells["population"].round(6), "men": (cells["population"] / 2.2).round(6),
                          "men_pauv": (cells["population"] / 25).round(6), "ind_snv": 21_000.5,
                          "lcog_geo": cells["commune"]})
    path = folder / "carreaux_200m_met.csv"
    frame.to_csv(path, index=False)
    return path


def population_grid_points(folder: Path) -> Path:
    """The Filosofi 2021 GeoPackage layout with each cell as its centre point instead of a square."""
    path = population_grid(folder, "2021", ".gpkg")
    cells = gpd.read_file(path)
    cells["geometry"] = cells.geometry.centroid
    out = folder / "carreaux_200m_points.gpkg"
    cells.to_file(out)
    return out


def population_codes_only(folder: Path) -> Path:
    """INSEE's legal-population table as downloaded: commune codes and PMUN, no coordinates (semicolons)."""
    c = demo_communes()
    path = folder / "populations_legales.csv"
    pd.DataFrame({"CODGEO": c["code"], "LIBGEO": c["nom"], "PMUN": c["population_municipale"]}).to_csv(
        path, sep=";", index=False)
    return path


POPULATIONS = {
    "points_csv": (population_points_csv, "population_municipale"),
    "points_xlsx": (population_points_xlsx, "Population municipale"),
    "points_csv_nbsp_thousands": (population_points_thousands, None),
    "points_csv_dot_thousands": (lambda folder: population_points_thousands(folder, "."), None),
    "townhalls_codes_only_csv": (population_codes_only, None),
    "polygons_gpkg": (population_polygons_gpkg, "population_municipale"),
    "polygons_l93_invalid_geojson": (population_polygons_invalid, None),
    "polygons_iris_shp": (population_polygons_iris, None),
    "grid_2017_csv": (lambda folder: population_grid(folder, "2017", ".csv"), None),
    "grid_2021_gpkg": (lambda folder: population_grid(folder, "2021", ".gpkg"), None),
    "grid_2021_laea_csv": (population_grid_laea, None),
    "grid_2021_points_gpkg": (population_grid_points, None),
}


# --------------------------------------------------------------------------- site files
def sites_csv_english(folder: Path) -> Path:
    s = demo_sites()
    frame = pd.DataFrame({"name": s["nom"], "type": s["type"], "lon": s["longitude"], "lat": s["latitude"]})
    path = folder / "sites_english.csv"
    frame.to_csv(path, index=False)
    return path


def sites_csv_french(folder: Path) -> Path:
    """Semicolon separators, decimal commas, Windows-1252, French headers (a spreadsheet's CSV export)."""
    path = folder / "lieux_accueil.csv"
    demo_sites().rename(columns={"nom": "Nom du lieu", "type": "Type de structure"}).to_csv(
        path, sep=";", decimal=",", index=False, encoding="cp1252")
    return path


def sites_xlsx(folder: Path) -> Path:
    """A workbook: title lines, French headers with units, an empty first sheet."""
    s = demo_sites()
    frame = pd.DataFrame({"Nom de la structure": s["nom"], "Catégorie": s["type"], "Adresse": s["adresse"],
                          "Longitude (WGS84)": s["longitude"], "Latitude (WGS84)": s["latitude"]})
    path = folder / "mes_lieux.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame().to_excel(writer, sheet_name="Notes", index=False)
        pd.DataFrame([["Lieux d'accueil social — zone de Saint-Brieuc"], ["mise à jour : 2026"]]).to_excel(
            writer, sheet_name="Lieux", index=False, header=False)
        frame.to_excel(writer, sheet_name="Lieux", index=False, startrow=3)
    return path


def sites_ods(folder: Path) -> Path:
    path = folder / "lieux.ods"
    demo_sites().to_excel(path, index=False, engine="odf")
    return path


def sites_geojson(folder: Path) -> Path:
    s = demo_sites()
    path = folder / "lieux.geojson"
    gpd.GeoDataFrame(s.drop(columns=["longitude", "latitude"]),
                     geometry=gpd.points_from_xy(s["longitude"], s["latitude"]),
                     crs="EPSG:4326").to_file(path, driver="GeoJSON")
    return path


def sites_gpkg_lambert(folder: Path) -> Path:
    s = demo_sites()
    path = folder / "lieux_l93.gpkg"
    gpd.GeoDataFrame(s.drop(columns=["longitude", "latitude"]),
                     geometry=gpd.points_from_xy(s["longitude"], s["latitude"]),
                     crs="EPSG:4326").to_crs("EPSG:2154").to_file(path)
    return path


def sites_combined_column(folder: Path) -> Path:
    """One « coordonnées » column holding « latitude, longitude », as map applications copy them."""
    s = demo_sites()
    frame = pd.DataFrame({"nom": s["nom"], "type": s["type"],
                          "coordonnées": [f"{lat:.6f}, {lon:.6f}" for lat, lon in zip(s["latitude"], s["longitude"])]})
    path = folder / "lieux_coordonnees.csv"
    frame.to_csv(path, index=False)
    return path


def sites_open_data_export(folder: Path, geo_point: bool = True) -> Path:
    """An open-data portal export (OpenDataSoft): semicolons, « Geo Point » « lat, lon » and « Geo Shape »
    holding a GeoJSON point; with ``geo_point=False`` only the GeoJSON column is left."""
    import json

    s = demo_sites()
    frame = pd.DataFrame({"Nom": s["nom"], "Type": s["type"], "Adresse": s["adresse"],
                          "Geo Point": [f"{lat}, {lon}" for lat, lon in zip(s["latitude"], s["longitude"])],
                          "Geo Shape": [json.dumps({"coordinates": [lon, lat], "type": "Point"})
                                        for lat, lon in zip(s["latitude"], s["longitude"])]})
    if not geo_point:
        frame = frame.drop(columns=["Geo Point"])
    path = folder / ("export_opendatasoft.csv" if geo_point else "export_geo_shape.csv")
    frame.to_csv(path, index=False, sep=";")
    return path


def sites_lambert_csv(folder: Path) -> Path:
    """Projected Lambert-93 X/Y columns (read with --sites-crs EPSG:2154)."""
    from access30.base.crs import to_projected

    s = demo_sites()
    x, y = to_projected(s["longitude"], s["latitude"], "EPSG:2154")
    frame = pd.DataFrame({"nom": s["nom"], "type": s["type"], "X": np.round(x, 1), "Y": np.round(y, 1)})
    path = folder / "lieux_lambert93.csv"
    frame.to_csv(path, index=False)
    return path


def sites_ban_geocoded(folder: Path) -> Path:
    """The shape of the Base Adresse Nationale geocoder's output: original columns, latitude, longitude,
    result_* columns; one address it could not place has empty coordinates."""
    s = demo_sites()
    frame = pd.DataFrame({"nom": s["nom"], "type": s["type"], "adresse": s["adresse"],
                          "latitude": s["latitude"].round(6).astype(str),
                          "longitude": s["longitude"].round(6).astype(str),
                          "result_label": s["adresse"], "result_score": "0.91", "result_type": "housenumber"})
    frame.loc[1, ["latitude", "longitude", "result_score", "result_type"]] = ""
    path = folder / "lieux_geocodes_ban.csv"
    frame.to_csv(path, index=False)
    return path


def sites_addresses_only(folder: Path) -> Path:
    s = demo_sites()
    path = folder / "lieux_adresses.csv"
    s[["nom", "type", "adresse"]].to_csv(path, index=False)
    return path


def _dms(value: float, positive: str, negative: str) -> str:
    """Degrees-minutes-seconds as a GPS app writes them: 48°31'2.17"N."""
    hemisphere = positive if value >= 0 else negative
    value = abs(value)
    degrees, minutes = int(value), int((abs(value) - int(value)) * 60)
    seconds = ((value - degrees) * 60 - minutes) * 60
    return f"{degrees}°{minutes}'{seconds:.3f}\"{hemisphere}"


def _layer(crs: str = "EPSG:4326") -> gpd.GeoDataFrame:
    s = demo_sites()
    return gpd.GeoDataFrame(s.drop(columns=["longitude", "latitude"]),
                            geometry=gpd.points_from_xy(s["longitude"], s["latitude"]), crs="EPSG:4326").to_crs(crs)


def sites_utf16_tab(folder: Path) -> Path:
    """Tab-separated UTF-16 text (« Texte Unicode » of Excel), with a .txt name."""
    path = folder / "lieux_unicode.txt"
    demo_sites().to_csv(path, sep="\t", index=False, encoding="utf-16")
    return path


def sites_ragged_notes_totals(folder: Path) -> Path:
    """A spreadsheet's CSV export: empty cells after some rows, a totals row and notes below the table."""
    text = demo_sites().to_csv(index=False, sep=";", decimal=",")
    rows = text.splitlines()
    rows[1:6] = [row + ";;;" for row in rows[1:6]]
    text = "\n".join(rows) + f"\nTotal;{len(rows) - 1};;;\n;;;;;;;;\nSource : ANCT (France Services) et mairies;;;;;;\n"
    path = folder / "lieux_export_tableur.csv"
    path.write_text(text, encoding="utf-8")
    return path


def sites_gps_dms(folder: Path) -> Path:
    """One « Coordonnées GPS » column in degrees-minutes-seconds, latitude first."""
    s = demo_sites()
    frame = pd.DataFrame({"Nom": s["nom"], "Type": s["type"],
                          "Coordonnées GPS": [f"{_dms(a, 'N', 'S')} {_dms(b, 'E', 'W')}"
                                              for a, b in zip(s["latitude"], s["longitude"])]})
    path = folder / "lieux_gps_dms.csv"
    frame.to_csv(path, index=False)
    return path


def sites_coord_x_degrees(folder: Path) -> Path:
    """« coord_x »/« coord_y » holding longitudes and latitudes, and « Nom de l'établissement »."""
    s = demo_sites()
    frame = pd.DataFrame({"Nom de l'établissement": s["nom"], "Type de structure": s["type"],
                          "coord_x": s["longitude"], "coord_y": s["latitude"]})
    path = folder / "lieux_coord_x.csv"
    frame.to_csv(path, index=False)
    return path


def sites_wkt(folder: Path) -> Path:
    """A GIS's CSV export: a WKT « geometry » column."""
    s = demo_sites()
    frame = pd.DataFrame({"nom": s["nom"], "type": s["type"],
                          "geometry": [f"POINT ({a} {b})" for a, b in zip(s["longitude"], s["latitude"])]})
    path = folder / "lieux_wkt.csv"
    frame.to_csv(path, index=False)
    return path


def sites_xlsx_readme_first(folder: Path) -> Path:
    """A workbook whose first sheet is a « Lisez-moi » of two columns; the places are on the second."""
    path = folder / "lieux_lisez_moi.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame([["Champ", "Description"], ["nom", "Nom du lieu"], ["type", "Type de structure"],
                      ["longitude", "WGS84"]]).to_excel(writer, sheet_name="Lisez-moi", index=False, header=False)
        demo_sites().to_excel(writer, sheet_name="Lieux", index=False)
    return path


def sites_xls_that_is_csv(folder: Path) -> Path:
    """A portal's « Excel » export that is tab-separated Windows-1252 text named .xls."""
    path = folder / "export_portail.xls"
    demo_sites().to_csv(path, sep="\t", index=False, encoding="cp1252")
    return path


def sites_gpkg_with_communes(folder: Path) -> Path:
    """A GeoPackage holding the commune outlines first and the places (Lambert-93) second."""
    path = folder / "projet_sig.gpkg"
    demo_communes()[["code", "nom", "geometry"]].to_file(path, layer="communes")
    _layer("EPSG:2154").to_file(path, layer="lieux_accueil")
    return path


def sites_gpkg_layer_named(folder: Path) -> str:
    """Two point layers (France Services, CCAS); the places are named FICHIER:couche (here both, merged)."""
    path = folder / "deux_couches.gpkg"
    _layer("EPSG:2154").to_file(path, layer="lieux")
    _layer("EPSG:2154").iloc[:3].to_file(path, layer="brouillon")
    return f"{path}:lieux"


def sites_shapefile_zip(folder: Path) -> Path:
    """A zipped Shapefile (Lambert-93), as GIS services send them."""
    import zipfile

    shp = folder / "shp_lieux"
    shp.mkdir(exist_ok=True)
    _layer("EPSG:2154").to_file(shp / "lieux.shp")
    path = folder / "lieux_shp.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for member in shp.iterdir():
            archive.write(member, member.name)
    return path


def sites_geojson_multipoint_null(folder: Path) -> Path:
    """GeoJSON with one place as a one-point MultiPoint and one feature without geometry."""
    from shapely.geometry import MultiPoint

    layer = _layer()
    layer.loc[0, "geometry"] = MultiPoint([layer.geometry[0]])
    blank = layer.iloc[[1]].copy()
    blank["nom"], blank["geometry"] = "Permanence à géolocaliser", None
    path = folder / "lieux_multipoint.geojson"
    pd.concat([layer, blank]).to_file(path, driver="GeoJSON")
    return path


SITES = {
    "csv_english": (sites_csv_english, []),
    "csv_french_semicolon": (sites_csv_french, []),
    "xlsx_titles": (sites_xlsx, []),
    "ods": (sites_ods, []),
    "geojson": (sites_geojson, []),
    "gpkg_lambert93": (sites_gpkg_lambert, []),
    "combined_column": (sites_combined_column, []),
    "csv_lambert93": (sites_lambert_csv, ["--sites-crs", "EPSG:2154"]),
    "utf16_tab_txt": (sites_utf16_tab, []),
    "csv_ragged_notes_totals": (sites_ragged_notes_totals, []),
    "gps_dms_column": (sites_gps_dms, []),
    "coord_x_degrees_nom_etablissement": (sites_coord_x_degrees, []),
    "wkt_column": (sites_wkt, []),
    "xlsx_readme_sheet_first": (sites_xlsx_readme_first, []),
    "xls_that_is_tab_text": (sites_xls_that_is_csv, []),
    "gpkg_communes_and_places": (sites_gpkg_with_communes, []),
    "gpkg_layer_named": (sites_gpkg_layer_named, []),
    "shapefile_zip": (sites_shapefile_zip, []),
    "geojson_multipoint_null": (sites_geojson_multipoint_null, []),
    "open_data_export": (sites_open_data_export, []),
    "open_data_geo_shape_only": (lambda folder: sites_open_data_export(folder, geo_point=False), []),
}
