// Uses the net resolver and os/user: with cgo on (the default on a host with a C compiler) Go takes
// both from the C library, which makes the binary dynamic; -tags netgo,osusergo or CGO_ENABLED=0 use
// the pure-Go versions. It prints what it found and exits 0 either way, so an empty root (no
// /etc/hosts, no /etc/passwd) shows the lookups failing, not the program.
package main

import (
	"fmt"
	"net"
	"os/user"
)

func main() {
	addrs, err := net.LookupHost("localhost")
	fmt.Println("localhost:", addrs, err)
	u, err := user.Current()
	if err != nil {
		fmt.Println("user:", err)
		return
	}
	fmt.Println("user:", u.Username)
}
