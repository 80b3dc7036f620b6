package capture

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/switchboardpay/switchboard/protocol"
)

const secret = "sk_test_4eC39HqLyjWDarjtT1zdp7dc"

func TestTransportCapturesAndCuts(t *testing.T) {
	big := strings.Repeat("x", DefaultBodyCap-10) + secret
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		w.Header().Set("Set-Cookie", "s=1")
		w.Write([]byte(big + string(body)))
	}))
	defer srv.Close()
	var got []protocol.HTTPExchangeParams
	rec := NewRecorder("s1", []string{secret}, pubFunc(func(p protocol.HTTPExchangeParams) { got = append(got, p) }))
	c := NewClient(rec)
	call := &Call{Operation: "fetch/payments", Page: 3}
	req, _ := http.NewRequestWithContext(WithCall(context.Background(), call), "POST", srv.URL+"?token=abc", strings.NewReader(`{"password":"pw"}`))
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if string(body) != big+`{"password":"pw"}` {
		t.Fatal("the connector did not get the whole body")
	}
	if len(got) != 1 {
		t.Fatalf("%d exchanges", len(got))
	}
	ex := got[0]
	if ex.Operation != "fetch/payments" || ex.Page != 3 || ex.ID != call.Exchanges()[0] {
		t.Errorf("attribution %s %d %s %v", ex.Operation, ex.Page, ex.ID, call.Exchanges())
	}
	if !ex.Response.BodyTruncated || len(ex.Response.Body) > DefaultBodyCap {
		t.Errorf("response body %d bytes, truncated %v", len(ex.Response.Body), ex.Response.BodyTruncated)
	}
	all := ex.Request.URL + ex.Request.Body + ex.Response.Body + strings.Join(ex.Response.Headers["Set-Cookie"], "")
	for _, leak := range []string{secret, secret[:10], "abc", `"pw"`, "s=1"} {
		if strings.Contains(all, leak) {
			t.Errorf("%q leaked", leak)
		}
	}
}

type pubFunc func(protocol.HTTPExchangeParams)

func (f pubFunc) HTTPExchange(p protocol.HTTPExchangeParams) { f(p) }
