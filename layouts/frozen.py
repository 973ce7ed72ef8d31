"""The 已锁定 mark views show for a frozen year (indicators/freeze.py): one line of text, empty
for a year that is not frozen. Read from the last published build of the served dataset."""
from __future__ import annotations

from layouts import store
from layouts.i18n import t


def frozen_note(year: str | int | None, lang: str = "zh") -> str:
    """``2025 年数据已锁定（2026-01-15），显示锁定时的数字；锁定后有 3 项指标值变动，见「上报进度」。``
    (with a trailing space), or ``""`` when ``year`` is not frozen or nothing is served."""
    from indicators.freeze import published_state

    if year is None:
        return ""
    try:
        frozen, diffs = published_state(store.results().dataset.manifest_path)
    except (RuntimeError, PermissionError, AttributeError):
        return ""
    meta = frozen.get(int(str(year)[:4])) if str(year)[:4].isdigit() else None
    if not meta:
        return ""
    n = len(diffs.get(int(str(year)[:4]), ()))
    key = "frozen_note_changes" if n else "frozen_note"
    return t(key, lang, year=str(year)[:4], date=str(meta.get("frozen_at", ""))[:10], n=f"{n:,}") + " "
