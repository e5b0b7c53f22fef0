"""The FastAPI gateway: health now; LINE webhook, web widget and officer console later."""
