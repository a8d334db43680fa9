-- External ids a catalog may carry, so integrators (media-server plugins, browser extensions)
-- can match list entries to their own libraries without a lookup per title.
-- tmdb_id: The Movie Database id of the film or of the show a season belongs to;
-- imdb_id: the IMDb id of the film or show, like tt1856010.
ALTER TABLE titles ADD COLUMN IF NOT EXISTS tmdb_id INTEGER;
ALTER TABLE titles ADD COLUMN IF NOT EXISTS imdb_id VARCHAR;
