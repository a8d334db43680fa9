"""Other publishers' files into the warehouse: Netflix's Top 10 files and engagement reports,
personal viewing exports; stable title identity across them, and corrections of it."""
