package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// readmeBlock is one fenced block of the README.
type readmeBlock struct {
	lang string
	line int // of the opening fence
	text string
}

func readmeBlocks(t *testing.T, path string) []readmeBlock {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []readmeBlock
	var cur *readmeBlock
	for i, l := range strings.Split(string(raw), "\n") {
		switch {
		case cur == nil && strings.HasPrefix(l, "```"):
			cur = &readmeBlock{lang: strings.TrimPrefix(l, "```"), line: i + 1}
		case cur != nil && l == "```":
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			cur.text += l + "\n"
		}
	}
	if cur != nil {
		t.Fatalf("README: block at line %d is not closed", cur.line)
	}
	return blocks
}

// readmeNotRun are the README's shell blocks this test does not run, by
// their first line, with the reason.
var readmeNotRun = map[string]string{
	"go run ./cmd/switchboard serve   # run: the daemon on ws://127.0.0.1:7777/rpc": "the two set-up commands: serve runs until stopped (this test runs its own) and make test runs this test",
	"TOKEN=$(jq -r .token ~/.local/state/switchboard/daemon.json)":                  "websocat is not installed here; test/vscode-jsonrpc walks the same session with an editor's client",
	"make bench": "minutes of benchmarks; docs/benchmarks.md has their figures",
	"switchboard testgen --from acme.yaml --dir ./acme   # a Go test with golden files": "needs a cassette of the module's own connector; TestTestgenPassesThenFailsAfterMappingChange records one and runs the generated test",
}

// readmeVolatile are the parts of an output that change from run to run:
// the test compares what is left, the shape.
var readmeVolatile = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`), "<uuid>"},
	{regexp.MustCompile(`\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?Z?`), "<time>"},
	{regexp.MustCompile(`\b\d+(\.\d+)?(ms|µs|s)\b`), "<duration>"},
	{regexp.MustCompile(`\bsb-[0-9a-f]{12}\b`), "<reference>"},
	{regexp.MustCompile(`\b(po|tr)_[0-9a-f]{16}\b`), "<id>"},
	{regexp.MustCompile(`\(pid \d+\)`), "(pid <pid>)"},
	{regexp.MustCompile(`(^|\s)(/|~/)\S+`), "$1<path>"},
	{regexp.MustCompile(` +`), " "}, // column widths follow the values
}

func readmeShape(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		for _, v := range readmeVolatile {
			l = v.re.ReplaceAllString(l, v.with)
		}
		out = append(out, strings.TrimRight(l, " "))
	}
	return out
}

// TestREADME runs the README's shell examples, in order, with bash against
// this binary (as ./bin/switchboard, in a scratch directory), a real serve
// of its own found through $SWITCHBOARD_STATE_DIR, and the demo bank on a
// free port in place of 127.0.0.1:8081. Where the README shows an output
// after a block, the block's last command must print it, volatile values
// (ids, times, durations, paths) aside. A new shell block must be run here
// or listed in readmeNotRun.
func TestREADME(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every README example, a connector build included")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	bin := filepath.Join(work, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(exe, filepath.Join(bin, "switchboard")); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(work, "state")
	spawnServe(t, state)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	bank := ln.Addr().String()
	ln.Close()
	substitute := strings.NewReplacer(
		"./bin/switchboard demobank &", "./bin/switchboard demobank --listen "+bank+" > bank.url & until [ -s bank.url ]; do sleep 0.05; done;",
		"127.0.0.1:8081", bank,
	)
	assign := regexp.MustCompile(`(?m)^([A-Za-z_][A-Za-z0-9_]*)=`)

	blocks := readmeBlocks(t, filepath.Join("..", "..", "README.md"))
	ran := 0
	for i, b := range blocks {
		if b.lang != "sh" {
			continue
		}
		first, _, _ := strings.Cut(b.text, "\n")
		if _, skip := readmeNotRun[first]; skip {
			continue
		}
		var lines []string
		for _, l := range strings.Split(strings.TrimRight(b.text, "\n"), "\n") {
			if strings.HasPrefix(l, "go build ") {
				continue // the binary is this test's
			}
			lines = append(lines, substitute.Replace(l))
		}
		if len(lines) == 0 {
			t.Errorf("README block at line %d runs nothing", b.line)
			continue
		}
		out := filepath.Join(work, fmt.Sprintf("out-%d.txt", i))
		var script strings.Builder
		// Variables a block sets (ID=...) carry over to the next blocks.
		script.WriteString("[ -f .readme-env ] && . ./.readme-env\nset -e\ntrap 'kill $(jobs -p) 2>/dev/null; wait' EXIT\n")
		for _, l := range lines[:len(lines)-1] {
			script.WriteString(l + "\n")
		}
		// The last command's status is not checked: its output is, and an
		// example may show an error.
		fmt.Fprintf(&script, "set +e\n%s >%q 2>&1\n", lines[len(lines)-1], out)
		for _, m := range assign.FindAllStringSubmatch(b.text, -1) {
			fmt.Fprintf(&script, "declare -p %s >> .readme-env\n", m[1])
		}
		script.WriteString("exit 0\n")
		cmd := exec.Command("bash", "-c", script.String())
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "SWITCHBOARD_STATE_DIR="+state)
		done := make(chan struct{})
		var log []byte
		go func() { log, err = cmd.CombinedOutput(); close(done) }()
		select {
		case <-done:
		case <-time.After(3 * time.Minute):
			_ = cmd.Process.Kill()
			<-done
			t.Fatalf("README block at line %d still running after 3 minutes", b.line)
		}
		got, _ := os.ReadFile(out)
		if err != nil {
			t.Errorf("README block at line %d failed: %v\n%s\nlast command:\n%s", b.line, err, log, got)
			continue
		}
		ran++
		if i+1 >= len(blocks) || blocks[i+1].lang != "" {
			continue // no output shown
		}
		want := readmeShape(blocks[i+1].text)
		have := readmeShape(string(got))
		if strings.Join(want, "\n") != strings.Join(have, "\n") {
			t.Errorf("README block at line %d: the output differs from the README's (line %d), volatile values aside\nREADME:\n%s\n\nran:\n%s", b.line, blocks[i+1].line, blocks[i+1].text, got)
		}
	}
	if ran < 8 {
		t.Errorf("ran %d README blocks: the README lost its examples?", ran)
	}
}
