"""``python -m syncd`` works like the ``syncd`` console script."""

import sys

from syncd.cli import main

sys.exit(main())
