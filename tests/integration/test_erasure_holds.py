"""Intake's projection of what holds an erasure back (CONTRACT §8), against the real PostgreSQL through the
real inbox: investigation's disputes and seals (RecordsSealed/RecordsUnsealed are not emitted by
investigation on every branch yet, so they are made here as investigation would publish them), applied in
sequence order, redelivered, or with a release parked and replayed before its placement."""

from __future__ import annotations

import os
import uuid

import pytest

from services.intake import domain, store
from services.intake.projection import PROJECTOR
from services.intake.settings import SERVICE
from shared.auth import OFFICER, Principal
from shared.consumer import Inbox
from shared.db import Database
from shared.envelope import Envelope, new_event
from shared.errors import Refused
from tests.support.databases import fresh_service_database

WHO = Principal("east-office-head", OFFICER, ("east",))
AT = "2026-11-20T02:00:00Z"


@pytest.fixture
def db(monkeypatch):
    monkeypatch.setenv("INTAKE_DATABASE_URL", os.environ["DATABASE_URL_TEMPLATE"].format(service="intakeholds"))
    database = Database(fresh_service_database(SERVICE), size=2)
    yield database
    database.close()


@pytest.fixture
def complaint_id(db) -> str:
    command = domain.Register(
        campus="east",
        channel="phone",
        category="medical_quality",
        severity="normal",
        source="patient_or_family",
        summary="Records of the operation",
        departments=["cardiology"],
        complainant={"name": "Li Lei", "phone": "+86 139 0000 0001"},
    )
    with db.transaction() as cur:
        return store.register(cur, command, WHO).complaint_id


class Investigation:
    """Investigation's log as intake receives it: sequence gap-free from 1, a stream version per complaint."""

    def __init__(self) -> None:
        self.sequence = 0

    def event(self, event_type: str, complaint_id: str, **data: object) -> Envelope:
        self.sequence += 1
        made = new_event("investigation", event_type, complaint_id, {"complaint_id": complaint_id, **data})
        return made.with_position(self.sequence, self.sequence)

    def sealed(self, cid: str, seal_id: str) -> Envelope:
        return self.event(
            "RecordsSealed",
            cid,
            campus="east",
            seal_id=seal_id,
            items=["operation record", "anaesthesia record"],
            sealed_at=AT,
            hospital_witness="east-records-clerk",
            patient_side_present=True,
            list_signed_by_both=True,
        )

    def unsealed(self, cid: str, seal_id: str) -> Envelope:
        return self.event("RecordsUnsealed", cid, campus="east", seal_id=seal_id, reason="jointly", unsealed_at=AT)

    def dispute(self, cid: str, dispute_id: str) -> Envelope:
        return self.event(
            "DisputeRecorded", cid, campus="east", dispute_id=dispute_id, route="negotiation", recorded_at=AT
        )

    def settled(self, cid: str, dispute_id: str) -> Envelope:
        return self.event(
            "DisputeSettled",
            cid,
            campus="east",
            dispute_id=dispute_id,
            route="negotiation",
            settled_at=AT,
            compensation_amount="10.00",
        )


def erase(db: Database, cid: str) -> None:
    with db.transaction() as cur:
        store.change(cur, cid, WHO, domain.erase, domain.Erase(reason="a lawful request"))


def holds(db: Database, cid: str) -> list[domain.Hold]:
    with db.transaction() as cur:
        return list(store.load(cur, cid).complaint.holds)


def test_a_seal_holds_the_erasure_until_unsealed(db, complaint_id):
    inbox, log, seal = Inbox(SERVICE, db, PROJECTOR), Investigation(), str(uuid.uuid4())
    sealed = log.sealed(complaint_id, seal)
    inbox.receive([sealed.to_json(), sealed.to_json()])  # a redelivery changes nothing
    assert holds(db, complaint_id) == [domain.Hold("seal", seal)]
    with pytest.raises(Refused) as refused:
        erase(db, complaint_id)
    assert (refused.value.state, refused.value.held_by) == ("records_sealed", {"seal_id": seal})
    inbox.receive([log.unsealed(complaint_id, seal).to_json()])
    assert holds(db, complaint_id) == []
    erase(db, complaint_id)
    with db.transaction() as cur:
        assert store.load(cur, complaint_id).complaint.personal_data_erased


def test_a_dispute_is_named_before_a_seal_and_both_must_be_released(db, complaint_id):
    inbox, log = Inbox(SERVICE, db, PROJECTOR), Investigation()
    seal, dispute = str(uuid.uuid4()), str(uuid.uuid4())
    inbox.receive([log.sealed(complaint_id, seal).to_json(), log.dispute(complaint_id, dispute).to_json()])
    with pytest.raises(Refused) as refused:
        erase(db, complaint_id)
    assert refused.value.held_by == {"dispute_id": dispute}
    inbox.receive([log.settled(complaint_id, dispute).to_json()])
    with pytest.raises(Refused) as refused:
        erase(db, complaint_id)
    assert refused.value.held_by == {"seal_id": seal}
    inbox.receive([log.unsealed(complaint_id, seal).to_json()])
    erase(db, complaint_id)


def test_a_release_applied_before_its_placement_leaves_it_released(db, complaint_id):
    """A parked placement replayed after its release (order-safety): the hold stays released."""
    log, seal = Investigation(), str(uuid.uuid4())
    sealed, unsealed = log.sealed(complaint_id, seal), log.unsealed(complaint_id, seal)
    with db.transaction() as cur:
        PROJECTOR.apply(cur, unsealed)
        PROJECTOR.apply(cur, sealed)
    assert holds(db, complaint_id) == []
    erase(db, complaint_id)


def test_a_hold_for_a_complaint_intake_does_not_know_is_kept(db):
    """Fail closed: the hold is recorded whatever intake knows of the complaint, so nothing is parked."""
    inbox, log, other = Inbox(SERVICE, db, PROJECTOR), Investigation(), str(uuid.uuid4())
    inbox.receive([log.sealed(other, str(uuid.uuid4())).to_json()])
    assert inbox.parked() == []
    with db.transaction() as cur:
        cur.execute("SELECT count(*) FROM erasure_holds WHERE complaint_id = %s AND released_at IS NULL", (other,))
        assert cur.fetchone()[0] == 1
