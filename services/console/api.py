"""The other services' HTTP APIs, called with the signed-in user's bearer token: the console owns no
complaint data, and every answer is what the services allow that user to see or do."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import IO, Any

import requests

from shared import auth

EVENT_PAGE = 1000  # the most GET /events gives at once


class ApiError(Exception):
    """A service answered 4xx/5xx (``status``, its JSON ``body``), or could not be reached (``status`` 0)."""

    def __init__(self, service: str, status: int, body: Mapping[str, Any] | None):
        super().__init__(f"{service} answered {status}: {(body or {}).get('error')}")
        self.service, self.status, self.body = service, status, dict(body or {})


class Api:
    def __init__(
        self, token: str, urls: Mapping[str, str], timeout: float = 10.0, session: requests.Session | None = None
    ):
        self.token, self.urls, self.timeout = token, dict(urls), timeout
        self.http = session or requests.Session()

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}

    def request(
        self,
        method: str,
        service: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> requests.Response:
        try:
            return self.http.request(
                method,
                f"{self.urls[service]}{path}",
                params=params,
                json=body,
                headers=self._headers(),
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise ApiError(service, 0, {"error": f"{service} cannot be reached ({type(exc).__name__})"}) from None

    def _json(self, service: str, response: requests.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            body = {"error": response.text[:500]}
        if response.status_code >= 400:
            raise ApiError(service, response.status_code, body if isinstance(body, dict) else {"error": str(body)})
        return body

    def get(self, service: str, path: str, **params: Any) -> dict[str, Any]:
        clean = {k: v for k, v in params.items() if v not in (None, "")}
        return self._json(service, self.request("GET", service, path, params=clean))

    def post(self, service: str, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return self._json(service, self.request("POST", service, path, body=body))

    def get_raw(self, service: str, path: str, **params: Any) -> requests.Response:
        """A non-JSON answer (the report's HTML or CSV); errors still raise :class:`ApiError`."""
        response = self.request("GET", service, path, params={k: v for k, v in params.items() if v not in (None, "")})
        if response.status_code >= 400:
            self._json(service, response)
        return response


def post_file(api: Api, service: str, path: str, stream: IO[bytes], name: str, content_type: str) -> dict[str, Any]:
    """A file as a request's body, read from ``stream`` as it is sent (its name in ``?name=``)."""
    try:
        response = api.http.post(
            f"{api.urls[service]}{path}",
            params={"name": name},
            data=stream,
            headers={**api._headers(), "Content-Type": content_type or "application/octet-stream"},
            timeout=api.timeout,
        )
    except requests.RequestException as exc:
        raise ApiError(service, 0, {"error": f"{service} cannot be reached ({type(exc).__name__})"}) from None
    return api._json(service, response)


def get_stream(api: Api, service: str, path: str) -> requests.Response:
    """An answer to pass on as it arrives (``iter_content``); errors raise :class:`ApiError`."""
    try:
        response = api.http.get(f"{api.urls[service]}{path}", headers=api._headers(), timeout=api.timeout, stream=True)
    except requests.RequestException as exc:
        raise ApiError(service, 0, {"error": f"{service} cannot be reached ({type(exc).__name__})"}) from None
    if response.status_code >= 400:
        with response:
            api._json(service, response)
    return response


def gather(calls: Sequence[Callable[[], Any]], workers: int = 8) -> list[Any]:
    """Run independent calls side by side (green threads under the service runner); each result is the
    call's value or the :class:`ApiError` it raised."""

    def run(call: Callable[[], Any]) -> Any:
        try:
            return call()
        except ApiError as exc:
            return exc

    if len(calls) <= 1:
        return [run(c) for c in calls]
    with ThreadPoolExecutor(max_workers=min(workers, len(calls))) as pool:
        return list(pool.map(run, calls))


def events_about(api: Api, service: str, subject: str) -> list[dict[str, Any]]:
    """Every event of ``service``'s log about one complaint, in sequence order: ``GET /events?subject=``
    reads that complaint's stream only (never the hospital's whole log), a page at a time."""
    found: list[dict[str, Any]] = []
    after = 0
    while True:
        page = api.get(service, "/events", subject=subject, after=after, limit=EVENT_PAGE)
        events = page.get("events") or []
        found.extend(events)
        if len(events) < EVENT_PAGE:
            return found
        after = events[-1]["sequence"]


def console_token() -> str:
    """The console's own token, for reading the event logs of a complaint its user has just been shown
    (see docs/console.md: the logs admit services, officers, auditors and ops only)."""
    return auth.authenticator().service_token("console")
