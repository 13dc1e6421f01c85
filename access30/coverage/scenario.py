"""What-if scenarios: open or close reception points and see the change at once.

A scenario starts from a routed study (:func:`start`) and applies changes one at a time without
rerouting everything:

* **Adding a site** joins the point to the network exactly as sites are joined, runs one
  search from it (:func:`access30.routing.roads.site_search`) and merges it into every road node's two
  nearest sites (:func:`access30.routing.roads.merge_site`): the two nearest among old ∪ {new} are the best
  two of (old nearest, old second, new), so the update is exact.
* **Closing a site** reroutes the open sites: the nearest and exact second-nearest site of every
  node cost two Dijkstra runs (:func:`access30.routing.roads.route_to_sites`).

Unit times then follow from node times with :func:`access30.routing.roads.unit_times` and the direct and
same-segment pairs of the open sites, and :func:`evaluate_scenario` returns an ordinary
:class:`~access30.coverage.result.CoverageResult`, so that every indicator of a scenario is computed by the
same code as the baseline. Tests check each step against a full
:func:`~access30.coverage.engine.run_coverage` of the changed site list.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import geopandas as gpd
import numpy as np
import pandas as pd

from access30.base.errors import InputError
from access30.base.fmt import fmt_lonlat, fmt_metres
from access30.base.settings import DEFAULT_THRESHOLD_MIN
from access30.coverage.engine import evaluate
from access30.coverage.result import CoverageResult, Routing, ScenarioInfo
from access30.coverage.roads import join_xy
from access30.coverage.rules import covered, longest_covered_s
from access30.inputs.sites import SITE_COLUMNS, SITE_TYPES
from access30.inputs.study import Study
from access30.routing.roads import (
    Join,
    NodeTimes,
    Pairs,
    colocated_site_times,
    colocated_twin,
    merge_site,
    route_to_sites,
    site_search,
    site_unit_times,
    unit_pairs,
    unit_times,
)

ORIGIN_EXISTING = "existing"
ORIGIN_ADDED = "added"


@dataclass(frozen=True, eq=False)
class ScenarioState:
    """Sites of a scenario and the two nearest of them for every road node.

    Attributes
    ----------
    sites : GeoDataFrame
        Every site the scenario has known: the study's sites first, then added ones (standard site
        columns plus ``origin``), WGS84. Closed sites stay in the table, flagged in ``closed``.
    joins : Join
        Where each of them joins the network (segment -1 when too far from any road).
    units : Join
        Where the demand units join the network (from the baseline routing).
    pairs : Pairs
        Direct and same-segment unit–site times of the study's sites (closed ones included, filtered
        out when evaluating): the starting state's, shared by every scenario made from it.
    closed : ndarray of bool
        Sites closed in this scenario.
    node_times : NodeTimes
        Nearest and second-nearest *open* site of every road node (indices into ``sites``).
    changes : tuple
        The changes applied, in order: ``("add", lon, lat, name, type)`` or ``("close", site_id)``.
    added_pairs : tuple of Pairs
        The same for each added site, in order: a scenario keeps only its own changes, not a copy
        of the study's pairs (the app keeps several scenarios per planner).
    """

    sites: gpd.GeoDataFrame
    joins: Join
    units: Join
    pairs: Pairs
    closed: np.ndarray
    node_times: NodeTimes
    changes: tuple = ()
    added_pairs: tuple = ()

    @property
    def open_mask(self) -> np.ndarray:
        """Sites open in this scenario."""
        return ~self.closed

    @property
    def all_pairs(self) -> Pairs:
        """Direct and same-segment times of every site in ``sites`` (the study's, then the added ones')."""
        return Pairs.concat([self.pairs, *self.added_pairs]) if self.added_pairs else self.pairs


def start(study: Study, routing: Routing) -> ScenarioState:
    """The baseline scenario of a routed study (no change yet)."""
    sites = study.sites.copy()
    sites["origin"] = ORIGIN_EXISTING
    return ScenarioState(sites=sites.reset_index(drop=True), joins=routing.sites, units=routing.units,
                         pairs=unit_pairs(routing.units, routing.sites, study.access),
                         closed=~np.asarray(routing.active, dtype=bool), node_times=routing.node_times)


def new_site(study: Study, lon: float, lat: float, name: str, site_type: str = "autre") -> gpd.GeoDataFrame:
    """A one-row standard site table for a point added by the user (WGS84)."""
    if not (np.isfinite(lon) and np.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise InputError(f"coordonnées invalides ({lon}, {lat})", "cliquez sur la carte dans le territoire")
    if site_type not in SITE_TYPES:
        raise InputError(f"type de lieu inconnu « {site_type} »", f"types possibles : {', '.join(SITE_TYPES)}")
    name = str(name).strip() or "Nouveau lieu"
    row = {"site_id": "", "name": name, "type": site_type, "commune": "", "address": "", "hours": "",
           "hours_format": "", "source": "scénario"}
    return gpd.GeoDataFrame([row], geometry=gpd.points_from_xy([lon], [lat]),
                            crs="EPSG:4326")[SITE_COLUMNS + ["geometry"]]


def add_site(study: Study, state: ScenarioState, lon: float, lat: float, name: str,
             site_type: str = "autre") -> ScenarioState:
    """Open a new site at (lon, lat): one search from it and an element-wise minimum.

    Raises
    ------
    InputError
        When the point is farther than the access model allows from any road of the network.
    """
    site = new_site(study, lon, lat, name, site_type)
    joined = join_xy(study, [lon], [lat])
    if not joined.on_road[0]:
        raise InputError(f"le point choisi pour « {site['name'].iloc[0]} » est à plus de "
                         f"{fmt_metres(study.access.max_distance_m)} de toute route du réseau",
                         "choisissez un emplacement plus proche d'une route")
    index = len(state.sites)
    joins = Join.concat([state.joins, joined])
    twin = colocated_twin(joins, np.append(~state.closed, True))
    if index in twin:
        # Where open sites already are (the same join): exactly as close as they are.
        old = state.joins
        group = np.flatnonzero(~state.closed & old.on_road & (old.segment == joined.segment[0])
                               & (old.frac == joined.frac[0]) & (old.leg_s == joined.leg_s[0]))
        times, estimated = colocated_site_times(state.node_times, group)
    else:
        # Unbounded: the new site may be the nearest of nodes farther than any cap (walking, sparse sites).
        times, estimated = site_search(study.network, joined)
    existing = set(state.sites["site_id"].astype(str))
    number = sum(state.sites["origin"] == ORIGIN_ADDED) + 1
    site_id = f"scenario-{number}"
    while site_id in existing:
        number += 1
        site_id = f"scenario-{number}"
    site["site_id"] = site_id
    site["origin"] = ORIGIN_ADDED
    sites = gpd.GeoDataFrame(pd.concat([state.sites, site], ignore_index=True), geometry="geometry", crs="EPSG:4326")
    own = unit_pairs(state.units, joined, study.access)
    own = replace(own, site=np.full(own.site.size, index, dtype=np.int64))
    return ScenarioState(
        sites=sites, joins=joins, units=state.units, pairs=state.pairs, closed=np.append(state.closed, False),
        node_times=merge_site(state.node_times, times, estimated, index),
        changes=state.changes + (("add", float(lon), float(lat), site["name"].iloc[0], site_type),),
        added_pairs=state.added_pairs + (own,))


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
    node_times = route_to_sites(study.network, state.joins, ~closed, second_cap_s=state.node_times.second_cap_s)
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
    """A :class:`~access30.coverage.result.Routing` for :func:`scenario_study`, from the scenario's node times."""
    keep = state.open_mask
    remap = np.full(len(state.sites) + 1, -1)
    remap[np.flatnonzero(keep)] = np.arange(int(keep.sum()))
    nt = state.node_times
    node_times = replace(nt, site1=remap[nt.site1], site2=remap[nt.site2])  # -1 maps to remap[-1] = -1
    sites = state.joins.take(np.flatnonzero(keep))
    active = np.ones(len(sites), dtype=bool)
    every = state.all_pairs
    open_pair = keep[every.site]
    pairs = Pairs(*(getattr(every, f)[open_pair] for f in ("unit", "site", "seconds", "estimated", "leg")))
    pairs = replace(pairs, site=remap[pairs.site])
    return Routing(node_times=node_times, units=routing.units, sites=sites, pairs=pairs,
                   times=unit_times(node_times, routing.units, pairs), notices=routing.notices, active=active)


