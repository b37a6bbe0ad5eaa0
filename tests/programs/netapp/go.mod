module example.com/netapp

go 1.22
