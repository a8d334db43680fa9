-- The warehouse schema (migration 1). Raw events live in Parquet under events/; this
-- database holds the catalog, the manifest of what was ingested, the quarantine, the daily
-- rollups and the chart editions.

CREATE SEQUENCE IF NOT EXISTS title_keys START 1;
CREATE SEQUENCE IF NOT EXISTS episode_keys START 1;
CREATE SEQUENCE IF NOT EXISTS batch_ids START 1;
CREATE SEQUENCE IF NOT EXISTS edition_ids START 1;

CREATE TABLE IF NOT EXISTS countries (
    iso2 VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    netflix_top10 BOOLEAN NOT NULL
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

-- The Parquet parts that hold the events of a batch, one per day touched.
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

-- Daily rollups: the only thing charts read about viewing.
CREATE TABLE IF NOT EXISTS daily_rollup (
    day DATE NOT NULL,
    title_key INTEGER NOT NULL,
    country VARCHAR NOT NULL,
    seconds BIGINT NOT NULL,
    sessions BIGINT NOT NULL,
    accounts BIGINT NOT NULL
);

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
