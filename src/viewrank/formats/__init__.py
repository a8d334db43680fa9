"""Published file layouts: the Top 10 TSV columns and value conventions, reading published
tables (TSV, CSV, XLSX), and the engagement workbook."""
