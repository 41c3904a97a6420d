// Package task is a stub of github.com/f04742a6/reactor/task for the
// analyzer's tests: the signatures only.
package task

import (
	"context"
	"time"
)

type Nursery struct{}

func (n *Nursery) Go(fn func(ctx context.Context) error, opts ...SpawnOption)        {}
func (n *Nursery) GoService(fn func(ctx context.Context) error, opts ...SpawnOption) {}

type Scope struct{}

type SpawnOption func()

type Option func()

type ThreadOption func()

type Handle[T any] struct{}

type Token struct{}

func CurrentToken(ctx context.Context) *Token                  { return nil }
func (tk *Token) Run(fn func(ctx context.Context) error) error { return nil }
func (tk *Token) RunContext(ctx context.Context, fn func(ctx context.Context) error) error {
	return nil
}

type LoopRef struct{}

func CurrentLoop(ctx context.Context) LoopRef { return LoopRef{} }
func (l LoopRef) Post(fn func()) error        { return nil }

func Run(main func(ctx context.Context) error, opts ...Option) error { return nil }
func RunParallel(n int, main func(ctx context.Context, i int) error, opts ...Option) error {
	return nil
}
func WithNursery(ctx context.Context, body func(ctx context.Context, n *Nursery) error) error {
	return nil
}
func Start[T any](ctx context.Context, n *Nursery, fn func(ctx context.Context, started func(T)) error) (T, error) {
	var v T
	return v, nil
}
func Spawn[T any](n *Nursery, fn func(ctx context.Context) (T, error), opts ...SpawnOption) *Handle[T] {
	return nil
}
func WithScope(ctx context.Context, fn func(ctx context.Context, s *Scope) error) error { return nil }
func MoveOnAfter(ctx context.Context, d time.Duration, fn func(ctx context.Context) error) (bool, error) {
	return false, nil
}
func MoveOnAt(ctx context.Context, t time.Time, fn func(ctx context.Context) error) (bool, error) {
	return false, nil
}
func FailAfter(ctx context.Context, d time.Duration, fn func(ctx context.Context) error) error {
	return nil
}
func FailAt(ctx context.Context, t time.Time, fn func(ctx context.Context) error) error { return nil }
func Shield(ctx context.Context, fn func(ctx context.Context) error) error              { return nil }
func FromThread(ctx context.Context, fn func(ctx context.Context) error) error          { return nil }
func ToThread(ctx context.Context, fn func(ctx context.Context) error, opts ...ThreadOption) error {
	return nil
}
func Sleep(ctx context.Context, d time.Duration) error { return nil }
