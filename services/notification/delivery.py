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

from services.notification import domain, settings, store
from services.notification.channels import Email, PermanentFailure, Sms, TransientFailure
from services.notification.templates import Rendered, Templates, letter_html
from shared import config, glossary
from shared.auth import authenticator
from shared.db import Database, DatabaseUnavailable, fetch_dicts
from shared.runtime import BackgroundLoop, database

SERVICE = "notification"
log = logging.getLogger(__name__)
NOTIFICATIONS = Counter(
    "complaints_notifications_total", "Messages by purpose, channel and outcome.", ["purpose", "channel", "outcome"]
)

DEAR = {"en": "Sir or Madam", "zh-CN": "先生/女士"}  # no name given (codes are worded in shared/glossary.py)
CLAIM_LEASE_SECONDS = 300  # a claim older than this is released whoever holds it (the backstop)
HEARTBEAT_SECONDS = 2.0  # how often a deliverer says it is alive
SILENT_SECONDS = 20  # a deliverer not heard of for this long died: its claims are released
RECORD_WAITS = (0.5, 1, 2, 4, 8, 15, 30)  # recording an outcome outlasts a failover (about a minute)

Contacts = Callable[[str], dict[str, Any]]


class NotSendable(Exception):
    """Nothing may or can be sent (anonymous complainant, no contact details); recorded, not retried."""


