"""The delivery channels: e-mail over SMTP and SMS through an HTTP gateway.

Each raises :class:`TransientFailure` for what may work later (server down, timeout, 5xx, 4xx SMTP
replies) and :class:`PermanentFailure` for what never will (address refused, 4xx from the gateway).
Letters are not a network channel: they are queued for the office (see delivery.py).
"""

from __future__ import annotations

import os
import smtplib
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid

import requests


class TransientFailure(Exception):
    pass


class PermanentFailure(Exception):
    pass


@dataclass(frozen=True)
class Email:
    host: str
    port: int
    sender: str
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 10.0

    @classmethod
    def from_env(cls) -> Email:
        return cls(
            host=os.environ.get("SMTP_HOST", "127.0.0.1"),
            port=int(os.environ.get("SMTP_PORT", "25")),
            sender=os.environ.get("SMTP_FROM", "complaints@hospital.example"),
            user=os.environ.get("SMTP_USER") or None,
            password=os.environ.get("SMTP_PASSWORD") or None,
            starttls=os.environ.get("SMTP_STARTTLS", "false").lower() == "true",
            timeout=float(os.environ.get("SMTP_TIMEOUT", "10")),
        )

    def send(self, to: str, subject: str, body: str, message_key: str) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        # The notification id names the message, so a mail system can tell a retry from a new message.
        message["Message-ID"] = make_msgid(idstring=message_key, domain=self.sender.rpartition("@")[2] or None)
        message.set_content(body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.user:
                    smtp.login(self.user, self.password or "")
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if all(500 <= code < 600 for code in codes):
                raise PermanentFailure(f"SMTP refused the recipient ({codes[0]})") from None
            raise TransientFailure(f"SMTP deferred the recipient ({codes[0]})") from None
        except smtplib.SMTPResponseException as exc:
            failure = PermanentFailure if 500 <= exc.smtp_code < 600 else TransientFailure
            raise failure(f"SMTP {exc.smtp_code}") from None
        except (TimeoutError, OSError, smtplib.SMTPException) as exc:
            raise TransientFailure(f"SMTP unavailable: {type(exc).__name__}") from None


@dataclass(frozen=True)
class Sms:
    url: str
    token: str | None = None
    timeout: float = 10.0
    # Keep-alive connections to the gateway: opening one per message was 6 % of notification's sampled time.
    session: requests.Session = field(default_factory=requests.Session, repr=False, compare=False)

    @classmethod
    def from_env(cls) -> Sms:
        return cls(
            url=os.environ.get("SMS_GATEWAY_URL", "http://127.0.0.1:9090/send"),
            token=os.environ.get("SMS_GATEWAY_TOKEN") or None,
            timeout=float(os.environ.get("SMS_TIMEOUT", "10")),
        )

    def send(self, to: str, text: str, message_key: str) -> None:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            response = self.session.post(
                self.url, json={"to": to, "text": text, "id": message_key}, headers=headers, timeout=self.timeout
            )
        except requests.Timeout:
            raise TransientFailure("SMS gateway timed out") from None
        except requests.RequestException as exc:
            raise TransientFailure(f"SMS gateway unreachable: {type(exc).__name__}") from None
        if 500 <= response.status_code < 600 or response.status_code == 429:
            raise TransientFailure(f"SMS gateway answered {response.status_code}")
        if response.status_code >= 400:
            raise PermanentFailure(f"SMS gateway refused the message ({response.status_code})")
