package session

import (
	"bytes"
	"fmt"
	"reflect"
	"runtime"
	"strings"
)

// checkLeaks reports the goroutines a closed connector left running: any
// goroutine still executing code of the connector's package once the
// connector is closed and no other session of its provider is open. It is
// a diagnostic (a warning log to the session's subscribers and the
// daemon's log), not an error: the goroutines are the connector's.
func (m *Manager) checkLeaks(s *Session) {
	pkg := connectorPackage(s.conn)
	if pkg == "" {
		return
	}
	m.mu.RLock()
	for _, other := range m.sessions {
		if other.provider == s.provider {
			m.mu.RUnlock()
			return // its goroutines could be the other session's
		}
	}
	m.mu.RUnlock()
	n := goroutinesIn(pkg)
	if n == 0 {
		return
	}
	msg := fmt.Sprintf("connector %s left %d goroutine(s) running in %s after its session closed", s.provider, n, pkg)
	s.warn(msg, "goroutines", n, "package", pkg)
	m.logger.Warn(msg, "session", s.id)
}

// connectorPackage is the import path of the connector's type, or "" for
// the daemon's own proxies (whose goroutines are the daemon's).
func connectorPackage(c any) string {
	t := reflect.TypeOf(c)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.PkgPath() == "" || strings.Contains(t.PkgPath(), "/daemon/") {
		return ""
	}
	return t.PkgPath()
}

// goroutinesIn counts the goroutines with a frame in package pkg.
func goroutinesIn(pkg string) int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	count := 0
	needle := []byte("\n" + pkg + ".")
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		if bytes.Contains(g, needle) {
			count++
		}
	}
	return count
}
