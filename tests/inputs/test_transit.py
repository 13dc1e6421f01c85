"""A GTFS feed must serve the study's population (inputs.transit.stop_reach_notices).

Real data: the Car Jaune feed of La Réunion, against the Réunion 200 m grid (an interurban feed: under
half the population lives near a stop) and against the Côtes-d'Armor demo (9,000 km away: refused).
"""

from __future__ import annotations

import numpy as np
import pytest

from access30.base.crs import to_wgs84
from access30.base.errors import InputError
from access30.inputs.assemble import StudyRequest, assemble_study
from access30.inputs.transit import WARN_STOP_REACH_SHARE, stop_reach_notices
from access30.routing.transit import TransitParams

EARTH_RADIUS_M = 6_371_000.0


@pytest.fixture(scope="module")
def reunion(shared_data):
    return assemble_study(StudyRequest(territory="reunion", mode="transit",
                                       gtfs=shared_data / "gtfs" / "car_jaune_974.gtfs.zip", when="mardi 09:00"))


def haversine_nearest(lon, lat, stop_lon, stop_lat) -> np.ndarray:
    """Distance (m) to the nearest stop, by the haversine formula, unit by unit (independent of the module)."""
    out = np.empty(len(lon))
    p2, l2 = np.radians(stop_lat), np.radians(stop_lon)
    for i, (x, y) in enumerate(zip(np.radians(lon), np.radians(lat))):
        h = np.sin((p2 - y) / 2) ** 2 + np.cos(y) * np.cos(p2) * np.sin((l2 - x) / 2) ** 2
        out[i] = (2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(h))).min()
    return out


def test_a_feed_far_from_the_population_is_refused(reunion, demo_study):
    with pytest.raises(InputError) as exc:
        stop_reach_notices(reunion.network, demo_study.demand, "la population des Côtes-d'Armor")
    error = exc.value
    assert error.column == "--gtfs" and error.path == reunion.network.path
    text = str(error)
    assert "car_jaune_974.gtfs.zip" in text and "la population des Côtes-d'Armor" in text
    assert "l'arrêt desservi le plus proche est à 9\u202f" in text and "km" in text  # La Réunion: ~9,600 km
    assert "transport.data.gouv.fr" in error.fix


def test_an_interurban_feed_is_said_to_miss_most_people(reunion):
    notices = stop_reach_notices(reunion.network, reunion.demand, "la population du territoire")
    units = reunion.demand.units
    lon, lat = to_wgs84(units["x"].to_numpy(dtype=float), units["y"].to_numpy(dtype=float), reunion.demand.crs)
    tt = reunion.network.timetable
    served = tt.served_stops()
    distance = haversine_nearest(lon, lat, tt.stop_lon[served], tt.stop_lat[served])
    near = distance <= 1000.0
    pop = units["population"].to_numpy(dtype=float)
    share = pop[near].sum() / pop.sum()
    assert 0 < share < WARN_STOP_REACH_SHARE
    assert [notice.code for notice in notices] == ["transit_stops_far"]
    assert notices[0].count == int((~near).sum())
    assert "car_jaune_974.gtfs.zip" in notices[0].message and "1\u202f000\u202fm" in notices[0].message


def test_a_wider_walk_reaches_everyone(reunion):
    assert stop_reach_notices(reunion.network, reunion.demand, "la population du territoire",
                              TransitParams(walk_radius_m=50_000.0)) == []
