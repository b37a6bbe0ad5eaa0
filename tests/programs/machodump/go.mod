module machodump

go 1.22
