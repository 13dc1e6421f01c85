"""Where people live: demand units with a population and equity columns.

Every loader returns a :class:`Demand`: a GeoDataFrame in a projected CRS with one row per demand
unit (a 200 m cell, a commune point, a polygon) and these standard columns:

``unit_id`` (str), ``population`` (float), ``commune`` (INSEE code or ""), ``x``, ``y`` (the point
routed from, in the CRS), ``geometry`` (cell or polygon, or the point), and when the source has them
the equity columns of :data:`EQUITY_COLUMNS`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from access30.base.crs import is_geographic, local_crs
from access30.base.errors import InputError
from access30.base.fmt import plural
from access30.base.io import find_column, is_vector, normalise_name, read_table, read_vector, to_number
from access30.inputs.communes import departement_communes
from access30.inputs.points import COMBINED_NAMES, LAT_NAMES, LON_NAMES, X_NAMES, Y_NAMES, points_from_table
from access30.inputs.sites import relocate_outside_commune

# Standard equity columns and the Filosofi 2017 columns they come from.
EQUITY_COLUMNS: dict[str, tuple[str, ...]] = {
    "households": ("Men",),
    "poor_households": ("Men_pauv",),
    "single_parent_households": ("Men_fmp",),
    "elderly_65p": ("Ind_65_79", "Ind_80p"),
    "single_person_households": ("Men_1ind",),
}
#: Column names of an INSEE commune code in population and site files.
COMMUNE_NAMES = ["code", "code_commune", "insee_com", "code_insee", "codgeo", "depcom", "code insee", "insee",
                 "com", "code_com", "inseecom", "lcog_geo"]
_IDCAR = re.compile(r"^CRS(\d+)RES(\d+)mN(\d+)E(\d+)$")
#: INSEE census population columns (``P21_POP``, ``PMUN21``, ``PTOT``…), recognised when alone in a file.
_CENSUS_POPULATION = re.compile(r"^(p\d{2} pop|pmun ?\d{0,4}|ptot ?\d{0,4}|pop ?\d{2,4}|population ?\d{4})$")


def normalise_commune_codes(codes: pd.Series) -> pd.Series:
    """INSEE commune codes as five-character text, whatever a spreadsheet or GIS made of them.

    A code stored as a number loses its leading zero (``1001`` for ``01001``) or gains a decimal
    part (``22001.0``); both are restored. Corsican codes (``2A004``) and codes that are not
    commune codes are left as they are (stripped); missing values become "".
    """
    text = codes.astype(object).where(codes.notna(), "").astype(str).str.strip()
    text = text.str.replace(r"^(\d+)\.0+$", r"\1", regex=True)
    return text.where(~text.str.fullmatch(r"\d{4}"), text.str.zfill(5))


def _population_text(values: pd.Series) -> pd.Series:
    """A population column as text for :func:`access30.base.io.to_number`; a missing value (NaN in a layer) is ""."""
    return values.astype(object).where(values.notna(), "").astype(str)


def repair_polygons(frame: gpd.GeoDataFrame, path: Path) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Repair invalid polygons (self-intersections, as GIS exports often have) and say so.

    Returns
    -------
    frame : GeoDataFrame
        The same rows, invalid polygons replaced by their valid polygonal parts (``make_valid``).
    notes : list of str
        One French sentence when some polygons were repaired, naming the first rows.

    Raises
    ------
    InputError
        A polygon with nothing left once repaired (no area), its row named.
    """
    polygonal = frame.geometry.geom_type.str.contains("Polygon").to_numpy()
    invalid = polygonal & ~frame.geometry.is_valid.to_numpy()
    if not invalid.any():
        return frame, []
    frame = frame.copy()
    repaired = shapely.make_valid(frame.geometry.to_numpy()[invalid])
    rows = np.flatnonzero(invalid)
    fixed = []
    for row, geom in zip(rows, repaired):
        pieces = [q for q in shapely.get_parts(geom) if q.geom_type == "Polygon" and q.area > 0]
        if not pieces:
            raise InputError("polygone invalide sans surface une fois corrigé",
                             "corrigez la géométrie dans votre SIG (outil « Réparer les géométries »)",
                             path=path, row=int(row) + 1)
        fixed.append(shapely.MultiPolygon(pieces))
    frame.loc[frame.index[invalid], frame.geometry.name] = fixed
    first = ", ".join(str(r + 1) for r in rows[:5]) + (" …" if rows.size > 5 else "")
    what = plural(int(rows.size), "polygone invalide (auto-intersection) corrigé",
                  "polygones invalides (auto-intersections) corrigés")
    return frame, [f"{what} dans {path.name} (ligne{'s' if rows.size > 1 else ''} {first}) ; vérifiez les "
                   "contours dans votre SIG"]


