"""Nested blueprints and URL processors: a language prefix for a whole part of the site."""

from __future__ import annotations

from typing import Any

from trioquart import Blueprint, TrioQuart, g, request, url_for

# /<lang>/... : the language is taken out of every view's arguments and put back by url_for.
site = Blueprint("site", __name__, url_prefix="/<lang>")


@site.url_value_preprocessor
def pull_lang(endpoint: str | None, values: dict[str, Any] | None) -> None:
    g.lang = values.pop("lang") if values else "en"


@site.url_defaults
def add_lang(endpoint: str, values: dict[str, Any]) -> None:
    values.setdefault("lang", g.lang)


@site.get("/")
async def home() -> dict[str, str]:
    return {"lang": g.lang, "docs": url_for(".docs.page", name="intro")}


# Nested: endpoints "site.docs.<view>", URLs under /<lang>/docs, the site's processors apply.
docs = Blueprint("docs", __name__, url_prefix="/docs")


@docs.before_request
def count_reads() -> None:
    g.reads = g.get("reads", 0) + 1  # a plain def hook: it runs in a worker thread


@docs.get("/<name>")
def page(name: str) -> dict[str, Any]:  # a plain def view runs in a worker thread too
    return {
        "page": name,
        "lang": g.lang,
        "blueprints": request.blueprints,  # ["site.docs", "site"]
        "self": url_for(".page", name=name),
        "french": url_for(".page", name=name, lang="fr"),
    }


site.register_blueprint(docs)

app = TrioQuart(__name__)
app.register_blueprint(site)
# The same blueprint again under another name and prefix: its own endpoints ("beta.home").
app.register_blueprint(site, name="beta", url_prefix="/beta/<lang>")
