package main

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/f04742a6/reactor/task"
)

// exec runs one request and appends its reply to c.out. It reports quit
// for QUIT, and fails only when writing (a flush of a long reply) does.
// A bad command gets an error reply, as Redis words it, and the session
// goes on.
func (c *conn) exec(ctx context.Context, args [][]byte) (quit bool, err error) {
	var lower [16]byte
	name := args[0]
	if len(name) > len(lower) {
		c.unknown(args)
		return false, c.flushIfFull(ctx)
	}
	for i, b := range name {
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		lower[i] = b
	}
	cmd := lower[:len(name)]
	now := task.Now(ctx).UnixNano()
	switch string(cmd) {
	case "ping":
		switch len(args) {
		case 1:
			c.out = appendSimple(c.out, "PONG")
		case 2:
			c.out = appendBulk(c.out, args[1])
		default:
			c.arity(cmd)
		}
	case "echo":
		if c.want(cmd, args, 2, 2) {
			c.out = appendBulk(c.out, args[1])
		}
	case "get":
		if c.want(cmd, args, 2, 2) {
			c.appendValue(c.db.get(args[1], now))
		}
	case "set":
		if c.want(cmd, args, 3, 6) {
			c.set(args, now)
		}
	case "del":
		if c.want(cmd, args, 2, -1) {
			n := 0
			for _, k := range args[1:] {
				if c.db.del(k, now) {
					n++
				}
			}
			c.out = appendInt(c.out, int64(n))
		}
	case "incr":
		if c.want(cmd, args, 2, 2) {
			if n, err := c.db.incr(args[1], now); err != nil {
				c.out = appendError(c.out, err.Error())
			} else {
				c.out = appendInt(c.out, n)
			}
		}
	case "expire":
		if c.want(cmd, args, 3, 3) {
			secs, ok := parseInt(args[2])
			if !ok {
				c.out = appendError(c.out, errNotInteger.Error())
				break
			}
			c.out = appendInt(c.out, boolInt(c.db.expire(args[1], deadline(now, secs, time.Second), now)))
		}
	case "ttl":
		if c.want(cmd, args, 2, 2) {
			ttl := c.db.ttl(args[1], now)
			if ttl > 0 {
				ttl = (ttl + time.Second/2) / time.Second // Redis rounds to the nearest second
			}
			c.out = appendInt(c.out, int64(ttl))
		}
	case "mget":
		if c.want(cmd, args, 2, -1) {
			c.out = appendArrayHeader(c.out, len(args)-1)
			for _, k := range args[1:] {
				c.appendValue(c.db.get(k, now))
				if err := c.flushIfFull(ctx); err != nil {
					return false, err
				}
			}
		}
	case "config":
		c.config(args)
	case "command":
		c.out = appendArrayHeader(c.out, 0) // redis-cli asks for command docs: there are none
	case "quit":
		c.out = appendSimple(c.out, "OK")
		return true, nil
	default:
		c.unknown(args)
	}
	return false, c.flushIfFull(ctx)
}

// want checks the argument count, name included (max < 0: no maximum),
// and replies with Redis's arity error if it is wrong.
func (c *conn) want(cmd []byte, args [][]byte, min, max int) bool {
	if len(args) < min || (max >= 0 && len(args) > max) {
		c.arity(cmd)
		return false
	}
	return true
}

func (c *conn) arity(cmd []byte) {
	c.out = appendError(c.out, "ERR wrong number of arguments for '"+string(cmd)+"' command")
}

func (c *conn) unknown(args [][]byte) {
	var b strings.Builder
	for _, a := range args[1:min(len(args), 4)] {
		b.WriteString("'")
		b.Write(a[:min(len(a), 64)])
		b.WriteString("' ")
	}
	c.out = appendError(c.out, "ERR unknown command '"+string(args[0][:min(len(args[0]), 64)])+"', with args beginning with: "+b.String())
}

func (c *conn) appendValue(v []byte, ok bool) {
	if !ok {
		c.out = appendNull(c.out)
		return
	}
	c.out = appendBulk(c.out, v)
}

// set runs SET key value [EX seconds | PX milliseconds] [NX | XX].
func (c *conn) set(args [][]byte, now int64) {
	var exp int64
	mode := setAlways
	for i := 3; i < len(args); i++ {
		opt := args[i]
		switch {
		case bytes.EqualFold(opt, []byte("nx")) && mode == setAlways:
			mode = setIfAbsent
		case bytes.EqualFold(opt, []byte("xx")) && mode == setAlways:
			mode = setIfPresent
		case (bytes.EqualFold(opt, []byte("ex")) || bytes.EqualFold(opt, []byte("px"))) && exp == 0 && i+1 < len(args):
			i++
			n, ok := parseInt(args[i])
			if !ok || n <= 0 {
				c.out = appendError(c.out, "ERR invalid expire time in 'set' command")
				return
			}
			unit := time.Second
			if opt[0] == 'p' || opt[0] == 'P' {
				unit = time.Millisecond
			}
			exp = deadline(now, n, unit)
		default:
			c.out = appendError(c.out, "ERR syntax error")
			return
		}
	}
	if c.db.set(args[1], args[2], exp, mode, now) {
		c.out = appendSimple(c.out, "OK")
	} else {
		c.out = appendNull(c.out)
	}
}

// config answers CONFIG GET for the parameters redis-benchmark asks for
// at start-up (it reads element 1 of a two-element array; an error only
// makes it warn). Other parameters give an empty array, as unknown ones
// do in Redis.
func (c *conn) config(args [][]byte) {
	if len(args) != 3 || !bytes.EqualFold(args[1], []byte("get")) {
		c.out = appendError(c.out, "ERR only CONFIG GET parameter is supported")
		return
	}
	values := map[string]string{"save": "", "appendonly": "no"}
	v, ok := values[strings.ToLower(string(args[2]))]
	if !ok {
		c.out = appendArrayHeader(c.out, 0)
		return
	}
	c.out = appendArrayHeader(c.out, 2)
	c.out = appendBulk(c.out, bytes.ToLower(args[2]))
	c.out = appendBulk(c.out, []byte(v))
}

// deadline is now plus n units, saturating instead of overflowing; a
// count of zero or less is a deadline already past.
func deadline(now, n int64, unit time.Duration) int64 {
	if n <= 0 {
		return now
	}
	if n > (1<<63-1-now)/int64(unit) {
		return 1<<63 - 1
	}
	return now + n*int64(unit)
}

func parseInt(b []byte) (int64, bool) {
	n, err := strconv.ParseInt(string(b), 10, 64)
	return n, err == nil
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
