-- The escalation ladder (CONTRACT §7): a breached deadline still unmet N working days later is escalated to the
-- leadership group once. `escalate_at` is when (computed from the campus calendar when the deadline is
-- saved breached); `ladder_escalated` records that it was. The engine reads only the rows falling due.
ALTER TABLE deadlines ADD COLUMN IF NOT EXISTS escalate_at timestamptz;
ALTER TABLE deadlines ADD COLUMN IF NOT EXISTS ladder_escalated boolean NOT NULL DEFAULT false;
CREATE INDEX IF NOT EXISTS deadlines_ladder ON deadlines (escalate_at) WHERE status = 'breached' AND NOT ladder_escalated;
