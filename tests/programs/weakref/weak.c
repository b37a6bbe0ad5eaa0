/* A weak reference to pidfd_open (GLIBC_2.36 on glibc >= 2.36): the program runs without it.
   GNU ld still writes GLIBC_2.36 as a plain version need; buildkit.mark_version_need_weak sets
   VER_FLG_WEAK on it, as a linker may. */
#include <stdio.h>
extern int pidfd_open(int, unsigned) __attribute__((weak));
int main(void) { puts(pidfd_open ? "pidfd_open: present" : "pidfd_open: absent"); return 0; }
