"""Run the renderer's command line: ``python -m edge.training.render --help``."""

from edge.training.render.command_line import main

main()
