"""Networks as arrays: OpenStreetMap roads (:mod:`~access30.network.roads`), travel modes and speeds
(:mod:`~access30.network.modes`, :mod:`~access30.network.speeds`), and GTFS timetables
(:mod:`~access30.network.gtfs`, :mod:`~access30.network.transit`)."""
