package serve_test

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/connector/connrpc"
	"github.com/switchboardpay/switchboard/connector/serve"
)

type cfg struct {
	Token string `json:"token" secret:"true" jsonschema:"required"`
}

type conn struct{}

func (conn) FetchAccounts(ctx context.Context, req connector.FetchRequest) (connector.Page[connector.Account], error) {
	if string(req.State) == `"boom"` {
		return connector.Page[connector.Account]{}, connector.HTTPError(429, "slow down")
	}
	return connector.Page[connector.Account]{Items: []connector.Account{{Reference: "a1"}}, NewState: json.RawMessage(`"next"`), HasMore: true}, nil
}

func start(t *testing.T) *connrpc.Peer {
	p := connector.Define("t", connector.Info{}, conn{}, func(ctx context.Context, c cfg, env connector.Env) (connector.Connector, error) { return conn{}, nil })
	cr, cw := io.Pipe()
	sr, sw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- serve.Run(context.Background(), p, cr, sw); sw.Close() }()
	peer := connrpc.NewPeer(sr, cw, nil, nil)
	go peer.Run(context.Background())
	t.Cleanup(func() {
		cw.Close()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		<-peer.Done()
	})
	return peer
}

func TestServe(t *testing.T) {
	peer := start(t)
	ctx := context.Background()
	err := peer.Call(ctx, connrpc.MethodHandshake, connrpc.HandshakeParams{ProtocolVersion: "2"}, nil)
	if err == nil || !strings.Contains(err.Error(), `version "2" is not supported`) {
		t.Fatalf("version mismatch: %v", err)
	}
	if err := peer.Call(ctx, connrpc.MethodFetch, connrpc.FetchParams{Resource: "accounts"}, nil); err == nil || err.(*connrpc.Error).Code != connrpc.CodeNotOpen {
		t.Fatalf("fetch before open: %v", err)
	}
	var hs connrpc.HandshakeResult
	if err := peer.Call(ctx, connrpc.MethodHandshake, connrpc.HandshakeParams{ProtocolVersion: "1"}, &hs); err != nil {
		t.Fatal(err)
	}
	if hs.Provider.Name != "t" || len(hs.Provider.Capabilities) != 1 || !strings.Contains(string(hs.Provider.ConfigSchema), `"writeOnly":true`) {
		t.Fatalf("handshake: %+v", hs)
	}
	err = peer.Call(ctx, connrpc.MethodOpen, connrpc.OpenParams{Config: json.RawMessage(`{}`)}, nil)
	if re, ok := err.(*connrpc.Error); !ok || re.Code != connrpc.CodeInvalidParams || !strings.Contains(string(re.Data), `"field":"token"`) {
		t.Fatalf("bad config: %v", err)
	}
	if err := peer.Call(ctx, connrpc.MethodOpen, connrpc.OpenParams{Config: json.RawMessage(`{"token":"x"}`)}, nil); err != nil {
		t.Fatal(err)
	}
	var res connrpc.FetchResult
	if err := peer.Call(ctx, connrpc.MethodFetch, connrpc.FetchParams{Resource: "accounts", PageSize: 5}, &res); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(res.Items), `"reference":"a1"`) || string(res.NewState) != `"next"` || !res.HasMore {
		t.Fatalf("fetch: %+v", res)
	}
	err = peer.Call(ctx, connrpc.MethodFetch, connrpc.FetchParams{Resource: "accounts", State: json.RawMessage(`"boom"`)}, nil)
	if re, ok := err.(*connrpc.Error); !ok || re.Code != connrpc.CodeConnectorError || !strings.Contains(string(re.Data), `"httpStatus":429`) || !strings.Contains(string(re.Data), `"retryable":true`) {
		t.Fatalf("connector error: %v", err)
	}
	if err := peer.Call(ctx, connrpc.MethodFetch, connrpc.FetchParams{Resource: "payments"}, nil); err == nil || err.(*connrpc.Error).Code != connrpc.CodeCapabilityUnsupported {
		t.Fatalf("unsupported: %v", err)
	}
}
