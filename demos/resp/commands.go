package main

import (
	"bytes"
	"context"
	"strings"
)

// command is an entry of the command table: what a request's first
// argument names. Arity is Redis's convention, the name included: n > 0
// is exactly n arguments, -n at least n. A handler replies through the
// connection (a bad argument is an error reply, and the session goes on)
// and fails only when writing its reply does.
type command struct {
	name  string
	arity int
	run   func(ctx context.Context, c *conn, args [][]byte) error
}

// commandTable is every command the server knows.
var commandTable = []command{
	{"ping", -1, cmdPing},
	{"echo", 2, cmdEcho},
	{"get", 2, cmdGet},
	{"set", -3, cmdSet},
	{"del", -2, cmdDel},
	{"incr", 2, cmdIncr},
	{"expire", 3, cmdExpire},
	{"ttl", 2, cmdTTL},
	{"mget", -2, cmdMGet},
	{"config", -2, cmdConfig},
	{"command", -1, cmdCommand}, // redis-cli asks for command docs at start-up
	{"quit", -1, cmdQuit},
}

// commands indexes commandTable by the length of a name: a lookup
// compares a few names of the right length, no hashing.
var commands = func() (byLen [8][]*command) {
	for i := range commandTable {
		cmd := &commandTable[i]
		byLen[len(cmd.name)] = append(byLen[len(cmd.name)], cmd)
	}
	return byLen
}()

// lookup finds a command by its name in any case.
func lookup(name []byte) *command {
	var lower [len(commands)]byte
	if len(name) >= len(lower) {
		return nil
	}
	for i, b := range name {
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		lower[i] = b
	}
	for _, cmd := range commands[len(name)] {
		if string(lower[:len(name)]) == cmd.name { // no allocation: a comparison
			return cmd
		}
	}
	return nil
}

// exec runs one request and hands its reply to the connection's writer.
func (c *conn) exec(ctx context.Context, args [][]byte) error {
	cmd := lookup(args[0])
	switch {
	case cmd == nil:
		c.unknown(args)
	case cmd.arity > 0 && len(args) != cmd.arity, cmd.arity < 0 && len(args) < -cmd.arity:
		c.arity(cmd.name)
	default:
		if c.now == 0 {
			c.now = nowMillis(ctx)
		}
		if err := cmd.run(ctx, c, args); err != nil {
			return err
		}
	}
	return c.send(ctx)
}

func cmdPing(ctx context.Context, c *conn, args [][]byte) error {
	switch len(args) {
	case 1:
		c.simple("PONG")
	case 2:
		return c.bulk(ctx, args[1])
	default:
		c.arity("ping")
	}
	return nil
}

func cmdEcho(ctx context.Context, c *conn, args [][]byte) error { return c.bulk(ctx, args[1]) }

func cmdGet(ctx context.Context, c *conn, args [][]byte) error {
	v, ok := c.db.get(args[1], c.now)
	return c.value(ctx, v, ok)
}

// cmdSet runs SET key value [EX seconds | PX milliseconds] [NX | XX]. As
// in Redis, the options are read first (an option may be repeated, the
// last EX or PX wins; conflicting ones are a syntax error), then the
// expire time is checked.
func cmdSet(ctx context.Context, c *conn, args [][]byte) error {
	var expire []byte // EX's or PX's argument
	var unit int64    // milliseconds in one of its units
	mode := setAlways
	for i := 3; i < len(args); i++ {
		opt := args[i]
		switch {
		case bytes.EqualFold(opt, []byte("nx")) && mode != setIfPresent:
			mode = setIfAbsent
		case bytes.EqualFold(opt, []byte("xx")) && mode != setIfAbsent:
			mode = setIfPresent
		case bytes.EqualFold(opt, []byte("ex")) && unit != 1 && i+1 < len(args):
			i, unit = i+1, 1000
			expire = args[i]
		case bytes.EqualFold(opt, []byte("px")) && unit != 1000 && i+1 < len(args):
			i, unit = i+1, 1
			expire = args[i]
		default:
			c.errorReply("ERR syntax error")
			return nil
		}
	}
	var exp int64 // 0: none
	if expire != nil {
		n, ok := parseInt(expire)
		if !ok {
			c.errorReply(errNotInteger.Error())
			return nil
		}
		if exp, ok = expireAt(c.now, n, unit); !ok || n <= 0 {
			c.errorReply("ERR invalid expire time in 'set' command")
			return nil
		}
	}
	if c.db.set(args[1], args[2], exp, mode, c.now) {
		c.simple("OK")
	} else {
		c.null()
	}
	return nil
}

