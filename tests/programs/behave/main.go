// Does what its arguments say, for the verify tests: "exit N" exits with status N, "sleep S" sleeps
// S seconds, "alloc M" allocates M MiB and writes every page of it, anything else prints a line.
// Pure Go: static with Go's internal linker.
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

func main() {
	if len(os.Args) == 3 {
		n, err := strconv.Atoi(os.Args[2])
		if err == nil && os.Args[1] == "exit" {
			fmt.Println("exiting with", n)
			os.Exit(n)
		}
		if err == nil && os.Args[1] == "alloc" {
			b := make([]byte, n<<20)
			for i := 0; i < len(b); i += 4096 {
				b[i] = 1
			}
			fmt.Println("allocated", n, "MiB")
			os.Exit(0)
		}
		if err == nil && os.Args[1] == "sleep" {
			fmt.Println("sleeping", n, "s")
			time.Sleep(time.Duration(n) * time.Second)
		}
	}
	fmt.Println("behave", os.Args[1:])
}
