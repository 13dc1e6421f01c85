"""Every département at once: one task per département on dask.distributed
(:mod:`~access30.national.batch`) and the national table, GeoPackage and map
(:mod:`~access30.national.outputs`)."""
