<<<<<<<< HEAD:src/viewrank/store/migrations/0008_ingested_file_mtime.sql
-- Migration 8: when each ingested file was last modified (nanoseconds since the epoch), so that ingesting a
========
-- Migration 8: when each ingested file was last modified (nanoseconds since the epoch), so that ingesting a
>>>>>>>> 6cb60f5 (Modification times are migration 6; Spark's manifest insert names its columns):src/viewrank/store/migrations/0006_ingested_file_mtime.sql
-- folder again skips a file whose path, size and modification time are unchanged without
-- reading it (ingest/sources.py); NULL for files ingested before.
ALTER TABLE ingested_files ADD COLUMN modified_ns BIGINT;
