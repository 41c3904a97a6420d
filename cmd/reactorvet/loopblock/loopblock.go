// Package loopblock is the analyzer behind reactorvet: it reports calls
// that block the event loop when they are made in code run as a task of
// github.com/f04742a6/reactor/task.
//
// Every task of a loop runs on the loop's thread, one at a time, and only
// a checkpoint lets another run: a call that blocks the goroutine instead
// of parking the task freezes every task of the loop, its timers and its
// I/O until it returns (see the "Blocking the loop" section of package
// task's documentation).
//
// # What is a task
//
// The analysis is per package. A function runs as a task (or on the loop,
// which is the same here) when it is passed as the function argument of
//
//   - task.Run, task.RunParallel, task.WithNursery (the body),
//     (*task.Nursery).Go and GoService, task.Start, task.Spawn;
//   - task.WithScope, MoveOnAfter, MoveOnAt, FailAfter, FailAt, Shield;
//   - task.FromThread, (*task.Token).Run and RunContext,
//     (task.LoopRef).Post;
//   - streams.Serve, streams.ServeTCP (the handler and the started
//     callback) and streams.WithAttempt;
//
// as a function literal, a function or method of the package (by name or
// as a method value), a local variable holding a function literal, or a
// call to a function of the package that returns a function literal
// (handler(cfg) whose body is `return func(ctx ...) ...`).
//
// Inside such a function, nested function literals count as task code
// too (they usually run inline: deferred, called at once, handed to
// sort.Slice), with three exceptions, which run on another goroutine:
// the function passed to task.ToThread (that is the fix for everything
// below), the function of a go statement, and the function passed to
// time.AfterFunc or context.AfterFunc.
//
// Calls from task code to functions and methods declared in the same
// package are followed transitively (static calls only: not through an
// interface or a function value), and their bodies are checked by the
// same rules; a finding there names the function and where a task calls
// it. Functions of other packages are not followed.
//
// # What blocks
//
//   - time.Sleep; receiving from (<-ch, <-time.After, <-ctx.Done()),
//     sending on or ranging over a Go channel; select without default;
//   - sync.Mutex and sync.RWMutex Lock and RLock, sync.Locker's Lock,
//     sync.WaitGroup.Wait, sync.Cond.Wait;
//   - net: Dial, DialTimeout, DialTCP, DialUDP, DialUnix, DialIP,
//     (*net.Dialer).Dial and DialContext, the Lookup functions and
//     methods, Read*, Write* and Accept* on net connections and
//     listeners (net.Conn, net.PacketConn, net.Listener, *net.TCPConn
//     and the others); a net.Conn that comes from package streams
//     (streams.Conn) is task-friendly and not reported;
//   - net/http: Get, Head, Post, PostForm, ListenAndServe(TLS),
//     Serve(TLS), and the Client's, Server's and RoundTrippers' methods
//     that do I/O;
//   - os/exec: (*exec.Cmd).Run, Wait, Output, CombinedOutput;
//   - reads of an *os.File (Read, ReadAt, ReadFrom), and io.ReadAll,
//     io.ReadFull, io.ReadAtLeast, io.Copy, io.CopyN, io.CopyBuffer,
//     bufio.NewReader, bufio.NewReaderSize, bufio.NewScanner given an
//     *os.File or a net connection; fmt.Scan, Scanf, Scanln (os.Stdin);
//   - database/sql: the methods of DB, Conn, Tx and Stmt that talk to
//     the database.
//
// Each diagnostic names the call and the task-friendly replacement.
//
// A line that blocks on purpose (a send on a channel with room by
// construction, say) is kept quiet by a comment `//reactorvet:ignore`
// followed by the reason, on that line or the line above.
package loopblock

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"path/filepath"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/types/typeutil"
)

const (
	taskPkg    = "github.com/f04742a6/reactor/task"
	streamsPkg = "github.com/f04742a6/reactor/streams"
)

// Analyzer reports calls that block the event loop in code run as a task.
var Analyzer = &analysis.Analyzer{
	Name: "loopblock",
	Doc: "report calls that block the event loop (time.Sleep, Go channels, sync locks, net, " +
		"net/http, os/exec, file reads) in functions run as tasks of github.com/f04742a6/reactor/task",
	URL: "https://pkg.go.dev/github.com/f04742a6/reactor/cmd/reactorvet/loopblock",
	Run: run,
}

