"""The web console: the pages people use to work on complaints, on port 8000 (``CONSOLE_PORT``).
Entrypoints only: the pages are in pages.py, what they show in views.py, the words in i18n.py.

It owns no complaint data and no database: every page is made from the other services' HTTP APIs,
called with the signed-in user's bearer token. Its pages are ``public`` for the shared HTTP entrypoint:
the console keeps its own session (a signed cookie holding the token) and sends the signed-out to sign in.
"""

from __future__ import annotations

import functools
import logging
import mimetypes
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from services.console import finding, pages, print_view, session
from services.console import reports as report_pages
from services.console.api import ApiError
from services.console.settings import UPLOAD_MAX_BYTES, Settings
from shared import config, metrics
from shared.web import http, json_response

log = logging.getLogger(__name__)
SERVICE = config.CONSOLE
APP = pages.App(Settings.from_env(), config.load_hospital())
STATIC_FILES = {
    "htmx.min.js",
    "htmx.LICENSE",
    "console.css",
    "drafts.js",
    "forms.js",
    "extension.js",
    "print.css",
    "print.js",
    "worklist.js",
}

Page = Callable[..., Response]


def page(handler: Callable[..., Response]) -> Page:
    """Runs a page with the request's context; what goes wrong becomes a page a person can read."""

    @functools.wraps(handler)
    def run(self: Any, request: Request, **params: Any) -> Response:
        ctx = APP.context(request)
        try:
            return handler(ctx, **params)
        except pages.NeedSignIn:
            return _to_sign_in(ctx, None)
        except pages.Refused as exc:
            return pages.error_page(ctx, exc.sentence, exc.status)
        except ApiError as exc:
            if exc.status == 401:  # the token expired or was revoked: the session is over
                return _to_sign_in(ctx, ctx.t("login.session_ended"))
            return pages.error_page(ctx, ctx.explain(exc), exc.status if exc.status >= 400 else 502)
        except Exception:
            log.exception("console page %s failed", request.path)
            return pages.error_page(ctx, ctx.t("error.internal"), 500)

    return run


def _to_sign_in(ctx: pages.Ctx, notice: str | None) -> Response:
    """To the sign-in page, and back to this page afterwards (the page, never a fragment of it; a form's POST
    cannot be replayed, but the browser keeps its text: static/drafts.js). A session that expired is said to
    have expired; the timeline's poll stops and says so instead of turning the page into the sign-in."""
    expired = notice is not None or ctx.request.cookies.get(pages.SEEN_COOKIE) == "1"
    ctx.principal, ctx.token = None, None
    if notice:  # the session's token expired or was revoked
        ctx.cookies.append(session.clear_cookie_header(session.SESSION_COOKIE, APP.settings.cookie_secure))
    query = {"next": pages.return_path(ctx.request)}
    if expired:
        query["expired"] = "1"
    target = "/login?" + urlencode(query)
    if pages.is_poll(ctx.request):  # htmx stops polling on 286; the banner links to the sign-in
        return pages.session_expired_banner(ctx, target, status=286)
    if ctx.request.headers.get("HX-Request"):  # a whole new page, not a fragment swapped into this one
        return APP.respond(ctx, Response("", status=200, headers={"HX-Redirect": target}))
    return APP.respond(ctx, Response("", status=303, headers={"Location": target}))