@dataclass(frozen=True, eq=False)
class Demand:
    """Demand units and how they were obtained.

    Attributes
    ----------
    units : GeoDataFrame
        One row per unit, standard columns (see the module docstring).
    crs : str
        Projected CRS of ``units``.
    kind : str
        ``"grid"`` (an observed grid such as INSEE's), ``"modelled_grid"`` (population spread over
        polygons), ``"points"`` or ``"polygons"``.
    source : str
        File name and column, for reports.
    population_label : str
        What ``population`` counts (e.g. "habitants (Ind, Filosofi 2017)").
    modelled : bool
        True when the spatial distribution is an assumption (uniform spread), not observed.
    """

    units: gpd.GeoDataFrame
    crs: str
    kind: str
    source: str
    population_label: str
    modelled: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def equity_columns(self) -> list[str]:
        """The equity columns present in ``units``."""
        return [c for c in EQUITY_COLUMNS if c in self.units.columns]

    @property
    def total(self) -> float:
        """Total population."""
        return float(self.units["population"].sum())

    def to_crs(self, crs: str) -> "Demand":
        """The same demand in another projected CRS (x, y recomputed)."""
        if crs == self.crs:
            return self
        units = self.units.to_crs(crs)
        points = gpd.GeoSeries(gpd.points_from_xy(self.units["x"], self.units["y"]), crs=self.crs).to_crs(crs)
        units["x"], units["y"] = points.x.to_numpy(), points.y.to_numpy()
        return replace(self, units=units, crs=crs)


def decode_idcar(ids: pd.Series, path: Path | str = "") -> pd.DataFrame:
    """Decode INSEE cell ids such as ``CRS5490RES200mN1592600E728800``.

    Returns
    -------
    DataFrame
        Columns ``epsg`` (int), ``size`` (metres), ``north``, ``east`` (south-west corner, metres).

    Raises
    ------
    InputError
        On the first id that does not follow the INSEE pattern, naming its row.
    """
    parts = ids.astype(str).str.strip().str.extract(_IDCAR)
    bad = parts[0].isna().to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"identifiant de carreau mal formé « {ids.iloc[row]} » ({plural(int(bad.sum()), 'ligne', 'lignes')})",
            "les identifiants INSEE ont la forme CRS5490RES200mN1592600E728800",
            path=path, row=row + 1, column="Idcar_200m")
    return pd.DataFrame({"epsg": parts[0].astype(int), "size": parts[1].astype(int),
                         "north": parts[2].astype(float), "east": parts[3].astype(float)})


def _square_cells(east: np.ndarray, north: np.ndarray, size: float) -> np.ndarray:
    return shapely.box(east, north, east + size, north + size)


def _check_unique(ids: pd.Series, path: Path | str, column: str) -> None:
    dup = ids.duplicated(keep="first").to_numpy()
    if dup.any():
        row = int(np.flatnonzero(dup)[0])
        raise InputError(f"identifiant en double « {ids.iloc[row]} » ({plural(int(dup.sum()), 'doublon', 'doublons')})",
                         "chaque carreau ou unité doit apparaître une seule fois", path=path,
                         row=row + 1, column=column)


