package reactor

// New returns the poller for this operating system: kqueue (kqueue.go),
// with EV_CLEAR for edge-triggered readiness and EVFILT_USER for Wake.
func New() (Poller, error) { return newKqueue() }
