package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

// quitTime bounds the QUIT sent on the way out: shielded, so the
// cancellation that ends the session does not stop it, and bounded, so a
// server that stopped reading cannot hold the client (the asyncio
// critique's bug: the QUIT in cleanup hangs, or is cancelled unsent).
const quitTime = time.Second

// errPingTimeout is how a session ends when the server goes quiet.
var errPingTimeout = errors.New("irc: no message from the server within the ping timeout")

// session logs in as nick, identifies to NickServ once welcomed, answers
// PINGs, and prints what it receives until ctx is cancelled or the server
// is silent for pingTimeout (the watchdog: a scope deadline every received
// line moves). Whatever ends it, it says QUIT first.
func session(ctx context.Context, s streams.Stream, nick, password string, pingTimeout time.Duration, show func(string)) error {
	send := func(ctx context.Context, format string, args ...any) error {
		_, err := s.Write(ctx, []byte(fmt.Sprintf(format, args...)+"\r\n"))
		return err
	}
	defer func() {
		task.Shield(ctx, func(ctx context.Context) error {
			_, qerr := task.MoveOnAfter(ctx, quitTime, func(ctx context.Context) error {
				return send(ctx, "QUIT :bye")
			})
			return qerr
		})
	}()
	var watchdog *task.Scope
	err := task.WithScope(ctx, func(ctx context.Context, sc *task.Scope) error {
		watchdog = sc
		sc.SetDeadline(task.Now(ctx).Add(pingTimeout))
		if err := send(ctx, "NICK %s", nick); err != nil {
			return err
		}
		if err := send(ctx, "USER %s 0 * :%s", nick, nick); err != nil {
			return err
		}
		lines := streams.NewBufferedReader(s, 512) // RFC 1459: 512 bytes a line
		for {
			line, err := lines.ReadLine(ctx)
			if err != nil {
				return err
			}
			sc.SetDeadline(task.Now(ctx).Add(pingTimeout))
			msg := string(line)
			show(msg)
			switch cmd, arg := command(msg); cmd {
			case "PING":
				err = send(ctx, "PONG %s", arg)
			case "001": // welcome
				if password != "" {
					err = send(ctx, "PRIVMSG NickServ :IDENTIFY %s", password)
				}
			}
			if err != nil {
				return err
			}
		}
	})
	if watchdog.Outcome() == task.OutcomeDeadline {
		return errPingTimeout
	}
	return err
}

// command splits ":prefix CMD args" into CMD and args.
func command(line string) (cmd, args string) {
	if strings.HasPrefix(line, ":") {
		_, line, _ = strings.Cut(line, " ")
	}
	cmd, args, _ = strings.Cut(line, " ")
	return cmd, args
}
