"""Ingest: read a dataset manifest and its files into validated canonical tables.

Public API::

    load_dataset(manifest_path, cache_dir=None) -> Dataset   # data.loader
    load_manifest(path) -> Manifest                           # data.manifest (raises ManifestError)
    format_report(report, lang="zh") -> str                   # data.report
    rejected_rows_workbook(report) -> bytes                   # data.report (.xlsx to send back)
"""
from .loader import load_dataset
from .manifest import ManifestError, load_manifest
from .model import Dataset, LoadReport, RowError, SourceReport
from .report import format_report, rejected_rows_workbook

__all__ = ["load_dataset", "load_manifest", "format_report", "rejected_rows_workbook",
           "ManifestError", "Dataset",
           "LoadReport", "RowError", "SourceReport"]
