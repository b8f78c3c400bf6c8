"""The console's pages: each takes the request's :class:`Ctx` and returns a response. Server-rendered HTML
(Jinja2, autoescaped); htmx, where the browser has it, only makes the same pages faster to use.

Every page calls the services with the signed-in user's bearer token and shows what they answer: what a
user may see and do is decided by the services, the console only leaves out what would be refused."""

from __future__ import annotations

import logging
import re
import secrets
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit
from zoneinfo import ZoneInfo

import jinja2
from markupsafe import Markup
from werkzeug.wrappers import Request, Response

from services.console import i18n, session, views
from services.console.api import Api, ApiError, console_token, events_about, gather, get_stream, post_file
from services.console.oidc import LoginFailed, OidcClient, pkce_pair
from services.console.settings import Settings, service_urls
from shared import auth, catalogue, phones
from shared.config import Hospital, calendars

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
LANG_COOKIE = "console_lang"
#: set at sign-in, cleared at sign-out: a request without a session but with this cookie is a session that expired
SEEN_COOKIE = "console_seen"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self';"
    " form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)


class NeedSignIn(Exception):
    """No (valid) session: the sign-in page, then back to where the user was going."""


class FormIncomplete(Exception):
    """A form the console itself will not send: ``field`` is what is missing (e.g. an irreversible action's
    confirmation), named as ``form.<field>.missing`` says."""

    def __init__(self, field: str):
        super().__init__(field)
        self.field = field


class Refused(Exception):
    """A page or action the user's role cannot use, or a form that failed its CSRF check."""

    def __init__(self, sentence: str, status: int = 403):
        super().__init__(sentence)
        self.sentence, self.status = sentence, status


@dataclass(frozen=True)
class Person:
    """A demo user of the hospital configuration (the same people ``shared.auth.demo_tokens`` mints for)."""

    key: str
    subject: str
    role: str
    campuses: tuple[str, ...]
    department: str | None = None
    campus: str | None = None


def demo_people(hospital: Hospital) -> list[Person]:
    people = []
    for campus, settings in hospital.campuses.items():
        people.append(Person(f"{campus}-desk", f"{campus}-desk-01", auth.FIRST_CONTACT, (campus,), None, campus))
        people.append(Person(f"{campus}-office", settings["office_head"]["id"], auth.OFFICER, (campus,), None, campus))
        for code, department in settings["departments"].items():
            people.append(
                Person(f"{campus}-{code}", department["liaison"]["id"], auth.LIAISON, (campus,), code, campus)
            )
    for person in hospital.leadership:
        people.append(Person(f"leadership-{person['id']}", person["id"], auth.LEADERSHIP, (auth.ALL,)))
    people.append(Person("auditor", "auditor-01", auth.AUDITOR, (auth.ALL,)))
    people.append(Person("ops", "ops-01", auth.OPS, (auth.ALL,)))
    return people


def safe_next(value: str | None, default: str = "/") -> str:
    """Only a path of this site (never ``//host`` or a scheme): the sign-in cannot be used to send people away."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value or "\n" in value:
        return default
    return value


#: pages' fragments (polled or swapped in): never a place to come back to after signing in
FRAGMENT_SUFFIXES = ("/timeline",)


def is_poll(request: Request) -> bool:
    return bool(request.headers.get("HX-Request")) and request.path.endswith(FRAGMENT_SUFFIXES)


def return_path(request: Request) -> str:
    """Where to come back to after signing in: the page the person was on (for htmx, the page that made the
    request), never a fragment; for a form's POST, the page the form is on."""
    current = request.headers.get("HX-Current-URL")
    if current:
        parts = urlsplit(current)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
    elif request.method == "GET":
        path = request.full_path.rstrip("?")
    else:
        path = urlsplit(request.referrer or "").path or "/"
    for suffix in FRAGMENT_SUFFIXES:
        path = path.removesuffix(suffix)
    return safe_next(path)


def session_expired_banner(ctx: Ctx, sign_in: str, status: int) -> Response:
    page = ctx.app.templates.get_template("_session_expired.html").render(t=ctx.t, sign_in=sign_in)
    return ctx.app.respond(ctx, Response(page, status=status, mimetype="text/html"))


_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.S | re.I)
_SVG_NS = re.compile(r'\s+xmlns="http://www\.w3\.org/2000/svg"')
_HEADING = re.compile(r"<(/?)h([1-5])\b", re.I)


def report_fragment(page: str, shift_headings: bool = True) -> Markup:
    """The body of reporting's self-contained HTML report, to show inside the console's page. Inline SVG in
    HTML needs no namespace declaration; dropping it keeps every URL out of what the console serves.
    Reporting escapes everything it renders (services/reporting/render.py): its markup is trusted. Its headings
    go one level down: the console's page has its own <h1>, and a page has one (the print view keeps the
    report's own <h1>: it has no other)."""
    found = _BODY.search(page)
    body = _SVG_NS.sub("", found.group(1) if found else "")
    if not shift_headings:
        return Markup(body)
    return Markup(_HEADING.sub(lambda m: f"<{m.group(1)}h{int(m.group(2)) + 1}", body))


@dataclass
class Ctx:
    request: Request
    app: App
    lang: str
    csrf: str
    principal: auth.Principal | None
    token: str | None
    cookies: list[str] = field(default_factory=list)

    @property
    def who(self) -> auth.Principal:
        if self.principal is None:
            raise NeedSignIn()
        return self.principal

    def api(self) -> Api:
        if self.token is None:
            raise NeedSignIn()
        return Api(self.token, self.app.urls, self.app.settings.request_timeout)

    def t(self, key: str, **params: Any) -> str:
        return i18n.message(self.lang, key, **params)

    def n(self, group: str, code: Any) -> str:
        return i18n.name(self.lang, group, code, hospital=self.app.hospital)

    def check_csrf(self) -> None:
        sent = self.request.form.get("csrf", "")
        if not sent or not secrets.compare_digest(sent, self.csrf):
            raise Refused(self.t("form.expired"), 403)

    def require(self, roles: Sequence[str]) -> auth.Principal:
        who = self.who
        if who.role not in roles:
            raise Refused(self.t("api.forbidden.role", role=self.n("role", who.role)))
        return who

    def explain(self, error: ApiError) -> str:
        """The services' refusal as a sentence for people."""
        if error.status == 0:
            return self.t("api.unreachable", service=self.n("service", error.service))
        if error.status == 400:
            return self.t("api.invalid")
        if error.status == 403:
            return i18n.forbidden(self.lang, error.body, self.app.hospital)
        if error.status == 404:
            return self.t("api.not_found", detail=error.body.get("error", ""))
        if error.status == 409:
            return i18n.conflict(self.lang, error.body, self.app.hospital)
        if error.status == 429:
            return self.t("api.rate_limited", seconds=error.body.get("retry_after", 1))
        return self.t("api.server_error", service=self.n("service", error.service), status=error.status)


