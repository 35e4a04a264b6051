"""Class-based views: ``View`` and ``MethodView``, as in Quart and Flask.

``SomeView.as_view("name")`` makes a view function to register with ``add_url_rule``. The
class says which methods it answers (``methods``, or for a ``MethodView`` the methods it
defines), whether ``OPTIONS`` is answered automatically, and which decorators wrap the view.

``dispatch_request`` is a coroutine method, as in Quart. A subclass may define it, or a
``MethodView``'s ``get``, ``post`` ..., as plain ``def`` methods: they run in a worker
thread. Which ones are plain is found once, when the class is defined, not on each request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from typing import Any, ClassVar, Protocol, cast

from .globals import request
from .sync import is_async_callable, run_sync

#: The methods a ``MethodView`` dispatches to, by their lower-case HTTP names.
http_method_funcs = frozenset(["get", "post", "head", "options", "delete", "put", "trace", "patch"])

# The methods whose kind (coroutine or plain) each class finds once, when it is defined.
_KNOWN_NAMES = ("dispatch_request", *sorted(http_method_funcs))


class AsViewFunction(Protocol):
    """What ``View.as_view`` returns: a view function that knows its class."""

    __name__: str
    #: The class each request is dispatched to (tests may replace it).
    view_class: type[View]
    #: The class's ``methods``.
    methods: Collection[str] | None
    #: The class's ``provide_automatic_options``.
    provide_automatic_options: bool | None

    def __call__(self, **kwargs: Any) -> Awaitable[Any]: ...


class View:
    """A view as a class: subclass it, define ``dispatch_request`` and register
    ``as_view(name)``.

    ``dispatch_request`` gets the URL's values as keyword arguments, like a view function,
    and returns what a view returns.
    """

    #: The methods the view is registered for (``None``: ``GET``, as for a function).
    methods: ClassVar[Collection[str] | None] = None
    #: Whether ``OPTIONS`` is answered automatically (``None``: unless ``methods`` lists it).
    provide_automatic_options: ClassVar[bool | None] = None
    #: Decorators applied in order to the view function ``as_view`` makes (the first one
    #: innermost, as if written last with ``@``).
    decorators: ClassVar[list[Callable[..., Any]]] = []
    #: ``True``: a new instance for each request; ``False``: one instance, made by
    #: ``as_view``, for every request (keep per-request state in ``g``, not on ``self``).
    init_every_request: ClassVar[bool] = True
    # Which of dispatch_request and the HTTP-method methods are coroutine functions.
    _async_names: ClassVar[frozenset[str]] = frozenset({"dispatch_request"})

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._async_names = frozenset(
            name
            for name in _KNOWN_NAMES
            if hasattr(cls, name) and is_async_callable(getattr(cls, name))
        )

    async def dispatch_request(self, *args: Any, **kwargs: Any) -> Any:
        """Answer one request; a subclass defines it, taking the URL's values as keyword
        arguments (any signature: this one is for the type checker).

        Raises:
            NotImplementedError: the subclass did not define it.
        """
        raise NotImplementedError(
            f"{type(self).__name__} must define dispatch_request() (or, as a MethodView, "
            "get(), post() ...)"
        )

    async def _call(self, name: str, kwargs: dict[str, Any]) -> Any:
        method = getattr(self, name)
        # A method for a method name of its own (methods = ["PROPFIND"]) is looked at here.
        if name in self._async_names or (name not in _KNOWN_NAMES and is_async_callable(method)):
            return await method(**kwargs)
        return await run_sync(method)(**kwargs)

    @classmethod
    def as_view(cls, name: str, *class_args: Any, **class_kwargs: Any) -> AsViewFunction:
        """A view function that answers each request with ``dispatch_request`` of an
        instance ``view_class(*class_args, **class_kwargs)``.

        Its ``__name__`` is ``name`` (the endpoint, unless ``add_url_rule`` is given
        another), and it carries the class's ``methods`` and ``provide_automatic_options``
        for ``add_url_rule``.
        """
        if cls.init_every_request:

            async def view(**kwargs: Any) -> Any:
                instance = view_function.view_class(*class_args, **class_kwargs)
                return await instance._call("dispatch_request", kwargs)

        else:
            instance = cls(*class_args, **class_kwargs)

            async def view(**kwargs: Any) -> Any:
                return await instance._call("dispatch_request", kwargs)

        decorated: Callable[..., Any] = view
        if cls.decorators:
            view.__name__ = name
            view.__module__ = cls.__module__
            for decorator in cls.decorators:
                decorated = decorator(decorated)
        view_function = cast("AsViewFunction", decorated)
        view_function.view_class = cls
        view_function.__name__ = name
        decorated.__doc__ = cls.__doc__
        decorated.__module__ = cls.__module__
        view_function.methods = cls.methods
        view_function.provide_automatic_options = cls.provide_automatic_options
        return view_function


class MethodView(View):
    """A view that answers each method with the method of the same name, lower-cased:
    ``get``, ``post`` ...; ``HEAD`` falls back to ``get``.

    ``methods`` is, unless the class sets it, the methods it and its bases define.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "methods" not in cls.__dict__:
            methods: set[str] = set()
            for base in cls.__bases__:
                methods.update(getattr(base, "methods", None) or ())
            methods.update(key.upper() for key in http_method_funcs if hasattr(cls, key))
            if methods:
                cls.methods = methods

    async def dispatch_request(self, **kwargs: Any) -> Any:
        """Call the method named after the request's (``get`` for ``GET``), with the URL's
        values; a plain ``def`` one runs in a worker thread.

        Raises:
            RuntimeError: the class has no method for the request's (it lists the method in
                ``methods`` without defining it).
        """
        name = request.method.lower()
        if name == "head" and not hasattr(self, name):
            name = "get"
        if not hasattr(self, name):
            raise RuntimeError(
                f"{type(self).__name__} has no {name}() method for a {request.method} request; "
                f"define it, or leave {request.method!r} out of its methods."
            )
        return await self._call(name, kwargs)
