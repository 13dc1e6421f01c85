"""The site-inventory registry: every list says what it yields, and the rest of the code follows it."""

import pytest

from access.candidates import CANDIDATE_SOURCES, DEFAULT_CANDIDATES
from access.cli import build_parser
from access.errors import InputError
from access.hours import HOURS_FORMATS
from access.inventories import INVENTORIES, InventoryScope, candidate_inventories, load_inventories, select_inventories
from access.territory import TERRITORIES


@pytest.mark.parametrize("key", list(INVENTORIES))
def test_each_list_yields_its_declared_types_and_hours_format(key):
    """The registry's promise about a list is what its loader gives, for a territory and a département."""
    inventory = INVENTORIES[key]
    assert inventory.key == key and inventory.hours_format in HOURS_FORMATS
    for scope in (InventoryScope.of_territory(TERRITORIES["st-brieuc-loudeac"]), InventoryScope("22")):
        sites, _ = load_inventories([key], scope)
        assert len(sites) and set(sites["type"]) <= set(inventory.site_types)
        assert set(sites["hours_format"]) <= {inventory.hours_format, ""}


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
