module example.com/cnssapp

go 1.22
