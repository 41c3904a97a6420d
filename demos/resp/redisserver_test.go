package main

import (
	"bufio"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/f04742a6/reactor/demos/internal/demotest"
)

// redisScript is a session whose every reply this server gives as Redis
// does: integers as Redis parses them, expire times and their overflow,
// SET's options, arity and unknown commands.
const redisScript = `SET n +5
INCR n
SET n 007
INCR n
SET n -0
INCR n
SET n " 5"
INCR n
SET n 9223372036854775806
INCR n
INCR n
SET n -9223372036854775808
INCR n
SET k v EX 9223372036854775807
SET k v EX 9223372036854775
SET k v PX 9223372036854775807
SET k v EX x
SET k v EX +5
SET k v EX 05
SET k v EX 0
SET k v EX -1
SET k v EX 100000000000
TTL k
EXPIRE k 9223372036854775807
EXPIRE k +5
EXPIRE k 200000000000
TTL k
EXPIRE k -9223372036854775808
GET k
EXPIRE nokey x
SET k v NX XX
SET k v EX 5 EX 6
TTL k
SET k v EX 5 PX 6
SET k v PX 5 EX 6
SET k v EX x BOGUS
SET k v NX NX
SET k v XX XX
SET k v XX NX
SET k v EX
SET k v ex 10 nx
SET k
PING a b
PING hello
ECHO
DEL
DEL k n nothing
MGET k n
TTL nokey
GET
CONFIG
FLY me to the moon
FLY aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb c
`

// Where redis-server is installed, a session of redisScript gets the
// same replies, byte for byte, from this server as from Redis (skipped,
// saying so, where it is not).
func TestRepliesMatchRedisServer(t *testing.T) {
	cli := demotest.Need(t, "redis-cli", "redis-tools")
	server := demotest.Need(t, "redis-server", "redis-server")
	sock := filepath.Join(t.TempDir(), "redis.sock")
	rs := exec.Command(server, "--port", "0", "--unixsocket", sock, "--save", "", "--appendonly", "no")
	out, err := rs.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := rs.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		rs.Process.Kill()
		rs.Wait()
	})
	stuck := time.AfterFunc(30*time.Second, func() { rs.Process.Kill() }) // a bound, should it never say it is ready
	ready := false
	for log := bufio.NewScanner(out); !ready && log.Scan(); {
		ready = strings.Contains(strings.ToLower(log.Text()), "ready to accept connections")
	}
	stuck.Stop()
	if !ready {
		t.Fatal("redis-server ended without accepting connections")
	}
	go io.Copy(io.Discard, out)

	run := func(args ...string) string {
		cmd := exec.Command(cli, args...)
		cmd.Stdin = strings.NewReader(redisScript)
		got, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("redis-cli %q: %v\n%s", args, err, got)
		}
		return string(got)
	}
	want := run("-s", sock)
	h, p := demotest.HostPort(t, startServer(t, 1))
	got := run("-h", h, "-p", p)
	wantLines, gotLines := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range max(len(wantLines), len(gotLines)) {
		w, g := line(wantLines, i), line(gotLines, i)
		if w != g {
			t.Errorf("reply line %d: %q; Redis says %q", i, g, w)
		}
	}
}

func line(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return "(none)"
}
