"""``python -m scenario_async``: the same as the ``scenario-async`` command."""

import sys

from .cli import main

sys.exit(main())