def evaluate_scenario(study: Study, routing: Routing, state: ScenarioState,
                      threshold_min: float = DEFAULT_THRESHOLD_MIN, name: str | None = None,
                      baseline: CoverageResult | None = None) -> CoverageResult:
    """Coverage indicators of a scenario (same code and figures as :func:`~access30.coverage.engine.evaluate`).

    The result's ``sites`` table has the open sites with an ``origin`` column (existant / ajouté).
    With a ``name``, the result carries a :class:`~access30.coverage.result.ScenarioInfo` (its changes, the
    closed sites, and the current situation's figures, from ``baseline`` or computed), so that every
    output says it is a scenario.
    """
    new_study = scenario_study(study, state)
    result = evaluate(new_study, scenario_routing(study, routing, state), threshold_min)
    if name is None:
        return result
    base = baseline if baseline is not None else evaluate(study, routing, threshold_min)
    closed = state.sites.loc[state.closed].reset_index(drop=True)
    kinds = [change[0] for change in state.changes]
    info = ScenarioInfo(name=name, changes=tuple(change_lines(state)), baseline=base.summary,
                        closed_sites=closed if len(closed) else None, added=kinds.count("add"),
                        closed=len(kinds) - kinds.count("add"))
    return replace(result, scenario=info)


def change_lines(state: ScenarioState) -> list[str]:
    """One French line per change of a scenario, in order."""
    names = dict(zip(state.sites["site_id"].astype(str), state.sites["name"].astype(str)))
    lines = []
    for change in state.changes:
        if change[0] == "add":
            _, lon, lat, name, site_type = change
            lines.append(f"Ouverture (hypothétique) : {name} ({SITE_TYPES.get(site_type, site_type)}) — "
                         f"{fmt_lonlat(lon, lat)}")
        else:
            lines.append(f"Fermeture : {names.get(change[1], change[1])}")
    return lines


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
        "covered": float(b.population_covered - a.population_covered),
        "uncovered": float((b.population_uncovered + b.population_no_road)
                           - (a.population_uncovered + a.population_no_road)),
        "share_covered": float(b.share_covered - a.share_covered),
        "mean_time_min": float(b.mean_time_min - a.mean_time_min),
    }
    cols = ["commune", "nom", "population", "covered", "share_covered", "mean_min"]
    left = before.communes[[c for c in cols if c in before.communes.columns]]
    right = after.communes[[c for c in ["commune", "covered", "share_covered", "mean_min"]
                            if c in after.communes.columns]]
    table = left.merge(right, on="commune", suffixes=("_before", "_after"))
    table["covered_change"] = table["covered_after"] - table["covered_before"]
    table["mean_change"] = table["mean_min_after"] - table["mean_min_before"]
    changed = (table["covered_change"].abs() >= min_change) | (table["mean_change"].abs() >= 0.1 * min_change)
    table = table[changed].sort_values(["covered_change", "mean_change"], ascending=[False, True])
    return delta, table.reset_index(drop=True)


