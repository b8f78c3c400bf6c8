"""The console in a real browser: the four services and the console as processes (like tests/e2e), a
stand-in identity provider, and headless Chromium from Debian's package driven by Playwright."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from shared import config
from tests.e2e.conftest import Helper, ServiceProcess, SmsGateway, Smtp, Stack, StackBroker, use_stand_ins
from tests.support.waiting import wait_for

# Assertions wait for the page as long as actions do (Playwright's 5 s default is less than an htmx refresh can
# take on two cores busy with the whole suite; a failing assertion still fails, only later).
expect.set_options(timeout=20_000)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = config.ROOT / "docs" / "screenshots"


def _ports() -> dict[str, int]:
    """The slot's ports: services +0..3 (set by the root conftest), SMTP/SMS +4/+5, the identity provider +6,
    the console +7."""
    base = int(os.environ["INTAKE_PORT"])
    return {"smtp": base + 4, "sms": base + 5, "idp": base + 6, "console": base + 7}


class IdentityProvider(Helper):
    def __init__(self, port: int):
        super().__init__(["tests.console.fake_idp", str(port)], port, "fake-idp")
        self.url = f"http://127.0.0.1:{port}"


@pytest.fixture(scope="package")
def stack(rabbit_vhost, tmp_path_factory) -> Iterator[Stack]:
    ports = _ports()
    smtp = Smtp(ports["smtp"], tmp_path_factory.mktemp("smtp"))
    sms = SmsGateway(ports["sms"])
    idp = IdentityProvider(ports["idp"])
    console_url = f"http://127.0.0.1:{ports['console']}"
    use_stand_ins(smtp, sms)
    broker = StackBroker()
    from tests.support.databases import fresh_service_database

    services = Stack({s: ServiceProcess(s) for s in config.SERVICES})
    services["console"] = ServiceProcess(
        "console",
        ports["console"],
        env={
            "CONSOLE_DEMO_LOGIN": "true",
            "OIDC_ISSUER": idp.url,
            "OIDC_CLIENT_ID": "complaints-console",
            "OIDC_CLIENT_SECRET": "console-secret",
            "OIDC_REDIRECT_URI": f"{console_url}/login/oidc/callback",
        },
    )
    services.smtp, services.sms = smtp, sms
    services.published = []
    for service in config.SERVICES:
        fresh_service_database(service)
    try:
        smtp.start()
        sms.start()
        idp.start()
        for process in services.values():
            process.start()
        yield services
    finally:
        for process in services.values():
            process.stop()
        for helper in (smtp, sms, idp):
            helper.stop()
        broker.close()


@pytest.fixture(scope="package")
def console(stack) -> str:
    return stack["console"].url


@pytest.fixture(scope="package")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/ensure-browser.sh")
    from playwright.sync_api import sync_playwright

    # Not ``with sync_playwright()``: its stop() waits for the driver's exit through asyncio's child watcher,
    # which never wakes under the root conftest's eventlet monkey-patching. The driver ends by itself when
    # this process exits and closes its pipe.
    playwright = sync_playwright().start()
    launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield launched
    launched.close()


@pytest.fixture
def new_page(browser, console):
    """A fresh browser profile (its own cookies) per user; several users may act in one test."""
    contexts = []

    def make(lang: str = "en-US"):
        context = browser.new_context(
            base_url=console, locale=lang, viewport={"width": 1280, "height": 860}, accept_downloads=True
        )
        context.set_default_timeout(20_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def sign_in(page, person: str, language: str = "en") -> None:
    """Through the sign-in page, as one of the demo users (``east-office``, ``east-cardiology``, ...)."""
    page.goto("/login")
    if page.locator("html").get_attribute("lang") != language:
        page.get_by_role("button", name="English" if language == "en" else "中文").click()
        page.wait_for_function(f"document.documentElement.lang === '{language}'")
    page.locator(f"button[data-person='{person}']").click()
    page.wait_for_selector("[data-testid=who]")


def screenshot(page, name: str) -> Path:
    """A picture of the page for docs/console.md (committed; small: one viewport wide, at most two high)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    height = min(page.evaluate("document.documentElement.scrollHeight"), 1720)
    page.screenshot(path=str(path), clip={"x": 0, "y": 0, "width": 1280, "height": height}, full_page=True)
    return path


def api_complaint(stack, token: str, **overrides) -> dict:
    body = {
        "campus": "east",
        "channel": "phone",
        "category": "billing",
        "severity": "normal",
        "source": "patient_or_family",
        "summary": "Charged twice for one X-ray",
        "departments": [],
        "complainant": {"name": "Li Lei", "phone": "+86 139 0000 1111", "relation": "self"},
    }
    body.update(overrides)
    response = stack.intake.post("/complaints", body, token=token)
    assert response.status_code == 201, response.text
    created = response.json()
    wait_for(
        lambda: stack.investigation.get(f"/cases/{created['complaint_id']}").status_code == 200, what="the case opened"
    )
    return created


EXTERNAL_URL = re.compile(r"https?://[^\s\"'<>)]+")


def external_urls(text: str, allowed: tuple[str, ...]) -> list[str]:
    return [u for u in EXTERNAL_URL.findall(text) if not u.startswith(allowed)]


def get(url: str, **kwargs) -> requests.Response:
    return requests.get(url, timeout=10, **kwargs)
