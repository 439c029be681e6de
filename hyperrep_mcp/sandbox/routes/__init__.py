"""HTTP endpoints of the simulated API, one module per resource (``app.py`` holds the route table)."""
