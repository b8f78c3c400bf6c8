-- What notification sent (or recorded, or failed to send), per complaint. Keyed by the event that
-- caused it and its purpose, so a redelivered event never produces a second message.
CREATE TABLE IF NOT EXISTS notifications (
    notification_id uuid PRIMARY KEY,
    complaint_id uuid NOT NULL,
    caused_by text NOT NULL,
    purpose text NOT NULL,
    campus text,
    channel text,
    recipient_role text NOT NULL,
    status text NOT NULL,
    detail text,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (caused_by, purpose, recipient_role)
);
CREATE INDEX IF NOT EXISTS notifications_complaint ON notifications (complaint_id, created_at);
