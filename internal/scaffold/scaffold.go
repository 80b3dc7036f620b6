// Package scaffold writes a new connector module: what `switchboard new
// connector NAME` makes.
package scaffold

import (
	"bufio"
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"text/template"
)

//go:embed template/*.tmpl
var templates embed.FS

// ModulePath is Switchboard's module path.
const ModulePath = "github.com/switchboardpay/switchboard"

// Options say what to write.
type Options struct {
	// Name is the provider name, also the default module path.
	Name string
	// Dir is where the module is written; it must not exist or be empty.
	Dir string
	// Module is the module path; Name when empty.
	Module string
	// Replace is the path of a Switchboard checkout for a replace
	// directive in go.mod; empty writes none.
	Replace string
	// Version is the Switchboard version go.mod requires (default
	// v0.0.0, which only a replace directive makes resolvable).
	Version string
}

var validName = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)

// Write writes the module and returns the files written, relative to Dir.
func Write(o Options) ([]string, error) {
	if !validName.MatchString(o.Name) {
		return nil, fmt.Errorf("connector name %q: use lower case letters, digits, - and _, starting with a letter", o.Name)
	}
	if o.Module == "" {
		o.Module = o.Name
	}
	if o.Version == "" {
		o.Version = "v0.0.0"
	}
	if o.Replace != "" {
		abs, err := filepath.Abs(o.Replace)
		if err != nil {
			return nil, err
		}
		o.Replace = abs
	}
	if entries, err := os.ReadDir(o.Dir); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("%s exists and is not empty", o.Dir)
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, err
	}
	var written []string
	err := fs.WalkDir(templates, "template", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := templates.ReadFile(p)
		if err != nil {
			return err
		}
		t, err := template.New(p).Parse(string(raw))
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := t.Execute(&buf, o); err != nil {
			return err
		}
		name := strings.TrimSuffix(filepath.Base(p), ".tmpl")
		if err := os.WriteFile(filepath.Join(o.Dir, name), buf.Bytes(), 0o644); err != nil {
			return err
		}
		written = append(written, name)
		return nil
	})
	if err != nil {
		return nil, err
	}
	// go.sum entries of Switchboard's own dependencies, so that the module
	// builds without a network when the checkout's are in the module cache.
	if o.Replace != "" {
		if sum, err := os.ReadFile(filepath.Join(o.Replace, "go.sum")); err == nil {
			if err := os.WriteFile(filepath.Join(o.Dir, "go.sum"), sum, 0o644); err == nil {
				written = append(written, "go.sum")
			}
		}
	}
	return written, nil
}

// FindCheckout returns the root of a Switchboard checkout that contains
// dir (its go.mod names ModulePath), or "".
func FindCheckout(dir string) string {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	for {
		if isCheckout(dir) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

func isCheckout(dir string) bool {
	f, err := os.Open(filepath.Join(dir, "go.mod"))
	if err != nil {
		return false
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		if strings.HasPrefix(line, "module ") {
			return strings.TrimSpace(strings.TrimPrefix(line, "module ")) == ModulePath
		}
	}
	return false
}

// Dependency is how a new module gets Switchboard: a checkout to point a
// replace directive at, or else a released version to require.
type Dependency struct {
	Replace string
	Version string
}

// ErrNoDependency says that no checkout and no released version was found,
// so a go.mod written now would not resolve.
var ErrNoDependency = errors.New("no Switchboard checkout or released version found")

// FindDependency finds what a new module should depend on: the checkout
// containing the current directory, else the one containing the running
// binary, else the one the binary was built from (its source path, unless
// built with -trimpath), else the released version the binary is (go
// install ...@vX.Y.Z).
func FindDependency() (Dependency, error) {
	wd, _ := os.Getwd()
	exe, _ := os.Executable()
	if real, err := filepath.EvalSymlinks(exe); err == nil {
		exe = real
	}
	_, src, _, _ := runtime.Caller(0)
	bi, _ := debug.ReadBuildInfo()
	return findDependency(wd, exe, src, bi)
}

// findDependency is FindDependency over its inputs: the working
// directory, the executable, this file's path at build time, and the
// binary's build info.
func findDependency(wd, exe, src string, bi *debug.BuildInfo) (Dependency, error) {
	for _, dir := range []string{wd, filepath.Dir(exe)} {
		if dir == "" || dir == "." {
			continue
		}
		if c := FindCheckout(dir); c != "" {
			return Dependency{Replace: c}, nil
		}
	}
	if filepath.IsAbs(src) {
		if c := FindCheckout(filepath.Dir(src)); c != "" {
			return Dependency{Replace: c}, nil
		}
	}
	version := "(unknown)"
	if bi != nil && bi.Main.Path == ModulePath {
		version = bi.Main.Version
		local := false
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				local = true // built in a checkout, not fetched by go install
			}
		}
		if !local && version != "" && version != "(devel)" && !strings.Contains(version, "+") {
			return Dependency{Version: version}, nil
		}
	}
	return Dependency{}, fmt.Errorf("%w: this switchboard binary was built outside a checkout that still exists, and is no released version (it says %s), so go.mod could require nothing that resolves", ErrNoDependency, version)
}
