"""Persistent storage behind one interface; all SQL lives in this package."""
