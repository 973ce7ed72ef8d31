"""Component ids of the dashboard, in one place.

Page modules and tests import ids from here; no id string is typed twice. Ids are prefixed by
their page (``ov-`` overview, ``cmp-`` compare, ``tr-`` trends) so two pages never collide in
the callback graph.
"""
from __future__ import annotations

#: The language of the page being shown is kept in a per-page dcc.Store (OV_LANG, CMP_LANG,
#: TR_LANG).

# Shared --------------------------------------------------------------------------------
HEADER = "header"
SAMPLE_BADGE = "sample-badge"
DATASET_NAME = "dataset-name"
NAV = "nav"
#: pattern-matching id type of a KPI card: {"type": KPI_CARD, "indicator": <indicator id>}
KPI_CARD = "kpi-card"

# Indicator page (指标详情) ----------------------------------------------------------------
IND_NAV = "ind-nav"
IND_LANG = "ind-lang"
IND_LANG_SWITCH = "ind-lang-switch"
IND_TITLE = "ind-title"
IND_INDICATOR = "ind-indicator"
IND_YEAR = "ind-year"
IND_UNIT = "ind-unit"
IND_CONTENT = "ind-content"
IND_META = "ind-meta"
IND_YEARS_GRAPH = "ind-years-graph"
IND_RANKING = "ind-ranking"
IND_MAP = "ind-map"
IND_DOWNLOAD = "ind-download"
IND_DOWNLOAD_CSV = "ind-download-csv"
IND_DOWNLOAD_XLSX = "ind-download-xlsx"

# Export page: the Word / PDF report -------------------------------------------------------
EXP_REPORT_FORMAT = "exp-report-format"
EXP_REPORT_BUTTON = "exp-report-button"
EXP_REPORT_PROGRESS = "exp-report-progress"
EXP_REPORT_PROGRESS_BOX = "exp-report-progress-box"
EXP_REPORT_STATUS = "exp-report-status"
EXP_REPORT_DOWNLOAD = "exp-report-download"

# Page not found (404) ------------------------------------------------------------------
NF_LANG_SWITCH = "nf-lang-switch"
NF_LINKS = "nf-links"

# Overview (概览) -------------------------------------------------------------------------
OV_YEAR = "ov-year"
OV_UNIT = "ov-unit"
OV_CARDS = "ov-cards"
OV_URL = "ov-url"
OV_LANG = "ov-lang"
OV_LANG_SWITCH = "ov-lang-switch"
OV_SUMMARY = "ov-summary"
OV_MATRIX = "ov-matrix"
OV_MATRIX_BOX = "ov-matrix-box"
OV_BREADCRUMB = "ov-breadcrumb"
OV_NARRATIVE = "ov-narrative"

# Compare (比较) --------------------------------------------------------------------------
CMP_INDICATOR = "cmp-indicator"
CMP_LEVEL = "cmp-level"
CMP_YEAR = "cmp-year"
CMP_SCOPE = "cmp-scope"
CMP_TOP_N = "cmp-top-n"
CMP_SEARCH = "cmp-search"
CMP_GRAPH = "cmp-graph"
#: the compare table as printed (a plain table, shown only on paper)
CMP_PRINT_TABLE = "cmp-print-table"
#: downloads of exactly what the bar chart draws
CMP_CHART_CSV = "cmp-chart-csv"
CMP_CHART_XLSX = "cmp-chart-xlsx"
CMP_CHART_DOWNLOAD = "cmp-chart-download"
CMP_GRID = "cmp-grid"
CMP_URL = "cmp-url"
CMP_LANG = "cmp-lang"
CMP_LANG_SWITCH = "cmp-lang-switch"
CMP_NOTE = "cmp-note"
CMP_DEFINITION = "cmp-definition"
CMP_VS = "cmp-vs"
CMP_SCATTER = "cmp-scatter"
CMP_SCATTER_BOX = "cmp-scatter-box"
CMP_MATRIX = "cmp-matrix"
CMP_MATRIX_BOX = "cmp-matrix-box"
CMP_BREADCRUMB = "cmp-breadcrumb"
CMP_DOWNLOAD_CSV = "cmp-download-csv"
CMP_DOWNLOAD_XLSX = "cmp-download-xlsx"
CMP_DOWNLOAD = "cmp-download"
CMP_DOWNLOAD_NOTE = "cmp-download-note"

