package main

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// runAsMain makes the test binary behave as switchboard itself when the
// bench starts "its own binary" as a child daemon: under go test that
// binary is this one.
const runAsMain = "SWITCHBOARD_CLI_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runAsMain) == "1" {
		main()
		os.Exit(0)
	}
	os.Setenv(runAsMain, "1")
	goleak.VerifyTestMain(m)
}
