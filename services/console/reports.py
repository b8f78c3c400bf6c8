"""The console's reports (issue 18 items 10-12): the monthly report from reporting's HTML, for a month and a
campus, now, as of a moment picked in the campus's local time, or as a published version; the month's
published versions with their restatements; CSV and Excel downloads; a print view without the navigation.

Reporting computes and words everything (services/reporting/render.py); the console picks and links."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from werkzeug.wrappers import Response

from services.console import i18n, pages, views
from services.console.api import ApiError
from shared import auth

MONTH = re.compile(r"^\d{4}-\d{2}$")
LOCAL_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S")  # what <input type="datetime-local"> sends
DOWNLOADS = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
FIELDS = {"month": "field.month", "campus": "field.campus", "version": "field.version"}


@dataclass(frozen=True)
class Choice:
    """Which report: a month, a campus ("" for group-wide), and either a moment or a published version."""

    month: str
    campus: str
    zone: str
    as_of_local: str = ""  # as picked, the campus's local time
    version: str = ""

    @property
    def as_of(self) -> str | None:
        """The picked moment as RFC 3339 with the campus's offset; a value that is no moment goes to reporting as
        typed (it answers 400 naming ``as_of``)."""
        if not self.as_of_local:
            return None
        for form in LOCAL_FORMATS:
            try:
                local = datetime.strptime(self.as_of_local, form)
            except ValueError:
                continue
            return local.replace(tzinfo=ZoneInfo(self.zone)).isoformat()
        return self.as_of_local

    def query(self, **extra: Any) -> dict[str, Any]:
        """The console's own query string for this choice (links to itself, downloads, the print view)."""
        values = {"month": self.month, "campus": self.campus, "as_of": self.as_of_local, "version": self.version}
        return {k: v for k, v in {**values, **extra}.items() if v not in (None, "") or k == "campus"}

    def link(self, path: str, **extra: Any) -> str:
        return f"{path}?{urlencode(self.query(**extra))}"


def _options(ctx: pages.Ctx) -> tuple[list[tuple[str, str]], str]:
    who = ctx.who
    options = [(c, ctx.n("campus", c)) for c in ctx.app.hospital.campuses if who.covers(c)]
    if all(who.covers(c) for c in ctx.app.hospital.campuses):
        options.insert(0, ("", ctx.t("reports.group")))  # group-wide figures for who covers every campus
    return options, options[0][0] if options else ""


def zone_of(ctx: pages.Ctx, campus: str) -> str:
    """The campus's time zone; group-wide, the first campus's (reporting dates the group's days alike)."""
    campuses = ctx.app.hospital.campuses
    settings = campuses.get(campus) or next(iter(campuses.values()), {})
    return settings.get("timezone", "Asia/Shanghai")


def zone_name(ctx: pages.Ctx, zone: str) -> str:
    return ctx.t("reports.beijing_time") if zone == "Asia/Shanghai" else zone


def choice(ctx: pages.Ctx, options: list[tuple[str, str]], default_campus: str) -> Choice:
    args = ctx.request.args
    campus = (
        args.get("campus") if "campus" in args and args.get("campus") in {v for v, _ in options} else default_campus
    )
    zone = zone_of(ctx, campus)
    month = args.get("month") or ""
    if not MONTH.match(month):
        month = datetime.now(ZoneInfo(zone)).strftime("%Y-%m")
    return Choice(month, campus, zone, (args.get("as_of") or "").strip(), (args.get("version") or "").strip())


def _report(ctx: pages.Ctx, picked: Choice, fmt: str, **extra: Any) -> Any:
    return ctx.api().get_raw(
        "reporting",
        "/reports/monthly",
        month=picked.month,
        campus=picked.campus or None,
        as_of=picked.as_of,
        version=picked.version or None,
        format=fmt,
        lang=ctx.lang,
        **extra,
    )


