"""The layout of a sheet as departments fill it in: which rows are data, and merged cells.

Works on the text frame of :class:`data.readers.RawSheet` (every cell ``str``, ``""`` empty),
before any column is mapped or validated:

* :func:`row_kinds` tells data rows from blank rows, **summary** rows (a cell reading 合计 /
  小计 / 总计 / 总合计 …), **note** rows (a footer such as 填表人：张三, 备注：…) and **template**
  rows (nothing in them but zeros: a copied formula row ``=SUM(…)`` that nobody filled in).
  Only data rows are validated; the others are counted, so that for every file × sheet
  rows read = accepted + rejected + blank + summary + notes + template.
* :func:`spread_merged` fills hierarchy label columns (区县/街道/社区 merged down a block of
  rows) and the columns a manifest names from each merged range's top-left cell, and returns
  the cells of every other mapped column that sit in a merged range (rule ``merged_cell``).
* :func:`fill_down` fills the empty cells of the named columns from the row above.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .textops import isin, side_by_side, strip

DATA, BLANK, SUMMARY, NOTE, TEMPLATE = 0, 1, 2, 3, 4
#: cell texts that count as "zero" in a template row
ZERO_TEXTS = ("0", "0.0", "0.00", "-0", "0%")
#: a note row (footer) fills at most this many cells
NOTE_MAX_CELLS = 4


def _spaced(label: str) -> list[str]:
    """合计, 合 计, 合  计, 合　计 (full-width space): how a label is typed in a cell."""
    out = [label]
    if len(label) > 1:
        for gap in (" ", "  ", "\u3000"):
            out.append(gap.join(label))
    return out


def row_kinds(frame: pd.DataFrame, summary_labels: tuple[str, ...] = (),
              note_labels: tuple[str, ...] = ()) -> np.ndarray:
    """Kind of each row of ``frame``: :data:`DATA`, :data:`BLANK`, :data:`SUMMARY`,
    :data:`NOTE` or :data:`TEMPLATE` (int8 array, one per row).

    summary: some cell is exactly one of ``summary_labels`` (spaces inside ignored) — checked
    before notes; note: a row of at most :data:`NOTE_MAX_CELLS` filled cells whose first starts
    with one of ``note_labels`` followed by ``：``/``:`` or nothing; template: every non-empty
    cell is a zero (:data:`ZERO_TEXTS`). Vectorised: two ``isin`` per column.
    """
    n = len(frame)
    kinds = np.zeros(n, dtype="int8")
    if not frame.shape[1]:
        kinds[:] = BLANK
        return kinds
    n_filled = np.zeros(n, dtype="int32")
    nonzero = np.zeros(n, dtype=bool)
    summary = np.zeros(n, dtype=bool)
    labels = [v for lab in summary_labels for v in _spaced(lab)]
    special_texts = list(ZERO_TEXTS) + labels
    columns = side_by_side({i: (_cell_kinds, frame.iloc[:, i], special_texts, labels)
                            for i in range(frame.shape[1])}, n)
    for filled, column_nonzero, column_summary in columns.values():
        if filled is None:
            continue
        n_filled += filled
        nonzero |= column_nonzero
        if column_summary is not None:
            summary |= column_summary
    nonempty = n_filled > 0
    kinds[~nonempty] = BLANK
    kinds[nonempty & ~nonzero] = TEMPLATE
    # a footer fills at most a few cells (填表人：张三 · 审核人：李四 · 日期): only such rows are looked at
    candidates = np.flatnonzero(nonzero & (n_filled <= NOTE_MAX_CELLS) & ~summary)
    if note_labels and len(candidates):
        words = "|".join(re.escape(w) for w in sorted(note_labels, key=len, reverse=True))
        note = re.compile(f"^(?:{words})\\s*(?:[:：]|$)")
        cells = frame.iloc[candidates].to_numpy(dtype=object)
        for i, row in zip(candidates, cells):
            first = next((str(v).strip() for v in row if str(v).strip()), "")
            if note.match(first):
                kinds[i] = NOTE
    kinds[nonzero & summary] = SUMMARY
    return kinds


def _cell_kinds(s: pd.Series, special_texts: list[str], labels: list[str]):
    """One column's share of :func:`row_kinds`: (filled, filled and not a zero, a summary label)
    as bool arrays — (None, None, None) for an empty column, summary None when there is none."""
    filled = (s != "").to_numpy()
    if not filled.any():
        return None, None, None
    stripped = strip(s)
    filled = (stripped != "").to_numpy()
    special = isin(stripped, special_texts)
    if not special.any():        # the usual data column: one isin decides
        return filled, filled, None
    return (filled, filled & ~isin(stripped, ZERO_TEXTS),
            isin(stripped, labels) if labels else None)


def spread_merged(frame: pd.DataFrame, excel_row: np.ndarray, merges: list,
                  letters: dict[str, str], fill: set[str], mapped: set[str]
                  ) -> tuple[pd.DataFrame, list[tuple[int, str, str]], list[str]]:
    """Fill merged ranges of the ``fill`` columns from their top-left cell; list the cells of
    the other ``mapped`` columns that sit in a merged range.

    frame: the sheet's text frame; excel_row: its rows' Excel numbers; merges: (first row,
    first column index, last row, last column index, "D3:D5") as in
    :attr:`data.readers.RawSheet.merges`; letters: frame label → Excel column letters.
    Returns (frame with filled cells, [(frame position, label, "D3:D5")] for every row of a
    merged range in a mapped, non-filled column — top-left included —, warnings).
    """
    from .xlsx_structure import column_index

    if not merges:
        return frame, [], []
    label_at = {column_index(v): k for k, v in letters.items()}
    pos_of = pd.Series(np.arange(len(excel_row)), index=excel_row)
    cells: list[tuple[int, str, str]] = []
    filled: list[str] = []
    frame = frame.copy()
    for r1, c1, r2, c2, ref in merges:
        rows = pos_of.reindex(range(r1, r2 + 1)).dropna().astype("int64").to_numpy()
        if not len(rows):
            continue
        for c in range(c1, c2 + 1):
            label = label_at.get(c)
            if label is None:
                continue
            if label in fill and c == c1:
                top = frame[label].iat[rows[0]]
                frame.iloc[rows, frame.columns.get_loc(label)] = top
                filled.append(ref)
            elif label in mapped:
                cells += [(int(p), label, ref) for p in rows]
    warnings = [f"合并单元格已按左上角的值向下填充：{'、'.join(dict.fromkeys(filled))}"] if filled else []
    return frame, cells, warnings


def fill_down(frame: pd.DataFrame, labels: list[str], rows: np.ndarray) -> tuple[pd.DataFrame, int]:
    """Empty cells of ``labels`` take the value of the nearest filled cell above, among the
    positions ``rows`` only (data rows: summary and blank rows neither give nor take values).
    Returns (frame, number of cells filled)."""
    if not labels or not len(rows):
        return frame, 0
    frame = frame.copy()
    n = 0
    for label in labels:
        part = frame[label].iloc[rows]
        empty = part.str.strip() == ""
        if not empty.any():
            continue
        filled = part.mask(empty).ffill()
        took = empty & filled.notna()
        n += int(took.sum())
        frame.iloc[rows, frame.columns.get_loc(label)] = filled.fillna("").to_numpy()
    return frame, n
