"""Intake: where complaints are registered and where intake's part of their lifecycle happens.
Entrypoints only; the rules are in domain.py, the following of investigation in projection.py."""

# (The docstring above is the published OpenAPI's description.) Every change goes through store.py, every
# read through queries.py; no SQL and no crypto here.

from __future__ import annotations

import uuid
from typing import Any

from werkzeug.wrappers import Request, Response

from services.intake import attachments, blobs, domain, media, procedure, queries, schemas, store
from services.intake.projection import PROJECTOR
from services.intake.search_index import SearchIndexer
from services.intake.settings import (
    ATTACHMENT_CHUNK_BYTES,
    ATTACHMENT_MAX_BYTES,
    CONTACT_CALLERS,
    HOSPITAL,
    SERVICE,
)
from services.intake.vault import Erased
from shared.auth import (
    ATTACHMENT_ADDERS,
    COMPLAINT_OFFICERS,
    COMPLAINT_READERS,
    COMPLAINT_REGISTRARS,
    ERASURE_REQUESTERS,
    AuthError,
    Forbidden,
    authenticator,
)
from shared.db import Database
from shared.errors import Refused
from shared.eventstore import EventStore
from shared.queues import quorum_rpc as rpc  # nameko's rpc, its queue a quorum queue
from shared.runtime import Backbone, ConsumerProvider, DatabaseProvider, EventLog, RelayProvider
from shared.web import (
    BadRequest,
    Conflict,
    Gone,
    HttpEntrypoint,
    UnsupportedMediaType,
    body_chunks,
    http,
    json_response,
    path_id,
    principal,
)


class ComplaintHttp(HttpEntrypoint):
    """The project's HTTP entrypoint, the path's complaint id made canonical before the declared body is
    loaded: a path that names no complaint answers 404 whatever its body, as before commands were declared."""

    def get_entrypoint_parameters(self, request: Request) -> tuple[tuple[Any, ...], dict[str, Any]]:
        request.path_values = {**request.path_values}
        request.path_values["complaint_id"] = path_id(request.path_values["complaint_id"], "complaint")
        return super().get_entrypoint_parameters(request)


on_complaint = ComplaintHttp.decorator
#: who may take each of intake's actions: the same groups the action endpoints below declare
ACTION_ROLES = {
    domain.RESOLVE_ON_SPOT: COMPLAINT_REGISTRARS,
    domain.NOT_ACCEPT: COMPLAINT_OFFICERS,
    domain.WITHDRAW: COMPLAINT_OFFICERS,
    domain.RECLASSIFY: COMPLAINT_OFFICERS,
    domain.ERASURE: ERASURE_REQUESTERS,
    domain.CORRECT_CONTACT: COMPLAINT_REGISTRARS,  # first-contact staff: of complaints they registered
}


class ComplaintNotFound(LookupError):
    """No complaint with that id (raised to RPC callers, who see ``RemoteError`` of this type)."""


class CallerNotAllowed(PermissionError):
    """An RPC caller without the service token the RPC asks for: it learns nothing, not even whether the id
    exists (any AMQP client that may publish to ``nameko-rpc`` can reach the RPC, so the broker is no lock)."""


def _require_caller(token: str | None, *services: str) -> None:
    try:
        authenticator().verify_service(token, *services)
    except (AuthError, Forbidden) as exc:
        raise CallerNotAllowed(str(exc)) from None


def _valid_id(complaint_id: Any) -> str | None:
    try:
        return str(uuid.UUID(str(complaint_id)))
    except ValueError:
        return None