# Trends (趋势) ---------------------------------------------------------------------------
TR_INDICATOR = "tr-indicator"
TR_UNIT = "tr-unit"
TR_YEAR = "tr-year"
TR_GRAPH = "tr-graph"
TR_NOTE = "tr-note"
TR_URL = "tr-url"
TR_LANG = "tr-lang"
TR_LANG_SWITCH = "tr-lang-switch"
TR_VIEW = "tr-view"

# Data quality (数据质量) -----------------------------------------------------------------
DQ_SUMMARY = "dq-summary"
DQ_SOURCES = "dq-sources"
DQ_ERRORS = "dq-errors"
DQ_DOWNLOAD_BUTTON = "dq-download-button"
DQ_DOWNLOAD = "dq-download"
DQ_REJECTED_BUTTON = "dq-rejected-button"
DQ_REJECTED_DOWNLOAD = "dq-rejected-download"
DQ_DOWNLOAD_NOTE = "dq-download-note"
DQ_LANG = "dq-lang"
DQ_LANG_SWITCH = "dq-lang-switch"
DQ_URL = "dq-url"
DQ_LEVEL = "dq-level"
DQ_YEAR = "dq-year"
DQ_UNITS = "dq-units"
DQ_FINDINGS = "dq-findings"

# Indicator catalog (指标说明) ------------------------------------------------------------
CAT_TABLE = "cat-table"
CAT_LANG_SWITCH = "cat-lang-switch"

# Export (导出) ---------------------------------------------------------------------------
EXP_YEAR = "exp-year"
EXP_SCOPE = "exp-scope"
EXP_BUTTON = "exp-button"
EXP_CANCEL = "exp-cancel"
EXP_PROGRESS = "exp-progress"
EXP_PROGRESS_BOX = "exp-progress-box"
EXP_STATUS = "exp-status"
EXP_DOWNLOAD = "exp-download"
EXP_LANG = "exp-lang"
EXP_LANG_SWITCH = "exp-lang-switch"

# Map (地图) ------------------------------------------------------------------------------
MAP_INDICATOR = "map-indicator"
MAP_LEVEL = "map-level"
MAP_YEAR = "map-year"
MAP_SCOPE = "map-scope"
MAP_RADIUS = "map-radius"
MAP_TYPES = "map-types"
MAP_LAYERS = "map-layers"
MAP_GRAPH = "map-graph"
MAP_NOTE = "map-note"
MAP_PANEL = "map-panel"
MAP_URL = "map-url"
#: dcc.Location(refresh="callback-nav") opening a unit's overview from a click on the map
MAP_NAV = "map-nav"
MAP_LANG = "map-lang"
MAP_LANG_SWITCH = "map-lang-switch"

# Upload page (server/, issue 9)
UP_LANG = "up-lang"
UP_LANG_SWITCH = "up-lang-switch"
UP_TARGET = "up-target"
UP_FILE = "up-file"
UP_RESULT = "up-result"
UP_STATUS = "up-status"

# Progress (上报进度, yearly cycle) ------------------------------------------------------------
PG_LANG = "pg-lang"
PG_LANG_SWITCH = "pg-lang-switch"
PG_TABLE = "pg-table"
PG_FROZEN = "pg-frozen"
PG_FREEZE_YEAR = "pg-freeze-year"
PG_FREEZE_BUTTON = "pg-freeze-button"
PG_UNFREEZE_YEAR = "pg-unfreeze-year"
PG_UNFREEZE_REASON = "pg-unfreeze-reason"
PG_UNFREEZE_BUTTON = "pg-unfreeze-button"
PG_FREEZE_RESULT = "pg-freeze-result"
PG_TEMPLATE_TABLE = "pg-template-table"
PG_TEMPLATE_SCOPE = "pg-template-scope"
PG_TEMPLATE_BUTTON = "pg-template-button"
PG_TEMPLATE_DOWNLOAD = "pg-template-download"
PG_TEMPLATE_ERROR = "pg-template-error"
PG_SENDBACK_BUTTON = "pg-sendback-button"
PG_SENDBACK_DOWNLOAD = "pg-sendback-download"
PG_SENDBACK_ERROR = "pg-sendback-error"
PG_BOUNDARIES = "pg-boundaries"
PG_REGISTER = "pg-register"
