package daemon_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/switchboardpay/switchboard/daemon"
	"github.com/switchboardpay/switchboard/internal/testconnector"
	"github.com/switchboardpay/switchboard/protocol"
)

func TestMisbehavingConnectors(t *testing.T) {
	d := daemon.New(daemon.Options{Registry: testconnector.Registry(), Logger: quietLogger(), CallTimeout: 300 * time.Millisecond})
	defer d.Close()
	p := newPeer(t, dialWS(t, startWS(t, d)))
	p.initialize()
	for _, tc := range []struct {
		behave  string
		code    int
		message string
	}{
		{"deaf", protocol.CodeConnectorError, "call timeout"},
		{"noref", protocol.CodeConnectorError, "has no reference"},
		{"badstate", protocol.CodeConnectorError, "not valid JSON"},
		{"panic", protocol.CodeConnectorPanicked, "panicked"},
	} {
		t.Run(tc.behave, func(t *testing.T) {
			s := createTest(t, p, `{"behave":"`+tc.behave+`"}`)
			start := time.Now()
			m := p.call("fetch/next", `{"sessionId":"`+s.ID+`","resource":"payments"}`)
			if got := errCode(t, m); got != tc.code || !strings.Contains(m.Error.Message+string(m.Error.Data), tc.message) {
				t.Errorf("code %d %q %s, want %d %q", got, m.Error.Message, m.Error.Data, tc.code, tc.message)
			}
			if el := time.Since(start); el > 2*time.Second {
				t.Errorf("answered after %v", el)
			}
			// The session stays usable and its key free.
			p.ok("state/set", `{"sessionId":"`+s.ID+`","resource":"payments","state":null}`, nil)
			var calls protocol.CallsListResult
			p.ok("calls/list", `{"sessionId":"`+s.ID+`"}`, &calls)
			if len(calls.Calls) != 1 || calls.Calls[0].Error == "" {
				t.Errorf("call history %+v", calls.Calls)
			}
		})
	}
	t.Run("dupref", func(t *testing.T) {
		s := createTest(t, p, `{"behave":"dupref","payments":10}`)
		var pg protocol.Page
		p.ok("fetch/next", `{"sessionId":"`+s.ID+`","resource":"payments"}`, &pg)
		var logs protocol.LogListResult
		p.ok("log/list", `{"sessionId":"`+s.ID+`","level":"warn"}`, &logs)
		if len(logs.Logs) != 1 || !strings.Contains(logs.Logs[0].Message, `same reference "pay_0"`) {
			t.Errorf("warnings %+v", logs.Logs)
		}
		var data protocol.DataListResult
		p.ok("data/list", `{"sessionId":"`+s.ID+`","resource":"payments"}`, &data)
		if data.Total != 9 {
			t.Errorf("stored %d payments, want 9", data.Total)
		}
	})
	t.Run("cancel a deaf connector", func(t *testing.T) {
		s := createTest(t, p, `{"behave":"deaf","sleepMs":60000}`)
		ch := p.expect(`"deaf"`)
		p.w.send([]byte(`{"jsonrpc":"2.0","id":"deaf","method":"fetch/next","params":{"sessionId":"` + s.ID + `","resource":"payments"}}`))
		time.Sleep(50 * time.Millisecond)
		start := time.Now()
		p.notify("$/cancelRequest", `{"id":"deaf"}`)
		select {
		case m := <-ch:
			if errCode(t, m) != protocol.CodeRequestCancelled {
				t.Errorf("code %d", m.Error.Code)
			}
			t.Logf("cancel answered in %v", time.Since(start))
		case <-time.After(2 * time.Second):
			t.Fatal("cancel not answered")
		}
	})
}

func TestLeakingConnectorIsReported(t *testing.T) {
	d := daemon.New(daemon.Options{Registry: testconnector.Registry(), Logger: quietLogger()})
	defer d.Close()
	p := newPeer(t, dialWS(t, startWS(t, d)))
	p.initialize()
	s := createTest(t, p, `{"behave":"leak","payments":5}`)
	p.ok("fetch/next", `{"sessionId":"`+s.ID+`","resource":"payments"}`, nil)
	p.ok("session/close", `{"sessionId":"`+s.ID+`"}`, nil)
	waitFor(t, func() bool {
		for _, n := range p.notifications("log") {
			var l protocol.LogParams
			json.Unmarshal(n.Params, &l)
			if l.Level == "warn" && strings.Contains(l.Message, "left") && strings.Contains(l.Message, "goroutine") {
				return true
			}
		}
		return false
	})
}
