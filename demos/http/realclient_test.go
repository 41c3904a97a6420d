package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/f04742a6/reactor/demos/internal/demotest"
)

// curl: two URLs on one kept-alive connection, a file, and a traversal
// attempt sent as is.
func TestCurl(t *testing.T) {
	curl := demotest.Need(t, "curl", "curl")
	addr := startServer(t, config{root: siteDir(t)})
	out, err := exec.Command(curl, "-sS", "-v", "http://"+addr+"/", "http://"+addr+"/page.html").CombinedOutput()
	if err != nil {
		t.Fatalf("curl: %v\n%s", err, out)
	}
	if s := string(out); !strings.Contains(s, hello) || !strings.Contains(s, "<p>page</p>") ||
		!strings.Contains(s, "Re-using existing connection") {
		t.Errorf("curl of two pages did not get both over one connection:\n%s", s)
	}
	out, err = exec.Command(curl, "-sS", "--path-as-is", "-o", "/dev/null", "-w", "%{http_code}", "http://"+addr+"/../secret.txt").CombinedOutput()
	if err != nil || string(out) != "400" {
		t.Errorf("curl of /../secret.txt: %q, %v; want 400", out, err)
	}
}

// wrk, as the peer benchmark runs it, on one loop and on two: every
// answer a 200, no socket errors.
func TestWrk(t *testing.T) {
	wrk := demotest.Need(t, "wrk", "wrk")
	for _, loops := range []int{1, 2} {
		addr := startServer(t, config{loops: loops})
		out, err := exec.Command(wrk, "-t1", "-c20", "-d1s", "http://"+addr+"/").CombinedOutput()
		if err != nil {
			t.Fatalf("wrk: %v\n%s", err, out)
		}
		s := string(out)
		if !strings.Contains(s, "Requests/sec:") || strings.Contains(s, "Non-2xx") || strings.Contains(s, "Socket errors") {
			t.Errorf("wrk on %d loop(s):\n%s", loops, s)
		}
	}
}
