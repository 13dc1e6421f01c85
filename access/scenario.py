"""What-if scenarios: open or close reception points and see the change at once.

A scenario starts from a routed study (:func:`start`) and applies changes one at a time without
rerouting everything:

* **Adding a site** runs one bounded search from the new site on the reversed graph (the same search
  as :func:`access.routing.single_site_times`, with predecessors kept to know the estimated part of
  each time) and merges it into every road node's two nearest sites with an element-wise minimum.
  The result is exact: the two nearest sites among old ∪ {new} are the best two of (old nearest,
  old second, new).
* **Closing a site** is harder, because the nodes it served need their *next* sites. Their new
  nearest comes from one multi-source search over the remaining sites (exact). Their new second
  nearest is searched only from the sites that can be it: on a road network the second-nearest
  site of a node whose nearest is *a* is always a network neighbour of *a* (its shortest path to
  the node only crosses the catchments of *a* and of itself), so bounded searches run only from the
  neighbours of the nearest sites of the affected nodes. Nodes whose two nearest sites did not
  include the closed one keep them.

Unit times then follow from node times with :func:`access.routing.unit_times` (vectorised over all
units), and :func:`evaluate_scenario` returns an ordinary :class:`~access.analysis.CoverageResult`,
so that every indicator of a scenario is computed by the same code as the baseline. Tests check each
step against a full :func:`~access.analysis.run_coverage` of the changed site list.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from .analysis import CoverageResult, Routing, Study, evaluate
from .crs import to_projected
from .errors import InputError
from .routing import NodeTimes, _sum_along_tree, snap_points, unit_times
from .sites import SITE_COLUMNS, SITE_TYPES

ORIGIN_EXISTING = "existant"
ORIGIN_ADDED = "ajouté"


@dataclass(frozen=True, eq=False)
class ScenarioState:
    """Sites of a scenario and the two nearest of them for every road node.

    Attributes
    ----------
    sites : GeoDataFrame
        Every site the scenario has known: the study's sites first, then added ones (standard site
        columns plus ``origin``), WGS84. Closed sites stay in the table, flagged in ``closed``.
    site_nodes, site_leg_s : ndarray
        Road node and access-leg seconds of each site (-1/inf when too far from any road).
    closed : ndarray of bool
        Sites closed in this scenario.
    node_times : NodeTimes
        Nearest and second-nearest *open* site of every road node (indices into ``sites``).
    changes : tuple
        The changes applied, in order: ``("add", lon, lat, name, type)`` or ``("close", site_id)``.
    """

    sites: gpd.GeoDataFrame
    site_nodes: np.ndarray
    site_leg_s: np.ndarray
    closed: np.ndarray
    node_times: NodeTimes
    changes: tuple = ()

    @property
    def open_mask(self) -> np.ndarray:
        """Sites open in this scenario."""
        return ~self.closed


def start(study: Study, routing: Routing) -> ScenarioState:
    """The baseline scenario of a routed study (no change yet)."""
    sites = study.sites.copy()
    sites["origin"] = ORIGIN_EXISTING
    return ScenarioState(sites=sites.reset_index(drop=True), site_nodes=np.asarray(routing.site_nodes),
                         site_leg_s=np.asarray(routing.site_leg_s, dtype=float),
                         closed=np.zeros(len(sites), dtype=bool), node_times=routing.node_times)


def _estimated_lookup(study: Study) -> sp.csr_matrix:
    """Reversed-graph matrix holding the seconds of estimated edges only (zero elsewhere)."""
    net = study.network
    flagged = net.estimated if net.estimated is not None else np.zeros(net.n_edges, dtype=bool)
    return sp.csr_matrix((net.seconds[flagged], (net.head[flagged], net.tail[flagged])),
                         shape=(net.n_nodes, net.n_nodes))


def site_search(study: Study, node: int, leg_s: float, limit_s: float = np.inf) -> tuple[np.ndarray, np.ndarray]:
    """Time from every road node to one site, and the estimated part of that time.

    The times equal :func:`access.routing.single_site_times`; the estimated part adds the site's
    access leg and the estimated network links on each shortest path.

    Returns
    -------
    times, estimated : ndarray
        Seconds per road node (inf beyond ``limit_s``).
    """
    net = study.network
    dist, pred = dijkstra(net.matrix(reverse=True), directed=True, indices=int(node), limit=limit_s,
                          return_predecessors=True)
    leg = max(float(leg_s), 1e-3)
    has_pred = pred >= 0
    edge_est = np.zeros(net.n_nodes)
    if has_pred.any():
        edge_est[has_pred] = np.asarray(_estimated_lookup(study)[pred[has_pred], np.flatnonzero(has_pred)]).ravel()
    estimated = _sum_along_tree(pred, edge_est) + leg
    return dist + leg, np.where(np.isfinite(dist), estimated, 0.0)


def _merge(node_times: NodeTimes, times: np.ndarray, estimated: np.ndarray, site: int) -> NodeTimes:
    """Two nearest sites per node after adding ``site`` with per-node ``times`` (element-wise minimum)."""
    t1, s1, t2, s2 = node_times.time1, node_times.site1, node_times.time2, node_times.site2
    first = times < t1
    second = ~first & (times < t2)
    return replace(
        node_times,
        time1=np.where(first, times, t1), site1=np.where(first, site, s1),
        time2=np.where(first, t1, np.where(second, times, t2)),
        site2=np.where(first, s1, np.where(second, site, s2)),
        estimated1=np.where(first, estimated, node_times.estimated1),
    )


def new_site(study: Study, lon: float, lat: float, name: str, site_type: str = "autre") -> gpd.GeoDataFrame:
    """A one-row standard site table for a point added by the user (WGS84)."""
    if not (np.isfinite(lon) and np.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise InputError(f"coordonnées invalides ({lon}, {lat})", "cliquez sur la carte dans le territoire")
    if site_type not in SITE_TYPES:
        raise InputError(f"type de lieu inconnu « {site_type} »", f"types possibles : {', '.join(SITE_TYPES)}")
    name = str(name).strip() or "Nouveau lieu"
    row = {"site_id": "", "name": name, "type": site_type, "commune": "", "address": "", "hours": "",
           "hours_format": "", "source": "scénario"}
    return gpd.GeoDataFrame([row], geometry=gpd.points_from_xy([lon], [lat]), crs="EPSG:4326")[SITE_COLUMNS + ["geometry"]]


def add_site(study: Study, state: ScenarioState, lon: float, lat: float, name: str,
             site_type: str = "autre") -> ScenarioState:
    """Open a new site at (lon, lat): one bounded search and an element-wise minimum.

    Raises
    ------
    InputError
        When the point is farther than the access model allows from any road of the network.
    """
    site = new_site(study, lon, lat, name, site_type)
    net = study.network
    x, y = to_projected(np.array([lon]), np.array([lat]), net.crs)
    snap = snap_points(net, x, y, study.access.max_distance_m, k=1)
    node = int(snap.nodes[0, 0])
    if node < 0:
        raise InputError(f"le point choisi pour « {site['name'].iloc[0]} » est à plus de "
                         f"{study.access.max_distance_m:.0f} m de toute route du réseau",
                         "choisissez un emplacement plus proche d'une route")
    leg = float(study.access.seconds(snap.metres[0, 0]))
    index = len(state.sites)
    times, estimated = site_search(study, node, leg, state.node_times.second_cap_s)
    existing = set(state.sites["site_id"].astype(str))
    number = sum(state.sites["origin"] == ORIGIN_ADDED) + 1
    site_id = f"scenario-{number}"
    while site_id in existing:
        number += 1
        site_id = f"scenario-{number}"
    site["site_id"] = site_id
    site["origin"] = ORIGIN_ADDED
    sites = gpd.GeoDataFrame(pd.concat([state.sites, site], ignore_index=True), geometry="geometry", crs="EPSG:4326")
    return ScenarioState(
        sites=sites, site_nodes=np.append(state.site_nodes, node), site_leg_s=np.append(state.site_leg_s, leg),
        closed=np.append(state.closed, False), node_times=_merge(state.node_times, times, estimated, index),
        changes=state.changes + (("add", float(lon), float(lat), site["name"].iloc[0], site_type),))


def _multi_source(study: Study, nodes: np.ndarray, legs: np.ndarray, index: np.ndarray):
    """Nearest site (from ``index``), its time and the estimated part, for every road node: one search."""
    from .routing import _estimated_reverse_matrix, augmented_reverse_matrix

    net = study.network
    n, s = net.n_nodes, nodes.size
    if s == 0:
        return np.full(n, np.inf), np.full(n, -1), np.zeros(n)
    graph = augmented_reverse_matrix(net, nodes, legs)
    dist, pred, sources = dijkstra(graph, directed=True, indices=n + np.arange(s), min_only=True,
                                   return_predecessors=True)
    site = np.where(sources[:n] >= n, index[np.maximum(sources[:n] - n, 0)], -1)
    est_graph = _estimated_reverse_matrix(net, nodes, legs)
    has_pred = pred >= 0
    edge_est = np.zeros(n + s)
    edge_est[has_pred] = np.asarray(est_graph[pred[has_pred], np.flatnonzero(has_pred)]).ravel()
    return dist[:n], site, _sum_along_tree(pred, edge_est)[:n]


def _neighbours(study: Study, site1: np.ndarray, site_nodes: np.ndarray, open_sites: np.ndarray) -> set[tuple[int, int]]:
    """Pairs of sites whose catchments touch on the network (or whose road node lies in the other's)."""
    net = study.network
    a, b = site1[net.tail], site1[net.head]
    keep = (a >= 0) & (b >= 0) & (a != b)
    pairs = set(zip(a[keep].tolist(), b[keep].tolist()))
    for site in open_sites:
        node = site_nodes[site]
        if node >= 0 and site1[node] >= 0 and site1[node] != site:
            pairs.add((int(site), int(site1[node])))
    return pairs


def close_site(study: Study, state: ScenarioState, site_id: str) -> ScenarioState:
    """Close a site: exact new nearest and second-nearest sites of the nodes it served.

    Raises
    ------
    InputError
        When ``site_id`` is unknown or already closed.
    """
    ids = state.sites["site_id"].astype(str).to_numpy()
    found = np.flatnonzero(ids == str(site_id))
    if found.size == 0:
        raise InputError(f"lieu « {site_id} » inconnu", "choisissez un lieu de la liste")
    c = int(found[0])
    if state.closed[c]:
        raise InputError(f"le lieu « {state.sites['name'].iloc[c]} » est déjà fermé dans ce scénario")
    closed = state.closed.copy()
    closed[c] = True
    old = state.node_times
    usable = np.flatnonzero(~closed & (state.site_nodes >= 0))
    time1, site1, est1 = _multi_source(study, state.site_nodes[usable], state.site_leg_s[usable], usable)
    # Nodes that lose one of their two nearest sites, and nodes whose nearest changed on a tie.
    affected = (old.site1 == c) | (old.site2 == c) | (site1 != old.site1)
    # Nodes whose two nearest did not include the closed site keep their second nearest.
    time2 = np.where(affected, np.inf, old.time2)
    site2 = np.where(affected, -1, old.site2)
    if affected.any() and usable.size > 1:
        pairs = _neighbours(study, site1, state.site_nodes, usable)
        nearest_of_affected = set(np.unique(site1[affected & (site1 >= 0)]).tolist())
        candidates = sorted({b for a, b in pairs if a in nearest_of_affected}
                            | {a for a, b in pairs if b in nearest_of_affected})
        for site in candidates:
            times, _ = site_search(study, state.site_nodes[site], state.site_leg_s[site], old.second_cap_s)
            better = affected & (site1 != site) & (times < time2)
            time2[better] = times[better]
            site2[better] = site
    node_times = replace(old, time1=time1, site1=site1, time2=time2, site2=site2, estimated1=est1)
    return replace(state, closed=closed, node_times=node_times, changes=state.changes + (("close", str(site_id)),))


def apply_changes(study: Study, routing: Routing, changes) -> ScenarioState:
    """Replay a list of changes (``("add", lon, lat, name, type)`` / ``("close", site_id)``) on the baseline."""
    state = start(study, routing)
    for change in changes:
        state = apply_change(study, state, change)
    return state


def apply_change(study: Study, state: ScenarioState, change) -> ScenarioState:
    """Apply one change tuple to a scenario."""
    kind = change[0]
    if kind == "add":
        _, lon, lat, name, site_type = change
        return add_site(study, state, lon, lat, name, site_type)
    if kind == "close":
        return close_site(study, state, change[1])
    raise InputError(f"modification inconnue « {kind} »", "utilisez « add » ou « close »")


def scenario_study(study: Study, state: ScenarioState) -> Study:
    """The study with the scenario's open sites (existing ones first, in their order, then added ones)."""
    return study.with_sites(state.sites.loc[state.open_mask].reset_index(drop=True))


def scenario_routing(study: Study, routing: Routing, state: ScenarioState) -> Routing:
    """A :class:`~access.analysis.Routing` for :func:`scenario_study`, from the scenario's node times."""
    keep = state.open_mask
    remap = np.full(len(state.sites) + 1, -1)
    remap[np.flatnonzero(keep)] = np.arange(int(keep.sum()))
    nt = state.node_times
    node_times = replace(nt, site1=np.where(nt.site1 >= 0, remap[nt.site1], -1),
                         site2=np.where(nt.site2 >= 0, remap[nt.site2], -1))
    times = unit_times(node_times, routing.unit_snap, study.access)
    return Routing(node_times=node_times, unit_snap=routing.unit_snap, times=times,
                   site_nodes=state.site_nodes[keep], site_leg_s=state.site_leg_s[keep], notices=routing.notices)


def evaluate_scenario(study: Study, routing: Routing, state: ScenarioState, threshold_min: float = 30.0) -> CoverageResult:
    """Coverage indicators of a scenario (same code and figures as :func:`~access.analysis.evaluate`).

    The result's ``sites`` table has the open sites with an ``origin`` column (existant / ajouté).
    """
    new_study = scenario_study(study, state)
    return evaluate(new_study, scenario_routing(study, routing, state), threshold_min)


def compare(before: CoverageResult, after: CoverageResult, min_change: float = 0.5) -> tuple[dict, pd.DataFrame]:
    """Headline differences between two results and the communes whose figures change.

    Parameters
    ----------
    before, after : CoverageResult
        Two results on the same demand units and threshold.
    min_change : float
        Smallest change of covered population (inhabitants) or mean time (minutes, ×0.1) for a
        commune to be listed.

    Returns
    -------
    delta : dict
        ``covered``, ``uncovered``, ``share_covered`` and ``mean_time_min`` differences (after − before).
    communes : DataFrame
        One row per commune that changes: ``commune``, ``nom``, ``population``, covered before/after,
        share before/after, mean time before/after and their differences, most newly covered first.
    """
    a, b = before.summary, after.summary
    delta = {
        "covered": float(b["population_covered"] - a["population_covered"]),
        "uncovered": float((b["population_uncovered"] + b["population_no_road"])
                           - (a["population_uncovered"] + a["population_no_road"])),
        "share_covered": float(b["share_covered"] - a["share_covered"]),
        "mean_time_min": float(b["mean_time_min"] - a["mean_time_min"]),
    }
    cols = ["commune", "nom", "population", "covered", "share_covered", "mean_min"]
    left = before.communes[[c for c in cols if c in before.communes.columns]]
    right = after.communes[[c for c in ["commune", "covered", "share_covered", "mean_min"] if c in after.communes.columns]]
    table = left.merge(right, on="commune", suffixes=("_before", "_after"))
    table["covered_change"] = table["covered_after"] - table["covered_before"]
    table["mean_change"] = table["mean_min_after"] - table["mean_min_before"]
    changed = (table["covered_change"].abs() >= min_change) | (table["mean_change"].abs() >= 0.1 * min_change)
    table = table[changed].sort_values(["covered_change", "mean_change"], ascending=[False, True])
    return delta, table.reset_index(drop=True)


def candidate_gains(study: Study, routing: Routing, state: ScenarioState, lon: np.ndarray, lat: np.ndarray,
                    threshold_min: float = 30.0) -> pd.DataFrame:
    """Population each candidate point would newly cover if opened alone in the scenario.

    One bounded search per candidate (limited to the threshold: beyond it a site covers nobody new)
    and the same unit-time rule as :func:`access.routing.unit_times`.

    Parameters
    ----------
    study, routing : the baseline study and its routing
    state : ScenarioState
        The scenario the candidates would be added to.
    lon, lat : array-like
        Candidate positions (WGS84).
    threshold_min : float

    Returns
    -------
    DataFrame
        ``newly_covered`` (inhabitants), ``best_time_min`` (shortest new time of a newly covered unit,
        NaN when none) and ``on_network`` (False when the point is too far from any road), one row per
        candidate, in input order.
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    net = study.network
    limit = threshold_min * 60.0 + 1e-6
    current = scenario_routing(study, routing, state).times
    covered = current.on_road & (current.time1 <= limit)
    pop = study.demand.units["population"].to_numpy(dtype=float)
    snap = routing.unit_snap
    valid = snap.nodes >= 0
    safe = np.where(valid, snap.nodes, 0)
    unit_leg = np.where(valid, study.access.seconds(snap.metres), np.inf)
    # Only units not yet covered, on road, with a leg short enough to matter.
    todo = np.flatnonzero(~covered & current.on_road & (unit_leg.min(axis=1) <= limit))
    x, y = to_projected(lon, lat, net.crs)
    site_snap = snap_points(net, x, y, study.access.max_distance_m, k=1)
    gains = np.zeros(lon.size)
    best = np.full(lon.size, np.nan)
    for i in range(lon.size):
        node = int(site_snap.nodes[i, 0])
        if node < 0 or todo.size == 0:
            continue
        leg = float(study.access.seconds(site_snap.metres[i, 0]))
        if leg > limit:
            continue
        times = dijkstra(net.matrix(reverse=True), directed=True, indices=node, limit=limit - leg) + max(leg, 1e-3)
        t = np.min(unit_leg[todo] + times[safe[todo]], axis=1)
        hit = t <= limit
        gains[i] = pop[todo][hit].sum()
        if hit.any():
            best[i] = float(t[hit].min() / 60.0)
    return pd.DataFrame({"newly_covered": gains, "best_time_min": best, "on_network": site_snap.nodes[:, 0] >= 0})


def rank_candidates(study: Study, routing: Routing, state: ScenarioState, points: pd.DataFrame,
                    threshold_min: float = 30.0, tie_break: str = "name") -> pd.DataFrame:
    """Candidate places with the population each would newly cover in the scenario, best first.

    Parameters
    ----------
    study, routing, state : as for :func:`candidate_gains`
    points : DataFrame
        Candidate places with ``lon``, ``lat`` (WGS84) and the ``tie_break`` column (for example
        :func:`access.candidates.commune_points`).
    threshold_min : float
    tie_break : str
        Column ordering candidates of equal gain (ascending).

    Returns
    -------
    DataFrame
        ``points`` with the columns of :func:`candidate_gains`, sorted by ``newly_covered``
        (largest first), then ``tie_break``; index reset.
    """
    points = points.reset_index(drop=True)
    if not len(points):
        return points.assign(newly_covered=pd.Series(dtype=float), best_time_min=pd.Series(dtype=float),
                             on_network=pd.Series(dtype=bool))
    gains = candidate_gains(study, routing, state, points["lon"], points["lat"], threshold_min)
    table = pd.concat([points, gains], axis=1)
    return table.sort_values(["newly_covered", tie_break], ascending=[False, True]).reset_index(drop=True)
