// Command switchboard is the Switchboard connector development daemon and
// its command-line client.
//
//	switchboard serve          websocket daemon on 127.0.0.1:7777
//	switchboard stdio          one LSP-framed connection on stdin/stdout
//
// Run switchboard --help for every command.
package main

import (
	"errors"
	"fmt"
	"os"
)

func main() {
	if err := newRootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "switchboard:", err)
		if errors.Is(err, errCheckFailed) || errors.Is(err, errDrifted) {
			os.Exit(1)
		}
		os.Exit(2)
	}
}
