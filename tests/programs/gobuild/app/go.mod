module example.com/app

go 1.22

require (
	example.com/lib v1.2.3
	example.org/lib2 v0.0.0-20240101000000-abcdefabcdef
)

replace example.com/lib => ../lib

replace example.org/lib2 v0.0.0-20240101000000-abcdefabcdef => ../lib2
