"""Road networks from OpenStreetMap, kept as compact arrays for routing.

Two ways in:

* :func:`read_pbf` reads an ``.osm.pbf`` extract offline with **pyosmium**. pyosmium is chosen over
  pyrosm because it streams the file through libosmium's C++ reader with a node-location cache, has
  wheels for every current Python, and is maintained by the OSM core team; pyrosm builds whole
  GeoDataFrames first (slow and memory-hungry on a département) and its wheels lag behind Python
  releases.
* :func:`from_osmnx` converts an osmnx graph (downloaded with :func:`download_osmnx`, cached on
  disk, or read from GraphML with :func:`read_graphml`) into the same arrays.

Every OSM node of a usable way is kept (no topological simplification), so that segments are
straight: points join the nearest point *along* a road (:class:`SegmentIndex`), and SciPy routes a
million nodes in well under a second.

Parallel edges between the same two nodes keep the *fastest* one. A sparse matrix built from a
COO edge list would instead *sum* them (on the Liechtenstein extract that is off by 38 s).
"""

from __future__ import annotations

import hashlib
import os
import socket
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import numpy as np
import osmium
import scipy.sparse as sp
from osmium.filter import EntityFilter, KeyFilter
from scipy.sparse.csgraph import connected_components, minimum_spanning_tree
from scipy.spatial import cKDTree

from access30.base import settings
from access30.base.crs import local_crs, to_projected
from access30.base.errors import InputError, NetworkUnavailableError
from access30.base.io import binary_format
from access30.network import speeds
from access30.network.modes import get_mode

MIN_SNAP_COMPONENT_NODES = 20
_EARTH_RADIUS_M = 6_371_008.8
#: Road classes a point may not join in the middle: one enters a motorway only at an interchange.
NOT_JOINABLE_HIGHWAYS = frozenset({"motorway", "motorway_link", "ferry"})
#: Longest piece of a segment in the nearest-segment index (metres); see :class:`SegmentIndex`.
SEGMENT_PIECE_M = 100.0


@dataclass(frozen=True, eq=False)
class RoadNetwork:
    """A directed road network as arrays.

    Attributes
    ----------
    osmid : ndarray of int64
        OSM id of each node.
    lon, lat : ndarray of float
        WGS84 coordinates of each node.
    x, y : ndarray of float
        Coordinates in ``crs`` (metres).
    crs : str
        Projected CRS of ``x`` and ``y``.
    tail, head : ndarray of int32
        Directed edges, as node indices; at most one edge per (tail, head) pair.
    seconds, metres : ndarray of float
        Travel time and length of each edge.
    mode : str
        ``"drive"`` or ``"walk"``.
    source : str
        Where the network came from (file name or download description).
    partial : bool
        True when the extract is known to map only part of the roads (e.g. main roads only):
        every output then says "réseau partiel".
    """

    osmid: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    x: np.ndarray
    y: np.ndarray
    crs: str
    tail: np.ndarray
    head: np.ndarray
    seconds: np.ndarray
    metres: np.ndarray
    mode: str
    source: str
    partial: bool = False
    highway_counts: dict[str, int] = field(default_factory=dict)
    missing_node_refs: int = 0
    estimated: np.ndarray | None = None
    joinable: np.ndarray | None = None

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.osmid.size)

    @property
    def n_edges(self) -> int:
        """Number of directed edges."""
        return int(self.tail.size)

    def matrix(self, reverse: bool = False) -> sp.csr_matrix:
        """CSR matrix of edge seconds; ``reverse=True`` swaps every edge (routes *to* a node)."""
        return self._reverse_matrix if reverse else self._forward_matrix

    @cached_property
    def _forward_matrix(self) -> sp.csr_matrix:
        return _csr(self.tail, self.head, self.seconds, self.n_nodes)

    @cached_property
    def _reverse_matrix(self) -> sp.csr_matrix:
        return _csr(self.head, self.tail, self.seconds, self.n_nodes)

    @cached_property
    def components(self) -> np.ndarray:
        """Strongly connected component label of each node (0 is the largest)."""
        if self.n_nodes == 0:
            return np.zeros(0, dtype=np.int32)
        _, labels = connected_components(self.matrix(), directed=True, connection="strong")
        sizes = np.bincount(labels)
        rank = np.empty_like(sizes)
        rank[np.argsort(-sizes, kind="stable")] = np.arange(sizes.size)
        return rank[labels].astype(np.int32)

    @cached_property
    def snappable(self) -> np.ndarray:
        """Mask of nodes whose segments points may join.

        Nodes in strongly connected pieces of fewer than :data:`MIN_SNAP_COMPONENT_NODES` nodes are
        left out: they are mapping fragments (a one-way dead end, a car park) where a resident would
        be stranded. Larger pieces are kept even when disconnected, because they are real places
        such as islands: a cell on an island must route on the island, not across the sea.
        """
        sizes = np.bincount(self.components)
        return sizes[self.components] >= min(MIN_SNAP_COMPONENT_NODES, int(sizes.max(initial=0)))

    @cached_property
    def segments(self) -> "SegmentIndex":
        """The road segments points may join, with a nearest-segment index (see :class:`SegmentIndex`)."""
        return SegmentIndex.of(self)

    def summary(self) -> dict:
        """Counts that describe the network, for reports."""
        sizes = np.bincount(self.components) if self.n_nodes else np.zeros(1, dtype=int)
        return {
            "network_source": self.source,
            "network_mode": self.mode,
            "network_partial": self.partial,
            "network_nodes": self.n_nodes,
            "network_edges": self.n_edges,
            # Each two-way street is two directed edges: this is directed length, not road length.
            "network_directed_km": round(float(self.metres.sum()) / 1000.0, 1),
            "network_components": int(sizes.size),
            "network_largest_component_nodes": int(sizes[0]) if sizes.size else 0,
            "network_nodes_outside_largest_component": int(self.n_nodes - (sizes[0] if sizes.size else 0)),
            "network_nodes_not_snappable": int((~self.snappable).sum()),
            # Ways cut at the extract border refer to nodes outside it; those segments are dropped.
            "network_missing_node_refs": self.missing_node_refs,
            "network_estimated_edges": int(self.estimated.sum()) if self.estimated is not None else 0,
        }


