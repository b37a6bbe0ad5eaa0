// Its own C code looks a user up through NSS (getpwnam): no Go build tag can avoid glibc's NSS here.
package main

/*
#include <pwd.h>
#include <stdlib.h>
static int uid_of(const char *name) { struct passwd *p = getpwnam(name); return p ? (int)p->pw_uid : -1; }
*/
import "C"

import (
	"fmt"
	"unsafe"
)

func main() {
	n := C.CString("root")
	defer C.free(unsafe.Pointer(n))
	fmt.Println("root uid", int(C.uid_of(n)))
}
