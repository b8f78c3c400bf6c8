-- Personal data sealed with a key per complaint (services/intake/vault.py). Before the first release:
-- plaintext columns are dropped, not converted (no production data existed).
CREATE TABLE IF NOT EXISTS complainant_keys (
    complainant_ref text PRIMARY KEY,
    wrapped_key bytea,               -- NULL once erased: the sealed data can never be read again
    created_at timestamptz NOT NULL DEFAULT now(),
    erased_at timestamptz,
    erased_by text,
    erasure_reason text
);
ALTER TABLE complainants
    DROP COLUMN IF EXISTS name, DROP COLUMN IF EXISTS phone, DROP COLUMN IF EXISTS email,
    DROP COLUMN IF EXISTS patient_name, DROP COLUMN IF EXISTS patient_mrn,
    ADD COLUMN IF NOT EXISTS name_sealed bytea, ADD COLUMN IF NOT EXISTS phone_sealed bytea,
    ADD COLUMN IF NOT EXISTS email_sealed bytea, ADD COLUMN IF NOT EXISTS patient_name_sealed bytea,
    ADD COLUMN IF NOT EXISTS patient_mrn_sealed bytea;
ALTER TABLE complaints
    DROP COLUMN IF EXISTS summary, DROP COLUMN IF EXISTS desired_outcome,
    ADD COLUMN IF NOT EXISTS summary_sealed bytea, ADD COLUMN IF NOT EXISTS desired_outcome_sealed bytea;
