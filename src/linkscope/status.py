"""Exit statuses: the one place they are defined.

Every command: 0 all is well; 1 something the user must act on (a check failed, a library or an
interpreter is missing, an input could not be read); 2 a usage error. ``diff`` as diff(1): 0 the
same, 1 different, 2 trouble. 130 when interrupted (SIGINT), as a shell reports it.
"""
EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INTERRUPT = 0, 1, 2, 130
