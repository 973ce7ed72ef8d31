"""Load the real Boston data through examples/boston/dataset.yaml and check it against counts this
test computes itself from the raw files with plain pandas (no project code).

Skips cleanly when ../shared/data/real is absent (see its PROVENANCE.md).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import data

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "real"
MANIFEST = ROOT / "examples" / "boston" / "dataset.yaml"
CSV = REAL / "boston_311_2015.csv.gz"
XLSX = REAL / "boston_precinct_demographics_2014_2018.xlsx"
FMT = "%m/%d/%Y %I:%M:%S %p"

pytestmark = pytest.mark.skipif(not (CSV.exists() and XLSX.exists()),
                                reason="real data not present at ../shared/data/real")


@pytest.fixture(scope="module")
def boston(tmp_path_factory):
    return data.load_dataset(MANIFEST, cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def raw():
    return pd.read_csv(CSV, dtype=str, keep_default_na=False)


def test_hierarchy_from_precinct_register(boston):
    levels = boston.units.groupby("level")["unit_id"].nunique().to_dict()
    assert levels == {"precinct": 255, "ward": 22}
    wards = boston.units.loc[boston.units["level"] == "ward", "unit_id"]
    assert sorted(wards) == [f"{w:02d}" for w in range(1, 23)]
    grids = boston.tables["grids"].set_index("unit_id")
    population = pd.read_excel(XLSX, sheet_name="Population", header=3, dtype={"Precinct": str},
                               engine="openpyxl")
    tenure = pd.read_excel(XLSX, sheet_name="Tenure", header=3, dtype={"Precinct": str},
                               engine="openpyxl")
    assert grids.loc["0101", "population"] == pytest.approx(
        population.set_index("Precinct").loc["0101", "Total Population (all ages)"])
    assert grids["households"].sum() == pytest.approx(tenure["Total Households "].sum())
    assert len(boston.tables["stations"]) == 37


def test_ticket_rows_reconcile(boston, raw):
    src = next(s for s in boston.report.sources if s.table == "complaints")
    assert src.rows_read == len(raw) == 121_145
    assert src.rows_read == src.accepted + src.rejected + src.blank
    assert boston.report.fatal == []


def test_closed_before_received_rejected(boston, raw):
    opened = pd.to_datetime(raw["OPEN_DT"], format=FMT)
    closed = pd.to_datetime(raw["CLOSED_DT"].where(raw["CLOSED_DT"] != ""), format=FMT)
    expected = int((closed < opened).sum())
    src = next(s for s in boston.report.sources if s.table == "complaints")
    assert sum(e.rule == "closed_before_received" for e in src.errors) == expected == 197


def test_accepted_tickets_per_ward(boston, raw):
    # by hand: a ticket belongs to the ward of its precinct (503.0 → "0503" → ward "05"), else to
    # its own ward column ("Ward 5" / "05" / "5" → "05"); no unit, an unknown precinct or a
    # closing time before the opening time → not accepted
    register = pd.read_excel(XLSX, sheet_name="Population", header=3, dtype={"Precinct": str},
                               engine="openpyxl")
    precincts = set(register["Precinct"].str.zfill(4))
    precinct = raw["precinct"].str.replace(r"\.0+$", "", regex=True).str.zfill(4).where(raw["precinct"] != "")
    ward = raw["ward"].str.extract(r"(\d+)$")[0].str.zfill(2)
    ticket_ward = precinct.str[:2].fillna(ward)
    opened = pd.to_datetime(raw["OPEN_DT"], format=FMT)
    closed = pd.to_datetime(raw["CLOSED_DT"].where(raw["CLOSED_DT"] != ""), format=FMT)
    ok = ticket_ward.notna() & ~(closed < opened) & (precinct.isna() | precinct.isin(precincts))
    expected = ticket_ward[ok].value_counts().sort_index()

    c = boston.tables["complaints"]
    parents = boston.units.query("level == 'precinct'").set_index("unit_id")["parent_id"]
    got_ward = c["unit_id"].where(c["unit_level"] == "ward", c["unit_id"].map(parents))
    got = got_ward.value_counts().sort_index()
    assert got.to_dict() == expected.to_dict()
    assert len(expected) == 22


def test_ward_that_contradicts_the_precinct_is_warned(boston, raw):
    has_both = (raw["precinct"] != "") & (raw["ward"] != "")
    precinct_ward = raw["precinct"].str.replace(r"\.0+$", "", regex=True).str.zfill(4).str[:2]
    ward = raw["ward"].str.extract(r"(\d+)$")[0].str.zfill(2)
    clashes = int((has_both & (precinct_ward != ward)).sum())
    src = next(s for s in boston.report.sources if s.table == "complaints")
    assert clashes > 0
    assert any(w.startswith(f"{clashes} 条记录填写的选区") for w in src.warnings)
