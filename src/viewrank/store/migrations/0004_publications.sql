-- Netflix's published history in every layout and any order. An imported edition records
-- the day its publication came out: a week's revisions are ordered by it, so the newest
-- publication is current whatever the import order. The 12-column global file's
-- runtime_override_flag cell is kept as published.
ALTER TABLE editions ADD COLUMN published DATE;
ALTER TABLE chart_entries ADD COLUMN runtime_override_flag VARCHAR;

-- current_editions and current_entries select *, and DuckDB expands a star when a view is
-- queried, so both show the new columns without being created again.
