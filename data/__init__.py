"""Ingest: read a dataset manifest and its files into validated canonical tables.

Public API::

    load_dataset(manifest_path, cache_dir=None) -> Dataset   # data.loader
    load_manifest(path) -> Manifest                           # data.manifest (raises ManifestError)
    format_report(report, lang="zh") -> str                   # data.report

The rejected-rows workbook (.xlsx to send back) is rendered by ``reports.rejected_rows``: ingest
knows no workbook.
"""
from .loader import load_dataset
from .manifest import ManifestError, load_manifest
from .model import Dataset, LoadReport, RowError, SourceReport
from .report import format_report

__all__ = ["load_dataset", "load_manifest", "format_report",
           "ManifestError", "Dataset",
           "LoadReport", "RowError", "SourceReport"]
