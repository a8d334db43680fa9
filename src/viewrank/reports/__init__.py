"""What is read off editions and rollups: a title's facts and press fact sheet, most popular,
the half-year engagement report, distinct audiences, and audits of published weeks."""
