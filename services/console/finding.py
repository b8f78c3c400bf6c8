"""Finding a case (issue 18 item 6): the header's search box and its results, ``/search?q=``, and a case
opened by its reference, ``/cases/<reference>``. Intake finds (``GET /complaints?q=``, with the user's token:
only what they may read); the console never sees a detail it did not type."""

from __future__ import annotations

import uuid

from werkzeug.wrappers import Response

from services.console.api import ApiError
from services.console.pages import Ctx, Refused
from shared import auth

RESULTS = 50  # the most results shown; a search this broad asks for more of the value


def is_reference(value: str) -> bool:
    """Whether a case's address names it by reference (anything but a complaint id)."""
    try:
        uuid.UUID(value)
    except ValueError:
        return True
    return False


def search(ctx: Ctx) -> Response:
    """The results of ``q``; one result opens its case at once."""
    ctx.require(auth.COMPLAINT_READERS)
    q = ctx.request.args.get("q", "")
    if not q.strip():
        return ctx.app.render(ctx, "search.html", q=q, results=None)
    try:
        found = ctx.api().get("intake", "/complaints", q=q, limit=RESULTS)["complaints"]
    except ApiError as exc:
        if exc.status != 400:
            raise
        return ctx.app.render(ctx, "search.html", 400, q=q, results=None, problem=ctx.t("search.bad_query"))
    if len(found) == 1:
        return ctx.app.redirect(ctx, f"/cases/{found[0]['complaint_id']}")
    return ctx.app.render(ctx, "search.html", q=q, results=found)


def open_reference(ctx: Ctx, reference: str) -> Response:
    """``/cases/EAST-2026-000123``: the case of that reference (the user's scope: else the console's 404)."""
    ctx.require(auth.COMPLAINT_READERS)
    try:
        found = ctx.api().get("intake", "/complaints", q=reference, limit=RESULTS)["complaints"]
    except ApiError as exc:
        if exc.status != 400:
            raise
        found = []
    named = [c for c in found if "reference" in c.get("matched", [])]
    if not named:
        raise Refused(ctx.t("search.no_reference", reference=reference), 404)
    return ctx.app.redirect(ctx, f"/cases/{named[0]['complaint_id']}")
