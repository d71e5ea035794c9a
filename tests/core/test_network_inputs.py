"""Reading the network: inheritance from Locations, overrides on Inventory, located problems."""

import numpy as np
import pandas as pd
import pytest
from plans import build_plan, weekly

from pysnop.core.bridge import run_bridge
from pysnop.core.locations import has_network_data, network_problems, resolve_network
from pysnop.errors import ValidationError


def frame(rows, first_row=2):
    out = pd.DataFrame(rows)
    out["row"] = range(first_row, first_row + len(out))
    return out


def texts(problems, severity="error"):
    return [str(p) for p in problems if p.severity == severity]


LOCATIONS = frame([{"location": "DC1", "role": "DC"},
                   {"location": "S1", "role": None, "supplied_by": "DC1", "transit_weeks": 2},
                   {"location": "S2", "role": "store", "supplied_by": "DC1"},
                   {"location": "W1", "role": "online", "supplied_by": "DC1",
                    "transit_weeks": 0}])


def test_inheritance_overrides_and_direct():
    inv = frame([
        {"sku": "A", "location": "DC1", "on_hand": 1},
        {"sku": "A", "location": "S1", "on_hand": 1},  # all inherited: DC1, 2 weeks, pack 6
        {"sku": "A", "location": "S2", "on_hand": 1, "transit_weeks": 3, "pack_size": 4},
        {"sku": "B", "location": "S2", "on_hand": 1, "supplied_by": " Direct "},
        {"sku": "A", "location": "W1", "on_hand": 1},  # online: never packs
        {"sku": "A", "location": "S9", "on_hand": 1},  # not in Locations: an unfed store
    ])
    products = frame([{"sku": "A", "pack_size": 6}])
    lay = resolve_network(inv, LOCATIONS, products)
    assert lay.problems == []
    assert list(lay.role) == ["dc", "store", "store", "store", "online", "store"]
    assert list(lay.supplied_by) == [None, "DC1", "DC1", None, "DC1", None]
    assert list(lay.direct) == [False, False, False, True, False, False]
    assert list(lay.transit) == [1, 2, 3, 1, 0, 1]
    # a store's pack (used where a DC ships to it); B has none; DCs and online never
    np.testing.assert_array_equal(lay.pack, [np.nan, 6, 4, np.nan, np.nan, 6])
    assert lay.any_fed and len(lay.added_dcs) == 0


def test_every_network_mistake_at_once_each_located():
    locs = frame([{"location": "DC1", "role": "dc"},
                  {"location": "DC2", "role": "dc", "supplied_by": "DC1"},  # a fed DC
                  {"location": "S1", "supplied_by": "S2"},  # S2 is a store
                  {"location": "S2", "role": "warehouse"},
                  {"location": "S3", "supplied_by": "DC1", "transit_weeks": 1.5},
                  {"location": "S3", "supplied_by": "DC1"}])
    inv = frame([{"sku": "A", "location": "S1", "on_hand": 1, "pack_size": 0},
                 {"sku": "A", "location": "S3", "on_hand": 1, "supplied_by": "NOPE"},
                 {"sku": "A", "location": "S4", "on_hand": 1, "transit_weeks": -1,
                  "role": "dc", "supplied_by": "DC1"}])
    products = frame([{"sku": "A", "pack_size": -6}])
    got = texts(network_problems(locs, inv, products))
    assert got == [
        'Locations row 5 (role): role: expected store, dc or online, got "warehouse"',
        ('Locations row 6 (transit_weeks): transit_weeks: expected whole weeks, 0 or more, '
        'got 1.5'),
        "Locations row 7 (location): location S3 is listed twice (first on row 6)",
        ("Inventory row 4 (transit_weeks): transit_weeks: expected whole weeks, 0 or more, "
        "got -1"),
        "Inventory row 2 (pack_size): pack_size: expected a number of units above 0, got 0",
        "Products row 2 (pack_size): pack_size: expected a number of units above 0, got -6",
        ("Locations row 3 (supplied_by): DC DC2 is supplied by DC1: a DC orders from its "
        "supplier itself (one DC level)"),
        "Locations row 4 (supplied_by): supplied_by S2 is not a DC (its role is store)",
        ("Inventory row 3 (supplied_by): supplied_by NOPE for sku A at S3 is not a DC (not a "
        "known location)"),
        ("Inventory row 4 (supplied_by): S4 is a DC for sku A and is supplied by DC1: a DC "
        "orders from its supplier itself (one DC level)"),
    ]
    p = next(p for p in network_problems(locs, inv, products) if p.column == "pack_size")
    assert (p.sheet, p.row, p.value) == ("Inventory", 2, 0)


def test_a_sku_whose_row_at_the_named_dc_is_not_a_dc():
    # Locations: DC1 is a DC; but Inventory makes DC1 a store for sku A, which S1 draws from
    locs = frame([{"location": "DC1", "role": "dc"}, {"location": "S1", "supplied_by": "DC1"}])
    inv = frame([{"sku": "A", "location": "DC1", "on_hand": 1, "role": "store"},
                 {"sku": "A", "location": "S1", "on_hand": 1}])
    assert texts(network_problems(locs, inv)) == [
        ("Inventory row 2 (role): DC1 supplies S1 (Locations row 3) but this row makes it a "
        "store for sku A")]


def test_missing_dc_row_is_a_warning_listing_the_fed_locations():
    inv = frame([{"sku": "A", "location": "S1", "on_hand": 1},
                 {"sku": "A", "location": "S2", "on_hand": 1}])
    problems = network_problems(LOCATIONS, inv)
    assert texts(problems) == []
    assert texts(problems, "warning") == [
        ("Inventory: no Inventory row for sku A at DC DC1, which supplies S1, S2: projected "
        "from on-hand 0, safety stock 0 and lead time 0")]
    lay = resolve_network(inv, LOCATIONS)
    assert lay.added_dcs.to_dict("records") == [{"sku": "A", "location": "DC1"}]
    assert list(lay.role) == ["store", "store", "dc"]


def test_the_bridge_refuses_a_broken_network():
    inv = [{"sku": "A", "location": "S1", "on_hand": 1, "supplied_by": "S1"}]
    with pytest.raises(ValidationError, match="supplied_by S1 for sku A at S1 is not a DC"):
        run_bridge(build_plan(inv, weekly("A", "S1", [1])))


def test_network_data_is_detected_only_when_given():
    inv = frame([{"sku": "A", "location": "S1", "on_hand": 1, "role": None,
                  "supplied_by": " "}])
    assert not has_network_data(inv, None)
    assert has_network_data(inv, LOCATIONS)
    assert has_network_data(inv.assign(pack_size=[6]), None)
