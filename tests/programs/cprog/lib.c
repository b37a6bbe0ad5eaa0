/* A shared library for the zig builds of the tests. */
int answer(void) { return 42; }
