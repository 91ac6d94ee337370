from runtime.process_exit import exit_after
from starter.cli.main import main

exit_after(main)
