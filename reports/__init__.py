"""Reports: the annual review Excel workbook (年度评议工作簿, DESIGN.md §6).

Usage::

    from indicators.pipeline import build
    from reports import write_workbook

    results = build("data/sample/dataset.yaml")
    write_workbook(results, 2025, "out/2025.xlsx")                  # whole dataset
    write_workbook(results, 2025, "out/2025_511603.xlsx", scope="511603")   # one district

Sheets: 封面 · 汇总 · one per level below the scope (区县, 街道, 社区, 网格 …; a level with more
units than a sheet holds continues on 网格（续2）…) · 不达标清单 · 月度趋势 (this year and last, with
line charts) · 对标参考 (standards and published figures with citations, :mod:`reports.benchmarks`)
· 指标说明 · 数据质量 (load report, excluded records, and 导出处理说明: every text the workbook had
to clean or cut, and every split).  See :mod:`reports.workbook` for the content and
:mod:`reports.cells` for the text-safety rules (input text is never written as a formula).
"""
__all__ = ["write_workbook"]


def __getattr__(name: str):
    """``write_workbook`` imported on first use (PEP 562): the dashboard imports
    ``reports.plain`` at start-up and need not load openpyxl and the workbook for it."""
    if name == "write_workbook":
        from reports.workbook import write_workbook
        return write_workbook
    raise AttributeError(f"module 'reports' has no attribute {name!r}")
