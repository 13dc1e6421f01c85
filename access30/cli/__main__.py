"""``python -m access30.cli``: the ``access30`` command."""

import sys

from access30.cli import main

sys.exit(main())
