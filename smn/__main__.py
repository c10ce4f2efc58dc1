import sys

from smn.cli import main

sys.exit(main())
