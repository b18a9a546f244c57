"""Problem reports and their handling (issue 4): pure rules first, models and views on top."""
