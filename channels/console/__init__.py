"""The officer console: ``api.py`` (``/console`` and ``/console/api/*``), ``labels.py`` (every word
it says to officers) and ``static/`` (the single-page console)."""