class NoAddress(Exception):
    """A letter is due but the complainant gave no postal address: flagged (NotificationFailed), not queued."""


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
            notification = self._claim(moment)
            if notification is None:
                return tried
            try:
                outcome = self._attempt(notification, moment)
            except BaseException:  # nothing was sent (the channels raise only their own failures): release it
                self._release(notification)
                raise
            self._record(notification, *outcome)
            tried += 1
        return tried

    def _claim(self, moment: datetime) -> domain.Notification | None:
        with self.db.transaction() as cur:
            cur.execute(
                f"SELECT {store.COLUMNS} FROM notifications WHERE status = 'pending' AND next_attempt_at <= %s"
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
        return domain.Notification(**rows[0]) if rows else None

    def _release(self, notification: domain.Notification) -> None:
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE notifications SET status = 'pending', claimed_by = NULL"
                " WHERE notification_id = %s AND status = %s AND claimed_by = %s",
                (notification.notification_id, domain.SENDING, self.deliverer_id),
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

    def _record(self, notification: domain.Notification, outcome: domain.Outcome, channel: str, result: str) -> None:
        """Write an attempt's outcome; while the database is away, keep trying (the message may have gone out)."""
        for wait in RECORD_WAITS:
            try:
                with self.db.transaction() as cur:
                    cur.execute(
                        "SELECT status, claimed_by::text FROM notifications WHERE notification_id = %s FOR UPDATE",
                        (notification.notification_id,),
                    )
                    found = cur.fetchone()
                    if found is None or found != (domain.SENDING, self.deliverer_id):
                        return  # the claim was released meanwhile: the next claim records its own attempt
                    store.save(cur, notification, outcome)
                NOTIFICATIONS.labels(notification.purpose, channel, result).inc()
                if outcome.status == domain.FAILED:
                    self._gave_up(notification, outcome)
                return
            except DatabaseUnavailable as exc:
                log.warning(
                    "could not record a %s notification's outcome (%s); trying again in %.1fs",
                    notification.purpose,
                    exc,
                    wait,
                    extra={"notification_id": notification.notification_id},
                )
                time.sleep(wait)
        log.error(
            "gave up recording a %s notification's outcome; its claim is released after %ss",
            notification.purpose,
            CLAIM_LEASE_SECONDS,
            extra={"notification_id": notification.notification_id},
        )

    def _gave_up(self, notification: domain.Notification, outcome: domain.Outcome) -> None:
        log.warning(
            "gave up on a %s notification after %d attempts: %s",
            notification.purpose,
            outcome.attempts,
            outcome.error,
            extra={"notification_id": notification.notification_id, "complaint_id": notification.complaint_id},
        )

    def _attempt(self, notification: domain.Notification, now: datetime) -> tuple[domain.Outcome, str, str]:
        """Send (no transaction open); returns the outcome to record, and its metric labels."""
        attempts = notification.attempts + 1
        channel = None
        if notification.channel_preference in domain.DELIVERED_BY_STAFF and notification.context.get("delivered_at"):
            return domain.given_by_staff(notification, attempts), notification.channel_preference, "sent"
        try:
            channel, send = self._prepare(notification)
            if channel == domain.LETTER:  # the office prints it and marks it posted (POST /letters/<id>/posted)
                return domain.queued_as_letter(attempts), channel, "queued"
            send()
        except NotSendable as exc:
            return domain.not_sent(attempts, str(exc)), "none", "not_sent"
        except NoAddress as exc:
            context = domain.Context(now)
            return (
                domain.failed(notification, attempts, domain.LETTER, str(exc), context, domain.NO_ADDRESS),
                "letter",
                "failed",
            )
        except (TransientFailure, PermanentFailure) as exc:
            if isinstance(exc, TransientFailure) and not domain.should_give_up(attempts, self.max_attempts):
                retry_at = domain.next_attempt(attempts, now, self.backoff, self.backoff_cap)
                return domain.try_again(attempts, channel, str(exc), retry_at), channel or "none", "retry"
            outcome = domain.failed(notification, attempts, channel, str(exc), domain.Context(now))
            return outcome, channel or "none", "failed"
        return domain.sent(notification, attempts, channel, domain.Context(now)), channel, "sent"

    # -- deciding channel and text -------------------------------------------------------------
    def _prepare(self, notification: domain.Notification) -> tuple[str, Callable[[], None]]:
        campus = notification.campus
        lang = self.directory.languages.get(campus, "zh-CN")
        context = self._shared_context(notification, lang)
        if notification.recipient_id == domain.COMPLAINANT:
            contact = self._contact(notification.complaint_id)
            # the office's choice for this message, else the complainant's own (stated when details were corrected)
            preference = notification.channel_preference or contact.get("preferred_channel")
            channel = domain.complainant_channel(contact, preference, notification.purpose)
            if channel is None:
                raise NotSendable(
                    "anonymous complainant: nothing is sent" if contact.get("anonymous") else "no contact details"
                )
            if channel == domain.NO_ADDRESS:
                raise NoAddress("no_address: a letter is due but the complainant gave no postal address")
            context.update(self._complainant_context(contact, context, lang, campus))
            rendered = self.templates.render(campus, lang, notification.purpose, context)
            address = contact.get("email") if channel == domain.EMAIL else contact.get("phone")
        else:
            recipient = self.directory.staff(notification.recipient_id)
            if recipient is None:
                raise PermanentFailure(f"{notification.recipient_id} is no longer in the recipient directory")
            channel = domain.staff_channel(recipient)
            if channel is None:
                raise PermanentFailure(f"{recipient.id} has no e-mail and no mobile number in the directory")
            context.update(self._staff_context(notification, recipient, context, lang))
            rendered = self.templates.render(campus, lang, notification.purpose, context)
            address = recipient.email if channel == domain.EMAIL else recipient.phone
        return channel, self._sender(channel, address or "", rendered, notification.notification_id)

    def _shared_context(self, notification: domain.Notification, lang: str) -> dict[str, Any]:
        """What every message says the reader's way: the campus's and department's names in their language
        (never codes), today's date on the campus's calendar (CONTRACT §13)."""
        campus = notification.campus
        context = dict(notification.context)
        context["date"] = self._local(campus, datetime.now(UTC)).date().isoformat()
        # a message telling of a decision or an escalation dates it by when that happened, on the campus's calendar
        happened = context.get("escalated_at") or context.get("decided_at")
        if happened:
            context["date"] = self._when(campus, happened)[:10]
        context["campus_name"] = settings.HOSPITAL.campus_name(campus, lang) or context.get("campus_name") or ""
        if context.get("department"):
            department = context["department"]
            context["department"] = settings.HOSPITAL.department_name(department, lang) or department
        return context

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
        office_contact = self.directory.staff(context.get("contact_id") or "")
        role = glossary.label(lang, "role", office_contact.role) if office_contact else ""
        return {
            "contact_person": office_contact.name_in(lang, role or "")
            if office_contact
            else context.get("contact_person", ""),
            "complainant_name": contact.get("name") or DEAR[lang],
            "reference": contact.get("reference") or "",
            "received_date": self._when(campus, context.get("received_at"))[:10],
            "reason_text": glossary.in_letter(lang, "not_accepted_reason", context.get("reason", "")),
        }

    def _staff_context(
        self, notification: domain.Notification, recipient: domain.Recipient, context: dict[str, Any], lang: str
    ) -> dict[str, Any]:
        """A staff message names the case by its reference and links to it in the console; codes become words."""
        role = glossary.label(lang, "role", recipient.role) or ""
        reason = context.get("reason", "")
        return {
            "recipient_name": recipient.name_in(lang, role),
            "reference": context.get("reference") or self._reference(notification.complaint_id),
            "case_url": f"{settings.CONSOLE_BASE_URL}/cases/{notification.complaint_id}",
            "kind_text": glossary.in_letter(lang, "deadline_kind", context.get("kind", "")),
            "due": self._when(notification.campus, context.get("due_at")),
            "severity": glossary.label(lang, "severity", context.get("severity", "")) or "",
            "reason": glossary.in_letter(lang, "escalation_reason", reason) or reason,
        }

    def _reference(self, complaint_id: str) -> str:
        """The complaint's reference, from intake (the events staff are told about do not carry it)."""
        try:
            reference = self.contacts(complaint_id).get("reference")
        except LookupError as exc:
            raise PermanentFailure(f"intake does not know the complaint: {exc}") from None
        except Exception as exc:  # intake or the broker unavailable: try again later
            raise TransientFailure(f"the complaint's reference unavailable: {type(exc).__name__}") from None
        if not reference:
            raise PermanentFailure("intake gave no reference for the complaint")
        return str(reference)

    # -- letters -------------------------------------------------------------------------------
    def letter(self, notification: domain.Notification) -> str:
        """The printable letter, rendered now (contact details are not stored)."""
        campus = notification.campus
        lang = self.directory.languages.get(campus, "zh-CN")
        contact = self._contact(notification.complaint_id)
        context = self._shared_context(notification, lang)
        context.update(self._complainant_context(contact, context, lang, campus))
        rendered = self.templates.render(campus, lang, notification.purpose, context)
        return letter_html(rendered, context["campus_name"], lang, contact.get("postal_address") or "")


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
