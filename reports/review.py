"""The annual review as a document (年度评议报告): a Chinese Word file written with python-docx,
and the same as PDF through LibreOffice.

Contents, in order:

- 封面: title, scope, year, data cut-off, generation date (示例数据 marked for the sample);
- 一、总体情况: how many indicators meet their standard, then one sentence per indicator
  (indicators.narrative), those below their standard first;
- 二、分项评议: one section per indicator family (群众诉求办理, 网格治理, 党群服务阵地, 志愿服务,
  综合评价) with its chart — the units one level below the scope, bars coloured by status, the
  standard drawn, rendered offline (reports.charts) — and, per indicator with a standard, the
  table of the units below it and their gaps;
- 三、评议标准及来源: every standard with the published source it comes from;
- 四、数据质量说明: rows read, accepted and rejected per table, rejected rows by rule, records
  each rate leaves out.

Officials edit reports in Word: every paragraph is ordinary text in ordinary styles (标题 1/2,
正文, 表格), nothing is a text box or a field except the page number.
"""
from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from reports import formats as fmt
from reports.charts import family_figure, pick_rows, renderer
from reports.frames import PASS, FAIL, evaluate, standard_of, wide_values
from reports.sheets.common import TABLE_NAMES_ZH, Context
from reports.sheets.failing import failing_frame

#: Indicator families (the table an indicator is computed from) and their section titles.
FAMILY_ZH = {"complaints": "群众诉求办理", "grids": "网格化治理", "stations": "党群服务阵地建设",
             "volunteer_hours": "志愿服务"}
OTHER_FAMILY_ZH = "综合评价"
#: Failing units listed per indicator (the workbook's 不达标清单 has them all).
MAX_FAILING_ROWS = 15
#: Seconds LibreOffice may take to turn the document into PDF.
PDF_TIMEOUT_S = 180
BODY_FONT, HEADING_FONT = "宋体", "黑体"
NUMERALS = "一二三四五六七八九十"


def write_report(results: Any, year: int, path: str | Path, scope: str | None = None, *,
                 format: str = "docx", generated_at: datetime | None = None,
                 progress: Callable[[int, int, str], None] | None = None) -> Path:
    """Write the 年度评议报告 for ``year`` to ``path`` (.docx, or .pdf with ``format="pdf"``)
    and return its path.

    results, year, scope: as :func:`reports.write_workbook` (an ``indicators.pipeline.Results``;
    the review year; None for the whole dataset or a unit_id above the finest level).
    progress: called as ``progress(done, total, step)`` after each part — for a progress bar.
    Raises ValueError for a year without rows or an unknown scope (Chinese message),
    RuntimeError when charts or the PDF cannot be produced (kaleido/Chromium or LibreOffice
    missing), each with a Chinese message. Parent directories of ``path`` are created.
    """
    from reports.workbook import review_context

    if format not in ("docx", "pdf"):
        raise ValueError(f"报告格式只能是 docx 或 pdf，而不是“{format}”。")
    ctx = review_context(results, year, scope, generated_at)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    if format == "docx":
        out.write_bytes(report_docx(ctx, progress=progress))
        return out
    with tempfile.TemporaryDirectory(prefix="report-") as folder:
        docx = Path(folder) / "report.docx"
        docx.write_bytes(report_docx(ctx, progress=progress))
        pdf = docx_to_pdf(docx, Path(folder))
        shutil.copyfile(pdf, out)
    return out


def docx_to_pdf(docx: Path, folder: Path) -> Path:
    """``docx`` rendered to PDF by LibreOffice (``soffice --headless --convert-to pdf``) with a
    profile of its own (so it runs beside another LibreOffice). Returns the PDF's path in
    ``folder``. Raises RuntimeError (Chinese) when LibreOffice is missing or fails."""
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        raise RuntimeError("本机未安装 LibreOffice，无法生成 PDF；可先生成 Word 版（docx）。")
    profile = Path(tempfile.mkdtemp(prefix="lo-profile-"))
    try:
        done = subprocess.run(
            [office, f"-env:UserInstallation={profile.as_uri()}", "--headless",
             "--convert-to", "pdf", "--outdir", str(folder), str(docx)],
            capture_output=True, timeout=PDF_TIMEOUT_S, check=False,
            env={**os.environ, "HOME": str(profile)})
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(f"LibreOffice 在 {PDF_TIMEOUT_S} 秒内未完成 PDF 转换。") from exc
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    pdf = folder / (docx.stem + ".pdf")
    if done.returncode != 0 or not pdf.is_file():
        raise RuntimeError("LibreOffice 未能把报告转换为 PDF："
                           + (done.stderr.decode("utf-8", "replace").strip()[-300:] or "无输出"))
    return pdf


