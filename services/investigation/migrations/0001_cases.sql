-- Investigation's read model: cases and their running deadlines. Written only by event handlers
-- (projection.py), in the same transaction as the events they come from; rebuildable from logs.
CREATE TABLE IF NOT EXISTS cases (
    complaint_id uuid PRIMARY KEY,
    reference text NOT NULL,
    campus text NOT NULL,
    category text NOT NULL,
    severity text NOT NULL,
    source text NOT NULL,
    departments text[] NOT NULL,
    status text NOT NULL,
    received_at timestamptz NOT NULL,
    opened_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS cases_campus_status ON cases (campus, status);

CREATE TABLE IF NOT EXISTS deadlines (
    complaint_id uuid NOT NULL REFERENCES cases (complaint_id),
    kind text NOT NULL,
    department text NOT NULL DEFAULT '',
    due_at timestamptz NOT NULL,
    last_day date NOT NULL,
    working_days integer NOT NULL,
    provisional boolean NOT NULL,
    calendar_version text NOT NULL,
    policy_version text NOT NULL,
    status text NOT NULL DEFAULT 'open',
    PRIMARY KEY (complaint_id, kind, department)
);
CREATE INDEX IF NOT EXISTS deadlines_open_due ON deadlines (due_at) WHERE status = 'open';