def candidate_gains(study: Study, routing: Routing, state: ScenarioState, lon: np.ndarray, lat: np.ndarray,
                    threshold_min: float = DEFAULT_THRESHOLD_MIN) -> pd.DataFrame:
    """Population each candidate point would newly cover if opened alone in the scenario.

    One bounded search per candidate (limited to the threshold: beyond it a site covers nobody new)
    and the same unit-time rule as :func:`access30.routing.roads.unit_times`.

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
    limit = longest_covered_s(threshold_min * 60.0)
    # The starting state's times are the routing's own (no need to merge its pairs again).
    current = routing.times if not state.changes else scenario_routing(study, routing, state).times
    reached = current.on_road & covered(current.time1, threshold_min * 60.0)
    pop = study.demand.units["population"].to_numpy(dtype=float)
    todo = np.flatnonzero(~reached & (pop > 0))
    joined = join_xy(study, lon, lat)
    gains = np.zeros(lon.size)
    best = np.full(lon.size, np.nan)
    # A point off the roads cannot be opened (add_site refuses it, as suggestions drop such candidates).
    on = np.flatnonzero(joined.on_road)
    if todo.size and on.size:
        times = site_unit_times(study.network, routing.units.take(todo), joined.take(on), study.access,
                                limit).tocsr()
        per_candidate = np.diff(times.indptr)
        rows = on[np.repeat(np.arange(on.size), per_candidate)]
        gains = np.bincount(rows, weights=pop[todo][times.indices], minlength=lon.size)
        has = per_candidate > 0
        best[on[has]] = np.minimum.reduceat(times.data, times.indptr[:-1][has]) / 60.0
    return pd.DataFrame({"newly_covered": gains, "best_time_min": best, "on_network": joined.on_road})


def rank_candidates(study: Study, routing: Routing, state: ScenarioState, points: pd.DataFrame,
                    threshold_min: float = DEFAULT_THRESHOLD_MIN, tie_break: str = "name") -> pd.DataFrame:
    """Candidate places with the population each would newly cover in the scenario, best first.

    Parameters
    ----------
    study, routing, state : as for :func:`candidate_gains`
    points : DataFrame
        Candidate places with ``lon``, ``lat`` (WGS84) and the ``tie_break`` column (for example
        :func:`access30.suggest.candidates.commune_points`).
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
