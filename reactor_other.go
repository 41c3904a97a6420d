//go:build !linux && !darwin && !freebsd && !windows

package reactor

import "errors"

// New reports that this operating system has no backend.
func New() (Poller, error) {
	return nil, errors.New("reactor: no poller for this operating system (linux, darwin, freebsd and windows have one)")
}