func cmdDel(ctx context.Context, c *conn, args [][]byte) error {
	n := 0
	for _, k := range args[1:] {
		if c.db.del(k, c.now) {
			n++
		}
	}
	c.integer(int64(n))
	return nil
}

func cmdIncr(ctx context.Context, c *conn, args [][]byte) error {
	n, err := c.db.incr(args[1], c.now)
	if err != nil {
		c.errorReply(err.Error())
	} else {
		c.integer(n)
	}
	return nil
}

// cmdExpire runs EXPIRE key seconds; a deadline already past deletes the key.
func cmdExpire(ctx context.Context, c *conn, args [][]byte) error {
	secs, ok := parseInt(args[2])
	if !ok {
		c.errorReply(errNotInteger.Error())
		return nil
	}
	exp, ok := expireAt(c.now, secs, 1000)
	if !ok {
		c.errorReply("ERR invalid expire time in 'expire' command")
		return nil
	}
	c.integer(boolInt(c.db.expire(args[1], exp, c.now)))
	return nil
}

func cmdTTL(ctx context.Context, c *conn, args [][]byte) error {
	ttl := c.db.ttl(args[1], c.now)
	if ttl > 0 {
		ttl = (ttl + 500) / 1000 // Redis rounds to the nearest second
	}
	c.integer(ttl)
	return nil
}

func cmdMGet(ctx context.Context, c *conn, args [][]byte) error {
	c.array(len(args) - 1)
	for _, k := range args[1:] {
		v, ok := c.db.get(k, c.now)
		if err := c.value(ctx, v, ok); err != nil {
			return err
		}
	}
	return nil
}

// cmdConfig answers CONFIG GET for the parameters redis-benchmark asks for
// at start-up (it reads element 1 of a two-element array; an error only
// makes it warn). Other parameters give an empty array, as unknown ones
// do in Redis.
func cmdConfig(ctx context.Context, c *conn, args [][]byte) error {
	if len(args) != 3 || !bytes.EqualFold(args[1], []byte("get")) {
		c.errorReply("ERR only CONFIG GET parameter is supported")
		return nil
	}
	values := map[string]string{"save": "", "appendonly": "no"}
	v, ok := values[strings.ToLower(string(args[2]))]
	if !ok {
		c.array(0)
		return nil
	}
	c.array(2)
	c.reply = appendBulk(c.reply, bytes.ToLower(args[2]))
	c.reply = appendBulk(c.reply, []byte(v))
	return nil
}

func cmdCommand(ctx context.Context, c *conn, args [][]byte) error {
	c.array(0) // there are none
	return nil
}

func cmdQuit(ctx context.Context, c *conn, args [][]byte) error {
	c.simple("OK")
	c.quit = true
	return nil
}

func (c *conn) arity(name string) {
	c.errorReply("ERR wrong number of arguments for '" + name + "' command")
}

// unknown replies to an unknown command as Redis does: its name (128
// bytes at most) and its arguments, quoted, until 128 bytes of them.
func (c *conn) unknown(args [][]byte) {
	var b strings.Builder
	for _, a := range args[1:] {
		if b.Len() >= 128 {
			break
		}
		room := 128 - b.Len()
		b.WriteString("'")
		b.Write(a[:min(len(a), room)])
		b.WriteString("' ")
	}
	c.errorReply("ERR unknown command '" + string(args[0][:min(len(args[0]), 128)]) + "', with args beginning with: " + b.String())
}

// expireAt returns the deadline n units (milliseconds each) after now, or
// false where Redis finds the expire time invalid: n*unit or the sum
// overflows. A count of zero or less is a deadline not after now.
func expireAt(now, n, unit int64) (int64, bool) {
	if n > (1<<63-1)/unit || n < (-1<<63)/unit {
		return 0, false
	}
	ms := n * unit
	if ms > 1<<63-1-now {
		return 0, false
	}
	return now + ms, true
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
