-- Migration 9: when each ingested file was last modified (nanoseconds since the epoch), so that
-- ingesting a folder again skips a file whose path, size and modification time are unchanged
-- without reading it (ingest/sources.py); NULL for files ingested before.
ALTER TABLE ingested_files ADD COLUMN modified_ns BIGINT;
