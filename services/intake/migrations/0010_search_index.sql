-- Finding a case (issue 18 item 6): a complaint is found by its complainant's or patient's details without
-- them being stored in clear. Each normalised value is kept only as an HMAC-SHA256 under the search key
-- (INTAKE_SEARCH_KEY, not a sealing key): an exact match on the whole value, never a substring
-- (services/intake/search_index.py). Erasure deletes a complaint's rows with its key.
CREATE TABLE IF NOT EXISTS complaint_search_terms (
    complaint_id uuid NOT NULL REFERENCES complaints (complaint_id),
    field text NOT NULL,             -- phone, email, complainant_name, patient_name, patient_mrn
    digest bytea NOT NULL,           -- HMAC-SHA256(search key, "<kind>:<normalised value>")
    PRIMARY KEY (complaint_id, field)
);
CREATE INDEX IF NOT EXISTS complaint_search_terms_digest ON complaint_search_terms (digest);
-- Which complaints are indexed, under which search key (its fingerprint): the indexer (re)writes those
-- missing or under another key (existing complaints after this migration, or after the key changed).
CREATE TABLE IF NOT EXISTS complaint_search_indexed (
    complaint_id uuid PRIMARY KEY REFERENCES complaints (complaint_id),
    key_id text NOT NULL,
    indexed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS complaint_search_indexed_key ON complaint_search_indexed (key_id);
