"""Trends over many years (趋势 · 历年): one line per unit across every year of the data.

Synthetic data (tests/layouts_synthetic.py): grid i = 1…20 receives 5 + i tickets in 2025 and
4 + i in 2024, of which i mod 3 stay open. 东城区 D1 holds grids 1–10: 2024 closed 95 − 10 = 85
of 95, 2025 closed 105 − 10 = 95 of 105. The whole dataset: 2024 269 of 290, 2025 289 of 310.
"""
from __future__ import annotations

from urllib.parse import parse_qs

import pandas as pd
import pytest

from layouts import create_app, figures, store
from tests.layouts_synthetic import make_results


@pytest.fixture(scope="module")
def data() -> store.DashboardData:
    create_app(make_results())
    return store.get()


def test_years_view_draws_one_line_per_unit_across_years(data):
    from layouts.pages import trends

    indicator, units, _ = trends._valid(data, "resolution_rate", ["total", "district:D1"],
                                        None, "years")
    fig, note = trends.render(data, indicator, units, None, "zh", "years")
    assert note == ""
    lines = {tr.name: tr for tr in fig.data}
    assert set(lines) == {"全市", "东城区"}
    assert list(lines["东城区"].x) == [2024, 2025]
    assert list(lines["东城区"].y) == pytest.approx([85 / 95, 95 / 105])
    assert list(lines["全市"].y) == pytest.approx([269 / 290, 289 / 310])
    assert fig.layout.title.text == "办结率 · 全市、东城区 · 2024–2025 年历年"
    query = parse_qs(trends._search(trends._query(indicator, units, None, "zh", "years"))[1:])
    assert query["view"] == ["years"]


def test_years_view_offers_register_indicators(data):
    from layouts.pages import trends

    # households_per_grid has no months: not offered month by month, offered year by year
    assert trends._valid(data, "households_per_grid", None, None)[0] != "households_per_grid"
    assert trends._valid(data, "households_per_grid", None, None, "years")[0] == \
        "households_per_grid"


def test_provisional_years_are_hollow_and_dotted_with_a_footnote():
    rows = pd.DataFrame({"unit_id": ["a", "a", "a"], "unit_name": ["甲", "甲", "甲"],
                         "period": ["2023", "2024", "2025"], "value": [0.9, 0.92, 0.8],
                         "small_count": [False] * 3, "provisional": [False, False, True]})
    from indicators.catalog import CATALOG
    fig = figures.yearly_trend(rows, CATALOG["resolution_rate"], "zh")
    final = next(tr for tr in fig.data if tr.name == "甲")
    dotted = next(tr for tr in fig.data if tr.name == "甲 暂定")
    assert list(final.x) == [2023, 2024] and list(dotted.x) == [2024, 2025]
    assert dotted.line.dash == "dot" and dotted.marker.color == "white"
    assert any("暂定值" in a.text for a in fig.layout.annotations)
