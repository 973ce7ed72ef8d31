"""党建引领基层治理指标看板 — command line entry point.

    python app.py                         serve the embedded sample dataset at http://127.0.0.1:8050
    python app.py serve [--host --port]   the dashboard
    python app.py validate [--report F]   print the load report (exit 1 when a file cannot be read)
    python app.py indicators --out F.csv  the tidy indicator table as CSV
    python app.py export --year Y --out F.xlsx [--scope UNIT]   the annual review workbook
    python app.py report --year Y --format docx|pdf [--out F] [--scope UNIT]   the review report
    python app.py template --table T [--scope UNIT] --out F.xlsx   a fill-in template
    python app.py freeze --year Y / unfreeze --year Y   year-end freeze (snapshot beside the dataset)
    python app.py sendback --out DIR [--returned F.xlsx]   rejected rows back to each street office
    python app.py prepare --out DIR       validated tickets as Parquet (DIR/complaints/year=/district=)

serve, indicators and export take ``--engine pandas|duckdb|spark`` (who computes the ticket
measures; default pandas, or $INDICATOR_ENGINE) and ``--spark-master URL`` (default
$SPARK_MASTER or local[*]).

Every command takes ``--dataset PATH/dataset.yaml`` (default: the embedded sample).
"""
from __future__ import annotations

import json
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent
SAMPLE_MANIFEST = ROOT / "data" / "sample" / "dataset.yaml"

#: exactly these columns, in this order, in `indicators --out`
INDICATOR_CSV_COLUMNS = ["level", "unit_id", "unit_name", "period", "indicator_id",
                         "numerator", "denominator", "value", "excluded", "excluded_reason",
                         "provisional"]

dataset_option = click.option(
    "--dataset", "dataset_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=SAMPLE_MANIFEST, show_default="data/sample/dataset.yaml",
    help="数据集清单 dataset.yaml 的路径 / path to the dataset manifest")


ENGINE_CHOICES = ("pandas", "duckdb", "spark")    # = indicators.measures.ENGINES


def engine_options(command):
    """``--engine`` and ``--spark-master`` for a command that computes indicators; they set
    $INDICATOR_ENGINE / $SPARK_MASTER, which ``indicators.pipeline.build`` and
    ``indicators.engine_spark`` read (so the server's reloads and uploads use them too)."""
    command = click.option(
        "--spark-master", "spark_master", default=None, envvar="SPARK_MASTER",
        help="Spark 主节点地址（默认 local[*]，本机全部核心）/ Spark master URL")(command)
    return click.option(
        "--engine", type=click.Choice(ENGINE_CHOICES), default=None, envvar="INDICATOR_ENGINE",
        show_default="pandas",
        help="工单度量的计算引擎 / who computes the ticket measures")(command)


def _use_engine(engine: str | None, spark_master: str | None) -> None:
    import os
    if engine:
        os.environ["INDICATOR_ENGINE"] = engine
    if spark_master:
        os.environ["SPARK_MASTER"] = spark_master


def _say(message: str) -> None:
    click.echo(message, err=True)


class UserError(click.ClickException):
    """A problem the user can fix: printed as one Chinese line, exit code 1."""

    def show(self, file=None) -> None:
        click.echo(f"错误：{self.format_message()}", err=True)


@contextmanager
def _clear_errors():
    """Turn the errors a user can fix (a wrong manifest, a bad standard, an unknown year or
    scope) into a one-line message and exit code 1 instead of a traceback."""
    try:
        yield
    except (ValueError, OSError) as exc:       # ManifestError is a ValueError
        raise UserError(str(exc)) from exc
    except ImportError as exc:                  # --engine spark without pyspark
        raise UserError(f"所选计算引擎未安装（{exc.name or exc}）：请安装 requirements-spark.txt，"
                        "或改用 pandas 引擎。") from exc
    except Exception as exc:                    # Spark / Java errors: one line, not a traceback
        if type(exc).__module__.split(".")[0] not in ("pyspark", "py4j"):
            raise
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        raise UserError(f"Spark 计算失败（请检查 Java 17 与 Spark 主节点地址）：{first}") from exc


