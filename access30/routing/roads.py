"""Exact network travel times from demand units to reception points: the only home of graph searches.

Joining the network
-------------------
A point (a demand unit, a site, a candidate, a point clicked in the app) joins the road network at
its projection onto the nearest usable road segment, as OSRM and R5 do: it enters the segment
there and travels along it to either end, in the directions the segment allows (one-way streets
respected), for the matching part of the segment's time. The stretch from the point to its
projection is an *access leg*: crow-fly distance × detour at the access speed
(:class:`AccessModel`), estimated rather than routed. A point farther than ``max_distance_m`` from
every usable segment has no road access.

Direct legs
-----------
A unit within ``max_distance_m`` of a site may also go straight to it (the access-leg model over
the crow-fly distance), and a unit and a site projected on the same segment may travel along it
between their projections. A unit's time is the minimum of these and its network time: nobody is
ever farther from a site than going straight to it.

Searches
--------
Residents travel *to* sites, so searches run on the reversed graph from the sites, each site being
a virtual node linked to the ends of its segment. :func:`route_to_sites` finds every road node's
nearest and exact second-nearest *distinct* site with two SciPy Dijkstra runs:

1. one multi-source search (``min_only=True``) gives the nearest site ``s1(v)`` and time ``d1(v)``;
2. the second-nearest time obeys ``d2(v) = min over edges u→v of [d1(u) + w if s1(u) ≠ s1(v)]
   or [d2(u) + w if s1(u) = s1(v)]`` (a shortest path from another site either enters the
   catchment of ``s1(v)`` across its border, or continues inside it). That is a shortest-path
   problem on the edges inside catchments, started from the border values: one more Dijkstra from
   a super-source, whose tree tells which border, hence which site, each label came from.

Co-located sites (exactly the same join) are routed once, as the lowest index of their group: it
is everyone's nearest of them and the next one the second nearest, exactly as close
(:func:`colocated_twin`), and ties in direct and same-segment pairs go to the lowest index too, so
that a full routing, a scenario update and a rerun agree on catchments.

This replaces one bounded search per site (27.9 s at 490,000 nodes and 300 sites) by two searches
(see ``docs/benchmarks.md``). :func:`site_search` is the bounded single-site search (scenarios),
:func:`site_unit_times` the exact sites × units times within a limit (location models, capacity).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from access30.network.modes import get_mode
from access30.network.roads import RoadNetwork

BATCH_BYTES = 128 * 2**20
SECOND_CAP_S = 3 * 3600.0


@dataclass(frozen=True)
class AccessModel:
    """How points off the network reach it, and how far is too far.

    Attributes
    ----------
    detour : float
        Ratio of road distance to crow-fly distance on the unmapped stretch. 1.3 is the usual
        value for French rural and suburban roads (circuity studies give 1.2–1.4).
    speed_kmh : float
        Speed on that stretch: 30 km/h by car (local streets, parking, manoeuvres), the walking
        speed on foot.
    max_distance_m : float
        Beyond this crow-fly distance from any road a point has no road access, and a unit gets no
        direct leg to a site. 1,000 m suits a complete OSM network; a partial network (main roads
        only) needs much more.
    """

    detour: float = 1.3
    speed_kmh: float = 30.0
    max_distance_m: float = 1000.0

    def seconds(self, metres: np.ndarray) -> np.ndarray:
        """Access-leg time for crow-fly distances."""
        return np.asarray(metres, dtype=float) * self.detour / (self.speed_kmh / 3.6)

    @classmethod
    def for_mode(cls, mode: str, max_distance_m: float = 1000.0) -> "AccessModel":
        """Default access model of a travel mode (its access-leg speed, see :mod:`access30.network.modes`)."""
        return cls(speed_kmh=get_mode(mode).access_speed_kmh, max_distance_m=max_distance_m)


# --------------------------------------------------------------------------------------------
# Joining points to the network
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Join:
    """Where a set of points joins the network (one entry per point).

    Attributes
    ----------
    x, y : ndarray
        The points, in the network's CRS.
    segment : ndarray of int64
        Joined segment (:class:`~access30.network.roads.SegmentIndex`), -1 when beyond reach.
    a, b : ndarray of int64
        Its end nodes (-1 when beyond reach).
    frac : ndarray
        Position of the projection along a→b (0 at ``a``, 1 at ``b``).
    ab_s, ba_s : ndarray
        Seconds of the whole segment a→b and b→a (inf when that direction is not allowed).
    metres : ndarray
        Crow-fly distance from the point to its projection (inf when beyond reach).
    leg_s : ndarray
        Access-leg seconds of that distance (inf when beyond reach).
    """

    x: np.ndarray
    y: np.ndarray
    segment: np.ndarray
    a: np.ndarray
    b: np.ndarray
    frac: np.ndarray
    ab_s: np.ndarray
    ba_s: np.ndarray
    metres: np.ndarray
    leg_s: np.ndarray

    def __len__(self) -> int:
        return int(self.x.size)

    @property
    def on_road(self) -> np.ndarray:
        """Points with a road segment within reach."""
        return self.segment >= 0

    @property
    def to_a_s(self) -> np.ndarray:
        """Seconds from the projection to ``a`` (along b→a; inf on a one-way a→b, 0 at ``a``)."""
        return _part(self.frac, self.ba_s)

    @property
    def to_b_s(self) -> np.ndarray:
        """Seconds from the projection to ``b``."""
        return _part(1.0 - self.frac, self.ab_s)

    @property
    def from_a_s(self) -> np.ndarray:
        """Seconds from ``a`` to the projection."""
        return _part(self.frac, self.ab_s)

    @property
    def from_b_s(self) -> np.ndarray:
        """Seconds from ``b`` to the projection."""
        return _part(1.0 - self.frac, self.ba_s)

    def take(self, index: np.ndarray) -> "Join":
        """The joins of some points (an index array or a boolean mask)."""
        return Join(**{name: getattr(self, name)[index] for name in _JOIN_FIELDS})

    @staticmethod
    def concat(joins: list["Join"]) -> "Join":
        """Joins of several point sets, in order."""
        return Join(**{name: np.concatenate([getattr(j, name) for j in joins]) for name in _JOIN_FIELDS})


def _part(share: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    """``share`` of a segment's time; a projection on the end node itself is there whatever the direction."""
    with np.errstate(invalid="ignore"):
        return np.where(share > 0, share * seconds, 0.0)


