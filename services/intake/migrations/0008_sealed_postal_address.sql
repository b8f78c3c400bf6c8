-- The complainant's postal address (issue 18): where a letter goes when nothing else reaches them. Personal
-- data, sealed with the complaint's key like the other contact fields (an erasure makes it unreadable too).
ALTER TABLE complainants ADD COLUMN IF NOT EXISTS postal_address_sealed bytea;