// entries maps a function of task or streams (its types.Func FullName) to
// the indexes of its arguments that run as tasks or on the loop.
var entries = map[string][]int{
	taskPkg + ".Run":                       {0},
	taskPkg + ".RunParallel":               {1},
	taskPkg + ".WithNursery":               {1},
	"(*" + taskPkg + ".Nursery).Go":        {0},
	"(*" + taskPkg + ".Nursery).GoService": {0},
	taskPkg + ".Start":                     {2},
	taskPkg + ".Spawn":                     {1},
	taskPkg + ".WithScope":                 {1},
	taskPkg + ".MoveOnAfter":               {2},
	taskPkg + ".MoveOnAt":                  {2},
	taskPkg + ".FailAfter":                 {2},
	taskPkg + ".FailAt":                    {2},
	taskPkg + ".Shield":                    {1},
	taskPkg + ".FromThread":                {1},
	"(*" + taskPkg + ".Token).Run":         {0},
	"(*" + taskPkg + ".Token).RunContext":  {1},
	"(" + taskPkg + ".LoopRef).Post":       {0},
	streamsPkg + ".Serve":                  {2},
	streamsPkg + ".ServeTCP":               {2, 3},
	streamsPkg + ".WithAttempt":            {0},
}

// offLoop maps a function to the index of its function argument that
// runs on another goroutine: task code nested there is not checked.
var offLoop = map[string]int{
	taskPkg + ".ToThread": 1,
	"time.AfterFunc":      1,
	"context.AfterFunc":   1,
}

// fromThread is the advice for blocking work that has no task-friendly
// equivalent.
const fromThread = "run it in task.ToThread(ctx, func(ctx context.Context) error { ... }) with the worker's ctx"

const execAdvice = "run it in task.ToThread(ctx, func(ctx context.Context) error { ... }), " +
	"the command made by exec.CommandContext with the worker's ctx"

// funcs maps the blocking functions and methods (FullName) to their advice.
var funcs = map[string]string{
	"time.Sleep": "use task.Sleep(ctx, d)",

	"(*sync.Mutex).Lock":    "use a task.Lock (l.Lock(ctx)); the tasks of one loop need no lock between them",
	"(*sync.RWMutex).Lock":  "use a task.Lock (l.Lock(ctx)); the tasks of one loop need no lock between them",
	"(*sync.RWMutex).RLock": "use a task.Lock (l.Lock(ctx)); the tasks of one loop need no lock between them",
	"(sync.Locker).Lock":    "use a task.Lock (l.Lock(ctx)); the tasks of one loop need no lock between them",
	"(*sync.WaitGroup).Wait": "start the tasks in a nursery (task.WithNursery), which waits for them; " +
		"for goroutines, wait in task.ToThread",
	"(*sync.Cond).Wait": "use a task.Condition (task.NewCondition) or a task.Event",

	"net.Dial":                  "use streams.DialTCP or streams.DialUnix",
	"net.DialTimeout":           "use streams.DialTCP in task.FailAfter",
	"net.DialTCP":               "use streams.DialTCP",
	"net.DialUnix":              "use streams.DialUnix",
	"net.DialUDP":               "use streams.ListenUDP",
	"net.DialIP":                fromThread,
	"(*net.Dialer).Dial":        "use streams.DialTCP or streams.DialUnix",
	"(*net.Dialer).DialContext": "use streams.DialTCP or streams.DialUnix",

	"net/http.Get":                         fromThread,
	"net/http.Head":                        fromThread,
	"net/http.Post":                        fromThread,
	"net/http.PostForm":                    fromThread,
	"net/http.ListenAndServe":              "serve with streams.ServeTCP, or " + fromThread,
	"net/http.ListenAndServeTLS":           "serve with streams.ServeTCP, or " + fromThread,
	"net/http.Serve":                       "serve with streams.Serve, or " + fromThread,
	"net/http.ServeTLS":                    "serve with streams.Serve, or " + fromThread,
	"(*net/http.Client).Do":                fromThread,
	"(*net/http.Client).Get":               fromThread,
	"(*net/http.Client).Head":              fromThread,
	"(*net/http.Client).Post":              fromThread,
	"(*net/http.Client).PostForm":          fromThread,
	"(*net/http.Server).ListenAndServe":    "serve with streams.ServeTCP, or " + fromThread,
	"(*net/http.Server).ListenAndServeTLS": "serve with streams.ServeTCP, or " + fromThread,
	"(*net/http.Server).Serve":             "serve with streams.Serve, or " + fromThread,
	"(*net/http.Server).ServeTLS":          "serve with streams.Serve, or " + fromThread,
	"(*net/http.Server).Shutdown":          fromThread,
	"(*net/http.Transport).RoundTrip":      fromThread,
	"(net/http.RoundTripper).RoundTrip":    fromThread,

	"(*os/exec.Cmd).Run":            execAdvice,
	"(*os/exec.Cmd).Wait":           execAdvice,
	"(*os/exec.Cmd).Output":         execAdvice,
	"(*os/exec.Cmd).CombinedOutput": execAdvice,

	"(*os.File).Read":     fromThread,
	"(*os.File).ReadAt":   fromThread,
	"(*os.File).ReadFrom": fromThread,
	"fmt.Scan":            fromThread,
	"fmt.Scanf":           fromThread,
	"fmt.Scanln":          fromThread,
}