class Service(Backbone, EventLog):
    name = SERVICE
    db: Database = DatabaseProvider(SERVICE)
    relay: EventStore = RelayProvider(SERVICE)  # publishes the log; writes go through store.py
    inbox = ConsumerProvider(SERVICE, PROJECTOR)
    scoped_streams = queries.SCOPED_STREAMS  # GET /events
    search_indexer = SearchIndexer()  # complaints registered before the search index, indexed in the background

    # -- registering and reading --------------------------------------------------------------
    @http("POST", "/complaints", roles=COMPLAINT_REGISTRARS, body=schemas.NewComplaint(HOSPITAL))
    def register(self, request: Request, command: domain.Register) -> Response:
        who = principal(request)
        who.require_campus(command.campus)
        with self.db.transaction() as cur:
            registered = store.register(cur, command, who)
        return json_response(
            {
                "complaint_id": registered.complaint_id,
                "reference": registered.reference,
                "warnings": registered.warnings,  # e.g. no usable contact: registered all the same
            },
            201,
            {"Location": f"/complaints/{registered.complaint_id}"},
        )

    @on_complaint("GET", "/complaints/<string:complaint_id>", roles=COMPLAINT_READERS)
    def get_complaint(self, request: Request, complaint_id: str) -> Response:
        who = principal(request)
        with self.db.transaction() as cur:
            complaint = queries.complaint_for(cur, complaint_id, who)
        registrar = next((h["actor"] for h in complaint["history"] if h["action"] == "register"), None) or {}
        complaint["allowed_actions"] = domain.offered(
            complaint["status"],
            complaint["personal_data_erased"],
            bool(complaint["erasure_held_by"]),
            who.role,
            ACTION_ROLES,
            anonymous=complaint["anonymous"],
            registered_by_caller=registrar.get("id") == who.subject,
        )
        return json_response(complaint)

    @http("GET", "/complaints", roles=COMPLAINT_READERS, query=schemas.ComplaintsQuery(HOSPITAL))
    def list_complaints(self, request: Request, params: queries.ComplaintsFilter) -> Response:
        """List or find complaints.

        The newest complaints the caller may read; with ``q``, those it finds (in the same scope: what the caller
        may not read is not listed), each saying which of its details ``matched``. A detail matches as a whole
        value, never a part of it."""
        with self.db.transaction() as cur:
            rows = queries.complaints(cur, params, principal(request))
        return json_response({"complaints": rows})

    @http("GET", "/public/complaint-procedure", public=True, query=schemas.ProcedureQuery(HOSPITAL))
    def complaint_procedure(self, request: Request, params: procedure.Wanted) -> Response:
        """The campus's complaint procedure as an HTML page to print and post, from the hospital configuration.
        Place, reception hours, contacts, the time limits and the external routes (办法 ≈ art. 17); no token."""
        return Response(procedure.page(HOSPITAL, params.campus, params.lang), mimetype="text/html")

    # -- lifecycle actions --------------------------------------------------------------------
    @on_complaint(
        "POST",
        "/complaints/<string:complaint_id>/resolve-on-spot",
        roles=COMPLAINT_REGISTRARS,
        body=schemas.ResolveOnSpot,
    )
    def resolve_on_spot(self, request: Request, complaint_id: str, command: domain.ResolveOnSpot) -> Response:
        return self._change(request, complaint_id, domain.resolve_on_spot, command)

    @on_complaint(
        "POST", "/complaints/<string:complaint_id>/not-accepted", roles=COMPLAINT_OFFICERS, body=schemas.NotAccepted
    )
    def not_accepted(self, request: Request, complaint_id: str, command: domain.NotAccept) -> Response:
        return self._change(request, complaint_id, domain.not_accept, command)

    @on_complaint("POST", "/complaints/<string:complaint_id>/withdraw", roles=COMPLAINT_OFFICERS, body=schemas.Withdraw)
    def withdraw(self, request: Request, complaint_id: str, command: domain.Withdraw) -> Response:
        return self._change(request, complaint_id, domain.withdraw, command)

    @on_complaint(
        "POST",
        "/complaints/<string:complaint_id>/reclassify",
        roles=COMPLAINT_OFFICERS,
        body=schemas.Reclassify(HOSPITAL),
    )
    def reclassify(self, request: Request, complaint_id: str, command: domain.Reclassify) -> Response:
        return self._change(request, complaint_id, domain.reclassify, command)

    @on_complaint("POST", "/complaints/<string:complaint_id>/adopt", roles=COMPLAINT_OFFICERS, body=schemas.Adopt)
    def adopt(self, request: Request, complaint_id: str, command: domain.Adopt) -> Response:
        """A suggestion was adopted (CONTRACT §10): once; a complaint or compliment, or a second adoption, is 409."""
        return self._change(request, complaint_id, domain.adopt, command)

    @on_complaint(
        "POST", "/complaints/<string:complaint_id>/contact", roles=COMPLAINT_REGISTRARS, body=schemas.CorrectContact
    )
    def correct_contact(self, request: Request, complaint_id: str, command: domain.CorrectContact) -> Response:
        """The complainant's contact details corrected (phone, e-mail, postal address, preferred channel): the
        fields given replace theirs, ``clear`` removes some; sealed like the rest. First-contact staff correct
        only complaints they registered (403); an anonymous or erased complaint is 409; nothing changed is 400."""
        _published_as = Conflict  # scripts/contracts.py reads a handler's 409 from this name
        with self.db.transaction() as cur:
            store.correct_contact(cur, complaint_id, principal(request), command)
            shown = queries.complaint(cur, complaint_id)
        return json_response(shown)

    # The body is read before the path's id, as it always was for erasure: hence the plain entrypoint.
    @http("POST", "/complaints/<string:complaint_id>/erasure", roles=ERASURE_REQUESTERS, body=schemas.Erasure)
    def erase(self, request: Request, complaint_id: str, command: domain.Erase) -> Response:
        """A lawful erasure request: the complaint's key is destroyed, so its personal data (names, numbers,
        its text) can never be read again; the complaint, its events and every statistic stay."""
        return self._change(request, path_id(complaint_id, "complaint"), domain.erase, command)

    def _change(self, request: Request, complaint_id: str, decide: store.Decide, command: Any) -> Response:
        """The change, and the complaint as it is now, in one transaction. A change the domain refuses
        (shared.errors.Refused) answers 409 naming the state, exactly as web.Conflict does."""
        _published_as = Conflict  # scripts/contracts.py reads a handler's 409 from this name
        with self.db.transaction() as cur:
            store.change(cur, complaint_id, principal(request), decide, command)
            shown = queries.complaint(cur, complaint_id)
        return json_response(shown)

    # -- attachments (CONTRACT §9) ---------------------------------------------------------------
    @on_complaint(
        "POST",
        "/complaints/<string:complaint_id>/attachments",
        roles=ATTACHMENT_ADDERS,
        stream_limit=ATTACHMENT_MAX_BYTES,
        query=schemas.AttachmentQuery,
    )
    def add_attachment(self, request: Request, complaint_id: str, params: media.Named) -> Response:
        """A file for the complaint's file, as the body (streamed, never whole in memory): its type decided by
        its content, its name from ``?name=`` or ``Content-Disposition``; sealed with the complaint's key.
        Its name may also come as ``Content-Disposition: attachment; filename*=UTF-8''…`` (RFC 5987)."""
        name = media.file_name(params.name, attachments.disposition_name(request))
        with self.db.transaction() as cur:
            complaint = queries.readable(cur, complaint_id, principal(request))
        if complaint.wrapped_key is None:
            raise Refused("the personal data was erased: no attachment can be sealed for it", state="erased")
        chunks = body_chunks(request, ATTACHMENT_MAX_BYTES, ATTACHMENT_CHUNK_BYTES)
        first = next(chunks, b"")
        if not first:
            raise BadRequest("the file is empty", errors={"_body": ["the file is empty"]})
        media_type = media.detect(first, complete=len(first) < ATTACHMENT_CHUNK_BYTES)
        if media_type not in media.ACCEPTED:
            raise UnsupportedMediaType(
                f"the content is {media_type}, which is not accepted", detected=media_type, accepted=media.ACCEPTED
            )
        with self.db.transaction() as cur:
            added = store.add_attachment(
                cur,
                complaint,
                principal(request),
                name,
                media_type,
                attachments.chain(first, chunks),
                blobs.store_for(),
            )
        return json_response(
            {
                "attachment_id": added.attachment_id,
                "sha256": added.sha256,
                "size": added.size,
                "media_type": media_type,
            },
            201,
            {"Location": f"/complaints/{complaint_id}/attachments/{added.attachment_id}"},
        )

    @on_complaint("GET", "/complaints/<string:complaint_id>/attachments", roles=COMPLAINT_READERS)
    def list_attachments(self, request: Request, complaint_id: str) -> Response:
        with self.db.transaction() as cur:
            complaint = queries.readable(cur, complaint_id, principal(request))
            found = queries.attachments(cur, complaint)
        return json_response({"attachments": found})

    @on_complaint(
        "GET", "/complaints/<string:complaint_id>/attachments/<string:attachment_id>", roles=COMPLAINT_READERS
    )
    def get_attachment(self, request: Request, complaint_id: str, attachment_id: str) -> Response:
        """The original bytes, streamed chunk by chunk as they are opened; 410 once the complaint's key is gone."""
        _content_type = "application/octet-stream"  # scripts/contracts.py: what its Content-Type names
        attachment_id = path_id(attachment_id, "attachment")
        try:
            with self.db.transaction() as cur:
                stored = queries.attachment(cur, queries.readable(cur, complaint_id, principal(request)), attachment_id)
        except Erased:
            raise Gone(f"attachment {attachment_id} was erased with the complaint's personal data") from None
        return attachments.download(self.db, stored)

    # -- for other services -------------------------------------------------------------------
    @rpc(expected_exceptions=(ComplaintNotFound, CallerNotAllowed))
    def contact_for(self, complaint_id: str, token: str | None = None) -> dict[str, Any]:
        """How to reach the complainant, for the notification service at send time (personal data never
        travels in events), which proves who it is with its service token. An anonymous complaint has no
        contact: every personal field is None."""
        _require_caller(token, *CONTACT_CALLERS)
        valid = _valid_id(complaint_id)
        if valid is None:
            raise ComplaintNotFound(f"no complaint {complaint_id}")
        with self.db.transaction() as cur:
            contact = queries.contact(cur, valid)
        if contact is None:
            raise ComplaintNotFound(f"no complaint {complaint_id}")
        return contact