def read_filosofi(path: str | Path, population_column: str = "Ind") -> Demand:
    """Read an INSEE Filosofi 200 m grid (CSV, CSV.GZ or GeoPackage with ``Idcar_200m``).

    The cell geometry and CRS are decoded from ``Idcar_200m``; the commune is the first code of
    ``lcog_geo`` (cells straddling communes list several codes run together). Equity columns are
    kept when present: households (``Men``), poor households (``Men_pauv``), single-parent households
    (``Men_fmp``), people aged 65+ (``Ind_65_79`` + ``Ind_80p``), one-person households (``Men_1ind``).

    Parameters
    ----------
    path : str or Path
    population_column : str
        Column counted as population (default ``Ind``, individuals).
    """
    path = Path(path)
    if is_vector(path):
        frame = pd.DataFrame(read_vector(path).drop(columns="geometry")).astype(str)
    else:
        frame = read_table(path)
    id_col = find_column(frame, ["Idcar_200m", "IdINSPIRE", "idcar"], path, "d'identifiant de carreau")
    pop_col = find_column(frame, [population_column], path, "de population")
    _check_unique(frame[id_col], path, id_col)
    cells = decode_idcar(frame[id_col], path)
    epsgs = cells["epsg"].unique()
    if epsgs.size != 1:
        raise InputError(f"carreaux dans plusieurs systèmes de coordonnées ({', '.join(map(str, epsgs))})",
                         "séparez le fichier par territoire", path=path, column=id_col)
    crs = f"EPSG:{int(epsgs[0])}"
    size = float(cells["size"].iloc[0])
    population = to_number(frame[pop_col], path, pop_col)
    units = pd.DataFrame({"unit_id": frame[id_col].astype(str).to_numpy(), "population": population})
    commune_col = find_column(frame, ["lcog_geo", "depcom", "code_commune"], path, "commune", required=False)
    units["commune"] = normalise_commune_codes(frame[commune_col].str.slice(0, 5)).to_numpy() if commune_col else ""
    # Cells straddling communes list every code run together: kept so that the commune can be
    # settled by location when outlines are known (see assign_communes).
    units["commune_codes"] = frame[commune_col].to_numpy() if commune_col else ""
    for standard, sources in EQUITY_COLUMNS.items():
        if all(find_column(frame, [s], path, s, required=False) for s in sources):
            units[standard] = sum(to_number(frame[find_column(frame, [s], path, s)], path, s) for s in sources)
    # Filosofi's Men* columns count households, not people: the label says which.
    noun = "ménages" if normalise_name(pop_col).startswith("men") else "habitants"
    units["x"] = cells["east"].to_numpy() + size / 2
    units["y"] = cells["north"].to_numpy() + size / 2
    units = gpd.GeoDataFrame(units, geometry=_square_cells(cells["east"].to_numpy(), cells["north"].to_numpy(),
                                                           size), crs=crs)
    return Demand(units=units, crs=crs, kind="grid", source=f"{path.name} ({pop_col})",
                  population_label=f"{noun} ({pop_col}, carroyage INSEE {int(size)} m)")