# --------------------------------------------------------------------------- the document

def report_docx(ctx: Context, progress: Callable[[int, int, str], None] | None = None) -> bytes:
    """The report as .docx bytes (see module doc)."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm

    families = _families(ctx)
    total = 4 + len(families)
    done = 0

    def tick(step: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total, step)

    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.5)
    section.top_margin = section.bottom_margin = Cm(2.5)
    _styles(doc)
    _page_numbers(section)
    _cover(doc, ctx)
    tick("封面")
    _summary(doc, ctx)
    tick("总体情况")
    _heading(doc, f"{NUMERALS[1]}、分项评议", 1, new_page=True)
    with renderer() as png:
        for k, (family, inds) in enumerate(families, start=1):
            _family(doc, ctx, k, family, inds, png)
            tick(family)
    _standards(doc, ctx)
    tick("评议标准及来源")
    _quality(doc, ctx)
    buffer = io.BytesIO()
    doc.save(buffer)
    tick("数据质量说明")
    return buffer.getvalue()


def _styles(doc: Any) -> None:
    """Chinese fonts in every style used (the East Asian font is set separately in Word)."""
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    for name, font_name, size, bold in (("Normal", BODY_FONT, 11, False),
                                        ("Title", HEADING_FONT, 24, True),
                                        ("Heading 1", HEADING_FONT, 16, True),
                                        ("Heading 2", HEADING_FONT, 13, True),
                                        ("Heading 3", HEADING_FONT, 12, True)):
        style = doc.styles[name]
        style.font.name = font_name
        style.font.size = Pt(size)
        style.font.bold = bold
        if name != "Normal":
            style.font.color.rgb = RGBColor(0x22, 0x22, 0x22)
        rpr = style.element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.append(fonts)
        for attr in ("w:eastAsia", "w:ascii", "w:hAnsi"):
            fonts.set(qn(attr), font_name)
    doc.styles["Normal"].paragraph_format.space_after = Pt(4)
    doc.styles["Normal"].paragraph_format.line_spacing = 1.3


def _page_numbers(section: Any) -> None:
    """``第 N 页`` centred in the footer (a PAGE field, updated by Word and LibreOffice)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.add_run("第 ")
    run = p.add_run()
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        run._r.append(el)
    p.add_run(" 页")


def _heading(doc: Any, text: str, level: int, new_page: bool = False) -> Any:
    """A heading kept with what follows it; ``new_page`` starts it on a new page."""
    heading = doc.add_heading(text, level=level)
    heading.paragraph_format.keep_with_next = True
    heading.paragraph_format.page_break_before = new_page
    return heading


