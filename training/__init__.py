"""Everything that runs inside a training process: one module per DVC stage, plus their parts.

Nothing here runs at import time, and only the modules that build or fit models import TensorFlow.
"""
