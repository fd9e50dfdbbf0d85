"""``python -m custos``: the same command line as the ``custos`` script."""

import sys

from custos.cli import main

sys.exit(main())
