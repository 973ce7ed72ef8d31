"""Text from input files renders inert (issue 9): a dataset whose names contain
``<img src=x onerror=alert(1)>`` and ``[x](javascript:alert(1))`` shows them as text in the
browser (no image element, no javascript: link, no alert) and writes them as plain text cells
in the workbook. Run headless: ``pytest tests/test_security_browser.py --headless``.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest
import yaml
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By

from layouts import create_app, ids, store

ROOT = Path(__file__).resolve().parent.parent
XSS_IMG = "<img src=x onerror=alert(1)>"
XSS_LINK = "[x](javascript:alert(1))"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """The sample with its name, one community and one street renamed to the hostile strings
    (by the manifest's own replace transform; the workbooks are not edited)."""
    from indicators.pipeline import build

    folder = tmp_path_factory.mktemp("xss") / "sample"
    shutil.copytree(ROOT / "data" / "sample", folder,
                    ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    grids = build(ROOT / "data" / "sample" / "dataset.yaml").dataset.tables["grids"]
    row = grids[grids["district_id"] == "511602"].iloc[0]
    manifest = yaml.safe_load((folder / "dataset.yaml").read_text(encoding="utf-8"))
    manifest["name"] = f"{XSS_IMG} {XSS_LINK}"
    for source in manifest["tables"]["grids"]["sources"]:
        if "community_name" in source["columns"]:
            source.setdefault("transforms", {})
            source["transforms"]["community_name"] = [
                {"replace": [str(row["community_name"]), XSS_IMG]}]
            source["transforms"]["street_name"] = [
                {"replace": [str(row["street_name"]), XSS_LINK]}]
    (folder / "dataset.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True),
                                         encoding="utf-8")
    results = build(folder / "dataset.yaml", use_cache=False)
    names = set(results.dataset.units["unit_name"])
    assert XSS_IMG in names and XSS_LINK in names          # the fixture does what it says
    return results, str(row["street_id"])


def _no_script_ran(driver) -> None:
    assert driver.find_elements(By.CSS_SELECTOR, "img[src='x']") == []
    assert driver.find_elements(By.CSS_SELECTOR, "a[href^='javascript']") == []
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # noqa: B018 - reading it raises when there is none


def test_hostile_names_render_as_text(dash_duo, hostile):
    results, street = hostile
    app = create_app(results)
    dash_duo.start_server(app)
    dash_duo.wait_for_text_to_equal(f"#{ids.DATASET_NAME}", f"{XSS_IMG} {XSS_LINK}", timeout=20)
    _no_script_ran(dash_duo.driver)
    for path in (f"/?unit=street:{street}", f"/compare?level=community&unit=street:{street}",
                 "/quality"):
        dash_duo.driver.get(dash_duo.server_url + path)
        dash_duo.wait_for_element(f"#{ids.DATASET_NAME}", timeout=20)
        dash_duo.wait_for_contains_text("body", XSS_IMG, timeout=20)
        _no_script_ran(dash_duo.driver)
    assert dash_duo.get_logs() == [] or all("alert" not in e["message"]
                                            for e in dash_duo.get_logs())


def test_hostile_names_are_plain_text_in_the_workbook(hostile, tmp_path):
    from reports import write_workbook

    results, _ = hostile
    store.set_results(results)
    years = sorted({p for p in results.table["period"] if len(p) == 4})
    path = write_workbook(results, int(years[-1]), tmp_path / "review.xlsx")
    found = 0
    for sheet in openpyxl.load_workbook(path).worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and ("onerror" in cell.value
                                                    or "javascript:" in cell.value):
                    found += 1
                    assert cell.data_type == "s" and cell.hyperlink is None
    assert found >= 2
