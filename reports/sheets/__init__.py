"""The sheets of the annual review workbook, one module per sheet family (assembled in print
order by :func:`reports.workbook.write_workbook`):

- :mod:`~reports.sheets.cover` 封面 · :mod:`~reports.sheets.summary` 汇总 ·
  :mod:`~reports.sheets.levels` one sheet per level (区县, 街道, 社区, 网格 …) ·
  :mod:`~reports.sheets.failing` 不达标清单 · :mod:`~reports.sheets.trends` 月度趋势 ·
  :mod:`~reports.sheets.benchmarks` 对标参考 · :mod:`~reports.sheets.definitions` 指标说明 ·
  :mod:`~reports.sheets.quality` 数据质量;
- :mod:`~reports.sheets.common`: the context every writer reads (:class:`Context`), title / note
  / header rows, printing set-up, pass/fail conditional formatting and fonts.

Each writer takes ``(ws, ctx, …)`` and fills one worksheet; none creates sheets or saves.
"""
