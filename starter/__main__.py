from starter.cli import main
from starter.process_exit import exit_after

exit_after(main)
