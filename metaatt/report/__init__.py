"""Reports: tables (CSV, Markdown, LaTeX), figures and the reproducible appendix.

Everything here reads finished results; nothing is computed. Tables and appendices made
from SYNTHETIC data say so in their content.

Examples
--------
>>> import metaatt
>>> from metaatt import report
>>> dat = metaatt.datasets.load_raudenbush1985()
>>> res = metaatt.pool(dat.yi, dat.vi, method="REML")
>>> print(report.to_markdown(report.pooled_table(res), digits=4).splitlines()[0][:40])
| model | method | test | k | estimate |
"""

from ._appendix import appendix_html, appendix_markdown, table_title
from ._environment import environment, input_checksums, sha256_file
from ._figures import FigureFile, make_figures, save_figure
from ._methods import methods_paragraph
from ._tables import (
    SYNTHETIC_LABEL,
    as_table,
    pooled_table,
    to_csv,
    to_latex,
    to_markdown,
    write_table,
)

__all__ = [
    "SYNTHETIC_LABEL",
    "FigureFile",
    "appendix_html",
    "appendix_markdown",
    "as_table",
    "environment",
    "input_checksums",
    "make_figures",
    "methods_paragraph",
    "pooled_table",
    "save_figure",
    "sha256_file",
    "table_title",
    "to_csv",
    "to_latex",
    "to_markdown",
    "write_table",
]
