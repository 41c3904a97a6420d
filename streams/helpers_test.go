package streams_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/f04742a6/reactor/streams"
	"github.com/f04742a6/reactor/task"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// run runs main in a task.Run with a real clock, under a deadline so a
// hang fails the test.
func run(t *testing.T, main func(ctx context.Context) error) {
	t.Helper()
	err := task.Run(func(ctx context.Context) error {
		return task.FailAfter(ctx, 30*time.Second, main)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// tcpPair returns a connected TCP pair: the dialled end and the accepted.
func tcpPair(ctx context.Context) (streams.Stream, streams.Stream, error) {
	l, err := streams.ListenTCP(ctx, "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	return connected(ctx, l, func() (streams.Stream, error) { return streams.DialTCP(ctx, l.Addr().String()) })
}

// connected dials l, accepts, and closes l.
func connected(ctx context.Context, l streams.Listener, dial func() (streams.Stream, error)) (streams.Stream, streams.Stream, error) {
	defer l.Close()
	c, err := dial()
	if err != nil {
		return nil, nil, err
	}
	s, err := l.Accept(ctx)
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	return c, s, nil
}

var socketSeq atomic.Int64

// unixPair returns a connected Unix-socket pair.
func unixPair(t *testing.T) func(ctx context.Context) (streams.Stream, streams.Stream, error) {
	dir := t.TempDir()
	return func(ctx context.Context) (streams.Stream, streams.Stream, error) {
		path := filepath.Join(dir, "s"+big.NewInt(socketSeq.Add(1)).String())
		l, err := streams.ListenUnix(ctx, path)
		if err != nil {
			return nil, nil, err
		}
		return connected(ctx, l, func() (streams.Stream, error) { return streams.DialUnix(ctx, path) })
	}
}

// clog fills a socket pair's buffers, both ways, with raw writes until
// the kernel would block: the next Write of either end waits for the
// other to read.
func clog(pair func(ctx context.Context) (streams.Stream, streams.Stream, error)) func(ctx context.Context) (streams.Stream, streams.Stream, error) {
	return func(ctx context.Context) (streams.Stream, streams.Stream, error) {
		a, b, err := pair(ctx)
		if err != nil {
			return nil, nil, err
		}
		fill(a.(*streams.SocketStream).FD())
		fill(b.(*streams.SocketStream).FD())
		return a, b, nil
	}
}

// memoryPair makes a MemoryPair of size.
func memoryPair(size int) func(ctx context.Context) (streams.Stream, streams.Stream, error) {
	return func(ctx context.Context) (streams.Stream, streams.Stream, error) {
		a, b := streams.MemoryPair(size)
		return a, b, nil
	}
}

// cloggedMemory fills a buffered MemoryPair's buffers both ways.
func cloggedMemory(size int) func(ctx context.Context) (streams.Stream, streams.Stream, error) {
	return func(ctx context.Context) (streams.Stream, streams.Stream, error) {
		a, b := streams.MemoryPair(size)
		for _, s := range []*streams.MemoryStream{a, b} {
			if _, err := s.Write(ctx, make([]byte, size)); err != nil {
				return nil, nil, err
			}
		}
		return a, b, nil
	}
}

// testCert is a self-signed certificate for "localhost" and 127.0.0.1.
var testCert = func() tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "localhost"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}()

func tlsConfigs() (client, server *tls.Config) {
	pool := x509.NewCertPool()
	leaf, _ := x509.ParseCertificate(testCert.Certificate[0])
	pool.AddCert(leaf)
	return &tls.Config{RootCAs: pool, ServerName: "localhost"},
		&tls.Config{Certificates: []tls.Certificate{testCert}}
}

// tlsOver runs both handshakes over a pair of transports.
func tlsOver(pair func(ctx context.Context) (streams.Stream, streams.Stream, error)) func(ctx context.Context) (streams.Stream, streams.Stream, error) {
	return func(ctx context.Context) (streams.Stream, streams.Stream, error) {
		a, b, err := pair(ctx)
		if err != nil {
			return nil, nil, err
		}
		ccfg, scfg := tlsConfigs()
		var server *streams.TLSStream
		var client *streams.TLSStream
		err = task.WithNursery(ctx, func(ctx context.Context, n *task.Nursery) error {
			h := task.Spawn(n, func(ctx context.Context) (*streams.TLSStream, error) { return streams.NewTLSServer(ctx, b, scfg) })
			c, err := streams.NewTLSClient(ctx, a, ccfg)
			if err != nil {
				return err
			}
			client = c
			server, err = h.Wait(ctx)
			return err
		})
		if err != nil {
			a.Close()
			b.Close()
			return nil, nil, err
		}
		return client, server, nil
	}
}
