// The program's own C code: forces cgo and Go's external linker.
package main

/*
#include <stdio.h>
static int add(int a, int b) { return a + b; }
*/
import "C"

import "fmt"

func main() {
	fmt.Println("2+3 =", int(C.add(2, 3)))
}
