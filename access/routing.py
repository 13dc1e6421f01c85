"""Exact network travel times from every demand unit to its nearest and second-nearest site.

Residents travel *to* sites, so searches run on the reversed graph from the sites. Each site is a
virtual node joined to its snapped road node by its own access leg, so that one multi-source
Dijkstra (``scipy.sparse.csgraph.dijkstra(..., min_only=True)``) gives every road node its nearest
site and the time to it, access legs included. The second-nearest site comes from bounded
single-site searches (``limit=``) run in batches, keeping the two best *distinct* sites per node.

A demand unit is joined to the road network by an *access leg*: crow-fly distance × a detour factor
at a slow speed (:class:`AccessModel`), from its point to each of its few nearest road nodes; its
time is the best of those. Units farther than ``max_distance_m`` from any road have *no road
access*: they are reported apart and never counted as covered.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from .network import RoadNetwork

UNIT_SNAP_CANDIDATES = 4
BATCH_BYTES = 256 * 2**20


@dataclass(frozen=True)
class AccessModel:
    """How points off the network reach it, and how far is too far.

    Attributes
    ----------
    detour : float
        Ratio of road distance to crow-fly distance on the unmapped last stretch. 1.3 is the usual
        value for French rural and suburban roads (circuity studies give 1.2–1.4).
    speed_kmh : float
        Speed on that stretch: 30 km/h by car (local streets, parking, manoeuvres), 4.5 km/h on foot.
    max_distance_m : float
        Beyond this crow-fly distance from any road a point has no road access. 1,000 m suits a
        complete OSM network; a partial network (main roads only) needs much more.
    """

    detour: float = 1.3
    speed_kmh: float = 30.0
    max_distance_m: float = 1000.0

    def seconds(self, metres: np.ndarray) -> np.ndarray:
        """Access-leg time for crow-fly distances."""
        return np.asarray(metres) * self.detour / (self.speed_kmh / 3.6)

    @classmethod
    def for_mode(cls, mode: str, max_distance_m: float = 1000.0) -> "AccessModel":
        """Default access model of a travel mode."""
        return cls(speed_kmh=4.5 if mode == "walk" else 30.0, max_distance_m=max_distance_m)


@dataclass(frozen=True)
class Snap:
    """Candidate road nodes of a set of points, nearest first.

    ``nodes`` and ``metres`` have shape (n_points, k); entries beyond the access model's reach have
    node -1 and distance inf.
    """

    nodes: np.ndarray
    metres: np.ndarray

    @property
    def on_road(self) -> np.ndarray:
        """Points with at least one road node within reach."""
        return np.isfinite(self.metres[:, 0])


def snap_points(network: RoadNetwork, x: np.ndarray, y: np.ndarray, max_distance_m: float,
                k: int = 1) -> Snap:
    """Find the ``k`` nearest snappable road nodes of each point (KD-tree in the projected CRS)."""
    candidates = np.flatnonzero(network.snappable)
    x = np.asarray(x, dtype=float)
    if candidates.size == 0 or x.size == 0:
        return Snap(np.full((x.size, k), -1), np.full((x.size, k), np.inf))
    tree = network.snap_tree
    k_eff = min(k, candidates.size)
    dist, idx = tree.query(np.column_stack([x, np.asarray(y, dtype=float)]), k=k_eff,
                           distance_upper_bound=max_distance_m)
    dist, idx = dist.reshape(x.size, k_eff), idx.reshape(x.size, k_eff)
    nodes = np.where(np.isfinite(dist), candidates[np.minimum(idx, candidates.size - 1)], -1)
    if k_eff < k:
        pad = k - k_eff
        nodes = np.hstack([nodes, np.full((x.size, pad), -1)])
        dist = np.hstack([dist, np.full((x.size, pad), np.inf)])
    return Snap(nodes, dist)


@dataclass(frozen=True)
class NodeTimes:
    """For every road node, the nearest and second-nearest site (reversed-graph search).

    ``time1``/``time2`` in seconds (inf when none within reach), ``site1``/``site2`` site indices
    (-1 when none), ``estimated1`` the part of ``time1`` that is estimated (site access leg and
    estimated network links) rather than routed on mapped roads.
    """

    time1: np.ndarray
    site1: np.ndarray
    time2: np.ndarray
    site2: np.ndarray
    estimated1: np.ndarray
    second_cap_s: float


def augmented_reverse_matrix(network: RoadNetwork, site_nodes: np.ndarray, site_leg_s: np.ndarray) -> sp.csr_matrix:
    """Reversed road graph plus one virtual node per site, linked to its road node by its leg."""
    n, s = network.n_nodes, site_nodes.size
    rows = np.concatenate([network.head, n + np.arange(s)])
    cols = np.concatenate([network.tail, site_nodes])
    weights = np.concatenate([network.seconds, np.maximum(site_leg_s, 1e-3)])
    return sp.csr_matrix((weights, (rows, cols)), shape=(n + s, n + s))


def _estimated_reverse_matrix(network: RoadNetwork, site_nodes: np.ndarray, site_leg_s: np.ndarray) -> sp.csr_matrix:
    n, s = network.n_nodes, site_nodes.size
    flagged = network.estimated if network.estimated is not None else np.zeros(network.n_edges, dtype=bool)
    rows = np.concatenate([network.head[flagged], n + np.arange(s)])
    cols = np.concatenate([network.tail[flagged], site_nodes])
    weights = np.concatenate([network.seconds[flagged], np.maximum(site_leg_s, 1e-3)])
    return sp.csr_matrix((weights, (rows, cols)), shape=(n + s, n + s))


def _sum_along_tree(predecessors: np.ndarray, edge_value: np.ndarray) -> np.ndarray:
    """Sum ``edge_value`` (value of the edge from each node's predecessor) along every tree path.

    Pointer jumping: ``log2(depth)`` vectorised passes instead of a walk per node.
    """
    parent = np.where(predecessors < 0, np.arange(predecessors.size), predecessors)
    total = np.where(predecessors < 0, 0.0, edge_value)
    while True:
        grand = parent[parent]
        if np.array_equal(grand, parent):
            return total
        total = total + np.where(parent != np.arange(parent.size), total[parent], 0.0)
        parent = grand


def route_to_sites(network: RoadNetwork, site_nodes: np.ndarray, site_leg_s: np.ndarray,
                   second: bool = True, second_cap_s: float = 3 * 3600.0) -> NodeTimes:
    """Nearest and second-nearest site of every road node, exactly.

    Parameters
    ----------
    network : RoadNetwork
    site_nodes : ndarray of int
        Road node of each site.
    site_leg_s : ndarray of float
        Access-leg time from the road node to each site.
    second : bool
        Also compute the second-nearest site.
    second_cap_s : float
        Second-nearest times above this are not searched (reported as inf): it bounds the
        single-site searches. Three hours by default, far beyond any planning threshold.

    Returns
    -------
    NodeTimes
    """
    n, s = network.n_nodes, site_nodes.size
    site_nodes = np.asarray(site_nodes, dtype=np.int64)
    site_leg_s = np.asarray(site_leg_s, dtype=float)
    if s == 0:
        inf, none = np.full(n, np.inf), np.full(n, -1)
        return NodeTimes(inf, none, inf.copy(), none.copy(), np.zeros(n), second_cap_s)
    graph = augmented_reverse_matrix(network, site_nodes, site_leg_s)
    dist, pred, sources = dijkstra(graph, directed=True, indices=n + np.arange(s), min_only=True,
                                   return_predecessors=True)
    time1 = dist[:n]
    site1 = np.where(sources[:n] >= n, sources[:n] - n, -1)
    # Estimated part of each nearest time: the site leg plus any estimated links on the path.
    if network.estimated is None or not network.estimated.any():
        # The virtual site edge carries max(leg, 1 ms), as in augmented_reverse_matrix.
        estimated1 = np.where(site1 >= 0, np.maximum(site_leg_s, 1e-3)[np.maximum(site1, 0)], 0.0)
    else:
        est_graph = _estimated_reverse_matrix(network, site_nodes, site_leg_s)
        has_pred = pred >= 0
        edge_est = np.zeros(n + s)
        edge_est[has_pred] = np.asarray(est_graph[pred[has_pred], np.flatnonzero(has_pred)]).ravel()
        estimated1 = _sum_along_tree(pred, edge_est)[:n]
    if not second or s < 2:
        inf, none = np.full(n, np.inf), np.full(n, -1)
        return NodeTimes(time1, site1, inf, none, estimated1, second_cap_s)
    time2 = np.full(n, np.inf)
    site2 = np.full(n, -1)
    batch = max(1, int(BATCH_BYTES // (8 * (n + s))))
    for start in range(0, s, batch):
        ids = np.arange(start, min(start + batch, s))
        block = dijkstra(graph, directed=True, indices=n + ids, limit=second_cap_s)[:, :n]
        for row, site in zip(block, ids):
            # The best time from a site other than the nearest one.
            better = (row < time2) & (site1 != site)
            time2[better] = row[better]
            site2[better] = site
    return NodeTimes(time1, site1, time2, site2, estimated1, second_cap_s)


@dataclass(frozen=True)
class UnitTimes:
    """Travel times of demand units (cells, points) to their nearest and second-nearest sites.

    Attributes
    ----------
    time1, time2 : ndarray
        Seconds to the nearest and second-nearest site, access legs included (inf if none).
    site1, site2 : ndarray of int
        Site indices (-1 if none).
    access_leg_s : ndarray
        Access-leg time of the unit on its best path (estimated, not routed).
    estimated_s : ndarray
        Total estimated part of ``time1``: the unit's access leg, the site's access leg and any
        estimated network link.
    snap_m : ndarray
        Crow-fly distance from the unit to the nearest road node (inf if beyond reach).
    on_road : ndarray of bool
        False for units with no road access.
    """

    time1: np.ndarray
    site1: np.ndarray
    time2: np.ndarray
    site2: np.ndarray
    access_leg_s: np.ndarray
    estimated_s: np.ndarray
    snap_m: np.ndarray
    on_road: np.ndarray


def unit_times(node_times: NodeTimes, snap: Snap, model: AccessModel) -> UnitTimes:
    """Combine node times with each unit's candidate nodes and access legs.

    The unit's nearest site is the best over its candidate nodes of leg + node time; its second
    nearest is the best *other* site over the nearest and second-nearest of every candidate node.
    """
    nodes = snap.nodes
    valid = nodes >= 0
    safe = np.where(valid, nodes, 0)
    leg = np.where(valid, model.seconds(snap.metres), np.inf)
    t1 = np.where(valid, leg + node_times.time1[safe], np.inf)
    t2 = np.where(valid, leg + node_times.time2[safe], np.inf)
    s1 = np.where(valid, node_times.site1[safe], -1)
    s2 = np.where(valid, node_times.site2[safe], -1)
    rows = np.arange(nodes.shape[0])
    best = np.argmin(t1, axis=1)
    time1 = t1[rows, best]
    site1 = np.where(np.isfinite(time1), s1[rows, best], -1)
    access_leg = np.where(np.isfinite(time1), leg[rows, best], np.inf)
    estimated = access_leg + np.where(valid[rows, best], node_times.estimated1[safe[rows, best]], 0.0)
    # Second nearest: all (time, site) pairs offered by the candidates, excluding the nearest site.
    times = np.hstack([t1, t2])
    sites = np.hstack([s1, s2])
    times = np.where((sites == site1[:, None]) | (sites < 0), np.inf, times)
    second = np.argmin(times, axis=1)
    time2 = times[rows, second]
    site2 = np.where(np.isfinite(time2), sites[rows, second], -1)
    return UnitTimes(time1=time1, site1=site1, time2=time2, site2=site2, access_leg_s=access_leg,
                     estimated_s=np.where(np.isfinite(time1), estimated, np.inf),
                     snap_m=snap.metres[:, 0], on_road=snap.on_road)


def single_site_times(network: RoadNetwork, node: int, leg_s: float, limit_s: float = np.inf) -> np.ndarray:
    """Time from every road node to one site (bounded search on the reversed graph).

    Used to add a site to a scenario without rerunning everything: the new nearest time is the
    element-wise minimum of the old one and this.
    """
    dist = dijkstra(network.matrix(reverse=True), directed=True, indices=int(node), limit=limit_s)
    return dist + max(float(leg_s), 1e-3)
