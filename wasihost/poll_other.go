//go:build !linux

package wasihost

import "github.com/tetratelabs/wazero"

// inlinePoll says that this platform keeps wazero's poll_oneoff: a watcher
// goroutine per socket rings the doorbell instead.
const inlinePoll = false

// pollState is the inline poll's scratch space, which this platform does not need.
//
//lint:ignore U1000 table embeds it on every platform
type pollState struct{}

func (t *table) exportPoll(wazero.HostModuleBuilder) {}
