"""The print view of one case (issue 18 item 11): the hospital's 投诉登记表 / 处理单 on paper — registration,
classification, departments, deadlines and outcomes, findings, replies, rectifications and lines to sign.
No navigation, no forms: the same reads as the case page (the user's own token decides what is shown)."""

from __future__ import annotations

from datetime import UTC, datetime

from werkzeug.wrappers import Response

from services.console import pages, views
from shared import auth

#: the handling steps the form prints, from the case's history (each with the details the timeline shows)
PRINTED_STEPS = {
    "findings": ("FindingsSubmitted",),
    "replies": ("ReplyIssued", "InterimFeedbackIssued", "ReplySent"),
    "rectifications": ("RectificationOrdered", "RectificationCompleted"),
    "outcome": (
        "ComplaintResolvedOnSpot",
        "ComplaintNotAccepted",
        "ComplaintWithdrawn",
        "FollowUpRecorded",
        "ComplaintClosed",
        "ComplaintReopened",
    ),
}


def steps(entries: list[views.Entry]) -> dict[str, list[views.Entry]]:
    """The history's entries the form prints, by section, in the order they happened."""
    return {section: [e for e in entries if e.type in types] for section, types in PRINTED_STEPS.items()}


def case_print(ctx: pages.Ctx, complaint_id: str) -> Response:
    """``/cases/<id>/print``: for whoever may read the complaint, exactly what they may read of it."""
    ctx.require(auth.COMPLAINT_READERS)
    complaint_id = pages._uuid(ctx, complaint_id)
    found = pages._read_case(ctx, complaint_id)
    complaint, case = found.get("complaint"), found.get("case")
    source = case or complaint or {}
    campus = source.get("campus", "")
    now = datetime.now(UTC)
    entries, problem = pages._timeline(ctx, complaint_id)
    hospital = ctx.app.hospital
    departments = hospital.in_order(source.get("departments") or [])
    return ctx.app.render(
        ctx,
        "case_print.html",
        complaint_id=complaint_id,
        complaint=complaint,
        case=case,
        campus=campus,
        reference=source.get("reference", ""),
        info={"category": source.get("category"), "severity": source.get("severity"), "departments": departments},
        deadlines=[views.deadline_view(d, now) for d in (case or {}).get("deadlines", [])],
        steps=steps(entries),
        heads={d: hospital.department_heads(campus, d) for d in departments},
        printed_at=now,
        refusals=found.get("refusals") or [],
        timeline_problem=problem,
    )
