-- Migration 1: the schema of the first release (commit 5246d10). Raw events live in Parquet
-- under events/; this database holds the catalog, the manifest of what was ingested, the
-- quarantine, the rollup registry and the chart editions. Every statement is IF NOT EXISTS
-- or OR REPLACE, so a warehouse made before schema versions were recorded takes it as is.

CREATE SEQUENCE IF NOT EXISTS title_keys START 1;
CREATE SEQUENCE IF NOT EXISTS episode_keys START 1;
CREATE SEQUENCE IF NOT EXISTS batch_ids START 1;
CREATE SEQUENCE IF NOT EXISTS edition_ids START 1;

-- country_index is the small integer the event parts store instead of the code.
CREATE TABLE IF NOT EXISTS countries (
    iso2 VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    netflix_top10 BOOLEAN NOT NULL,
    country_index SMALLINT NOT NULL UNIQUE
);

-- Account ids as dense integers, so distinct viewers are counted exactly and fast.
CREATE TABLE IF NOT EXISTS accounts (
    account_id VARCHAR NOT NULL,
    account_key INTEGER NOT NULL
);

-- A title is a film or one season of a series; title_key is a dense integer used in the
-- event files and rollups, title_id the stable public id.
CREATE TABLE IF NOT EXISTS titles (
    title_key INTEGER PRIMARY KEY DEFAULT nextval('title_keys'),
    title_id VARCHAR NOT NULL UNIQUE,
    show_title VARCHAR NOT NULL,
    season_number INTEGER,
    season_title VARCHAR,
    kind VARCHAR NOT NULL CHECK (kind IN ('film', 'tv')),
    original_language VARCHAR,
    release_date DATE,
    is_original BOOLEAN NOT NULL DEFAULT false,
    runtime_seconds INTEGER,
    genre VARCHAR,
    is_kids BOOLEAN NOT NULL DEFAULT false,
    source VARCHAR NOT NULL DEFAULT 'catalog'
);

CREATE TABLE IF NOT EXISTS episodes (
    episode_key INTEGER PRIMARY KEY DEFAULT nextval('episode_keys'),
    episode_id VARCHAR NOT NULL UNIQUE,
    title_key INTEGER NOT NULL,
    episode_number INTEGER,
    episode_title VARCHAR,
    runtime_seconds INTEGER NOT NULL,
    available_date DATE
);

-- One row per input file ever ingested; sha256 makes a renamed copy a known file.
CREATE TABLE IF NOT EXISTS ingested_files (
    batch_id BIGINT PRIMARY KEY,
    path VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL UNIQUE,
    size_bytes BIGINT NOT NULL,
    format VARCHAR NOT NULL,
    rows_read BIGINT NOT NULL,
    rows_loaded BIGINT NOT NULL,
    rows_quarantined BIGINT NOT NULL,
    rows_duplicate BIGINT NOT NULL,
    ingested_at TIMESTAMP NOT NULL
);

