"""Delivery: sends queued messages over their channel, tries again with backoff, gives up visibly.

One message at a time per claim, in three steps: the row is claimed (``FOR UPDATE SKIP LOCKED``, so
replicas never take the same one; status ``sending``, committed), sent with no transaction open, and
its outcome written together with the event it leads to (``ReplySent``, ``ReminderSent``,
``NotificationFailed``). Writing the outcome is retried while the database is away (a failover), so
a message that went out is never sent again because its outcome could not be written at once. A
claim names its deliverer, and every deliverer writes a heartbeat every ``HEARTBEAT_SECONDS``: a
claim whose deliverer fell silent for ``SILENT_SECONDS`` (SIGKILL, a lost node) is released and sent
again with the same key (the far side's idempotency key); ``CLAIM_LEASE_SECONDS`` is the backstop. Contact
details are asked from intake (RPC) at send time and kept only in memory: never stored, logged or
put in an event.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from nameko.standalone.rpc import ClusterRpcProxy
from prometheus_client import Counter

from services.notification import domain, settings
from services.notification.channels import Email, PermanentFailure, Sms, TransientFailure
from services.notification.templates import Rendered, Templates, letter_html
from shared import config, glossary
from shared.auth import authenticator
from shared.db import Cursor, Database, DatabaseUnavailable, fetch_dicts
from shared.envelope import Envelope, new_event, rfc3339
from shared.eventstore import EventStore
from shared.runtime import BackgroundLoop, database

SERVICE = "notification"
STORE = EventStore(SERVICE)
log = logging.getLogger(__name__)
NOTIFICATIONS = Counter(
    "complaints_notifications_total", "Messages by purpose, channel and outcome.", ["purpose", "channel", "outcome"]
)

DEAR = {"en": "Sir or Madam", "zh-CN": "先生/女士"}  # no name given (codes are worded in shared/glossary.py)
CLAIM_LEASE_SECONDS = 300  # a claim older than this is released whoever holds it (the backstop)
HEARTBEAT_SECONDS = 2.0  # how often a deliverer says it is alive
SILENT_SECONDS = 20  # a deliverer not heard of for this long died: its claims are released
RECORD_WAITS = (0.5, 1, 2, 4, 8, 15, 30)  # recording an outcome outlasts a failover (about a minute)
COLUMNS = (
    "notification_id::text, complaint_id::text, caused_by, purpose, campus, recipient_role, recipient_id,"
    " context, channel_preference, attempts, status"
)

Contacts = Callable[[str], dict[str, Any]]


class NotSendable(Exception):
    """Nothing may or can be sent (anonymous complainant, no contact details); recorded, not retried."""


class Deliverer:
    def __init__(
        self,
        db: Database,
        contacts: Contacts,
        email: Email,
        sms: Sms,
        templates: Templates,
        directory: domain.Directory,
        max_attempts: int,
        backoff: float,
        backoff_cap: float,
    ):
        self.db, self.contacts, self.email, self.sms = db, contacts, email, sms
        self.templates, self.directory = templates, directory
        self.max_attempts, self.backoff, self.backoff_cap = max_attempts, backoff, backoff_cap
        self.deliverer_id = str(uuid.uuid4())

    def heartbeat(self) -> None:
        """Say this deliverer is alive (its claims stay its own); forget deliverers silent for a day."""
        with self.db.transaction() as cur:
            cur.execute(
                "INSERT INTO deliverers (deliverer_id) VALUES (%s)"
                " ON CONFLICT (deliverer_id) DO UPDATE SET seen_at = now()",
                (self.deliverer_id,),
            )
            cur.execute("DELETE FROM deliverers WHERE seen_at < now() - interval '1 day'")

    # -- the loop's one step ---------------------------------------------------------------------
    def deliver_due(self, now: datetime | None = None, limit: int = 100) -> int:
        """Try every message due by ``now`` (at most ``limit``); returns how many were tried."""
        self.heartbeat()  # before the first claim: a claim is never held by a deliverer not yet heard of
        self._release_stale_claims()
        tried = 0
        while tried < limit:
            moment = now or datetime.now(UTC)
            row = self._claim(moment)
            if row is None:
                return tried
            try:
                outcome = self._attempt(row, moment)
            except BaseException:  # nothing was sent (the channels raise only their own failures): release it
                self._release(row)
                raise
            self._record(row, *outcome)
            tried += 1
        return tried

    def _claim(self, moment: datetime) -> dict[str, Any] | None:
        with self.db.transaction() as cur:
            cur.execute(
                f"SELECT {COLUMNS} FROM notifications WHERE status = 'pending' AND next_attempt_at <= %s"
                " ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED",
                (moment,),
            )
            rows = fetch_dicts(cur)
            if rows:
                cur.execute(
                    "UPDATE notifications SET status = %s, claimed_by = %s, updated_at = now()"
                    " WHERE notification_id = %s",
                    (domain.SENDING, self.deliverer_id, rows[0]["notification_id"]),
                )
        return rows[0] if rows else None

    def _release(self, row: dict[str, Any]) -> None:
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE notifications SET status = 'pending', claimed_by = NULL"
                " WHERE notification_id = %s AND status = %s AND claimed_by = %s",
                (row["notification_id"], domain.SENDING, self.deliverer_id),
            )

    def _release_stale_claims(self) -> None:
        """Claims of a deliverer silent too long (or older than the lease) were left by a process that died
        between claiming and recording."""
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE notifications n SET status = 'pending', claimed_by = NULL WHERE status = %s"
                " AND (updated_at < now() - make_interval(secs => %s) OR NOT EXISTS ("
                "  SELECT 1 FROM deliverers d WHERE d.deliverer_id = n.claimed_by"
                "  AND d.seen_at >= now() - make_interval(secs => %s)))",
                (domain.SENDING, CLAIM_LEASE_SECONDS, SILENT_SECONDS),
            )

    def _record(self, row: dict[str, Any], write: Callable[[Cursor], None], channel: str, result: str) -> None:
        """Write an attempt's outcome; while the database is away, keep trying (the message may have gone out)."""
        for wait in RECORD_WAITS:
            try:
                with self.db.transaction() as cur:
                    cur.execute(
                        "SELECT status, claimed_by::text FROM notifications WHERE notification_id = %s FOR UPDATE",
                        (row["notification_id"],),
                    )
                    found = cur.fetchone()
                    if found is None or found != (domain.SENDING, self.deliverer_id):
                        return  # the claim was released meanwhile: the next claim records its own attempt
                    write(cur)
                NOTIFICATIONS.labels(row["purpose"], channel, result).inc()
                return
            except DatabaseUnavailable as exc:
                log.warning(
                    "could not record a %s notification's outcome (%s); trying again in %.1fs",
                    row["purpose"],
                    exc,
                    wait,
                    extra={"notification_id": row["notification_id"]},
                )
                time.sleep(wait)
        log.error(
            "gave up recording a %s notification's outcome; its claim is released after %ss",
            row["purpose"],
            CLAIM_LEASE_SECONDS,
            extra={"notification_id": row["notification_id"]},
        )

    def _attempt(self, row: dict[str, Any], now: datetime) -> tuple[Callable[[Cursor], None], str, str]:
        """Send (no transaction open); returns how to record the outcome, and its metric labels."""
        attempts = row["attempts"] + 1
        channel = None
        try:
            channel, send = self._prepare(row)
            if channel == domain.LETTER:  # the office prints it and marks it posted (POST /letters/<id>/posted)
                return lambda cur: self._update(cur, row, "queued", attempts, channel=channel), channel, "queued"
            send()
        except NotSendable as exc:
            error = str(exc)  # bound now: ``exc`` is gone once the except block ends
            return lambda cur: self._update(cur, row, domain.NOT_SENT, attempts, error=error), "none", "not_sent"
        except TransientFailure as exc:
            error = str(exc)
            if not domain.should_give_up(attempts, self.max_attempts):
                retry_at = domain.next_attempt(attempts, now, self.backoff, self.backoff_cap)
                return (
                    lambda cur: self._update(
                        cur, row, domain.PENDING, attempts, channel=channel, error=error, next_attempt_at=retry_at
                    ),
                    channel or "none",
                    "retry",
                )
            return lambda cur: self._fail(cur, row, attempts, channel, error, now), channel or "none", "failed"
        except PermanentFailure as exc:
            error = str(exc)
            return lambda cur: self._fail(cur, row, attempts, channel, error, now), channel or "none", "failed"

        def sent(cur: Cursor) -> None:
            self._update(cur, row, domain.SENT, attempts, channel=channel, sent_at=now)
            self._sent_event(cur, row, channel, now)

        return sent, channel, "sent"

    # -- deciding channel and text -------------------------------------------------------------
    def _prepare(self, row: dict[str, Any]) -> tuple[str, Callable[[], None]]:
        campus = row["campus"]
        lang = self.directory.languages.get(campus, "zh-CN")
        context = dict(row["context"])
        context["date"] = self._local(campus, datetime.now(UTC)).date().isoformat()
        if row["recipient_id"] == domain.COMPLAINANT:
            contact = self._contact(row["complaint_id"])
            channel = domain.complainant_channel(contact, row["channel_preference"], row["purpose"])
            if channel is None:
                raise NotSendable(
                    "anonymous complainant: nothing is sent" if contact.get("anonymous") else "no contact details"
                )
            context.update(self._complainant_context(contact, context, lang, campus))
            rendered = self.templates.render(campus, lang, row["purpose"], context)
            address = contact.get("email") if channel == domain.EMAIL else contact.get("phone")
        else:
            recipient = self.directory.staff(row["recipient_id"])
            if recipient is None:
                raise PermanentFailure(f"{row['recipient_id']} is no longer in the recipient directory")
            channel = domain.staff_channel(recipient)
            context.update(self._staff_context(recipient, context, lang, campus))
            rendered = self.templates.render(campus, lang, row["purpose"], context)
            address = recipient.email if channel == domain.EMAIL else recipient.phone
        return channel, self._sender(channel, address or "", rendered, row["notification_id"])

    def _sender(self, channel: str, address: str, rendered: Rendered, key: str) -> Callable[[], None]:
        if channel == domain.EMAIL:
            return lambda: self.email.send(address, rendered.subject, rendered.body, key)
        if channel == domain.SMS:
            return lambda: self.sms.send(address, f"{rendered.subject}\n{rendered.body}", key)
        return lambda: None

    def _contact(self, complaint_id: str) -> dict[str, Any]:
        try:
            contact = self.contacts(complaint_id)
        except LookupError as exc:
            raise PermanentFailure(f"intake does not know the complaint: {exc}") from None
        except Exception as exc:  # intake or the broker unavailable: try again later
            raise TransientFailure(f"contact details unavailable: {type(exc).__name__}") from None
        if contact.get("erased"):
            raise PermanentFailure("the complainant's personal data was erased on request: nothing can be sent")
        return contact

    def _local(self, campus: str, moment: datetime) -> datetime:
        zone = settings.HOSPITAL.campuses.get(campus, {}).get("timezone", "Asia/Shanghai")
        return moment.astimezone(ZoneInfo(zone))

    def _when(self, campus: str, value: str | None) -> str:
        if not value:
            return ""
        return self._local(campus, datetime.fromisoformat(value.replace("Z", "+00:00"))).strftime("%Y-%m-%d %H:%M")

    def _complainant_context(
        self, contact: dict[str, Any], context: dict[str, Any], lang: str, campus: str
    ) -> dict[str, Any]:
        return {
            "complainant_name": contact.get("name") or DEAR[lang],
            "reference": contact.get("reference") or "",
            "received_date": self._when(campus, context.get("received_at"))[:10],
            "reason_text": glossary.in_letter(lang, "not_accepted_reason", context.get("reason", "")),
        }

    def _staff_context(
        self, recipient: domain.Recipient, context: dict[str, Any], lang: str, campus: str
    ) -> dict[str, Any]:
        return {
            "recipient_name": recipient.name,
            "kind_text": glossary.in_letter(lang, "deadline_kind", context.get("kind", "")),
            "due": self._when(campus, context.get("due_at")),
        }

    # -- recording -----------------------------------------------------------------------------
    def _update(
        self,
        cur: Cursor,
        row: dict[str, Any],
        status: str,
        attempts: int,
        channel: str | None = None,
        error: str | None = None,
        next_attempt_at: datetime | None = None,
        sent_at: datetime | None = None,
    ) -> None:
        cur.execute(
            "UPDATE notifications SET status = %s, attempts = %s, channel = coalesce(%s, channel), last_error = %s,"
            " detail = coalesce(%s, detail), next_attempt_at = coalesce(%s, next_attempt_at), sent_at = %s,"
            " updated_at = now() WHERE notification_id = %s",
            (status, attempts, channel, error, error, next_attempt_at, sent_at, row["notification_id"]),
        )

    def _fail(
        self, cur: Cursor, row: dict[str, Any], attempts: int, channel: str | None, error: str, now: datetime
    ) -> None:
        self._update(cur, row, domain.FAILED, attempts, channel=channel, error=error)
        log.warning(
            "gave up on a %s notification after %d attempts: %s",
            row["purpose"],
            attempts,
            error,
            extra={"notification_id": row["notification_id"], "complaint_id": row["complaint_id"]},
        )
        data = {
            "complaint_id": row["complaint_id"],
            "campus": row["campus"],
            "notification_id": row["notification_id"],
            "purpose": row["purpose"],
            "channel": channel or domain.EMAIL,
            "attempts": attempts,
            "error": error[:4000],
            "failed_at": rfc3339(now),
            "actor": {"id": "system", "role": "system"},
        }
        if row["purpose"] == "reply":
            data["reply_id"] = row["context"]["reply_id"]
        self._append(cur, row, "NotificationFailed", data, now)

    def _sent_event(
        self, cur: Cursor, row: dict[str, Any], channel: str, now: datetime, actor: dict[str, str] | None = None
    ) -> None:
        base = {
            "complaint_id": row["complaint_id"],
            "campus": row["campus"],
            "notification_id": row["notification_id"],
            "sent_at": rfc3339(now),
            "actor": actor or {"id": "system", "role": "system"},
        }
        if row["purpose"] == "reply":
            self._append(
                cur, row, "ReplySent", {**base, "reply_id": row["context"]["reply_id"], "channel": channel}, now
            )
        elif row["purpose"] == "reminder":
            context = row["context"]
            self._append(
                cur,
                row,
                "ReminderSent",
                {
                    **base,
                    "kind": context["kind"],
                    "department": context.get("department") or None,
                    "recipient_role": row["recipient_role"],
                    "channel": channel,
                    "due_at": context["due_at"],
                },
                now,
            )

    def _append(
        self, cur: Cursor, row: dict[str, Any], event_type: str, data: dict[str, Any], now: datetime
    ) -> list[Envelope]:
        event = new_event(
            SERVICE,
            event_type,
            row["complaint_id"],
            data,
            time=now,
            causationid=row["caused_by"],
            correlationid=(row.get("context") or {}).get("correlationid"),
        )
        return STORE.append(cur, row["complaint_id"], None, [event])

    # -- letters -------------------------------------------------------------------------------
    def letter(self, row: dict[str, Any]) -> str:
        """The printable letter, rendered now (contact details are not stored)."""
        campus = row["campus"]
        lang = self.directory.languages.get(campus, "zh-CN")
        contact = self._contact(row["complaint_id"])
        context = {**row["context"], "date": self._local(campus, datetime.now(UTC)).date().isoformat()}
        context.update(self._complainant_context(contact, context, lang, campus))
        rendered = self.templates.render(campus, lang, row["purpose"], context)
        return letter_html(rendered, self.directory.campus_names.get(campus, campus), lang)

    def mark_posted(self, cur: Cursor, row: dict[str, Any], now: datetime, actor: dict[str, str]) -> None:
        self._update(cur, row, domain.SENT, row["attempts"], channel=domain.LETTER, sent_at=now)
        NOTIFICATIONS.labels(row["purpose"], domain.LETTER, "sent").inc()
        self._sent_event(cur, row, domain.LETTER, now, actor)


