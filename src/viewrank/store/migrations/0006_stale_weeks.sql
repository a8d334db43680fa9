-- Migration 6: chart weeks that a catalog change made stale (a runtime, a language, an
-- episode), so that plain `charts` recomputes them; computing a week removes its row.
CREATE TABLE IF NOT EXISTS stale_weeks (
    week DATE PRIMARY KEY,
    marked_at TIMESTAMP NOT NULL
);
