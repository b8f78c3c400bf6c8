-- Issue 18 item 9: the complainant's preferred channel (email, sms, letter, phone), set when the contact details
-- are corrected. A code, not personal data: kept in the clear beside the sealed details; NULL: none stated.
ALTER TABLE complainants ADD COLUMN IF NOT EXISTS preferred_channel text
    CHECK (preferred_channel IN ('email', 'sms', 'letter', 'phone'));
