-- Migration 5: input files ingested on Apache Spark (rollup/spark_raw.py). Their events stay
-- where Spark read them: this database keeps each file's manifest row (ingested_files), its
-- quarantined rows and the rollups of its days, but no event parts, so the checks that match a
-- batch against its parts leave these batches out.
CREATE TABLE IF NOT EXISTS spark_batches (
    batch_id BIGINT PRIMARY KEY,
    master VARCHAR NOT NULL
);
