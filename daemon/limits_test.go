package daemon_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/switchboardpay/switchboard/daemon"
	"github.com/switchboardpay/switchboard/internal/testconnector"
	"github.com/switchboardpay/switchboard/protocol"
)

// Oversized names, configs and states, and one session too many, are
// answered with CodeLimitExceeded naming the limit and its flag, and the
// daemon keeps serving.
func TestLimits(t *testing.T) {
	d := daemon.New(daemon.Options{Registry: testconnector.Registry(), Logger: quietLogger(), MaxSessions: 3, MaxStateSize: 4096})
	defer d.Close()
	p := newPeer(t, dialWS(t, startWS(t, d)))
	p.initialize()
	want := func(m message, limit, flag string) {
		t.Helper()
		if m.Error == nil || m.Error.Code != protocol.CodeLimitExceeded {
			t.Fatalf("got %+v, want error %d", m, protocol.CodeLimitExceeded)
		}
		var data protocol.LimitData
		if err := json.Unmarshal(m.Error.Data, &data); err != nil || data.Limit != limit || data.Flag != flag {
			t.Errorf("data %s, want limit %q flag %q", m.Error.Data, limit, flag)
		}
		if flag != "" && !strings.Contains(m.Error.Message, flag) {
			t.Errorf("message %q does not name %s", m.Error.Message, flag)
		}
	}
	big := strings.Repeat("x", 5000)
	want(p.call("session/create", fmt.Sprintf(`{"provider":"test","name":%q}`, strings.Repeat("n", 257))), "sessionName", "")
	want(p.call("session/create", fmt.Sprintf(`{"provider":"test","config":{"behave":"","secret":%q}}`, big)), "config", "--max-state-size")

	var s struct {
		ID string `json:"id"`
	}
	p.ok("session/create", fmt.Sprintf(`{"provider":"test","name":%q}`, strings.Repeat("n", 256)), &s)
	want(p.call("state/set", fmt.Sprintf(`{"sessionId":%q,"resource":"payments","state":{"offset":0,"pad":%q}}`, s.ID, big)), "state", "--max-state-size")
	want(p.call("fetch/next", fmt.Sprintf(`{"sessionId":%q,"resource":"payments","state":{"pad":%q}}`, s.ID, big)), "state", "--max-state-size")
	want(p.call("fetch/next", fmt.Sprintf(`{"sessionId":%q,"resource":"payments","fromPayload":{"pad":%q}}`, s.ID, big)), "fromPayload", "--max-state-size")
	p.ok("state/set", fmt.Sprintf(`{"sessionId":%q,"resource":"payments","state":{"offset":5}}`, s.ID), nil)

	p.ok("session/create", `{"provider":"test"}`, nil)
	p.ok("session/create", `{"provider":"test"}`, nil)
	want(p.call("session/create", `{"provider":"test"}`), "sessions", "--max-sessions")
	// Closing one makes room.
	p.ok("session/close", fmt.Sprintf(`{"sessionId":%q}`, s.ID), nil)
	p.ok("session/create", `{"provider":"test"}`, nil)
	var list struct {
		Sessions []json.RawMessage `json:"sessions"`
	}
	p.ok("session/list", nil, &list)
	if len(list.Sessions) != 3 {
		t.Errorf("%d sessions open, want 3", len(list.Sessions))
	}
}

// The defaults: 256-byte names, 1 MiB states and configs, 1,000 sessions.
func TestDefaultLimits(t *testing.T) {
	d := newTestDaemon()
	defer d.Close()
	p := newPeer(t, dialWS(t, startWS(t, d)))
	p.initialize()
	m := p.call("session/create", fmt.Sprintf(`{"provider":"test","config":{"secret":%q}}`, strings.Repeat("x", 1<<20)))
	if m.Error == nil || m.Error.Code != protocol.CodeLimitExceeded || !strings.Contains(m.Error.Message, "1048576") {
		t.Errorf("a 1 MiB config: %+v", m.Error)
	}
	for i := range 1000 {
		if m := p.call("session/create", `{"provider":"test"}`); m.Error != nil {
			t.Fatalf("session %d: %+v", i+1, m.Error)
		}
	}
	m = p.call("session/create", `{"provider":"test"}`)
	if m.Error == nil || m.Error.Code != protocol.CodeLimitExceeded || !strings.Contains(m.Error.Message, "1000") {
		t.Errorf("session 1001: %+v", m.Error)
	}
}
