-- Every stored event's id as two independent 64-bit hashes (ingest/keys.py): an event id is
-- unique in the warehouse whatever its day. event_key_function holds DuckDB's hash of a fixed
-- probe string when the keys were made; until it is set (a warehouse from before this
-- migration) or when it differs, the next ingest rebuilds event_keys from the event parts.
CREATE TABLE event_keys (
    key UBIGINT NOT NULL,
    fingerprint UBIGINT NOT NULL
);
CREATE TABLE event_key_function (probe UBIGINT NOT NULL);

-- Whether a whole event part is sorted by (title_key, country_index, account_key), not only
-- each of its row groups (store/events.py); the parts written before this were.
ALTER TABLE event_files ADD COLUMN sorted BOOLEAN DEFAULT true;
