"""`python -m aimarket` is the same as the `aimarket` command."""

from aimarket.cli import main

raise SystemExit(main())
