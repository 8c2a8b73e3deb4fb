"""The one-file HTML report of a run: shortlist, charts, uncovered demand, listing checks."""