def read_xy_grid(path: str | Path, crs: str, population_column: str, x_column: str = "x",
                 y_column: str = "y", cell_size: float = 200.0, commune_column: str | None = None,
                 equity: dict[str, str] | None = None, label: str | None = None) -> Demand:
    """Read a grid given by cell-centre coordinates (e.g. INSEE's RFL 2010 grid of La Réunion).

    Parameters
    ----------
    path : str or Path
        CSV (or CSV.GZ) with one row per cell.
    crs : str
        CRS of the coordinates, e.g. ``"EPSG:2975"``; must be projected (metres).
    population_column : str
        Column counted (e.g. ``houhold`` for households).
    x_column, y_column : str
        Cell-centre coordinates.
    cell_size : float
        Cell side in metres.
    commune_column : str, optional
        Column with the INSEE commune code, when the file has one.
    equity : dict, optional
        Standard equity name → column in the file, e.g. ``{"poor_households": "phouhold"}``.
    label : str, optional
        What the counted column is, in French, for every output (« ménages … »); default the column
        name and the cell size.
    """
    path = Path(path)
    if is_geographic(crs):
        raise InputError(f"le CRS {crs} est en degrés", "une grille se décrit en mètres : indiquez un CRS "
                         "projeté (par ex. EPSG:2975 à La Réunion)", path=path)
    frame = read_table(path)
    xc = find_column(frame, [x_column], path, "x")
    yc = find_column(frame, [y_column], path, "y")
    pc = find_column(frame, [population_column], path, "de population")
    x = to_number(frame[xc], path, xc, allow_negative=True)
    y = to_number(frame[yc], path, yc, allow_negative=True)
    units = pd.DataFrame({"population": to_number(frame[pc], path, pc)})
    units["unit_id"] = [f"{crs.split(':')[-1]}_{int(a)}_{int(b)}" for a, b in zip(x, y)]
    _check_unique(units["unit_id"], path, f"{xc},{yc}")
    units["commune"] = frame[commune_column].to_numpy() if commune_column else ""
    for standard, column in (equity or {}).items():
        col = find_column(frame, [column], path, column)
        units[standard] = to_number(frame[col], path, col)
    units["x"], units["y"] = x, y
    half = cell_size / 2
    geometry = _square_cells(x - half, y - half, cell_size)
    return Demand(units=gpd.GeoDataFrame(units, geometry=geometry, crs=crs), crs=crs, kind="grid",
                  source=f"{path.name} ({pc})", population_label=label or f"{pc} (carroyage {int(cell_size)} m)")


def read_demand_layer(path: str | Path, population_column: str, crs: str | None = None,
                      id_column: str | None = None, commune_column: str | None = None,
                      spread_polygons: bool = True) -> Demand:
    """Read points or polygons carrying a population (GeoPackage, GeoJSON, or a table with coordinates).

    Points (communes at their town hall, addresses…) are routed from themselves. Polygons (communes,
    IRIS…) are spread over a modelled 200 m grid (:func:`spread_over_polygons`, labelled as such),
    or with ``spread_polygons=False`` routed from a point inside each.

    Parameters
    ----------
    path : str or Path
    population_column : str
        Column counted, e.g. ``population_municipale``.
    crs : str, optional
        CRS of a table's coordinates (default WGS84 lon/lat).
    id_column, commune_column : str, optional
        Unit id and INSEE commune code columns; guessed (``code``, ``code_insee``…) when not given.
    spread_polygons : bool
        Spread polygon populations over a grid (default) rather than placing them at one point.
    """
    path = Path(path)
    if is_vector(path):
        frame = read_vector(path)
        frame = frame[~(frame.geometry.isna() | frame.geometry.is_empty)].reset_index(drop=True)
    else:
        frame, _ = points_from_table(read_table(path), path, crs=crs or "EPSG:4326", what="unités de population",
                                     crs_option="--population-crs")
    pc = find_column(frame, [population_column], path, "de population",
                     fix="indiquez la colonne comptée avec --population-column")
    frame, notes = repair_polygons(frame, path)
    population = to_number(_population_text(frame[pc]), path, pc)
    wgs = frame.to_crs("EPSG:4326")
    centroid = wgs.geometry.representative_point()
    target = local_crs(centroid.x.to_numpy(), centroid.y.to_numpy())
    cc = commune_column or find_column(frame, COMMUNE_NAMES, path, "commune", required=False)
    idc = id_column or find_column(frame, ["id", "unit_id", *COMMUNE_NAMES], path, "identifiant", required=False)
    is_polygon = frame.geometry.geom_type.str.contains("Polygon").all()
    if is_polygon and spread_polygons:
        polygons = gpd.GeoDataFrame({"code": (normalise_commune_codes(frame[cc]).to_numpy() if cc
                                              else np.arange(len(frame)).astype(str)),
                                     "population": population}, geometry=frame.geometry.to_numpy(), crs=frame.crs)
        demand = spread_over_polygons(polygons, "population", target, source=f"{path.name} ({pc})")
        if not cc:
            demand.units["commune"] = ""
        return replace(demand, notes=notes,
                       population_label=f"habitants ({pc}), répartis uniformément sur un carroyage de "
                                        f"200 m dans chaque polygone de {path.name} (modélisé)")
    projected = frame.to_crs(target)
    points = projected.geometry.representative_point()
    units = gpd.GeoDataFrame({
        "unit_id": frame[idc].astype(str).to_numpy() if idc else np.arange(len(frame)).astype(str),
        "population": population,
    }, geometry=projected.geometry.to_numpy(), crs=target)
    units["commune"] = normalise_commune_codes(frame[cc]).to_numpy() if cc else ""
    units["x"], units["y"] = points.x.to_numpy(), points.y.to_numpy()
    where = "placés au point intérieur de chaque polygone" if is_polygon else "placés aux points du fichier"
    return Demand(units=units, crs=target, kind="polygons" if is_polygon else "points",
                  source=f"{path.name} ({pc})", population_label=f"habitants ({pc}, {where})", notes=notes)


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """The polygonal part of each geometry (an intersection may add lines or points where shapes touch)."""
    geoms = geoms.copy()
    for i in np.flatnonzero(~np.isin(shapely.get_type_id(geoms), (3, 6))):
        parts = [p for q in shapely.get_parts(geoms[i]) for p in shapely.get_parts(q)
                 if shapely.get_type_id(p) == 3 and p.area > 0]
        geoms[i] = shapely.MultiPolygon(parts) if parts else shapely.Polygon()
    return geoms


