"""Modal screens: confirmations, prompts, the params form and help."""
