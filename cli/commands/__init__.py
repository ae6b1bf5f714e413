"""One module per ``run.py`` subcommand."""