def spread_over_polygons(polygons: gpd.GeoDataFrame, population_column: str, crs: str,
                         cell_size: float = 200.0, code_column: str = "code",
                         source: str = "communes") -> Demand:
    """Spread each polygon's population evenly over a regular grid (a *modelled* grid).

    Each cell of a ``cell_size`` grid aligned on multiples of ``cell_size`` in ``crs`` receives the
    share of each polygon's population equal to the share of the polygon's area it covers. A cell on
    a border between polygons gives one unit per polygon: the *piece* of the cell inside it, with that
    polygon's code and share, routed from the piece's centroid (its centre of mass, the population
    being uniform over it; a point inside the piece when the centroid falls outside). Every polygon's
    population is therefore preserved exactly, and so is the total. The result is flagged
    ``modelled=True``: where people live inside a commune is an assumption, and reports say so.

    Parameters
    ----------
    polygons : GeoDataFrame
        One row per polygon (e.g. communes), with ``population_column`` and ``code_column``.
    population_column : str
    crs : str
        Projected CRS of the grid.
    cell_size : float
    code_column : str
        Becomes the ``commune`` of each cell piece.
    source : str
        Description for reports.

    Returns
    -------
    Demand
        One unit per (cell, code) piece: ``unit_id`` is the cell's id and the code
        (``2154_268000_6828400_22278``), ``geometry`` the piece (the whole cell inside a polygon).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> halves = gpd.GeoDataFrame({"code": ["a", "b"], "pop": [120.0, 300.0]},
    ...                           geometry=[box(0, 0, 300, 400), box(300, 0, 400, 400)], crs="EPSG:2154")
    >>> units = spread_over_polygons(halves, "pop", "EPSG:2154").units
    >>> units.groupby("commune")["population"].sum().tolist()  # each polygon's population, exactly
    [120.0, 300.0]
    >>> units[["unit_id", "population", "x", "y"]].values.tolist()[-2:]  # a cell on the border: two pieces
    [['2154_200_200_a', 20.0, 250.0, 300.0], ['2154_200_200_b', 150.0, 350.0, 300.0]]
    """
    projected = polygons.to_crs(crs)
    full_area = cell_size * cell_size
    pieces = []
    for code, geom, pop in zip(projected[code_column].astype(str), projected.geometry,
                               projected[population_column].astype(float)):
        xmin, ymin, xmax, ymax = geom.bounds
        xs = np.arange(np.floor(xmin / cell_size) * cell_size, xmax, cell_size)
        ys = np.arange(np.floor(ymin / cell_size) * cell_size, ymax, cell_size)
        east, north = (a.ravel() for a in np.meshgrid(xs, ys))
        boxes = _square_cells(east, north, cell_size)
        shapely.prepare(geom)
        hits = shapely.intersects(geom, boxes)
        inside = boxes[hits]
        # A cell wholly inside keeps its square (exactly the cell); only the others are cut (most cells are
        # inside: the intersections were most of the time).
        cut = ~shapely.contains_properly(geom, inside)
        inside[cut] = _polygonal(shapely.intersection(inside[cut], geom))
        area = shapely.area(inside)
        keep = area > 0
        area, inside = area[keep], inside[keep]
        whole = np.isclose(area, full_area, rtol=1e-9)
        inside[whole] = boxes[hits][keep][whole]
        pieces.append(pd.DataFrame({
            "east": east[hits][keep], "north": north[hits][keep], "commune": code,
            "population": pop * area / area.sum(), "geometry": inside,
        }))
    frame = pd.concat(pieces, ignore_index=True)
    key = ["east", "north", "commune"]
    twice = frame.duplicated(key, keep=False).to_numpy()
    if twice.any():
        # Two polygons of one code (a commune given in several rows) meet in a cell: one piece of that code.
        merged = frame[twice].groupby(key, sort=False).agg(
            population=("population", "sum"), geometry=("geometry", lambda g: shapely.union_all(g.to_numpy())))
        frame = pd.concat([frame[~twice], merged.reset_index()], ignore_index=True)
    frame = frame.sort_values(key, kind="stable").reset_index(drop=True)
    east, north = frame["east"].to_numpy(), frame["north"].to_numpy()
    geometry = frame["geometry"].to_numpy()
    x, y = east + cell_size / 2, north + cell_size / 2
    cut = ~np.isclose(shapely.area(geometry), full_area, rtol=1e-9)
    if cut.any():
        centres = shapely.centroid(geometry[cut])
        outside = ~shapely.covers(geometry[cut], centres)
        centres[outside] = shapely.point_on_surface(geometry[cut][outside])
        x[cut], y[cut] = shapely.get_x(centres), shapely.get_y(centres)
    epsg = crs.split(":")[-1]
    units = gpd.GeoDataFrame({
        "unit_id": [f"{epsg}_{int(e)}_{int(n)}_{c}" for e, n, c in zip(east, north, frame["commune"])],
        "population": frame["population"].to_numpy(),
        "commune": frame["commune"].to_numpy(),
        "x": x, "y": y,
    }, geometry=geometry, crs=crs)
    return Demand(units=units, crs=crs, kind="modelled_grid", source=source, modelled=True,
                  population_label=f"habitants ({population_column}), répartis uniformément sur un "
                                   f"carroyage de {int(cell_size)} m (modélisé)")


