"""Routing a study on roads (coverage.roads): points joined to the network, and the engine's road entry."""

from __future__ import annotations

import numpy as np

from access30.base.crs import to_projected
from access30.coverage.engine import route
from access30.coverage.roads import join_sites, join_units, join_xy, route_roads


def test_a_site_joins_on_road_at_its_own_coordinates(demo_study):
    sites = demo_study.sites
    lon, lat = sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy()
    joined = join_xy(demo_study, lon, lat)
    assert len(joined) == len(sites) == 32
    assert joined.on_road.all()
    assert (joined.metres <= demo_study.access.max_distance_m).all()
    x, y = to_projected(lon, lat, demo_study.network.crs)
    assert np.allclose(joined.x, x) and np.allclose(joined.y, y)
    # join_sites joins the same points the same way.
    by_study, notices = join_sites(demo_study)
    assert np.array_equal(by_study.segment, joined.segment) and notices == []


def test_a_point_at_sea_joins_nothing(demo_study):
    # In the Channel, 40 km north of Bréhat and 75 km from the demo's roads: beyond its 12 km access distance.
    assert demo_study.access.max_distance_m == 12_000
    joined = join_xy(demo_study, [-2.9], [49.2])
    assert joined.segment.tolist() == [-1] and not joined.on_road.any()
    assert np.isinf(joined.metres).all()


def test_route_roads_equals_the_engine(demo_study, demo_routing):
    routed = route_roads(demo_study)
    assert np.array_equal(routed.times.time1, demo_routing.times.time1)
    assert np.array_equal(routed.times.site1, demo_routing.times.site1)
    assert np.array_equal(routed.times.time2, demo_routing.times.time2)
    assert np.array_equal(routed.units.segment, join_units(demo_study).segment)
    first_only = route_roads(demo_study, second=False)
    assert np.array_equal(first_only.times.time1, route(demo_study, second=False).times.time1)
    assert np.array_equal(first_only.times.time1, demo_routing.times.time1)
