"""Commands as objects: a marshmallow schema at the boundary loads into a frozen dataclass, so a handler
and a decider get typed, named fields (two adjacent ``str`` arguments can no longer be swapped unseen).

    @dataclass(frozen=True)
    class Escalate:
        reason: str

    class Escalation(CommandSchema):
        command = Escalate
        reason = fields.String(required=True)

    @http("POST", "/cases/<id>/escalate", roles=(OFFICER,), body=Escalation)
    def escalate(self, request, id, command: Escalate): ...
"""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import Schema, post_load


class CommandSchema(Schema):
    """A schema whose ``load`` returns an instance of its ``command`` dataclass (fields by name)."""

    command: ClassVar[type]

    @post_load
    def _make_command(self, data: dict[str, Any], **_: Any) -> Any:
        return self.command(**data)
