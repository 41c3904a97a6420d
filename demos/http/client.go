package main

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/f04742a6/reactor/demos/internal/latency"
	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// response is what the demo's client reads back.
type response struct {
	status int
	header map[string]string // lower-case names
	body   []byte
}

// readResponse reads one response with a Content-Length body.
func readResponse(ctx context.Context, r *streams.BufferedReader) (response, error) {
	head, err := r.ReadUntil(ctx, crlfcrlf)
	if err != nil {
		return response{}, err
	}
	lines := bytes.Split(head[:len(head)-4], []byte("\r\n"))
	var resp response
	if f := bytes.Fields(lines[0]); len(f) < 2 || !bytes.HasPrefix(f[0], []byte("HTTP/1.")) {
		return resp, fmt.Errorf("http client: bad status line %q", lines[0])
	} else if resp.status, err = strconv.Atoi(string(f[1])); err != nil {
		return resp, fmt.Errorf("http client: bad status line %q", lines[0])
	}
	resp.header = make(map[string]string)
	for _, l := range lines[1:] {
		k, v, _ := bytes.Cut(l, []byte(":"))
		resp.header[string(bytes.ToLower(k))] = string(bytes.TrimSpace(v))
	}
	n, err := strconv.Atoi(resp.header["content-length"])
	if err != nil {
		return resp, fmt.Errorf("http client: no Content-Length")
	}
	body, err := r.ReadExactly(ctx, n)
	resp.body = append([]byte(nil), body...)
	return resp, err
}

// load sends total keep-alive GETs of "/" over conns connections (a task
// each) and checks every answer.
func load(ctx context.Context, dial func(ctx context.Context) (streams.Stream, error), conns, total int) (latency.Summary, error) {
	req := []byte("GET / HTTP/1.1\r\nHost: demo\r\n\r\n")
	lat := make([][]time.Duration, conns)
	start := task.Now(ctx)
	err := task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
		for c := range conns {
			s, err := dial(ctx)
			if err != nil {
				return err
			}
			n.Go(func(ctx context.Context) error {
				defer s.Close()
				r := streams.NewBufferedReader(s, 4096)
				for range total / conns {
					t0 := task.Now(ctx)
					if _, err := s.Write(ctx, req); err != nil {
						return err
					}
					resp, err := readResponse(ctx, r)
					if err != nil {
						return err
					}
					if resp.status != 200 || string(resp.body) != hello {
						return fmt.Errorf("http: GET /: %d %q", resp.status, resp.body)
					}
					lat[c] = append(lat[c], task.Now(ctx).Sub(t0))
				}
				return nil
			})
		}
		return nil
	})
	return latency.Summarize(lat, task.Now(ctx).Sub(start)), err
}
