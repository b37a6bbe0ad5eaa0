module example.com/userapp

go 1.22
