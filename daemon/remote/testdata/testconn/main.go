// Command testconn is the demo connector served as a process, with
// misbehaviours on demand for the tests of daemon/remote: fetching others
// named "hang", "hangHard", "crash", "garbage" or "log".
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/connector/serve"
	"github.com/switchboardpay/switchboard/connectors/demo"
)

type conn struct {
	*demo.Connector
	env connector.Env
}

func (c *conn) FetchOthers(ctx context.Context, req connector.FetchRequest) (connector.Page[connector.Other], error) {
	switch req.Name {
	case "hang":
		<-ctx.Done()
		fmt.Fprintln(os.Stderr, "hang: cancelled")
		return connector.Page[connector.Other]{}, ctx.Err()
	case "hangHard":
		time.Sleep(time.Hour)
	case "crash":
		fmt.Fprintln(os.Stderr, "boom: the connector is crashing on purpose")
		os.Exit(3)
	case "garbage":
		f := os.NewFile(1, "stdout")
		fmt.Fprint(f, "this is not a protocol message\r\n\r\n")
		time.Sleep(time.Hour)
	case "log":
		c.env.Logger.Info("hello from the child", "answer", 42, "apiKey", "should-be-redacted")
		// An HTTP exchange attributed to this call.
		if _, err := c.Connector.FetchAccounts(ctx, connector.FetchRequest{PageSize: 1}); err != nil {
			return connector.Page[connector.Other]{}, err
		}
	case "fail":
		return connector.Page[connector.Other]{}, connector.HTTPError(503, "upstream unavailable")
	case "pid":
		return connector.Page[connector.Other]{Items: []connector.Other{{ID: fmt.Sprint(os.Getpid()), Other: []byte(`{}`)}}}, nil
	}
	return connector.Page[connector.Other]{Items: []connector.Other{{ID: req.Name, Other: []byte(`{"ok":true}`)}}}, nil
}

func main() {
	if os.Getenv("TESTCONN_EXIT_AT_HANDSHAKE") != "" {
		fmt.Fprintln(os.Stderr, "testconn: exiting before the handshake")
		os.Exit(2)
	}
	if os.Getenv("TESTCONN_GARBAGE_AT_START") != "" {
		fmt.Print("garbage!\n")
	}
	p := connector.Define("testconn", connector.Info{Description: "demo connector in a process", DefaultPageSize: 25}, (*conn)(nil),
		func(ctx context.Context, cfg demo.Config, env connector.Env) (connector.Connector, error) {
			c, err := demo.Open(ctx, cfg, env)
			if err != nil {
				return nil, err
			}
			return &conn{Connector: c.(*demo.Connector), env: env}, nil
		})
	serve.Main(p)
}
