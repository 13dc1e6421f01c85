"""Built-in territories: offline behaviour of downloaded networks, and the download cache."""

import shapely

from access30.base.errors import NetworkUnavailableError
from access30.cli import main
from access30.network.roads import cached_network_path, download_osmnx, from_osmnx


def test_overseas_territory_offline_says_what_to_do(tmp_path, capsys):
    cache = tmp_path / "cache"  # an output is never written into the cache folder
    cache.mkdir()
    code = main(["coverage", "--territory", "martinique", "--cache-dir", str(cache),
                 "--out", str(tmp_path / "m.gpkg")])
    err = capsys.readouterr().err
    assert code == 2
    assert "--network" in err and "Martinique" in err and "Traceback" not in err


def test_cached_download_is_used_offline(tmp_path, shared_data):
    import osmnx as ox
    import pytest

    from access30.network.roads import write_osm_xml as pbf_to_osm_xml

    xml = tmp_path / "stbarth.osm"
    pbf_to_osm_xml(shared_data / "osm" / "saint_barthelemy.osm.pbf", xml)
    graph = ox.graph_from_xml(xml, simplify=False, retain_all=True)
    polygon = shapely.box(-62.95, 17.86, -62.78, 17.97)
    ox.save_graphml(graph, cached_network_path(polygon, "drive", tmp_path))
    network = download_osmnx(polygon, cache_dir=tmp_path, label="Saint-Barthélemy")
    reference = from_osmnx(graph)
    assert network.n_nodes == reference.n_nodes and network.n_edges == reference.n_edges
    assert network.seconds.sum() == pytest.approx(reference.seconds.sum())
    # Another polygon is not cached and the machine is offline: a clear error, not a hang.
    with pytest.raises(NetworkUnavailableError):
        download_osmnx(shapely.box(0, 0, 1, 1), cache_dir=tmp_path, label="ailleurs")
