// Command reactorvet reports calls that block the event loop (time.Sleep,
// Go channels and select, sync locks, net, net/http, os/exec, file reads)
// in functions run as tasks of github.com/f04742a6/reactor/task, each with
// the task-friendly replacement. See package loopblock for what counts as
// a task and what blocks.
//
// Usage, from the module to check:
//
//	reactorvet ./...
package main

import (
	"github.com/f04742a6/reactor/cmd/reactorvet/loopblock"
	"golang.org/x/tools/go/analysis/singlechecker"
)

func main() { singlechecker.Main(loopblock.Analyzer) }
