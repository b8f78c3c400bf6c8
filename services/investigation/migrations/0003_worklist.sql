-- The worklist (issue 21): GET /cases filters by status (and campus) and pages newest first; these
-- indexes give each page in received order without sorting every open case.
CREATE INDEX IF NOT EXISTS cases_status_received ON cases (status, received_at DESC, complaint_id);
CREATE INDEX IF NOT EXISTS cases_campus_status_received ON cases (campus, status, received_at DESC, complaint_id);
-- Active cases (open or replied) and the other multi-status lists: newest first, filtered as read.
CREATE INDEX IF NOT EXISTS cases_received ON cases (received_at DESC, complaint_id);
