"""Subdomains: one blueprint per customer subdomain, found under SERVER_NAME."""

from __future__ import annotations

from trioquart import Blueprint, TrioQuart, url_for

app = TrioQuart(__name__, subdomain_matching=True)
app.config["SERVER_NAME"] = "shop.test"


@app.get("/")
async def landing() -> dict[str, str]:
    # A URL on another subdomain is built as an external one.
    return {"acme": url_for("tenant.dashboard", tenant="acme")}


tenant = Blueprint("tenant", __name__, subdomain="<tenant>")


@tenant.get("/")
async def dashboard(tenant: str) -> str:
    return f"dashboard of {tenant}"


app.register_blueprint(tenant)
