-- Reporting keeps its own copy of every event of every source: the statistics are computed
-- from it, as of any moment, and every projection can be rebuilt from it.
CREATE TABLE IF NOT EXISTS event_copy (
    source text NOT NULL,
    sequence bigint NOT NULL,
    event_id uuid NOT NULL UNIQUE,
    type text NOT NULL,
    subject text NOT NULL,
    occurred_at timestamptz NOT NULL,
    data jsonb NOT NULL,
    copied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, sequence)
);

-- Complaints received, per local day, campus and category (a first projection; issue 5 adds the rest).
CREATE TABLE IF NOT EXISTS received_daily (
    day date NOT NULL,
    campus text NOT NULL,
    category text NOT NULL,
    received integer NOT NULL,
    PRIMARY KEY (day, campus, category)
);
