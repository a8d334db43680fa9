-- Netflix's published history in every layout and any order. An imported edition records
-- the day its publication came out: a week's revisions are ordered by it, so the newest
-- publication is current whatever the import order. The 12-column global file's
-- runtime_override_flag cell is kept as published.
ALTER TABLE editions ADD COLUMN published DATE;
ALTER TABLE chart_entries ADD COLUMN runtime_override_flag VARCHAR;

-- The views read the new columns.
CREATE OR REPLACE VIEW current_editions AS
SELECT * FROM editions e
WHERE revision = (SELECT max(revision) FROM editions x WHERE x.week = e.week AND x.scope = e.scope);

CREATE OR REPLACE VIEW current_entries AS
SELECT e.week, e.scope, e.origin, e.edition_id, e.revision, c.*  EXCLUDE (edition_id)
FROM chart_entries c JOIN current_editions e USING (edition_id);
