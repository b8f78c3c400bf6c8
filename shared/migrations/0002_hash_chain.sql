-- Each event carries the hash of the one before it (and its own): a changed, removed or inserted
-- row breaks the chain at that point, which `python -m shared.verify_log <service>` reports.
ALTER TABLE events ADD COLUMN IF NOT EXISTS prev_hash text NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN IF NOT EXISTS hash text NOT NULL DEFAULT '';
ALTER TABLE log_head ADD COLUMN IF NOT EXISTS last_hash text NOT NULL DEFAULT '';
