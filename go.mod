module github.com/f04742a6/reactor

go 1.26.0

require (
	github.com/google/btree v1.1.3
	go.uber.org/goleak v1.3.0
	golang.org/x/sys v0.49.0
)
