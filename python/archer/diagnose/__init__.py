"""`archer diagnose`: read a run history and say what went wrong."""
