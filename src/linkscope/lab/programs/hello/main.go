// Prints one line. Pure Go: Go's internal linker makes it static in every mode that leaves cgo alone.
package main

import (
	"fmt"
	"runtime"
)

func main() {
	fmt.Printf("hello from %s/%s\n", runtime.GOOS, runtime.GOARCH)
}