_JOIN_FIELDS = ("x", "y", "segment", "a", "b", "frac", "ab_s", "ba_s", "metres", "leg_s")


def join_points(network: RoadNetwork, x, y, access: AccessModel) -> Join:
    """Join points (network CRS) to their nearest usable road segment within the access distance.

    Parameters
    ----------
    network : RoadNetwork
    x, y : array-like
        Coordinates in ``network.crs``.
    access : AccessModel
        Gives the reach (``max_distance_m``) and the leg time.

    Returns
    -------
    Join
    """
    x = np.asarray(x, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
    index = network.segments
    segment, frac, metres = index.nearest(x, y, access.max_distance_m)
    ok = segment >= 0
    safe = np.where(ok, segment, 0)
    a = np.where(ok, index.a[safe] if index.n_segments else -1, -1)
    b = np.where(ok, index.b[safe] if index.n_segments else -1, -1)
    ab = index.ab[safe] if index.n_segments else np.full(x.size, -1)
    ba = index.ba[safe] if index.n_segments else np.full(x.size, -1)
    ab_s = np.where(ok & (ab >= 0), network.seconds[np.maximum(ab, 0)] if network.n_edges else np.inf, np.inf)
    ba_s = np.where(ok & (ba >= 0), network.seconds[np.maximum(ba, 0)] if network.n_edges else np.inf, np.inf)
    return Join(x=x, y=y, segment=segment, a=a, b=b, frac=frac, ab_s=ab_s, ba_s=ba_s, metres=metres,
                leg_s=np.where(ok, access.seconds(metres), np.inf))


def empty_join() -> Join:
    """A join of no point."""
    z = np.zeros(0)
    i = np.zeros(0, dtype=np.int64)
    return Join(x=z, y=z, segment=i, a=i, b=i, frac=z, ab_s=z, ba_s=z, metres=z, leg_s=z)


def _entry_edges(sites: Join, active: np.ndarray, first_virtual: int):
    """Reversed-graph edges from each active site's virtual node to the ends of its segment.

    Returns (tail, head, seconds, estimated seconds): the time from a segment end to the site is
    the part of the segment up to the projection (routed) plus the site's access leg (estimated).
    """
    idx = np.flatnonzero(active & sites.on_road)
    virtual = first_virtual + np.arange(idx.size)
    rows, cols, weights, est = [], [], [], []
    for node, part in ((sites.a, sites.from_a_s), (sites.b, sites.from_b_s)):
        ok = np.isfinite(part[idx])
        rows.append(virtual[ok])
        cols.append(node[idx][ok])
        weights.append(part[idx][ok] + sites.leg_s[idx][ok])
        est.append(sites.leg_s[idx][ok])
    return idx, np.concatenate(rows), np.concatenate(cols), np.concatenate(weights), np.concatenate(est)


def _reverse_graph(network: RoadNetwork, sites: Join, active: np.ndarray):
    """Reversed road graph plus one virtual node per active site.

    Returns the CSR matrix, the active site indices (virtual node ``n + i`` is site ``idx[i]``),
    and the edge arrays (tail, head, weight, estimated part) it was built from.
    """
    n = network.n_nodes
    idx, v_rows, v_cols, v_w, v_est = _entry_edges(sites, active, n)
    est_road = network.seconds * (network.estimated if network.estimated is not None else 0.0)
    tail = np.concatenate([network.head, v_rows]).astype(np.int64)
    head = np.concatenate([network.tail, v_cols]).astype(np.int64)
    weight = np.concatenate([network.seconds, v_w])
    est = np.concatenate([np.asarray(est_road, dtype=float), v_est])
    size = n + idx.size
    # Explicit zeros are edges for scipy.sparse.csgraph; duplicates cannot occur (one edge per pair,
    # and a virtual node has at most one edge to each end).
    graph = sp.csr_matrix((weight, (tail, head)), shape=(size, size))
    return graph, idx, (tail, head, weight, est)


def _root_below(pred: np.ndarray, top: int) -> np.ndarray:
    """For each node of a shortest-path tree rooted at ``top``, its ancestor just below ``top``.

    Pointer jumping: log2(depth) vectorised passes. Nodes outside the tree get -1.
    """
    n = pred.size
    parent = np.where((pred < 0) | (pred == top), np.arange(n), pred)
    while True:
        grand = parent[parent]
        if np.array_equal(grand, parent):
            break
        parent = grand
    return np.where(pred < 0, -1, parent)


def _sum_along_tree(pred: np.ndarray, edge_value: np.ndarray) -> np.ndarray:
    """Sum ``edge_value`` (value of the edge from each node's predecessor) along every tree path."""
    n = pred.size
    parent = np.where(pred < 0, np.arange(n), pred)
    total = np.where(pred < 0, 0.0, edge_value)
    while True:
        grand = parent[parent]
        if np.array_equal(grand, parent):
            return total
        total = total + np.where(parent != np.arange(n), total[parent], 0.0)
        parent = grand


def _tree_edge_values(graph_edges, pred: np.ndarray, size: int) -> np.ndarray:
    """Estimated seconds of the tree edge into each node (0 at roots)."""
    tail, head, _, est = graph_edges
    key = tail * size + head
    order = np.argsort(key)
    has = np.flatnonzero(pred >= 0)
    out = np.zeros(size)
    if has.size:
        out[has] = est[order[np.searchsorted(key[order], pred[has].astype(np.int64) * size + has)]]
    return out


@dataclass(frozen=True)
class NodeTimes:
    """For every road node, the nearest and second-nearest site (indices into the site list).

    ``time1``/``time2`` in seconds (inf when none within reach), ``site1``/``site2`` (-1 when none),
    ``estimated1`` the part of ``time1`` that is estimated (site access leg and estimated network
    links) rather than routed on mapped roads.
    """

    time1: np.ndarray
    site1: np.ndarray
    time2: np.ndarray
    site2: np.ndarray
    estimated1: np.ndarray
    second_cap_s: float


def _no_site(n: int, cap: float) -> NodeTimes:
    inf, none = np.full(n, np.inf), np.full(n, -1, dtype=np.int64)
    return NodeTimes(inf, none, inf.copy(), none.copy(), np.zeros(n), cap)


def route_to_sites(network: RoadNetwork, sites: Join, active: np.ndarray | None = None, second: bool = True,
                   second_cap_s: float = SECOND_CAP_S) -> NodeTimes:
    """Nearest and second-nearest site of every road node, exactly (two Dijkstra runs).

    Parameters
    ----------
    network : RoadNetwork
    sites : Join
        Where every site joins the network (sites beyond reach are ignored).
    active : ndarray of bool, optional
        Sites to route to (all by default): closed sites, or sites shut at a moment, are left out
        while indices still refer to the full list.
    second : bool
        Also compute the second-nearest site.
    second_cap_s : float
        Second-nearest times above this are not searched (reported as inf). Three hours by default,
        far beyond any planning threshold.

    Returns
    -------
    NodeTimes
    """
    n = network.n_nodes
    active = np.ones(len(sites), dtype=bool) if active is None else np.asarray(active, dtype=bool)
    # Co-located sites (the same join) are routed once, as the lowest index of their group; the
    # next one in the group is then every node's second nearest, exactly as close (see colocated_twin).
    twin = colocated_twin(sites, active)
    graph, idx, edges = _reverse_graph(network, sites, active & ~_is_twin(twin, len(sites)))
    if idx.size == 0:
        return _no_site(n, second_cap_s)
    size = n + idx.size
    dist, pred, sources = dijkstra(graph, directed=True, indices=n + np.arange(idx.size), min_only=True,
                                   return_predecessors=True)
    site_of = np.where(sources >= n, idx[np.maximum(sources - n, 0)], -1)  # over all graph nodes
    site_of[~np.isfinite(dist)] = -1
    if network.estimated is None or not network.estimated.any():
        # Only the site legs are estimated: the first edge of every path is its site's entry edge.
        est1 = np.where(site_of[:n] >= 0, sites.leg_s[np.maximum(site_of[:n], 0)], 0.0)
    else:
        est1 = _sum_along_tree(pred, _tree_edge_values(edges, pred, size))[:n]
    time1, site1 = dist[:n], site_of[:n].astype(np.int64)
    if not second or idx.size < 2:
        time2, site2 = np.full(n, np.inf), np.full(n, -1, dtype=np.int64)
    else:
        time2, site2 = _second_nearest(edges, dist, site_of, size, second_cap_s)
        time2, site2 = time2[:n], site2[:n]
    if second:
        pair = np.where(site1 >= 0, twin[np.maximum(site1, 0)], -1)
        time2 = np.where(pair >= 0, time1, time2)
        site2 = np.where(pair >= 0, pair, site2)
    return NodeTimes(time1, site1, time2, site2, est1, second_cap_s)


def colocated_twin(sites: Join, active: np.ndarray | None = None) -> np.ndarray:
    """For each site, the next active site with exactly the same join (-1 when none).

    Co-located sites (two lists naming the same building, a site added where one already is) are
    exactly as close to everyone: ties between them are settled by the lowest index, so that a
    full routing, a scenario update and a rerun agree on who serves whom. The lowest index of a
    group is its nearest for everyone, the next one its second nearest.
    """
    active = np.ones(len(sites), dtype=bool) if active is None else np.asarray(active, dtype=bool)
    twin = np.full(len(sites), -1, dtype=np.int64)
    idx = np.flatnonzero(active & sites.on_road)
    if idx.size < 2:
        return twin
    # The same join: segment, position on it, its ends (a join made at a node names the node, not a segment)
    # and access leg.
    keys = (sites.segment, sites.a, sites.b, sites.frac, sites.leg_s)
    order = idx[np.lexsort((idx, *(key[idx] for key in reversed(keys))))]
    same = np.logical_and.reduce([key[order][1:] == key[order][:-1] for key in keys])
    twin[order[:-1][same]] = order[1:][same]
    return twin


def _is_twin(twin: np.ndarray, count: int) -> np.ndarray:
    """Sites that are the twin of a lower-index one (not routed themselves)."""
    flag = np.zeros(count, dtype=bool)
    flag[twin[twin >= 0]] = True
    return flag


def _second_nearest(edges, d1: np.ndarray, s1: np.ndarray, size: int, cap: float):
    """Second-nearest distinct site of every node from the first search (see the module docstring)."""
    tail, head, weight, _ = edges
    reached = s1[tail] >= 0
    border = reached & (s1[tail] != s1[head])
    # Best value entering each node across a catchment border, and the site it comes from.
    cand = d1[tail[border]] + weight[border]
    target = head[border]
    order = np.lexsort((cand, target))
    first = np.ones(order.size, dtype=bool)
    first[1:] = target[order][1:] != target[order][:-1]
    entry_nodes = target[order][first]
    entry_value = cand[order][first]
    entry_site = s1[tail[border]][order][first]
    inside = reached & ~border
    top = size  # the super-source
    rows = np.concatenate([tail[inside], np.full(entry_nodes.size, top)])
    cols = np.concatenate([head[inside], entry_nodes])
    vals = np.concatenate([weight[inside], entry_value])
    graph = sp.csr_matrix((vals, (rows, cols)), shape=(size + 1, size + 1))
    dist, pred = dijkstra(graph, directed=True, indices=top, limit=cap, return_predecessors=True)
    dist = dist[:size]
    root = _root_below(pred, top)[:size]
    site_at_entry = np.full(size + 1, -1, dtype=np.int64)
    site_at_entry[entry_nodes] = entry_site
    site2 = np.where(np.isfinite(dist) & (root >= 0), site_at_entry[np.maximum(root, 0)], -1)
    return np.where(site2 >= 0, dist, np.inf), site2


def site_search(network: RoadNetwork, site: Join, limit_s: float = np.inf) -> tuple[np.ndarray, np.ndarray]:
    """Time from every road node to one site, and the estimated part of that time (bounded search).

    Parameters
    ----------
    network : RoadNetwork
    site : Join
        The join of a single site.
    limit_s : float
        Nodes farther than this get inf.

    Returns
    -------
    times, estimated : ndarray
        Seconds per road node.
    """
    n = network.n_nodes
    if len(site) != 1:
        raise ValueError("site_search takes the join of exactly one site")
    graph, idx, edges = _reverse_graph(network, site, np.ones(1, dtype=bool))
    if idx.size == 0:
        return np.full(n, np.inf), np.zeros(n)
    dist, pred = dijkstra(graph, directed=True, indices=n, limit=limit_s, return_predecessors=True)
    estimated = _sum_along_tree(pred, _tree_edge_values(edges, pred, n + 1))
    return dist[:n], np.where(np.isfinite(dist[:n]), estimated[:n], 0.0)


def colocated_site_times(node_times: NodeTimes, group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-node times of a site added exactly where the sites ``group`` already are (for :func:`merge_site`).

    It is exactly as close as they are: where one of them is a node's nearest or second nearest,
    its time is that one's; elsewhere it is neither (inf). Rounding noise of a separate search
    could otherwise make it win a tie that :func:`route_to_sites` gives to the lowest index.
    """
    group = np.asarray(group, dtype=np.int64)
    first = np.isin(node_times.site1, group) & (node_times.site1 >= 0)
    second = np.isin(node_times.site2, group) & (node_times.site2 >= 0)
    times = np.where(first, node_times.time1, np.where(second, node_times.time2, np.inf))
    return times, np.where(first, node_times.estimated1, 0.0)


def merge_site(node_times: NodeTimes, times: np.ndarray, estimated: np.ndarray, site: int) -> NodeTimes:
    """Two nearest sites per node after adding ``site`` at per-node ``times`` (exact update).

    ``times`` must be exact wherever they could be a node's nearest (an unbounded
    :func:`site_search`): the nearest site is never capped. Second-nearest times above
    ``node_times.second_cap_s`` become inf, as :func:`route_to_sites` reports them, so that the
    update equals a full routing of the site list with the new site.
    """
    t1, s1, t2, s2 = node_times.time1, node_times.site1, node_times.time2, node_times.site2
    first = times < t1
    second = ~first & (times < t2)
    time2 = np.where(first, t1, np.where(second, times, t2))
    site2 = np.where(first, s1, np.where(second, site, s2))
    beyond = time2 > node_times.second_cap_s
    return replace(
        node_times,
        time1=np.where(first, times, t1), site1=np.where(first, site, s1),
        time2=np.where(beyond, np.inf, time2), site2=np.where(beyond, -1, site2),
        estimated1=np.where(first, estimated, node_times.estimated1),
    )


# --------------------------------------------------------------------------------------------
# From nodes to units
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class UnitTimes:
    """Travel times of demand units to their nearest and second-nearest sites.

    Attributes
    ----------
    time1, time2 : ndarray
        Seconds to the nearest and second-nearest site, access legs included (inf if none).
    site1, site2 : ndarray of int
        Site indices (-1 if none).
    access_leg_s : ndarray
        Estimated leg of the unit on its best path: its access leg to the road, or the whole
        direct leg when it goes straight to the site.
    estimated_s : ndarray
        Total estimated part of ``time1``: the unit's and the site's access legs and any estimated
        network link.
    snap_m : ndarray
        Crow-fly distance from the unit to the nearest road segment (inf if beyond reach).
    on_road : ndarray of bool
        Units with access: a road segment or a site within reach. The others have *no road
        access* and are never counted as covered.
    """

    time1: np.ndarray
    site1: np.ndarray
    time2: np.ndarray
    site2: np.ndarray
    access_leg_s: np.ndarray
    estimated_s: np.ndarray
    snap_m: np.ndarray
    on_road: np.ndarray


@dataclass(frozen=True)
class Pairs:
    """Sparse unit–site times that bypass the road nodes (direct legs, same-segment travel)."""

    unit: np.ndarray
    site: np.ndarray
    seconds: np.ndarray
    estimated: np.ndarray
    leg: np.ndarray  # the unit's estimated leg on that path

    @staticmethod
    def concat(parts: list["Pairs"]) -> "Pairs":
        """Pairs of several kinds, in one set."""
        return Pairs(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("unit", "site", "seconds",
                                                                                 "estimated", "leg")))


def direct_pairs(units: Join, sites: Join, access: AccessModel, active: np.ndarray | None = None,
                 limit_s: float = np.inf) -> Pairs:
    """Straight legs from units to the active sites within the access distance.

    Every active site counts, also one too far from any road to join the network: nobody is ever
    farther from a site than going straight to it.
    """
    active = np.ones(len(sites), dtype=bool) if active is None else np.asarray(active, dtype=bool)
    idx = np.flatnonzero(active)
    reach = access.max_distance_m
    if np.isfinite(limit_s):
        reach = min(reach, float(limit_s) * (access.speed_kmh / 3.6) / access.detour)
    if idx.size == 0 or len(units) == 0 or reach <= 0:
        return _no_pairs()
    tree_s = cKDTree(np.column_stack([sites.x[idx], sites.y[idx]]))
    tree_u = cKDTree(np.column_stack([units.x, units.y]))
    near = tree_u.sparse_distance_matrix(tree_s, reach, output_type="ndarray")  # pairs at 0 m included
    seconds = access.seconds(near["v"])
    return Pairs(unit=near["i"].astype(np.int64), site=idx[near["j"]], seconds=seconds, estimated=seconds,
                 leg=seconds)


def same_segment_pairs(units: Join, sites: Join, active: np.ndarray | None = None) -> Pairs:
    """Travel along a shared segment between a unit's projection and an active site's."""
    active = np.ones(len(sites), dtype=bool) if active is None else np.asarray(active, dtype=bool)
    idx = np.flatnonzero(active & sites.on_road)
    if idx.size == 0 or len(units) == 0:
        return _no_pairs()
    order = idx[np.argsort(sites.segment[idx], kind="stable")]
    seg_sorted = sites.segment[order]
    lo = np.searchsorted(seg_sorted, units.segment, side="left")
    hi = np.searchsorted(seg_sorted, units.segment, side="right")
    count = np.where(units.on_road, hi - lo, 0)
    u = np.repeat(np.arange(len(units)), count)
    if u.size == 0:
        return _no_pairs()
    offset = np.arange(u.size) - np.repeat(np.cumsum(count) - count, count)
    s = order[np.repeat(lo, count) + offset]
    fu, fs = units.frac[u], sites.frac[s]
    along = np.where(fs >= fu, _part(fs - fu, units.ab_s[u]), _part(fu - fs, units.ba_s[u]))
    seconds = units.leg_s[u] + along + sites.leg_s[s]
    ok = np.isfinite(seconds)
    return Pairs(unit=u[ok], site=s[ok], seconds=seconds[ok], estimated=(units.leg_s[u] + sites.leg_s[s])[ok],
                 leg=units.leg_s[u][ok])


def _no_pairs() -> Pairs:
    i, f = np.zeros(0, dtype=np.int64), np.zeros(0)
    return Pairs(i, i, f, f, f)


def unit_pairs(units: Join, sites: Join, access: AccessModel, active: np.ndarray | None = None,
               limit_s: float = np.inf) -> Pairs:
    """Every unit–site time that does not pass through a road node (direct legs and same segment)."""
    return Pairs.concat([direct_pairs(units, sites, access, active, limit_s),
                         same_segment_pairs(units, sites, active)])


def unit_times(node_times: NodeTimes, units: Join, pairs: Pairs) -> UnitTimes:
    """Each unit's two nearest sites: through either end of its segment, or by a direct pair.

    Parameters
    ----------
    node_times : NodeTimes
        From :func:`route_to_sites` (or a scenario update of it).
    units : Join
        Where the units join the network.
    pairs : Pairs
        From :func:`unit_pairs` for the same active sites.
    """
    n_units = len(units)
    ok = units.on_road
    a, b = np.where(ok, units.a, 0), np.where(ok, units.b, 0)
    exits = []
    for node, part in ((a, units.to_a_s), (b, units.to_b_s)):
        base = np.where(ok, units.leg_s + part, np.inf)
        exits.append((base + node_times.time1[node], node_times.site1[node], base + node_times.time2[node],
                      node_times.site2[node], units.leg_s + node_times.estimated1[node]))
    t1 = np.column_stack([exits[0][0], exits[1][0]])
    best = np.argmin(t1, axis=1)
    rows = np.arange(n_units)
    time1 = t1[rows, best]
    site1 = np.where(np.isfinite(time1), np.column_stack([exits[0][1], exits[1][1]])[rows, best], -1)
    est1 = np.column_stack([exits[0][4], exits[1][4]])[rows, best]
    leg1 = np.where(ok, units.leg_s, np.inf)
    # Second: best other site among the four labels of the two ends.
    times = np.column_stack([exits[0][0], exits[0][2], exits[1][0], exits[1][2]])
    sites = np.column_stack([exits[0][1], exits[0][3], exits[1][1], exits[1][3]])
    times = np.where((sites == site1[:, None]) | (sites < 0), np.inf, times)
    second = np.argmin(times, axis=1)
    time2 = times[rows, second]
    site2 = np.where(np.isfinite(time2), sites[rows, second], -1)
    if pairs.unit.size:
        time1, site1, time2, site2, est1, leg1 = _merge_pairs(
            pairs, time1, site1, time2, site2, est1, leg1)
    reached = np.isfinite(time1)
    site1 = np.where(reached, site1, -1).astype(np.int64)
    has_pair = np.zeros(n_units, dtype=bool)
    has_pair[pairs.unit] = True
    return UnitTimes(time1=time1, site1=site1, time2=time2, site2=np.where(np.isfinite(time2), site2, -1),
                     access_leg_s=np.where(reached, leg1, np.inf), estimated_s=np.where(reached, est1, np.inf),
                     snap_m=units.metres, on_road=ok | has_pair)


def _merge_pairs(pairs: Pairs, time1, site1, time2, site2, est1, leg1):
    """Top-2 distinct sites of the units that have pairs, over their node labels and their pairs.

    Linear time (``np.minimum.at`` per unit, no sort): the demo's 12 km reach gives ~400,000 pairs.
    """
    touched = np.unique(pairs.unit)
    unit = np.concatenate([touched, touched, pairs.unit])
    site = np.concatenate([site1[touched], site2[touched], pairs.site])
    sec = np.concatenate([time1[touched], time2[touched], pairs.seconds])
    est = np.concatenate([est1[touched], np.full(touched.size, np.inf), pairs.estimated])
    leg = np.concatenate([leg1[touched], np.full(touched.size, np.inf), pairs.leg])
    keep = (site >= 0) & np.isfinite(sec)
    unit, site, sec, est, leg = unit[keep], site[keep], sec[keep], est[keep], leg[keep]
    time1, site1, time2, site2 = time1.copy(), site1.copy(), time2.copy(), site2.copy()
    est1, leg1 = est1.copy(), leg1.copy()
    time1[touched], time2[touched], site2[touched] = np.inf, np.inf, -1
    # Nearest: the fastest entry of each unit; on a tie, the least estimated one, then the lowest
    # site index (co-located sites: the same rule as route_to_sites, whatever the order of the pairs).
    np.minimum.at(time1, unit, sec)
    best = sec == time1[unit]
    least = np.full(time1.size, np.inf)
    np.minimum.at(least, unit[best], est[best])
    best &= est == least[unit]
    lowest = np.full(time1.size, np.iinfo(np.int64).max)
    np.minimum.at(lowest, unit[best], site[best])
    first = np.flatnonzero(best & (site == lowest[unit]))[::-1]  # reversed: the first entry is written last
    site1[unit[first]], est1[unit[first]], leg1[unit[first]] = site[first], est[first], leg[first]
    # Second: the fastest entry of another site (the lowest index on a tie).
    other = site != site1[unit]
    np.minimum.at(time2, unit[other], sec[other])
    hit = other & (sec == time2[unit])
    lowest[:] = np.iinfo(np.int64).max
    np.minimum.at(lowest, unit[hit], site[hit])
    site2[unit[hit]] = lowest[unit[hit]]
    return time1, site1, time2, site2, est1, leg1


# --------------------------------------------------------------------------------------------
# Sites × units (location models, capacity)
# --------------------------------------------------------------------------------------------

def site_unit_times(network: RoadNetwork, units: Join, sites: Join, access: AccessModel, limit_s: float,
                    batch_bytes: int = BATCH_BYTES) -> sp.csr_matrix:
    """Exact time from every unit to every site, kept where it is within ``limit_s``.

    The same joining model as :func:`unit_times` (through either end of the unit's segment, direct
    legs, same-segment travel), so that adding a site and rerouting gives the same times.

    Parameters
    ----------
    network : RoadNetwork
    units, sites : Join
    access : AccessModel
    limit_s : float
        Pairs above this are not stored (bounded searches).
    batch_bytes : int
        Memory budget of one batch of searches.

    Returns
    -------
    csr_matrix
        Shape (sites, units), seconds; the stored entries are the pairs within ``limit_s`` (a pair
        at 0 s is stored as 1e-9 s so that it is not taken for a missing one).
    """
    n = network.n_nodes
    n_sites, n_units = len(sites), len(units)
    ok_units = np.flatnonzero(units.on_road)
    rows, cols, vals = [], [], []
    on = np.flatnonzero(sites.on_road)
    if on.size and ok_units.size:
        graph, idx, _ = _reverse_graph(network, sites, sites.on_road)
        u = units.take(ok_units)
        base_a = u.leg_s + u.to_a_s
        base_b = u.leg_s + u.to_b_s
        per_row = 8 * (n + idx.size + 2 * ok_units.size)
        batch = int(max(1, min(idx.size, batch_bytes // per_row)))
        for start in range(0, idx.size, batch):
            ids = np.arange(start, min(start + batch, idx.size))
            dist = dijkstra(graph, directed=True, indices=n + ids, limit=limit_s)
            block = np.minimum(dist[:, u.a] + base_a, dist[:, u.b] + base_b)
            r, c = np.nonzero(np.isfinite(block) & (block <= limit_s))  # limit_s may be inf
            rows.append(idx[ids[r]])
            cols.append(ok_units[c])
            vals.append(block[r, c])
    pairs = unit_pairs(units, sites, access, limit_s=limit_s)
    keep = pairs.seconds <= limit_s
    rows.append(pairs.site[keep])
    cols.append(pairs.unit[keep])
    vals.append(pairs.seconds[keep])
    rows, cols, vals = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
    if rows.size == 0:
        return sp.csr_matrix((n_sites, n_units))
    # Several paths for one pair: keep the fastest (a sparse matrix would add them).
    order = np.lexsort((vals, cols, rows))
    rows, cols, vals = rows[order], cols[order], vals[order]
    first = np.ones(rows.size, dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    return sp.csr_matrix((np.maximum(vals[first], 1e-9), (rows[first], cols[first])), shape=(n_sites, n_units))


# --------------------------------------------------------------------------------------------
# One route, with its nodes (drawing a team's round)
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PointPath:
    """The fastest route from one joined point to another.

    Attributes
    ----------
    seconds : float
        Travel time, by the joining model of :func:`site_unit_times` (access legs, direct legs,
        same segment); inf when the destination cannot be reached.
    nodes : ndarray of int64
        Road nodes passed, in order, from the end of the origin's segment to the end of the
        destination's; empty for a direct leg or a stretch along one segment (or no route).
    """

    seconds: float
    nodes: np.ndarray


def point_path(network: RoadNetwork, origin: Join, destination: Join, access: AccessModel) -> PointPath:
    """The fastest route between two points and the road nodes it passes (one search with predecessors).

    The time equals ``site_unit_times(network, origin, destination, access, inf)`` (the destination
    taken as a site, the origin as a unit): one Dijkstra on the reversed graph from the destination,
    whose predecessor tree gives each node's next node towards it.

    Parameters
    ----------
    network : RoadNetwork
    origin, destination : Join
        The joins of exactly one point each.
    access : AccessModel

    Returns
    -------
    PointPath
    """
    if len(origin) != 1 or len(destination) != 1:
        raise ValueError("point_path takes the joins of exactly one origin and one destination")
    pairs = unit_pairs(origin, destination, access)
    best, nodes = (float(pairs.seconds.min()), np.zeros(0, dtype=np.int64)) if pairs.seconds.size else \
        (np.inf, np.zeros(0, dtype=np.int64))
    if not (origin.on_road[0] and destination.on_road[0]):
        return PointPath(best, nodes)
    n = network.n_nodes
    graph, idx, _ = _reverse_graph(network, destination, np.ones(1, dtype=bool))
    if idx.size == 0:
        return PointPath(best, nodes)
    dist, pred = dijkstra(graph, directed=True, indices=n, return_predecessors=True)
    for end, part in ((origin.a[0], origin.to_a_s[0]), (origin.b[0], origin.to_b_s[0])):
        seconds = origin.leg_s[0] + part + dist[end]
        if np.isfinite(seconds) and seconds < best:
            path, node = [], int(end)
            while node != n and node >= 0:
                path.append(node)
                node = int(pred[node])
            best, nodes = float(seconds), np.asarray(path, dtype=np.int64)
    return PointPath(best, nodes)
