-- Departments investigating the complaint (from investigation's InvestigationOpened): a liaison of a
-- department assigned after registration may read the complaint too.
ALTER TABLE complaints ADD COLUMN IF NOT EXISTS investigating_departments text[] NOT NULL DEFAULT '{}';
