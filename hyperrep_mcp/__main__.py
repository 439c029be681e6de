"""`python -m hyperrep_mcp` = the `hyperrep-mcp` command."""

import sys

from hyperrep_mcp.cli import main

sys.exit(main())
