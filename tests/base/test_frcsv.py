"""The one CSV writer (access30.base.frcsv): semicolons, decimal commas, BOM, no « inf »."""

import numpy as np
import pandas as pd

from access30.base.frcsv import UNREACHED, french_csv_bytes, write_french_csv
from access30.base.io import read_table


def test_a_french_csv_reads_back_with_its_numbers(tmp_path):
    handmade_frame = pd.DataFrame({"name": ["Mairie de Plérin", "CCAS"], "time": [12.25, np.inf],
                                   "mixed": ["texte", 0.5], "share": [0.5, np.nan]})
    data = french_csv_bytes(handmade_frame, {"name": "nom", "time": "temps (min)"}, unreached=["time"])
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines == ["nom;temps (min);mixed;share", "Mairie de Plérin;12,25;texte;0,5", f"CCAS;{UNREACHED};0,5;"]
    path = write_french_csv(handmade_frame, tmp_path / "t.csv")
    back = read_table(path)
    assert list(back.columns) == ["name", "time", "mixed", "share"] and back.loc[0, "time"] == "12,25"
    assert "inf" not in path.read_text(encoding="utf-8-sig")
