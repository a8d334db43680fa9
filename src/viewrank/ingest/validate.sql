-- Types, resolves and validates the rows of one input batch (registered as `raw`).
-- Every row gets `reason`: NULL when it is good, else why it goes to the quarantine. A value is
-- turned back into text only for a bad row's reason (formatting every timestamp is costly).
-- trimmed(...) is a column as text without the spaces trim() takes off its ends (batch.py writes
-- it out: trim() copies every value, which was the costliest step of the validation).
WITH typed AS (
    SELECT
        _row,
        NULLIF(trimmed(event_id), '') AS event_id,
        NULLIF(trimmed(account_id), '') AS account_id,
        NULLIF(trimmed(title_id), '') AS title_id,
        NULLIF(trimmed(episode_id), '') AS episode_id,
        NULLIF(upper(trimmed(country)), '') AS country,
        start_time AS start_time_raw,
        TRY_CAST(start_time AS TIMESTAMPTZ) AS start_time,
        seconds_watched AS seconds_raw,
        TRY_CAST(seconds_watched AS DOUBLE) AS seconds_value
    FROM raw
),
resolved AS (
    SELECT
        typed.*,
        episodes.episode_key,
        coalesce(episodes.title_key, titles.title_key) AS title_key,
        episodes.episode_title_id,
        countries.iso2 AS known_country,
        countries.country_index
    FROM typed
    -- each episode with its title's id, joined to the catalog before the rows probe it once
    LEFT JOIN (
        SELECT e.episode_id, e.episode_key, e.title_key, t.title_id AS episode_title_id
        FROM episodes e LEFT JOIN titles t ON t.title_key = e.title_key
    ) episodes ON episodes.episode_id = typed.episode_id
    LEFT JOIN titles ON titles.title_id = typed.title_id
    LEFT JOIN countries ON countries.iso2 = typed.country
)
SELECT
    _row, event_id, account_id, title_key, episode_key, country_index, start_time, seconds_value,
    CASE
        WHEN event_id IS NULL THEN 'missing event_id'
        WHEN account_id IS NULL THEN 'missing account_id'
        WHEN title_id IS NULL AND episode_id IS NULL THEN 'neither title_id nor episode_id is set'
        WHEN episode_id IS NOT NULL AND episode_key IS NULL THEN 'unknown episode_id ' || episode_id
        WHEN episode_id IS NULL AND title_key IS NULL THEN 'unknown title_id ' || title_id
        WHEN episode_id IS NOT NULL AND title_id IS NOT NULL AND title_id <> episode_title_id
            THEN 'episode ' || episode_id || ' belongs to ' || episode_title_id || ', not to ' || title_id
        WHEN country IS NULL THEN 'missing country'
        WHEN known_country IS NULL THEN 'unknown country code ' || country || ' (expected ISO 3166-1 alpha-2)'
        WHEN start_time_raw IS NULL THEN 'missing start_time'
        WHEN start_time IS NULL THEN 'start_time ' || CAST(start_time_raw AS VARCHAR) || ' is not a timestamp'
        WHEN start_time < $earliest THEN 'start_time ' || CAST(start_time_raw AS VARCHAR) || ' is before ' || CAST($earliest AS DATE)
        WHEN start_time > $latest THEN 'start_time ' || CAST(start_time_raw AS VARCHAR) || ' is in the future'
        WHEN seconds_raw IS NULL THEN 'missing seconds_watched'
        WHEN seconds_value IS NULL OR isnan(seconds_value) OR isinf(seconds_value)
            THEN 'seconds_watched ' || CAST(seconds_raw AS VARCHAR) || ' is not a number'
        WHEN seconds_value < 0 THEN 'negative seconds_watched ' || CAST(seconds_raw AS VARCHAR)
        WHEN seconds_value > $max_seconds
            THEN 'seconds_watched ' || CAST(seconds_raw AS VARCHAR) || ' is longer than ' || $max_seconds || ' seconds'
    END AS reason
FROM resolved
