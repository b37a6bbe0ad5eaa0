package lib2

func Name() string { return "lib2" }
