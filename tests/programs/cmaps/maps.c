/* Prints its own memory map (/proc/self/maps): the tests read from it what start-up made read-only. */
#include <stdio.h>

int main(void) {
    char line[512];
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return 1;
    while (fgets(line, sizeof line, f))
        fputs(line, stdout);
    fclose(f);
    return 0;
}
