// Uses the net resolver: dynamic (libc via cgo) by default, static with -tags netgo.
package main

import (
	"fmt"
	"net"
	"os"
)

func main() {
	host := "localhost"
	if len(os.Args) > 1 {
		host = os.Args[1]
	}
	addrs, err := net.LookupHost(host)
	fmt.Println(addrs, err)
}
