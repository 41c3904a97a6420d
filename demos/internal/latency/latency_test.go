package latency

import (
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestSummarize(t *testing.T) {
	var a, b []time.Duration
	for i := 1; i <= 100; i++ {
		if i%2 == 0 {
			a = append(a, time.Duration(i)*time.Millisecond)
		} else {
			b = append(b, time.Duration(i)*time.Millisecond)
		}
	}
	s := Summarize([][]time.Duration{a, b, nil}, 2*time.Second)
	if s.Trips != 100 || s.P50 != 51*time.Millisecond || s.P99 != 100*time.Millisecond {
		t.Fatalf("%+v; want 100 trips, p50 51ms, p99 100ms", s)
	}
	var out strings.Builder
	s.Report(&out, "trips", 100)
	if want := "  50 trips/s; round trip p50 51ms, p99 100ms\n"; out.String() != want {
		t.Errorf("report %q; want %q", out.String(), want)
	}
	if empty := Summarize(nil, time.Second); empty.Trips != 0 || empty.P99 != 0 {
		t.Errorf("no trips: %+v", empty)
	}
}
