-- Migration 10: a title's display name, defined once for every query: a season's title, else
-- the show's (a film's) title. Python code that holds the two values uses catalog.display_name.
CREATE MACRO display_name(show_title, season_title) AS coalesce(season_title, show_title);
