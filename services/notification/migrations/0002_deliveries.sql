-- Notifications become the delivery queue: one row per message an event asks for (so a redelivered
-- event never makes a second one), tried until the channel accepts it or we give up.
ALTER TABLE notifications DROP CONSTRAINT IF EXISTS notifications_caused_by_purpose_recipient_role_key;
ALTER TABLE notifications
    ADD COLUMN IF NOT EXISTS recipient_id text NOT NULL DEFAULT 'complainant',
    ADD COLUMN IF NOT EXISTS context jsonb NOT NULL DEFAULT '{}'::jsonb,   -- template data; never personal data
    ADD COLUMN IF NOT EXISTS channel_preference text,
    ADD COLUMN IF NOT EXISTS attempts integer NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS next_attempt_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN IF NOT EXISTS last_error text,
    ADD COLUMN IF NOT EXISTS sent_at timestamptz,
    ADD COLUMN IF NOT EXISTS updated_at timestamptz NOT NULL DEFAULT now();
CREATE UNIQUE INDEX IF NOT EXISTS notifications_once ON notifications (caused_by, purpose, recipient_id);
CREATE INDEX IF NOT EXISTS notifications_due ON notifications (next_attempt_at) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS notifications_letters ON notifications (campus, created_at) WHERE status = 'queued';
