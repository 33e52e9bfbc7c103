"""surge.report.html: the self-contained HTML report of runs (and of comparisons).

One file, no external URL: CSS and a small script are inlined, charts are SVG drawn here.
"""

from surge.report.html.compare_report import render_compare_html, write_compare_html
from surge.report.html.run_report import render_html, write_html

__all__ = ["render_compare_html", "render_html", "write_compare_html", "write_html"]
