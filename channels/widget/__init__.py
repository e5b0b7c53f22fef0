"""The web chat widget: ``api.py`` (the demo page, ``/widget.js`` and ``/api/widget/*``) and ``static/``."""
