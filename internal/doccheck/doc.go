// Package doccheck has no code: it exists for its tests, which keep the
// repository's guides, ARCHITECTURE.md and CONFORMANCE.md, true to the
// tree they describe. Nothing imports it.
//
// The test finds the repository root by walking up from its working
// directory to go.mod, reads both guides and checks that:
//
//   - every repository path they name exists: a backticked span that is a
//     path (it ends in a file extension such as .go or .md, ends in "/",
//     or starts with a top-level directory of the repository, as in
//     `task/scope.go`, `streams/streamtest/`, `demos/internal/cores`), and
//     every .go or .md file named in plain text; a bare file name
//     (`doc.go`) is looked up at the root, then next to the last path
//     named earlier on the same line (`streams/streamtest/` (`oneway.go`));
//   - every Go test they name (TestXxx, FuzzXxx, BenchmarkXxx or ExampleXxx,
//     optionally qualified by its package, pkg.TestXxx, and followed by
//     subtests, TestXxx/sub) is a top-level func of a _test.go file, of
//     that package when one is given; each subtest element must occur in
//     a string literal of the repository's Go code (spaces read as
//     underscores, as go test names subtests), and "*" stands for any one
//     element. A name followed by "::" is a Python test class (AnyIO's
//     TestLock::test_x) and is not looked up;
//   - neither guide points outside the repository: no "../", no
//     "shared/", no URL, no "issue N", "PR N" or "project#N", and no
//     DESIGN or CONTRACTS document unless the repository has one;
//   - CONFORMANCE.md's ids (the C and U numbers that start its rows) are
//     unique.
//
// A second test reads the comments of every Go file: a citation of the
// outside checklist ("Contract 12", "CONTRACTS 110-133") is reported, and
// every "CONFORMANCE.md C12" must name an id CONFORMANCE.md defines.
//
// Each broken mention is reported with its file, line and the mention
// itself. A third test feeds the checks lines made to pass and lines made
// to fail, so that a check that lets everything through fails too. Run
// them with go test ./internal/doccheck/.
package doccheck