def assign_communes(demand: Demand, communes: gpd.GeoDataFrame, code_column: str = "code") -> Demand:
    """Settle the commune of units whose code is missing or ambiguous by where their centre lies.

    Only units without a single commune code (``commune_codes`` empty or listing several codes) are
    changed; the others keep the code given by the source.
    """
    units = demand.units.copy()
    codes = units.get("commune_codes", units["commune"]).astype(str)
    unsettled = (codes.str.len() != 5).to_numpy()
    if not unsettled.any():
        return demand
    outlines = communes[[code_column, "geometry"]].to_crs(demand.crs)
    centres = gpd.GeoDataFrame(geometry=gpd.points_from_xy(units.loc[unsettled, "x"], units.loc[unsettled, "y"]),
                               crs=demand.crs, index=units.index[unsettled])
    # The nearest outline: the one containing the centre, or for a coastal cell whose centre is at
    # sea, the closest one.
    joined = gpd.sjoin_nearest(centres, outlines, how="left")
    joined = joined[~joined.index.duplicated()]
    units.loc[unsettled, "commune"] = joined[code_column].astype(str).to_numpy()
    return replace(demand, units=units)


def town_hall_demand(communes: gpd.GeoDataFrame, population_column: str = "population_municipale") -> Demand:
    """Each commune's population at its town hall (the commune-level demand of French access studies).

    ``communes`` needs ``code``, ``nom``, ``mairie_lon``, ``mairie_lat`` (WGS84) and the population
    column. A town hall that the source places outside its own commune is moved inside the outline,
    and the move is listed in the demand's notes.
    """
    wgs = communes.to_crs("EPSG:4326").reset_index(drop=True)
    halls = gpd.GeoDataFrame(
        {"name": wgs["nom"].astype(str), "commune": wgs["code"].astype(str)},
        geometry=gpd.points_from_xy(pd.to_numeric(wgs["mairie_lon"]), pd.to_numeric(wgs["mairie_lat"])),
        crs="EPSG:4326")
    halls, moved = relocate_outside_commune(halls, wgs)
    crs = local_crs(halls.geometry.x.to_numpy(), halls.geometry.y.to_numpy())
    points = halls.geometry.to_crs(crs)
    units = gpd.GeoDataFrame({
        "unit_id": halls["commune"].to_numpy(),
        "population": pd.to_numeric(wgs[population_column]).astype(float).to_numpy(),
        "commune": halls["commune"].to_numpy(),
        "x": points.x.to_numpy(), "y": points.y.to_numpy(),
    }, geometry=points.to_numpy(), crs=crs)
    return Demand(units=units, crs=crs, kind="points", source=f"mairies ({population_column})",
                  population_label=f"habitants ({population_column}, placés à la mairie)", notes=moved)


