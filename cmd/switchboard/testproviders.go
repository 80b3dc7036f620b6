package main

import (
	"os"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/internal/testconnector"
)

// The daemon's end-to-end tests drive the real binary with providers that
// misbehave on purpose; they are registered only when asked for.
func init() {
	if os.Getenv("SWITCHBOARD_TEST_PROVIDERS") == "1" {
		connector.Register(testconnector.Provider())
	}
}
