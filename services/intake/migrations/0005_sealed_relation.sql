-- The complainant's relation to the patient is free text a person wrote ("daughter-in-law of …"): sealed
-- with the complaint's key like the other personal data, so an erasure makes it unreadable too (issue 11).
-- Before the first release, as 0003: the plaintext column is dropped, not converted.
ALTER TABLE complainants
    DROP COLUMN IF EXISTS relation,
    ADD COLUMN IF NOT EXISTS relation_sealed bytea;
