"""The searches: points joined to road segments and multi-source Dijkstra to the two nearest sites
(:mod:`~access30.routing.roads`), and earliest arrivals over a GTFS departure window
(:mod:`~access30.routing.transit`). Arrays in, arrays out: no study, no population."""
