package main

import (
	"context"
	"fmt"
	"strconv"

	"github.com/f04742a6/reactor/streams"
)

// reply is one RESP2 value as the client reads it.
type reply struct {
	kind  byte   // '+', '-', ':', '$' or '*'
	str   string // a simple string, an error or a bulk
	n     int64  // an integer
	null  bool   // a null bulk or array
	elems []reply
}

func (r reply) String() string {
	switch {
	case r.null:
		return "(nil)"
	case r.kind == ':':
		return strconv.FormatInt(r.n, 10)
	case r.kind == '-':
		return "(error) " + r.str
	case r.kind == '*':
		return fmt.Sprint(r.elems)
	}
	return r.str
}

// client speaks RESP to a server: commands are sent as multibulk arrays,
// several at a time if the caller pipelines.
type client struct {
	s   streams.Stream
	r   *streams.BufferedReader
	out []byte
}

// newClient returns a client of s that reads bulk replies of up to
// maxReply bytes.
func newClient(s streams.Stream, maxReply int) *client {
	return &client{s: s, r: streams.NewBufferedReader(s, maxReply+64)}
}

// queue appends a command to the pending pipeline.
func (c *client) queue(args ...string) {
	c.out = appendArrayHeader(c.out, len(args))
	for _, a := range args {
		c.out = append(c.out, '$')
		c.out = strconv.AppendInt(c.out, int64(len(a)), 10)
		c.out = append(c.out, '\r', '\n')
		c.out = append(c.out, a...)
		c.out = append(c.out, '\r', '\n')
	}
}

// send writes the pending pipeline in one Write.
func (c *client) send(ctx context.Context) error {
	_, err := c.s.Write(ctx, c.out)
	c.out = c.out[:0]
	return err
}

// do sends one command and reads its reply.
func (c *client) do(ctx context.Context, args ...string) (reply, error) {
	c.queue(args...)
	if err := c.send(ctx); err != nil {
		return reply{}, err
	}
	return c.read(ctx)
}

// read reads one reply.
func (c *client) read(ctx context.Context) (reply, error) {
	line, err := c.r.ReadLine(ctx)
	if err != nil {
		return reply{}, err
	}
	if len(line) == 0 {
		return reply{}, fmt.Errorf("resp client: empty reply line")
	}
	r := reply{kind: line[0]}
	body := string(line[1:])
	switch r.kind {
	case '+', '-':
		r.str = body
	case ':':
		r.n, err = strconv.ParseInt(body, 10, 64)
	case '$':
		var size int
		if size, err = strconv.Atoi(body); err != nil || size < 0 {
			r.null = size == -1
			break
		}
		var b []byte
		if b, err = c.r.ReadExactly(ctx, size+2); err == nil {
			r.str = string(b[:size])
		}
	case '*':
		var count int
		if count, err = strconv.Atoi(body); err != nil || count < 0 {
			r.null = count == -1
			break
		}
		r.elems = make([]reply, count)
		for i := range r.elems {
			if r.elems[i], err = c.read(ctx); err != nil {
				break
			}
		}
	default:
		err = fmt.Errorf("resp client: unexpected reply %q", line)
	}
	return r, err
}