class App:
    """What every page shares: settings, hospital, templates, the identity provider's client."""

    def __init__(self, settings: Settings, hospital: Hospital, urls: Mapping[str, str] | None = None):
        self.settings, self.hospital = settings, hospital
        self.urls = dict(urls or service_urls())
        self.people = demo_people(hospital)
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True, trim_blocks=True, lstrip_blocks=True
        )
        self.oidc = OidcClient(settings) if settings.oidc_enabled else None
        self.calendars = calendars(hospital)  # the worklist's working days left, in each campus's calendar

    # -- the request's context -------------------------------------------------------------------
    def context(self, request: Request) -> Ctx:
        lang = i18n.pick(request.cookies.get(LANG_COOKIE), request.headers.get("Accept-Language"))
        payload = session.unsign(
            self.settings.session_secret, session.SESSION_COOKIE, request.cookies.get(session.SESSION_COOKIE)
        )
        principal, token, cookies = None, None, []
        if payload and payload.get("token"):
            try:
                principal = auth.authenticator().verify(payload["token"])
                token = payload["token"]
            except auth.AuthError:
                payload = None  # an expired or foreign token: signed out
        if principal is not None and payload and self._renew_due(request, payload):
            token = self._renewed(principal)
            payload = {**payload, "token": token, "exp": time.time() + self.settings.session_hours * 3600}
            cookies.append(self.session_cookie(payload))
        if not payload or not payload.get("csrf"):
            # Before sign-in too: the sign-in and language forms carry a CSRF value like every other form.
            payload = {"csrf": session.new_csrf(), "exp": time.time() + 12 * 3600}
            cookies.append(self.session_cookie(payload))
        return Ctx(request, self, lang, payload["csrf"], principal, token, cookies)

    def _renew_due(self, request: Request, payload: dict[str, Any]) -> bool:
        """A session the console minted the token of lasts ``session_hours`` from the person's last action:
        renewed once half of it has gone. The timeline's poll is not an action (a page left open would
        otherwise never sign out)."""
        if not payload.get("renewable") or request.path.endswith("/timeline"):
            return False
        return float(payload["exp"]) - time.time() < self.settings.session_hours * 1800

    def _renewed(self, who: auth.Principal) -> str:
        ttl = self.settings.session_hours * 3600
        return auth.authenticator().mint(who.subject, who.role, who.campuses, who.department, ttl=ttl)

    def session_cookie(self, payload: dict[str, Any]) -> str:
        value = session.sign(self.settings.session_secret, session.SESSION_COOKIE, payload)
        return session.cookie_header(
            session.SESSION_COOKIE, value, max(0, int(payload["exp"] - time.time())), self.settings.cookie_secure
        )

    def sign_in(self, ctx: Ctx, token: str, renewable: bool = False) -> None:
        """Start a session holding ``token`` (with a new CSRF value: none from before sign-in carries over).
        ``renewable``: the console minted the token, and mints it again while the person works."""
        principal = auth.authenticator().verify(token)
        payload = {"token": token, "csrf": session.new_csrf(), "exp": time.time() + self.settings.session_hours * 3600}
        if renewable:
            payload["renewable"] = True
        ctx.cookies = [c for c in ctx.cookies if not c.startswith(session.SESSION_COOKIE + "=")]
        ctx.cookies.append(self.session_cookie(payload))
        ctx.cookies.append(session.cookie_header(SEEN_COOKIE, "1", 30 * 24 * 3600, self.settings.cookie_secure))
        ctx.principal, ctx.token, ctx.csrf = principal, token, payload["csrf"]

    # -- responses ---------------------------------------------------------------------------------
    def render(self, ctx: Ctx, template: str, status: int = 200, **values: Any) -> Response:
        helpers = Helpers(ctx)
        who = ctx.principal
        page = self.templates.get_template(template).render(
            lang=ctx.lang,
            colon="：" if ctx.lang == "zh-CN" else ": ",  # after a label (full-width in Chinese text)
            t=ctx.t,
            n=ctx.n,
            csrf=ctx.csrf,
            user=who,
            pages=views.nav(who) if who else [],
            searchable=who is not None and who.role in auth.COMPLAINT_READERS,  # the header's search box (finding.py)
            here=safe_next(ctx.request.full_path.rstrip("?")),
            problem=values.pop("problem", None),
            notice=values.pop("notice", None),
            current=values.pop("current", None),
            **helpers.functions(),
            **values,
        )
        return self.respond(ctx, Response(page, status=status, mimetype="text/html"))

    def respond(self, ctx: Ctx, response: Response) -> Response:
        for cookie in ctx.cookies:
            response.headers.add("Set-Cookie", cookie)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers["Vary"] = "Cookie, HX-Request"
        return response

    def redirect(self, ctx: Ctx, location: str) -> Response:
        """After a POST: the page to show next. htmx follows it without reloading the page."""
        if ctx.request.headers.get("HX-Request") and not ctx.request.headers.get("HX-History-Restore-Request"):
            response = Response("", status=200, headers={"HX-Location": location})
        else:
            response = Response("", status=303, headers={"Location": location})
        return self.respond(ctx, response)


