-- Distinct-account sketches become Apache DataSketches HLL sketches, one serialised sketch per
-- day and title. The hand-made registers stored before used another hash and cannot be
-- converted, so they are dropped: estimates over those days say so until
-- 'viewrank rollup --full' rebuilds the sketches from the event parts.
DROP TABLE IF EXISTS daily_sketch;
CREATE TABLE daily_sketch (
    day DATE NOT NULL,
    title_key INTEGER NOT NULL,
    sketch BLOB NOT NULL
);
