package main

import (
	"context"
	"errors"
	"hash/maphash"
	"strconv"
	"sync"
	"time"

	"github.com/f04742a6/reactor/task"
)

// numShards splits the keyspace so that loops (-loops N) rarely meet on a
// lock.
const numShards = 64

// reapInterval and reapSample are the active expiry cycle, Redis's own
// (hz 10, 20 keys a sample): expired keys are never returned (every
// lookup checks the deadline), and the cycle frees the ones nobody looks
// up again.
const (
	reapInterval = 100 * time.Millisecond
	reapSample   = 20
)

// INCR's complaints, in Redis's words.
var (
	errNotInteger = errors.New("ERR value is not an integer or out of range")
	errOverflow   = errors.New("ERR increment or decrement would overflow")
)

// store is the keyspace: strings with optional deadlines, shared by every
// loop of the server. Its locks are sync.Mutexes, which a task must not
// wait on in general; here each is held for one map operation, never
// across a checkpoint, so a loop waits at most for another loop's map
// operation (nanoseconds), never for a task. With one loop it is never
// contended.
//
// Times are the loop clock's, in Unix milliseconds as in Redis (task.Now:
// the mock clock in tests).
type store struct {
	seed   maphash.Seed
	shards [numShards]shard
}

type shard struct {
	mu sync.Mutex
	// m holds every key; an entry past its deadline is dead: lookups
	// delete it instead of returning it.
	m map[string]entry
	// volatile holds the keys of m that have a deadline (what the expiry
	// cycle samples). Invariant: k in volatile iff m[k].exp != 0.
	volatile map[string]struct{}
}

type entry struct {
	val []byte // never changed in place once stored: readers use it unlocked
	exp int64  // deadline in Unix milliseconds; 0: none
}

func newStore() *store {
	s := &store{seed: maphash.MakeSeed()}
	for i := range s.shards {
		s.shards[i].m = make(map[string]entry)
		s.shards[i].volatile = make(map[string]struct{})
	}
	return s
}

func (s *store) shard(key []byte) *shard {
	return &s.shards[maphash.Bytes(s.seed, key)%numShards]
}

// live returns key's entry if it exists and has not expired, deleting it
// if it has. Called with sh.mu held.
func (sh *shard) live(key []byte, now int64) (entry, bool) {
	e, ok := sh.m[string(key)]
	if ok && e.exp != 0 && e.exp <= now {
		delete(sh.m, string(key))
		delete(sh.volatile, string(key))
		return entry{}, false
	}
	return e, ok
}

// put stores e under key. Called with sh.mu held.
func (sh *shard) put(key []byte, e entry) {
	k := string(key)
	sh.m[k] = e
	if e.exp != 0 {
		sh.volatile[k] = struct{}{}
	} else {
		delete(sh.volatile, k)
	}
}

// get returns key's value; the slice must not be modified.
func (s *store) get(key []byte, now int64) ([]byte, bool) {
	sh := s.shard(key)
	sh.mu.Lock()
	e, ok := sh.live(key, now)
	sh.mu.Unlock()
	return e.val, ok
}

// setMode is SET's NX/XX condition.
type setMode uint8

const (
	setAlways setMode = iota
	setIfAbsent
	setIfPresent
)

// set stores a copy of val under key with deadline exp (0: none) if mode
// allows, and reports whether it did.
func (s *store) set(key, val []byte, exp int64, mode setMode, now int64) bool {
	v := append([]byte(nil), val...) // val aliases the connection's buffer
	sh := s.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if mode != setAlways {
		if _, ok := sh.live(key, now); ok != (mode == setIfPresent) {
			return false
		}
	}
	sh.put(key, entry{val: v, exp: exp})
	return true
}

// del deletes key and reports whether it was there.
func (s *store) del(key []byte, now int64) bool {
	sh := s.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	_, ok := sh.live(key, now)
	if ok {
		delete(sh.m, string(key))
		delete(sh.volatile, string(key))
	}
	return ok
}

// incr adds one to the decimal integer at key (missing: 0), keeping its
// deadline. The value is parsed as Redis parses integers: "+5", "007"
// and " 5" are not integers.
func (s *store) incr(key []byte, now int64) (int64, error) {
	sh := s.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e, _ := sh.live(key, now)
	var n int64
	if e.val != nil {
		var ok bool
		if n, ok = parseInt(e.val); !ok {
			return 0, errNotInteger
		}
		if n == 1<<63-1 {
			return 0, errOverflow
		}
	}
	n++
	sh.put(key, entry{val: strconv.AppendInt(nil, n, 10), exp: e.exp})
	return n, nil
}

// expire sets key's deadline and reports whether key exists. A deadline
// already past deletes the key, as in Redis.
func (s *store) expire(key []byte, exp, now int64) bool {
	sh := s.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e, ok := sh.live(key, now)
	if !ok {
		return false
	}
	if exp <= now {
		delete(sh.m, string(key))
		delete(sh.volatile, string(key))
		return true
	}
	e.exp = exp
	sh.put(key, e)
	return true
}

// ttl returns key's time to live in milliseconds, or -2 if it does not
// exist and -1 if it has no deadline (TTL's replies).
func (s *store) ttl(key []byte, now int64) int64 {
	sh := s.shard(key)
	sh.mu.Lock()
	e, ok := sh.live(key, now)
	sh.mu.Unlock()
	switch {
	case !ok:
		return -2
	case e.exp == 0:
		return -1
	}
	return e.exp - now
}

// reap runs one expiry cycle over shards first, first+step, ...: in each,
// it samples up to reapSample keys with deadlines and deletes the expired
// ones, and samples again while more than a quarter of a sample had
// expired (Redis's rule: keep going while the shard is mostly dead). It
// returns how many keys it deleted.
func (s *store) reap(first, step int, now int64) int {
	deleted := 0
	for i := first; i < numShards; i += step {
		sh := &s.shards[i]
		for {
			n, dead := 0, 0
			//reactorvet:ignore the shards are shared by the loops of -loops N; held for a bounded sample, never across a checkpoint
			sh.mu.Lock()
			for k := range sh.volatile { // Go's map order is random: a sample
				if n == reapSample {
					break
				}
				n++
				if sh.m[k].exp <= now {
					delete(sh.m, k)
					delete(sh.volatile, k)
					dead++
				}
			}
			sh.mu.Unlock()
			deleted += dead
			if dead*4 <= n || n < reapSample {
				break
			}
		}
	}
	return deleted
}

// reaper runs the expiry cycle every reapInterval on the loop's timers,
// over shards first, first+step, ... (each loop of -loops N reaps its
// share), until ctx is cancelled.
func (s *store) reaper(ctx context.Context, first, step int) error {
	for {
		if err := task.Sleep(ctx, reapInterval); err != nil {
			return err
		}
		s.reap(first, step, task.Now(ctx).UnixMilli())
	}
}

// size returns how many keys the store holds, expired ones not yet
// reaped included.
func (s *store) size() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n += len(sh.m)
		sh.mu.Unlock()
	}
	return n
}
