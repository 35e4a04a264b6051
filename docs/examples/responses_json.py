"""JSON written the way one API wants it: a provider of its own for every JSON of the app."""

from __future__ import annotations

import datetime
from typing import Any

from trioquart import TrioQuart
from trioquart.json.provider import DefaultJSONProvider


class APIJSONProvider(DefaultJSONProvider):
    sort_keys = False  # keys in the order the view wrote them
    ensure_ascii = False  # "é" as it is, not "\u00e9"

    @staticmethod
    def default(value: Any) -> Any:
        if isinstance(value, datetime.datetime):
            return value.isoformat()  # ISO 8601 rather than Flask's HTTP date
        return DefaultJSONProvider.default(value)


class API(TrioQuart):
    json_provider_class = APIJSONProvider


app = API(__name__)


@app.get("/launch")
async def launch() -> dict[str, object]:
    when = datetime.datetime(2026, 11, 25, 18, 0, tzinfo=datetime.UTC)
    return {"name": "Café launch", "at": when}
