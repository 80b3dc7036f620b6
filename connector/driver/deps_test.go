package driver_test

import (
	"os/exec"
	"strings"
	"testing"
)

// What an author's `go test` compiles: the SDK, its test kits and the
// driver must not pull in the daemon (its store, capture, sessions) or
// the child-process RPC runtime.
func TestSDKImportsNoDaemon(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	pkgs := []string{"../../connector/driver", "../../connector/conformance", "../../connector/connectortest", "../../connector/cassette"}
	out, err := exec.Command("go", append([]string{"list", "-deps", "-f", "{{.ImportPath}}"}, pkgs...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	const mod = "github.com/switchboardpay/switchboard/"
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, mod+"daemon") || p == mod+"internal/rpc" || p == mod+"connector/connrpc" {
			t.Errorf("the SDK imports %s", p)
		}
	}
}
