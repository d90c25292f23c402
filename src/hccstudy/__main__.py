"""``python -m hccstudy`` runs the command line interface."""

from hccstudy.cli import main

main()
