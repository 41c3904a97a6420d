//go:build darwin || freebsd

package reactor

// backends lists the darwin and FreeBSD pollers the contract tests run
// over.
func backends() []backend {
	return []backend{
		{"kqueue", New},
	}
}
