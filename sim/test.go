package sim

import (
	"context"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// Environment variables read by Test and Fuzz.
const (
	// EnvSeeds sets how many seeds Test runs (default DefaultSeeds).
	EnvSeeds = "REACTOR_SIM_SEEDS"
	// EnvSeed makes Test run that one seed only: the replay of a failure.
	EnvSeed = "REACTOR_SIM_SEED"
	// DefaultSeeds is how many seeds Test runs by default: 1 to 8.
	DefaultSeeds = 8
	// traceTail is how many trace lines a failure prints.
	traceTail = 20
)

// Test runs main under Run once per seed: seeds 1 to N, N being
// DefaultSeeds or $REACTOR_SIM_SEEDS; $REACTOR_SIM_SEED=s runs seed s
// alone. A Seed among opts is overridden. The first seed whose run fails
// (Run's error, or t marked failed by main) ends the test, printing the
// seed, the command that replays it and the last events of its trace.
func Test(t *testing.T, main func(ctx context.Context, w *World) error, opts ...Option) {
	t.Helper()
	seeds, err := testSeeds()
	if err != nil {
		t.Fatal(err)
	}
	for _, seed := range seeds {
		r := newRing(traceTail)
		o := append(append([]Option(nil), opts...), Seed(seed), func(c *config) { c.ring = r })
		err := Run(main, o...)
		if err != nil || t.Failed() {
			if err == nil {
				err = fmt.Errorf("the test failed")
			}
			t.Fatalf("sim: seed %d: %v\nreplay: %s\nlast events:\n%s", seed, err, replayCommand(t.Name(), seed), r)
		}
	}
}

func testSeeds() ([]int64, error) {
	if s := os.Getenv(EnvSeed); s != "" {
		seed, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("sim: $%s=%q: %w", EnvSeed, s, err)
		}
		return []int64{seed}, nil
	}
	n := DefaultSeeds
	if s := os.Getenv(EnvSeeds); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			return nil, fmt.Errorf("sim: $%s=%q: want a count of seeds", EnvSeeds, s)
		}
		n = v
	}
	seeds := make([]int64, n)
	for i := range seeds {
		seeds[i] = int64(i + 1)
	}
	return seeds, nil
}

// replayCommand is the command that runs test name (a subtest's too) of
// the package in the working directory with one seed.
func replayCommand(name string, seed int64) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return fmt.Sprintf("%s=%d go test -run '%s' %s", EnvSeed, seed, strings.Join(parts, "/"), packageDir())
}

// packageDir is the working directory (a test's package) relative to its
// module's root, "./sim/"; "." if that cannot be told.
func packageDir() string {
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	for dir := wd; ; {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			rel, err := filepath.Rel(dir, wd)
			if err != nil || rel == "." {
				return "."
			}
			return "./" + filepath.ToSlash(rel) + "/"
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "."
		}
		dir = parent
	}
}

// Fuzz runs main under Run for each fuzz input, the input's bytes
// hashed into the seed: `go test -fuzz` explores seeds, keeps the inputs
// that fail in testdata/fuzz, and plain `go test` replays them. Seeds 1
// to DefaultSeeds are the corpus to start from. (The input seeds the one
// PRNG; it is not yet the stream of every choice.)
func Fuzz(f *testing.F, main func(ctx context.Context, w *World) error, opts ...Option) {
	f.Helper()
	for i := range DefaultSeeds {
		f.Add([]byte(strconv.Itoa(i + 1)))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		h := fnv.New64a()
		h.Write(in)
		seed := int64(h.Sum64() >> 1)
		r := newRing(traceTail)
		o := append(append([]Option(nil), opts...), Seed(seed), func(c *config) { c.ring = r })
		if err := Run(main, o...); err != nil || t.Failed() {
			t.Fatalf("sim: fuzz input %q (seed %d): %v\nlast events:\n%s", in, seed, err, r)
		}
	})
}
