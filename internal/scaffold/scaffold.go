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

// DefaultReplace finds the checkout to point a new module at: the one
// containing the current directory, else the one containing the running
// binary.
func DefaultReplace() (string, error) {
	if wd, err := os.Getwd(); err == nil {
		if c := FindCheckout(wd); c != "" {
			return c, nil
		}
	}
	if exe, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		if c := FindCheckout(filepath.Dir(exe)); c != "" {
			return c, nil
		}
	}
	return "", errors.New("no Switchboard checkout found around the current directory or the binary")
}
