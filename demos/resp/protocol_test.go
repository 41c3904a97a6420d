package main

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestParseRequest(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		args    []string // nil with used 0: incomplete
		used    int
		wantErr string
	}{
		{"multibulk", "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", []string{"GET", "k"}, 20, ""},
		{"multibulk then more", "*1\r\n$4\r\nPING\r\n*1\r\n", []string{"PING"}, 14, ""},
		{"binary bulk", "*2\r\n$4\r\nECHO\r\n$4\r\na\r\nb\r\n", []string{"ECHO", "a\r\nb"}, 24, ""},
		{"empty bulk", "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", []string{"ECHO", ""}, 20, ""},
		{"inline crlf", "PING\r\n", []string{"PING"}, 6, ""},
		{"inline lf and spaces", "SET  a   b\n", []string{"SET", "a", "b"}, 11, ""},
		{"empty inline line", "\r\n", []string{}, 2, ""},
		{"partial count", "*2", nil, 0, ""},
		{"partial length", "*2\r\n$3\r\nGET\r\n$", nil, 0, ""},
		{"partial bulk", "*2\r\n$3\r\nGET\r\n$5\r\nab", nil, 0, ""},
		{"partial crlf", "*1\r\n$4\r\nPING\r", nil, 0, ""},
		{"partial inline", "PIN", nil, 0, ""},
		{"not a bulk", "*1\r\n+PING\r\n", nil, 0, "expected '$', got '+'"},
		{"bad count", "*x\r\n", nil, 0, "invalid multibulk length"},
		{"negative length", "*1\r\n$-3\r\n", nil, 0, "invalid bulk length"},
		{"bulk too long", fmt.Sprintf("*1\r\n$%d\r\n", maxBulk+1), nil, 0, "invalid bulk length"},
		{"too many args", fmt.Sprintf("*%d\r\n", maxArgs+1), nil, 0, "invalid multibulk length"},
		{"endless length line", "*1\r\n$" + strings.Repeat("9", 40), nil, 0, "invalid bulk length"},
		{"lf without cr", "*1\n", nil, 0, "invalid multibulk length"},
		{"bulk without crlf", "*1\r\n$4\r\nPINGxx", nil, 0, "expected CRLF after a bulk of 4 bytes"},
		{"plus in a count", "*+1\r\n$4\r\nPING\r\n", nil, 0, "invalid multibulk length"},
		{"plus in a length", "*1\r\n$+4\r\nPING\r\n", nil, 0, "invalid bulk length"},
		{"leading zero in a length", "*1\r\n$04\r\nPING\r\n", nil, 0, "invalid bulk length"},
		{"empty multibulk", "*0\r\nPING\r\n", []string{}, 4, ""},
		{"null multibulk", "*-1\r\nPING\r\n", []string{}, 5, ""}, // Redis skips it too
		{"inline of the maximum", strings.Repeat("a", maxInline) + "\r\n", []string{strings.Repeat("a", maxInline)}, maxInline + 2, ""},
		{"inline of the maximum waiting for lf", strings.Repeat("a", maxInline) + "\r", nil, 0, ""},
		{"inline one over the maximum", strings.Repeat("a", maxInline+1) + "\r\n", nil, 0, "too big inline request"},
		{"inline too big", strings.Repeat("a", maxInline+1), nil, 0, "too big inline request"},
		{"inline too big with newline", strings.Repeat("a", maxInline+1) + "\n", nil, 0, "too big inline request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p parser
			args, used, err := p.parse([]byte(tt.in), nil)
			if tt.wantErr != "" {
				if !errors.Is(err, errProtocol) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v; want a protocol error with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if used != tt.used {
				t.Fatalf("used %d bytes; want %d", used, tt.used)
			}
			if tt.args == nil {
				return
			}
			got := make([]string, len(args))
			for i, a := range args {
				got[i] = string(a)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.args) || len(got) != len(tt.args) {
				t.Fatalf("args %q; want %q", got, tt.args)
			}
		})
	}
}

// Parsing a pipeline allocates nothing once args and the parser have
// grown: the server runs it for every request.
func TestParseRequestAllocatesNothing(t *testing.T) {
	for _, in := range []string{"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", "PING\r\n", "SET a  b\tc\r\n"} {
		var p parser
		args, buf := make([][]byte, 0, 8), []byte(in)
		allocs := testing.AllocsPerRun(100, func() { args, _, _ = p.parse(buf, args) })
		if allocs != 0 {
			t.Errorf("%q: %v allocations a parse; want 0", in, allocs)
		}
	}
}