@dataclass(frozen=True, eq=False)
class SegmentIndex:
    """The road segments a point may join, and a nearest-segment search.

    A segment is an undirected pair of nodes ``a < b`` joined by a mapped (not estimated), joinable
    edge in at least one direction, both nodes in a piece points may snap to (see
    :attr:`RoadNetwork.snappable`). ``ab``/``ba`` are the indices of its usable edges a→b and b→a
    (-1 when that direction is not allowed, e.g. a one-way street).

    The search is exact and vectorised: every segment is cut into pieces of at most ``piece_m``
    metres, whose midpoints go into a KD-tree. The segment nearest a point P at distance d has a
    piece whose midpoint lies within d + piece_m / 2 of P, so once the k nearest midpoints are all
    inspected and the k-th lies farther than (best distance + piece_m / 2), no other segment can be
    nearer; points for which this does not hold are searched again with more neighbours.
    """

    a: np.ndarray
    b: np.ndarray
    ab: np.ndarray
    ba: np.ndarray
    piece_segment: np.ndarray
    tree: object
    piece_m: float
    x: np.ndarray
    y: np.ndarray

    @classmethod
    def of(cls, network: "RoadNetwork", piece_m: float = SEGMENT_PIECE_M) -> "SegmentIndex":
        """Build the index of a network."""
        usable = network.snappable[network.tail] & network.snappable[network.head]
        if network.estimated is not None:
            usable &= ~network.estimated
        if network.joinable is not None:
            usable &= network.joinable
        edges = np.flatnonzero(usable)
        lo = np.minimum(network.tail[edges], network.head[edges]).astype(np.int64)
        hi = np.maximum(network.tail[edges], network.head[edges]).astype(np.int64)
        key, seg_of_edge = np.unique(lo * network.n_nodes + hi, return_inverse=True)
        a, b = key // max(network.n_nodes, 1), key % max(network.n_nodes, 1)
        forward = network.tail[edges] == lo
        ab = np.full(key.size, -1, dtype=np.int64)
        ba = np.full(key.size, -1, dtype=np.int64)
        ab[seg_of_edge[forward]] = edges[forward]
        ba[seg_of_edge[~forward]] = edges[~forward]
        ax, ay, bx, by = network.x[a], network.y[a], network.x[b], network.y[b]
        length = np.hypot(bx - ax, by - ay)
        pieces = np.maximum(np.ceil(length / piece_m), 1).astype(np.int64)
        piece_segment = np.repeat(np.arange(key.size), pieces)
        start = np.cumsum(pieces) - pieces
        t = (np.arange(piece_segment.size) - np.repeat(start, pieces) + 0.5) / np.repeat(pieces, pieces)
        mx = ax[piece_segment] + t * (bx - ax)[piece_segment]
        my = ay[piece_segment] + t * (by - ay)[piece_segment]
        tree = (cKDTree(np.column_stack([mx, my]), balanced_tree=False, compact_nodes=False)
                if piece_segment.size else None)
        return cls(a=a, b=b, ab=ab, ba=ba, piece_segment=piece_segment, tree=tree, piece_m=float(piece_m),
                   x=network.x, y=network.y)

    @property
    def n_segments(self) -> int:
        """Number of joinable segments."""
        return int(self.a.size)

    def project(self, segment: np.ndarray, px: np.ndarray, py: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Position (0 at ``a``, 1 at ``b``) and distance of the projection of each point on its segment."""
        ax, ay = self.x[self.a[segment]], self.y[self.a[segment]]
        dx, dy = self.x[self.b[segment]] - ax, self.y[self.b[segment]] - ay
        length2 = dx * dx + dy * dy
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.where(length2 > 0, ((px - ax) * dx + (py - ay) * dy) / length2, 0.0)
        frac = np.clip(frac, 0.0, 1.0)
        return frac, np.hypot(ax + frac * dx - px, ay + frac * dy - py)

    def nearest(self, x: np.ndarray, y: np.ndarray, max_distance_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Nearest segment of each point within ``max_distance_m``.

        Returns
        -------
        segment : ndarray of int64
            Segment index, -1 when none lies within reach.
        frac : ndarray
            Position of the projection along a→b (0–1).
        metres : ndarray
            Distance from the point to its projection (inf when none within reach).
        """
        x = np.asarray(x, dtype=float).ravel()
        y = np.asarray(y, dtype=float).ravel()
        segment = np.full(x.size, -1, dtype=np.int64)
        frac = np.zeros(x.size)
        metres = np.full(x.size, np.inf)
        if self.tree is None or x.size == 0:
            return segment, frac, metres
        todo = np.arange(x.size)
        k = 8
        reach = max_distance_m + self.piece_m / 2
        while todo.size:
            k_eff = min(k, self.piece_segment.size)
            dist, idx = self.tree.query(np.column_stack([x[todo], y[todo]]), k=k_eff, distance_upper_bound=reach)
            dist, idx = dist.reshape(todo.size, k_eff), idx.reshape(todo.size, k_eff)
            found = np.isfinite(dist)
            seg = np.where(found, self.piece_segment[np.minimum(idx, self.piece_segment.size - 1)], 0)
            f, d = self.project(seg.ravel(), np.repeat(x[todo], k_eff), np.repeat(y[todo], k_eff))
            d = np.where(found, d.reshape(seg.shape), np.inf)
            best = np.argmin(d, axis=1)
            rows = np.arange(todo.size)
            best_d = d[rows, best]
            ok = best_d <= max_distance_m
            segment[todo[ok]] = seg[rows, best][ok]
            frac[todo[ok]] = f.reshape(seg.shape)[rows, best][ok]
            metres[todo[ok]] = best_d[ok]
            # Exact once the k-th midpoint is beyond every piece that could hold a nearer point.
            settled = (dist[:, -1] - self.piece_m / 2 >= np.minimum(best_d, max_distance_m)) | ~found[:, -1] \
                | (k_eff == self.piece_segment.size)
            todo = todo[~settled]
            k *= 4
        return segment, frac, metres


def _csr(tail: np.ndarray, head: np.ndarray, weight: np.ndarray, n: int) -> sp.csr_matrix:
    matrix = sp.csr_matrix((weight, (tail, head)), shape=(n, n))
    matrix.sort_indices()
    return matrix


def _keep_fastest(tail: np.ndarray, head: np.ndarray, seconds: np.ndarray, *extra: np.ndarray):
    """Keep one edge per (tail, head) pair, the fastest, with its ``extra`` attributes.

    A sparse matrix built from the raw list would sum parallel edges instead. Times are floored at a
    millisecond because SciPy's graph routines ignore explicit zeros.
    """
    order = np.lexsort((seconds, head, tail))
    tail, head, seconds = tail[order], head[order], seconds[order]
    first = np.ones(tail.size, dtype=bool)
    first[1:] = (tail[1:] != tail[:-1]) | (head[1:] != head[:-1])
    kept = [tail[first], head[first], np.maximum(seconds[first], 1e-3)]
    return (*kept, *(arr[order][first] for arr in extra))


def haversine_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Great-circle distance in metres between arrays of WGS84 points."""
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(a, dtype=float)) for a in (lon1, lat1, lon2, lat2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * _EARTH_RADIUS_M * np.arcsin(np.sqrt(a))


def build_network(
    osmid: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    tail_osmid: np.ndarray,
    head_osmid: np.ndarray,
    metres: np.ndarray,
    seconds: np.ndarray,
    mode: str,
    source: str,
    partial: bool = False,
    crs: str | None = None,
    highway_counts: dict[str, int] | None = None,
    missing_node_refs: int = 0,
    joinable: np.ndarray | None = None,
) -> RoadNetwork:
    """Assemble a :class:`RoadNetwork` from node and directed edge lists keyed by OSM id.

    Self-loops are dropped and, between the same two nodes, only the fastest edge is kept.
    ``joinable`` flags the edges a point may join in the middle (all when None; see
    :data:`NOT_JOINABLE_HIGHWAYS`).
    """
    order = np.argsort(osmid, kind="stable")
    osmid, lon, lat = osmid[order], lon[order], lat[order]
    tail = np.searchsorted(osmid, tail_osmid)
    head = np.searchsorted(osmid, head_osmid)
    keep = tail != head
    joinable = np.ones(tail.size, dtype=bool) if joinable is None else np.asarray(joinable, dtype=bool)
    tail, head, seconds, metres, joinable = _keep_fastest(tail[keep], head[keep], seconds[keep], metres[keep],
                                                          joinable[keep])
    crs = crs or (local_crs(lon, lat) if lon.size else "EPSG:2154")
    x, y = to_projected(lon, lat, crs)
    return RoadNetwork(
        osmid=osmid.astype(np.int64), lon=lon, lat=lat, x=x, y=y, crs=crs,
        tail=tail.astype(np.int32), head=head.astype(np.int32),
        seconds=seconds.astype(float), metres=metres.astype(float),
        mode=mode, source=source, partial=partial, highway_counts=dict(highway_counts or {}),
        missing_node_refs=missing_node_refs, joinable=joinable,
    )


def _ferry_seconds(tags: dict[str, str], length_m: float) -> float:
    duration = tags.get("duration", "")
    parts = duration.split(":")
    try:
        if len(parts) in (2, 3):
            values = [float(p) for p in parts]
            return values[0] * 3600 + values[1] * 60 + (values[2] if len(values) == 3 else 0)
    except ValueError:
        pass
    return length_m / (speeds.FERRY_SPEED_KMH / 3.6)


def _road_ways(path: str | Path):
    """The ways of an extract that may be roads or ferries, with node locations (filtered in libosmium:
    a département extract is mostly buildings and points of interest, which never reach Python)."""
    return (osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY).with_locations()
            .with_filter(EntityFilter(osmium.osm.WAY)).with_filter(KeyFilter("highway", "route")))


def read_pbf(path: str | Path, mode: str = "drive", partial: bool = False,
             bbox: tuple[float, float, float, float] | None = None) -> RoadNetwork:
    """Read a drive or walk network from an ``.osm.pbf`` (or ``.osm``) file, offline.

    Parameters
    ----------
    path : str or Path
        OpenStreetMap extract.
    mode : {"drive", "walk"}
        Which ways to keep and which speeds to use (see :mod:`access30.network.speeds`).
    partial : bool
        Flag the extract as mapping only part of the roads.
    bbox : (lon_min, lat_min, lon_max, lat_max), optional
        Keep only the ways with a node inside this box (a département within a regional extract):
        each way is kept whole.

    Returns
    -------
    RoadNetwork

    Raises
    ------
    InputError
        When the file is missing, empty, not an OSM file, truncated, or has no usable road.
    """

    travel = get_mode(mode)
    path = Path(path)
    fix = "fournissez un extrait OpenStreetMap .osm.pbf (par ex. d'un site d'extraits régionaux)"
    if not path.is_file():
        raise InputError("fichier réseau introuvable", fix, path=path)
    if path.stat().st_size == 0:
        raise InputError("le fichier réseau est vide", fix, path=path)
    what = binary_format(path)
    if what is not None and not what.startswith("un extrait OpenStreetMap"):
        raise InputError(f"ce fichier est {what}, pas un extrait OpenStreetMap (.osm.pbf)", fix, path=path)

    node_ids: list[int] = []
    lons: list[float] = []
    lats: list[float] = []
    tails: list[np.ndarray] = []
    heads: list[np.ndarray] = []
    metres: list[np.ndarray] = []
    seconds: list[np.ndarray] = []
    joinable: list[np.ndarray] = []
    highway_counts: dict[str, int] = {}
    missing_locations = 0
    try:
        for obj in _road_ways(path):
            if not obj.is_way():
                continue
            tags = {tag.k: tag.v for tag in obj.tags}
            if "highway" not in tags and tags.get("route") != "ferry":
                continue
            if not travel.usable(tags):
                continue
            refs, wlon, wlat = [], [], []
            for node in obj.nodes:
                if not node.location.valid():
                    missing_locations += 1
                    continue
                refs.append(node.ref)
                wlon.append(node.location.lon)
                wlat.append(node.location.lat)
            if len(refs) < 2:
                continue
            lon_a, lat_a = np.asarray(wlon), np.asarray(wlat)
            if bbox is not None and not ((lon_a >= bbox[0]) & (lon_a <= bbox[2]) & (lat_a >= bbox[1])
                                         & (lat_a <= bbox[3])).any():
                continue
            refs_a = np.asarray(refs, dtype=np.int64)
            seg_m = haversine_m(lon_a[:-1], lat_a[:-1], lon_a[1:], lat_a[1:])
            if tags.get("route") == "ferry":
                total = _ferry_seconds(tags, float(seg_m.sum()))
                seg_s = seg_m / max(seg_m.sum(), 1e-9) * total
                direction = 0
                highway = "ferry"
            else:
                seg_s = seg_m / (travel.way_speed_kmh(tags) / 3.6)
                direction = travel.oneway(tags)
                highway = tags["highway"]
            highway_counts[highway] = highway_counts.get(highway, 0) + 1
            join = np.full(seg_m.size, _joinable(tags, highway))
            node_ids.extend(refs)
            lons.extend(wlon)
            lats.extend(wlat)
            if direction >= 0:
                tails.append(refs_a[:-1])
                heads.append(refs_a[1:])
                metres.append(seg_m)
                seconds.append(seg_s)
                joinable.append(join)
            if direction <= 0:
                tails.append(refs_a[1:])
                heads.append(refs_a[:-1])
                metres.append(seg_m)
                seconds.append(seg_s)
                joinable.append(join)
    except RuntimeError as exc:  # libosmium reports format errors as RuntimeError
        raise InputError(f"fichier OpenStreetMap illisible ou tronqué ({exc})", fix, path=path) from None

    if not tails:
        where = " dans l'emprise du territoire" if bbox is not None else ""
        raise InputError(f"{travel.nothing_usable} dans ce fichier{where}", "vérifiez qu'il s'agit d'un extrait "
                         "OpenStreetMap avec des voies (highway=*) couvrant le territoire", path=path)
    osmid_all = np.asarray(node_ids, dtype=np.int64)
    osmid, first = np.unique(osmid_all, return_index=True)
    return build_network(
        osmid, np.asarray(lons)[first], np.asarray(lats)[first],
        np.concatenate(tails), np.concatenate(heads), np.concatenate(metres), np.concatenate(seconds),
        mode=mode, source=path.name, partial=partial, highway_counts=highway_counts,
        missing_node_refs=missing_locations, joinable=np.concatenate(joinable),
    )


def _joinable(tags: dict[str, str], highway: str) -> bool:
    """Whether a point may join this way between its junctions (not a motorway or a motor road)."""
    return highway not in NOT_JOINABLE_HIGHWAYS and tags.get("motorroad") != "yes"


def write_osm_xml(pbf: str | Path, xml: str | Path, mode: str = "drive") -> Path:
    """Write the ways :func:`read_pbf` keeps (tags unchanged) and their nodes as OSM XML.

    ``osmnx.graph_from_xml`` reads the result, which gives an osmnx graph of a local ``.pbf``
    offline (osmnx cannot read PBF). Node references without a location (ways cut at the extract
    border) are left out, as :func:`read_pbf` does; ways left with fewer than two nodes are dropped.
    """
    travel = get_mode(mode)
    ways, locations = [], {}
    for obj in _road_ways(pbf):
        if not obj.is_way():
            continue
        tags = {tag.k: tag.v for tag in obj.tags}
        if ("highway" not in tags and tags.get("route") != "ferry") or not travel.usable(tags):
            continue
        points = [(nd.ref, (nd.location.lon, nd.location.lat)) for nd in obj.nodes if nd.location.valid()]
        if len(points) >= 2:
            locations.update(points)
            ways.append((obj.id, [ref for ref, _ in points], tags))
    with osmium.SimpleWriter(str(xml), overwrite=True) as writer:
        for ref in sorted(locations):
            writer.add_node(osmium.osm.mutable.Node(id=ref, location=locations[ref], version=1))
        for way_id, refs, tags in ways:
            writer.add_way(osmium.osm.mutable.Way(id=way_id, nodes=refs, tags=tags, version=1))
    return Path(xml)


def from_osmnx(graph, mode: str = "drive", source: str = "osmnx", partial: bool = False) -> RoadNetwork:
    """Convert an osmnx (networkx ``MultiDiGraph``) graph into a :class:`RoadNetwork`.

    Edge times are recomputed with this package's speeds (``maxspeed`` or the French default of the
    ``highway`` class) so that a downloaded network and a ``.pbf`` file give the same times. osmnx
    already stores each two-way street as two directed edges, so ``oneway`` needs no further handling.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        Nodes with ``x`` (longitude) and ``y`` (latitude); edges with ``length`` in metres and
        optionally ``highway`` and ``maxspeed`` (strings or lists, as osmnx gives them).
    mode : {"drive", "walk"}
    source : str
        Description kept in reports.
    partial : bool
        Flag the network as partial.
    """
    travel = get_mode(mode)
    nodes = list(graph.nodes(data=True))
    if not nodes:
        raise InputError("le graphe osmnx est vide", "vérifiez la zone demandée")
    osmid = np.fromiter((n for n, _ in nodes), dtype=np.int64, count=len(nodes))
    lon = np.fromiter((float(d["x"]) for _, d in nodes), dtype=float, count=len(nodes))
    lat = np.fromiter((float(d["y"]) for _, d in nodes), dtype=float, count=len(nodes))
    tails, heads, lengths, secs, joinable = [], [], [], [], []
    highway_counts: dict[str, int] = {}
    for u, v, data in graph.edges(data=True):
        highway = data.get("highway", "")
        highway = highway[0] if isinstance(highway, list) else highway
        maxspeed = data.get("maxspeed")
        maxspeed = ";".join(maxspeed) if isinstance(maxspeed, list) else maxspeed
        tags = {"highway": str(highway)}
        if maxspeed is not None:
            tags["maxspeed"] = str(maxspeed)
        length = float(data.get("length", 0.0))
        tails.append(u)
        heads.append(v)
        lengths.append(length)
        secs.append(length / (travel.way_speed_kmh(tags) / 3.6))
        motorroad = data.get("motorroad")
        joinable.append(_joinable({"motorroad": str(motorroad)} if motorroad else {}, str(highway)))
        highway_counts[str(highway)] = highway_counts.get(str(highway), 0) + 1
    return build_network(
        osmid, lon, lat, np.asarray(tails, dtype=np.int64), np.asarray(heads, dtype=np.int64),
        np.asarray(lengths), np.asarray(secs), mode=mode, source=source, partial=partial,
        highway_counts=highway_counts, joinable=np.asarray(joinable, dtype=bool),
    )


def read_graphml(path: str | Path, mode: str = "drive") -> RoadNetwork:
    """Read an osmnx GraphML file (as written by :func:`write_graphml` or ``osmnx.save_graphml``)."""
    import osmnx as ox  # optional heavy dependency (2 s to import), needed only to download a network

    path = Path(path)
    if not path.is_file():
        raise InputError("fichier GraphML introuvable", "vérifiez le chemin", path=path)
    try:
        graph = ox.load_graphml(path)
    except Exception as exc:  # osmnx raises many kinds on malformed XML
        raise InputError(f"GraphML illisible ({exc.__class__.__name__})",
                         "fournissez un fichier écrit par osmnx.save_graphml", path=path) from None
    return from_osmnx(graph, mode=mode, source=path.name)


def write_graphml(graph, path: str | Path) -> None:
    """Write an osmnx graph to GraphML atomically (temporary file, then rename)."""
    import osmnx as ox  # optional heavy dependency (2 s to import), needed only to download a network

    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    ox.save_graphml(graph, tmp)
    os.replace(tmp, path)


OVERPASS_HOST = "overpass-api.de"


def _reachable(host: str, port: int = 443, timeout_s: float = 3.0) -> bool:
    """Whether a TCP connection to ``host`` opens within a few seconds (fail fast when offline)."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def cached_network_path(polygon_wgs84, mode: str, cache_dir: str | Path | None = None) -> Path:
    """Where :func:`download_osmnx` keeps the network of a polygon and mode."""
    cache = Path(cache_dir) if cache_dir else settings.cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    key = hashlib.sha256((polygon_wgs84.wkb_hex + mode).encode()).hexdigest()[:16]
    return cache / f"network_{mode}_{key}.graphml"


