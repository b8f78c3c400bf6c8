-- What holds an erasure back (CONTRACT §8, issue 15 item 6): investigation's unsettled disputes and seals in
-- place, as intake's projection follows them (DisputeRecorded/DisputeSettled, RecordsSealed/RecordsUnsealed).
-- One row per dispute or seal; it holds while released_at is NULL. A release seen before its placement (a
-- parked event replayed late) leaves the row released, so the order the events arrive in does not matter.
CREATE TABLE IF NOT EXISTS erasure_holds (
    kind text NOT NULL CHECK (kind IN ('dispute', 'seal')),
    hold_id uuid NOT NULL,
    complaint_id uuid NOT NULL,
    placed_at timestamptz,
    placed_by_event uuid,
    released_at timestamptz,
    released_by_event uuid,
    PRIMARY KEY (kind, hold_id)
);
CREATE INDEX IF NOT EXISTS erasure_holds_in_place ON erasure_holds (complaint_id) WHERE released_at IS NULL;

-- A group complaint's number of representatives (办法 ≈ art. 21: at most five; CONTRACT §10).
ALTER TABLE complaints ADD COLUMN IF NOT EXISTS representatives smallint
    CHECK (representatives IS NULL OR representatives BETWEEN 1 AND 5);
