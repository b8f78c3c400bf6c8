-- A claim names the deliverer that holds it, and every deliverer says it is alive (a heartbeat), so a
-- claim left by a process that died mid-send (SIGKILL, a lost node) is released within seconds of the
-- last heartbeat instead of after the whole lease (chaos: a killed replica's claim held a message 5 min).
CREATE TABLE IF NOT EXISTS deliverers (
    deliverer_id uuid PRIMARY KEY,
    seen_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE notifications ADD COLUMN IF NOT EXISTS claimed_by uuid;
