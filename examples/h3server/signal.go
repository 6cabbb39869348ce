//go:build !wasip1

package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// notifyContext returns a context that ends at SIGINT or SIGTERM.
func notifyContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
}
