"""Public transport: GTFS reading (access30.network.gtfs) and exact earliest arrivals (access30.routing.transit).

Real data: the Car Jaune feed of La Réunion, the INSEE 200 m grid and the real reception sites.
Hand-made feeds are named ``fixture_*`` and only cover what the real feed lacks (frequencies.txt,
trips after midnight). The reference for the router is a brute-force time-expanded graph searched
with networkx's Dijkstra, built independently from the stop times.
"""

from __future__ import annotations

import io
import zipfile
from bisect import bisect_left
from datetime import date, timedelta
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from scipy.spatial import cKDTree

from access30.base.crs import to_projected
from access30.base.errors import InputError
from access30.network import gtfs
from access30.routing import transit

CRS = "EPSG:2975"
SUB_ROUTES = ("E1", "E2", "E3")  # Saint-Denis – Saint-André – Saint-Benoît: shared stops, transfers
SUB_SITES = ("CCAS Saint Denis", "CCAS Saint Benoit", "CCAS Bras Panon")


# --------------------------------------------------------------------------------------------
# Real data fixtures


@pytest.fixture(scope="module")
def feed_path(shared_data) -> Path:
    return shared_data / "gtfs" / "car_jaune_974.gtfs.zip"


@pytest.fixture(scope="module")
def feed(feed_path):
    return gtfs.read_feed(feed_path)


@pytest.fixture(scope="module")
def tuesday(feed):
    return gtfs.choose_date(feed, "mardi 07:00").day


@pytest.fixture(scope="module")
def timetable(feed, tuesday):
    return gtfs.timetable_for_date(feed, tuesday)


@pytest.fixture(scope="module")
def accueil(shared_data) -> pd.DataFrame:
    frame = pd.read_csv(shared_data / "inventories" / "premier_accueil_974.csv").dropna(subset=["lon", "lat"])
    x, y = to_projected(frame["lon"].to_numpy(), frame["lat"].to_numpy(), CRS)
    return frame.assign(x=x, y=y).reset_index(drop=True)


@pytest.fixture(scope="module")
def cells(shared_data) -> pd.DataFrame:
    return pd.read_csv(shared_data / "reunion" / "reunion_200m_households.csv.gz")


@pytest.fixture(scope="module")
def all_sites(shared_data, accueil) -> np.ndarray:
    fs = pd.read_csv(shared_data / "reunion" / "france_services_974.csv", dtype=str)
    x, y = to_projected(fs["longitude"].astype(float).to_numpy(), fs["latitude"].astype(float).to_numpy(), CRS)
    return np.r_[accueil[["x", "y"]].to_numpy(), np.c_[x, y]]


@pytest.fixture(scope="module")
def reunion(timetable, cells, all_sites):
    """All 14,076 cells to the 56 real sites, Tuesday 08:30–10:00, every minute."""
    return transit.transit_times(timetable, cells[["x", "y"]].to_numpy(float), all_sites,
                                 transit.DepartureWindow(8 * 60 + 30, 90), crs=CRS)


@pytest.fixture(scope="module")
def sub_case(timetable, accueil, cells):
    """A real sub-feed (routes E1, E2, E3 on the chosen Tuesday), three real CCAS, and 30 real cells
    within 900 m of its stops (seeded draw)."""
    sub = timetable.subset(np.isin(timetable.route_short_names[timetable.trip_route], SUB_ROUTES))
    sites = accueil.set_index("name").loc[list(SUB_SITES), ["x", "y"]].to_numpy()
    stop_x, stop_y = sub.stops_xy(CRS)
    stops = np.c_[stop_x, stop_y]
    cxy = cells[["x", "y"]].to_numpy(float)
    dist, _ = cKDTree(stops[sub.served_stops()]).query(cxy)
    rng = np.random.default_rng(20251202)
    origins = cxy[rng.choice(np.flatnonzero(dist < 900), size=30, replace=False)]
    return sub, stops, sites, origins


# --------------------------------------------------------------------------------------------
# Brute force: time-expanded graph, networkx Dijkstra


