"""The site-inventory registry: every list says what it yields, and the rest of the code follows it."""

import pytest

from access30.base.errors import InputError
from access30.cli.parser import build_parser
from access30.inputs.hours import HOURS_FORMATS
from access30.inputs.inventories import (
    INVENTORIES,
    InventoryScope,
    candidate_inventories,
    load_inventories,
    select_inventories,
)
from access30.inputs.territory import TERRITORIES
from access30.suggest.candidates import CANDIDATE_SOURCES, DEFAULT_CANDIDATES

#: Where each list has sites without a download: the national lists everywhere, the shipped
#: first-reception inventory in 972, 974 and 29; DILA and data·inclusion need a cache (below).
SCOPES = {"premier_accueil": ("972", "974", "29")}


@pytest.mark.parametrize("key", list(INVENTORIES))
def test_each_list_yields_its_declared_types_and_hours_format(key, tmp_path):
    """The registry's promise about a list is what its loader gives, for a territory and a département."""
    inventory = INVENTORIES[key]
    formats = {inventory.hours_format, *inventory.other_hours_formats, ""}
    assert inventory.key == key and formats - {""} <= set(HOURS_FORMATS)
    if inventory.national is not None:
        scopes = [InventoryScope.of_territory(TERRITORIES["st-brieuc-loudeac"]), InventoryScope("22")]
    else:
        scopes = [InventoryScope(code, cache_dir=tmp_path) for code in SCOPES.get(key, ())]
    for scope in scopes:
        sites, _ = load_inventories([key], scope)
        assert len(sites) and set(sites["type"]) <= set(inventory.site_types)
        assert set(sites["hours_format"]) <= formats
    if key in ("dila", "data_inclusion"):
        # Not in the cache: a notice, no error and no download.
        sites, notices = load_inventories([key], InventoryScope("29", cache_dir=tmp_path))
        assert len(sites) == 0 and any(n.code == f"{key}_not_cached" for n in notices)


def test_a_cached_dila_is_merged_and_its_ccas_replace_the_town_halls(tmp_path):
    """DILA read from the cache (FIXTURE offices, real schema) merges with the shipped CDAS of the
    Finistère; its CCAS make the town halls' stand-in unnecessary."""
    from access30.inputs.inventories import list_sites
    from access30.inputs.sources._common import cache_folder
    from access30.inputs.sources.dila import build_dila_cache
    from tests.inputs.sources.test_dila import _archive

    without = list_sites("29", cache_dir=tmp_path / "empty")
    assert "mairie" in without.counts() and any(n.code == "dila_not_cached" for n in without.notices)
    build_dila_cache(_archive(tmp_path), cache_folder("dila", tmp_path / "cache"))
    listing = list_sites("29", cache_dir=tmp_path / "cache")
    assert "mairie" not in listing.counts() and any(n.code == "stand_in_unused" for n in listing.notices)
    morlaix = listing.sites.set_index("site_id").loc["cdas_morlaix"]
    assert morlaix["sources"] == "inventaire ; dila" and "dila:" in morlaix["source_ids"]
    assert any(line.startswith("Annuaire de l'administration") for line in listing.source_lines)
    report = [n for n in listing.notices if n.code == "sources_report"][0].message
    assert "Annuaire de l'administration (DILA) :" in report and "fusionné" in report


def test_unknown_list_names_the_option_and_the_known_lists():
    with pytest.raises(InputError) as caught:
        select_inventories(["pharmacies"])
    assert "pharmacies" in str(caught.value) and all(key in str(caught.value) for key in INVENTORIES)


def test_lists_are_loaded_in_registry_order_whatever_the_order_asked():
    assert [i.key for i in select_inventories(list(reversed(INVENTORIES)))] == list(INVENTORIES)


def test_candidate_sources_and_cli_options_come_from_the_registry():
    keys = [inventory.key for inventory in candidate_inventories()]
    assert DEFAULT_CANDIDATES == tuple(keys) and CANDIDATE_SOURCES == (*keys, "cells")
    args = build_parser().parse_args(["suggest", "--out", "x.gpkg", *[a for k in keys for a in
                                                                      (f"--{k.replace('_', '-')}-file", f"{k}.csv")]])
    assert args.candidates == ",".join(keys)
    assert all(str(getattr(args, f"{k}_file")) == f"{k}.csv" for k in keys)
