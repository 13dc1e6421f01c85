"""What a planner reads first (issue 27): headline notices before the figures, honest shares, French CSVs,
export names, and the scenario report's wording."""

import io

import pandas as pd
from openpyxl import load_workbook

from access30.outputs.tables import Table, csv_frame, xlsx_bytes


def test_workbook_and_csv_never_show_all_covered_while_someone_is_not(demo_study, demo_result):
    from dataclasses import replace

    summary = replace(demo_result.summary, share_covered=29_999 / 30_000)
    book = load_workbook(io.BytesIO(xlsx_bytes(replace(demo_result, summary=summary), demo_study)))
    sheet = book["Synthèse"]
    shares = [row[1].value for row in sheet.iter_rows(min_row=2) if row[0].value == "Part de la population couverte"]
    assert shares == [0.999]  # Excel shows 99,9 %, not 100,0 %
    table = Table(pd.DataFrame({"Part": [29_999 / 30_000, 1 / 30_000, 1.0]}), {"Part": "pct"})
    assert list(csv_frame(table).iloc[:, 0]) == [99.9, 0.1, 100.0]
