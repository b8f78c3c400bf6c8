-- Attachments (CONTRACT §9, issue 16): the evidence a complaint's file holds — letters, bills, photos,
-- recordings. The name is sealed with the complaint's own key like its other personal data; the content is
-- stored sealed chunk by chunk (attachment_chunks, or an S3-compatible store when configured), so erasing the
-- complaint's key makes both unreadable. Hash, size and type stay: they are what AttachmentAdded published.
CREATE TABLE IF NOT EXISTS attachments (
    attachment_id uuid PRIMARY KEY,
    complaint_id uuid NOT NULL REFERENCES complaints (complaint_id),
    name_sealed bytea NOT NULL,
    media_type text NOT NULL,
    size bigint NOT NULL CHECK (size > 0),
    sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    chunks integer NOT NULL CHECK (chunks > 0),
    storage text NOT NULL CHECK (storage IN ('database', 's3')),
    added_at timestamptz NOT NULL,
    added_by text NOT NULL,
    added_by_role text NOT NULL,
    event_id uuid NOT NULL UNIQUE
);
CREATE INDEX IF NOT EXISTS attachments_of_complaint ON attachments (complaint_id, added_at);

-- Written while the body streams in, before the attachment's row (which commits with them in one transaction).
CREATE TABLE IF NOT EXISTS attachment_chunks (
    attachment_id uuid NOT NULL,
    chunk_index integer NOT NULL CHECK (chunk_index >= 0),
    sealed bytea NOT NULL,
    PRIMARY KEY (attachment_id, chunk_index)
);
