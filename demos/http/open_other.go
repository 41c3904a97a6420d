//go:build !unix

package main

import "os"

// openFlags opens a served file. Windows has no FIFOs in its file
// systems (named pipes live apart, under \\.\pipe\), so there is nothing
// to open without waiting on.
const openFlags = os.O_RDONLY
