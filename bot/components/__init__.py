"""Custom Rasa components (imported by Rasa when it loads the model)."""
from . import rasa_patches

rasa_patches.apply()