def _build(dataset_path: Path, published: bool = True):
    """Load the dataset and compute the indicator table, reporting progress on stderr.
    ``published``: frozen years come from their snapshot (indicators.freeze)."""
    from indicators.freeze import build_live, build_published

    build = build_published if published else build_live

    _say(f"正在读取数据集 {dataset_path} …")
    started = time.perf_counter()
    with _clear_errors():
        results = build(dataset_path)
    report = results.dataset.report
    _say(f"读取完成：{report.rows_read:,} 行，接收 {report.accepted:,}，拒收 {report.rejected:,}，"
         f"空行 {report.blank:,}"
         + (f"，合计/说明/模板行 {report.summary + report.notes + report.template:,}"
            if report.summary + report.notes + report.template else "")
         + f"；指标 {results.table_rows:,} 行；用时 {time.perf_counter() - started:.1f} 秒")
    for fatal in report.fatal:
        _say(f"无法读取 {fatal['file']}：{fatal['message']}")
    for year, meta in sorted(getattr(results, "frozen", {}).items()):
        n = len(results.freeze_differences.get(year, ()))
        _say(f"{year} 年已锁定（{str(meta.get('frozen_at', ''))[:10]}），使用锁定时的数字"
             + (f"；锁定后有 {n:,} 项指标值发生变动" if n else ""))
    return results


