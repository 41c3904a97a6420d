package main

import (
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestDemoReportsRoundTrips(t *testing.T) {
	var out strings.Builder
	if err := run(config{conns: 4, total: 200, size: 64}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "200 round trips of 64 bytes over 4 connections") {
		t.Fatalf("report:\n%s", out.String())
	}
}
