"""``python -m textmine``: the same as the ``textmine`` command."""

import sys

from .cli import main

sys.exit(main())
