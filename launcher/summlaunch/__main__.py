import sys

from summlaunch.cli import main

sys.exit(main())
