package loopblock_test

import (
	"testing"

	"github.com/f04742a6/reactor/cmd/reactorvet/loopblock"
	"golang.org/x/tools/go/analysis/analysistest"
)

// The testdata's packages task and streams are stubs of the real ones
// (signatures only); package a holds each case, its findings marked with
// want comments.
func TestAnalyzer(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), loopblock.Analyzer, "a")
}
