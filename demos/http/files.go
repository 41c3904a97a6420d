package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"os"
	"path"
	"strings"

	"github.com/f04742a6/reactor/task"
)

// chunkSize is how much of a file is read (on a worker thread) and
// written at a time: a large file costs a connection this much memory,
// not its size.
const chunkSize = 64 << 10

// fileServer serves the files under one directory. It opens them through
// an os.Root, so nothing outside the directory is reachable, symbolic
// links included, on top of the request parser's refusal of "..".
// Directories are served by their index.html; there are no listings.
//
// File system calls block, so they run on worker threads (task.ToThread):
// a slow disk delays one connection, never the loop. They hold at most
// fileThreads of them (a CapacityLimiter of the file server's own), so
// file work cannot take every worker the loop has. A name is opened
// without waiting on what it names (O_NONBLOCK, where the system has it:
// opening a FIFO or a device would otherwise wait for a writer or a
// carrier, holding the worker for good), and anything but a regular file
// or a directory is refused, as missing, before a byte is read.
type fileServer struct {
	root    *os.Root
	threads *task.CapacityLimiter
}

// fileThreads is how many worker threads one loop's file work may hold
// at once (of the 40 a loop has by default).
const fileThreads = 8

func newFileServer(dir string) (*fileServer, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("http: static files: %w", err)
	}
	return &fileServer{root: r, threads: task.NewCapacityLimiter(fileThreads)}, nil
}

// forLoop returns the file server for one more loop: the same root, its
// own limiter (a limiter belongs to one loop while in use).
func (fsrv *fileServer) forLoop() *fileServer {
	return &fileServer{root: fsrv.root, threads: task.NewCapacityLimiter(fileThreads)}
}

func (fsrv *fileServer) Close() error { return fsrv.root.Close() }

// open opens the file for a cleaned path, a directory's index.html for a
// directory.
func (fsrv *fileServer) open(name string) (*os.File, fs.FileInfo, error) {
	f, err := fsrv.root.OpenFile(name, openFlags, 0)
	if err != nil {
		return nil, nil, err
	}
	info, err := f.Stat()
	if err == nil && info.IsDir() {
		f.Close()
		return fsrv.open(path.Join(name, "index.html"))
	}
	if err == nil && !info.Mode().IsRegular() {
		err = fs.ErrNotExist // a device or a pipe is not a page
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, info, nil
}

// serve answers req with a file: 200 with its bytes, 404 if there is no
// such file (or it is outside the root), 403 if it cannot be read.
func (fsrv *fileServer) serve(ctx context.Context, w *responseWriter, req *request) error {
	name := strings.TrimPrefix(req.path, "/")
	var f *os.File
	var info fs.FileInfo
	err := task.ToThread(ctx, func(context.Context) (err error) {
		f, info, err = fsrv.open(name)
		return err
	}, task.Limiter(fsrv.threads))
	w.waited()
	switch {
	case errors.Is(err, task.ErrCancelled):
		return err
	case errors.Is(err, fs.ErrPermission):
		return w.status(ctx, 403, "cannot read "+req.path, connection(req))
	case err != nil: // not there, or outside the root: the same answer
		return w.status(ctx, 404, "no such file "+req.path, connection(req))
	}
	defer f.Close() // close(2) of a regular file does not wait for the disk
	ctype := mime.TypeByExtension(path.Ext(info.Name()))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	w.header(ctx, 200, ctype, info.Size(), connection(req), "")
	if err := w.send(ctx); err != nil || string(req.method) == "HEAD" {
		return err
	}
	for left := info.Size(); left > 0; {
		k := int(min(left, chunkSize))
		if cap(w.chunk) < k {
			w.chunk = make([]byte, k)
		}
		chunk := w.chunk[:k]
		var n int
		err := task.ToThread(ctx, func(context.Context) (err error) {
			n, err = io.ReadFull(f, chunk)
			return err
		}, task.Limiter(fsrv.threads))
		w.waited()
		if err != nil {
			// The file shrank or failed under us: the promised length
			// cannot be kept, so the connection must end.
			return fmt.Errorf("http: reading %s: %w", req.path, err)
		}
		left -= int64(n)
		// A whole chunk is larger than the writer's buffer: it goes to
		// the stream now, in pieces, and only the end of the file waits
		// in the buffer for the turn's flush.
		if err := w.write(ctx, chunk[:n]); err != nil {
			return err
		}
	}
	return nil
}
