-- The bitemporal read model behind "as of" (issue 21): what each complaint contributed to the sums,
-- as a change dated by the moment it became known. A complaint's contribution as of T is the fold of
-- its events known by T; each row is the difference its version at known_at made against the previous
-- one, so the sums as of T are the rows known by T, added up in SQL (docs/decisions.md, "As of").
CREATE TABLE IF NOT EXISTS rpt_known (
    complaint_id uuid NOT NULL,
    known_at timestamptz NOT NULL,
    day date NOT NULL,
    campuses text NOT NULL,
    complaint_source text NOT NULL,
    metric text NOT NULL,
    key text NOT NULL,
    value bigint NOT NULL
);
-- A complaint's rows from a moment on are replaced when an event known before its latest arrives late.
CREATE INDEX IF NOT EXISTS rpt_known_complaint ON rpt_known (complaint_id, known_at);
-- The tail after a checkpoint: rows known in a short range of time.
CREATE INDEX IF NOT EXISTS rpt_known_known_at ON rpt_known (known_at);

-- Checkpoints: the sums of every row known before the checkpoint, per day and cell (one per month
-- start), so as of T reads the checkpoint before T plus the tail of rows known since.
CREATE TABLE IF NOT EXISTS rpt_known_checkpoints (
    checkpoint timestamptz PRIMARY KEY,
    made_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS rpt_known_snapshots (
    checkpoint timestamptz NOT NULL REFERENCES rpt_known_checkpoints ON DELETE CASCADE,
    day date NOT NULL,
    campuses text NOT NULL,
    complaint_source text NOT NULL,
    metric text NOT NULL,
    key text NOT NULL,
    value bigint NOT NULL,
    PRIMARY KEY (checkpoint, day, campuses, complaint_source, metric, key)
);
-- The same per month: a report's whole months read a few rows per metric (as rpt_monthly beside rpt_daily).
CREATE TABLE IF NOT EXISTS rpt_known_snapshots_monthly (
    checkpoint timestamptz NOT NULL REFERENCES rpt_known_checkpoints ON DELETE CASCADE,
    month date NOT NULL,
    campuses text NOT NULL,
    complaint_source text NOT NULL,
    metric text NOT NULL,
    key text NOT NULL,
    value bigint NOT NULL,
    PRIMARY KEY (checkpoint, month, campuses, complaint_source, metric, key)
);

-- Whether rpt_known holds every complaint of the copy: true on a fresh database (the consumer keeps it
-- from the first event on); a database with history gets it from `python -m services.reporting.known`.
-- Until then "as of" folds the log as before.
CREATE TABLE IF NOT EXISTS rpt_known_state (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    complete boolean NOT NULL
);
INSERT INTO rpt_known_state (complete) SELECT NOT EXISTS (SELECT 1 FROM event_copy)
    ON CONFLICT DO NOTHING;

-- Wiping the copy wipes the bitemporal model too (as the other projections, 0002).
CREATE OR REPLACE FUNCTION reporting_reset_projections() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM rpt_daily;
    DELETE FROM rpt_monthly;
    DELETE FROM received_daily;
    DELETE FROM rpt_complaints;
    DELETE FROM rpt_known;
    DELETE FROM rpt_known_checkpoints;
    UPDATE rpt_known_state SET complete = true;
    RETURN NULL;
END $$;
