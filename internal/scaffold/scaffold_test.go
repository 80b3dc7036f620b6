package scaffold_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboardpay/switchboard/internal/scaffold"
)

// Generate writes a connector module next to this checkout's and readies
// it (go mod tidy), for tests of other packages too.
func TestScaffoldBuildsAndPasses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module")
	}
	root := scaffold.FindCheckout(".")
	if root == "" {
		t.Fatal("no checkout found")
	}
	dir := filepath.Join(t.TempDir(), "acme")
	files, err := scaffold.Write(scaffold.Options{Name: "acme", Dir: dir, Replace: root})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"go.mod", "main.go", "connector.go", "connector_test.go", "README.md"} {
		if !contains(files, want) {
			t.Fatalf("%s not written: %v", want, files)
		}
	}
	mod, _ := os.ReadFile(filepath.Join(dir, "go.mod"))
	if !strings.Contains(string(mod), "replace github.com/switchboardpay/switchboard => "+root) {
		t.Fatalf("go.mod:\n%s", mod)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	for _, args := range [][]string{{"mod", "tidy"}, {"vet", "./..."}, {"test", "-count=1", "./..."}} {
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	// A second scaffold into a non-empty directory is refused.
	if _, err := scaffold.Write(scaffold.Options{Name: "acme", Dir: dir}); err == nil {
		t.Fatal("wrote into a non-empty directory")
	}
	if _, err := scaffold.Write(scaffold.Options{Name: "Bad Name", Dir: t.TempDir()}); err == nil {
		t.Fatal("accepted a bad name")
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
