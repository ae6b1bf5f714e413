#!/usr/bin/env python3
"""usdc-futures-bot: ``python run.py --help`` lists the subcommands (``trade`` is the default)."""

import sys

from cli.main import main

if __name__ == "__main__":
    sys.exit(main())
