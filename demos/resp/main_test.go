package main

import (
	"compress/gzip"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A run that fails exits with status 1 after its CPU profile is written
// whole. (os.Exit was deferred after the profile's stop, so it ran first
// and left an empty file.)
func TestFailedRunWritesItsProfile(t *testing.T) {
	// Not t.TempDir: under Wine, removing a file that the child process
	// has just closed can fail ("Invalid function"), which t.TempDir turns
	// into a test failure. A leftover temporary file is harmless.
	dir, err := os.MkdirTemp("", "resp-profile")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	prof := filepath.Join(dir, "cpu.prof")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	args := []string{"-serve", "-addr", "127.0.0.1:99999", "-cpuprofile", prof} // not a port: the run fails
	cmd.Env = append(os.Environ(), mainArgsEnv+"="+strings.Join(args, "\n"))
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("a failed run: %v; want exit status 1\n%s", err, out)
	}
	f, err := os.Open(prof)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f) // a profile is gzipped protobuf: complete when the gzip stream is
	if err != nil {
		t.Fatalf("the profile of a failed run is not complete: %v", err)
	}
	n, err := io.Copy(io.Discard, z)
	if err != nil || n == 0 {
		t.Fatalf("the profile of a failed run: %d bytes, %v; want a complete profile", n, err)
	}
}
