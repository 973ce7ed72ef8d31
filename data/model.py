"""Contracts shared by every stage: the canonical tables, the load report and the dataset.

Everything past ingest may assume the shapes documented here (see docs/architecture.md).

Canonical tables (pandas DataFrames; ids are pandas ``string`` dtype, never numbers):

``units`` — the hierarchy, one row per unit at every level, built from the grid register:
    level (str, one of Dataset.levels), unit_id (str, unique within level), unit_name (str),
    parent_id (str or <NA> for the top level), depth (int, 0 = top level).

``grids`` — the grid register (网格台账), one row per grid per register year:
    unit_id (str, finest-level id), year (Int64 or <NA> = undated snapshot),
    households (float, 户), population (float, 人), full_time_workers (float),
    part_time_workers (float), has_party_branch (boolean), community_workers (float, optional),
    lat, lon (float, WGS-84 degrees, optional), plus any extra columns the manifest maps.

``stations`` — service stations (党群服务阵地): station_id, station_name, station_type (str),
    unit_level, unit_id (the unit it belongs to, any level), area_m2 (float, m²), lat, lon
    (float, WGS-84), opened (datetime64), weekly_hours (float, h), year (Int64 or <NA>).

``volunteer_hours`` — one activity record: date (datetime64), unit_level, unit_id, team,
    activity_type (str), volunteers (float, 人), participations (float, 人次), hours (float, h),
    beneficiaries (float, 人次).

``complaints`` — one ticket: ticket_id (str), received_at, closed_at, due_at (datetime64, NaT when
    absent), status ('closed' | 'open' | an excluded outcome of ``EXCLUDED_STATUSES``: 'cancelled' |
    'duplicate' | 'referred' | 'invalid'), category (str), satisfaction ('satisfied' |
    'basically_satisfied' | 'dissatisfied' | <NA>), is_repeat (boolean), unit_level, unit_id.

Only columns a source provides (or that can be derived) are present; indicator code checks for
what it needs and skips indicators whose inputs are missing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

TABLES = ("grids", "stations", "volunteer_hours", "complaints")

#: Default display names of hierarchy levels (a manifest may override them).
LEVEL_NAMES_ZH = {
    "total": "全市", "city": "市", "district": "区县", "street": "街道", "community": "社区",
    "grid": "网格", "ward": "选区", "precinct": "投票分区", "village": "村",
}
LEVEL_NAMES_EN = {
    "total": "Whole dataset", "city": "City", "district": "District", "street": "Street",
    "community": "Community", "grid": "Grid", "ward": "Ward", "precinct": "Precinct",
    "village": "Village",
}

SATISFACTION_VALUES = ("satisfied", "basically_satisfied", "dissatisfied")

#: Ticket outcomes a manifest maps ``status`` onto (``values: {status: {已办结: closed, 办理中: open,
#: 已撤销: cancelled, 重复件: duplicate, 已转出: referred, 无效件: invalid}}``). The last four are
#: excluded tickets: they count in ticket volumes but leave every rate's denominator
#: (indicators/measures.py), each counted with its reason (Chinese text below).
EXCLUDED_STATUSES = {"cancelled": "已撤销", "duplicate": "重复工单", "referred": "已转出",
                     "invalid": "无效工单"}
TICKET_STATUSES = ("closed", "open", *EXCLUDED_STATUSES)


@dataclass
class RowError:
    """One problem with one input row (or cell).

    row is the 1-based row number as the user sees it in Excel or a text editor (header rows
    counted); column is the source header as typed (or the canonical name when no header applies);
    value is the raw value as text; rule is a stable id such as ``missing_required``, ``bad_date``,
    ``out_of_range``, ``duplicate_key``, ``unknown_unit``, ``closed_before_received``,
    ``not_a_number``.
    """

    row: int
    column: str
    value: str
    rule: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "value": self.value,
                "rule": self.rule, "message": self.message}


@dataclass
class SourceReport:
    """Load report for one file and sheet: rows_read == accepted + rejected + blank + summary +
    notes + template, always. summary: 合计/小计 rows; notes: footer rows (填表人 …); template:
    rows holding nothing but zeros — counted, never validated (data/layout.py)."""

    table: str
    file: str
    sheet: str | None
    sha256: str
    rows_read: int = 0
    accepted: int = 0
    rejected: int = 0
    blank: int = 0
    summary: int = 0
    notes: int = 0
    template: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: rejected rows as read (original columns) with ``excel_row`` and ``reasons``; for download
    rejected_rows: pd.DataFrame | None = None

    @property
    def reconciles(self) -> bool:
        return self.rows_read == (self.accepted + self.rejected + self.blank + self.summary
                                  + self.notes + self.template)

    def to_dict(self) -> dict[str, Any]:
        return {"table": self.table, "file": self.file, "sheet": self.sheet, "sha256": self.sha256,
                "rows_read": self.rows_read, "accepted": self.accepted,
                "rejected": self.rejected, "blank": self.blank, "summary": self.summary,
                "notes": self.notes, "template": self.template,
                "errors": [e.to_dict() for e in self.errors], "warnings": list(self.warnings)}


@dataclass
class LoadReport:
    """Everything ingest has to say: one SourceReport per file × sheet, plus fatal problems
    (``{"file", "message"}``) for files that could not be read at all."""

    sources: list[SourceReport] = field(default_factory=list)
    fatal: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"tables": [s.to_dict() for s in self.sources], "fatal": list(self.fatal)}

    @property
    def rows_read(self) -> int:
        return sum(s.rows_read for s in self.sources)

    @property
    def accepted(self) -> int:
        return sum(s.accepted for s in self.sources)

    @property
    def rejected(self) -> int:
        return sum(s.rejected for s in self.sources)

    @property
    def blank(self) -> int:
        return sum(s.blank for s in self.sources)

    @property
    def summary(self) -> int:
        return sum(s.summary for s in self.sources)

    @property
    def notes(self) -> int:
        return sum(s.notes for s in self.sources)

    @property
    def template(self) -> int:
        return sum(s.template for s in self.sources)


@dataclass
class Dataset:
    """A loaded dataset: validated canonical tables, the hierarchy and the load report.

    levels: level names top → finest (e.g. ["district", "street", "community", "grid"]).
    level_names: {level: Chinese display name}; level_names_en likewise in English.
    tables: {table name: canonical DataFrame} for the tables the manifest provides.
    config: the manifest's free-form settings (standards overrides, weights, radius …).
    """

    name: str
    manifest_path: Path
    levels: list[str]
    level_names: dict[str, str]
    level_names_en: dict[str, str]
    units: pd.DataFrame
    tables: dict[str, pd.DataFrame]
    report: LoadReport
    is_sample: bool = False
    name_en: str | None = None
    cutoff: pd.Timestamp | None = None
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def finest(self) -> str:
        return self.levels[-1]
