module example.org/lib2

go 1.22
