"""The study: the prepared inputs of a coverage run (network, demand, sites, communes)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import geopandas as gpd
import pandas as pd

from access30.base.crs import local_crs
from access30.base.errors import Notice
from access30.base.record import Reads
from access30.inputs.population import Demand
from access30.network.roads import RoadNetwork
from access30.routing.roads import (
    AccessModel,
)


@dataclass(frozen=True, eq=False)
class Study:
    """Prepared inputs of a coverage study.

    Attributes
    ----------
    network : RoadNetwork
    demand : Demand
    sites : GeoDataFrame
        Standard site columns (see :mod:`access30.inputs.sites`), WGS84.
    access : AccessModel
    communes : DataFrame or GeoDataFrame, optional
        The communes with ``code``, ``nom`` and, when known, ``epci_code`` and ``epci_nom``; a
        GeoDataFrame of outlines when they are known (see :attr:`outlines`), else a plain table
        (names from the national list).
    label : str
        Territory name for titles.
    notices : list of Notice
        What loading found and corrected.
    sources : list of str
        One line per data source (origin, date, licence), for reports.
    territory : str, optional
        Key of the built-in territory the study comes from (its site lists serve as candidates).
    departement : str, optional
        INSEE code of the département (given, or read from the commune codes): the national site
        lists of that département serve as candidates.
    reads : Reads, optional
        The files the study was read from (built-in data, cached sources) and the data sources with
        their vintage and download date (:func:`access30.base.record.collecting`), for the run record.
    """

    network: RoadNetwork
    demand: Demand
    sites: gpd.GeoDataFrame
    access: AccessModel
    communes: pd.DataFrame | None = None
    label: str = ""
    notices: list[Notice] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    territory: str | None = None
    departement: str | None = None
    reads: Reads | None = None

    def with_sites(self, sites: gpd.GeoDataFrame) -> "Study":
        """The same study with another site list."""
        return replace(self, sites=sites.reset_index(drop=True))

    @property
    def outlines(self) -> gpd.GeoDataFrame | None:
        """Commune outlines (polygons with ``code`` and ``nom``), or None when they are not known."""
        return commune_outlines(self.communes)

    def area_wgs84(self, buffer_m: float = 2000.0):
        """The study area buffered by ``buffer_m``, WGS84: the communes' outlines, else the demand's extent."""
        outlines = self.outlines
        if outlines is not None:
            wgs = outlines.to_crs("EPSG:4326")
            point = wgs.geometry.representative_point()
            crs = local_crs(point.x.to_numpy(), point.y.to_numpy())
            area = outlines.to_crs(crs).geometry.union_all().buffer(buffer_m)
        else:
            crs = self.demand.crs
            points = gpd.GeoSeries(gpd.points_from_xy(self.demand.units["x"], self.demand.units["y"]), crs=crs)
            area = points.union_all().convex_hull.buffer(max(buffer_m, 500.0))
        return gpd.GeoSeries([area], crs=crs).to_crs("EPSG:4326").iloc[0]


def commune_outlines(communes) -> gpd.GeoDataFrame | None:
    """``communes`` when it holds polygon outlines, else None (a names-only table, or points)."""
    if not isinstance(communes, gpd.GeoDataFrame) or communes.empty or "geometry" not in communes.columns:
        return None
    kinds = communes.geometry.geom_type.dropna()
    if kinds.empty or not kinds.str.contains("Polygon").all():
        return None
    return communes
