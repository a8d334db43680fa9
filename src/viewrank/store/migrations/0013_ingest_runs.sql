-- Migration 13: the run an ingested file was stored in. Parquet files ingested together are
-- validated, deduplicated and sorted in one pass and share their event parts, one a day,
-- named and registered under the run's id (the batch id of its first file); a file ingested
-- alone is its own run.
ALTER TABLE ingested_files ADD COLUMN run_id BIGINT;
UPDATE ingested_files SET run_id = batch_id;