def _cover(doc: Any, ctx: Context) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.shared import Pt, RGBColor

    for _ in range(5):
        doc.add_paragraph()
    title = doc.add_paragraph(style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.add_run(ctx.title.replace("评议", "评议报告") if not ctx.title.endswith("报告")
                  else ctx.title)
    doc.add_paragraph()
    ds = ctx.dataset
    cutoff = getattr(ds, "cutoff", None)
    lines = [("评议范围", ctx.scope_zh), ("评议年度", f"{ctx.year} 年"),
             ("数据截止日期", pd.Timestamp(cutoff).strftime("%Y 年 %m 月 %d 日")
              if cutoff is not None and not pd.isna(cutoff) else "未指定"),
             ("生成日期", ctx.generated_at.strftime("%Y 年 %m 月 %d 日"))]
    for label, value in lines:
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = p.add_run(f"{label}：{value}")
        run.font.size = Pt(13)
    if getattr(ds, "is_sample", False):
        doc.add_paragraph()
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = p.add_run("【示例数据】本报告由示例数据生成，仅供演示，不代表任何地区的真实情况。")
        run.font.bold = True
        run.font.color.rgb = RGBColor(0xB3, 0x58, 0x06)
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def _scope_rows(ctx: Context) -> pd.DataFrame:
    t = ctx.ytab
    return t.loc[(t["level"] == ctx.scope.level)
                 & (t["unit_id"].astype("string") == ctx.scope.unit_id)]


def _sentences(ctx: Context) -> dict[str, str]:
    """indicator id → the narrative sentence of the scope unit (indicators.narrative)."""
    from indicators.narrative import narrate

    catalog = {i.id: i for i in ctx.indicators}
    names = {lv: ctx.level_zh(lv) for lv in ctx.dataset.levels}
    try:
        return narrate(ctx.table, ctx.scope.unit_id, ctx.year, catalog, lang="zh",
                       level=ctx.scope.level, level_names=names)
    except (ValueError, KeyError):
        return {}


def _status_of(ind: Any, value: float) -> str:
    status, _ = evaluate(pd.Series([value], dtype="float64"), standard_of(ind))
    return str(status.iloc[0])


def _summary(doc: Any, ctx: Context) -> None:
    _heading(doc, f"{NUMERALS[0]}、总体情况", 1)
    rows = _scope_rows(ctx).set_index(_scope_rows(ctx)["indicator_id"].astype(str))
    with_std = [i for i in ctx.indicators if standard_of(i) is not None and i.id in rows.index]
    statuses = {i.id: _status_of(i, rows.at[i.id, "value"]) for i in with_std}
    meets = [i for i in with_std if statuses[i.id] == PASS]
    fails = [i for i in with_std if statuses[i.id] == FAIL]
    doc.add_paragraph(
        f"{ctx.year} 年，{ctx.scope.unit_name}共评议 {len(ctx.indicators)} 项指标，其中 "
        f"{len(with_std)} 项设有标准：{len(meets)} 项达到标准，{len(fails)} 项未达到标准"
        + ("（" + "、".join(i.name_zh for i in fails) + "）" if fails else "")
        + "。以下逐项说明，未达标的指标在前。")
    sentences = _sentences(ctx)
    ordered = sorted((i for i in ctx.indicators if i.id in sentences),
                     key=lambda i: statuses.get(i.id) != FAIL)
    for ind in ordered:         # each sentence names its indicator
        doc.add_paragraph(sentences[ind.id], style="List Bullet")


def _families(ctx: Context) -> list[tuple[str, list[Any]]]:
    groups: dict[str, list[Any]] = {}
    for ind in ctx.indicators:
        name = FAMILY_ZH.get(getattr(ind, "table", ""), OTHER_FAMILY_ZH) \
            if getattr(ind, "kind", "") != "score" else OTHER_FAMILY_ZH
        groups.setdefault(name, []).append(ind)
    return list(groups.items())


def _child_rows(ctx: Context, ind: Any) -> pd.DataFrame:
    """The units one level below the scope: unit_name, value — best first."""
    level = ctx.scope.levels[0]
    units = ctx.units[level]
    values = wide_values(ctx.ytab, level, units, [ind.id])[ind.id].astype(float).to_numpy()
    rows = pd.DataFrame({"unit_name": units["unit_name"].astype(str).to_numpy(),
                         "value": values})
    rows = rows[rows["value"].notna()]
    return rows.sort_values("value", ascending=ind.direction == "lower", kind="stable")


def _family(doc: Any, ctx: Context, k: int, family: str, inds: list[Any],
            png: Callable[[Any], bytes]) -> None:
    from docx.shared import Cm

    level_zh = ctx.level_zh(ctx.scope.levels[0])
    _heading(doc, f"（{NUMERALS[k - 1]}）{family}", 2)
    panels = [(ind, pick_rows(_child_rows(ctx, ind))) for ind in inds]
    panels = [(ind, rows) for ind, rows in panels if len(rows)]
    if panels:
        title = f"{family}：各{level_zh}指标值（{ctx.year} 年）"
        doc.add_picture(io.BytesIO(png(family_figure(panels, title))), width=Cm(16))
        cap = doc.add_paragraph(
            f"图 {k}　{title}。蓝色＝达到标准，橙色＝未达标准，灰色＝暂无标准；虚线为标准。"
            "数据来源：本数据集各上报文件；口径见“评议标准及来源”与指标说明。")
        cap.runs[0].font.size = _small()
    sentences = _sentences(ctx)
    failing = {ind.id: sel for ind, level, sel in failing_frame(ctx, ctx.scope.levels[:1])}
    for ind in inds:
        p = doc.add_paragraph()
        p.add_run(f"{fmt.header_label(ind)}。").bold = True
        p.add_run(sentences.get(ind.id, "本年无数据。"))
        std = standard_of(ind)
        if std is None:
            continue
        sel = failing.get(ind.id)
        if sel is None or sel.empty:
            doc.add_paragraph(f"各{level_zh}均达到标准（{fmt.standard_label(std)}）。")
            continue
        shown = sel.head(MAX_FAILING_ROWS)
        more = (f"，列出差距最大的 {len(shown)} 个，完整名单见年度评议工作簿“不达标清单”"
                if len(sel) > len(shown) else "")
        doc.add_paragraph(f"未达到标准（{fmt.standard_label(std)}）的{level_zh}共 "
                          f"{len(sel)} 个{more}：")
        _table(doc, [f"{level_zh}", "本年值", "与标准的差距"],
               [[str(r.unit_name), _value_text(ind, r.value),
                 fmt.gap_words(ind, r.gap, std.comparison)] for r in shown.itertuples()],
               widths_cm=[6, 4, 6])


def _value_text(ind: Any, v: float) -> str:
    if v is None or pd.isna(v):
        return "—"
    d = int(getattr(ind, "decimals", 1) or 0)
    if fmt.is_rate(ind):
        return f"{v * 100:.{d}f}%"
    unit = getattr(ind, "unit_zh", "") or ""
    return f"{v:,.{d}f} {unit}".strip()


def _small() -> Any:
    from docx.shared import Pt
    return Pt(9)


def _table(doc: Any, head: list[str], body: list[list[str]], widths_cm: list[float]) -> Any:
    """A plain bordered table with a bold header row repeated on every page."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    table = doc.add_table(rows=1, cols=len(head))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, head):
        cell.text = ""
        run = cell.paragraphs[0].add_run(text)
        run.bold = True
        run.font.size = Pt(10)
    header = table.rows[0]._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    header.append(repeat)
    for values in body:
        cells = table.add_row().cells
        for cell, text in zip(cells, values):
            cell.text = ""
            cell.paragraphs[0].add_run(str(text)).font.size = Pt(10)
    table.autofit = False
    for column, w in zip(table.columns, widths_cm):   # Word reads the grid, LibreOffice cells
        column.width = Cm(w)
    for row in table.rows:
        for cell, w in zip(row.cells, widths_cm):
            cell.width = Cm(w)
    doc.add_paragraph()
    return table


def _standards(doc: Any, ctx: Context) -> None:
    _heading(doc, f"{NUMERALS[2]}、评议标准及来源", 1, new_page=True)
    doc.add_paragraph("判定达标所用的标准均取自公开的政策文件或公开报道中的地方做法，逐项注明出处；"
                      "未设标准的指标只作对比，不判定达标。")
    body = []
    for ind in ctx.indicators:
        std = standard_of(ind)
        if std is None:
            continue
        since = getattr(std, "effective_year", None)
        body.append([fmt.header_label(ind), fmt.standard_label(std)
                     + (f"（自 {since} 年起）" if since else ""),
                     getattr(std, "source_zh", "") or "—"])
    _table(doc, ["指标", "标准", "来源"], body, widths_cm=[4, 3.5, 8.5])


def _quality(doc: Any, ctx: Context) -> None:
    from data.validate import RULE_ZH

    _heading(doc, f"{NUMERALS[3]}、数据质量说明", 1)
    report = ctx.dataset.report
    doc.add_paragraph(
        f"本次评议共读取 {len(report.sources)} 个文件（工作表）、{report.rows_read:,} 行数据："
        f"接受 {report.accepted:,} 行，拒绝 {report.rejected:,} 行，空行 {report.blank:,} 行；"
        "每个文件的行数均按“读取 ＝ 接受 ＋ 拒绝 ＋ 空行”核对。被拒绝的行不参与计算，"
        "明细可在看板“数据质量”页下载并退回填报单位修改。")
    by_table: dict[str, list[int]] = {}
    for s in report.sources:
        row = by_table.setdefault(TABLE_NAMES_ZH.get(s.table, s.table), [0, 0, 0, 0])
        for k, n in enumerate((s.rows_read, s.accepted, s.rejected, s.blank)):
            row[k] += int(n)
    _table(doc, ["数据表", "读取行数", "接受", "拒绝", "空行"],
           [[name, *(f"{n:,}" for n in counts)] for name, counts in by_table.items()],
           widths_cm=[5, 3, 3, 2.5, 2.5])
    rules = Counter(e.rule for s in report.sources for e in s.errors)
    if rules:
        doc.add_paragraph("被拒绝的行按问题类型统计：" + "；".join(
            f"{RULE_ZH.get(rule, '其他问题')} {n:,} 行" for rule, n in rules.most_common()) + "。")
    here = _scope_rows(ctx)
    if "excluded" in here.columns:
        notes = []
        for ind in ctx.indicators:
            rec = here.loc[here["indicator_id"].astype(str) == ind.id]
            if rec.empty or pd.isna(rec["excluded"].iloc[0]) or not rec["excluded"].iloc[0]:
                continue
            notes.append(f"{ind.name_zh}不计入 {float(rec['excluded'].iloc[0]):,.0f} 条记录")
        if notes:
            doc.add_paragraph("计算中按口径排除的记录：" + "；".join(notes)
                              + "（原因见指标说明）。")