@click.group(invoke_without_command=True)
@click.pass_context
def cli(ctx: click.Context) -> None:
    """党建引领基层治理指标看板 (community-governance indicators dashboard)."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(serve)


@cli.command()
@dataset_option
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址 / address to listen on")
@click.option("--port", default=8050, show_default=True, type=int, help="端口 / port")
@click.option("--debug/--no-debug", default=False, help="Dash 调试模式（仅限开发）/ developer mode")
@click.option("--users", "users_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="用户文件（启用登录和按单位授权，需环境变量 SECRET_KEY）/ users file")
@engine_options
def serve(dataset_path: Path = SAMPLE_MANIFEST, host: str = "127.0.0.1", port: int = 8050,
          debug: bool = False, users_path: Path | None = None, engine: str | None = None,
          spark_master: str | None = None) -> None:
    """启动看板 / serve the dashboard (development server; production: see README 部署)."""
    import os

    _use_engine(engine, spark_master)

    from server.auth import LOOPBACK
    from server.wsgi import StartupError, create_server_app

    if users_path is None and host not in LOOPBACK and host != "localhost":
        raise UserError(f"未提供用户文件（--users）时只能在本机 127.0.0.1 上提供服务，拒绝监听 {host}。")
    if users_path is not None and debug:
        raise UserError("启用账号时不能使用 --debug（调试模式会把错误详情发给浏览器）。")
    _say(f"正在读取数据集 {dataset_path} …")

    def make_app():
        return create_server_app(dataset_path, users_path, os.environ.get("SECRET_KEY"))

    if users_path is None:
        _say("未提供用户文件：不要求登录，仅限本机访问（127.0.0.1）。")
    if debug:
        with _clear_errors():
            try:
                app = make_app()
            except StartupError as exc:
                raise UserError(str(exc)) from exc
        _say(f"看板已启动：http://{host}:{port}/ （按 Ctrl+C 停止）")
        app.run(host=host, port=port, debug=debug)
        return
    # listen at once: the browser shows the loading progress while the data load
    from layouts.loading import serve_while_loading

    _say(f"看板地址：http://{host}:{port}/ （数据载入期间浏览器显示进度；按 Ctrl+C 停止）")
    with _clear_errors():
        try:
            serve_while_loading(make_app, host, port, _say)
        except StartupError as exc:
            raise UserError(str(exc)) from exc


@cli.command()
@dataset_option
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path),
              help="把载入报告写成 JSON / write the load report as JSON")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
def validate(dataset_path: Path, report_path: Path | None, lang: str) -> None:
    """检查数据并打印载入报告 / check the files and print the load report."""
    from data import load_dataset
    from data.report import format_report

    with _clear_errors():
        dataset = load_dataset(dataset_path)
    click.echo(format_report(dataset.report, lang=lang))
    if report_path is not None:
        report_path.write_text(json.dumps(dataset.report.to_dict(), ensure_ascii=False, indent=2),
                               encoding="utf-8")
        _say(f"载入报告已写入 {report_path}")
    if dataset.report.fatal:
        sys.exit(1)


@cli.command("indicators")
@dataset_option
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="输出 CSV 路径 / output CSV")
@click.option("--period", type=click.Choice(["year", "month", "all"]), default="year",
              show_default=True, help="年度或月度 / yearly or monthly rows")
@engine_options
def indicators_cmd(dataset_path: Path, out_path: Path, period: str, engine: str | None = None,
                   spark_master: str | None = None) -> None:
    """写出指标长表 CSV / write the tidy indicator table."""
    _use_engine(engine, spark_master)
    results = _build(dataset_path)
    table = results.table
    is_month = table["period"].str.len() > 4
    if period == "year":
        table = table[~is_month]
    elif period == "month":
        table = table[is_month]
    table[INDICATOR_CSV_COLUMNS].to_csv(out_path, index=False, encoding="utf-8")
    _say(f"已写出 {len(table):,} 行到 {out_path}")


@cli.command()
@dataset_option
@click.option("--year", type=int, help="评议年度（默认最新年度）/ review year (default: latest)")
@click.option("--scope", default=None, help="范围：某区县或街道的编号（默认全部）/ unit id")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="输出 .xlsx 路径 / output workbook")
@engine_options
def export(dataset_path: Path, year: int | None, scope: str | None, out_path: Path,
           engine: str | None = None, spark_master: str | None = None) -> None:
    """导出年度评议工作簿 / export the annual review workbook."""
    from reports import write_workbook

    _use_engine(engine, spark_master)
    results = _build(dataset_path)
    years = sorted({int(p) for p in results.table["period"].unique() if len(p) == 4})
    if not years:
        raise UserError("数据集中没有任何年度指标，无法导出。")
    year = year or years[-1]
    if year not in years:
        raise UserError(f"数据集中没有 {year} 年的数据；可选年度：{', '.join(map(str, years))}")
    if scope is not None and scope not in set(results.dataset.units["unit_id"]):
        raise UserError(f"找不到范围单位“{scope}”。")
    started = time.perf_counter()
    with _clear_errors():
        path = write_workbook(results, year, out_path, scope=scope)
    _say(f"工作簿已写出：{path}（{time.perf_counter() - started:.1f} 秒）")


@cli.command()
@dataset_option
@click.option("--year", type=int, help="评议年度（默认最新年度）/ review year (default: latest)")
@click.option("--scope", default=None, help="范围：某区县或街道的编号（默认全部）/ unit id")
@click.option("--format", "fmt", type=click.Choice(["docx", "pdf"]), default="docx",
              show_default=True, help="Word 或 PDF / Word or PDF")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path),
              help="输出路径（默认 年度评议报告_<年度>.<格式>）/ output file")
def report(dataset_path: Path, year: int | None, scope: str | None, fmt: str,
           out_path: Path | None) -> None:
    """生成年度评议报告（Word 或 PDF）/ write the annual review report (.docx or .pdf)."""
    from reports.review import write_report

    results = _build(dataset_path)
    years = sorted({int(p) for p in results.table["period"].unique() if len(p) == 4})
    if not years:
        raise UserError("数据集中没有任何年度指标，无法生成报告。")
    year = year or years[-1]
    if year not in years:
        raise UserError(f"数据集中没有 {year} 年的数据；可选年度：{', '.join(map(str, years))}")
    if scope is not None and scope not in set(results.dataset.units["unit_id"]):
        raise UserError(f"找不到范围单位“{scope}”。")
    out_path = out_path or Path(f"年度评议报告_{year}.{fmt}")
    started = time.perf_counter()

    def progress(done: int, total: int, step: str) -> None:
        _say(f"  [{done}/{total}] {step}")

    with _clear_errors():
        try:
            path = write_report(results, year, out_path, scope=scope, format=fmt,
                                progress=progress)
        except RuntimeError as exc:        # charts or PDF could not be made: say why
            raise UserError(str(exc)) from exc
    _say(f"报告已写出：{path}（{time.perf_counter() - started:.1f} 秒）")


@cli.command()
@dataset_option
@click.option("--out", "out_dir", required=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="输出文件夹 / output folder")
def prepare(dataset_path: Path, out_dir: Path) -> None:
    """把检查通过的工单写成分区 Parquet 文件夹（year=/district=）/ validated tickets as Parquet."""
    from data import load_dataset
    from data.prepared import write_tickets

    _say(f"正在读取数据集 {dataset_path} …")
    started = time.perf_counter()
    with _clear_errors():
        dataset = load_dataset(dataset_path)
        folder = write_tickets(dataset, out_dir)
    from data.model import LEVEL_NAMES_ZH
    n = int(dataset.tables["complaints"]["received_at"].notna().sum())
    top = {**LEVEL_NAMES_ZH, **(dataset.level_names or {})}.get(dataset.levels[0], "最高层级")
    _say(f"已写出 {n:,} 件工单到 {folder}（按年度和{top}分区；"
         f"用时 {time.perf_counter() - started:.1f} 秒）")


@cli.command("template")
@dataset_option
@click.option("--table", required=True,
              type=click.Choice(["grids", "stations", "volunteer_hours", "complaints"]),
              help="哪张表 / which table")
@click.option("--scope", default=None, help="填报单位编号：预填其网格或只列其单位代码 / unit id")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="输出 .xlsx 路径 / output workbook")
def template_cmd(dataset_path: Path, table: str, scope: str | None, out_path: Path) -> None:
    """生成填报模板 / write a fill-in template for one table."""
    from data import load_dataset
    from data.manifest import load_manifest
    from reports.template import write_template

    with _clear_errors():
        manifest = load_manifest(dataset_path)
        units = None
        if scope is not None:
            _say(f"正在读取网格台账以确定「{scope}」下的单位 …")
            units = load_dataset(dataset_path).units
        path = write_template(manifest, table, out_path, units=units, scope=scope)
    _say(f"填报模板已写出：{path}")



@cli.command("freeze")
@dataset_option
@click.option("--year", type=int, required=True, help="要锁定的年度 / year to freeze")
@click.option("--by", default="", help="操作人 / who freezes")
def freeze_cmd(dataset_path: Path, year: int, by: str) -> None:
    """年度锁定：保存该年度的指标、载入报告、文件指纹、指标目录和标准 / freeze a year."""
    from indicators.freeze import freeze_year, frozen_root

    results = _build(dataset_path, published=False)
    with _clear_errors():
        meta = freeze_year(results, year, by=by)
    _say(f"{year} 年已锁定：{meta['rows']:,} 行指标（{meta['indicators']} 项指标），"
         f"保存在 {frozen_root(dataset_path) / str(year)}")


@cli.command("unfreeze")
@dataset_option
@click.option("--year", type=int, required=True, help="要解除锁定的年度 / year to unfreeze")
@click.option("--by", default="", help="操作人 / who unfreezes")
@click.option("--reason", default="", help="原因 / why")
def unfreeze_cmd(dataset_path: Path, year: int, by: str, reason: str) -> None:
    """解除年度锁定（记录在案，原锁定数据保留）/ unfreeze a year (recorded, snapshot kept)."""
    from indicators.freeze import unfreeze_year

    with _clear_errors():
        kept = unfreeze_year(dataset_path, year, by=by, reason=reason)
    _say(f"{year} 年已解除锁定；原锁定数据保留在 {kept}")



@cli.command("sendback")
@dataset_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="输出文件夹：每个街道一个退回修改工作簿，另加一个压缩包 / output folder")
@click.option("--level", default=None, help="责任单位层级（默认街道）/ level of the responsible unit")
@click.option("--returned", "returned", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="核对一个改好后发回的退回修改工作簿 / check a returned workbook")
def sendback_cmd(dataset_path: Path, out_dir: Path | None, level: str | None,
                 returned: Path | None) -> None:
    """退回修改：按街道写出被拒收的行，或核对发回的修改 / send rejected rows back, or check a return."""
    from data import load_dataset
    from reports.sendback import match_returned, write_sendback

    if out_dir is None and returned is None:
        raise UserError("请用 --out 指定输出文件夹，或用 --returned 指定发回的工作簿。")
    _say(f"正在读取数据集 {dataset_path} …")
    with _clear_errors():
        dataset = load_dataset(dataset_path)
        if returned is not None:
            matched = match_returned(dataset, returned)
            for row in matched.itertuples():
                state = "已改好" if row.fixed else f"仍有问题：{row.reasons}"
                where = f"{row.file}" + (f"［{row.sheet}］" if row.sheet else "")
                note = "" if row.matched else "（当前载入报告中该行未被拒收）"
                click.echo(f"{where} 第 {row.excel_row} 行：{state}{note}")
            _say(f"共 {len(matched):,} 行，已改好 {int(matched['fixed'].sum()):,} 行。")
            return
        result = write_sendback(dataset, out_dir, level=level)
    if not result.units:
        _say("没有被拒收的数据行，无需退回。")
        return
    for item in result.units:
        _say(f"{item['unit_name']}：{item['rows']:,} 行 → {item['path']}")
    _say(f"压缩包：{result.zip_path}")


if __name__ == "__main__":
    cli()
