package sim

import (
	"io"
	"time"
)

// Option configures a simulation (Run, Test, Fuzz) or, for Latency and
// Loss, one link (World.SetLink).
type Option func(*config)

// config is what the options set. The link fields (latency, loss) are
// the default link of a run, or one link's settings in SetLink.
type config struct {
	seed     int64
	seedSet  bool
	latMin   time.Duration
	latMax   time.Duration
	latSet   bool
	loss     float64
	lossSet  bool
	buffer   int
	trace    io.Writer
	userTO   time.Duration
	mss      int
	udpQueue int
	stuck    time.Duration
	ring     *ring // sim.Test's tail of the trace
}

// Defaults of a run.
const (
	// DefaultLatencyMin and DefaultLatencyMax bound a link's one-way
	// latency unless Latency says otherwise.
	DefaultLatencyMin = time.Millisecond
	DefaultLatencyMax = 5 * time.Millisecond
	// DefaultBuffer is the window of a TCP connection's direction (bytes
	// in flight plus unread) unless Buffer says otherwise.
	DefaultBuffer = 64 << 10
	// DefaultUserTimeout is how long a TCP connection may hold a segment
	// it cannot deliver (partition, dead peer) before it is reset:
	// Linux's default, about 15 minutes (tcp_retries2=15).
	DefaultUserTimeout = 15 * time.Minute
	// MSS is the largest TCP segment; a write is cut into segments of at
	// most MSS bytes (some shorter, by the seed).
	MSS = 1460
)

func defaultConfig() config {
	return config{
		seed:     1,
		latMin:   DefaultLatencyMin,
		latMax:   DefaultLatencyMax,
		buffer:   DefaultBuffer,
		userTO:   DefaultUserTimeout,
		mss:      MSS,
		udpQueue: DefaultBuffer,
		stuck:    time.Second,
	}
}

// Seed sets the seed of the run's one PRNG (latencies, losses, segment
// sizes, fault choices) and of the loop's ready order (task.WithSeed).
// The default is 1.
func Seed(seed int64) Option {
	return func(c *config) { c.seed, c.seedSet = seed, true }
}

// Latency sets a link's one-way latency: each segment or datagram is
// delayed by a duration drawn uniformly from [min, max]. In Run it is
// every link's default (1ms to 5ms unless set); in SetLink, one link's.
func Latency(min, max time.Duration) Option {
	if min < 0 {
		min = 0
	}
	if max < min {
		max = min
	}
	return func(c *config) { c.latMin, c.latMax, c.latSet = min, max, true }
}

// Loss sets a link's loss probability (0 to 1). A lost TCP segment is
// not lost: it is delayed by a retransmission timeout (200ms, doubling
// for each further loss); a lost SYN is retried as connect does (1s,
// doubling); a lost UDP datagram is gone.
func Loss(p float64) Option {
	if p < 0 {
		p = 0
	}
	if p > 1 {
		p = 1
	}
	return func(c *config) { c.loss, c.lossSet = p, true }
}

// Buffer sets the window of each direction of a TCP connection: the
// bytes in flight plus those received and not read yet (default 64 KiB).
// A writer whose window is full gets EAGAIN and waits, as on a real
// socket. It also bounds a UDP socket's receive queue, in bytes.
func Buffer(bytes int) Option {
	if bytes < 1 {
		bytes = 1
	}
	return func(c *config) { c.buffer, c.udpQueue = bytes, bytes }
}

// Trace writes one line per event of the simulated network and of the
// hosts to w: the simulated time since the start, the host, the event.
// Two runs of one seed write the same bytes.
func Trace(w io.Writer) Option { return func(c *config) { c.trace = w } }

// UserTimeout sets how long a TCP connection holds a segment it cannot
// deliver before it is reset (TCP_USER_TIMEOUT; default 15 minutes).
func UserTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.userTO = d
		}
	}
}