// readers are the functions that read (or, for bufio, will read) from
// their arguments: they block when one is an *os.File or a net
// connection.
var readers = map[string]bool{
	"io.ReadAll":          true,
	"io.ReadFull":         true,
	"io.ReadAtLeast":      true,
	"io.Copy":             true,
	"io.CopyN":            true,
	"io.CopyBuffer":       true,
	"bufio.NewReader":     true,
	"bufio.NewReaderSize": true,
	"bufio.NewScanner":    true,
}

// netConnTypes are the types of package net whose Read*, Write* and
// Accept* methods block (conn is what *TCPConn and the others embed).
var netConnTypes = map[string]bool{
	"conn": true, "Conn": true, "PacketConn": true, "TCPConn": true, "UDPConn": true,
	"UnixConn": true, "IPConn": true, "Listener": true, "TCPListener": true, "UnixListener": true,
}

const netAdvice = "use a streams.Stream (streams.DialTCP, streams.ListenTCP and streams.Serve), " +
	"and streams.Conn(ctx, s) where code needs a net.Conn"

// sqlTypes are database/sql's types whose I/O methods block.
var sqlTypes = map[string]bool{"DB": true, "Conn": true, "Tx": true, "Stmt": true}

// ignoreDirective silences a finding on its line or the next.
const ignoreDirective = "//reactorvet:ignore"

func run(pass *analysis.Pass) (any, error) {
	c := &checker{
		pass:     pass,
		decls:    map[*types.Func]*ast.FuncDecl{},
		params:   map[*types.Var]param{},
		calls:    map[*types.Func][]*ast.CallExpr{},
		assigns:  map[*types.Var][]ast.Expr{},
		done:     map[ast.Node]bool{},
		reported: map[token.Pos]bool{},
		ignored:  map[string]map[int]bool{},
		skip:     map[ast.Node]bool{},
	}
	c.index()
	// Every call in the package, task code or not, may start a task.
	for _, f := range pass.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			fn := callee(pass.TypesInfo, call)
			if fn == nil {
				return true
			}
			for _, i := range entries[fn.FullName()] {
				if i < len(call.Args) {
					c.entry(call.Args[i], map[types.Object]bool{})
				}
			}
			return true
		})
	}
	for len(c.queue) > 0 {
		w := c.queue[0]
		c.queue = c.queue[1:]
		c.walk(w)
	}
	return nil, nil
}

// work is a function body to check, and how task code reaches it.
type work struct {
	body ast.Node // a *ast.FuncLit or *ast.FuncDecl
	via  string   // "" for a task function; else "in F, called from a task at file:line"
}

