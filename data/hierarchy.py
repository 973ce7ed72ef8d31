"""The unit hierarchy: built from the grid register, and used to attach records to units.

Level columns are ``{level}_id`` and ``{level}_name`` for each level in ``levels`` (top → finest).
"""
from __future__ import annotations

import numpy as np
import pandas as pd


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
    ``column used`` is the canonical column the unit was taken from (for error reports).
    """
    n = len(records)
    unit_level = pd.Series(pd.NA, index=records.index, dtype="string")
    unit_id = pd.Series(pd.NA, index=records.index, dtype="string")
    used = pd.Series(pd.NA, index=records.index, dtype="string")
    unknown = np.zeros(n, dtype=bool)
    todo = np.ones(n, dtype=bool)
    for level in reversed(levels):
        known = (units.loc[units["level"] == level] if units is not None
                 else pd.DataFrame(columns=["unit_id", "unit_name"]))
        for kind in ("id", "name"):
            col = f"{level}_{kind}"
            if col not in records:
                continue
            s = records[col].astype("string").fillna("").str.strip()
            given = todo & (s != "").to_numpy()
            if not given.any():
                continue
            if kind == "id":
                ids = s.where(s.isin(known["unit_id"]))
            else:
                names = known.drop_duplicates("unit_name", keep=False)
                ids = s.map(dict(zip(names["unit_name"], names["unit_id"]))).astype("string")
            idx = np.flatnonzero(given)
            unit_level.iloc[idx] = level
            unit_id.iloc[idx] = ids.iloc[idx].to_numpy()
            used.iloc[idx] = col
            unknown[idx] = ids.iloc[idx].isna().to_numpy()
            todo &= ~given
    return unit_level, unit_id, todo, unknown, used


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
