"""trading package."""
