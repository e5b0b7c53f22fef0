"""The officer console: ``api.py`` (``/console`` and ``/console/api/*``), ``assist.py`` (knowledge
suggestions for officers) and ``static/`` (the single-page console)."""
