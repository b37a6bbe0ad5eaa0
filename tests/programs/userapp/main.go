// Uses os/user: dynamic (getpwuid_r via cgo) by default, static with -tags osusergo.
package main

import (
	"fmt"
	"os/user"
)

func main() {
	u, err := user.Current()
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Println(u.Username)
}
