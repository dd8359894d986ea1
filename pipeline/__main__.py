"""``python -m pipeline`` is the same as the ``beian`` command."""

from pipeline.launch import main

main()
