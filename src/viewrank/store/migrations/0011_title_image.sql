-- Artwork a catalog may carry for a title, shown on its page: an https:// address, a data:image
-- URL, or a site path /artwork/NAME of an image file the catalog import copied into the
-- warehouse's artwork/ folder (named by its content, so the catalog file may move).
ALTER TABLE titles ADD COLUMN IF NOT EXISTS image_url VARCHAR;
