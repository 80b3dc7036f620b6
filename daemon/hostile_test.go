package daemon_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/switchboardpay/switchboard/daemon"
	"github.com/switchboardpay/switchboard/internal/testconnector"
	"github.com/switchboardpay/switchboard/protocol"
)

// TestHostileClientsDoNotDisturbASync runs one client's sync while others
// send what no client should, and checks the sync gets every page.
func TestHostileClientsDoNotDisturbASync(t *testing.T) {
	d := daemon.New(daemon.Options{Registry: testconnector.Registry(), Logger: quietLogger(), MaxMessageSize: 64 << 10})
	defer d.Close()
	srv := startWS(t, d)
	good := newPeer(t, dialWS(t, srv))
	good.initialize()
	s := createTest(t, good, `{"payments":30000,"behave":"slow","sleepMs":3}`)
	done := good.expect(`"sync"`)
	good.w.send([]byte(`{"jsonrpc":"2.0","id":"sync","method":"fetch/all","params":{"sessionId":"` + s.ID + `","resource":"payments","pageSize":100}}`))
	waitFor(t, func() bool { return len(good.notifications("fetch/page")) > 0 })

	addr := strings.TrimPrefix(srv.URL, "http://")
	wsURL := "ws://" + addr + "/rpc"
	hdr := http.Header{"Authorization": {"Bearer " + testToken}}
	var wg sync.WaitGroup
	attack := func(name string, fn func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}()
	}
	attack("oversized websocket message", func() error {
		c, _, err := websocket.DefaultDialer.Dial(wsURL, hdr)
		if err != nil {
			return err
		}
		defer c.Close()
		c.WriteMessage(websocket.TextMessage, []byte(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"pad":"`+strings.Repeat("x", 100<<10)+`"}}`))
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				if websocket.IsCloseError(err, websocket.CloseMessageTooBig, websocket.CloseNormalClosure) || strings.Contains(err.Error(), "1009") {
					return nil
				}
				return fmt.Errorf("want a close 1009, got %v", err)
			}
		}
	})
	attack("oversized LSP frame", func() error {
		w, code := inProcessStdio(t, d)
		defer w.close()
		w.sendFrame("Content-Length: 1000000000\r\n\r\n{")
		raw, err := w.recv()
		if err != nil {
			return err
		}
		var m message
		json.Unmarshal(raw, &m)
		if m.Error == nil || m.Error.Code != protocol.CodeInvalidRequest || !strings.Contains(m.Error.Message, "too large") {
			return fmt.Errorf("answer %s", raw)
		}
		select {
		case <-code:
			return nil
		case <-time.After(5 * time.Second):
			return fmt.Errorf("connection not closed")
		}
	})
	attack("Content-Length that lies", func() error {
		w, code := inProcessStdio(t, d)
		defer w.close()
		w.sendFrame("Content-Length: 10\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\"}")
		raw, err := w.recv()
		if err != nil {
			return err
		}
		var m message
		json.Unmarshal(raw, &m)
		if m.Error == nil || m.Error.Code != protocol.CodeParseError {
			return fmt.Errorf("answer %s", raw)
		}
		// The rest of the lie cannot be framed; the connection waits for a
		// header that makes sense, and ends cleanly when the client goes.
		w.close()
		select {
		case <-code:
			return nil
		case <-time.After(5 * time.Second):
			return fmt.Errorf("connection not ended after the client closed")
		}
	})
	attack("slowloris", func() error {
		// Half an HTTP request, and half a websocket frame after an upgrade.
		c1, err := net.Dial("tcp", addr)
		if err != nil {
			return err
		}
		defer c1.Close()
		fmt.Fprintf(c1, "GET /rpc HTTP/1.1\r\nHost: %s\r\n", addr)
		c2, _, err := websocket.DefaultDialer.Dial(wsURL, hdr)
		if err != nil {
			return err
		}
		defer c2.Close()
		w, err := c2.NextWriter(websocket.TextMessage)
		if err != nil {
			return err
		}
		w.Write([]byte(`{"jsonrpc":"2.0","id":1,"meth`))
		time.Sleep(500 * time.Millisecond)
		return nil
	})
	attack("a thousand connections opened and dropped", func() error {
		var inner sync.WaitGroup
		errs := make(chan error, 1000)
		for i := 0; i < 1000; i++ {
			inner.Add(1)
			go func(i int) {
				defer inner.Done()
				switch i % 4 {
				case 0: // upgraded, then dropped mid-request
					c, _, err := websocket.DefaultDialer.Dial(wsURL, hdr)
					if err != nil {
						errs <- err
						return
					}
					c.WriteMessage(websocket.TextMessage, []byte(`{"jsonrpc":"2.0","id":1,"method":"initialize"}`))
					c.Close()
				case 1: // no token
					c, resp, _ := websocket.DefaultDialer.Dial(wsURL, nil)
					if c != nil {
						c.Close()
						errs <- fmt.Errorf("accepted without a token")
					} else if resp == nil || resp.StatusCode != 401 {
						errs <- fmt.Errorf("no token: %v", resp)
					}
				case 2: // foreign origin
					h := http.Header{"Authorization": {"Bearer " + testToken}, "Origin": {"https://evil.example"}}
					c, resp, _ := websocket.DefaultDialer.Dial(wsURL, h)
					if c != nil {
						c.Close()
						errs <- fmt.Errorf("accepted a foreign origin")
					} else if resp == nil || resp.StatusCode != 403 {
						errs <- fmt.Errorf("foreign origin: %v", resp)
					}
				case 3: // TCP connect and close
					if c, err := net.Dial("tcp", addr); err == nil {
						c.Close()
					}
				}
			}(i)
		}
		inner.Wait()
		close(errs)
		for err := range errs {
			return err
		}
		return nil
	})
	wg.Wait()

	select {
	case m := <-done:
		if m.Error != nil {
			t.Fatalf("the sync failed: %+v", m.Error)
		}
		var res protocol.FetchAllResult
		json.Unmarshal(m.Result, &res)
		if res.Items != 30000 || len(good.notifications("fetch/page")) != res.Pages {
			t.Errorf("sync %+v with %d pages notified", res, len(good.notifications("fetch/page")))
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the sync did not finish")
	}
}

func TestRefusesNonLoopbackWithoutOptIn(t *testing.T) {
	d := newTestDaemon()
	defer d.Close()
	err := d.ListenAndServe(context.Background(), daemon.ServeOptions{Listen: "0.0.0.0:0", StateDir: t.TempDir(), Stderr: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "--allow-remote") {
		t.Fatalf("bind 0.0.0.0 without opt-in: %v", err)
	}
}
