-- A spelling that came to a title by titles-merge names the id merged away, so the title
-- keeps showing its own name (NULL: the title's own spelling).
ALTER TABLE title_aliases ADD COLUMN IF NOT EXISTS merged_from VARCHAR;