class Service:
    name = SERVICE
    html_errors = True  # an unknown page or method: a browser gets HTML, an API client JSON (shared/httpserver.py)

    # -- sign-in ------------------------------------------------------------------------------------
    @http("GET", "/login", public=True)
    @page
    def login(ctx: pages.Ctx) -> Response:
        args = ctx.request.args
        notice = ctx.t("login.signed_out") if args.get("signed_out") else None
        if args.get("expired"):
            notice = ctx.t("login.session_ended")
        return pages.login_page(ctx, notice=notice)

    @http("POST", "/login/demo", public=True)
    @page
    def login_demo(ctx: pages.Ctx) -> Response:
        return pages.login_demo(ctx)

    @http("GET", "/login/oidc", public=True)
    @page
    def login_oidc(ctx: pages.Ctx) -> Response:
        return pages.oidc_start(ctx)

    @http("GET", "/login/oidc/callback", public=True)
    @page
    def login_oidc_callback(ctx: pages.Ctx) -> Response:
        return pages.oidc_callback(ctx)

    @http("POST", "/logout", public=True)
    @page
    def logout(ctx: pages.Ctx) -> Response:
        return pages.logout(ctx)

    @http("POST", "/language", public=True)
    @page
    def language(ctx: pages.Ctx) -> Response:
        return pages.set_language(ctx)

    # -- pages --------------------------------------------------------------------------------------
    @http("GET", "/", public=True)
    @page
    def index(ctx: pages.Ctx) -> Response:
        return pages.index(ctx)

    @http("GET", "/register", public=True)
    @page
    def register(ctx: pages.Ctx) -> Response:
        return pages.register_form(ctx)

    @http("POST", "/register", public=True)
    @page
    def register_submit(ctx: pages.Ctx) -> Response:
        return pages.register_submit(ctx)

    @http("GET", "/complaints/<string:complaint_id>/registered", public=True)
    @page
    def registered(ctx: pages.Ctx, complaint_id: str) -> Response:
        return pages.registered(ctx, complaint_id)

    @http("POST", "/complaints/<string:complaint_id>/resolve", public=True)
    @page
    def resolve(ctx: pages.Ctx, complaint_id: str) -> Response:
        return pages.resolve_on_spot(ctx, complaint_id)

    @http("GET", "/worklist", public=True)
    @page
    def worklist(ctx: pages.Ctx) -> Response:
        return pages.worklist(ctx)

    @http("GET", "/cases/<string:complaint_id>", public=True)
    @page
    def case(ctx: pages.Ctx, complaint_id: str) -> Response:
        if finding.is_reference(complaint_id):  # /cases/EAST-2026-000123: to the case of that reference
            return finding.open_reference(ctx, complaint_id)
        return pages.case_page(ctx, complaint_id)

    @http("GET", "/search", public=True)
    @page
    def search(ctx: pages.Ctx) -> Response:
        return finding.search(ctx)

    @http("GET", "/cases/<string:complaint_id>/print", public=True)
    @page
    def case_print(ctx: pages.Ctx, complaint_id: str) -> Response:
        return print_view.case_print(ctx, complaint_id)

    @http("GET", "/cases/<string:complaint_id>/timeline", public=True)
    @page
    def case_timeline(ctx: pages.Ctx, complaint_id: str) -> Response:
        return pages.case_timeline(ctx, complaint_id)

    @http("GET", "/cases/<string:complaint_id>/dossier.pdf", public=True)
    @page
    def case_dossier_pdf(ctx: pages.Ctx, complaint_id: str) -> Response:
        return pages.dossier(ctx, complaint_id, "pdf")

    @http("GET", "/cases/<string:complaint_id>/dossier.json", public=True)
    @page
    def case_dossier_json(ctx: pages.Ctx, complaint_id: str) -> Response:
        return pages.dossier(ctx, complaint_id, "json")

    @http("POST", "/cases/<string:complaint_id>/actions/<string:action>", public=True)
    @page
    def case_action(ctx: pages.Ctx, complaint_id: str, action: str) -> Response:
        return pages.case_action(ctx, complaint_id, action)

    @http("POST", "/cases/<string:complaint_id>/attachments", public=True, stream_limit=UPLOAD_MAX_BYTES)
    @page
    def case_attachment_upload(ctx: pages.Ctx, complaint_id: str) -> Response:
        return pages.upload_attachment(ctx, complaint_id)

    @http("GET", "/cases/<string:complaint_id>/attachments/<string:attachment_id>", public=True)
    @page
    def case_attachment(ctx: pages.Ctx, complaint_id: str, attachment_id: str) -> Response:
        return pages.download_attachment(ctx, complaint_id, attachment_id)

    @http("GET", "/reports", public=True)
    @page
    def reports(ctx: pages.Ctx) -> Response:
        return report_pages.reports(ctx)

    @http("GET", "/reports/print", public=True)
    @page
    def report_print(ctx: pages.Ctx) -> Response:
        return report_pages.print_view(ctx)

    @http("GET", "/reports/monthly.csv", public=True)
    @page
    def report_csv(ctx: pages.Ctx) -> Response:
        return report_pages.download(ctx, "csv")

    @http("GET", "/reports/monthly.xlsx", public=True)
    @page
    def report_xlsx(ctx: pages.Ctx) -> Response:
        return report_pages.download(ctx, "xlsx")

    # -- addresses a browser may GET after a POST (a reload, the back button): the page, not a 405 --------
    @http("GET", "/cases/<string:complaint_id>/actions/<string:action>", public=True)
    @page
    def case_action_reloaded(ctx: pages.Ctx, complaint_id: str, action: str) -> Response:
        return APP.redirect(ctx, f"/cases/{pages.path_segment(complaint_id)}")

    @http("GET", "/complaints/<string:complaint_id>/resolve", public=True)
    @page
    def resolve_reloaded(ctx: pages.Ctx, complaint_id: str) -> Response:
        return APP.redirect(ctx, f"/complaints/{pages.path_segment(complaint_id)}/registered")

    @http("GET", "/login/demo", public=True)
    @page
    def login_demo_reloaded(ctx: pages.Ctx) -> Response:
        return APP.redirect(ctx, "/login")

    @http("GET", "/logout", public=True)
    @page
    def logout_reloaded(ctx: pages.Ctx) -> Response:
        return APP.redirect(ctx, "/")

    @http("GET", "/language", public=True)
    @page
    def language_reloaded(ctx: pages.Ctx) -> Response:
        return APP.redirect(ctx, "/")

    @http("GET", "/<path:unknown>", public=True)
    @page
    def unknown_page(ctx: pages.Ctx, unknown: str) -> Response:
        """Any other address: the console's own 404, in the reader's language (not the router's)."""
        return pages.error_page(ctx, ctx.t("error.not_found"), 404)

    # -- files and probes ---------------------------------------------------------------------------
    @http("GET", "/static/<string:name>", public=True)
    def static(self, request: Request, name: str) -> Response:
        if name not in STATIC_FILES:
            return Response("not found", status=404, mimetype="text/plain")
        kind = "text/plain" if name.endswith(".LICENSE") else mimetypes.guess_type(name)[0] or "text/plain"
        body = (pages.STATIC / name).read_bytes()
        return Response(
            body, mimetype=kind, headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"}
        )

    @http("GET", "/health/live", public=True)
    def health_live(self, request: Request) -> Response:
        return json_response({"status": "live", "service": SERVICE})

    @http("GET", "/health/ready", public=True)
    def health_ready(self, request: Request) -> Response:
        # Ready once it can render its pages; the services it calls are probed by their own checks
        # (a page whose service is down says so instead of failing the console).
        checks = {
            "templates": bool(APP.templates.list_templates()),
            "static": all((pages.STATIC / f).is_file() for f in STATIC_FILES),
        }
        ready = all(checks.values())
        return json_response({"status": "ready" if ready else "not ready", "checks": checks}, 200 if ready else 503)

    @http("GET", "/metrics", public=True)
    def metrics(self, request: Request) -> Response:
        body, content_type = metrics.exposition()
        return Response(body, headers={"Content-Type": content_type})
