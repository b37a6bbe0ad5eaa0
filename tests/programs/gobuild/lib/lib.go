package lib

func Greet() string { return "hello from lib" }
