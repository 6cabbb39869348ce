//go:build !linux

package wasihost

import "github.com/tetratelabs/wazero"

// inlinePoll says that this platform keeps wazero's poll_oneoff: a watcher
// goroutine per socket rings the doorbell instead.
const inlinePoll = false

type pollState struct{}

func (t *table) exportPoll(wazero.HostModuleBuilder) {}

func (t *table) wait(int64, bool) bool { return false }
