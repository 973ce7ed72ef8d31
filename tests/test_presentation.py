"""What the analyst sees (issue 16): no developer text, hovers as the tables write numbers, the
map's colours anchored to the standard, the overview's changes, the upload labels and the
loading page. No browser; expected values worked out by hand."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from indicators.catalog import CATALOG
from layouts import figures
from layouts.components import change_text
from layouts.mapview import MEETS_DARK, MEETS_LIGHT, FAILS_DARK, colour_scale
from reports.plain import plain_indicator, plain_text

#: developer text that must never reach a Chinese screen, workbook or report
DEVELOPER_TEXT = re.compile(r"[\w/*-]+\.(csv|xlsx|yaml|yml|py|md)\b|settings\.\w+|python app\.py"
                            r"|\*_\d+_\*")


def test_plain_text_drops_file_names_and_setting_keys():
    assert plain_text("奉新县办结率 91.8%（《标题》，记者报道；peer_cases.csv）") == \
        "奉新县办结率 91.8%（《标题》，记者报道）"
    assert plain_text("权重可在数据集清单 settings.score_weights 中修改；其余") == \
        "权重可在数据集清单的权重设置中修改；其余"
    assert plain_text("（设计文档 §4 所引德阳做法；德阳市，peer_cases.csv）") == "（德阳做法；德阳市）"
    assert plain_text("Fengxin County 91.8% (press report; peer_cases.csv)", "en") == \
        "Fengxin County 91.8% (press report)"
    assert plain_text(None) == "" and plain_text("不变的文字") == "不变的文字"


def test_every_catalog_text_is_plain():
    """Every formula, standard and reference of the shipped catalog, once plain, holds no file
    name or setting key (the raw catalog does: the test would fail without plain_indicator)."""
    raw = [getattr(x, f) for ind in CATALOG.values()
           for x in (ind, ind.standard, *ind.references) if x is not None
           for f in ("formula_zh", "source_zh", "label_zh") if isinstance(getattr(x, f, None), str)]
    assert any(DEVELOPER_TEXT.search(text) for text in raw)
    for ind in CATALOG.values():
        p = plain_indicator(ind)
        texts = [p.formula_zh, p.formula_en] + [
            getattr(x, f) for x in (p.standard, *p.references) if x is not None
            for f in ("source_zh", "source_en", "label_zh", "label_en")]
        bad = [x for x in texts if DEVELOPER_TEXT.search(x or "")]
        assert bad == [], (ind.id, bad)
        assert p.id == ind.id and p.kind == ind.kind


def test_hover_counts_have_thousands_separators_and_no_point_zero():
    assert figures.count_text(19437.0) == "19,437"
    assert figures.count_text(20082) == "20,082"
    assert figures.count_text(1234.5) == "1,234.5"
    assert figures.count_text(0.375) == "0.38"
    assert figures.count_text(float("nan")) == "—"
    rows = pd.DataFrame({"unit_id": ["a", "b"], "unit_name": ["甲", "乙"], "value": [0.968, 0.9],
                         "numerator": [19437.0, 900.0], "denominator": [20082.0, 1000.0],
                         "small_count": [False, False], "rank": [1, 2]})
    bar = figures.ranked_bar(rows, CATALOG["resolution_rate"], "zh").data[0]
    assert list(bar.customdata[:, 2]) == ["19,437", "900"]
    assert list(bar.customdata[:, 3]) == ["20,082", "1,000"]


def test_map_colours_are_anchored_to_the_standard():
    """办结率 ≥ 91.8%: streets between 96.5% and 97.0% all meet it, so all are blue — the
    range runs from the standard (91.8) to the highest value, never white-to-blue over 0.5
    points; ticks carry % and the title names the standard."""
    ind = CATALOG["resolution_rate"]
    c = colour_scale(ind, pd.Series([96.5, 96.8, 97.0]), "zh", year="2025")
    assert (c["zmin"], c["zmax"]) == pytest.approx((91.8, 97.0))
    assert c["colorscale"][0] == [0.0, MEETS_LIGHT] and c["colorscale"][-1] == [1.0, MEETS_DARK]
    assert c["ticksuffix"] == "%" and "标准 ≥ 91.8%" in c["title"].replace("≥", "≥")
    # one street below: orange from the lowest value up to the standard, blue above it
    c = colour_scale(ind, pd.Series([89.8, 95.0, 97.0]), "zh", year="2025")
    p = (91.8 - 89.8) / (97.0 - 89.8)
    assert c["colorscale"][0] == [0.0, FAILS_DARK]
    assert c["colorscale"][1][0] == pytest.approx(p) and c["colorscale"][2][0] == pytest.approx(p)
    assert c["colorscale"][2][1] == MEETS_LIGHT
    # the lightest colour is never white
    assert "#ffffff" not in {s[1].lower() for s in c["colorscale"]}


def test_change_reads_with_an_arrow_and_no_sign_and_medians_in_days():
    rate = change_text(CATALOG["resolution_rate"],
                       {"value": 0.951, "change": -0.013, "change_good": False}, "zh")
    assert rate == ("较上年 ▼ 1.3 个百分点", "bad")
    # 办结时长中位数 4.1 days, last year 4.2: the change is 0.1 天, not −2.4%
    median = change_text(CATALOG["median_handling_days"],
                         {"value": 4.1, "prev_value": 4.2, "change": -0.1 / 4.2,
                          "change_good": True}, "zh")
    assert median == ("较上年 ▼ 0.1 天", "good")
    count = change_text(CATALOG["volunteer_participations"],
                        {"value": 53620.0, "change": 0.108, "change_good": True}, "zh")
    assert count == ("较上年 ▲ 10.8%", "good")


def test_loading_page_is_chinese_and_refreshes():
    from layouts.loading import Starting

    state = Starting(expected_s=20)
    seen = {}
    body = b"".join(state({}, lambda status, headers: seen.update(status=status)))
    text = body.decode("utf-8")
    assert seen["status"].startswith("503")
    assert "正在读取数据文件并计算指标" in text and 'http-equiv="refresh"' in text
    assert "上次载入用时约 20 秒" in text and "<script" not in text
    state.app = lambda environ, start: [b"dashboard"]
    assert state({}, lambda *a: None) == [b"dashboard"]


def test_quartiles_and_peer_band_behind_the_bars():
    assert figures.quartiles([1.0, 2.0, 3.0]) is None                 # too few units
    assert figures.quartiles([1.0, 2.0, 3.0, 4.0, float("nan")]) == pytest.approx((1.75, 2.5, 3.25))
    rows = pd.DataFrame({"unit_id": list("abcd"), "unit_name": list("甲乙丙丁"),
                         "value": [0.9, 0.8, 0.7, 0.6], "numerator": [9.0, 8, 7, 6],
                         "denominator": [10.0] * 4, "small_count": [False] * 4,
                         "rank": [1, 2, 3, 4]})
    fig = figures.ranked_bar(rows, CATALOG["resolution_rate"], "zh",
                             peer_band=figures.quartiles(rows["value"]))
    band, median = fig.layout.shapes[0], fig.layout.shapes[1]
    assert (band.type, band.x0, band.x1, band.layer) == ("rect", pytest.approx(0.675),
                                                          pytest.approx(0.825), "below")
    assert median.x0 == median.x1 == pytest.approx(0.75)


def test_chart_footer_names_source_cutoff_and_definition():
    from types import SimpleNamespace

    from layouts.components import chart_footer

    ds = SimpleNamespace(name="示例市 2023–2025", cutoff=pd.Timestamp("2025-12-31"))
    text = chart_footer(ds, CATALOG["resolution_rate"], "zh").children
    assert text.startswith("数据来源：示例市 2023–2025（群众诉求）；数据截止：2025-12-31；口径：")
    assert CATALOG["resolution_rate"].formula_zh in text
    assert "口径" not in chart_footer(ds, CATALOG["resolution_rate"], "zh",
                                      definition=False).children


def test_bare_numbers_as_unit_names_get_their_level():
    from layouts.components import readable_names

    rows = pd.DataFrame({"unit_id": ["01", "x"], "unit_name": ["01", "东城区"]})
    assert readable_names(rows, "选区")["unit_name"].tolist() == ["选区 01", "东城区"]
    plain = pd.DataFrame({"unit_id": ["a"], "unit_name": ["甲街道"]})
    assert readable_names(plain, "街道") is plain