def _has_coordinates(columns: list) -> bool:
    """Whether a table's columns include coordinates (longitude/latitude, x/y or a combined column)."""
    names = {normalise_name(c) for c in columns}
    has = lambda candidates: any(normalise_name(c) in names for c in candidates)  # noqa: E731
    return (has(LON_NAMES + X_NAMES) and has(LAT_NAMES + Y_NAMES)) or has(COMBINED_NAMES)


def read_commune_table(path: str | Path, population_column: str) -> Demand:
    """A table of communes by INSEE code, without coordinates: each population placed at its town hall.

    The town halls come from the national list (:func:`access30.inputs.communes.departement_communes`, with
    its corrections of misplaced points), as for a département study without a grid.

    Raises
    ------
    InputError
        A code that is not a current commune code (its row named), a code given twice.
    """
    path = Path(path)
    frame = read_table(path)
    cc = find_column(frame, COMMUNE_NAMES, path, "de code commune (INSEE)")
    pc = find_column(frame, [population_column], path, "de population",
                     fix="indiquez la colonne comptée avec --population-column")
    codes = normalise_commune_codes(frame[cc])
    _check_unique(codes, path, cc)
    population = to_number(_population_text(frame[pc]), path, pc)
    departements = codes.str.slice(0, 3).where(codes.str.startswith("97"), codes.str.slice(0, 2))
    halls, fixes = [], []
    for departement in sorted(set(departements)):
        try:
            communes, found = departement_communes(departement)
        except InputError:
            continue  # not a département: its codes are reported as unknown below
        halls.append(communes)
        fixes += found
    known = pd.concat(halls, ignore_index=True).set_index("code") if halls else pd.DataFrame()
    unknown = ~codes.isin(known.index).to_numpy()
    if unknown.any():
        row = int(np.flatnonzero(unknown)[0])
        count = plural(int(unknown.sum()), "ligne", "lignes")
        raise InputError(f"code commune inconnu « {frame[cc].iloc[row]} » ({count} en tout), et le fichier n'a pas "
                         "de coordonnées",
                         "indiquez le code INSEE en vigueur (5 caractères, par ex. 22278), ou ajoutez des colonnes "
                         "longitude et latitude", path=path, row=row + 1, column=cc)
    halls = known.loc[codes.to_numpy()]
    lon, lat = halls["mairie_lon"].to_numpy(dtype=float), halls["mairie_lat"].to_numpy(dtype=float)
    crs = local_crs(lon, lat)
    points = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs="EPSG:4326").to_crs(crs)
    units = gpd.GeoDataFrame({"unit_id": codes.to_numpy(), "population": population, "commune": codes.to_numpy(),
                              "x": points.x.to_numpy(), "y": points.y.to_numpy()},
                             geometry=points.to_numpy(), crs=crs)
    wanted = set(codes)
    notes = ["le fichier n'a pas de coordonnées : la population de chaque commune est placée à sa mairie (liste "
             "nationale des communes) ; les temps d'accès sont ceux des mairies, pas des lieux de vie",
             *(fix for fix in fixes if fix.split(" ", 1)[0] in wanted)]
    return Demand(units=units, crs=crs, kind="points", source=f"{path.name} ({pc})", notes=notes,
                  population_label=f"habitants ({pc}, placés à la mairie de chaque commune)")