def download_osmnx(polygon_wgs84, mode: str = "drive", cache_dir: str | Path | None = None,
                   label: str = "zone") -> RoadNetwork:
    """Download the network inside a WGS84 polygon with osmnx, or reuse the cached copy.

    The graph is cached as GraphML under a name derived from the polygon and the mode, so a second
    call works offline.

    Raises
    ------
    NetworkUnavailableError
        When the graph is not cached and the Overpass API cannot be reached.
    """
    travel = get_mode(mode)
    cached = cached_network_path(polygon_wgs84, mode, cache_dir)
    if cached.is_file():
        return read_graphml(cached, mode=mode)
    cache = cached.parent
    if not _reachable(OVERPASS_HOST):
        raise NetworkUnavailableError(
            f"Pas de connexion à OpenStreetMap ({OVERPASS_HOST}) : le réseau routier de « {label} » ne peut pas "
            "être téléchargé. Fournissez un extrait .osm.pbf du territoire avec --network (voir « access30 "
            f"download »), ou relancez une fois connecté : il sera gardé en cache dans {cache}.",
            label=label)
    import osmnx as ox  # optional heavy dependency (2 s to import), needed only to download a network

    ox.settings.use_cache = True
    ox.settings.cache_folder = str(cache / "http")
    ox.settings.requests_timeout = 60
    try:
        graph = ox.graph_from_polygon(polygon_wgs84, network_type=travel.osmnx_type, simplify=False,
                                      retain_all=True)
    except Exception as exc:  # requests/urllib3 connection errors, Overpass errors
        raise NetworkUnavailableError(
            f"Impossible de télécharger le réseau routier de « {label} » depuis OpenStreetMap "
            f"({exc.__class__.__name__}). Sans connexion internet, fournissez un extrait .osm.pbf du "
            "territoire avec --network (voir « access30 download »), ou relancez une fois "
            f"connecté : le réseau sera gardé en cache dans {cache}.", label=label
        ) from None
    write_graphml(graph, cached)
    return from_osmnx(graph, mode=mode, source=f"OpenStreetMap via osmnx ({label})")


