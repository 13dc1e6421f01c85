"""Files and views of a result, in French: GeoPackage and JSON (:mod:`~access30.outputs.export`),
XLSX and CSV tables, PNG map, PDF annex, the web map of the app, and the handover pack
(:mod:`~access30.outputs.pack`)."""
