"""A population file is read once: the app's second travel mode and a second planner share its units."""

import os
import shutil

import numpy as np
import pytest

from access30.inputs.population import read_population


def test_a_population_file_is_read_once_and_shared_unchanged(shared_data, tmp_path):
    """The Côtes-d'Armor communes spread over 175,597 cells take seconds to read: the second study of the same
    file (walking after driving) gets the same units without reading it again; changing the file reads it
    anew; a caller adding a column does not change what the next one gets."""
    path = tmp_path / "communes_22.gpkg"
    shutil.copy(shared_data / "cotes_darmor" / "communes_22.gpkg", path)
    first = read_population(path, "population_municipale")
    first.units["added_by_a_caller"] = 1.0
    first.units.loc[first.units.index[0], "population"] = -1.0
    second = read_population(path, "population_municipale")
    assert "added_by_a_caller" not in second.units.columns and second.units["population"].iloc[0] > 0
    again = read_population(path, "population_municipale")
    assert np.shares_memory(second.units["x"].to_numpy(), again.units["x"].to_numpy())
    assert second.total == pytest.approx(598_814)

    # The same file changed on disk (a new upload under the same name): read again.
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    third = read_population(path, "population_municipale")
    assert not np.shares_memory(third.units["x"].to_numpy(), second.units["x"].to_numpy())