type checker struct {
	pass     *analysis.Pass
	decls    map[*types.Func]*ast.FuncDecl
	params   map[*types.Var]param            // the parameters of decls
	calls    map[*types.Func][]*ast.CallExpr // the static calls of decls' functions
	assigns  map[*types.Var][]ast.Expr       // every value assigned to a variable of the package
	done     map[ast.Node]bool               // bodies queued
	queue    []work
	reported map[token.Pos]bool
	ignored  map[string]map[int]bool // file name -> lines silenced
	skip     map[ast.Node]bool       // a select's send and receive clauses
}

// param is the i-th parameter of fn.
type param struct {
	fn *types.Func
	i  int
}

// index records the package's function declarations, their parameters
// and calls, the values assigned to its variables and the lines silenced
// by a directive.
func (c *checker) index() {
	info := c.pass.TypesInfo
	for _, f := range c.pass.Files {
		for _, cg := range f.Comments {
			for _, cm := range cg.List {
				if strings.HasPrefix(cm.Text, ignoreDirective) {
					p := c.pass.Fset.Position(cm.Slash)
					if c.ignored[p.Filename] == nil {
						c.ignored[p.Filename] = map[int]bool{}
					}
					c.ignored[p.Filename][p.Line] = true
					c.ignored[p.Filename][p.Line+1] = true
				}
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncDecl:
				if fn, ok := info.Defs[n.Name].(*types.Func); ok && n.Body != nil {
					c.decls[fn] = n
					i := 0
					for _, f := range n.Type.Params.List {
						for _, name := range f.Names {
							if v, ok := info.Defs[name].(*types.Var); ok {
								c.params[v] = param{fn, i}
							}
							i++
						}
						if len(f.Names) == 0 {
							i++
						}
					}
				}
			case *ast.CallExpr:
				if fn := typeutil.StaticCallee(info, n); fn != nil {
					c.calls[fn.Origin()] = append(c.calls[fn.Origin()], n)
				}
			case *ast.AssignStmt:
				if len(n.Lhs) == len(n.Rhs) {
					for i, l := range n.Lhs {
						c.assign(l, n.Rhs[i])
					}
				} else if len(n.Rhs) == 1 {
					for _, l := range n.Lhs {
						c.assign(l, n.Rhs[0])
					}
				}
			case *ast.ValueSpec:
				if len(n.Names) == len(n.Values) {
					for i, l := range n.Names {
						c.assign(l, n.Values[i])
					}
				} else if len(n.Values) == 1 {
					for _, l := range n.Names {
						c.assign(l, n.Values[0])
					}
				}
			}
			return true
		})
	}
}

func (c *checker) assign(lhs, rhs ast.Expr) {
	id, ok := ast.Unparen(lhs).(*ast.Ident)
	if !ok {
		return
	}
	if v, ok := c.pass.TypesInfo.ObjectOf(id).(*types.Var); ok {
		c.assigns[v] = append(c.assigns[v], rhs)
	}
}

// entry queues the function that arg, an argument of a task or streams
// function, runs as a task.
func (c *checker) entry(arg ast.Expr, seen map[types.Object]bool) {
	info := c.pass.TypesInfo
	arg = ast.Unparen(arg)
	if ix, ok := arg.(*ast.IndexExpr); ok { // f[T]
		arg = ast.Unparen(ix.X)
	} else if ix, ok := arg.(*ast.IndexListExpr); ok {
		arg = ast.Unparen(ix.X)
	}
	switch a := arg.(type) {
	case *ast.FuncLit:
		c.enqueue(work{body: a})
	case *ast.Ident, *ast.SelectorExpr:
		var obj types.Object
		if id, ok := a.(*ast.Ident); ok {
			obj = info.Uses[id]
		} else {
			sel := a.(*ast.SelectorExpr)
			if s, ok := info.Selections[sel]; ok {
				obj = s.Obj()
			} else {
				obj = info.Uses[sel.Sel]
			}
		}
		switch o := obj.(type) {
		case *types.Func:
			if d := c.decls[o.Origin()]; d != nil {
				c.enqueue(work{body: d})
			}
		case *types.Var:
			if seen[o] {
				return
			}
			seen[o] = true
			for _, v := range c.assigns[o] {
				c.entry(v, seen)
			}
			// A parameter: what the package's calls pass for it.
			if p, ok := c.params[o]; ok {
				sig := p.fn.Signature()
				if sig.Variadic() && p.i == sig.Params().Len()-1 {
					return
				}
				for _, call := range c.calls[p.fn] {
					if p.i < len(call.Args) && !isMethodExpr(info, call) {
						c.entry(call.Args[p.i], seen)
					}
				}
			}
		}
	case *ast.CallExpr: // handler(cfg), returning a function literal
		if fn := typeutil.StaticCallee(info, a); fn != nil {
			if d := c.decls[fn.Origin()]; d != nil {
				ast.Inspect(d.Body, func(n ast.Node) bool {
					switch n := n.(type) {
					case *ast.FuncLit:
						return false // its returns are its own
					case *ast.ReturnStmt:
						for _, r := range n.Results {
							if lit, ok := ast.Unparen(r).(*ast.FuncLit); ok {
								c.enqueue(work{body: lit})
							}
						}
					}
					return true
				})
			}
		}
	}
}