class TimeExpanded:
    """Time-expanded graph of a timetable under the transit model, searched with networkx.

    Nodes: arrival ('A', row) and departure ('D', row) of every stop time, boarding events
    ('S', stop, t) chained in time at each stop, one 'sink'. Edge weights are time differences, and
    an edge into the sink weighs the served moment minus the alighting time, so the Dijkstra distance
    from an origin node placed at ``tau`` to the sink is the travel time.
    """

    def __init__(self, tt, stops_xy, sites_xy, params, served=lambda k, a: a):
        self.params, self.stops_xy, self.sites_xy, self.served = params, stops_xy, sites_xy, served
        g = nx.DiGraph()
        walk = params.walk_seconds
        events: dict[int, set] = {}
        for t in range(tt.n_trips):
            a, b = tt.st_offsets[t], tt.st_offsets[t + 1]
            for r in range(a, b):
                g.add_edge(("A", r), ("D", r), weight=float(tt.st_dep[r] - tt.st_arr[r]))
                if r + 1 < b:
                    g.add_edge(("D", r), ("A", r + 1), weight=float(tt.st_arr[r + 1] - tt.st_dep[r]))
                    if tt.st_pickup[r]:
                        events.setdefault(int(tt.st_stop[r]), set()).add(float(tt.st_dep[r]))
                        g.add_edge(("S", int(tt.st_stop[r]), float(tt.st_dep[r])), ("D", r), weight=0.0)
        self.events = {s: sorted(v) for s, v in events.items()}
        for s, times in self.events.items():
            for t0, t1 in zip(times, times[1:]):
                g.add_edge(("S", s, t0), ("S", s, t1), weight=t1 - t0)
        ev_stops = np.array(sorted(self.events))
        for t in range(tt.n_trips):
            for r in range(tt.st_offsets[t] + 1, tt.st_offsets[t + 1]):
                if not tt.st_dropoff[r]:
                    continue
                v, ta = int(tt.st_stop[r]), float(tt.st_arr[r])
                d = np.hypot(*(stops_xy[ev_stops] - stops_xy[v]).T)
                for x, dx in zip(ev_stops[d <= params.transfer_radius_m], d[d <= params.transfer_radius_m]):
                    e = self.first_event(int(x), ta + max(params.min_transfer_s, float(walk(dx))))
                    if e is not None:
                        g.add_edge(("A", r), ("S", int(x), e), weight=e - ta)
                dk = np.hypot(*(sites_xy - stops_xy[v]).T)
                for k in np.flatnonzero(dk <= params.walk_radius_m):
                    w = served(int(k), ta + float(walk(dk[k]))) - ta
                    if np.isfinite(w) and w < g.get_edge_data(("A", r), "sink", {"weight": np.inf})["weight"]:
                        g.add_edge(("A", r), "sink", weight=w)
        self.graph = g

    def first_event(self, stop: int, t: float):
        times = self.events.get(stop, [])
        i = bisect_left(times, t)
        return times[i] if i < len(times) else None

    def travel_time(self, origin, tau: float) -> float:
        """Travel time (s) from ``origin`` at ``tau``; inf beyond the horizon."""
        p, walk = self.params, self.params.walk_seconds
        direct = min(self.served(k, tau + float(walk(np.hypot(*(origin - s)))))
                     for k, s in enumerate(self.sites_xy)) - tau
        g = self.graph
        g.add_node("O")
        try:
            for s in self.events:
                d = float(np.hypot(*(origin - self.stops_xy[s])))
                e = self.first_event(s, tau + float(walk(d))) if d <= p.walk_radius_m else None
                if e is not None:
                    g.add_edge("O", ("S", s, e), weight=e - tau)
            try:
                by_transit = nx.dijkstra_path_length(g, "O", "sink")
            except nx.NetworkXNoPath:
                by_transit = np.inf
        finally:
            g.remove_node("O")
        best = min(direct, by_transit)
        return best if best <= p.max_minutes * 60 else np.inf


def _check_against_brute_force(sub_case, params, site_open=None, served=lambda k, a: a, n_checks=100):
    sub, stops, sites, origins = sub_case
    window = transit.DepartureWindow(7 * 60, 90)
    result = transit.transit_times(sub, origins, sites, window, params, site_open=site_open, crs=CRS)
    reference = TimeExpanded(sub, stops, sites, params, served)
    rng = np.random.default_rng(7)
    cases = [(int(rng.integers(len(origins))), int(rng.integers(len(window.departures_s)))) for _ in range(n_checks)]
    for i, j in cases:
        expected = reference.travel_time(origins[i], window.departures_s[j]) / 60.0
        assert result.times_min[i, j] == pytest.approx(expected, abs=1e-6), (i, j)
    return result, cases


# --------------------------------------------------------------------------------------------
# GTFS reading