class Helpers:
    """Formatting for templates, in the request's language."""

    def __init__(self, ctx: Ctx):
        self.ctx = ctx

    def functions(self) -> dict[str, Callable[..., Any]]:
        return {
            name: getattr(self, name)
            for name in (
                "fid",
                "field_message",
                "local_time",
                "remaining",
                "campus_list",
                "person_label",
                "dept_options",
                "dept_list",
                "code_options",
                "extension_options",
                "extension_result",
                "head_options",
                "staff_name",
                "actor_label",
                "rectification_options",
                "dispute_options",
                "seal_options",
                "detail_value",
            )
        }

    @staticmethod
    def fid(name: str) -> str:
        return re.sub(r"[^a-zA-Z0-9_-]", "-", name)

    def field_message(self, text: str) -> str:
        return i18n.field_message(self.ctx.lang, str(text))

    def local_time(self, value: Any, campus: str | None) -> str:
        at = views.parse_time(value) if value else None
        if at is None:
            return "—"
        zone = self.ctx.app.hospital.campuses.get(campus or "", {}).get("timezone", "Asia/Shanghai")
        return at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")

    def remaining(self, span: timedelta) -> str:
        minutes = max(0, int(span.total_seconds() // 60))
        days, rest = divmod(minutes, 24 * 60)
        hours, minutes = divmod(rest, 60)
        if days:
            return self.ctx.t("span.days", days=days, hours=hours)
        if hours:
            return self.ctx.t("span.hours", hours=hours, minutes=minutes)
        return self.ctx.t("span.minutes", minutes=minutes)

    def campus_list(self, campuses: Sequence[str]) -> str:
        if auth.ALL in campuses:
            return self.ctx.t("login.all_campuses")
        return ", ".join(self.ctx.n("campus", c) for c in campuses)

    def person_label(self, person: Person) -> str:
        parts = [
            self.ctx.n("campus", person.campus) if person.campus else self.ctx.t("login.all_campuses"),
            self.ctx.n("role", person.role),
        ]
        if person.department:
            parts.append(self.ctx.n("department", person.department))
        return " · ".join(parts)

    def dept_options(self, codes: Sequence[str]) -> list[tuple[str, str]]:
        """Departments to choose from, in the hospital's order (as everywhere they are listed)."""
        return [(c, self.ctx.n("department", c)) for c in self.ctx.app.hospital.in_order(codes)]

    def dept_list(self, codes: Sequence[str]) -> str:
        named = (self.ctx.n("department", c) for c in self.ctx.app.hospital.in_order(codes))
        return ("、" if self.ctx.lang == "zh-CN" else ", ").join(named)

    def code_options(self, group: str) -> list[tuple[str, str]]:
        codes = {
            "substantiated": catalogue.SUBSTANTIATED,
            "notification_channel": catalogue.NOTIFICATION_CHANNELS,
            "dispute_route": catalogue.DISPUTE_ROUTES,
            "channel": catalogue.CHANNELS,
            "category": catalogue.CATEGORIES,
            "severity": catalogue.SEVERITIES,
            "source": catalogue.SOURCES,
            "not_accepted_reason": catalogue.NOT_ACCEPTED_REASONS,
            "preferred_channel": ("email", "sms", "letter", "phone"),  # intake's PREFERRED_CHANNELS
        }[group]
        return [(c, self.ctx.n(group, c)) for c in codes]

    def extension_options(self, extensions: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
        """Pending requests by department and days, and when asked (no id: people do not read those)."""

        def label(e: Mapping[str, Any]) -> str:
            shown = self.ctx.t(
                "extension.option",
                department=self.ctx.n("department", e["department"]),
                days=e.get("requested_days", "?"),
            )
            if e.get("requested_at"):
                shown += " · " + self.ctx.t("extension.asked_at", at=self.local_time(e["requested_at"], None))
            return shown

        return [(e["extension_id"], label(e)) for e in extensions]

    def extension_result(self, preview: Mapping[str, Any], department: str, days: Any) -> str:
        """The request form's sentence on the date a grant would give (extension.js keeps it current)."""
        found = views.extension_result(preview, department, days)
        if found is None:
            return self.ctx.t("extension.choose_department")
        asked, last_day, latest = found
        if asked is None:
            return self.ctx.t("extension.latest", days=preview.get("max_days"), day=last_day)
        if not latest:
            return self.ctx.t("extension.beyond", days=preview.get("max_days"))
        return self.ctx.t("extension.result", days=asked, day=last_day)

    def head_options(self, campus: str, departments: Sequence[str]) -> list[tuple[str, str]]:
        """The configured heads of ``departments`` who may sign off findings (labelled with the department
        when there are several departments)."""
        hospital, lang = self.ctx.app.hospital, self.ctx.lang
        options = []
        for department in hospital.in_order(departments):
            for head in hospital.department_heads(campus, department):
                shown = hospital.person_name(head["id"], lang) or head["id"]
                if len(departments) > 1:
                    shown = f"{shown} · {self.ctx.n('department', department)}"
                options.append((head["id"], shown))
        return options

    def staff_name(self, person_id: str | None, role: str | None = None, department: str | None = None) -> str:
        """A person by name: the configuration's, else their role (and department), never a bare id."""
        named = self.ctx.app.hospital.person_name(person_id, self.ctx.lang) if person_id else None
        if named:
            return named
        parts = [self.ctx.n("role", role)] if role else []
        if department:
            parts.insert(0, self.ctx.n("department", department))
        return ("" if self.ctx.lang == "zh-CN" else " ").join(parts) or "—"

    def actor_label(self, actor: Mapping[str, Any]) -> str:
        """Who did it, on the timeline: the configured name, else the staff id, with the role; the product itself
        (reminders, breaches) as 'the system', never its id."""
        role = self.ctx.n("role", actor.get("role"))
        if actor.get("role") == auth.SYSTEM:
            return role
        return self.ctx.t("timeline.by", who=self.ctx.n("person", actor.get("id", "")), role=role)

    def rectification_options(self, items: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
        return [
            (r["rectification_id"], f"{self.ctx.n('department', r['department'])} · {r['rectification_id'][:8]}")
            for r in items
        ]

    def dispute_options(self, items: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
        return [(d["dispute_id"], f"{self.ctx.n('dispute_route', d['route'])} · {d['dispute_id'][:8]}") for d in items]

    def seal_options(self, items: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
        return [(s["seal_id"], f"{'; '.join(s.get('items', []))[:40]} · {s['seal_id'][:8]}") for s in items]

    def detail_value(self, detail: views.Detail) -> str:
        def one(value: Any) -> str:
            if detail.group is None:
                return str(value)
            if isinstance(value, bool):
                return self.ctx.n("yes_no", "true" if value else "false")
            return self.ctx.n(detail.group, value)

        if isinstance(detail.value, list):
            return ("、" if self.ctx.lang == "zh-CN" else ", ").join(one(v) for v in detail.value)
        return one(detail.value)


# ==================================================================================================
# Sign-in, sign-out, language
# ==================================================================================================


def login_page(ctx: Ctx, problem: str | None = None, notice: str | None = None, status: int = 200) -> Response:
    app = ctx.app
    if ctx.principal is not None and problem is None:
        return app.redirect(ctx, views.home(ctx.principal))
    return app.render(
        ctx,
        "login.html",
        status,
        page_name="login",
        problem=problem,
        notice=notice,
        next=safe_next(ctx.request.args.get("next"), ""),
        demo=app.settings.demo_login,
        oidc=app.oidc is not None,
        people=app.people,
    )


def login_demo(ctx: Ctx) -> Response:
    ctx.check_csrf()
    if not ctx.app.settings.demo_login:
        return login_page(ctx, problem=ctx.t("login.demo_disabled"), status=403)
    person = next((p for p in ctx.app.people if p.key == ctx.request.form.get("person")), None)
    if person is None:
        return login_page(ctx, problem=ctx.t("login.unknown_person"), status=400)
    # Demo mode: the console mints the person's token with the shared key, as `make run` prints them.
    token = auth.authenticator().mint(
        person.subject, person.role, person.campuses, person.department, ttl=ctx.app.settings.session_hours * 3600
    )
    ctx.app.sign_in(ctx, token, renewable=True)
    return ctx.app.redirect(ctx, safe_next(ctx.request.form.get("next"), views.home(ctx.who)))


def oidc_start(ctx: Ctx) -> Response:
    app = ctx.app
    if app.oidc is None:
        return login_page(ctx, problem=ctx.t("login.oidc_disabled"), status=404)
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    verifier, challenge = pkce_pair()
    try:
        target = app.oidc.authorization_url(state, nonce, challenge)
    except LoginFailed as exc:
        return login_page(ctx, problem=ctx.t("login.failed", reason=str(exc)), status=502)
    pending = {
        "state": state,
        "nonce": nonce,
        "verifier": verifier,
        "exp": time.time() + 600,
        "next": safe_next(ctx.request.args.get("next"), ""),
    }
    ctx.cookies.append(
        session.cookie_header(
            session.LOGIN_COOKIE,
            session.sign(app.settings.session_secret, session.LOGIN_COOKIE, pending),
            600,
            app.settings.cookie_secure,
        )
    )
    return app.respond(ctx, Response("", status=302, headers={"Location": target}))


def oidc_callback(ctx: Ctx) -> Response:
    app = ctx.app
    if app.oidc is None:
        return login_page(ctx, problem=ctx.t("login.oidc_disabled"), status=404)
    pending = session.unsign(
        app.settings.session_secret, session.LOGIN_COOKIE, ctx.request.cookies.get(session.LOGIN_COOKIE)
    )
    ctx.cookies.append(session.clear_cookie_header(session.LOGIN_COOKIE, app.settings.cookie_secure))
    args = ctx.request.args
    if args.get("error"):
        return login_page(
            ctx, problem=ctx.t("login.failed", reason=args.get("error_description") or args["error"]), status=401
        )
    if not pending or not secrets.compare_digest(str(args.get("state", "")), str(pending.get("state"))):
        return login_page(ctx, problem=ctx.t("login.state_mismatch"), status=400)
    try:
        tokens = app.oidc.exchange(str(args.get("code", "")), pending["verifier"])
        claims = app.oidc.verify_id_token(str(tokens.get("id_token", "")), pending["nonce"])
        bearer = app.oidc.bearer(tokens, claims)
    except LoginFailed as exc:
        return login_page(ctx, problem=ctx.t("login.failed", reason=str(exc)), status=401)
    try:
        app.sign_in(ctx, bearer, renewable=app.settings.oidc_bearer == "mint")
    except auth.AuthError as exc:
        return login_page(ctx, problem=ctx.t("login.not_accepted", reason=str(exc)), status=401)
    return app.redirect(ctx, pending.get("next") or views.home(ctx.who))


def logout(ctx: Ctx) -> Response:
    ctx.check_csrf()
    ctx.principal, ctx.token = None, None
    ctx.cookies = [
        session.clear_cookie_header(session.SESSION_COOKIE, ctx.app.settings.cookie_secure),
        session.clear_cookie_header(SEEN_COOKIE, ctx.app.settings.cookie_secure),
    ]
    return ctx.app.redirect(ctx, "/login?signed_out=1")


def set_language(ctx: Ctx) -> Response:
    ctx.check_csrf()
    lang = ctx.request.form.get("lang")
    if lang in i18n.LANGUAGES:
        ctx.cookies.append(
            f"{LANG_COOKIE}={lang}; Path=/; Max-Age=31536000; SameSite=Lax"
            + ("; Secure" if ctx.app.settings.cookie_secure else "")
        )
    return ctx.app.redirect(ctx, safe_next(ctx.request.form.get("next")))


def index(ctx: Ctx) -> Response:
    return ctx.app.redirect(ctx, views.home(ctx.who))


# ==================================================================================================
# Register a complaint
# ==================================================================================================

REGISTER_TEXT = ("summary", "received_by", "desired_outcome")
PERSON_FIELDS = {"complainant": ("name", "phone", "email", "relation", "postal_address"), "patient": ("name", "mrn")}
REFERRAL_FIELDS = ("referrer", "reference", "reply_due")  # an authority referral (CONTRACT §10)


def _campuses_of(ctx: Ctx) -> list[str]:
    who = ctx.who
    return [c for c in ctx.app.hospital.campuses if who.covers(c)]


def complaint_body(
    form: Mapping[str, Any],
    departments: list[str],
    tz_of: Callable[[str], str],
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """``POST /complaints``'s body from the form (empty fields left out), and what the console itself
    cannot read (a malformed time). The services check everything else."""
    body: dict[str, Any] = {
        k: form.get(k, "").strip()
        for k in ("campus", "channel", "category", "severity", "source", "kind")
        if form.get(k, "").strip()
    }
    referral = {n: form.get(f"referral.{n}", "").strip() for n in REFERRAL_FIELDS}
    if any(referral.values()):  # the service names what is missing
        body["referral"] = {n: v for n, v in referral.items() if v}
    for key in REGISTER_TEXT:
        if form.get(key, "").strip():
            body[key] = form[key].strip()
    body["departments"] = departments
    body["anonymous"] = form.get("anonymous") == "true"
    for part, names in PERSON_FIELDS.items():
        given = {n: form.get(f"{part}.{n}", "").strip() for n in names if form.get(f"{part}.{n}", "").strip()}
        if given:
            body[part] = given
    errors: dict[str, list[str]] = {}
    raw = form.get("received_at", "").strip()
    if raw:
        try:
            local = datetime.fromisoformat(raw)
            if local.tzinfo is None:  # a datetime-local field: the campus's wall-clock time
                local = local.replace(tzinfo=ZoneInfo(tz_of(body.get("campus", ""))))
            body["received_at"] = local.isoformat()
        except ValueError:
            errors["received_at"] = ["Not a valid datetime."]
    return body, errors


def _register_options(ctx: Ctx) -> dict[str, Any]:
    helpers = Helpers(ctx)
    campuses = _campuses_of(ctx)
    departments = ctx.app.hospital.in_order(d for c in campuses for d in ctx.app.hospital.departments(c))
    return {
        "campus_options": [(c, ctx.n("campus", c)) for c in campuses],
        "options": {
            "channel": helpers.code_options("channel"),
            "category": helpers.code_options("category"),
            "severity": helpers.code_options("severity"),
            "source": helpers.code_options("source"),
            "kind": [(k, ctx.t(f"kind.{k}")) for k in catalogue.COMPLAINT_KINDS],
            "department": helpers.dept_options(departments),
        },
    }


def register_form(
    ctx: Ctx,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, list[str]] | None = None,
    problem: str | None = None,
    status: int = 200,
) -> Response:
    ctx.require(auth.COMPLAINT_REGISTRARS)
    defaults = {"severity": "normal", "source": "patient_or_family", "kind": "complaint", "departments": []}
    campuses = _campuses_of(ctx)
    if len(campuses) == 1:
        defaults["campus"] = campuses[0]
    return ctx.app.render(
        ctx,
        "register.html",
        status,
        current="register",
        values=values or defaults,
        errors=errors or {},
        problem=problem,
        created=None,
        **_register_options(ctx),
    )


def register_submit(ctx: Ctx) -> Response:
    ctx.require(auth.COMPLAINT_REGISTRARS)
    ctx.check_csrf()
    form = ctx.request.form
    departments = form.getlist("departments")
    values = {**form.to_dict(), "departments": departments}

    def tz_of(campus: str) -> str:
        return ctx.app.hospital.campuses.get(campus, {}).get("timezone", "Asia/Shanghai")

    body, errors = complaint_body(form.to_dict(), departments, tz_of)
    if errors:
        return register_form(ctx, values, errors, ctx.t("api.invalid"), 400)
    try:
        created = ctx.api().post("intake", "/complaints", body)
    except ApiError as exc:
        if exc.status == 400:
            return register_form(ctx, values, views.field_errors(exc.body), ctx.t("api.invalid"), 400)
        return register_form(ctx, values, {}, ctx.explain(exc), exc.status or 502)
    return ctx.app.redirect(ctx, f"/complaints/{created['complaint_id']}/registered")


def registered(
    ctx: Ctx,
    complaint_id: str,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, list[str]] | None = None,
    problem: str | None = None,
    status: int = 200,
) -> Response:
    """The reference of what was just registered, and for first-contact staff: resolve it on the spot."""
    who = ctx.require(auth.COMPLAINT_REGISTRARS)
    complaint_id = _uuid(ctx, complaint_id)
    try:
        complaint = ctx.api().get("intake", f"/complaints/{complaint_id}")
    except ApiError as exc:
        raise Refused(ctx.explain(exc), exc.status or 502) from None
    can_resolve = who.role in (auth.FIRST_CONTACT, auth.OFFICER) and complaint["status"] in ("received", "reopened")
    return ctx.app.render(
        ctx,
        "register.html",
        status,
        current="register",
        created=complaint,
        can_resolve=can_resolve,
        no_usable_contact=no_usable_contact(complaint),
        values=values or {},
        errors=errors or {},
        problem=problem,
        notice=None if problem else ctx.t("register.created"),
        **_register_options(ctx),
    )


def no_usable_contact(complaint: Mapping[str, Any]) -> bool:
    """Intake's registration warning, shown again on the registered page (it survives a reload): a named
    complainant no message or letter can reach (no e-mail, mobile or postal address)."""
    if complaint.get("anonymous"):
        return False
    person = complaint.get("complainant") or {}
    return not (person.get("email") or phones.is_mobile(person.get("phone")) or person.get("postal_address"))


def resolve_on_spot(ctx: Ctx, complaint_id: str) -> Response:
    ctx.require(auth.COMPLAINT_REGISTRARS)
    ctx.check_csrf()
    complaint_id = _uuid(ctx, complaint_id)
    values = ctx.request.form.to_dict()
    try:
        ctx.api().post(
            "intake",
            f"/complaints/{complaint_id}/resolve-on-spot",
            _drop_empty({"resolution": values.get("resolution", "")}),
        )
    except ApiError as exc:
        if exc.status == 400:
            return registered(ctx, complaint_id, values, views.field_errors(exc.body), ctx.t("api.invalid"), 400)
        return registered(ctx, complaint_id, values, {}, ctx.explain(exc), exc.status or 502)
    return ctx.app.redirect(ctx, f"/cases/{complaint_id}?done=resolve_on_spot")


# ==================================================================================================
# Worklist
# ==================================================================================================

STATE_FILTERS = ("active", "open", "replied", "closed", "resolved_on_spot", "not_accepted", "withdrawn")
COLUMNS = (
    ("reference", "worklist.col.reference"),
    ("campus", "worklist.col.campus"),
    ("departments", "worklist.col.departments"),
    ("status", "worklist.col.status"),
    ("summary", "worklist.col.summary"),
    ("holder", "worklist.col.holder"),
    ("next_due", "worklist.col.days_left"),
    ("received", "worklist.col.received"),
    ("urgency", "worklist.col.deadlines"),
    ("statutory", "worklist.col.statutory"),
    ("referral", "worklist.col.referral"),
)


WORKLIST_PAGE = 50  # rows per worklist page (the issue allows at most 100)


def _case_rows(
    ctx: Ctx, campus: str | None, department: str | None, state: str, urgency: str | None, page: int, view: str
) -> tuple[list[views.CaseRow], bool, list[dict[str, Any]], str]:
    """One page of the worklist's rows (the cases listed in ``state`` or the saved ``view``, newest first,
    each with its deadlines) from one ``GET /cases``: filters and paging are investigation's SQL; whether a
    next page exists; the caller's saved views with their counts (``GET /cases/views``: which views a role
    has is investigation's to say); and the view shown (none when the role has not the one asked for)."""
    api, scope = ctx.api(), {"campus": campus, "department": department}
    try:
        saved = api.get("investigation", "/cases/views", **scope)["views"]
    except ApiError as exc:
        if exc.status == 401:
            raise
        saved = []  # the counts are a help: the list is still shown without them
    view = view if view in {v["view"] for v in saved} else ""
    wanted: dict[str, Any] = {"view": view} if view else {"active": "true"} if state == "active" else {"status": state}
    if urgency:
        wanted["urgency"] = urgency
    listed = api.get(
        "investigation",
        "/cases",
        deadlines="true",
        limit=WORKLIST_PAGE + 1,
        offset=page * WORKLIST_PAGE,
        **scope,
        **wanted,
    )
    cases = listed["cases"]
    now = datetime.now(UTC)
    rows = [views.case_row(c, c, now, ctx.app.calendars.get(c["campus"])) for c in cases[:WORKLIST_PAGE]]
    return rows, len(cases) > WORKLIST_PAGE, saved, view


def _page_number(value: str | None) -> int:
    try:
        return max(0, min(int(value or 0), 100_000 // WORKLIST_PAGE))
    except ValueError:
        return 0


def worklist(ctx: Ctx) -> Response:
    who = ctx.require(auth.CASE_READERS)
    args = ctx.request.args
    campuses = _campuses_of(ctx)
    campus = args.get("campus") if args.get("campus") in campuses else None
    known_departments = ctx.app.hospital.in_order(
        d for c in ([campus] if campus else campuses) for d in ctx.app.hospital.departments(c)
    )
    department = (
        who.department
        if who.role == auth.LIAISON
        else (args.get("department") if args.get("department") in known_departments else None)
    )
    state = args.get("state") if args.get("state") in STATE_FILTERS else "active"
    urgency = args.get("urgency") if args.get("urgency") in (views.OVERDUE, views.DUE_SOON, views.ON_HOLD) else None
    provisional = args.get("provisional") if args.get("provisional") in ("true", "false") else ""
    referral = args.get("referral") if args.get("referral") in ("true", "false") else ""
    sort = args.get("sort") if args.get("sort") in views.SORT_KEYS else "urgency"
    direction = "desc" if args.get("dir") == "desc" else "asc"
    page = _page_number(args.get("page"))
    rows, more, saved_views, view = _case_rows(ctx, campus, department, state, urgency, page, args.get("view") or "")
    yes_no = {"true": True, "false": False}
    rows = views.filter_rows(rows, urgency, yes_no.get(provisional), yes_no.get(referral))
    rows = views.sort_rows(rows, sort, direction == "desc")
    filters = {
        "campus": campus or "",
        "department": department or "",
        "state": state,
        "urgency": urgency or "",
        "provisional": provisional,
        "referral": referral,
        "view": view,
        "sort": sort,
        "dir": direction,
    }

    def sort_link(key: str) -> str:
        flipped = "desc" if filters["sort"] == key and direction == "asc" else "asc"
        return "/worklist?" + urlencode({**{k: v for k, v in filters.items() if v}, "sort": key, "dir": flipped})

    department_options = (
        [(who.department, ctx.n("department", who.department))]
        if who.role == auth.LIAISON and who.department
        else [(d, ctx.n("department", d)) for d in known_departments]
    )
    return ctx.app.render(
        ctx,
        "worklist.html",
        current="worklist",
        rows=rows,
        headline=views.counts(rows),
        filters=filters,
        campus_options=[(c, ctx.n("campus", c)) for c in campuses],
        department_options=department_options,
        state_options=STATE_FILTERS,
        columns=[(k, ctx.t(label)) for k, label in COLUMNS],
        sortable=("reference", "campus", "status", "received", "urgency", "next_due"),
        sort_link=sort_link,
        previous_page=_page_link(filters, page - 1) if page > 0 else None,
        next_page=_page_link(filters, page + 1) if more else None,
        saved_views=saved_views,
        view_link=lambda name: _page_link({**filters, "view": name, "state": "active" if name else state}, 0),
        first_row=page * WORKLIST_PAGE + 1,
    )


def _page_link(filters: Mapping[str, str], page: int) -> str:
    return "/worklist?" + urlencode({**{k: v for k, v in filters.items() if v}, **({"page": page} if page else {})})


# ==================================================================================================
# Case page and its actions
# ==================================================================================================


def _uuid(ctx: Ctx, value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise Refused(ctx.t("case.not_found", id=value), 404) from None


def _drop_empty(body: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if v not in ("", None, [])}


def _int(value: str) -> int | str:
    """A number field as the API wants it (an integer), or as typed so the API names what is wrong."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def _bool(value: str | None) -> bool | str | None:
    return {"true": True, "false": False}.get(value or "", value or None)


def _text(form: Any, key: str) -> str:
    return (form.get(key) or "").strip()


def _texts(form: Any, *keys: str) -> dict[str, Any]:
    """The form's fields as typed (trimmed), the empty ones left out: the API names what is missing."""
    return _drop_empty({key: _text(form, key) for key in keys})


def _given_by_staff(form: Any, body: dict[str, Any]) -> dict[str, Any]:
    """The channel; for a reply given by phone or in person, when (the form's wall-clock time in its ``tz``,
    Beijing time by default, as the seal forms read theirs) and by whom. The API names what is missing."""
    body.update(_texts(form, "channel_preference", "delivered_by"))
    raw = _text(form, "delivered_at")
    if raw:
        try:
            moment = datetime.fromisoformat(raw)
            body["delivered_at"] = (
                moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(_text(form, "tz") or "Asia/Shanghai"))
            ).isoformat()
        except ValueError:
            body["delivered_at"] = raw  # the API refuses it, naming the field
    return body


def _extension_body(form: Any) -> dict[str, Any]:
    return _drop_empty(
        {
            "department": _text(form, "department"),
            "reason": _text(form, "reason"),
            "requested_days": _int(_text(form, "requested_days")),
        }
    )


def _rectification_body(form: Any) -> dict[str, Any]:
    days = _text(form, "due_in_working_days")
    return _drop_empty(
        {
            "department": _text(form, "department"),
            "description": _text(form, "description"),
            "due_in_working_days": _int(days) if days else "",
        }
    )


# For each action: the service, its path under the complaint, and the body from the form.
ActionCall = tuple[str, str, dict[str, Any]]


# Investigation's actions: the path under /cases/<id>/ (an item's id from the form; "-" when missing, so the
# API answers 404 for it) and the body from the form.
def _reclassify_body(form: Any) -> dict[str, Any]:
    """Only what the person changed: an empty choice keeps the complaint's value (intake names a field it
    refuses; nothing changed at all is its 400 too)."""
    body: dict[str, Any] = _texts(form, "category", "severity", "note")
    if form.get("change_departments") == "true":
        body["departments"] = form.getlist("departments")
    return body


def _not_accept_body(form: Any) -> dict[str, Any]:
    _confirmed(form)
    return _texts(form, "reason", "route_advice", "duplicate_of")


def _withdraw_body(form: Any) -> dict[str, Any]:
    _confirmed(form)
    return _texts(form, "reason")


def _chosen(form: Any, key: str) -> list[str]:
    """A choice of at least one (the assignment's departments): none chosen is the console's own refusal."""
    chosen = form.getlist(key)
    if not chosen:
        raise FormIncomplete(key)
    return chosen


def _confirmed(form: Any) -> None:
    """An irreversible action goes only with its confirmation ticked; without it the service never sees it."""
    if form.get("confirm") != "true":
        raise FormIncomplete("confirm")


def _erasure_body(form: Any) -> dict[str, Any]:
    _confirmed(form)
    return _texts(form, "reason")


CONTACT_FIELDS = ("phone", "email", "postal_address", "preferred_channel")


def _contact_body(form: Any) -> dict[str, Any]:
    """The corrected details: the fields as typed, and a field emptied that had a value (``had.<field>``)
    removed. Intake names what it refuses, and what did not change."""
    body = _texts(form, *CONTACT_FIELDS)
    cleared = [name for name in CONTACT_FIELDS if form.get(f"had.{name}") == "true" and not _text(form, name)]
    if cleared:
        body["clear"] = cleared
    return body


_INTAKE_ACTIONS: dict[str, tuple[str, Callable[[Any], dict[str, Any]]]] = {
    "correct_contact": ("contact", _contact_body),
    "reclassify": ("reclassify", _reclassify_body),
    "not_accept": ("not-accepted", _not_accept_body),
    "withdraw": ("withdraw", _withdraw_body),
    "erasure": ("erasure", _erasure_body),
}

_CASE_ACTIONS: dict[str, tuple[str, Callable[[Any], dict[str, Any]]]] = {
    "assign": ("assignments", lambda form: {"departments": _chosen(form, "departments")}),
    "request_extension": ("extensions", _extension_body),
    "decide_extension": (
        "extensions/{extension_id}/decision",
        lambda form: _drop_empty({"granted": _bool(_text(form, "granted")), "note": _text(form, "note")}),
    ),
    "findings": ("findings", lambda form: _texts(form, "department", "substantiated", "summary", "signed_off_by")),
    "escalate": ("escalate", lambda form: _texts(form, "reason")),
    "reply": (
        "replies",
        lambda form: _given_by_staff(form, _texts(form, "contact_person", "actions_taken", "result")),
    ),
    "feedback": (
        "feedback",
        lambda form: _given_by_staff(
            form, _texts(form, "contact_person", "progress", "next_steps", "expected_reply_by")
        ),
    ),
    "order_rectification": ("rectifications", _rectification_body),
    "complete_rectification": ("rectifications/{rectification_id}/complete", lambda form: _texts(form, "note")),
    "follow_up": (
        "follow-up",
        lambda form: _drop_empty({"satisfied": _bool(_text(form, "satisfied")), "note": _text(form, "note")}),
    ),
    "close": ("close", lambda form: _texts(form, "outcome")),
    "reopen": ("reopen", lambda form: _texts(form, "reason", "note")),
    "record_dispute": ("disputes", lambda form: _texts(form, "route", "note")),
    "settle_dispute": ("disputes/{dispute_id}/settle", lambda form: _texts(form, "compensation_amount", "currency")),
}


def action_call(action: str, complaint_id: str, form: Any) -> ActionCall:
    """The API call an action's form makes (a KeyError for an action there is none of)."""
    if action == "resolve_on_spot":
        return "intake", f"/complaints/{complaint_id}/resolve-on-spot", _texts(form, "resolution")
    if action in _INTAKE_ACTIONS:
        path, body = _INTAKE_ACTIONS[action]
        return "intake", f"/complaints/{complaint_id}/{path}", body(form)
    path, body = _CASE_ACTIONS[action]
    ids = {key: _text(form, key) or "-" for key in ("extension_id", "rectification_id", "dispute_id", "seal_id")}
    return "investigation", f"/cases/{complaint_id}/{path.format(**ids)}", body(form)


def _timeline(ctx: Ctx, complaint_id: str) -> tuple[list[views.Entry], str | None]:
    """The complaint's history from intake's, investigation's and notification's logs. Called only once the
    user's own token has read the complaint or its case: roles the logs do not admit (they serve services,
    officers, auditors and ops) read them through the console's own token, for this complaint only."""
    who = ctx.who
    api = (
        ctx.api()
        if who.role in auth.EVENT_READERS
        else Api(console_token(), ctx.app.urls, ctx.app.settings.request_timeout)
    )
    found = gather([lambda s=s: events_about(api, s, complaint_id) for s in views.SOURCES])
    logs, problems = {}, []
    for source, result in zip(views.SOURCES, found, strict=True):
        if isinstance(result, ApiError):
            problems.append(ctx.explain(result))
        else:
            logs[source] = result
    problem = ctx.t("timeline.unavailable", reason=" ".join(problems)) if problems else None
    return views.timeline(logs, complaint_id), problem


def _read_case(ctx: Ctx, complaint_id: str) -> dict[str, Any]:
    who, api = ctx.who, ctx.api()
    calls: dict[str, Callable[[], Any]] = {}
    if who.role in auth.COMPLAINT_READERS:
        calls["complaint"] = lambda: api.get("intake", f"/complaints/{complaint_id}")
        calls["attachments"] = lambda: api.get("intake", f"/complaints/{complaint_id}/attachments")
    if who.role in auth.CASE_READERS:
        calls["case"] = lambda: api.get("investigation", f"/cases/{complaint_id}")
    if who.role in auth.NOTIFICATION_READERS:
        calls["notifications"] = lambda: api.get("notification", "/notifications", complaint_id=complaint_id)
    results = dict(zip(calls, gather(list(calls.values())), strict=True))
    # The attachments are shown when they can be read; they never decide whether the case is (intake answers a
    # liaison of another department 403 for them, where the complaint itself is, to them, no complaint: 404).
    attachments = results.pop("attachments", None)
    errors = [r for r in results.values() if isinstance(r, ApiError)]
    expired = next((e for e in errors if e.status == 401), None)
    if expired is not None:
        raise expired
    readable: dict[str, Any] = {k: v for k, v in results.items() if not isinstance(v, ApiError)}
    if "complaint" not in readable and "case" not in readable:
        refused = next((e for e in errors if e.status == 403), None)
        if refused is not None:
            raise refused
        if not errors or any(e.status == 404 for e in errors):
            raise Refused(ctx.t("case.not_found", id=complaint_id), 404)
        raise errors[0]
    # One service may refuse what another shows (intake checks a liaison against the departments named at
    # registration, investigation against those assigned since): show what is allowed, say what is not.
    readable["refusals"] = [ctx.explain(e) for e in errors if e.status == 403]
    if attachments is not None and not isinstance(attachments, ApiError):
        readable["attachments"] = attachments
    return readable


def case_page(
    ctx: Ctx,
    complaint_id: str,
    failed: str | None = None,
    errors: Mapping[str, list[str]] | None = None,
    values: Mapping[str, Any] | None = None,
    problem: str | None = None,
    status: int = 200,
) -> Response:
    who = ctx.require(auth.COMPLAINT_READERS)
    complaint_id = _uuid(ctx, complaint_id)
    found = _read_case(ctx, complaint_id)
    complaint, case = found.get("complaint"), found.get("case")
    source = case or complaint or {}
    campus = source.get("campus", "")
    info = {
        "campus": campus,
        "category": source.get("category"),
        "severity": source.get("severity"),
        "departments": ctx.app.hospital.in_order(source.get("departments") or []),
        "escalated": bool(case and case.get("escalated")),
    }
    now = datetime.now(UTC)
    entries, timeline_problem = _timeline(ctx, complaint_id)
    in_order = ctx.app.hospital.in_order(ctx.app.hospital.departments(campus)) if campus else []
    allowed = views.allowed_actions(who, complaint, case, in_order, now)
    done = ctx.request.args.get("done")
    notice = ctx.t("case.done", action=ctx.t(f"action.{done}")) if done in views.ACTIONS and not problem else None
    if done == "attach" and not problem:
        notice = ctx.t("attachment.added_notice")
    defaults = {
        "reply": {"contact_person": who.subject},
        "feedback": {"contact_person": who.subject},
        "settle_dispute": {"currency": "CNY"},
        "seal_records": {"hospital_witness": who.subject},
        "correct_contact": {k: v for k, v in ((complaint or {}).get("complainant") or {}).items() if v},
    }
    return ctx.app.render(
        ctx,
        "case.html",
        status,
        complaint_id=complaint_id,
        complaint=complaint,
        case=case,
        info=info,
        reference=source.get("reference", ""),
        campus=campus,
        campus_tz=ctx.app.hospital.campuses.get(campus, {}).get("timezone", "Asia/Shanghai"),
        deadlines=[views.deadline_view(d, now) for d in (case or {}).get("deadlines", [])],
        referral_deadline=next(
            (views.deadline_view(d, now) for d in (case or {}).get("deadlines", []) if d["kind"] == "referrer_reply"),
            None,
        ),
        allowed=allowed,
        failed=failed,
        errors=errors or {},
        values=values or {},
        defaults=defaults,
        problem=problem,
        notice=notice,
        entries=entries,
        timeline_problem=timeline_problem,
        refusals=found.get("refusals") or [],
        notifications=(found.get("notifications") or {}).get("notifications") if "notifications" in found else None,
        reopen_options=[(r, ctx.n("reopen_reason", r)) for r in ("new_facts", "new_evidence")],
        dossier=who.role in auth.DOSSIER_READERS,
        attachments=(found.get("attachments") or {}).get("attachments") if "attachments" in found else None,
        can_attach=who.role in auth.ATTACHMENT_ADDERS,
    )


def case_timeline(ctx: Ctx, complaint_id: str) -> Response:
    """The timeline alone (htmx refreshes it while the page is open: replies get delivered meanwhile)."""
    ctx.require(auth.COMPLAINT_READERS)
    complaint_id = _uuid(ctx, complaint_id)
    found = _read_case(ctx, complaint_id)  # the user's own token must still read it
    source = found.get("case") or found.get("complaint") or {}
    entries, problem = _timeline(ctx, complaint_id)
    return ctx.app.render(
        ctx,
        "_timeline.html",
        complaint_id=complaint_id,
        entries=entries,
        timeline_problem=problem,
        campus=source.get("campus", ""),
    )


def case_action(ctx: Ctx, complaint_id: str, action: str) -> Response:
    ctx.require(auth.COMPLAINT_READERS)
    ctx.check_csrf()
    complaint_id = _uuid(ctx, complaint_id)
    if action not in views.ACTIONS:
        raise Refused(ctx.t("error.not_found"), 404)
    form = ctx.request.form
    values = {**form.to_dict(), "departments": form.getlist("departments")}
    try:
        service, path, body = action_call(action, complaint_id, form)
    except FormIncomplete as missing:
        errors = {missing.field: [ctx.t(f"form.{missing.field}.missing")]}
        return case_page(ctx, complaint_id, action, errors, values, ctx.t("api.invalid"), 400)
    try:
        ctx.api().post(service, path, body)
    except ApiError as exc:
        if exc.status == 401:
            raise
        if exc.status == 400:
            return case_page(ctx, complaint_id, action, views.field_errors(exc.body), values, ctx.t("api.invalid"), 400)
        return case_page(ctx, complaint_id, action, {}, values, ctx.explain(exc), exc.status or 502)
    return ctx.app.redirect(ctx, f"/cases/{complaint_id}?done={action}")


# ==================================================================================================
# Attachments (CONTRACT §9): passed through to and from intake, never held whole
# ==================================================================================================


def upload_attachment(ctx: Ctx, complaint_id: str) -> Response:
    """The case page's upload form (multipart): werkzeug spools the file part to a temporary file as it
    arrives, and it is streamed on to intake from there, which decides its type and may refuse it."""
    ctx.require(auth.ATTACHMENT_ADDERS)
    ctx.check_csrf()  # reads the form: the file part goes to a temporary file, not memory
    complaint_id = _uuid(ctx, complaint_id)
    sent = ctx.request.files.get("file")
    if sent is None or not sent.filename:
        errors = {"file": [ctx.t("attachment.no_file")]}
        return case_page(ctx, complaint_id, "attach", errors, {}, ctx.t("api.invalid"), 400)
    try:
        with sent.stream as stream:
            post_file(
                ctx.api(), "intake", f"/complaints/{complaint_id}/attachments", stream, sent.filename, sent.mimetype
            )
    except ApiError as exc:
        if exc.status == 401:
            raise
        return case_page(
            ctx, complaint_id, "attach", views.field_errors(exc.body), {}, ctx.explain(exc), exc.status or 502
        )
    return ctx.app.redirect(ctx, f"/cases/{complaint_id}?done=attach#attachments")


def download_attachment(ctx: Ctx, complaint_id: str, attachment_id: str) -> Response:
    """An attachment's bytes from intake, passed on chunk by chunk with intake's type and name."""
    ctx.require(auth.COMPLAINT_READERS)
    complaint_id, attachment_id = _uuid(ctx, complaint_id), _uuid(ctx, attachment_id)
    answer = get_stream(ctx.api(), "intake", f"/complaints/{complaint_id}/attachments/{attachment_id}")

    def passed_on() -> Iterator[bytes]:
        with answer:
            yield from answer.iter_content(64 * 1024)

    kept = ("Content-Type", "Content-Disposition", "Content-Length", "X-Content-Type-Options", "Cache-Control")
    headers = {k: answer.headers[k] for k in kept if k in answer.headers}
    return ctx.app.respond(ctx, Response(passed_on(), headers=headers, direct_passthrough=True))


# ==================================================================================================
# Reports: services/console/reports.py
# ==================================================================================================


DOSSIER_TYPES = {"pdf": "application/pdf", "json": "application/json"}


def dossier(ctx: Ctx, complaint_id: str, fmt: str) -> Response:
    """The complaint's dossier from reporting (CONTRACT §9), passed through as it came, in the console's language."""
    ctx.require(auth.DOSSIER_READERS)
    complaint_id = _uuid(ctx, complaint_id)
    try:
        answer = ctx.api().get_raw("reporting", f"/complaints/{complaint_id}/dossier", format=fmt, lang=ctx.lang)
    except ApiError as exc:
        if exc.status == 401:
            raise
        raise Refused(ctx.explain(exc), exc.status or 502) from None
    disposition = answer.headers.get("Content-Disposition") or f'inline; filename="dossier-{complaint_id}.{fmt}"'
    response = Response(answer.content, mimetype=DOSSIER_TYPES[fmt], headers={"Content-Disposition": disposition})
    return ctx.app.respond(ctx, response)


# ==================================================================================================
# Errors
# ==================================================================================================


def path_segment(value: str) -> str:
    """A path segment as typed in an address, safe to put back into one (a redirect's Location)."""
    return quote(value, safe="")


def error_page(ctx: Ctx, sentence: str, status: int) -> Response:
    home = views.home(ctx.principal) if ctx.principal else "/login"
    return ctx.app.render(ctx, "error.html", status, problem=sentence, home=home, links=True)


# -- medical disputes' duties (CONTRACT §8) ----------------------------------------------------------------------


def _instant(form: Any, key: str) -> str | None:
    """A time typed in the campus's local time (the form's hidden ``tz``), as RFC 3339; empty: now. Text that is
    no time goes as typed, so the API names the field."""
    typed = _text(form, key)
    if not typed:
        return datetime.now(UTC).isoformat()
    try:
        at = datetime.fromisoformat(typed)
    except ValueError:
        return typed
    if at.tzinfo is None:
        at = at.replace(tzinfo=ZoneInfo(_text(form, "tz") or "Asia/Shanghai"))
    return at.isoformat()


def _authority_report_body(form: Any) -> dict[str, Any]:
    return _drop_empty(
        {**_texts(form, "authority", "report_kind", "reference"), "reported_at": _instant(form, "reported_at")}
    )


def _seal_body(form: Any) -> dict[str, Any]:
    """Unanswered questions and an empty list are left out: the API names them."""
    items = [line.strip() for line in _text(form, "items").splitlines() if line.strip()]
    return _drop_empty(
        {
            **_texts(form, "hospital_witness"),
            "items": items,
            "sealed_at": _instant(form, "sealed_at"),
            "patient_side_present": _bool(_text(form, "patient_side_present")),
            "list_signed_by_both": _bool(_text(form, "list_signed_by_both")),
        }
    )


def _police_body(form: Any) -> dict[str, Any]:
    return _drop_empty({**_texts(form, "reason", "reference"), "reported_at": _instant(form, "reported_at")})


def _referrer_reply_body(form: Any) -> dict[str, Any]:
    return _drop_empty(
        {
            "summary": _text(form, "summary"),
            "answered_by": _text(form, "answered_by"),
            "answered_at": _instant(form, "answered_at"),
        }
    )


_CASE_ACTIONS.update(
    {
        "change_dispute_route": ("disputes/{dispute_id}/route", lambda form: _texts(form, "route", "note")),
        "report_to_authority": ("disputes/{dispute_id}/authority-reports", _authority_report_body),
        "seal_records": ("seals", _seal_body),
        "unseal_records": ("seals/{seal_id}/unseal", lambda form: _texts(form, "reason")),
        "report_to_police": ("police-reports", _police_body),
        "referrer_reply": ("referrer-reply", _referrer_reply_body),
    }
)
