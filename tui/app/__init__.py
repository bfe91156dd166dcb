"""The Textual app: a face over `tui.backend`, which it reaches only from workers."""