def _problem(ctx: pages.Ctx, error: ApiError, zone: str) -> str:
    """Reporting's refusal as a sentence, each bad field by the name the page gives it."""
    if error.status != 400:
        return ctx.explain(error)
    names = {**{k: ctx.t(v) for k, v in FIELDS.items()}, "as_of": ctx.t("reports.as_of", zone=zone_name(ctx, zone))}
    return " ".join(
        f"{names.get(k, k)}: " + " ".join(i18n.field_message(ctx.lang, m) for m in v)
        for k, v in views.field_errors(error.body).items()
    )


def publications(ctx: pages.Ctx, picked: Choice) -> tuple[list[dict[str, Any]], str | None]:
    """The month's published versions of this campus (or the group's), newest first, each with what changed
    since the version before it, named in the reader's words by reporting."""
    try:
        found = ctx.api().get(
            "reporting",
            "/reports/monthly/publications",
            month=picked.month,
            campus=picked.campus or None,
            lang=ctx.lang,
        )["publications"]
    except ApiError as exc:
        if exc.status == 401:
            raise
        return [], ctx.t("reports.publications_unavailable", reason=ctx.explain(exc))
    mine = [p for p in found if (p.get("campus") or "") == picked.campus]
    for publication in mine:
        at = views.parse_time(publication.get("published_at"))
        publication["published_local"] = at.astimezone(ZoneInfo(picked.zone)).strftime("%Y-%m-%d %H:%M") if at else "—"
        publication["link"] = picked.link("/reports", version=publication["version"], as_of="")
    return mine, None


def reports(ctx: pages.Ctx) -> Response:
    ctx.require(auth.REPORT_READERS)
    options, default_campus = _options(ctx)
    picked = choice(ctx, options, default_campus)
    problem, fragment, status = None, None, 200
    try:
        fragment = pages.report_fragment(_report(ctx, picked, "html").text)
    except ApiError as exc:
        if exc.status == 401:
            raise
        problem, status = _problem(ctx, exc, picked.zone), exc.status or 502
    listed, unavailable = publications(ctx, picked)
    return ctx.app.render(
        ctx,
        "reports.html",
        status,
        current="reports",
        picked=picked,
        month=picked.month,
        campus=picked.campus,
        campus_options=options,
        zone=zone_name(ctx, picked.zone),
        report_html=fragment,
        publications=listed,
        publications_problem=unavailable,
        links={
            "csv": picked.link("/reports/monthly.csv"),
            "xlsx": picked.link("/reports/monthly.xlsx"),
            "print": picked.link("/reports/print"),
            "latest": picked.link("/reports", version="", as_of=""),
        },
        problem=problem,
    )


def print_view(ctx: pages.Ctx) -> Response:
    """The monthly report alone, to print: no navigation, no pickers, the report's own headings (one <h1>),
    the daily values' table open."""
    ctx.require(auth.REPORT_READERS)
    options, default_campus = _options(ctx)
    picked = choice(ctx, options, default_campus)
    try:
        page = _report(ctx, picked, "html", printable="true").text
    except ApiError as exc:
        if exc.status == 401:
            raise
        raise pages.Refused(_problem(ctx, exc, picked.zone), exc.status or 502) from None
    values = {"report_html": pages.report_fragment(page, shift_headings=False), "back": picked.link("/reports")}
    return ctx.app.render(ctx, "report_print.html", **values)


def download(ctx: pages.Ctx, fmt: str) -> Response:
    """The report as CSV or as an Excel workbook, passed on as reporting wrote it, in the reader's language."""
    ctx.require(auth.REPORT_READERS)
    options, default_campus = _options(ctx)
    picked = choice(ctx, options, default_campus)
    try:
        answer = _report(ctx, picked, fmt)
    except ApiError as exc:
        if exc.status == 401:
            raise
        raise pages.Refused(_problem(ctx, exc, picked.zone), exc.status or 502) from None
    name = f"complaints-{picked.month}-{picked.campus or 'group'}.{fmt}"
    disposition = answer.headers.get("Content-Disposition") or f'attachment; filename="{name}"'
    response = Response(answer.content, mimetype=DOWNLOADS[fmt], headers={"Content-Disposition": disposition})
    return ctx.app.respond(ctx, response)
