// Package sim runs servers and clients written with task and streams,
// unchanged, as hosts on a simulated network, on a simulated clock, with
// faults; one seed replays a run exactly.
//
// # The run
//
// Run(main, opts...) is one task.Run on a simulated reactor.Poller (its
// handles are the simulated sockets; Wait never blocks on the operating
// system), a task.MockClock with autojump (time moves to the next timer
// or network event as soon as every task waits), task.WithSeed with the
// run's seed, task.WithSignals() (none) and a logger that discards. main
// runs on the host "main" (10.0.0.1). World.Host(name, main) starts
// another host: a task tree of its own under a scope of its own, whose
// root ctx carries the host's network (10.0.0.N, N by creation order), so
// that streams.ListenTCP, DialTCP, ServeTCP, Serve, ListenUDP, the TLS
// streams, Conn and BufferedReader run their own code on simulated
// sockets (a dial returns a *streams.SocketStream). Host names resolve
// to the hosts' addresses at once, without the OS resolver or a thread;
// "localhost" and 127.0.0.1 are the host itself. A host whose main
// returns an error fails the run as a nursery child does (the first
// failure cancels the rest; errors are joined), unless it was crashed or
// stopped; when main's host returns, the others are cancelled.
//
// # The network model
//
// TCP is reliable and ordered per connection. A write is cut into
// segments of at most MSS bytes (one in eight shorter, by the seed), each
// delayed by its link's latency drawn from [min, max] (Latency; default
// 1ms to 5ms), never overtaking an earlier segment of its direction; the
// reader gets whatever has arrived, so a burst arrives as one read or
// many, by the seed. Each direction has a window (Buffer; default 64 KiB)
// of bytes in flight plus unread: a writer whose window is full gets
// EAGAIN and waits; the window reopens when the reader reads (the ACK's
// trip is not modelled). Loss on a TCP link delays a segment by a
// retransmission timeout (200ms, doubling per further loss; a segment
// lost more than 15 times times the connection out). Connecting costs one
// round trip; a port nobody listens on answers ECONNREFUSED after one
// round trip; a SYN to a partitioned, dead or unknown host is lost and
// retried as Linux does (1s, doubling), so the connect waits until the
// caller's deadline, or fails with ETIMEDOUT after 127s. A partition
// (Partition, PartitionOneWay) holds the segments that would cross it;
// Heal and HealAll send them on, nothing lost; a connection holding one
// past the user timeout (UserTimeout, default 15 minutes) is reset. FIN
// and RST are delivered in order after the data sent before them; a
// socket closed with unread data sends RST, as Linux does. UDP datagrams
// are delayed one by one (so they reorder), lost with probability Loss,
// and dropped when the receiver's queue (Buffer bytes) is full. Reset
// resets every connection between two hosts; SetLink changes a link's
// latency and loss.
//
// # Hosts are crash domains
//
// Host.Crash is a power cut: the host's sockets vanish with no FIN and
// no RST, what it had in flight is lost, its tasks are cancelled (their
// deferred code runs, but every network call of a dead host fails: EBADF
// on its sockets, ENETDOWN for a new one; nothing it sends leaves it).
// Segments sent to it are held as by a partition, so its peers see
// silence until their own timeouts; after Host.Restart (main again, from
// a fresh ctx, its ports free) a segment of a connection it no longer
// knows is answered with RST. Host.Stop is the graceful end: the host's
// scope is cancelled, Stop waits for its tasks (shielded goodbyes go
// out), then the sockets left open are closed as at a process's exit.
// Shielded code of a crashed host keeps running until it ends (a
// shield cannot be broken from outside), but its network calls fail.
// Package-level variables survive a restart: keep a host's state under
// its main.
//
// # Determinism
//
// One PRNG (math/rand/v2's PCG, seeded by Seed) draws every latency,
// loss, segment size and fault choice, and the loop's ready order comes
// from task.WithSeed with the same seed; the simulator never iterates a
// Go map. Same seed, same code, same Go version: the same run, and the
// same Trace, byte for byte. Trace(w) writes one line per event: the
// simulated time since the start, the host ("-" for the world's own
// faults), and the event (start, listen, connect, connected, refused,
// accept, send and recv with sizes, fin, close, reset, crash, stop,
// restart, partition, heal, udp send/recv/lost/dropped, exit).
//
// What cannot be made deterministic is refused or documented here:
//
//   - A real socket: streams made inside a host use the host's network
//     (netsys.From returns it), so the operating system's is not
//     reachable through them; a real fd handed to the loop
//     (task.RegisterFD, task.WaitReadable) is refused by the simulated
//     poller with an error saying it is "not a simulated socket". Unix
//     sockets are refused with an error saying they are "not simulated"
//     (EAFNOSUPPORT), and so are connected datagram sockets. Code that
//     uses package net directly bypasses the simulation and cannot be
//     detected: do not.
//   - task.ToThread is not refused (package sim cannot see it): the
//     worker runs on a goroutine, the simulated clock stands still while
//     it runs (so it takes no simulated time), but where its result lands
//     among the tasks runnable at that instant depends on real time. A
//     run that uses it is deterministic only when nothing else can run
//     while it waits. DialTCP with streams.WithResolver uses it.
//   - A run in which every task waits for the network with nothing in
//     flight and no timer set (a simulated deadlock) waits one second of
//     real time for a thread worker to wake the loop, then fails with
//     ErrStuck, which matches task.ErrDeadlock.
//
// # Tests
//
// Test(t, main, opts...) runs main once per seed: seeds 1 to 8, or 1 to
// $REACTOR_SIM_SEEDS; $REACTOR_SIM_SEED=s replays seed s alone. A failing
// seed prints the seed, the command that replays it
// (REACTOR_SIM_SEED=s go test -run '^TestName$' ./pkg/) and the last 20
// events of its trace. Fuzz hashes each fuzz input into the seed, so
// `go test -fuzz` explores seeds and keeps the failing ones.
//
// A simulated round trip costs about 2-2.5 times a MemoryPair round trip
// in CPU, with no allocation per segment (BenchmarkSimEcho); an hour of
// simulated traffic takes a fraction of a second.
package sim
