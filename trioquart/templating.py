"""Templates: Jinja2 in async mode, loaded from the app's and blueprints' template folders.

Rendering awaits Jinja's async API, so templates may call coroutines. Loading reads files,
which would block the event loop, so a template that is not loaded yet (or, with
``auto_reload``, that may have changed on disk) is loaded in a worker thread; once loaded it
is kept, and later renders do not touch the disk.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Iterable
from typing import TYPE_CHECKING, Any

import jinja2
import trio

from . import signals
from .flashing import get_flashed_messages
from .globals import find_app_context, find_connection_context, g, request, session, websocket
from .helpers import url_for
from .signals import before_render_template, template_rendered

if TYPE_CHECKING:
    from .app import TrioQuart

#: File name endings whose templates are autoescaped (as in Flask).
AUTOESCAPED = (".html", ".htm", ".xml", ".xhtml", ".svg")

TemplateName = str | jinja2.Template | Iterable[str | jinja2.Template]


def autoescape_for(template_name: str | None) -> bool:
    """Whether a template is autoescaped: templates from strings always, files by ending."""
    return template_name is None or template_name.endswith(AUTOESCAPED)


class AppLoader(jinja2.BaseLoader):
    """Finds a template in the app's folder, then in each blueprint's, in registration order."""

    def __init__(self, app: TrioQuart) -> None:
        self.app = app

    def _loaders(self) -> list[jinja2.BaseLoader]:
        scaffolds = [self.app, *self.app.blueprints.values()]
        return [loader for scaffold in scaffolds if (loader := scaffold.jinja_loader)]

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        """The first folder's source of ``template``."""
        for loader in self._loaders():
            try:
                return loader.get_source(environment, template)
            except jinja2.TemplateNotFound:
                continue
        raise jinja2.TemplateNotFound(template)

    def list_templates(self) -> list[str]:
        """Every template name the folders hold."""
        return sorted({name for loader in self._loaders() for name in loader.list_templates()})


class Environment(jinja2.Environment):
    """The app's Jinja environment (``app.jinja_env``): async, with the app's loader and
    the globals templates expect (``url_for``, ``config``, ``get_flashed_messages``)."""

    def __init__(self, app: TrioQuart, **options: Any) -> None:
        self.app = app
        self._auto_reload: bool | None = None
        options.setdefault("autoescape", autoescape_for)
        # None: follow the app's config (TEMPLATES_AUTO_RELOAD, else DEBUG) as it changes.
        options.setdefault("auto_reload", None)
        super().__init__(loader=AppLoader(app), enable_async=True, **options)
        self.globals.update(
            url_for=url_for, get_flashed_messages=get_flashed_messages, config=app.config
        )
        self._loaded: dict[Any, jinja2.Template] = {}
        # The tojson filter encodes with the app's JSON provider (as in Flask), the one it has
        # when the template renders.
        self.policies["json.dumps_function"] = lambda obj, **kwargs: app.json.dumps(obj, **kwargs)

    @property
    def auto_reload(self) -> bool:
        """Whether templates are checked for changes on disk at each render."""
        if self._auto_reload is None:
            return self.app.templates_auto_reload
        return self._auto_reload

    @auto_reload.setter
    def auto_reload(self, value: bool | None) -> None:
        self._auto_reload = value

    async def load(self, name: TemplateName) -> jinja2.Template:
        """The template ``name`` (or the first of a list that exists), read from disk in a
        worker thread when needed.

        Raises:
            jinja2.TemplateNotFound: no folder has it.
        """
        if isinstance(name, jinja2.Template):
            return name
        key = name if isinstance(name, str) else tuple(name)
        template = self._loaded.get(key)
        if template is not None and not self.auto_reload:
            return template
        names = name if isinstance(name, str) else list(name)
        template = await trio.to_thread.run_sync(self.get_or_select_template, names)
        self._loaded[key] = template
        return template


async def render_template(template_name_or_list: TemplateName, **context: Any) -> str:
    """Render the template (the first of a list that exists) with ``context``.

    Raises:
        jinja2.TemplateNotFound: no template folder has it.
    """
    app = _current_app()
    template = await app.jinja_env.load(template_name_or_list)
    return await _render(app, template, await template_context(app, context))


async def render_template_string(source: str, **context: Any) -> str:
    """Render the template ``source`` (autoescaped) with ``context``."""
    app = _current_app()
    template = app.jinja_env.from_string(source)
    return await _render(app, template, await template_context(app, context))


async def stream_template(
    template_name_or_list: TemplateName, **context: Any
) -> AsyncIterator[str]:
    """Render the template piece by piece, for a streamed response: return it from a view.

    The context is made when the first piece is asked for; it is the request's.
    """
    app = _current_app()
    template = await app.jinja_env.load(template_name_or_list)
    return _generate(app, template, await template_context(app, context))


async def stream_template_string(source: str, **context: Any) -> AsyncIterator[str]:
    """Render the template ``source`` piece by piece, for a streamed response."""
    app = _current_app()
    template = app.jinja_env.from_string(source)
    return _generate(app, template, await template_context(app, context))


async def _render(app: TrioQuart, template: jinja2.Template, context: dict[str, Any]) -> str:
    await signals.send(before_render_template, app, template=template, context=context)
    text = await template.render_async(context)
    await signals.send(template_rendered, app, template=template, context=context)
    return text


async def _generate(
    app: TrioQuart, template: jinja2.Template, context: dict[str, Any]
) -> AsyncIterator[str]:
    await signals.send(before_render_template, app, template=template, context=context)
    async for piece in template.generate_async(context):
        yield piece
    await signals.send(template_rendered, app, template=template, context=context)


async def template_context(app: TrioQuart, context: dict[str, Any]) -> dict[str, Any]:
    """``context`` over what the context processors give (the caller's values win): ``g``,
    the request or websocket and the session when there is one, the app's processors, and
    those of the blueprint handling the request."""
    merged: dict[str, Any] = {"g": g}  # callers hold an app context (_current_app)
    connection = find_connection_context()
    if connection is not None:
        merged["session"] = session
        if hasattr(connection, "request"):
            merged["request"] = request
        else:
            merged["websocket"] = websocket
    for processor in app.template_context_processors(_blueprint(connection)):
        result = processor()
        if inspect.isawaitable(result):
            result = await result
        merged.update(result)
    merged.update(context)
    return merged


def _blueprint(connection: Any) -> str | None:
    if connection is None:
        return None
    owner = getattr(connection, "request", None) or getattr(connection, "websocket", None)
    return getattr(owner, "blueprint", None)


def _current_app() -> TrioQuart:
    ctx = find_app_context()
    if ctx is None:
        raise RuntimeError(
            "Rendering a template needs an application context: render in a view, a hook or "
            "a handler, or inside 'async with app.app_context():'."
        )
    return ctx.app