func (c *checker) enqueue(w work) {
	if c.done[w.body] {
		return
	}
	c.done[w.body] = true
	c.queue = append(c.queue, w)
}

// walk checks one body of task code.
func (c *checker) walk(w work) {
	var body *ast.BlockStmt
	switch b := w.body.(type) {
	case *ast.FuncLit:
		body = b.Body
	case *ast.FuncDecl:
		body = b.Body
	}
	info := c.pass.TypesInfo
	var visit func(n ast.Node) bool
	visit = func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GoStmt:
			// The function runs on a goroutine of its own; its arguments
			// are evaluated here.
			if _, lit := ast.Unparen(n.Call.Fun).(*ast.FuncLit); !lit {
				if sel, ok := ast.Unparen(n.Call.Fun).(*ast.SelectorExpr); ok {
					ast.Inspect(sel.X, visit)
				}
			}
			for _, a := range n.Call.Args {
				ast.Inspect(a, visit)
			}
			return false
		case *ast.FuncLit:
			// Nested literals run as task code, unless handed to a
			// function that runs them elsewhere (handled at the call).
			// A literal that is itself a task is checked on its own.
			if c.done[n] {
				return false
			}
			return true
		case *ast.CallExpr:
			fn := callee(info, n)
			if fn != nil {
				if i, ok := offLoop[fn.FullName()]; ok {
					ast.Inspect(n.Fun, visit)
					for j, a := range n.Args {
						if j != i {
							ast.Inspect(a, visit)
						}
					}
					return false
				}
				if msg := c.blocking(fn, n); msg != "" {
					c.report(n.Pos(), msg, w.via)
				}
				if d := c.decls[fn.Origin()]; d != nil && !c.done[d] {
					p := c.pass.Fset.Position(n.Pos())
					c.enqueue(work{
						body: d,
						via:  fmt.Sprintf("in %s, called from a task at %s:%d", funcName(fn), filepath.Base(p.Filename), p.Line),
					})
				}
			}
		case *ast.SelectStmt:
			hasDefault := false
			for _, cl := range n.Body.List {
				cc := cl.(*ast.CommClause)
				if cc.Comm == nil {
					hasDefault = true
					continue
				}
				// The select blocks, or not, as a whole: its clauses'
				// sends and receives are not reported one by one.
				switch s := cc.Comm.(type) {
				case *ast.SendStmt:
					c.skip[s] = true
				case *ast.ExprStmt:
					c.skip[ast.Unparen(s.X)] = true
				case *ast.AssignStmt:
					if len(s.Rhs) == 1 {
						c.skip[ast.Unparen(s.Rhs[0])] = true
					}
				}
			}
			if !hasDefault {
				c.report(n.Pos(), "select without default blocks the event loop: "+
					"use task channels (task.NewChannel) with Receive(ctx) and Send(ctx, v), "+
					"a task per case in a nursery, and task.MoveOnAfter for a timeout", w.via)
			}
		case *ast.SendStmt:
			if !c.skip[n] && isChan(info.TypeOf(n.Chan)) {
				c.report(n.Arrow, "send on a Go channel blocks the event loop: "+
					"use a task channel (task.NewChannel) and Send(ctx, v)", w.via)
			}
		case *ast.UnaryExpr:
			if n.Op == token.ARROW && !c.skip[n] && isChan(info.TypeOf(n.X)) {
				c.report(n.OpPos, c.receiveMessage(n), w.via)
			}
		case *ast.RangeStmt:
			if isChan(info.TypeOf(n.X)) {
				c.report(n.For, "range over a Go channel blocks the event loop: "+
					"use a task channel (task.NewChannel) and its Receiver's All(ctx)", w.via)
			}
		}
		return true
	}
	ast.Inspect(body, visit)
}