def bridge_gaps(network: RoadNetwork, short_gap_m: float = 250.0, max_gap_m: float = 30_000.0,
                speed_kmh: float | None = None, detour: float = 1.3) -> RoadNetwork:
    """Join the disconnected pieces of a partial network with estimated links.

    An extract that maps only main roads falls apart into pieces whose ends lie metres to
    kilometres apart (the minor roads joining them are not mapped). Two kinds of two-way links are
    added, each timed as crow-fly distance × ``detour`` at ``speed_kmh``:

    * every pair of nodes of different pieces closer than ``short_gap_m`` (junctions the extract cut);
    * the links of a minimum spanning tree over the pieces, each between the two closest nodes of
      two pieces, when shorter than ``max_gap_m``: the fewest links that join everything.

    The new edges are flagged in :attr:`RoadNetwork.estimated`, so that results can report how much
    of each travel time is estimated rather than routed. Do not use on complete networks: it would
    join islands to the mainland.

    Parameters
    ----------
    network : RoadNetwork
    short_gap_m, max_gap_m : float
        Radii of the two kinds of links, in metres.
    speed_kmh, detour : float
        Speed and detour factor of the estimated links; the speed defaults to the travel mode's
        bridging speed (50 km/h by car: minor rural roads; the walking speed on foot).

    Returns
    -------
    RoadNetwork
        A copy with the links added and ``partial=True``.
    """
    # Pieces are *strongly* connected components, so that a piece one can drive into but not out of
    # (a one-way stretch whose continuation is not mapped) gets its way out.
    if speed_kmh is None:
        speed_kmh = get_mode(network.mode).bridge_speed_kmh
    labels = network.components
    xy = np.column_stack([network.x, network.y])
    pairs = cKDTree(xy).query_pairs(short_gap_m, output_type="ndarray").reshape(-1, 2)
    pairs = pairs[labels[pairs[:, 0]] != labels[pairs[:, 1]]]

    n_pieces = int(labels.max()) + 1
    closest = np.full((n_pieces, n_pieces), np.inf)
    closest_pair = np.zeros((n_pieces, n_pieces, 2), dtype=np.int64)
    for piece in range(n_pieces):
        inside = np.flatnonzero(labels == piece)
        outside = np.flatnonzero(labels != piece)
        if outside.size == 0:
            break
        dist, idx = cKDTree(xy[inside]).query(xy[outside], distance_upper_bound=max_gap_m)
        ok = np.isfinite(dist)
        for other in np.unique(labels[outside[ok]]):
            sel = ok & (labels[outside] == other)
            best = np.flatnonzero(sel)[np.argmin(dist[sel])]
            if dist[best] < closest[piece, other]:
                closest[piece, other] = closest[other, piece] = dist[best]
                closest_pair[piece, other] = (inside[idx[best]], outside[best])
                closest_pair[other, piece] = (outside[best], inside[idx[best]])
    finite = np.where(np.isfinite(closest), closest + 1e-3, 0.0)  # +1e-3: keep zero gaps as edges
    tree = minimum_spanning_tree(sp.csr_matrix(finite)).tocoo()
    mst_pairs = closest_pair[tree.row, tree.col].reshape(-1, 2)
    links = np.unique(np.sort(np.vstack([pairs, mst_pairs]), axis=1), axis=0)
    if links.size == 0:
        return network
    # Both directions of every link, except where a mapped edge already goes that way: mapped edges
    # are never replaced. The reverse of a mapped one-way edge may become an estimated link: it stands
    # for the unmapped way back (the other carriageway, the streets around the block), at the
    # estimated speed, and is flagged like every estimated link.
    a = np.concatenate([links[:, 0], links[:, 1]])
    b = np.concatenate([links[:, 1], links[:, 0]])
    n = np.int64(network.n_nodes)
    mapped_pairs = network.tail.astype(np.int64) * n + network.head
    new = ~np.isin(a.astype(np.int64) * n + b, mapped_pairs)
    a, b = a[new], b[new]
    metres = np.hypot(network.x[a] - network.x[b], network.y[a] - network.y[b]) * detour
    seconds = np.maximum(metres / (speed_kmh / 3.6), 1e-3)
    old_estimated = network.estimated if network.estimated is not None else np.zeros(network.n_edges, bool)
    tail = np.concatenate([network.tail, a]).astype(np.int32)
    head = np.concatenate([network.head, b]).astype(np.int32)
    all_seconds = np.concatenate([network.seconds, seconds])
    all_metres = np.concatenate([network.metres, metres])
    estimated = np.concatenate([old_estimated, np.ones(a.size, dtype=bool)])
    old_joinable = network.joinable if network.joinable is not None else np.ones(network.n_edges, bool)
    joinable = np.concatenate([old_joinable, np.zeros(a.size, dtype=bool)])  # estimated links are not roads
    return replace(network, tail=tail.astype(np.int32), head=head.astype(np.int32),
                   seconds=all_seconds, metres=all_metres, estimated=estimated, joinable=joinable, partial=True)
