-- Every spelling a Top 10 title was published under ("El infierno", "El Infierno") and the
-- newest publication that used it; the title shows the newest spelling.
CREATE TABLE title_aliases (
    title_key INTEGER NOT NULL,
    show_title VARCHAR NOT NULL,
    season_title VARCHAR,
    published DATE NOT NULL
);
