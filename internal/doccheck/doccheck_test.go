package doccheck

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// guides are the documents checked, relative to the repository root.
var guides = []string{"ARCHITECTURE.md", "CONFORMANCE.md"}

// TestGuidesNameOnlyWhatExists checks every path and Go test the guides
// mention, and that they point nowhere outside the repository (see the
// package documentation for the rules).
func TestGuidesNameOnlyWhatExists(t *testing.T) {
	r := loadRepo(t)
	for _, name := range guides {
		t.Run(name, func(t *testing.T) {
			text, err := os.ReadFile(filepath.Join(r.root, name))
			if err != nil {
				t.Fatalf("reading %s: %v", name, err)
			}
			problems, st := r.checkGuide(string(text))
			for _, p := range problems {
				t.Errorf("%s:%d: %s", name, p.line, p.msg)
			}
			t.Logf("%s: %d path mentions, %d test mentions checked", name, st.paths, st.tests)
			if name == "CONFORMANCE.md" {
				for _, p := range duplicateIDs(string(text)) {
					t.Errorf("%s:%d: %s", name, p.line, p.msg)
				}
			}
		})
	}
}

// TestGoCommentsCiteConformance checks the comments of every Go file: no
// citation of the outside checklist's numbers, and every CONFORMANCE.md
// id cited is one the file defines.
func TestGoCommentsCiteConformance(t *testing.T) {
	r := loadRepo(t)
	text, err := os.ReadFile(filepath.Join(r.root, "CONFORMANCE.md"))
	if err != nil {
		t.Fatalf("reading CONFORMANCE.md: %v", err)
	}
	ids := definedIDs(string(text))
	for _, c := range r.comments {
		if strings.HasPrefix(c.file, "internal/doccheck/") {
			continue // this package describes the citations it looks for
		}
		for _, msg := range checkComment(c.text, ids) {
			t.Errorf("%s:%d: %s", c.file, c.line, msg)
		}
	}
}

// A problem is one broken mention, on a line of a guide (1-based).
type problem struct {
	line int
	msg  string
}

// repo is what the checks need to know of the tree.
type repo struct {
	root     string
	topLevel map[string]bool            // names of the root's entries
	tests    map[string]map[string]bool // package name → its test funcs
	anyTest  map[string]bool            // every test func, in any package
	literals []string                   // every string literal, spaces as underscores
	comments []comment                  // every comment line of every Go file
}

// comment is one line of a Go comment, with where it is.
type comment struct {
	file string // relative to the root
	line int
	text string
}

var (
	loaded    *repo
	loadErr   error
	loadOnce  sync.Once
	testFuncs = regexp.MustCompile(`^(Test|Fuzz|Benchmark|Example)([A-Z0-9_]|$)`)
)

// loadRepo finds the root and parses every Go file under it, once.
func loadRepo(t *testing.T) *repo {
	t.Helper()
	loadOnce.Do(func() { loaded, loadErr = parseRepo() })
	if loadErr != nil {
		t.Fatal(loadErr)
	}
	return loaded
}

// findRoot walks up from the working directory to the directory that
// holds go.mod.
func findRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

