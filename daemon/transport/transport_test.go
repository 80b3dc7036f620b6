package transport

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sourcegraph/jsonrpc2"
)

func readAll(t *testing.T, input string, max int) (objs []string, out string, err error) {
	t.Helper()
	var w bytes.Buffer
	s := NewLSPStream(strings.NewReader(input), &w, nil, max)
	for {
		var v json.RawMessage
		if err = s.ReadObject(&v); err != nil {
			break
		}
		objs = append(objs, string(v))
	}
	return objs, w.String(), err
}

func frame(body string) string {
	return "Content-Length: " + itoa(len(body)) + "\r\n\r\n" + body
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestLSPReadSurvivesBadMessages(t *testing.T) {
	req := `{"jsonrpc":"2.0","id":1,"method":"m"}`
	for _, tc := range []struct {
		name    string
		input   string
		objs    []string
		replies []int // error codes written back
	}{
		{"one", frame(req), []string{req}, nil},
		{"other headers and case", "content-length: " + itoa(len(req)) + "\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n" + req, []string{req}, nil},
		{"bad json then good", frame(`{"id":`) + frame(req), []string{req}, []int{-32700}},
		{"batch then good", frame(`[`+req+`]`) + frame(req), []string{req}, []int{-32600}},
		{"scalar", frame(`"hello"`) + frame(req), []string{req}, []int{-32600}},
		{"empty body", frame(``) + frame(req), []string{req}, []int{-32700}},
		{"method not a string", frame(`{"jsonrpc":"2.0","id":2,"method":5}`) + frame(req), []string{req}, []int{-32600}},
		{"blank lines between frames", frame(req) + "\r\n" + frame(req), []string{req, req}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs, out, err := readAll(t, tc.input, 0)
			if !errors.Is(err, io.EOF) {
				t.Errorf("stream ended with %v, want EOF", err)
			}
			if diff := cmp.Diff(tc.objs, objs); diff != "" {
				t.Errorf("objects (-want +got):\n%s", diff)
			}
			var codes []int
			for _, part := range strings.Split(out, "Content-Length: ")[1:] {
				_, body, _ := strings.Cut(part, "\r\n\r\n")
				var r struct {
					Error struct{ Code int } `json:"error"`
				}
				json.Unmarshal([]byte(body), &r)
				codes = append(codes, r.Error.Code)
			}
			if diff := cmp.Diff(tc.replies, codes); diff != "" {
				t.Errorf("replies (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLSPBrokenFramingEndsStream(t *testing.T) {
	for _, tc := range []struct {
		name, input string
		want        string
	}{
		{"too large", "Content-Length: 1000\r\n\r\n", "too large"},
		{"no colon", "garbage\r\n\r\n", "malformed header"},
		{"bad length", "Content-Length: -4\r\n\r\n", "bad Content-Length"},
		{"length lies (short body)", "Content-Length: 50\r\n\r\n{}", "read body"},
		{"no Content-Length", "Content-Type: application/vscode-jsonrpc\r\n\r\n{}", "without Content-Length"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, out, err := readAll(t, tc.input, 100)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want %q", err, tc.want)
			}
			// A frame the stream cannot delimit is answered before the
			// connection closes, never waited on.
			if tc.want != "read body" && !strings.Contains(out, `"code":-32600`) {
				t.Errorf("no error answer before closing: %q", out)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     string // what jsonrpc2 is handed; "" for an error answer
		replyID  string // ReplyID of the id jsonrpc2 sees
		code     int
	}{
		{"plain number", `{"jsonrpc":"2.0","id":7,"method":"m"}`, `{"jsonrpc":"2.0","id":7,"method":"m"}`, "7", 0},
		{"plain string", `{"jsonrpc":"2.0","id":"a","method":"m"}`, `{"jsonrpc":"2.0","id":"a","method":"m"}`, `"a"`, 0},
		{"negative", `{"jsonrpc":"2.0","id":-1,"method":"m"}`, `{"id":"\u0000sb-id:1","jsonrpc":"2.0","method":"m"}`, "-1", 0},
		{"null", `{"jsonrpc":"2.0","id":null,"method":"m"}`, `{"id":"\u0000sb-id:1","jsonrpc":"2.0","method":"m"}`, "null", 0},
		{"fraction", `{"jsonrpc":"2.0","id":1.5,"method":"m"}`, `{"id":"\u0000sb-id:1","jsonrpc":"2.0","method":"m"}`, "1.5", 0},
		{"huge", `{"jsonrpc":"2.0","id":99999999999999999999,"method":"m"}`, `{"id":"\u0000sb-id:1","jsonrpc":"2.0","method":"m"}`, "99999999999999999999", 0},
		{"alias-like string", `{"jsonrpc":"2.0","id":"\u0000sb-id:1","method":"m"}`, `{"id":"\u0000sb-id:1","jsonrpc":"2.0","method":"m"}`, `"\u0000sb-id:1"`, 0},
		{"response without result", `{"jsonrpc":"2.0","id":3}`, `{"id":3,"jsonrpc":"2.0","result":null}`, "", 0},
		{"no jsonrpc", `{"id":-2,"method":"m"}`, "", "", -32600},
		{"jsonrpc 1.0", `{"jsonrpc":"1.0","id":2,"method":"m"}`, "", "", -32600},
		{"jsonrpc number", `{"jsonrpc":2.0,"id":2,"method":"m"}`, "", "", -32600},
		{"notification without jsonrpc", `{"method":"m"}`, "", "", -32600},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fr := &oneShot{msgs: [][]byte{[]byte(tc.in)}}
			s := newStream(fr)
			var v json.RawMessage
			err := s.ReadObject(&v)
			if tc.want == "" {
				if !errors.Is(err, io.EOF) || len(fr.out) != 1 {
					t.Fatalf("read %s, %v; answers %q", v, err, fr.out)
				}
				var r struct {
					ID    json.RawMessage `json:"id"`
					Error struct{ Code int }
				}
				json.Unmarshal(fr.out[0], &r)
				if r.Error.Code != tc.code {
					t.Errorf("answer %s, want code %d", fr.out[0], tc.code)
				}
				var in struct{ ID json.RawMessage }
				json.Unmarshal([]byte(tc.in), &in)
				if len(in.ID) > 0 && string(r.ID) != string(in.ID) {
					t.Errorf("answer id %s, want %s as sent", r.ID, in.ID)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, string(v)); diff != "" {
				t.Errorf("handed to jsonrpc2 (-want +got):\n%s", diff)
			}
			if tc.replyID != "" {
				var id struct{ ID jsonrpc2.ID }
				if err := json.Unmarshal(v, &id); err != nil {
					t.Fatal(err)
				}
				if got := string(s.ReplyID(id.ID)); got != tc.replyID {
					t.Errorf("reply id %s, want %s", got, tc.replyID)
				}
			}
		})
	}
}

func TestCancelNamesTheAlias(t *testing.T) {
	fr := &oneShot{msgs: [][]byte{
		[]byte(`{"jsonrpc":"2.0","id":-5,"method":"m"}`),
		[]byte(`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":-5}}`),
		[]byte(`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":-6}}`),
	}}
	s := newStream(fr)
	var got []string
	for {
		var v json.RawMessage
		if err := s.ReadObject(&v); err != nil {
			break
		}
		got = append(got, string(v))
	}
	want := []string{
		`{"id":"\u0000sb-id:1","jsonrpc":"2.0","method":"m"}`,
		`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":"\u0000sb-id:1"}}`,
		`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":-6}}`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestWriteRawFrames(t *testing.T) {
	var w bytes.Buffer
	s := NewLSPStream(strings.NewReader(""), &w, nil, 0)
	if err := s.WriteRaw([]byte(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteObject(map[string]int{"b": 2}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("Content-Length: 7\r\n\r\n{\"a\":1}Content-Length: 7\r\n\r\n{\"b\":2}", w.String()); diff != "" {
		t.Error(diff)
	}
}

func FuzzLSPStream(f *testing.F) {
	f.Add([]byte(frame(`{"jsonrpc":"2.0","id":1,"method":"m","params":{}}`)))
	f.Add([]byte(frame(`[1,2]`) + frame(`{"id":`)))
	f.Add([]byte("Content-Length: 3\r\n\r\n{}}"))
	f.Fuzz(func(t *testing.T, in []byte) {
		var w bytes.Buffer
		s := NewLSPStream(bytes.NewReader(in), &w, nil, 1<<16)
		for i := 0; i < 1000; i++ {
			var v json.RawMessage
			if err := s.ReadObject(&v); err != nil {
				break
			}
			if !json.Valid(v) {
				t.Fatalf("stream returned invalid JSON %q", v)
			}
		}
	})
}

// oneShot is a framer that yields the given messages, then EOF: the
// websocket stream's message handling without gorilla's framing, which is
// the library's own.
type oneShot struct {
	msgs [][]byte
	out  [][]byte
}

func (o *oneShot) ReadMessage() ([]byte, error) {
	if len(o.msgs) == 0 {
		return nil, io.EOF
	}
	m := o.msgs[0]
	o.msgs = o.msgs[1:]
	return m, nil
}
func (o *oneShot) WriteMessage(b []byte) error {
	o.out = append(o.out, append([]byte(nil), b...))
	return nil
}
func (o *oneShot) Close() error { return nil }

func FuzzMessage(f *testing.F) {
	for _, seed := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"fetch/next","params":{"sessionId":"x"}}`,
		`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":1}}`,
		`{"jsonrpc":"2.0","id":"a","result":null}`,
		`[{"id":1}]`, `{"id":-1,"method":"m"}`, `{"id":1.5,"method":"m"}`, `"str"`, `{`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		fr := &oneShot{msgs: [][]byte{msg, []byte(`{"jsonrpc":"2.0","id":99,"method":"next"}`)}}
		s := newStream(fr)
		var got []json.RawMessage
		for {
			var v json.RawMessage
			if err := s.ReadObject(&v); err != nil {
				break
			}
			got = append(got, v)
		}
		// Whatever the first message was, the next one is read.
		if len(got) == 0 || string(got[len(got)-1]) != `{"jsonrpc":"2.0","id":99,"method":"next"}` {
			t.Fatalf("the message after %q was lost: %q", msg, got)
		}
		for _, out := range fr.out {
			var r struct {
				ID    json.RawMessage `json:"id"`
				Error struct{ Code int }
			}
			if err := json.Unmarshal(out, &r); err != nil || (r.Error.Code != -32700 && r.Error.Code != -32600) {
				t.Fatalf("answer %q to %q", out, msg)
			}
		}
	})
}
