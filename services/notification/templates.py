"""Message templates per campus and language, checked at start-up and rendered safely.

Templates are plain text (first line ``Subject: …``) in ``templates/<lang>/<purpose>.txt``; a campus
may override any of them in ``templates/campus/<campus>/<lang>/<purpose>.txt``. They are rendered in
jinja2's immutable sandbox with strict undefined values, from a context of plain strings only, so a
template can read nothing beyond its data. At start-up every template a campus can need is parsed
and checked: it may use only the fields declared for its purpose, and must use the ones hospital
rules require (a reply names the contact person, what was done, the result and the date).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, meta
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import escape

LANGUAGES = ("zh-CN", "en")
ROOT = Path(__file__).resolve().parent / "templates"
COMPLAINANT_FIELDS = {"campus_name", "reference", "complainant_name", "date"}
# complaint_id stays readable for a campus's own templates, but the shipped ones name the reference (CONTRACT §13).
STAFF_FIELDS = {"campus_name", "complaint_id", "reference", "case_url", "recipient_name", "date"}
FIELDS: dict[str, set[str]] = {
    "acknowledgement": COMPLAINANT_FIELDS | {"received_date", "reply_last_day", "statutory_last_day", "statutory_days"},
    "not_accepted": COMPLAINANT_FIELDS | {"reason_text", "route_advice"},
    "reply": COMPLAINANT_FIELDS | {"contact_person", "contact_phone", "contact_email", "actions_taken", "result"},
    "interim_feedback": COMPLAINANT_FIELDS
    | {"contact_person", "contact_phone", "contact_email", "progress", "next_steps", "expected_reply_by"},
    "dispute_notice": COMPLAINANT_FIELDS,
    "reminder": STAFF_FIELDS | {"kind_text", "department", "last_day", "provisional"},
    "breach_alert": STAFF_FIELDS | {"kind_text", "department", "due"},
    "escalation": STAFF_FIELDS | {"severity", "reason", "major_dispute", "due", "department"},
    "rectification": STAFF_FIELDS | {"department", "description", "last_day"},
}
REQUIRED: dict[str, set[str]] = {
    "acknowledgement": {"reference", "reply_last_day", "statutory_last_day"},
    "not_accepted": {"reference", "reason_text", "route_advice"},
    "reply": {"reference", "contact_person", "actions_taken", "result", "date"},
    "interim_feedback": {"reference", "contact_person", "progress", "next_steps", "expected_reply_by", "date"},
    "dispute_notice": {"reference", "date"},
    "reminder": {"reference", "case_url", "last_day"},
    "breach_alert": {"reference", "case_url", "due"},
    "escalation": {"reference", "case_url", "reason"},
    "rectification": {"reference", "case_url", "description", "last_day"},
}


class TemplateError(ValueError):
    """A template is missing, broken, or does not say what it must; the message lists every problem."""


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


class Templates:
    def __init__(self, campuses: list[str], root: Path = ROOT):
        self.root = root
        self.env = ImmutableSandboxedEnvironment(
            undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False
        )
        self.compiled: dict[tuple[str, str, str], Any] = {}
        problems: list[str] = []
        for campus in campuses:
            for lang in LANGUAGES:
                for purpose in FIELDS:
                    problems += self._load(campus, lang, purpose)
        if problems:
            raise TemplateError("message templates: " + "; ".join(problems))

    def _path(self, campus: str, lang: str, purpose: str) -> Path:
        override = self.root / "campus" / campus / lang / f"{purpose}.txt"
        return override if override.exists() else self.root / lang / f"{purpose}.txt"

    def _load(self, campus: str, lang: str, purpose: str) -> list[str]:
        path = self._path(campus, lang, purpose)
        where = f"{path.relative_to(self.root) if path.is_relative_to(self.root) else path} ({campus})"
        if not path.exists():
            return [f"{where}: missing"]
        source = path.read_text(encoding="utf-8")
        if not source.startswith("Subject:"):
            return [f"{where}: the first line must be 'Subject: …'"]
        try:
            parsed = self.env.parse(source)
        except TemplateSyntaxError as exc:
            return [f"{where}: line {exc.lineno}: {exc.message}"]
        used = meta.find_undeclared_variables(parsed)
        problems = []
        unknown = sorted(used - FIELDS[purpose])
        if unknown:
            problems.append(f"{where}: uses field(s) a {purpose} does not have: {', '.join(unknown)}")
        missing = sorted(REQUIRED[purpose] - used)
        if missing:
            problems.append(f"{where}: must name {', '.join(missing)}")
        if not problems:
            self.compiled[(campus, lang, purpose)] = self.env.from_string(source)
        return problems

    def render(self, campus: str, lang: str, purpose: str, context: dict[str, Any]) -> Rendered:
        # A declared field the context lacks renders empty (a message queued before its purpose gained the field).
        allowed = {k: "" for k in FIELDS[purpose]}
        allowed.update({k: ("" if v is None else v) for k, v in context.items() if k in FIELDS[purpose]})
        text = self.compiled[(campus, lang, purpose)].render(**allowed)
        subject, _, body = tidy(text).partition("\n")
        return Rendered(subject.removeprefix("Subject:").strip(), body.strip() + "\n")


# A caller's text ending in a full stop, set before the template's own ("。。", "..", "。."): one mark stays.
_DOUBLED = re.compile(r"([。．！？；，、：.!?;,:])[ \t]*[。．.]|([。！？；，、：])[ \t]*[，,；;：:]")  # noqa: RUF001 (Chinese punctuation)


def tidy(text: str) -> str:
    """The rendered text without doubled punctuation (a writer's ellipsis "..." stays one, as "…")."""
    text = re.sub(r"\.{3,}", "…", text)
    previous = None
    while previous != text:
        previous, text = text, _DOUBLED.sub(lambda m: m.group(1) or m.group(2), text)
    return text


def letter_html(rendered: Rendered, campus_name: str, lang: str, address: str = "") -> str:
    """A printable letter (A4, no external resources), addressed where the complainant asked; every value is
    escaped."""
    paragraphs = "".join(f"<p>{escape(p)}</p>" for p in rendered.body.split("\n\n"))
    return (
        f'<!doctype html><html lang="{escape(lang)}"><head><meta charset="utf-8">'
        f"<title>{escape(rendered.subject)}</title><style>@page {{ size: A4; margin: 25mm }}"
        " body { font-family: serif; font-size: 12pt; line-height: 1.5 } p { white-space: pre-line }"
        " header { border-bottom: 1px solid #000; margin-bottom: 2em }</style></head>"
        f"<body><header><strong>{escape(campus_name)}</strong></header>"
        + (f'<address style="white-space:pre-line">{escape(address)}</address>' if address else "")
        + f'<h1 style="font-size:14pt">{escape(rendered.subject)}</h1>{paragraphs}</body></html>'
    )
