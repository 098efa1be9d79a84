"""``python -m ndr``."""
import sys

from .cli import main

sys.exit(main())
