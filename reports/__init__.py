"""Reports: the annual review Excel workbook (年度评议工作簿).

``write_workbook(results, year, path, scope=None) -> pathlib.Path`` — see reports.workbook.
"""
from reports.workbook import write_workbook

__all__ = ["write_workbook"]