def test_feed_metadata_matches_the_real_feed(feed):
    meta = feed.metadata
    assert meta.agencies == ("CAR JAUNE",)
    assert (len(feed.stop_ids), meta.n_stops, meta.n_routes, meta.n_trips) == (458, 309, 15, 5195)
    assert len(feed.st_stop) == 88_935
    # calendar.txt runs to 30/11/2026 (the "pta-2" services); no feed_info.txt
    assert (meta.start, meta.end, meta.period_source) == (date(2025, 1, 1), date(2026, 11, 30), "calendar")
    assert meta.period_fr() == "du 01/01/2025 au 30/11/2026"
    assert "CAR JAUNE" in meta.describe_fr() and "15 lignes" in meta.describe_fr()


def test_calendar_agrees_with_gtfs_kit(feed, feed_path):
    import gtfs_kit

    reference = gtfs_kit.read_feed(feed_path, dist_units="km")
    for offset in range(0, 699, 23):
        day = date(2025, 1, 1) + timedelta(days=offset)
        expected = set(reference.get_active_services(day.strftime("%Y%m%d")))
        assert set(feed.service_ids[feed.active_services(day)]) == expected, day


def test_choose_date_picks_a_typical_tuesday(feed):
    chosen = gtfs.choose_date(feed, "mardi 09:00")
    counts = feed.trips_per_date()
    tuesdays = [d for d in counts.index if d.weekday() == 1 and d not in feed.exception_dates()]
    assert chosen.weekday == 1 and chosen.minute == 540 and chosen.day.weekday() == 1
    assert chosen.day not in feed.exception_dates()
    assert chosen.n_trips == counts[chosen.day] == max(counts[d] for d in tuesdays)
    assert chosen.day == date(2025, 12, 2)  # earliest Tuesday of the busiest weeks (492 trips)
    assert "mardi 02/12/2025" in chosen.reason and "sans exception" in chosen.reason


def test_date_outside_the_feed_period_names_the_valid_range(feed):
    with pytest.raises(InputError) as err:
        gtfs.timetable_for_date(feed, date(2024, 6, 4))
    assert "04/06/2024" in str(err.value)
    assert "du 01/01/2025 au 30/11/2026" in str(err.value)


