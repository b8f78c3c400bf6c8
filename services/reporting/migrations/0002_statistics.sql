-- Reporting's statistics (issue 5). The copy of the log gains what "as of" and a rebuild need;
-- the projections are sums of contributions per local day (and month), campus set, complaint source,
-- metric and key (services/reporting/domain.py).

-- complaint_id: every event's data names its complaint; the fold reads a complaint's events together.
-- known_at: when the fact became known (a letter's ComplaintReceived: when it was registered).
-- copy_seq: the order rows were copied in; a rebuild catches up with everything copied after its
-- snapshot by it.
ALTER TABLE event_copy ADD COLUMN IF NOT EXISTS complaint_id uuid;
ALTER TABLE event_copy ADD COLUMN IF NOT EXISTS known_at timestamptz;
ALTER TABLE event_copy ADD COLUMN IF NOT EXISTS copy_seq bigserial;
UPDATE event_copy SET complaint_id = (data->>'complaint_id')::uuid,
       known_at = CASE WHEN type = 'ComplaintReceived' AND data->>'registered_at' IS NOT NULL
                       THEN (data->>'registered_at')::timestamptz ELSE occurred_at END
 WHERE complaint_id IS NULL OR known_at IS NULL;
ALTER TABLE event_copy ALTER COLUMN complaint_id SET NOT NULL;
ALTER TABLE event_copy ALTER COLUMN known_at SET NOT NULL;
CREATE INDEX IF NOT EXISTS event_copy_complaint ON event_copy (complaint_id);
CREATE INDEX IF NOT EXISTS event_copy_known_at ON event_copy (known_at);
-- As-of answers look for complaints received before a period's end (RFC 3339 UTC text sorts by time).
CREATE INDEX IF NOT EXISTS event_copy_received_at ON event_copy ((data->>'received_at'))
    WHERE type = 'ComplaintReceived';
-- copy_seq only grows: a BRIN index finds "copied after" cheaply and costs nearly nothing to maintain.
CREATE INDEX IF NOT EXISTS event_copy_copy_seq ON event_copy USING brin (copy_seq);

CREATE TABLE IF NOT EXISTS rpt_daily (
    day date NOT NULL,
    campuses text NOT NULL,             -- the complaint's campuses, sorted, comma-separated: a campus's
                                        -- figure sums every set holding it, the group's every set once
    complaint_source text NOT NULL,     -- patient_or_family, staff_internal, ...
    metric text NOT NULL,
    key text NOT NULL,
    value bigint NOT NULL,
    CONSTRAINT rpt_daily_pkey PRIMARY KEY (day, campuses, complaint_source, metric, key)
);
-- Series and spike windows read a few metrics over many days.
CREATE INDEX IF NOT EXISTS rpt_daily_metric_day ON rpt_daily (metric, day);
-- The same sums per month: a month's or a year's report reads a few rows per metric.
CREATE TABLE IF NOT EXISTS rpt_monthly (
    month date NOT NULL,
    campuses text NOT NULL,
    complaint_source text NOT NULL,
    metric text NOT NULL,
    key text NOT NULL,
    value bigint NOT NULL,
    CONSTRAINT rpt_monthly_pkey PRIMARY KEY (month, campuses, complaint_source, metric, key)
);

-- Every complaint with events the statistics read: a complaint new here has nothing to read back,
-- and its row is what replicas lock to fold one complaint at a time.
CREATE TABLE IF NOT EXISTS rpt_complaints (
    complaint_id uuid PRIMARY KEY
);

-- received_daily (0001) stays, maintained from the same contributions: received per day, campus and
-- (current) category.

-- Projections are derived from the copy: wiping the copy wipes them too, so they never disagree.
-- (DELETE, not TRUNCATE: the statement that fired this may be truncating some of them already.)
CREATE OR REPLACE FUNCTION reporting_reset_projections() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM rpt_daily;
    DELETE FROM rpt_monthly;
    DELETE FROM received_daily;
    DELETE FROM rpt_complaints;
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS event_copy_truncated ON event_copy;
CREATE TRIGGER event_copy_truncated AFTER TRUNCATE ON event_copy
    FOR EACH STATEMENT EXECUTE FUNCTION reporting_reset_projections();

-- Rebuilds: one at a time (an advisory lock), each recorded here with its outcome.
CREATE TABLE IF NOT EXISTS rpt_rebuilds (
    id bigserial PRIMARY KEY,
    requested_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    status text NOT NULL DEFAULT 'running' CHECK (status IN ('requested', 'running', 'done', 'failed')),
    events bigint,
    caught_up bigint,
    seconds double precision,
    error text
);

-- Published monthly reports: the figures as published and the log positions they were computed at.
CREATE TABLE IF NOT EXISTS rpt_publications (
    id bigserial PRIMARY KEY,
    month date NOT NULL,
    campus text NOT NULL,               -- '*' for the group-wide report
    version integer NOT NULL,
    published_at timestamptz NOT NULL DEFAULT now(),
    published_by text,
    positions jsonb NOT NULL,           -- {"intake": 1234, "investigation": 567, "notification": 89}
    figures jsonb NOT NULL,
    changes jsonb NOT NULL DEFAULT '{}'::jsonb,   -- against the previous version
    UNIQUE (month, campus, version)
);
