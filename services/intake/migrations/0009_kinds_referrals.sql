-- What was registered (CONTRACT §10, issue 17): a complaint (the default), a suggestion or a compliment; a
-- suggestion's adoption (SuggestionAdopted, once); an authority referral's referrer, reference and reply date.
ALTER TABLE complaints ADD COLUMN IF NOT EXISTS kind text NOT NULL DEFAULT 'complaint'
    CHECK (kind IN ('complaint', 'suggestion', 'compliment'));
ALTER TABLE complaints ADD COLUMN IF NOT EXISTS adopted_at timestamptz;
ALTER TABLE complaints ADD COLUMN IF NOT EXISTS referral jsonb;