def _rewrite(src: Path, dst: Path, table: str | None = None, edit=None, drop: tuple[str, ...] = ()) -> Path:
    """A copy of a GTFS zip with one table edited (``edit`` returns the new text table) or files dropped."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for name in zin.namelist():
            if name in drop:
                continue
            data = zin.read(name)
            if name == table:
                frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8-sig")
                frame = edit(frame)
                data = frame.to_csv(index=False).encode()
            zout.writestr(name, data)
    return dst


def _bad_time(frame):
    frame.loc[4, "arrival_time"] = "07:6O:00"
    return frame


def _decreasing(frame):
    frame.loc[1, ["arrival_time", "departure_time"]] = "04:00:00"
    return frame


def _lost_sign(frame):
    row = frame.index[frame["location_type"] == "0"][0]
    frame.loc[row, "stop_lon"] = str(-float(frame.loc[row, "stop_lon"]))
    return frame


@pytest.mark.parametrize("case, table, edit, drop, file, column, row, words", [
    ("no_stop_times", None, None, ("stop_times.txt",), "stop_times.txt", None, None, "manque"),
    ("bad_time", "stop_times.txt", _bad_time, (), "stop_times.txt", "arrival_time", 5, "07:6O:00"),
    ("decreasing", "stop_times.txt", _decreasing, (), "stop_times.txt", "arrival_time", 2, "décroissants"),
    ("no_stop_lat", "stops.txt", lambda f: f.rename(columns={"stop_lat": "latitude"}), (),
     "stops.txt", "stop_lat", None, "colonne obligatoire"),
    ("text_in_lon", "stops.txt", lambda f: f.assign(stop_lon=f["stop_lon"].where(f.index != 3, "abc")), (),
     "stops.txt", "stop_lon", 4, "non numérique"),
    ("lost_sign", "stops.txt", _lost_sign, (), "stops.txt", "stop_lat / stop_lon", None, "km de tout autre arrêt"),
    ("no_calendar", None, None, ("calendar.txt", "calendar_dates.txt"), "calendar.txt", None, None, "calendrier"),
])
def test_broken_feed_fixtures_name_file_and_column(feed_path, tmp_path, case, table, edit, drop, file, column,
                                                   row, words):
    broken = _rewrite(feed_path, tmp_path / f"fixture_{case}.zip", table, edit, drop)
    with pytest.raises(InputError) as err:
        gtfs.read_feed(broken)
    assert Path(err.value.path).name == file
    assert broken.name in str(err.value)  # the member and its feed
    assert err.value.column == column
    if row is not None:
        assert err.value.row == row
    assert words in str(err.value)


def test_blank_intermediate_times_are_interpolated_by_distance(feed_path, tmp_path, feed):
    def blank(frame):  # second stop of the first trip: times left blank, as GTFS allows
        frame.loc[1, ["arrival_time", "departure_time"]] = ""
        return frame

    st = pd.read_csv(zipfile.ZipFile(feed_path).open("stop_times.txt"), dtype=str)
    edited = gtfs.read_feed(_rewrite(feed_path, tmp_path / "fixture_blank_time.zip", "stop_times.txt", blank))
    assert edited.metadata.n_interpolated_times == 1
    trip = list(edited.trip_ids).index(st.loc[1, "trip_id"])
    row = edited.st_offsets[trip] + 1
    d0, d1, d2 = st.loc[0:2, "shape_dist_traveled"].astype(float)
    expected = feed.st_dep[row - 1] + (d1 - d0) / (d2 - d0) * (feed.st_arr[row + 1] - feed.st_dep[row - 1])
    assert edited.st_arr[row] == edited.st_dep[row] == round(expected)
    assert abs(edited.st_arr[row] - feed.st_arr[row]) <= 60  # close to the published time

    def blank_first(frame):
        frame.loc[0, ["arrival_time", "departure_time"]] = ""
        return frame

    with pytest.raises(InputError, match="premier ou dernier arrêt"):
        gtfs.read_feed(_rewrite(feed_path, tmp_path / "fixture_blank_first.zip", "stop_times.txt", blank_first))


FIXTURE_STOPS = [("A", -20.880, 55.450), ("B", -20.880, 55.465), ("C", -20.880, 55.480)]


def _fixture_feed(folder: Path) -> Path:
    """fixture_frequencies.zip: hand-made, 3 stops ~1.56 km apart near Saint-Denis, one route.

    * T_exact: frequencies 06:00–07:00 every 20 min, exact_times=1 → 06:00, 06:20, 06:40;
    * T_headway: 07:00–08:00 every 15 min, exact_times=0 → 07:00, 07:15, 07:30, 07:45;
    * T_plain: a plain trip at 09:00;
    * T_night: Mondays only, 24:30 → 24:42 (i.e. 00:30 on Tuesday morning).
    Every trip: A +0, B +5 min, C +12 min.
    """
    def times(start: int) -> list[str]:
        return [f"{(start + m) // 60:02d}:{(start + m) % 60:02d}:00" for m in (0, 5, 12)]

    files = {
        "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\nF,Fixture,https://example.org,Indian/Reunion\n",
        "stops.txt": ("stop_id,stop_name,stop_lat,stop_lon\n"
                      + "".join(f"{s},{s},{la},{lo}\n" for s, la, lo in FIXTURE_STOPS)),
        "routes.txt": "route_id,agency_id,route_short_name,route_long_name,route_type\nR,F,R1,Fixture,3\n",
        "calendar.txt": ("service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\n"
                         "WK,1,1,1,1,1,1,1,20250101,20251231\nMON,1,0,0,0,0,0,0,20250101,20251231\n"),
        "trips.txt": "route_id,service_id,trip_id\nR,WK,T_exact\nR,WK,T_headway\nR,WK,T_plain\nR,MON,T_night\n",
        "frequencies.txt": ("trip_id,start_time,end_time,headway_secs,exact_times\n"
                            "T_exact,06:00:00,07:00:00,1200,1\nT_headway,07:00:00,08:00:00,900,0\n"),
    }
    rows = []
    for trip, start in (("T_exact", 5 * 60), ("T_headway", 5 * 60), ("T_plain", 9 * 60), ("T_night", 24 * 60 + 30)):
        for seq, ((stop, _, _), t) in enumerate(zip(FIXTURE_STOPS, times(start)), start=1):
            rows.append(f"{trip},{t},{t},{stop},{seq}\n")
    files["stop_times.txt"] = "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n" + "".join(rows)
    path = folder / "fixture_frequencies.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return path


def _fixture_xy(stop: str) -> np.ndarray:
    _, lat, lon = next(s for s in FIXTURE_STOPS if s[0] == stop)
    x, y = to_projected(np.array([lon]), np.array([lat]), CRS)
    return np.c_[x, y]


def test_frequencies_fixture_is_expanded(tmp_path):
    feed = gtfs.read_feed(_fixture_feed(tmp_path))
    meta = feed.metadata
    assert (meta.n_trips, meta.n_frequency_trips, meta.n_headway_trips) == (9, 7, 4)
    tt = gtfs.timetable_for_date(feed, date(2025, 1, 8))  # a Wednesday: no night trip either side
    first = tt.st_dep[tt.st_offsets[:-1]]
    assert sorted(first / 60) == [360, 380, 400, 420, 435, 450, 465, 540]
    assert np.all(tt.st_arr[tt.st_offsets[1:] - 1] - first == 12 * 60)
    # Origin at stop A, site at stop C: leaving at 06:05, the 06:20 bus reaches C at 06:32.
    result = transit.transit_times(tt, _fixture_xy("A"), _fixture_xy("C"), transit.DepartureWindow(365, 1), crs=CRS)
    assert result.times_min[0, 0] == pytest.approx(27.0)
    assert result.journeys.n_legs()[0] == 1 and result.journeys.board_s[0] == 380 * 60


def test_trips_after_midnight_run_on_the_next_morning(tmp_path):
    feed = gtfs.read_feed(_fixture_feed(tmp_path))
    monday, tuesday = date(2025, 1, 6), date(2025, 1, 7)
    on_monday = gtfs.timetable_for_date(feed, monday)
    on_tuesday = gtfs.timetable_for_date(feed, tuesday)
    night = list(on_monday.trip_ids).index("T_night")
    assert on_monday.st_dep[on_monday.st_offsets[night]] == (24 * 60 + 30) * 60
    late = list(on_tuesday.trip_ids).index("T_night")
    assert on_tuesday.trip_previous_day[late] and on_tuesday.st_dep[on_tuesday.st_offsets[late]] == 30 * 60
    # Tuesday 00:25 from A to C: the Monday-night bus at 00:30 arrives 00:42.
    a, c = _fixture_xy("A"), _fixture_xy("C")
    result = transit.transit_times(on_tuesday, a, c, transit.DepartureWindow(25, 1), crs=CRS)
    assert result.times_min[0, 0] == pytest.approx(17.0)
    same = transit.transit_times(on_monday, a, c, transit.DepartureWindow(24 * 60 + 25, 1), crs=CRS)
    assert same.times_min[0, 0] == pytest.approx(17.0)


# --------------------------------------------------------------------------------------------
# Earliest arrivals: exact against the brute force


def test_earliest_arrivals_match_the_time_expanded_graph(sub_case):
    result, cases = _check_against_brute_force(sub_case, transit.TransitParams())
    # The check must exercise transit, not only walking: buses win at some departures, with transfers.
    walk_only = np.array([result.walk_only_at_median[i] for i, _ in cases])
    assert (~walk_only).sum() >= 30
    assert (result.journeys.n_legs() >= 2).sum() >= 3


def test_earliest_arrivals_with_hours_and_other_transfer_rules_match(sub_case):
    params = transit.TransitParams(min_transfer_s=60.0, transfer_radius_m=300.0, walk_radius_m=800.0)
    hours = [np.array([[8 * 60, 12 * 60]]), np.array([[7 * 60 + 45, 8 * 60 + 15], [9 * 60, 11 * 60]]),
             np.array([[8 * 60 + 40, 16 * 60]])]

    def served(k, arrival):  # written apart from the engine's: open now, else the next opening
        if any(s * 60 <= arrival < e * 60 for s, e in hours[k]):
            return arrival
        return min((s * 60 for s, _ in hours[k] if s * 60 > arrival), default=np.inf)

    result, _ = _check_against_brute_force(sub_case, params, site_open=hours, served=served)
    # Hours given as a callable (open during each minute) give the same times.
    def is_open(k, minutes):
        return ((minutes[:, None] >= hours[k][:, 0]) & (minutes[:, None] < hours[k][:, 1])).any(axis=1)
    sub, _, sites, origins = sub_case
    again = transit.transit_times(sub, origins, sites, transit.DepartureWindow(7 * 60, 90), params,
                                  site_open=is_open, crs=CRS)
    np.testing.assert_array_equal(again.times_min, result.times_min)


# --------------------------------------------------------------------------------------------
# Properties on all of La Réunion


def test_a_later_departure_never_arrives_earlier(reunion):
    arrival = reunion.times_min + reunion.departures_s[None, :] / 60.0
    finite = np.isfinite(arrival)
    assert finite.all()  # walking always reaches a site within 180 min on La Réunion
    assert np.all(np.diff(arrival, axis=1) >= -1e-9)


def test_percentiles_are_order_statistics(reunion):
    assert np.all(reunion.p25_min <= reunion.median_min) and np.all(reunion.median_min <= reunion.p75_min)
    rank = np.sum(reunion.times_min <= reunion.median_min[:, None], axis=1)
    assert np.all(rank >= 45) and np.all(np.sum(reunion.times_min < reunion.median_min[:, None], axis=1) < 45)
    j = np.round((reunion.median_departure_s - reunion.departures_s[0]) / 60).astype(int)
    np.testing.assert_allclose(reunion.times_min[np.arange(reunion.n_units), j], reunion.median_min)


def test_journeys_are_never_shorter_than_their_legs(reunion, timetable):
    """Every median journey is a real one: rides are the timetable's, each transfer takes at least
    max(min transfer, walk) between stops within the transfer radius, and the time is the sum of
    walks, waits and rides, so a transfer never saves time over the legs it joins."""
    p, j = reunion.params, reunion.journeys
    stop_x, stop_y = timetable.stops_xy(CRS)
    by_bus = np.flatnonzero(j.n_legs() > 0)
    assert len(by_bus) > 500
    for unit in by_bus:
        a, b = j.unit_offsets[unit], j.unit_offsets[unit + 1]
        tau = reunion.median_departure_s[unit]
        assert j.board_s[a] >= tau + j.access_walk_s[unit] - 1e-9
        assert j.access_walk_s[unit] <= p.walk_seconds(p.walk_radius_m) + 1e-9
        for leg in range(a, b):
            rows = slice(timetable.st_offsets[j.trip[leg]], timetable.st_offsets[j.trip[leg] + 1])
            stops = list(timetable.st_stop[rows])
            i, k = stops.index(j.board_stop[leg]), stops.index(j.alight_stop[leg])
            assert i < k
            assert timetable.st_dep[rows][i] == j.board_s[leg] and timetable.st_arr[rows][k] == j.alight_s[leg]
            assert timetable.st_pickup[rows][i] and timetable.st_dropoff[rows][k]
            if leg > a:
                v, x = j.alight_stop[leg - 1], j.board_stop[leg]
                d = np.hypot(stop_x[v] - stop_x[x], stop_y[v] - stop_y[x])
                assert d <= p.transfer_radius_m and j.trip[leg] != j.trip[leg - 1]
                assert j.board_s[leg] >= j.alight_s[leg - 1] + max(p.min_transfer_s, p.walk_seconds(d)) - 1e-9
        arrival = j.alight_s[b - 1] + j.egress_walk_s[unit]
        assert arrival == pytest.approx(tau + reunion.median_min[unit] * 60.0, abs=1e-6)
        legs = j.access_walk_s[unit] + np.sum(j.alight_s[a:b] - j.board_s[a:b]) + j.egress_walk_s[unit]
        assert reunion.median_min[unit] * 60.0 >= legs - 1e-6


def test_transfers_cannot_shorten_trips(sub_case):
    """Making transfers slower never makes a journey faster; forbidding them (a 10 h minimum)
    leaves direct rides only, never faster than with transfers."""
    sub, _, sites, origins = sub_case
    window = transit.DepartureWindow(7 * 60, 90)
    times = [transit.transit_times(sub, origins, sites, window, transit.TransitParams(min_transfer_s=s), crs=CRS)
             for s in (30.0, 120.0, 600.0, 36_000.0)]
    for faster, slower in zip(times, times[1:]):
        assert np.all(slower.times_min >= faster.times_min - 1e-9)
    assert np.any(times[-1].times_min > times[0].times_min + 1e-9)  # transfers do help somewhere
    assert np.all(times[-1].journeys.n_legs() <= 1)


def test_walking_alone_reaches_a_site_next_door(timetable, accueil, all_sites):
    ccas = accueil.set_index("name").loc["CCAS Saint Denis", ["x", "y"]].to_numpy(float)
    site_index = int(np.flatnonzero(np.all(all_sites == ccas, axis=1))[0])
    origins = np.array([ccas, ccas + [300.0, 0.0]])
    result = transit.transit_times(timetable, origins, all_sites, transit.DepartureWindow(9 * 60, 30), crs=CRS)
    np.testing.assert_allclose(result.times_min[0], 0.0)
    np.testing.assert_allclose(result.times_min[1], 300 * 1.3 / (4.5 / 3.6) / 60)  # 5.2 min
    assert np.all(result.walk_only_at_median) and np.all(result.site_at_median == site_index)
    assert transit.describe_journey(result, 1).startswith("départ 09:00 ; à pied")


def test_cells_at_a_stop_next_to_a_site_just_walk(reunion, cells, timetable, all_sites):
    """Planner check: a cell by a bus stop and within 300 m of a site gets the short walk."""
    stop_x, stop_y = timetable.stops_xy(CRS)
    served = timetable.served_stops()
    xy = cells[["x", "y"]].to_numpy(float)
    to_stop, _ = cKDTree(np.c_[stop_x, stop_y][served]).query(xy)
    to_site, _ = cKDTree(all_sites).query(xy)
    near = (to_stop < 150) & (to_site < 300)
    assert near.sum() >= 10
    walk_min = reunion.params.walk_seconds(to_site[near]) / 60
    np.testing.assert_allclose(reunion.median_min[near], walk_min)
    assert np.all(reunion.median_min[near] <= reunion.params.walk_seconds(300) / 60)  # 5.2 min


def test_a_closed_site_makes_the_traveller_wait_or_go_elsewhere(timetable, accueil):
    sites = accueil.set_index("name").loc[["CCAS Saint Denis", "CCAS Sainte Marie"], ["x", "y"]].to_numpy(float)
    origin = sites[:1]
    window = transit.DepartureWindow(8 * 60 + 30, 60)
    opens_at_nine = [np.array([[9 * 60, 12 * 60]]), None]
    result = transit.transit_times(timetable, origin, sites, window, site_open=opens_at_nine, crs=CRS)
    expected = np.maximum(9 * 60 - window.departures_s / 60, 0)  # waits at the door until 09:00
    np.testing.assert_allclose(result.times_min[0], expected)
    closed = [np.zeros((0, 2)), None]
    elsewhere = transit.transit_times(timetable, origin, sites, window, site_open=closed, crs=CRS)
    assert np.all(elsewhere.site_at_median == 1) and np.all(elsewhere.times_min > 5)
    # Closing at 12:00 (excluded): there at 11:59, not at 12:00 (then the other CCAS).
    noon = transit.transit_times(timetable, origin, sites, transit.DepartureWindow(11 * 60 + 58, 4),
                                 site_open=opens_at_nine, crs=CRS)
    assert list(noon.times_min[0, :2]) == [0.0, 0.0] and np.all(noon.times_min[0, 2:] > 5)


def _restrictions_feed(folder: Path) -> Path:
    """fixture_restrictions.zip: hand-made. Trip T1 runs A 08:00 → B 08:05 → C 08:12 but B is a
    pass-through stop for it (no boarding, no alighting); T3 serves A, B, C normally at 10:00, so B
    is a real stop. Trip T2 runs D → E → F at 09:00 (hops rounded to the same minute, as
    minute-resolution feeds have) then G at 09:10."""
    stops = [("A", 55.450), ("B", 55.465), ("C", 55.480), ("D", 55.500), ("E", 55.515), ("F", 55.530), ("G", 55.545)]
    text = {
        "stops.txt": "stop_id,stop_name,stop_lat,stop_lon\n" + "".join(f"{s},{s},-20.9,{lon}\n" for s, lon in stops),
        "routes.txt": "route_id,route_short_name,route_type\nR,R1,3\n",
        "calendar.txt": ("service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\n"
                         "WK,1,1,1,1,1,1,1,20250101,20251231\n"),
        "trips.txt": "route_id,service_id,trip_id\nR,WK,T1\nR,WK,T2\nR,WK,T3\n",
        "stop_times.txt": ("trip_id,arrival_time,departure_time,stop_id,stop_sequence,pickup_type,drop_off_type\n"
                           "T1,08:00:00,08:00:00,A,1,0,1\nT1,08:05:00,08:05:00,B,2,1,1\nT1,08:12:00,08:12:00,C,3,1,0\n"
                           "T2,09:00:00,09:00:00,D,1,0,1\nT2,09:00:00,09:00:00,E,2,0,0\nT2,09:00:00,09:00:00,F,3,0,0\n"
                           "T2,09:10:00,09:10:00,G,4,1,0\n"
                           "T3,10:00:00,10:00:00,A,1,0,0\nT3,10:05:00,10:05:00,B,2,0,0\nT3,10:12:00,10:12:00,C,3,0,0\n"),
    }
    path = folder / "fixture_restrictions.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for name, content in text.items():
            zf.writestr(name, content)
    return path


def test_pickup_and_drop_off_restrictions_and_same_minute_hops(tmp_path):
    tt = gtfs.timetable_for_date(gtfs.read_feed(_restrictions_feed(tmp_path)), date(2025, 3, 4))
    xy = dict(zip(tt.stop_ids, np.c_[tt.stops_xy(CRS)]))

    def times(origin: str, site: str, start_min: int) -> float:
        result = transit.transit_times(tt, [xy[origin]], [xy[site]], transit.DepartureWindow(start_min, 1), crs=CRS)
        return float(result.times_min[0, 0])

    def walk(a: str, b: str) -> float:  # about 1.56 km: 27 min
        return float(transit.TransitParams().walk_seconds(np.hypot(*(xy[b] - xy[a])))) / 60

    assert times("A", "B", 7 * 60 + 55) == pytest.approx(walk("A", "B"))  # cannot get off at B: walks
    assert times("B", "C", 7 * 60 + 55) == pytest.approx(walk("B", "C"))  # cannot board at B: walks
    assert times("A", "C", 7 * 60 + 55) == pytest.approx(17.0)        # rides through B
    assert times("D", "G", 8 * 60 + 55) == pytest.approx(15.0)        # stays on through D, E, F at 09:00
    assert times("D", "F", 8 * 60 + 55) == pytest.approx(5.0)         # gets off at F, 09:00
    assert times("A", "B", 9 * 60 + 55) == pytest.approx(10.0)        # T3 stops at B


def test_route_and_stop_usage_add_up(reunion, cells):
    hh = cells["houhold"].to_numpy(float)
    usage = transit.route_usage(reunion, hh, 30.0)
    assert len(usage) == 15 and np.all(usage["units"] <= usage["units_any"])
    assert np.all(usage.loc[~usage["running"], "units_any"] == 0)
    covered_by_bus = reunion.covered(30.0) & (reunion.journeys.n_legs() > 0)
    assert usage["units"].sum() >= covered_by_bus.sum() > 0
    stops = transit.boarding_usage(reunion, hh, 30.0)
    assert stops["first_units"].sum() == covered_by_bus.sum()
    assert stops["first_weight"].sum() == pytest.approx(hh[covered_by_bus].sum())


def test_opening_hours_boundaries():
    """Open from the opening minute, closed from the closing minute; overlapping and nested slots
    merge; after the last opening of the day nothing counts; scalar and vector look-ups agree."""
    hours = [np.array([[540, 720], [600, 660], [700, 760], [840, 900]]), None, np.zeros((0, 2))]
    oh = transit._OpeningHours.build(hours, 3, transit.DepartureWindow(480, 60), transit.TransitParams())
    cases = [(0, 539 * 60.0, 540 * 60.0), (0, 540 * 60.0, 540 * 60.0), (0, 680 * 60.0, 680 * 60.0),
             (0, 759 * 60.0, 759 * 60.0), (0, 760 * 60.0, 840 * 60.0), (0, 900 * 60.0, np.inf),
             (1, 123.0, 123.0), (2, 600 * 60.0, np.inf)]
    for site, arrival, served in cases:
        assert oh.served(site, arrival) == served, (site, arrival)
    sites, arrivals, served = (np.array(c) for c in zip(*cases))
    np.testing.assert_array_equal(oh.served_many(sites, arrivals), served)


def test_parameters_and_points_are_checked(timetable, all_sites):
    with pytest.raises(InputError):
        transit.TransitParams(min_transfer_s=0)
    with pytest.raises(InputError):
        transit.DepartureWindow(510, 0)
    window = transit.DepartureWindow(510, 5)
    with pytest.raises(InputError, match="aucun point"):
        transit.transit_times(timetable, all_sites[:3], np.zeros((0, 2)), window, crs=CRS)
    with pytest.raises(InputError, match="degrés"):
        transit.transit_times(timetable, [[55.45, -20.88]], all_sites, window, crs=CRS)
    with pytest.raises(InputError, match="horaires donnés pour 2 lieux"):
        transit.transit_times(timetable, all_sites[:1], all_sites, window, site_open=[None, None], crs=CRS)


def test_intervals_from_weekly_hours():
    from access30.inputs.hours import parse_france_services

    weekly = parse_france_services('{"lundi": "08:00 - 12:00", "mardi": "07:30 - 16:00", "mercredi": "08:00 - 12:00"}')
    tuesday = transit.intervals_for_day([weekly, None], 1)
    np.testing.assert_array_equal(tuesday[0], [[450, 960], [1440 + 480, 1440 + 720]])
    assert tuesday[1] is None

