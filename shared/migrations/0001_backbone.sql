-- The event log of this service. It is also the outbox: events are appended in the same
-- transaction as the state change they record.
CREATE TABLE IF NOT EXISTS log_head (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    last_sequence bigint NOT NULL
);
INSERT INTO log_head VALUES (true, 0) ON CONFLICT DO NOTHING;

-- sequence comes from log_head, taken under its row lock by the appending transaction:
-- gap-free, and in commit order (a reader never passes a row that commits later).
CREATE TABLE IF NOT EXISTS events (
    sequence bigint PRIMARY KEY,
    id uuid NOT NULL UNIQUE,
    stream_id text NOT NULL,
    stream_version integer NOT NULL CHECK (stream_version > 0),
    type text NOT NULL,
    schema_version integer NOT NULL,
    occurred_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    correlation_id text NOT NULL,
    causation_id text NOT NULL,
    data jsonb NOT NULL,
    extensions jsonb NOT NULL DEFAULT '{}'::jsonb,
    UNIQUE (stream_id, stream_version)
);
CREATE INDEX IF NOT EXISTS events_recorded_at ON events (recorded_at);

-- How far the relay has published (confirmed by the broker).
CREATE TABLE IF NOT EXISTS relay_position (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    last_published bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO relay_position VALUES (true, 0, now()) ON CONFLICT DO NOTHING;

-- Consumer side. For each source service: every event up to `upto` has been applied (or
-- parked), in that source's sequence order. Written in the same transaction as projections.
CREATE TABLE IF NOT EXISTS source_position (
    source text PRIMARY KEY,
    upto bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
-- Events that arrived ahead of a gap; applied as soon as the gap is filled.
CREATE TABLE IF NOT EXISTS pending_events (
    source text NOT NULL,
    sequence bigint NOT NULL,
    body jsonb NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, sequence)
);
-- Events a handler could not process: kept with the error, replayable, never lost.
CREATE TABLE IF NOT EXISTS parked_events (
    id bigserial PRIMARY KEY,
    event_id text,
    source text,
    sequence bigint,
    type text,
    body text NOT NULL,
    error text NOT NULL,
    attempts integer NOT NULL DEFAULT 1,
    parked_at timestamptz NOT NULL DEFAULT now(),
    replayed_at timestamptz
);
CREATE INDEX IF NOT EXISTS parked_events_open ON parked_events (parked_at) WHERE replayed_at IS NULL;
