package main

import "context"

// notifyContext returns ctx: a wasip1 module gets no signals (its host stops
// it), and os/signal must not be used there: its watcher goroutine waits for
// signals by spinning (runtime.notetsleepg on wasip1 yields in a loop), so the
// scheduler never idles and the module never sleeps until its sockets wake it.
func notifyContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithCancel(ctx)
}
