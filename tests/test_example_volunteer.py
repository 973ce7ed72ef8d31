"""examples/volunteer: the real activity sheet (legacy .xls, 4-row merged header, 总合计 row,
zero template rows, a lookup list beside the table) loads through its manifest, and its figures
equal what this test recomputes from the raw file with plain pandas (no project code).

Skips cleanly when ../shared/data/real is absent (see its PROVENANCE.md).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import data

ROOT = Path(__file__).resolve().parents[1]
XLS = ROOT.parent / "shared" / "data" / "real" / "volunteer_activity_2024.xls"
MANIFEST = ROOT / "examples" / "volunteer" / "dataset.yaml"

pytestmark = pytest.mark.skipif(not XLS.exists(), reason="real data not present at ../shared/data/real")


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    return data.load_dataset(MANIFEST, cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def raw():
    """The sheet as plain pandas reads it: no header; Excel row n is index n - 1."""
    return pd.read_excel(XLS, sheet_name="Sheet1", header=None, engine="xlrd")


def test_figures_equal_plain_pandas(loaded, raw):
    body = raw.iloc[4:, :34]                 # below the header (rows 2–4), columns A:AH
    dated = body[body[6].notna()]            # G 活动日期
    # the header path the manifest names: S2 志愿者服务人数及时长统计 / AC3 合计 / AC4 人数, AD4 小时
    assert (raw.iat[1, 18], raw.iat[2, 28], raw.iat[3, 28], raw.iat[3, 29]) == (
        "志愿者服务人数及时长统计", "合计", "人数", "小时")
    t = loaded.tables["volunteer_hours"]
    assert len(t) == len(dated) == 19
    assert t["participations"].sum() == dated[28].astype(float).sum() == 28
    assert t["hours"].sum() == dated[29].astype(float).sum() == 60
    dates = pd.to_datetime(dated[6])
    assert sorted(t["date"]) == sorted(dates)
    assert {d.strftime("%Y-%m") for d in t["date"]} == {"2024-04", "2024-05"}
    assert t["beneficiaries"].sum() == dated[32].astype(float).sum()


def test_every_row_is_accounted_for(loaded, raw):
    src = loaded.report.sources[0]
    assert loaded.report.fatal == []
    assert src.rows_read == len(raw) - 4                   # every row below the header
    # 总合计 on row 5 (A5:K5 merged)
    assert src.summary == 1 and str(raw.iat[4, 0]) == "总合计"
    body = raw.iloc[4:, :34]
    text = body.apply(lambda c: c.map(lambda v: "" if pd.isna(v) else str(v).strip()))
    filled = text != ""
    zero = text.isin(["0", "0.0"])
    blank = ~filled.any(axis=1)
    template = filled.any(axis=1) & (zero | ~filled).all(axis=1)
    assert src.blank == int(blank.sum())
    assert src.template == int(template.sum()) == 364
    assert src.accepted == 19
    # the rest: rows with something in them but no 活动日期 (G) → rejected, missing_required
    undated = filled.any(axis=1) & ~template & ~blank & (text[6] == "") & (text[0] != "总合计")
    assert src.rejected == int(undated.sum()) == 8
    assert {(e.rule, e.column) for e in src.errors} == {("missing_required", "活动日期")}
    assert sorted(e.row for e in src.errors) == [i + 1 for i in undated[undated].index]
    assert src.reconciles
    assert src.rows_read == src.accepted + src.rejected + src.blank + src.summary + src.notes + src.template


def test_unit_comes_from_the_records_and_the_total_exists(loaded):
    units = loaded.units
    assert units[["level", "unit_id"]].values.tolist() == [["centre", "同心源小家"]]
    warnings = " ".join(loaded.report.sources[0].warnings)
    assert "清单没有网格台账" in warnings and "志愿服务" in warnings
    from indicators import compute_indicators
    table = compute_indicators(loaded)
    part = table[(table["indicator_id"] == "volunteer_participations") & (table["period"] == "2024")]
    assert set(part["level"]) == {"total", "centre"}
    assert part.set_index("level").loc["total", "value"] == 28
