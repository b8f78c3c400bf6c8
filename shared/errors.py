"""The one error vocabulary every domain raises: plain exceptions, no HTTP in them. shared/web.py maps
them to responses in one table (Refused 409, InvalidField 400, UnknownItem 404)."""

from __future__ import annotations


class DomainError(Exception):
    """A decision the domain would not take; the message says why, in words a caller can act on."""


class Refused(DomainError):
    """Not allowed in the item's current state (``state`` names it, e.g. ``closed``); ``held_by`` optionally
    names what holds the item in that state (e.g. ``{"dispute_id": ...}``), shown beside the state."""

    def __init__(self, message: str, state: str | None = None, held_by: dict[str, str] | None = None):
        super().__init__(message)
        self.state = state
        self.held_by = held_by


class InvalidField(DomainError):
    """A field's value breaks a rule only the domain knows (e.g. more days than the policy allows);
    ``errors`` names each bad field (``InvalidField.of`` for several at once)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.errors: dict[str, list[str]] = {field: [message]}

    @classmethod
    def of(cls, errors: dict[str, list[str]]) -> InvalidField:
        first = next(iter(errors))
        found = cls(first, "; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items()))
        found.errors = {k: list(v) for k, v in errors.items()}
        return found


class UnknownItem(DomainError):
    """The thing named does not exist (a case, an extension of a case): answered as not found."""
