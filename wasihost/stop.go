package wasihost

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"

	"github.com/h3wasi/h3wasi/internal/wasiabi"
)

// Stopping a module when its context ends.
//
// By default wazero checks for cancellation at every loop header and function
// entry (RuntimeConfig.WithCloseOnContextDone). Go's wasm code enters a loop in
// every function, so the check roughly halves the speed of a Go guest (a QUIC
// transfer under wazero went from 15 to 7 MB/s). For a Config.Trusted module
// the host skips it and stops the module at its next host call instead: every
// socket, poll, clock and crypto call checks the flag below. In both modes the
// flag is what stops a module asleep in a host call.

// stopFlag is set once the module's context has ended.
type stopFlag struct{ stopped atomic.Bool }

// checkStop ends the running module, as proc_exit would, if its context has
// ended. It is called at the start of every host function the host adds.
func (s *stopFlag) checkStop(ctx context.Context, mod api.Module) {
	if s == nil || !s.stopped.Load() {
		return
	}
	mod.CloseWithExitCode(ctx, sys.ExitCodeContextCanceled)
	panic(sys.NewExitError(sys.ExitCodeContextCanceled))
}

// exportClock replaces wazero's clock_time_get with one that first checks
// for a stop, since a Go guest reads the clock for time.Now, timers and
// sleeps, often without another host call. The clocks are the host's: wall time, and a monotonic clock that
// starts near zero, as wazero's WithSysNanotime gives.
func (s *stopFlag) exportClock(b wazero.HostModuleBuilder) {
	base := time.Now()
	b.NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, mod api.Module, stack []uint64) {
			s.checkStop(ctx, mod)
			var v int64
			switch uint32(stack[0]) {
			case 0: // realtime
				v = time.Now().UnixNano()
			case 1: // monotonic
				v = int64(time.Since(base)) + 1
			default:
				stack[0] = wasiabi.ErrnoInval
				return
			}
			if !mod.Memory().WriteUint64Le(uint32(stack[2]), uint64(v)) {
				stack[0] = wasiabi.ErrnoFault
				return
			}
			stack[0] = wasiabi.ErrnoSuccess
		}), []api.ValueType{api.ValueTypeI32, api.ValueTypeI64, api.ValueTypeI32}, []api.ValueType{api.ValueTypeI32}).
		WithParameterNames("id", "precision", "result.timestamp").
		Export("clock_time_get")
}
