"""The face of the source loaders (access30.inputs.sources): its public names, and one loader used through it."""

from __future__ import annotations

import access30.inputs.sources as sources
from access30.inputs.sources import SourceResult, load_inventory
from access30.inputs.sources.shipped import load_inventory as shipped_load_inventory


def test_every_public_name_exists():
    assert len(sources.__all__) == len(set(sources.__all__)) == 26
    missing = [name for name in sources.__all__ if not hasattr(sources, name)]
    assert missing == []
    assert sources.load_inventory is shipped_load_inventory


def test_the_ccas_of_martinique():
    result = load_inventory("972")
    assert isinstance(result, SourceResult) and "CCAS de Martinique" in result.label
    ccas = result.records[result.records["type"] == "ccas"]
    assert len(ccas) == 34
    # One CCAS for each of the 34 communes of Martinique; two have no usable point, kept with the reason.
    assert ccas["commune"].nunique() == 34 and ccas["commune"].str.startswith("972").all()
    located = ccas[ccas.geometry.notna() & ~ccas.geometry.is_empty]
    assert len(located) == 32 and located.geometry.x.between(-61.3, -60.8).all()
    assert sorted(result.without_coordinates["commune"]) == ["97224", "97230"]
