package daemon_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboardpay/switchboard/daemon"
	"github.com/switchboardpay/switchboard/internal/testconnector"
	"github.com/switchboardpay/switchboard/protocol"
)

// Over websocket, whoever has the token could make the daemon build and
// run any directory as a connector: connectors/add is confined to
// --connector-root there, symlinks resolved.
func TestConnectorsAddConfinedOverWebsocket(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	inside := filepath.Join(root, "acme")
	_ = os.Mkdir(inside, 0o700)
	escape := filepath.Join(root, "escape")
	if err := os.Symlink(outside, escape); err != nil {
		t.Fatal(err)
	}
	add := func(d *daemon.Daemon, dir string) message {
		p := newPeer(t, dialWS(t, startWS(t, d)))
		p.initialize()
		return p.call("connectors/add", fmt.Sprintf(`{"dir":%q}`, dir))
	}
	reason := func(m message) string {
		if m.Error == nil || m.Error.Code != protocol.CodePathRefused {
			return ""
		}
		var data protocol.PathRefusedData
		_ = json.Unmarshal(m.Error.Data, &data)
		return data.Reason
	}

	none := daemon.New(daemon.Options{Registry: testconnector.Registry(), Logger: quietLogger()})
	defer none.Close()
	m := add(none, inside)
	if reason(m) != protocol.PathNoConnectorRoot || !strings.Contains(m.Error.Message, "--connector-root") {
		t.Errorf("without a root: %+v", m.Error)
	}

	d := daemon.New(daemon.Options{Registry: testconnector.Registry(), Logger: quietLogger(), ConnectorRoot: root})
	defer d.Close()
	for _, dir := range []string{outside, escape, filepath.Join(root, ".."), "/"} {
		if m := add(d, dir); reason(m) != protocol.PathOutsideRoot || !strings.Contains(m.Error.Message, root) {
			t.Errorf("connectors/add %s: %+v, want it refused naming the root", dir, m.Error)
		}
	}
	// Inside the root the check passes (the empty directory then fails to
	// build, with another error).
	if m := add(d, inside); m.Error != nil && m.Error.Code == protocol.CodePathRefused {
		t.Errorf("connectors/add under the root refused: %+v", m.Error)
	}

	// Over stdio (the editor's own daemon) any directory goes as before.
	w, _ := inProcessStdio(t, none)
	p := newPeer(t, w)
	p.initialize()
	if m := p.call("connectors/add", fmt.Sprintf(`{"dir":%q}`, outside)); m.Error != nil && m.Error.Code == protocol.CodePathRefused {
		t.Errorf("connectors/add over stdio refused: %+v", m.Error)
	}
}
