"""Entry point of ``python -m session_core``."""

import sys

from .cli import main

sys.exit(main())
