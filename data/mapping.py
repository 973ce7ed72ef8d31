"""Step 2–3 of ingest for one source: which column of the file holds each canonical column,
and the canonical text columns built from them (transforms, constants, ids joined from several
columns). Split out of :mod:`data.loader`; the headers come from :mod:`data.readers`.
"""
from __future__ import annotations

import pandas as pd

from .manifest import SourceSpec
from .readers import ReadError, normalise_header
from .transforms import apply_transforms


def _constant_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def resolve_headers(spec: SourceSpec, frame: pd.DataFrame, duplicates: dict[str, list[str]],
                     letters: dict[str, str] | None = None) -> tuple[dict[str, str], list[str]]:
    """Canonical column → the frame column holding it, and warnings.

    Each mapped header (or any of its aliases) is looked up exactly, then loosely (whitespace
    and case ignored, see :func:`data.readers.normalise_header`). Raises :class:`ReadError`
    naming the column when a header is missing, repeated, or present under two aliases.
    Columns of the file that no mapping uses are named in a warning.
    """
    loose: dict[str, list[str]] = {}
    for label in frame.columns:
        loose.setdefault(normalise_header(label), []).append(label)
    for text, labels in duplicates.items():
        loose.setdefault(normalise_header(text), []).extend(labels)
    found: dict[str, str] = {}
    by_letter = {v: k for k, v in (letters or {}).items()}
    last_part: dict[str, list[str]] = {}
    for label in frame.columns:
        if "/" in label:
            last_part.setdefault(normalise_header(label.rsplit("/", 1)[1]), []).append(label)
    for name, col in spec.columns.items():
        if col.letter is not None:
            if col.letter not in by_letter:
                raise ReadError(f"第 {col.letter} 列（对应 {name}）不在读取范围内或整列为空")
            found[name] = by_letter[col.letter]
            continue
        if col.header is None:
            continue
        hits: list[str] = []
        for h in col.header_names:
            if h in duplicates:
                raise ReadError(f"表头「{h}」出现在多列（{'、'.join(duplicates[h])}），"
                                f"无法确定 {name} 用哪一列，请删除或改名其中一列")
            same = [h] if h in frame.columns else list(dict.fromkeys(loose.get(normalise_header(h), [])))
            if not same and "/" not in h:  # a unique last part of a multi-row header's path
                same = list(dict.fromkeys(last_part.get(normalise_header(h), [])))
                if len(same) > 1:
                    raise ReadError(f"表头「{h}」（对应 {name}）是多列表头路径的末级：{'、'.join(same)}，"
                                    "请写出完整路径（用 / 连接各级表头）或写 {column: 列字母}")
            if len(same) > 1:
                raise ReadError(f"表头「{h}」（对应 {name}）与多列相符：{'、'.join(same)}，请删除或改名其中一列")
            hits += [c for c in same if c not in hits]
        if len(hits) > 1:
            raise ReadError(f"{name} 的表头别名同时出现在多列：{'、'.join(f'「{c}」' for c in hits)}，"
                            "请只保留一列")
        if not hits:
            shown = "、".join(f"「{c}」" for c in list(frame.columns)[:40])
            want = "」或「".join(col.header_names)
            raise ReadError(f"找不到表头「{want}」（对应 {name}，缺少这一列）。该表的表头为：{shown}")
        found[name] = hits[0]
    warnings = []
    unused = [c for c in frame.columns if c not in set(found.values())]
    if unused:
        warnings.append("清单未映射、未读取的列：" + "、".join(f"「{c}」" for c in unused))
    return found, warnings


def map_columns(spec: SourceSpec, frame: pd.DataFrame, found: dict[str, str],
                 warnings: list[str]) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str], list[str]]:
    """Canonical text columns (transformed), the raw text behind each, their headers (as in
    the file) and warnings; ``found`` from :func:`resolve_headers`. An id written
    ``{from: [a, b]}`` joins the transformed texts of a and b with ``/`` (empty when any part
    is empty)."""
    text, raw, headers = {}, {}, {}
    n = len(frame)
    for name, col in spec.columns.items():
        if name in found:
            raw[name] = frame[found[name]]
            text[name] = apply_transforms(frame[found[name]], spec.transforms.get(name, ()))
            headers[name] = found[name]
    for name, col in spec.columns.items():
        if col.from_parts:
            parts = [text.get(p) if p in text else pd.Series([_constant_text(spec.columns[p].value)] * n,
                                                               index=frame.index, dtype="str")
                     for p in col.from_parts]
            joined = parts[0]
            empty = parts[0] == ""
            raw_joined = raw.get(col.from_parts[0], parts[0])
            for p, part in zip(col.from_parts[1:], parts[1:]):
                joined = joined + "/" + part
                empty = empty | (part == "")
                raw_joined = raw_joined + "/" + raw.get(p, part)
            raw[name] = raw_joined
            headers[name] = "+".join(headers.get(p, p) for p in col.from_parts)
            text[name] = apply_transforms(apply_transforms(joined.mask(empty, ""), col.transforms),
                                          spec.transforms.get(name, ()))
            sample = text[name][text[name] != ""]
            warnings.append(f"{name} 由{'、'.join(f'「{headers.get(p, p)}」' for p in col.from_parts)}"
                            f"用「/」连接而成" + (f"，如「{sample.iloc[0]}」" if len(sample) else ""))
        elif col.from_ is not None:
            raw[name] = raw[col.from_]
            headers[name] = headers.get(col.from_, col.from_)
            source = text.get(col.from_)
            if source is None:  # from a constant
                source = pd.Series([_constant_text(spec.columns[col.from_].value)] * n,
                                   index=frame.index, dtype="str")
            text[name] = apply_transforms(apply_transforms(source, col.transforms),
                                          spec.transforms.get(name, ()))
        elif col.header is None and col.letter is None:
            const = pd.Series([_constant_text(col.value)] * n, index=frame.index, dtype="str")
            raw[name] = const
            headers[name] = name
            text[name] = apply_transforms(apply_transforms(const, col.transforms),
                                          spec.transforms.get(name, ()))
    return (pd.DataFrame(text, index=frame.index), pd.DataFrame(raw, index=frame.index), headers,
            warnings)
