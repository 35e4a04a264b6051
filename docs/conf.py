"""Sphinx configuration for the trioquart user guide (``nox -s docs``)."""

from __future__ import annotations

project = "trioquart"
author = "the trioquart authors"
copyright = "2026, the trioquart authors"

extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.napoleon"]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "examples"]

# Warnings are errors (-W) and every reference must resolve (-n), as in trio.
nitpicky = True
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]

autodoc_typehints = "none"
autodoc_member_order = "bysource"
napoleon_google_docstring = True
napoleon_numpy_docstring = False

html_theme = "alabaster"
html_title = "trioquart"

# No network at build time, so no intersphinx: references to trio, Werkzeug and the standard
# library cannot resolve and are not checked. References to trioquart's own names still are.
nitpick_ignore_regex = [(r"py:.*", r"^(?!trioquart\b).*")]
