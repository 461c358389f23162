"""``python -m textmine.cli``: the same as the ``textmine`` command."""

import sys

from . import main

sys.exit(main())