func (c *checker) receiveMessage(n *ast.UnaryExpr) string {
	if call, ok := ast.Unparen(n.X).(*ast.CallExpr); ok {
		if fn := callee(c.pass.TypesInfo, call); fn != nil {
			switch fn.FullName() {
			case "time.After":
				return "receive from time.After blocks the event loop: " +
					"use task.Sleep(ctx, d), or task.MoveOnAfter/FailAfter for a timeout"
			case "time.Tick":
				return "receive from time.Tick blocks the event loop: use task.Sleep(ctx, d) in a loop"
			case "(context.Context).Done":
				return "receive from ctx.Done() blocks the event loop (and the loop that would cancel ctx with it): " +
					"wait in a checkpoint instead (a task.Event's Wait(ctx), a task channel's Receive(ctx), task.Sleep)"
			}
		}
	}
	return "receive from a Go channel blocks the event loop: " +
		"use a task channel (task.NewChannel) and Receive(ctx), or wait for the Go channel in task.ToThread"
}

// blocking returns the advice for a call of fn that blocks, or "".
func (c *checker) blocking(fn *types.Func, call *ast.CallExpr) string {
	name := fn.FullName()
	if advice, ok := funcs[name]; ok {
		return fmt.Sprintf("%s blocks the event loop: %s", display(fn), advice)
	}
	if fn.Pkg() == nil {
		return ""
	}
	pkg := fn.Pkg().Path()
	recv := recvTypeName(fn)
	switch {
	case readers[name]:
		for _, a := range call.Args {
			if what := c.blockingReader(a); what != "" {
				return fmt.Sprintf("%s of %s blocks the event loop: %s", display(fn), what, readerAdvice(what))
			}
		}
	case pkg == "net" && recv == "" && strings.HasPrefix(fn.Name(), "Lookup"),
		pkg == "net" && recv == "Resolver" && strings.HasPrefix(fn.Name(), "Lookup"):
		return fmt.Sprintf("%s blocks the event loop: %s", display(fn), fromThread)
	case pkg == "net" && netConnTypes[recv] &&
		(strings.HasPrefix(fn.Name(), "Read") || strings.HasPrefix(fn.Name(), "Write") || strings.HasPrefix(fn.Name(), "Accept")):
		if sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr); ok && c.fromStreams(sel.X, map[types.Object]bool{}) {
			return "" // streams.Conn: reads and writes are checkpoints
		}
		return fmt.Sprintf("%s blocks the event loop: %s", display(fn), netAdvice)
	case pkg == "database/sql" && sqlTypes[recv] && hasAnyPrefix(fn.Name(), "Query", "Exec", "Ping", "Begin", "Prepare", "Conn"):
		return fmt.Sprintf("%s blocks the event loop: %s", display(fn), fromThread)
	}
	return ""
}

// blockingReader says what a, an argument of a reader, is when reading it
// blocks: "an *os.File" or "a net connection"; else "".
func (c *checker) blockingReader(a ast.Expr) string {
	t := c.pass.TypesInfo.TypeOf(a)
	if t == nil {
		return ""
	}
	if isNamed(t, "os", "File", true) {
		return "an *os.File"
	}
	if isNetConn(t) && !c.fromStreams(a, map[types.Object]bool{}) {
		return "a net connection"
	}
	return ""
}

func readerAdvice(what string) string {
	if what == "a net connection" {
		return netAdvice
	}
	return fromThread
}

