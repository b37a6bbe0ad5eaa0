package main

import (
	"fmt"

	"example.com/lib"
	"example.org/lib2"
)

func main() { fmt.Println(lib.Greet(), lib2.Name()) }
