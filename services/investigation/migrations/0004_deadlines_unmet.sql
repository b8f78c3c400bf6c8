-- The worklist's saved views and their counts (saved_views.py) ask which cases have an unmet deadline
-- (running or breached) of a kind, on hold or not, of a department, falling due when: a narrow partial
-- index answers them by index-only scans instead of reading every deadline row (issue 21: at 100 k open
-- cases the counts read the whole table four times, ~0.8 s a worklist page).
CREATE INDEX IF NOT EXISTS deadlines_unmet ON deadlines (kind, on_hold, complaint_id)
    INCLUDE (department, campus, last_day)
    WHERE status IN ('open', 'breached');