// fromStreams reports whether e is a value made by package streams (as
// streams.Conn's net.Conn), directly or through variables all of whose
// assigned values are.
func (c *checker) fromStreams(e ast.Expr, seen map[types.Object]bool) bool {
	info := c.pass.TypesInfo
	switch e := ast.Unparen(e).(type) {
	case *ast.CallExpr:
		fn := callee(info, e)
		return fn != nil && fn.Pkg() != nil && fn.Pkg().Path() == streamsPkg
	case *ast.Ident:
		v, ok := info.Uses[e].(*types.Var)
		if !ok || seen[v] || len(c.assigns[v]) == 0 {
			return false
		}
		seen[v] = true
		for _, a := range c.assigns[v] {
			if !c.fromStreams(a, seen) {
				return false
			}
		}
		return true
	}
	return false
}

func (c *checker) report(pos token.Pos, msg, via string) {
	if c.reported[pos] {
		return
	}
	c.reported[pos] = true
	p := c.pass.Fset.Position(pos)
	if c.ignored[p.Filename][p.Line] {
		return
	}
	if via != "" {
		msg += " [" + via + "]"
	}
	c.pass.Reportf(pos, "%s", msg)
}

// callee is the function or method a call calls (the generic one for an
// instantiation), or nil.
func callee(info *types.Info, call *ast.CallExpr) *types.Func {
	fn, _ := typeutil.Callee(info, call).(*types.Func)
	if fn == nil {
		return nil
	}
	return fn.Origin()
}

// isMethodExpr reports whether call calls a method expression, T.M(recv,
// args...), whose arguments are shifted by one from M's parameters.
func isMethodExpr(info *types.Info, call *ast.CallExpr) bool {
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return false
	}
	s, ok := info.Selections[sel]
	return ok && s.Kind() == types.MethodExpr
}

func isChan(t types.Type) bool {
	if t == nil {
		return false
	}
	_, ok := t.Underlying().(*types.Chan)
	return ok
}

// isNamed reports whether t is (a pointer to, when ptr) the named type
// pkg.name.
func isNamed(t types.Type, pkg, name string, ptr bool) bool {
	if ptr {
		p, ok := t.(*types.Pointer)
		if !ok {
			return false
		}
		t = p.Elem()
	}
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == pkg && n.Obj().Name() == name
}

// isNetConn reports whether t is a connection type of package net.
func isNetConn(t types.Type) bool {
	for _, name := range []string{"Conn", "PacketConn"} {
		if isNamed(t, "net", name, false) {
			return true
		}
	}
	for _, name := range []string{"TCPConn", "UDPConn", "UnixConn", "IPConn"} {
		if isNamed(t, "net", name, true) {
			return true
		}
	}
	return false
}

// recvTypeName is the name of fn's receiver type (without pointer), or "".
func recvTypeName(fn *types.Func) string {
	sig, ok := fn.Type().(*types.Signature)
	if !ok || sig.Recv() == nil {
		return ""
	}
	t := sig.Recv().Type()
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	if n, ok := types.Unalias(t).(*types.Named); ok {
		return n.Obj().Name()
	}
	return ""
}

// display names fn as a reader of the source would: time.Sleep,
// (*sync.Mutex).Lock, (net.Conn).Read; (*net.conn).Read shows as
// (*net.TCPConn).Read's family, "(net.Conn).Read".
func display(fn *types.Func) string {
	pkg := fn.Pkg().Name()
	recv := recvTypeName(fn)
	if recv == "" {
		return pkg + "." + fn.Name()
	}
	if pkg == "net" && recv == "conn" {
		recv = "Conn" // the unexported type *TCPConn and the others embed
		return "(" + pkg + "." + recv + ")." + fn.Name()
	}
	sig := fn.Type().(*types.Signature)
	if _, ptr := sig.Recv().Type().(*types.Pointer); ptr {
		return "(*" + pkg + "." + recv + ")." + fn.Name()
	}
	return "(" + pkg + "." + recv + ")." + fn.Name()
}

// funcName names a function of the analysed package: F or T.M.
func funcName(fn *types.Func) string {
	if recv := recvTypeName(fn); recv != "" {
		return recv + "." + fn.Name()
	}
	return fn.Name()
}

func hasAnyPrefix(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
