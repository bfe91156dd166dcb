"""The headless core shared by the UI and the CLI: no Textual, no TensorFlow, no `training`."""
