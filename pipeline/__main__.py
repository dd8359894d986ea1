"""``python -m pipeline`` is the same as the ``beian`` command."""

from pipeline.cli import main

main()
