package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	client "github.com/switchboardpay/switchboard/clients/go"
	"github.com/switchboardpay/switchboard/protocol"
)

// Connect to the running daemon, create a session and fetch a page.
func Example() {
	ctx := context.Background()
	c, err := client.Connect(ctx, "", // the default state directory
		client.OnLog(func(p protocol.LogParams) { log.Printf("%s: %s", p.Level, p.Message) }))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	s, err := c.CreateSession(ctx, protocol.SessionCreateParams{Provider: "demobank"})
	if err != nil {
		log.Fatal(err)
	}
	page, err := c.FetchNext(ctx, protocol.FetchNextParams{SessionID: s.ID, Resource: protocol.ResourceAccounts})
	var pe *protocol.Error
	if errors.As(err, &pe) && pe.Code == protocol.CodeCapabilityUnsupported {
		log.Fatalf("demobank cannot fetch accounts: %v", pe)
	} else if err != nil {
		log.Fatal(err)
	}
	accounts, err := client.DecodeItems[protocol.Account](page)
	if err != nil {
		log.Fatal(err)
	}
	for _, a := range accounts {
		fmt.Println(a.Reference, a.Name)
	}
}

// Spawn a stdio daemon, as an editor does.
func ExampleSpawn() {
	ctx := context.Background()
	c, err := client.Spawn(ctx, "switchboard", nil)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := c.Init(ctx); err != nil {
		log.Fatal(err)
	}
	providers, err := c.Providers(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range providers.Providers {
		fmt.Println(p.Name, p.Capabilities)
	}
	if err := c.Close(); err != nil { // shutdown, exit, wait
		log.Printf("daemon exited with code %d: %v", c.ExitCode(), err)
	}
}
