-- Intake's state: the complaint as registered, and the personal data that never leaves this
-- database (events reference the complainant only by complainant_ref).
CREATE TABLE IF NOT EXISTS complaints (
    complaint_id uuid PRIMARY KEY,
    reference text NOT NULL UNIQUE,
    campus text NOT NULL,
    channel text NOT NULL,
    category text NOT NULL,
    severity text NOT NULL,
    source text NOT NULL,
    departments text[] NOT NULL DEFAULT '{}',
    summary text NOT NULL,
    desired_outcome text,
    received_at timestamptz NOT NULL,
    received_by text,
    receiving_department text,
    anonymous boolean NOT NULL DEFAULT false,
    complainant_ref text,
    status text NOT NULL,
    version integer NOT NULL DEFAULT 1,
    registered_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS complaints_campus_status ON complaints (campus, status);

CREATE TABLE IF NOT EXISTS complainants (
    complainant_ref text PRIMARY KEY,
    complaint_id uuid NOT NULL REFERENCES complaints (complaint_id),
    name text,
    phone text,
    email text,
    relation text,
    patient_name text,
    patient_mrn text
);

-- Human-friendly references, numbered per campus and year: EAST-2026-000123.
CREATE TABLE IF NOT EXISTS reference_counters (
    campus text NOT NULL,
    year integer NOT NULL,
    last_number integer NOT NULL,
    PRIMARY KEY (campus, year)
);
