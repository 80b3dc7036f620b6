package daemon_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/switchboardpay/switchboard/daemon"
	"github.com/switchboardpay/switchboard/internal/testconnector"
	"github.com/switchboardpay/switchboard/protocol"
)

// fuzzPeer is one daemon and one connection per fuzzing process: params
// of every method, whatever their shape, must get a coded answer.
var (
	fuzzOnce    sync.Once
	fuzzPeerVal *peer
	fuzzDaemon  *daemon.Daemon
	fuzzSession string
	fuzzSeq     int
)

var fuzzMethods = []string{
	"providers/list", "session/create", "session/list", "session/get", "session/reset", "session/install",
	"session/subscribe", "session/unsubscribe", "fetch/next", "fetch/all", "sync/run", "state/get", "state/set",
	"bankAccount/create", "transfer/create", "payout/create", "transfer/poll", "payout/poll", "transfer/reverse",
	"payout/reverse", "data/list", "data/export", "data/import", "http/list", "log/list", "calls/list", "nope/nope",
}

var fuzzCodes = map[int]bool{
	protocol.CodeInvalidRequest: true, protocol.CodeMethodNotFound: true, protocol.CodeInvalidParams: true,
	protocol.CodeSessionNotFound: true, protocol.CodeProviderNotFound: true, protocol.CodeCapabilityUnsupported: true,
	protocol.CodeConnectorError: true, protocol.CodeSessionBusy: true, protocol.CodeInternalError: true,
}

func FuzzRequest(f *testing.F) {
	f.Add(uint8(8), []byte(`{"sessionId":"S","resource":"payments","pageSize":3}`))
	f.Add(uint8(8), []byte(`{"sessionId":"S","resource":"payments","state":{"offset":"x"}}`))
	f.Add(uint8(12), []byte(`{"sessionId":"S","resource":"balances","fromPayload":{"reference":1},"state":[1,2]}`))
	f.Add(uint8(1), []byte(`{"provider":"test","config":{"payments":-1}}`))
	f.Add(uint8(14), []byte(`{"sessionId":"S","initiation":{"amount":"1e5","asset":"EUR"}}`))
	f.Add(uint8(20), []byte(`{"sessionId":"S","resource":"payments","cursor":"!!","filter":{"createdAfter":"x"}}`))
	f.Add(uint8(9), []byte(`{"sessionId":"S","resource":"payments","maxPages":2,"workDoneToken":{}}`))
	f.Add(uint8(0), []byte(`[]`))
	f.Add(uint8(3), []byte(`"S"`))
	f.Fuzz(func(t *testing.T, m uint8, params []byte) {
		fuzzOnce.Do(func() {
			d := daemon.New(daemon.Options{Registry: testconnector.Registry(), Logger: quietLogger()})
			fuzzDaemon = d
			w, _ := inProcessStdio(t, d)
			// The peer outlives this first input: it belongs to the process.
			fuzzPeerVal = &peer{t: t, w: w, resp: map[string]chan message{}, done: make(chan struct{})}
			go fuzzPeerVal.read()
			fuzzPeerVal.initialize()
			var s protocol.Session
			fuzzPeerVal.ok("session/create", `{"provider":"test","config":{"payments":20}}`, &s)
			fuzzSession = s.ID
		})
		p := fuzzPeerVal
		p.t = t
		method := fuzzMethods[int(m)%len(fuzzMethods)]
		if method == "data/export" || method == "data/import" {
			return // they touch the file system by design
		}
		body := params
		// Let inputs name the live session.
		body = []byte(strings.ReplaceAll(string(body), `"S"`, `"`+fuzzSession+`"`))
		if !json.Valid(body) {
			body, _ = json.Marshal(string(params))
		}
		fuzzSeq++
		id := fmt.Sprint(fuzzSeq)
		msg := p.sendRaw(`{"jsonrpc":"2.0","id":`+id+`,"method":"`+method+`","params":`+string(body)+`}`, id)
		if msg.Error != nil && !fuzzCodes[msg.Error.Code] {
			t.Fatalf("%s %s: code %d %s", method, body, msg.Error.Code, msg.Error.Message)
		}
		if msg.Error != nil && msg.Error.Code == protocol.CodeInternalError {
			t.Fatalf("%s %s: internal error %s", method, body, msg.Error.Message)
		}
	})
}

// closeFuzzPeer ends the process-wide fuzz daemon (from TestMain, before
// goleak looks).
func closeFuzzPeer() {
	if fuzzPeerVal == nil {
		return
	}
	fuzzPeerVal.w.close()
	<-fuzzPeerVal.done
	fuzzDaemon.Close()
}
