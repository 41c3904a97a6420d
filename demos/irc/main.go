// Command irc is the IRC client of the asyncio critique, on tasks and
// streams: it logs in (NICK, USER), identifies to NickServ once welcomed,
// answers PINGs, and prints what the server says. A watchdog ends the
// session when the server is silent for the ping timeout; whatever ends
// it (the watchdog, Ctrl-C, the server), the client says QUIT in a
// shielded scope bounded to 1 s, so the goodbye is neither cancelled
// unsent nor left hanging on a server that stopped reading.
//
//	go run ./demos/irc -addr irc.libera.chat:6667 -nick reactor-demo
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"time"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:6667", "IRC server")
	nick := flag.String("nick", "reactor-demo", "nickname")
	password := flag.String("password", "", "NickServ password (empty: do not identify)")
	ping := flag.Duration("ping-timeout", 4*time.Minute, "end the session when the server is silent this long")
	flag.Parse()
	err := task.Run(func(ctx context.Context) error {
		s, err := streams.DialTCP(ctx, *addr)
		if err != nil {
			return err
		}
		defer s.Close()
		return session(ctx, s, *nick, *password, *ping, func(line string) { fmt.Println(line) })
	})
	if err != nil && !errors.Is(err, task.ErrInterrupted) {
		log.Fatal(err)
	}
}
