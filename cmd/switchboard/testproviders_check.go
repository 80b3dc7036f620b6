package main

import (
	"os"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/internal/brokenconnector"
)

// The providers with deliberate pagination bugs, for trying "switchboard
// check" and for the tests: registered only when asked for.
func init() {
	if os.Getenv("SWITCHBOARD_TEST_PROVIDERS") == "1" {
		registerBrokenProviders()
	}
}

func registerBrokenProviders() {
	for _, b := range brokenconnector.Bugs {
		if _, ok := connector.Default().Lookup(brokenconnector.Name(b)); !ok {
			connector.Register(brokenconnector.Provider(b))
		}
	}
	for _, b := range brokenconnector.HTTPBugs {
		if _, ok := connector.Default().Lookup(brokenconnector.HTTPName(b)); !ok {
			connector.Register(brokenconnector.HTTPProvider(b))
		}
	}
}
