-- Investigation's read model, written only in the same transaction as the events it comes from.
-- `state` is the case as the pure domain folds it (domain.Case); the other columns are for queries.
CREATE TABLE IF NOT EXISTS cases (
    complaint_id uuid PRIMARY KEY,
    reference text NOT NULL,
    campus text NOT NULL,
    category text NOT NULL,
    severity text NOT NULL,
    source text NOT NULL,
    status text NOT NULL,
    departments text[] NOT NULL,
    escalated boolean NOT NULL,
    provisional boolean NOT NULL,
    received_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    version integer NOT NULL,
    state jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS cases_campus_status ON cases (campus, status);
CREATE INDEX IF NOT EXISTS cases_departments ON cases USING gin (departments);

-- Every deadline of every case. The deadline engine reads only the rows falling due (partial
-- indexes), so a tick costs in proportion to what is due, not to how many cases are open.
CREATE TABLE IF NOT EXISTS deadlines (
    complaint_id uuid NOT NULL REFERENCES cases (complaint_id),
    key text NOT NULL,
    campus text NOT NULL,
    kind text NOT NULL,
    department text,
    due_at timestamptz NOT NULL,
    remind_at timestamptz NOT NULL,
    last_day date NOT NULL,
    working_days integer NOT NULL,
    provisional boolean NOT NULL,
    calendar_version text NOT NULL,
    policy_version text NOT NULL,
    status text NOT NULL,
    reminded boolean NOT NULL,
    on_hold boolean NOT NULL,
    started_at timestamptz NOT NULL,
    breached_at timestamptz,
    met_at timestamptz,
    PRIMARY KEY (complaint_id, key)
);
CREATE INDEX IF NOT EXISTS deadlines_falling_due ON deadlines (due_at) WHERE status = 'open' AND NOT on_hold;
CREATE INDEX IF NOT EXISTS deadlines_reminders ON deadlines (remind_at) WHERE status = 'open' AND NOT reminded;
CREATE INDEX IF NOT EXISTS deadlines_provisional ON deadlines (campus) WHERE status = 'open' AND provisional;
CREATE INDEX IF NOT EXISTS deadlines_breached ON deadlines (campus) WHERE status = 'breached';