#: Population files remembered (:func:`read_population`): a study of the same upload in another travel
#: mode, or a second planner's, reads the file once and shares its units.
POPULATION_FILES_KEPT = 4


def read_population(path: str | Path, population_column: str | None = None, crs: str | None = None) -> Demand:
    """Read any supported population file, choosing the loader from its columns.

    A file read before (same path, size, modification time and options; the last
    :data:`POPULATION_FILES_KEPT`) is not read again: its units are shared, never modified in place.

    An INSEE grid (``Idcar_200m``/``idcar_200m``, Filosofi 2017 upper-case or 2019/2021 lower-case
    fields; CSV, workbook or GeoPackage) goes to :func:`read_filosofi`; points or polygons with a
    population column (GeoPackage, GeoJSON, or a table with coordinates) to :func:`read_demand_layer`,
    which needs ``population_column`` unless an obvious one exists (``population``,
    ``population_municipale``, ``pop``, ``habitants``).
    """
    path = Path(path)
    if not path.is_file():  # refused by the readers, in French
        return _read_population(path, population_column, crs)
    stat = path.stat()
    identity = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    demand = _remembered_population(str(path), identity, population_column, crs)
    return replace(demand, units=demand.units.copy(deep=False), notes=list(demand.notes))


@lru_cache(maxsize=POPULATION_FILES_KEPT)
def _remembered_population(path: str, _identity: tuple, population_column: str | None, crs: str | None) -> Demand:
    return _read_population(Path(path), population_column, crs)


def _read_population(path: Path, population_column: str | None, crs: str | None) -> Demand:
    if is_vector(path):
        columns = list(read_vector(path).columns)
    else:
        columns = list(read_table(path).columns)
    plain = {normalise_name(c): c for c in columns}
    if any(name in plain for name in ("idcar 200m", "idinspire", "idcar")):
        return read_filosofi(path, population_column or ("ind" if "ind" in plain else "Ind"))
    if not population_column:
        guess = [plain[n] for n in ("population", "population municipale", "pop", "habitants", "nb habitants",
                                    "population totale", "ind") if n in plain]
        if not guess:  # INSEE census columns (P21_POP, PMUN21…) when there is exactly one
            guess = [c for n, c in plain.items() if _CENSUS_POPULATION.match(n)]
        if len(guess) != 1:
            raise InputError(
                f"impossible de savoir quelle colonne compte la population (colonnes : "
                f"{', '.join(map(str, columns[:20]))})",
                "indiquez-la avec --population-column (par ex. population_municipale)", path=path)
        population_column = guess[0]
    if "geometry" not in columns and not _has_coordinates(columns) and any(
            normalise_name(name) in plain for name in COMMUNE_NAMES):
        return read_commune_table(path, population_column)
    return read_demand_layer(path, population_column, crs=crs)
