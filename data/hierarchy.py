"""The unit hierarchy: built from the grid register, and used to attach records to units.

Level columns are ``{level}_id`` and ``{level}_name`` for each level in ``levels`` (top → finest).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .textops import isin, strip


def build_units(grids: pd.DataFrame, levels: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """Units at every level from the accepted grid-register rows.

    grids: ``{level}_id`` (string, non-empty) for every level, optional ``{level}_name``.
    Returns (units, warnings). units columns: level, unit_id, unit_name, parent_id (<NA> at the
    top), depth (int64, 0 = top). A unit listed under two parents keeps the first and is warned
    about; a unit without a name is named by its id.
    """
    parts, warnings = [], []
    for depth, level in enumerate(levels):
        ids = grids[f"{level}_id"].astype("string")
        names = (grids[f"{level}_name"].astype("string") if f"{level}_name" in grids
                 else pd.Series(pd.NA, index=grids.index, dtype="string"))
        names = names.where(names.notna() & (names != ""), ids)
        parent = (grids[f"{levels[depth - 1]}_id"].astype("string") if depth
                  else pd.Series(pd.NA, index=grids.index, dtype="string"))
        frame = pd.DataFrame({"unit_id": ids, "unit_name": names, "parent_id": parent})
        pairs = frame.drop_duplicates(["unit_id", "parent_id"])
        conflicts = pairs["unit_id"][pairs["unit_id"].duplicated()].unique()
        if len(conflicts):
            shown = "、".join(map(str, conflicts[:5]))
            warnings.append(f"{len(conflicts)} 个{level}单位出现在多个上级单位下（如 {shown}），按首次出现的上级计")
        frame = frame.drop_duplicates("unit_id").assign(level=level, depth=depth)
        parts.append(frame)
    units = pd.concat(parts, ignore_index=True)[["level", "unit_id", "unit_name", "parent_id", "depth"]]
    units["level"] = units["level"].astype("string")
    units["depth"] = units["depth"].astype("int64")
    return units, warnings


def attach_units(records: pd.DataFrame, units: pd.DataFrame | None, levels: list[str]
                 ) -> tuple[pd.Series, pd.Series, np.ndarray, np.ndarray, pd.Series]:
    """Attach each record to the finest level it names.

    records: any of ``{level}_id`` / ``{level}_name`` (string; empty = not given). A name is
    resolved to an id through ``units`` (names unique within their level only).
    Returns (unit_level, unit_id, no_unit mask, unknown mask, column used) — ``unknown`` marks a
    named unit absent from ``units`` (rule ``unknown_unit``), ``no_unit`` a record naming none;
    ``column used`` is the canonical column the unit was taken from (for error reports; a
    categorical Series, NaN where none).
    """
    n = len(records)
    level_code = np.full(n, -1, dtype="int8")     # index into levels; -1 = no unit
    used_code = np.full(n, -1, dtype="int8")      # index into used_cols
    used_cols: list[str] = []
    unit_id = None
    unknown = np.zeros(n, dtype=bool)
    todo = np.ones(n, dtype=bool)
    for depth in reversed(range(len(levels))):
        level = levels[depth]
        known = (units.loc[units["level"] == level] if units is not None
                 else pd.DataFrame(columns=["unit_id", "unit_name"]))
        for kind in ("id", "name"):
            col = f"{level}_{kind}"
            if col not in records:
                continue
            s = strip(records[col].astype("string").fillna(""))
            given = todo & (s != "").to_numpy()
            if not given.any():
                continue
            if kind == "id":
                hit = isin(s, known["unit_id"].dropna().astype(str))
                ids = s if hit.all() else s.where(hit)       # every id known: no copy
            else:
                names = known.drop_duplicates("unit_name", keep=False)
                ids = s.map(dict(zip(names["unit_name"], names["unit_id"]))).astype("string")
            # whole-column selects (Arrow if_else), never a Python object per row
            if unit_id is None:                      # the first column that names units
                unit_id = ids.astype("string") if given.all() else ids.astype("string").where(given)
            else:
                unit_id = unit_id.mask(given, ids)
            level_code[given] = depth
            used_code[given] = len(used_cols)
            used_cols.append(col)
            unknown |= given & ids.isna().to_numpy()
            todo &= ~given
    if unit_id is None:
        unit_id = pd.Series(pd.NA, index=records.index, dtype="string")
    unit_id.index = records.index
    used = pd.Series(pd.Categorical.from_codes(used_code, categories=used_cols or [""]),
                     index=records.index)          # one byte per record: only compared
    return _labels(level_code, levels, records.index), unit_id, todo, unknown, used


def _labels(codes: np.ndarray, labels: list[str], index: pd.Index) -> pd.Series:
    """``labels[code]`` per row as a ``string`` Series (<NA> where the code is -1), by one
    Arrow take — a few labels spread over millions of rows."""
    import pyarrow as pa
    taken = pa.array(list(labels) or [""], type=pa.string()).take(pa.array(codes, mask=codes < 0))
    return pd.Series(pd.arrays.ArrowStringArray(taken), index=index, copy=False)


def ancestor_at(units: pd.DataFrame, levels: list[str], unit_level: pd.Series,
                unit_id: pd.Series, target: str) -> pd.Series:
    """Id of each record's ancestor at level ``target`` (its own id when it sits at ``target``;
    <NA> when it sits above ``target`` or has no unit). Vectorised: one map per level step."""
    t = levels.index(target)
    parent = {lv: units.loc[units["level"] == lv].set_index("unit_id")["parent_id"] for lv in levels}
    out = pd.Series(pd.NA, index=unit_id.index, dtype="string")
    for depth, level in enumerate(levels):
        if depth < t:
            continue
        sel = (unit_level == level).fillna(False).to_numpy()
        ids = unit_id[sel]
        for k in range(depth, t, -1):
            ids = ids.map(parent[levels[k]])
        out[sel] = ids.astype("string")
    return out


def units_from_records(records: pd.DataFrame, levels: list[str], level_names: dict[str, str],
                       table_zh: str) -> tuple[pd.DataFrame, list[str]]:
    """Units taken from the records' own unit columns when a dataset has no grid register.

    records: any of ``{level}_id`` / ``{level}_name`` (text; empty = not given). At each level a
    unit is the id (or, without an id column, the name) a record gives; its parent is the value
    the same record gives one level up. Returns (units as in :func:`build_units`, warnings):
    one warning naming the table the units came from and how many there are per level, and
    one per unit found under two or more parents (it keeps the parent most records give; the
    others are named with their record counts — never merged silently).
    """
    parts, warnings, counted = [], [], []
    values: dict[str, pd.Series] = {}
    names: dict[str, pd.Series] = {}
    for level in levels:
        col_id, col_name = f"{level}_id", f"{level}_name"
        ids = (records[col_id] if col_id in records else records.get(col_name))
        if ids is None:
            values[level] = pd.Series("", index=records.index, dtype="string")
            names[level] = values[level]
            continue
        ids = ids.astype("string").fillna("").str.strip()
        values[level] = ids
        nm = records[col_name].astype("string").fillna("").str.strip() if col_name in records else ids
        names[level] = nm.where(nm != "", ids)
    for depth, level in enumerate(levels):
        ids = values[level]
        given = ids != ""
        if not given.any():
            continue
        parent = (values[levels[depth - 1]] if depth else pd.Series("", index=records.index, dtype="string"))
        frame = pd.DataFrame({"unit_id": ids[given], "unit_name": names[level][given],
                              "parent_id": parent[given].replace("", pd.NA)})
        pairs = frame.groupby(["unit_id", "parent_id"], dropna=False).size().rename("n").reset_index()
        pairs = pairs.sort_values(["unit_id", "n"], ascending=[True, False], kind="stable")
        several = pairs[pairs["unit_id"].duplicated(keep=False) & pairs["parent_id"].notna()]
        for unit, group in several.groupby("unit_id", sort=True):
            if len(group) < 2:
                continue
            shown = "、".join(f"「{p}」{n} 条" for p, n in zip(group["parent_id"], group["n"]))
            warnings.append(f"{level_names.get(level, level)}「{unit}」出现在多个上级单位下（{shown}），"
                            f"按记录最多的「{group['parent_id'].iloc[0]}」计；如确为不同单位，请用 "
                            "{from: [上级列, 本级列]} 组合编号")
        first_parent = pairs.dropna(subset=["parent_id"]).drop_duplicates("unit_id").set_index("unit_id")["parent_id"]
        unit_names = frame.drop_duplicates("unit_id").set_index("unit_id")["unit_name"]
        out = pd.DataFrame({"unit_id": unit_names.index.astype("string"),
                            "unit_name": unit_names.to_numpy()})
        out["parent_id"] = out["unit_id"].map(first_parent).astype("string") if depth else pd.NA
        out["parent_id"] = out["parent_id"].astype("string")
        parts.append(out.assign(level=level, depth=depth))
        counted.append(f"{len(out):,} 个{level_names.get(level, level)}")
    if parts:
        units = pd.concat(parts, ignore_index=True)[["level", "unit_id", "unit_name", "parent_id", "depth"]]
    else:
        units = pd.DataFrame({"level": [], "unit_id": [], "unit_name": [], "parent_id": [], "depth": []})
    units = units.astype({"level": "string", "unit_id": "string", "unit_name": "string",
                          "parent_id": "string", "depth": "int64"})
    if counted:
        warnings.insert(0, f"清单没有网格台账：单位取自「{table_zh}」表中填写的单位列（{'、'.join(counted)}），"
                           "每条记录归属它填写的最细一级单位")
    return units, warnings
