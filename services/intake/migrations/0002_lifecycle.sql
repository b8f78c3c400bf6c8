-- The complaint's lifecycle in intake: every campus it concerns, when its status last changed,
-- how far intake has followed investigation's stream of it, every action taken on it (and by whom)
-- and the history of its classification.
ALTER TABLE complaints ADD COLUMN IF NOT EXISTS campuses text[];
UPDATE complaints SET campuses = ARRAY[campus] WHERE campuses IS NULL;
ALTER TABLE complaints ALTER COLUMN campuses SET NOT NULL;
ALTER TABLE complaints ADD COLUMN IF NOT EXISTS status_changed_at timestamptz;
UPDATE complaints SET status_changed_at = registered_at WHERE status_changed_at IS NULL;
ALTER TABLE complaints ALTER COLUMN status_changed_at SET DEFAULT now();
ALTER TABLE complaints ALTER COLUMN status_changed_at SET NOT NULL;
-- The stream version of the last investigation event (ComplaintClosed / ComplaintReopened) intake
-- followed for this complaint: an older one (redelivered, or a parked event replayed late) is ignored.
ALTER TABLE complaints ADD COLUMN IF NOT EXISTS followed_version integer NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS complaints_campuses ON complaints USING gin (campuses);
CREATE INDEX IF NOT EXISTS complaints_status_received ON complaints (status, received_at DESC);

-- Every action on a complaint: intake's own (with the staff member who took it) and the closing
-- and reopening intake followed from investigation. `event_id` is the event that recorded it.
CREATE TABLE IF NOT EXISTS complaint_actions (
    id bigserial PRIMARY KEY,
    complaint_id uuid NOT NULL REFERENCES complaints (complaint_id),
    action text NOT NULL,
    status_before text,
    status_after text NOT NULL,
    actor_id text,
    actor_role text,
    occurred_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    details jsonb NOT NULL DEFAULT '{}'::jsonb,
    event_id uuid UNIQUE
);
CREATE INDEX IF NOT EXISTS complaint_actions_complaint ON complaint_actions (complaint_id, id);

-- Every reclassification: the classification before and after, who changed it and why.
CREATE TABLE IF NOT EXISTS classification_history (
    id bigserial PRIMARY KEY,
    complaint_id uuid NOT NULL REFERENCES complaints (complaint_id),
    previous jsonb NOT NULL,
    current jsonb NOT NULL,
    changed text[] NOT NULL,
    note text,
    reclassified_by text NOT NULL,
    reclassified_at timestamptz NOT NULL,
    event_id uuid NOT NULL UNIQUE
);
CREATE INDEX IF NOT EXISTS classification_history_complaint ON classification_history (complaint_id, id);

-- Complaints registered before this migration: their registration as the first action.
INSERT INTO complaint_actions (complaint_id, action, status_before, status_after, actor_id, actor_role,
                               occurred_at, event_id)
SELECT c.complaint_id, 'register', NULL, 'received', c.received_by,
       CASE WHEN c.received_by IS NULL THEN NULL ELSE 'first_contact' END, c.received_at, e.id
FROM complaints c
LEFT JOIN events e ON e.stream_id = c.complaint_id::text AND e.stream_version = 1
WHERE NOT EXISTS (SELECT 1 FROM complaint_actions a WHERE a.complaint_id = c.complaint_id);
