"""Coverage of a study: routed once (:mod:`~access30.coverage.engine`, one engine per kind of travel
mode), evaluated for any threshold (:mod:`~access30.coverage.indicators`), read through a lens
(opening hours, walk-in hours, the wait for an opening, sectors, capacity and 2SFCA, public
transport), as scenarios and comparisons.
:mod:`~access30.coverage.run` is the 30-minute pipeline, driven by
:class:`~access30.coverage.options.RunOptions`."""