class IntakeContacts:
    """Contact details over intake's nameko RPC, through one long-lived proxy (reconnected on failure)."""

    def __init__(self, amqp_uri: str, timeout: float = 10.0):
        self.config = {"AMQP_URI": amqp_uri}
        self.timeout = timeout
        self.proxy: ClusterRpcProxy | None = None
        self.rpc: Any = None
        self.lock = threading.Lock()

    def __call__(self, complaint_id: str) -> dict[str, Any]:
        with self.lock:
            if self.rpc is None:
                self.proxy = ClusterRpcProxy(self.config, timeout=self.timeout)
                self.rpc = self.proxy.start()
            try:
                # intake answers only a caller with notification's service token (minted per call: it expires)
                return self.rpc.intake.contact_for(complaint_id, token=authenticator().service_token(SERVICE))
            except Exception as exc:
                if getattr(exc, "exc_type", "") == "ComplaintNotFound":
                    raise LookupError(str(exc)) from None
                self.close()
                raise

    def close(self) -> None:
        if self.proxy is not None:
            try:
                self.proxy.stop()
            except Exception:  # already broken
                log.debug("closing the RPC proxy failed", exc_info=True)
        self.proxy, self.rpc = None, None


def make_deliverer(db: Database, contacts: Contacts) -> Deliverer:
    return Deliverer(
        db,
        contacts,
        Email.from_env(),
        Sms.from_env(),
        settings.TEMPLATES,
        settings.DIRECTORY,
        settings.MAX_ATTEMPTS,
        settings.BACKOFF_SECONDS,
        settings.BACKOFF_CAP_SECONDS,
    )


class DeliveryWorker(BackgroundLoop):
    """Runs delivery in the background of every notification replica."""

    def setup(self) -> None:
        super().setup()
        self.interval = settings.DELIVERY_INTERVAL
        self.contacts = IntakeContacts(config.amqp_uri(SERVICE), float(os.environ.get("INTAKE_RPC_TIMEOUT", "10")))
        self.deliverer = make_deliverer(database(SERVICE), self.contacts)

    def start(self) -> None:
        super().start()
        self.container.spawn_managed_thread(self._beat)

    def _beat(self) -> None:
        """Heartbeats on their own thread: a round busy sending (or recording through a failover) still beats."""
        while not self.stopping.wait(HEARTBEAT_SECONDS):
            try:
                self.deliverer.heartbeat()
            except Exception as exc:  # the database away: the next beat tries again
                log.debug("heartbeat failed: %s", exc)

    def round(self) -> None:
        self.deliverer.deliver_due()

    def stop(self) -> None:
        super().stop()
        self.contacts.close()

    def get_dependency(self, worker_ctx: object) -> Deliverer:
        return self.deliverer