-- The Parquet parts that hold the events of a batch, one per day touched, each sorted by
-- (title_key, country_index, account_key) so a rollup can stream it in one pass.
CREATE TABLE IF NOT EXISTS event_files (
    batch_id BIGINT NOT NULL,
    day DATE NOT NULL,
    path VARCHAR NOT NULL UNIQUE,
    rows BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS quarantine (
    batch_id BIGINT NOT NULL,
    path VARCHAR NOT NULL,
    row_number BIGINT NOT NULL,
    reason VARCHAR NOT NULL,
    raw VARCHAR
);

-- Rollup rows live in Parquet parts under rollups/, one per day for daily rows and one per
-- chart week for weekly totals (viewrank/rollup_parts.py); this table names the current ones.
-- The views daily_rollup_rows and weekly_rollup_rows, countries by index, read them: each
-- rollup redefines them over the registered parts.
CREATE TABLE IF NOT EXISTS rollup_parts (
    kind VARCHAR NOT NULL,
    period DATE NOT NULL,
    path VARCHAR PRIMARY KEY,
    rows BIGINT NOT NULL
);

-- Daily rollups: the only thing charts read about viewing, with their country codes.
CREATE VIEW IF NOT EXISTS daily_rollup AS
SELECT r.day, r.title_key, c.iso2 AS country, r.seconds, r.sessions, r.accounts
FROM daily_rollup_rows r JOIN countries c USING (country_index);

-- Which event parts each rolled-up day was computed from, so a new part reruns only its day.
CREATE TABLE IF NOT EXISTS rollup_days (
    day DATE PRIMARY KEY,
    event_parts BIGINT NOT NULL,
    event_rows BIGINT NOT NULL,
    engine VARCHAR NOT NULL,
    rolled_at TIMESTAMP NOT NULL
);

-- A chart edition: the lists of one week and scope (global or country), computed or
-- imported. Never updated: a change is a new revision.
CREATE TABLE IF NOT EXISTS editions (
    edition_id BIGINT PRIMARY KEY DEFAULT nextval('edition_ids'),
    week DATE NOT NULL,
    scope VARCHAR NOT NULL CHECK (scope IN ('global', 'country')),
    origin VARCHAR NOT NULL CHECK (origin IN ('computed', 'imported')),
    revision INTEGER NOT NULL,
    source VARCHAR NOT NULL,
    methodology VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (week, scope, revision)
);

CREATE TABLE IF NOT EXISTS chart_entries (
    edition_id BIGINT NOT NULL,
    country VARCHAR,             -- NULL on the global lists
    category VARCHAR NOT NULL,
    rank INTEGER NOT NULL,
    title_key INTEGER NOT NULL,
    hours_viewed DOUBLE,         -- exact (computed) or as published (imported)
    runtime_hours DOUBLE,
    views DOUBLE,
    cumulative_weeks INTEGER NOT NULL,
    streak_weeks INTEGER NOT NULL,
    is_staggered_launch BOOLEAN,
    episode_launch_details VARCHAR
);

-- The newest revision of every (week, scope): what the site, exports and facts show.
CREATE OR REPLACE VIEW current_editions AS
SELECT * FROM editions e
WHERE revision = (SELECT max(revision) FROM editions x WHERE x.week = e.week AND x.scope = e.scope);

CREATE OR REPLACE VIEW current_entries AS
SELECT e.week, e.scope, e.origin, e.edition_id, e.revision, c.*  EXCLUDE (edition_id)
FROM chart_entries c JOIN current_editions e USING (edition_id);

-- Imported published files (Netflix Top 10 lists, engagement reports, personal viewing
-- exports): one row per file content ever imported, with the layout it was read in (JSON:
-- columns, delimiter, line ending, ...) so an export can reproduce it, and the outcome counts.
CREATE SEQUENCE IF NOT EXISTS import_source_ids START 1;

CREATE TABLE IF NOT EXISTS import_sources (
    source_id BIGINT PRIMARY KEY DEFAULT nextval('import_source_ids'),
    kind VARCHAR NOT NULL,
    path VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL UNIQUE,
    size_bytes BIGINT NOT NULL,
    layout VARCHAR NOT NULL,
    rows_read BIGINT NOT NULL,
    outcome VARCHAR NOT NULL,
    imported_at TIMESTAMP NOT NULL
);

-- The chart weeks an imported Top 10 file covered and the edition that holds its content
-- (a new revision, or the existing edition when the file repeated it unchanged).
CREATE TABLE IF NOT EXISTS import_weeks (
    source_id BIGINT NOT NULL,
    scope VARCHAR NOT NULL,
    week DATE NOT NULL,
    edition_id BIGINT NOT NULL
);

-- Netflix's all-time "Most Popular" lists (not weekly): one snapshot per imported file.
CREATE TABLE IF NOT EXISTS most_popular (
    source_id BIGINT NOT NULL,
    basis VARCHAR NOT NULL,        -- 'first_28_days' (hours) or 'first_91_days' (views)
    category VARCHAR NOT NULL,
    rank INTEGER NOT NULL,
    title_key INTEGER NOT NULL,
    hours_viewed DOUBLE,
    runtime_hours DOUBLE,
    views DOUBLE
);

-- Half-year engagement reports ("What We Watched"): one row per report sheet row, values as
-- published, matched to a title where the evidence supports it.
CREATE TABLE IF NOT EXISTS engagement_reports (
    source_id BIGINT PRIMARY KEY,
    period_start DATE NOT NULL,
    period_end DATE NOT NULL,
    title_rows BIGINT NOT NULL,
    hours_viewed BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS engagement_rows (
    source_id BIGINT NOT NULL,
    sheet VARCHAR NOT NULL,
    sheet_row INTEGER NOT NULL,
    kind VARCHAR,                  -- from the sheet (TV/Shows, Film/Movies); NULL on the first report
    title VARCHAR NOT NULL,        -- as published, original-language name included
    title_english VARCHAR NOT NULL,
    title_original VARCHAR,        -- the part after ' // ', if any
    title_key INTEGER NOT NULL,
    matched VARCHAR NOT NULL,      -- how title_key was found: 'top10', 'catalog' or 'new'
    available_globally BOOLEAN,
    release_date DATE,
    hours_viewed BIGINT NOT NULL,
    runtime_text VARCHAR,          -- H:MM as published ('*' where Netflix gives none)
    runtime_hours DOUBLE,
    views BIGINT
);

-- The newest imported report of every half year.
CREATE OR REPLACE VIEW current_engagement_rows AS
SELECT r.period_start, r.period_end, e.*
FROM engagement_rows e JOIN engagement_reports r USING (source_id)
WHERE r.source_id = (SELECT max(x.source_id) FROM engagement_reports x
                     WHERE x.period_start = r.period_start AND x.period_end = r.period_end);

-- NetflixViewingHistory.csv has titles and dates only: plays per title and day, never hours.
CREATE TABLE IF NOT EXISTS viewing_history_plays (
    source_id BIGINT NOT NULL,
    day DATE NOT NULL,
    title_key INTEGER NOT NULL,
    episode VARCHAR,
    plays INTEGER NOT NULL
);

-- Identity corrections made by hand (viewrank import titles-merge / titles-split).
CREATE TABLE IF NOT EXISTS title_corrections (
    action VARCHAR NOT NULL,
    title_id VARCHAR NOT NULL,
    other_title_id VARCHAR NOT NULL,
    from_week DATE,
    editions BIGINT NOT NULL,
    corrected_at TIMESTAMP NOT NULL
);

-- The newest imported snapshot of each most-popular list.
CREATE OR REPLACE VIEW current_most_popular AS
SELECT * FROM most_popular m
WHERE source_id = (SELECT max(x.source_id) FROM most_popular x WHERE x.basis = m.basis);

-- When each week's lists were last computed, so `charts` recomputes only weeks whose
-- rollups changed since (and the weeks after a week that changed).
CREATE TABLE IF NOT EXISTS chart_runs (
    week DATE PRIMARY KEY,
    computed_at TIMESTAMP NOT NULL
);

-- Each chart week's viewing per title and country, kept in step with daily_rollup by the
-- rollup step so that a week's lists read one row per title and country, not seven.
CREATE VIEW IF NOT EXISTS weekly_rollup AS
SELECT r.week, r.title_key, c.iso2 AS country, r.seconds, r.sessions
FROM weekly_rollup_rows r JOIN countries c USING (country_index);

-- Distinct-account sketches (HyperLogLog, 4,096 registers; viewrank/sketch.py) per day and
-- title, all countries together, written by the rollup step beside daily_rollup. Only registers
-- above zero are stored, one row each, so merging any window is a GROUP BY with max().
CREATE TABLE IF NOT EXISTS daily_sketch (
    day DATE NOT NULL,
    title_key INTEGER NOT NULL,
    register_index SMALLINT NOT NULL,
    register_value UTINYINT NOT NULL
);
