"""`python -m summtrain` (and the `summtrain` console script, and `torchrun -m summtrain`)."""

import sys

from summtrain.cli import main

if __name__ == "__main__":
    sys.exit(main())
