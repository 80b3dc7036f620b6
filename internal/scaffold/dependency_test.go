package scaffold

import (
	"errors"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Where a new module's Switchboard comes from, for a binary run from a
// checkout, copied out of one, installed at a release, or built somewhere
// that is gone (finding 12: the last got a go.mod that could not resolve).
func TestFindDependency(t *testing.T) {
	checkout := FindCheckout(".")
	if checkout == "" {
		t.Fatal("no checkout around the test")
	}
	elsewhere := t.TempDir()
	src := filepath.Join(checkout, "internal", "scaffold", "scaffold.go")
	released := &debug.BuildInfo{Main: debug.Module{Path: ModulePath, Version: "v0.4.1"}}
	local := &debug.BuildInfo{Main: debug.Module{Path: ModulePath, Version: "v0.0.0-20261202161000-9790369abcde+dirty"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "9790369abcde"}}}
	devel := &debug.BuildInfo{Main: debug.Module{Path: ModulePath, Version: "(devel)"}}
	for _, tc := range []struct {
		name          string
		wd, exe, src  string
		bi            *debug.BuildInfo
		want          Dependency
		wantErrSubstr string
	}{
		{"in a checkout", filepath.Join(checkout, "cmd"), filepath.Join(elsewhere, "switchboard"), "", devel, Dependency{Replace: checkout}, ""},
		{"binary in a checkout", elsewhere, filepath.Join(checkout, "bin", "switchboard"), "", devel, Dependency{Replace: checkout}, ""},
		{"binary copied out, source still there", elsewhere, filepath.Join(elsewhere, "switchboard"), src, local, Dependency{Replace: checkout}, ""},
		{"go install at a release", elsewhere, filepath.Join(elsewhere, "switchboard"), "github.com/switchboardpay/switchboard/internal/scaffold/scaffold.go", released, Dependency{Version: "v0.4.1"}, ""},
		{"built with -trimpath from a checkout", elsewhere, filepath.Join(elsewhere, "switchboard"), "github.com/switchboardpay/switchboard/internal/scaffold/scaffold.go", local, Dependency{}, "is no released version (it says v0.0.0-20261202161000-9790369abcde+dirty)"},
		{"source gone", elsewhere, filepath.Join(elsewhere, "switchboard"), filepath.Join(elsewhere, "gone", "internal", "scaffold", "scaffold.go"), devel, Dependency{}, "(it says (devel))"},
		{"no build info", elsewhere, filepath.Join(elsewhere, "switchboard"), "", nil, Dependency{}, "(it says (unknown))"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := findDependency(tc.wd, tc.exe, tc.src, tc.bi)
			if tc.wantErrSubstr != "" {
				if !errors.Is(err, ErrNoDependency) || !strings.Contains(err.Error(), tc.wantErrSubstr) {
					t.Fatalf("got %+v, %v; want ErrNoDependency containing %q", got, err, tc.wantErrSubstr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("dependency (-want +got):\n%s", diff)
			}
		})
	}
}

func TestVersionInGoMod(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "acme")
	if _, err := Write(Options{Name: "acme", Dir: dir, Version: "v0.4.1"}); err != nil {
		t.Fatal(err)
	}
	mod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(mod), "require github.com/switchboardpay/switchboard v0.4.1") || strings.Contains(string(mod), "replace ") {
		t.Errorf("go.mod:\n%s", mod)
	}
}