func parseRepo() (*repo, error) {
	root, err := findRoot()
	if err != nil {
		return nil, err
	}
	r := &repo{
		root:     root,
		topLevel: map[string]bool{},
		tests:    map[string]map[string]bool{},
		anyTest:  map[string]bool{},
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		r.topLevel[e.Name()] = true
	}
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if strings.HasSuffix(name, "_test.go") {
			pkg := strings.TrimSuffix(f.Name.Name, "_test")
			if r.tests[pkg] == nil {
				r.tests[pkg] = map[string]bool{}
			}
			for _, decl := range f.Decls {
				if fn, ok := decl.(*ast.FuncDecl); ok && fn.Recv == nil && testFuncs.MatchString(fn.Name.Name) {
					r.tests[pkg][fn.Name.Name] = true
					r.anyTest[fn.Name.Name] = true
				}
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil && s != "" {
					r.literals = append(r.literals, strings.ReplaceAll(s, " ", "_"))
				}
			}
			return true
		})
		for _, g := range f.Comments {
			for _, c := range g.List {
				line := fset.Position(c.Pos()).Line
				for i, text := range strings.Split(c.Text, "\n") {
					r.comments = append(r.comments, comment{file: rel, line: line + i, text: text})
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

var (
	// backticked spans
	spanRE = regexp.MustCompile("`([^`]+)`")
	// a Go test name: optional package qualifier, the func, subtests, and
	// a following "::" that marks a Python test class instead
	testRE = regexp.MustCompile(`(?:\b([a-z][a-z0-9_]*)\.)?\b((?:Test|Fuzz|Benchmark|Example)[A-Z0-9_][A-Za-z0-9_]*)((?:/[^\s` + "`" + `,;()|'"]+)*)(::)?`)
	// a span that can be a path
	pathCharsRE = regexp.MustCompile(`^[A-Za-z0-9_.\-/]+$`)
	extRE       = regexp.MustCompile(`\.(go|md|mod|sum|s|c|h|py|sh|txt|ya?ml|json|toml)$`)
	// a .go or .md file named in plain text
	plainFileRE = regexp.MustCompile(`(?:^|[^A-Za-z0-9_./\-])((?:\.{1,2}/)?[A-Za-z0-9_\-][A-Za-z0-9_./\-]*\.(?:go|md))\b`)
	// a markdown link's target
	linkRE = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	// documents that live outside the repository
	outsideDocRE = regexp.MustCompile(`\b(DESIGN|CONTRACTS)(\.md)?\b`)
)

// outside are the patterns that point outside the repository.
var outside = []struct {
	re  *regexp.Regexp
	why string
}{
	{regexp.MustCompile(`\.\./`), `a path leaving the repository ("../")`},
	{regexp.MustCompile(`(?:^|[^A-Za-z0-9_])(shared/)`), `the shared/ directory, outside the repository`},
	{regexp.MustCompile(`https?://\S+`), `a URL`},
	{regexp.MustCompile(`(?i)\bissues?\s+#?\d+`), `an issue of the tracker`},
	{regexp.MustCompile(`(?i)\b(?:PR|pull request)\s+#?\d+`), `a pull request`},
	{regexp.MustCompile(`\b[A-Za-z][A-Za-z0-9_.\-]*#\d+`), `another project's issue or pull request`},
}

// stats counts the mentions a guide's check looked up.
type stats struct{ paths, tests int }

// checkGuide returns the broken mentions of a guide's text.
func (r *repo) checkGuide(text string) ([]problem, stats) {
	var out []problem
	var st stats
	report := func(line int, format string, args ...any) {
		out = append(out, problem{line, fmt.Sprintf(format, args...)})
	}
	inFence := false
	for i, line := range strings.Split(text, "\n") {
		n := i + 1
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			inFence = !inFence
			continue
		}
		for _, o := range outside {
			for _, m := range o.re.FindAllStringSubmatch(line, -1) {
				report(n, "%q points outside the repository: %s", m[len(m)-1], o.why)
			}
		}
		for _, m := range outsideDocRE.FindAllStringSubmatch(line, -1) {
			if m[2] == "" && !r.topLevel[m[1]+".md"] {
				report(n, "%q names a document that is not in this repository", m[1])
			}
		}
		for _, m := range testRE.FindAllStringSubmatch(line, -1) {
			if m[4] == "" {
				st.tests++
			}
			if msg := r.checkTest(m); msg != "" {
				report(n, "%s", msg)
			}
		}
		if inFence {
			continue
		}
		last := "" // the last path with a directory named on this line
		for _, m := range spanRE.FindAllStringSubmatch(line, -1) {
			p, ok := r.pathMention(m[1])
			if !ok {
				continue
			}
			st.paths++
			if msg := r.checkPath(p, last); msg != "" {
				report(n, "`%s`: %s", m[1], msg)
			}
			if strings.Contains(p, "/") {
				last = p
			}
		}
		plain := spanRE.ReplaceAllString(line, " ")
		for _, m := range plainFileRE.FindAllStringSubmatch(plain, -1) {
			if strings.HasPrefix(m[1], "../") {
				continue // reported above
			}
			st.paths++
			if msg := r.checkPath(strings.TrimPrefix(m[1], "./"), ""); msg != "" {
				report(n, "%s: %s", m[1], msg)
			}
		}
		for _, m := range linkRE.FindAllStringSubmatch(plain, -1) {
			target, _, _ := strings.Cut(m[1], "#")
			if target == "" || strings.Contains(target, "://") || strings.HasPrefix(target, "../") {
				continue // an anchor, or reported above
			}
			if strings.HasPrefix(target, "/") {
				report(n, "link %q points outside the repository", m[1])
			} else if msg := r.checkPath(strings.TrimPrefix(target, "./"), ""); msg != "" {
				report(n, "link %q: %s", m[1], msg)
			}
			st.paths++
		}
	}
	return out, st
}

// pathMention reports whether a backticked span names a repository path,
// and returns it without a leading "./".
func (r *repo) pathMention(span string) (string, bool) {
	s := strings.TrimPrefix(strings.TrimSpace(span), "./")
	if s == "" || !pathCharsRE.MatchString(s) || strings.HasPrefix(s, "../") || strings.HasPrefix(s, "/") {
		return "", false
	}
	if loc := testRE.FindStringIndex(s); loc != nil && loc[0] == 0 {
		return "", false // a test and its subtests (TestX/a.md), checked as a test
	}
	if strings.Contains(s, "/") {
		first, _, _ := strings.Cut(s, "/")
		return s, extRE.MatchString(s) || strings.HasSuffix(s, "/") || r.topLevel[first]
	}
	return s, extRE.MatchString(s)
}

// checkPath returns what is wrong with a mention of path p ("" if it
// exists). A bare file name is looked up at the root, then in the
// directory of last, the path named before it on its line.
func (r *repo) checkPath(p, last string) string {
	wantDir := strings.HasSuffix(p, "/")
	if r.exists(p, wantDir) {
		return ""
	}
	if !strings.Contains(p, "/") && last != "" {
		dir := last
		if !strings.HasSuffix(last, "/") && extRE.MatchString(last) {
			dir = path.Dir(last)
		}
		if r.exists(path.Join(dir, p), false) {
			return ""
		}
		return fmt.Sprintf("no such file at the root or in %s/", strings.TrimSuffix(dir, "/"))
	}
	if wantDir {
		return "no such directory in the repository"
	}
	return "no such file or directory in the repository"
}

func (r *repo) exists(p string, dir bool) bool {
	fi, err := os.Stat(filepath.Join(r.root, filepath.FromSlash(strings.TrimSuffix(p, "/"))))
	return err == nil && (!dir || fi.IsDir())
}

// checkTest returns what is wrong with a test mention matched by testRE
// ("" if nothing).
func (r *repo) checkTest(m []string) string {
	pkg, name, subs, pyClass := m[1], m[2], m[3], m[4]
	if pyClass != "" {
		return "" // AnyIO's TestLock::test_x: a Python class
	}
	mention := name + subs
	if pkg != "" {
		mention = pkg + "." + mention
		funcs, ok := r.tests[pkg]
		if !ok {
			return fmt.Sprintf("%s: no package %s with tests in the repository", mention, pkg)
		}
		if !funcs[name] {
			return fmt.Sprintf("%s: package %s has no test func %s", mention, pkg, name)
		}
	} else if !r.anyTest[name] {
		return fmt.Sprintf("%s: no test func %s in any _test.go file", mention, name)
	}
	for _, sub := range strings.Split(strings.TrimPrefix(subs, "/"), "/") {
		sub = strings.TrimRight(sub, ".:")
		if sub == "" || sub == "*" || r.hasLiteral(sub) {
			continue
		}
		return fmt.Sprintf("%s: subtest %q is in no string literal of the repository's Go code", mention, sub)
	}
	return ""
}

// hasLiteral reports whether sub can be a subtest name made from the
// repository's string literals: a part of one, or one (of three bytes
// or more) followed by what a program adds (fmt.Sprint("seed=", n)).
func (r *repo) hasLiteral(sub string) bool {
	return slices.ContainsFunc(r.literals, func(lit string) bool {
		return strings.Contains(lit, sub) || (len(lit) >= 3 && strings.HasPrefix(sub, lit))
	})
}

var (
	// an id at the start of a table row: | C12 |
	idRE = regexp.MustCompile(`(?m)^\|\s*([CU]\d+)\s*\|`)
	// a citation of CONFORMANCE.md's ids in a Go comment
	citeRE   = regexp.MustCompile(`CONFORMANCE\.md\s+([CU]\d+(?:\s*(?:,|and|-|–|to)\s*[CU]\d+)*)`)
	citedRE  = regexp.MustCompile(`[CU]\d+`)
	oldCitRE = regexp.MustCompile(`(?i)\bcontracts?\s+\d+(?:\s*(?:,|-|–|and)\s*\d+)*|\bCONTRACTS\b`)
)

// definedIDs returns the ids CONFORMANCE.md defines.
func definedIDs(text string) map[string]bool {
	ids := map[string]bool{}
	for _, m := range idRE.FindAllStringSubmatch(text, -1) {
		ids[m[1]] = true
	}
	return ids
}

// duplicateIDs reports ids defined twice.
func duplicateIDs(text string) []problem {
	var out []problem
	seen := map[string]int{}
	for i, line := range strings.Split(text, "\n") {
		if m := idRE.FindStringSubmatch(line); m != nil {
			if first, ok := seen[m[1]]; ok {
				out = append(out, problem{i + 1, fmt.Sprintf("id %s defined again (first on line %d)", m[1], first)})
			} else {
				seen[m[1]] = i + 1
			}
		}
	}
	return out
}

// checkComment returns what is wrong with one comment line.
func checkComment(text string, ids map[string]bool) []string {
	var out []string
	for _, m := range oldCitRE.FindAllString(text, -1) {
		out = append(out, fmt.Sprintf("%q cites the checklist outside the repository: cite CONFORMANCE.md's id instead", m))
	}
	for _, m := range citeRE.FindAllStringSubmatch(text, -1) {
		for _, id := range citedRE.FindAllString(m[1], -1) {
			if !ids[id] {
				out = append(out, fmt.Sprintf("CONFORMANCE.md has no id %s", id))
			}
		}
	}
	return out
}

// TestCheckerCatches runs the guide check on lines made to pass and lines
// made to fail, so that a checker that lets everything through fails too.
func TestCheckerCatches(t *testing.T) {
	r := loadRepo(t)
	good := []string{
		"`internal/doccheck/doc.go`, `internal/doccheck/` and `go.mod`",
		"`internal/doccheck/doccheck_test.go` (+ `doc.go`)",
		"`doccheck.TestGuidesNameOnlyWhatExists`, `TestCheckerCatches`",
		"`doccheck.TestGuidesNameOnlyWhatExists/ARCHITECTURE.md`, `doccheck.TestGuidesNameOnlyWhatExists/*`",
		"AnyIO `TestNoSuchPythonClass::test_x`",
		"`crypto/tls`, `loop.Scheduler`, `iter.Pull`, `reactor_<os>.go`",
		"a link to [the architecture](ARCHITECTURE.md#layers)",
	}
	bad := []string{
		"`internal/doccheck/nosuch.go`",
		"`internal/nosuchdir/`",
		"`nosuch.go`",
		"`internal/doccheck/doc.go` (+ `nosuch.go`)",
		"`doccheck.TestNoSuchThing`",
		"`nosuchpkg.TestGuidesNameOnlyWhatExists`",
		// a subtest name in no literal (not even this file's)
		"`doccheck.TestGuidesNameOnlyWhatExists/" + fmt.Sprintf("%c%s", 'Q', strings.Repeat("z", 7)) + "`",
		"TestNoSuchThing in plain text",
		"NOSUCH.md in plain text",
		"see ../elsewhere",
		"the shared/ notes",
		"https://example.com/x",
		"as issue 12 says",
		"as trio#698 says",
		"as DESIGN says",
		"[a link](internal/nosuch.go)",
	}
	if problems, _ := r.checkGuide(strings.Join(good, "\n")); len(problems) > 0 {
		for _, p := range problems {
			t.Errorf("good line %d (%s) reported: %s", p.line, good[p.line-1], p.msg)
		}
	}
	problems, _ := r.checkGuide(strings.Join(bad, "\n"))
	for i, line := range bad {
		if !slices.ContainsFunc(problems, func(p problem) bool { return p.line == i+1 }) {
			t.Errorf("bad line not reported: %s", line)
		}
	}
	ids := map[string]bool{"C1": true}
	if msgs := checkComment("// CONFORMANCE.md C1: fine", ids); len(msgs) > 0 {
		t.Errorf("a good citation reported: %v", msgs)
	}
	for _, c := range []string{"// Contract 12: x", "// Contracts 9, 11: x", "// (CONTRACTS 110-133)", "// CONFORMANCE.md C1, C2: x"} {
		if len(checkComment(c, ids)) == 0 {
			t.Errorf("comment not reported: %s", c)
		}
	}
}
