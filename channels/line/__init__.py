"""The LINE channel: ``messages`` (building LINE message objects), ``sender`` (reply/push), ``webhook`` (the route)."""
